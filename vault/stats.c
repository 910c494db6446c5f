/* stats.c - see stats.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "core_int.h"
#include "stats.h"
#include "vg_err.h"

#define GROW(arr, n, cap)                                                        \
	((n) < (cap) ? 0 : ((cap) = (cap) ? (cap) * 2 : 16,                      \
			    (arr = reallocarray_or_free(arr, (cap), sizeof(*(arr)))) ? 0 : -1))

static void *reallocarray_or_free(void *p, size_t n, size_t sz)
{
	void *np = n && sz <= SIZE_MAX / n ? realloc(p, n * sz) : NULL;

	if (!np)
		free(p);
	return np;
}

/* Sums a restic item's files in its container point. */
static int repo_bytes(struct vcore *c, MDB_txn *txn, uint64_t repo_point, uint64_t *active,
	uint64_t *deleted)
{
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[8];
	int r;

	if ((r = vdb_cursor(c->db, txn, VDB_OBJECTS, &cur)))
		return r;
	vg_put_u64(prefix, repo_point);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &v, false)) {
		struct vr_object o;
		if ((r = vr_object_dec(v.mv_data, v.mv_size, &o)))
			break;
		if (o.state == VR_O_ACTIVE)
			*active += o.size;
		else
			*deleted += o.size;
	}
	mdb_cursor_close(cur);
	return r == VG_ENOTFOUND ? 0 : r;
}

static int collect_points(struct vcore *c, MDB_txn *txn, struct vstats *st, size_t ii,
	bool keep, size_t *pcap)
{
	struct vstats_item *s = &st->items[ii];
	bool dead = s->it.state == VR_I_SOFTDELETED ||
		    st->vaults[s->vault].v.state != VR_V_ACTIVE;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t prefix[8];
	int r;

	if ((r = vdb_cursor(c->db, txn, VDB_POINTS, &cur)))
		return r;
	vg_put_u64(prefix, s->it.id);
	for (r = vdb_seek_prefix(cur, prefix, 8, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, 8, &k, &v, false)) {
		struct vr_point p;
		if ((r = vr_point_dec(v.mv_data, v.mv_size, &p)))
			break;
		if (p.state == VR_P_PENDING)
			continue;
		if (p.kind == VR_PK_REPO) {
			uint64_t a = 0, d = 0;
			if ((r = repo_bytes(c, txn, p.id, &a, &d)))
				break;
			s->stored += dead ? 0 : a;
			s->soft_deleted += dead ? a + d : d;
			continue;  /* the container is no recovery point */
		}
		if (p.state == VR_P_ACTIVE && !dead) {
			s->points++;
			if (p.kind == VR_PK_BACKUP)
				s->stored += p.bytes;
		} else if (p.kind == VR_PK_BACKUP) {
			s->soft_deleted += p.bytes;
		}
		if (keep) {
			if (GROW(st->points, st->npoints, *pcap)) {
				r = -ENOMEM;
				break;
			}
			st->points[st->npoints].item = ii;
			st->points[st->npoints++].p = p;
		}
	}
	mdb_cursor_close(cur);
	return r == VG_ENOTFOUND ? 0 : r;
}

int vstats_collect(struct vcore *c, const char *only_vault, bool points, struct vstats *st)
{
	size_t vcap = 0, icap = 0, pcap = 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = vdb_begin(c->db, false, &txn)))
		return r;
	if ((r = vdb_cursor(c->db, txn, VDB_VAULTS, &cur)))
		goto out;
	for (r = vdb_seek_prefix(cur, "", 0, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, "", 0, &k, &v, false)) {
		struct vstats_vault *sv;
		if (k.mv_size > VG_VAULT_NAME_MAX) {
			r = VG_EINTEGRITY;
			break;
		}
		if (GROW(st->vaults, st->nvaults, vcap)) {
			r = -ENOMEM;
			break;
		}
		sv = &st->vaults[st->nvaults];
		memcpy(sv->name, k.mv_data, k.mv_size);
		sv->name[k.mv_size] = 0;
		if (only_vault && strcmp(only_vault, sv->name) != 0)
			continue;
		if ((r = vr_vault_dec(v.mv_data, v.mv_size, &sv->v)))
			break;
		st->nvaults++;
	}
	mdb_cursor_close(cur);
	if (r != VG_ENOTFOUND)
		goto out;
	r = 0;
	for (size_t vi = 0; !r && vi < st->nvaults; vi++) {
		uint8_t prefix[8];
		if ((r = vdb_cursor(c->db, txn, VDB_ITEMS, &cur)))
			break;
		vg_put_u64(prefix, st->vaults[vi].v.id);
		for (r = vdb_seek_prefix(cur, prefix, 8, &k, &v, true); r == 0;
		     r = vdb_seek_prefix(cur, prefix, 8, &k, &v, false)) {
			struct vstats_item *si;
			if (k.mv_size - 8 > VG_ITEM_NAME_MAX) {
				r = VG_EINTEGRITY;
				break;
			}
			if (GROW(st->items, st->nitems, icap)) {
				r = -ENOMEM;
				break;
			}
			si = &st->items[st->nitems];
			memset(si, 0, sizeof(*si));
			si->vault = vi;
			memcpy(si->name, (uint8_t *)k.mv_data + 8, k.mv_size - 8);
			si->name[k.mv_size - 8] = 0;
			if ((r = vr_item_dec(v.mv_data, v.mv_size, &si->it)))
				break;
			st->nitems++;
		}
		mdb_cursor_close(cur);
		if (r == VG_ENOTFOUND)
			r = 0;
	}
	for (size_t ii = 0; !r && ii < st->nitems; ii++)
		r = collect_points(c, txn, st, ii, points, &pcap);
out:
	vdb_abort(txn);
	if (r)
		vstats_free(st);
	return r;
}

void vstats_free(struct vstats *st)
{
	free(st->vaults);
	free(st->items);
	free(st->points);
	memset(st, 0, sizeof(*st));
}
