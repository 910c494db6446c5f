/* route.c - one S3 request: addressing, the action, the vaultd link and
 * the XML errors (s3.h). */
#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth.h"
#include "body.h"
#include "limit.h"
#include "metrics.h"
#include "ops.h"
#include "proxy.h"
#include "reply.h"
#include "router.h"
#include "s3.h"
#include "share.h"
#include "vg_err.h"
#include "xml.h"

/* S3 error codes and their HTTP status. */
static const struct {
	const char *code;
	int status;
} codes[] = {
	{"AccessDenied", 403}, {"SignatureDoesNotMatch", 403}, {"InvalidAccessKeyId", 403},
	{"RequestTimeTooSkewed", 403}, {"AuthorizationHeaderMalformed", 400},
	{"AuthorizationQueryParametersError", 400}, {"NoSuchBucket", 404}, {"NoSuchKey", 404},
	{"NoSuchVersion", 404}, {"NoSuchUpload", 404}, {"BucketAlreadyOwnedByYou", 409},
	{"BucketAlreadyExists", 409}, {"BucketNotEmpty", 409}, {"InvalidBucketName", 400},
	{"InvalidArgument", 400}, {"InvalidRequest", 400}, {"InvalidDigest", 400},
	{"BadDigest", 400}, {"InvalidRange", 416}, {"MethodNotAllowed", 405},
	{"NotImplemented", 501}, {"MalformedXML", 400}, {"KeyTooLongError", 400},
	{"InternalError", 500}, {"ServiceUnavailable", 503}, {"SlowDown", 503},
	{"EntityTooLarge", 400}, {"MissingContentLength", 411}, {"PreconditionFailed", 412},
	{"XAmzContentSHA256Mismatch", 400}, {"MetadataTooLarge", 400},
	{"ObjectLockConfigurationNotFoundError", 404}, {"NoSuchObjectLockConfiguration", 404},
	{"InvalidLocationConstraint", 400}, {"InvalidObjectState", 403},
	{"MaxMessageLengthExceeded", 400}, {"InvalidPartOrder", 400}, {"InvalidPart", 400},
	{"EntityTooSmall", 400}, {"QuotaExceeded", 507},
};

static int status_of(const char *code, int dflt)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, code) == 0)
			return codes[i].status;
	return dflt;
}

