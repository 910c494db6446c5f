/* suites.h - the gateway's unit suites, run by runner.c. */
#ifndef GW_TEST_SUITES_H
#define GW_TEST_SUITES_H

#include <check.h>

Suite *gw_http_suite(void);
Suite *gw_range_suite(void);
Suite *gw_restic_path_suite(void);
Suite *gw_config_suite(void);
Suite *gw_limit_suite(void);
Suite *gw_auth_suite(void);
Suite *gw_metrics_suite(void);
Suite *gw_tls_suite(void);
Suite *gw_share_suite(void);
Suite *gw_proxy_suite(void);
Suite *gw_ui_suite(void);

#endif
