#include <stdio.h>
/* test_record.c - vault/record.c: every LMDB record layout round-trips,
 * and every damaged value (truncated, extended, wrong version, bad enum,
 * bad string) decodes to VG_EINTEGRITY. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "record.h"
#include "suites.h"
#include "vg_err.h"

/* One table drives the generic checks over all six record types. */
enum { R_VAULT, R_ITEM, R_POINT, R_OBJECT, R_BLOBREF, R_AUDIT, R_N };

union anyrec {
	struct vr_vault vault;
	struct vr_item item;
	struct vr_point point;
	struct vr_object object;
	struct vr_blobref blobref;
	struct vr_audit audit;
};

static void sample(int type, union anyrec *u)
{
	memset(u, 0, sizeof(*u));
	switch (type) {
	case R_VAULT:
		u->vault.id = 0x0102030405060708ull;
		u->vault.created = 1700000000;
		u->vault.state = VR_V_SOFTDELETED;
		u->vault.deleted_at = 1700000100;
		u->vault.purge_at = 1700000200;
		u->vault.sd_state = VR_SD_ALWAYS;
		u->vault.sd_days = 180;
		u->vault.immut = VR_IMM_LOCKED;
		strcpy(u->vault.guard, "guard1");
		u->vault.mua_excl = 0x5;
		strcpy(u->vault.keyref, "local");
		u->vault.wrapped_len = 60;
		memset(u->vault.wrapped, 0xab, 60);
		u->vault.infra = 1;
		u->vault.infra_wrapped_len = VK_WRAPPED_MAX;
		memset(u->vault.infra_wrapped, 0xcd, VK_WRAPPED_MAX);
		break;
	case R_ITEM:
		u->item.id = 11;
		u->item.vault_id = 12;
		u->item.created = 13;
		strcpy(u->item.kind, "restic");
		u->item.state = VR_I_SOFTDELETED;
		u->item.deleted_at = 14;
		u->item.purge_at = 15;
		strcpy(u->item.owner, "agent1");
		snprintf(u->item.policy, sizeof(u->item.policy), "weekly-gfs");
		u->item.repo_point = 16;
		u->item.last_success = 17;
		u->item.last_failure = 18;
		break;
	case R_POINT:
		u->point.id = 21;
		u->point.item_id = 22;
		u->point.state = VR_P_SOFTDELETED;
		u->point.kind = VR_PK_SNAPSHOT;
		u->point.created = 23;
		u->point.committed = 24;
		u->point.expiry = 25;
		u->point.deleted_at = 26;
		u->point.purge_at = 27;
		u->point.bytes = 1ull << 40;
		u->point.objects = 3;
		u->point.session = 29;
		strcpy(u->point.principal, "root@local");
		strcpy(u->point.ref, "snapshots:abc");
		break;
	case R_OBJECT:
		memset(u->object.blob, 0x11, sizeof(u->object.blob));
		u->object.size = 123456789;
		u->object.seg_size = 1u << 20;
		memset(u->object.sha256, 0x22, sizeof(u->object.sha256));
		u->object.created = 31;
		u->object.state = VR_O_SOFTDELETED;
		u->object.deleted_at = 32;
		u->object.purge_at = 33;
		break;
	case R_BLOBREF:
		u->blobref.vault_id = 41;
		u->blobref.item_id = 42;
		u->blobref.point_id = 43;
		strcpy(u->blobref.object, "file.tar");
		break;
	case R_AUDIT:
		u->audit.seq = 51;
		u->audit.time = 52;
		strcpy(u->audit.principal, "root@local");
		strcpy(u->audit.op, "object.put");
		strcpy(u->audit.target, "v/i/0123456789abcdef/obj");
		strcpy(u->audit.result, "ok");
		strcpy(u->audit.reason, "3 bytes");
		strcpy(u->audit.peer, "local");
		memset(u->audit.prev, 0x33, sizeof(u->audit.prev));
		memset(u->audit.hash, 0x44, sizeof(u->audit.hash));
		break;
	}
}

static int enc(int type, struct vg_wr *w, const union anyrec *u)
{
	switch (type) {
	case R_VAULT: return vr_vault_enc(w, &u->vault);
	case R_ITEM: return vr_item_enc(w, &u->item);
	case R_POINT: return vr_point_enc(w, &u->point);
	case R_OBJECT: return vr_object_enc(w, &u->object);
	case R_BLOBREF: return vr_blobref_enc(w, &u->blobref);
	default: return vr_audit_enc(w, &u->audit);
	}
}

