/* stats.h - one consistent snapshot of every vault, item and recovery point
 * with its byte counts, for /metrics (metrics.c) and reports (h_monitor.c).
 *
 *   stored        bytes of active recovery points of live items (for a
 *                 restic item: its active files)
 *   soft_deleted  bytes awaiting purge: soft-deleted points (files), and
 *                 every point of a soft-deleted item or vault
 *
 * Collected in one read transaction, then handed out: callers never hold a
 * transaction while they write to a socket. */
#ifndef VAULT_STATS_H
#define VAULT_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "core.h"

struct vstats_vault {
	char name[VG_VAULT_NAME_MAX + 1];
	struct vr_vault v;
};

struct vstats_item {
	size_t vault;                 /* index into vaults */
	char name[VG_ITEM_NAME_MAX + 1];
	struct vr_item it;
	uint64_t points;              /* active backup or snapshot points */
	uint64_t stored, soft_deleted;
};

struct vstats_point {
	size_t item;                  /* index into items */
	struct vr_point p;
};

struct vstats {
	struct vstats_vault *vaults;
	size_t nvaults;
	struct vstats_item *items;
	size_t nitems;
	struct vstats_point *points;  /* committed points, if asked for */
	size_t npoints;
};

/* only_vault may be NULL (all vaults). */
int vstats_collect(struct vcore *c, const char *only_vault, bool points, struct vstats *st);
void vstats_free(struct vstats *st);

#endif
