/* h_s3.c - vaultd's S3 actions (VG_OP_S3_READ / VG_OP_S3_WRITE, s3.h).
 *
 * One table row per action: its name (KIND), the operation it must come
 * in, the HTTP method and the query subresource its signature must name,
 * and its handler. Before a handler runs, a signed request's canonical
 * request (checked against the client's signature by s3auth.c) must name
 * this method, this bucket and key (path-style, or virtual-host style with
 * the bucket in the signed Host), this subresource and no other, and the
 * same versionId: a gateway cannot turn a captured GET signature into a
 * DELETE, or one version's into another's. Then roles apply as everywhere
 * (need()): agents put and get, never delete (a delete marker hides data,
 * so it is refused too, SPEC §1); Readers list and HEAD.
 *
 * Refusals answer "Code: message" with the S3 error code first, which the
 * gateway puts in its XML error.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "buf.h"
#include "ops.h"
#include "clock.h"
#include "auth.h"
#include "lifecycle.h"
#include "s3.h"
#include "h_s3.h"
#include "server_int.h"
#include "sigv4.h"
#include "vg_err.h"

int s3h_err(struct s3req *x, int r, const char *code, const char *fmt, ...)
{
	char msg[700];
	va_list ap;
	int e;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = send_err(x->k, r, "%s: %s", code, msg);
	return e ? e : 0;
}

/* Refusals are audited with the S3 code and the reason. */
int s3h_refuse(struct s3req *x, int r, const char *code, const char *why)
{
	char reason[800], op[80];

	snprintf(reason, sizeof(reason), "%s: %s", code, why);
	snprintf(op, sizeof(op), "s3.%s", x->act->name);
	audit_refusal(x->k, op, x->target, r, reason);
	return s3h_err(x, r, code, "%s", why);
}

int s3h_need(struct s3req *x, enum vperm p)
{
	char op[80];

	snprintf(op, sizeof(op), "s3.%s", x->act->name);
	return need(x->k, op, x->vault, *x->bucket ? x->bucket : NULL, p);
}

/* ---- the signature names this action ------------------------------------- */

static const char *const subresources[] = {
	"acl", "delete", "legal-hold", "lifecycle", "location", "object-lock", "policy",
	"retention", "tagging", "uploadId", "uploads", "versioning", "versions", "cors",
	"encryption", "replication", "website", "notification", "logging", "accelerate",
	"ownershipControls", "publicAccessBlock", "torrent", "restore", "select", "attributes",
};

static bool span_eq(const char *s, size_t n, const char *t)
{
	return strlen(t) == n && memcmp(s, t, n) == 0;
}

