/* h_s3mp.c - S3 multipart uploads (h_s3.h).
 *
 * An upload is a detached pending point of the bucket's item, opened by
 * CreateMultipartUpload; its uploadId is the point id. The point carries
 * the version record the object will have (key, metadata, the Object Lock
 * mode and retain-until date resolved at Create, legal hold; flag
 * VS3_F_MP), invisible in listings while pending. UploadPart (h_s3obj.c)
 * writes each part as an object of that point and a part record
 * (vs3_part_put: number, size, MD5, object). CompleteMultipartUpload
 * checks the client's list (ascending numbers, ETags equal to the parts'
 * MD5s, every part but the last >= 5 MiB), then writes the parts, in
 * order, as the one object "data" of a new point, committed as one version
 * exactly as a PutObject (ETag: MD5 of the parts' MD5s, "-N"), and drops
 * the upload's point. Abort drops it too. Only the principal that opened
 * an upload may add to, complete or abort it (a pending point belongs to
 * its opener; local root may abort any): an Agent may abort its own
 * upload, which destroys no committed data. An upload left open is
 * dropped by the purger a day after its start (lifecycle.c, the detached
 * upload age), audited there (upload.reap). UploadPartCopy copies a range
 * of a version inside vaultd into a part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "buf.h"
#include "clock.h"
#include "core_int.h"
#include "h_s3.h"
#include "log.h"
#include "vg_err.h"

#define MP_PART_MIN (5ull << 20)
#define MP_PARTS_MAX 10000u

int s3h_find_upload(struct s3req *x, struct vs3_version *uv)
{
	bool active = true;
	int r = vs3_version_get(x->k->c, x->it.id, x->upload, uv, &active);

	if (r == 0 && (active || !(uv->flags & VS3_F_MP) || uv->keylen != x->keylen ||
		       memcmp(uv->key, x->key, x->keylen) != 0)) {
		vs3_version_clear(uv);
		r = VG_ENOTFOUND;
	}
	if (r == VG_ENOTFOUND)
		return done1(ERR(x, r, "NoSuchUpload", "The specified upload does not exist. The "
			"upload ID may be invalid, or the upload may have been aborted or completed."));
	if (r)
		return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
	return 0;
}

int s3a_mp_create(struct s3req *x)
{
	struct vs3_version v;
	struct vg_wr keep = {0}, *w;
	const uint8_t *meta = NULL;
	uint32_t ml = 0;
	char ps[17];
	int r;

	S3NEED(x, VP_BACKUP);
	memset(&v, 0, sizeof(v));
	(void)vg_msg_bytes(x->m, VG_TAG_S3_META, &meta, &ml);
	if ((r = s3h_new_version(x, meta, ml, &v, &keep))) {
		vg_wr_free(&keep);
		return r < 0 ? r : 0;
	}
	v.flags = (uint8_t)((v.flags & VS3_F_HOLD) | VS3_F_MP);
	memset(v.md5, 0, sizeof(v.md5));
	if ((r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &v.point))) {
		vg_wr_free(&keep);
		audit_refusal(x->k, "s3.CreateMultipartUpload", x->target, r, NULL);
		return ERR(x, r, r == VG_EKEY ? "ServiceUnavailable" : "InternalError", "%s",
			vg_strerror(r));
	}
	v.mtime = vault_now();
	r = vs3_version_put(x->k->c, x->it.id, &v);
	vg_wr_free(&keep);
	if (r) {
		(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, v.point);
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	}
	vcore_point_str(v.point, ps);
	(void)vcore_audit(x->k->c, &x->k->who, "s3.CreateMultipartUpload", x->target, "ok", ps);
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_POINT, ps);
	return vg_send_frame(x->k->fd, w);
}

/* Drops the upload's point (its parts) and records. */
static int drop_upload(struct s3req *x)
{
	int r = vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, x->upload);

	if (r)
		return r;
	if ((r = vs3_parts_del(x->k->c, x->it.id, x->upload)) ||
	    (r = vs3_version_del(x->k->c, x->it.id, x->upload)))
		log_warnx("s3: upload %s: its records stay: %s", x->upload_id, vg_strerror(r));
	return 0;
}

