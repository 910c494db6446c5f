/* h_s3obj.c - S3 object actions (h_s3.h): PutObject (MD5 ETag, Content-MD5,
 * lock headers, the bucket's default retention), GetObject, HeadObject,
 * DeleteObject (markers; versions through soft delete). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "buf.h"
#include "clock.h"
#include "h_s3.h"
#include "lifecycle.h"
#include "log.h"
#include "s3chunk.h"
#include "sigv4.h"
#include "vg_err.h"

/* ---- objects ------------------------------------------------------------- */

/* "2026-12-08T20:00:00Z", "2026-12-08T20:00:00.000Z", "...+00:00" -> unix. */
int s3h_parse_iso(const char *s, uint64_t *out)
{
	char d[17];
	const char *p;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return VG_EINVAL;
	snprintf(d, sizeof(d), "%.4s%.2s%.2sT%.2s%.2s%.2sZ", s, s + 5, s + 8, s + 11, s + 14, s + 17);
	p = s + 19;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && *p)
		return VG_EINVAL;
	return vg_sigv4_parse_amzdate(d, out);
}

/* Splits the gateway's meta lines: content-md5 and the lock headers are
 * taken out, the rest is kept as the version's metadata. */
struct put_meta {
	bool has_md5;
	uint8_t md5[16];
	int mode;              /* -1: not given */
	uint64_t until;
	int hold;              /* -1: not given */
	struct vg_wr keep;
};

static int meta_parse(const uint8_t *p, uint32_t n, struct put_meta *pm, const char **code,
	char *why, size_t whysz)
{
	struct vg_rd rd;

	pm->mode = -1;
	pm->hold = -1;
	vg_wr_init(&pm->keep, VS3_META_MAX);
	vg_rd_init(&rd, p, n);
	for (size_t off = 0; off < n;) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		size_t ll = nl ? (size_t)(nl - (p + off)) : n - off;
		char line[4200], *colon;
		if (ll >= sizeof(line))
			return *code = "InvalidArgument", snprintf(why, whysz, "header too long"), VG_EINVAL;
		memcpy(line, p + off, ll);
		line[ll] = 0;
		off += ll + 1;
		if (!(colon = strchr(line, ':')))
			continue;
		*colon = 0;
		if (strcasecmp(line, "content-md5") == 0) {
			unsigned char dec[64];
			int dl = EVP_DecodeBlock(dec, (const unsigned char *)colon + 1,
				(int)strlen(colon + 1));
			if (dl != 18 || strlen(colon + 1) != 24)
				return *code = "InvalidDigest", snprintf(why, whysz,
					"Content-MD5 is not base64 of 16 bytes"), VG_EINVAL;
			memcpy(pm->md5, dec, 16);
			pm->has_md5 = true;
		} else if (strcasecmp(line, "x-amz-object-lock-mode") == 0) {
			if (strcmp(colon + 1, "GOVERNANCE") == 0)
				pm->mode = VS3_LOCK_GOVERNANCE;
			else if (strcmp(colon + 1, "COMPLIANCE") == 0)
				pm->mode = VS3_LOCK_COMPLIANCE;
			else
				return *code = "InvalidArgument", snprintf(why, whysz,
					"unknown object lock mode"), VG_EINVAL;
		} else if (strcasecmp(line, "x-amz-object-lock-retain-until-date") == 0) {
			if (s3h_parse_iso(colon + 1, &pm->until))
				return *code = "InvalidArgument", snprintf(why, whysz,
					"x-amz-object-lock-retain-until-date is not an ISO 8601 UTC time"),
				       VG_EINVAL;
		} else if (strcasecmp(line, "x-amz-object-lock-legal-hold") == 0) {
			pm->hold = strcmp(colon + 1, "ON") == 0;
		} else {
			*colon = ':';
			vg_wr_bytes(&pm->keep, line, ll);
			vg_wr_u8(&pm->keep, '\n');
		}
	}
	if (pm->keep.err)
		return *code = "MetadataTooLarge", snprintf(why, whysz, "metadata over 8 KiB"),
		       VG_ETOOBIG;
	return 0;
}

