/* SPDX-License-Identifier: MIT */
/*
 * fuzz_smaps.c - the /proc/PID/smaps parser (src/os/smaps.c) over
 * arbitrary text, the stack marking that follows it, and the syscall
 * file parser that finds the stack pointers.  The first line of the
 * input is taken as a syscall file, the rest as smaps.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "os/smaps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_text(data, size);
	char *nl = strchr(text, '\n');
	char *rest = nl != NULL ? nl + 1 : text + size;
	uint64_t sp[2] = {0x7ffc00000000ull, 0};
	size_t nsp = 1;
	if (nl != NULL)
		*nl = '\0';
	if (pmf__syscall_sp(text, &sp[1]))
		nsp = 2;
	struct pmf__smaps s = {0};
	struct pmf__err e = {0};
	if (pmf__smaps_parse(rest, &s, &e) == 0)
		pmf__smaps_mark_stacks(&s, sp, nsp);
	pmf__smaps_free(&s);
	free(text);
	return 0;
}