void s3_iso_time(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

void s3_http_time(uint64_t t, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

void s3_reply_xml(struct s3_req *r, int status, struct vg_wr *doc, const char *extra)
{
	char hdr[512];

	snprintf(hdr, sizeof(hdr), "x-amz-request-id: %s\r\n%s", r->reqid, extra ? extra : "");
	if (doc->err) {
		gw_reply_full(r->x, 500, "application/xml", NULL, 0, hdr);
		return;
	}
	gw_reply_full(r->x, status, "application/xml", doc->p, doc->len, hdr);
}

void s3_reply_error(struct s3_req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[800], res[1200];
	struct vg_wr doc;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(res, sizeof(res), "%s", r->x->req->path);
	vg_wr_init(&doc, 8192);
	s3x_error(&doc, code, msg, s3x_utf8_valid(res, strlen(res)) ? res : NULL, r->reqid);
	if (r->x->req->method == GW_M_HEAD)
		doc.len = 0;  /* a HEAD answer has no body; its Content-Length is 0 */
	s3_reply_xml(r, status, &doc, NULL);
	vg_wr_free(&doc);
}

const char *s3_vaultd_code(const struct s3_req *r, int err, char *code, size_t cap)
{
	const char *msg = r->v ? vgc_errmsg(r->v) : "";
	size_t n = 0;

	/* vaultd's S3 answers start with the S3 code: "NoSuchKey: ..." */
	while (n < cap - 1 && isalnum((unsigned char)msg[n]))
		n++;
	if (n > 0 && isupper((unsigned char)msg[0]) && msg[n] == ':' && msg[n + 1] == ' ') {
		memcpy(code, msg, n);
		code[n] = 0;
		return msg + n + 2;
	} else {
		const char *c = "InternalError";
		switch (err) {
		case VG_EAUTH: c = "SignatureDoesNotMatch"; break;
		case VG_EDENIED: case VG_EIMMUTABLE: case VG_EPOLICY: case VG_EMUA: case VG_EPIN:
			c = "AccessDenied"; break;
		case VG_ENOTFOUND: case VG_ESOFTDELETED:
			c = r->has_key ? "NoSuchKey" : "NoSuchBucket"; break;
		case VG_EINVAL: case VG_ENAME: c = "InvalidArgument"; break;
		case VG_ERANGE: c = "InvalidRange"; break;
		case VG_ETOOBIG: c = "EntityTooLarge"; break;
		case VG_ENOSPACE: c = "QuotaExceeded"; break;
		case VG_EKEY: case VG_ELIMIT: c = "ServiceUnavailable"; break;
		default: break;
		}
		snprintf(code, cap, "%s", c);
	}
	return msg;
}

void s3_reply_vaultd(struct s3_req *r, int err)
{
	char code[64];
	const char *msg;

	if (r->v && gw_link_failed(r->v, err)) {
		r->x->link_bad = true;
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		s3_reply_error(r, 503, "ServiceUnavailable", "vaultd link failed: %s", vg_strerror(err));
		return;
	}
	if (err == VG_EAUTH)
		gw_auth_failed(r->x);
	msg = s3_vaultd_code(r, err, code, sizeof(code));
	s3_reply_error(r, status_of(code, gw_status_of(err)), code, "%s", msg);
}

int s3_query(const struct s3_req *r, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);

	for (const char *p = r->x->req->query; p && *p;) {
		const char *e = strchr(p, '&');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n >= nl && memcmp(p, name, nl) == 0 && (n == nl || p[nl] == '=')) {
			if (n == nl) {
				if (cap)
					out[0] = 0;
				return 1;
			}
			return vg_sigv4_uri_decode(p + nl + 1, n - nl - 1, out, cap, NULL) ? -1 : 1;
		}
		p = e ? e + 1 : NULL;
	}
	return 0;
}

int s3_header(const struct s3_req *r, const char *name, char *out, size_t cap)
{
	if (!r->x->head)
		return 0;
	return vg_sigv4_header(r->x->head, r->x->headlen, name, out, cap) == 0;
}

/* ---- the vaultd link --------------------------------------------------------- */

int s3_open(struct s3_req *r)
{
	struct gw_rctx *x = r->x;
	struct gw_conn *c = x->c;
	char principal[VG_PRINCIPAL_NAME_MAX + 1];
	bool write = x->req->method != GW_M_GET && x->req->method != GW_M_HEAD;
	int e;

	if (gw_rl_blocked(x->srv->rl, &c->akey, gw_now_ms())) {
		gw_metrics_add(GW_C_AUTH_LIMITED, 1);
		s3_reply_error(r, 503, "SlowDown", "too many failed authentication attempts from %s",
			c->source);
		return 1;
	}
	if ((e = gw_pool_get(x->srv->pool, &r->v))) {
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		s3_reply_error(r, 503, "ServiceUnavailable", "vaultd unavailable: %s", vg_strerror(e));
		r->v = NULL;
		return 1;
	}
	x->link_bad = false;
	memset(&x->auth, 0, sizeof(x->auth));
	x->auth.peer = c->peer;
	x->auth.grant = x->req->grant[0] ? x->req->grant : NULL;
	x->auth.s3_cred = r->sa.cred;
	x->auth.s3_date = r->sa.amz_date;
	x->auth.s3_sig = r->sa.signature;
	x->auth.s3_canon = (const char *)r->canon.p;
	x->auth.s3_canon_len = r->canon.len;
	vgc_set_auth(r->v, &x->auth);
	/* The fair share of links by access key (the principal is vaultd's
	 * to know; a key belongs to one principal). */
	snprintf(principal, sizeof(principal), "s3:%.40s", r->sa.akid);
	if (gw_share_claim(x->srv->share, principal, false, write) != GW_SHARE_OK) {
		gw_metrics_add(GW_C_LINK_SHARE, 1);
		gw_pool_put(x->srv->pool, r->v, true);
		r->v = NULL;
		s3_reply_error(r, 503, "SlowDown", "this access key holds its share of vaultd links");
		return 1;
	}
	x->claimed = true;
	x->claim_admin = false;
	x->claim_write = write;
	snprintf(x->claim_principal, sizeof(x->claim_principal), "%s", principal);
	return 0;
}

