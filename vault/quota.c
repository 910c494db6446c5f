/* quota.c - see quota.h. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "missed.h"
#include "quota.h"
#include "vg_err.h"

#define WHY(...) ((void)(why && whysz ? snprintf(why, whysz, __VA_ARGS__) : 0))
#define ALERT_EVERY 3600ull

static _Atomic uint64_t disk_floor = VQUOTA_FLOOR_DEFAULT;

void vquota_set_floor(uint64_t bytes)
{
	atomic_store(&disk_floor, bytes);
}

uint64_t vquota_floor(void)
{
	return atomic_load(&disk_floor);
}

int vquota_parse_bytes(const char *s, uint64_t *out)
{
	static const struct {
		const char *suffix;
		unsigned shift;
	} units[] = {
		{"", 0}, {"K", 10}, {"KiB", 10}, {"M", 20}, {"MiB", 20},
		{"G", 30}, {"GiB", 30}, {"T", 40}, {"TiB", 40},
	};
	char num[32];
	size_t n = 0;
	uint64_t v;

	if (strcmp(s, "none") == 0) {
		*out = 0;
		return 0;
	}
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	if (n == 0 || n >= sizeof(num))
		return VG_EINVAL;
	memcpy(num, s, n);
	num[n] = 0;
	if (vg_parse_u64(num, 0, UINT64_MAX, &v))
		return VG_EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s + n, units[i].suffix) != 0)
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return VG_EINVAL;
		*out = v << units[i].shift;
		return 0;
	}
	return VG_EINVAL;
}

static int meta_key(char *buf, size_t n, const char *what, char kind, uint64_t id)
{
	int k = snprintf(buf, n, "%s/%c/%llu", what, kind, (unsigned long long)id);
	return k < 0 || (size_t)k >= n ? VG_EINTERNAL : k;
}

static int meta_get(struct vcore *c, MDB_txn *txn, const char *key, uint64_t *v)
{
	MDB_val val;
	int r = vdb_get(c->db, txn, VDB_META, key, strlen(key), &val);

	*v = 0;
	if (r == VG_ENOTFOUND)
		return 0;
	if (r)
		return r;
	if (val.mv_size != 8)
		return VG_EINTEGRITY;
	*v = vg_get_u64(val.mv_data);
	return 0;
}

static int meta_put(struct vcore *c, MDB_txn *txn, const char *key, uint64_t v)
{
	uint8_t b[8];
	int r;

	if (v == 0) {
		r = vdb_del(c->db, txn, VDB_META, key, strlen(key));
		return r == VG_ENOTFOUND ? 0 : r;
	}
	vg_put_u64(b, v);
	return vdb_put(c->db, txn, VDB_META, key, strlen(key), b, 8, false);
}

int vquota_get(struct vcore *c, MDB_txn *txn, char kind, uint64_t id, uint64_t *bytes)
{
	char key[64];
	int r;

	if ((r = meta_key(key, sizeof(key), "quota", kind, id)) < 0)
		return r;
	return meta_get(c, txn, key, bytes);
}

int vquota_put(struct vcore *c, MDB_txn *txn, char kind, uint64_t id, uint64_t bytes)
{
	char key[64];
	int r;

	if ((r = meta_key(key, sizeof(key), "quota", kind, id)) < 0)
		return r;
	if ((r = meta_put(c, txn, key, bytes)))
		return r;
	/* A new quota starts a new crossing of 90 %. */
	if ((r = meta_key(key, sizeof(key), "qwarn", kind, id)) < 0)
		return r;
	return meta_put(c, txn, key, 0);
}

int vquota_vault_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *value, char *why, size_t whysz)
{
	struct vr_vault v;
	MDB_txn *txn;
	uint64_t bytes;
	char reason[80];
	int r;

	if (vquota_parse_bytes(value, &bytes)) {
		WHY("quota %s: expected a byte count (1048576, 512K, 10M, 2G, 1T) or none", value);
		return VG_EINVAL;
	}
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, NULL, &v, NULL)) ||
	    (r = vquota_put(c, txn, 'v', v.id, bytes)))
		goto fail;
	snprintf(reason, sizeof(reason), "quota=%llu", (unsigned long long)bytes);
	if ((r = vcore_audit_txn(c, txn, who, "vault.set", vault, "ok", reason)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

struct sum {
	struct vcore *c;
	MDB_txn *txn;
	uint64_t bytes;
};

static int object_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct sum *s = arg;
	struct vr_object o;
	int r;

	(void)k;
	if ((r = vr_object_dec(v->mv_data, v->mv_size, &o)))
		return r;
	s->bytes += o.size;
	return 0;
}

static int point_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct sum *s = arg;
	uint8_t prefix[8];

	(void)v;
	if (k->mv_size != 16)
		return VG_EINTEGRITY;
	memcpy(prefix, (const uint8_t *)k->mv_data + 8, 8);  /* the point id */
	return vdb_each(s->c->db, s->txn, VDB_OBJECTS, prefix, 8, object_cb, s);
}

