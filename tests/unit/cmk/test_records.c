/* test_records.c - the job record (record.c): round trip, and every
 * truncation, extension and out-of-range field refused as VG_EINTEGRITY. */
#include <check.h>
#include <string.h>

#include "buf.h"
#include "cmk_suites.h"
#include "record.h"
#include "vg_err.h"

static void sample(struct vr_job *j)
{
	memset(j, 0, sizeof(*j));
	j->seq = 7;
	j->time = 1700000000;
	j->kind = VR_JOB_RESTORE;
	j->result = VR_JOB_FAILED;
	j->bytes = 123456789;
	j->point = 0x0102030405060708ull;
	strcpy(j->vault, "v1");
	strcpy(j->item, "host1:/srv");
	strcpy(j->principal, "agent-1");
	strcpy(j->detail, "key unavailable: no AES key labelled 'cmk-a'");
}

START_TEST(job_roundtrip)
{
	struct vr_job j, back;
	struct vg_wr w;

	sample(&j);
	vg_wr_init(&w, 4096);
	ck_assert_int_eq(vr_job_enc(&w, &j), 0);
	ck_assert_int_eq(vr_job_dec(w.p, w.len, &back), 0);
	ck_assert_uint_eq(back.seq, j.seq);
	ck_assert_uint_eq(back.time, j.time);
	ck_assert_uint_eq(back.kind, j.kind);
	ck_assert_uint_eq(back.result, j.result);
	ck_assert_uint_eq(back.bytes, j.bytes);
	ck_assert_uint_eq(back.point, j.point);
	ck_assert_str_eq(back.vault, j.vault);
	ck_assert_str_eq(back.item, j.item);
	ck_assert_str_eq(back.principal, j.principal);
	ck_assert_str_eq(back.detail, j.detail);
	ck_assert_str_eq(vr_job_kind_name(VR_JOB_BACKUP), "backup");
	ck_assert_str_eq(vr_job_kind_name(VR_JOB_RESTORE), "restore");
	vg_wr_free(&w);
}
END_TEST

START_TEST(job_damage_refused)
{
	struct vr_job j, back;
	struct vg_wr w;
	uint8_t buf[4096];

	sample(&j);
	vg_wr_init(&w, 4096);
	ck_assert_int_eq(vr_job_enc(&w, &j), 0);
	for (size_t n = 0; n < w.len; n++)
		ck_assert_int_eq(vr_job_dec(w.p, n, &back), VG_EINTEGRITY);   /* every truncation */
	memcpy(buf, w.p, w.len);
	buf[w.len] = 0;
	ck_assert_int_eq(vr_job_dec(buf, w.len + 1, &back), VG_EINTEGRITY); /* trailing byte */
	buf[0] = 2;                                                             /* version */
	ck_assert_int_eq(vr_job_dec(buf, w.len, &back), VG_EINTEGRITY);
	memcpy(buf, w.p, w.len);
	buf[1 + 8 + 8] = VR_JOB_SCRUB + 1;                                      /* kind: past the last */
	ck_assert_int_eq(vr_job_dec(buf, w.len, &back), VG_EINTEGRITY);
	memcpy(buf, w.p, w.len);
	buf[1 + 8 + 8 + 1] = 9;                                                 /* result */
	ck_assert_int_eq(vr_job_dec(buf, w.len, &back), VG_EINTEGRITY);
	memcpy(buf, w.p, w.len);
	buf[1 + 8 + 8 + 1 + 1 + 8 + 8] = 0xff;                                  /* vault length */
	ck_assert_int_eq(vr_job_dec(buf, w.len, &back), VG_EINTEGRITY);
	vg_wr_free(&w);
}
END_TEST

Suite *cmkrec_suite(void)
{
	Suite *s = suite_create("records");
	TCase *tc = tcase_create("job");

	tcase_add_test(tc, job_roundtrip);
	tcase_add_test(tc, job_damage_refused);
	suite_add_tcase(s, tc);
	return s;
}
