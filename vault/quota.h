/* quota.h - quotas on vaults and items, and the disk's free-space floor
 * (issue 14).
 *
 * Settings live in the meta database, so no record layout changes:
 *
 *   quota/v/<vault id>   u64 bytes   `vaultctl vault set V quota BYTES`
 *   quota/i/<item id>    u64 bytes   `vaultctl item set V I quota BYTES`
 *   qwarn/v|i/<id>       u64 time    quota-warning raised for this crossing of 90 %
 *   qexc/v|i/<id>        u64 time    last quota-exceeded alert (at most one an hour)
 *   disklow              u64 time    last disk-low alert (at most one an hour)
 *
 * Usage is what occupies the disk: every stored object of every point of
 * the item (active, soft-deleted or pending), summed when a quota is set
 * (a quota costs one scan of the item's, or vault's, object records per
 * upload; an item without one costs nothing).
 *
 * vquota_admit() runs before an upload stores its first byte: a declared
 * size past the quota, or a usage already at it, is VG_ENOSPACE with the
 * reason in why, and quota-exceeded is raised. It also hands back the bytes
 * the upload may still write (for bodies of unknown size), which
 * vcore_upload_write() enforces. The disk floor (vaultd --disk-floor,
 * default VQUOTA_FLOOR_DEFAULT): an upload is refused when the free space
 * minus its declared size (+1 %) would fall below it, and a running upload
 * stops at the first segment that finds the floor crossed, so LMDB and the
 * blob directory keep that much room; `disk-low` is raised. The metadata
 * reserve (vcore_meta_space, core.h) is checked first by the same call, so
 * its refusals raise `disk-low` too.
 */
#ifndef VAULT_QUOTA_H
#define VAULT_QUOTA_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#define VQUOTA_FLOOR_DEFAULT (64ull << 20)

/* The process-wide disk floor in bytes (vaultd sets it once at start). */
void vquota_set_floor(uint64_t bytes);
uint64_t vquota_floor(void);

/* "1048576", "512K", "10M", "10MiB", "2G", "1T"; "none" or "0" is no quota. */
int vquota_parse_bytes(const char *s, uint64_t *out);

/* Reads/writes meta "quota/v/ID" or "quota/i/ID" (0: none) inside txn. */
int vquota_get(struct vcore *c, MDB_txn *txn, char kind, uint64_t id, uint64_t *bytes);
int vquota_put(struct vcore *c, MDB_txn *txn, char kind, uint64_t id, uint64_t bytes);

/* `vault set V quota BYTES` (audited as vault.set quota=BYTES). */
int vquota_vault_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *value, char *why, size_t whysz);

/* Bytes stored for an item, and for a vault (all its items). */
int vquota_item_usage(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t *bytes);
int vquota_vault_usage(struct vcore *c, MDB_txn *txn, uint64_t vault_id, uint64_t *bytes);

/* Before an upload of want bytes (UINT64_MAX: unknown). 0 and *limit (the
 * bytes the upload may write; UINT64_MAX without a quota), or VG_ENOSPACE
 * with why filled and the alert raised. */
int vquota_admit(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t want, uint64_t *limit, char *why, size_t whysz);
/* After a successful upload: quota-warning when usage reached 90 %. */
void vquota_after(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item);
/* Appends " quota=Q used=U" (when a quota is set) and, for items,
 * " expect_every=S missed=0|1" (when an expectation is set) to buf: the
 * report rows' DETAIL (h_monitor.c). */
void vquota_report_detail(struct vcore *c, char kind, uint64_t id, char *buf, size_t n);
/* Free space against the floor (the purger's pass): disk-low if below,
 * at most once an hour. Returns 1 if below the floor, 0 if not. */
int vquota_disk_check(struct vcore *c, uint64_t want, char *why, size_t whysz);

#endif
