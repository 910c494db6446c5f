/* object.c - object actions (s3.h): bodies stream straight through to
 * vaultd (upload with credit, download as the client takes bytes, proxy.h),
 * never held whole here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "metrics.h"
#include "proxy.h"
#include "range.h"
#include "router.h"
#include "reply.h"
#include "body.h"
#include "s3.h"
#include "vg_err.h"
#include "xml.h"

/* Request headers kept with a version (and what vaultd takes out of them:
 * content-md5, the lock headers). */
static bool kept_header(const char *name, size_t n)
{
	static const char *const names[] = {
		"content-type", "content-md5", "cache-control", "content-disposition",
		"content-encoding", "content-language", "expires", "x-amz-object-lock-mode",
		"x-amz-object-lock-retain-until-date", "x-amz-object-lock-legal-hold",
	};
	if (n > 11 && strncasecmp(name, "x-amz-meta-", 11) == 0)
		return true;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], name, n) == 0)
			return true;
	return false;
}

/* "name:value\n" lines (lower-case names, trimmed values) of the kept
 * headers of the raw head. */
void s3_meta_lines(const struct s3_req *r, struct vg_wr *out)
{
	const char *p = r->x->head, *end = p + r->x->headlen;
	bool first = true;

	while (p && p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *colon;
		size_t ll = eol ? (size_t)(eol - p) : (size_t)(end - p);
		const char *next = eol ? eol + 1 : end;
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (!first && ll && (colon = memchr(p, ':', ll)) && kept_header(p, (size_t)(colon - p)) &&
		    !((size_t)(colon - p) == 16 && strncasecmp(p, "content-encoding", 16) == 0 &&
		      memmem(colon, (size_t)(p + ll - colon), "aws-chunked", 11))) {
			const char *v = colon + 1, *ve = p + ll;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			for (const char *c = p; c < colon; c++)
				vg_wr_u8(out, (uint8_t)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
			vg_wr_u8(out, ':');
			vg_wr_bytes(out, v, (size_t)(ve - v));
			vg_wr_u8(out, '\n');
		}
		first = false;
		p = next;
	}
}

void s3_put_object(struct s3_req *r)
{
	struct gw_rctx *x = r->x;
	struct vg_msg resp;
	struct vg_wr meta, *w;
	enum gw_up_result res;
	char id[32] = "", et[48] = "", extra[256];
	uint64_t max = x->srv->cfg->max_body_object;
	bool link_ok;
	int st = 0;

	bool chunked = strcmp(r->payload, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0;
	uint64_t size;
	char dl[32];

	if (strncmp(r->payload, "STREAMING-", 10) == 0 && !chunked) {
		s3_reply_error(r, 501, "NotImplemented", "%s uploads are not supported; send "
			"STREAMING-AWS4-HMAC-SHA256-PAYLOAD, UNSIGNED-PAYLOAD or the body's SHA-256",
			r->payload);
		x->close_after = true;
		return;
	}
	size = x->req->content_length;
	if (chunked && (s3_header(r, "x-amz-decoded-content-length", dl, sizeof(dl)) != 1 ||
			vg_parse_u64(dl, 0, UINT64_MAX / 2, &size))) {
		s3_reply_error(r, 411, "MissingContentLength",
			"a streaming upload needs x-amz-decoded-content-length");
		x->close_after = true;
		return;
	}
	if (x->req->body != GW_BODY_LENGTH) {
		s3_reply_error(r, 411, "MissingContentLength", "You must provide the Content-Length "
			"HTTP header.");
		x->close_after = true;
		return;
	}
	if (size > max) {
		s3_reply_error(r, 400, "EntityTooLarge", "the object is larger than %llu bytes",
			(unsigned long long)max);
		x->close_after = true;
		return;
	}
	vg_wr_init(&meta, 8192);
	s3_meta_lines(r, &meta);
	if (meta.err) {
		vg_wr_free(&meta);
		s3_reply_error(r, 400, "MetadataTooLarge", "the metadata headers exceed 8 KiB");
		x->close_after = true;
		return;
	}
	w = s3_call_begin(r, true);
	vg_msgb_u64(w, VG_TAG_SIZE, size);
	if (meta.len)
		vg_msgb_bytes(w, VG_TAG_S3_META, meta.p, (uint32_t)meta.len);
	vg_wr_free(&meta);
	res = gw_proxy_upload(x, r->v, max, &resp, &st, &link_ok);
	if (gw_upload_transport_failed(x, res, st, link_ok))
		return;
	if (res == GW_UP_REFUSED) {
		x->link_bad = !link_ok;
		s3_reply_vaultd(r, st);
		return;
	}
	(void)vg_msg_str(&resp, VG_TAG_ID, id, sizeof(id));
	(void)vg_msg_str(&resp, VG_TAG_VALUE, et, sizeof(et));
	if (r->has_upload)  /* UploadPart: no version */
		snprintf(extra, sizeof(extra), "ETag: \"%s\"\r\nx-amz-request-id: %s\r\n", et,
			r->reqid);
	else
		snprintf(extra, sizeof(extra), "ETag: \"%s\"\r\nx-amz-version-id: %s\r\n"
			"x-amz-request-id: %s\r\n", et, id, r->reqid);
	gw_reply_full(x, 200, "application/xml", NULL, 0, extra);
}

/* ---- GET and HEAD ------------------------------------------------------------- */

static bool etag_in(const char *list, const char *etag)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t n;
		while (*t == ' ')
			t++;
		if (strncmp(t, "W/", 2) == 0)
			t += 2;
		n = strlen(t);
		while (n && t[n - 1] == ' ')
			t[--n] = 0;
		if (strcmp(t, "*") == 0)
			return true;
		if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
			t[n - 1] = 0;
			t++;
		}
		if (strcmp(t, etag) == 0)
			return true;
	}
	return false;
}

