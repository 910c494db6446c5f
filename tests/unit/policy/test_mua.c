/* test_mua.c - multi-user authorization (SPEC §5): operation names, what
 * guards may exclude, and the grant rules on a real vcore: bound to one
 * operation, one target and one requester, used once, within a window of
 * 1 h by default and at most 24 h, never approved by the requester, and
 * refused outright by a guard without approvers. */
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "clock.h"
#include "lifecycle.h"
#include "mua.h"
#include "suites.h"
#include "vg_err.h"

START_TEST(op_names)
{
	static const char *const names[VMUA_N] = {"soft-delete-off", "guard-unlink", "delete-data",
		"retention-reduce", "stop-protection", "pin-generate", "immutability-disable",
		"key-change", "clock-accept", "guard-change", "keys-export"};

	for (int i = 0; i < VMUA_N; i++) {
		ck_assert_str_eq(vmua_op_name((enum vmua_op)i), names[i]);
		ck_assert_int_eq(vmua_op_parse(names[i]), i);
	}
	ck_assert_str_eq(vmua_op_name(VMUA_N), "?");
	ck_assert_int_eq(vmua_op_parse("delete"), VG_EINVAL);
	ck_assert_int_eq(vmua_op_parse(""), VG_EINVAL);
	ck_assert_int_eq(vmua_op_parse("Delete-Data"), VG_EINVAL);
}
END_TEST

static struct vcore *c;
static struct vcaller root, req, ap, other;
static struct vr_vault v;

