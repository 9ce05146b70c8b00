/* SPDX-License-Identifier: MIT */
/*
 * fake_mem.c - region-backed memory source for unit tests.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "fake_mem.h"

void
fake_mem_init(struct fake_mem *f)
{
	memset(f, 0, sizeof(*f));
	f->fail_after = -1;
}

unsigned char *
fake_mem_add(struct fake_mem *f, uint64_t addr, size_t len)
{
	struct fake_region *r = PMF__VEC_PUSH(f->r, f->n, f->cap);
	if (r == NULL)
		abort();
	r->addr = addr;
	r->len = len;
	r->bytes = calloc(1, len ? len : 1);
	if (r->bytes == NULL)
		abort();
	return r->bytes;
}

unsigned char *
fake_mem_at(struct fake_mem *f, uint64_t addr, size_t len)
{
	for (size_t i = 0; i < f->n; i++) {
		struct fake_region *r = &f->r[i];
		if (addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr))
			return r->bytes + (addr - r->addr);
	}
	return NULL;
}

void
fake_mem_free(struct fake_mem *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->r[i].bytes);
	free(f->r);
	memset(f, 0, sizeof(*f));
}

static long
fake_readv(void *ctx, struct pmf__iov *iov, size_t n, struct pmf__err *e)
{
	struct fake_mem *f = ctx;
	if (f->fail_after >= 0 && f->reads++ >= f->fail_after)
		return pmf__err_set(e, PMF_ESRCH, "fake process exited");
	long failed = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char *p = fake_mem_at(f, iov[i].addr, iov[i].len);
		if (p == NULL) {
			iov[i].err = PMF_EFAULT;
			failed++;
			continue;
		}
		memcpy(iov[i].buf, p, iov[i].len);
	}
	return failed;
}

static const void *
fake_direct(void *ctx, uint64_t addr, size_t len)
{
	struct fake_mem *f = ctx;
	return f->direct ? fake_mem_at(f, addr, len) : NULL;
}

static const struct pmf__mem_ops fake_ops = {
	.name = "fake",
	.readv = fake_readv,
	.close = NULL,
	.direct = fake_direct,
};

void
fake_mem_source(struct fake_mem *f, struct pmf__mem *m)
{
	*m = (struct pmf__mem){.ops = &fake_ops, .ctx = f};
}

void
put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
