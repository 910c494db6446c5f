/* test_buf.c - common/buf.c: bounded read cursors, the growable writer,
 * hex, strict integer parsing and full-I/O helpers. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "suites.h"
#include "vg_err.h"

START_TEST(rd_typed_reads_are_big_endian)
{
	static const uint8_t in[] = {
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
		0x0c, 0x0d, 0x0e, 0x0f,
	};
	struct vg_rd rd;
	uint8_t a;
	uint16_t b;
	uint32_t c;
	uint64_t d;

	vg_rd_init(&rd, in, sizeof(in));
	ck_assert_int_eq(vg_rd_u8(&rd, &a), 0);
	ck_assert_int_eq(vg_rd_u16(&rd, &b), 0);
	ck_assert_int_eq(vg_rd_u32(&rd, &c), 0);
	ck_assert_int_eq(vg_rd_u64(&rd, &d), 0);
	ck_assert_uint_eq(a, 0x01);
	ck_assert_uint_eq(b, 0x0203);
	ck_assert_uint_eq(c, 0x04050607u);
	ck_assert_uint_eq(d, 0x08090a0b0c0d0e0full);
	ck_assert_uint_eq(vg_rd_left(&rd), 0);
	ck_assert_int_eq(rd.err, 0);
}
END_TEST

/* Every typed read of n bytes on a cursor with fewer left fails with
 * VG_EPROTO, consumes nothing, and poisons the cursor. */
START_TEST(rd_truncated_reads_fail_and_stick)
{
	static const uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};

	for (size_t have = 0; have < 8; have++) {
		struct vg_rd rd;
		uint64_t v64;
		uint32_t v32;
		uint16_t v16;
		uint8_t v8;
		const uint8_t *p;
		int r;

		vg_rd_init(&rd, in, have);
		switch (have) {
		case 0: r = vg_rd_u8(&rd, &v8); break;
		case 1: r = vg_rd_u16(&rd, &v16); break;
		case 2: case 3: r = vg_rd_u32(&rd, &v32); break;
		default: r = vg_rd_u64(&rd, &v64); break;
		}
		ck_assert_int_eq(r, VG_EPROTO);
		ck_assert_uint_eq(rd.off, 0);
		ck_assert_uint_eq(vg_rd_left(&rd), 0);
		/* Sticky: even a read that would fit now fails. */
		ck_assert_int_eq(vg_rd_bytes(&rd, 0, &p), VG_EPROTO);
		ck_assert_int_eq(vg_rd_u8(&rd, &v8), VG_EPROTO);
	}
}
END_TEST

START_TEST(rd_bytes_bounds)
{
	static const uint8_t in[4] = {9, 8, 7, 6};
	const uint8_t *p = NULL;
	uint8_t dst[4];
	struct vg_rd rd;

	vg_rd_init(&rd, in, sizeof(in));
	ck_assert_int_eq(vg_rd_bytes(&rd, 0, &p), 0);
	ck_assert_int_eq(vg_rd_bytes(&rd, 3, &p), 0);
	ck_assert_ptr_eq(p, in);
	ck_assert_int_eq(vg_rd_copy(&rd, dst, 2), VG_EPROTO);

	/* A length near SIZE_MAX must not wrap the bounds check. */
	vg_rd_init(&rd, in, sizeof(in));
	ck_assert_int_eq(vg_rd_u8(&rd, &dst[0]), 0);
	ck_assert_int_eq(vg_rd_bytes(&rd, SIZE_MAX, &p), VG_EPROTO);
	vg_rd_init(&rd, in, sizeof(in));
	ck_assert_int_eq(vg_rd_bytes(&rd, SIZE_MAX - 1, &p), VG_EPROTO);

	vg_rd_init(&rd, in, sizeof(in));
	ck_assert_int_eq(vg_rd_copy(&rd, dst, 4), 0);
	ck_assert_mem_eq(dst, in, 4);
}
END_TEST

START_TEST(rd_str16)
{
	char dst[8];
	struct vg_rd rd;
	static const uint8_t ok[] = {0, 3, 'a', 'b', 'c'};
	static const uint8_t empty[] = {0, 0};
	static const uint8_t nul[] = {0, 3, 'a', 0, 'c'};
	static const uint8_t trunc_len[] = {0};
	static const uint8_t trunc_val[] = {0, 4, 'a', 'b', 'c'};
	static const uint8_t fits_exactly[] = {0, 7, 'a', 'b', 'c', 'd', 'e', 'f', 'g'};
	static const uint8_t too_long[] = {0, 8, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};

	vg_rd_init(&rd, ok, sizeof(ok));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), 0);
	ck_assert_str_eq(dst, "abc");
	vg_rd_init(&rd, empty, sizeof(empty));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), 0);
	ck_assert_str_eq(dst, "");
	vg_rd_init(&rd, fits_exactly, sizeof(fits_exactly));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), 0);
	ck_assert_str_eq(dst, "abcdefg");

	vg_rd_init(&rd, nul, sizeof(nul));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), VG_EPROTO);
	ck_assert_int_eq(rd.err, VG_EPROTO);
	vg_rd_init(&rd, trunc_len, sizeof(trunc_len));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), VG_EPROTO);
	vg_rd_init(&rd, trunc_val, sizeof(trunc_val));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), VG_EPROTO);
	vg_rd_init(&rd, too_long, sizeof(too_long));
	ck_assert_int_eq(vg_rd_str16(&rd, dst, sizeof(dst)), VG_EPROTO);
}
END_TEST

