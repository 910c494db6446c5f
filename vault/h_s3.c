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
#include "server_int.h"
#include "sigv4.h"
#include "vg_err.h"

enum { S_BUCKET = 1u << 0, S_KEY = 1u << 1, S_VERSION = 1u << 2 };

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
	struct vr_item it;
	char target[VG_VAULT_NAME_MAX + VG_ITEM_NAME_MAX + 300];
};

static int done1(int e)
{
	return e ? e : 1;
}

#define ERR(x, r, code, ...) s3_err((x), (r), (code), __VA_ARGS__)

static int s3_err(struct s3req *x, int r, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int s3_err(struct s3req *x, int r, const char *code, const char *fmt, ...)
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
static int s3_refuse(struct s3req *x, int r, const char *code, const char *why)
{
	char reason[800];

	snprintf(reason, sizeof(reason), "%s: %s", code, why);
	audit_refusal(x->k, x->act->name, x->target, r, reason);
	return s3_err(x, r, code, "%s", why);
}

static int need_s3(struct s3req *x, enum vperm p)
{
	int n = need(x->k, x->act->name, x->vault, *x->bucket ? x->bucket : NULL, p);
	return n;  /* 0 allowed; 1 refused (answered, audited); <0 I/O */
}

#define S3NEED(x, p)                                    \
	do {                                          \
		int _n = need_s3((x), (p));           \
		if (_n)                               \
			return _n < 0 ? _n : 0;       \
	} while (0)

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
		if (x->act->flags & S_KEY)
			vg_sigv4_uri_encode(&want, x->key, x->keylen, true);
		if (want.err)
			break;
		ok = q.path_len == want.len && memcmp(q.path, want.p, want.len) == 0;
		/* bucket actions: "/bucket" as well as "/bucket/" */
		if (!ok && !(x->act->flags & S_KEY) && *x->bucket && !vhost)
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
	r = vg_sigv4_creq_param(&q, "versionId", val, sizeof(val));
	if (r < 0 || (r == 1) != x->has_version || (r == 1 && strcmp(val, x->version) != 0)) {
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

static void etag_hex(const uint8_t md5[16], char out[33])
{
	vg_hex(out, md5, 16);
}

/* The version's fields in a RESP or ROW. */
static void put_version(struct vg_wr *w, const struct vs3_version *v, bool latest)
{
	char ps[17], et[33];

	vcore_point_str(v->point, ps);
	etag_hex(v->md5, et);
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
static int find_version(struct s3req *x, struct vs3_version *v)
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
		return s3_refuse(x, VG_ENAME, "InvalidBucketName",
			"bucket names are 3..63 of a-z 0-9 . - (S3's rules)");
	if (vcore_item_get(x->k->c, x->vault, x->bucket, &x->it) == 0) {
		S3NEED(x, VP_VIEW);
		return s3_err(x, VG_EEXISTS, strcmp(x->it.kind, "s3") == 0 ?
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
		return s3_err(x, r, r == VG_EEXISTS ? "BucketAlreadyExists" : "InternalError",
			"%s: %s", x->bucket, vg_strerror(r));
	}
	if ((r = vcore_item_get(x->k->c, x->vault, x->bucket, &x->it)))
		return s3_err(x, r, "InternalError", "%s", vg_strerror(r));
	b.lock_enabled = (flags & 1) != 0;
	if ((r = vs3_bucket_put(x->k->c, x->it.id, &b)))
		return s3_err(x, r, "InternalError", "%s", vg_strerror(r));
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

static int a_head_bucket(struct s3req *x)
{
	struct vs3_bucket b;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b)))
		return s3_err(x, r, "InternalError", "%s", vg_strerror(r));
	w = resp_ok(x->k);
	vg_msgb_u32(w, VG_TAG_FLAGS, b.lock_enabled ? 1u : 0);
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
		return s3_err(x, r, "InternalError", "%s", vg_strerror(r));
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
			put_version(w, &vs[i], latest);
			if ((r = vg_send_frame(x->k->fd, w)))
				goto out;
		}
	}
	r = end_stream(x->k, 0);
out:
	free(vs);
	return r;
}

/* ---- Object Lock ----------------------------------------------------------- */

