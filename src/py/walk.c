/* SPDX-License-Identifier: MIT */
/*
 * walk.c - pool header walk.
 *
 * Cost is dominated by the kernel touching one page per pool header, so
 * headers are read in batches of up to BATCH with one readv each; a 4 GiB
 * heap (about 260,000 pools) takes about 250 calls.  Memory use is one
 * batch buffer plus one summary per arena, whatever the heap size.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "py/walk.h"

#define BATCH 1024
/* How far ahead an in-place walk prefetches, in pools. */
#define PREFETCH_POOLS 8

struct slot {
	uint32_t arena; /* index into w->arenas */
	uint32_t rec;   /* index into w->pools, when kept */
	uint64_t addr;
};

struct batch {
	struct pmf__iov iov[BATCH];
	struct slot slot[BATCH];
	unsigned char hdr[BATCH][PMF__PH_SIZE];
	size_t n;
};

/* Per-class accumulators, as in CPython, and per-class constants of the
 * geometry (spacing ALIGN) that spare the walk a division per pool: the
 * block size, the blocks per pool, and a divider by the size. */
struct acc {
	uint64_t pools[PMF__MAX_CLASSES];
	uint64_t blocks[PMF__MAX_CLASSES];
	uint64_t free[PMF__MAX_CLASSES];
	unsigned align;
	uint32_t size[PMF__MAX_CLASSES];
	uint32_t nblocks[PMF__MAX_CLASSES];
	struct pmf__divider div[PMF__MAX_CLASSES];
};

/* The constants for G's spacing (which the first pool may change). */
static void
classes(struct acc *acc, const struct pmf__geom *g)
{
	acc->align = g->alignment;
	for (unsigned i = 0; i < g->nclasses && i < PMF__MAX_CLASSES; i++) {
		acc->size[i] = pmf__geom_size(g, i);
		acc->nblocks[i] = pmf__geom_nblocks(g, i);
		acc->div[i] = pmf__divider(acc->size[i]);
	}
}

static bool
multiple_of(const struct acc *acc, unsigned szidx, uint32_t n)
{
	return pmf__divides(&acc->div[szidx], n);
}

static bool
pool_valid(const unsigned char *h, uint64_t addr, uint32_t arena_index,
	   struct pmf__geom *g, struct acc *acc, char *why, size_t whylen)
{
	uint32_t count = pmf__ld32(h + PMF__PH_COUNT);
	uint32_t szidx = pmf__ld32(h + PMF__PH_SZIDX);
	uint32_t arenaindex = pmf__ld32(h + PMF__PH_ARENAINDEX);
	uint32_t nextoffset = pmf__ld32(h + PMF__PH_NEXTOFFSET);
	uint32_t maxnext = pmf__ld32(h + PMF__PH_MAXNEXTOFFSET);
	uint64_t freeblock = pmf__ld64(h + PMF__PH_FREEBLOCK);
	const char *r = NULL;
	if (arenaindex != arena_index)
		r = "arenaindex does not match its arena";
	else if (!pmf__geom_accept(g, szidx, maxnext))
		r = "size class does not match maxnextoffset";
	else {
		if (acc->align != g->alignment)
			classes(acc, g);
		unsigned size = acc->size[szidx];
		if (count > acc->nblocks[szidx])
			r = "more blocks in use than fit";
		else if (nextoffset > g->pool_size ||
			 nextoffset < g->overhead + size ||
			 !multiple_of(acc, szidx, nextoffset - g->overhead))
			r = "nextoffset out of range";
		else if (freeblock != 0 &&
			 (freeblock < addr + g->overhead ||
			  freeblock >= addr + g->pool_size))
			r = "freeblock outside the pool";
	}
	if (r != NULL)
		snprintf(why, whylen, "pool 0x%llx (szidx %u, count %u): %s",
			 (unsigned long long)addr, szidx, count, r);
	return r == NULL;
}

/* Accounts the pool at ADDR of arena AS from its header H (NULL: not
 * readable); REC, when pools are kept, is its record. */