static int dec(int type, const void *p, size_t n, union anyrec *u)
{
	switch (type) {
	case R_VAULT: return vr_vault_dec(p, n, &u->vault);
	case R_ITEM: return vr_item_dec(p, n, &u->item);
	case R_POINT: return vr_point_dec(p, n, &u->point);
	case R_OBJECT: return vr_object_dec(p, n, &u->object);
	case R_BLOBREF: return vr_blobref_dec(p, n, &u->blobref);
	default: return vr_audit_dec(p, n, &u->audit);
	}
}

static size_t rec_size(int type)
{
	switch (type) {
	case R_VAULT: return sizeof(struct vr_vault);
	case R_ITEM: return sizeof(struct vr_item);
	case R_POINT: return sizeof(struct vr_point);
	case R_OBJECT: return sizeof(struct vr_object);
	case R_BLOBREF: return sizeof(struct vr_blobref);
	default: return sizeof(struct vr_audit);
	}
}

/* Decodes from an exact-size heap copy so a sanitizer sees any overread. */
static int dec_exact(int type, const uint8_t *p, size_t n, union anyrec *u)
{
	uint8_t *c = malloc(n ? n : 1);
	int r;

	memcpy(c, p, n);
	r = dec(type, c, n, u);
	free(c);
	return r;
}

static void encoded(int type, struct vg_wr *w)
{
	union anyrec u;

	sample(type, &u);
	vg_wr_init(w, 0);
	ck_assert_int_eq(enc(type, w, &u), 0);
}

START_TEST(roundtrip)
{
	union anyrec in, out;
	struct vg_wr w, w2;

	sample(_i, &in);
	encoded(_i, &w);
	ck_assert_int_eq(w.p[0], 1);  /* layout version */
	memset(&out, 0xee, sizeof(out));
	ck_assert_int_eq(dec_exact(_i, w.p, w.len, &out), 0);
	/* Field by field through a re-encode: identical bytes. */
	vg_wr_init(&w2, 0);
	ck_assert_int_eq(enc(_i, &w2, &out), 0);
	ck_assert_uint_eq(w2.len, w.len);
	ck_assert_mem_eq(w2.p, w.p, w.len);
	/* And the decoded struct equals the input (both zero-filled first). */
	ck_assert_mem_eq(&out, &in, rec_size(_i));
	vg_wr_free(&w);
	vg_wr_free(&w2);
}
END_TEST

START_TEST(every_truncation)
{
	struct vg_wr w;
	union anyrec out;

	encoded(_i, &w);
	for (size_t n = 0; n < w.len; n++)
		ck_assert_msg(dec_exact(_i, w.p, n, &out) == VG_EINTEGRITY,
			"type %d cut to %zu of %zu bytes", _i, n, w.len);
	vg_wr_free(&w);
}
END_TEST

START_TEST(extended)
{
	struct vg_wr w;
	union anyrec out;

	encoded(_i, &w);
	vg_wr_u8(&w, 0);
	ck_assert_int_eq(dec_exact(_i, w.p, w.len, &out), VG_EINTEGRITY);
	vg_wr_bytes(&w, "trailing garbage", 16);
	ck_assert_int_eq(dec_exact(_i, w.p, w.len, &out), VG_EINTEGRITY);
	vg_wr_free(&w);
}
END_TEST

START_TEST(wrong_version)
{
	static const uint8_t versions[] = {0, 2, 0x7f, 0x80, 0xff};
	struct vg_wr w;
	union anyrec out;

	encoded(_i, &w);
	for (size_t i = 0; i < sizeof(versions); i++) {
		w.p[0] = versions[i];
		ck_assert_msg(dec_exact(_i, w.p, w.len, &out) == VG_EINTEGRITY,
			"type %d version %u", _i, versions[i]);
	}
	vg_wr_free(&w);
}
END_TEST

/* Any single-byte change decodes to the same value, a different valid
 * value, or VG_EINTEGRITY: never a crash, never another error code. */
START_TEST(single_byte_mutations)
{
	struct vg_wr w;
	union anyrec out;

	encoded(_i, &w);
	for (size_t i = 0; i < w.len; i++) {
		uint8_t keep = w.p[i];
		static const uint8_t vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
		for (size_t v = 0; v < sizeof(vals); v++) {
			int r;
			w.p[i] = vals[v];
			r = dec_exact(_i, w.p, w.len, &out);
			ck_assert_msg(r == 0 || r == VG_EINTEGRITY, "type %d byte %zu=%02x: %d",
				_i, i, vals[v], r);
		}
		w.p[i] = keep;
	}
	vg_wr_free(&w);
}
END_TEST

