/* crypto.c - see crypto.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "crypto.h"
#include "vg_err.h"

int vc_random(void *p, size_t n)
{
	return RAND_bytes(p, (int)n) == 1 ? 0 : VG_EINTERNAL;
}

int vc_sha256(const void *p, size_t n, uint8_t out[VC_HASH_LEN])
{
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : VG_EINTERNAL;
}

int vc_hmac_sha256(const uint8_t key[VC_KEY_LEN], const void *a, size_t an,
	const void *b, size_t bn, uint8_t out[VC_HASH_LEN])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	size_t outl = 0;
	int r = VG_EINTERNAL;

	if (!mac || !(ctx = EVP_MAC_CTX_new(mac)))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, key, VC_KEY_LEN, params) != 1 ||
	    EVP_MAC_update(ctx, a, an) != 1 ||
	    (bn && EVP_MAC_update(ctx, b, bn) != 1) ||
	    EVP_MAC_final(ctx, out, &outl, VC_HASH_LEN) != 1 || outl != VC_HASH_LEN)
		goto out;
	r = 0;
out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return r;
}

int vc_hkdf(const uint8_t ikm[VC_KEY_LEN], const void *salt, size_t saltlen,
	const char *info, uint8_t out[VC_KEY_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = NULL;
	OSSL_PARAM params[5], *p = params;
	int r = VG_EINTERNAL;

	if (!kdf || !(ctx = EVP_KDF_CTX_new(kdf)))
		goto out;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, VC_KEY_LEN);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, strlen(info));
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, VC_KEY_LEN, params) != 1) {
		OPENSSL_cleanse(out, VC_KEY_LEN);
		goto out;
	}
	r = 0;
out:
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return r;
}

struct vc_aead {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
};

int vc_aead_new(const uint8_t key[VC_KEY_LEN], struct vc_aead **out)
{
	struct vc_aead *a = calloc(1, sizeof(*a));

	*out = NULL;
	if (!a)
		return -ENOMEM;
	a->enc = EVP_CIPHER_CTX_new();
	a->dec = EVP_CIPHER_CTX_new();
	if (!a->enc || !a->dec ||
	    EVP_EncryptInit_ex2(a->enc, EVP_aes_256_gcm(), key, NULL, NULL) != 1 ||
	    EVP_DecryptInit_ex2(a->dec, EVP_aes_256_gcm(), key, NULL, NULL) != 1) {
		vc_aead_free(a);
		return VG_EINTERNAL;
	}
	*out = a;
	return 0;
}

void vc_aead_free(struct vc_aead *a)
{
	if (!a)
		return;
	EVP_CIPHER_CTX_free(a->enc);  /* cleanses the key schedule */
	EVP_CIPHER_CTX_free(a->dec);
	free(a);
}

int vc_aead_seal(struct vc_aead *a, const uint8_t nonce[VC_NONCE_LEN],
	const void *aad, size_t aadlen, const void *in, size_t n, uint8_t *out)
{
	int l, fl;

	if (n > INT32_MAX || aadlen > INT32_MAX)
		return VG_EINVAL;
	if (EVP_EncryptInit_ex2(a->enc, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_EncryptUpdate(a->enc, NULL, &l, aad, (int)aadlen) != 1 ||
	    (n && EVP_EncryptUpdate(a->enc, out, &l, in, (int)n) != 1) ||
	    EVP_EncryptFinal_ex(a->enc, out + n, &fl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(a->enc, EVP_CTRL_GCM_GET_TAG, VC_TAG_LEN, out + n) != 1)
		return VG_EINTERNAL;
	return 0;
}

int vc_aead_open(struct vc_aead *a, const uint8_t nonce[VC_NONCE_LEN],
	const void *aad, size_t aadlen, const uint8_t *in, size_t n, uint8_t *out)
{
	int l, fl;

	if (n > INT32_MAX || aadlen > INT32_MAX)
		return VG_EINVAL;
	if (EVP_DecryptInit_ex2(a->dec, NULL, NULL, nonce, NULL) != 1 ||
	    EVP_DecryptUpdate(a->dec, NULL, &l, aad, (int)aadlen) != 1 ||
	    (n && EVP_DecryptUpdate(a->dec, out, &l, in, (int)n) != 1) ||
	    EVP_CIPHER_CTX_ctrl(a->dec, EVP_CTRL_GCM_SET_TAG, VC_TAG_LEN, (void *)(in + n)) != 1)
		return VG_EINTERNAL;
	if (EVP_DecryptFinal_ex(a->dec, out + n, &fl) != 1) {
		OPENSSL_cleanse(out, n);
		return VG_EINTEGRITY;
	}
	return 0;
}

void *vc_secmem_alloc(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (n + pg - 1) / pg * pg;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	(void)madvise(p, len, MADV_DONTDUMP);
	(void)mlock(p, len);  /* best effort: RLIMIT_MEMLOCK may be small */
	return p;
}

void vc_secmem_free(void *p, size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = (n + pg - 1) / pg * pg;

	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	munlock(p, len);
	munmap(p, len);
}
