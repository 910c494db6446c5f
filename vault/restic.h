/* restic.h - restic repositories as vault items (PROTOCOLS.md §1).
 *
 * A restic item holds one container point; each restic file is an object
 * named "config" or "TYPE:ID" (TYPE in keys, locks, snapshots, index, data;
 * ID 64 lowercase hex, the SHA-256 of the body for every type but config).
 * A snapshot file also records a recovery point (kind snapshot) with its
 * time and expiry. Deletes follow the vault's rules: locks are removed at
 * once; anything else is refused while the vault is immutable and
 * otherwise soft-deleted.
 */
#ifndef VAULT_RESTIC_H
#define VAULT_RESTIC_H

#include "core.h"

/* 0 if name is "config" or "TYPE:ID" with a valid type and id; *type gets
 * the type ("config" for config). VG_ENAME otherwise. */
int vrestic_name_check(const char *name, char type[16]);
int vrestic_type_check(const char *type);

/* Idempotent: creates the restic item if missing (created = 1). */
int vrestic_create(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, int may_create, int *created);
int vrestic_list(struct vcore *c, const char *vault, const char *item, const char *type,
	int (*cb)(void *arg, const char *id, uint64_t size), void *arg);
/* Deleting a missing object succeeds (restic retries). */
int vrestic_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *object);

#endif
