/* policy.h - retention policies (SPEC §7) and point expiry.
 *
 * A policy is "daily=D,weekly=W,monthly=M,yearly=Y": a point is kept D
 * days; the first point of an ISO week is kept W weeks, the first of a
 * month M months, the first of a year Y years (the longest wins). A tier
 * of 0 is off; daily must be set. Floors: daily 7 days, weekly 4 weeks,
 * monthly 3 months, yearly 1 year. Every vault has a policy "default"
 * (daily=30) that items use until moved.
 *
 * Changing a policy recomputes the expiry of every point of the items that
 * use it: points the new policy cuts are soft-deleted (reason retention),
 * and soft-deleted-by-retention points the new policy keeps come back. The
 * newest point of an item is never cut by expiry.
 */
#ifndef VAULT_POLICY_H
#define VAULT_POLICY_H

#include "core.h"

int vpolicy_parse(const char *spec, struct vr_policy *p, char *why, size_t whysz);
int vpolicy_format(const struct vr_policy *p, char *out, size_t outsz);
/* 1 if any tier of b keeps points for less time than in a. */
int vpolicy_lowers(const struct vr_policy *a, const struct vr_policy *b);
int vpolicy_get(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	struct vr_policy *p);
int vpolicy_put(struct vcore *c, MDB_txn *txn, uint64_t vault_id, const char *name,
	const struct vr_policy *p);
int vpolicy_list(struct vcore *c, const char *vault,
	int (*cb)(void *arg, const char *name, const struct vr_policy *p), void *arg);
/* Sets p->expiry for a new point of item it. */
int vpolicy_point_expiry(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, struct vr_point *p);
/* Recomputes every point of one item under policy pol (inside txn); cuts and
 * restores as described above. Counts in *cut and *restored. */
int vpolicy_apply_item(struct vcore *c, MDB_txn *txn, const struct vr_vault *v,
	const struct vr_item *it, const struct vr_policy *pol, uint64_t now,
	uint32_t *cut, uint32_t *restored);

#endif