struct put_state {
	struct s3req *x;
	bool chunked;              /* STREAMING-AWS4-HMAC-SHA256-PAYLOAD */
	struct vs3_chunked ch;
	struct vcore_upload *u;
	EVP_MD_CTX *md5;
	struct put_meta pm;        /* has_md5, md5: Content-MD5 */
	struct vg_wr keep;         /* the version's meta lines */
	struct vs3_version v;
	uint64_t pid;
	bool committed;
	bool part;                 /* UploadPart */
	char obj[40];              /* the object written */
};

static int put_data(void *arg, const uint8_t *p, size_t n)
{
	struct put_state *s = arg;

	if (EVP_DigestUpdate(s->md5, p, n) != 1)
		return VG_EINTEGRITY;
	return vcore_upload_write(s->u, p, n);
}

static int put_write(void *arg, struct vcore_upload *u, const uint8_t *p, size_t n)
{
	struct put_state *s = arg;
	int r;

	s->u = u;
	if (!s->chunked)
		return put_data(s, p, n);
	if ((r = vs3_chunked_feed(&s->ch, p, n, put_data, s)))
		log_info("s3: %s: %s", s->x->target, s->ch.why);
	return r;
}

static int put_commit(struct put_state *s, struct vg_wr *w, char *why, size_t whysz)
{
	struct vr_point p;
	char ps[17], et[48];
	int r;

	s->v.point = s->pid;
	s->v.mtime = vault_now();
	if ((r = vs3_version_put(s->x->k->c, s->x->it.id, &s->v)) ||
	    (r = vcore_point_commit(s->x->k->c, &s->x->k->who, s->x->vault, s->x->bucket, s->pid,
		     &p))) {
		snprintf(why, whysz, "InternalError: %s", vg_strerror(r));
		return r;
	}
	s->committed = true;
	if ((s->v.lock_mode || (s->v.flags & VS3_F_HOLD)) &&
	    (r = vs3_point_floor(s->x->k->c, s->x->it.id, s->pid, s->v.retain_until,
		     (s->v.flags & VS3_F_HOLD) != 0)))
		log_warnx("s3: version %llx: cannot raise its expiry: %s",
			(unsigned long long)s->pid, vg_strerror(r));
	vcore_point_str(s->pid, ps);
	s3h_version_etag(&s->v, et);
	vg_msgb_str(w, VG_TAG_ID, ps);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	return 0;
}

static int part_done(struct put_state *s, struct vg_wr *w, char *why, size_t whysz);

static int put_done(void *arg, uint64_t size, const uint8_t sha[VC_HASH_LEN], struct vg_wr *w,
	char *why, size_t whysz)
{
	struct put_state *s = arg;
	unsigned int ml = 0;

	(void)sha;
	if (s->chunked && vs3_chunked_finish(&s->ch))
		return snprintf(why, whysz, "%s", s->ch.why), VG_EINVAL;
	if (EVP_DigestFinal_ex(s->md5, s->v.md5, &ml) != 1 || ml != 16)
		return snprintf(why, whysz, "InternalError: md5"), VG_EINTEGRITY;
	if (s->pm.has_md5 && memcmp(s->pm.md5, s->v.md5, 16) != 0)
		return snprintf(why, whysz, "BadDigest: the body does not match Content-MD5"),
		       VG_EINVAL;
	s->v.size = size;
	return s->part ? part_done(s, w, why, whysz) : put_commit(s, w, why, whysz);
}

int s3h_new_version(struct s3req *x, const uint8_t *meta, uint32_t ml, struct vs3_version *v,
	struct vg_wr *keep)
{
	struct put_meta pm;
	struct vs3_bucket b;
	const char *code = "InvalidArgument";
	char why[300];
	int r;

