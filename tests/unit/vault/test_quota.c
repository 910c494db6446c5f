/* test_quota.c - the strict parsers of issue 14's settings: quota bytes
 * (vault/quota.c) and durations (vault/itemset.c). Every malformed value is
 * VG_EINVAL, never "cleaned up"; overflow is refused. */
#include <check.h>
#include <stdint.h>

#include "itemset.h"
#include "quota.h"
#include "suites.h"
#include "vg_err.h"

START_TEST(quota_bytes)
{
	static const struct {
		const char *in;
		int r;
		uint64_t out;
	} t[] = {
		{"0", 0, 0}, {"none", 0, 0}, {"1048576", 0, 1048576}, {"512K", 0, 512ull << 10},
		{"10M", 0, 10ull << 20}, {"10MiB", 0, 10ull << 20}, {"2G", 0, 2ull << 30},
		{"1T", 0, 1ull << 40}, {"3GiB", 0, 3ull << 30},
		{"", VG_EINVAL, 0}, {"-1", VG_EINVAL, 0}, {"3X", VG_EINVAL, 0}, {"10 M", VG_EINVAL, 0},
		{"M", VG_EINVAL, 0}, {"10m", VG_EINVAL, 0}, {"1.5G", VG_EINVAL, 0},
		{"16777216T", VG_EINVAL, 0},                  /* 2^64: overflows */
		{"18446744073709551616", VG_EINVAL, 0},       /* 2^64 */
		{"123456789012345678901234567890123", VG_EINVAL, 0},
		{"None", VG_EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 12345;
		int r = vquota_parse_bytes(t[i].in, &v);
		ck_assert_msg(r == t[i].r, "\"%s\": %d, want %d", t[i].in, r, t[i].r);
		if (!r)
			ck_assert_msg(v == t[i].out, "\"%s\": %llu", t[i].in, (unsigned long long)v);
	}
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *in;
		int r;
		uint64_t out;
	} t[] = {
		{"none", 0, 0}, {"0", 0, 0}, {"90", 0, 90}, {"90s", 0, 90}, {"30m", 0, 1800},
		{"6h", 0, 21600}, {"1d", 0, 86400}, {"2w", 0, 1209600},
		{"", VG_EINVAL, 0}, {"1x", VG_EINVAL, 0}, {"1hh", VG_EINVAL, 0}, {"h", VG_EINVAL, 0},
		{"-1h", VG_EINVAL, 0}, {"1 h", VG_EINVAL, 0}, {"1000000001s", VG_EINVAL, 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v = 777;
		int r = vitemset_parse_duration(t[i].in, &v);
		ck_assert_msg(r == t[i].r, "\"%s\": %d, want %d", t[i].in, r, t[i].r);
		if (!r)
			ck_assert_msg(v == t[i].out, "\"%s\": %llu", t[i].in, (unsigned long long)v);
	}
}
END_TEST

START_TEST(floor_setting)
{
	uint64_t was = vquota_floor();

	ck_assert_uint_eq(was, VQUOTA_FLOOR_DEFAULT);
	vquota_set_floor(8ull << 20);
	ck_assert_uint_eq(vquota_floor(), 8ull << 20);
	vquota_set_floor(was);
}
END_TEST

Suite *quota_suite(void)
{
	Suite *s = suite_create("quota");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, quota_bytes);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, floor_setting);
	suite_add_tcase(s, tc);
	return s;
}
