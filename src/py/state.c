/* SPDX-License-Identifier: MIT */
/*
 * state.c - reading and checking an obmalloc state.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "py/state.h"

void
pmf__state_ref_struct(struct pmf__state_ref *r, uint64_t base,
		      const struct pmf__state_offsets *o, bool radix)
{
	*r = (struct pmf__state_ref){
		.base = base,
		.usedpools = base + o->usedpools,
		.nusedpools = 64,
		.arenas = base + o->arenas,
		.maxarenas = base + o->maxarenas,
		.ncur = base + o->ncur,
		.ntimes = base + o->ntimes,
		.highwater = base + o->highwater,
	};
	if (radix) {
		r->map_mid = base + o->map_mid_count;
		r->map_bot = base + o->map_bot_count;
	}
}

void
pmf__ao_decode(const unsigned char *p, struct pmf__ao *a)
{
	a->address = pmf__ld64(p + PMF__AO_ADDRESS);
	a->pool_address = pmf__ld64(p + PMF__AO_POOL_ADDRESS);
	a->nfreepools = pmf__ld32(p + PMF__AO_NFREEPOOLS);
	a->ntotalpools = pmf__ld32(p + PMF__AO_NTOTALPOOLS);
	a->nextarena = pmf__ld64(p + PMF__AO_NEXTARENA);
	a->prevarena = pmf__ld64(p + PMF__AO_PREVARENA);
}

/* Reads an optional scalar of SIZE bytes; *OK is cleared on failure. */
static uint64_t
scalar(struct pmf__mem *mem, uint64_t addr, size_t size, bool *ok)
{
	unsigned char b[8] = {0};
	if (addr == 0 || pmf__mem_read(mem, addr, b, size, NULL) < 0) {
		*ok = false;
		return 0;
	}
	return size == 8 ? pmf__ld64(b) : pmf__ld32(b);
}

int
pmf__state_read(struct pmf__mem *mem, const struct pmf__state_ref *ref,
		const struct pmf__geom *g, struct pmf__state *st,
		struct pmf__err *e)
{
	(void)g;
	int rc;
	uint32_t max;
	if ((rc = pmf__mem_read_u64(mem, ref->arenas, &st->arenas_ptr, e)) <
		    0 ||
	    (rc = pmf__mem_read_u32(mem, ref->maxarenas, &max, e)) < 0)
		return rc;
	st->maxarenas = max;
	st->live = 0;
	if (max > PMF__MAX_ARENAS)
		return pmf__err_set(e, PMF_ECORRUPT,
				    "implausible arena table size %u", max);
	if ((max == 0) != (st->arenas_ptr == 0))
		return pmf__err_set(e, PMF_ECORRUPT,
				    "arena table pointer 0x%llx does not fit "
				    "its size %u",
				    (unsigned long long)st->arenas_ptr, max);

	bool ok = true;
	st->ntimes = scalar(mem, ref->ntimes, 8, &ok);
	st->highwater = scalar(mem, ref->highwater, 8, &ok);
	st->have_counters = ok;
	ok = true;
	st->ncur = scalar(mem, ref->ncur, 8, &ok);
	st->have_ncur = ok;
	ok = ref->serialno != 0;
	st->serialno = scalar(mem, ref->serialno, 8, &ok);
	st->have_serialno = ok;
	ok = ref->map_mid != 0;
	st->map_mid = (int32_t)scalar(mem, ref->map_mid, 4, &ok);
	st->map_bot = (int32_t)scalar(mem, ref->map_bot, 4, &ok);
	st->have_map = ok;

	st->nused = 0;
	if (ref->usedpools != 0 && ref->nusedpools <= PMF__USEDPOOLS_MAX) {
		unsigned char b[PMF__USEDPOOLS_MAX * 8];
		if (pmf__mem_read(mem, ref->usedpools, b, ref->nusedpools * 8u,
				  NULL) == 0) {
			for (unsigned i = 0; i < ref->nusedpools; i++)
				st->usedpools[i] = pmf__ld64(b + 8 * i);
			st->nused = ref->nusedpools;
		}
	}

