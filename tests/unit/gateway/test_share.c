/* test_share.c - the fair share of vaultd links (gateway/share.c). */
#include <errno.h>

#include "share.h"
#include "suites.h"

static struct gw_share *mk(unsigned max, unsigned per, unsigned res)
{
	struct gw_share *s;

	ck_assert_int_eq(gw_share_new(&(struct gw_share_limits){max, per, res}, &s), 0);
	return s;
}

START_TEST(limits_refused)
{
	struct gw_share *s;

	ck_assert_int_eq(gw_share_new(&(struct gw_share_limits){0, 1, 0}, &s), -EINVAL);
	ck_assert_int_eq(gw_share_new(&(struct gw_share_limits){8, 0, 0}, &s), -EINVAL);
	ck_assert_int_eq(gw_share_new(&(struct gw_share_limits){8, 9, 0}, &s), -EINVAL);
	ck_assert_int_eq(gw_share_new(&(struct gw_share_limits){8, 4, 8}, &s), -EINVAL);
}
END_TEST

START_TEST(per_principal)
{
	struct gw_share *s = mk(64, 16, 16);

	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(gw_share_claim(s, "bad", false, true), GW_SHARE_OK);
	ck_assert_int_eq(gw_share_claim(s, "bad", false, true), GW_SHARE_PRINCIPAL);
	ck_assert_int_eq(gw_share_claim(s, "bad", false, false), GW_SHARE_PRINCIPAL);
	ck_assert_int_eq(gw_share_claim(s, "good", false, true), GW_SHARE_OK);
	ck_assert_uint_eq(gw_share_held(s, "bad"), 16);
	gw_share_release(s, "bad", false, true);
	ck_assert_int_eq(gw_share_claim(s, "bad", false, false), GW_SHARE_OK);
	gw_share_free(s);
}
END_TEST

START_TEST(reserve)
{
	struct gw_share *s = mk(8, 4, 4);  /* uploads: 4; non-admins: 7; admins: all 8 */

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(gw_share_claim(s, "a", false, true), GW_SHARE_OK);
	ck_assert_int_eq(gw_share_claim(s, "b", false, true), GW_SHARE_RESERVE);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(gw_share_claim(s, "b", false, false), GW_SHARE_OK);
	ck_assert_int_eq(gw_share_claim(s, "c", false, false), GW_SHARE_RESERVE);
	ck_assert_int_eq(gw_share_claim(s, "own", true, true), GW_SHARE_OK);
	ck_assert_uint_eq(gw_share_held(s, "c"), 0);
	gw_share_release(s, "a", false, true);
	ck_assert_int_eq(gw_share_claim(s, "c", false, false), GW_SHARE_OK);
	gw_share_free(s);
}
END_TEST

Suite *gw_share_suite(void)
{
	Suite *s = suite_create("gw_share");
	TCase *t = tcase_create("core");

	tcase_add_test(t, limits_refused);
	tcase_add_test(t, per_principal);
	tcase_add_test(t, reserve);
	suite_add_tcase(s, t);
	return s;
}
