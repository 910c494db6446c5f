/* test_range.c - the Range header (gateway/range.c). */
#include "range.h"
#include "suites.h"
#include "vg_err.h"

static void resolves(const char *h, uint64_t size, uint64_t off, uint64_t len)
{
	struct gw_range r;
	uint64_t o, l;

	ck_assert_int_eq(gw_range_parse(h, &r), 0);
	ck_assert_int_eq(gw_range_resolve(&r, size, &o, &l), 0);
	ck_assert_uint_eq(o, off);
	ck_assert_uint_eq(l, len);
}

static void unsatisfiable(const char *h, uint64_t size)
{
	struct gw_range r;
	uint64_t o, l;
	int p = gw_range_parse(h, &r);

	if (p == 0)
		ck_assert_int_eq(gw_range_resolve(&r, size, &o, &l), VG_ERANGE);
	else
		ck_assert_int_eq(p, VG_ERANGE);
}

START_TEST(valid)
{
	resolves("bytes=0-", 10, 0, 10);
	resolves("bytes=3-", 10, 3, 7);
	resolves("bytes=9-", 10, 9, 1);
	resolves("bytes=2-5", 10, 2, 4);
	resolves("bytes=2-2", 10, 2, 1);
	resolves("bytes=2-100", 10, 2, 8);        /* clamped */
	resolves("bytes=-3", 10, 7, 3);
	resolves("bytes=-30", 10, 0, 10);
	resolves("BYTES = 1-2", 10, 1, 2);
	resolves("items=1-2", 10, 0, 10);         /* another unit: ignored */
	resolves("bytes=18446744073709551614-", 18446744073709551615ull, 18446744073709551614ull, 1);
}
END_TEST

/* The largest last-byte-pos is the whole rest, never a wrapped length 0. */
START_TEST(last_pos_max)
{
	struct gw_range r;

	ck_assert_int_eq(gw_range_parse("bytes=0-18446744073709551615", &r), 0);
	ck_assert_int_eq(r.kind, GW_RANGE_FROM);
	ck_assert_uint_eq(r.a, 0);
	resolves("bytes=0-18446744073709551615", 10, 0, 10);
	resolves("bytes=5-18446744073709551615", 10, 5, 5);
	resolves("bytes=0-18446744073709551614", 10, 0, 10);
	ck_assert_int_eq(gw_range_parse("bytes=0-18446744073709551614", &r), 0);
	ck_assert_int_eq(r.kind, GW_RANGE_FROM_TO);
	ck_assert_uint_eq(r.b - r.a + 1, 18446744073709551615ull);
	unsatisfiable("bytes=0-18446744073709551616", 10);
	unsatisfiable("bytes=10-18446744073709551615", 10);
}
END_TEST

START_TEST(invalid)
{
	unsatisfiable("bytes=10-", 10);
	unsatisfiable("bytes=10-20", 10);
	unsatisfiable("bytes=0-", 0);
	unsatisfiable("bytes=-5", 0);
	unsatisfiable("bytes=-0", 10);
	unsatisfiable("bytes=5-3", 10);
	unsatisfiable("bytes=0-1,3-4", 10);      /* several ranges */
	unsatisfiable("bytes=", 10);
	unsatisfiable("bytes=-", 10);
	unsatisfiable("bytes=a-b", 10);
	unsatisfiable("bytes=1-2x", 10);
	unsatisfiable("bytes=+1-2", 10);
	unsatisfiable("bytes=99999999999999999999-", 10);  /* overflow */
}
END_TEST

Suite *gw_range_suite(void)
{
	Suite *s = suite_create("gw_range");
	TCase *t = tcase_create("core");

	tcase_add_test(t, valid);
	tcase_add_test(t, invalid);
	tcase_add_test(t, last_pos_max);
	suite_add_tcase(s, t);
	return s;
}
