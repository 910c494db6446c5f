/* runner.c - runs every gateway unit suite. */
#include <stdlib.h>

#include "suites.h"

int main(void)
{
	SRunner *sr = srunner_create(gw_http_suite());
	int failed;

	srunner_add_suite(sr, gw_range_suite());
	srunner_add_suite(sr, gw_restic_path_suite());
	srunner_add_suite(sr, gw_config_suite());
	srunner_add_suite(sr, gw_limit_suite());
	srunner_add_suite(sr, gw_auth_suite());
	srunner_add_suite(sr, gw_metrics_suite());
	srunner_add_suite(sr, gw_tls_suite());
	srunner_add_suite(sr, gw_ui_suite());
	srunner_add_suite(sr, gw_share_suite());
	srunner_add_suite(sr, gw_proxy_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
