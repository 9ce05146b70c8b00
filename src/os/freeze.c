/* SPDX-License-Identifier: MIT */
/*
 * freeze.c - PTRACE_SEIZE/INTERRUPT/DETACH of all threads.
 *
 * Waiting uses waitpid(tid, __WALL | WNOHANG) per thread with a short
 * backoff: waitpid(-1) would also reap children of a program that embeds
 * this library, and a blocking wait on one thread has no timeout.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/vec.h"
#include "os/clock.h"
#include "os/freeze.h"
#include "os/procfs.h"

enum { TR_SEIZED = 1, TR_STOPPED, TR_GONE };

/* Bounds: passes over /proc/PID/task while new threads keep appearing, and
 * the longest we keep polling a thread that will not stop on release. */
#define MAX_PASSES 64
#define THAW_WAIT_NS (200u * 1000 * 1000)

static struct pmf__tracee *
find(struct pmf__freeze *f, pid_t tid)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].tid == tid)
			return &f->t[i];
	return NULL;
}

static void
nap(unsigned *us)
{
	struct timespec ts = {0, (long)*us * 1000};
	nanosleep(&ts, NULL);
	if (*us < 1000)
		*us *= 2;
}

/* Polls one seized thread; updates its state. */
static void
poll_one(struct pmf__tracee *tr)
{
	int st;
	pid_t r = waitpid(tr->tid, &st, __WALL | WNOHANG);
	if (r == 0)
		return;
	if (r < 0) {
		if (errno != EINTR)
			tr->state = TR_GONE; /* ECHILD: exited and reaped */
		return;
	}
	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		tr->state = TR_GONE;
		return;
	}
	if (!WIFSTOPPED(st))
		return;
	int event = st >> 16;
	int sig = WSTOPSIG(st);
	/* event 0 is a signal-delivery-stop: the signal was on its way to
	 * the thread and must be handed back on release.  PTRACE_EVENT_STOP
	 * is our interrupt, or a group-stop some other party caused, which
	 * is left as it was. */
	if (event == 0 && sig != SIGTRAP)
		tr->pending_sig = sig;
	tr->state = TR_STOPPED;
}

static int
seize_one(struct pmf__freeze *f, pid_t tid, struct pmf__err *e)
{
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
		int err = errno;
		if (err == ESRCH)
			return 0; /* the thread exited meanwhile */
		if (err == EPERM) {
			struct pmf__proc_status st;
			if (pmf__proc_status(tid, &st, NULL) == 0 &&
			    st.tracer != 0 && st.tracer != getpid())
				return pmf__err_set(
					e, PMF_EBUSY,
					"process %d is already traced by "
					"process %d (a debugger or tracer)",
					(int)f->pid, (int)st.tracer);
		}
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "ptrace(PTRACE_SEIZE, %d)", (int)tid);
	}
	struct pmf__tracee *tr = PMF__VEC_PUSH(f->t, f->n, f->cap);
	if (tr == NULL) {
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		/* Not recorded: make sure it is released before failing. */
		unsigned us = 20;
		for (int i = 0; i < 200; i++) {
			int st;
			if (waitpid(tid, &st, __WALL | WNOHANG) != 0)
				break;
			nap(&us);
		}
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	}
	tr->tid = tid;
	tr->state = TR_SEIZED;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0) {
		int err = errno;
		if (err == ESRCH)
			tr->state = TR_GONE;
		else
			return pmf__err_sys(e, PMF_EIO, err,
					    "ptrace(PTRACE_INTERRUPT, %d)",
					    (int)tid);
	}
	return 0;
}

static bool
any_seized(const struct pmf__freeze *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].state == TR_SEIZED)
			return true;
	return false;
}

static int
wait_all(struct pmf__freeze *f, uint64_t deadline, struct pmf__err *e)
{
	unsigned us = 10;
	for (;;) {
		for (size_t i = 0; i < f->n; i++)
			if (f->t[i].state == TR_SEIZED)
				poll_one(&f->t[i]);
		if (!any_seized(f))
			return 0;
		if (pmf__now_ns() > deadline) {
			for (size_t i = 0; i < f->n; i++)
				if (f->t[i].state == TR_SEIZED)
					return pmf__err_set(
						e, PMF_ETIMEDOUT,
						"thread %d of process %d did "
						"not stop in time (busy in "
						"the kernel?)",
						(int)f->t[i].tid, (int)f->pid);
		}
		nap(&us);
	}
}

