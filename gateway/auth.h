/* auth.h - credentials of an HTTP request, passed to vaultd, which alone
 * verifies them:
 *
 *   Authorization: Basic base64(NAME:TOKEN)  -> AUTH_USER + AUTH_TOKEN
 *   Authorization: Bearer TOKEN              -> AUTH_TOKEN
 *   a verified mTLS client certificate       -> AUTH_CERT (its SHA-256)
 *   always                                   -> PEER ("IP:port")
 *
 * The gateway asks vaultd WHOAMI once per connection and credential, to
 * learn the principal's name (per-principal cap) and kind (/metrics); that
 * answer is a cache key, never a grant. Failures (vaultd says
 * unauthenticated, or the header is malformed) take a token from the
 * source's bucket; an empty bucket answers 429 before vaultd is asked.
 * Tokens never reach a log.
 */
#ifndef GW_AUTH_H
#define GW_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"

enum gw_cred_kind { GW_CRED_NONE = 0, GW_CRED_BASIC, GW_CRED_BEARER };

struct gw_cred {
	enum gw_cred_kind kind;
	char user[VG_PRINCIPAL_NAME_MAX + 1];
	char token[300];
};

/* Parses an Authorization value ("" for none). 0, or VG_EAUTH when it is
 * present but malformed. */
int gw_auth_parse(const char *authorization, struct gw_cred *out);
/* Strict base64 (RFC 4648, padded). Returns the decoded length or VG_EINVAL. */
long gw_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap);

/* The request's gate, before any operation: the per-source limiter,
 * credential parsing, WHOAMI (cached per connection), the per-principal
 * cap. 0, or an HTTP answer was sent and the caller must stop (the return
 * value is then > 0, the HTTP status). v: a pooled vaultd link. */
int gw_auth_request(struct gw_rctx *x, struct vgc *v);
/* After an operation vaultd refused with VG_EAUTH: counts the failure and
 * forgets the connection's cached identity. */
void gw_auth_failed(struct gw_rctx *x);
/* Wipes the request's credential copies. */
void gw_auth_wipe(struct gw_rctx *x);

#endif
