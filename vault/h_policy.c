/* h_policy.c - vaultd request handlers for the security policy: vault
 * settings and deletion, retention policies, stop/undelete/resume, point
 * delete/undelete, resource guards, MUA requests, PINs and the purger. The
 * rules themselves live in lifecycle.c, policy.c, mua.c and pin.c. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "alerts.h"
#include "clock.h"
#include "lifecycle.h"
#include "missed.h"
#include "quota.h"
#include "log.h"
#include "mua.h"
#include "pending.h"
#include "pin.h"
#include "policy.h"
#include "server_int.h"
#include "trusted_time.h"
#include "vg_err.h"

/* Answers a lifecycle call: OK, or the refusal with its reason (audited). */
static int answer(struct conn *k, const char *op, const char *target, int r, const char *why)
{
	if (!r)
		return vg_send_frame(k->fd, resp_ok(k));
	audit_refusal(k, op, target, r, *why ? why : NULL);
	return send_err(k, r, "%s", *why ? why : vg_strerror(r));
}

/* Answers a change or delete with what really happened (SPEC §2, §11). */
static int answer_outcome(struct conn *k, const char *op, const char *target, int r,
	const char *why, const struct vlife_outcome *o)
{
	static const char *const states[] = {
		[VLIFE_DONE] = "done", [VLIFE_SOFT] = "soft-deleted",
		[VLIFE_PERMANENT] = "permanently-deleted", [VLIFE_PENDING] = "pending",
	};
	char detail[200];
	struct vg_wr *w;

	if (r)
		return answer(k, op, target, r, why);
	vlife_outcome_str(o, detail, sizeof(detail));
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_STATE, states[o->result]);
	vg_msgb_str(w, VG_TAG_DETAIL, detail);
	if (o->at)
		vg_msgb_u64(w, VG_TAG_TIME2, o->at);
	if (*o->id)
		vg_msgb_str(w, VG_TAG_ID, o->id);
	return vg_send_frame(k->fd, w);
}

int h_vault_set(struct conn *k, const struct vg_msg *m)
{
	char setting[64], value[256], why[400] = "";
	struct vlife_outcome o;
	struct args a;
	int r;

	if (get_args(m, A_VAULT, &a) || vg_msg_str(m, VG_TAG_NAME, setting, sizeof(setting)) ||
	    vg_msg_str(m, VG_TAG_VALUE, value, sizeof(value)))
		return send_err(k, VG_EINVAL, "vault.set needs a vault, a setting and a value");
	NEED("vault.set", a.vault, NULL, VP_SECURITY);
	if (strcmp(setting, "quota") == 0)
		return h_vault_set_quota(k, a.vault, value);
	r = vlife_vault_set(k->c, &k->who, a.vault, setting, value, &o, why, sizeof(why));
	return answer_outcome(k, "vault.set", a.vault, r, why, &o);
}

int h_vault_delete(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct vlife_outcome o;
	struct args a;

	if (get_args(m, A_VAULT, &a))
		return send_err(k, VG_EINVAL, "vault.delete needs a vault");
	NEED("vault.delete", a.vault, NULL, VP_DELETE_VAULT);
	return answer_outcome(k, "vault.delete", a.vault,
		vlife_vault_delete(k->c, &k->who, a.vault, &o, why, sizeof(why)), why, &o);
}

int h_vault_undelete(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct args a;

	if (get_args(m, A_VAULT, &a))
		return send_err(k, VG_EINVAL, "vault.undelete needs a vault");
	NEED("vault.undelete", a.vault, NULL, VP_DELETE_VAULT);
	return answer(k, "vault.undelete", a.vault,
		vlife_vault_undelete(k->c, &k->who, a.vault, why, sizeof(why)), why);
}

