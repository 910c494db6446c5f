/* h_data.c - vaultd request handlers for the data path: vaults, items,
 * recovery points, object upload/download (the streaming shapes of
 * wire.h), and the audit log. Each handler checks the caller's permission
 * first (auth.h), then calls the vault model (core.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "ops.h"
#include "alerts.h"
#include "anchor.h"
#include "audit_guard.h"
#include "denials.h"
#include "core_int.h"
#include "jobs.h"
#include "quota.h"
#include "restic.h"
#include "running.h"
#include "server_int.h"
#include "vg_err.h"
#include "wire.h"

#define UP_WINDOW (4u << 20)     /* initial upload credit */
#define UP_REGRANT (1u << 20)    /* re-grant after this much is consumed */

int h_ping(struct conn *k, const struct vg_msg *m)
{
	(void)m;
	return vg_send_frame(k->fd, resp_ok(k));
}

int h_whoami(struct conn *k, const struct vg_msg *m)
{
	struct vg_wr *w = resp_ok(k);
	(void)m;
	vg_msgb_str(w, VG_TAG_PRINCIPAL, k->who.principal);
	vg_msgb_str(w, VG_TAG_KIND, k->who.root ? "root" : vr_kind_name(k->who.kind));
	if (vauth_is_admin(k->c, &k->who))
		vg_msgb_u32(w, VG_TAG_FLAGS, VG_WHOAMI_ADMIN);
	return vg_send_frame(k->fd, w);
}

int h_vault_create(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	uint32_t flags = 0;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "vault.create needs a vault name");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if (flags & ~1u)
		return send_err(k, VG_EINVAL, "vault.create: unknown flags 0x%x", flags);
	if (!vauth_is_admin(k->c, &k->who)) {
		audit_fail(k, "vault.create", a.vault, VG_EDENIED, true);
		return send_err(k, VG_EDENIED, "principal %s may not create vaults (local root or a vault Owner may)",
			k->who.principal);
	}
	if ((r = vcore_vault_create_ex(k->c, &k->who, a.vault, (flags & 1) ? VCORE_VAULT_INFRA : 0))) {
		audit_fail(k, "vault.create", a.vault, r, true);
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	}
	if (!k->who.root && (r = vauth_role_set(k->c, &(struct vcaller){.root = true,
		.principal = "system"}, k->who.principal, a.vault, VR_R_OWNER)))
		return send_err(k, r, "vault %s created, but making %s its Owner failed: %s", a.vault,
			k->who.principal, vg_strerror(r));
	return vg_send_frame(k->fd, resp_ok(k));
}

static void vault_fields(struct conn *k, struct vg_wr *w, const char *name,
	const struct vr_vault *v)
{
	vg_msgb_str(w, VG_TAG_VAULT, name);
	vg_msgb_u64(w, VG_TAG_TIME, v->created);
	vg_msgb_str(w, VG_TAG_STATE, v->state == VR_V_ACTIVE ? "active" : "soft-deleted");
	vg_msgb_str(w, VG_TAG_KIND, v->keyref);
	{
		char d[512];
		snprintf(d, sizeof(d), "soft-delete=%s/%ud immutability=%s guard=%s key=%s "
			"encryption=%s key-state=%s", vr_sd_name(v->sd_state), v->sd_days,
			vr_immut_name(v->immut), *v->guard ? v->guard : "-", v->keyref,
			v->infra ? "double" : "single",
			vcore_key_sealed(k->c, v->id) ? "sealed" : "ok");
		vg_msgb_str(w, VG_TAG_DETAIL, d);
	}
}

static int vault_row_cb(void *arg, const char *name, const struct vr_vault *v)
{
	struct conn *k = arg;
	struct vg_wr *w;
	char why[8];

	if (vauth_authorize(k->c, &k->who, name, NULL, VP_VIEW, why, sizeof(why)))
		return 0;  /* not this caller's vault */
	w = row(k);

	vault_fields(k, w, name, v);
	return vg_send_frame(k->fd, w);
}

