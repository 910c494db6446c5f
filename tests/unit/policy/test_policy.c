/* test_policy.c - retention policy parsing (SPEC §7 floors), formatting
 * and the "lowers retention" comparison immutability relies on (§3). */
#include <string.h>

#include "policy.h"
#include "suites.h"
#include "vg_err.h"

static struct vr_policy parse_ok(const char *spec)
{
	struct vr_policy p;
	char why[200] = "";

	ck_assert_msg(vpolicy_parse(spec, &p, why, sizeof(why)) == 0, "%s refused: %s", spec, why);
	return p;
}

static void parse_bad(const char *spec, int want, const char *why_want)
{
	struct vr_policy p;
	char why[200] = "";
	int r = vpolicy_parse(spec, &p, why, sizeof(why));

	ck_assert_msg(r == want, "%s: got %d (%s), want %d", spec, r, why, want);
	ck_assert_str_eq(why, why_want);
}

START_TEST(floors_at_the_floor_accepted)
{
	struct vr_policy p = parse_ok("daily=7,weekly=4,monthly=3,yearly=1");

	ck_assert_uint_eq(p.daily_days, 7);
	ck_assert_uint_eq(p.weekly_weeks, 4);
	ck_assert_uint_eq(p.monthly_months, 3);
	ck_assert_uint_eq(p.yearly_years, 1);
	p = parse_ok("yearly=0,monthly=0,weekly=0,daily=36500");
	ck_assert_uint_eq(p.daily_days, 36500);
	ck_assert_uint_eq(p.weekly_weeks + p.monthly_months + p.yearly_years, 0);
}
END_TEST

START_TEST(floors_below_refused)
{
	parse_bad("daily=6", VG_EPOLICY, "daily retention 6 days is below the floor of 7 days");
	parse_bad("daily=0", VG_EPOLICY, "daily retention 0 days is below the floor of 7 days");
	parse_bad("weekly=4", VG_EPOLICY, "daily retention 0 days is below the floor of 7 days");
	parse_bad("daily=7,weekly=3", VG_EPOLICY, "weekly retention 3 weeks is below the floor of 4 weeks");
	parse_bad("daily=7,weekly=1", VG_EPOLICY, "weekly retention 1 weeks is below the floor of 4 weeks");
	parse_bad("daily=7,monthly=2", VG_EPOLICY, "monthly retention 2 months is below the floor of 3 months");
}
END_TEST

START_TEST(malformed_refused)
{
	parse_bad("", VG_EPOLICY, "daily retention 0 days is below the floor of 7 days");
	parse_bad("daily", VG_EINVAL, "\"daily\": expected key=value");
	parse_bad("daily=", VG_EINVAL, "daily=: expected a whole number");
	parse_bad("daily=7x", VG_EINVAL, "daily=7x: expected a whole number");
	parse_bad("daily=-7", VG_EINVAL, "daily=-7: expected a whole number");
	parse_bad("daily=36501", VG_EINVAL, "daily=36501: expected a whole number");
	parse_bad("daily=7,yearly=0.5", VG_EINVAL, "yearly=0.5: expected a whole number");
	parse_bad("daily=7,daily=8", VG_EINVAL, "daily given twice");
	parse_bad("daily=7,hourly=24", VG_EINVAL, "unknown policy key \"hourly\" (daily, weekly, monthly, yearly)");
	parse_bad("Daily=7", VG_EINVAL, "unknown policy key \"Daily\" (daily, weekly, monthly, yearly)");
}
END_TEST

START_TEST(too_long_refused)
{
	char spec[400];

	memset(spec, ' ', sizeof(spec) - 1);
	spec[sizeof(spec) - 1] = 0;
	memcpy(spec, "daily=7,", 8);
	parse_bad(spec, VG_EINVAL, "policy too long");
}
END_TEST

START_TEST(format_round_trip)
{
	struct vr_policy p = parse_ok("daily=35,weekly=8,monthly=6,yearly=2"), q;
	char out[96], small[10];

	ck_assert_int_eq(vpolicy_format(&p, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "daily=35,weekly=8,monthly=6,yearly=2");
	q = parse_ok(out);
	ck_assert_int_eq(memcmp(&p, &q, sizeof(p)), 0);
	ck_assert_int_eq(vpolicy_format(&p, small, sizeof(small)), VG_ETOOBIG);
}
END_TEST

START_TEST(lowers_tier_by_tier)
{
	struct vr_policy a = parse_ok("daily=35"), b;

	b = parse_ok("daily=30");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 1);   /* 35 -> 30 days: lowered */
	b = parse_ok("daily=40");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 0);   /* 35 -> 40 days: raised */
	b = parse_ok("daily=35");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 0);   /* unchanged */
	a = parse_ok("daily=35,weekly=8,monthly=6,yearly=2");
	b = parse_ok("daily=400,weekly=8,monthly=6");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 1);   /* yearly dropped, daily raised: still lowered */
	b = parse_ok("daily=35,weekly=7,monthly=6,yearly=2");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 1);
	b = parse_ok("daily=35,weekly=8,monthly=5,yearly=2");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 1);
	b = parse_ok("daily=35,weekly=9,monthly=7,yearly=3");
	ck_assert_int_eq(vpolicy_lowers(&a, &b), 0);
}
END_TEST

Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, floors_at_the_floor_accepted);
	tcase_add_test(tc, floors_below_refused);
	tcase_add_test(tc, malformed_refused);
	tcase_add_test(tc, too_long_refused);
	tcase_add_test(tc, format_round_trip);
	tcase_add_test(tc, lowers_tier_by_tier);
	suite_add_tcase(s, tc);
	return s;
}
