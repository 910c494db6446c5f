/* pending.c - see pending.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "buf.h"
#include "core_int.h"
#include "mua.h"
#include "pending.h"
#include "vg_err.h"

#define PREFIX "pending/"
#define PLEN 8
#define REC_VERSION 1

static int enc(struct vg_wr *w, const struct vpend *p)
{
	vg_wr_u8(w, REC_VERSION);
	vg_wr_u8(w, p->kind);
	vg_wr_str16(w, p->vault);
	vg_wr_u64(w, p->vault_id);
	vg_wr_str16(w, p->setting);
	vg_wr_str16(w, p->value);
	vg_wr_str16(w, p->old);
	vg_wr_str16(w, p->requester);
	vg_wr_str16(w, p->alert);
	vg_wr_u64(w, p->requested);
	vg_wr_u64(w, p->effective);
	return w->err;
}

static int dec(const void *b, size_t n, const char *id, struct vpend *p)
{
	struct vg_rd rd;
	uint8_t ver;

	memset(p, 0, sizeof(*p));
	snprintf(p->id, sizeof(p->id), "%s", id);
	vg_rd_init(&rd, b, n);
	if (vg_rd_u8(&rd, &ver) || ver != REC_VERSION || vg_rd_u8(&rd, &p->kind) ||
	    vg_rd_str16(&rd, p->vault, sizeof(p->vault)) || vg_rd_u64(&rd, &p->vault_id) ||
	    vg_rd_str16(&rd, p->setting, sizeof(p->setting)) ||
	    vg_rd_str16(&rd, p->value, sizeof(p->value)) ||
	    vg_rd_str16(&rd, p->old, sizeof(p->old)) ||
	    vg_rd_str16(&rd, p->requester, sizeof(p->requester)) ||
	    vg_rd_str16(&rd, p->alert, sizeof(p->alert)) || vg_rd_u64(&rd, &p->requested) ||
	    vg_rd_u64(&rd, &p->effective) || vg_rd_left(&rd) != 0)
		return VG_EINTEGRITY;
	if (p->kind < VPEND_VAULT_SET || p->kind > VPEND_ITEM_POLICY)
		return VG_EINTEGRITY;
	return 0;
}

static int id_ok(const char *id)
{
	return strlen(id) == 16 && strspn(id, "0123456789abcdef") == 16;
}

void vpend_what(const struct vpend *p, char *buf, size_t n)
{
	switch (p->kind) {
	case VPEND_VAULT_SET: snprintf(buf, n, "%s", p->setting); break;
	case VPEND_POLICY_SET: snprintf(buf, n, "policy %s", p->setting); break;
	default: snprintf(buf, n, "item %s policy", p->setting); break;
	}
}

struct collect {
	struct vpend *v;
	size_t n, cap;
	const char *vault;
};

static int collect_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct collect *a = arg;
	struct vpend p, *dst;
	char id[17];
	int r;

	if (k->mv_size != PLEN + 16)
		return VG_EINTEGRITY;
	memcpy(id, (const char *)k->mv_data + PLEN, 16);
	id[16] = 0;
	if ((r = dec(v->mv_data, v->mv_size, id, &p)))
		return r;
	if (a->vault && strcmp(a->vault, p.vault) != 0)
		return 0;
	if (!(dst = vcore_push(&a->v, &a->n, &a->cap, sizeof(*dst))))
		return VG_EINTERNAL;
	*dst = p;
	return 0;
}

static int by_time(const void *a, const void *b)
{
	const struct vpend *x = a, *y = b;

	if (x->requested != y->requested)
		return x->requested < y->requested ? -1 : 1;
	return strcmp(x->id, y->id);
}

int vpend_list(struct vcore *c, MDB_txn *txn, const char *vault,
	int (*cb)(void *arg, const struct vpend *p), void *arg)
{
	struct collect a = {.vault = vault};
	MDB_txn *own = NULL;
	int r;

	if (!txn) {
		if ((r = vdb_begin(c->db, false, &own)))
			return r;
		txn = own;
	}
	r = vdb_each(c->db, txn, VDB_META, PREFIX, PLEN, collect_cb, &a);
	if (own)
		vdb_abort(own);
	if (!r && a.n)
		qsort(a.v, a.n, sizeof(*a.v), by_time);
	for (size_t i = 0; !r && i < a.n; i++)
		r = cb(arg, &a.v[i]);
	free(a.v);
	return r;
}

struct dup {
	const struct vpend *want;
	char found[17];
};

static int dup_cb(void *arg, const struct vpend *p)
{
	struct dup *d = arg;

	if (p->vault_id == d->want->vault_id && p->kind == d->want->kind &&
	    strcmp(p->setting, d->want->setting) == 0 && !*d->found)
		snprintf(d->found, sizeof(d->found), "%s", p->id);
	return 0;
}

int vpend_add(struct vcore *c, MDB_txn *txn, struct vpend *p, char *why, size_t whysz)
{
	struct dup d = {.want = p};
	char key[PLEN + 17], what[300];
	uint8_t rnd[8];
	struct vg_wr w;
	int r;

	if ((r = vpend_list(c, txn, p->vault, dup_cb, &d)))
		return r;
	if (*d.found) {
		vpend_what(p, what, sizeof(what));
		snprintf(why, whysz, "vault %s: a change of %s is already pending (%s); cancel it first "
			"(vaultctl pending cancel %s)", p->vault, what, d.found, d.found);
		return VG_EEXISTS;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return VG_EINTERNAL;
	vg_hex(p->id, rnd, sizeof(rnd));
	snprintf(key, sizeof(key), PREFIX "%s", p->id);
	vg_wr_init(&w, 2048);
	if (!(r = enc(&w, p)))
		r = vdb_put(c->db, txn, VDB_META, key, strlen(key), w.p, w.len, true);
	vg_wr_free(&w);
	return r;
}

int vpend_get(struct vcore *c, MDB_txn *txn, const char *id, struct vpend *p)
{
	char key[PLEN + 17];
	MDB_txn *own = NULL;
	MDB_val v;
	int r;

	if (!id_ok(id))
		return VG_ENOTFOUND;
	if (!txn) {
		if ((r = vdb_begin(c->db, false, &own)))
			return r;
		txn = own;
	}
	snprintf(key, sizeof(key), PREFIX "%s", id);
	if (!(r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &v)))
		r = dec(v.mv_data, v.mv_size, id, p);
	if (own)
		vdb_abort(own);
	return r;
}

int vpend_del(struct vcore *c, MDB_txn *txn, const char *id)
{
	char key[PLEN + 17];

	if (!id_ok(id))
		return VG_ENOTFOUND;
	snprintf(key, sizeof(key), PREFIX "%s", id);
	return vdb_del(c->db, txn, VDB_META, key, strlen(key));
}

int vpend_supersede(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const struct vpend *like)
{
	struct dup d = {.want = like};
	char reason[600];
	int r;

	if ((r = vpend_list(c, txn, like->vault, dup_cb, &d)) || !*d.found)
		return r;
	snprintf(reason, sizeof(reason), "pending %s superseded by %s=%s", d.found, like->setting,
		like->value);
	if ((r = vpend_del(c, txn, d.found)))
		return r;
	return vcore_audit_txn(c, txn, who, "pending.cancel", like->vault, "superseded", reason);
}

int vpend_cancel(struct vcore *c, const struct vcaller *who, const char *id, bool may_own,
	struct vpend *p, char *why, size_t whysz)
{
	struct vr_vault v;
	struct vr_guard g;
	char reason[900], what[300];
	MDB_txn *txn;
	bool ok = may_own;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vpend_get(c, txn, id, p))) {
		snprintf(why, whysz, "no pending change %s", id);
		goto fail;
	}
	if (!ok && vcore_get_vault(c, txn, p->vault, &v) == 0 && v.id == p->vault_id && *v.guard &&
	    vmua_guard_get(c, txn, v.guard, &g) == 0)
		for (int i = 0; i < g.napprovers; i++)
			ok |= strcmp(g.approvers[i], who->principal) == 0;
	if (!ok) {
		snprintf(why, whysz, "pending change %s of vault %s may be cancelled by an Owner of the "
			"vault or an approver of its guard", id, p->vault);
		r = VG_EDENIED;
		goto fail;
	}
	vpend_what(p, what, sizeof(what));
	snprintf(reason, sizeof(reason), "%s -> %s requested by %s cancelled", what, p->value,
		p->requester);
	if ((r = vpend_del(c, txn, id)) ||
	    (r = vcore_audit_txn(c, txn, who, "pending.cancel", p->vault, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}