int h_vault_list(struct conn *k, const struct vg_msg *m)
{
	int r;

	(void)m;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_vault_list(k->c, vault_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_vault_get(struct conn *k, const struct vg_msg *m)
{
	struct vr_vault v;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "vault.get needs a vault name");
	if ((r = need(k, "vault.get", a.vault, NULL, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vcore_vault_get(k->c, a.vault, &v)))
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	w = resp_ok(k);
	vault_fields(k, w, a.vault, &v);
	return vg_send_frame(k->fd, w);
}

/* A read that found nothing: if the point exists but is still pending,
 * say so instead of a bare "not found". */
static const char *read_why(struct conn *k, int r, const struct args *a, char *why, size_t n)
{
	struct vr_vault v;
	struct vr_item it;
	struct vr_point p;
	MDB_txn *txn;
	bool pending = false;

	if (r == VG_ENOTFOUND && !vdb_begin(k->c->db, false, &txn)) {
		pending = !vcore_resolve(k->c, txn, a->vault, a->item, &v, &it) &&
			  !vcore_get_point(k->c, txn, it.id, a->point, &p) && p.state == VR_P_PENDING;
		vdb_abort(txn);
	}
	if (!pending)
		return vg_strerror(r);
	snprintf(why, n, "not committed yet: it can be read once its upload commits "
		"(vaultctl points %s %s lists committed points)", a->vault, a->item);
	return why;
}

/* Why vcore_item_create refused, in the terms of the request: an unknown
 * or non-agent --agent, an unknown kind. */
static void item_create_why(struct conn *k, int r, const char *kind, const char *owner, char *why,
	size_t n)
{
	struct vr_principal p;
	MDB_txn *txn;
	int pr = VG_ENOTFOUND;

	snprintf(why, n, "%s", vg_strerror(r));
	if (r == VG_EINVAL && strcmp(kind, "files") != 0 && strcmp(kind, "restic") != 0) {
		snprintf(why, n, "kind \"%s\": expected files or restic", kind);
		return;
	}
	if (!*owner || (r != VG_ENOTFOUND && r != VG_EINVAL) || vdb_begin(k->c->db, false, &txn))
		return;
	pr = vauth_principal_get(k->c, txn, owner, &p);
	vdb_abort(txn);
	if (pr == VG_ENOTFOUND)
		snprintf(why, n, "no principal \"%s\" (vaultctl principal list shows them)", owner);
	else if (pr == 0 && r == VG_EINVAL && p.kind != VR_K_AGENT)
		snprintf(why, n, "principal %s is a %s: items are given to agents only", owner,
			vr_kind_name(p.kind));
}

int h_item_create(struct conn *k, const struct vg_msg *m)
{
	char owner[VG_PRINCIPAL_NAME_MAX + 1];
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "item.create needs a vault and an item name");
	if ((r = need(k, "item.create", a.vault, NULL, VP_PROTECT)))
		return r < 0 ? r : 0;
	if (vg_msg_str(m, VG_TAG_KIND, a.kind, sizeof(a.kind)))
		strcpy(a.kind, "files");
	if (vg_msg_str(m, VG_TAG_PRINCIPAL, owner, sizeof(owner)))
		owner[0] = 0;
	if ((r = vcore_item_create(k->c, &k->who, a.vault, a.item, a.kind, owner))) {
		char why[200];
		item_create_why(k, r, a.kind, owner, why, sizeof(why));
		audit_fail(k, "item.create", a.target, r, true);
		return send_err(k, r, "item %s: %s", a.target, why);
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

/* item.set: one row per setting. Each checks its own value and names it
 * in its refusal; "agent" gives the item to an agent principal. */
static int set_agent(struct conn *k, const struct args *a, const char *value)
{
	char why[200];
	int r;

	if ((r = vcore_item_set_owner(k->c, &k->who, a->vault, a->item, value))) {
		item_create_why(k, r, "files", value, why, sizeof(why));
		audit_fail(k, "item.set", a->target, r, true);
		return send_err(k, r, "item %s: agent %s: %s", a->target, value, why);
	}
	return vg_send_frame(k->fd, resp_ok(k));
}

static const struct {
	const char *name;
	enum vperm perm;
	int (*set)(struct conn *k, const struct args *a, const char *value);
} item_settings[] = {
	{"agent", VP_PROTECT, set_agent},
	{"quota", VP_POLICY, item_set_quota},               /* h_watch.c (issue 14) */
	{"expect-every", VP_POLICY, item_set_expect_every},
};

int h_item_set(struct conn *k, const struct vg_msg *m)
{
	char name[65], value[256];
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)) || vg_msg_str(m, VG_TAG_NAME, name, sizeof(name)) ||
	    vg_msg_str(m, VG_TAG_VALUE, value, sizeof(value)))
		return send_err(k, r ? r : VG_EINVAL, "item.set needs a vault, an item, a setting and a value");
	for (size_t i = 0; i < sizeof(item_settings) / sizeof(item_settings[0]); i++) {
		if (strcmp(name, item_settings[i].name) != 0)
			continue;
		if ((r = need(k, "item.set", a.vault, NULL, item_settings[i].perm)))
			return r < 0 ? r : 0;
		return item_settings[i].set(k, &a, value);
	}
	audit_fail(k, "item.set", a.target, VG_EINVAL, true);
	return send_err(k, VG_EINVAL, "item %s: no setting \"%s\" (agent, quota, expect-every)", a.target, name);
}

static int item_row_cb(void *arg, const char *name, const struct vr_item *it)
{
	struct conn *k = arg;
	struct vg_wr *w;

	if (k->who.kind == VR_K_AGENT && strcmp(it->owner, k->who.principal) != 0)
		return 0;
	w = row(k);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, it->owner);

	vg_msgb_str(w, VG_TAG_ITEM, name);
	vg_msgb_str(w, VG_TAG_KIND, it->kind);
	vg_msgb_str(w, VG_TAG_STATE, vr_item_state_name(it->state));
	vg_msgb_u64(w, VG_TAG_TIME, it->created);
	vg_msgb_u64(w, VG_TAG_TIME2, it->last_success);
	if (it->repo_point) {
		char ps[17];
		vcore_point_str(it->repo_point, ps);
		vg_msgb_str(w, VG_TAG_POINT, ps);  /* the restic container: `objects` lists it */
	}
	return vg_send_frame(k->fd, w);
}

