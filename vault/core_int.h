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

/* Blob ids collected inside a transaction, unlinked after it commits. */
struct vcore_blobs {
	uint8_t (*ids)[VC_BLOBID_LEN];
	size_t n, cap;
};
/* Removes a point's records (objects, blob refs, the point) inside txn. */
int vcore_drop_point(struct vcore *c, MDB_txn *txn, const struct vr_point *p,
	struct vcore_blobs *bl);
void vcore_unlink_blobs(struct vcore *c, struct vcore_blobs *bl);

/* restic.c: a snapshot file arrived in a restic item; records the
 * recovery point it starts (inside the upload's transaction). */
int vcore_snapshot_added(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, const char *object, uint64_t size, const struct vcaller *who);

#endif