	memset(&pm, 0, sizeof(pm));
	r = meta_parse(meta, ml, &pm, &code, why, sizeof(why));
	*keep = pm.keep;
	if (r)
		return done1(s3h_refuse(x, r, code, why));
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b)))
		return done1(s3h_err(x, r, "InternalError", "%s", vg_strerror(r)));
	if ((pm.mode >= 0 || pm.hold >= 0) && !b.lock_enabled)
		return done1(s3h_refuse(x, VG_EINVAL, "InvalidRequest",
			"Bucket is missing Object Lock Configuration"));
	if ((pm.mode >= 0) != (pm.until != 0) || (pm.until && pm.until <= vault_now()))
		return done1(s3h_refuse(x, VG_EINVAL, "InvalidArgument",
			"the object lock mode and a retain-until date in the future go together"));
	memcpy(v->key, x->key, x->keylen + 1);
	v->keylen = (uint16_t)x->keylen;
	if (pm.mode > 0) {
		v->lock_mode = (uint8_t)pm.mode;
		v->retain_until = pm.until;
	} else if (b.lock_enabled && b.default_mode) {
		v->lock_mode = b.default_mode;
		v->retain_until = vault_now() + (uint64_t)b.default_days * 86400u;
	}
	if (pm.hold == 1)
		v->flags |= VS3_F_HOLD;
	v->meta = (char *)keep->p;
	v->metalen = (uint16_t)keep->len;
	if (pm.has_md5) {  /* checked against the body at its end */
		memcpy(v->md5, pm.md5, 16);
		v->flags |= 0x80;
	}
	return 0;
}

/* UploadPart (S_UPLOAD): the body goes into the upload's pending point as
 * a new object; the part record names it (vs3_part_put). */
static int part_done(struct put_state *s, struct vg_wr *w, char *why, size_t whysz)
{
	struct vs3_part p;
	char et[33];
	int r;

	memset(&p, 0, sizeof(p));
	p.number = s->x->partno;
	p.size = s->v.size;
	memcpy(p.md5, s->v.md5, 16);
	p.mtime = vault_now();
	snprintf(p.object, sizeof(p.object), "%s", s->obj);
	if ((r = vs3_part_put(s->x->k->c, s->x->it.id, s->pid, &p))) {
		snprintf(why, whysz, "InternalError: %s", vg_strerror(r));
		return r;
	}
	s->committed = true;
	s3h_etag_hex(p.md5, et);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	return 0;
}