int h_item_list(struct conn *k, const struct vg_msg *m)
{
	struct vr_vault v;
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT, &a)))
		return send_err(k, r, "item.list needs a vault name");
	if ((r = need(k, "item.list", a.vault, NULL, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vcore_vault_get(k->c, a.vault, &v)))
		return send_err(k, r, "vault %s: %s", a.vault, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_item_list(k->c, a.vault, item_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

int h_point_begin(struct conn *k, const struct vg_msg *m)
{
	char kd[340];
	struct args a;
	struct vg_wr *w;
	uint32_t flags = 0;
	uint64_t pid;
	char ps[17];
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "point.begin needs a vault and an item");
	if ((r = need(k, "point.begin", a.vault, a.item, VP_BACKUP)))
		return r < 0 ? r : 0;
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if (flags & ~1u)
		return send_err(k, VG_EINVAL, "point.begin: unknown flags 0x%x", flags);
	if (!(flags & 1) && k->nbound == MAX_BOUND_POINTS)
		return send_err(k, VG_ELIMIT, "too many open points on this connection");
	if ((r = vcore_point_begin(k->c, &k->who, a.vault, a.item, flags & 1, &pid))) {
		char sw0[400];
		audit_refusal(k, "point.begin", a.target, r, space_why(k, r, sw0, sizeof(sw0)));
		job_begin(k, VR_JOB_BACKUP, a.vault, a.item, 0);
		job_done(k, r, 0, r == VG_EKEY ? key_detail(k, a.vault, kd, sizeof(kd)) : NULL);
		if (r == VG_EKEY) {
			char what[300];
			snprintf(what, sizeof(what), "vault %s", a.vault);
			return send_key_err(k, what, a.vault);
		}
		{
			char sw[400];
			return send_err(k, r, "item %s: %s", a.target, r == VG_EBADSTATE ?
				"protection is stopped; run \"item resume\" first" :
				space_why(k, r, sw, sizeof(sw)));
		}
	}
	if (!(flags & 1)) {
		snprintf(k->bound[k->nbound].vault, sizeof(k->bound[0].vault), "%s", a.vault);
		snprintf(k->bound[k->nbound].item, sizeof(k->bound[0].item), "%s", a.item);
		snprintf(k->bound[k->nbound].opener, sizeof(k->bound[0].opener), "%s",
			k->who.principal);
		k->bound[k->nbound++].id = pid;
	}
	vcore_point_str(pid, ps);
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	return vg_send_frame(k->fd, w);
}

#define NOT_OPENER "only the principal that began a pending point may upload into it, commit it or abort it"

/* A refusal of a pending point's use by someone other than its opener. */
static int not_opener(struct conn *k, const char *op, const char *target)
{
	audit_refusal(k, op, target, VG_EDENIED, NOT_OPENER);
	return send_err(k, VG_EDENIED, "point %s: %s", target, NOT_OPENER);
}

static void unbind(struct conn *k, uint64_t pid)
{
	for (int i = 0; i < k->nbound; i++)
		if (k->bound[i].id == pid) {
			k->bound[i] = k->bound[--k->nbound];
			return;
		}
}

int h_point_commit(struct conn *k, const struct vg_msg *m)
{
	struct vr_point p;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "point.commit needs a vault, an item and a point id");
	if ((r = need(k, "point.commit", a.vault, a.item, VP_BACKUP)))
		return r < 0 ? r : 0;
	if ((r = vcore_point_commit(k->c, &k->who, a.vault, a.item, a.point, &p))) {
		if (r == VG_EDENIED)
			return not_opener(k, "point.commit", a.target);
		audit_fail(k, "point.commit", a.target, r, true);
		job_begin(k, VR_JOB_BACKUP, a.vault, a.item, a.point);
		job_done(k, r, 0, NULL);
		return send_err(k, r, "point %s: %s", a.target, vg_strerror(r));
	}
	unbind(k, a.point);
	w = resp_ok(k);
	vg_msgb_str(w, VG_TAG_POINT, a.pointstr);
	vg_msgb_u64(w, VG_TAG_SIZE, p.bytes);
	vg_msgb_u64(w, VG_TAG_COUNT, p.objects);
	vg_msgb_u64(w, VG_TAG_TIME, p.committed);
	return vg_send_frame(k->fd, w);
}

int h_point_abort(struct conn *k, const struct vg_msg *m)
{
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "point.abort needs a vault, an item and a point id");
	if ((r = need(k, "point.abort", a.vault, a.item, VP_BACKUP)))
		return r < 0 ? r : 0;
	if ((r = vcore_point_abort(k->c, &k->who, a.vault, a.item, a.point))) {
		if (r == VG_EDENIED)
			return not_opener(k, "point.abort", a.target);
		audit_fail(k, "point.abort", a.target, r, true);
		return send_err(k, r, "point %s: %s", a.target, vg_strerror(r));
	}
	unbind(k, a.point);
	return vg_send_frame(k->fd, resp_ok(k));
}

static int point_row_cb(void *arg, const struct vr_point *p)
{
	struct conn *k = arg;
	struct vg_wr *w = row(k);
	char ps[17];

	vcore_point_str(p->id, ps);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	vg_msgb_str(w, VG_TAG_STATE, vr_point_state_name(p->state));
	vg_msgb_u64(w, VG_TAG_TIME, p->committed);
	vg_msgb_u64(w, VG_TAG_TIME2, p->expiry);
	vg_msgb_u64(w, VG_TAG_SIZE, p->bytes);
	vg_msgb_u64(w, VG_TAG_COUNT, p->objects);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, p->principal);
	return vg_send_frame(k->fd, w);
}

