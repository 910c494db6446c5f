/* runner.c - the unit-policy runner: every suite of suites.h. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"

/* Every test's state lives under one directory that main() removes, so a
 * failing (forked) test leaves nothing behind. */
static char base_dir[256], tmp_dir[300];

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

struct vcore *tmp_core_open(void)
{
	struct vcore *c = NULL;
	char why[300] = "";

	snprintf(tmp_dir, sizeof(tmp_dir), "%s/core.XXXXXX", base_dir);
	ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
	ck_assert_msg(vcore_open(tmp_dir, &c, why, sizeof(why)) == 0, "vcore_open: %s", why);
	return c;
}

void tmp_core_close(struct vcore *c)
{
	vcore_close(c);
	nftw(tmp_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

struct vcaller tmp_caller(const char *name, int kind, int root)
{
	struct vcaller w;

	memset(&w, 0, sizeof(w));
	snprintf(w.principal, sizeof(w.principal), "%s", name);
	snprintf(w.peer, sizeof(w.peer), "unit");
	w.kind = (uint8_t)kind;
	w.root = root != 0;
	return w;
}

int main(void)
{
	const char *base = getenv("TMPDIR");
	SRunner *sr;
	int failed;

	snprintf(base_dir, sizeof(base_dir), "%s/vgunit-policy.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(base_dir)) {
		perror(base_dir);
		return EXIT_FAILURE;
	}
	sr = srunner_create(policy_suite());
	srunner_add_suite(sr, mua_suite());
	srunner_add_suite(sr, pin_suite());
	srunner_add_suite(sr, time_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	nftw(base_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
