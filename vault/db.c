/* db.c - see db.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "log.h"

#include "buf.h"
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

/* Space and I/O failures: LMDB's own codes and the errnos of its writes
 * become clear ones, with one log line (at most every 10 s), since the
 * caller only sees the code. A short write on a full filesystem comes back
 * from LMDB as EIO: with the filesystem (nearly) full it is a space error. */
static int io_err(MDB_env *env, int rc)
{
	static uint64_t last_log;
	const char *dir = "?";
	struct statvfs sv;
	unsigned long long avail = 0, used = 0, map = 0;
	MDB_envinfo ei;
	MDB_stat st;
	time_t now = time(NULL);
	int r;

	if (rc != MDB_MAP_FULL && rc != ENOSPC && rc != EDQUOT && rc != EIO &&
	    rc != MDB_TXN_FULL && rc != MDB_PANIC)
		return vdb_err(rc);
	(void)mdb_env_get_path(env, &dir);
	if (statvfs(dir, &sv) == 0)
		avail = (unsigned long long)sv.f_bavail * sv.f_frsize;
	if (mdb_env_info(env, &ei) == 0 && mdb_env_stat(env, &st) == 0) {
		used = (unsigned long long)(ei.me_last_pgno + 1) * st.ms_psize;
		map = (unsigned long long)ei.me_mapsize;
	}
	switch (rc) {
	case EIO:
		r = avail < VDB_LOW_SPACE ? VG_ENOSPACE : -EIO;
		break;
	case MDB_TXN_FULL:
		r = VG_ETOOBIG;
		break;
	case MDB_PANIC:
		r = VG_EINTERNAL;
		break;
	default:
		r = VG_ENOSPACE;
		break;
	}
	if ((uint64_t)now - __atomic_load_n(&last_log, __ATOMIC_RELAXED) >= 10) {
		__atomic_store_n(&last_log, (uint64_t)now, __ATOMIC_RELAXED);
		log_warnx("metadata %s: write failed: %s (%s; %llu bytes free on its filesystem, "
			"LMDB map %llu of %llu bytes used)", dir,
			r == VG_ENOSPACE ? "no space left for the metadata" : mdb_strerror(rc),
			rc == MDB_MAP_FULL ? "the LMDB map is full" : rc == EIO ?
			(r == VG_ENOSPACE ? "a short write on a full filesystem" : "an I/O error: a disk fault?") :
			mdb_strerror(rc), avail, used, map);
	}
	return r;
}

int vdb_commit(MDB_txn *txn)
{
	MDB_env *env = mdb_txn_env(txn);
	int rc = mdb_txn_commit(txn);

	return rc ? io_err(env, rc) : 0;
}

int vdb_space_low(struct vdb *db, uint64_t reserve, char *why, size_t whysz)
{
	const char *dir = "?";
	struct statvfs sv;
	MDB_envinfo ei;
	MDB_stat st;

	(void)mdb_env_get_path(db->env, &dir);
	if (statvfs(dir, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < reserve) {
		snprintf(why, whysz, "metadata space low: %llu bytes free on the filesystem of %s "
			"(reserve %llu): new backups are refused until space is freed",
			(unsigned long long)sv.f_bavail * sv.f_frsize, dir, (unsigned long long)reserve);
		return VG_ENOSPACE;
	}
	if (mdb_env_info(db->env, &ei) == 0 && mdb_env_stat(db->env, &st) == 0 &&
	    ei.me_mapsize - (uint64_t)(ei.me_last_pgno + 1) * st.ms_psize < reserve) {
		snprintf(why, whysz, "metadata space low: the LMDB map of %s is %llu of %llu bytes full "
			"(reserve %llu): new backups are refused", dir,
			(unsigned long long)(ei.me_last_pgno + 1) * st.ms_psize,
			(unsigned long long)ei.me_mapsize, (unsigned long long)reserve);
		return VG_ENOSPACE;
	}
	return 0;
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
	int rc = mdb_put(txn, db->dbi[d], &key, &val, no_overwrite ? MDB_NOOVERWRITE : 0);

	return rc == MDB_MAP_FULL || rc == MDB_TXN_FULL ? io_err(db->env, rc) : vdb_err(rc);
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

int vdb_copy_fd(struct vdb *db, int fd)
{
	return vdb_err(mdb_env_copyfd2(db->env, fd, MDB_CP_COMPACT));
}

int vdb_key_name(const MDB_val *k, size_t skip, size_t max, char *out)
{
	if (k->mv_size < skip || k->mv_size - skip > max)
		return VG_EINTEGRITY;
	memcpy(out, (const uint8_t *)k->mv_data + skip, k->mv_size - skip);
	out[k->mv_size - skip] = 0;
	return 0;
}

int vdb_each_ro(struct vdb *db, enum vdb_name d, const void *prefix, size_t plen,
	int (*cb)(void *arg, const MDB_val *k, const MDB_val *v), void *arg)
{
	MDB_txn *txn;
	int r;

	if ((r = vdb_begin(db, false, &txn)))
		return r;
	r = vdb_each(db, txn, d, prefix, plen, cb, arg);
	vdb_abort(txn);
	return r;
}

int vdb_meta_bump(struct vdb *db, MDB_txn *txn, const char *key)
{
	uint8_t b[8];
	uint64_t n = 0;
	MDB_val v;
	int r = vdb_get(db, txn, VDB_META, key, strlen(key), &v);

	if (r == 0 && v.mv_size == 8)
		n = vg_get_u64(v.mv_data);
	else if (r && r != VG_ENOTFOUND)
		return r;
	vg_put_u64(b, n + 1);
	return vdb_put(db, txn, VDB_META, key, strlen(key), b, 8, false);
}
