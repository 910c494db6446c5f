/* proxy.h - the gateway's side of vaultd: a bounded pool of vaultd
 * connections (vault/client.h), and the two streaming shapes between an
 * HTTP exchange and a vaultd request:
 *
 *   upload:   request body -> DATA frames within vaultd's credit (wire.h),
 *             a buffer of VG_WIRE_MAX_DATA at a time;
 *   download: DATA frames -> response body, written as they arrive.
 *
 * Backpressure is end to end: we read from the client only as vaultd grants
 * credit, and read from vaultd only as the client takes bytes, so memory
 * per connection is bounded whatever the body size. A client that leaves
 * mid-upload makes us END the stream with ABORT: vaultd records nothing.
 */
#ifndef GW_PROXY_H
#define GW_PROXY_H

#include <stdbool.h>

#include "client.h"
#include "gw.h"

int gw_pool_new(const char *path, unsigned max, unsigned timeout_s, struct gw_pool **out);
void gw_pool_free(struct gw_pool *p);
/* A connected, idle vaultd client: reused or new. VG_ELIMIT if all max
 * connections stayed busy for a few seconds; connect errors as is. */
int gw_pool_get(struct gw_pool *p, struct vgc **out);
/* reuse=false closes it (its protocol state is unknown). */
void gw_pool_put(struct gw_pool *p, struct vgc *c, bool reuse);

/* true if err (from a call on v) means the link itself failed, rather than
 * vaultd answering with an error: then v must not be reused. */
bool gw_link_failed(const struct vgc *v, int err);

enum gw_up_result {
	GW_UP_OK = 0,       /* vaultd stored it; *resp holds its RESP */
	GW_UP_REFUSED,      /* vaultd refused (status in *st); answer the client */
	GW_UP_CLIENT,       /* the client failed or left; do not answer, close */
	GW_UP_LINK,         /* the vaultd link failed; answer 502, drop the link */
};

/* After vgc_req(op) and its fields: streams the request body up.
 * max: the route's body cap (checked on the fly for chunked bodies).
 * *link_ok says whether v may go back to the pool. */
enum gw_up_result gw_proxy_upload(struct gw_rctx *x, struct vgc *v, uint64_t max,
	struct vg_msg *resp, int *st, bool *link_ok);

/* Answers the transport outcomes of an upload that every route treats the
 * same: GW_UP_CLIENT (a malformed chunked body gets 400, a vanished client
 * nothing) and GW_UP_LINK (502, the link is dropped). Returns true when it
 * handled res; the route then returns. */
bool gw_upload_transport_failed(struct gw_rctx *x, enum gw_up_result res, int st, bool link_ok);

/* After a RESP that opened a DATA stream: copies `len` bytes to the
 * response body. 0, or an error after which the response is cut (the
 * connection must close) and *link_ok says whether v is reusable. */
int gw_proxy_download(struct gw_rctx *x, struct vgc *v, uint64_t len, bool *link_ok);

#endif
