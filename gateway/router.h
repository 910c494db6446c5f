/* router.h - request dispatch by path (/restic/, /v1/, /metrics), and the
 * steps every handler shares: a vaultd link from the pool plus the
 * authentication gate, error answers for vaultd statuses, query strings. */
#ifndef GW_ROUTER_H
#define GW_ROUTER_H

#include <stddef.h>

#include "client.h"
#include "gw.h"

/* Serves one parsed request on x (answers it, or marks x->aborted). */
void gw_route(struct gw_rctx *x);

/* A vaultd link with the request's credentials set, after the gate.
 * 0, or > 0: an answer was sent (the HTTP status) and *v is NULL. */
int gw_vaultd_open(struct gw_rctx *x, struct vgc **v);
/* A vaultd link with no credential, for the one operation that needs none
 * (POST /v1/agents/activate): the source's failed-attempt bucket is
 * checked first (429), and the link is claimed under GW_ANON_PRINCIPAL
 * (a non-admin writer: never the reserve). Same returns as above. */
#define GW_ANON_PRINCIPAL "-anonymous"
int gw_vaultd_open_anon(struct gw_rctx *x, struct vgc **v);
void gw_vaultd_close(struct gw_rctx *x, struct vgc *v);
/* Answers a failed vaultd call: a broken link is 502 (and not reused),
 * VG_EAUTH counts as a failed attempt; the rest map by gw_status_of(). */
int gw_reply_op_error(struct gw_rctx *x, struct vgc *v, int err);
/* A route that takes no body: 0 if there is none; otherwise answers 413
 * (and the connection closes) and returns 413. */
int gw_no_body(struct gw_rctx *x);
/* The value of key in a query string ("a=1&b=2"), no decoding: values with
 * '%' or '+' are refused. 1 found, 0 absent, VG_EINVAL malformed. */
int gw_query_get(const char *query, const char *key, char *out, size_t n);

#endif
