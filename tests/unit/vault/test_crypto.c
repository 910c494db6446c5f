/* test_crypto.c - vault/crypto.c: SHA-256, HMAC, HKDF, AES-256-GCM and
 * secret memory, checked against published vectors and against an
 * independent computation with OpenSSL's one-shot HMAC(). */
#include <check.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "crypto.h"
#include "suites.h"
#include "vg_err.h"

static void unhex(uint8_t *dst, size_t n, const char *hex)
{
	ck_assert_int_eq(vg_unhex(dst, n, hex), 0);
}

START_TEST(sha256_vectors)
{
	uint8_t out[32], want[32];

	ck_assert_int_eq(vc_sha256("abc", 3, out), 0);
	unhex(want, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_mem_eq(out, want, 32);
	ck_assert_int_eq(vc_sha256("", 0, out), 0);
	unhex(want, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_mem_eq(out, want, 32);
}
END_TEST

START_TEST(hmac_matches_openssl_and_concatenates)
{
	uint8_t key[32], out[32], want[32], msg[100];
	unsigned int wl = 0;

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xa0 + i);
	for (int i = 0; i < 100; i++)
		msg[i] = (uint8_t)i;
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, 32, msg, 100, want, &wl));
	ck_assert_uint_eq(wl, 32);
	ck_assert_int_eq(vc_hmac_sha256(key, msg, 100, NULL, 0, out), 0);
	ck_assert_mem_eq(out, want, 32);
	/* HMAC(a || b) == HMAC over two parts. */
	ck_assert_int_eq(vc_hmac_sha256(key, msg, 37, msg + 37, 63, out), 0);
	ck_assert_mem_eq(out, want, 32);
	key[0] ^= 1;
	ck_assert_int_eq(vc_hmac_sha256(key, msg, 100, NULL, 0, out), 0);
	ck_assert_mem_ne(out, want, 32);
}
END_TEST

/* HKDF-SHA-256 with a 32-byte output is one extract and one expand block:
 * PRK = HMAC(salt, IKM); OKM = HMAC(PRK, info || 0x01). */
START_TEST(hkdf_matches_rfc5869_construction)
{
	uint8_t ikm[32], salt[16], prk[32], okm[32], out[32], t[64];
	const char *info = "vaultgate/object/v1";
	unsigned int l;

	for (int i = 0; i < 32; i++)
		ikm[i] = (uint8_t)(i * 3);
	for (int i = 0; i < 16; i++)
		salt[i] = (uint8_t)(0xf0 - i);
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), salt, 16, ikm, 32, prk, &l));
	memcpy(t, info, strlen(info));
	t[strlen(info)] = 1;
	ck_assert_ptr_nonnull(HMAC(EVP_sha256(), prk, 32, t, strlen(info) + 1, okm, &l));
	ck_assert_int_eq(vc_hkdf(ikm, salt, 16, info, out), 0);
	ck_assert_mem_eq(out, okm, 32);
	/* A different salt or info gives a different key. */
	salt[0] ^= 1;
	ck_assert_int_eq(vc_hkdf(ikm, salt, 16, info, t), 0);
	ck_assert_mem_ne(t, out, 32);
	salt[0] ^= 1;
	ck_assert_int_eq(vc_hkdf(ikm, salt, 16, "vaultgate/object/v2", t), 0);
	ck_assert_mem_ne(t, out, 32);
}
END_TEST

/* GCM spec (McGrew & Viega) test cases 13 and 14: AES-256, zero key and IV. */
START_TEST(gcm_published_vectors)
{
	uint8_t key[32] = {0}, nonce[12] = {0}, pt[16] = {0}, out[32], want[32], back[16];
	struct vc_aead *a;

	ck_assert_int_eq(vc_aead_new(key, &a), 0);
	ck_assert_int_eq(vc_aead_seal(a, nonce, NULL, 0, NULL, 0, out), 0);
	unhex(want, 16, "530f8afbc74536b9a963b4f1c4cb738b");
	ck_assert_mem_eq(out, want, 16);
	ck_assert_int_eq(vc_aead_seal(a, nonce, NULL, 0, pt, 16, out), 0);
	unhex(want, 32, "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
	ck_assert_mem_eq(out, want, 32);
	ck_assert_int_eq(vc_aead_open(a, nonce, NULL, 0, out, 16, back), 0);
	ck_assert_mem_eq(back, pt, 16);
	vc_aead_free(a);
}
END_TEST

struct gcm_fixture {
	struct vc_aead *a;
	uint8_t key[32], nonce[12], aad[20], pt[1000], ct[1016], out[1000];
};

static void gcm_setup(struct gcm_fixture *f)
{
	for (int i = 0; i < 32; i++)
		f->key[i] = (uint8_t)(i + 1);
	for (int i = 0; i < 12; i++)
		f->nonce[i] = (uint8_t)(0x10 + i);
	memcpy(f->aad, "VGS1-context-000001", 20);
	for (int i = 0; i < 1000; i++)
		f->pt[i] = (uint8_t)(i * 31);
	ck_assert_int_eq(vc_aead_new(f->key, &f->a), 0);
	ck_assert_int_eq(vc_aead_seal(f->a, f->nonce, f->aad, 20, f->pt, 1000, f->ct), 0);
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

START_TEST(gcm_roundtrip_and_context_reuse)
{
	struct gcm_fixture f;

	gcm_setup(&f);
	ck_assert_mem_ne(f.ct, f.pt, 1000);
	for (int round = 0; round < 3; round++) {
		ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), 0);
		ck_assert_mem_eq(f.out, f.pt, 1000);
	}
	/* In place, as store.c seals segments. */
	memcpy(f.out, f.pt, 1000);
	{
		uint8_t buf[1016];
		memcpy(buf, f.pt, 1000);
		ck_assert_int_eq(vc_aead_seal(f.a, f.nonce, f.aad, 20, buf, 1000, buf), 0);
		ck_assert_mem_eq(buf, f.ct, 1016);
	}
	vc_aead_free(f.a);
	vc_aead_free(NULL);
}
END_TEST

