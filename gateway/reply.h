/* reply.h - writing an HTTP/1.1 response on a worker's connection: the
 * head, a Content-Length or chunked body, and JSON errors
 * {"error": "<stable code>", "message": "..."}. Small writes are staged in
 * x->obuf and leave as one TLS record; large ones go straight through.
 * A HEAD request gets the head only. */
#ifndef GW_REPLY_H
#define GW_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

/* length < 0: chunked (HTTP/1.1), or until close (HTTP/1.0). extra: more
 * header lines, each ending in CRLF, or NULL. */
int gw_reply_begin(struct gw_rctx *x, int status, const char *ctype, int64_t length,
	const char *extra);
int gw_reply_data(struct gw_rctx *x, const void *p, size_t n);
int gw_reply_end(struct gw_rctx *x);
int gw_reply_flush(struct gw_rctx *x);
int gw_reply_full(struct gw_rctx *x, int status, const char *ctype, const void *body, size_t n,
	const char *extra);
/* JSON error with an explicit stable code. 401 adds WWW-Authenticate. */
int gw_reply_error(struct gw_rctx *x, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* JSON error for a vaultd status: HTTP status from gw_status_of(). */
int gw_reply_vgerr(struct gw_rctx *x, int err, const char *msg);
/* 429 (code "limit") or 503 from a limiter that knows when to come back:
 * the answer carries Retry-After: SECONDS (RFC 9110 10.2.3). */
int gw_reply_retry(struct gw_rctx *x, int status, unsigned seconds, const char *code,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A JSON error with more header lines (extra: each ending in CRLF). */
int gw_reply_error_hdr(struct gw_rctx *x, int status, const char *extra, const char *code,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int gw_reply_405(struct gw_rctx *x, const char *allow);
/* Writes "HTTP/1.1 100 Continue" now (once). */
int gw_reply_continue(struct gw_rctx *x);

/* vaultd error -> HTTP status (the gateway's one mapping table). */
int gw_status_of(int err);

#endif
