/* core_int.h - what the vault's policy modules (auth.c, policy.c, mua.c,
 * lifecycle.c, restic.c, purger.c, alerts.c) share with core.c: record
 * access inside a caller's transaction. Not for server.c or clients. */
#ifndef VAULT_CORE_INT_H
#define VAULT_CORE_INT_H

#include "core.h"

int vcore_put(struct vcore *c, MDB_txn *txn, enum vdb_name d, const void *k, size_t kn,
	const void *rec, bool no_overwrite);
int vcore_get_vault(struct vcore *c, MDB_txn *txn, const char *name, struct vr_vault *v);
int vcore_get_item(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	struct vr_item *it);
int vcore_get_point(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t pid,
	struct vr_point *p);
int vcore_put_item(struct vcore *c, MDB_txn *txn, const char *name, const struct vr_item *it);
int vcore_put_point(struct vcore *c, MDB_txn *txn, const struct vr_point *p);
/* vault (active) and, if item is non-NULL, item (not soft-deleted). */
int vcore_resolve(struct vcore *c, MDB_txn *txn, const char *vault, const char *item,
	struct vr_vault *v, struct vr_item *it);
int vcore_audit_txn(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *op,
	const char *target, const char *result, const char *reason);

/* Appends one zeroed element to a growable array; NULL when out of memory. */
void *vcore_push(void *arrp, size_t *n, size_t *cap, size_t elsz);
/* Every point record of an item (any state, any kind), in key order. */
int vcore_item_points(struct vcore *c, MDB_txn *txn, uint64_t item_id, struct vr_point **out,
	size_t *n);

/* Blob ids collected inside a transaction, unlinked after it commits. */
struct vcore_blobs {
	uint8_t (*ids)[VC_BLOBID_LEN];
	size_t n, cap;
};
/* Removes a point's records (objects, blob refs, the point) inside txn. */
int vcore_drop_point(struct vcore *c, MDB_txn *txn, const struct vr_point *p,
	struct vcore_blobs *bl);
void vcore_unlink_blobs(struct vcore *c, struct vcore_blobs *bl);

/* restic.c: a new file arrived in a restic item (inside the upload's
 * transaction). A snapshot records the recovery point it starts and is the
 * item's successful backup (it->last_success, written back); a key file
 * raises restic-key-added. */
int vcore_restic_added(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const char *vault, const char *item, struct vr_item *it, const char *object,
	uint64_t size, const struct vcaller *who);
/* restic.c: snapshot point p of restic item it was just deleted or
 * undeleted (inside txn); its snapshot file follows it. */
int vcore_restic_point_moved(struct vcore *c, MDB_txn *txn, const struct vr_item *it,
	const struct vr_point *p, const struct vcaller *who);

/* ---- keyring.c ---------------------------------------------------------- */

/* The keys of one vault for one upload or download (the caller wipes). */
struct vcore_keys {
	uint8_t dek[VK_DEK_LEN];
	uint8_t infra[VK_DEK_LEN];
	int has_infra;
};
/* Never called inside a write transaction: sealing writes its own. */
int vcore_keys_get(struct vcore *c, const char *vault, const struct vr_vault *v,
	struct vcore_keys *k);
void vcore_keys_wipe(struct vcore_keys *k);
/* Fills v's wrapped DEK (platform key) and, with infra, its wrapped
 * infrastructure DEK, from fresh random keys. v->id must be set. */
int vcore_keys_new_vault(struct vcore *c, struct vr_vault *v, bool infra);
/* At vcore_open: the infrastructure key if present, the instance id, and
 * the seals persisted by an earlier run. */
int vcore_keyring_open(struct vcore *c, char *why, size_t whysz);
void vcore_keyring_close(struct vcore *c);
bool vcore_keyref_is_cmk(const char *keyref);

/* ---- jobs.c ------------------------------------------------------------ */

/* Appends a job record inside txn and counts it for /metrics. */
int vcore_job_put(struct vcore *c, MDB_txn *txn, const struct vcaller *who, const char *vault,
	const char *item, uint8_t kind, uint8_t result, uint64_t point, uint64_t bytes,
	const char *detail);

#endif
