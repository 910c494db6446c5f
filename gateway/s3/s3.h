/* s3.h - the S3 listener (issue 16): path-style (https://IP:PORT/BUCKET/KEY)
 * and, when the Host ends in .s3_host_suffix, virtual-host style addressing.
 *
 *   route.c   the request: bucket, key, action (method + subresource), the
 *             SigV4 credential (auth.c), the vaultd link, XML errors
 *   auth.c    Authorization header or presigned query -> the canonical
 *             request (common/sigv4.h) that vaultd checks; the gateway
 *             holds no secret and decides nothing about a signature but
 *             its shape, region and (for a clear error) the clock
 *   bucket.c  ListBuckets, CreateBucket, HeadBucket, ListObjects(V2),
 *             ListObjectVersions
 *   object.c  PutObject, GetObject (Range, If-*), HeadObject, DeleteObject
 *   multipart.c  Create/Complete/AbortMultipartUpload, ListParts,
 *             ListMultipartUploads (UploadPart is object.c's PutObject)
 *   lock.c    Get/PutObjectLockConfiguration, Get/PutObjectRetention,
 *             Get/PutObjectLegalHold, Get/PutBucketVersioning
 *   xml.c     expat parsers for the bodies and the escaping writer (s3x)
 *
 * Every action is one vaultd request, VG_OP_S3_READ or VG_OP_S3_WRITE with
 * KIND = the action's name, carrying the signature; vaultd verifies it and
 * that it names that action (vault/h_s3.c).
 */
#ifndef GW_S3_H
#define GW_S3_H

#include <stdbool.h>
#include <stddef.h>

#include "gw.h"
#include "sigv4.h"

void gw_s3_handle(struct gw_rctx *x);

/* ---- internal ---------------------------------------------------------- */

#define S3_KEY_MAX 1024u

struct s3_req {
	struct gw_rctx *x;
	const char *action;
	char bucket[64];
	char key[S3_KEY_MAX + 1];
	size_t keylen;
	bool has_key;
	char version[64];
	bool has_version;
	char upload[24];           /* uploadId (multipart) */
	bool has_upload;
	unsigned partno;           /* partNumber (UploadPart), 0 if none */
	bool vhost;
	struct vg_sigv4_auth sa;
	struct vg_wr canon;
	char payload[80];          /* x-amz-content-sha256 (or UNSIGNED-PAYLOAD) */
	char reqid[20];
	struct vgc *v;
};

/* auth.c: fills r->sa, r->payload and r->canon; answers the client and
 * returns non-zero when the credential is missing or malformed. */
int s3_auth_prepare(struct s3_req *r);

/* route.c */
int s3_open(struct s3_req *r);            /* the vaultd link, signed; answered on failure */
void s3_close(struct s3_req *r);
struct vg_wr *s3_call_begin(struct s3_req *r, bool write);  /* REQ with KIND VAULT ITEM ... */
/* Answers an error of vaultd (RESP status err) as S3 XML. */
void s3_reply_vaultd(struct s3_req *r, int err);
/* The S3 code of vaultd's refusal err (into code) and its message. */
const char *s3_vaultd_code(const struct s3_req *r, int err, char *code, size_t cap);
void s3_reply_error(struct s3_req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void s3_reply_xml(struct s3_req *r, int status, struct vg_wr *doc, const char *extra);
/* A query parameter, decoded: 1 found, 0 absent, <0 malformed. */
int s3_query(const struct s3_req *r, const char *name, char *out, size_t cap);
/* A request header (trimmed): 1 found, 0 absent. */
int s3_header(const struct s3_req *r, const char *name, char *out, size_t cap);
void s3_iso_time(uint64_t t, char *out, size_t n);   /* 2026-12-07T20:00:00.000Z */
void s3_http_time(uint64_t t, char *out, size_t n);  /* Mon, 07 Dec 2026 20:00:00 GMT */

/* bucket.c */
void s3_list_buckets(struct s3_req *r);
void s3_create_bucket(struct s3_req *r);
void s3_head_bucket(struct s3_req *r);
void s3_delete_bucket(struct s3_req *r);
void s3_list_objects(struct s3_req *r);
void s3_list_versions(struct s3_req *r);

/* lock.c */
void s3_put_lockcfg(struct s3_req *r);
void s3_get_lockcfg(struct s3_req *r);
void s3_put_retention(struct s3_req *r);
void s3_get_retention(struct s3_req *r);
void s3_put_hold(struct s3_req *r);
void s3_get_hold(struct s3_req *r);
void s3_versioning(struct s3_req *r, bool put);

/* object.c */
void s3_put_object(struct s3_req *r);
void s3_get_object(struct s3_req *r, bool head);
void s3_delete_object(struct s3_req *r);
void s3_delete_objects(struct s3_req *r);
void s3_copy_object(struct s3_req *r);
/* The kept request headers as "name:value\n" lines (vault/s3.h meta). */
void s3_meta_lines(const struct s3_req *r, struct vg_wr *out);

/* multipart.c */
void s3_mp_create(struct s3_req *r);
void s3_mp_complete(struct s3_req *r);
void s3_mp_abort(struct s3_req *r);
void s3_mp_parts(struct s3_req *r);
void s3_mp_uploads(struct s3_req *r);
void s3_mp_part_copy(struct s3_req *r);

#endif
