/* SPDX-License-Identifier: MIT */
/*
 * embed_snapshot.c - a C program that embeds CPython, lets it allocate,
 * and takes pymfrag's snapshot of its own interpreter: a struct to read,
 * and a report to print.
 *
 * Build (against an installed pymfrag and the interpreter's embedding
 * flags; 3.8+ needs --embed):
 *
 *   cc -o embed_snapshot embed_snapshot.c $(pkg-config --cflags --libs pymfrag) \
 *      $(python3-config --cflags --ldflags --embed)
 *
 * Run:
 *   embed_snapshot                      a summary, then the text report
 *   embed_snapshot --format FORMAT      the report alone: text, json,
 *                                       debugmallocstats, prometheus
 *   embed_snapshot --oracle --format debugmallocstats
 *       CPython's own _PyObject_DebugMallocStats() on stderr, then at once
 *       pymfrag's on stdout: the allocator parts are identical (the
 *       test of this example checks that).
 */
#include <Python.h>

#include <stdio.h>
#include <string.h>

#include "pymfrag.h"

#if PY_VERSION_HEX >= 0x030B0000
/* CPython's own statistics, for --oracle: still exported (it is what
 * sys._debugmallocstats() calls), declared only internally since 3.11. */
PyAPI_FUNC(int) _PyObject_DebugMallocStats(FILE *out);
#endif

/* A cache that kept one record in four: pools stay in use, mostly empty. */
static const char workload[] =
	"class Record:\n"
	"    __slots__ = ('key', 'value')\n"
	"    def __init__(self, k, v):\n"
	"        self.key, self.value = k, v\n"
	"cache = {i: Record(i, str(i) * 3) for i in range(200000)}\n"
	"for i in range(200000):\n"
	"    if i % 4:\n"
	"        del cache[i]\n";

static int
usage(void)
{
	fprintf(stderr, "usage: embed_snapshot [--oracle] [--format "
			"text|json|debugmallocstats|prometheus]\n");
	return 2;
}

/* What the struct says: the calling program's own view. */
static void
summary(const pmf_snapshot *s)
{
	const struct pmf_snapshot_info *in = pmf_snapshot_info(s);
	printf("embedded Python %s, allocator %s, %zu obmalloc state%s\n",
	       in->python.version, pmf_allocator_name(in->allocator),
	       in->ninterps, in->ninterps == 1 ? "" : "s");
	const struct pmf_interp_stats *st = pmf_snapshot_interp(s, 0);
	if (st == NULL)
		return;
	uint64_t used = 0, avail = 0;
	for (unsigned i = 0; i < st->nclasses; i++) {
		used += st->classes[i].blocks_in_use;
		avail += st->classes[i].blocks_available;
	}
	printf("arenas %llu (highwater %llu), blocks in use %llu, free in "
	       "used pools %llu\n\n",
	       (unsigned long long)st->arenas.current,
	       (unsigned long long)st->arenas.highwater,
	       (unsigned long long)used, (unsigned long long)avail);
}

int
main(int argc, char **argv)
{
	enum pmf_format format = PMF_FORMAT_TEXT;
	bool quiet = false, oracle = false;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			if (pmf_format_parse(argv[++i], &format) < 0)
				return usage();
			quiet = true;
		} else if (strcmp(argv[i], "--oracle") == 0) {
			oracle = true;
		} else {
			return usage();
		}
	}

	Py_Initialize();
	if (PyRun_SimpleString(workload) != 0) {
		fprintf(stderr, "embed_snapshot: the workload failed\n");
		return 1;
	}
	/* The main thread holds the GIL after Py_Initialize(): nothing
	 * allocates between the two statistics below. */
	if (oracle)
		_PyObject_DebugMallocStats(stderr);
	pmf_snapshot *s = NULL;
	char err[512];
	int rc = pmf_snapshot_self(NULL, &s, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "embed_snapshot: %s (%s)\n", err,
			pmf_errname(rc));
		return 1;
	}
	if (!quiet)
		summary(s);
	rc = pmf_report_write(s, format, NULL, pmf_write_stdio, stdout);
	pmf_snapshot_free(s);
	if (rc < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "embed_snapshot: cannot write the report\n");
		return 1;
	}
#if PY_VERSION_HEX >= 0x03060000
	if (Py_FinalizeEx() < 0)
		return 1;
#else
	Py_Finalize();
#endif
	return 0;
}
