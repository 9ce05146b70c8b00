/* SPDX-License-Identifier: MIT */
/*
 * procfs.h - small readers for /proc/PID files other than maps.  Values
 * are in bytes (the kernel prints kB).
 */
#ifndef PMF_OS_PROCFS_H
#define PMF_OS_PROCFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/strbuf.h"

/* Reads a whole file (procfs files report size 0, so read until EOF).
 * The contents are appended to OUT. */
int pmf__read_file(const char *path, struct pmf__sb *out, struct pmf__err *e);

struct pmf__proc_status {
	char name[64];   /* Name: (comm) */
	char state;      /* first letter of State: (R, S, D, T, t, Z, X...) */
	pid_t tracer;    /* TracerPid: */
	unsigned threads;
	uint64_t vm_hwm, vm_rss, vm_swap;
	uid_t uid;       /* real uid */
};

/* Parses /proc/PID/status text (exposed for tests). */
void pmf__status_parse(const char *text, struct pmf__proc_status *st);

/* Checks that PID exists and is not a zombie, and reads its status.
 * PMF_ESRCH, PMF_EZOMBIE or PMF_EPERM on failure. */
int pmf__proc_status(pid_t pid, struct pmf__proc_status *st,
		     struct pmf__err *e);

struct pmf__rollup {
	uint64_t rss, pss, swap, pss_anon;
	bool has_pss_anon;
};

/* Parses smaps_rollup (or the whole smaps, summing every VMA). */
void pmf__rollup_parse(const char *text, struct pmf__rollup *r);

/* Reads /proc/PID/smaps_rollup, or sums /proc/PID/smaps on kernels older
 * than 4.14. */
int pmf__proc_rollup(pid_t pid, struct pmf__rollup *r, struct pmf__err *e);

/* readlink(/proc/PID/exe) into BUF; " (deleted)" is kept. */
int pmf__proc_exe(pid_t pid, char *buf, size_t size, struct pmf__err *e);

/* The target's threads (from /proc/PID/task), appended to *TIDS. */
int pmf__proc_tasks(pid_t pid, pid_t **tids, size_t *n, size_t *cap,
		    struct pmf__err *e);

#endif
