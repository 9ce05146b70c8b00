/* SPDX-License-Identifier: MIT */
/*
 * runner.c - main() for the Check unit test binaries.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "runner.h"

const char *
test_data_dir(void)
{
	const char *d = getenv("TESTS_SRCDIR");
	static char buf[4096];
	if (d == NULL)
		d = "tests";
	snprintf(buf, sizeof(buf), "%s/data", d);
	return buf;
}

int
main(void)
{
	SRunner *sr = srunner_create(make_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
