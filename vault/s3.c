/* s3.c - see s3.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "core_int.h"
#include "crypto.h"
#include "s3.h"
#include "vg_err.h"

static size_t vkey(char *buf, size_t n, uint64_t item, uint64_t point)
{
	return (size_t)snprintf(buf, n, "s3v/%016llx/%016llx", (unsigned long long)item,
		(unsigned long long)point);
}

/* The key index: "s3h/<item>/<sha256(key) hex>/<~seq 16 hex>" -> u64 point,
 * newest version of a key first, so the latest version is found by a seek
 * instead of a walk over the whole bucket (a PUT used to cost time linear
 * in the bucket's versions). An entry is a hint: its version record is read
 * and its key compared before it counts; a stale one is skipped. */
static size_t hpfx(char *buf, size_t n, uint64_t item, const char *key, size_t keylen)
{
	uint8_t h[VC_HASH_LEN];
	char hex[2 * VC_HASH_LEN + 1];

	if (vc_sha256(key, keylen, h))
		return 0;
	vg_hex(hex, h, sizeof(h));
	return (size_t)snprintf(buf, n, "s3h/%016llx/%s/", (unsigned long long)item, hex);
}

static size_t hkey(char *buf, size_t n, uint64_t item, const char *key, size_t keylen,
	uint64_t seq)
{
	size_t l = hpfx(buf, n, item, key, keylen);

	if (!l || l >= n)
		return 0;
	return l + (size_t)snprintf(buf + l, n - l, "%016llx", (unsigned long long)~seq);
}

static size_t bkey(char *buf, size_t n, uint64_t item)
{
	return (size_t)snprintf(buf, n, "s3b/%016llx", (unsigned long long)item);
}

void vs3_version_clear(struct vs3_version *v)
{
	free(v->meta);
	v->meta = NULL;
	v->metalen = 0;
}

int vs3_bucket_get(struct vcore *c, uint64_t item_id, struct vs3_bucket *b)
{
	char k[64];
	MDB_txn *txn;
	MDB_val v;
	struct vg_rd rd;
	uint8_t ver = 0;
	int r;

	memset(b, 0, sizeof(*b));
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, k, bkey(k, sizeof(k), item_id), &v);
	if (r == 0) {
		vg_rd_init(&rd, v.mv_data, v.mv_size);
		vg_rd_u8(&rd, &ver);
		vg_rd_u8(&rd, &b->lock_enabled);
		vg_rd_u8(&rd, &b->default_mode);
		vg_rd_u32(&rd, &b->default_days);
		if (rd.err || ver != 1 || vg_rd_left(&rd))
			r = VG_EINTEGRITY;
	}
	vdb_abort(txn);
	return r == VG_ENOTFOUND ? 0 : r;
}

int vs3_bucket_put(struct vcore *c, uint64_t item_id, const struct vs3_bucket *b)
{
	uint8_t rec[7];
	char k[64];
	MDB_txn *txn;
	int r;

	rec[0] = 1;
	rec[1] = b->lock_enabled;
	rec[2] = b->default_mode;
	vg_put_u32(rec + 3, b->default_days);
	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vdb_put(c->db, txn, VDB_META, k, bkey(k, sizeof(k), item_id), rec, sizeof(rec),
		     false))) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

static int ver_enc(const struct vs3_version *v, struct vg_wr *w)
{
	vg_wr_u8(w, 1);
	vg_wr_u8(w, v->flags);
	vg_wr_u16(w, v->keylen);
	vg_wr_bytes(w, v->key, v->keylen);
	vg_wr_u64(w, v->size);
	vg_wr_bytes(w, v->md5, 16);
	vg_wr_u64(w, v->mtime);
	vg_wr_u64(w, v->seq);
	vg_wr_u8(w, v->lock_mode);
	vg_wr_u64(w, v->retain_until);
	vg_wr_u16(w, v->metalen);
	if (v->metalen)
		vg_wr_bytes(w, v->meta, v->metalen);
	if (v->flags & VS3_F_MP)
		vg_wr_u16(w, v->parts);
	return w->err;
}

