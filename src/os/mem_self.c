/* SPDX-License-Identifier: MIT */
/*
 * mem_self.c - reading the calling process's own memory, fast and
 * without a SIGSEGV.
 *
 * Through the kernel (process_vm_readv on ourselves) every read pins
 * each page it touches: an in-process snapshot then costs some 30 times
 * what CPython's own _debugmallocstats() does, which reads the same pool
 * headers with plain loads.  This source copies directly instead, but
 * only where no load can fault: the range must lie in mappings that the
 * memory map (current at every snapshot) shows readable and private,
 * and either anonymous or the writable data of the interpreter's own
 * image, and only inside ranges the caller vouches for
 * (pmf__mem_self_trust(): the allocator's arenas and the interpreter's
 * data and bss).  Anonymous memory elsewhere, the C heap above all, can
 * be freed and unmapped by a thread that does not hold the GIL between
 * the map's word and the load; a stale pointer into it is read through
 * the kernel.  Nothing
 * else - code, other files' mappings (a file mapping can SIGBUS past the
 * end of a truncated file), PROT_NONE guards, [vvar] - and nothing
 * outside the map is ever touched directly: those reads go through the
 * kernel, which reports a bad address as PMF_EFAULT.
 *
 * Direct copies are only safe while nobody unmaps what the map shows,
 * which the caller guarantees by holding the GIL and turning them on
 * only when no other interpreter has an allocator (and a GIL) of its
 * own (pmf__mem_self_mode()).
 *
 * Where the map can only be read whole (kernels before 6.11), reading
 * it costs more than the walk; PMF__SELF_ARENAS then copies directly
 * only inside a list of ranges the caller vouches for without a map (the
 * allocator's arenas, unchanged since a map showed them, see
 * core/self.c) and reads everything else through the kernel.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "os/mem.h"

/* How many elements ahead a direct read prefetches. */
#define PREFETCH_AHEAD 8

struct self_direct {
	struct pmf__mem kernel; /* the fallback: process_vm_readv */
	const struct pmf__maps *maps;
	uint64_t img_start, img_end; /* the interpreter image's mappings */
	enum pmf__self_mode mode;
	/* PMF__SELF_ARENAS: sorted, disjoint [start, end) pairs. */
	struct pmf__range *trust;
	size_t ntrust;
	size_t tlast; /* the range trusted() last found */
	/* The last run of loadable mappings found, [lo, hi), while the map
	 * is generation GEN: pool headers come by the thousand from a few
	 * runs, each then checked with two compares. */
	unsigned long gen;
	uint64_t lo, hi;
};

/* A mapping a plain load cannot fault in (ARG: the self_direct). */
static bool
loadable(const struct pmf__map *mp, const void *arg)
{
	const struct self_direct *s = arg;
	if (!mp->r || mp->shared)
		return false;
	if (pmf__map_is_anon(mp))
		return true;
	return mp->w && mp->inode != 0 && mp->start >= s->img_start &&
	       mp->end <= s->img_end;
}

/* Widens the known run around a loadable [ADDR, ADDR+LEN) to whole
 * mappings. */
static void
remember(struct self_direct *s, uint64_t addr, uint64_t end)
{
	const struct pmf__map *mp = pmf__maps_find(s->maps, addr);
	if (mp == NULL)
		return;
	uint64_t lo = mp->start, hi = mp->end;
	/* Later mappings of the run, as far as the read went. */
	while (hi < end && (mp = pmf__maps_find(s->maps, hi)) != NULL &&
	       mp->start == hi && loadable(mp, s))
		hi = mp->end;
	s->gen = s->maps->gen;
	s->lo = lo;
	s->hi = hi;
}

/* [ADDR, END) inside one of the vouched-for ranges.  Reads come in runs
 * (an arena's pools, a free list's nodes): the last range found is
 * tried first. */
static bool
trusted(struct self_direct *s, uint64_t addr, uint64_t end)
{
	if (s->tlast < s->ntrust && addr >= s->trust[s->tlast].start &&
	    end <= s->trust[s->tlast].end)
		return true;
	size_t lo = pmf__count_le_u64(s->trust, s->ntrust, sizeof(*s->trust),
				      addr);
	/* trust[lo - 1] is the last range starting at or below ADDR. */
	if (lo == 0 || end > s->trust[lo - 1].end)
		return false;
	s->tlast = lo - 1;
	return true;
}

static bool
direct_ok(struct self_direct *s, uint64_t addr, size_t len)
{
	uint64_t end;
	if (len == 0 || PMF_ADD_OVERFLOW(addr, (uint64_t)len, &end))
		return false;
	if (!trusted(s, addr, end))
		return false;
	if (s->mode == PMF__SELF_ARENAS)
		return true;
	if (s->gen == s->maps->gen && s->hi > s->lo && addr >= s->lo &&
	    end <= s->hi)
		return true;
	if (!pmf__maps_range_all(s->maps, addr, len, loadable, s))
		return false;
	remember(s, addr, end);
	return true;
}

