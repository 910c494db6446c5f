/* auth.c - see auth.h. */
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "ops.h"
#include "proxy.h"
#include "reply.h"
#include "vg_err.h"

long gw_base64_decode(const char *in, size_t inlen, uint8_t *out, size_t outcap)
{
	uint32_t acc = 0;
	size_t o = 0, pad = 0;

	if (inlen % 4 != 0)
		return VG_EINVAL;
	for (size_t i = 0; i < inlen; i++) {
		char c = in[i];
		uint32_t v;
		if (c >= 'A' && c <= 'Z')
			v = (uint32_t)(c - 'A');
		else if (c >= 'a' && c <= 'z')
			v = (uint32_t)(c - 'a' + 26);
		else if (c >= '0' && c <= '9')
			v = (uint32_t)(c - '0' + 52);
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=' && i >= inlen - 2) {
			if (i == inlen - 2 && in[inlen - 1] != '=')
				return VG_EINVAL;
			pad++;
			v = 0;
		} else {
			return VG_EINVAL;
		}
		if (pad && c != '=')
			return VG_EINVAL;
		acc = acc << 6 | v;
		if (i % 4 == 3) {
			size_t n = 3 - pad;
			if (o + n > outcap)
				return VG_ETOOBIG;
			/* Padding bits must be zero (canonical encoding). */
			if ((pad == 1 && (acc & 0xff)) || (pad == 2 && (acc & 0xffff)))
				return VG_EINVAL;
			out[o++] = (uint8_t)(acc >> 16);
			if (n > 1)
				out[o++] = (uint8_t)(acc >> 8);
			if (n > 2)
				out[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	return (long)o;
}

static int token_ok(const char *t, size_t n)
{
	if (n == 0 || n >= sizeof(((struct gw_cred *)0)->token))
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return 0;
	return 1;
}

int gw_auth_parse(const char *a, struct gw_cred *out)
{
	uint8_t dec[512];
	const char *colon;
	size_t n;
	long dl;

	memset(out, 0, sizeof(*out));
	if (!a || !*a)
		return 0;
	if (strncasecmp(a, "Bearer ", 7) == 0) {
		a += 7;
		while (*a == ' ')
			a++;
		n = strlen(a);
		if (!token_ok(a, n))
			return VG_EAUTH;
		memcpy(out->token, a, n + 1);
		out->kind = GW_CRED_BEARER;
		return 0;
	}
	if (strncasecmp(a, "Basic ", 6) != 0)
		return VG_EAUTH;
	a += 6;
	while (*a == ' ')
		a++;
	dl = gw_base64_decode(a, strlen(a), dec, sizeof(dec) - 1);
	if (dl < 0)
		return VG_EAUTH;
	dec[dl] = 0;
	if (memchr(dec, 0, (size_t)dl) || !(colon = strchr((char *)dec, ':'))) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return VG_EAUTH;
	}
	n = (size_t)(colon - (char *)dec);
	if (n == 0 || n > VG_PRINCIPAL_NAME_MAX || !token_ok(colon + 1, strlen(colon + 1))) {
		OPENSSL_cleanse(dec, sizeof(dec));
		return VG_EAUTH;
	}
	memcpy(out->user, dec, n);
	out->user[n] = 0;
	if (vg_name_check(out->user, VG_PRINCIPAL_NAME_MAX)) {
		OPENSSL_cleanse(dec, sizeof(dec));
		memset(out, 0, sizeof(*out));
		return VG_EAUTH;
	}
	strcpy(out->token, colon + 1);
	out->kind = GW_CRED_BASIC;
	OPENSSL_cleanse(dec, sizeof(dec));
	return 0;
}

/* The connection's cache key for a credential: SHA-256 over its parts. */
static void cred_key(const struct gw_rctx *x, uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned n = 0;
	uint8_t sep = 0;

	memset(out, 0, 32);
	if (!md)
		return;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		if (x->auth.user)
			EVP_DigestUpdate(md, x->auth.user, strlen(x->auth.user));
		EVP_DigestUpdate(md, &sep, 1);
		if (x->auth.token)
			EVP_DigestUpdate(md, x->auth.token, strlen(x->auth.token));
		EVP_DigestUpdate(md, &sep, 1);
		if (x->auth.cert)
			EVP_DigestUpdate(md, x->auth.cert, 32);
		EVP_DigestFinal_ex(md, out, &n);
	}
	EVP_MD_CTX_free(md);
}

void gw_auth_failed(struct gw_rctx *x)
{
	struct gw_conn *c = x->c;

	gw_metrics_add(GW_C_AUTH_FAIL, 1);
	gw_rl_fail(x->srv->rl, &c->akey, gw_now_ms());
	c->authed = false;
}

