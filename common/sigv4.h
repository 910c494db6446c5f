/* sigv4.h - the AWS Signature Version 4 canonical request, shared by vaultgw
 * (which builds it from the HTTP request it received) and vaultd (which
 * checks the signature over it and that it names the operation it is asked
 * to perform). No cryptography here: vaultd hashes and signs (vault/s3auth.c).
 *
 * The canonical request (AWS SigV4, "Create a canonical request"):
 *
 *   METHOD \n CANONICAL-URI \n CANONICAL-QUERY \n
 *   name:value \n ... (one per signed header, in SignedHeaders order) \n
 *   SIGNED-HEADERS \n PAYLOAD-HASH
 *
 * CANONICAL-URI is the path decoded once and encoded again the S3 way
 * (every byte but A-Z a-z 0-9 - . _ ~ and '/' as %XX, upper-case hex; S3
 * does not normalise or encode twice). CANONICAL-QUERY is every parameter
 * decoded and encoded again (now '/' too), sorted by name then value, with
 * "X-Amz-Signature" left out of a presigned URL. A header value is trimmed
 * and runs of spaces become one; a header sent twice is joined with ','.
 * Untrusted input everywhere: lengths are bounded, a bad %XX, a signed
 * header missing from the request, or SignedHeaders out of order is
 * VG_EINVAL; an over-long result is VG_ETOOBIG.
 */
#ifndef VG_SIGV4_H
#define VG_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define VG_SIGV4_CANON_MAX 16384u
#define VG_SIGV4_ALGO "AWS4-HMAC-SHA256"
#define VG_SIGV4_PRESIGN_MAX 604800u  /* 7 days, as AWS */
#define VG_SIGV4_SKEW 900u            /* 15 minutes */

/* What the client says about its signature, from the Authorization header
 * or from a presigned URL's query. */
struct vg_sigv4_auth {
	char cred[256];             /* AKID/YYYYMMDD/REGION/SERVICE/aws4_request */
	char akid[128];
	char date8[9];
	char region[64];
	char service[16];
	char signed_headers[1024];  /* lower-case names joined by ';' */
	char signature[65];         /* 64 lower-case hex */
	char amz_date[17];          /* YYYYMMDDTHHMMSSZ (header or X-Amz-Date) */
	bool presigned;
	uint64_t expires;           /* presigned: X-Amz-Expires seconds */
};

/* "AWS4-HMAC-SHA256 Credential=C, SignedHeaders=H, Signature=S". */
int vg_sigv4_parse_authz(const char *authz, struct vg_sigv4_auth *a);
/* A presigned URL's X-Amz-* parameters. VG_ENOTFOUND when the query has no
 * X-Amz-Signature (not presigned), VG_EINVAL when malformed. */
int vg_sigv4_parse_query(const char *query, struct vg_sigv4_auth *a);
/* Splits a->cred into akid/date8/region/service; VG_EINVAL if malformed. */
int vg_sigv4_parse_cred(struct vg_sigv4_auth *a);

/* Percent-decoding of n bytes into out (cap bytes, NUL-terminated); a bad
 * %XX or a decoded NUL is VG_EINVAL, no room VG_ETOOBIG. */
int vg_sigv4_uri_decode(const char *s, size_t n, char *out, size_t cap, size_t *outlen);
/* S3 URI encoding of n bytes, appended to out. */
void vg_sigv4_uri_encode(struct vg_wr *out, const char *s, size_t n, bool keep_slash);

/* The canonical request of an HTTP request. raw_path and raw_query are as
 * received (query without '?', "" if none); head is the whole request head
 * (request line and header lines, CRLF-separated). */
struct vg_sigv4_req {
	const char *method;
	const char *raw_path;
	const char *raw_query;
	const char *head;
	size_t headlen;
	const char *signed_headers;
	const char *payload_hash;
	bool presigned;
};
int vg_sigv4_canonical(const struct vg_sigv4_req *r, struct vg_wr *out);

/* The value of a header in a raw head (first occurrence, trimmed), or
 * VG_ENOTFOUND; VG_ETOOBIG if it does not fit. */
int vg_sigv4_header(const char *head, size_t headlen, const char *name, char *out, size_t cap);

/* vaultd's side: the parts of a canonical request (not NUL-terminated). */
struct vg_sigv4_creq {
	const char *method, *path, *query, *signed_headers, *payload;
	size_t method_len, path_len, query_len, signed_len, payload_len;
	const char *headers;        /* the header lines, each ending in \n */
	size_t headers_len;
};
int vg_sigv4_creq_split(const char *c, size_t n, struct vg_sigv4_creq *out);
/* A canonical query's parameter, decoded: 1 found, 0 absent, <0 error. */
int vg_sigv4_creq_param(const struct vg_sigv4_creq *q, const char *name, char *out, size_t cap);
/* A canonical header line's value: 1 found, 0 absent, <0 error. */
int vg_sigv4_creq_header(const struct vg_sigv4_creq *q, const char *name, char *out, size_t cap);

/* "YYYYMMDDTHHMMSSZ" -> unix seconds; VG_EINVAL if malformed. */
int vg_sigv4_parse_amzdate(const char *s, uint64_t *out);

#endif