int h_policy_set(struct conn *k, const struct vg_msg *m)
{
	char name[VG_VAULT_NAME_MAX + 1], spec[256], why[400] = "", target[140];
	struct vlife_outcome o;
	struct args a;

	if (get_args(m, A_VAULT, &a) || vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_VALUE, spec, sizeof(spec)))
		return send_err(k, VG_EINVAL, "policy.set needs a vault, a policy name and a policy");
	snprintf(target, sizeof(target), "%s/%s", a.vault, name);
	NEED("policy.set", a.vault, NULL, VP_POLICY);
	return answer_outcome(k, "policy.set", target,
		vlife_policy_set(k->c, &k->who, a.vault, name, spec, &o, why, sizeof(why)), why, &o);
}

static int policy_row_cb(void *arg, const char *name, const struct vr_policy *p)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);
	char spec[96];

	vpolicy_format(p, spec, sizeof(spec));
	vg_msgb_str(w, VG_TAG_NAME, name);
	vg_msgb_str(w, VG_TAG_VALUE, spec);
	return vg_send_frame(k->fd, w);
}

int h_policy_list(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if (get_args(m, A_VAULT, &a))
		return send_err(k, VG_EINVAL, "policy.list needs a vault");
	NEED("policy.list", a.vault, NULL, VP_VIEW);
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vpolicy_list(k->c, a.vault, policy_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_item_set_policy(struct conn *k, const struct vg_msg *m)
{
	char policy[VG_VAULT_NAME_MAX + 1], why[400] = "";
	struct vlife_outcome o;
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM, &a) || vg_msg_str(m, VG_TAG_NAME, policy, sizeof(policy)))
		return send_err(k, VG_EINVAL, "item.policy needs a vault, an item and a policy name");
	NEED("item.policy", a.vault, a.item, VP_POLICY);
	return answer_outcome(k, "item.policy", a.target,
		vlife_item_set_policy(k->c, &k->who, a.vault, a.item, policy, &o, why, sizeof(why)), why,
		&o);
}

int h_item_stop(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	uint32_t flags = 0;
	struct vlife_outcome o;
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "item.stop needs a vault and an item");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	/* An agent may stop its own item with delete, with a security PIN. */
	if (k->who.kind == VR_K_AGENT && (flags & 1))
		NEED("item.stop", a.vault, a.item, VP_BACKUP);
	else
		NEED("item.stop", a.vault, a.item, VP_STOP);
	return answer_outcome(k, "item.stop", a.target,
		vlife_item_stop(k->c, &k->who, a.vault, a.item, flags & 1, &o, why, sizeof(why)), why, &o);
}

int h_item_undelete(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "item.undelete needs a vault and an item");
	NEED("item.undelete", a.vault, NULL, VP_STOP);
	return answer(k, "item.undelete", a.target,
		vlife_item_undelete(k->c, &k->who, a.vault, a.item, why, sizeof(why)), why);
}

int h_item_resume(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM, &a))
		return send_err(k, VG_EINVAL, "item.resume needs a vault and an item");
	NEED("item.resume", a.vault, a.item, VP_STOP);
	return answer(k, "item.resume", a.target,
		vlife_item_resume(k->c, &k->who, a.vault, a.item, why, sizeof(why)), why);
}

int h_point_delete(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct vlife_outcome o;
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM | A_POINT, &a))
		return send_err(k, VG_EINVAL, "point.delete needs a vault, an item and a point id");
	NEED("point.delete", a.vault, a.item, VP_STOP);
	return answer_outcome(k, "point.delete", a.target,
		vlife_point_delete(k->c, &k->who, a.vault, a.item, a.point, &o, why, sizeof(why)), why, &o);
}

int h_point_undelete(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "";
	struct args a;

	if (get_args(m, A_VAULT | A_ITEM | A_POINT, &a))
		return send_err(k, VG_EINVAL, "point.undelete needs a vault, an item and a point id");
	NEED("point.undelete", a.vault, a.item, VP_STOP);
	return answer(k, "point.undelete", a.target,
		vlife_point_undelete(k->c, &k->who, a.vault, a.item, a.point, why, sizeof(why)), why);
}

/* Guards are the appliance security admin's (local root) and their own
 * approvers' business, never a vault Owner's. */