void s3_close(struct s3_req *r)
{
	gw_vaultd_close(r->x, r->v);
	r->v = NULL;
}

struct vg_wr *s3_call_begin(struct s3_req *r, bool write)
{
	struct vg_wr *w = vgc_req(r->v, write ? VG_OP_S3_WRITE : VG_OP_S3_READ);

	vg_msgb_str(w, VG_TAG_KIND, r->action);
	vg_msgb_str(w, VG_TAG_VAULT, r->x->srv->cfg->s3_vault);
	if (r->bucket[0])
		vg_msgb_str(w, VG_TAG_ITEM, r->bucket);
	if (r->has_key)
		vg_msgb_bytes(w, VG_TAG_S3_KEY, r->key, (uint32_t)r->keylen);
	if (r->has_version)
		vg_msgb_str(w, VG_TAG_ID, r->version);
	if (r->has_upload)
		vg_msgb_str(w, VG_TAG_POINT, r->upload);
	if (r->partno)
		vg_msgb_u64(w, VG_TAG_COUNT, r->partno);
	return w;
}

/* ---- addressing and dispatch ------------------------------------------------- */

static int address(struct s3_req *r)
{
	const char *path = r->x->req->path, *suffix = r->x->srv->cfg->s3_host_suffix;
	const char *rest;
	char host[256];

	if (path[0] != '/')
		return VG_EINVAL;
	snprintf(host, sizeof(host), "%s", r->x->req->host);
	if (host[0] != '[' && strchr(host, ':'))
		*strchr(host, ':') = 0;
	if (suffix && *suffix) {
		size_t hl = strlen(host), sl = strlen(suffix);
		if (hl > sl + 1 && host[hl - sl - 1] == '.' && strcasecmp(host + hl - sl, suffix) == 0) {
			if (hl - sl - 1 >= sizeof(r->bucket))
				return VG_EINVAL;
			memcpy(r->bucket, host, hl - sl - 1);
			r->bucket[hl - sl - 1] = 0;
			r->vhost = true;
			rest = path + 1;
			goto key;
		}
	}
	rest = strchr(path + 1, '/');
	{
		size_t bl = rest ? (size_t)(rest - path - 1) : strlen(path + 1);
		char enc[256];
		if (bl >= sizeof(enc))
			return VG_EINVAL;
		memcpy(enc, path + 1, bl);
		enc[bl] = 0;
		if (vg_sigv4_uri_decode(enc, bl, r->bucket, sizeof(r->bucket), NULL))
			return VG_EINVAL;
	}
	if (!rest)
		return 0;
	rest++;
key:
	if (!*rest)
		return 0;
	if (vg_sigv4_uri_decode(rest, strlen(rest), r->key, sizeof(r->key), &r->keylen))
		return VG_ETOOBIG;
	r->has_key = true;
	return 0;
}

/* The subresources we know; any other is NotImplemented, never a plain
 * GET of the object or bucket. */
static const char *const known_sub[] = {
	"acl", "cors", "delete", "encryption", "legal-hold", "lifecycle", "location", "logging",
	"notification", "object-lock", "policy", "replication", "retention", "tagging",
	"uploadId", "uploads", "versioning", "versions", "website", "accelerate",
	"ownershipControls", "publicAccessBlock", "restore", "select", "torrent", "attributes",
};

static const char *subresource(const struct s3_req *r)
{
	char v[8];

	for (size_t i = 0; i < sizeof(known_sub) / sizeof(known_sub[0]); i++)
		if (s3_query(r, known_sub[i], v, 0) != 0)
			return known_sub[i];
	return NULL;
}

static _Atomic uint64_t reqseq;