/* Offsets of single-byte enum fields in each layout (after the version). */
START_TEST(enum_out_of_range)
{
	struct vg_wr w;
	union anyrec u, out;

	/* vault: state at 17, sd_state at 34, immut at 37. */
	sample(R_VAULT, &u);
	u.vault.state = 2;
	vg_wr_init(&w, 0);
	ck_assert_int_eq(vr_vault_enc(&w, &u.vault), 0);
	ck_assert_int_eq(vr_vault_dec(w.p, w.len, &out.vault), VG_EINTEGRITY);
	sample(R_VAULT, &u);
	u.vault.sd_state = 3;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_vault_enc(&w, &u.vault), 0);
	ck_assert_int_eq(vr_vault_dec(w.p, w.len, &out.vault), VG_EINTEGRITY);
	sample(R_VAULT, &u);
	u.vault.immut = 3;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_vault_enc(&w, &u.vault), 0);
	ck_assert_int_eq(vr_vault_dec(w.p, w.len, &out.vault), VG_EINTEGRITY);

	sample(R_ITEM, &u);
	u.item.state = 3;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_item_enc(&w, &u.item), 0);
	ck_assert_int_eq(vr_item_dec(w.p, w.len, &out.item), VG_EINTEGRITY);

	sample(R_POINT, &u);
	u.point.state = 3;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_point_enc(&w, &u.point), 0);
	ck_assert_int_eq(vr_point_dec(w.p, w.len, &out.point), VG_EINTEGRITY);
	sample(R_POINT, &u);
	u.point.kind = 3;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_point_enc(&w, &u.point), 0);
	ck_assert_int_eq(vr_point_dec(w.p, w.len, &out.point), VG_EINTEGRITY);

	sample(R_OBJECT, &u);
	u.object.state = 2;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_object_enc(&w, &u.object), 0);
	ck_assert_int_eq(vr_object_dec(w.p, w.len, &out.object), VG_EINTEGRITY);
	sample(R_OBJECT, &u);
	u.object.seg_size = 0;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_object_enc(&w, &u.object), 0);
	ck_assert_int_eq(vr_object_dec(w.p, w.len, &out.object), VG_EINTEGRITY);
	sample(R_OBJECT, &u);
	u.object.seg_size = (64u << 20) + 1;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_object_enc(&w, &u.object), 0);
	ck_assert_int_eq(vr_object_dec(w.p, w.len, &out.object), VG_EINTEGRITY);
	sample(R_OBJECT, &u);
	u.object.seg_size = 64u << 20;
	vg_wr_reset(&w);
	ck_assert_int_eq(vr_object_enc(&w, &u.object), 0);
	ck_assert_int_eq(vr_object_dec(w.p, w.len, &out.object), 0);
	vg_wr_free(&w);
}
END_TEST

/* Strings: a NUL inside, or longer than the field holds. */
START_TEST(bad_strings)
{
	struct vg_wr w;
	union anyrec u, out;
	char long_kind[40];
	size_t at;

	/* item.kind is the first string of an item: version(1) + 3 u64. */
	sample(R_ITEM, &u);
	vg_wr_init(&w, 0);
	ck_assert_int_eq(vr_item_enc(&w, &u.item), 0);
	at = 1 + 24;
	ck_assert_uint_eq(vg_get_u16(w.p + at), 6);
	ck_assert_mem_eq(w.p + at + 2, "restic", 6);
	w.p[at + 2 + 2] = 0;  /* "re\0tic" */
	ck_assert_int_eq(vr_item_dec(w.p, w.len, &out.item), VG_EINTEGRITY);

	/* A 20-byte kind does not fit char kind[16]. */
	memset(long_kind, 'k', 20);
	long_kind[20] = 0;
	vg_wr_reset(&w);
	vg_wr_u8(&w, 1);
	vg_wr_u64(&w, 1);
	vg_wr_u64(&w, 2);
	vg_wr_u64(&w, 3);
	vg_wr_str16(&w, long_kind);
	vg_wr_u8(&w, 0);
	vg_wr_u64(&w, 0);
	vg_wr_u64(&w, 0);
	vg_wr_str16(&w, "o");
	vg_wr_str16(&w, "default");  /* policy */
	vg_wr_u8(&w, 0);             /* sd_alerted */
	for (int i = 0; i < 3; i++)
		vg_wr_u64(&w, 0);
	ck_assert_int_eq(vr_item_dec(w.p, w.len, &out.item), VG_EINTEGRITY);
	/* The same layout with a 15-byte kind is fine (proves the layout). */
	long_kind[15] = 0;
	vg_wr_reset(&w);
	vg_wr_u8(&w, 1);
	vg_wr_u64(&w, 1);
	vg_wr_u64(&w, 2);
	vg_wr_u64(&w, 3);
	vg_wr_str16(&w, long_kind);
	vg_wr_u8(&w, 0);
	vg_wr_u64(&w, 0);
	vg_wr_u64(&w, 0);
	vg_wr_str16(&w, "o");
	vg_wr_str16(&w, "default");  /* policy */
	vg_wr_u8(&w, 0);             /* sd_alerted */
	for (int i = 0; i < 3; i++)
		vg_wr_u64(&w, 0);
	ck_assert_int_eq(vr_item_dec(w.p, w.len, &out.item), 0);
	ck_assert_str_eq(out.item.kind, long_kind);
	vg_wr_free(&w);
}
END_TEST

