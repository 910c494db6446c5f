/* suites.h - the Check suites of the unit-policy runner: retention policy
 * parsing (policy.c), MUA operations and grants (mua.c) and security PINs
 * (pin.c). The mua and pin suites open a real vcore (LMDB) in a temporary
 * directory and move the test clock (clock_test.c); Check forks every test,
 * so each starts from the wall clock. */
#ifndef TESTS_UNIT_POLICY_SUITES_H
#define TESTS_UNIT_POLICY_SUITES_H

#include <check.h>

#include "core.h"

Suite *policy_suite(void);
Suite *mua_suite(void);
Suite *pin_suite(void);
Suite *time_suite(void);

/* A fresh vcore in a new temporary directory (removed by tmp_core_close). */
struct vcore *tmp_core_open(void);
void tmp_core_close(struct vcore *c);
/* A caller: root (local console) or a named principal. */
struct vcaller tmp_caller(const char *name, int kind, int root);

#endif
