/* s3mp.c - the part records of S3 multipart uploads (s3.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "core_int.h"
#include "s3.h"
#include "vg_err.h"

static size_t ppfx(char *buf, size_t n, uint64_t item, uint64_t point)
{
	return (size_t)snprintf(buf, n, "s3p/%016llx/%016llx/", (unsigned long long)item,
		(unsigned long long)point);
}

int vs3_part_put(struct vcore *c, uint64_t item_id, uint64_t point, const struct vs3_part *p)
{
	char k[80];
	size_t kl = ppfx(k, sizeof(k), item_id, point), on = strlen(p->object);
	struct vg_wr w;
	MDB_txn *txn;
	int r;

	if (p->number < 1 || p->number > 10000 || on >= sizeof(p->object))
		return VG_EINVAL;
	kl += (size_t)snprintf(k + kl, sizeof(k) - kl, "%05u", p->number);
	vg_wr_init(&w, 128);
	vg_wr_u8(&w, 1);
	vg_wr_u64(&w, p->size);
	vg_wr_bytes(&w, p->md5, 16);
	vg_wr_u64(&w, p->mtime);
	vg_wr_u8(&w, (uint8_t)on);
	vg_wr_bytes(&w, p->object, on);
	if (w.err) {
		vg_wr_free(&w);
		return VG_EINVAL;
	}
	if ((r = vdb_begin(c->db, true, &txn)) == 0) {
		if ((r = vdb_put(c->db, txn, VDB_META, k, kl, w.p, w.len, false)))
			vdb_abort(txn);
		else
			r = vdb_commit(txn);
	}
	vg_wr_free(&w);
	return r;
}

static int part_dec(const MDB_val *k, size_t pl, const MDB_val *v, struct vs3_part *p)
{
	struct vg_rd rd;
	char num[6];
	uint8_t ver = 0, on = 0;

	if (k->mv_size != pl + 5)
		return VG_EINTEGRITY;
	memcpy(num, (const char *)k->mv_data + pl, 5);
	num[5] = 0;
	p->number = (unsigned)strtoul(num, NULL, 10);
	vg_rd_init(&rd, v->mv_data, v->mv_size);
	vg_rd_u8(&rd, &ver);
	vg_rd_u64(&rd, &p->size);
	vg_rd_copy(&rd, p->md5, 16);
	vg_rd_u64(&rd, &p->mtime);
	vg_rd_u8(&rd, &on);
	if (on >= sizeof(p->object))
		return VG_EINTEGRITY;
	vg_rd_copy(&rd, p->object, on);
	p->object[on] = 0;
	if (rd.err || ver != 1 || vg_rd_left(&rd))
		return VG_EINTEGRITY;
	return 0;
}

/* Walks the part records; del: deletes them instead. */
static int walk(struct vcore *c, uint64_t item_id, uint64_t point, bool del,
	struct vs3_part **out, size_t *n)
{
	char pfx[80];
	size_t pl = ppfx(pfx, sizeof(pfx), item_id, point), cap = 0;
	MDB_txn *txn;
	MDB_cursor *cur = NULL;
	MDB_val k, v;
	int r;

	if ((r = vdb_begin(c->db, !del ? false : true, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, pfx, pl, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, pfx, pl, &k, &v, false)) {
		struct vs3_part *p;
		if (del) {
			if ((r = vdb_err(mdb_cursor_del(cur, 0))))
				break;
			continue;
		}
		if (!(p = vcore_push(out, n, &cap, sizeof(**out)))) {
			r = -12;
			break;
		}
		if (part_dec(&k, pl, &v, p))
			(*n)--;
	}
	r = r == VG_ENOTFOUND ? 0 : r;
out:
	if (cur)
		mdb_cursor_close(cur);
	if (del && r == 0)
		return vdb_commit(txn);
	vdb_abort(txn);
	return r;
}

int vs3_parts(struct vcore *c, uint64_t item_id, uint64_t point, struct vs3_part **out,
	size_t *n)
{
	int r;

	*out = NULL;
	*n = 0;
	if ((r = walk(c, item_id, point, false, out, n))) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return r;
}

int vs3_parts_del(struct vcore *c, uint64_t item_id, uint64_t point)
{
	return walk(c, item_id, point, true, NULL, NULL);
}

int vs3_forget_point(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t point)
{
	char k[80];
	size_t pl = ppfx(k, sizeof(k), item_id, point);
	MDB_cursor *cur;
	MDB_val kv, v;
	int r;

	if ((r = vdb_cursor(c->db, txn, VDB_META, &cur)))
		return r;
	for (r = vdb_seek_prefix(cur, k, pl, &kv, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, k, pl, &kv, &v, false))
		if ((r = vdb_err(mdb_cursor_del(cur, 0))))
			break;
	mdb_cursor_close(cur);
	if (r && r != VG_ENOTFOUND)
		return r;
	pl = (size_t)snprintf(k, sizeof(k), "s3v/%016llx/%016llx", (unsigned long long)item_id,
		(unsigned long long)point);
	r = vdb_del(c->db, txn, VDB_META, k, pl);
	return r == VG_ENOTFOUND ? 0 : r;
}