void gw_s3_handle(struct gw_rctx *x)
{
	struct s3_req r;
	enum gw_method m = x->req->method;
	const char *sub;
	int e;

	memset(&r, 0, sizeof(r));
	r.x = x;
	x->route = GW_R_S3;
	snprintf(r.reqid, sizeof(r.reqid), "%08llX%08llX",
		(unsigned long long)(gw_now_ms() & 0xffffffffu),
		(unsigned long long)(atomic_fetch_add(&reqseq, 1) & 0xffffffffu));
	if ((e = address(&r))) {
		s3_reply_error(&r, 400, e == VG_ETOOBIG ? "KeyTooLongError" : "InvalidURI",
			"the request path is not /BUCKET[/KEY]");
		x->close_after = !x->body_done;
		return;
	}
	sub = subresource(&r);
	if (s3_query(&r, "versionId", r.version, sizeof(r.version)) == 1)
		r.has_version = true;
	if (s3_query(&r, "uploadId", r.upload, sizeof(r.upload)) == 1)
		r.has_upload = true;
	{
		char pn[16];
		char *end;
		unsigned long n;
		if (s3_query(&r, "partNumber", pn, sizeof(pn)) == 1) {
			n = strtoul(pn, &end, 10);
			if (*end || end == pn || n < 1 || n > 10000) {
				s3_reply_error(&r, 400, "InvalidArgument", "Part number must be an "
					"integer between 1 and 10000, inclusive");
				x->close_after = !x->body_done;
				return;
			}
			r.partno = (unsigned)n;
		}
	}
	if (!r.bucket[0])
		r.action = m == GW_M_GET && !sub ? "ListBuckets" : NULL;
	else if (!r.has_key) {
		if (m == GW_M_PUT && !sub)
			r.action = "CreateBucket";
		else if (m == GW_M_HEAD && !sub)
			r.action = "HeadBucket";
		else if (m == GW_M_GET && !sub)
			r.action = "ListObjects";
		else if (m == GW_M_DELETE && !sub)
			r.action = "DeleteBucket";
		else if (!sub)
			r.action = NULL;  /* POST without a subresource: not served */
		else if (m == GW_M_GET && strcmp(sub, "versions") == 0)
			r.action = "ListObjectVersions";
		else if (m == GW_M_GET && strcmp(sub, "uploads") == 0)
			r.action = "ListMultipartUploads";
		else if (strcmp(sub, "object-lock") == 0 && (m == GW_M_GET || m == GW_M_PUT))
			r.action = m == GW_M_GET ? "GetObjectLockConfiguration" :
						   "PutObjectLockConfiguration";
		else if (strcmp(sub, "delete") == 0 && m == GW_M_POST)
			r.action = "DeleteObjects";
		else if (strcmp(sub, "versioning") == 0 && (m == GW_M_GET || m == GW_M_PUT))
			r.action = m == GW_M_GET ? "GetBucketVersioning" : "PutBucketVersioning";
	} else if (sub && strcmp(sub, "uploads") == 0) {
		r.action = m == GW_M_POST ? "CreateMultipartUpload" : NULL;
	} else if (sub && strcmp(sub, "uploadId") == 0) {
		char cs[2048];
		if (m == GW_M_PUT && r.partno && s3_header(&r, "x-amz-copy-source", cs, sizeof(cs)) != 1)
			r.action = "UploadPart";
		else if (m == GW_M_PUT && r.partno)
			r.action = "UploadPartCopy";
		else if (m == GW_M_POST)
			r.action = "CompleteMultipartUpload";
		else if (m == GW_M_DELETE)
			r.action = "AbortMultipartUpload";
		else if (m == GW_M_GET)
			r.action = "ListParts";
	} else if (sub && (m == GW_M_GET || m == GW_M_PUT)) {
		if (strcmp(sub, "retention") == 0)
			r.action = m == GW_M_GET ? "GetObjectRetention" : "PutObjectRetention";
		else if (strcmp(sub, "legal-hold") == 0)
			r.action = m == GW_M_GET ? "GetObjectLegalHold" : "PutObjectLegalHold";
	} else if (!sub) {
		char cs[2048];
		if (m == GW_M_PUT && s3_header(&r, "x-amz-copy-source", cs, sizeof(cs)) != 1)
			r.action = "PutObject";
		else if (m == GW_M_PUT)
			r.action = "CopyObject";
		else if (m == GW_M_GET)
			r.action = "GetObject";
		else if (m == GW_M_HEAD)
			r.action = "HeadObject";
		else if (m == GW_M_DELETE)
			r.action = "DeleteObject";
	}
	if (!r.action) {
		s3_reply_error(&r, 501, "NotImplemented", "%s %s%s%s is not implemented",
			gw_method_name(m), r.has_key ? "object" : r.bucket[0] ? "bucket" : "service",
			sub ? " ?" : "", sub ? sub : "");
		x->close_after = !x->body_done;
		return;
	}
	if (s3_auth_prepare(&r)) {
		x->close_after = !x->body_done;
		goto out;
	}
	if (s3_open(&r)) {
		x->close_after = !x->body_done;
		goto out;
	}
	if (strcmp(r.action, "ListBuckets") == 0)
		s3_list_buckets(&r);
	else if (strcmp(r.action, "CreateBucket") == 0)
		s3_create_bucket(&r);
	else if (strcmp(r.action, "HeadBucket") == 0)
		s3_head_bucket(&r);
	else if (strcmp(r.action, "DeleteBucket") == 0)
		s3_delete_bucket(&r);
	else if (strcmp(r.action, "ListObjects") == 0)
		s3_list_objects(&r);
	else if (strcmp(r.action, "ListObjectVersions") == 0)
		s3_list_versions(&r);
	else if (strcmp(r.action, "PutObject") == 0 || strcmp(r.action, "UploadPart") == 0)
		s3_put_object(&r);
	else if (strcmp(r.action, "UploadPartCopy") == 0)
		s3_mp_part_copy(&r);
	else if (strcmp(r.action, "CreateMultipartUpload") == 0)
		s3_mp_create(&r);
	else if (strcmp(r.action, "CompleteMultipartUpload") == 0)
		s3_mp_complete(&r);
	else if (strcmp(r.action, "AbortMultipartUpload") == 0)
		s3_mp_abort(&r);
	else if (strcmp(r.action, "ListParts") == 0)
		s3_mp_parts(&r);
	else if (strcmp(r.action, "ListMultipartUploads") == 0)
		s3_mp_uploads(&r);
	else if (strcmp(r.action, "CopyObject") == 0)
		s3_copy_object(&r);
	else if (strcmp(r.action, "GetObject") == 0)
		s3_get_object(&r, false);
	else if (strcmp(r.action, "HeadObject") == 0)
		s3_get_object(&r, true);
	else if (strcmp(r.action, "DeleteObject") == 0)
		s3_delete_object(&r);
	else if (strcmp(r.action, "DeleteObjects") == 0)
		s3_delete_objects(&r);
	else if (strcmp(r.action, "PutObjectLockConfiguration") == 0)
		s3_put_lockcfg(&r);
	else if (strcmp(r.action, "GetObjectLockConfiguration") == 0)
		s3_get_lockcfg(&r);
	else if (strcmp(r.action, "PutObjectRetention") == 0)
		s3_put_retention(&r);
	else if (strcmp(r.action, "GetObjectRetention") == 0)
		s3_get_retention(&r);
	else if (strcmp(r.action, "PutObjectLegalHold") == 0)
		s3_put_hold(&r);
	else if (strcmp(r.action, "GetObjectLegalHold") == 0)
		s3_get_hold(&r);
	else if (strcmp(r.action, "PutBucketVersioning") == 0)
		s3_versioning(&r, true);
	else if (strcmp(r.action, "GetBucketVersioning") == 0)
		s3_versioning(&r, false);
	s3_close(&r);
	if (!x->body_done)
		x->close_after = true;
out:
	memset(&x->auth, 0, sizeof(x->auth));
	vg_wr_free(&r.canon);
}
