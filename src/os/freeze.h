/* SPDX-License-Identifier: MIT */
/*
 * freeze.h - stop every thread of a process for a consistent read, and
 * release them.
 *
 * Threads are attached with PTRACE_SEIZE and stopped with
 * PTRACE_INTERRUPT, never with SIGSTOP: if this process dies while they
 * are stopped, the kernel detaches them and they run on, whereas a SIGSTOP
 * would leave the target stopped for good.  Nothing is ever written to the
 * target.  A signal that arrives while a thread is held is handed back to
 * it on release, so the target loses nothing.
 */
#ifndef PMF_OS_FREEZE_H
#define PMF_OS_FREEZE_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

struct pmf__tracee {
	pid_t tid;
	int state;       /* internal: seized, stopped, gone */
	int pending_sig; /* signal to re-inject when released */
};

struct pmf__freeze {
	pid_t pid;
	struct pmf__tracee *t;
	size_t n, cap;
	uint64_t start_ns, end_ns; /* first interrupt .. last release */
	unsigned stopped;          /* threads held at the end of the freeze */
};

/* Stops every thread of PID, waiting at most TIMEOUT_MS for them.  On
 * failure every thread already held is released.  Errors: PMF_ESRCH,
 * PMF_EPERM, PMF_EBUSY (another tracer), PMF_ETIMEDOUT, PMF_EAGAIN
 * (threads kept appearing), PMF_ENOMEM. */
int pmf__freeze(struct pmf__freeze *f, pid_t pid, unsigned timeout_ms,
		struct pmf__err *e);

/* Releases every held thread (idempotent).  Threads that never stopped
 * (stuck in the kernel past the timeout) are waited for briefly; any still
 * running are remembered and released by the next thaw, and by the kernel
 * if this process exits first. */
void pmf__thaw(struct pmf__freeze *f);

/* True when thread I of F is held in a ptrace stop (its registers can be
 * read). */
bool pmf__freeze_held(const struct pmf__freeze *f, size_t i);

/* Microseconds between the first interrupt and the last release. */
uint64_t pmf__freeze_pause_us(const struct pmf__freeze *f);

void pmf__freeze_free(struct pmf__freeze *f);

#endif