static int guard_admin(struct conn *k, const char *op, const char *guard)
{
	struct vr_guard g;
	MDB_txn *txn;
	int ok = k->who.root, r;

	if (!ok && vdb_begin(k->c->db, false, &txn) == 0) {
		if (vmua_guard_get(k->c, txn, guard, &g) == 0)
			for (int i = 0; i < g.napprovers; i++)
				ok |= strcmp(g.approvers[i], k->who.principal) == 0;
		vdb_abort(txn);
	}
	if (ok)
		return 0;
	audit_refusal(k, op, guard, VG_EDENIED, "guards are managed by local root and their approvers");
	r = send_err(k, VG_EDENIED, "guard %s: managed by local root and its approvers only", guard);
	return r ? r : 1;
}

int h_guard_create(struct conn *k, const struct vg_msg *m)
{
	char name[VG_VAULT_NAME_MAX + 1];
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)))
		return send_err(k, VG_EINVAL, "guard.create needs a name");
	if (!k->who.root) {
		audit_refusal(k, "guard.create", name, VG_EDENIED, "only local root creates guards");
		return send_err(k, VG_EDENIED, "only local root creates resource guards");
	}
	r = vmua_guard_create(k->c, &k->who, name);
	return answer(k, "guard.create", name, r, "");
}

int h_guard_approver(struct conn *k, const struct vg_msg *m)
{
	char name[VG_VAULT_NAME_MAX + 1], who[VG_PRINCIPAL_NAME_MAX + 1], target[140], why[400] = "";
	uint32_t flags = 0;
	int r;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_PRINCIPAL, who, sizeof(who)))
		return send_err(k, VG_EINVAL, "guard.approver needs a guard and a principal");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	snprintf(target, sizeof(target), "%s/%s", name, who);
	if ((r = guard_admin(k, "guard.approver", name)))
		return r < 0 ? r : 0;
	r = vmua_guard_approver(k->c, &k->who, name, who, flags & 1, why, sizeof(why));
	return answer(k, "guard.approver", target, r, why);
}

int h_guard_exclude(struct conn *k, const struct vg_msg *m)
{
	char name[VG_VAULT_NAME_MAX + 1], op[64], why[300] = "", target[140];
	uint32_t flags = 0;

	if (vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_OPNAME, op, sizeof(op)))
		return send_err(k, VG_EINVAL, "guard.exclude needs a guard and an operation");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	snprintf(target, sizeof(target), "%s/%s", name, op);
	return answer(k, "guard.exclude", target,
		vmua_guard_exclude(k->c, &k->who, name, op, flags & 1, why, sizeof(why)), why);
}

static int overlap_cb(void *arg, const char *guard, const char *vault, const char *principal,
	const char *creator)
{
	struct conn *k = arg;
	struct vg_wr *w;
	char why[8];

	/* An Owner sees the overlaps of the vaults it may view (issue 12 item 5). */
	if (!vauth_sees_all(&k->who) && *vault &&
	    vauth_authorize(k->c, &k->who, vault, NULL, VP_VIEW, why, sizeof(why)))
		return 0;
	w = row(k);
	vg_msgb_str(w, VG_TAG_NAME, guard);
	vg_msgb_str(w, VG_TAG_VAULT, vault);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, principal);
	if (creator)
		vg_msgb_str(w, VG_TAG_REASON, creator);
	return vg_send_frame(k->fd, w);
}

int h_guard_check(struct conn *k, const struct vg_msg *m)
{
	int r;

	(void)m;
	if (!vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "guard.check", "-", VG_EDENIED, NULL);
		return send_err(k, VG_EDENIED, "guard check is for local root and vault Owners");
	}
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vmua_guard_check(k->c, overlap_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_mua_request(struct conn *k, const struct vg_msg *m)
{
	char op[64], target[512], id[33], why[300] = "";
	struct args a;
	struct vg_wr *w;
	int r;

	if (get_args(m, A_VAULT, &a) || vg_msg_str(m, VG_TAG_OPNAME, op, sizeof(op)) ||
	    vg_msg_str(m, VG_TAG_TARGET, target, sizeof(target)))
		return send_err(k, VG_EINVAL, "mua.request needs a vault, an operation and a target");
	/* A guard-change request names a guard (mua.c checks who may). */
	if (strcmp(op, "guard-change") != 0)
		NEED("mua.request", a.vault, NULL, VP_VIEW);
	if ((r = vmua_request(k->c, &k->who, a.vault, op, target, id, why, sizeof(why))))
		return answer(k, "mua.request", target, r, why);
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_ID, id);
	return vg_send_frame(k->fd, w);
}

