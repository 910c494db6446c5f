/* mua.h - multi-user authorization with resource guards (SPEC §5).
 *
 * A guard is a separate object with its own approvers. A vault linked to a
 * guard needs an approved grant for each critical operation:
 *   mandatory:  soft-delete-off, guard-unlink, clock-accept, guard-change,
 *               keys-export (target "keys"; under every guard linked to a vault)
 *   default-on, excludable by the guard's approvers:
 *               delete-data, retention-reduce, stop-protection,
 *               pin-generate, immutability-disable, key-change
 * A request names one operation and one target. A guard approver other than
 * the requester approves it for a window (default 1 h, at most 24 h); the
 * requester then uses it once, within the window. A guard without
 * approvers refuses every request (Azure would approve automatically).
 *
 * Guards govern themselves (SPEC §11): once a guard has an approver, adding
 * or removing an approver, or changing an exclusion, needs a grant for
 * "guard-change" approved by another existing approver, for everyone,
 * local root included; every change raises guard-changed. Such a request
 * names the guard where others name a vault ("vaultctl mua request GUARD
 * guard-change TARGET"), is made by local root or an approver, and its
 * target is GUARD/approver-add/P, GUARD/approver-remove/P,
 * GUARD/exclude/OP or GUARD/include/OP.
 */
#ifndef VAULT_MUA_H
#define VAULT_MUA_H

#include "core.h"

enum vmua_op {
	VMUA_SOFT_DELETE_OFF,
	VMUA_GUARD_UNLINK,
	VMUA_DELETE_DATA,
	VMUA_RETENTION_REDUCE,
	VMUA_STOP_PROTECTION,
	VMUA_PIN_GENERATE,
	VMUA_IMMUTABILITY_DISABLE,
	VMUA_KEY_CHANGE,
	VMUA_CLOCK_ACCEPT,          /* mandatory: accepting a clock jump (SPEC §11) */
	VMUA_GUARD_CHANGE,          /* mandatory: a governed guard's approvers or exclusions */
	VMUA_KEYS_EXPORT,           /* mandatory: every vault's keys leave the box */
	VMUA_N
};

#define VMUA_DEFAULT_WINDOW 3600u
#define VMUA_MAX_WINDOW 86400u

const char *vmua_op_name(enum vmua_op op);
int vmua_op_parse(const char *s);

/* Inside the operation's transaction: 0 if vault v needs no grant for op on
 * target, or if who presents a valid grant for exactly that (consumed).
 * VG_EMUA with why otherwise. */
int vmua_check(struct vcore *c, MDB_txn *txn, const struct vcaller *who,
	const struct vr_vault *v, enum vmua_op op, const char *target, char *why, size_t whysz);

int vmua_guard_create(struct vcore *c, const struct vcaller *who, const char *name);
int vmua_guard_get(struct vcore *c, MDB_txn *txn, const char *name, struct vr_guard *g);
int vmua_guard_approver(struct vcore *c, const struct vcaller *who, const char *guard,
	const char *principal, bool remove, char *why, size_t whysz);
int vmua_guard_exclude(struct vcore *c, const struct vcaller *who, const char *guard,
	const char *op, bool include, char *why, size_t whysz);
/* Principals who are both Owner of a vault linked to a guard and an
 * approver of that guard (creator NULL), and approvers created by an Owner
 * of a vault the guard protects (creator: that Owner). */
int vmua_guard_check(struct vcore *c,
	int (*cb)(void *arg, const char *guard, const char *vault, const char *principal,
		const char *creator), void *arg);

int vmua_request(struct vcore *c, const struct vcaller *who, const char *vault, const char *op,
	const char *target, char id[33], char *why, size_t whysz);
int vmua_approve(struct vcore *c, const struct vcaller *who, const char *id, uint64_t window,
	bool deny, char *why, size_t whysz);
/* Inside the purger's transaction: audits ("mua.expire", as who) each
 * approved grant that expired unused since the previous pass, once. */
int vmua_expire(struct vcore *c, MDB_txn *txn, const struct vcaller *who, uint64_t now);

int vmua_list(struct vcore *c, int (*cb)(void *arg, const char *id, const struct vr_request *rq),
	void *arg);

#endif
