/* test_auth.c - Authorization header parsing (gateway/auth.c). */
#include <string.h>

#include "auth.h"
#include "suites.h"
#include "vg_err.h"

START_TEST(base64)
{
	uint8_t out[64];

	ck_assert_int_eq(gw_base64_decode("YWxpY2U6dG9r", 12, out, sizeof(out)), 9);
	ck_assert(memcmp(out, "alice:tok", 9) == 0);
	ck_assert_int_eq(gw_base64_decode("YQ==", 4, out, sizeof(out)), 1);
	ck_assert_int_eq(gw_base64_decode("YWI=", 4, out, sizeof(out)), 2);
	ck_assert_int_eq(gw_base64_decode("", 0, out, sizeof(out)), 0);
	ck_assert_int_eq(gw_base64_decode("YQ=", 3, out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(gw_base64_decode("YQ=a", 4, out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(gw_base64_decode("Y===", 4, out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(gw_base64_decode("YR==", 4, out, sizeof(out)), VG_EINVAL); /* non-zero pad bits */
	ck_assert_int_eq(gw_base64_decode("YW I", 4, out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(gw_base64_decode("=AAA", 4, out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(gw_base64_decode("AAAAAAAA", 8, out, 5), VG_ETOOBIG);
}
END_TEST

START_TEST(parse)
{
	struct gw_cred c;
	char big[600];

	ck_assert_int_eq(gw_auth_parse("", &c), 0);
	ck_assert_int_eq(c.kind, GW_CRED_NONE);
	ck_assert_int_eq(gw_auth_parse("Basic YWxpY2U6dmdfYWJj", &c), 0);   /* alice:vg_abc */
	ck_assert_int_eq(c.kind, GW_CRED_BASIC);
	ck_assert_str_eq(c.user, "alice");
	ck_assert_str_eq(c.token, "vg_abc");
	ck_assert_int_eq(gw_auth_parse("basic  YWxpY2U6dmdfYWJj", &c), 0);
	ck_assert_int_eq(gw_auth_parse("Bearer vg_abc", &c), 0);
	ck_assert_int_eq(c.kind, GW_CRED_BEARER);
	ck_assert_str_eq(c.token, "vg_abc");
	ck_assert_str_eq(c.user, "");
	/* malformed: all VG_EAUTH */
	ck_assert_int_eq(gw_auth_parse("Digest abc", &c), VG_EAUTH);
	ck_assert_int_eq(gw_auth_parse("Basic !!!!", &c), VG_EAUTH);
	ck_assert_int_eq(gw_auth_parse("Basic YWxpY2U=", &c), VG_EAUTH);       /* no colon */
	ck_assert_int_eq(gw_auth_parse("Basic OnRvaw==", &c), VG_EAUTH);       /* ":tok" */
	ck_assert_int_eq(gw_auth_parse("Basic YWxpY2U6", &c), VG_EAUTH);       /* "alice:" */
	ck_assert_int_eq(gw_auth_parse("Basic Li46dG9r", &c), VG_EAUTH);       /* "..:tok" */
	ck_assert_int_eq(gw_auth_parse("Basic YSBiOnRvaw==", &c), VG_EAUTH);   /* "a b:tok" */
	ck_assert_int_eq(gw_auth_parse("Basic YTp0IG8=", &c), VG_EAUTH);       /* "a:t o" */
	ck_assert_int_eq(gw_auth_parse("Basic YQBiOnRvaw==", &c), VG_EAUTH);   /* NUL in name */
	ck_assert_int_eq(gw_auth_parse("Bearer ", &c), VG_EAUTH);
	ck_assert_int_eq(gw_auth_parse("Bearer a b", &c), VG_EAUTH);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "Bearer ", 7);
	ck_assert_int_eq(gw_auth_parse(big, &c), VG_EAUTH);
}
END_TEST

Suite *gw_auth_suite(void)
{
	Suite *s = suite_create("gw_auth");
	TCase *t = tcase_create("core");

	tcase_add_test(t, base64);
	tcase_add_test(t, parse);
	suite_add_tcase(s, t);
	return s;
}