int h_point_list(struct conn *k, const struct vg_msg *m)
{
	struct vr_item it;
	struct args a;
	uint32_t flags = 0;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM, &a)))
		return send_err(k, r, "point.list needs a vault and an item");
	if ((r = need(k, "point.list", a.vault, a.item, VP_VIEW)))
		return r < 0 ? r : 0;
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if ((r = vcore_item_get(k->c, a.vault, a.item, &it)))
		return send_err(k, r, "item %s: %s", a.target, vg_strerror(r));
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_point_list(k->c, a.vault, a.item, flags & 1, point_row_cb, k);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

struct orow {
	struct conn *k;
	uint64_t lock;      /* restic files under immutability: seconds locked after upload */
};

static int object_row_cb(void *arg, const char *name, const struct vr_object *o)
{
	struct orow *x = arg;
	struct vg_wr *w = row(x->k);

	vg_msgb_str(w, VG_TAG_OBJECT, name);
	vg_msgb_u64(w, VG_TAG_SIZE, o->size);
	vg_msgb_bytes(w, VG_TAG_SHA256, o->sha256, VC_HASH_LEN);
	vg_msgb_u64(w, VG_TAG_TIME, o->created);
	if (x->lock)
		vg_msgb_u64(w, VG_TAG_OFFSET, o->created + x->lock);  /* lock until */
	return vg_send_frame(x->k->fd, w);
}

static int object_none_cb(void *arg, const char *name, const struct vr_object *o)
{
	(void)arg;
	(void)name;
	(void)o;
	return 1;  /* one record is enough to know the point is listable */
}

int h_object_list(struct conn *k, const struct vg_msg *m)
{
	struct orow x = {k, 0};
	struct args a;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT, &a)))
		return send_err(k, r, "object.list needs a vault, an item and a point id");
	if ((r = need(k, "object.list", a.vault, a.item, VP_VIEW)))
		return r < 0 ? r : 0;
	/* Validate before the stream starts so errors come as a RESP. */
	if ((r = vcore_object_list(k->c, a.vault, a.item, a.point, object_none_cb, NULL)) && r != 1) {
		char why[600];
		return send_err(k, r, "point %s: %s", a.target, read_why(k, r, &a, why, sizeof(why)));
	}
	if (vrestic_lock_secs(k->c, a.vault, a.item, &x.lock))
		x.lock = 0;
	if ((r = vg_send_frame(k->fd, resp_ok(k))))
		return r;
	r = vcore_object_list(k->c, a.vault, a.item, a.point, object_row_cb, &x);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

/* Upload: see wire.h for the credit flow. */
/* Upload: see wire.h for the credit flow. Consumes u. */
static int upload_loop(struct conn *k, struct vcore_upload *u, const char *op, const char *target,
	const struct upload_hooks *h, bool resumable, uint64_t offset);

int stream_upload(struct conn *k, struct vcore_upload *u, const char *op, const char *target)
{
	return upload_loop(k, u, op, target, NULL, false, 0);
}

int stream_upload_hooked(struct conn *k, struct vcore_upload *u, const char *op,
	const char *target, const struct upload_hooks *h)
{
	return upload_loop(k, u, op, target, h, false, 0);
}

/* resumable: a cut by a vanished client parks u (vcore_upload_park) instead
 * of dropping it; offset > 0: u was taken back, the first WINDOW says where
 * the client goes on. */
