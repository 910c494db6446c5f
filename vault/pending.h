/* pending.h - weakening changes held for a cooling-off period (SPEC §11).
 *
 * A change that weakens a vault's protection (soft delete off, fewer
 * soft-delete days, a retention reduction, immutability enabled ->
 * disabled, unlinking its guard) is checked in full when it is requested
 * (immutability, the MUA grant, the state machine), its alert is raised at
 * once, and then it is stored here instead of being applied. It takes
 * effect only after the vault's soft-delete window in force at the request
 * (at least 14 days), when the purger applies it (lifecycle.c), audited
 * and alerted again. Until then the old protection holds. Any Owner of the
 * vault, or an approver of its guard, can cancel it. An MUA grant does not
 * shorten the wait.
 *
 * Records live in the meta database under "pending/ID" (ID: 16 hex
 * digits); the layout's encoder and decoder are both in pending.c.
 */
#ifndef VAULT_PENDING_H
#define VAULT_PENDING_H

#include "core.h"

enum vpend_kind {
	VPEND_VAULT_SET = 1,   /* setting = vault setting, value = new value */
	VPEND_POLICY_SET,      /* setting = policy name, value = policy spec */
	VPEND_ITEM_POLICY,     /* setting = item name, value = policy name */
};

struct vpend {
	char id[17];
	uint8_t kind;                          /* enum vpend_kind */
	char vault[VG_VAULT_NAME_MAX + 1];
	uint64_t vault_id;
	char setting[VG_ITEM_NAME_MAX + 1];
	char value[256];
	char old[256];                         /* what it replaces, for people */
	char requester[VG_PRINCIPAL_NAME_MAX + 1];
	char alert[32];                        /* the alert raised for it */
	uint64_t requested, effective;
};

/* "soft-delete", "policy gold", "item db policy": what a pending change
 * changes, for listings. */
void vpend_what(const struct vpend *p, char *buf, size_t n);

/* Stores p (id filled in) inside txn. VG_EEXISTS (why filled) if the same
 * setting of the same vault already has a pending change. */
int vpend_add(struct vcore *c, MDB_txn *txn, struct vpend *p, char *why, size_t whysz);
/* Every pending change (of vault if non-NULL), oldest request first. txn
 * may be NULL (a read transaction of its own). */
int vpend_list(struct vcore *c, MDB_txn *txn, const char *vault,
	int (*cb)(void *arg, const struct vpend *p), void *arg);
int vpend_get(struct vcore *c, MDB_txn *txn, const char *id, struct vpend *p);
int vpend_del(struct vcore *c, MDB_txn *txn, const char *id);
/* A change of the same setting that does not weaken it supersedes what is
 * pending for that setting: drops it inside txn, audited ("pending.cancel",
 * result "superseded"). */
int vpend_supersede(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const struct vpend *like);
/* Cancels id: who must be an Owner of its vault (may_own) or an approver
 * of the vault's guard. Audited ("pending.cancel") in the same
 * transaction; refusals are the caller's to audit. */
int vpend_cancel(struct vcore *c, const struct vcaller *who, const char *id, bool may_own,
	struct vpend *p, char *why, size_t whysz);

#endif