START_TEST(wrapped_dek_over_capacity)
{
	struct vg_wr w;
	union anyrec u, out;
	size_t at;

	sample(R_VAULT, &u);
	vg_wr_init(&w, 0);
	ck_assert_int_eq(vr_vault_enc(&w, &u.vault), 0);
	/* version, id, created, state, deleted, purge, sd_state, sd_days,
	 * immut, guard(2+6), mua_excl, keyref(2+5), then wrapped_len. */
	at = 1 + 8 + 8 + 1 + 8 + 8 + 1 + 2 + 1 + 8 + 4 + 7;
	ck_assert_uint_eq(vg_get_u16(w.p + at), 60);
	vg_put_u16(w.p + at, VK_WRAPPED_MAX + 1);
	ck_assert_int_eq(vr_vault_dec(w.p, w.len, &out.vault), VG_EINTEGRITY);
	vg_put_u16(w.p + at, 0xffff);
	ck_assert_int_eq(vr_vault_dec(w.p, w.len, &out.vault), VG_EINTEGRITY);
	vg_wr_free(&w);
}
END_TEST

START_TEST(audit_body_is_record_without_hash)
{
	union anyrec u;
	struct vg_wr body, full;

	sample(R_AUDIT, &u);
	vg_wr_init(&body, 0);
	vg_wr_init(&full, 0);
	ck_assert_int_eq(vr_audit_body(&body, &u.audit), 0);
	ck_assert_int_eq(vr_audit_enc(&full, &u.audit), 0);
	ck_assert_uint_eq(full.len, body.len + VC_HASH_LEN);
	ck_assert_mem_eq(full.p, body.p, body.len);
	ck_assert_mem_eq(full.p + body.len, u.audit.hash, VC_HASH_LEN);
	vg_wr_free(&body);
	vg_wr_free(&full);
}
END_TEST

START_TEST(keys_sort_by_id)
{
	uint8_t a[8 + 16], b[8 + 16];

	ck_assert_uint_eq(vr_key_id_name(a, 0x0102030405060708ull, "name"), 12);
	ck_assert_mem_eq(a, "\x01\x02\x03\x04\x05\x06\x07\x08name", 12);
	ck_assert_uint_eq(vr_key_id_id(a, 1, 0xff), 16);
	ck_assert_uint_eq(vr_key_id_id(b, 2, 0), 16);
	ck_assert_int_lt(memcmp(a, b, 16), 0);  /* big-endian: id order is byte order */
	ck_assert_uint_eq(vr_key_id_id(b, 1, 0x100), 16);
	ck_assert_int_lt(memcmp(a, b, 16), 0);
}
END_TEST

START_TEST(state_names)
{
	ck_assert_str_eq(vr_sd_name(VR_SD_OFF), "off");
	ck_assert_str_eq(vr_sd_name(VR_SD_ALWAYS), "always-on");
	ck_assert_str_eq(vr_sd_name(3), "?");
	ck_assert_str_eq(vr_immut_name(VR_IMM_LOCKED), "locked");
	ck_assert_str_eq(vr_immut_name(9), "?");
	ck_assert_str_eq(vr_item_state_name(VR_I_STOPPED), "stopped-retain");
	ck_assert_str_eq(vr_item_state_name(3), "?");
	ck_assert_str_eq(vr_point_state_name(VR_P_PENDING), "pending");
	ck_assert_str_eq(vr_point_state_name(VR_P_ACTIVE), "active");
	ck_assert_str_eq(vr_point_state_name(255), "?");
}
END_TEST

Suite *record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *gen = tcase_create("layouts"), *spec = tcase_create("fields");

	tcase_add_loop_test(gen, roundtrip, 0, R_N);
	tcase_add_loop_test(gen, every_truncation, 0, R_N);
	tcase_add_loop_test(gen, extended, 0, R_N);
	tcase_add_loop_test(gen, wrong_version, 0, R_N);
	tcase_add_loop_test(gen, single_byte_mutations, 0, R_N);
	tcase_add_test(spec, enum_out_of_range);
	tcase_add_test(spec, bad_strings);
	tcase_add_test(spec, wrapped_dek_over_capacity);
	tcase_add_test(spec, audit_body_is_record_without_hash);
	tcase_add_test(spec, keys_sort_by_id);
	tcase_add_test(spec, state_names);
	suite_add_tcase(s, gen);
	suite_add_tcase(s, spec);
	return s;
}