static int upload_loop(struct conn *k, struct vcore_upload *u, const char *op, const char *target,
	const struct upload_hooks *h, bool resumable, uint64_t offset)
{
	struct vg_msg in;
	uint64_t credit = UP_WINDOW, consumed = 0, got;
	uint8_t sha[VC_HASH_LEN];
	int r, failed = 0;

	vg_msgb_begin(&k->out, VG_F_WINDOW, 0, k->reqid);
	vg_msgb_u32(&k->out, VG_TAG_CREDIT, UP_WINDOW);
	if (offset)
		vg_msgb_u64(&k->out, VG_TAG_OFFSET, offset);
	if ((r = vg_send_frame(k->fd, &k->out)))
		goto out;
	for (;;) {
		if ((r = vg_recv_msg(k->fd, k->buf, &in))) {
			if (resumable && !failed && vcore_upload_park(u) == 0) {
				log_info("%s %s: the client vanished after %llu bytes; kept for a resume", op,
					target, (unsigned long long)vcore_upload_size(u));
				job_done(k, r, 0, "the client vanished mid-upload (kept for a resume)");
				return r;
			}
			job_done(k, r, 0, "the client vanished mid-upload");
			goto out;  /* the client vanished: the upload is dropped */
		}
		if (in.reqid != k->reqid) {
			r = VG_EPROTO;
			goto out;
		}
		if (in.type == VG_F_END)
			break;
		if (in.type != VG_F_DATA || in.datalen > credit) {
			r = VG_EPROTO;  /* a peer that breaks flow control is cut off */
			goto out;
		}
		credit -= in.datalen;
		if (!failed && !(r = h && h->write ? h->write(h->arg, u, in.data, in.datalen) :
					   vcore_upload_write(u, in.data, in.datalen)))
			vrun_add(k->run, in.datalen);
		if (!failed && r) {
			const char *why = r == VG_ETOOBIG ? "the body is longer than its declared size" :
				r == VG_ENOSPACE && vcore_upload_why(u) ? vcore_upload_why(u) :
				vg_strerror(r);
			failed = 1;
			audit_refusal(k, op, target, r, why);
			job_done(k, r, 0, why);
			if ((r = send_err(k, r, "%s: %s", target, why)))
				goto out;
		}
		consumed += in.datalen;
		if (consumed >= UP_REGRANT) {
			vg_msgb_begin(&k->out, VG_F_WINDOW, 0, k->reqid);
			vg_msgb_u32(&k->out, VG_TAG_CREDIT, (uint32_t)consumed);
			credit += consumed;
			consumed = 0;
			if ((r = vg_send_frame(k->fd, &k->out)))
				goto out;
		}
	}
	if (failed) {
		r = 0;
		goto out;
	}
	if (in.flags & VG_FL_ABORT) {
		audit_fail(k, op, target, VG_ECLOSED, true);
		job_done(k, VG_ECLOSED, 0, "upload aborted by the client");
		r = send_err(k, VG_ECLOSED, "%s: upload aborted by the client", target);
		goto out;
	}
	if ((r = vcore_upload_finish(u, &got, sha))) {
		const char *why = r == VG_EINVAL ?
			"the body does not match its declared size or SHA-256" :
			r == VG_ENOSPACE && vcore_upload_why(u) ? vcore_upload_why(u) : vg_strerror(r);
		audit_fail(k, op, target, r, true);
		job_done(k, r, 0, why);
		r = send_err(k, r, "%s: %s", target, why);
		goto out;
	}
	{
		struct vg_wr *w = resp_ok(k);
		char why[400] = "";
		vg_msgb_u64(w, VG_TAG_SIZE, got);
		vg_msgb_bytes(w, VG_TAG_SHA256, sha, VC_HASH_LEN);
		if (h && h->done && (r = h->done(h->arg, got, sha, w, why, sizeof(why)))) {
			audit_refusal(k, op, target, r, *why ? why : NULL);
			r = *why ? send_err(k, r, "%s", why) :
				   send_err(k, r, "%s: %s", target, vg_strerror(r));
			goto out;
		}
		r = vg_send_frame(k->fd, w);
	}
out:
	vcore_upload_free(u);
	return r;
}

/* Quotas and the disk floor (quota.h), before the body is stored: 0, or 1
 * with the refusal answered and audited, or an I/O error. */
int upload_admit(struct conn *k, const char *op, const char *vault, const char *item,
	const char *target, uint64_t size, uint64_t *limit)
{
	char why[400] = "";
	int r = vquota_admit(k->c, &k->who, vault, item, size, limit, why, sizeof(why));

	if (!r)
		return 0;
	audit_refusal(k, op, target, r, *why ? why : NULL);
	job_done(k, r, 0, *why ? why : NULL);
	r = send_err(k, r, "%s: %s", target, *why ? why : vg_strerror(r));
	return r ? r : 1;
}

int h_object_put(struct conn *k, const struct vg_msg *m)
{
	struct vcore_upload *u = NULL;
	char kd[340];
	struct args a;
	const uint8_t *want = NULL;
	uint32_t wantlen = 0;
	uint64_t size = UINT64_MAX, limit;
	uint32_t flags = 0;
	bool resumable;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r, "object.put needs a vault, an item, a point id and an object name");
	if ((r = need(k, "object.put", a.vault, a.item, VP_BACKUP)))
		return r < 0 ? r : 0;
	(void)vg_msg_u64(m, VG_TAG_SIZE, &size);
	if (vg_msg_bytes(m, VG_TAG_SHA256, &want, &wantlen) == 0 && wantlen != VC_HASH_LEN)
		return send_err(k, VG_EPROTO, "bad sha256 field");
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &flags);
	if (flags & ~VG_PUT_RESUMABLE)
		return send_err(k, VG_EINVAL, "object.put: unknown flags 0x%x", flags);
	resumable = (flags & VG_PUT_RESUMABLE) && want && size != UINT64_MAX;
	job_begin(k, VR_JOB_BACKUP, a.vault, a.item, a.point);
	vrun_total(k->run, size != UINT64_MAX ? size : 0);
	if ((r = upload_admit(k, "object.put", a.vault, a.item, a.target, size, &limit)))
		return r < 0 ? r : 0;
	if (resumable && vcore_upload_unpark(k->c, &k->who, a.vault, a.item, a.point, a.object, want, size,
					     &u) == 0) {
		uint64_t off = vcore_upload_size(u);

		log_info("object.put %s: resumed at byte %llu", a.target, (unsigned long long)off);
		vcore_upload_limit(u, limit);
		return upload_loop(k, u, "object.put", a.target, NULL, true, off);
	}
	if ((r = vcore_upload_begin(k->c, &k->who, a.vault, a.item, a.point, a.object, want,
		     size, &u))) {
		char sw0[400];
		if (r == VG_EDENIED)
			return not_opener(k, "object.put", a.target);
		audit_refusal(k, "object.put", a.target, r, space_why(k, r, sw0, sizeof(sw0)));
		job_done(k, r, 0, r == VG_EKEY ? key_detail(k, a.vault, kd, sizeof(kd)) : NULL);
		if (r == VG_EKEY) {
			char what[800];
			snprintf(what, sizeof(what), "object %s", a.target);
			return send_key_err(k, what, a.vault);
		}
		{
			char sw[400];
			return send_err(k, r, "object %s: %s", a.target, space_why(k, r, sw, sizeof(sw)));
		}
	}
	vcore_upload_limit(u, limit);
	return upload_loop(k, u, "object.put", a.target, NULL, resumable, 0);
}

