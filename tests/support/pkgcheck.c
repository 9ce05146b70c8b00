/* SPDX-License-Identifier: MIT */
/*
 * pkgcheck.c - a client of the installed library, built by
 * tests/integration/install.sh with nothing but "pkg-config --cflags
 * --libs pymfrag".  It is not a Python process, so an in-process
 * snapshot must fail cleanly with PMF_ENOTPY and say why.
 */
#include <stdio.h>
#include <string.h>

#include <pymfrag.h>

int
main(void)
{
	pmf_snapshot *s = NULL;
	char err[512] = "";
	int rc = pmf_snapshot_self(NULL, &s, err, sizeof(err));
	if (rc != PMF_ENOTPY || s != NULL || err[0] == '\0') {
		fprintf(stderr, "pkgcheck: pmf_snapshot_self gave %s (%s)\n",
			pmf_errname(rc), err);
		return 1;
	}
	pmf_target *t = pmf_target_new();
	if (t == NULL || pmf_target_open_self(t, NULL) != PMF_ENOTPY ||
	    strcmp(pmf_target_errmsg(t), err) != 0) {
		fprintf(stderr, "pkgcheck: pmf_target_open_self disagrees\n");
		return 1;
	}
	pmf_target_free(t);
	printf("pymfrag %s: %s: %s\n", PMF_VERSION_STRING, pmf_errname(rc),
	       err);
	return 0;
}
