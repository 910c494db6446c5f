/* h_s3lock.c - S3 Object Lock backed by the vault's protection (h_s3.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "buf.h"
#include "clock.h"
#include "h_s3.h"
#include "core_int.h"
#include "lifecycle.h"
#include "mua.h"
#include "sigv4.h"
#include "vg_err.h"

/* ---- Object Lock ----------------------------------------------------------- */

/* May version v be deleted now? Legal hold: never. COMPLIANCE until its
 * date: never, by anyone (checked against vaultd's trusted time).
 * GOVERNANCE until its date: only with x-amz-bypass-governance-retention
 * signed as true, by an Owner of the vault, under a guard that keeps
 * delete-data, presenting a grant (X-Vaultgate-Grant) that
 * vlife_point_delete then checks and uses for exactly this version.
 * 0 to go on; 1 refused (answered, audited); <0 I/O. */
int s3h_lock_check(struct s3req *x, const struct vs3_version *v)
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
	r = s3h_refuse(x, VG_EIMMUTABLE, "AccessDenied", why);
	return r < 0 ? r : 1;
}


/* ---- the bucket's configuration -------------------------------------------- */

static const char *mode_name(uint8_t m)
{
	return m == VS3_LOCK_COMPLIANCE ? "COMPLIANCE" : m == VS3_LOCK_GOVERNANCE ? "GOVERNANCE" : "";
}

static int mode_parse(const char *s)
{
	if (strcmp(s, "COMPLIANCE") == 0)
		return VS3_LOCK_COMPLIANCE;
	if (strcmp(s, "GOVERNANCE") == 0)
		return VS3_LOCK_GOVERNANCE;
	return -1;
}

int s3a_get_lockcfg(struct s3req *x)
{
	struct vs3_bucket b;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	if (!b.lock_enabled)
		return ERR(x, VG_ENOTFOUND, "ObjectLockConfigurationNotFoundError",
			"Object Lock configuration does not exist for this bucket");
	w = resp_ok(x->k);
	vg_msgb_u32(w, VG_TAG_FLAGS, 1);
	if (b.default_mode) {
		vg_msgb_str(w, VG_TAG_STATE, mode_name(b.default_mode));
		vg_msgb_u64(w, VG_TAG_SIZE, b.default_days);
	}
	return vg_send_frame(x->k->fd, w);
}

/* FLAGS bit0 enabled, [STATE mode, SIZE days]: Contributor or Owner (a
 * retention policy). Object Lock is chosen when the bucket is created
 * (x-amz-bucket-object-lock-enabled), as radosgw does. */
