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
/* Info records (audit-anchor) go out through the same channels: stored
 * under their own sequence from VALERT_INFO_SEQ_BASE (never shifting alert
 * numbers), queued for the webhook, and written to syslog as
 * "vaultgate-anchor DETAIL" (LOG_NOTICE). The alert list leaves them out. */
#define VALERT_INFO_SEQ_BASE (1ull << 52)
int valert_list(struct vcore *c, const char *vault, uint64_t from,
	int (*cb)(void *arg, const struct vr_alert *a), void *arg);
/* Is name one of SPEC §8's alert names? */
int valert_known(const char *name);
/* Every known alert name in turn (NULL at the end), with its severity. */
const char *valert_name_at(int i, const char **severity);

/* The outbox for the webhook (vaultd --alert-outbox sets c->outbox): each
 * alert is also queued in the `outbox` database in the same transaction
 * that stores it, and stays there until vaultnotify acknowledges its
 * delivery, across restarts. At most VALERT_OUTBOX_MAX entries are kept;
 * beyond that the oldest is dropped and counted in meta "outbox_dropped".
 * Every alert is also counted in meta "alerts_total/NAME" for /metrics. */
#define VALERT_OUTBOX_MAX 10000
/* The oldest queued alert; VG_ENOTFOUND if the outbox is empty. */
int valert_outbox_next(struct vcore *c, struct vr_alert *a);
/* Removes seq from the outbox (delivered). VG_ENOTFOUND if not queued. */
int valert_outbox_ack(struct vcore *c, uint64_t seq);
int valert_outbox_pending(struct vcore *c, uint64_t *n);

#endif
