/* audit_guard.h - what vaultd does when its audit chain is broken (issue 12
 * items 8 and 9).
 *
 * At start the chain is verified (audit.h) and checked against the
 * high-water mark (audit_hwm.h). If either fails, vaultd still serves, but:
 * it raises `audit-broken` (critical), records `audit.broken` in the chain,
 * and refuses every request that would change anything (server.c's table
 * says which ops only read) and holds the purger, until local root or a
 * vault Owner acknowledges the break with a reason (`vaultctl audit
 * acknowledge --reason TEXT`). The acknowledgment is an audit entry and a
 * MAC'd record naming the break, so `audit verify` reports the known break
 * and verifies everything from the acknowledgment on; any other damage is
 * still a break. While the chain is broken the high-water mark is not
 * moved, so a restart finds the same break again.
 */
#ifndef VAULT_AUDIT_GUARD_H
#define VAULT_AUDIT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Verifies the chain and the mark; 0 if intact, 1 if broken (state set,
 * alert raised, why filled), or an error. count: entries verified. */
int vaudit_start(struct vcore *c, uint64_t *count, char *why, size_t whysz);
/* Is the chain broken and not yet acknowledged? why (may be NULL) says how. */
bool vaudit_broken(struct vcore *c, char *why, size_t whysz);
/* Acknowledges the break (VG_EBADSTATE if there is none); *seq is the
 * acknowledgment's entry. */
int vaudit_acknowledge(struct vcore *c, const struct vcaller *who, const char *reason,
	uint64_t *seq);
/* Moves the high-water mark to the head (not while broken). */
int vaudit_sync(struct vcore *c);

#endif