/* with_meta: allocate and copy the meta lines. */
static int ver_dec(const void *p, size_t n, struct vs3_version *v, bool with_meta)
{
	struct vg_rd rd;
	const uint8_t *b;
	uint8_t ver = 0;

	vg_rd_init(&rd, p, n);
	vg_rd_u8(&rd, &ver);
	vg_rd_u8(&rd, &v->flags);
	vg_rd_u16(&rd, &v->keylen);
	if (v->keylen > VS3_KEY_MAX)
		return VG_EINTEGRITY;
	vg_rd_copy(&rd, v->key, v->keylen);
	v->key[v->keylen] = 0;
	vg_rd_u64(&rd, &v->size);
	vg_rd_copy(&rd, v->md5, 16);
	vg_rd_u64(&rd, &v->mtime);
	vg_rd_u64(&rd, &v->seq);
	vg_rd_u8(&rd, &v->lock_mode);
	vg_rd_u64(&rd, &v->retain_until);
	vg_rd_u16(&rd, &v->metalen);
	vg_rd_bytes(&rd, v->metalen, &b);
	v->parts = 0;
	if (v->flags & VS3_F_MP)
		vg_rd_u16(&rd, &v->parts);
	if (rd.err || ver != 1 || vg_rd_left(&rd) || v->metalen > VS3_META_MAX)
		return VG_EINTEGRITY;
	v->meta = NULL;
	if (with_meta) {
		v->meta = malloc((size_t)v->metalen + 1);
		if (!v->meta)
			return -12;
		memcpy(v->meta, b, v->metalen);
		v->meta[v->metalen] = 0;
	} else {
		v->metalen = 0;
	}
	return 0;
}

/* The order of versions: one counter for all buckets, taken when a
 * version record is first written (point ids are random). */
static int next_seq(struct vcore *c, MDB_txn *txn, uint64_t *seq)
{
	MDB_val v;
	uint8_t b[8];
	int r = vdb_get(c->db, txn, VDB_META, "s3seq", 5, &v);

	*seq = 1;
	if (r == 0 && v.mv_size == 8)
		*seq = vg_get_u64(v.mv_data) + 1;
	else if (r != 0 && r != VG_ENOTFOUND)
		return r;
	vg_put_u64(b, *seq);
	return vdb_put(c->db, txn, VDB_META, "s3seq", 5, b, 8, false);
}

static int index_put(struct vcore *c, MDB_txn *txn, uint64_t item_id, const struct vs3_version *v)
{
	char k[128];
	uint8_t pb[8];
	size_t kl = hkey(k, sizeof(k), item_id, v->key, v->keylen, v->seq);

	if (!kl)
		return VG_EINVAL;
	vg_put_u64(pb, v->point);
	return vdb_put(c->db, txn, VDB_META, k, kl, pb, sizeof(pb), false);
}

int vs3_version_put(struct vcore *c, uint64_t item_id, struct vs3_version *v)
{
	char k[64];
	struct vg_wr w;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	vg_wr_init(&w, 16384);
	if ((!v->seq && (r = next_seq(c, txn, &v->seq))) || (r = ver_enc(v, &w)) ||
	    (r = vdb_put(c->db, txn, VDB_META, k, vkey(k, sizeof(k), item_id, v->point), w.p, w.len,
		     false)) ||
	    (r = index_put(c, txn, item_id, v)))
		vdb_abort(txn);
	else
		r = vdb_commit(txn);
	vg_wr_free(&w);
	return r;
}

int vs3_version_get(struct vcore *c, uint64_t item_id, uint64_t point, struct vs3_version *v,
	bool *active)
{
	struct vr_point p;
	char k[64];
	MDB_txn *txn;
	MDB_val val;
	int r;

	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	r = vdb_get(c->db, txn, VDB_META, k, vkey(k, sizeof(k), item_id, point), &val);
	if (r == 0)
		r = ver_dec(val.mv_data, val.mv_size, v, true);
	if (r == 0) {
		v->point = point;
		*active = vcore_get_point(c, txn, item_id, point, &p) == 0 && p.state == VR_P_ACTIVE;
	}
	vdb_abort(txn);
	return r;
}

