/* bucket.c - bucket actions and listings (s3.h). vaultd streams every
 * visible version sorted by key, newest first (vault/h_s3.c); grouping by
 * delimiter, max-keys and continuation are done here. A listing cut short
 * leaves rows on the link, which is then dropped rather than reused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "reply.h"
#include "s3.h"
#include "vg_err.h"
#include "xml.h"

#define OWNER "vaultgate"

static void owner(struct vg_wr *d)
{
	s3x_open(d, "Owner");
	s3x_elem(d, "ID", OWNER);
	s3x_elem(d, "DisplayName", OWNER);
	s3x_close(d, "Owner");
}

void s3_list_buckets(struct s3_req *r)
{
	struct vg_msg m;
	struct vg_wr d;
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	vg_wr_init(&d, 16u << 20);
	s3x_doc(&d, "ListAllMyBucketsResult");
	owner(&d);
	s3x_open(&d, "Buckets");
	while ((e = vgc_stream_next(r->v, &m)) == 1) {
		char name[256] = "", ts[40];
		uint64_t t = 0;
		(void)vg_msg_str(&m, VG_TAG_ITEM, name, sizeof(name));
		(void)vg_msg_u64(&m, VG_TAG_TIME, &t);
		s3_iso_time(t, ts, sizeof(ts));
		s3x_open(&d, "Bucket");
		s3x_elem(&d, "Name", name);
		s3x_elem(&d, "CreationDate", ts);
		s3x_close(&d, "Bucket");
	}
	s3x_close(&d, "Buckets");
	s3x_close(&d, "ListAllMyBucketsResult");
	if (e)
		s3_reply_vaultd(r, e);
	else
		s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
}

void s3_create_bucket(struct s3_req *r)
{
	struct s3x_bucketcfg cfg;
	struct vg_msg m;
	struct vg_wr *w;
	char body[16384], lock[16] = "", extra[128];
	const char *code = NULL;
	size_t len = 0;
	int e;

	if ((e = gw_body_read_all(r->x, (uint8_t *)body, sizeof(body), &len))) {
		r->x->close_after = true;
		s3_reply_error(r, 400, e == VG_ETOOBIG ? "MaxMessageLengthExceeded" : "IncompleteBody",
			"the CreateBucketConfiguration could not be read");
		return;
	}
	if (s3x_parse_bucketcfg(body, len, &cfg, &code)) {
		s3_reply_error(r, 400, code ? code : "MalformedXML", "bad CreateBucketConfiguration");
		return;
	}
	if (cfg.region[0] && strcmp(cfg.region, r->x->srv->cfg->s3_region) != 0) {
		s3_reply_error(r, 400, "InvalidLocationConstraint",
			"this endpoint serves region %s, not %s", r->x->srv->cfg->s3_region, cfg.region);
		return;
	}
	(void)s3_header(r, "x-amz-bucket-object-lock-enabled", lock, sizeof(lock));
	w = s3_call_begin(r, true);
	if (strcasecmp(lock, "true") == 0)
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	snprintf(extra, sizeof(extra), "Location: /%s\r\n", r->bucket);
	gw_reply_full(r->x, 200, "application/xml", NULL, 0, extra);
}

void s3_head_bucket(struct s3_req *r)
{
	struct vg_msg m;
	char extra[128];
	int e;

	s3_call_begin(r, false);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	snprintf(extra, sizeof(extra), "x-amz-bucket-region: %s\r\nx-amz-request-id: %s\r\n",
		r->x->srv->cfg->s3_region, r->reqid);
	gw_reply_full(r->x, 200, "application/xml", NULL, 0, extra);
}

void s3_delete_bucket(struct s3_req *r)
{
	struct vg_msg m;
	char detail[200] = "", extra[400];
	int e;

	s3_call_begin(r, true);
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		return;
	}
	(void)vg_msg_str(&m, VG_TAG_DETAIL, detail, sizeof(detail));
	snprintf(extra, sizeof(extra), "X-Vaultgate-Delete: %s\r\nx-amz-request-id: %s\r\n", detail,
		r->reqid);
	gw_reply_full(r->x, 204, NULL, NULL, 0, extra);
}

/* ---- listings --------------------------------------------------------------- */

struct lrow {
	char key[S3_KEY_MAX + 1];
	uint32_t keylen;
	char version[24];
	char etag[40];
	uint64_t size, mtime;
	uint32_t flags;       /* 1 delete marker, 2 latest */
};

static int read_row(const struct vg_msg *m, struct lrow *o)
{
	const uint8_t *k;

	memset(o, 0, sizeof(*o));
	if (vg_msg_bytes(m, VG_TAG_S3_KEY, &k, &o->keylen) || o->keylen > S3_KEY_MAX)
		return VG_EPROTO;
	memcpy(o->key, k, o->keylen);
	o->key[o->keylen] = 0;
	(void)vg_msg_str(m, VG_TAG_ID, o->version, sizeof(o->version));
	(void)vg_msg_str(m, VG_TAG_VALUE, o->etag, sizeof(o->etag));
	(void)vg_msg_u64(m, VG_TAG_SIZE, &o->size);
	(void)vg_msg_u64(m, VG_TAG_TIME, &o->mtime);
	(void)vg_msg_u32(m, VG_TAG_FLAGS, &o->flags);
	return 0;
}

