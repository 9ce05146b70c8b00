/* SPDX-License-Identifier: MIT */
/*
 * mem.c - dispatch and the convenience readers over a memory source.
 */
#include "config.h"

#include "base/compat.h"
#include "os/mem.h"

long
pmf__mem_readv(struct pmf__mem *m, struct pmf__iov *iov, size_t n,
	       struct pmf__err *e)
{
	m->calls++;
	m->elements += n;
	for (size_t i = 0; i < n; i++) {
		m->bytes += iov[i].len;
		iov[i].err = 0;
	}
	return m->ops->readv(m->ctx, iov, n, e);
}

const void *
pmf__mem_direct(struct pmf__mem *m, uint64_t addr, size_t len)
{
	if (m->ops->direct == NULL)
		return NULL;
	return m->ops->direct(m->ctx, addr, len);
}

int
pmf__mem_read(struct pmf__mem *m, uint64_t addr, void *buf, size_t len,
	      struct pmf__err *e)
{
	struct pmf__iov v = {.addr = addr, .buf = buf, .len = len};
	long r = pmf__mem_readv(m, &v, 1, e);
	if (r < 0)
		return (int)r;
	if (r > 0)
		return pmf__err_set(e, PMF_EFAULT,
				    "cannot read %zu bytes at 0x%llx in the "
				    "target: the address is not mapped",
				    len, (unsigned long long)addr);
	return 0;
}

int
pmf__mem_read_u64(struct pmf__mem *m, uint64_t addr, uint64_t *out,
		  struct pmf__err *e)
{
	unsigned char b[8];
	int r = pmf__mem_read(m, addr, b, sizeof(b), e);
	if (r == 0)
		*out = pmf__ld64(b);
	return r;
}

int
pmf__mem_read_u32(struct pmf__mem *m, uint64_t addr, uint32_t *out,
		  struct pmf__err *e)
{
	unsigned char b[4];
	int r = pmf__mem_read(m, addr, b, sizeof(b), e);
	if (r == 0)
		*out = pmf__ld32(b);
	return r;
}

void
pmf__mem_close(struct pmf__mem *m)
{
	if (m->ops != NULL && m->ops->close != NULL)
		m->ops->close(m->ctx);
	m->ops = NULL;
	m->ctx = NULL;
}
