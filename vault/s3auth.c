/* s3auth.c - see s3auth.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "clock.h"
#include "crypto.h"
#include "s3auth.h"
#include "s3key.h"
#include "sigv4.h"
#include "vg_err.h"

static int hmac(const void *key, size_t kl, const void *d, size_t dl, uint8_t out[32])
{
	unsigned int ol = 32;

	return HMAC(EVP_sha256(), key, (int)kl, d, dl, out, &ol) && ol == 32 ? 0 : VG_EINTEGRITY;
}

int vs3_signing_key(const char *secret, const char *date8, const char *region,
	const char *service, uint8_t key[32])
{
	char k0[4 + VS3_SECRET_LEN + 64];
	uint8_t a[32], b[32], d[32];
	int n, r;

	n = snprintf(k0, sizeof(k0), "AWS4%s", secret);
	if (n < 0 || (size_t)n >= sizeof(k0))
		return VG_EINVAL;
	r = hmac(k0, (size_t)n, date8, strlen(date8), a);
	if (!r)
		r = hmac(a, 32, region, strlen(region), b);
	if (!r)
		r = hmac(b, 32, service, strlen(service), d);
	if (!r)
		r = hmac(d, 32, "aws4_request", 12, key);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(a, 32);
	OPENSSL_cleanse(b, 32);
	OPENSSL_cleanse(d, 32);
	return r;
}

int vs3_sign(const char *secret, const char *date8, const char *region, const char *service,
	const char *amzdate, const char *creq, size_t creqlen, char out[65])
{
	uint8_t key[32], h[32], sig[32];
	char sts[256], hh[65];
	int n, r;

	if ((r = vc_sha256(creq, creqlen, h)))
		return r;
	vg_hex(hh, h, 32);
	n = snprintf(sts, sizeof(sts), VG_SIGV4_ALGO "\n%s\n%s/%s/%s/aws4_request\n%s", amzdate,
		date8, region, service, hh);
	if (n < 0 || (size_t)n >= sizeof(sts))
		return VG_EINVAL;
	if ((r = vs3_signing_key(secret, date8, region, service, key)))
		return r;
	r = hmac(key, 32, sts, (size_t)n, sig);
	OPENSSL_cleanse(key, sizeof(key));
	if (!r)
		vg_hex(out, sig, 32);
	return r;
}

#define FAIL(...)                                  \
	do {                                       \
		snprintf(why, whysz, __VA_ARGS__); \
		r = VG_EAUTH;                      \
		goto out;                          \
	} while (0)

int vs3_authenticate(struct vcore *c, const struct vg_msg *m, struct vcaller *who, char *why,
	size_t whysz)
{
	struct vg_sigv4_auth a;
	struct vg_sigv4_creq q;
	struct vr_principal p;
	char sig[65], mine[65], secret[VS3_SECRET_LEN + 1] = "", principal[VG_PRINCIPAL_NAME_MAX + 1];
	char algo[32], exps[24];
	const uint8_t *canon;
	uint32_t cl;
	uint64_t t, now = vault_now(), exp = 0;
	MDB_txn *txn;
	int r, presigned;

	memset(&a, 0, sizeof(a));
	who->root = false;
	who->kind = VR_K_USER;
	if (vg_msg_str(m, VG_TAG_S3_CRED, a.cred, sizeof(a.cred)) ||
	    vg_msg_str(m, VG_TAG_S3_DATE, a.amz_date, sizeof(a.amz_date)) ||
	    vg_msg_str(m, VG_TAG_S3_SIG, sig, sizeof(sig)) ||
	    vg_msg_bytes(m, VG_TAG_S3_CANON, &canon, &cl))
		FAIL("AccessDenied: incomplete S3 credential");
	if (vg_sigv4_parse_cred(&a))
		FAIL("AuthorizationHeaderMalformed: malformed credential scope");
	if (strcmp(a.service, "s3") != 0)
		FAIL("AuthorizationHeaderMalformed: credential scope names service %s, not s3", a.service);
	if (vg_sigv4_parse_amzdate(a.amz_date, &t) || strncmp(a.amz_date, a.date8, 8) != 0)
		FAIL("AuthorizationHeaderMalformed: x-amz-date %s does not match the credential's date %s", a.amz_date, a.date8);
	if (vg_sigv4_creq_split((const char *)canon, cl, &q))
		FAIL("SignatureDoesNotMatch: malformed canonical request");
	presigned = vg_sigv4_creq_param(&q, "X-Amz-Algorithm", algo, sizeof(algo)) == 1;
	if (presigned) {
		if (strcmp(algo, VG_SIGV4_ALGO) != 0 ||
		    vg_sigv4_creq_param(&q, "X-Amz-Expires", exps, sizeof(exps)) != 1 ||
		    vg_parse_u64(exps, 1, VG_SIGV4_PRESIGN_MAX, &exp))
			FAIL("AuthorizationQueryParametersError: malformed presigned URL");
		if (now + VG_SIGV4_SKEW < t)
			FAIL("AccessDenied: presigned URL dated in the future (%s)", a.amz_date);
		if (now > t + exp)
			FAIL("AccessDenied: Request has expired");
		if (q.payload_len != 16 || memcmp(q.payload, "UNSIGNED-PAYLOAD", 16) != 0)
			FAIL("AccessDenied: presigned URL with a payload hash");
	} else if (t > now + VG_SIGV4_SKEW || now > t + VG_SIGV4_SKEW) {
		FAIL("RequestTimeTooSkewed: request time %s is more than 15 minutes from vaultd's clock", a.amz_date);
	}
	{
		char host[256];
		if (vg_sigv4_creq_header(&q, "host", host, sizeof(host)) != 1)
			FAIL("AccessDenied: host is not signed");
	}
	r = vs3key_secret(c, a.akid, principal, sizeof(principal), secret);
	if (r == VG_ENOTFOUND)
		FAIL("InvalidAccessKeyId: unknown access key id %s", a.akid);
	if (r)
		FAIL("InternalError: access key %s: %s", a.akid, vg_strerror(r));
	if ((r = vs3_sign(secret, a.date8, a.region, a.service, a.amz_date, (const char *)canon, cl,
		     mine)))
		FAIL("InternalError: signing failed: %s", vg_strerror(r));
	if (strlen(sig) != 64 || CRYPTO_memcmp(sig, mine, 64) != 0)
		FAIL("SignatureDoesNotMatch: signature does not match (access key %s)", a.akid);
	if ((r = vdb_begin(c->db, false, &txn)))
		goto out;
	r = vauth_principal_get(c, txn, principal, &p);
	vdb_abort(txn);
	if (r || p.disabled)
		FAIL("InvalidAccessKeyId: access key %s: principal %s is gone or disabled", a.akid, principal);
	snprintf(who->principal, sizeof(who->principal), "%s", principal);
	who->kind = p.kind;
	r = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(mine, sizeof(mine));
	return r;
}