int s3a_put_object(struct s3req *x)
{
	struct put_state s = {.x = x};
	struct upload_hooks h = {put_write, put_done, &s};
	struct vcore_upload *u = NULL;
	const uint8_t *meta = NULL, *canon;
	uint32_t ml = 0, cl;
	uint8_t want[VC_HASH_LEN];
	bool has_want = false;
	uint64_t size = UINT64_MAX, limit;
	const char *op;
	int r;

	s.part = (x->act->flags & S_UPLOAD) != 0;
	op = s.part ? "s3.UploadPart" : "s3.PutObject";
	S3NEED(x, VP_BACKUP);
	if (vg_msg_bytes(x->m, VG_TAG_S3_CANON, &canon, &cl) == 0) {
		struct vg_sigv4_creq q;
		char ph[80];
		if (vg_sigv4_creq_split((const char *)canon, cl, &q) || q.payload_len >= sizeof(ph))
			return s3h_err(x, VG_EAUTH, "AccessDenied", "malformed canonical request");
		memcpy(ph, q.payload, q.payload_len);
		ph[q.payload_len] = 0;
		if (strlen(ph) == 64 && vg_unhex(want, sizeof(want), ph) == 0)
			has_want = true;
		else if (strcmp(ph, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD") == 0)
			s.chunked = true;
		else if (strcmp(ph, "UNSIGNED-PAYLOAD") != 0)
			return s3h_err(x, VG_EINVAL, "NotImplemented",
				"payload %s is not supported yet (send UNSIGNED-PAYLOAD or a SHA-256)", ph);
	}
	{
		char cs[2200];  /* any length: a long source must not read as absent */
		s3h_signed_header(x, "x-amz-copy-source", cs, sizeof(cs));
		if (*cs)  /* a CopyObject signature is no PutObject's */
			return s3h_refuse(x, VG_EAUTH, "SignatureDoesNotMatch",
				"the signature is for a CopyObject");
	}
	(void)vg_msg_u64(x->m, VG_TAG_SIZE, &size);
	(void)vg_msg_bytes(x->m, VG_TAG_S3_META, &meta, &ml);
	if (s.part) {
		static _Atomic uint32_t nonce;
		struct vs3_version uv;
		if (!x->partno)
			return s3h_err(x, VG_EINVAL, "InvalidArgument", "UploadPart needs partNumber");
		if ((r = s3h_find_upload(x, &uv)))
			return r < 0 ? r : 0;
		vs3_version_clear(&uv);
		s.pid = x->upload;
		snprintf(s.obj, sizeof(s.obj), "p%05u.%08llx%08x", x->partno,
			(unsigned long long)(vault_now() & 0xffffffffu), (unsigned)nonce++);
		{  /* Content-MD5 of a part */
			struct put_meta pm;
			const char *code = "InvalidDigest";
			char why[200];
			memset(&pm, 0, sizeof(pm));
			r = meta_parse(meta, ml, &pm, &code, why, sizeof(why));
			vg_wr_free(&pm.keep);
			if (r)
				return s3h_refuse(x, r, code, why);
			s.pm.has_md5 = pm.has_md5;
			memcpy(s.pm.md5, pm.md5, 16);
		}
	} else {
		if ((r = s3h_new_version(x, meta, ml, &s.v, &s.keep))) {
			vg_wr_free(&s.keep);
			return r < 0 ? r : 0;
		}
		if (s.v.flags & 0x80) {
			s.v.flags &= (uint8_t)~0x80;
			s.pm.has_md5 = true;
			memcpy(s.pm.md5, s.v.md5, 16);
		}
		snprintf(s.obj, sizeof(s.obj), "data");
	}
	if (s.chunked && (r = vs3_chunked_init(&s.ch, x->k->c, x->m))) {
		vg_wr_free(&s.keep);
		vs3_chunked_free(&s.ch);
		return s3h_refuse(x, VG_EAUTH, "SignatureDoesNotMatch",
			"the streaming signature's key cannot be derived");
	}
	if ((r = upload_admit(x->k, op, x->vault, x->bucket, x->target, size, &limit)))
		goto out0;
	if (!s.part &&
	    (r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &s.pid))) {
		audit_refusal(x->k, op, x->target, r, NULL);
		r = s3h_err(x, r, r == VG_EKEY ? "ServiceUnavailable" : "InternalError", "%s",
			vg_strerror(r));
		goto out0;
	}
	if (!(s.md5 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s.md5, EVP_md5(), NULL) != 1) {
		r = s3h_err(x, -12, "InternalError", "md5");
		goto out;
	}
	if ((r = vcore_upload_begin(x->k->c, &x->k->who, x->vault, x->bucket, s.pid, s.obj,
		     has_want ? want : NULL, size, &u))) {
		audit_refusal(x->k, op, x->target, r, NULL);
		r = s3h_err(x, r, r == VG_EDENIED ? "AccessDenied" : r == VG_EBADSTATE ?
			"NoSuchUpload" : "InternalError", "%s", vg_strerror(r));
		goto out;
	}
	vcore_upload_limit(u, limit);
	r = stream_upload_hooked(x->k, u, op, x->target, &h);
out:
	if (!s.committed && !s.part)
		(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, s.pid);
	else if (s.committed)
		(void)vcore_audit(x->k->c, &x->k->who, op, x->target, "ok", s.part ? s.obj : "");
	EVP_MD_CTX_free(s.md5);
out0:
	vg_wr_free(&s.keep);
	if (s.chunked)
		vs3_chunked_free(&s.ch);
	return r;
}

struct get_extra {
	struct vs3_version *v;
};

static void get_extra_cb(void *arg, struct vg_wr *w)
{
	struct get_extra *g = arg;
	char ps[17], et[48];

	vcore_point_str(g->v->point, ps);
	s3h_version_etag(g->v, et);
	vg_msgb_str(w, VG_TAG_ID, ps);
	vg_msgb_u64(w, VG_TAG_TIME, g->v->mtime);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	vg_msgb_u32(w, VG_TAG_FLAGS, g->v->flags & VS3_F_HOLD ? 4u : 0);
	if (g->v->lock_mode) {
		vg_msgb_str(w, VG_TAG_STATE, g->v->lock_mode == VS3_LOCK_COMPLIANCE ? "COMPLIANCE" :
			"GOVERNANCE");
		vg_msgb_u64(w, VG_TAG_TIME2, g->v->retain_until);
	}
	if (g->v->meta && g->v->metalen)
		vg_msgb_bytes(w, VG_TAG_S3_META, g->v->meta, g->v->metalen);
}

/* The object's version, or an answered refusal (returns 1, or <0). */
static int object_version(struct s3req *x, struct vs3_version *v)
{
	int r = s3h_find_version(x, v);

	if (r == VG_ENOTFOUND)
		return done1(ERR(x, r, x->has_version ? "NoSuchVersion" : "NoSuchKey",
			       "%s", x->has_version ? "no such version" : "no such key"));
	if (r)
		return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
	if (v->flags & VS3_F_MARKER) {
		vs3_version_clear(v);
		if (x->has_version)
			return done1(ERR(x, VG_EINVAL, "MethodNotAllowed",
				       "the version is a delete marker"));
		return done1(ERR(x, VG_ENOTFOUND, "NoSuchKey", "deleted (delete marker)"));
	}
	return 0;
}

static int a_get_object(struct s3req *x, bool head)
{
	struct vs3_version v;
	struct get_extra g = {&v};
	struct vcore_download *d = NULL;
	struct vr_object o;
	uint64_t off = 0, len = UINT64_MAX, size;
	uint32_t fl = 0;
	int r;

	S3NEED(x, head ? VP_VIEW : VP_RESTORE);
	if ((r = object_version(x, &v)))
		return r < 0 ? r : 0;
	if (head) {
		struct vg_wr *w = resp_ok(x->k);
		s3h_put_version(w, &v, false);
		r = vg_send_frame(x->k->fd, w);
		vs3_version_clear(&v);
		return r;
	}
	size = v.size;
	(void)vg_msg_u32(x->m, VG_TAG_FLAGS, &fl);
	(void)vg_msg_u64(x->m, VG_TAG_OFFSET, &off);
	(void)vg_msg_u64(x->m, VG_TAG_LENGTH, &len);
	if (fl & 1) {  /* suffix: the last OFFSET bytes */
		if (off == 0 || size == 0) {
			vs3_version_clear(&v);
			return ERR(x, VG_ERANGE, "InvalidRange", "size %llu", (unsigned long long)size);
		}
		len = off < size ? off : size;
		off = size - len;
	} else if (fl & 2) {  /* OFFSET [+ LENGTH] */
		if (off >= size) {
			vs3_version_clear(&v);
			return ERR(x, VG_ERANGE, "InvalidRange", "size %llu", (unsigned long long)size);
		}
		if (len > size - off)
			len = size - off;
	} else {
		off = 0;
		len = size;
	}
	if ((r = vcore_download_open(x->k->c, x->vault, x->bucket, v.point, "data", &d, &o))) {
		vs3_version_clear(&v);
		if (r == VG_EKEY)
			return send_key_err(x->k, x->target, x->vault);
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	}
	r = stream_download_hooked(x->k, d, &o, off, len, "s3.GetObject", x->target, get_extra_cb, &g);
	vs3_version_clear(&v);
	return r;
}

int s3a_get_object(struct s3req *x)
{
	return a_get_object(x, false);
}

int s3a_head_object(struct s3req *x)
{
	return a_get_object(x, true);
}

int s3a_delete_object(struct s3req *x)
{
	struct vs3_version v;
	struct vlife_outcome o;
	struct vg_wr *w;
	char why[400] = "", detail[200], ps[17];
	int r;

	S3NEED(x, VP_STOP);
	if (!x->has_version) {
		/* a delete marker: a new version with no data */
		struct vr_point p;
		uint64_t pid;
		memset(&v, 0, sizeof(v));
		memcpy(v.key, x->key, x->keylen + 1);
		v.keylen = (uint16_t)x->keylen;
		v.flags = VS3_F_MARKER;
		if ((r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &pid)))
			return ERR(x, r, "InternalError", "%s", vg_strerror(r));
		v.point = pid;
		v.mtime = vault_now();
		if ((r = vs3_version_put(x->k->c, x->it.id, &v)) ||
		    (r = vcore_point_commit(x->k->c, &x->k->who, x->vault, x->bucket, pid, &p))) {
			(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, pid);
			return ERR(x, r, "InternalError", "%s", vg_strerror(r));
		}
		(void)vcore_audit(x->k->c, &x->k->who, "s3.DeleteObject", x->target, "ok",
			"delete marker");
		vcore_point_str(pid, ps);
		w = resp_ok(x->k);
		vg_msgb_str(w, VG_TAG_ID, ps);
		vg_msgb_u32(w, VG_TAG_FLAGS, 1);
		vg_msgb_str(w, VG_TAG_DETAIL, "delete marker written; no data deleted");
		return vg_send_frame(x->k->fd, w);
	}
	if ((r = s3h_find_version(x, &v)) == VG_ENOTFOUND) {
		/* S3 answers 204 for a version that is not there */
		w = resp_ok(x->k);
		vg_msgb_str(w, VG_TAG_ID, x->version);
		vg_msgb_str(w, VG_TAG_DETAIL, "not found: nothing deleted");
		return vg_send_frame(x->k->fd, w);
	}
	if (r)
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	vs3_version_clear(&v);
	if ((r = s3h_lock_check(x, &v)))
		return r < 0 ? r : 0;
	r = vlife_point_delete(x->k->c, &x->k->who, x->vault, x->bucket, v.point, &o, why,
		sizeof(why));
	if (r) {
		audit_refusal(x->k, "s3.DeleteObject", x->target, r, *why ? why : NULL);
		return ERR(x, r, r == VG_EIMMUTABLE || r == VG_EDENIED || r == VG_EMUA ?
			"AccessDenied" : "InternalError", "%s", *why ? why : vg_strerror(r));
	}
	vlife_outcome_str(&o, detail, sizeof(detail));
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_ID, x->version);
	vg_msgb_u32(w, VG_TAG_FLAGS, v.flags & VS3_F_MARKER ? 1u : 0);
	vg_msgb_str(w, VG_TAG_DETAIL, detail);
	if (o.at)
		vg_msgb_u64(w, VG_TAG_TIME2, o.at);
	return vg_send_frame(x->k->fd, w);
}


