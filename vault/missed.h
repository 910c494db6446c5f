/* missed.h - missed backups (issue 14): `vaultctl item set V I expect-every
 * DURATION`. The purger's pass (vmissed_pass) looks at every protected item
 * with an expectation: when its last success (or, never backed up, its
 * creation) is older than the window, `backup-missed` (error) is raised,
 * once per missed window (at 1x, 2x, 3x ... the window). The next success
 * clears it: the pass after it records `backup-missed.cleared` in the audit
 * log and the item's vaultgate_item_backup_missed gauge drops to 0.
 *
 * meta keys:  expect/i/<item id>  u64 seconds
 *             missed/i/<item id>  u64 base || u64 windows alerted, where base
 *                                 is the last success the alerts were about
 */
#ifndef VAULT_MISSED_H
#define VAULT_MISSED_H

#include <stdint.h>

#include "core.h"

int vmissed_put(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t secs);
int vmissed_get(struct vcore *c, MDB_txn *txn, uint64_t item_id, uint64_t *secs);
/* 1 if item is in a missed episode not yet cleared, else 0. */
int vmissed_is_missed(struct vcore *c, MDB_txn *txn, uint64_t item_id);

struct vmissed_stats {
	unsigned raised, cleared;
};
int vmissed_pass(struct vcore *c, struct vmissed_stats *st);

#endif
