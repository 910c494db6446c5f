/* test_limit.c - failed-auth token buckets and per-principal counts
 * (gateway/limit.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "suites.h"
#include "vg_err.h"

static struct gw_addr_key key4(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	struct gw_addr_key k;

	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	gw_addr_key_from(&ss, &k);
	return k;
}

START_TEST(bucket)
{
	struct gw_ratelimit *rl;
	struct gw_addr_key a = key4("10.0.0.1"), b = key4("10.0.0.2");
	uint64_t t = 1000000;

	ck_assert_int_eq(gw_rl_new(3, 60, 64, &rl), 0);   /* 3 burst, 1 per second */
	ck_assert(!gw_rl_blocked(rl, &a, t));
	for (int i = 0; i < 3; i++)
		gw_rl_fail(rl, &a, t);
	ck_assert(gw_rl_blocked(rl, &a, t));
	ck_assert(!gw_rl_blocked(rl, &b, t));              /* per source */
	ck_assert(gw_rl_blocked(rl, &a, t + 999));
	ck_assert(!gw_rl_blocked(rl, &a, t + 1000));       /* one token back */
	gw_rl_fail(rl, &a, t + 1000);
	ck_assert(gw_rl_blocked(rl, &a, t + 1000));
	ck_assert(!gw_rl_blocked(rl, &a, t + 100000));     /* refilled, capped at burst */
	for (int i = 0; i < 3; i++)
		gw_rl_fail(rl, &a, t + 100000);
	ck_assert(gw_rl_blocked(rl, &a, t + 100000));
	gw_rl_free(rl);
	ck_assert_int_eq(gw_rl_new(0, 60, 64, &rl), VG_EINVAL);
	ck_assert_int_eq(gw_rl_new(1, 60, 2, &rl), VG_EINVAL);
}
END_TEST

START_TEST(bucket_table_full)
{
	struct gw_ratelimit *rl;
	struct gw_addr_key k;
	char ip[32];

	/* Many sources in a small table: no crash, and a source just failing
	 * many times is still blocked. */
	ck_assert_int_eq(gw_rl_new(2, 1, 16, &rl), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 256, i % 256);
		k = key4(ip);
		gw_rl_fail(rl, &k, 5000);
	}
	k = key4("192.0.2.1");
	gw_rl_fail(rl, &k, 5000);
	gw_rl_fail(rl, &k, 5000);
	ck_assert(gw_rl_blocked(rl, &k, 5000));
	gw_rl_free(rl);
}
END_TEST

START_TEST(pcount)
{
	struct gw_pcount *pc;
	char name[32];

	ck_assert_int_eq(gw_pcount_new(16, &pc), 0);
	ck_assert_int_eq(gw_pcount_acquire(pc, "alice", 2), 0);
	ck_assert_int_eq(gw_pcount_acquire(pc, "alice", 2), 0);
	ck_assert_int_eq(gw_pcount_acquire(pc, "alice", 2), VG_ELIMIT);
	ck_assert_int_eq(gw_pcount_acquire(pc, "bob", 2), 0);
	ck_assert_uint_eq(gw_pcount_get(pc, "alice"), 2);
	gw_pcount_release(pc, "alice");
	ck_assert_int_eq(gw_pcount_acquire(pc, "alice", 2), 0);
	gw_pcount_release(pc, "nobody-here");
	/* fill the table: acquire fails cleanly, released slots are reused */
	for (int i = 0; i < 14; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(gw_pcount_acquire(pc, name, 1), 0);
	}
	ck_assert_int_eq(gw_pcount_acquire(pc, "late", 1), VG_ELIMIT);
	gw_pcount_release(pc, "p3");
	ck_assert_int_eq(gw_pcount_acquire(pc, "late", 1), 0);
	ck_assert_uint_eq(gw_pcount_get(pc, "alice"), 2);
	gw_pcount_free(pc);
}
END_TEST

Suite *gw_limit_suite(void)
{
	Suite *s = suite_create("gw_limit");
	TCase *t = tcase_create("core");

	tcase_add_test(t, bucket);
	tcase_add_test(t, bucket_table_full);
	tcase_add_test(t, pcount);
	suite_add_tcase(s, t);
	return s;
}
