/* test_time.c - trusted time (trusted_time.c, SPEC §11) on the test clock:
 * the wall clock alone jumps ("jump") or time passes ("advance"). Check
 * forks every test, so each starts with a fresh trusted clock. */
#include <string.h>

#include "clock.h"
#include "suites.h"
#include "trusted_time.h"
#include "vg_err.h"

START_TEST(passing_time_is_not_a_jump)
{
	uint64_t t0 = vault_now();

	ck_assert_int_eq(vault_clock_advance(16 * 86400), 0);
	ck_assert_uint_ge(vault_now(), t0 + 16 * 86400);
	ck_assert(!vtime_held(NULL, 0));
}
END_TEST

START_TEST(a_small_step_is_tolerated)
{
	uint64_t t0 = vault_now();

	ck_assert_int_eq(vault_clock_jump(VTIME_TOLERANCE - 10), 0);
	ck_assert_uint_ge(vault_now(), t0 + VTIME_TOLERANCE - 10);
	ck_assert(!vtime_held(NULL, 0));
}
END_TEST

START_TEST(small_steps_do_not_add_up)
{
	(void)vault_now();  /* the first reading starts the clock */
	ck_assert_int_eq(vault_clock_jump(VTIME_TOLERANCE - 10), 0);
	(void)vault_now();
	ck_assert(!vtime_held(NULL, 0));
	ck_assert_int_eq(vault_clock_jump(VTIME_TOLERANCE - 10), 0);
	(void)vault_now();
	ck_assert(vtime_held(NULL, 0));
}
END_TEST

START_TEST(a_forward_jump_is_held_and_followed_by_the_monotonic_clock)
{
	char detail[200];
	uint64_t t0 = vault_now(), t1;

	ck_assert_int_eq(vault_clock_jump(16 * 86400), 0);
	t1 = vault_now();
	ck_assert_uint_le(t1, t0 + 5);
	ck_assert(vtime_held(detail, sizeof(detail)));
	ck_assert_msg(strncmp(detail, "the wall clock jumped 13823", 26) == 0, "%s", detail);
	/* Time still passes meanwhile, at the monotonic clock's pace. */
	ck_assert_int_eq(vault_clock_advance(3600), 0);
	ck_assert_uint_ge(vault_now(), t1 + 3600);
	ck_assert_uint_le(vault_now(), t1 + 3600 + 5);
}
END_TEST

START_TEST(a_clock_set_back_never_rewinds)
{
	uint64_t t0 = vault_now();

	ck_assert_int_eq(vault_clock_jump(-30 * 86400), 0);
	ck_assert_uint_ge(vault_now(), t0);
	ck_assert(!vtime_held(NULL, 0));
	/* ... and setting it right again is no jump. */
	ck_assert_int_eq(vault_clock_jump(30 * 86400), 0);
	ck_assert(!vtime_held(NULL, 0));
}
END_TEST

Suite *time_suite(void)
{
	Suite *s = suite_create("trusted-time");
	TCase *tc = tcase_create("clock");

	tcase_add_test(tc, passing_time_is_not_a_jump);
	tcase_add_test(tc, a_small_step_is_tolerated);
	tcase_add_test(tc, small_steps_do_not_add_up);
	tcase_add_test(tc, a_forward_jump_is_held_and_followed_by_the_monotonic_clock);
	tcase_add_test(tc, a_clock_set_back_never_rewinds);
	suite_add_tcase(s, tc);
	return s;
}
