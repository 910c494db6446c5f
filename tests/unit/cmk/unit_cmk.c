/* unit_cmk.c - runs the tests/unit/cmk Check suites (meson test unit-cmk).
 * CK_RUN_SUITE / CK_RUN_CASE select a subset; CK_FORK=no runs in-process. */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmk_suites.h"

char *cmk_tmpdir(void)
{
	char tmpl[] = "/tmp/vgcmkXXXXXX";
	char *d = mkdtemp(tmpl);

	ck_assert_ptr_nonnull(d);
	return strdup(d);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void cmk_rmrf(const char *dir)
{
	if (dir)
		(void)nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	SRunner *sr = srunner_create(layers_suite());
	int failed;

	srunner_add_suite(sr, p11conf_suite());
	srunner_add_suite(sr, pkcs11_suite());
	srunner_add_suite(sr, cmkrec_suite());
	srunner_add_suite(sr, webhook_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
