/* cmk_suites.h - the Check suites of tests/unit/cmk (runner: unit-cmk). */
#ifndef CMK_SUITES_H
#define CMK_SUITES_H

#include <check.h>

Suite *layers_suite(void);      /* store.c: infrastructure (double) encryption */
Suite *p11conf_suite(void);     /* p11conf.c: key-provider configuration, file secrecy */
Suite *pkcs11_suite(void);      /* keys_pkcs11.c against a real SoftHSM2 token */
Suite *cmkrec_suite(void);      /* record.c: job records */
Suite *webhook_suite(void);     /* webhook.c: URL grammar */

/* A fresh private directory (removed by the caller with cmk_rmrf). */
char *cmk_tmpdir(void);
void cmk_rmrf(const char *dir);

#endif
