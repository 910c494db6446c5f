/* itemset.h - `vaultctl item set VAULT ITEM SETTING VALUE` (VG_OP_ITEM_SET):
 * one table of item settings, each row its permission, its parser and
 * where it is kept. Rows (issue 14): quota BYTES|none, expect-every
 * DURATION|none. Add a row for a new setting; nothing else changes.
 * Every change is one transaction with its audit entry (item.set,
 * "SETTING=VALUE"). */
#ifndef VAULT_ITEMSET_H
#define VAULT_ITEMSET_H

#include <stddef.h>

#include "auth.h"
#include "core.h"

/* The permission setting needs (VP_POLICY for unknown names, so the
 * refusal of an unknown setting is no information leak). */
enum vperm vitemset_perm(const char *setting);
int vitemset_apply(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *setting, const char *value, char *why, size_t whysz);

/* "90", "90s", "30m", "6h", "1d", "2w"; "none" or "0" is 0. */
int vitemset_parse_duration(const char *s, uint64_t *secs);

#endif