/* CopyObject: the source is named by the signed x-amz-copy-source header
 * ("/BUCKET/KEY[?versionId=V]", URL-encoded), which vaultd reads from the
 * canonical request itself; the gateway's S3_KEY2/ITEM fields are not
 * trusted for it. The copy is a new version of the target, its bytes read
 * and re-encrypted inside vaultd (restore on the source, backup on the
 * target); metadata is copied (x-amz-metadata-directive COPY). */
struct copy_sink {
	struct put_state *s;
	struct vcore_upload *u;
};

static int copy_cb(void *arg, const uint8_t *p, size_t n)
{
	struct copy_sink *c = arg;

	c->s->u = c->u;
	return put_data(c->s, p, n);
}

int s3h_copy_source(struct s3req *x, struct s3req *src, struct vs3_version *sv)
{
	char hdr[2200], dec[2200], *q, *slash;
	int r;

	s3h_signed_header(x, "x-amz-copy-source", hdr, sizeof(hdr));
	if (!*hdr)
		return done1(s3h_refuse(x, VG_EAUTH, "AccessDenied", "x-amz-copy-source is not signed"));
	if ((q = strchr(hdr, '?')))
		*q++ = 0;
	if (vg_sigv4_uri_decode(hdr, strlen(hdr), dec, sizeof(dec), NULL))
		return done1(s3h_refuse(x, VG_EINVAL, "InvalidArgument", "bad x-amz-copy-source"));
	memset(src, 0, sizeof(*src));
	src->k = x->k;
	src->m = x->m;
	src->act = x->act;
	snprintf(src->vault, sizeof(src->vault), "%s", x->vault);
	{
		const char *p = dec[0] == '/' ? dec + 1 : dec;
		if (!(slash = strchr(p, '/')) || (size_t)(slash - p) >= sizeof(src->bucket) ||
		    !slash[1] || strlen(slash + 1) > VS3_KEY_MAX)
			return done1(s3h_refuse(x, VG_EINVAL, "InvalidArgument",
				"bad x-amz-copy-source"));
		memcpy(src->bucket, p, (size_t)(slash - p));
		snprintf(src->key, sizeof(src->key), "%s", slash + 1);
		src->keylen = strlen(src->key);
	}
	if (q && strncmp(q, "versionId=", 10) == 0) {
		snprintf(src->version, sizeof(src->version), "%s", q + 10);
		if (vcore_point_parse(src->version, &src->vpoint))
			return done1(s3h_refuse(x, VG_EINVAL, "InvalidArgument",
				"bad versionId in x-amz-copy-source"));
		src->has_version = true;
	}
	snprintf(src->target, sizeof(src->target), "%s/%s", src->vault, src->bucket);
	if ((r = vcore_item_get(x->k->c, src->vault, src->bucket, &src->it)) ||
	    strcmp(src->it.kind, "s3"))
		return done1(ERR(x, VG_ENOTFOUND, "NoSuchBucket", "%s", src->bucket));
	{
		char op[80];
		int n;
		snprintf(op, sizeof(op), "s3.%s", x->act->name);
		if ((n = need(x->k, op, src->vault, src->bucket, VP_RESTORE)))
			return n < 0 ? n : 1;
	}
	if ((r = s3h_find_version(src, sv)))
		return done1(ERR(x, r, r == VG_ENOTFOUND ? (src->has_version ? "NoSuchVersion" :
			"NoSuchKey") : "InternalError", "the copy source: %s", vg_strerror(r)));
	if (sv->flags & VS3_F_MARKER) {
		vs3_version_clear(sv);
		return done1(ERR(x, VG_ENOTFOUND, "NoSuchKey", "the copy source is a delete marker"));
	}
	return 0;
}

