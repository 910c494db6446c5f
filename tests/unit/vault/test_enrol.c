/* test_enrol.c - the limits on guessing a registration token (vault/enrol.c). */
#include <stdio.h>
#include <string.h>

#include "enrol.h"
#include "suites.h"
#include "vg_err.h"

static int check(const char *src, const char *agent, uint64_t now)
{
	char why[200];
	uint64_t retry = 0;

	return venrol_check(src, agent, now, &retry, why, sizeof(why));
}

START_TEST(per_agent)
{
	const uint64_t t = 1000000;
	char why[200];
	uint64_t retry = 0;

	for (int i = 0; i < VENROL_PER_AGENT - 1; i++) {
		ck_assert_int_eq(check("10.1.0.1", "pa-agent", t), 0);
		ck_assert_int_eq(venrol_failed("10.1.0.1", "pa-agent", t), 0);
	}
	ck_assert_int_eq(check("10.1.0.1", "pa-agent", t), 0);
	/* The limit reached: the alert fires once. */
	ck_assert_int_eq(venrol_failed("10.1.0.2", "pa-agent", t + 1), 1);
	ck_assert_int_eq(venrol_failed("10.1.0.3", "pa-agent", t + 2), 0);
	/* Any source, even one that never failed, is refused for this agent. */
	ck_assert_int_eq(venrol_check("10.9.9.9", "pa-agent", t + 10, &retry, why, sizeof(why)), VG_ELIMIT);
	ck_assert_msg(strstr(why, "agent pa-agent") != NULL, "%s", why);
	ck_assert_uint_eq(retry, VENROL_WINDOW - 10);
	/* Other agents are not. */
	ck_assert_int_eq(check("10.9.9.9", "pa-other", t + 10), 0);
	/* The window ends. */
	ck_assert_int_eq(check("10.9.9.9", "pa-agent", t + VENROL_WINDOW + 1), 0);
}
END_TEST

START_TEST(per_source)
{
	const uint64_t t = 2000000;
	char name[32], why[200];
	uint64_t retry = 0;

	/* One failure each for many agents: only the source adds up. */
	for (int i = 0; i < VENROL_PER_SOURCE; i++) {
		snprintf(name, sizeof(name), "ps-agent%d", i);
		ck_assert_int_eq(check("10.2.0.1", name, t), 0);
		ck_assert_int_eq(venrol_failed("10.2.0.1", name, t), 0);
	}
	ck_assert_int_eq(venrol_check("10.2.0.1", "ps-fresh", t + 5, &retry, why, sizeof(why)), VG_ELIMIT);
	ck_assert_msg(strstr(why, "from 10.2.0.1") != NULL, "%s", why);
	ck_assert_int_eq(check("10.2.0.2", "ps-fresh", t + 5), 0);
	ck_assert_int_eq(check("10.2.0.1", "ps-fresh", t + VENROL_WINDOW + 1), 0);
}
END_TEST

/* More keys than slots: the table reuses the oldest, never overflows. */
START_TEST(table_full)
{
	const uint64_t t = 3000000;
	char name[32];

	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "tf-%d", i);
		venrol_failed("10.3.0.1", name, t + (uint64_t)i);
	}
	ck_assert_int_eq(check("10.3.0.2", "tf-1999", t + 2000), 0);
}
END_TEST

Suite *enrol_suite(void)
{
	Suite *s = suite_create("enrol");
	TCase *tc = tcase_create("limits");

	tcase_add_test(tc, per_agent);
	tcase_add_test(tc, per_source);
	tcase_add_test(tc, table_full);
	suite_add_tcase(s, tc);
	return s;
}