static int
take_pool(const unsigned char *h, uint64_t addr, struct pmf__arena_sum *as,
	  struct pmf__pool_rec *rec, struct pmf__walk *w, struct pmf__geom *g,
	  struct acc *acc, bool strict, struct pmf__err *e)
{
	char why[200];
	bool ok = h != NULL;
	if (!ok)
		snprintf(why, sizeof(why), "pool 0x%llx is unreadable",
			 (unsigned long long)addr);
	uint32_t count = ok ? pmf__ld32(h + PMF__PH_COUNT) : 0;
	if (ok && count == 0) {
		/* Empty and cached: szidx is stale, CPython skips it, and
		 * so do we. */
		as->pools_empty++;
		if (rec != NULL)
			rec->kind = PMF__POOL_EMPTY;
		return 0;
	}
	if (ok)
		ok = pool_valid(h, addr, as->index, g, acc, why, sizeof(why));
	if (!ok) {
		if (w->problem[0] == '\0')
			snprintf(w->problem, sizeof(w->problem), "%s", why);
		w->pools_bad++;
		as->pools_bad++;
		if (rec != NULL)
			rec->kind = PMF__POOL_BAD;
		if (strict)
			return pmf__err_set(e, PMF_EAGAIN, "%s", why);
		return 0;
	}
	uint32_t szidx = pmf__ld32(h + PMF__PH_SZIDX);
	unsigned nb = acc->nblocks[szidx];
	acc->pools[szidx]++;
	acc->blocks[szidx] += count;
	acc->free[szidx] += nb - count;
	as->pools_used++;
	if (count == nb)
		as->pools_full++;
	as->blocks_live += count;
	as->bytes_live += (uint64_t)count * acc->size[szidx];
	if (rec != NULL)
		*rec = (struct pmf__pool_rec){
			.count = (uint16_t)count,
			.nextoffset =
				(uint16_t)pmf__ld32(h + PMF__PH_NEXTOFFSET),
			.szidx = (uint8_t)szidx,
			.kind = PMF__POOL_USED};
	return 0;
}

static int
flush(struct pmf__mem *mem, struct batch *b, struct pmf__walk *w,
      struct pmf__geom *g, struct acc *acc, bool strict, struct pmf__err *e)
{
	if (b->n == 0)
		return 0;
	long r = pmf__mem_readv(mem, b->iov, b->n, e);
	if (r < 0)
		return (int)r;
	w->pools_read += b->n;
	for (size_t k = 0; k < b->n; k++) {
		struct pmf__pool_rec *rec =
			w->keep_pools ? &w->pools[b->slot[k].rec] : NULL;
		int rc = take_pool(b->iov[k].err == 0 ? b->hdr[k] : NULL,
				   b->slot[k].addr,
				   &w->arenas[b->slot[k].arena], rec, w, g, acc,
				   strict, e);
		if (rc < 0)
			return rc;
	}
	b->n = 0;
	return 0;
}

/* A new pool record (marked bad until its header is read), or NULL. */
static struct pmf__pool_rec *
new_rec(struct pmf__walk *w)
{
	struct pmf__pool_rec *r = PMF__VEC_PUSH(w->pools, w->npools, w->pcap);
	if (r != NULL)
		*r = (struct pmf__pool_rec){.kind = PMF__POOL_BAD};
	return r;
}

/* The carved pools [BASE, END) of arena AS read in place, when the
 * source can (in-process): no copy, and one check of the map for the
 * whole arena rather than one per pool.  Returns 1 when it did, 0 when
 * they must be read through the batch. */
