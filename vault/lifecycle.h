/* lifecycle.h - what may be deleted, changed or recovered, and when:
 * soft delete (SPEC §2), immutability (§3), vault security settings,
 * policy changes (§7 with §2's retention cuts) and the purger.
 *
 * Every function checks, inside one write transaction: the vault's
 * immutability, then multi-user authorization (mua.h), then the state
 * machine; it writes its audit entry and any alert in that transaction.
 * On refusal it returns the error and fills why with an operator message;
 * the caller audits the refusal.
 */
#ifndef VAULT_LIFECYCLE_H
#define VAULT_LIFECYCLE_H

#include "core.h"

int vlife_vault_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *setting, const char *value, char *why, size_t whysz);
int vlife_vault_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	char *why, size_t whysz);
int vlife_vault_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	char *why, size_t whysz);
int vlife_policy_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *name, const char *spec, char *why, size_t whysz);
int vlife_item_set_policy(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *policy, char *why, size_t whysz);
/* Stop protection: retain data (stopped-retain) or delete it (soft delete).
 * Agents need a security PIN to delete. */
int vlife_item_stop(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, bool delete_data, char *why, size_t whysz);
int vlife_item_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz);
int vlife_item_resume(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz);
int vlife_point_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, char *why, size_t whysz);
int vlife_point_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, char *why, size_t whysz);
/* Counts one deletion (or denied deletion) by who toward mass-deletion
 * (5 within 10 minutes raise the alert once), inside txn. */
void vlife_note_deletion(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault);

struct vlife_purge_stats {
	uint32_t vaults, items, points, objects, expired, warned, aborted;
	uint32_t sealed;                            /* vaults skipped: key unavailable */
	char sealed_vault[VG_VAULT_NAME_MAX + 1];   /* the first of them */
};
/* One purger pass at vault_now(). A vault whose keys cannot be used now
 * (a CMK revoked or its token unreachable) is skipped whole and counted in
 * sealed: nothing of a sealed vault is purged until its key returns. */
int vlife_purge(struct vcore *c, struct vlife_purge_stats *st);

#endif
