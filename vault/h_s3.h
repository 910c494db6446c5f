/* h_s3.h - what vaultd's S3 action files share (internal; h_s3.c has the
 * table and the checks every action passes, h_s3obj.c the object actions,
 * h_s3lock.c Object Lock). */
#ifndef VAULT_H_S3_H
#define VAULT_H_S3_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "s3.h"
#include "server_int.h"

/* S_BODY: the key and version come from the request's body (DeleteObjects):
 * the signature names the bucket and the subresource, not them. */
/* S_UPLOAD: a multipart upload's uploadId (VG_TAG_POINT) and, for
 * UploadPart, its partNumber (VG_TAG_COUNT), both bound to the signature. */
enum { S_BUCKET = 1u << 0, S_KEY = 1u << 1, S_VERSION = 1u << 2, S_BODY = 1u << 3,
	S_UPLOAD = 1u << 4 };

struct s3req;
struct s3act {
	const char *name;
	uint32_t op;
	const char *method;
	const char *sub;        /* the query parameter naming the subresource, or NULL */
	unsigned flags;
	int (*fn)(struct s3req *x);
};

struct s3req {
	struct conn *k;
	const struct vg_msg *m;
	const struct s3act *act;
	char vault[VG_VAULT_NAME_MAX + 1];
	char bucket[VG_ITEM_NAME_MAX + 1];
	char key[VS3_KEY_MAX + 1];
	size_t keylen;
	char version[24];
	uint64_t vpoint;
	bool has_version;
	char upload_id[24];
	uint64_t upload;        /* S_UPLOAD: the upload's pending point */
	unsigned partno;        /* 0: none given */
	struct vr_item it;
	char target[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 300];
};

/* "Code: message" answers; 0 once answered, <0 on I/O. */
int s3h_err(struct s3req *x, int r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The same, audited as a refusal with the code and reason. */
int s3h_refuse(struct s3req *x, int r, const char *code, const char *why);
/* need() for the request's vault and bucket: 0 allowed, 1 refused, <0. */
int s3h_need(struct s3req *x, enum vperm p);
/* The version a request names (versionId, else the newest). */
int s3h_find_version(struct s3req *x, struct vs3_version *v);
void s3h_etag_hex(const uint8_t md5[16], char out[33]);
/* The version's ETag: its MD5, or for a multipart one "MD5-OF-MD5S-N". */
void s3h_version_etag(const struct vs3_version *v, char out[48]);
/* A new version of x->key from the gateway's meta lines: lock headers or
 * the bucket's default retention, legal hold; v->meta points into keep
 * (the caller frees it); a Content-MD5 is left in v->md5 with flag bit
 * 0x80 set. 0, 1 refused (answered), <0. */
int s3h_new_version(struct s3req *x, const uint8_t *meta, uint32_t ml, struct vs3_version *v,
	struct vg_wr *keep);
/* The source version named by the signed x-amz-copy-source (restore right
 * on its bucket): 0, or 1 refused (answered), <0. */
int s3h_copy_source(struct s3req *x, struct s3req *src, struct vs3_version *sv);
/* The open upload x->upload of x->key (h_s3mp.c): 0, or 1 answered
 * (NoSuchUpload), <0. */
int s3h_find_upload(struct s3req *x, struct vs3_version *uv);
void s3h_put_version(struct vg_wr *w, const struct vs3_version *v, bool latest);
/* The signed header of the canonical request ("" if absent, "?" if signed
 * but longer than n). */
void s3h_signed_header(struct s3req *x, const char *name, char *out, size_t n);
/* ISO 8601 UTC -> unix seconds. */
int s3h_parse_iso(const char *s, uint64_t *out);
/* May version v be deleted (legal hold, retention, governance bypass)?
 * 0 go on; 1 refused (answered, audited); <0 I/O. */
int s3h_lock_check(struct s3req *x, const struct vs3_version *v);

/* actions outside h_s3.c */
int s3a_put_object(struct s3req *x);
int s3a_get_object(struct s3req *x);
int s3a_head_object(struct s3req *x);
int s3a_delete_object(struct s3req *x);
int s3a_copy_object(struct s3req *x);
int s3a_get_lockcfg(struct s3req *x);
int s3a_put_lockcfg(struct s3req *x);
int s3a_get_retention(struct s3req *x);
int s3a_put_retention(struct s3req *x);
int s3a_get_hold(struct s3req *x);
int s3a_put_hold(struct s3req *x);
int s3a_get_versioning(struct s3req *x);
int s3a_mp_create(struct s3req *x);
int s3a_mp_complete(struct s3req *x);
int s3a_mp_abort(struct s3req *x);
int s3a_mp_parts(struct s3req *x);
int s3a_mp_uploads(struct s3req *x);
int s3a_mp_part_copy(struct s3req *x);
int s3a_put_versioning(struct s3req *x);

static inline int s3h_done1(int e)
{
	return e ? e : 1;
}

#define ERR(x, r, code, ...) s3h_err((x), (r), (code), __VA_ARGS__)
#define done1 s3h_done1
#define S3NEED(x, p)                                    \
	do {                                            \
		int _n = s3h_need((x), (p));            \
		if (_n)                                 \
			return _n < 0 ? _n : 0;         \
	} while (0)

#endif
