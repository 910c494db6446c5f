/* verify.h - drift: the live table against the one the config implies.
 *
 * Compared: the table and its flags (a dormant table filters nothing),
 * every other table in the namespace (none is expected), chains (type,
 * hook, priority, policy), sets (type, flags, timeout, size, and the
 * elements of the allow sets; meter contents are state and ignored) and
 * the rules of each chain in order (expressions and comment; counter
 * values are state and ignored).
 */
#ifndef VN_VERIFY_H
#define VN_VERIFY_H

#include <stddef.h>

#include "buf.h"
#include "nft.h"
#include "ruleset.h"

/* Appends one line per difference to out ("- " missing, "+ " unexpected,
 * "! " different) and returns how many there are. */
size_t vn_verify(const struct vn_ruleset *rs, const struct vn_live *want, const struct vn_live *have,
		 struct vg_wr *out);

/* SHA-256 (hex) of a live table: chains, sets with elements and rules
 * without counters, in order. Equal digests mean equal rulesets. */
int vn_live_digest(const struct vn_live *l, char hex[65]);
/* A base chain's hook and policy as nft spells them ("input", "drop"; "?"
 * for anything else): one table for verify's and show's texts. */
const char *vn_hook_name(uint32_t h);
const char *vn_policy_name(uint32_t p);

#endif
