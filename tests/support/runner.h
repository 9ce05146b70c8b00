/* SPDX-License-Identifier: MIT */
/*
 * runner.h - every unit test binary defines make_suite(); runner.c holds
 * the main() that runs it.
 */
#ifndef PMF_TEST_RUNNER_H
#define PMF_TEST_RUNNER_H

#include <check.h>

Suite *make_suite(void);

/* Directory of committed test data (tests/data). */
const char *test_data_dir(void);

#endif