struct dl_sink {
	struct conn *k;
	uint8_t *pre;      /* the first segment's bytes, held until RESP is sent */
	size_t prelen, precap;
	int priming;
};

static int dl_sink_cb(void *arg, const uint8_t *p, size_t n)
{
	struct dl_sink *s = arg;
	int r;

	if (s->priming) {
		if (n > s->precap - s->prelen)
			return VG_EINTERNAL;
		memcpy(s->pre + s->prelen, p, n);
		s->prelen += n;
		return 0;
	}
	while (n > 0) {
		uint32_t chunk = n > VG_WIRE_MAX_DATA ? VG_WIRE_MAX_DATA : (uint32_t)n;
		if ((r = vg_send_data(s->k->fd, s->k->reqid, p, chunk)))
			return r;
		vrun_add(s->k->run, chunk);
		p += chunk;
		n -= chunk;
	}
	return 0;
}

/* Download of [off, off+len) of an opened object. Consumes d. */
/* A damaged blob on a route with no job (restic): the native route's
 * restore-failed has no counterpart there, so say it here (SPEC §4, §10). */
void integrity_failed(struct conn *k, const char *op, const char *target)
{
	char vault[VG_VAULT_NAME_MAX + 1];
	const char *slash = strchr(target, '/');
	size_t n = slash ? (size_t)(slash - target) : strlen(target);

	log_warnx("integrity failure reading %s", target);
	if (n > VG_VAULT_NAME_MAX)
		n = VG_VAULT_NAME_MAX;
	memcpy(vault, target, n);
	vault[n] = 0;
	if (vcore_audit(k->c, &k->who, op, target, "failed",
		    "integrity failure: the stored blob does not authenticate (tampered or damaged)") ||
	    valert_raise(k->c, NULL, "integrity-failure", &k->who, vault, target,
		    "a stored restic file failed its AES-GCM authentication; no byte of it was served"))
		log_warnx("could not record the integrity failure of %s", target);
}

int stream_download(struct conn *k, struct vcore_download *d, const struct vr_object *o,
	uint64_t off, uint64_t len, const char *op, const char *target)
{
	return stream_download_hooked(k, d, o, off, len, op, target, NULL, NULL);
}

int stream_download_hooked(struct conn *k, struct vcore_download *d, const struct vr_object *o,
	uint64_t off, uint64_t len, const char *op, const char *target,
	void (*extra)(void *arg, struct vg_wr *w), void *arg)
{
	struct dl_sink s = {.k = k};
	bool jobless = !k->job.active;
	uint64_t first;
	int r;

	if (len == UINT64_MAX && off <= o->size)
		len = o->size - off;
	if (off > o->size || len > o->size - off) {
		if (len == UINT64_MAX)
			r = send_err(k, VG_ERANGE, "%s: offset %llu is outside its %llu bytes", target,
				(unsigned long long)off, (unsigned long long)o->size);
		else
			r = send_err(k, VG_ERANGE, "%s: range %llu+%llu is outside its %llu bytes",
				target, (unsigned long long)off, (unsigned long long)len,
				(unsigned long long)o->size);
		goto out;
	}
	vrun_total(k->run, len);
	/* Authenticate the first segment before answering, so the common
	 * failure (a damaged blob) is a clean error, not a cut stream. */
	first = o->seg_size - off % o->seg_size;
	if (first > len)
		first = len;
	s.precap = (size_t)first;
	s.pre = malloc(s.precap ? s.precap : 1);
	s.priming = 1;
	if (!s.pre) {
		r = send_err(k, -ENOMEM, NULL);
		goto out;
	}
	if ((r = vcore_download_read(d, off, first, dl_sink_cb, &s))) {
		audit_fail(k, op, target, r, false);
		job_done(k, r, 0, NULL);
		if (r == VG_EINTEGRITY && jobless)
			integrity_failed(k, op, target);
		else if (r == VG_EINTEGRITY)
			log_warnx("integrity failure reading %s", target);
		r = send_err(k, r, "%s: %s", target, vg_strerror(r));
		goto out;
	}
	{
		struct vg_wr *w = resp_ok(k);
		vg_msgb_u64(w, VG_TAG_SIZE, o->size);
		vg_msgb_u64(w, VG_TAG_OFFSET, off);
		vg_msgb_u64(w, VG_TAG_LENGTH, len);
		vg_msgb_bytes(w, VG_TAG_SHA256, o->sha256, VC_HASH_LEN);
		if (extra)
			extra(arg, w);
		if ((r = vg_send_frame(k->fd, w)))
			goto out;
	}
	s.priming = 0;
	if (s.prelen && (r = dl_sink_cb(&s, s.pre, s.prelen)))
		goto out;
	r = vcore_download_read(d, off + first, len - first, dl_sink_cb, &s);
	if (r == VG_EINTEGRITY && jobless)
		integrity_failed(k, op, target);
	else if (r == VG_EINTEGRITY)
		log_warnx("integrity failure reading %s", target);
	job_done(k, r, len, target);
	if (r != VG_ECLOSED)
		r = end_stream(k, r);
out:
	free(s.pre);
	vcore_download_free(d);
	return r;
}