static int bind_check(struct s3req *x, char *why, size_t whysz)
{
	struct vg_sigv4_creq q;
	const uint8_t *canon;
	uint32_t cl;
	struct vg_wr want;
	char host[300], val[64];
	bool ok = false;
	int r;

	if (vg_msg_bytes(x->m, VG_TAG_S3_CANON, &canon, &cl))
		return 0;  /* a vault token, not an S3 signature: vaultd checked it */
	if (vg_sigv4_creq_split((const char *)canon, cl, &q))
		return snprintf(why, whysz, "malformed canonical request"), VG_EAUTH;
	if (!span_eq(q.method, q.method_len, x->act->method)) {
		snprintf(why, whysz, "the signature is for %.*s, not %s (%s)", (int)q.method_len,
			q.method, x->act->method, x->act->name);
		return VG_EAUTH;
	}
	if (vg_sigv4_creq_header(&q, "host", host, sizeof(host)) != 1)
		return snprintf(why, whysz, "host is not signed"), VG_EAUTH;
	vg_wr_init(&want, 8192);
	for (int vhost = 0; vhost < 2 && !ok; vhost++) {
		size_t bl = strlen(x->bucket);
		vg_wr_reset(&want);
		if (vhost) {
			if (!*x->bucket || strncmp(host, x->bucket, bl) != 0 || host[bl] != '.')
				continue;
		} else if (*x->bucket) {
			vg_wr_u8(&want, '/');
			vg_sigv4_uri_encode(&want, x->bucket, bl, false);
		}
		vg_wr_u8(&want, '/');
		if ((x->act->flags & S_KEY) && !(x->act->flags & S_BODY))
			vg_sigv4_uri_encode(&want, x->key, x->keylen, true);
		if (want.err)
			break;
		ok = q.path_len == want.len && memcmp(q.path, want.p, want.len) == 0;
		/* bucket actions: "/bucket" as well as "/bucket/" */
		if (!ok && (!(x->act->flags & S_KEY) || (x->act->flags & S_BODY)) && *x->bucket && !vhost)
			ok = q.path_len + 1 == want.len && memcmp(q.path, want.p, q.path_len) == 0;
	}
	vg_wr_free(&want);
	if (!ok) {
		snprintf(why, whysz, "the signature is for another path (%s on %s)", x->act->name,
			*x->bucket ? x->bucket : "/");
		return VG_EAUTH;
	}
	for (size_t i = 0; i < sizeof(subresources) / sizeof(subresources[0]); i++) {
		bool want_it = x->act->sub && strcmp(x->act->sub, subresources[i]) == 0;
		r = vg_sigv4_creq_param(&q, subresources[i], val, sizeof(val));
		if (r < 0 && r != VG_ETOOBIG)
			return snprintf(why, whysz, "malformed canonical query"), VG_EAUTH;
		if ((r != 0) != want_it) {
			snprintf(why, whysz, "the signature is for another subresource than %s",
				x->act->name);
			return VG_EAUTH;
		}
	}
	if (x->act->flags & S_UPLOAD) {
		char pn[16];
		r = vg_sigv4_creq_param(&q, "uploadId", val, sizeof(val));
		if (r != 1 || strcmp(val, x->upload_id) != 0) {
			snprintf(why, whysz, "the signature is for another upload");
			return VG_EAUTH;
		}
		r = vg_sigv4_creq_param(&q, "partNumber", pn, sizeof(pn));
		if (r < 0 || (r == 1) != (x->partno != 0) ||
		    (r == 1 && strtoul(pn, NULL, 10) != x->partno)) {
			snprintf(why, whysz, "the signature is for another part");
			return VG_EAUTH;
		}
	}
	r = vg_sigv4_creq_param(&q, "versionId", val, sizeof(val));
	if (x->act->flags & S_BODY) {
		if (r != 0) {
			snprintf(why, whysz, "a versionId in the query of %s", x->act->name);
			return VG_EAUTH;
		}
	} else if (r < 0 || (r == 1) != x->has_version || (r == 1 && strcmp(val, x->version) != 0)) {
		snprintf(why, whysz, "the signature is for another version");
		return VG_EAUTH;
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

static bool bucket_name_ok(const char *b)
{
	size_t n = strlen(b);

	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = b[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return false;
	}
	return b[0] != '-' && b[0] != '.' && b[n - 1] != '-' && b[n - 1] != '.' && !strstr(b, "..");
}

static bool utf8_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len;
		uint32_t cp;
		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			len = 2, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			len = 3, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (i + len > n)
			return false;
		for (size_t j = 1; j < len; j++) {
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | ((unsigned char)s[i + j] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static void target_of(struct s3req *x)
{
	int kn = x->keylen > 200 ? 200 : (int)x->keylen;

	snprintf(x->target, sizeof(x->target), "%s/%s%s%.*s%s", x->vault, x->bucket,
		x->keylen ? "/" : "", kn, x->key, x->keylen > 200 ? "..." : "");
}

void s3h_etag_hex(const uint8_t md5[16], char out[33])
{
	vg_hex(out, md5, 16);
}

void s3h_version_etag(const struct vs3_version *v, char out[48])
{
	vg_hex(out, v->md5, 16);
	if (v->flags & VS3_F_MP)
		snprintf(out + 32, 16, "-%u", (unsigned)v->parts);
}

/* The version's fields in a RESP or ROW. */
void s3h_put_version(struct vg_wr *w, const struct vs3_version *v, bool latest)
{
	char ps[17], et[48];

	vcore_point_str(v->point, ps);
	s3h_version_etag(v, et);
	vg_msgb_bytes(w, VG_TAG_S3_KEY, v->key, v->keylen);
	vg_msgb_str(w, VG_TAG_ID, ps);
	vg_msgb_u64(w, VG_TAG_SIZE, v->size);
	vg_msgb_u64(w, VG_TAG_TIME, v->mtime);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	vg_msgb_u32(w, VG_TAG_FLAGS, (v->flags & VS3_F_MARKER ? 1u : 0) | (latest ? 2u : 0) |
		(v->flags & VS3_F_HOLD ? 4u : 0));
	if (v->lock_mode) {
		vg_msgb_str(w, VG_TAG_STATE, v->lock_mode == VS3_LOCK_COMPLIANCE ? "COMPLIANCE" :
			"GOVERNANCE");
		vg_msgb_u64(w, VG_TAG_TIME2, v->retain_until);
	}
	if (v->meta && v->metalen)
		vg_msgb_bytes(w, VG_TAG_S3_META, v->meta, v->metalen);
}

/* The version a request names: versionId, else the newest. A delete
 * marker is returned as is (the caller decides). */
int s3h_find_version(struct s3req *x, struct vs3_version *v)
{
	bool active;
	int r;

	memset(v, 0, sizeof(*v));
	if (x->has_version) {
		r = vs3_version_get(x->k->c, x->it.id, x->vpoint, v, &active);
		if (r == 0 && (!active || v->keylen != x->keylen ||
			       memcmp(v->key, x->key, x->keylen) != 0)) {
			vs3_version_clear(v);
			r = VG_ENOTFOUND;
		}
		return r;
	}
	return vs3_latest(x->k->c, x->vault, x->bucket, x->key, x->keylen, v);
}

/* ---- buckets ------------------------------------------------------------- */

struct lb_arg {
	struct conn *k;
	const char *vault;
	int err;
};

static int lb_cb(void *arg, const char *name, const struct vr_item *it)
{
	struct lb_arg *a = arg;
	struct vg_wr *w;
	char why[8];

	if (strcmp(it->kind, "s3") != 0 || it->state == VR_I_SOFTDELETED ||
	    vauth_authorize(a->k->c, &a->k->who, a->vault, name, VP_VIEW, why, sizeof(why)))
		return 0;
	w = row(a->k);
	vg_msgb_str(w, VG_TAG_ITEM, name);
	vg_msgb_u64(w, VG_TAG_TIME, it->created);
	return vg_send_frame(a->k->fd, w);
}

static int a_list_buckets(struct s3req *x)
{
	struct lb_arg a = {x->k, x->vault, 0};
	int r;

	if ((r = vg_send_frame(x->k->fd, resp_ok(x->k))))
		return r;
	r = vcore_item_list(x->k->c, x->vault, lb_cb, &a);
	return r == VG_ECLOSED ? r : end_stream(x->k, r);
}

static int a_create_bucket(struct s3req *x)
{
	struct vs3_bucket b = {0};
	uint32_t flags = 0;
	int r;

	if (!bucket_name_ok(x->bucket))
		return s3h_refuse(x, VG_ENAME, "InvalidBucketName",
			"bucket names are 3..63 of a-z 0-9 . - (S3's rules)");
	if (vcore_item_get(x->k->c, x->vault, x->bucket, &x->it) == 0) {
		S3NEED(x, VP_VIEW);
		return s3h_err(x, VG_EEXISTS, strcmp(x->it.kind, "s3") == 0 ?
			"BucketAlreadyOwnedByYou" : "BucketAlreadyExists", "%s exists", x->bucket);
	}
	x->bucket[0] = 0;  /* the permission is the vault's */
	{
		int n = need(x->k, "s3.CreateBucket", x->vault, NULL, VP_PROTECT);
		if (n)
			return n < 0 ? n : 0;
	}
	target_of(x);
	(void)vg_msg_str(x->m, VG_TAG_ITEM, x->bucket, sizeof(x->bucket));
	(void)vg_msg_u32(x->m, VG_TAG_FLAGS, &flags);
	if ((r = vcore_item_create(x->k->c, &x->k->who, x->vault, x->bucket, "s3", NULL))) {
		audit_fail(x->k, "s3.CreateBucket", x->target, r, true);
		return s3h_err(x, r, r == VG_EEXISTS ? "BucketAlreadyExists" : "InternalError",
			"%s: %s", x->bucket, vg_strerror(r));
	}
	if ((r = vcore_item_get(x->k->c, x->vault, x->bucket, &x->it)))
		return s3h_err(x, r, "InternalError", "%s", vg_strerror(r));
	b.lock_enabled = (flags & 1) != 0;
	if ((r = vs3_bucket_put(x->k->c, x->it.id, &b)))
		return s3h_err(x, r, "InternalError", "%s", vg_strerror(r));
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

static int a_head_bucket(struct s3req *x)
{
	struct vs3_bucket b;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b)))
		return s3h_err(x, r, "InternalError", "%s", vg_strerror(r));
	w = resp_ok(x->k);
	vg_msgb_u32(w, VG_TAG_FLAGS, b.lock_enabled ? 1u : 0);
	return vg_send_frame(x->k->fd, w);
}

/* An empty bucket (no visible version or marker) is deleted as its item
 * is: stop protection with delete data, soft (SPEC §2). */
static int a_delete_bucket(struct s3req *x)
{
	struct vs3_version *vs = NULL;
	struct vlife_outcome o;
	struct vg_wr *w;
	char why[400] = "", detail[200];
	size_t n = 0;
	int r;

	S3NEED(x, VP_STOP);
	if ((r = vs3_versions(x->k->c, x->vault, x->bucket, "", 0, &vs, &n)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	free(vs);
	if (n)
		return s3h_refuse(x, VG_EBADSTATE, "BucketNotEmpty",
			"The bucket you tried to delete is not empty (versions and delete markers count)");
	if ((r = vlife_item_stop(x->k->c, &x->k->who, x->vault, x->bucket, true, &o, why,
		     sizeof(why))))
		return s3h_refuse(x, r, r == VG_EIMMUTABLE || r == VG_EMUA || r == VG_EDENIED ||
			r == VG_EPIN ? "AccessDenied" : "InternalError", *why ? why : vg_strerror(r));
	vlife_outcome_str(&o, detail, sizeof(detail));
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_DETAIL, detail);
	return vg_send_frame(x->k->fd, w);
}

/* ---- listing ------------------------------------------------------------- */

static int list_common(struct s3req *x, bool versions);

static int a_list_objects(struct s3req *x)
{
	return list_common(x, false);
}

static int a_list_versions(struct s3req *x)
{
	return list_common(x, true);
}

static int cmp_key(const struct vs3_version *a, const struct vs3_version *b)
{
	return a->keylen != b->keylen || memcmp(a->key, b->key, a->keylen) != 0;
}

/* ROWs of the latest version of each key (ListObjects) or of every
 * version (ListVersions), keys >= S3_KEY2 (start after, exclusive for
 * ListObjects), under prefix S3_KEY. The gateway groups by delimiter and
 * pages. */
static int list_common(struct s3req *x, bool versions)
{
	struct vs3_version *vs = NULL;
	const uint8_t *pfx = NULL, *after = NULL;
	uint32_t pl = 0, al = 0;
	size_t n = 0;
	int r;

	S3NEED(x, VP_VIEW);
	(void)vg_msg_bytes(x->m, VG_TAG_S3_KEY, &pfx, &pl);
	(void)vg_msg_bytes(x->m, VG_TAG_S3_KEY2, &after, &al);
	if ((r = vs3_versions(x->k->c, x->vault, x->bucket, (const char *)pfx, pl, &vs, &n)))
		return s3h_err(x, r, "InternalError", "%s", vg_strerror(r));
	if ((r = vg_send_frame(x->k->fd, resp_ok(x->k))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool latest = i == 0 || cmp_key(&vs[i - 1], &vs[i]) != 0;
		size_t m = al < vs[i].keylen ? al : vs[i].keylen;
		int c = after ? memcmp(vs[i].key, after, m) : 1;
		if (after && (c < 0 || (c == 0 && vs[i].keylen <= al)))
			continue;
		if (!versions && (!latest || (vs[i].flags & VS3_F_MARKER)))
			continue;
		{
			struct vg_wr *w = row(x->k);
			s3h_put_version(w, &vs[i], latest);
			if ((r = vg_send_frame(x->k->fd, w)))
				goto out;
		}
	}
	r = end_stream(x->k, 0);
out:
	free(vs);
	return r;
}

/* ---- dispatch -------------------------------------------------------------- */

static const struct s3act actions[] = {
	{"ListBuckets", VG_OP_S3_READ, "GET", NULL, 0, a_list_buckets},
	{"CreateBucket", VG_OP_S3_WRITE, "PUT", NULL, S_BUCKET, a_create_bucket},
	{"HeadBucket", VG_OP_S3_READ, "HEAD", NULL, S_BUCKET, a_head_bucket},
	{"DeleteBucket", VG_OP_S3_WRITE, "DELETE", NULL, S_BUCKET, a_delete_bucket},
	{"ListObjects", VG_OP_S3_READ, "GET", NULL, S_BUCKET, a_list_objects},
	{"ListObjectVersions", VG_OP_S3_READ, "GET", "versions", S_BUCKET, a_list_versions},
	{"PutObject", VG_OP_S3_WRITE, "PUT", NULL, S_BUCKET | S_KEY, s3a_put_object},
	{"CopyObject", VG_OP_S3_WRITE, "PUT", NULL, S_BUCKET | S_KEY, s3a_copy_object},
	{"GetObject", VG_OP_S3_READ, "GET", NULL, S_BUCKET | S_KEY | S_VERSION, s3a_get_object},
	{"HeadObject", VG_OP_S3_READ, "HEAD", NULL, S_BUCKET | S_KEY | S_VERSION, s3a_head_object},
	{"DeleteObject", VG_OP_S3_WRITE, "DELETE", NULL, S_BUCKET | S_KEY | S_VERSION,
		s3a_delete_object},
	/* one object of a DeleteObjects body per request (the gateway parses
	 * the body; the signature covers POST /BUCKET?delete) */
	{"DeleteObjects", VG_OP_S3_WRITE, "POST", "delete", S_BUCKET | S_KEY | S_VERSION | S_BODY,
		s3a_delete_object},
	{"GetObjectLockConfiguration", VG_OP_S3_READ, "GET", "object-lock", S_BUCKET, s3a_get_lockcfg},
	{"PutObjectLockConfiguration", VG_OP_S3_WRITE, "PUT", "object-lock", S_BUCKET, s3a_put_lockcfg},
	{"GetObjectRetention", VG_OP_S3_READ, "GET", "retention", S_BUCKET | S_KEY | S_VERSION,
		s3a_get_retention},
	{"PutObjectRetention", VG_OP_S3_WRITE, "PUT", "retention", S_BUCKET | S_KEY | S_VERSION,
		s3a_put_retention},
	{"GetObjectLegalHold", VG_OP_S3_READ, "GET", "legal-hold", S_BUCKET | S_KEY | S_VERSION,
		s3a_get_hold},
	{"PutObjectLegalHold", VG_OP_S3_WRITE, "PUT", "legal-hold", S_BUCKET | S_KEY | S_VERSION,
		s3a_put_hold},
	{"CreateMultipartUpload", VG_OP_S3_WRITE, "POST", "uploads", S_BUCKET | S_KEY, s3a_mp_create},
	{"UploadPart", VG_OP_S3_WRITE, "PUT", "uploadId", S_BUCKET | S_KEY | S_UPLOAD, s3a_put_object},
	{"UploadPartCopy", VG_OP_S3_WRITE, "PUT", "uploadId", S_BUCKET | S_KEY | S_UPLOAD,
		s3a_mp_part_copy},
	{"CompleteMultipartUpload", VG_OP_S3_WRITE, "POST", "uploadId", S_BUCKET | S_KEY | S_UPLOAD,
		s3a_mp_complete},
	{"AbortMultipartUpload", VG_OP_S3_WRITE, "DELETE", "uploadId", S_BUCKET | S_KEY | S_UPLOAD,
		s3a_mp_abort},
	{"ListParts", VG_OP_S3_READ, "GET", "uploadId", S_BUCKET | S_KEY | S_UPLOAD, s3a_mp_parts},
	{"ListMultipartUploads", VG_OP_S3_READ, "GET", "uploads", S_BUCKET, s3a_mp_uploads},
	{"GetBucketVersioning", VG_OP_S3_READ, "GET", "versioning", S_BUCKET, s3a_get_versioning},
	{"PutBucketVersioning", VG_OP_S3_WRITE, "PUT", "versioning", S_BUCKET, s3a_put_versioning},
};

void s3h_signed_header(struct s3req *x, const char *name, char *out, size_t n)
{
	const uint8_t *canon;
	uint32_t cl;
	struct vg_sigv4_creq q;
	int r;

	out[0] = 0;
	if (vg_msg_bytes(x->m, VG_TAG_S3_CANON, &canon, &cl) == 0 &&
	    vg_sigv4_creq_split((const char *)canon, cl, &q) == 0 &&
	    (r = vg_sigv4_creq_header(&q, name, out, n)) != 1)
		/* signed but unreadable (too long): never "absent" */
		snprintf(out, n, "%s", r < 0 ? "?" : "");
}

int h_s3(struct conn *k, const struct vg_msg *m)
{
	struct s3req x;
	char kind[65], why[400] = "";
	uint32_t op = 0;
	const uint8_t *key;
	uint32_t kl;
	int r;

	memset(&x, 0, sizeof(x));
	x.k = k;
	x.m = m;
	(void)vg_msg_u32(m, VG_TAG_OP, &op);
	if (vg_msg_str(m, VG_TAG_KIND, kind, sizeof(kind)) ||
	    vg_msg_str(m, VG_TAG_VAULT, x.vault, sizeof(x.vault)))
		return send_err(k, VG_EINVAL, "InvalidRequest: an S3 action needs a kind and a vault");
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(actions[i].name, kind) == 0)
			x.act = &actions[i];
	if (!x.act || x.act->op != op)
		return send_err(k, VG_EPROTO, "NotImplemented: %s is not an S3 action vaultd serves as "
			"operation %u", kind, op);
	if (x.act->flags & S_BUCKET) {
		if (vg_msg_str(m, VG_TAG_ITEM, x.bucket, sizeof(x.bucket)))
			return send_err(k, VG_EINVAL, "InvalidBucketName: no bucket");
	}
	if (x.act->flags & S_KEY) {
		if (vg_msg_bytes(m, VG_TAG_S3_KEY, &key, &kl) || kl == 0 || kl > VS3_KEY_MAX ||
		    !utf8_ok((const char *)key, kl))
			return send_err(k, VG_EINVAL, "KeyTooLongError: a key is 1..1024 bytes of UTF-8");
		memcpy(x.key, key, kl);
		x.key[kl] = 0;
		x.keylen = kl;
	}
	if ((x.act->flags & S_VERSION) && vg_msg_str(m, VG_TAG_ID, x.version, sizeof(x.version)) == 0) {
		if (strcmp(x.version, "null") == 0 || vcore_point_parse(x.version, &x.vpoint))
			return send_err(k, VG_EINVAL, "InvalidArgument: invalid version id");
		x.has_version = true;
	}
	if (x.act->flags & S_UPLOAD) {
		uint64_t pn = 0;
		if (vg_msg_str(m, VG_TAG_POINT, x.upload_id, sizeof(x.upload_id)) ||
		    vcore_point_parse(x.upload_id, &x.upload))
			return send_err(k, VG_ENOTFOUND, "NoSuchUpload: invalid upload id");
		if (vg_msg_u64(m, VG_TAG_COUNT, &pn) == 0) {
			if (pn < 1 || pn > 10000)
				return send_err(k, VG_EINVAL, "InvalidArgument: Part number must be an "
					"integer between 1 and 10000, inclusive");
			x.partno = (unsigned)pn;
		}
	}
	target_of(&x);
	if ((r = bind_check(&x, why, sizeof(why)))) {
		audit_refusal(k, "s3.auth", x.target, r, why);
		return send_err(k, VG_EAUTH, "SignatureDoesNotMatch: %s", why);
	}
	if ((x.act->flags & S_BUCKET) && x.act->fn != a_create_bucket) {
		r = vcore_item_get(k->c, x.vault, x.bucket, &x.it);
		if (r == 0 && strcmp(x.it.kind, "s3") != 0)
			r = VG_ENOTFOUND;
		if (r == VG_ENOTFOUND || r == VG_ENAME || r == VG_ESOFTDELETED ||
		    (r == 0 && x.it.state == VR_I_SOFTDELETED))
			return send_err(k, VG_ENOTFOUND, "NoSuchBucket: %s", x.bucket);
		if (r)
			return send_err(k, r, "InternalError: %s", vg_strerror(r));
	}
	return x.act->fn(&x);
}
