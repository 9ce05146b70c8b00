/* SPDX-License-Identifier: MIT */
/*
 * smaps.h - /proc/PID/smaps per mapping, classified by what holds the
 * memory (anonymous, file-backed, stack), and the threads' stack
 * pointers, which tell thread stacks apart from other anonymous memory.
 */
#ifndef PMF_OS_SMAPS_H
#define PMF_OS_SMAPS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "os/procfs.h"

enum pmf__vma_kind {
	PMF__VMA_ANON = 0, /* no file, [heap], [anon:...] */
	PMF__VMA_FILE,     /* a file, or a kernel-provided page ([vdso]) */
	PMF__VMA_STACK,    /* [stack], or anonymous holding a thread's sp */
};

struct pmf__vma {
	uint64_t start, end;
	uint64_t rss, pss, swap;
	uint64_t private_bytes; /* Private_Clean + Private_Dirty */
	enum pmf__vma_kind kind;
};

struct pmf__smaps {
	struct pmf__vma *v;
	size_t n, cap;
};

/* Parses smaps TEXT.  Malformed lines are skipped; PMF_ENOMEM only. */
int pmf__smaps_parse(const char *text, struct pmf__smaps *s,
		     struct pmf__err *e);

/* Reads /proc/PID/smaps, and sums it into R when R is not NULL (what
 * smaps_rollup would say, from the same walk of the page tables). */
int pmf__smaps_read(pid_t pid, struct pmf__smaps *s, struct pmf__rollup *r,
		    struct pmf__err *e);

/* Marks as stacks the anonymous mappings holding one of the N stack
 * pointers SP. */
void pmf__smaps_mark_stacks(struct pmf__smaps *s, const uint64_t *sp,
			    size_t n);

/* The stack pointer in the text of a /proc/PID/task/TID/syscall file:
 * "nr a1 .. a6 sp pc" for a thread blocked in a system call, "-1 sp pc"
 * for one stopped outside, false for "running" or anything else
 * (exposed for tests). */
bool pmf__syscall_sp(const char *text, uint64_t *sp);

/* Appends each thread's stack pointer, from /proc/PID/task/TID/syscall
 * (threads running on a CPU at that instant have none and are left
 * out). */
int pmf__thread_sps(pid_t pid, uint64_t **sp, size_t *n, size_t *cap,
		    struct pmf__err *e);

void pmf__smaps_free(struct pmf__smaps *s);

#endif