static int
walk_in_place(struct pmf__mem *mem, uint64_t base, uint64_t end,
	      struct pmf__arena_sum *as, struct pmf__walk *w,
	      struct pmf__geom *g, struct acc *acc, bool strict,
	      struct pmf__err *e)
{
	if (end <= base)
		return 0;
	const unsigned char *mine = pmf__mem_direct(mem, base, end - base);
	if (mine == NULL)
		return 0;
	for (uint64_t p = base; p < end; p += g->pool_size) {
		/* One header per page, each a cache and TLB miss: the
		 * prefetch of one some pools ahead overlaps them (it never
		 * faults, even past the end). */
		__builtin_prefetch(
			(const void *)(uintptr_t)(p + PREFETCH_POOLS *
							  g->pool_size));
		struct pmf__pool_rec *rec = NULL;
		if (w->keep_pools && (rec = new_rec(w)) == NULL)
			return pmf__err_set(e, PMF_ENOMEM, "out of memory");
		w->pools_read++;
		int rc = take_pool(mine + (p - base), p, as, rec, w, g, acc,
				   strict, e);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* Every carved pool is used or empty, and an arena's nfreepools counts its
 * empty pools plus the never carved ones.  A stopped allocator always
 * agrees; a thread caught between moving a pool and updating the count,
 * or a non-blocking read racing one, does not.  Strict: PMF_EAGAIN.
 * Otherwise the pools the counts disagree on are counted as untrusted, and
 * the arena's unused pools are the ones its pool headers show, so that the
 * partition still adds up to the arenas (*FREEPOOLS is corrected). */
static int
check_counts(struct pmf__walk *w, bool strict, uint64_t *freepools,
	     struct pmf__err *e)
{
	for (size_t i = 0; i < w->narenas; i++) {
		struct pmf__arena_sum *as = &w->arenas[i];
		if (as->pools_bad != 0)
			continue; /* already untrusted */
		uint64_t want = (uint64_t)as->pools_empty + as->pools_untouched;
		if (as->nfreepools == want)
			continue;
		uint64_t diff = as->nfreepools > want ? as->nfreepools - want
						      : want - as->nfreepools;
		if (strict)
			return pmf__err_set(
				e, PMF_EAGAIN,
				"arena %u: nfreepools %u, but %u empty and %u "
				"untouched pools",
				as->index, as->nfreepools, as->pools_empty,
				as->pools_untouched);
		as->pools_bad += (uint32_t)diff;
		w->pools_bad += diff;
		*freepools = *freepools - as->nfreepools + want;
	}
	return 0;
}

static void
finish(const struct pmf__state *st, const struct pmf__geom *g,
       const struct acc *acc, uint64_t narenas, uint64_t freepools,
       uint64_t misaligned, struct pmf_interp_stats *o)
{
	struct pmf_byte_partition *b = &o->bytes;
	o->nclasses = g->nclasses;
	memset(b, 0, sizeof(*b));
	for (unsigned i = 0; i < g->nclasses; i++) {
		unsigned size = pmf__geom_size(g, i);
		struct pmf_class_stats *c = &o->classes[i];
		c->index = i;
		c->size = size;
		c->pools = acc->pools[i];
		c->blocks_in_use = acc->blocks[i];
		c->blocks_available = acc->free[i];
		b->allocated_blocks += acc->blocks[i] * size;
		b->available_blocks += acc->free[i] * size;
		b->pool_headers += acc->pools[i] * g->overhead;
		b->quantization +=
			acc->pools[i] * ((g->pool_size - g->overhead) % size);
	}
	b->unused_pool_count = freepools;
	b->unused_pools = freepools * g->pool_size;
	b->arena_alignment = misaligned * g->pool_size;
	b->total = b->allocated_blocks + b->available_blocks +
		   b->unused_pools + b->pool_headers + b->quantization +
		   b->arena_alignment;

	struct pmf_arena_counters *a = &o->arenas;
	a->current = narenas;
	a->table_size = st->maxarenas;
	a->highwater = st->highwater;
	a->allocated_total = st->ntimes;
	/* CPython prints the size_t difference as is. */
	a->reclaimed = st->ntimes - narenas;

	struct pmf_arena_map *m = &o->arena_map;
	memset(m, 0, sizeof(*m));
	if (g->radix && st->have_map) {
		m->present = true;
		m->mid_nodes = (uint64_t)(int64_t)st->map_mid;
		m->bot_nodes = (uint64_t)(int64_t)st->map_bot;
		m->root_bytes = g->map_root;
		m->mid_bytes = m->mid_nodes * g->map_mid;
		m->bot_bytes = m->bot_nodes * g->map_bot;
		m->total_bytes = m->root_bytes + m->mid_bytes + m->bot_bytes;
	}
}

int
pmf__walk(struct pmf__mem *mem, const struct pmf__state *st,
	  struct pmf__geom *g, bool strict, struct pmf__walk *w,
	  struct pmf__err *e)
{
	struct batch *b = malloc(sizeof(*b)); /* 90 KB: off the stack */
	struct acc acc;
	uint64_t narenas = 0, freepools = 0, misaligned = 0;
	int rc = 0;

	if (b == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	memset(&acc, 0, sizeof(acc));
	classes(&acc, g);
	b->n = 0;
	w->narenas = 0;
	w->npools = 0;
	w->pools_read = 0;
	w->pools_bad = 0;
	w->problem[0] = '\0';
	for (uint32_t i = 0; i < st->maxarenas; i++) {
		const struct pmf__ao *a = &st->ao[i];
		if (a->address == 0)
			continue;
		char why[160];
		if (!pmf__ao_valid(a, g, NULL, why, sizeof(why))) {
			/* A torn entry: nothing in it can be trusted. */
			w->pools_bad++;
			if (w->problem[0] == '\0')
				snprintf(w->problem, sizeof(w->problem), "%s",
					 why);
			if (strict) {
				rc = pmf__err_set(e, PMF_EAGAIN, "%s", why);
				goto out;
			}
			continue;
		}
		struct pmf__arena_sum *as =
			PMF__VEC_PUSH(w->arenas, w->narenas, w->cap);
		if (as == NULL) {
			rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
			goto out;
		}
		narenas++;
		freepools += a->nfreepools;
		uint64_t base = a->address;
		if (base % g->pool_size != 0) {
			misaligned++;
			base = pmf__round_up(base, g->pool_size);
		}
		as->address = a->address;
		as->index = i;
		as->nfreepools = a->nfreepools;
		as->ntotalpools = a->ntotalpools;
		as->pools_untouched = (uint32_t)(
			(base + (uint64_t)a->ntotalpools * g->pool_size -
			 a->pool_address) /
			g->pool_size);
		as->ncarved = (uint32_t)((a->pool_address - base) /
					 g->pool_size);
		as->first_rec = (uint32_t)w->npools;
		rc = walk_in_place(mem, base, a->pool_address, as, w, g, &acc,
				   strict, e);
		if (rc < 0)
			goto out;
		if (rc == 1) {
			rc = 0;
			continue;
		}
		for (uint64_t p = base; p < a->pool_address; p += g->pool_size) {
			if (b->n == BATCH) {
				rc = flush(mem, b, w, g, &acc, strict, e);
				if (rc < 0)
					goto out;
			}
			b->slot[b->n] = (struct slot){
				.arena = (uint32_t)(w->narenas - 1),
				.addr = p};
			if (w->keep_pools) {
				if (new_rec(w) == NULL) {
					rc = pmf__err_set(e, PMF_ENOMEM,
							  "out of memory");
					goto out;
				}
				b->slot[b->n].rec = (uint32_t)(w->npools - 1);
			}
			b->iov[b->n] = (struct pmf__iov){
				.addr = p, .buf = b->hdr[b->n],
				.len = PMF__PH_SIZE};
			b->n++;
		}
	}
	rc = flush(mem, b, w, g, &acc, strict, e);
	if (rc == 0)
		rc = check_counts(w, strict, &freepools, e);
	if (rc < 0)
		goto out;
	w->out->pools_failed_validation = w->pools_bad;
	finish(st, g, &acc, narenas, freepools, misaligned, w->out);
out:
	free(b);
	return rc;
}

void
pmf__walk_free(struct pmf__walk *w)
{
	free(w->arenas);
	w->arenas = NULL;
	w->narenas = w->cap = 0;
	free(w->pools);
	w->pools = NULL;
	w->npools = w->pcap = 0;
}