void gw_auth_wipe(struct gw_rctx *x)
{
	OPENSSL_cleanse(x->token, sizeof(x->token));
	OPENSSL_cleanse(x->user, sizeof(x->user));
	memset(&x->auth, 0, sizeof(x->auth));
}

int gw_auth_request(struct gw_rctx *x, struct vgc *v)
{
	struct gw_conn *c = x->c;
	struct gw_cred cred;
	struct vg_msg m;
	uint8_t key[32];
	char principal[VG_PRINCIPAL_NAME_MAX + 1], kind[16] = "";
	uint32_t flags;
	int r;

	if (gw_rl_blocked(x->srv->rl, &c->akey, gw_now_ms())) {
		gw_metrics_add(GW_C_AUTH_LIMITED, 1);
		/* The budget refills one attempt every 60/auth_fail_per_minute s. */
		unsigned per_min = (unsigned)x->srv->cfg->auth_fail_per_minute;
		gw_reply_retry(x, 429, (60 + per_min - 1) / per_min, "limit",
			"too many failed authentication attempts from %s", c->source);
		return 429;
	}
	r = gw_auth_parse(x->req->authorization, &cred);
	if (r) {
		gw_auth_failed(x);
		gw_reply_error(x, 401, "unauthenticated", "malformed Authorization header");
		return 401;
	}
	if (cred.kind == GW_CRED_NONE) {
		/* A client certificate is a second factor, never the only one:
		 * vaultd refuses a fingerprint without a token anyway. */
		gw_reply_error(x, 401, "unauthenticated", "%s",
			c->has_cert ? "a token is required; a client certificate only adds to it" :
				      "credentials required");
		return 401;
	}
	memset(&x->auth, 0, sizeof(x->auth));
	if (cred.kind == GW_CRED_BASIC) {
		memcpy(x->user, cred.user, sizeof(x->user));
		x->auth.user = x->user;
	}
	if (cred.kind != GW_CRED_NONE) {
		memcpy(x->token, cred.token, sizeof(x->token));
		x->auth.token = x->token;
	}
	if (c->has_cert)
		x->auth.cert = c->cert;
	x->auth.peer = c->peer;
	OPENSSL_cleanse(&cred, sizeof(cred));
	vgc_set_auth(v, &x->auth);

	cred_key(x, key);
	if (c->authed && CRYPTO_memcmp(key, c->cred_key, 32) == 0)
		return 0;
	(void)vgc_req(v, VG_OP_WHOAMI);
	r = vgc_call(v, &m);
	if (r == VG_EAUTH) {
		gw_auth_failed(x);
		gw_reply_error(x, 401, "unauthenticated", "%s", vgc_errmsg(v));
		return 401;
	}
	if (r && gw_link_failed(v, r)) {
		x->link_bad = true;
		gw_metrics_add(GW_C_VAULTD_ERROR, 1);
		gw_reply_error(x, 502, "vaultd", "vaultd unavailable");
		return 502;
	}
	if (r) {
		gw_reply_vgerr(x, r, vgc_errmsg(v));
		return gw_status_of(r);
	}
	if (vg_msg_str(&m, VG_TAG_PRINCIPAL, principal, sizeof(principal)) ||
	    vg_name_check(principal, VG_PRINCIPAL_NAME_MAX)) {
		gw_reply_error(x, 502, "protocol", "vaultd named no principal");
		return 502;
	}
	(void)vg_msg_str(&m, VG_TAG_KIND, kind, sizeof(kind));
	if (vg_msg_u32(&m, VG_TAG_FLAGS, &flags))
		flags = 0;
	if (!c->pcounted || strcmp(c->principal, principal) != 0) {
		if (c->pcounted) {
			gw_pcount_release(x->srv->pc, c->principal);
			c->pcounted = false;
		}
		if (gw_pcount_acquire(x->srv->pc, principal,
			    x->srv->cfg->max_connections_per_principal)) {
			gw_metrics_add(GW_C_CONN_PRINCIPAL_CAP, 1);
			x->close_after = true;
			gw_reply_retry(x, 429, 1, "limit",
				"principal %s has too many connections open", principal);
			return 429;
		}
		c->pcounted = true;
		memcpy(c->principal, principal, sizeof(c->principal));
	}
	memcpy(c->kind, kind, sizeof(c->kind));
	c->admin = (flags & VG_WHOAMI_ADMIN) != 0;
	memcpy(c->cred_key, key, sizeof(key));
	c->authed = true;
	return 0;
}
