/* mua.c - see mua.h. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "alerts.h"
#include "core_int.h"
#include "auth.h"
#include "mua.h"
#include "vg_err.h"

static const char *const op_names[VMUA_N] = {
	[VMUA_SOFT_DELETE_OFF] = "soft-delete-off",
	[VMUA_GUARD_UNLINK] = "guard-unlink",
	[VMUA_DELETE_DATA] = "delete-data",
	[VMUA_RETENTION_REDUCE] = "retention-reduce",
	[VMUA_STOP_PROTECTION] = "stop-protection",
	[VMUA_PIN_GENERATE] = "pin-generate",
	[VMUA_IMMUTABILITY_DISABLE] = "immutability-disable",
	[VMUA_KEY_CHANGE] = "key-change",
	[VMUA_CLOCK_ACCEPT] = "clock-accept",
	[VMUA_GUARD_CHANGE] = "guard-change",
	[VMUA_KEYS_EXPORT] = "keys-export",
};

static int mandatory(int op)
{
	return op == VMUA_SOFT_DELETE_OFF || op == VMUA_GUARD_UNLINK || op == VMUA_CLOCK_ACCEPT ||
	       op == VMUA_GUARD_CHANGE || op == VMUA_KEYS_EXPORT;
}

const char *vmua_op_name(enum vmua_op op)
{
	return (unsigned)op < VMUA_N ? op_names[op] : "?";
}

int vmua_op_parse(const char *s)
{
	for (int i = 0; i < VMUA_N; i++)
		if (strcmp(s, op_names[i]) == 0)
			return i;
	return VG_EINVAL;
}

int vmua_guard_get(struct vcore *c, MDB_txn *txn, const char *name, struct vr_guard *g)
{
	MDB_val v;
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	if ((r = vdb_get(c->db, txn, VDB_GUARDS, name, strlen(name), &v)))
		return r;
	return vr_guard_dec(v.mv_data, v.mv_size, g);
}

static int is_approver(const struct vr_guard *g, const char *principal)
{
	for (int i = 0; i < g->napprovers; i++)
		if (strcmp(g->approvers[i], principal) == 0)
			return 1;
	return 0;
}

static int get_request(struct vcore *c, MDB_txn *txn, const char *id, struct vr_request *rq)
{
	MDB_val v;
	int r;

	if (strlen(id) != 32 || strspn(id, "0123456789abcdef") != 32)
		return VG_ENOTFOUND;
	if ((r = vdb_get(c->db, txn, VDB_REQUESTS, id, 32, &v)))
		return r;
	return vr_request_dec(v.mv_data, v.mv_size, rq);
}

int vmua_check(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const struct vr_vault *v, enum vmua_op op, const char *target, char *why, size_t whysz)
{
	struct vr_guard g;
	struct vr_request rq;
	int r;

	if (!*v->guard)
		return 0;
	if ((r = vmua_guard_get(c, txn, v->guard, &g)))
		return r;
	if (!mandatory(op) && (g.excluded & (1u << op)))
		return 0;
	if (!*who->grant) {
		snprintf(why, whysz, "%s on %s is a critical operation under guard %s: request an "
			"approval (vaultctl mua request) and present the grant", vmua_op_name(op),
			target, v->guard);
		return VG_EMUA;
	}
	r = get_request(c, txn, who->grant, &rq);
	if (r == VG_ENOTFOUND) {
		snprintf(why, whysz, "grant %s does not exist", who->grant);
		return VG_EMUA;
	}
	if (r)
		return r;
	if (strcmp(rq.guard, v->guard) != 0 || strcmp(rq.op, vmua_op_name(op)) != 0 ||
	    strcmp(rq.target, target) != 0) {
		snprintf(why, whysz, "grant %s is for %s on %s, not %s on %s", who->grant, rq.op,
			rq.target, vmua_op_name(op), target);
		return VG_EMUA;
	}
	if (strcmp(rq.requester, who->principal) != 0) {
		snprintf(why, whysz, "grant %s belongs to %s", who->grant, rq.requester);
		return VG_EMUA;
	}
	if (rq.state == VR_RQ_USED) {
		snprintf(why, whysz, "grant %s was already used", who->grant);
		return VG_EMUA;
	}
	if (rq.state != VR_RQ_APPROVED) {
		snprintf(why, whysz, "request %s is %s, not approved", who->grant,
			rq.state == VR_RQ_DENIED ? "denied" : "still pending");
		return VG_EMUA;
	}
	if (vault_now() > rq.expires) {
		snprintf(why, whysz, "grant %s expired", who->grant);
		return VG_EMUA;
	}
	rq.state = VR_RQ_USED;
	if ((r = vcore_put(c, txn, VDB_REQUESTS, who->grant, 32, &rq, false)))
		return r;
	return vcore_audit_txn(c, txn, who, "mua.use", target, "ok", rq.op);
}

int vmua_guard_create(struct vcore *c, const struct vcaller *who, const char *name)
{
	struct vr_guard g;
	MDB_txn *txn;
	int r;

	if ((r = vg_name_check(name, VG_VAULT_NAME_MAX)))
		return r;
	memset(&g, 0, sizeof(g));
	g.created = vault_now();
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_put(c, txn, VDB_GUARDS, name, strlen(name), &g, true)) ||
	    (r = vcore_audit_txn(c, txn, who, "guard.create", name, "ok", ""))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

/* A governed guard (one with an approver) changes only with a guard-change
 * grant for exactly target, approved by another approver (SPEC §11). */
