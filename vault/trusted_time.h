/* trusted_time.h - the trusted time behind vault_now() (SPEC §11).
 *
 * vaultd keeps a high-water mark of the time it has handed out and
 * persists it (meta "time/mark", with the monotonic clock and the kernel's
 * boot id at that moment) at every purger pass. vault_now() is:
 *   - never less than the mark: a wall clock set back does not rewind any
 *     expiry or purge (the monotonic clock carries time forward meanwhile);
 *   - the wall clock while it stays within VTIME_TOLERANCE (plus 0.1% of the
 *     elapsed time, for NTP slewing) of the monotonic progress since the
 *     last trusted reading;
 *   - after a forward jump beyond that: "held". vault_now() follows the
 *     monotonic clock from the last trusted reading, a clock-jump alert
 *     (critical) is raised, and vlife_purge() purges, expires and applies
 *     nothing until an Owner runs "vaultctl clock accept" (audited; it needs
 *     an MUA grant when any vault is under a guard). The hold is persisted:
 *     a restart does not lift it. A restart on the same boot is checked the
 *     same way against the persisted mark and monotonic reading; after a
 *     reboot only the "never behind the mark" rule can be applied.
 */
#ifndef VAULT_TRUSTED_TIME_H
#define VAULT_TRUSTED_TIME_H

#include <stdbool.h>

#include "core.h"

#define VTIME_TOLERANCE 300u   /* seconds */

/* At start-up (vaultd), before serving: loads the persisted mark. */
int vtime_load(struct vcore *c);
/* Raises the clock-jump alert and persists the hold if a jump was seen
 * since the last call, and persists the mark. Cheap when nothing changed;
 * called before each request and by each purger pass. */
int vtime_sync(struct vcore *c);
/* Persists the mark inside txn (the purger's pass). */
int vtime_persist(struct vcore *c, MDB_txn *txn);
/* Are purges and expiries held after a clock jump? detail (may be NULL)
 * gets what was seen. */
bool vtime_held(char *detail, size_t n);
/* who accepts the current wall clock as the truth: persisted and audited
 * ("clock.accept"). With any active vault under a guard, who must present
 * a grant for "clock-accept" on target "clock" from one of the guards in
 * use (VG_EMUA). VG_EBADSTATE if nothing is held. The caller checks that
 * who is local root or an Owner, and audits refusals. */
int vtime_accept(struct vcore *c, const struct vcaller *who, char *detail, size_t n, char *why,
	size_t whysz);

#endif
