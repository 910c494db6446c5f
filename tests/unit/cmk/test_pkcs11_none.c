/* test_pkcs11_none.c - the pkcs11 suite in a build without p11-kit's
 * pkcs11.h (keys_pkcs11_none.c): it checks that configuring a token says so. */
#include <check.h>

#include "cmk_suites.h"
#include "keys.h"
#include "vg_err.h"

START_TEST(not_built_in)
{
	struct vk_p11_config cfg = {.module = "/m.so", .token = "t", .pin_file = "/p"};
	struct vk_p11 *t = (void *)1;
	char why[200];

	ck_assert_int_eq(vk_p11_open(&cfg, &t, why, sizeof(why)), VG_EKEY);
	ck_assert_ptr_null(t);
	ck_assert_str_eq(why, "this vaultd was built without PKCS#11 support (p11-kit-1 headers)");
}
END_TEST

Suite *pkcs11_suite(void)
{
	Suite *s = suite_create("pkcs11");
	TCase *tc = tcase_create("none");

	tcase_add_test(tc, not_built_in);
	suite_add_tcase(s, tc);
	return s;
}