static int http_date(const char *s, uint64_t *out)
{
	struct tm tm;
	const char *e;

	memset(&tm, 0, sizeof(tm));
	e = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!e || *e)
		return VG_EINVAL;
	*out = (uint64_t)timegm(&tm);
	return 0;
}

/* 0 go on, 304 or 412 (RFC 9110 §13.2.2 order, as S3). */
static int preconditions(const struct s3_req *r, const char *etag, uint64_t mtime)
{
	char v[1024];
	uint64_t t;
	bool im = s3_header(r, "if-match", v, sizeof(v)) == 1;

	if (im && !etag_in(v, etag))
		return 412;
	if (!im && s3_header(r, "if-unmodified-since", v, sizeof(v)) == 1 && http_date(v, &t) == 0 &&
	    mtime > t)
		return 412;
	if (s3_header(r, "if-none-match", v, sizeof(v)) == 1) {
		if (etag_in(v, etag))
			return 304;
	} else if (s3_header(r, "if-modified-since", v, sizeof(v)) == 1 && http_date(v, &t) == 0 &&
		   mtime <= t) {
		return 304;
	}
	return 0;
}

/* The response headers of a version (RESP fields), into h. */
static void version_headers(const struct s3_req *r, const struct vg_msg *m, struct vg_wr *h,
	char *ctype, size_t ctcap, char *etag, size_t etcap, uint64_t *mtime)
{
	char id[32] = "", mode[16] = "", ts[48];
	const uint8_t *meta = NULL;
	uint32_t ml = 0, fl = 0;
	uint64_t until = 0;

	*mtime = 0;
	etag[0] = 0;
	snprintf(ctype, ctcap, "binary/octet-stream");
	(void)vg_msg_str(m, VG_TAG_ID, id, sizeof(id));
	(void)vg_msg_str(m, VG_TAG_VALUE, etag, etcap);
	(void)vg_msg_u64(m, VG_TAG_TIME, mtime);
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &fl);
	s3_http_time(*mtime, ts, sizeof(ts));
	vg_wr_printf(h, "ETag: \"%s\"\r\nLast-Modified: %s\r\nx-amz-version-id: %s\r\n"
		"Accept-Ranges: bytes\r\nx-amz-request-id: %s\r\n", etag, ts, id, r->reqid);
	if (vg_msg_str(m, VG_TAG_STATE, mode, sizeof(mode)) == 0 &&
	    vg_msg_u64(m, VG_TAG_TIME2, &until) == 0) {
		s3_iso_time(until, ts, sizeof(ts));
		vg_wr_printf(h, "x-amz-object-lock-mode: %s\r\nx-amz-object-lock-retain-until-date: %s\r\n",
			mode, ts);
	}
	if (fl & 4)
		vg_wr_printf(h, "x-amz-object-lock-legal-hold: ON\r\n");
	if (vg_msg_bytes(m, VG_TAG_S3_META, &meta, &ml) == 0) {
		for (uint32_t off = 0; off < ml;) {
			const uint8_t *nl = memchr(meta + off, '\n', ml - off);
			uint32_t ll = nl ? (uint32_t)(nl - (meta + off)) : ml - off;
			const char *line = (const char *)meta + off, *colon = memchr(line, ':', ll);
			off += ll + 1;
			if (!colon || memchr(line, '\r', ll))
				continue;
			if ((size_t)(colon - line) == 12 && strncmp(line, "content-type", 12) == 0) {
				snprintf(ctype, ctcap, "%.*s", (int)(ll - 13), colon + 1);
				continue;
			}
			vg_wr_printf(h, "%.*s: %.*s\r\n", (int)(colon - line), line,
				(int)(ll - (uint32_t)(colon - line) - 1), colon + 1);
		}
	}
}