START_TEST(wr_appends_big_endian)
{
	static const uint8_t want[] = {
		0xaa, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x02, 'h', 'i', 'x', '=', '4', '2',
	};
	struct vg_wr wr;

	vg_wr_init(&wr, 0);
	vg_wr_u8(&wr, 0xaa);
	vg_wr_u16(&wr, 0x1234);
	vg_wr_u32(&wr, 0xdeadbeef);
	vg_wr_u64(&wr, 0x0102030405060708ull);
	vg_wr_str16(&wr, "hi");
	vg_wr_printf(&wr, "x=%d", 42);
	vg_wr_bytes(&wr, NULL, 0);
	ck_assert_int_eq(wr.err, 0);
	ck_assert_uint_eq(wr.len, sizeof(want));
	ck_assert_mem_eq(wr.p, want, sizeof(want));
	vg_wr_reset(&wr);
	ck_assert_uint_eq(wr.len, 0);
	vg_wr_free(&wr);
	ck_assert_ptr_null(wr.p);
}
END_TEST

START_TEST(wr_growth_keeps_content)
{
	struct vg_wr wr;
	uint8_t chunk[1000];

	vg_wr_init(&wr, 0);
	for (int i = 0; i < 100; i++) {
		memset(chunk, i, sizeof(chunk));
		vg_wr_bytes(&wr, chunk, sizeof(chunk));
	}
	ck_assert_int_eq(wr.err, 0);
	ck_assert_uint_eq(wr.len, 100000);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(wr.p[i * 1000 + 999], (uint8_t)i);
	vg_wr_free(&wr);
}
END_TEST

START_TEST(wr_limit_poisons)
{
	struct vg_wr wr;
	uint8_t b[16] = {0};

	vg_wr_init(&wr, 20);
	vg_wr_bytes(&wr, b, 16);
	ck_assert_int_eq(wr.err, 0);
	vg_wr_bytes(&wr, b, 4);
	ck_assert_int_eq(wr.err, 0);
	ck_assert_uint_eq(wr.len, 20);
	vg_wr_u8(&wr, 1);
	ck_assert_int_eq(wr.err, VG_ETOOBIG);
	ck_assert_uint_eq(wr.len, 20);
	/* Poisoned: later appends, even small ones after a reset-free path,
	 * stay no-ops. */
	vg_wr_u8(&wr, 1);
	vg_wr_printf(&wr, "%s", "x");
	ck_assert_uint_eq(wr.len, 20);
	ck_assert_int_eq(vg_wr_reserve(&wr, 0), VG_ETOOBIG);
	vg_wr_reset(&wr);
	ck_assert_int_eq(wr.err, 0);
	vg_wr_u8(&wr, 7);
	ck_assert_uint_eq(wr.len, 1);
	/* A size that would overflow is refused, not wrapped. */
	ck_assert_int_eq(vg_wr_reserve(&wr, SIZE_MAX), VG_ETOOBIG);
	vg_wr_free(&wr);
}
END_TEST

START_TEST(wr_str16_too_long)
{
	struct vg_wr wr;
	char *s = malloc(70000);

	ck_assert_ptr_nonnull(s);
	memset(s, 'a', 69999);
	s[69999] = 0;
	vg_wr_init(&wr, 0);
	vg_wr_str16(&wr, s);
	ck_assert_int_eq(wr.err, VG_ETOOBIG);
	ck_assert_uint_eq(wr.len, 0);
	s[65535] = 0;
	vg_wr_reset(&wr);
	vg_wr_str16(&wr, s);
	ck_assert_int_eq(wr.err, 0);
	ck_assert_uint_eq(wr.len, 2 + 65535);
	vg_wr_free(&wr);
	free(s);
}
END_TEST

/* The release hook sees every buffer a writer gives back, before free():
 * each must be all zeros. */
static unsigned released, released_dirty;

