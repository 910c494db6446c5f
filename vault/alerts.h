/* alerts.h - security and job alerts (SPEC §8).
 *
 * Security alerts are critical and always generated; job alerts
 * (backup-failed, restore-failed) are errors. Each alert is stored in the
 * `alerts` database (listed by `vaultctl alerts`) and written to syslog as
 * one structured line. Raising inside a caller's transaction makes the
 * alert commit with the event that caused it.
 */
#ifndef VAULT_ALERTS_H
#define VAULT_ALERTS_H

#include "core.h"

/* txn may be NULL: the alert gets its own transaction. */
int valert_raise(struct vcore *c, MDB_txn *txn, const char *name, const struct vcaller *who,
	const char *vault, const char *target, const char *detail);
int valert_list(struct vcore *c, const char *vault, uint64_t from,
	int (*cb)(void *arg, const struct vr_alert *a), void *arg);
/* Is name one of SPEC §8's alert names? */
int valert_known(const char *name);

#endif