int vquota_item_usage(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t *bytes)
{
	struct sum s = {.c = c, .txn = txn};
	uint8_t prefix[8];
	int r;

	vg_put_u64(prefix, item_id);
	r = vdb_each(c->db, txn, VDB_POINTS, prefix, 8, point_cb, &s);
	*bytes = s.bytes;
	return r;
}

static int item_cb(void *arg, const MDB_val *k, const MDB_val *v)
{
	struct sum *s = arg;
	struct vr_item it;
	uint64_t b = 0;
	int r;

	(void)k;
	if ((r = vr_item_dec(v->mv_data, v->mv_size, &it)) ||
	    (r = vquota_item_usage(s->c, s->txn, it.id, &b)))
		return r;
	s->bytes += b;
	return 0;
}

int vquota_vault_usage(struct vcore *c, MDB_txn *txn, uint64_t vault_id, uint64_t *bytes)
{
	struct sum s = {.c = c, .txn = txn};
	uint8_t prefix[8];
	int r;

	vg_put_u64(prefix, vault_id);
	r = vdb_each(c->db, txn, VDB_ITEMS, prefix, 8, item_cb, &s);
	*bytes = s.bytes;
	return r;
}

/* Raises name unless meta key says it was raised less than ALERT_EVERY ago. */
static void raise_limited(struct vcore *c, const struct vcaller *who, const char *name,
	const char *key, const char *vault, const char *target, const char *detail)
{
	MDB_txn *txn;
	uint64_t last, now = vault_now();

	if (vdb_begin(c->db, true, &txn))
		return;
	if (meta_get(c, txn, key, &last) || (last && now >= last && now - last < ALERT_EVERY) ||
	    meta_put(c, txn, key, now ? now : 1) ||
	    valert_raise(c, txn, name, who, vault, target, detail)) {
		vdb_abort(txn);
		return;
	}
	(void)vdb_commit(txn);
}

int vquota_disk_check(struct vcore *c, uint64_t want, char *why, size_t whysz)
{
	uint64_t avail, floor = vquota_floor(), need;
	char detail[1800], where[1400];

	/* The metadata reserve (core.h, issue 12 item 10) first: the LMDB map
	 * and the metadata's own filesystem; then the blob store's disk. */
	if (vcore_meta_space(c, detail, sizeof(detail))) {
		WHY("%s", detail);
		raise_limited(c, NULL, "disk-low", "disklow", "", "disk", detail);
		return 1;
	}
	if (vs_free_bytes(c->store, &avail))
		return 0;  /* a store that cannot say: the write itself decides */
	need = floor;
	if (want != UINT64_MAX)
		need = want + want / 100 > UINT64_MAX - floor ? UINT64_MAX : floor + want + want / 100;
	if (avail >= need)
		return 0;
	/* On RADOS the space is the pool's: name it; 0 is a pool flagged full. */
	if (strcmp(vs_kind(c->store), "dir") == 0 || vs_describe(c->store, where, sizeof(where)))
		snprintf(where, sizeof(where), "disk");
	if (want != UINT64_MAX && avail >= floor)
		snprintf(detail, sizeof(detail), "%s: %llu bytes free; this upload of %llu bytes "
			"would leave less than the floor of %llu bytes (vaultd --disk-floor)",
			where, (unsigned long long)avail, (unsigned long long)want,
			(unsigned long long)floor);
	else
		snprintf(detail, sizeof(detail), "%s%s: %llu bytes free, below the floor of %llu "
			"bytes (vaultd --disk-floor); new uploads are refused until space is freed",
			avail == 0 && strcmp(where, "disk") != 0 ? "storage full: " : "", where,
			(unsigned long long)avail, (unsigned long long)floor);
	WHY("%s", detail);
	if (avail < need)
		raise_limited(c, NULL, "disk-low", "disklow", "", "disk", detail);
	return 1;
}

struct quota_view {
	uint64_t vquota, iquota, vused, iused;
	uint64_t vault_id, item_id;
};

static int view(struct vcore *c, const char *vault, const char *item, struct quota_view *q)
{
	struct vr_vault v;
	struct vr_item it;
	MDB_txn *txn;
	int r;

	memset(q, 0, sizeof(*q));
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if (!(r = vcore_resolve(c, txn, vault, item, &v, &it)) &&
	    !(r = vquota_get(c, txn, 'v', v.id, &q->vquota)) &&
	    !(r = vquota_get(c, txn, 'i', it.id, &q->iquota))) {
		q->vault_id = v.id;
		q->item_id = it.id;
		if (q->vquota)
			r = vquota_vault_usage(c, txn, v.id, &q->vused);
		if (!r && q->iquota)
			r = vquota_item_usage(c, txn, it.id, &q->iused);
	}
	vdb_abort(txn);
	return r;
}

