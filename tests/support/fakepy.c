/* SPDX-License-Identifier: MIT */
/*
 * fakepy.c - a program that looks like a Python interpreter to pymfrag
 * without being one, for the error-case tests: it exports Py_Initialize
 * and Py_Version (and, depending on the build, the pymalloc entry point
 * and a _PyRuntime), so pymfrag identifies it as CPython FAKE_VERSION and
 * then finds nothing real to read.  It prints "ready" and sleeps.
 *
 * Builds (see tests/Makefile.inc):
 *   fakepy_315   Py_Version 3.15.0: an unsupported version
 *   fakepy_311   3.11.0 with pymalloc but no allocator statics: the state
 *                cannot be found
 *   fakepy_312   3.12.1 with a zeroed _PyRuntime of the real size, and an
 *                arena table lookalike on the heap: the state found
 *                through the layout table fails validation
 *   fakepy_311l  3.11.0 whose _PyObject_DebugMallocStats reads statics in
 *                the order CPython's does, pointing at an arena table
 *                lookalike: stripped, the scan must not take it
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXPORT __attribute__((used, visibility("default")))

EXPORT const unsigned long Py_Version = FAKE_VERSION;

void Py_Initialize(void);
int _PyObject_DebugMallocStats(FILE *out);

EXPORT void
Py_Initialize(void)
{
}

#if defined(FAKE_PYMALLOC) && !defined(FAKE_LOOKALIKE)
EXPORT int
_PyObject_DebugMallocStats(FILE *out)
{
	(void)out;
	return 0;
}
#endif

#ifdef FAKE_LOOKALIKE
/* Statics shaped like obmalloc.c's, read in the order CPython reads
 * them: maxarenas (u32), arenas, ntimes twice, highwater, then the two
 * arena-map counts (i32). */
static unsigned int maxarenas;
static unsigned char *arenas;
static unsigned long ntimes, highwater;
static int mid_count, bot_count;
static unsigned long usedpools[64];

EXPORT int
_PyObject_DebugMallocStats(FILE *out)
{
	unsigned int m = *(volatile unsigned int *)&maxarenas;
	unsigned char *a = *(unsigned char *volatile *)&arenas;
	fprintf(out, "%u %p\n", m, (void *)a);
	fprintf(out, "%lu\n", *(volatile unsigned long *)&ntimes);
	fprintf(out, "%lu\n", *(volatile unsigned long *)&ntimes);
	fprintf(out, "%lu\n", *(volatile unsigned long *)&highwater);
	fprintf(out, "%ld\n", (long)*(volatile int *)&mid_count);
	fprintf(out, "%ld\n", (long)*(volatile int *)&bot_count);
	return (int)usedpools[0];
}
#endif

#ifdef FAKE_RUNTIME_SIZE
EXPORT unsigned char _PyRuntime[FAKE_RUNTIME_SIZE];
#endif

int
main(void)
{
#ifdef FAKE_RUNTIME_SIZE
	/* Something that resembles an obmalloc state at the 3.12 offset:
	 * usedpools self-referential, an arena table pointer to a heap
	 * block of 16 entries with one "arena" whose pools are garbage. */
	unsigned long state = (unsigned long)_PyRuntime + 80352;
	unsigned long *used = (unsigned long *)state;
	for (int i = 0; i < 32; i++)
		used[2 * i] = used[2 * i + 1] = state + 16 * i - 16;
	unsigned char *table = calloc(16, 48);
	unsigned char *arena = aligned_alloc(1 << 20, 1 << 20);
	memset(arena, 0x5a, 1 << 20);
	unsigned long a = (unsigned long)arena;
	memcpy(table, &a, 8);
	unsigned long pool_address = a + 16384 * 3;
	memcpy(table + 8, &pool_address, 8);
	unsigned int nfree = 61, ntotal = 64;
	memcpy(table + 16, &nfree, 4);
	memcpy(table + 20, &ntotal, 4);
	memcpy((unsigned char *)state + 512, &table, 8);
	unsigned int max = 16;
	memcpy((unsigned char *)state + 520, &max, 4);
	unsigned long one = 1;
	memcpy((unsigned char *)state + 1064, &one, 8);
	memcpy((unsigned char *)state + 1072, &one, 8);
	memcpy((unsigned char *)state + 1080, &one, 8);
#endif
#ifdef FAKE_LOOKALIKE
	/* A table of 16 entries with one "arena" in anonymous memory whose
	 * pools are garbage, and a self-referential usedpools. */
	for (int i = 0; i < 32; i++)
		usedpools[2 * i] = usedpools[2 * i + 1] =
			(unsigned long)&usedpools[2 * i] - 16;
	unsigned char *t = calloc(16, 48);
	unsigned char *arena = aligned_alloc(1 << 20, 1 << 20);
	memset(arena, 0x5a, 1 << 20);
	unsigned long addr = (unsigned long)arena, pa = addr + 16384 * 2;
	unsigned int nf = 62, nt = 64;
	memcpy(t, &addr, 8);
	memcpy(t + 8, &pa, 8);
	memcpy(t + 16, &nf, 4);
	memcpy(t + 20, &nt, 4);
	arenas = t;
	maxarenas = 16;
	ntimes = highwater = 1;
	mid_count = bot_count = 1;
#endif
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
