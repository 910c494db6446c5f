/* runner.c - runs every vault-core Check suite (meson test unit-vault).
 *
 * Check's own environment variables select a subset: CK_RUN_SUITE=store,
 * CK_RUN_CASE=tamper; CK_FORK=no runs in-process (for a debugger). */
#include <check.h>
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(err_suite());
	int failed;

	srunner_add_suite(sr, buf_suite());
	srunner_add_suite(sr, wire_suite());
	srunner_add_suite(sr, names_suite());
	srunner_add_suite(sr, peer_suite());
	srunner_add_suite(sr, crypto_suite());
	srunner_add_suite(sr, keyfile_suite());
	srunner_add_suite(sr, keys_local_suite());
	srunner_add_suite(sr, store_suite());
	srunner_add_suite(sr, record_suite());
	srunner_add_suite(sr, audit_suite());
	srunner_add_suite(sr, audit_hwm_suite());
	srunner_add_suite(sr, core_suite());
	srunner_add_suite(sr, enrol_suite());
	srunner_add_suite(sr, keyexport_suite());
	srunner_add_suite(sr, quota_suite());
	srunner_add_suite(sr, client_suite());
	srunner_add_suite(sr, window_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
