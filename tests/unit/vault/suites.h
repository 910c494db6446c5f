/* suites.h - every Check suite of the vault core, one per module. */
#ifndef VG_TEST_SUITES_H
#define VG_TEST_SUITES_H

#include <check.h>

Suite *err_suite(void);
Suite *buf_suite(void);
Suite *wire_suite(void);
Suite *names_suite(void);
Suite *peer_suite(void);
Suite *crypto_suite(void);
Suite *keyfile_suite(void);
Suite *keys_local_suite(void);
Suite *store_suite(void);
Suite *record_suite(void);
Suite *audit_suite(void);
Suite *audit_hwm_suite(void);
Suite *core_suite(void);
Suite *enrol_suite(void);
Suite *keyexport_suite(void);
Suite *quota_suite(void);
Suite *client_suite(void);
Suite *window_suite(void);

#endif
