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

/* What a delete or a setting change really did (SPEC §2: every delete
 * answers "soft-deleted until T" or "permanently deleted"; SPEC §11: a
 * weakening change is pending until T). Filled by the code path that did
 * it; may be NULL. */
enum vlife_result {
	VLIFE_DONE = 0,      /* applied now (no delete involved) */
	VLIFE_SOFT,          /* soft-deleted until at */
	VLIFE_PERMANENT,     /* permanently deleted now */
	VLIFE_PENDING,       /* accepted as pending change id, effective at */
};
/* mass-deletion: this many deletions by one principal within the window
 * (seconds), counted in a table of VLIFE_MASS_SLOTS (window.h) held by the
 * vcore. */
#define VLIFE_MASS_WINDOW 600
#define VLIFE_MASS_THRESHOLD 5
#define VLIFE_MASS_SLOTS 64

struct vlife_outcome {
	enum vlife_result result;
	uint64_t at;
	char id[17];
};
/* "soft-deleted until 2026-12-21T18:00:00Z", "permanently deleted",
 * "pending until ... (id ...)" or "done". */
void vlife_outcome_str(const struct vlife_outcome *o, char *buf, size_t n);

int vlife_vault_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *setting, const char *value, struct vlife_outcome *out, char *why, size_t whysz);
int vlife_vault_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	struct vlife_outcome *out, char *why, size_t whysz);
int vlife_vault_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	char *why, size_t whysz);
int vlife_policy_set(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *name, const char *spec, struct vlife_outcome *out, char *why, size_t whysz);
int vlife_item_set_policy(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *policy, struct vlife_outcome *out, char *why, size_t whysz);
/* Stop protection: retain data (stopped-retain) or delete it (soft delete).
 * Agents need a security PIN to delete. */
int vlife_item_stop(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, bool delete_data, struct vlife_outcome *out, char *why, size_t whysz);
int vlife_item_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz);
int vlife_item_resume(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, char *why, size_t whysz);
int vlife_point_delete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, struct vlife_outcome *out, char *why, size_t whysz);
int vlife_point_undelete(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, uint64_t point, char *why, size_t whysz);
/* Counts one deletion (or denied deletion) by who toward mass-deletion
 * (5 within 10 minutes raise the alert once), inside txn. */
void vlife_note_deletion(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const char *vault);

/* Test daemon only (the test clock's seam; VG_EDENIED in production):
 * applies pending change id now, as the purger would once it is due. */
int vlife_pending_apply(struct vcore *c, const struct vcaller *who, const char *id, char *why,
	size_t whysz);

struct vlife_purge_stats {
	uint32_t vaults, items, points, objects, expired, warned, aborted;
	uint32_t sealed;                            /* vaults skipped: key unavailable */
	uint32_t applied;                           /* pending changes now in effect (or moot) */
	uint32_t held;                              /* 1: nothing done, a clock jump is not accepted */
	char sealed_vault[VG_VAULT_NAME_MAX + 1];   /* the first of them */
};
/* One purger pass at vault_now(). A vault whose keys cannot be used now
 * (a CMK revoked or its token unreachable) is skipped whole and counted in
 * sealed: nothing of a sealed vault is purged until its key returns. */
int vlife_purge(struct vcore *c, struct vlife_purge_stats *st);

#endif
