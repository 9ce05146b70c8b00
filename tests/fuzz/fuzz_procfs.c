/* SPDX-License-Identifier: MIT */
/*
 * fuzz_procfs.c - the /proc/PID/status and smaps_rollup parsers
 * (src/os/procfs.c), and the version-string parsers the Python detection
 * applies to text read from the target (src/py/version.c), over arbitrary
 * text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "os/procfs.h"
#include "py/version.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_text(data, size);
	struct pmf__proc_status st;
	struct pmf__rollup r;
	struct pmf__pyver v;
	pmf__status_parse(text, &st);
	(void)strlen(st.name);
	pmf__rollup_parse(text, &r);
	memset(&v, 0, sizeof(v));
	/* Not NUL-terminated: the buffer read from the target is not. */
	(void)pmf__pyver_parse_text((const char *)data, size, &v);
	memset(&v, 0, sizeof(v));
	(void)pmf__pyver_parse_name(text, &v);
	free(text);
	return 0;
}