static int cmp_ver(const void *a, const void *b)
{
	const struct vs3_version *x = a, *y = b;
	size_t m = x->keylen < y->keylen ? x->keylen : y->keylen;
	int cmp = memcmp(x->key, y->key, m);

	if (cmp)
		return cmp;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->seq > y->seq ? -1 : x->seq < y->seq ? 1 : 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int versions_in(struct vcore *c, const char *vault, const char *item, const char *prefix,
	size_t prefixlen, uint8_t state, struct vs3_version **out, size_t *n)
{
	struct vr_vault vv;
	struct vr_item it;
	struct vr_point *pts = NULL;
	size_t npts = 0, nact = 0, cap = 0;
	uint64_t *act = NULL;
	struct vs3_version *vs = NULL;
	char pfx[32];
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int r;

	*out = NULL;
	*n = 0;
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &vv, &it)) ||
	    (r = vcore_item_points(c, txn, it.id, &pts, &npts)))
		goto out;
	act = malloc((npts ? npts : 1) * sizeof(*act));
	if (!act) {
		r = -12;
		goto out;
	}
	for (size_t i = 0; i < npts; i++)
		if (pts[i].state == state)
			act[nact++] = pts[i].id;
	qsort(act, nact, sizeof(*act), cmp_u64);
	snprintf(pfx, sizeof(pfx), "s3v/%016llx/", (unsigned long long)it.id);
	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, pfx, strlen(pfx), &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, pfx, strlen(pfx), &k, &v, false)) {
		struct vs3_version *x;
		uint64_t pid;
		char hex[17];
		if (k.mv_size != strlen(pfx) + 16)
			continue;
		memcpy(hex, (const char *)k.mv_data + strlen(pfx), 16);
		hex[16] = 0;
		if (vcore_point_parse(hex, &pid) ||
		    !bsearch(&pid, act, nact, sizeof(*act), cmp_u64))
			continue;
		if (!(x = vcore_push(&vs, n, &cap, sizeof(*vs)))) {
			r = -12;
			goto out;
		}
		if (ver_dec(v.mv_data, v.mv_size, x, false)) {
			(*n)--;
			continue;
		}
		x->point = pid;
		if (state == VR_P_PENDING && !(x->flags & VS3_F_MP))
			(*n)--;  /* a PutObject about to commit */
		else if (x->keylen < prefixlen || memcmp(x->key, prefix, prefixlen) != 0)
			(*n)--;
	}
	r = r == VG_ENOTFOUND ? 0 : r;
	if (r == 0)
		qsort(vs, *n, sizeof(*vs), cmp_ver);
out:
	if (cur)
		mdb_cursor_close(cur);
	vdb_abort(txn);
	free(pts);
	free(act);
	if (r) {
		free(vs);
		*n = 0;
	} else {
		*out = vs;
	}
	return r;
}

int vs3_versions(struct vcore *c, const char *vault, const char *item, const char *prefix,
	size_t prefixlen, struct vs3_version **out, size_t *n)
{
	return versions_in(c, vault, item, prefix, prefixlen, VR_P_ACTIVE, out, n);
}

int vs3_uploads(struct vcore *c, const char *vault, const char *item, const char *prefix,
	size_t prefixlen, struct vs3_version **out, size_t *n)
{
	return versions_in(c, vault, item, prefix, prefixlen, VR_P_PENDING, out, n);
}