/* An element holding a key: url-encoded when the client asked for it. */
static void key_elem(struct vg_wr *d, const char *name, const char *k, size_t n, bool url)
{
	if (url) {
		struct vg_wr e;
		vg_wr_init(&e, 8192);
		vg_sigv4_uri_encode(&e, k, n, true);
		vg_wr_u8(&e, 0);
		s3x_elem(d, name, e.err ? "" : (const char *)e.p);
		vg_wr_free(&e);
	} else {
		s3x_elemn(d, name, k, n);
	}
}

struct listing {
	char prefix[S3_KEY_MAX + 1], delim[64], start[S3_KEY_MAX + 1];
	char kmark[S3_KEY_MAX + 1], vmark[64];
	size_t plen;
	uint64_t max;
	bool url, v2, has_delim;
	char lastcp[S3_KEY_MAX + 1];
	bool has_lastcp;
	struct vg_wr items, cps;
	uint64_t count;
	bool truncated;
	struct lrow last;     /* the last row consumed */
	bool has_last;
};

static int list_params(struct s3_req *r, struct listing *L, bool versions)
{
	char v[2100], tmp[16];

	memset(L, 0, sizeof(*L));
	L->max = 1000;
	if (s3_query(r, "prefix", L->prefix, sizeof(L->prefix)) < 0 ||
	    s3_query(r, "delimiter", L->delim, sizeof(L->delim)) < 0)
		return VG_EINVAL;
	L->plen = strlen(L->prefix);
	L->has_delim = L->delim[0] != 0;
	if (s3_query(r, "encoding-type", tmp, sizeof(tmp)) == 1) {
		if (strcmp(tmp, "url") != 0)
			return VG_EINVAL;
		L->url = true;
	}
	if (s3_query(r, "max-keys", v, sizeof(v)) == 1 && vg_parse_u64(v, 0, UINT32_MAX, &L->max))
		return VG_EINVAL;
	if (L->max > 1000)
		L->max = 1000;
	if (versions) {
		if (s3_query(r, "key-marker", L->kmark, sizeof(L->kmark)) < 0 ||
		    s3_query(r, "version-id-marker", L->vmark, sizeof(L->vmark)) < 0)
			return VG_EINVAL;
		if (!L->vmark[0])
			snprintf(L->start, sizeof(L->start), "%s", L->kmark);
		return 0;
	}
	L->v2 = s3_query(r, "list-type", tmp, sizeof(tmp)) == 1 && strcmp(tmp, "2") == 0;
	if (L->v2) {
		char sa[S3_KEY_MAX + 1] = "";
		if (s3_query(r, "start-after", sa, sizeof(sa)) < 0)
			return VG_EINVAL;
		if (s3_query(r, "continuation-token", v, sizeof(v)) == 1) {
			size_t n = strlen(v) / 2;
			if (strlen(v) % 2 || n > S3_KEY_MAX || vg_unhex(L->start, n, v))
				return VG_EINVAL;
			L->start[n] = 0;
		}
		if (strcmp(sa, L->start) > 0)
			snprintf(L->start, sizeof(L->start), "%s", sa);
	} else if (s3_query(r, "marker", L->start, sizeof(L->start)) < 0) {
		return VG_EINVAL;
	}
	return 0;
}

/* The common prefix of key under the delimiter, or 0. */
static size_t common_prefix(const struct listing *L, const struct lrow *o)
{
	const char *p;

	if (!L->has_delim || o->keylen < L->plen)
		return 0;
	p = strstr(o->key + L->plen, L->delim);
	return p ? (size_t)(p - o->key) + strlen(L->delim) : 0;
}

static void emit_version(struct listing *L, const struct lrow *o, bool versions)
{
	char ts[40], et[48];

	s3_iso_time(o->mtime, ts, sizeof(ts));
	snprintf(et, sizeof(et), "\"%s\"", o->etag);
	if (!versions) {
		s3x_open(&L->items, "Contents");
		key_elem(&L->items, "Key", o->key, o->keylen, L->url);
		s3x_elem(&L->items, "LastModified", ts);
		s3x_elem(&L->items, "ETag", et);
		s3x_elemf(&L->items, "Size", "%llu", (unsigned long long)o->size);
		s3x_elem(&L->items, "StorageClass", "STANDARD");
		owner(&L->items);
		s3x_close(&L->items, "Contents");
		return;
	}
	s3x_open(&L->items, o->flags & 1 ? "DeleteMarker" : "Version");
	key_elem(&L->items, "Key", o->key, o->keylen, L->url);
	s3x_elem(&L->items, "VersionId", o->version);
	s3x_elem(&L->items, "IsLatest", o->flags & 2 ? "true" : "false");
	s3x_elem(&L->items, "LastModified", ts);
	if (!(o->flags & 1)) {
		s3x_elem(&L->items, "ETag", et);
		s3x_elemf(&L->items, "Size", "%llu", (unsigned long long)o->size);
		s3x_elem(&L->items, "StorageClass", "STANDARD");
	}
	owner(&L->items);
	s3x_close(&L->items, o->flags & 1 ? "DeleteMarker" : "Version");
}

