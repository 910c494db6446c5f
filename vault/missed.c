/* missed.c - see missed.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "missed.h"
#include "vg_err.h"

static const struct vcaller system_caller = {.principal = "system", .peer = "local"};

static void key_of(char *buf, size_t n, const char *what, uint64_t id)
{
	snprintf(buf, n, "%s/i/%llu", what, (unsigned long long)id);
}

int vmissed_put(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t secs)
{
	char key[64];
	uint8_t b[8];
	int r;

	key_of(key, sizeof(key), "expect", item_id);
	if (secs == 0) {
		r = vdb_del(c->db, txn, VDB_META, key, strlen(key));
		return r == VG_ENOTFOUND ? 0 : r;
	}
	vg_put_u64(b, secs);
	return vdb_put(c->db, txn, VDB_META, key, strlen(key), b, 8, false);
}

int vmissed_get(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t *secs)
{
	char key[64];
	MDB_val v;
	int r;

	*secs = 0;
	key_of(key, sizeof(key), "expect", item_id);
	if ((r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &v)))
		return r == VG_ENOTFOUND ? 0 : r;
	if (v.mv_size != 8)
		return VG_EINTEGRITY;
	*secs = vg_get_u64(v.mv_data);
	return 0;
}

static int state_get(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t *base,
	uint64_t *windows)
{
	char key[64];
	MDB_val v;
	int r;

	*base = *windows = 0;
	key_of(key, sizeof(key), "missed", item_id);
	if ((r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &v)))
		return r;
	if (v.mv_size != 16)
		return VG_EINTEGRITY;
	*base = vg_get_u64(v.mv_data);
	*windows = vg_get_u64((const uint8_t *)v.mv_data + 8);
	return 0;
}

int vmissed_is_missed(struct vcore *c, MDB_txn *txn, uint64_t item_id)
{
	uint64_t base, windows;

	return state_get(c, txn, item_id, &base, &windows) == 0;
}

struct ent {
	char vault[VG_VAULT_NAME_MAX + 1];
	char item[VG_ITEM_NAME_MAX + 1];
	struct vr_item it;
};

struct acc {
	struct vcore *c;
	MDB_txn *txn;
	struct ent *e;
	size_t n, cap;
	const char *vault;
	uint64_t vault_id;
};

static int item_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;
	struct ent *e;
	uint64_t secs;
	size_t nl;
	int r;

	if (k->mv_size <= 8 || (nl = k->mv_size - 8) > VG_ITEM_NAME_MAX)
		return VG_EINTEGRITY;
	if (!(e = vcore_push(&a->e, &a->n, &a->cap, sizeof(*e))))
		return -ENOMEM;
	if ((r = vr_item_dec(v->mv_data, v->mv_size, &e->it)))
		return r;
	if ((r = vmissed_get(a->c, a->txn, e->it.id, &secs)))
		return r;
	if (!secs) {
		a->n--;  /* no expectation: not ours */
		return 0;
	}
	snprintf(e->vault, sizeof(e->vault), "%s", a->vault);
	memcpy(e->item, (const uint8_t *)k->mv_data + 8, nl);
	e->item[nl] = 0;
	return 0;
}

static int vault_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct acc *a = arg;
	struct vr_vault vr;
	char name[VG_VAULT_NAME_MAX + 1];
	uint8_t prefix[8];
	int r;

	if (k->mv_size == 0 || vdb_key_name(k, 0, VG_VAULT_NAME_MAX, name))
		return VG_EINTEGRITY;
	if ((r = vr_vault_dec(v->mv_data, v->mv_size, &vr)))
		return r;
	if (vr.state != VR_V_ACTIVE)
		return 0;
	a->vault = name;
	vg_put_u64(prefix, vr.id);
	r = vdb_each(a->c->db, a->txn, VDB_ITEMS, prefix, 8, item_cb, a);
	a->vault = NULL;
	return r;
}

static int one(struct vcore *c, MDB_txn *txn, const struct ent *e, uint64_t now,
	struct vmissed_stats *st)
{
	char key[64], target[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 2], detail[800];
	uint64_t secs, base, b0 = 0, n0 = 0, n;
	uint8_t val[16];
	int r, have;

	if ((r = vmissed_get(c, txn, e->it.id, &secs)) || !secs)
		return r;
	snprintf(target, sizeof(target), "%s/%s", e->vault, e->item);
	key_of(key, sizeof(key), "missed", e->it.id);
	base = e->it.last_success ? e->it.last_success : e->it.created;
	r = state_get(c, txn, e->it.id, &b0, &n0);
	if (r && r != VG_ENOTFOUND)
		return r;
	have = r == 0;
	if (have && b0 != base) {
		/* A success since the alerts: the episode is over. */
		char t[32];
		snprintf(t, sizeof(t), "%llu", (unsigned long long)base);
		snprintf(detail, sizeof(detail), "backup-missed cleared: backup succeeded at %s "
			"after %llu missed window%s", t, (unsigned long long)n0, n0 == 1 ? "" : "s");
		if ((r = vdb_del(c->db, txn, VDB_META, key, strlen(key))) ||
		    (r = vcore_audit_txn(c, txn, &system_caller, "backup-missed.cleared", target, "ok",
			     detail)))
			return r;
		st->cleared++;
		have = 0;
		n0 = 0;
	}
	if (e->it.state != VR_I_PROTECTED || now <= base || now - base <= secs)
		return 0;
	n = (now - base) / secs;
	if (have && n <= n0)
		return 0;
	snprintf(detail, sizeof(detail), "item %s: no successful backup for %llus (expected "
		"every %llus; %s %llu); missed window %llu", target,
		(unsigned long long)(now - base), (unsigned long long)secs,
		e->it.last_success ? "last success at" : "never backed up, created at",
		(unsigned long long)base, (unsigned long long)n);
	vg_put_u64(val, base);
	vg_put_u64(val + 8, n);
	if ((r = vdb_put(c->db, txn, VDB_META, key, strlen(key), val, 16, false)) ||
	    (r = valert_raise(c, txn, "backup-missed", NULL, e->vault, target, detail)))
		return r;
	st->raised++;
	return 0;
}

int vmissed_pass(struct vcore *c, struct vmissed_stats *st)
{
	struct acc a = {.c = c};
	uint64_t now = vault_now();
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = vdb_begin(c->db, true, &a.txn)))
		return r;
	if ((r = vdb_each(c->db, a.txn, VDB_VAULTS, NULL, 0, vault_cb, &a)))
		goto fail;
	for (size_t i = 0; i < a.n; i++)
		if ((r = one(c, a.txn, &a.e[i], now, st)))
			goto fail;
	free(a.e);
	if (st->raised == 0 && st->cleared == 0) {
		vdb_abort(a.txn);
		return 0;
	}
	return vdb_commit(a.txn);
fail:
	free(a.e);
	vdb_abort(a.txn);
	return r;
}