int h_mua_approve(struct conn *k, const struct vg_msg *m)
{
	char id[64], why[300] = "";
	uint64_t window = 0;
	uint32_t flags = 0;

	if (vg_msg_str(m, VG_TAG_ID, id, sizeof(id)))
		return send_err(k, VG_EINVAL, "mua.approve needs a request id");
	(void)vg_msg_u64(m, VG_TAG_SIZE, &window);
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	return answer(k, flags & 1 ? "mua.deny" : "mua.approve", id,
		vmua_approve(k->c, &k->who, id, window, flags & 1, why, sizeof(why)), why);
}

struct guard_view {
	struct conn *k;
	const char *guard;
	bool seen;
};

static int guard_vault_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct guard_view *g = arg;
	char why[8];

	if (!g->seen && strcmp(v->guard, g->guard) == 0 &&
	    !vauth_authorize(g->k->c, &g->k->who, name, NULL, VP_VIEW, why, sizeof(why)))
		g->seen = true;
	return 0;
}

/* Who sees an MUA request (issue 12 item 5): those who see across vaults,
 * its requester, an approver of its guard, and whoever may view a vault
 * that guard protects. */
static bool request_visible(struct conn *k, const struct vr_request *rq)
{
	struct guard_view g = {.k = k, .guard = rq->guard};
	struct vr_guard gd;
	MDB_txn *txn;
	bool approver = false;

	if (vauth_sees_all(&k->who) || strcmp(rq->requester, k->who.principal) == 0)
		return true;
	if (vdb_begin(k->c->db, false, &txn) == 0) {
		if (vmua_guard_get(k->c, txn, rq->guard, &gd) == 0)
			for (int i = 0; i < gd.napprovers && i < VR_MAX_APPROVERS; i++)
				approver |= strcmp(gd.approvers[i], k->who.principal) == 0;
		vdb_abort(txn);
	}
	if (approver)
		return true;
	(void)vcore_vault_list(k->c, guard_vault_cb, &g);
	return g.seen;
}

static int request_row_cb(void *arg, const char *id, const struct vr_request *rq)
{
	static const char *const st[] = {"pending", "approved", "used", "denied"};
	struct conn *k = arg;
	struct vg_wr *w;
	const char *state = st[rq->state];

	if (!request_visible(k, rq))
		return 0;
	w = row(k);

	if (rq->state == VR_RQ_APPROVED && vault_now() > rq->expires)
		state = "expired";
	vg_msgb_str(w, VG_TAG_ID, id);
	vg_msgb_str(w, VG_TAG_NAME, rq->guard);
	vg_msgb_str(w, VG_TAG_OPNAME, rq->op);
	vg_msgb_str(w, VG_TAG_TARGET, rq->target);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, rq->requester);
	vg_msgb_str(w, VG_TAG_STATE, state);
	vg_msgb_u64(w, VG_TAG_TIME, rq->created);
	vg_msgb_u64(w, VG_TAG_TIME2, rq->expires);
	return vg_send_frame(k->fd, w);
}