int s3a_mp_abort(struct s3req *x)
{
	struct vs3_version uv;
	int r;

	S3NEED(x, VP_BACKUP);
	if ((r = s3h_find_upload(x, &uv)))
		return r < 0 ? r : 0;
	vs3_version_clear(&uv);
	if ((r = drop_upload(x)))
		return s3h_refuse(x, r, r == VG_EDENIED || r == VG_EBADSTATE ? "AccessDenied" :
			"InternalError", r == VG_EDENIED ? "only the principal that began an upload may "
			"abort it" : vg_strerror(r));
	(void)vcore_audit(x->k->c, &x->k->who, "s3.AbortMultipartUpload", x->target, "ok",
		x->upload_id);
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

int s3a_mp_parts(struct s3req *x)
{
	struct vs3_version uv;
	struct vs3_part *ps = NULL;
	size_t n = 0;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = s3h_find_upload(x, &uv)))
		return r < 0 ? r : 0;
	vs3_version_clear(&uv);
	if ((r = vs3_parts(x->k->c, x->it.id, x->upload, &ps, &n)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	if ((r = vg_send_frame(x->k->fd, resp_ok(x->k))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct vg_wr *w = row(x->k);
		char et[33];
		s3h_etag_hex(ps[i].md5, et);
		vg_msgb_u64(w, VG_TAG_COUNT, ps[i].number);
		vg_msgb_u64(w, VG_TAG_SIZE, ps[i].size);
		vg_msgb_u64(w, VG_TAG_TIME, ps[i].mtime);
		vg_msgb_str(w, VG_TAG_VALUE, et);
		if ((r = vg_send_frame(x->k->fd, w)))
			goto out;
	}
	r = end_stream(x->k, 0);
out:
	free(ps);
	return r;
}

int s3a_mp_uploads(struct s3req *x)
{
	struct vs3_version *vs = NULL;
	const uint8_t *pfx = NULL;
	uint32_t pl = 0;
	size_t n = 0;
	int r;

	S3NEED(x, VP_VIEW);
	(void)vg_msg_bytes(x->m, VG_TAG_S3_KEY, &pfx, &pl);
	if ((r = vs3_uploads(x->k->c, x->vault, x->bucket, (const char *)pfx, pl, &vs, &n)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	if ((r = vg_send_frame(x->k->fd, resp_ok(x->k))))
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct vg_wr *w = row(x->k);
		char ps[17];
		vcore_point_str(vs[i].point, ps);
		vg_msgb_bytes(w, VG_TAG_S3_KEY, vs[i].key, vs[i].keylen);
		vg_msgb_str(w, VG_TAG_POINT, ps);
		vg_msgb_u64(w, VG_TAG_TIME, vs[i].mtime);
		if ((r = vg_send_frame(x->k->fd, w)))
			goto out;
	}
	r = end_stream(x->k, 0);
out:
	free(vs);
	return r;
}

/* ---- CompleteMultipartUpload ---------------------------------------------- */

struct want {
	unsigned number;
	char etag[40];
};

/* "NUMBER ETAG\n" lines (the gateway's reading of the XML body). */
static int want_parse(const uint8_t *p, uint32_t n, struct want **out, size_t *cnt)
{
	size_t cap = 0;

	*out = NULL;
	*cnt = 0;
	for (uint32_t off = 0; off < n;) {
		const uint8_t *nl = memchr(p + off, '\n', n - off);
		uint32_t ll = nl ? (uint32_t)(nl - (p + off)) : n - off;
		char line[64];
		struct want *w;
		if (ll >= sizeof(line) || *cnt >= MP_PARTS_MAX)
			return VG_EINVAL;
		memcpy(line, p + off, ll);
		line[ll] = 0;
		off += ll + 1;
		if (!(w = vcore_push(out, cnt, &cap, sizeof(**out))))
			return -12;
		if (sscanf(line, "%u %39s", &w->number, w->etag) != 2)
			return VG_EINVAL;
	}
	return *cnt ? 0 : VG_EINVAL;
}

struct join {
	struct vcore_upload *u;
};

static int join_cb(void *arg, const uint8_t *p, size_t n)
{
	return vcore_upload_write(((struct join *)arg)->u, p, n);
}

/* The parts, in order, into the new point's "data". */
static int join_parts(struct s3req *x, uint64_t pid, const struct vs3_part *const *use, size_t n,
	uint64_t total)
{
	struct join j = {NULL};
	uint64_t got;
	uint8_t sha[VC_HASH_LEN];
	int r;

	if ((r = vcore_upload_begin(x->k->c, &x->k->who, x->vault, x->bucket, pid, "data", NULL,
		     total, &j.u)))
		return r;
	for (size_t i = 0; i < n && !r; i++) {
		struct vcore_download *d = NULL;
		struct vr_object o;
		if (!(r = vcore_download_open_pending(x->k->c, &x->k->who, x->vault, x->bucket,
			      x->upload, use[i]->object, &d, &o)))
			r = o.size != use[i]->size ? VG_EINTEGRITY :
				vcore_download_read(d, 0, o.size, join_cb, &j);
		if (d)
			vcore_download_free(d);
	}
	if (!r)
		r = vcore_upload_finish(j.u, &got, sha);
	vcore_upload_free(j.u);
	return r;
}

static int find_part(const struct vs3_part *ps, size_t n, unsigned number)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ps[mid].number == number)
			return (int)mid;
		if (ps[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int s3a_mp_complete(struct s3req *x)
{
	struct vs3_version uv, v;
	struct vs3_part *ps = NULL;
	const struct vs3_part **use = NULL;
	struct want *want = NULL;
	const uint8_t *body = NULL;
	uint32_t bl = 0;
	size_t np = 0, nw = 0;
	uint64_t total = 0, pid = 0;
	EVP_MD_CTX *md = NULL;
	unsigned int ml = 0;
	struct vr_point p;
	struct vg_wr *w;
	char ps_[17], et[48], why[200];
	int r;

	S3NEED(x, VP_BACKUP);
	if ((r = s3h_find_upload(x, &uv)))
		return r < 0 ? r : 0;
	(void)vg_msg_bytes(x->m, VG_TAG_S3_META, &body, &bl);
	if ((r = want_parse(body, bl, &want, &nw))) {
		r = s3h_refuse(x, VG_EINVAL, "MalformedXML", "the part list is malformed or empty");
		goto out;
	}
	if ((r = vs3_parts(x->k->c, x->it.id, x->upload, &ps, &np))) {
		r = ERR(x, r, "InternalError", "%s", vg_strerror(r));
		goto out;
	}
	if (!(use = calloc(nw, sizeof(*use))) || !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(md, EVP_md5(), NULL) != 1) {
		r = ERR(x, -12, "InternalError", "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nw; i++) {
		int k = find_part(ps, np, want[i].number);
		char hex[33];
		if (i && want[i].number <= want[i - 1].number) {
			r = s3h_refuse(x, VG_EINVAL, "InvalidPartOrder",
				"The list of parts was not in ascending order.");
			goto out;
		}
		if (k >= 0)
			s3h_etag_hex(ps[k].md5, hex);
		if (k < 0 || strcmp(hex, want[i].etag) != 0) {
			snprintf(why, sizeof(why), "One or more of the specified parts could not be "
				"found or its entity tag did not match (part %u).", want[i].number);
			r = s3h_refuse(x, VG_EINVAL, "InvalidPart", why);
			goto out;
		}
		use[i] = &ps[k];
	}
	for (size_t i = 0; i < nw; i++) {  /* sizes once every part is known */
		if (i + 1 < nw && use[i]->size < MP_PART_MIN) {
			snprintf(why, sizeof(why), "Your proposed upload is smaller than the minimum "
				"allowed size (part %u: %llu bytes; 5 MiB but the last).", want[i].number,
				(unsigned long long)use[i]->size);
			r = s3h_refuse(x, VG_EINVAL, "EntityTooSmall", why);
			goto out;
		}
		total += use[i]->size;
		EVP_DigestUpdate(md, use[i]->md5, 16);
	}
	v = uv;
	uv.meta = NULL;
	v.seq = 0;
	v.size = total;
	v.parts = (uint16_t)nw;
	v.flags = (uint8_t)((uv.flags & VS3_F_HOLD) | VS3_F_MP);
	if (EVP_DigestFinal_ex(md, v.md5, &ml) != 1) {
		vs3_version_clear(&v);
		r = ERR(x, VG_EINTEGRITY, "InternalError", "md5");
		goto out;
	}
	if ((r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &pid)) ||
	    (r = join_parts(x, pid, use, nw, total))) {
		vs3_version_clear(&v);
		goto fail;
	}
	v.point = pid;
	v.mtime = vault_now();
	r = vs3_version_put(x->k->c, x->it.id, &v);
	vs3_version_clear(&v);
	if (r || (r = vcore_point_commit(x->k->c, &x->k->who, x->vault, x->bucket, pid, &p)))
		goto fail;
	if ((v.lock_mode || (v.flags & VS3_F_HOLD)) &&
	    (r = vs3_point_floor(x->k->c, x->it.id, pid, v.retain_until,
		     (v.flags & VS3_F_HOLD) != 0)))
		log_warnx("s3: version %llx: cannot raise its expiry: %s", (unsigned long long)pid,
			vg_strerror(r));
	if ((r = drop_upload(x)))
		log_warnx("s3: upload %s completed but not dropped: %s", x->upload_id,
			vg_strerror(r));
	vcore_point_str(pid, ps_);
	snprintf(why, sizeof(why), "upload %s: %zu parts, %llu bytes", x->upload_id, nw,
		(unsigned long long)total);
	(void)vcore_audit(x->k->c, &x->k->who, "s3.CompleteMultipartUpload", x->target, "ok", why);
	s3h_version_etag(&v, et);
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_ID, ps_);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	r = vg_send_frame(x->k->fd, w);
	goto out;
fail:
	if (pid)
		(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, pid);
	audit_fail(x->k, "s3.CompleteMultipartUpload", x->target, r, true);
	r = ERR(x, r, r == VG_ENOSPACE ? "QuotaExceeded" : r == VG_EDENIED ? "AccessDenied" :
		"InternalError", "%s", vg_strerror(r));
out:
	vs3_version_clear(&uv);
	EVP_MD_CTX_free(md);
	free(use);
	free(ps);
	free(want);
	return r;
}

/* ---- UploadPartCopy ---------------------------------------------------------- */

struct pcopy {
	struct vcore_upload *u;
	EVP_MD_CTX *md;
};

static int pcopy_cb(void *arg, const uint8_t *p, size_t n)
{
	struct pcopy *c = arg;

	if (EVP_DigestUpdate(c->md, p, n) != 1)
		return VG_EINTEGRITY;
	return vcore_upload_write(c->u, p, n);
}

/* UploadPartCopy: the part is a range (x-amz-copy-source-range, signed) of
 * the version named by the signed x-amz-copy-source, copied inside vaultd
 * (restore right on the source, as CopyObject). */
int s3a_mp_part_copy(struct s3req *x)
{
	static _Atomic uint32_t nonce;
	struct s3req src;
	struct vs3_version uv, sv;
	struct vcore_download *d = NULL;
	struct pcopy pc = {NULL, NULL};
	struct vr_object o;
	struct vs3_part part;
	struct vg_wr *w;
	char rg[80], et[33];
	uint64_t off = 0, len, got;
	uint8_t sha[VC_HASH_LEN];
	unsigned int ml = 0;
	bool sent = false;
	int r;

	S3NEED(x, VP_BACKUP);
	if (!x->partno)
		return ERR(x, VG_EINVAL, "InvalidArgument", "UploadPartCopy needs partNumber");
	if ((r = s3h_find_upload(x, &uv)))
		return r < 0 ? r : 0;
	vs3_version_clear(&uv);
	if ((r = s3h_copy_source(x, &src, &sv)))
		return r < 0 ? r : 0;
	vs3_version_clear(&sv);
	len = sv.size;
	s3h_signed_header(x, "x-amz-copy-source-range", rg, sizeof(rg));
	if (*rg) {
		unsigned long long a, b;
		char tail;
		if (sscanf(rg, "bytes=%llu-%llu%c", &a, &b, &tail) != 2 || a > b || b >= sv.size)
			return s3h_refuse(x, VG_ERANGE, "InvalidArgument",
				"x-amz-copy-source-range must be bytes=FIRST-LAST inside the source");
		off = a;
		len = b - a + 1;
	}
	memset(&part, 0, sizeof(part));
	part.number = x->partno;
	snprintf(part.object, sizeof(part.object), "c%05u.%08llx%08x", x->partno,
		(unsigned long long)(vault_now() & 0xffffffffu), (unsigned)nonce++);
	if ((r = vcore_download_open(x->k->c, src.vault, src.bucket, sv.point, "data", &d, &o)) ||
	    !(pc.md = EVP_MD_CTX_new()) || EVP_DigestInit_ex(pc.md, EVP_md5(), NULL) != 1 ||
	    (r = vcore_upload_begin(x->k->c, &x->k->who, x->vault, x->bucket, x->upload,
		     part.object, NULL, len, &pc.u)) ||
	    (r = vcore_download_read(d, off, len, pcopy_cb, &pc)) ||
	    (r = vcore_upload_finish(pc.u, &got, sha)) ||
	    EVP_DigestFinal_ex(pc.md, part.md5, &ml) != 1) {
		r = r ? r : VG_EINTEGRITY;
		goto out;
	}
	part.size = got;
	part.mtime = vault_now();
	if ((r = vs3_part_put(x->k->c, x->it.id, x->upload, &part)))
		goto out;
	(void)vcore_audit(x->k->c, &x->k->who, "s3.UploadPartCopy", x->target, "ok", src.target);
	s3h_etag_hex(part.md5, et);
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	vg_msgb_u64(w, VG_TAG_TIME, part.mtime);
	sent = true;
	r = vg_send_frame(x->k->fd, w);
out:
	if (pc.u)
		vcore_upload_free(pc.u);
	if (d)
		vcore_download_free(d);
	EVP_MD_CTX_free(pc.md);
	if (sent)
		return r;
	audit_fail(x->k, "s3.UploadPartCopy", x->target, r, true);
	return ERR(x, r, r == VG_EDENIED ? "AccessDenied" : r == VG_EBADSTATE ? "NoSuchUpload" :
		r == VG_EKEY ? "ServiceUnavailable" : "InternalError", "part copy: %s",
		vg_strerror(r));
}
