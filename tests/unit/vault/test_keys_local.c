/* test_keys_local.c - vault/keys_local.c: the platform-key provider wraps
 * and unwraps a vault's DEK under the local KEK, bound to an AAD. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "keys.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

#define WRAPPED_LEN (VC_NONCE_LEN + VK_DEK_LEN + VC_TAG_LEN)

static char *dir;
static struct vk_provider *prov;
static uint8_t dek[VK_DEK_LEN];
static const char aad[] = "vault:\0\0\0\0\0\0\0\1";

static void setup(void)
{
	char why[256] = "";
	char *p;

	dir = tu_tmpdir_new();
	p = tu_path("%s/platform.key", dir);
	ck_assert_int_eq(vk_local_open(p, &prov, why, sizeof(why)), 0);
	free(p);
	for (int i = 0; i < VK_DEK_LEN; i++)
		dek[i] = (uint8_t)(0x30 + i);
}

static void teardown(void)
{
	vk_free(prov);
	prov = NULL;
	tu_tmpdir_free(dir);
	dir = NULL;
}

static void wrap(struct vk_provider *p, const void *a, size_t an, uint8_t *out, size_t *outlen)
{
	*outlen = VK_WRAPPED_MAX;
	ck_assert_int_eq(p->ops->wrap(p, dek, a, an, out, outlen), 0);
	ck_assert_uint_eq(*outlen, WRAPPED_LEN);
}

START_TEST(wrap_unwrap_roundtrip)
{
	uint8_t w1[VK_WRAPPED_MAX], w2[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n1, n2;
	char *p;

	ck_assert_str_eq(prov->ref, "local");
	ck_assert_str_eq(prov->ops->name, "local");
	p = tu_path("%s/platform.key", dir);
	ck_assert_int_eq(tu_file_size(p), 32);
	free(p);
	wrap(prov, aad, sizeof(aad) - 1, w1, &n1);
	wrap(prov, aad, sizeof(aad) - 1, w2, &n2);
	ck_assert_mem_ne(w1, w2, n1);  /* a fresh nonce each time */
	ck_assert_ptr_null(memmem(w1, n1, dek, 8));  /* no DEK bytes in the clear */
	ck_assert_int_eq(prov->ops->unwrap(prov, w1, n1, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	ck_assert_int_eq(prov->ops->unwrap(prov, w2, n2, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	/* An empty AAD works too, and is different from a non-empty one. */
	wrap(prov, NULL, 0, w1, &n1);
	ck_assert_int_eq(prov->ops->unwrap(prov, w1, n1, NULL, 0, back), 0);
	ck_assert_int_eq(prov->ops->unwrap(prov, w1, n1, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
}
END_TEST

START_TEST(reopened_key_unwraps)
{
	struct vk_provider *again;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	char why[256] = "";
	char *p = tu_path("%s/platform.key", dir);
	size_t n;

	wrap(prov, aad, sizeof(aad) - 1, w, &n);
	ck_assert_int_eq(vk_local_open(p, &again, why, sizeof(why)), 0);
	ck_assert_int_eq(again->ops->unwrap(again, w, n, aad, sizeof(aad) - 1, back), 0);
	ck_assert_mem_eq(back, dek, VK_DEK_LEN);
	vk_free(again);
	free(p);
}
END_TEST

/* A wrapped DEK is bound to its vault: another vault's AAD refuses it. */
START_TEST(wrong_aad)
{
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	char other[sizeof(aad)];
	size_t n;

	wrap(prov, aad, sizeof(aad) - 1, w, &n);
	memcpy(other, aad, sizeof(aad));
	other[sizeof(aad) - 2] = 2;
	ck_assert_int_eq(prov->ops->unwrap(prov, w, n, other, sizeof(aad) - 1, back), VG_EINTEGRITY);
	ck_assert_int_eq(prov->ops->unwrap(prov, w, n, aad, sizeof(aad) - 2, back), VG_EINTEGRITY);
}
END_TEST

START_TEST(tampered_wrapped_dek)
{
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	size_t n;

	wrap(prov, aad, sizeof(aad) - 1, w, &n);
	for (size_t i = 0; i < n; i++) {  /* nonce, ciphertext and tag */
		w[i] ^= 0x10;
		ck_assert_msg(prov->ops->unwrap(prov, w, n, aad, sizeof(aad) - 1, back) == VG_EINTEGRITY,
			"flip at byte %zu accepted", i);
		w[i] ^= 0x10;
	}
	ck_assert_int_eq(prov->ops->unwrap(prov, w, n - 1, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	ck_assert_int_eq(prov->ops->unwrap(prov, w, n + 1, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	ck_assert_int_eq(prov->ops->unwrap(prov, w, 0, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	ck_assert_int_eq(prov->ops->unwrap(prov, w, n, aad, sizeof(aad) - 1, back), 0);
}
END_TEST

START_TEST(another_kek_refuses)
{
	struct vk_provider *other;
	uint8_t w[VK_WRAPPED_MAX], back[VK_DEK_LEN];
	char why[256] = "";
	char *p = tu_path("%s/other.key", dir);
	size_t n;

	ck_assert_int_eq(vk_local_open(p, &other, why, sizeof(why)), 0);
	wrap(prov, aad, sizeof(aad) - 1, w, &n);
	ck_assert_int_eq(other->ops->unwrap(other, w, n, aad, sizeof(aad) - 1, back), VG_EINTEGRITY);
	vk_free(other);
	free(p);
}
END_TEST

START_TEST(bad_arguments)
{
	uint8_t w[VK_WRAPPED_MAX], big[512] = {0};
	size_t n = WRAPPED_LEN - 1;

	ck_assert_int_eq(prov->ops->wrap(prov, dek, aad, sizeof(aad) - 1, w, &n), VG_EINVAL);
	n = VK_WRAPPED_MAX;
	ck_assert_int_eq(prov->ops->wrap(prov, dek, big, sizeof(big), w, &n), VG_EINVAL);
}
END_TEST

START_TEST(bad_key_file)
{
	struct vk_provider *p = (void *)1;
	uint8_t bytes[32] = {1};
	char why[256] = "";
	char *path = tu_path("%s/open.key", dir);

	tu_write_file(path, bytes, 32, 0644);
	ck_assert_int_eq(vk_local_open(path, &p, why, sizeof(why)), VG_EKEYFILE);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(strstr(why, "too open"));
	tu_write_file(path, bytes, 16, 0600);
	p = (void *)1;
	ck_assert_int_eq(vk_local_open(path, &p, why, sizeof(why)), VG_EKEYFILE);
	ck_assert_ptr_null(p);
	free(path);
}
END_TEST

Suite *keys_local_suite(void)
{
	Suite *s = suite_create("keys_local");
	TCase *tc = tcase_create("wrap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, wrap_unwrap_roundtrip);
	tcase_add_test(tc, reopened_key_unwraps);
	tcase_add_test(tc, wrong_aad);
	tcase_add_test(tc, tampered_wrapped_dek);
	tcase_add_test(tc, another_kek_refuses);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, bad_key_file);
	suite_add_tcase(s, tc);
	return s;
}