/* May version v be deleted now? Legal hold: never. COMPLIANCE until its
 * date: never, by anyone (checked against vaultd's trusted time).
 * GOVERNANCE until its date: only with x-amz-bypass-governance-retention
 * signed as true, by an Owner of the vault, under a guard that keeps
 * delete-data, presenting a grant (X-Vaultgate-Grant) that
 * vlife_point_delete then checks and uses for exactly this version.
 * 0 to go on; 1 refused (answered, audited); <0 I/O. */
static int s3_lock_check(struct s3req *x, const struct vs3_version *v)
{
	char why[400], ps[17];
	uint64_t now = vault_now();
	int r;

	vcore_point_str(v->point, ps);
	if (v->flags & VS3_F_HOLD) {
		snprintf(why, sizeof(why), "version %s is under a legal hold", ps);
		goto refuse;
	}
	if (v->lock_mode == VS3_LOCK_NONE || v->retain_until <= now)
		return 0;
	if (v->lock_mode == VS3_LOCK_COMPLIANCE) {
		snprintf(why, sizeof(why), "version %s is under COMPLIANCE retention until %llu; "
			"nobody can delete it before then", ps, (unsigned long long)v->retain_until);
		goto refuse;
	}
	{
		const uint8_t *canon;
		uint32_t cl;
		struct vg_sigv4_creq q;
		char bypass[16] = "";
		struct vr_vault vv;
		MDB_txn *txn;
		int owner = 0;

		if (vg_msg_bytes(x->m, VG_TAG_S3_CANON, &canon, &cl) == 0 &&
		    vg_sigv4_creq_split((const char *)canon, cl, &q) == 0)
			(void)vg_sigv4_creq_header(&q, "x-amz-bypass-governance-retention", bypass,
				sizeof(bypass));
		if (strcasecmp(bypass, "true") != 0) {
			snprintf(why, sizeof(why), "version %s is under GOVERNANCE retention", ps);
			goto refuse;
		}
		if ((r = vdb_begin(x->k->c->db, false, &txn)))
			return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
		owner = vauth_role(x->k->c, txn, &x->k->who, x->vault) == VR_R_OWNER;
		r = vcore_vault_get(x->k->c, x->vault, &vv);
		vdb_abort(txn);
		if (r)
			return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
		if (!owner) {
			snprintf(why, sizeof(why), "bypassing GOVERNANCE retention of %s is for an Owner "
				"of vault %s with an approved grant", ps, x->vault);
			goto refuse;
		}
		if (!*vv.guard || !*x->k->who.grant) {
			snprintf(why, sizeof(why), "bypassing GOVERNANCE retention of %s needs an approved "
				"MUA grant for delete-data on %s/%s/%s (X-Vaultgate-Grant)%s", ps, x->vault,
				x->bucket, ps, *vv.guard ? "" : "; vault has no guard to approve one");
			goto refuse;
		}
	}
	return 0;
refuse:
	r = s3_refuse(x, VG_EIMMUTABLE, "AccessDenied", why);
	return r < 0 ? r : 1;
}

/* ---- objects ------------------------------------------------------------- */

/* "2026-12-08T20:00:00Z", "2026-12-08T20:00:00.000Z", "...+00:00" -> unix. */
static int parse_iso(const char *s, uint64_t *out)
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
			if (parse_iso(colon + 1, &pm->until))
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
	EVP_MD_CTX *md5;
	struct put_meta pm;
	struct vs3_version v;
	uint64_t pid;
	bool committed;
};

static int put_write(void *arg, struct vcore_upload *u, const uint8_t *p, size_t n)
{
	struct put_state *s = arg;

	if (EVP_DigestUpdate(s->md5, p, n) != 1)
		return VG_EINTEGRITY;
	return vcore_upload_write(u, p, n);
}

static int put_commit(struct put_state *s, struct vg_wr *w, char *why, size_t whysz)
{
	struct vr_point p;
	char ps[17], et[33];
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
	vcore_point_str(s->pid, ps);
	etag_hex(s->v.md5, et);
	vg_msgb_str(w, VG_TAG_ID, ps);
	vg_msgb_str(w, VG_TAG_VALUE, et);
	return 0;
}