int vs3_version_del(struct vcore *c, uint64_t item_id, uint64_t point)
{
	char k[64];
	MDB_txn *txn;
	int r;

	MDB_val val;
	struct vs3_version v;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if (vdb_get(c->db, txn, VDB_META, k, vkey(k, sizeof(k), item_id, point), &val) == 0 &&
	    ver_dec(val.mv_data, val.mv_size, &v, false) == 0) {
		char hk[128];
		size_t hl = hkey(hk, sizeof(hk), item_id, v.key, v.keylen, v.seq);
		if (hl && (r = vdb_del(c->db, txn, VDB_META, hk, hl)) && r != VG_ENOTFOUND) {
			vdb_abort(txn);
			return r;
		}
	}
	r = vdb_del(c->db, txn, VDB_META, k, vkey(k, sizeof(k), item_id, point));
	if (r && r != VG_ENOTFOUND) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

int vs3_latest(struct vcore *c, const char *vault, const char *item, const char *key,
	size_t keylen, struct vs3_version *out)
{
	struct vr_vault vv;
	struct vr_item it;
	struct vr_point p;
	char pfx[128], k[64];
	size_t pl;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val hk, hv, val;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vcore_resolve(c, txn, vault, item, &vv, &it)))
		goto out;
	if (!(pl = hpfx(pfx, sizeof(pfx), it.id, key, keylen)) || pl >= sizeof(pfx)) {
		r = VG_EINVAL;
		goto out;
	}
	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, pfx, pl, &hk, &hv, true); r == 0;
	     r = vdb_seek_prefix(cur, pfx, pl, &hk, &hv, false)) {
		uint64_t pid;
		if (hv.mv_size != 8)
			continue;
		pid = vg_get_u64(hv.mv_data);
		if (vcore_get_point(c, txn, it.id, pid, &p) || p.state != VR_P_ACTIVE ||
		    vdb_get(c->db, txn, VDB_META, k, vkey(k, sizeof(k), it.id, pid), &val) ||
		    ver_dec(val.mv_data, val.mv_size, out, true))
			continue;  /* pending, soft-deleted, purged: not the latest */
		if (out->keylen == keylen && memcmp(out->key, key, keylen) == 0) {
			out->point = pid;
			break;
		}
		vs3_version_clear(out);
	}
out:
	if (cur)
		mdb_cursor_close(cur);
	vdb_abort(txn);
	return r;
}

int vs3_point_floor(struct vcore *c, uint64_t item_id, uint64_t point, uint64_t until, bool hold)
{
	struct vr_point p;
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(c->db, true, &txn)))
		return r;
	if ((r = vcore_get_point(c, txn, item_id, point, &p)))
		goto fail;
	if (hold)
		p.expiry = 0;  /* never, while held */
	else if (p.expiry && p.expiry < until)
		p.expiry = until;
	if ((r = vcore_put_point(c, txn, &p)))
		goto fail;
	return vdb_commit(txn);
fail:
	vdb_abort(txn);
	return r;
}

int vs3_delete_guard(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t point,
	const struct vcaller *who, uint64_t now, char *why, size_t whysz)
{
	struct vs3_version v;
	char k[64], ps[17];
	MDB_val val;
	int r = vdb_get(c->db, txn, VDB_META, k, vkey(k, sizeof(k), item_id, point), &val);

	if (r == VG_ENOTFOUND)
		return 0;
	if (r || (r = ver_dec(val.mv_data, val.mv_size, &v, false)))
		return r;
	vcore_point_str(point, ps);
	if (v.flags & VS3_F_HOLD) {
		snprintf(why, whysz, "version %s is under a legal hold", ps);
		return VG_EIMMUTABLE;
	}
	if (v.lock_mode == VS3_LOCK_COMPLIANCE && v.retain_until > now) {
		snprintf(why, whysz, "version %s is under COMPLIANCE retention until %llu; nobody can "
			"delete it before then", ps, (unsigned long long)v.retain_until);
		return VG_EIMMUTABLE;
	}
	if (v.lock_mode == VS3_LOCK_GOVERNANCE && v.retain_until > now && !*who->grant) {
		snprintf(why, whysz, "version %s is under GOVERNANCE retention until %llu; an Owner "
			"bypasses it only with an approved grant", ps, (unsigned long long)v.retain_until);
		return VG_EIMMUTABLE;
	}
	return 0;
}
