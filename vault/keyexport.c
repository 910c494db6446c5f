/* keyexport.c - see keyexport.h: the one encoder and decoder of the file. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto.h"
#include "keyexport.h"
#include "vg_err.h"

#define LOG2N_DEFAULT 17
#define R_DEFAULT 8
#define P_DEFAULT 1
#define SALT_LEN 16
#define PLAIN_MAX 512

static int derive(const char *pass, size_t passlen, const uint8_t salt[SALT_LEN], unsigned log2n,
	unsigned r, unsigned p, uint8_t key[VC_KEY_LEN])
{
	uint64_t n = 1ull << log2n;
	uint64_t maxmem = 128ull * r * n + (1u << 20) + 128ull * r * p;

	if (EVP_PBE_scrypt(pass, passlen, salt, SALT_LEN, n, r, p, maxmem, key, VC_KEY_LEN) != 1)
		return VG_EINTERNAL;
	return 0;
}

void vkx_wipe(struct vkx_keys *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* out = header (the aad), sealed line appended by the caller. */
static int header(char *h, size_t hsz, unsigned log2n, unsigned r, unsigned p,
	const uint8_t salt[SALT_LEN], const uint8_t nonce[VC_NONCE_LEN])
{
	char sh[2 * SALT_LEN + 1], nh[2 * VC_NONCE_LEN + 1];
	int n;

	vg_hex(sh, salt, SALT_LEN);
	vg_hex(nh, nonce, VC_NONCE_LEN);
	n = snprintf(h, hsz, "vaultgate-keys 1\nkdf scrypt %u %u %u\nsalt %s\nnonce %s\n", log2n, r, p,
		sh, nh);
	return n < 0 || (size_t)n >= hsz ? VG_ETOOBIG : n;
}

int vkx_seal(const struct vkx_keys *k, const char *pass, size_t passlen, unsigned log2n,
	struct vg_wr *out)
{
	uint8_t salt[SALT_LEN], nonce[VC_NONCE_LEN], key[VC_KEY_LEN];
	uint8_t sealed[PLAIN_MAX + VC_TAG_LEN];
	char plain[PLAIN_MAX], hx[2 * VKX_KEY_LEN + 1], hdr[200], sh[2 * sizeof(sealed) + 1];
	struct vc_aead *a = NULL;
	int hl, pl, r;

	if (passlen < VKX_PASS_MIN)
		return VG_EINVAL;
	if (!log2n)
		log2n = LOG2N_DEFAULT;
	if (log2n < 14 || log2n > 20)
		return VG_EINVAL;
	pl = 0;
	vg_hex(hx, k->platform, VKX_KEY_LEN);
	pl += snprintf(plain + pl, sizeof(plain) - (size_t)pl, "platform %s\n", hx);
	vg_hex(hx, k->audit, VKX_KEY_LEN);
	pl += snprintf(plain + pl, sizeof(plain) - (size_t)pl, "audit %s\n", hx);
	if (k->has_infra) {
		vg_hex(hx, k->infra, VKX_KEY_LEN);
		pl += snprintf(plain + pl, sizeof(plain) - (size_t)pl, "infra %s\n", hx);
	}
	pl += snprintf(plain + pl, sizeof(plain) - (size_t)pl, "created %llu\n",
		(unsigned long long)k->created);
	OPENSSL_cleanse(hx, sizeof(hx));
	if ((r = vc_random(salt, sizeof(salt))) || (r = vc_random(nonce, sizeof(nonce))))
		goto out;
	if ((hl = header(hdr, sizeof(hdr), log2n, R_DEFAULT, P_DEFAULT, salt, nonce)) < 0) {
		r = hl;
		goto out;
	}
	if ((r = derive(pass, passlen, salt, log2n, R_DEFAULT, P_DEFAULT, key)) ||
	    (r = vc_aead_new(key, &a)) ||
	    (r = vc_aead_seal(a, nonce, hdr, (size_t)hl, plain, (size_t)pl, sealed)))
		goto out;
	vg_hex(sh, sealed, (size_t)pl + VC_TAG_LEN);
	vg_wr_bytes(out, hdr, (size_t)hl);
	vg_wr_bytes(out, "sealed ", 7);
	vg_wr_bytes(out, sh, strlen(sh));
	vg_wr_bytes(out, "\n", 1);
	r = out->err;
out:
	vc_aead_free(a);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	return r;
}

/* The next line of [*p, end) without its '\n'; VG_EINVAL if none. */
static int next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));

	if (!nl)
		return VG_EINVAL;
	*line = *p;
	*len = (size_t)(nl - *p);
	*p = nl + 1;
	return 0;
}

static int hex_field(const char *line, size_t len, const char *prefix, void *out, size_t n)
{
	char buf[2 * PLAIN_MAX + 2 * VC_TAG_LEN + 1];
	size_t pl = strlen(prefix);

	if (len < pl || memcmp(line, prefix, pl) != 0 || len - pl != 2 * n || 2 * n >= sizeof(buf))
		return VG_EINVAL;
	memcpy(buf, line + pl, 2 * n);
	buf[2 * n] = 0;
	return vg_unhex(out, n, buf) ? VG_EINVAL : 0;
}

