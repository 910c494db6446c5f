/* db.c - see db.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "vg_err.h"

static const char *const vdb_names[VDB_N] = {
	[VDB_VAULTS] = "vaults",
	[VDB_ITEMS] = "items",
	[VDB_POINTS] = "points",
	[VDB_OBJECTS] = "objects",
	[VDB_BLOBS] = "blobs",
	[VDB_AUDIT] = "audit",
	[VDB_META] = "meta",
	[VDB_PRINCIPALS] = "principals",
	[VDB_TOKENS] = "tokens",
	[VDB_ROLES] = "roles",
	[VDB_GUARDS] = "guards",
	[VDB_REQUESTS] = "requests",
	[VDB_PINS] = "pins",
	[VDB_ALERTS] = "alerts",
	[VDB_JOBS] = "jobs",
	[VDB_POLICIES] = "policies",
	[VDB_OUTBOX] = "outbox",
};

int vdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return VG_ENOTFOUND;
	case MDB_KEYEXIST:
		return VG_EEXISTS;
	case MDB_MAP_FULL:
		return VG_ENOSPACE;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return VG_EINTEGRITY;
	case MDB_BAD_TXN:
		return VG_EBADSTATE;
	default:
		if (rc > 0 && rc < 4096)
			return -rc;
		return VG_EINTERNAL;
	}
}

static int db_open(const char *dir, size_t mapsize, bool ro, struct vdb **out)
{
	struct vdb *db = calloc(1, sizeof(*db));
	MDB_txn *txn = NULL;
	int rc;

	*out = NULL;
	if (!db)
		return -ENOMEM;
	if ((rc = mdb_env_create(&db->env)) ||
	    (rc = mdb_env_set_maxdbs(db->env, VDB_N + 2)) ||
	    (rc = mdb_env_set_mapsize(db->env, mapsize)) ||
	    (rc = mdb_env_set_maxreaders(db->env, 512)) ||
	    (rc = mdb_env_open(db->env, dir, MDB_NOTLS | (ro ? MDB_RDONLY : 0), 0600)))
		goto fail;
	if ((rc = mdb_txn_begin(db->env, NULL, ro ? MDB_RDONLY : 0, &txn)))
		goto fail;
	for (int i = 0; i < VDB_N; i++)
		if ((rc = mdb_dbi_open(txn, vdb_names[i], ro ? 0 : MDB_CREATE, &db->dbi[i])))
			goto fail;
	if ((rc = mdb_txn_commit(txn))) {
		txn = NULL;
		goto fail;
	}
	*out = db;
	return 0;
fail:
	if (txn)
		mdb_txn_abort(txn);
	if (db->env)
		mdb_env_close(db->env);
	free(db);
	return rc == MDB_NOTFOUND ? VG_EINTEGRITY : vdb_err(rc);
}

int vdb_open(const char *dir, size_t mapsize, struct vdb **out)
{
	return db_open(dir, mapsize, false, out);
}

int vdb_open_ro(const char *dir, size_t mapsize, struct vdb **out)
{
	return db_open(dir, mapsize, true, out);
}

void vdb_close(struct vdb *db)
{
	if (!db)
		return;
	mdb_env_close(db->env);
	free(db);
}

int vdb_begin(struct vdb *db, bool write, MDB_txn **txn)
{
	return vdb_err(mdb_txn_begin(db->env, NULL, write ? 0 : MDB_RDONLY, txn));
}

int vdb_commit(MDB_txn *txn)
{
	return vdb_err(mdb_txn_commit(txn));
}

void vdb_abort(MDB_txn *txn)
{
	if (txn)
		mdb_txn_abort(txn);
}

int vdb_get(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn, MDB_val *v)
{
	MDB_val key = {kn, (void *)k};
	return vdb_err(mdb_get(txn, db->dbi[d], &key, v));
}

int vdb_put(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn,
	const void *v, size_t vn, bool no_overwrite)
{
	MDB_val key = {kn, (void *)k}, val = {vn, (void *)v};
	return vdb_err(mdb_put(txn, db->dbi[d], &key, &val, no_overwrite ? MDB_NOOVERWRITE : 0));
}

int vdb_del(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn)
{
	MDB_val key = {kn, (void *)k};
	return vdb_err(mdb_del(txn, db->dbi[d], &key, NULL));
}

int vdb_cursor(struct vdb *db, MDB_txn *txn, enum vdb_name d, MDB_cursor **c)
{
	return vdb_err(mdb_cursor_open(txn, db->dbi[d], c));
}

int vdb_seek_prefix(MDB_cursor *c, const void *prefix, size_t pn, MDB_val *k, MDB_val *v, bool first)
{
	int rc;

	if (first) {
		k->mv_size = pn;
		k->mv_data = (void *)prefix;
		rc = pn ? mdb_cursor_get(c, k, v, MDB_SET_RANGE) : mdb_cursor_get(c, k, v, MDB_FIRST);
	} else {
		rc = mdb_cursor_get(c, k, v, MDB_NEXT);
	}
	if (rc)
		return vdb_err(rc);
	if (k->mv_size < pn || memcmp(k->mv_data, prefix, pn) != 0)
		return VG_ENOTFOUND;
	return 0;
}

int vdb_each(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *prefix, size_t plen,
	int (*cb)(void *arg, const MDB_val *k, const MDB_val *v), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = vdb_cursor(db, txn, d, &cur)))
		return r;
	for (r = vdb_seek_prefix(cur, prefix, plen, &k, &v, true); r == 0;
	     r = vdb_seek_prefix(cur, prefix, plen, &k, &v, false))
		if ((r = cb(arg, &k, &v)))
			break;
	mdb_cursor_close(cur);
	return r == VG_ENOTFOUND ? 0 : r;
}