static int put_done(void *arg, uint64_t size, const uint8_t sha[VC_HASH_LEN], struct vg_wr *w,
	char *why, size_t whysz)
{
	struct put_state *s = arg;
	unsigned int ml = 0;

	(void)sha;
	if (EVP_DigestFinal_ex(s->md5, s->v.md5, &ml) != 1 || ml != 16)
		return snprintf(why, whysz, "InternalError: md5"), VG_EINTEGRITY;
	if (s->pm.has_md5 && memcmp(s->pm.md5, s->v.md5, 16) != 0)
		return snprintf(why, whysz, "BadDigest: the body does not match Content-MD5"),
		       VG_EINVAL;
	s->v.size = size;
	return put_commit(s, w, why, whysz);
}

static int a_put_object(struct s3req *x)
{
	struct put_state s = {.x = x};
	struct upload_hooks h = {put_write, put_done, &s};
	struct vcore_upload *u = NULL;
	struct vs3_bucket b;
	const uint8_t *meta = NULL, *canon;
	uint32_t ml = 0, cl;
	uint8_t want[VC_HASH_LEN];
	bool has_want = false;
	uint64_t size = UINT64_MAX, limit;
	const char *code = "InvalidArgument";
	char why[300];
	int r;

	S3NEED(x, VP_BACKUP);
	if (vg_msg_bytes(x->m, VG_TAG_S3_CANON, &canon, &cl) == 0) {
		struct vg_sigv4_creq q;
		char ph[80];
		if (vg_sigv4_creq_split((const char *)canon, cl, &q) || q.payload_len >= sizeof(ph))
			return s3_err(x, VG_EAUTH, "AccessDenied", "malformed canonical request");
		memcpy(ph, q.payload, q.payload_len);
		ph[q.payload_len] = 0;
		if (strlen(ph) == 64 && vg_unhex(want, sizeof(want), ph) == 0)
			has_want = true;
		else if (strcmp(ph, "UNSIGNED-PAYLOAD") != 0)
			return s3_err(x, VG_EINVAL, "NotImplemented",
				"payload %s is not supported yet (send UNSIGNED-PAYLOAD or a SHA-256)", ph);
	}
	(void)vg_msg_u64(x->m, VG_TAG_SIZE, &size);
	(void)vg_msg_bytes(x->m, VG_TAG_S3_META, &meta, &ml);
	if ((r = meta_parse(meta, ml, &s.pm, &code, why, sizeof(why)))) {
		vg_wr_free(&s.pm.keep);
		return s3_refuse(x, r, code, why);
	}
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b))) {
		vg_wr_free(&s.pm.keep);
		return s3_err(x, r, "InternalError", "%s", vg_strerror(r));
	}
	if ((s.pm.mode >= 0 || s.pm.hold >= 0) && !b.lock_enabled) {
		vg_wr_free(&s.pm.keep);
		return s3_refuse(x, VG_EINVAL, "InvalidRequest",
			"Bucket is missing Object Lock Configuration");
	}
	if ((s.pm.mode >= 0) != (s.pm.until != 0) || (s.pm.until && s.pm.until <= vault_now())) {
		vg_wr_free(&s.pm.keep);
		return s3_refuse(x, VG_EINVAL, "InvalidArgument",
			"the object lock mode and a retain-until date in the future go together");
	}
	memcpy(s.v.key, x->key, x->keylen + 1);
	s.v.keylen = (uint16_t)x->keylen;
	if (s.pm.mode > 0) {
		s.v.lock_mode = (uint8_t)s.pm.mode;
		s.v.retain_until = s.pm.until;
	} else if (b.lock_enabled && b.default_mode) {
		s.v.lock_mode = b.default_mode;
		s.v.retain_until = vault_now() + (uint64_t)b.default_days * 86400u;
	}
	if (s.pm.hold == 1)
		s.v.flags |= VS3_F_HOLD;
	s.v.meta = (char *)s.pm.keep.p;
	s.v.metalen = (uint16_t)s.pm.keep.len;
	if ((r = upload_admit(x->k, "s3.PutObject", x->vault, x->bucket, x->target, size, &limit)))
		goto out0;
	if ((r = vcore_point_begin(x->k->c, &x->k->who, x->vault, x->bucket, true, &s.pid))) {
		audit_refusal(x->k, "s3.PutObject", x->target, r, NULL);
		r = s3_err(x, r, r == VG_EKEY ? "ServiceUnavailable" : "InternalError", "%s",
			vg_strerror(r));
		goto out0;
	}
	if (!(s.md5 = EVP_MD_CTX_new()) || EVP_DigestInit_ex(s.md5, EVP_md5(), NULL) != 1) {
		r = s3_err(x, -12, "InternalError", "md5");
		goto out;
	}
	if ((r = vcore_upload_begin(x->k->c, &x->k->who, x->vault, x->bucket, s.pid, "data",
		     has_want ? want : NULL, size, &u))) {
		audit_refusal(x->k, "s3.PutObject", x->target, r, NULL);
		r = s3_err(x, r, "InternalError", "%s", vg_strerror(r));
		goto out;
	}
	vcore_upload_limit(u, limit);
	r = stream_upload_hooked(x->k, u, "s3.PutObject", x->target, &h);
