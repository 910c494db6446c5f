/* fetch.c - see fetch.h. */
#include <stdio.h>
#include <string.h>

#include "fetch.h"
#include "proxy.h"
#include "range.h"
#include "reply.h"
#include "router.h"
#include "vg_err.h"

static int stat_size(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f,
	uint64_t *size)
{
	struct vg_msg m;
	int r;

	f->target(x, vgc_req(v, f->stat_op), f->arg);
	if ((r = vgc_call(v, &m)))
		return r;
	return vg_msg_u64(&m, VG_TAG_SIZE, size) ? VG_EPROTO : 0;
}

void gw_fetch_head(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f)
{
	uint64_t size;
	int r;

	if ((r = stat_size(x, v, f, &size))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	gw_reply_begin(x, 200, "application/octet-stream", (int64_t)size, NULL);
	gw_reply_end(x);
}

static void reply_416(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f)
{
	char extra[64];
	uint64_t size;
	int r;

	if ((r = stat_size(x, v, f, &size))) {
		gw_reply_op_error(x, v, r);
		return;
	}
	snprintf(extra, sizeof(extra), "Content-Range: bytes */%llu\r\n", (unsigned long long)size);
	gw_reply_error_hdr(x, 416, extra, "range", "the range is not satisfiable: the object has %llu bytes",
		(unsigned long long)size);
}

void gw_fetch_get(struct gw_rctx *x, struct vgc *v, const struct gw_fetch *f)
{
	struct gw_range rg;
	struct vg_msg m;
	struct vg_wr *w;
	uint64_t size = 0, off = 0, len = 0, roff, rlen;
	char extra[96];
	bool link_ok;
	int r;

	if (x->req->has_range && gw_range_parse(x->req->range, &rg)) {
		reply_416(x, v, f);
		return;
	}
	if (!x->req->has_range)
		rg.kind = GW_RANGE_NONE;
	if (rg.kind == GW_RANGE_SUFFIX) {
		/* The last N bytes: only the size tells where they start. */
		if ((r = stat_size(x, v, f, &size))) {
			gw_reply_op_error(x, v, r);
			return;
		}
		if (gw_range_resolve(&rg, size, &off, &len)) {
			reply_416(x, v, f);
			return;
		}
		rg.kind = GW_RANGE_FROM_TO;
		rg.a = off;
		rg.b = off + len - 1;
	}
	for (int attempt = 0;; attempt++) {
		w = vgc_req(v, f->get_op);
		f->target(x, w, f->arg);
		if (rg.kind != GW_RANGE_NONE)
			vg_msgb_u64(w, VG_TAG_OFFSET, rg.a);
		if (rg.kind == GW_RANGE_FROM_TO)
			vg_msgb_u64(w, VG_TAG_LENGTH, rg.b - rg.a + 1);
		r = vgc_call(v, &m);
		if (r == VG_ERANGE && attempt == 0 && rg.kind == GW_RANGE_FROM_TO) {
			/* A last byte past the end is clamped (RFC 9110 §14.1.2). */
			if ((r = stat_size(x, v, f, &size))) {
				gw_reply_op_error(x, v, r);
				return;
			}
			if (rg.a >= size) {
				reply_416(x, v, f);
				return;
			}
			rg.b = size - 1;
			continue;
		}
		break;
	}
	if (r == VG_ERANGE) {
		reply_416(x, v, f);
		return;
	}
	if (r) {
		gw_reply_op_error(x, v, r);
		return;
	}
	if (vg_msg_u64(&m, VG_TAG_SIZE, &size)) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd sent no size");
		return;
	}
	if (vg_msg_u64(&m, VG_TAG_OFFSET, &roff))
		roff = rg.kind == GW_RANGE_NONE ? 0 : rg.a;
	if (vg_msg_u64(&m, VG_TAG_LENGTH, &rlen))
		rlen = size - roff;
	if (roff > size || rlen > size - roff) {
		x->link_bad = true;
		gw_reply_error(x, 502, "protocol", "vaultd sent an inconsistent range");
		return;
	}
	if (rg.kind != GW_RANGE_NONE && (rg.a >= size || rlen == 0)) {
		/* e.g. bytes=0- of an empty file: the stream is empty; finish it. */
		if ((r = gw_proxy_download(x, v, 0, &link_ok)))
			x->link_bad = !link_ok;
		reply_416(x, v, f);
		return;
	}
	if (rg.kind == GW_RANGE_NONE) {
		r = gw_reply_begin(x, 200, "application/octet-stream", (int64_t)rlen, NULL);
	} else {
		snprintf(extra, sizeof(extra), "Content-Range: bytes %llu-%llu/%llu\r\n",
			(unsigned long long)roff, (unsigned long long)(roff + rlen - 1),
			(unsigned long long)size);
		r = gw_reply_begin(x, 206, "application/octet-stream", (int64_t)rlen, extra);
	}
	if (r) {
		x->link_bad = true;  /* the DATA frames are still coming */
		return;
	}
	if ((r = gw_proxy_download(x, v, rlen, &link_ok))) {
		x->link_bad = !link_ok;
		x->aborted = true;
		gw_metrics_add(GW_C_STREAM_ABORT, 1);
		return;
	}
	gw_reply_end(x);
}