void s3_get_object(struct s3_req *r, bool head)
{
	struct gw_rctx *x = r->x;
	struct gw_range rg = {0};
	struct vg_msg m;
	struct vg_wr *w, h;
	char ctype[128], etag[48];
	uint64_t size = 0, off = 0, len = 0, mtime;
	bool link_ok;
	int e, pre;

	if (!head && x->req->has_range && gw_range_parse(x->req->range, &rg)) {
		s3_reply_error(r, 416, "InvalidRange", "The requested range is not satisfiable");
		return;
	}
	w = s3_call_begin(r, false);
	if (!head && rg.kind == GW_RANGE_SUFFIX) {
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		vg_msgb_u64(w, VG_TAG_OFFSET, rg.a);
	} else if (!head && rg.kind != GW_RANGE_NONE) {
		vg_msgb_u32(w, VG_TAG_FLAGS, 2);
		vg_msgb_u64(w, VG_TAG_OFFSET, rg.a);
		if (rg.kind == GW_RANGE_FROM_TO)
			vg_msgb_u64(w, VG_TAG_LENGTH, rg.b - rg.a + 1);
	}
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
	if (vg_msg_u64(&m, VG_TAG_OFFSET, &off))
		off = 0;
	if (vg_msg_u64(&m, VG_TAG_LENGTH, &len))
		len = size;
	if (off > size || len > size - off) {
		x->link_bad = true;
		s3_reply_error(r, 502, "InternalError", "vaultd sent an inconsistent range");
		return;
	}
	vg_wr_init(&h, 16384);
	version_headers(r, &m, &h, ctype, sizeof(ctype), etag, sizeof(etag), &mtime);
	if ((pre = preconditions(r, etag, mtime))) {
		if (!head)
			x->link_bad = true;  /* the DATA frames are still coming */
		if (pre == 304) {
			vg_wr_u8(&h, 0);
			gw_reply_full(x, 304, NULL, NULL, 0, h.err ? NULL : (const char *)h.p);
		} else {
			s3_reply_error(r, 412, "PreconditionFailed",
				"At least one of the pre-conditions you specified did not hold");
		}
		vg_wr_free(&h);
		return;
	}
	if (!head && rg.kind != GW_RANGE_NONE)
		vg_wr_printf(&h, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)off,
			(unsigned long long)(off + len - 1), (unsigned long long)size);
	vg_wr_u8(&h, 0);
	if (h.err) {
		vg_wr_free(&h);
		x->link_bad = true;
		s3_reply_error(r, 500, "InternalError", "response headers too large");
		return;
	}
	e = gw_reply_begin(x, !head && rg.kind != GW_RANGE_NONE ? 206 : 200, ctype,
		(int64_t)(head ? size : len), (const char *)h.p);
	vg_wr_free(&h);
	if (head) {
		gw_reply_end(x);
		return;
	}
	if (e) {
		x->link_bad = true;
		return;
	}
	if ((e = gw_proxy_download(x, r->v, len, &link_ok))) {
		x->link_bad = !link_ok;
		x->aborted = true;
		gw_metrics_add(GW_C_STREAM_ABORT, 1);
		return;
	}
	gw_reply_end(x);
}

void s3_delete_object(struct s3_req *r)
{
	struct vg_msg m;
	char id[32] = "", detail[200] = "", extra[512];
	uint32_t fl = 0;
	int e;

	s3_call_begin(r, true);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
	(void)vg_msg_str(&m, VG_TAG_DETAIL, detail, sizeof(detail));
	(void)vg_msg_u32(&m, VG_TAG_FLAGS, &fl);
	snprintf(extra, sizeof(extra), "x-amz-version-id: %s\r\n%sX-Vaultgate-Delete: %s\r\n"
		"x-amz-request-id: %s\r\n", id, fl & 1 ? "x-amz-delete-marker: true\r\n" : "", detail,
		r->reqid);
	gw_reply_full(r->x, 204, NULL, NULL, 0, extra);
}

