/* restic.h - restic repositories as vault items (PROTOCOLS.md §1, SPEC §10).
 *
 * A restic item holds one container point; each restic file is an object
 * named "config" or "TYPE:ID" (TYPE in keys, locks, snapshots, index, data;
 * ID 64 lowercase hex, the SHA-256 of the body for every type but config).
 * A snapshot file also records a recovery point (kind snapshot) with its
 * time and expiry; the two move together (deleted and undeleted as one).
 *
 * Deletes, decided here and nowhere else:
 *   - locks/ files: removed at once, by anyone who may back up the item.
 *   - anything else by a principal below Contributor (agents, operators):
 *     refused (VG_EDENIED), audited, counted toward mass-deletion, and a
 *     restic-delete-denied alert (at most one per item per 10 minutes).
 *   - under immutability, a file younger than its lock (upload time + the
 *     item policy's daily days) is refused (VG_EIMMUTABLE).
 *   - otherwise soft: gone from lists and GETs at once, purged after the
 *     vault's soft-delete window. With soft delete off, data/ and index/
 *     files are removed at once; config, keys/ and snapshots/ stay soft
 *     (for soft-delete-days, at least 14).
 *   - a keys/ delete raises restic-key-removed (critical); a new key file
 *     raises restic-key-added (warning).
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

/* What a delete really did, for the reply (SPEC §2: the truth). */
enum vrestic_outcome {
	VRESTIC_DEL_ABSENT = 0,     /* no such live file: nothing to do (restic retries) */
	VRESTIC_DEL_LOCK,           /* a lock, removed */
	VRESTIC_DEL_SOFT,           /* soft-deleted until purge_at */
	VRESTIC_DEL_PERMANENT,      /* removed for good */
};
struct vrestic_del {
	enum vrestic_outcome outcome;
	uint64_t purge_at;
};
/* On refusal returns the error and fills why (already audited). */
int vrestic_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *object, struct vrestic_del *out, char *why, size_t whysz);

/* A soft-deleted file, as `vaultctl restic deleted` shows it. */
struct vrestic_deleted {
	const char *name;
	uint64_t size, created, deleted_at, purge_at;
	uint64_t lock_until;        /* 0 when the vault is not immutable */
	const char *deleted_by;
};
int vrestic_deleted_list(struct vcore *c, const char *vault, const char *item,
	int (*cb)(void *arg, const struct vrestic_deleted *d), void *arg);
/* Brings soft-deleted files back: one (name), or every one deleted at or
 * after since (name NULL; since 0 = all). Snapshot files bring their
 * recovery points back. *count gets the number restored; a named file that
 * is not soft-deleted is VG_ENOTFOUND. */
int vrestic_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *name, uint64_t since, uint32_t *count, char *why,
	size_t whysz);

/* Seconds a file of vault/item stays locked after its upload (0 when the
 * vault is not immutable or the item is no restic repository). */
int vrestic_lock_secs(struct vcore *c, const char *vault, const char *item, uint64_t *secs);

#endif