static void note_release(const uint8_t *p, size_t cap)
{
	released++;
	for (size_t i = 0; i < cap; i++)
		if (p[i]) {
			released_dirty++;
			return;
		}
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

START_TEST(wr_wipes_on_reset_growth_and_free)
{
	static const char secret[] = "vgt-token-0123456789abcdef";
	struct vg_wr wr;
	size_t used;

	released = released_dirty = 0;
	vg_wr_set_release_hook(note_release);
	vg_wr_init(&wr, 0);
	/* Reset wipes what was written. */
	vg_wr_str16(&wr, secret);
	used = wr.len;
	vg_wr_reset(&wr);
	ck_assert_uint_eq(wr.len, 0);
	ck_assert(all_zero(wr.p, used));
	ck_assert_uint_eq(released, 0);
	/* Growth (256 -> 512 -> ... -> 8192) gives back each old buffer
	 * wiped, the secret in it included. */
	for (int i = 0; i < 200; i++)
		vg_wr_str16(&wr, secret);
	ck_assert_int_eq(wr.err, 0);
	ck_assert_uint_eq(wr.cap, 8192);
	ck_assert_uint_eq(released, 5);
	ck_assert_uint_eq(released_dirty, 0);
	/* The content survived every move. */
	ck_assert_mem_eq(wr.p + 2, secret, sizeof(secret) - 1);
	ck_assert_mem_eq(wr.p + 199 * (2 + sizeof(secret) - 1) + 2, secret, sizeof(secret) - 1);
	/* Free wipes the whole buffer, not only the used part. */
	vg_wr_free(&wr);
	ck_assert_uint_eq(released, 6);
	ck_assert_uint_eq(released_dirty, 0);
	ck_assert_ptr_null(wr.p);
	vg_wr_set_release_hook(NULL);
}
END_TEST

START_TEST(hex_roundtrip_and_refusals)
{
	static const uint8_t bin[4] = {0x00, 0x9f, 0xa0, 0xff};
	uint8_t out[4];
	char hex[9];

	vg_hex(hex, bin, 4);
	ck_assert_str_eq(hex, "009fa0ff");
	ck_assert_int_eq(vg_unhex(out, 4, hex), 0);
	ck_assert_mem_eq(out, bin, 4);
	ck_assert_int_eq(vg_unhex(out, 4, "009FA0FF"), 0);
	ck_assert_mem_eq(out, bin, 4);
	ck_assert_int_eq(vg_unhex(out, 4, "009fa0f"), VG_EINVAL);
	ck_assert_int_eq(vg_unhex(out, 4, "009fa0fff"), VG_EINVAL);
	ck_assert_int_eq(vg_unhex(out, 4, "009fa0fg"), VG_EINVAL);
	ck_assert_int_eq(vg_unhex(out, 4, "009fa0f "), VG_EINVAL);
	ck_assert_int_eq(vg_unhex(out, 4, ""), VG_EINVAL);
	ck_assert_int_eq(vg_unhex(out, 0, ""), 0);
	vg_hex(hex, bin, 0);
	ck_assert_str_eq(hex, "");
}
END_TEST

START_TEST(parse_u64_strict)
{
	uint64_t v = 77;

	ck_assert_int_eq(vg_parse_u64("0", 0, 10, &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(vg_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	ck_assert_uint_eq(v, UINT64_MAX);
	ck_assert_int_eq(vg_parse_u64("10", 10, 10, &v), 0);

	v = 77;
	ck_assert_int_eq(vg_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64(NULL, 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("-1", 0, UINT64_MAX, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("+1", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64(" 1", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("1 ", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("1x", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("0x10", 0, 100, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("11", 0, 10, &v), VG_EINVAL);
	ck_assert_int_eq(vg_parse_u64("9", 10, 20, &v), VG_EINVAL);
	ck_assert_uint_eq(v, 77);  /* untouched on failure */
}
END_TEST

START_TEST(full_io_over_a_pipe)
{
	int fds[2];
	uint8_t out[3000], in[4000];
	long n;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(vg_write_full(fds[1], out, sizeof(out)), 0);
	close(fds[1]);
	n = vg_read_full(fds[0], in, sizeof(in));
	ck_assert_int_eq(n, (long)sizeof(out));  /* short only at EOF */
	ck_assert_mem_eq(in, out, sizeof(out));
	ck_assert_int_eq(vg_read_full(fds[0], in, sizeof(in)), 0);
	close(fds[0]);
	ck_assert_int_eq(vg_read_full(fds[0], in, 1), -EBADF);
	ck_assert_int_eq(vg_write_full(fds[1], out, 1), -EBADF);
}
END_TEST

Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *rd = tcase_create("reader"), *wr = tcase_create("writer"),
	      *misc = tcase_create("helpers");

	tcase_add_test(rd, rd_typed_reads_are_big_endian);
	tcase_add_test(rd, rd_truncated_reads_fail_and_stick);
	tcase_add_test(rd, rd_bytes_bounds);
	tcase_add_test(rd, rd_str16);
	tcase_add_test(wr, wr_appends_big_endian);
	tcase_add_test(wr, wr_growth_keeps_content);
	tcase_add_test(wr, wr_limit_poisons);
	tcase_add_test(wr, wr_str16_too_long);
	tcase_add_test(wr, wr_wipes_on_reset_growth_and_free);
	tcase_add_test(misc, hex_roundtrip_and_refusals);
	tcase_add_test(misc, parse_u64_strict);
	tcase_add_test(misc, full_io_over_a_pipe);
	suite_add_tcase(s, rd);
	suite_add_tcase(s, wr);
	suite_add_tcase(s, misc);
	return s;
}
