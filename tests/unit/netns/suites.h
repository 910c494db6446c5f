/* suites.h - the Check suites of the unit-netns runner. */
#ifndef VN_TEST_SUITES_H
#define VN_TEST_SUITES_H

#include <check.h>

Suite *config_suite(void);
Suite *ruleset_suite(void);
Suite *nflog_suite(void);

#endif