int h_object_get(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	char kd[340];
	struct args a;
	uint64_t off = 0, len = UINT64_MAX;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r, "object.get needs a vault, an item, a point id and an object name");
	if ((r = need(k, "object.get", a.vault, a.item, VP_RESTORE)))
		return r < 0 ? r : 0;
	(void)vg_msg_u64(m, VG_TAG_OFFSET, &off);
	(void)vg_msg_u64(m, VG_TAG_LENGTH, &len);
	job_begin(k, VR_JOB_RESTORE, a.vault, a.item, a.point);
	if ((r = vcore_download_open(k->c, a.vault, a.item, a.point, a.object, &d, &o))) {
		audit_fail(k, "object.get", a.target, r, false);
		job_done(k, r, 0, r == VG_EKEY ? key_detail(k, a.vault, kd, sizeof(kd)) : NULL);
		if (r == VG_EKEY) {
			char what[800];
			snprintf(what, sizeof(what), "object %s", a.target);
			return send_key_err(k, what, a.vault);
		}
		{
			char why[600];
			return send_err(k, r, "object %s: %s", a.target,
				read_why(k, r, &a, why, sizeof(why)));
		}
	}
	return stream_download(k, d, &o, off, len, "object.get", a.target);
}

int h_object_stat(struct conn *k, const struct vg_msg *m)
{
	struct vcore_download *d = NULL;
	struct vr_object o;
	struct args a;
	struct vg_wr *w;
	int r;

	if ((r = get_args(m, A_VAULT | A_ITEM | A_POINT | A_OBJECT, &a)))
		return send_err(k, r, "object.stat needs a vault, an item, a point id and an object name");
	if ((r = need(k, "object.stat", a.vault, a.item, VP_VIEW)))
		return r < 0 ? r : 0;
	if ((r = vcore_download_open(k->c, a.vault, a.item, a.point, a.object, &d, &o))) {
		if (r == VG_EKEY) {
			char what[800];
			snprintf(what, sizeof(what), "object %s", a.target);
			return send_key_err(k, what, a.vault);
		}
		{
			char why[600];
			return send_err(k, r, "object %s: %s", a.target,
				read_why(k, r, &a, why, sizeof(why)));
		}
	}
	vcore_download_free(d);
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SIZE, o.size);
	vg_msgb_bytes(w, VG_TAG_SHA256, o.sha256, VC_HASH_LEN);
	vg_msgb_u64(w, VG_TAG_TIME, o.created);
	return vg_send_frame(k->fd, w);
}

int h_audit_verify(struct conn *k, const struct vg_msg *m)
{
	struct va_report rep;
	char why[512] = "", known[300] = "";
	const uint8_t *ahash = NULL;
	uint64_t aseq = 0;
	uint32_t alen = 0;
	struct vg_wr *w;
	int r, anchor = vg_msg_u64(m, VG_TAG_SEQ, &aseq) == 0;

	if (!vauth_sees_all(&k->who) && !vauth_is_admin(k->c, &k->who)) {
		audit_fail(k, "audit.verify", "-", VG_EDENIED, false);
		return send_err(k, VG_EDENIED, "the audit log is for local root, auditors and vault Owners");
	}
	if (anchor && (vg_msg_bytes(m, VG_TAG_HASH, &ahash, &alen) || alen != VC_HASH_LEN))
		return send_err(k, VG_EINVAL, "an anchor is SEQ:HASH (64 hex digits)");
	r = va_verify_report(k->c->audit, k->c->db, &rep, why, sizeof(why));
	/* An anchor sent off the box earlier must still be in the chain. */
	if (!r && anchor && (r = vanchor_check(k->c, aseq, ahash, why, sizeof(why))))
		rep.bad_seq = aseq;
	/* A break found at start (a cut-back log: audit_hwm.h) stands until
	 * it is acknowledged, even if the chain that is left verifies. */
	if (!r && vaudit_broken(k->c, why, sizeof(why))) {
		r = VG_EINTEGRITY;
		rep.bad_seq = k->c->ast.brk;
	}
	if (r) {
		vg_msgb_begin(&k->out, VG_F_RESP, 0, k->reqid);
		vg_msgb_u32(&k->out, VG_TAG_STATUS, (uint32_t)r);
		vg_msgb_str(&k->out, VG_TAG_MESSAGE, *why ? why : vg_strerror(r));
		vg_msgb_u64(&k->out, VG_TAG_COUNT, rep.count);
		vg_msgb_u64(&k->out, VG_TAG_SEQ, rep.bad_seq);
		return vg_send_frame(k->fd, &k->out);
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_COUNT, rep.count);
	if (rep.acks) {
		snprintf(known, sizeof(known), "known break at entry %llu, acknowledged at entry %llu "
			"(%llu acknowledged break%s); every entry from the acknowledgment on verifies",
			(unsigned long long)rep.known_break, (unsigned long long)rep.ack_seq,
			(unsigned long long)rep.acks, rep.acks == 1 ? "" : "s");
		vg_msgb_str(w, VG_TAG_DETAIL, known);
	}
	return vg_send_frame(k->fd, w);
}