static void setup(void)
{
	char tok[VAUTH_TOKEN_LEN + 1], why[300] = "";

	c = tmp_core_open();
	root = tmp_caller("root@local", VR_K_USER, 1);
	req = tmp_caller("req", VR_K_USER, 0);
	ap = tmp_caller("ap", VR_K_USER, 0);
	other = tmp_caller("other", VR_K_USER, 0);
	ck_assert_int_eq(vcore_vault_create(c, &root, "v"), 0);
	ck_assert_int_eq(vauth_principal_add(c, &root, "req", VR_K_USER, tok), 0);
	ck_assert_int_eq(vauth_principal_add(c, &root, "ap", VR_K_USER, tok), 0);
	ck_assert_int_eq(vauth_principal_add(c, &root, "other", VR_K_USER, tok), 0);
	ck_assert_int_eq(vmua_guard_create(c, &root, "g"), 0);
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "ap", false, why, sizeof(why)), 0);
	ck_assert_msg(vlife_vault_set(c, &root, "v", "guard", "g", NULL, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(vcore_vault_get(c, "v", &v), 0);
}

static void teardown(void)
{
	tmp_core_close(c);
	c = NULL;
}

/* check WHO OP TARGET: vmua_check in its own committed transaction; the
 * refusal text lands in why. */
static int check(struct vcaller *who, enum vmua_op op, const char *target, char *why, size_t whysz)
{
	MDB_txn *txn;
	int r;

	*why = 0;
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	r = vmua_check(c, txn, who, &v, op, target, why, whysz);
	if (r)
		vdb_abort(txn);
	else
		ck_assert_int_eq(vdb_commit(txn), 0);
	return r;
}

/* A request by who for op on target, approved by ap for window seconds. */
static void granted(struct vcaller *who, const char *op, const char *target, uint64_t window)
{
	char why[300] = "";

	ck_assert_msg(vmua_request(c, who, "v", op, target, who->grant, why, sizeof(why)) == 0, "%s", why);
	ck_assert_msg(vmua_approve(c, &ap, who->grant, window, false, why, sizeof(why)) == 0, "%s", why);
}

START_TEST(no_grant_refused)
{
	char why[300];

	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	ck_assert_str_eq(why, "delete-data on v/i/p is a critical operation under guard g: request an "
		"approval (vaultctl mua request) and present the grant");
	snprintf(req.grant, sizeof(req.grant), "0123456789abcdef0123456789abcdef");
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	ck_assert_str_eq(why, "grant 0123456789abcdef0123456789abcdef does not exist");
}
END_TEST

START_TEST(bound_to_op_target_requester_used_once)
{
	char why[300], want[300];

	granted(&req, "delete-data", "v/i/p", 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/q", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "grant %s is for delete-data on v/i/p, not delete-data on v/i/q", req.grant);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(check(&req, VMUA_RETENTION_REDUCE, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "grant %s is for delete-data on v/i/p, not retention-reduce on v/i/p",
		req.grant);
	ck_assert_str_eq(why, want);
	memcpy(other.grant, req.grant, sizeof(other.grant));
	ck_assert_int_eq(check(&other, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "grant %s belongs to req", req.grant);
	ck_assert_str_eq(why, want);
	/* The misuses did not spend it. */
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "grant %s was already used", req.grant);
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(aborted_use_is_not_spent)
{
	char why[300];
	MDB_txn *txn;

	granted(&req, "stop-protection", "v/i", 0);
	ck_assert_int_eq(vdb_begin(c->db, true, &txn), 0);
	ck_assert_int_eq(vmua_check(c, txn, &req, &v, VMUA_STOP_PROTECTION, "v/i", why, sizeof(why)), 0);
	vdb_abort(txn);  /* the operation failed later: nothing was used */
	ck_assert_int_eq(check(&req, VMUA_STOP_PROTECTION, "v/i", why, sizeof(why)), 0);
}
END_TEST

START_TEST(default_window_one_hour)
{
	char why[300], want[300];

	granted(&req, "delete-data", "v/i/p", 0);
	ck_assert_int_eq(vault_clock_advance(3590), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), 0);
	granted(&req, "delete-data", "v/i/p", 0);
	ck_assert_int_eq(vault_clock_advance(3601), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "grant %s expired", req.grant);
	ck_assert_str_eq(why, want);
}
END_TEST

START_TEST(window_at_most_24_hours)
{
	char why[300] = "", id[33];

	ck_assert_int_eq(vmua_request(c, &req, "v", "delete-data", "v/i/p", id, why, sizeof(why)), 0);
	ck_assert_int_eq(vmua_approve(c, &ap, id, 86401, false, why, sizeof(why)), VG_EINVAL);
	ck_assert_str_eq(why, "a grant window is at most 24 hours");
	ck_assert_int_eq(vmua_approve(c, &ap, id, 90000, false, why, sizeof(why)), VG_EINVAL);
	granted(&req, "delete-data", "v/i/p", 86400);
	ck_assert_int_eq(vault_clock_advance(86400 - 10), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), 0);
	granted(&req, "delete-data", "v/i/p", 86400);
	ck_assert_int_eq(vault_clock_advance(86401), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
}
END_TEST

START_TEST(approval_rules)
{
	char why[300] = "", id[33], want[300];

	/* Not an approver. */
	ck_assert_int_eq(vmua_request(c, &req, "v", "delete-data", "v/i/p", id, why, sizeof(why)), 0);
	ck_assert_int_eq(vmua_approve(c, &req, id, 0, false, why, sizeof(why)), VG_EDENIED);
	ck_assert_str_eq(why, "req is not an approver of guard g");
	ck_assert_int_eq(vmua_approve(c, &root, id, 0, false, why, sizeof(why)), VG_EDENIED);
	/* Pending, then denied: never usable. */
	memcpy(req.grant, id, sizeof(id));
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "request %s is still pending, not approved", id);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(vmua_approve(c, &ap, id, 0, true, why, sizeof(why)), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v/i/p", why, sizeof(why)), VG_EMUA);
	snprintf(want, sizeof(want), "request %s is denied, not approved", id);
	ck_assert_str_eq(why, want);
	ck_assert_int_eq(vmua_approve(c, &ap, id, 0, false, why, sizeof(why)), VG_EBADSTATE);
	/* The requester cannot approve its own request, even as an approver. */
	ck_assert_int_eq(vmua_request(c, &ap, "v", "delete-data", "v/i/p", id, why, sizeof(why)), 0);
	ck_assert_int_eq(vmua_approve(c, &ap, id, 0, false, why, sizeof(why)), VG_EDENIED);
	ck_assert_str_eq(why, "a requester cannot approve their own request");
	/* Unknown ids and operations. */
	ck_assert_int_eq(vmua_approve(c, &ap, "nope", 0, false, why, sizeof(why)), VG_ENOTFOUND);
	ck_assert_int_eq(vmua_request(c, &req, "v", "delete", "v", id, why, sizeof(why)), VG_EINVAL);
	ck_assert_str_eq(why, "unknown critical operation delete");
}
END_TEST

START_TEST(guard_without_approvers_refuses)
{
	char why[300] = "", id[33];
	struct vr_vault w;

	ck_assert_int_eq(vcore_vault_create(c, &root, "w"), 0);
	ck_assert_int_eq(vmua_guard_create(c, &root, "g0"), 0);
	ck_assert_int_eq(vlife_vault_set(c, &root, "w", "guard", "g0", NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(vmua_request(c, &req, "w", "soft-delete-off", "w", id, why, sizeof(why)), VG_EMUA);
	ck_assert_str_eq(why, "guard g0 has no approvers: every request is refused");
	/* A vault without a guard needs no grant, and has nothing to request. */
	ck_assert_int_eq(vcore_vault_create(c, &root, "x"), 0);
	ck_assert_int_eq(vmua_request(c, &req, "x", "delete-data", "x", id, why, sizeof(why)), VG_EBADSTATE);
	ck_assert_str_eq(why, "vault x has no resource guard");
	ck_assert_int_eq(vcore_vault_get(c, "x", &w), 0);
	v = w;
	ck_assert_int_eq(check(&req, VMUA_SOFT_DELETE_OFF, "x", why, sizeof(why)), 0);
}
END_TEST

/* A guard-change grant for target, requested by who and approved by by. */
static void guard_granted(struct vcaller *who, struct vcaller *by, const char *target)
{
	char why[300] = "";

	ck_assert_msg(vmua_request(c, who, "g", "guard-change", target, who->grant, why, sizeof(why)) == 0,
		"%s", why);
	ck_assert_msg(vmua_approve(c, by, who->grant, 0, false, why, sizeof(why)) == 0, "%s", why);
}

START_TEST(guard_governs_itself)
{
	char why[300] = "";

	/* Once g has an approver, even local root needs another approver's grant. */
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "other", false, why, sizeof(why)), VG_EMUA);
	ck_assert_str_eq(why, "guard-change on g/approver-add/other is a critical operation under guard g: "
		"request an approval (vaultctl mua request) and present the grant");
	/* An approver cannot approve its own request for a second identity. */
	ck_assert_int_eq(vmua_request(c, &ap, "g", "guard-change", "g/approver-add/req", ap.grant, why,
		sizeof(why)), 0);
	ck_assert_int_eq(vmua_approve(c, &ap, ap.grant, 0, false, why, sizeof(why)), VG_EDENIED);
	ck_assert_int_eq(vmua_guard_approver(c, &ap, "g", "req", false, why, sizeof(why)), VG_EMUA);
	/* A non-approver cannot even ask. */
	ck_assert_int_eq(vmua_request(c, &req, "g", "guard-change", "g/approver-add/req", req.grant, why,
		sizeof(why)), VG_EDENIED);
	/* Root asks, the approver grants: the grant is bound to its target. */
	guard_granted(&root, &ap, "g/approver-add/other");
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "req", false, why, sizeof(why)), VG_EMUA);
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "other", false, why, sizeof(why)), 0);
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "req", false, why, sizeof(why)), VG_EMUA);
}
END_TEST

