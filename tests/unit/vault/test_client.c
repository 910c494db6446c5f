/* test_client.c - vgc_read_secret (vault/client.c): the one rule for a
 * secret read from a file or stdin (vaultctl --token-file/--pin-file,
 * vaultnotify --token-file, vaultsync remote add --token-file). */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

static int read_from(const char *content, char *out, size_t outsz)
{
	char *dir = tu_tmpdir_new(), *p = tu_path("%s/secret", dir);
	int r;

	tu_write_file(p, content, strlen(content), 0600);
	r = vgc_read_secret(p, out, outsz);
	unlink(p);
	free(p);
	tu_tmpdir_free(dir);
	return r;
}

START_TEST(line_ends_only)
{
	char out[80];

	ck_assert_int_eq(read_from("vg_abc\n", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "vg_abc");
	ck_assert_int_eq(read_from("vg_abc\r\n", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "vg_abc");
	ck_assert_int_eq(read_from("vg_abc", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "vg_abc");
	/* Only the first line counts. */
	ck_assert_int_eq(read_from("12345678\nsomething else\n", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "12345678");
}
END_TEST

START_TEST(refusals)
{
	char out[8];

	/* vaultctl used to strip trailing spaces, vaultnotify kept them: now
	 * both refuse them, and any other blank or control byte. */
	ck_assert_int_eq(read_from("vg_ab \n", out, sizeof(out)), VG_EINVAL);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(read_from(" vg_ab\n", out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(read_from("vg\tab\n", out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(read_from("vg_ab\r\r\n", out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(read_from("vg\x7f\n", out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(read_from("\n", out, sizeof(out)), VG_EINVAL);
	ck_assert_int_eq(read_from("", out, sizeof(out)), VG_EINVAL);
	/* 7 bytes fit in 8; 8 do not, and are not cut short. */
	ck_assert_int_eq(read_from("1234567\n", out, sizeof(out)), 0);
	ck_assert_int_eq(read_from("12345678\n", out, sizeof(out)), VG_ETOOBIG);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(vgc_read_secret("/nonexistent/vgt-secret", out, sizeof(out)), -ENOENT);
}
END_TEST

START_TEST(stdin_reads_one_line)
{
	static const char in[] = "vg_first\n4242\nrest";
	char out[40], rest[8];
	int p[2], saved = dup(0);

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], in, sizeof(in) - 1), (ssize_t)sizeof(in) - 1);
	close(p[1]);
	ck_assert_int_eq(dup2(p[0], 0), 0);
	ck_assert_int_eq(vgc_read_secret("-", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "vg_first");
	/* --token-file - --pin-file -: each takes its own line. */
	ck_assert_int_eq(vgc_read_secret("-", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "4242");
	ck_assert_int_eq(read(0, rest, sizeof(rest)), 4);
	ck_assert_mem_eq(rest, "rest", 4);
	dup2(saved, 0);
	close(saved);
	close(p[0]);
}
END_TEST

Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc = tcase_create("secret");

	tcase_add_test(tc, line_ends_only);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, stdin_reads_one_line);
	suite_add_tcase(s, tc);
	return s;
}
