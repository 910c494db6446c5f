/* test_audit.c - vault/audit.c: the HMAC-chained audit log. An intact
 * chain verifies; every edit, removal, reordering, insertion and
 * truncation made directly in LMDB is found by va_verify, which names the
 * first bad entry. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "db.h"
#include "record.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

#define N 6

static char *dir;
static struct vdb *db;
static struct va_audit *au;

static void append(const char *op, const char *reason)
{
	struct va_entry e = {
		.principal = "root@local", .op = op, .target = "v1/i1", .result = "ok",
		.reason = reason, .peer = "local",
	};
	MDB_txn *txn;
	uint64_t seq = 0;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(va_append(au, db, txn, 1700000000, &e, &seq), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	ck_assert_uint_gt(seq, 0);
}

static void setup(void)
{
	char why[256] = "";
	char *p;

	dir = tu_tmpdir_new();
	p = tu_path("%s/audit.key", dir);
	ck_assert_int_eq(va_open(p, &au, why, sizeof(why)), 0);
	free(p);
	ck_assert_int_eq(vdb_open(dir, 64u << 20, &db), 0);
	for (int i = 1; i <= N; i++) {
		char reason[32];
		snprintf(reason, sizeof(reason), "reason %d", i);
		append("test.op", reason);
	}
}

static void teardown(void)
{
	vdb_close(db);
	va_free(au);
	db = NULL;
	au = NULL;
	tu_tmpdir_free(dir);
	dir = NULL;
}

/* Runs va_verify expecting a break at bad with why containing want. */
static void expect_broken(uint64_t bad, const char *want)
{
	uint64_t count = 99, bad_seq = 99;
	char why[512] = "";

	ck_assert_int_eq(va_verify(au, db, &count, &bad_seq, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_msg(bad_seq == bad, "bad_seq %llu, expected %llu (%s)",
		(unsigned long long)bad_seq, (unsigned long long)bad, why);
	ck_assert_msg(strstr(why, want) != NULL, "why \"%s\" lacks \"%s\"", why, want);
}

static void expect_intact(uint64_t n)
{
	uint64_t count = 99, bad_seq = 99;
	char why[512] = "";

	ck_assert_msg(va_verify(au, db, &count, &bad_seq, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(count, n);
	ck_assert_uint_eq(bad_seq, 0);
}

/* Raw access to one audit value, the way an attacker with the file would. */
static size_t raw_get(uint64_t seq, uint8_t *out, size_t cap)
{
	MDB_txn *txn;
	MDB_val v;
	uint8_t k[8];

	vg_put_u64(k, seq);
	ck_assert_int_eq(vdb_begin(db, false, &txn), 0);
	ck_assert_int_eq(vdb_get(db, txn, VDB_AUDIT, k, 8, &v), 0);
	ck_assert_uint_le(v.mv_size, cap);
	memcpy(out, v.mv_data, v.mv_size);
	vdb_abort(txn);
	return v.mv_size;
}

static void raw_put(enum vdb_name d, const void *k, size_t kn, const void *v, size_t vn)
{
	MDB_txn *txn;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(vdb_put(db, txn, d, k, kn, v, vn, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
}

static void raw_put_seq(uint64_t seq, const void *v, size_t vn)
{
	uint8_t k[8];

	vg_put_u64(k, seq);
	raw_put(VDB_AUDIT, k, 8, v, vn);
}

static void raw_del(enum vdb_name d, const void *k, size_t kn)
{
	MDB_txn *txn;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(vdb_del(db, txn, d, k, kn), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
}

static void raw_del_seq(uint64_t seq)
{
	uint8_t k[8];

	vg_put_u64(k, seq);
	raw_del(VDB_AUDIT, k, 8);
}

/* Decodes entry seq, lets edit() change it, re-encodes it with its old
 * hash (an attacker does not hold the audit key). */
static void edit_entry(uint64_t seq, void (*edit)(struct vr_audit *))
{
	uint8_t raw[4096];
	size_t n = raw_get(seq, raw, sizeof(raw));
	struct vr_audit e;
	struct vg_wr w;

	ck_assert_int_eq(vr_audit_dec(raw, n, &e), 0);
	edit(&e);
	vg_wr_init(&w, 0);
	ck_assert_int_eq(vr_audit_enc(&w, &e), 0);
	raw_put_seq(seq, w.p, w.len);
	vg_wr_free(&w);
}

static void edit_reason(struct vr_audit *e)
{
	e->reason[0] = e->reason[0] == 'r' ? 'R' : 'r';
}

static void edit_time(struct vr_audit *e)
{
	e->time++;
}

static void edit_prev(struct vr_audit *e)
{
	e->prev[31] ^= 1;
}

static void edit_result(struct vr_audit *e)
{
	strcpy(e->result, "denied");
}

START_TEST(intact_chain)
{
	expect_intact(N);
}
END_TEST

START_TEST(empty_log_verifies)
{
	vdb_close(db);
	tu_tmpdir_free(dir);
	dir = tu_tmpdir_new();
	ck_assert_int_eq(vdb_open(dir, 64u << 20, &db), 0);
	expect_intact(0);
}
END_TEST

struct iter_st {
	uint64_t seen[16];
	int n, stop_at;
};

static int iter_cb(void *arg, const struct vr_audit *e)
{
	struct iter_st *s = arg;

	s->seen[s->n++] = e->seq;
	return s->n == s->stop_at ? 42 : 0;
}

START_TEST(iterate_in_order)
{
	struct iter_st s = {.stop_at = -1};
	MDB_txn *txn;

	ck_assert_int_eq(vdb_begin(db, false, &txn), 0);
	ck_assert_int_eq(va_iter(db, txn, 1, iter_cb, &s), 0);
	ck_assert_int_eq(s.n, N);
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(s.seen[i], (uint64_t)i + 1);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	ck_assert_int_eq(va_iter(db, txn, 4, iter_cb, &s), 0);
	ck_assert_int_eq(s.n, N - 3);
	ck_assert_uint_eq(s.seen[0], 4);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	ck_assert_int_eq(va_iter(db, txn, 1, iter_cb, &s), 42);
	ck_assert_int_eq(s.n, 2);
	memset(&s, 0, sizeof(s));
	s.stop_at = -1;
	ck_assert_int_eq(va_iter(db, txn, N + 1, iter_cb, &s), 0);
	ck_assert_int_eq(s.n, 0);
	vdb_abort(txn);
}
END_TEST

START_TEST(edited_entry)
{
	edit_entry(3, edit_reason);
	expect_broken(3, "entry 3 was altered");
}
END_TEST

START_TEST(edited_time_or_result)
{
	edit_entry(1, edit_time);
	expect_broken(1, "entry 1 was altered");
	edit_entry(1, edit_time);  /* +1 again: still not the original */
	expect_broken(1, "altered");
	teardown();
	setup();
	edit_entry(N, edit_result);
	expect_broken(N, "was altered");
}
END_TEST

START_TEST(edited_link)
{
	edit_entry(4, edit_prev);
	expect_broken(4, "entry 4 does not link to entry 3");
}
END_TEST

/* Flipping any single byte of a stored value is detected at that entry. */
START_TEST(every_byte_of_an_entry)
{
	uint8_t raw[4096];
	size_t n = raw_get(2, raw, sizeof(raw));

	for (size_t i = 0; i < n; i++) {
		raw[i] ^= 0x01;
		raw_put_seq(2, raw, n);
		expect_broken(2, "entry 2");
		raw[i] ^= 0x01;
	}
	raw_put_seq(2, raw, n);
	expect_intact(N);
}
END_TEST

START_TEST(removed_middle_entry)
{
	raw_del_seq(3);
	expect_broken(3, "entry 3 is missing or out of order");
}
END_TEST

START_TEST(removed_first_entry)
{
	raw_del_seq(1);
	expect_broken(1, "entry 1 is missing");
}
END_TEST

START_TEST(removed_last_entry)
{
	raw_del_seq(N);
	expect_broken(N, "entries were removed");
}
END_TEST

START_TEST(removed_tail_and_head_rewritten)
{
	uint8_t head[8 + 32 + 32], raw[4096];
	struct vr_audit e;
	size_t n;
	MDB_txn *txn;
	MDB_val v;

	/* Drop the last two entries and point the head at entry N-2, keeping
	 * its old MAC: the head's MAC no longer matches. */
	ck_assert_int_eq(vdb_begin(db, false, &txn), 0);
	ck_assert_int_eq(vdb_get(db, txn, VDB_META, "audit_head", 10, &v), 0);
	ck_assert_uint_eq(v.mv_size, sizeof(head));
	memcpy(head, v.mv_data, sizeof(head));
	vdb_abort(txn);
	n = raw_get(N - 2, raw, sizeof(raw));
	ck_assert_int_eq(vr_audit_dec(raw, n, &e), 0);
	raw_del_seq(N);
	raw_del_seq(N - 1);
	vg_put_u64(head, N - 2);
	memcpy(head + 8, e.hash, 32);
	raw_put(VDB_META, "audit_head", 10, head, sizeof(head));
	expect_broken(0, "the chain head was altered");
}
END_TEST

START_TEST(head_missing_or_malformed)
{
	raw_del(VDB_META, "audit_head", 10);
	expect_broken(0, "head is missing or malformed");
	raw_put(VDB_META, "audit_head", 10, "short", 5);
	expect_broken(0, "head is missing or malformed");
}
END_TEST

/* Entries 2 and 3 swapped. */
START_TEST(reordered_entries)
{
	uint8_t a[4096], b[4096];
	size_t na = raw_get(2, a, sizeof(a)), nb = raw_get(3, b, sizeof(b));

	raw_put_seq(2, b, nb);
	raw_put_seq(3, a, na);
	expect_broken(2, "entry 2 is malformed");
}
END_TEST

/* Swapped, and each value's own seq patched to its new key: the chain
 * links still give it away. */
START_TEST(reordered_entries_with_renumbered_seq)
{
	uint8_t a[4096], b[4096];
	size_t na = raw_get(2, a, sizeof(a)), nb = raw_get(3, b, sizeof(b));

	vg_put_u64(b + 1, 2);
	vg_put_u64(a + 1, 3);
	raw_put_seq(2, b, nb);
	raw_put_seq(3, a, na);
	expect_broken(2, "entry 2 does not link to entry 1");
}
END_TEST

START_TEST(truncated_entry)
{
	uint8_t raw[4096];
	size_t n = raw_get(4, raw, sizeof(raw));

	raw_put_seq(4, raw, n - 1);
	expect_broken(4, "entry 4 is malformed");
	raw_put_seq(4, raw, 1);
	expect_broken(4, "entry 4 is malformed");
	raw_put_seq(4, raw, 0);
	expect_broken(4, "entry 4 is malformed");
}
END_TEST

/* A forged entry appended after the last one. */
START_TEST(inserted_entry)
{
	uint8_t raw[4096];
	size_t n = raw_get(N, raw, sizeof(raw));

	vg_put_u64(raw + 1, N + 1);
	raw_put_seq(N + 1, raw, n);
	expect_broken(N + 1, "entry 7 does not link to entry 6");
}
END_TEST

START_TEST(junk_key)
{
	raw_put(VDB_AUDIT, "x", 1, "y", 1);
	expect_broken(N + 1, "missing or out of order");
}
END_TEST

START_TEST(another_audit_key)
{
	struct va_audit *other;
	uint64_t count, bad;
	char why[256] = "";
	char *p = tu_path("%s/other.key", dir);

	ck_assert_int_eq(va_open(p, &other, why, sizeof(why)), 0);
	ck_assert_int_eq(va_verify(other, db, &count, &bad, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_uint_eq(bad, 1);
	ck_assert_ptr_nonnull(strstr(why, "entry 1 was altered"));
	va_free(other);
	free(p);
}
END_TEST

START_TEST(append_then_abort_leaves_nothing)
{
	struct va_entry e = {.principal = "p", .op = "o", .target = "t", .result = "ok",
		.reason = "", .peer = "x"};
	MDB_txn *txn;
	uint64_t seq;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(va_append(au, db, txn, 1, &e, &seq), 0);
	ck_assert_uint_eq(seq, N + 1);
	vdb_abort(txn);
	expect_intact(N);
	append("after.abort", "");
	expect_intact(N + 1);
}
END_TEST

START_TEST(fields_are_sanitised_and_cut)
{
	char *longtarget = malloc(3000);
	struct va_entry e = {.principal = "p\tq", .op = "op\n", .target = longtarget,
		.result = "ok", .reason = "a\x01" "b\x7f", .peer = NULL};
	struct vr_audit rec;
	uint8_t raw[8192];
	MDB_txn *txn;
	size_t n;

	memset(longtarget, 't', 2999);
	longtarget[2999] = 0;
	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(va_append(au, db, txn, 2, &e, NULL), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	n = raw_get(N + 1, raw, sizeof(raw));
	ck_assert_int_eq(vr_audit_dec(raw, n, &rec), 0);
	ck_assert_str_eq(rec.principal, "p?q");
	ck_assert_str_eq(rec.op, "op?");
	ck_assert_str_eq(rec.reason, "a?b?");
	ck_assert_str_eq(rec.peer, "");
	ck_assert_uint_eq(strlen(rec.target), sizeof(rec.target) - 1);
	expect_intact(N + 1);
	free(longtarget);
}
END_TEST

START_TEST(bad_key_file)
{
	struct va_audit *a = (void *)1;
	uint8_t bytes[32] = {0};
	char why[256] = "";
	char *p = tu_path("%s/open.key", dir);

	tu_write_file(p, bytes, 32, 0644);
	ck_assert_int_eq(va_open(p, &a, why, sizeof(why)), VG_EKEYFILE);
	ck_assert_ptr_null(a);
	free(p);
}
END_TEST

Suite *audit_suite(void)
{
	Suite *s = suite_create("audit");
	TCase *ok = tcase_create("chain"), *tamper = tcase_create("tamper");

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_checked_fixture(tamper, setup, teardown);
	tcase_set_timeout(tamper, 120);
	tcase_add_test(ok, intact_chain);
	tcase_add_test(ok, empty_log_verifies);
	tcase_add_test(ok, iterate_in_order);
	tcase_add_test(ok, append_then_abort_leaves_nothing);
	tcase_add_test(ok, fields_are_sanitised_and_cut);
	tcase_add_test(ok, bad_key_file);
	tcase_add_test(tamper, edited_entry);
	tcase_add_test(tamper, edited_time_or_result);
	tcase_add_test(tamper, edited_link);
	tcase_add_test(tamper, every_byte_of_an_entry);
	tcase_add_test(tamper, removed_middle_entry);
	tcase_add_test(tamper, removed_first_entry);
	tcase_add_test(tamper, removed_last_entry);
	tcase_add_test(tamper, removed_tail_and_head_rewritten);
	tcase_add_test(tamper, head_missing_or_malformed);
	tcase_add_test(tamper, reordered_entries);
	tcase_add_test(tamper, reordered_entries_with_renumbered_seq);
	tcase_add_test(tamper, truncated_entry);
	tcase_add_test(tamper, inserted_entry);
	tcase_add_test(tamper, junk_key);
	tcase_add_test(tamper, another_audit_key);
	suite_add_tcase(s, ok);
	suite_add_tcase(s, tamper);
	return s;
}
