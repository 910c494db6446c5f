/* test_window.c - counting events per key within a window (vault/window.c),
 * the table behind auth-bruteforce and mass-deletion. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "suites.h"
#include "window.h"

START_TEST(threshold_once_per_window)
{
	struct vwin *w;

	ck_assert_int_eq(vwin_new(8, 300, 3, &w), 0);
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1000), 0);
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1100), 0);
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1300), 1);   /* third, at start + window */
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1300), 0);   /* once per window */
	ck_assert_int_eq(vwin_hit(w, "192.0.2.2", 1300), 0);   /* another key counts alone */
	/* After the window a new one starts at the next event. */
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1301), 0);
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1302), 0);
	ck_assert_int_eq(vwin_hit(w, "192.0.2.1", 1303), 1);
	vwin_free(w);
}
END_TEST

START_TEST(tables_are_separate)
{
	struct vwin *a, *b;

	/* Two vcores in one process (the unit suites, vaultd --check beside
	 * tests) no longer share one process-wide table. */
	ck_assert_int_eq(vwin_new(8, 600, 2, &a), 0);
	ck_assert_int_eq(vwin_new(8, 600, 2, &b), 0);
	ck_assert_int_eq(vwin_hit(a, "bob", 10), 0);
	ck_assert_int_eq(vwin_hit(b, "bob", 10), 0);
	ck_assert_int_eq(vwin_hit(a, "bob", 11), 1);
	ck_assert_int_eq(vwin_hit(b, "bob", 11), 1);
	vwin_free(a);
	vwin_free(b);
}
END_TEST

START_TEST(full_table_reuses_the_oldest)
{
	struct vwin *w;
	char k[16];

	ck_assert_int_eq(vwin_new(4, 600, 2, &w), 0);
	ck_assert_int_eq(vwin_hit(w, "k0", 100), 0);
	for (int i = 1; i < 4; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		ck_assert_int_eq(vwin_hit(w, k, 100 + (uint64_t)i), 0);
	}
	/* k4 takes k0's slot (the oldest window): k0 starts over, k1 did not. */
	ck_assert_int_eq(vwin_hit(w, "k4", 110), 0);
	ck_assert_int_eq(vwin_hit(w, "k1", 111), 1);
	ck_assert_int_eq(vwin_hit(w, "k0", 112), 0);
	vwin_free(w);
}
END_TEST

START_TEST(long_keys_and_bad_sizes)
{
	char a[200], b[200];
	struct vwin *w;

	memset(a, 'a', sizeof(a) - 1);
	a[sizeof(a) - 1] = 0;
	memcpy(b, a, sizeof(b));
	b[150] = 'b';   /* differs past VWIN_KEY_MAX: the same key */
	ck_assert_int_eq(vwin_new(2, 60, 2, &w), 0);
	ck_assert_int_eq(vwin_hit(w, a, 1), 0);
	ck_assert_int_eq(vwin_hit(w, b, 2), 1);
	vwin_free(w);
	ck_assert_int_eq(vwin_new(0, 60, 2, &w), -EINVAL);
	ck_assert_ptr_null(w);
	ck_assert_int_eq(vwin_new(2, 0, 2, &w), -EINVAL);
	ck_assert_int_eq(vwin_new(2, 60, 0, &w), -EINVAL);
	vwin_free(NULL);
}
END_TEST

Suite *window_suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("window");

	tcase_add_test(tc, threshold_once_per_window);
	tcase_add_test(tc, tables_are_separate);
	tcase_add_test(tc, full_table_reuses_the_oldest);
	tcase_add_test(tc, long_keys_and_bad_sizes);
	suite_add_tcase(s, tc);
	return s;
}
