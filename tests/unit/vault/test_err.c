/* test_err.c - common/vg_err.c: messages and stable codes. */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "suites.h"
#include "vg_err.h"

START_TEST(every_code_has_a_unique_name_and_message)
{
	for (int e = VG_EBASE; e < VG_ELAST; e++) {
		const char *code = vg_errcode(e), *msg = vg_strerror(e);

		ck_assert_msg((code && *code && strcmp(code, "internal") != 0) || e == VG_EINTERNAL,
			"error %d has no code", e);
		ck_assert_msg(msg && *msg && strcmp(msg, "unknown error") != 0, "error %d has no message", e);
		ck_assert_int_eq(vg_errcode_parse(code), e);
		for (int f = VG_EBASE; f < e; f++)
			ck_assert_msg(strcmp(vg_errcode(f), code) != 0, "codes %d and %d share \"%s\"", f, e, code);
	}
}
END_TEST

START_TEST(errno_values_and_unknowns)
{
	ck_assert_str_eq(vg_strerror(-ENOENT), strerror(ENOENT));
	ck_assert_str_eq(vg_errcode(-ENOENT), "not-found");
	ck_assert_str_eq(vg_errcode(-ENOSPC), "no-space");
	ck_assert_str_eq(vg_errcode(-EDQUOT), "no-space");
	ck_assert_str_eq(vg_errcode(-EINVAL), "invalid");
	ck_assert_str_eq(vg_errcode(-EIO), "internal");
	ck_assert_str_eq(vg_strerror(VG_ELAST), "unknown error");
	ck_assert_str_eq(vg_strerror(VG_EBASE - 1), "unknown error");
	ck_assert_str_eq(vg_strerror(5), "unknown error");
	ck_assert_str_eq(vg_errcode(VG_ELAST), "internal");
	ck_assert_int_eq(vg_errcode_parse("no-such-code"), VG_EINTERNAL);
	ck_assert_int_eq(vg_errcode_parse(""), VG_EINTERNAL);
	/* The reserved range stays clear of errno values. */
	ck_assert_int_lt(VG_ELAST, -4096);
}
END_TEST

Suite *err_suite(void)
{
	Suite *s = suite_create("err");
	TCase *tc = tcase_create("codes");

	tcase_add_test(tc, every_code_has_a_unique_name_and_message);
	tcase_add_test(tc, errno_values_and_unknowns);
	suite_add_tcase(s, tc);
	return s;
}
