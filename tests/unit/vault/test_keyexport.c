/* test_keyexport.c - the keys-off-the-box file (vault/keyexport.c): a
 * roundtrip, and every refusal with its exact code. */
#include <stdlib.h>
#include <string.h>

#include "keyexport.h"
#include "suites.h"
#include "vg_err.h"

static const char pass[] = "correct horse battery";

static void keys(struct vkx_keys *k, bool infra)
{
	memset(k, 0, sizeof(*k));
	for (int i = 0; i < VKX_KEY_LEN; i++) {
		k->platform[i] = (uint8_t)i;
		k->audit[i] = (uint8_t)(0x40 + i);
		k->infra[i] = (uint8_t)(0x80 + i);
	}
	k->has_infra = infra;
	k->created = 1796600000;
}

static void seal(struct vg_wr *w, bool infra)
{
	struct vkx_keys k;

	keys(&k, infra);
	vg_wr_init(w, VKX_FILE_MAX);
	ck_assert_int_eq(vkx_seal(&k, pass, strlen(pass), 14, w), 0);
}

/* Opens a copy of exactly n bytes (ASan sees any overread). */
static int open_copy(const uint8_t *p, size_t n, const char *pw, struct vkx_keys *k, char *why)
{
	uint8_t *c = malloc(n ? n : 1);
	int r;

	memcpy(c, p, n);
	r = vkx_open(c, n, pw, strlen(pw), k, why, 200);
	free(c);
	return r;
}

START_TEST(roundtrip)
{
	struct vkx_keys want, got;
	struct vg_wr w;
	char why[200] = "";

	for (int infra = 0; infra < 2; infra++) {
		seal(&w, infra);
		keys(&want, infra);
		ck_assert_int_eq(open_copy(w.p, w.len, pass, &got, why), 0);
		ck_assert_mem_eq(got.platform, want.platform, VKX_KEY_LEN);
		ck_assert_mem_eq(got.audit, want.audit, VKX_KEY_LEN);
		ck_assert_int_eq(got.has_infra, infra);
		if (infra)
			ck_assert_mem_eq(got.infra, want.infra, VKX_KEY_LEN);
		ck_assert_uint_eq(got.created, want.created);
		/* No key appears in the file in the clear. */
		ck_assert_ptr_null(memmem(w.p, w.len, "000102030405", 12));
		vg_wr_free(&w);
	}
}
END_TEST

START_TEST(refusals)
{
	struct vkx_keys k, got;
	struct vg_wr w;
	char why[200];

	keys(&k, false);
	vg_wr_init(&w, VKX_FILE_MAX);
	ck_assert_int_eq(vkx_seal(&k, "short", 5, 14, &w), VG_EINVAL);
	ck_assert_int_eq(vkx_seal(&k, pass, strlen(pass), 21, &w), VG_EINVAL);
	vg_wr_free(&w);
	seal(&w, true);
	ck_assert_int_eq(open_copy(w.p, w.len, "another passphrase", &got, why), VG_EINTEGRITY);
	ck_assert_str_eq(why, "the passphrase is wrong, or the file was changed");
	ck_assert_int_eq(got.platform[1], 0);  /* wiped */
	/* Every truncation. */
	for (size_t n = 0; n < w.len; n++)
		ck_assert_int_eq(open_copy(w.p, n, pass, &got, why), VG_EINVAL);
	/* A flipped bit in 48 bytes spread over every line (each costs a
	 * scrypt): refused, never accepted. */
	for (size_t i = 0; i < w.len; i += w.len / 48 + 1) {
		uint8_t *c = malloc(w.len);
		int r;
		memcpy(c, w.p, w.len);
		c[i] ^= 0x01;
		r = vkx_open(c, w.len, pass, strlen(pass), &got, why, sizeof(why));
		ck_assert_msg(r == VG_EINVAL || r == VG_EINTEGRITY, "byte %zu: %d", i, r);
		free(c);
	}
	/* Trailing bytes after the last line. */
	{
		uint8_t *c = malloc(w.len + 1);
		memcpy(c, w.p, w.len);
		c[w.len] = 'x';
		ck_assert_int_eq(vkx_open(c, w.len + 1, pass, strlen(pass), &got, why, sizeof(why)),
			VG_EINVAL);
		free(c);
	}
	vg_wr_free(&w);
}
END_TEST

Suite *keyexport_suite(void)
{
	Suite *s = suite_create("keyexport");
	TCase *tc = tcase_create("file");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, roundtrip);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	return s;
}