int
pmf__freeze(struct pmf__freeze *f, pid_t pid, unsigned timeout_ms,
	    struct pmf__err *e)
{
	pid_t *tids = NULL;
	size_t ntids = 0, tcap = 0;
	int rc = 0;

	/* Entries left from an earlier freeze are threads that never
	 * stopped; they are still ours and are waited for again below. */
	f->pid = pid;
	f->stopped = 0;
	f->start_ns = pmf__now_ns();
	f->end_ns = 0;
	uint64_t deadline = f->start_ns + (uint64_t)timeout_ms * 1000000u;

	int pass;
	for (pass = 0; pass < MAX_PASSES; pass++) {
		ntids = 0;
		rc = pmf__proc_tasks(pid, &tids, &ntids, &tcap, e);
		if (rc < 0) {
			if (rc == PMF_ESRCH || ntids == 0)
				rc = pmf__err_set(e, PMF_ESRCH,
						  "process %d exited",
						  (int)pid);
			goto fail;
		}
		unsigned fresh = 0;
		for (size_t i = 0; i < ntids; i++) {
			if (find(f, tids[i]) != NULL)
				continue;
			rc = seize_one(f, tids[i], e);
			if (rc < 0)
				goto fail;
			fresh++;
		}
		rc = wait_all(f, deadline, e);
		if (rc < 0)
			goto fail;
		/* Once every listed thread is held, none can start another:
		 * a listing with nothing new means we have them all. */
		if (fresh == 0)
			break;
	}
	if (pass == MAX_PASSES) {
		rc = pmf__err_set(e, PMF_EAGAIN,
				  "process %d kept starting threads while "
				  "being stopped",
				  (int)pid);
		goto fail;
	}
	for (size_t i = 0; i < f->n; i++)
		if (f->t[i].state == TR_STOPPED)
			f->stopped++;
	if (f->stopped == 0) {
		rc = pmf__err_set(e, PMF_ESRCH, "process %d exited", (int)pid);
		goto fail;
	}
	free(tids);
	return 0;
fail:
	free(tids);
	pmf__thaw(f);
	return rc;
}

void
pmf__thaw(struct pmf__freeze *f)
{
	/* Threads still running with our interrupt pending cannot be
	 * detached until they stop: wait for them a little. */
	uint64_t deadline = pmf__now_ns() + THAW_WAIT_NS;
	unsigned us = 10;
	while (any_seized(f) && pmf__now_ns() < deadline) {
		for (size_t i = 0; i < f->n; i++)
			if (f->t[i].state == TR_SEIZED)
				poll_one(&f->t[i]);
		if (any_seized(f))
			nap(&us);
	}
	size_t keep = 0;
	for (size_t i = 0; i < f->n; i++) {
		struct pmf__tracee *tr = &f->t[i];
		if (tr->state == TR_STOPPED)
			ptrace(PTRACE_DETACH, tr->tid, NULL,
			       (void *)(uintptr_t)tr->pending_sig);
		/* A thread that has still not stopped keeps its pending
		 * interrupt; remember it so a later thaw releases it. */
		if (tr->state == TR_SEIZED)
			f->t[keep++] = *tr;
	}
	if (f->end_ns == 0)
		f->end_ns = pmf__now_ns();
	f->n = keep;
}

bool
pmf__freeze_held(const struct pmf__freeze *f, size_t i)
{
	return i < f->n && f->t[i].state == TR_STOPPED;
}

uint64_t
pmf__freeze_pause_us(const struct pmf__freeze *f)
{
	if (f->end_ns < f->start_ns)
		return 0;
	return (f->end_ns - f->start_ns) / 1000;
}

void
pmf__freeze_free(struct pmf__freeze *f)
{
	pmf__thaw(f);
	free(f->t);
	*f = (struct pmf__freeze){0};
}
