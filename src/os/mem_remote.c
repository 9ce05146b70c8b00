/* SPDX-License-Identifier: MIT */
/*
 * mem_remote.c - reading another process (or our own) through the kernel.
 *
 * process_vm_readv() is the fast path: one call moves up to IOV_MAX
 * scattered pieces, and its cost is dominated by the pages touched, not by
 * the number of calls.  A partial transfer stops at the first unreadable
 * element, so an element that faults is marked and the batch resumes after
 * it.  /proc/PID/mem is the fallback for kernels without the syscall
 * (CONFIG_CROSS_MEMORY_ATTACH=n).  It is opened read-only.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "os/mem.h"

/* The kernel's UIO_MAXIOV; IOV_MAX from limits.h has the same value on
 * Linux but is not always defined without extra feature macros. */
#define PMF_IOV_BATCH 1024

struct remote {
	pid_t pid;
	int memfd;      /* /proc/PID/mem, -1 until needed */
	bool procfs;    /* use /proc/PID/mem instead of the syscall */
	bool self;
};

static int
open_procmem(struct remote *r, struct pmf__err *e)
{
	char path[64];
	if (r->memfd >= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)r->pid);
	r->memfd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->memfd < 0) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "cannot open %s", path);
	}
	return 0;
}

static long
readv_procfs(struct remote *r, struct pmf__iov *iov, size_t n,
	     struct pmf__err *e)
{
	int rc = open_procmem(r, e);
	if (rc < 0)
		return rc;
	long failed = 0;
	for (size_t i = 0; i < n; i++) {
		size_t done = 0;
		while (done < iov[i].len) {
			ssize_t k = pread(r->memfd, (char *)iov[i].buf + done,
					  iov[i].len - done,
					  (off_t)(iov[i].addr + done));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			done += (size_t)k;
		}
		if (done < iov[i].len) {
			/* pread on an unmapped address gives EIO; a process
			 * that is gone gives ESRCH or 0 bytes everywhere. */
			if (kill(r->pid, 0) < 0 && errno == ESRCH)
				return pmf__err_set(e, PMF_ESRCH,
						    "process %d exited",
						    (int)r->pid);
			iov[i].err = PMF_EFAULT;
			failed++;
		}
	}
	return failed;
}

/* Marks elements [from, from+cnt) given that GOT bytes were transferred:
 * whole elements are done; the one that stopped the transfer failed.
 * Returns the number of elements consumed. */
static size_t
account(struct pmf__iov *iov, size_t cnt, size_t got, long *failed)
{
	size_t i = 0;
	while (i < cnt && got >= iov[i].len) {
		got -= iov[i].len;
		i++;
	}
	if (i < cnt) {
		/* The kernel does not split elements, but if it ever did, a
		 * partly read element is still not trustworthy. */
		iov[i].err = PMF_EFAULT;
		(*failed)++;
		i++;
	}
	return i;
}

static long
readv_syscall(struct remote *r, struct pmf__iov *iov, size_t n,
	      struct pmf__err *e)
{
	struct iovec local[PMF_IOV_BATCH], remote[PMF_IOV_BATCH];
	long failed = 0;
	size_t pos = 0;
	while (pos < n) {
		size_t cnt = 0;
		size_t want = 0;
		while (cnt < PMF_IOV_BATCH && pos + cnt < n) {
			struct pmf__iov *v = &iov[pos + cnt];
			local[cnt].iov_base = v->buf;
			local[cnt].iov_len = v->len;
			remote[cnt].iov_base = (void *)(uintptr_t)v->addr;
			remote[cnt].iov_len = v->len;
			want += v->len;
			cnt++;
		}
		ssize_t got = process_vm_readv(r->pid, local, cnt, remote, cnt,
					       0);
		if (got < 0) {
			int err = errno;
			switch (err) {
			case EINTR:
				continue;
			case ENOSYS:
				r->procfs = true;
				return readv_procfs(r, iov, n, e) + failed;
			case EFAULT:
			case EINVAL:
				/* Nothing read: the first element is bad. */
				iov[pos].err = PMF_EFAULT;
				failed++;
				pos++;
				continue;
			case ESRCH:
				return pmf__err_set(e, PMF_ESRCH,
						    "process %d exited",
						    (int)r->pid);
			default:
				return pmf__err_sys(e,
						    pmf__err_from_errno(err),
						    err,
						    "process_vm_readv(pid %d)",
						    (int)r->pid);
			}
		}
		if ((size_t)got == want) {
			pos += cnt;
			continue;
		}
		pos += account(&iov[pos], cnt, (size_t)got, &failed);
	}
	return failed;
}

static long
remote_readv(void *ctx, struct pmf__iov *iov, size_t n, struct pmf__err *e)
{
	struct remote *r = ctx;
	if (r->procfs)
		return readv_procfs(r, iov, n, e);
	return readv_syscall(r, iov, n, e);
}

static void
remote_close(void *ctx)
{
	struct remote *r = ctx;
	if (r->memfd >= 0)
		close(r->memfd);
	free(r);
}

static const struct pmf__mem_ops remote_ops = {
	.name = "process_vm_readv",
	.readv = remote_readv,
	.close = remote_close,
};

static const struct pmf__mem_ops self_ops = {
	.name = "self",
	.readv = remote_readv,
	.close = remote_close,
};

static int
open_common(struct pmf__mem *m, pid_t pid, bool self, struct pmf__err *e)
{
	struct remote *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	r->pid = pid;
	r->memfd = -1;
	r->self = self;
#ifndef HAVE_PROCESS_VM_READV
	r->procfs = true;
#endif
	const char *force = getenv("PMF_FORCE_PROC_MEM");
	if (force != NULL && strcmp(force, "1") == 0)
		r->procfs = true;
	if (r->procfs) {
		int rc = open_procmem(r, e);
		if (rc < 0) {
			free(r);
			return rc;
		}
	}
	*m = (struct pmf__mem){.ops = self ? &self_ops : &remote_ops,
			       .ctx = r};
	return 0;
}

int
pmf__mem_open_remote(struct pmf__mem *m, pid_t pid, struct pmf__err *e)
{
	return open_common(m, pid, false, e);
}

int
pmf__mem_open_self(struct pmf__mem *m, struct pmf__err *e)
{
	return open_common(m, getpid(), true, e);
}

bool
pmf__mem_uses_procfs(const struct pmf__mem *m)
{
	if (m->ops != &remote_ops && m->ops != &self_ops)
		return false;
	return ((const struct remote *)m->ctx)->procfs;
}
