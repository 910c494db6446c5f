/* test_pin.c - security PINs (SPEC §6) on a real vcore: 8 digits, valid
 * 5 minutes, usable once, bound to their vault; missing, malformed, wrong
 * and expired PINs refused with their reasons; an aborted operation does
 * not spend its PIN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "pin.h"
#include "suites.h"
#include "vg_err.h"

static struct vcore *c;
static struct vcaller root, co, agent;

static void setup(void)
{
	c = tmp_core_open();
	root = tmp_caller("root@local", VR_K_USER, 1);
	co = tmp_caller("co", VR_K_USER, 0);
	agent = tmp_caller("ag", VR_K_AGENT, 0);
	ck_assert_int_eq(vcore_vault_create(c, &root, "v"), 0);
	ck_assert_int_eq(vcore_vault_create(c, &root, "w"), 0);
}

static void teardown(void)
{
	tmp_core_close(c);
	c = NULL;
}

static void gen(const char *vault, char pin[VPIN_DIGITS + 1])
{
	uint64_t exp = 0, now = vault_now();

	ck_assert_int_eq(vpin_generate(c, &co, vault, pin, &exp), 0);
	ck_assert_uint_eq(strlen(pin), 8);
	ck_assert_uint_eq(strspn(pin, "0123456789"), 8);
	ck_assert_msg(exp >= now + VPIN_VALIDITY && exp <= now + VPIN_VALIDITY + 2,
		"expires %llu, now %llu", (unsigned long long)exp, (unsigned long long)now);
}

/* use PIN on VAULT as the agent: vpin_consume in its own committed txn. */
static int use(const char *pin, const char *vault, char *why, size_t whysz)
{
	MDB_txn *txn;
	int r;

	snprintf(agent.pin, sizeof(agent.pin), "%s", pin);
	*why = 0;
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	r = vpin_consume(c, txn, &agent, vault, why, whysz);
	if (r)
		vdb_abort(txn);
	else
		ck_assert_int_eq(vdb_commit(txn), 0);
	return r;
}

START_TEST(valid_once)
{
	char pin[VPIN_DIGITS + 1], why[200];

	gen("v", pin);
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), 0);
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN was already used");
}
END_TEST

START_TEST(valid_five_minutes)
{
	char pin[VPIN_DIGITS + 1], pin2[VPIN_DIGITS + 1], why[200];

	gen("v", pin);
	gen("v", pin2);
	ck_assert_int_eq(vault_clock_advance(290), 0);
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), 0);
	ck_assert_int_eq(vault_clock_advance(11), 0);   /* 5 min + 1 s after pin2 */
	ck_assert_int_eq(use(pin2, "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN expired (valid 5 minutes)");
}
END_TEST

START_TEST(missing_malformed_wrong_refused)
{
	char pin[VPIN_DIGITS + 1], bad[VPIN_DIGITS + 1], why[200];

	gen("v", pin);
	ck_assert_int_eq(use("", "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "this operation needs a security PIN (vaultctl pin generate v)");
	ck_assert_int_eq(use("1234", "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN is wrong");
	ck_assert_int_eq(use("12a45678", "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN is wrong");
	ck_assert_int_eq(use("123456789", "v", why, sizeof(why)), VG_EPIN);
	snprintf(bad, sizeof(bad), "%08u", (unsigned)((strtoul(pin, NULL, 10) + 1) % 100000000u));
	ck_assert_int_eq(use(bad, "v", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN is wrong");
	/* Bound to its vault. */
	ck_assert_int_eq(use(pin, "w", why, sizeof(why)), VG_EPIN);
	ck_assert_str_eq(why, "security PIN is wrong");
	/* That was five wrong PINs: every PIN is now refused for 15 minutes
	 * (SPEC §11), the right one too. */
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), VG_ELIMIT);
	ck_assert_str_eq(why, "too many wrong security PINs from ag: try again in 900 s");
	ck_assert_int_eq(vault_clock_advance(VPIN_FAIL_WINDOW), 0);
	gen("v", pin);
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), 0);
}
END_TEST

START_TEST(aborted_use_is_not_spent)
{
	char pin[VPIN_DIGITS + 1], why[200];
	MDB_txn *txn;

	gen("v", pin);
	snprintf(agent.pin, sizeof(agent.pin), "%s", pin);
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	ck_assert_int_eq(vpin_consume(c, txn, &agent, "v", why, sizeof(why)), 0);
	vdb_abort(txn);
	ck_assert_int_eq(use(pin, "v", why, sizeof(why)), 0);
}
END_TEST

START_TEST(unknown_vault_refused)
{
	char pin[VPIN_DIGITS + 1];
	uint64_t exp = 0;

	ck_assert_int_eq(vpin_generate(c, &co, "nope", pin, &exp), VG_ENOTFOUND);
	ck_assert_uint_eq(exp, 0);
}
END_TEST

Suite *pin_suite(void)
{
	Suite *s = suite_create("pin");
	TCase *tc = tcase_create("pin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, valid_once);
	tcase_add_test(tc, valid_five_minutes);
	tcase_add_test(tc, missing_malformed_wrong_refused);
	tcase_add_test(tc, aborted_use_is_not_spent);
	tcase_add_test(tc, unknown_vault_refused);
	suite_add_tcase(s, tc);
	return s;
}
