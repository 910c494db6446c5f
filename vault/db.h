/* db.h - the LMDB environment: one env, named databases per record type.
 *
 * Errors from LMDB are translated here (MDB_NOTFOUND -> VG_ENOTFOUND,
 * MDB_MAP_FULL -> VG_ENOSPACE, ...). MDB_val pointers are only valid until
 * the transaction ends; callers decode into their own structs at once.
 */
#ifndef VAULT_DB_H
#define VAULT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lmdb.h>

enum vdb_name {
	VDB_VAULTS,
	VDB_ITEMS,
	VDB_POINTS,
	VDB_OBJECTS,
	VDB_BLOBS,
	VDB_AUDIT,
	VDB_META,
	VDB_PRINCIPALS,
	VDB_TOKENS,
	VDB_ROLES,
	VDB_GUARDS,
	VDB_REQUESTS,
	VDB_PINS,
	VDB_ALERTS,
	VDB_JOBS,
	VDB_POLICIES,
	VDB_OUTBOX,     /* u64 alert seq -> empty: alerts not yet delivered by vaultnotify */
	VDB_N
};

struct vdb {
	MDB_env *env;
	MDB_dbi dbi[VDB_N];
};

int vdb_open(const char *dir, size_t mapsize, struct vdb **out);
/* MDB_RDONLY: no database is created; a missing one is VG_EINTEGRITY. */
int vdb_open_ro(const char *dir, size_t mapsize, struct vdb **out);
void vdb_close(struct vdb *db);
int vdb_begin(struct vdb *db, bool write, MDB_txn **txn);
int vdb_commit(MDB_txn *txn);
void vdb_abort(MDB_txn *txn);

int vdb_get(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn, MDB_val *v);
int vdb_put(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn,
	const void *v, size_t vn, bool no_overwrite);
int vdb_del(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn);
int vdb_cursor(struct vdb *db, MDB_txn *txn, enum vdb_name d, MDB_cursor **c);
/* Positions at the first key >= prefix; then next. Returns VG_ENOTFOUND at
 * the end or when the key no longer starts with the prefix. */
int vdb_seek_prefix(MDB_cursor *c, const void *prefix, size_t pn, MDB_val *k, MDB_val *v, bool first);

/* Calls cb for every record whose key starts with prefix (plen 0: all),
 * in key order, until cb returns non-zero (that value is returned). */
int vdb_each(struct vdb *db, MDB_txn *txn, enum vdb_name d, const void *prefix, size_t plen,
	int (*cb)(void *arg, const MDB_val *k, const MDB_val *v), void *arg);

/* The name a key holds after `skip` prefix bytes (an item or object key:
 * the 8-byte parent id, then the name), copied NUL-terminated into out
 * (max + 1 bytes). VG_EINTEGRITY if the key is shorter than skip or the
 * name longer than max: the one bounds check of every table keyed by name. */
int vdb_key_name(const MDB_val *k, size_t skip, size_t max, char *out);
/* Adds one to the u64 counter under key in VDB_META (absent: 0). */
int vdb_meta_bump(struct vdb *db, MDB_txn *txn, const char *key);
/* vdb_each in a read transaction of its own. */
int vdb_each_ro(struct vdb *db, enum vdb_name d, const void *prefix, size_t plen,
	int (*cb)(void *arg, const MDB_val *k, const MDB_val *v), void *arg);

int vdb_err(int mdb_rc);
/* A compacted, consistent copy of the environment (one read transaction)
 * written to fd (the metadata checkpoint). */
int vdb_copy_fd(struct vdb *db, int fd);

/* Below this many free bytes on the metadata's filesystem, an EIO from a
 * commit is a short write on a full disk: VG_ENOSPACE. */
#define VDB_LOW_SPACE (1u << 20)
/* VG_ENOSPACE with why ("metadata space low: ...") when fewer than reserve
 * bytes are free on the metadata's filesystem or in the LMDB map. */
int vdb_space_low(struct vdb *db, uint64_t reserve, char *why, size_t whysz);

#endif
