/* denials.h - refused requests must not fill the disk (issue 12 item 6).
 *
 * Every refusal used to be one audit entry: a Reader pipelining forbidden
 * requests added ~2,400 entries a second. Now vcore_audit() asks here
 * before it writes a "denied" (or "failed") entry:
 *
 * - The first denial of a kind (principal, op, target, reason) is written
 *   at once, as before. Repeats of it are counted and written as one
 *   aggregate entry per kind and flush ("REASON [repeated N more times in
 *   Ts]"), at most every VDENY_FLUSH_S seconds and at shutdown.
 * - New kinds are bounded too: at most VDENY_KINDS_PER_MIN first entries
 *   per principal and VDENY_KINDS_GLOBAL_PER_MIN in all per minute; past
 *   that they are counted into one aggregate per principal (op
 *   "denials", target "*"), so random targets do not get around it.
 * - A principal with VDENY_FLOOD denials within a minute raises
 *   `denial-flood` (at most once per principal per VDENY_ALERT_S); one
 *   with VDENY_CRITICAL denied critical operations (vdeny_critical_op)
 *   within VDENY_ALERT_S raises `critical-op-denied`, as often.
 *
 * Bound: one principal repeating one refusal writes 1 + one entry per
 * flush; in all, per minute, at most VDENY_KINDS_GLOBAL_PER_MIN firsts
 * plus one aggregate per kind in the table (VDENY_SLOTS) per flush.
 * The table lives in memory: a restart starts it afresh.
 */
#ifndef VAULT_DENIALS_H
#define VAULT_DENIALS_H

#include <stdbool.h>

#include "core.h"

#define VDENY_FLUSH_S 30
#define VDENY_SLOTS 1024
#define VDENY_PRINCIPALS 256
#define VDENY_KINDS_PER_MIN 60
#define VDENY_KINDS_GLOBAL_PER_MIN 300
#define VDENY_FLOOD 100
#define VDENY_CRITICAL 3
#define VDENY_ALERT_S 600

/* What vcore_audit does with one "denied" entry. */
enum {
	VDENY_WRITE = 1u << 0,      /* write it now (a first of its kind) */
	VDENY_FLOOD_ALERT = 1u << 1,  /* raise denial-flood */
	VDENY_CRIT_ALERT = 1u << 2,   /* raise critical-op-denied */
};
unsigned vdeny_note(const struct vcaller *who, const char *op, const char *target,
	const char *reason);
/* The same for result "denied" or "failed" (a failed change, e.g. an
 * existing name, repeated, fills the disk as well); kinds differ by result,
 * and only denials count toward critical-op-denied. */
unsigned vdeny_note_result(const struct vcaller *who, const char *op, const char *result,
	const char *target, const char *reason);
/* Writes the aggregates due (all of them with force), in one transaction. */
int vdeny_flush(struct vcore *c, bool force);
/* Forgets every count (unit tests that run in one process). */
void vdeny_reset(void);
/* The one classification of a refused or failed request for the audit:
 * "denied" when r says the caller may not (VG_EAUTH, VG_EDENIED,
 * VG_EIMMUTABLE, VG_EPOLICY, VG_EMUA, VG_EPIN, VG_ENAME, VG_ELIMIT,
 * VG_EBADSTATE), "failed" for any other error. Every handler and the
 * permission gate audit through it. */
bool vdeny_is_refusal(int r);
const char *vdeny_result(int r);
/* Is op (a handler name) one of the critical operations (SPEC §5)? */
bool vdeny_critical_op(const char *op);

#endif