int s3a_put_lockcfg(struct s3req *x)
{
	struct vs3_bucket b;
	char mode[16] = "", why[200];
	uint32_t fl = 0;
	uint64_t days = 0;
	int r, mo = 0;

	S3NEED(x, VP_POLICY);
	if ((r = vs3_bucket_get(x->k->c, x->it.id, &b)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	(void)vg_msg_u32(x->m, VG_TAG_FLAGS, &fl);
	if (!b.lock_enabled)
		return s3h_refuse(x, VG_EBADSTATE, "InvalidBucketState",
			"Object Lock is enabled when a bucket is created "
			"(x-amz-bucket-object-lock-enabled: true)");
	if (!(fl & 1))
		return s3h_refuse(x, VG_EINVAL, "MalformedXML", "ObjectLockEnabled must be Enabled");
	if (vg_msg_str(x->m, VG_TAG_STATE, mode, sizeof(mode)) == 0) {
		if ((mo = mode_parse(mode)) < 0 || vg_msg_u64(x->m, VG_TAG_SIZE, &days) || days == 0 ||
		    days > 36500)
			return s3h_refuse(x, VG_EINVAL, "InvalidArgument",
				"a default retention is a mode and 1..36500 days");
	}
	b.default_mode = (uint8_t)mo;
	b.default_days = (uint32_t)days;
	if ((r = vs3_bucket_put(x->k->c, x->it.id, &b)))
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	snprintf(why, sizeof(why), "default retention %s %llu days", mo ? mode : "none",
		(unsigned long long)days);
	(void)vcore_audit(x->k->c, &x->k->who, "s3.PutObjectLockConfiguration", x->target, "ok", why);
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

/* ---- retention and legal hold of a version ------------------------------------ */

static int version_of(struct s3req *x, struct vs3_version *v)
{
	int r = s3h_find_version(x, v);

	if (r == VG_ENOTFOUND)
		return done1(ERR(x, r, x->has_version ? "NoSuchVersion" : "NoSuchKey", "no such %s",
			x->has_version ? "version" : "key"));
	if (r)
		return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
	if (v->flags & VS3_F_MARKER) {
		vs3_version_clear(v);
		return done1(ERR(x, VG_EINVAL, "MethodNotAllowed", "the version is a delete marker"));
	}
	return 0;
}

static int lock_bucket(struct s3req *x)
{
	struct vs3_bucket b;
	int r = vs3_bucket_get(x->k->c, x->it.id, &b);

	if (r)
		return done1(ERR(x, r, "InternalError", "%s", vg_strerror(r)));
	if (!b.lock_enabled)
		return done1(s3h_refuse(x, VG_EINVAL, "InvalidRequest",
			"Bucket is missing Object Lock Configuration"));
	return 0;
}

int s3a_get_retention(struct s3req *x)
{
	struct vs3_version v;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = version_of(x, &v)))
		return r < 0 ? r : 0;
	vs3_version_clear(&v);
	if (!v.lock_mode)
		return ERR(x, VG_ENOTFOUND, "NoSuchObjectLockConfiguration",
			"The specified object does not have a ObjectLock configuration");
	w = resp_ok(x->k);
	vg_msgb_str(w, VG_TAG_STATE, mode_name(v.lock_mode));
	vg_msgb_u64(w, VG_TAG_TIME2, v.retain_until);
	return vg_send_frame(x->k->fd, w);
}

/* Is the caller allowed to weaken v's GOVERNANCE retention: the bypass
 * header signed true, an Owner, a guard, a grant for retention-reduce on
 * VAULT/BUCKET/VERSION (checked and used here). 0 yes; else the reason. */
static int governance_bypass(struct s3req *x, const struct vs3_version *v, char *why, size_t n)
{
	char bypass[16] = "", ps[17], target[400];
	struct vr_vault vv;
	MDB_txn *txn;
	int r, owner;

	vcore_point_str(v->point, ps);
	s3h_signed_header(x, "x-amz-bypass-governance-retention", bypass, sizeof(bypass));
	if (strcasecmp(bypass, "true") != 0)
		return snprintf(why, n, "version %s is under GOVERNANCE retention", ps), VG_EIMMUTABLE;
	snprintf(target, sizeof(target), "%s/%s/%s", x->vault, x->bucket, ps);
	if ((r = vdb_begin(x->k->c->db, true, &txn)))
		return snprintf(why, n, "%s", vg_strerror(r)), r;
	owner = vauth_role(x->k->c, txn, &x->k->who, x->vault) == VR_R_OWNER;
	r = vcore_get_vault(x->k->c, txn, x->vault, &vv);
	if (!r && !owner)
		r = VG_EDENIED, snprintf(why, n, "bypassing GOVERNANCE retention is for an Owner of %s "
			"with an approved grant", x->vault);
	else if (!r && (!*vv.guard || !*x->k->who.grant))
		r = VG_EMUA, snprintf(why, n, "bypassing GOVERNANCE retention needs an approved grant "
			"for retention-reduce on %.200s (X-Vaultgate-Grant)%s", target,
			*vv.guard ? "" : "; the vault has no guard to approve one");
	else if (!r)
		r = vmua_check(x->k->c, txn, &x->k->who, &vv, VMUA_RETENTION_REDUCE, target, why, n);
	if (r) {
		vdb_abort(txn);
		return r;
	}
	return vdb_commit(txn);
}

/* STATE mode + TIME2 until, or neither (remove). */
int s3a_put_retention(struct s3req *x)
{
	struct vs3_version v;
	char mode[16] = "", why[400] = "";
	uint64_t until = 0, now = vault_now();
	int r, mo = 0;
	bool weaker;

	S3NEED(x, VP_BACKUP);
	if ((r = lock_bucket(x)) || (r = version_of(x, &v)))
		return r < 0 ? r : 0;
	if (vg_msg_str(x->m, VG_TAG_STATE, mode, sizeof(mode)) == 0 &&
	    ((mo = mode_parse(mode)) < 0 || vg_msg_u64(x->m, VG_TAG_TIME2, &until) || until <= now)) {
		vs3_version_clear(&v);
		return s3h_refuse(x, VG_EINVAL, "InvalidArgument",
			"a retention is GOVERNANCE or COMPLIANCE and a RetainUntilDate in the future");
	}
	weaker = v.lock_mode && v.retain_until > now &&
		 (mo == 0 || until < v.retain_until ||
		  (v.lock_mode == VS3_LOCK_COMPLIANCE && mo != VS3_LOCK_COMPLIANCE));
	if (weaker && v.lock_mode == VS3_LOCK_COMPLIANCE) {
		vs3_version_clear(&v);
		snprintf(why, sizeof(why), "COMPLIANCE retention until %llu cannot be shortened, "
			"removed or changed by anyone", (unsigned long long)v.retain_until);
		return s3h_refuse(x, VG_EIMMUTABLE, "AccessDenied", why);
	}
	if (weaker && (r = governance_bypass(x, &v, why, sizeof(why)))) {
		vs3_version_clear(&v);
		return s3h_refuse(x, r == VG_EMUA || r == VG_EDENIED || r == VG_EIMMUTABLE ? r : r,
			"AccessDenied", why);
	}
	v.lock_mode = (uint8_t)mo;
	v.retain_until = mo ? until : 0;
	r = vs3_version_put(x->k->c, x->it.id, &v);
	vs3_version_clear(&v);
	if (!r && mo)
		r = vs3_point_floor(x->k->c, x->it.id, v.point, until, false);
	if (r)
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	snprintf(why, sizeof(why), "%s until %llu%s", mo ? mode : "none", (unsigned long long)until,
		weaker ? " (governance bypassed with a grant)" : "");
	(void)vcore_audit(x->k->c, &x->k->who, "s3.PutObjectRetention", x->target, "ok", why);
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

int s3a_get_hold(struct s3req *x)
{
	struct vs3_version v;
	struct vg_wr *w;
	int r;

	S3NEED(x, VP_VIEW);
	if ((r = version_of(x, &v)))
		return r < 0 ? r : 0;
	vs3_version_clear(&v);
	w = resp_ok(x->k);
	vg_msgb_u32(w, VG_TAG_FLAGS, v.flags & VS3_F_HOLD ? 1u : 0);
	return vg_send_frame(x->k->fd, w);
}

/* FLAGS bit0: ON. Contributor or Owner; while ON the version's point never
 * expires, and it cannot be deleted by any route. */
int s3a_put_hold(struct s3req *x)
{
	struct vs3_version v;
	uint32_t fl = 0;
	int r;

	S3NEED(x, VP_POLICY);
	if ((r = lock_bucket(x)) || (r = version_of(x, &v)))
		return r < 0 ? r : 0;
	(void)vg_msg_u32(x->m, VG_TAG_FLAGS, &fl);
	if (fl & 1)
		v.flags |= VS3_F_HOLD;
	else
		v.flags &= (uint8_t)~VS3_F_HOLD;
	r = vs3_version_put(x->k->c, x->it.id, &v);
	vs3_version_clear(&v);
	if (!r)
		r = vs3_point_floor(x->k->c, x->it.id, v.point, v.retain_until, (fl & 1) != 0);
	if (r)
		return ERR(x, r, "InternalError", "%s", vg_strerror(r));
	(void)vcore_audit(x->k->c, &x->k->who, "s3.PutObjectLegalHold", x->target, "ok",
		fl & 1 ? "ON" : "OFF");
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

/* Versioning is always on: Get answers Enabled; Put Enabled is accepted,
 * Suspended refused (a suspended bucket would overwrite data in place). */
int s3a_get_versioning(struct s3req *x)
{
	S3NEED(x, VP_VIEW);
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}

int s3a_put_versioning(struct s3req *x)
{
	uint32_t fl = 0;

	S3NEED(x, VP_POLICY);
	(void)vg_msg_u32(x->m, VG_TAG_FLAGS, &fl);
	if (fl & 1)
		return s3h_refuse(x, VG_EBADSTATE, "InvalidBucketState",
			"versioning is always on in vaultgate; it cannot be suspended");
	return vg_send_frame(x->k->fd, resp_ok(x->k));
}