/* One quota against one upload: 0, or VG_ENOSPACE with why and the alert. */
static int against(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *what, char kind, uint64_t id, uint64_t quota, uint64_t used, uint64_t want,
	uint64_t *limit, char *why, size_t whysz)
{
	char detail[400], key[64];

	if (!quota)
		return 0;
	if (used < quota && (want == UINT64_MAX || want <= quota - used)) {
		if (quota - used < *limit)
			*limit = quota - used;
		return 0;
	}
	if (want == UINT64_MAX)
		snprintf(detail, sizeof(detail), "%s: quota of %llu bytes reached (%llu used)",
			what, (unsigned long long)quota, (unsigned long long)used);
	else
		snprintf(detail, sizeof(detail), "%s: quota of %llu bytes exceeded: %llu used, "
			"this upload of %llu bytes would make %llu", what,
			(unsigned long long)quota, (unsigned long long)used,
			(unsigned long long)want,
			(unsigned long long)(used + want < used ? UINT64_MAX : used + want));
	WHY("%s", detail);
	if (meta_key(key, sizeof(key), "qexc", kind, id) > 0)
		raise_limited(c, who, "quota-exceeded", key, vault, what, detail);
	return VG_ENOSPACE;
}

int vquota_admit(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t want, uint64_t *limit, char *why, size_t whysz)
{
	struct quota_view q;
	char what[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 16];
	int r;

	*limit = UINT64_MAX;
	if (vquota_disk_check(c, want, why, whysz))
		return VG_ENOSPACE;
	if ((r = view(c, vault, item, &q)))
		return r == VG_ENOTFOUND || r == VG_ESOFTDELETED ? 0 : r;  /* the upload says */
	snprintf(what, sizeof(what), "item %s/%s", vault, item);
	if ((r = against(c, who, vault, what, 'i', q.item_id, q.iquota, q.iused, want, limit,
		     why, whysz)))
		return r;
	snprintf(what, sizeof(what), "vault %s", vault);
	return against(c, who, vault, what, 'v', q.vault_id, q.vquota, q.vused, want, limit,
		why, whysz);
}

static void warn_one(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *what, char kind, uint64_t id, uint64_t quota, uint64_t used)
{
	char key[64], detail[300];
	MDB_txn *txn;
	uint64_t warned;
	bool high;

	if (!quota || meta_key(key, sizeof(key), "qwarn", kind, id) < 0)
		return;
	high = used >= quota - quota / 10;  /* 90 % */
	if (vdb_begin(c->db, true, &txn))
		return;
	if (meta_get(c, txn, key, &warned) || (high && warned) || (!high && !warned)) {
		vdb_abort(txn);
		return;
	}
	snprintf(detail, sizeof(detail), "%s: %llu of %llu bytes used (%llu %%)", what,
		(unsigned long long)used, (unsigned long long)quota,
		(unsigned long long)(quota ? used / (quota / 100 ? quota / 100 : 1) : 0));
	if (meta_put(c, txn, key, high ? (vault_now() ? vault_now() : 1) : 0) ||
	    (high && valert_raise(c, txn, "quota-warning", who, vault, what, detail))) {
		vdb_abort(txn);
		return;
	}
	(void)vdb_commit(txn);
}

void vquota_after(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item)
{
	struct quota_view q;
	char what[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 16];

	if (view(c, vault, item, &q))
		return;
	snprintf(what, sizeof(what), "item %s/%s", vault, item);
	warn_one(c, who, vault, what, 'i', q.item_id, q.iquota, q.iused);
	snprintf(what, sizeof(what), "vault %s", vault);
	warn_one(c, who, vault, what, 'v', q.vault_id, q.vquota, q.vused);
}

void vquota_report_detail(struct vcore *c, char kind, uint64_t id, char *buf, size_t n)
{
	MDB_txn *txn;
	uint64_t q = 0, u = 0, e = 0;
	size_t l = strlen(buf);

	if (l >= n || vdb_begin(c->db, false, &txn))
		return;
	if (vquota_get(c, txn, kind, id, &q) == 0 && q &&
	    (kind == 'i' ? vquota_item_usage(c, txn, id, &u) : vquota_vault_usage(c, txn, id, &u)) == 0)
		l += (size_t)snprintf(buf + l, n - l, " quota=%llu used=%llu", (unsigned long long)q,
			(unsigned long long)u);
	if (l < n && kind == 'i' && vmissed_get(c, txn, id, &e) == 0 && e)
		(void)snprintf(buf + l, n - l, " expect_every=%llu missed=%d", (unsigned long long)e,
			vmissed_is_missed(c, txn, id));
	vdb_abort(txn);
}