START_TEST(exclusions)
{
	char why[300] = "";

	/* A second approver, so that exclusions can be granted. */
	guard_granted(&root, &ap, "g/approver-add/other");
	ck_assert_int_eq(vmua_guard_approver(c, &root, "g", "other", false, why, sizeof(why)), 0);
	root.grant[0] = 0;

	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "soft-delete-off", false, why, sizeof(why)), VG_EPOLICY);
	ck_assert_str_eq(why, "soft-delete-off is mandatory and cannot be excluded");
	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "guard-unlink", false, why, sizeof(why)), VG_EPOLICY);
	ck_assert_str_eq(why, "guard-unlink is mandatory and cannot be excluded");
	ck_assert_int_eq(vmua_guard_exclude(c, &req, "g", "delete-data", false, why, sizeof(why)), VG_EDENIED);
	ck_assert_str_eq(why, "only an approver of guard g may change what it protects");
	ck_assert_int_eq(vmua_guard_exclude(c, &root, "g", "delete-data", false, why, sizeof(why)), VG_EDENIED);
	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "nope", false, why, sizeof(why)), VG_EINVAL);
	ck_assert_str_eq(why, "unknown critical operation nope");
	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "clock-accept", false, why, sizeof(why)), VG_EPOLICY);
	ck_assert_str_eq(why, "clock-accept is mandatory and cannot be excluded");
	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "delete-data", false, why, sizeof(why)), VG_EMUA);
	for (int op = VMUA_DELETE_DATA; op < VMUA_CLOCK_ACCEPT; op++) {
		char target[80];
		snprintf(target, sizeof(target), "g/exclude/%s", vmua_op_name((enum vmua_op)op));
		guard_granted(&ap, &other, target);
		ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", vmua_op_name((enum vmua_op)op), false, why,
			sizeof(why)), 0);
		ck_assert_int_eq(check(&req, (enum vmua_op)op, "v", why, sizeof(why)), 0);
	}
	ck_assert_int_eq(check(&req, VMUA_SOFT_DELETE_OFF, "v", why, sizeof(why)), VG_EMUA);
	ck_assert_int_eq(check(&req, VMUA_GUARD_UNLINK, "v", why, sizeof(why)), VG_EMUA);
	guard_granted(&ap, &other, "g/include/delete-data");
	ck_assert_int_eq(vmua_guard_exclude(c, &ap, "g", "delete-data", true, why, sizeof(why)), 0);
	ck_assert_int_eq(check(&req, VMUA_DELETE_DATA, "v", why, sizeof(why)), VG_EMUA);
}
END_TEST

Suite *mua_suite(void)
{
	Suite *s = suite_create("mua");
	TCase *names = tcase_create("names"), *tc = tcase_create("grants");

	tcase_add_test(names, op_names);
	suite_add_tcase(s, names);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, no_grant_refused);
	tcase_add_test(tc, guard_governs_itself);
	tcase_add_test(tc, bound_to_op_target_requester_used_once);
	tcase_add_test(tc, aborted_use_is_not_spent);
	tcase_add_test(tc, default_window_one_hour);
	tcase_add_test(tc, window_at_most_24_hours);
	tcase_add_test(tc, approval_rules);
	tcase_add_test(tc, guard_without_approvers_refuses);
	tcase_add_test(tc, exclusions);
	suite_add_tcase(s, tc);
	return s;
}