out:
	if (!s.committed)
		(void)vcore_point_abort(x->k->c, &x->k->who, x->vault, x->bucket, s.pid);
	else
		(void)vcore_audit(x->k->c, &x->k->who, "s3.PutObject", x->target, "ok", "");
	EVP_MD_CTX_free(s.md5);
out0:
	vg_wr_free(&s.pm.keep);
	return r;
}

struct get_extra {
	struct vs3_version *v;
};

static void get_extra_cb(void *arg, struct vg_wr *w)
{
	struct get_extra *g = arg;
	char ps[17], et[33];

	vcore_point_str(g->v->point, ps);
	etag_hex(g->v->md5, et);
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
	int r = find_version(x, v);

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
		put_version(w, &v, false);
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

static int a_get(struct s3req *x)
{
	return a_get_object(x, false);
}

static int a_head(struct s3req *x)
{
	return a_get_object(x, true);
}

static int a_delete_object(struct s3req *x)
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
	if ((r = find_version(x, &v)) == VG_ENOTFOUND) {
		/* S3 answers 204 for a version that is not there */
		w = resp_ok(x->k);
		vg_msgb_str(w, VG_TAG_ID, x->version);
		vg_msgb_str(w, VG_TAG_DETAIL, "not found: nothing deleted");
		return vg_send_frame(x->k->fd, w);
	}
	if (r)
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	vs3_version_clear(&v);
	if ((r = s3_lock_check(x, &v)))
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

/* ---- dispatch -------------------------------------------------------------- */

static const struct s3act actions[] = {
	{"ListBuckets", VG_OP_S3_READ, "GET", NULL, 0, a_list_buckets},
	{"CreateBucket", VG_OP_S3_WRITE, "PUT", NULL, S_BUCKET, a_create_bucket},
	{"HeadBucket", VG_OP_S3_READ, "HEAD", NULL, S_BUCKET, a_head_bucket},
	{"ListObjects", VG_OP_S3_READ, "GET", NULL, S_BUCKET, a_list_objects},
	{"ListObjectVersions", VG_OP_S3_READ, "GET", "versions", S_BUCKET, a_list_versions},
	{"PutObject", VG_OP_S3_WRITE, "PUT", NULL, S_BUCKET | S_KEY, a_put_object},
	{"GetObject", VG_OP_S3_READ, "GET", NULL, S_BUCKET | S_KEY | S_VERSION, a_get},
	{"HeadObject", VG_OP_S3_READ, "HEAD", NULL, S_BUCKET | S_KEY | S_VERSION, a_head},
	{"DeleteObject", VG_OP_S3_WRITE, "DELETE", NULL, S_BUCKET | S_KEY | S_VERSION,
		a_delete_object},
};

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
	target_of(&x);
	if ((r = bind_check(&x, why, sizeof(why)))) {
		audit_refusal(k, "s3.auth", x.target, r, why);
		return send_err(k, VG_EAUTH, "SignatureDoesNotMatch: %s", why);
	}
	if ((x.act->flags & S_BUCKET) && x.act->fn != a_create_bucket) {
		r = vcore_item_get(k->c, x.vault, x.bucket, &x.it);
		if (r == 0 && strcmp(x.it.kind, "s3") != 0)
			r = VG_ENOTFOUND;
		if (r == VG_ENOTFOUND || r == VG_ENAME)
			return send_err(k, VG_ENOTFOUND, "NoSuchBucket: %s", x.bucket);
		if (r)
			return send_err(k, r, "InternalError: %s", vg_strerror(r));
	}
	return x.act->fn(&x);
}