static int governed(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *guard,
	const struct vr_guard *g, const char *target, char *why, size_t whysz)
{
	struct vr_vault fake;

	if (g->napprovers == 0)
		return 0;  /* bootstrapping: the first approver */
	memset(&fake, 0, sizeof(fake));
	snprintf(fake.guard, sizeof(fake.guard), "%s", guard);
	return vmua_check(c, txn, who, &fake, VMUA_GUARD_CHANGE, target, why, whysz);
}

int vmua_guard_approver(struct vcore *c, const struct vcaller *who, const char *guard,
	const char *principal, bool remove, char *why, size_t whysz)
{
	struct vr_guard g;
	MDB_txn *txn;
	MDB_val pv;
	char target[200], gtarget[200], detail[300];
	int r, i;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vmua_guard_get(c, txn, guard, &g)))
		goto fail;
	snprintf(gtarget, sizeof(gtarget), "%s/%s/%s", guard, remove ? "approver-remove" : "approver-add",
		principal);
	if ((r = governed(c, txn, who, guard, &g, gtarget, why, whysz)))
		goto fail;
	if (!remove && ((r = vg_name_check(principal, VG_PRINCIPAL_NAME_MAX)) ||
			(r = vdb_get(c->db, txn, VDB_PRINCIPALS, principal, strlen(principal), &pv))))
		goto fail;
	for (i = 0; i < g.napprovers && strcmp(g.approvers[i], principal) != 0; i++)
		;
	if (remove) {
		if (i == g.napprovers) {
			r = VG_ENOTFOUND;
			goto fail;
		}
		g.approvers[i][0] = 0;
		for (; i + 1 < g.napprovers; i++)
			memcpy(g.approvers[i], g.approvers[i + 1], sizeof(g.approvers[i]));
		g.napprovers--;
	} else {
		if (i < g.napprovers) {
			r = VG_EEXISTS;
			goto fail;
		}
		if (g.napprovers == VR_MAX_APPROVERS) {
			r = VG_ELIMIT;
			goto fail;
		}
		snprintf(g.approvers[g.napprovers++], sizeof(g.approvers[0]), "%s", principal);
	}
	snprintf(target, sizeof(target), "%s/%s", guard, principal);
	snprintf(detail, sizeof(detail), "approver %s %s guard %s by %s", principal,
		remove ? "removed from" : "added to", guard, who->principal);
	if ((r = vcore_put(c, txn, VDB_GUARDS, guard, strlen(guard), &g, false)) ||
	    (r = vcore_audit_txn(c, txn, who, remove ? "guard.approver.remove" : "guard.approver.add",
		     target, "ok", "")) ||
	    (r = valert_raise(c, txn, "guard-changed", who, NULL, guard, detail)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vmua_guard_exclude(struct vcore *c, const struct vcaller *who, const char *guard,
	const char *op, bool include, char *why, size_t whysz)
{
	struct vr_guard g;
	MDB_txn *txn;
	char target[140], gtarget[200], detail[300];
	int r, o = vmua_op_parse(op);

	if (o < 0) {
		snprintf(why, whysz, "unknown critical operation %s", op);
		return VG_EINVAL;
	}
	if (mandatory(o)) {
		snprintf(why, whysz, "%s is mandatory and cannot be excluded", op);
		return VG_EPOLICY;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vmua_guard_get(c, txn, guard, &g)))
		goto fail;
	/* The guard's protections are changed by its approvers, not by the
	 * vault's owners. */
	if (!is_approver(&g, who->principal)) {
		snprintf(why, whysz, "only an approver of guard %s may change what it protects", guard);
		r = VG_EDENIED;
		goto fail;
	}
	snprintf(gtarget, sizeof(gtarget), "%s/%s/%s", guard, include ? "include" : "exclude", op);
	if ((r = governed(c, txn, who, guard, &g, gtarget, why, whysz)))
		goto fail;
	if (include)
		g.excluded &= ~(1u << o);
	else
		g.excluded |= 1u << o;
	snprintf(target, sizeof(target), "%s/%s", guard, op);
	snprintf(detail, sizeof(detail), "%s %s on guard %s by %s", op,
		include ? "protected again" : "excluded", guard, who->principal);
	if ((r = vcore_put(c, txn, VDB_GUARDS, guard, strlen(guard), &g, false)) ||
	    (r = vcore_audit_txn(c, txn, who, include ? "guard.include" : "guard.exclude", target,
		     "ok", "")) ||
	    (r = valert_raise(c, txn, "guard-changed", who, NULL, guard, detail)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

struct gc {
	struct vcore *c;
	MDB_txn *txn;
	int (*cb)(void *arg, const char *guard, const char *vault, const char *principal,
		const char *creator);
	void *arg;
};

int vmua_guard_check(struct vcore *c,
	int (*cb)(void *arg, const char *guard, const char *vault, const char *principal,
		const char *creator), void *arg)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_VAULTS, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		struct vr_vault vault;
		struct vr_guard g;
		char name[VG_VAULT_NAME_MAX + 1];
		if (k.mv_size > VG_VAULT_NAME_MAX || vr_vault_dec(v.mv_data, v.mv_size, &vault)) {
			r = VG_EINTEGRITY;
			break;
		}
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		if (!*vault.guard || vmua_guard_get(c, txn, vault.guard, &g))
			continue;
		for (int i = 0; i < g.napprovers; i++) {
			struct vr_principal p;
			MDB_val pv;
			if (vauth_role_in(c, txn, g.approvers[i], name) == VR_R_OWNER &&
			    (r = cb(arg, vault.guard, name, g.approvers[i], NULL)))
				goto done;
			/* An approver made by an Owner of a vault the guard protects
			 * is that Owner's second identity. */
			if (vdb_get(c->db, txn, VDB_PRINCIPALS, g.approvers[i], strlen(g.approvers[i]),
				    &pv) == 0 &&
			    vr_principal_dec(pv.mv_data, pv.mv_size, &p) == 0 && *p.created_by &&
			    vauth_role_in(c, txn, p.created_by, name) == VR_R_OWNER &&
			    (r = cb(arg, vault.guard, name, g.approvers[i], p.created_by)))
				goto done;
		}
	}
done:
	mdb_cursor_close(cur);
	if (r == VG_ENOTFOUND)
		r = 0;
out:
	vdb_abort(txn);
	return r;
}

int vmua_request(struct vcore *c, const struct vcaller *who, const char *vault, const char *op,
	const char *target, char id[33], char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_guard g;
	struct vr_request rq;
	uint8_t raw[16];
	MDB_txn *txn;
	char reason[700];
	int r, o = vmua_op_parse(op);

	if (o < 0) {
		snprintf(why, whysz, "unknown critical operation %s", op);
		return VG_EINVAL;
	}
	if ((r = vc_random(raw, sizeof(raw))))
		return r;
	vg_hex(id, raw, sizeof(raw));
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if (o == VMUA_GUARD_CHANGE) {
		/* A change of the guard itself: "vault" names the guard, and the
		 * requester is local root or one of its approvers. */
		memset(&v, 0, sizeof(v));
		if ((r = vmua_guard_get(c, txn, vault, &g))) {
			snprintf(why, whysz, "guard %s: %s", vault, vg_strerror(r));
			goto fail;
		}
		if (!who->root && !is_approver(&g, who->principal)) {
			snprintf(why, whysz, "guard %s: changes are requested by local root or its approvers",
				vault);
			r = VG_EDENIED;
			goto fail;
		}
		snprintf(v.guard, sizeof(v.guard), "%s", vault);
	} else if ((r = vcore_get_vault(c, txn, vault, &v))) {
		goto fail;
	}
	if (!*v.guard) {
		snprintf(why, whysz, "vault %s has no resource guard", vault);
		r = VG_EBADSTATE;
		goto fail;
	}
	if ((r = vmua_guard_get(c, txn, v.guard, &g)))
		goto fail;
	if (g.napprovers == 0) {
		snprintf(why, whysz, "guard %s has no approvers: every request is refused", v.guard);
		r = VG_EMUA;
		goto fail;
	}
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.guard, sizeof(rq.guard), "%s", v.guard);
	snprintf(rq.op, sizeof(rq.op), "%s", op);
	snprintf(rq.target, sizeof(rq.target), "%s", target);
	snprintf(rq.requester, sizeof(rq.requester), "%s", who->principal);
	rq.state = VR_RQ_PENDING;
	rq.created = vault_now();
	snprintf(reason, sizeof(reason), "request %s: %s on %s", id, op, target);
	if ((r = vcore_put(c, txn, VDB_REQUESTS, id, 32, &rq, true)) ||
	    (r = vcore_audit_txn(c, txn, who, "mua.request", target, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vmua_approve(struct vcore *c, const struct vcaller *who, const char *id, uint64_t window,
	bool deny, char *why, size_t whysz)
{
	struct vr_request rq;
	struct vr_guard g;
	MDB_txn *txn;
	char reason[700];
	int r;

	if (window == 0)
		window = VMUA_DEFAULT_WINDOW;
	if (window > VMUA_MAX_WINDOW) {
		snprintf(why, whysz, "a grant window is at most 24 hours");
		return VG_EINVAL;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = get_request(c, txn, id, &rq)) || (r = vmua_guard_get(c, txn, rq.guard, &g)))
		goto fail;
	if (!is_approver(&g, who->principal)) {
		snprintf(why, whysz, "%s is not an approver of guard %s", who->principal, rq.guard);
		r = VG_EDENIED;
		goto fail;
	}
	if (strcmp(rq.requester, who->principal) == 0) {
		snprintf(why, whysz, "a requester cannot approve their own request");
		r = VG_EDENIED;
		goto fail;
	}
	if (rq.state != VR_RQ_PENDING) {
		snprintf(why, whysz, "request %s is no longer pending", id);
		r = VG_EBADSTATE;
		goto fail;
	}
	rq.state = deny ? VR_RQ_DENIED : VR_RQ_APPROVED;
	snprintf(rq.approver, sizeof(rq.approver), "%s", who->principal);
	rq.approved_at = vault_now();
	rq.expires = rq.approved_at + window;
	snprintf(reason, sizeof(reason), "%s %s on %s for %llus", deny ? "denied" : "granted", rq.op,
		rq.target, (unsigned long long)window);
	if ((r = vcore_put(c, txn, VDB_REQUESTS, id, 32, &rq, false)) ||
	    (r = vcore_audit_txn(c, txn, who, deny ? "mua.deny" : "mua.approve", id, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

#define EXPIRED_KEY "mua_expired_upto"

int vmua_expire(struct vcore *c, MDB_txn *txn, const struct vcaller *who, uint64_t now)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t upto = 0;
	uint8_t nb[8];
	char id[33], reason[700];
	int r;

	/* A pass at now audits the grants with upto <= expires < now (expired:
	 * now > expires), then sets upto = now. The clock only moves forward,
	 * so each expiry is audited once. */
	r = vdb_get(c->db, txn, VDB_META, EXPIRED_KEY, strlen(EXPIRED_KEY), &v);
	if (r == 0 && v.mv_size == 8)
		upto = vg_get_u64(v.mv_data);
	else if (r && r != VG_ENOTFOUND)
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_REQUESTS, &cur)))
		return r;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		struct vr_request rq;
		if (k.mv_size != 32 || vr_request_dec(v.mv_data, v.mv_size, &rq)) {
			r = VG_EINTEGRITY;
			break;
		}
		if (rq.state != VR_RQ_APPROVED || rq.expires < upto || rq.expires >= now)
			continue;
		memcpy(id, k.mv_data, 32);
		id[32] = 0;
		snprintf(reason, sizeof(reason), "grant for %s on %s requested by %s expired unused",
			rq.op, rq.target, rq.requester);
		if ((r = vcore_audit_txn(c, txn, who, "mua.expire", id, "ok", reason)))
			break;
	}
	mdb_cursor_close(cur);
	if (r && r != VG_ENOTFOUND)
		return r;
	vg_put_u64(nb, now);
	return vdb_put(c->db, txn, VDB_META, EXPIRED_KEY, strlen(EXPIRED_KEY), nb, 8, false);
}

struct request_list {
	int (*cb)(void *arg, const char *id, const struct vr_request *rq);
	void *arg;
};

static int request_list_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct request_list *l = arg;
	struct vr_request rq;
	char id[33];

	if (k->mv_size != 32 || vr_request_dec(v->mv_data, v->mv_size, &rq))
		return VG_EINTEGRITY;
	memcpy(id, k->mv_data, 32);
	id[32] = 0;
	return l->cb(l->arg, id, &rq);
}

int vmua_list(struct vcore *c, int (*cb)(void *arg, const char *id, const struct vr_request *rq),
	void *arg)
{
	struct request_list l = {cb, arg};
	return vdb_each_ro(c->db, VDB_REQUESTS, "", 0, request_list_cb, &l);
}
