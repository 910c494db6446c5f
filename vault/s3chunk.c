/* s3chunk.c - see s3chunk.h. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "core.h"
#include "s3auth.h"
#include "s3chunk.h"
#include "s3key.h"
#include "sigv4.h"
#include "vg_err.h"
#include "wire.h"

#define EMPTY_SHA "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

int vs3_chunked_init(struct vs3_chunked *c, struct vcore *core, const struct vg_msg *m)
{
	struct vg_sigv4_auth a;
	char principal[VG_PRINCIPAL_NAME_MAX + 1], secret[VS3_SECRET_LEN + 1];
	int r;

	memset(c, 0, sizeof(*c));
	memset(&a, 0, sizeof(a));
	if (vg_msg_str(m, VG_TAG_S3_CRED, a.cred, sizeof(a.cred)) ||
	    vg_msg_str(m, VG_TAG_S3_DATE, c->amzdate, sizeof(c->amzdate)) ||
	    vg_msg_str(m, VG_TAG_S3_SIG, c->prev, sizeof(c->prev)) || vg_sigv4_parse_cred(&a))
		return VG_EAUTH;
	snprintf(c->scope, sizeof(c->scope), "%s/%s/%s/aws4_request", a.date8, a.region, a.service);
	if ((r = vs3key_secret(core, a.akid, principal, sizeof(principal), secret)))
		return VG_EAUTH;
	r = vs3_signing_key(secret, a.date8, a.region, a.service, c->key);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (r)
		return r;
	if (!(c->sha = EVP_MD_CTX_new()))
		return -12;
	return 0;
}

void vs3_chunked_free(struct vs3_chunked *c)
{
	EVP_MD_CTX_free(c->sha);
	c->sha = NULL;
	OPENSSL_cleanse(c->key, sizeof(c->key));
}

static int fail(struct vs3_chunked *c, int r, const char *why)
{
	snprintf(c->why, sizeof(c->why), "%s", why);
	return r;
}

/* The chunk just read (c->sha holds its data) against c->sig. */
static int verify(struct vs3_chunked *c)
{
	uint8_t h[32], mac[32];
	unsigned int ml = 32, hl = 32;
	char hh[65], sts[512], mine[65];
	int n;

	if (EVP_DigestFinal_ex(c->sha, h, &hl) != 1)
		return fail(c, VG_EINTEGRITY, "sha256");
	vg_hex(hh, h, 32);
	n = snprintf(sts, sizeof(sts), "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n" EMPTY_SHA "\n%s",
		c->amzdate, c->scope, c->prev, hh);
	if (n < 0 || (size_t)n >= sizeof(sts) ||
	    !HMAC(EVP_sha256(), c->key, 32, (const uint8_t *)sts, (size_t)n, mac, &ml))
		return fail(c, VG_EINTEGRITY, "hmac");
	vg_hex(mine, mac, 32);
	if (strlen(c->sig) != 64 || CRYPTO_memcmp(mine, c->sig, 64) != 0)
		return fail(c, VG_EAUTH, "SignatureDoesNotMatch: a chunk signature does not match");
	memcpy(c->prev, c->sig, sizeof(c->prev));
	return 0;
}

static int size_line(struct vs3_chunked *c)
{
	char *semi, *end;
	unsigned long long sz;

	c->line[c->linelen] = 0;
	semi = strchr(c->line, ';');
	if (!semi || strncmp(semi, ";chunk-signature=", 17) != 0 || semi == c->line)
		return fail(c, VG_EINVAL, "IncompleteBody: a chunk header is not SIZE;chunk-signature=SIG");
	*semi = 0;
	sz = strtoull(c->line, &end, 16);
	if (*end || semi - c->line > 16)
		return fail(c, VG_EINVAL, "IncompleteBody: a chunk size is not hex");
	snprintf(c->sig, sizeof(c->sig), "%s", semi + 17);
	if (EVP_DigestInit_ex(c->sha, EVP_sha256(), NULL) != 1)
		return fail(c, VG_EINTEGRITY, "sha256");
	c->left = sz;
	c->last = sz == 0;
	c->linelen = 0;
	return 0;
}

int vs3_chunked_feed(struct vs3_chunked *c, const uint8_t *p, size_t n,
	int (*out)(void *arg, const uint8_t *p, size_t n), void *arg)
{
	size_t i = 0;
	int r;

	while (i < n) {
		switch (c->st) {
		case 0:
			if (c->linelen + 1 >= sizeof(c->line))
				return fail(c, VG_EINVAL, "IncompleteBody: a chunk header is too long");
			c->line[c->linelen++] = (char)p[i++];
			if (c->linelen >= 2 && c->line[c->linelen - 2] == '\r' &&
			    c->line[c->linelen - 1] == '\n') {
				c->linelen -= 2;
				if ((r = size_line(c)))
					return r;
				if (c->last) {
					if ((r = verify(c)))
						return r;
					c->st = 2;
				} else {
					c->st = 1;
				}
			}
			break;
		case 1: {
			size_t take = n - i < c->left ? n - i : (size_t)c->left;
			if (EVP_DigestUpdate(c->sha, p + i, take) != 1)
				return fail(c, VG_EINTEGRITY, "sha256");
			if ((r = out(arg, p + i, take)))
				return r;
			i += take;
			c->left -= take;
			if (c->left == 0) {
				if ((r = verify(c)))
					return r;
				c->st = 2;
			}
			break;
		}
		case 2:
			c->line[c->linelen++] = (char)p[i++];
			if (c->linelen == 2) {
				if (c->line[0] != '\r' || c->line[1] != '\n')
					return fail(c, VG_EINVAL, "IncompleteBody: chunk data not followed by CRLF");
				c->linelen = 0;
				c->st = c->last ? 3 : 0;
			}
			break;
		default:
			return fail(c, VG_EINVAL, "IncompleteBody: bytes after the final chunk");
		}
	}
	return 0;
}

int vs3_chunked_finish(struct vs3_chunked *c)
{
	return c->st == 3 ? 0 : fail(c, VG_EINVAL, "IncompleteBody: the body ended before its final chunk");
}