	if (max == 0)
		return 0;
	if (!pmf__vec_reserve((void **)&st->ao, &st->ao_cap, max,
			      sizeof(*st->ao)))
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	size_t bytes = (size_t)max * PMF__AO_SIZE;
	unsigned char *raw = malloc(bytes);
	if (raw == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	rc = pmf__mem_read(mem, st->arenas_ptr, raw, bytes, e);
	if (rc == 0) {
		for (uint32_t i = 0; i < max; i++) {
			pmf__ao_decode(raw + (size_t)i * PMF__AO_SIZE, &st->ao[i]);
			if (st->ao[i].address != 0)
				st->live++;
		}
	}
	free(raw);
	return rc;
}

void
pmf__state_free(struct pmf__state *st)
{
	free(st->ao);
	st->ao = NULL;
	st->ao_cap = 0;
}

bool
pmf__ao_valid(const struct pmf__ao *a, const struct pmf__geom *g,
	      const struct pmf__maps *maps, char *why, size_t whylen)
{
	const char *r = NULL;
	uint64_t first = pmf__round_up(a->address, g->pool_size);
	uint32_t pools = (uint32_t)(g->arena_size / g->pool_size);
	uint32_t want_total = first == a->address ? pools : pools - 1;
	uint64_t end = a->address + g->arena_size;
	/* Arenas come from mmap (page aligned) or, with a custom arena
	 * allocator, from malloc (16-byte aligned at least). */
	if (a->address % 16 != 0 || end < a->address)
		r = "misaligned arena address";
	else if (a->ntotalpools != want_total)
		r = "wrong ntotalpools";
	else if (a->nfreepools > a->ntotalpools)
		r = "nfreepools > ntotalpools";
	else if (a->pool_address < first || a->pool_address > end ||
		 (a->pool_address - first) % g->pool_size != 0)
		r = "pool_address outside the arena";
	else if ((a->pool_address - first) / g->pool_size > a->ntotalpools)
		r = "pool_address past the last pool";
	else if (maps != NULL &&
		 !pmf__maps_range_is_anon_rw(maps, a->address, g->arena_size))
		r = "arena not in read-write anonymous memory";
	if (r != NULL && why != NULL)
		snprintf(why, whylen, "arena 0x%llx: %s",
			 (unsigned long long)a->address, r);
	return r == NULL;
}

uint64_t
pmf__first_pools_bad(struct pmf__mem *mem, const struct pmf__geom *geom,
		     const struct pmf__ao *ao, uint32_t m)
{
	enum { BATCH = 256 };
	struct pmf__iov iov[BATCH];
	unsigned char hdr[BATCH][PMF__PH_SIZE];
	uint32_t idx[BATCH];
	struct pmf__geom g = *geom; /* accepting may adopt a spacing */
	uint64_t bad = 0;
	uint32_t i = 0;
	while (i < m) {
		size_t n = 0;
		for (; i < m && n < BATCH; i++) {
			uint64_t first =
				pmf__round_up(ao[i].address, g.pool_size);
			if (ao[i].address == 0 || ao[i].pool_address <= first)
				continue; /* unused, or nothing carved */
			iov[n] = (struct pmf__iov){.addr = first,
						   .buf = hdr[n],
						   .len = PMF__PH_SIZE};
			idx[n++] = i;
		}
		if (n > 0 && pmf__mem_readv(mem, iov, n, NULL) < 0)
			return m;
		for (size_t k = 0; k < n; k++) {
			const unsigned char *h = hdr[k];
			uint32_t count = pmf__ld32(h + PMF__PH_COUNT);
			uint32_t next = pmf__ld32(h + PMF__PH_NEXTOFFSET);
			if (iov[k].err != 0 ||
			    pmf__ld32(h + PMF__PH_ARENAINDEX) != idx[k])
				bad++;
			else if (count != 0 &&
				 (!pmf__geom_accept(
					  &g, pmf__ld32(h + PMF__PH_SZIDX),
					  pmf__ld32(h + PMF__PH_MAXNEXTOFFSET)) ||
				  next > g.pool_size || next < g.overhead))
				bad++;
		}
	}
	return bad;
}

/* Index of the arena containing ADDR, or -1. */
static long
arena_of(const struct pmf__state *st, const struct pmf__geom *g, uint64_t addr)
{
	for (uint32_t i = 0; i < st->maxarenas; i++) {
		const struct pmf__ao *a = &st->ao[i];
		if (a->address != 0 && addr >= a->address &&
		    addr - a->address < g->arena_size)
			return (long)i;
	}
	return -1;
}

static void note(struct pmf__check *c, const char *fmt, ...) PMF_PRINTF(2, 3);

static void
note(struct pmf__check *c, const char *fmt, ...)
{
	if (c->problem[0] != '\0')
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
	va_end(ap);
}

/* usedpools[2i] and [2i+1] are the links of a fake pool header at
 * &usedpools[2i] - 16: equal to it when class i has no partly used pool,
 * else both point at pool headers of class i with blocks in use. */
static void
check_usedpools(const struct pmf__state *st, const struct pmf__state_ref *ref,
		const struct pmf__geom *g, struct pmf__mem *mem,
		struct pmf__check *c)
{
	struct pmf__iov iov[PMF__USEDPOOLS_MAX];
	unsigned char hdr[PMF__USEDPOOLS_MAX][PMF__PH_SIZE];
	unsigned cls[PMF__USEDPOOLS_MAX];
	size_t n = 0;
	for (unsigned i = 0; 2 * i + 1 < st->nused; i++) {
		uint64_t self = ref->usedpools + 16 * (uint64_t)i - 16;
		uint64_t head = st->usedpools[2 * i];
		uint64_t tail = st->usedpools[2 * i + 1];
		c->checked_classes++;
		if (head == self && tail == self)
			continue;
		if (head == self || tail == self || head % g->pool_size != 0 ||
		    tail % g->pool_size != 0 || arena_of(st, g, head) < 0 ||
		    arena_of(st, g, tail) < 0) {
			c->bad_classes++;
			note(c, "usedpools[%u] = 0x%llx is not a pool", 2 * i,
			     (unsigned long long)head);
			continue;
		}
		iov[n] = (struct pmf__iov){.addr = head, .buf = hdr[n],
					   .len = PMF__PH_SIZE};
		cls[n++] = i;
	}
	if (n == 0)
		return;
	if (pmf__mem_readv(mem, iov, n, NULL) < 0) {
		c->bad_classes += (unsigned)n;
		return;
	}
	for (size_t k = 0; k < n; k++) {
		uint32_t count = pmf__ld32(hdr[k] + PMF__PH_COUNT);
		uint32_t szidx = pmf__ld32(hdr[k] + PMF__PH_SZIDX);
		if (iov[k].err != 0 || szidx != cls[k] || count == 0) {
			c->bad_classes++;
			note(c, "usedpools class %u points at pool 0x%llx of "
				"another class",
			     cls[k], (unsigned long long)iov[k].addr);
		}
	}
}

void
pmf__state_check(const struct pmf__state *st, const struct pmf__state_ref *ref,
		 const struct pmf__geom *g, const struct pmf__maps *maps,
		 struct pmf__mem *mem, struct pmf__check *c)
{
	memset(c, 0, sizeof(*c));
	uint64_t lo = st->arenas_ptr;
	uint64_t hi = lo + (uint64_t)st->maxarenas * PMF__AO_SIZE;
	for (uint32_t i = 0; i < st->maxarenas; i++) {
		const struct pmf__ao *a = &st->ao[i];
		if (a->address == 0) {
			uint64_t nx = a->nextarena;
			if (nx != 0 &&
			    (nx < lo || nx >= hi || (nx - lo) % PMF__AO_SIZE)) {
				c->bad_unused++;
				note(c, "unused arena_object %u links to 0x%llx",
				     i, (unsigned long long)nx);
			}
			continue;
		}
		c->live++;
		char why[160];
		if (!pmf__ao_valid(a, g, maps, why, sizeof(why))) {
			c->bad_used++;
			if (c->problem[0] == '\0')
				snprintf(c->problem, sizeof(c->problem), "%s",
					 why);
		}
	}
	uint64_t fp = pmf__first_pools_bad(mem, g, st->ao, st->maxarenas);
	if (fp > 0) {
		c->bad_used += fp;
		note(c, "%llu arenas whose first pool does not belong to them",
		     (unsigned long long)fp);
	}
	/* The counters describe the same arenas; the table is the truth,
	 * CPython asserts narenas_currently_allocated equals its count. */
	c->counters_ok = !st->have_counters ||
			 (st->highwater >= c->live && st->ntimes >= st->highwater);
	if (st->have_ncur && st->ncur != c->live)
		c->counters_ok = false;
	if (!c->counters_ok)
		note(c, "arena counters disagree with the table (%llu live, "
			"%llu counted)",
		     (unsigned long long)c->live, (unsigned long long)st->ncur);
	check_usedpools(st, ref, g, mem, c);
}

bool
pmf__check_passes(const struct pmf__check *c, bool strict)
{
	if (strict)
		return c->bad_used == 0 && c->bad_unused == 0 &&
		       c->bad_classes == 0 && c->counters_ok;
	/* Lenient: a running target can tear a few entries, but most of the
	 * table and of usedpools must hold. */
	uint64_t bad = c->bad_used + c->bad_unused;
	return bad * 8 <= c->live + 1 && c->bad_classes * 4 <= c->checked_classes;
}