int h_mua_list(struct conn *k, const struct vg_msg *m)
{
	int r;

	(void)m;
	if (k->who.kind != VR_K_USER && !k->who.root) {
		audit_refusal(k, "mua.list", "-", VG_EDENIED, NULL);
		return send_err(k, VG_EDENIED, "MUA requests are visible to users only");
	}
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vmua_list(k->c, request_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_pin_generate(struct conn *k, const struct vg_msg *m)
{
	char pin[VPIN_DIGITS + 1], why[300] = "";
	uint64_t expires = 0;
	struct vr_vault v;
	struct args a;
	MDB_txn *txn;
	struct vg_wr *w;
	int r;

	if (get_args(m, A_VAULT, &a))
		return send_err(k, VG_EINVAL, "pin.generate needs a vault");
	NEED("pin.generate", a.vault, NULL, VP_PIN);
	/* Generating a PIN is itself a guarded critical operation. */
	if ((r = vdb_begin(k->c->db, true, &txn)))
		return send_err(k, r, NULL);
	if ((r = vcore_vault_get(k->c, a.vault, &v)) ||
	    (r = vmua_check(k->c, txn, &k->who, &v, VMUA_PIN_GENERATE, a.vault, why, sizeof(why)))) {
		vdb_abort(txn);
		return answer(k, "pin.generate", a.vault, r, why);
	}
	if ((r = vdb_commit(txn)))
		return send_err(k, r, NULL);
	if ((r = vpin_generate(k->c, &k->who, a.vault, pin, &expires)))
		return answer(k, "pin.generate", a.vault, r, "");
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_PIN, pin);
	vg_msgb_u64(w, VG_TAG_TIME2, expires);
	r = vg_send_frame(k->fd, w);
	OPENSSL_cleanse(pin, sizeof(pin));
	OPENSSL_cleanse(w->p, w->len);
	return r;
}

int h_purge_run(struct conn *k, const struct vg_msg *m)
{
	struct vlife_purge_stats st;
	struct vmissed_stats ms;
	struct vg_wr *w;
	int r;

	(void)m;
	if (!k->who.root) {
		audit_refusal(k, "purge.run", "-", VG_EDENIED, "only local root runs the purger");
		return send_err(k, VG_EDENIED, "only local root runs the purger by hand");
	}
	/* The watch pass first (missed backups, the disk floor; issue 14). */
	if ((r = vmissed_pass(k->c, &ms)))
		return send_err(k, r, "purge: missed-backup pass: %s", vg_strerror(r));
	(void)vquota_disk_check(k->c, UINT64_MAX, NULL, 0);
	if ((r = vlife_purge(k->c, &st)))
		return send_err(k, r, "purge: %s", vg_strerror(r));
	if (st.held) {
		char why[200];
		(void)vtime_held(why, sizeof(why));
		return send_err(k, VG_EBADSTATE, "purges and expiries are held after a clock jump (%s): "
			"nothing was purged; an Owner accepts the new time with \"vaultctl clock accept\"", why);
	}
	if (st.sealed) {
		/* The other vaults were purged; the sealed ones were left whole. */
		char why[300];
		vcore_key_why(k->c, st.sealed_vault, why, sizeof(why));
		return send_err(k, VG_EKEY, "vault %s: key unavailable: %s (%u vault%s skipped, "
			"nothing purged there)", st.sealed_vault, *why ? why : "the vault's key cannot be used",
			st.sealed, st.sealed == 1 ? "" : "s");
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_COUNT, (uint64_t)st.points + st.items + st.vaults + st.objects + st.expired);
	{
		char d[260];
		snprintf(d, sizeof(d), "vaults=%u items=%u points=%u objects=%u expired=%u warned=%u aborted=%u "
			"applied=%u backup-missed=%u missed-cleared=%u", st.vaults, st.items, st.points,
			st.objects, st.expired, st.warned, st.aborted, st.applied, ms.raised, ms.cleared);
		vg_msgb_str(w, VG_TAG_DETAIL, d);
	}
	return vg_send_frame(k->fd, w);
}

int h_clock_advance(struct conn *k, const struct vg_msg *m)
{
	uint64_t secs;
	uint32_t flags = 0;
	int r;

	if (!k->who.root) {
		audit_refusal(k, "clock.advance", "-", VG_EDENIED, "only local root may move the test clock");
		return send_err(k, VG_EDENIED, "only local root may move the test clock");
	}
	if (vg_msg_u64(m, VG_TAG_SIZE, &secs))
		return send_err(k, VG_EINVAL, "clock.advance needs a number of seconds");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	/* FLAGS bit0: a jump of the wall clock alone (bit1: backwards). */
	if (secs > INT64_MAX / 2)
		return send_err(k, VG_EINVAL, "clock.advance: too many seconds");
	r = flags & 1 ? vault_clock_jump(flags & 2 ? -(int64_t)secs : (int64_t)secs) :
			vault_clock_advance(secs);
	if (r) {
		audit_refusal(k, "clock.advance", "-", r, "this vaultd has no test clock");
		return send_err(k, r, "this vaultd has no test clock: time cannot be changed");
	}
	{
		struct vg_wr *w = resp_ok(k);
		vg_msgb_u64(w, VG_TAG_TIME, vault_now());
		return vg_send_frame(k->fd, w);
	}
}

/* ---- pending weakening changes (SPEC §11) -------------------------------- */

static int pending_row_cb(void *arg, const struct vpend *p)
{
	struct conn *k = arg;
	struct vg_wr *w;
	char what[300];

	/* Only vaults the caller may view (silently skipped otherwise). */
	if (vauth_authorize(k->c, &k->who, p->vault, NULL, VP_VIEW, what, sizeof(what)))
		return 0;
	vpend_what(p, what, sizeof(what));
	w = row(k);
	vg_msgb_str(w, VG_TAG_ID, p->id);
	vg_msgb_str(w, VG_TAG_VAULT, p->vault);
	vg_msgb_str(w, VG_TAG_NAME, what);
	vg_msgb_str(w, VG_TAG_VALUE, p->value);
	vg_msgb_str(w, VG_TAG_REASON, p->old);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, p->requester);
	vg_msgb_u64(w, VG_TAG_TIME, p->requested);
	vg_msgb_u64(w, VG_TAG_TIME2, p->effective);
	vg_msgb_str(w, VG_TAG_KIND, p->alert);
	return vg_send_frame(k->fd, w);
}

