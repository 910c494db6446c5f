/* multipart.c - S3 multipart uploads (s3.h): CreateMultipartUpload,
 * UploadPartCopy (copied inside vaultd), UploadPart (s3_put_object with
 * the uploadId and partNumber: the part
 * streams straight into vaultd like a PutObject body), Complete (the
 * <CompleteMultipartUpload> body read here with xml.c and sent to vaultd
 * as "NUMBER ETAG" lines), Abort, ListParts and ListMultipartUploads.
 * vaultd keeps the upload and decides everything (vault/h_s3mp.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "reply.h"
#include "router.h"
#include "s3.h"
#include "vg_err.h"
#include "xml.h"

#define OWNER "vaultgate"

static void who(struct vg_wr *d, const char *name)
{
	s3x_open(d, name);
	s3x_elem(d, "ID", OWNER);
	s3x_elem(d, "DisplayName", OWNER);
	s3x_close(d, name);
}

void s3_mp_create(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr meta, d, *w;
	char id[32] = "";
	int e;

	if (gw_no_body(r->x))
		return;
	vg_wr_init(&meta, 8192);
	s3_meta_lines(r, &meta);
	if (meta.err) {
		vg_wr_free(&meta);
		s3_reply_error(r, 400, "MetadataTooLarge", "the metadata headers exceed 8 KiB");
		return;
	}
	w = s3_call_begin(r, true);
	if (meta.len)
		vg_msgb_bytes(w, VG_TAG_S3_META, meta.p, (uint32_t)meta.len);
	vg_wr_free(&meta);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_POINT, id, sizeof(id));
	vg_wr_init(&d, 4096);
	s3x_doc(&d, "InitiateMultipartUploadResult");
	s3x_elem(&d, "Bucket", r->bucket);
	s3x_elem(&d, "Key", r->key);
	s3x_elem(&d, "UploadId", id);
	s3x_close(&d, "InitiateMultipartUploadResult");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_mp_complete(struct s3_req *r)
{
	struct s3x_complete c;
	struct vg_wr lines, d, *w;
	struct vg_msg m;
	const char *code = NULL;
	char *body, id[32] = "", et[64] = "", extra[160];
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
			"the CompleteMultipartUpload body could not be read");
		return;
	}
	e = s3x_parse_complete(body, len, &c, &code);
	free(body);
	if (e) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad CompleteMultipartUpload body");
		return;
	}
	vg_wr_init(&lines, 1u << 20);
	for (size_t i = 0; i < c.n; i++) {
		const char *t = c.part[i].etag;
		size_t n = strlen(t);
		if (n >= 2 && t[0] == '"' && t[n - 1] == '"')
			t++, n -= 2;
		if (!n || memchr(t, ' ', n) || memchr(t, '\n', n)) {
			s3x_complete_free(&c);
			vg_wr_free(&lines);
			s3_reply_error(r, 400, "InvalidPart", "part %u: bad ETag", c.part[i].number);
			return;
		}
		vg_wr_printf(&lines, "%u %.*s\n", c.part[i].number, (int)n, t);
	}
	s3x_complete_free(&c);
	if (lines.err) {
		vg_wr_free(&lines);
		s3_reply_error(r, 400, "MalformedXML", "too many parts");
		return;
	}
	w = s3_call_begin(r, true);
	vg_msgb_bytes(w, VG_TAG_S3_META, lines.p, (uint32_t)lines.len);
	vg_wr_free(&lines);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_ID, id, sizeof(id));
	(void)vg_msg_str(&m, VG_TAG_VALUE, et, sizeof(et));
	vg_wr_init(&d, 8192);
	s3x_doc(&d, "CompleteMultipartUploadResult");
	s3x_elemf(&d, "Location", "/%s/%s", r->bucket, r->key);
	s3x_elem(&d, "Bucket", r->bucket);
	s3x_elem(&d, "Key", r->key);
	s3x_elemf(&d, "ETag", "\"%s\"", et);
	s3x_close(&d, "CompleteMultipartUploadResult");
	snprintf(extra, sizeof(extra), "x-amz-version-id: %s\r\n", id);
	s3_reply_xml(r, 200, &d, extra);
	vg_wr_free(&d);
}

void s3_mp_abort(struct s3_req *r)
{
	struct vg_msg m;
	char extra[80];
	int e;

	s3_call_begin(r, true);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	snprintf(extra, sizeof(extra), "x-amz-request-id: %s\r\n", r->reqid);
	gw_reply_full(r->x, 204, NULL, NULL, 0, extra);
}

static unsigned query_num(const struct s3_req *r, const char *name, unsigned dflt, unsigned max)
{
	char v[16];
	unsigned long n;
	char *end;

	if (s3_query(r, name, v, sizeof(v)) != 1)
		return dflt;
	n = strtoul(v, &end, 10);
	if (*end || end == v)
		return dflt;
	return n > max ? max : (unsigned)n;
}

void s3_mp_parts(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	unsigned marker = query_num(r, "part-number-marker", 0, 10000),
		 max = query_num(r, "max-parts", 1000, 1000), shown = 0, last = 0;
	bool trunc = false;
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	vg_wr_init(&d, 16u << 20);
	s3x_doc(&d, "ListPartsResult");
	s3x_elem(&d, "Bucket", r->bucket);
	s3x_elem(&d, "Key", r->key);
	s3x_elem(&d, "UploadId", r->upload);
	who(&d, "Initiator");
	who(&d, "Owner");
	s3x_elem(&d, "StorageClass", "STANDARD");
	s3x_elemf(&d, "PartNumberMarker", "%u", marker);
	while ((e = vgc_stream_next(r->v, &m)) == 1) {
		uint64_t num = 0, size = 0, t = 0;
		char et[48] = "", ts[40];
		(void)vg_msg_u64(&m, VG_TAG_COUNT, &num);
		(void)vg_msg_u64(&m, VG_TAG_SIZE, &size);
		(void)vg_msg_u64(&m, VG_TAG_TIME, &t);
		(void)vg_msg_str(&m, VG_TAG_VALUE, et, sizeof(et));
		if (num <= marker)
			continue;
		if (shown == max) {
			trunc = true;
			continue;
		}
		shown++;
		last = (unsigned)num;
		s3_iso_time(t, ts, sizeof(ts));
		s3x_open(&d, "Part");
		s3x_elemf(&d, "PartNumber", "%llu", (unsigned long long)num);
		s3x_elem(&d, "LastModified", ts);
		s3x_elemf(&d, "ETag", "\"%s\"", et);
		s3x_elemf(&d, "Size", "%llu", (unsigned long long)size);
		s3x_close(&d, "Part");
	}
	s3x_elemf(&d, "NextPartNumberMarker", "%u", last);
	s3x_elemf(&d, "MaxParts", "%u", max);
	s3x_elem(&d, "IsTruncated", trunc ? "true" : "false");
	s3x_close(&d, "ListPartsResult");
	if (e)
		s3_reply_vaultd(r, e);
	else
		s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_mp_uploads(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d, *w;
	char prefix[S3_KEY_MAX + 1] = "";
	unsigned max = query_num(r, "max-uploads", 1000, 1000), shown = 0;
	bool trunc = false;
	int e;

	if (s3_query(r, "prefix", prefix, sizeof(prefix)) < 0) {
		s3_reply_error(r, 400, "InvalidArgument", "bad prefix");
		return;
	}
	w = s3_call_begin(r, false);
	if (*prefix)
		vg_msgb_bytes(w, VG_TAG_S3_KEY, prefix, (uint32_t)strlen(prefix));
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	vg_wr_init(&d, 16u << 20);
	s3x_doc(&d, "ListMultipartUploadsResult");
	s3x_elem(&d, "Bucket", r->bucket);
	s3x_elem(&d, "KeyMarker", "");
	s3x_elem(&d, "UploadIdMarker", "");
	s3x_elem(&d, "Prefix", prefix);
	s3x_elemf(&d, "MaxUploads", "%u", max);
	while ((e = vgc_stream_next(r->v, &m)) == 1) {
		const uint8_t *k = NULL;
		uint32_t kl = 0;
		uint64_t t = 0;
		char key[S3_KEY_MAX + 1], id[32] = "", ts[40];
		(void)vg_msg_bytes(&m, VG_TAG_S3_KEY, &k, &kl);
		(void)vg_msg_str(&m, VG_TAG_POINT, id, sizeof(id));
		(void)vg_msg_u64(&m, VG_TAG_TIME, &t);
		if (shown == max) {
			trunc = true;
			continue;
		}
		shown++;
		snprintf(key, sizeof(key), "%.*s", (int)(kl > S3_KEY_MAX ? S3_KEY_MAX : kl),
			k ? (const char *)k : "");
		s3_iso_time(t, ts, sizeof(ts));
		s3x_open(&d, "Upload");
		s3x_elem(&d, "Key", key);
		s3x_elem(&d, "UploadId", id);
		who(&d, "Initiator");
		who(&d, "Owner");
		s3x_elem(&d, "StorageClass", "STANDARD");
		s3x_elem(&d, "Initiated", ts);
		s3x_close(&d, "Upload");
	}
	s3x_elem(&d, "IsTruncated", trunc ? "true" : "false");
	s3x_close(&d, "ListMultipartUploadsResult");
	if (e)
		s3_reply_vaultd(r, e);
	else
		s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

/* UploadPartCopy: vaultd reads the signed x-amz-copy-source (and
 * x-amz-copy-source-range) and copies inside the vault. */
void s3_mp_part_copy(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	char et[48] = "", ts[40];
	uint64_t t = 0;
	int e;

	if (gw_no_body(r->x))
		return;
	s3_call_begin(r, true);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_VALUE, et, sizeof(et));
	(void)vg_msg_u64(&m, VG_TAG_TIME, &t);
	s3_iso_time(t, ts, sizeof(ts));
	vg_wr_init(&d, 1024);
	s3x_doc(&d, "CopyPartResult");
	s3x_elem(&d, "LastModified", ts);
	s3x_elemf(&d, "ETag", "\"%s\"", et);
	s3x_close(&d, "CopyPartResult");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}
