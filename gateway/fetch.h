/* fetch.h - GET and HEAD of one stored body through vaultd, with Range
 * (range.h): 200, or 206 with Content-Range, or 416 with "bytes *\/SIZE".
 * Shared by restic (RESTIC_GET/STAT) and the native API (OBJECT_GET/STAT). */
#ifndef GW_FETCH_H
#define GW_FETCH_H

#include <stdint.h>

#include "client.h"
#include "gw.h"

struct gw_fetch {
	uint32_t get_op;
	uint32_t stat_op;
	/* Adds the fields that name the body (vault, item, ...). */
	void (*target)(struct gw_rctx *x, struct vg_wr *w, const void *arg);
	const void *arg;
};

void gw_fetch_get(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f);
void gw_fetch_head(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f);

#endif
