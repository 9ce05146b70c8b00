/* SPDX-License-Identifier: MIT */
/*
 * self.c - snapshots a process takes of itself (pmf_target_open_self(),
 * pmf_snapshot_self()).  The caller holds the GIL, so the walk needs no
 * thread stop; the memory is still read through the kernel so that a bad
 * pointer is an error rather than a SIGSEGV in the caller.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "core/model.h"

int
pmf_target_open_self(pmf_target *t, const struct pmf_target_opts *opts)
{
	return pmf__target_open(t, getpid(), true, opts);
}

int
pmf__self_prepare(pmf_target *t, unsigned *flags)
{
	if (!t->self)
		return 0;
	if (t->pyt.pid != getpid())
		return pmf__err_set(&t->err, PMF_EINVAL,
				    "this handle was opened by process %d "
				    "before a fork: open a new one in process "
				    "%d",
				    (int)t->pyt.pid, (int)getpid());
	/* A thread cannot ptrace its own process, and need not: the GIL
	 * keeps the caller's allocator still. */
	*flags |= PMF_SNAP_NONBLOCKING;
	return 0;
}

int
pmf_snapshot_self(const struct pmf_snapshot_opts *opts, pmf_snapshot **out,
		  char *errbuf, size_t errlen)
{
	int rc;
	const char *msg;
	if (out == NULL) {
		rc = PMF_EINVAL;
		msg = "pmf_snapshot_self: OUT is NULL";
		goto fail;
	}
	pmf_target *t = pmf_target_new();
	if (t == NULL) {
		rc = PMF_ENOMEM;
		msg = "out of memory";
		goto fail;
	}
	rc = pmf_target_open_self(t, NULL);
	if (rc == 0)
		rc = pmf_snapshot_take_opts(t, opts, out);
	if (rc < 0 && errbuf != NULL && errlen > 0) {
		const char *m = pmf_target_errmsg(t);
		snprintf(errbuf, errlen, "%s", m[0] ? m : pmf_strerror(rc));
	}
	pmf_target_free(t);
	return rc;
fail:
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", msg);
	return rc;
}
