/* SPDX-License-Identifier: MIT */
/*
 * pagemap.c - /proc/PID/pagemap reader.
 *
 * Entry bits (Documentation/admin-guide/mm/pagemap.rst): 63 present,
 * 62 swapped, 56 exclusively mapped (since Linux 4.2).  A present page
 * without the exclusive bit is mapped elsewhere too: after fork() the
 * parent and child share every page until one of them writes it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "os/pagemap.h"

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_EXCLUSIVE (1ull << 56)

/* Entries per pread: 4 KiB of entries cover 2 MiB of memory. */
#define CHUNK 512

uint8_t
pmf__pagemap_flags(uint64_t entry)
{
	uint8_t f = 0;
	if (entry & PM_PRESENT) {
		f |= PMF__PG_PRESENT;
		if (!(entry & PM_EXCLUSIVE))
			f |= PMF__PG_SHARED;
	} else if (entry & PM_SWAPPED) {
		f |= PMF__PG_SWAPPED;
	}
	return f;
}

int
pmf__pagemap_open(struct pmf__pagemap *pm, pid_t pid, struct pmf__err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	memset(pm, 0, sizeof(*pm));
	pm->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pm->fd < 0) {
		int err = errno;
		return pmf__err_set(e, err == ENOENT ? PMF_ESRCH : PMF_EPERM,
				    "%s: %s", path, strerror(err));
	}
	pm->is_open = true;
	long ps = sysconf(_SC_PAGESIZE);
	pm->page_size = ps > 0 ? (unsigned)ps : 4096;
	return 0;
}

int
pmf__pagemap_read(struct pmf__pagemap *pm, uint64_t addr, size_t npages,
		  uint8_t *out, struct pmf__err *e)
{
	uint64_t buf[CHUNK];
	uint64_t page = addr / pm->page_size;
	size_t done = 0;
	while (done < npages) {
		size_t want = npages - done < CHUNK ? npages - done : CHUNK;
		off_t off = (off_t)((page + done) * sizeof(uint64_t));
		ssize_t r = pread(pm->fd, buf, want * sizeof(uint64_t), off);
		pm->reads++;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pmf__err_set(e, errno == ESRCH ? PMF_ESRCH : PMF_EIO,
					    "pagemap at 0x%llx: %s",
					    (unsigned long long)addr,
					    strerror(errno));
		size_t got = (size_t)r / sizeof(uint64_t);
		if (got == 0) /* past the end of the address space */
			break;
		for (size_t k = 0; k < got; k++)
			out[done + k] = pmf__pagemap_flags(buf[k]);
		done += got;
	}
	if (done < npages)
		memset(out + done, 0, npages - done);
	return 0;
}

bool
pmf__pagemap_present(struct pmf__pagemap *pm, uint64_t addr, size_t len)
{
	uint8_t f[4];
	if (len == 0)
		return true;
	uint64_t first = addr / pm->page_size;
	uint64_t last = (addr + len - 1) / pm->page_size;
	if (last - first >= sizeof(f))
		return false; /* callers check small objects only */
	size_t n = (size_t)(last - first + 1);
	if (pmf__pagemap_read(pm, first * pm->page_size, n, f, NULL) < 0)
		return false;
	for (size_t k = 0; k < n; k++)
		if (!(f[k] & PMF__PG_PRESENT))
			return false;
	return true;
}

void
pmf__pagemap_close(struct pmf__pagemap *pm)
{
	if (pm->is_open)
		close(pm->fd);
	pm->is_open = false;
}

/* Windows of CHUNK pages: one pread each. */
struct pmf__pgwin {
	uint64_t key; /* window number + 1 */
	uint8_t flags[CHUNK];
};

/* Windows kept at most (0.5 MiB of flags for 2 GiB of address space);
 * past that the cache starts again. */
#define MAX_WINDOWS 1024

void
pmf__pgcache_init(struct pmf__pgcache *c, struct pmf__pagemap *pm)
{
	c->pm = pm;
	c->reads = 0;
	pmf__u64tab_init(&c->windows, sizeof(struct pmf__pgwin));
}

void
pmf__pgcache_free(struct pmf__pgcache *c)
{
	pmf__u64tab_free(&c->windows);
}

/* The window of page PAGE, read on first use; NULL when it cannot be. */
static const struct pmf__pgwin *
window(struct pmf__pgcache *c, uint64_t page)
{
	uint64_t key = page / CHUNK + 1;
	struct pmf__pgwin *w = pmf__u64tab_get(&c->windows, key);
	if (w != NULL)
		return w;
	if (c->windows.n >= MAX_WINDOWS)
		pmf__u64tab_clear(&c->windows);
	w = pmf__u64tab_add(&c->windows, key);
	if (w == NULL)
		return NULL;
	c->reads++;
	if (pmf__pagemap_read(c->pm, (key - 1) * CHUNK * c->pm->page_size,
			      CHUNK, w->flags, NULL) < 0) {
		/* Not kept: the next question asks again. */
		pmf__u64tab_clear(&c->windows);
		return NULL;
	}
	return w;
}

bool
pmf__pgcache_present(struct pmf__pgcache *c, uint64_t addr, size_t len)
{
	if (c->pm == NULL || len == 0)
		return true;
	uint64_t ps = c->pm->page_size;
	for (uint64_t pg = addr / ps; pg <= (addr + len - 1) / ps; pg++) {
		const struct pmf__pgwin *w = window(c, pg);
		if (w == NULL || !(w->flags[pg % CHUNK] & PMF__PG_PRESENT))
			return false;
	}
	return true;
}