/* DeleteObjects: the body (xml.c) names up to 1000 objects; each is one
 * vaultd request (DeleteObjects, with the key and version from the body),
 * decided and audited there one by one. */
void s3_delete_objects(struct s3_req *r)
{
	struct s3x_delete del;
	struct vg_wr d, *w;
	struct vg_msg m;
	const char *code = NULL;
	char *body;
	size_t len = 0;
	int e;

	if (!(body = malloc(S3X_BODY_MAX))) {
		s3_reply_error(r, 500, "InternalError", "out of memory");
		r->x->close_after = true;
		return;
	}
	if ((e = gw_body_read_all(r->x, (uint8_t *)body, S3X_BODY_MAX, &len))) {
		free(body);
		r->x->close_after = true;
		s3_reply_error(r, 400, e == VG_ETOOBIG ? "MaxMessageLengthExceeded" : "IncompleteBody",
			"the Delete body could not be read");
		return;
	}
	e = s3x_parse_delete(body, len, &del, &code);
	free(body);
	if (e) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad Delete body");
		return;
	}
	vg_wr_init(&d, 16u << 20);
	s3x_doc(&d, "DeleteResult");
	for (size_t i = 0; i < del.n; i++) {
		const struct s3x_obj *o = &del.obj[i];
		char id[32] = "", msg[700] = "", c[64] = "";
		uint32_t fl = 0;
		w = vgc_req(r->v, VG_OP_S3_WRITE);
		vg_msgb_str(w, VG_TAG_KIND, "DeleteObjects");
		vg_msgb_str(w, VG_TAG_VAULT, r->x->srv->cfg->s3_vault);
		vg_msgb_str(w, VG_TAG_ITEM, r->bucket);
		vg_msgb_bytes(w, VG_TAG_S3_KEY, o->key, (uint32_t)strlen(o->key));
		if (o->version_id)
			vg_msgb_str(w, VG_TAG_ID, o->version_id);
		e = vgc_call(r->v, &m);
		if (e && gw_link_failed(r->v, e)) {
			vg_wr_free(&d);
			s3x_delete_free(&del);
			s3_reply_vaultd(r, e);
			return;
		}
		if (e) {
			bool had_key = r->has_key;
			if (e == VG_EAUTH)
				gw_auth_failed(r->x);
			r->has_key = true;
			snprintf(msg, sizeof(msg), "%s", s3_vaultd_code(r, e, c, sizeof(c)));
			r->has_key = had_key;
			s3x_open(&d, "Error");
			s3x_elem(&d, "Key", o->key);
			if (o->version_id)
				s3x_elem(&d, "VersionId", o->version_id);
			s3x_elem(&d, "Code", *c ? c : "InternalError");
			s3x_elem(&d, "Message", msg);
			s3x_close(&d, "Error");
			continue;
		}
		if (del.quiet)
			continue;
		(void)vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
		(void)vg_msg_u32(&m, VG_TAG_FLAGS, &fl);
		s3x_open(&d, "Deleted");
		s3x_elem(&d, "Key", o->key);
		if (o->version_id)
			s3x_elem(&d, "VersionId", o->version_id);
		if (fl & 1) {
			s3x_elem(&d, "DeleteMarker", "true");
			s3x_elem(&d, "DeleteMarkerVersionId", id);
		}
		s3x_close(&d, "Deleted");
	}
	s3x_close(&d, "DeleteResult");
	s3x_delete_free(&del);
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

/* CopyObject: vaultd reads the source from the signed x-amz-copy-source
 * and copies inside the vault; no body crosses the gateway. */
void s3_copy_object(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	char id[32] = "", et[48] = "", ts[40], extra[256];
	uint64_t t = 0;
	int e;

	if (gw_no_body(r->x))
		return;
	s3_call_begin(r, true);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
	(void)vg_msg_str(&m, VG_TAG_VALUE, et, sizeof(et));
	(void)vg_msg_u64(&m, VG_TAG_TIME, &t);
	s3_iso_time(t, ts, sizeof(ts));
	vg_wr_init(&d, 1024);
	s3x_doc(&d, "CopyObjectResult");
	s3x_elem(&d, "LastModified", ts);
	s3x_elemf(&d, "ETag", "\"%s\"", et);
	s3x_close(&d, "CopyObjectResult");
	snprintf(extra, sizeof(extra), "x-amz-version-id: %s\r\n", id);
	s3_reply_xml(r, 200, &d, extra);
	vg_wr_free(&d);
}
