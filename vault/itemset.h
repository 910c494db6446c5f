/* itemset.h - the issue-14 rows of `vaultctl item set VAULT ITEM SETTING
 * VALUE` (VG_OP_ITEM_SET; h_data.c's item_settings table is the one list
 * of settings and their permissions, and sends these here): quota
 * BYTES|none, expect-every DURATION|none, each its parser and where it is
 * kept. Every change is one transaction with its audit entry (item.set,
 * "SETTING=VALUE"). */
#ifndef VAULT_ITEMSET_H
#define VAULT_ITEMSET_H

#include <stddef.h>

#include "auth.h"
#include "core.h"

int vitemset_apply(struct vcore *c, const struct vcaller *who, const char *vault,
	const char *item, const char *setting, const char *value, char *why, size_t whysz);

/* "90", "90s", "30m", "6h", "1d", "2w"; "none" or "0" is 0. */
int vitemset_parse_duration(const char *s, uint64_t *secs);

#endif
