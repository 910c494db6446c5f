/* test_audit_hwm.c - issue 12's audit pieces: vault/audit_hwm.c (the
 * high-water mark outside LMDB), the acknowledged breaks of vault/audit.c
 * (va_acknowledge, va_verify_report) and vault/denials.c (the refusal
 * throttle). Each refusal or break asserts its exact code. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "audit_hwm.h"
#include "buf.h"
#include "db.h"
#include "denials.h"
#include "record.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

static char *dir, *hwm;
static struct vdb *db;
static struct va_audit *au;

static uint64_t append(const char *op)
{
	struct va_entry e = {
		.principal = "root@local", .op = op, .target = "v1", .result = "ok",
		.reason = "", .peer = "local",
	};
	MDB_txn *txn;
	uint64_t seq = 0;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(va_append(au, db, txn, 1700000000, &e, &seq), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	return seq;
}

static void setup(void)
{
	char why[256] = "";
	char *p;

	dir = tu_tmpdir_new();
	p = tu_path("%s/audit.key", dir);
	ck_assert_int_eq(va_open(p, &au, why, sizeof(why)), 0);
	free(p);
	hwm = tu_path("%s/audit.hwm", dir);
	ck_assert_int_eq(vdb_open(dir, 64u << 20, &db), 0);
	for (int i = 0; i < 6; i++)
		append("test.op");
}

static void teardown(void)
{
	vdb_close(db);
	va_free(au);
	free(hwm);
	tu_tmpdir_free(dir);
}

/* Changes one byte of entry seq's stored value (its last byte: the hash). */
static void damage(uint64_t seq)
{
	uint8_t k[8], buf[4096];
	MDB_txn *txn;
	MDB_val v;

	vg_put_u64(k, seq);
	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(db, txn, VDB_AUDIT, k, 8, &v), 0);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[v.mv_size - 1] ^= 1;
	ck_assert_int_eq(vdb_put(db, txn, VDB_AUDIT, k, 8, buf, v.mv_size, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
}

static uint64_t acknowledge(uint64_t brk)
{
	struct va_entry e = {
		.principal = "root@local", .op = "audit.acknowledge", .target = "audit",
		.result = "ok", .reason = "unit", .peer = "local",
	};
	MDB_txn *txn;
	uint64_t seq = 0;

	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(va_acknowledge(au, db, txn, 1700000000, &e, brk, &seq), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	return seq;
}

START_TEST(acknowledged_break_verifies_around_it)
{
	struct va_report rep;
	char why[512] = "";
	uint64_t ack;

	damage(3);
	ck_assert_int_eq(va_verify_report(au, db, &rep, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_uint_eq(rep.bad_seq, 3);
	ack = acknowledge(3);
	ck_assert_uint_eq(ack, 7);
	append("after.1");
	append("after.2");
	ck_assert_msg(va_verify_report(au, db, &rep, why, sizeof(why)) == 0, "%s", why);
	ck_assert_uint_eq(rep.acks, 1);
	ck_assert_uint_eq(rep.known_break, 3);
	ck_assert_uint_eq(rep.ack_seq, 7);
	ck_assert_uint_eq(rep.count, 2 + 3);  /* 1-2, then 7-9 */
	ck_assert_uint_eq(rep.head_version, 2);
	/* New damage after the acknowledgment is a break. */
	damage(8);
	ck_assert_int_eq(va_verify_report(au, db, &rep, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_uint_eq(rep.bad_seq, 8);
}
END_TEST

START_TEST(damage_before_the_known_break_is_a_break)
{
	struct va_report rep;
	char why[512] = "";

	damage(4);
	acknowledge(4);
	damage(2);
	ck_assert_int_eq(va_verify_report(au, db, &rep, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_uint_eq(rep.bad_seq, 2);
}
END_TEST

START_TEST(altered_acknowledgment_record)
{
	uint8_t key[sizeof("audit_epoch") + 8];
	struct va_report rep;
	char why[512] = "";
	MDB_txn *txn;
	MDB_val v;
	uint8_t buf[128];
	uint64_t ack;

	damage(3);
	ack = acknowledge(3);
	memcpy(key, "audit_epoch/", sizeof("audit_epoch"));
	vg_put_u64(key + sizeof("audit_epoch"), ack);
	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(db, txn, VDB_META, key, sizeof(key), &v), 0);
	memcpy(buf, v.mv_data, v.mv_size);
	buf[8 + 32] ^= 1;  /* the break it names: 3 -> another */
	ck_assert_int_eq(vdb_put(db, txn, VDB_META, key, sizeof(key), buf, v.mv_size, false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	ck_assert_int_eq(va_verify_report(au, db, &rep, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_msg(strstr(why, "acknowledged break was altered") != NULL, "%s", why);
}
END_TEST

START_TEST(hwm_round_trip_and_slots)
{
	struct va_hwm h = {.gen = 1, .seq = 5}, r;
	size_t n;
	uint8_t *raw;

	memset(h.hash, 0xab, sizeof(h.hash));
	ck_assert_int_eq(va_hwm_read(au, hwm, &r), VG_ENOTFOUND);
	ck_assert_int_eq(va_hwm_write(au, hwm, &h), 0);
	h.gen = 2;
	h.seq = 6;
	ck_assert_int_eq(va_hwm_write(au, hwm, &h), 0);
	ck_assert_int_eq(va_hwm_read(au, hwm, &r), 0);
	ck_assert_uint_eq(r.gen, 2);
	ck_assert_uint_eq(r.seq, 6);
	/* A torn newest slot (gen 2 lives in slot 0): the older one stands. */
	tu_flip_bit(hwm, 20, 0);
	ck_assert_int_eq(va_hwm_read(au, hwm, &r), 0);
	ck_assert_uint_eq(r.gen, 1);
	ck_assert_uint_eq(r.seq, 5);
	/* Both slots bad: no mark. */
	tu_flip_bit(hwm, 128 + 20, 0);
	ck_assert_int_eq(va_hwm_read(au, hwm, &r), VG_EINTEGRITY);
	raw = tu_read_file(hwm, &n);
	ck_assert_uint_eq(n, 256);
	free(raw);
}
END_TEST

START_TEST(hwm_finds_a_cut)
{
	struct va_hwm h = {0};
	char why[512] = "";
	uint64_t brk;
	MDB_txn *txn;
	uint8_t k[8], head[72];
	MDB_val v;

	ck_assert_int_eq(va_hwm_sync(au, db, hwm, &h), 0);
	ck_assert_uint_eq(h.seq, 6);
	ck_assert_int_eq(va_hwm_check(au, db, hwm, &h, &brk, why, sizeof(why)), 0);
	/* Save the head at 4 the way an attacker would: append, cut back. */
	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	ck_assert_int_eq(vdb_get(db, txn, VDB_META, "audit_head", 10, &v), 0);
	memcpy(head, v.mv_data, sizeof(head));
	vdb_abort(txn);
	append("deleted.later");
	ck_assert_int_eq(va_hwm_sync(au, db, hwm, &h), 0);
	ck_assert_uint_eq(h.seq, 7);
	ck_assert_int_eq(vdb_begin(db, true, &txn), 0);
	vg_put_u64(k, 7);
	ck_assert_int_eq(vdb_del(db, txn, VDB_AUDIT, k, 8), 0);
	ck_assert_int_eq(vdb_put(db, txn, VDB_META, "audit_head", 10, head, sizeof(head), false), 0);
	ck_assert_int_eq(vdb_commit(txn), 0);
	ck_assert_int_eq(va_hwm_check(au, db, hwm, &h, &brk, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_uint_eq(brk, 7);
	ck_assert_msg(strstr(why, "entries 7-7 were cut") != NULL, "%s", why);
	/* Written again to the same length: entry 7 is not the one held. */
	append("rewritten");
	ck_assert_int_eq(va_hwm_check(au, db, hwm, &h, &brk, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_msg(strstr(why, "entry 7 is not the one the log held") != NULL, "%s", why);
	/* The mark deleted while the head says one is kept. */
	ck_assert_int_eq(unlink(hwm), 0);
	ck_assert_int_eq(va_hwm_check(au, db, hwm, &h, &brk, why, sizeof(why)), VG_EINTEGRITY);
	ck_assert_msg(strstr(why, "is missing") != NULL, "%s", why);
}
END_TEST

START_TEST(denials_first_of_a_kind_then_counted)
{
	struct vcaller rd = {.principal = "rd", .peer = "p"};
	unsigned f;

	ck_assert_uint_eq(vdeny_note(&rd, "item.create", "v1", "no") & VDENY_WRITE, VDENY_WRITE);
	for (int i = 2; i < VDENY_FLOOD; i++)
		ck_assert_uint_eq(vdeny_note(&rd, "item.create", "v1", "no"), 0);
	f = vdeny_note(&rd, "item.create", "v1", "no");
	ck_assert_uint_eq(f, VDENY_FLOOD_ALERT);           /* the 100th: once */
	ck_assert_uint_eq(vdeny_note(&rd, "item.create", "v1", "no"), 0);
	/* Another reason, target or op is another kind. */
	ck_assert_uint_eq(vdeny_note(&rd, "item.create", "v1", "other") & VDENY_WRITE, VDENY_WRITE);
	ck_assert_uint_eq(vdeny_note(&rd, "item.create", "v2", "no") & VDENY_WRITE, VDENY_WRITE);
	/* Critical operations: the third refusal alerts. */
	ck_assert_uint_eq(vdeny_note(&rd, "point.delete", "v1/i", "no") & VDENY_CRIT_ALERT, 0);
	ck_assert_uint_eq(vdeny_note(&rd, "point.delete", "v1/i", "no") & VDENY_CRIT_ALERT, 0);
	ck_assert_uint_eq(vdeny_note(&rd, "vault.delete", "v1", "no") & VDENY_CRIT_ALERT,
		VDENY_CRIT_ALERT);
	/* A failure is another kind than a refusal, and never a critical denial. */
	ck_assert_uint_eq(vdeny_note_result(&rd, "item.create", "failed", "v1", "no"), VDENY_WRITE);
	ck_assert_uint_eq(vdeny_note_result(&rd, "item.create", "failed", "v1", "no"), 0);
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(vdeny_note_result(&rd, "vault.key", "failed", "v9", "x") &
			VDENY_CRIT_ALERT, 0);
	ck_assert(vdeny_critical_op("vault.key"));
	ck_assert(!vdeny_critical_op("vault.get"));
}
END_TEST

START_TEST(denials_new_kinds_are_bounded)
{
	struct vcaller rd = {.principal = "rd", .peer = "p"}, other = {.principal = "x", .peer = "p"};
	char target[32];
	int written = 0;

	for (int i = 0; i < 500; i++) {
		snprintf(target, sizeof(target), "v%d", i);
		written += (vdeny_note(&rd, "vault.get", target, "no") & VDENY_WRITE) != 0;
	}
	ck_assert_int_eq(written, VDENY_KINDS_PER_MIN);
	/* Over every principal: the global budget. */
	for (int p = 0; p < 20; p++) {
		snprintf(other.principal, sizeof(other.principal), "u%d", p);
		for (int i = 0; i < 100; i++) {
			snprintf(target, sizeof(target), "w%d", i);
			written += (vdeny_note(&other, "vault.get", target, "no") & VDENY_WRITE) != 0;
		}
	}
	ck_assert_int_eq(written, VDENY_KINDS_GLOBAL_PER_MIN);
}
END_TEST

/* db.c: a small LMDB map fills; the reserve check says so first, and the
 * full map is VG_ENOSPACE, not an internal error. */
START_TEST(small_map_reserve_then_full)
{
	char *d = tu_tmpdir_new(), why[400] = "";
	struct vdb *small;
	uint8_t val[2000], key[8];
	MDB_txn *txn;
	int r = 0, low_seen = 0;

	memset(val, 0x5a, sizeof(val));
	ck_assert_int_eq(vdb_open(d, 1u << 20, &small), 0);
	ck_assert_int_eq(vdb_space_low(small, 64u << 10, why, sizeof(why)), 0);
	for (uint64_t i = 0; i < 10000 && !r; i++) {
		if (!low_seen && vdb_space_low(small, 256u << 10, why, sizeof(why)) == VG_ENOSPACE) {
			low_seen = 1;
			ck_assert_msg(strstr(why, "metadata space low: the LMDB map of") != NULL, "%s", why);
		}
		vg_put_u64(key, i);
		ck_assert_int_eq(vdb_begin(small, true, &txn), 0);
		r = vdb_put(small, txn, VDB_META, key, 8, val, sizeof(val), false);
		if (r)
			vdb_abort(txn);
		else
			r = vdb_commit(txn);
	}
	ck_assert_int_eq(r, VG_ENOSPACE);
	ck_assert_int_eq(low_seen, 1);
	vdb_close(small);
	tu_tmpdir_free(d);
}
END_TEST

/* Which errors the audit records as "denied" is decided in one place
 * (vdeny_result); this pins the list over every code there is, so a code
 * added or moved shows here. Everything else is "failed". */
START_TEST(denials_one_classification)
{
	static const int want[] = {
		VG_EAUTH, VG_EDENIED, VG_EIMMUTABLE, VG_EPOLICY, VG_EMUA, VG_EPIN, VG_ENAME,
		VG_ELIMIT, VG_EBADSTATE,
	};
	unsigned found = 0;

	for (int r = VG_EBASE; r < VG_ELAST; r++) {
		bool listed = false;

		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			listed |= r == want[i];
		ck_assert_msg(vdeny_is_refusal(r) == listed, "%s (%d)", vg_strerror(r), r);
		ck_assert_str_eq(vdeny_result(r), listed ? "denied" : "failed");
		found += listed;
	}
	ck_assert_uint_eq(found, sizeof(want) / sizeof(want[0]));
	/* errno values (I/O, ENOMEM) and success are never refusals. */
	for (int r = -4095; r <= 0; r++)
		ck_assert(!vdeny_is_refusal(r));
	ck_assert_str_eq(vdeny_result(-EIO), "failed");
	ck_assert_str_eq(vdeny_result(VG_ENOTFOUND), "failed");
	ck_assert_str_eq(vdeny_result(VG_EINVAL), "failed");
}
END_TEST

Suite *audit_hwm_suite(void)
{
	Suite *s = suite_create("audit_hwm");
	TCase *a = tcase_create("acknowledged"), *h = tcase_create("hwm"), *d = tcase_create("denials");

	tcase_add_checked_fixture(a, setup, teardown);
	tcase_add_checked_fixture(h, setup, teardown);
	tcase_add_checked_fixture(d, vdeny_reset, NULL);
	tcase_add_test(a, acknowledged_break_verifies_around_it);
	tcase_add_test(a, damage_before_the_known_break_is_a_break);
	tcase_add_test(a, altered_acknowledgment_record);
	tcase_add_test(h, hwm_round_trip_and_slots);
	tcase_add_test(h, hwm_finds_a_cut);
	tcase_add_test(d, denials_first_of_a_kind_then_counted);
	tcase_add_test(d, denials_new_kinds_are_bounded);
	tcase_add_test(d, denials_one_classification);
	tcase_add_test(h, small_map_reserve_then_full);
	suite_add_tcase(s, a);
	suite_add_tcase(s, h);
	suite_add_tcase(s, d);
	return s;
}