int s3a_copy_object(struct s3req *x)
{
	struct put_state s = {.x = x};
	struct s3req src;
	struct vs3_version sv;
	struct vcore_download *d = NULL;
	struct vcore_upload *u = NULL;
	struct vr_object o;
	struct vs3_bucket b;
	char ps[17], et[33];
	uint64_t got;
	uint8_t sha[VC_HASH_LEN];
	unsigned int ml = 0;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_BACKUP);
	if ((r = s3h_copy_source(x, &src, &sv)))
		return r < 0 ? r : 0;
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b))) {
		vs3_version_clear(&sv);
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	}
	memcpy(s.v.key, x->key, x->keylen + 1);
	s.v.keylen = (uint16_t)x->keylen;
	s.v.meta = sv.meta;
	s.v.metalen = sv.metalen;
	if (b.lock_enabled && b.default_mode) {
		s.v.lock_mode = b.default_mode;
		s.v.retain_until = vault_now() + (uint64_t)b.default_days * 86400u;
	}
	r = vcore_download_open(x->k->c, src.vault, src.bucket, sv.point, "data", &d, &o);
	if (r) {
		vs3_version_clear(&sv);
		return ERR(x, r, "InternalError", "the copy source: %s", vg_strerror(r));
	}
	if ((r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &s.pid)) ||
	    !(s.md5 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s.md5, EVP_md5(), NULL) != 1 ||
	    (r = vcore_upload_begin(x->k->c, &x->k->who, x->vault, x->bucket, s.pid, "data", NULL,
		     o.size, &u)) ||
	    (r = vcore_download_read(d, 0, o.size, copy_cb, &(struct copy_sink){&s, u})) ||
	    (r = vcore_upload_finish(u, &got, sha))) {
		r = r ? r : VG_EINTEGRITY;
		goto fail;
	}
	if (EVP_DigestFinal_ex(s.md5, s.v.md5, &ml) != 1) {
		r = VG_EINTEGRITY;
		goto fail;
	}
	s.v.size = got;
	{
		char why[200];
		struct vg_wr tmp;
		vg_wr_init(&tmp, 1024);
		r = put_commit(&s, &tmp, why, sizeof(why));
		vg_wr_free(&tmp);
		if (r)
			goto fail;
	}
	vcore_upload_free(u);
	vcore_download_free(d);
	EVP_MD_CTX_free(s.md5);
	vs3_version_clear(&sv);
	(void)vcore_audit(x->k->c, &x->k->who, "s3.CopyObject", x->target, "ok", src.target);
	vcore_point_str(s.pid, ps);
	s3h_etag_hex(s.v.md5, et);
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_ID, ps);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	vg_msgb_u64(w, VG_TAG_TIME, s.v.mtime);
	return vg_send_frame(x->k->fd, w);
fail:
	if (u)
		vcore_upload_free(u);
	if (d)
		vcore_download_free(d);
	EVP_MD_CTX_free(s.md5);
	vs3_version_clear(&sv);
	if (s.pid && !s.committed)
		(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, s.pid);
	audit_fail(x->k, "s3.CopyObject", x->target, r, true);
	return ERR(x, r, r == VG_EKEY ? "ServiceUnavailable" : "InternalError", "copy: %s",
		vg_strerror(r));
}