int h_pending_list(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r, one = get_args(m, A_VAULT, &a) == 0;

	if (one)
		NEED("pending.list", a.vault, NULL, VP_VIEW);
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vpend_list(k->c, NULL, one ? a.vault : NULL, pending_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_pending_cancel(struct conn *k, const struct vg_msg *m)
{
	char id[64], why[400] = "", tmp[300];
	struct vpend p;
	bool owner = false;
	int r;

	uint32_t flags = 0;

	if (vg_msg_str(m, VG_TAG_ID, id, sizeof(id)))
		return send_err(k, VG_EINVAL, "pending.cancel needs a pending change id");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if (flags & 1) {
		/* Test daemon only: end the cooling-off now (like the test clock). */
		if (!k->who.root) {
			audit_refusal(k, "pending.expedite", id, VG_EDENIED, "local root only");
			return send_err(k, VG_EDENIED, "only local root, on the test daemon");
		}
		return answer(k, "pending.expedite", id,
			vlife_pending_apply(k->c, &k->who, id, why, sizeof(why)), why);
	}
	if (vpend_get(k->c, NULL, id, &p) == 0)
		owner = vauth_authorize(k->c, &k->who, p.vault, NULL, VP_SECURITY, tmp, sizeof(tmp)) == 0;
	r = vpend_cancel(k->c, &k->who, id, owner, &p, why, sizeof(why));
	return answer(k, "pending.cancel", id, r, why);
}

/* vaultctl clock accept (trusted_time.c has the rules). */
int h_clock_accept(struct conn *k, const struct vg_msg *m)
{
	char why[400] = "", detail[200];
	struct vg_wr *w;
	int r;

	(void)m;
	if (!vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "clock.accept", "clock", VG_EDENIED, "only local root or a vault Owner");
		return send_err(k, VG_EDENIED, "accepting a clock jump is for local root and vault Owners");
	}
	if ((r = vtime_accept(k->c, &k->who, detail, sizeof(detail), why, sizeof(why))))
		return answer(k, "clock.accept", "clock", r, why);
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_TIME, vault_now());
	vg_msgb_str(w, VG_TAG_DETAIL, detail);
	return vg_send_frame(k->fd, w);
}
