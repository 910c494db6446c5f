/* test_keyfile.c - vault/keyfile.c: 32-byte secret files, created 0600 and
 * refused when too open, the wrong size, not regular, or not ours. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"
#include "suites.h"
#include "tutil.h"
#include "vg_err.h"

static char *dir;

static void setup(void)
{
	dir = tu_tmpdir_new();
}

static void teardown(void)
{
	tu_tmpdir_free(dir);
	dir = NULL;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Loads path expecting VG_EKEYFILE with why containing want; the key
 * buffer must not be left holding file bytes. */
static void expect_refused(const char *path, const char *want)
{
	uint8_t key[32];
	char why[512] = "";

	memset(key, 0, sizeof(key));
	ck_assert_int_eq(vk_keyfile_load(path, false, key, why, sizeof(why)), VG_EKEYFILE);
	ck_assert_msg(strstr(why, want) != NULL, "why \"%s\" lacks \"%s\"", why, want);
	ck_assert_msg(strstr(why, path) != NULL, "why \"%s\" does not name the file", why);
	ck_assert(all_zero(key, 32));
}

START_TEST(created_once_then_loaded)
{
	char *p = tu_path("%s/k", dir);
	uint8_t k1[32], k2[32];
	char why[256] = "";
	struct stat st;

	ck_assert_int_eq(vk_keyfile_load(p, true, k1, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 32);
	ck_assert(!all_zero(k1, 32));
	ck_assert_int_eq(vk_keyfile_load(p, true, k2, why, sizeof(why)), 0);
	ck_assert_mem_eq(k1, k2, 32);
	ck_assert_int_eq(vk_keyfile_load(p, false, k2, why, sizeof(why)), 0);
	ck_assert_mem_eq(k1, k2, 32);
	/* 0400 has no group or other bits: fine. */
	ck_assert_int_eq(chmod(p, 0400), 0);
	ck_assert_int_eq(vk_keyfile_load(p, false, k2, why, sizeof(why)), 0);
	free(p);
}
END_TEST

START_TEST(missing_without_create)
{
	char *p = tu_path("%s/absent", dir);

	expect_refused(p, "cannot open");
	ck_assert_int_eq(access(p, F_OK), -1);  /* not created */
	free(p);
}
END_TEST

START_TEST(cannot_create)
{
	char *p = tu_path("%s/no/such/dir/k", dir);
	uint8_t key[32];
	char why[512] = "";

	ck_assert_int_eq(vk_keyfile_load(p, true, key, why, sizeof(why)), VG_EKEYFILE);
	ck_assert_ptr_nonnull(strstr(why, "cannot create"));
	free(p);
}
END_TEST

START_TEST(wrong_size)
{
	static const size_t sizes[] = {0, 1, 31, 33, 64, 4096};
	uint8_t bytes[4096];

	memset(bytes, 0x42, sizeof(bytes));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *p = tu_path("%s/k%zu", dir, sizes[i]);
		tu_write_file(p, bytes, sizes[i], 0600);
		expect_refused(p, "exactly 32 bytes");
		free(p);
	}
}
END_TEST

START_TEST(too_open)
{
	static const mode_t modes[] = {0644, 0640, 0604, 0660, 0606, 0602, 0620, 0610, 0601, 0777};
	uint8_t bytes[32] = {1};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char *p = tu_path("%s/k%o", dir, (unsigned)modes[i]);
		tu_write_file(p, bytes, 32, modes[i]);
		expect_refused(p, "too open");
		free(p);
	}
}
END_TEST

START_TEST(not_a_regular_file)
{
	char *d = tu_path("%s/adir", dir);

	ck_assert_int_eq(mkdir(d, 0700), 0);
	expect_refused(d, "not a regular file");
	expect_refused("/dev/null", "not a regular file");
	free(d);
}
END_TEST

/* A FIFO planted at the key path must be refused, not block start-up
 * forever waiting for a writer. */
START_TEST(fifo_does_not_block)
{
	char *p = tu_path("%s/fifo", dir);

	ck_assert_int_eq(mkfifo(p, 0600), 0);
	alarm(5);  /* a hang fails the test instead of stalling the run */
	expect_refused(p, "not a regular file");
	alarm(0);
	free(p);
}
END_TEST

START_TEST(symlink_refused)
{
	char *p = tu_path("%s/real", dir), *l = tu_path("%s/link", dir);
	uint8_t bytes[32] = {9};

	tu_write_file(p, bytes, 32, 0600);
	ck_assert_int_eq(symlink(p, l), 0);
	expect_refused(l, "cannot open");
	free(p);
	free(l);
}
END_TEST

START_TEST(wrong_owner)
{
	char *p = tu_path("%s/k", dir);
	uint8_t bytes[32] = {3};

	tu_write_file(p, bytes, 32, 0600);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(p, 1, 1), 0);
		expect_refused(p, "owned by uid 1");
	} else {
		/* Unprivileged: a root-owned file is the foreign owner. */
		expect_refused("/etc/shadow", "cannot open");
	}
	free(p);
}
END_TEST

Suite *keyfile_suite(void)
{
	Suite *s = suite_create("keyfile");
	TCase *tc = tcase_create("load");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, created_once_then_loaded);
	tcase_add_test(tc, missing_without_create);
	tcase_add_test(tc, cannot_create);
	tcase_add_test(tc, wrong_size);
	tcase_add_test(tc, too_open);
	tcase_add_test(tc, not_a_regular_file);
	tcase_add_test(tc, fifo_does_not_block);
	tcase_add_test(tc, symlink_refused);
	tcase_add_test(tc, wrong_owner);
	suite_add_tcase(s, tc);
	return s;
}
