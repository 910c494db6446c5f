/* body.h - reading a request body on a worker: Content-Length bodies are
 * read exactly (never past their end), chunked ones are decoded by llhttp
 * (http.c) from the connection's head buffer, so bytes of a pipelined next
 * request stay in that buffer. "Expect: 100-continue" is answered on the
 * first read, i.e. only once the handler has decided to take the body. */
#ifndef GW_BODY_H
#define GW_BODY_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

/* Prepares x for the request just parsed (head bytes already removed from
 * the connection's buffer). */
void gw_body_init(struct gw_rctx *x);
/* Up to cap decoded body bytes into buf: *got > 0, or *got == 0 at the end.
 * Errors: VG_ECLOSED (peer gone), -ETIMEDOUT, VG_EPROTO (bad chunking),
 * VG_ETOOBIG (over max). */
int gw_body_read(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *got);
/* Reads the whole body into buf (JSON); VG_ETOOBIG if it exceeds cap. */
int gw_body_read_all(struct gw_rctx *x, uint8_t *buf, size_t cap, size_t *len);

#endif