static long
self_readv(void *ctx, struct pmf__iov *iov, size_t n, struct pmf__err *e)
{
	struct self_direct *s = ctx;
	if (s->mode == PMF__SELF_KERNEL)
		return pmf__mem_readv(&s->kernel, iov, n, e);
	long failed = 0;
	size_t i = 0;
	while (i < n) {
		/* The pool walk reads one header per page: each is a cache
		 * (and TLB) miss, which the next ones' prefetches overlap.
		 * A prefetch never faults, whatever the address. */
		if (i + PREFETCH_AHEAD < n)
			__builtin_prefetch(
				(const void *)(uintptr_t)iov[i + PREFETCH_AHEAD]
					.addr);
		if (direct_ok(s, iov[i].addr, iov[i].len)) {
			memcpy(iov[i].buf, (const void *)(uintptr_t)iov[i].addr,
			       iov[i].len);
			i++;
			continue;
		}
		/* A run of elements the kernel has to read. */
		size_t j = i + 1;
		while (j < n && !direct_ok(s, iov[j].addr, iov[j].len))
			j++;
		long r = pmf__mem_readv(&s->kernel, iov + i, j - i, e);
		if (r < 0)
			return r;
		failed += r;
		i = j;
	}
	return failed;
}

static const void *
self_direct(void *ctx, uint64_t addr, size_t len)
{
	struct self_direct *s = ctx;
	if (s->mode == PMF__SELF_KERNEL || !direct_ok(s, addr, len))
		return NULL;
	return (const void *)(uintptr_t)addr;
}

static void
self_close(void *ctx)
{
	struct self_direct *s = ctx;
	pmf__mem_close(&s->kernel);
	free(s->trust);
	free(s);
}

static const struct pmf__mem_ops self_direct_ops = {
	.name = "self (direct)",
	.readv = self_readv,
	.close = self_close,
	.direct = self_direct,
};

int
pmf__mem_open_self_direct(struct pmf__mem *m, const struct pmf__maps *maps,
			  uint64_t img_start, uint64_t img_end,
			  struct pmf__err *e)
{
	struct self_direct *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	int rc = pmf__mem_open_self(&s->kernel, e);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->maps = maps;
	s->img_start = img_start;
	s->img_end = img_end;
	*m = (struct pmf__mem){.ops = &self_direct_ops, .ctx = s};
	return 0;
}

/* Under AddressSanitizer the copy is checked against ASan's view of the
 * heap, and the allocator's memory (or a freed malloc chunk a stale
 * pointer names) would be reported: sanitized builds read through the
 * kernel only. */
#if defined(__SANITIZE_ADDRESS__)
#define DIRECT_ALLOWED false
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DIRECT_ALLOWED false
#endif
#endif
#ifndef DIRECT_ALLOWED
#define DIRECT_ALLOWED true
#endif

void
pmf__mem_self_mode(struct pmf__mem *m, enum pmf__self_mode mode)
{
	if (m->ops != &self_direct_ops)
		return;
	struct self_direct *s = m->ctx;
	s->mode = DIRECT_ALLOWED ? mode : PMF__SELF_KERNEL;
	/* What the last mode concluded holds no more. */
	s->hi = s->lo = 0;
}

static int
cmp_range(const void *a, const void *b)
{
	uint64_t x = ((const struct pmf__range *)a)->start;
	uint64_t y = ((const struct pmf__range *)b)->start;
	return x < y ? -1 : x > y;
}

/* Sorts the K ranges V (malloc'd, taken over) and merges those that
 * overlap, and those that touch when JOIN, into the trusted list. */
static int
set_trust(struct self_direct *s, struct pmf__range *v, size_t k, bool join)
{
	qsort(v, k, sizeof(*v), cmp_range);
	size_t w = 0;
	for (size_t i = 0; i < k; i++) {
		if (w > 0 && (v[i].start < v[w - 1].end ||
			      (join && v[i].start == v[w - 1].end))) {
			if (v[i].end > v[w - 1].end)
				v[w - 1].end = v[i].end;
		} else {
			v[w++] = v[i];
		}
	}
	free(s->trust);
	s->trust = v;
	s->ntrust = w;
	s->tlast = 0;
	return 0;
}

/* R as given: the map is checked at each read (PMF__SELF_MAPS). */
static int
trust_as_given(struct self_direct *s, const struct pmf__range *r, size_t n)
{
	struct pmf__range *v = malloc((n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return PMF_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (r[i].end > r[i].start)
			v[k++] = r[i];
	/* Touching ranges stay apart: a read across two is not vouched
	 * for as a whole unless the map says so. */
	return set_trust(s, v, k, false);
}

int
pmf__mem_self_trust(struct pmf__mem *m, const struct pmf__range *r, size_t n,
		    bool cut)
{
	if (m->ops != &self_direct_ops)
		return 0;
	struct self_direct *s = m->ctx;
	const struct pmf__maps *maps = s->maps;
	s->hi = s->lo = 0;
	if (!cut)
		return trust_as_given(s, r, n);
	if (maps->q != NULL)
		return PMF_EINVAL;
	/* Each range cut to the loadable mappings in it: at most one piece
	 * per mapping, plus one per range. */
	size_t cap = n + maps->n, k = 0;
	struct pmf__range *v = malloc((cap ? cap : 1) * sizeof(*v));
	if (v == NULL)
		return PMF_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct pmf__map *mp = NULL;
		/* The first mapping ending above the range's start. */
		size_t lo = 0, hi = maps->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (maps->v[mid].end <= r[i].start)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < maps->n && k < cap; j++) {
			mp = &maps->v[j];
			if (mp->start >= r[i].end)
				break;
			if (!loadable(mp, s))
				continue;
			uint64_t a = mp->start > r[i].start ? mp->start
							    : r[i].start;
			uint64_t b = mp->end < r[i].end ? mp->end : r[i].end;
			/* Adjacent pieces (adjacent arenas, say) join. */
			if (k > 0 && v[k - 1].end == a)
				v[k - 1].end = b;
			else
				v[k++] = (struct pmf__range){a, b};
		}
	}
	/* Pieces of one loadable run, cut from ranges given in any order,
	 * join. */
	return set_trust(s, v, k, true);
}