static int parse_plain(const char *pt, size_t n, struct vkx_keys *k)
{
	const char *p = pt, *end = pt + n, *l;
	size_t len;
	char num[24];
	int r;

	if ((r = next_line(&p, end, &l, &len)) || (r = hex_field(l, len, "platform ", k->platform, 32)) ||
	    (r = next_line(&p, end, &l, &len)) || (r = hex_field(l, len, "audit ", k->audit, 32)) ||
	    (r = next_line(&p, end, &l, &len)))
		return VG_EINVAL;
	if (len > 6 && memcmp(l, "infra ", 6) == 0) {
		if (hex_field(l, len, "infra ", k->infra, 32) || next_line(&p, end, &l, &len))
			return VG_EINVAL;
		k->has_infra = true;
	}
	if (len <= 8 || len - 8 >= sizeof(num) || memcmp(l, "created ", 8) != 0 || p != end)
		return VG_EINVAL;
	memcpy(num, l + 8, len - 8);
	num[len - 8] = 0;
	return vg_parse_u64(num, 0, UINT64_MAX, &k->created) ? VG_EINVAL : 0;
}

int vkx_open(const uint8_t *in, size_t n, const char *pass, size_t passlen, struct vkx_keys *k,
	char *why, size_t whysz)
{
	uint8_t salt[SALT_LEN], nonce[VC_NONCE_LEN], key[VC_KEY_LEN];
	uint8_t sealed[PLAIN_MAX + VC_TAG_LEN];
	char plain[PLAIN_MAX], num[64];
	const char *p = (const char *)in, *end = p + n, *l, *hdr_end;
	struct vc_aead *a = NULL;
	unsigned log2n, rr, pp;
	size_t len, slen;
	int r;

	memset(k, 0, sizeof(*k));
#define BAD(...) do { snprintf(why, whysz, __VA_ARGS__); r = VG_EINVAL; goto out; } while (0)
	if (n > VKX_FILE_MAX)
		BAD("larger than %d bytes: not a vaultgate key export", VKX_FILE_MAX);
	if (memchr(in, 0, n))
		BAD("holds a NUL byte: not a vaultgate key export");
	if (next_line(&p, end, &l, &len) || len != 16 || memcmp(l, "vaultgate-keys ", 15) != 0)
		BAD("not a vaultgate key export (first line is not \"vaultgate-keys VERSION\")");
	if (l[15] != '1')
		BAD("format version %c: this vaultd reads version 1", l[15]);
	if (next_line(&p, end, &l, &len) || len >= sizeof(num) || len < 11 ||
	    memcmp(l, "kdf scrypt ", 11) != 0)
		BAD("line 2: expected \"kdf scrypt LOG2N R P\"");
	memcpy(num, l, len);
	num[len] = 0;
	{
		char tail;
		if (sscanf(num, "kdf scrypt %u %u %u%c", &log2n, &rr, &pp, &tail) != 3 || log2n < 14 ||
		    log2n > 20 || rr < 1 || rr > 16 || pp < 1 || pp > 4)
			BAD("line 2: scrypt parameters out of range (LOG2N 14..20, R 1..16, P 1..4)");
	}
	if (next_line(&p, end, &l, &len) || hex_field(l, len, "salt ", salt, SALT_LEN))
		BAD("line 3: expected \"salt\" and 32 hex digits");
	if (next_line(&p, end, &l, &len) || hex_field(l, len, "nonce ", nonce, VC_NONCE_LEN))
		BAD("line 4: expected \"nonce\" and 24 hex digits");
	hdr_end = p;
	if (next_line(&p, end, &l, &len) || len < 7 || memcmp(l, "sealed ", 7) != 0 || (len - 7) % 2 ||
	    (slen = (len - 7) / 2) <= VC_TAG_LEN || slen > sizeof(sealed) || p != end ||
	    hex_field(l, len, "sealed ", sealed, slen))
		BAD("line 5: expected \"sealed\" and the hex of the sealed keys, then the end of the file");
#undef BAD
	if ((r = derive(pass, passlen, salt, log2n, rr, pp, key)) || (r = vc_aead_new(key, &a)))
		goto out;
	r = vc_aead_open(a, nonce, in, (size_t)(hdr_end - (const char *)in), sealed, slen - VC_TAG_LEN,
		(uint8_t *)plain);
	if (r == VG_EINTEGRITY) {
		snprintf(why, whysz, "the passphrase is wrong, or the file was changed");
		goto out;
	}
	if (r)
		goto out;
	if ((r = parse_plain(plain, slen - VC_TAG_LEN, k)))
		snprintf(why, whysz, "the sealed keys are malformed");
out:
	vc_aead_free(a);
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(plain, sizeof(plain));
	if (r)
		vkx_wipe(k);
	return r;
}