START_TEST(gcm_wrong_tag)
{
	struct gcm_fixture f;

	gcm_setup(&f);
	for (int bit = 0; bit < 128; bit += 7) {
		memset(f.out, 0xcc, sizeof(f.out));
		f.ct[1000 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
		ck_assert_msg(all_zero(f.out, 1000), "plaintext not wiped after a bad tag");
		f.ct[1000 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), 0);
	vc_aead_free(f.a);
}
END_TEST

START_TEST(gcm_tampered_ciphertext_aad_nonce_key)
{
	struct gcm_fixture f;
	struct vc_aead *other;
	uint8_t key2[32];

	gcm_setup(&f);
	f.ct[0] ^= 1;
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
	f.ct[0] ^= 1;
	f.ct[999] ^= 0x80;
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
	f.ct[999] ^= 0x80;
	f.aad[19] ^= 1;
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
	f.aad[19] ^= 1;
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 19, f.ct, 1000, f.out), VG_EINTEGRITY);
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, NULL, 0, f.ct, 1000, f.out), VG_EINTEGRITY);
	f.nonce[11] ^= 1;
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
	f.nonce[11] ^= 1;
	/* A truncated ciphertext: the tag position moves. */
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 999, f.out), VG_EINTEGRITY);
	memcpy(key2, f.key, 32);
	key2[31] ^= 1;
	ck_assert_int_eq(vc_aead_new(key2, &other), 0);
	ck_assert_int_eq(vc_aead_open(other, f.nonce, f.aad, 20, f.ct, 1000, f.out), VG_EINTEGRITY);
	vc_aead_free(other);
	/* The good context still works after all those failures. */
	ck_assert_int_eq(vc_aead_open(f.a, f.nonce, f.aad, 20, f.ct, 1000, f.out), 0);
	ck_assert_mem_eq(f.out, f.pt, 1000);
	vc_aead_free(f.a);
}
END_TEST

START_TEST(gcm_empty_plaintext_is_authenticated)
{
	uint8_t key[32] = {7}, nonce[12] = {0}, tag[16], out[1];
	struct vc_aead *a;

	ck_assert_int_eq(vc_aead_new(key, &a), 0);
	ck_assert_int_eq(vc_aead_seal(a, nonce, "ctx", 3, NULL, 0, tag), 0);
	ck_assert_int_eq(vc_aead_open(a, nonce, "ctx", 3, tag, 0, out), 0);
	ck_assert_int_eq(vc_aead_open(a, nonce, "cty", 3, tag, 0, out), VG_EINTEGRITY);
	tag[15] ^= 1;
	ck_assert_int_eq(vc_aead_open(a, nonce, "ctx", 3, tag, 0, out), VG_EINTEGRITY);
	vc_aead_free(a);
}
END_TEST

START_TEST(random_and_secmem)
{
	uint8_t a[32] = {0}, b[32] = {0};
	uint8_t *s;

	ck_assert_int_eq(vc_random(a, sizeof(a)), 0);
	ck_assert_int_eq(vc_random(b, sizeof(b)), 0);
	ck_assert_mem_ne(a, b, 32);
	ck_assert_int_eq(vc_random(a, 0), 0);
	s = vc_secmem_alloc(32);
	ck_assert_ptr_nonnull(s);
	ck_assert(all_zero(s, 32));
	memset(s, 0x5a, 32);
	vc_secmem_free(s, 32);
	vc_secmem_free(NULL, 32);
	s = vc_secmem_alloc(10000);  /* more than a page */
	ck_assert_ptr_nonnull(s);
	memset(s, 1, 10000);
	vc_secmem_free(s, 10000);
}
END_TEST

Suite *crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *hash = tcase_create("hash"), *gcm = tcase_create("gcm"), *mem = tcase_create("secmem");

	tcase_add_test(hash, sha256_vectors);
	tcase_add_test(hash, hmac_matches_openssl_and_concatenates);
	tcase_add_test(hash, hkdf_matches_rfc5869_construction);
	tcase_add_test(gcm, gcm_published_vectors);
	tcase_add_test(gcm, gcm_roundtrip_and_context_reuse);
	tcase_add_test(gcm, gcm_wrong_tag);
	tcase_add_test(gcm, gcm_tampered_ciphertext_aad_nonce_key);
	tcase_add_test(gcm, gcm_empty_plaintext_is_authenticated);
	tcase_add_test(mem, random_and_secmem);
	suite_add_tcase(s, hash);
	suite_add_tcase(s, gcm);
	suite_add_tcase(s, mem);
	return s;
}