static void list_common(struct s3_req *r, bool versions)
{
	struct listing *L = calloc(1, sizeof(*L));
	struct lrow *o = malloc(sizeof(*o));
	struct vg_msg m;
	struct vg_wr *w, d;
	bool skipping;
	int e;

	if (!L || !o) {
		s3_reply_error(r, 500, "InternalError", "out of memory");
		goto out0;
	}
	if (list_params(r, L, versions)) {
		s3_reply_error(r, 400, "InvalidArgument", "a listing parameter is malformed");
		goto out0;
	}
	skipping = versions && L->vmark[0];
	w = s3_call_begin(r, false);
	if (L->plen)
		vg_msgb_bytes(w, VG_TAG_S3_KEY, L->prefix, (uint32_t)L->plen);
	if (L->start[0])
		vg_msgb_bytes(w, VG_TAG_S3_KEY2, L->start, (uint32_t)strlen(L->start));
	if ((e = vgc_call(r->v, &m))) {
		s3_reply_vaultd(r, e);
		goto out0;
	}
	vg_wr_init(&L->items, 64u << 20);
	vg_wr_init(&L->cps, 16u << 20);
	while ((e = vgc_stream_next(r->v, &m)) == 1) {
		size_t cpl;
		if (read_row(&m, o)) {
			e = VG_EPROTO;
			break;
		}
		if (skipping) {
			int c = strcmp(o->key, L->kmark);
			if (c < 0)
				continue;
			if (c == 0) {
				if (strcmp(o->version, L->vmark) == 0)
					skipping = false;
				continue;
			}
			skipping = false;
		}
		cpl = common_prefix(L, o);
		if (cpl && L->has_lastcp && strlen(L->lastcp) == cpl &&
		    memcmp(L->lastcp, o->key, cpl) == 0) {
			L->last = *o;
			continue;
		}
		if (L->count == L->max) {
			L->truncated = true;
			break;
		}
		if (cpl) {
			memcpy(L->lastcp, o->key, cpl);
			L->lastcp[cpl] = 0;
			L->has_lastcp = true;
			s3x_open(&L->cps, "CommonPrefixes");
			key_elem(&L->cps, "Prefix", L->lastcp, cpl, L->url);
			s3x_close(&L->cps, "CommonPrefixes");
		} else {
			emit_version(L, o, versions);
		}
		L->count++;
		L->last = *o;
		L->has_last = true;
	}
	if (e == 1 || L->truncated)
		r->x->link_bad = true;  /* rows left on the link */
	if (e && e != 1) {
		s3_reply_vaultd(r, e);
		goto out;
	}
	vg_wr_init(&d, 80u << 20);
	s3x_doc(&d, versions ? "ListVersionsResult" : "ListBucketResult");
	s3x_elem(&d, "Name", r->bucket);
	key_elem(&d, "Prefix", L->prefix, L->plen, L->url);
	if (versions) {
		key_elem(&d, "KeyMarker", L->kmark, strlen(L->kmark), L->url);
		s3x_elem(&d, "VersionIdMarker", L->vmark);
	} else if (L->v2) {
		s3x_elemf(&d, "KeyCount", "%llu", (unsigned long long)L->count);
	} else {
		key_elem(&d, "Marker", L->start, strlen(L->start), L->url);
	}
	s3x_elemf(&d, "MaxKeys", "%llu", (unsigned long long)L->max);
	if (L->has_delim)
		key_elem(&d, "Delimiter", L->delim, strlen(L->delim), L->url);
	s3x_elem(&d, "IsTruncated", L->truncated ? "true" : "false");
	if (L->truncated && L->has_last) {
		if (versions) {
			key_elem(&d, "NextKeyMarker", L->last.key, L->last.keylen, L->url);
			s3x_elem(&d, "NextVersionIdMarker", L->last.version);
		} else if (L->v2) {
			char *hex = malloc(2 * L->last.keylen + 1);
			if (hex) {
				vg_hex(hex, L->last.key, L->last.keylen);
				s3x_elem(&d, "NextContinuationToken", hex);
				free(hex);
			}
		} else {
			key_elem(&d, "NextMarker", L->last.key, L->last.keylen, L->url);
		}
	}
	if (L->url)
		s3x_elem(&d, "EncodingType", "url");
	vg_wr_bytes(&d, L->items.p, L->items.len);
	vg_wr_bytes(&d, L->cps.p, L->cps.len);
	if (L->items.err || L->cps.err)
		d.err = VG_ETOOBIG;
	s3x_close(&d, versions ? "ListVersionsResult" : "ListBucketResult");
	s3_reply_xml(r, 200, &d, NULL);
	vg_wr_free(&d);
out:
	vg_wr_free(&L->items);
	vg_wr_free(&L->cps);
out0:
	free(L);
	free(o);
}

void s3_list_objects(struct s3_req *r)
{
	list_common(r, false);
}

void s3_list_versions(struct s3_req *r)
{
	list_common(r, true);
}