/* vaultctl audit acknowledge --reason TEXT (audit_guard.h). */
int h_audit_ack(struct conn *k, const struct vg_msg *m)
{
	char reason[400];
	struct vg_wr *w;
	uint64_t seq = 0;
	int r;

	if (vg_msg_str(m, VG_TAG_REASON, reason, sizeof(reason)) || !*reason)
		return send_err(k, VG_EINVAL, "audit.acknowledge needs a reason");
	if (!vauth_is_admin(k->c, &k->who)) {
		audit_refusal(k, "audit.acknowledge", "audit", VG_EDENIED,
			"only local root or a vault Owner acknowledges a broken audit chain");
		return send_err(k, VG_EDENIED, "only local root or a vault Owner acknowledges a "
			"broken audit chain");
	}
	if ((r = vaudit_acknowledge(k->c, &k->who, reason, &seq))) {
		if (r == VG_EBADSTATE)
			return send_err(k, r, "the audit chain is not broken: nothing to acknowledge");
		return send_err(k, r, "acknowledging the break: %s", vg_strerror(r));
	}
	w = resp_ok(k);
	vg_msgb_u64(w, VG_TAG_SEQ, seq);
	return vg_send_frame(k->fd, w);
}

struct audit_scope {
	struct conn *k;
	const char *vault;    /* NULL: every entry */
	size_t vlen;
};

/* An entry concerns vault V when its target is V or V/...; principal and
 * guard operations name a principal or a guard, never a vault. */
static bool audit_in_vault(const struct vr_audit *e, const char *vault, size_t vlen)
{
	if (strncmp(e->op, "principal.", 10) == 0 || strncmp(e->op, "guard.", 6) == 0)
		return false;
	return strncmp(e->target, vault, vlen) == 0 &&
	       (e->target[vlen] == 0 || e->target[vlen] == '/');
}

static int audit_row_cb(void *arg, const struct vr_audit *e)
{
	struct audit_scope *sc = arg;
	struct conn *k = sc->k;
	struct vg_wr *w;

	if (sc->vault && !audit_in_vault(e, sc->vault, sc->vlen))
		return 0;
	w = row(k);

	vg_msgb_u64(w, VG_TAG_SEQ, e->seq);
	vg_msgb_u64(w, VG_TAG_TIME, e->time);
	vg_msgb_str(w, VG_TAG_PRINCIPAL, e->principal);
	vg_msgb_str(w, VG_TAG_OPNAME, e->op);
	vg_msgb_str(w, VG_TAG_TARGET, e->target);
	vg_msgb_str(w, VG_TAG_RESULT, e->result);
	vg_msgb_str(w, VG_TAG_REASON, e->reason);
	vg_msgb_str(w, VG_TAG_PEER, e->peer);
	vg_msgb_bytes(w, VG_TAG_HASH, e->hash, VC_HASH_LEN);
	return vg_send_frame(k->fd, w);
}

/* The whole chain is for those who see across vaults (vauth_sees_all);
 * a vault's entries for its Owners (issue 12 item 5). */
int h_audit_export(struct conn *k, const struct vg_msg *m)
{
	char vault[VG_VAULT_NAME_MAX + 1];
	struct audit_scope sc = {.k = k};
	MDB_txn *txn;
	uint64_t from = 1;
	int r;

	(void)vg_msg_u64(m, VG_TAG_SEQ, &from);
	if (vg_msg_str(m, VG_TAG_VAULT, vault, sizeof(vault)) == 0) {
		if (!vauth_sees_all(&k->who) && (r = need(k, "audit.export", vault, NULL, VP_SECURITY)))
			return r < 0 ? r : 0;
		sc.vault = vault;
		sc.vlen = strlen(vault);
	} else if (!vauth_sees_all(&k->who)) {
		audit_refusal(k, "audit.export", "-", VG_EDENIED,
			"the whole audit chain is for local root; a vault Owner exports that vault's entries");
		return send_err(k, VG_EDENIED, "the whole audit chain is for local root; "
			"a vault Owner exports that vault's entries (audit export --vault V)");
	}
	/* Repeated refusals counted so far are written first (denials.h). */
	if ((r = vdeny_flush(k->c, true)))
		log_warnx("aggregated refusals: %s", vg_strerror(r));
	{
		uint32_t fl = 0;
		if (vg_msg_u32(m, VG_TAG_FLAGS, &fl) == 0 && (fl & VG_AUDIT_EXPORT_VIEW) &&
		    (r = vcore_audit(k->c, &k->who, "audit.view", sc.vault ? vault : "*", "ok",
			     "the audit log viewed in the console")))
			return send_err(k, r, "audit.view could not be recorded: %s", vg_strerror(r));
	}
	if ((r = vdb_begin(k->c->db, false, &txn)))
		return send_err(k, r, NULL);
	if ((r = vg_send_frame(k->fd, resp_ok(k)))) {
		vdb_abort(txn);
		return r;
	}
	r = va_iter(k->c->db, txn, from, audit_row_cb, &sc);
	vdb_abort(txn);
	return r == VG_ECLOSED ? r : end_stream(k, r);
}

