/* SPDX-License-Identifier: MIT */
/*
 * analysis.c - the fragmentation analysis, and its accessors.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compat.h"
#include "base/vec.h"
#include "core/analysis.h"

/* Adds [LO, HI) (target addresses in the arena at BASE) to R, with the
 * residency of the pages it covers. */
static void
add_range(struct pmf_residency *r, const struct pmf__analyze_in *in,
	  const uint8_t *pages, uint64_t base, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return;
	r->bytes += hi - lo;
	if (pages == NULL)
		return;
	uint64_t ps = in->page_size;
	for (uint64_t pg = (lo - base) / ps; pg * ps + base < hi; pg++) {
		uint64_t a = base + pg * ps, b = a + ps;
		uint64_t n = (hi < b ? hi : b) - (lo > a ? lo : a);
		if (pages[pg] & PMF__PG_PRESENT)
			r->resident_bytes += n;
		else if (pages[pg] & PMF__PG_SWAPPED)
			r->swapped_bytes += n;
	}
}

static void
res_add(struct pmf_residency *to, const struct pmf_residency *r)
{
	to->bytes += r->bytes;
	to->resident_bytes += r->resident_bytes;
	to->swapped_bytes += r->swapped_bytes;
}

/* The regions of one used pool at P. */
static void
used_pool(struct pmf_analysis *an, const struct pmf__analyze_in *in,
	  const uint8_t *pages, uint64_t base, uint64_t p,
	  const struct pmf__pool_rec *rec)
{
	const struct pmf__geom *g = in->g;
	unsigned size = pmf__geom_size(g, rec->szidx);
	unsigned nb = pmf__geom_nblocks(g, rec->szidx);
	uint64_t blocks_end = p + g->overhead + (uint64_t)nb * size;
	uint64_t next = p + rec->nextoffset;
	if (next > blocks_end)
		next = blocks_end;
	if (next < p + g->overhead)
		next = p + g->overhead;
	add_range(&an->regions[PMF_REGION_POOL_HEADERS], in, pages, base, p,
		  p + g->overhead);
	/* Carved blocks are live or free; which ones needs the pool's
	 * contents, so their residency is shared out by count.  They were
	 * all written once, so they are resident unless swapped out. */
	struct pmf_residency carved = {0};
	add_range(&carved, in, pages, base, p + g->overhead, next);
	uint64_t ncarved = carved.bytes / size;
	uint64_t live = rec->count < ncarved ? rec->count : ncarved;
	struct pmf_residency lv = {0}, fr;
	if (ncarved > 0) {
		lv.bytes = live * size;
		lv.resident_bytes = carved.resident_bytes * live / ncarved;
		lv.swapped_bytes = carved.swapped_bytes * live / ncarved;
	}
	fr = (struct pmf_residency){
		.bytes = carved.bytes - lv.bytes,
		.resident_bytes = carved.resident_bytes - lv.resident_bytes,
		.swapped_bytes = carved.swapped_bytes - lv.swapped_bytes};
	res_add(&an->regions[PMF_REGION_LIVE_BLOCKS], &lv);
	res_add(&an->regions[PMF_REGION_FREE_BLOCKS], &fr);
	/* Blocks past nextoffset were never handed out. */
	add_range(&an->regions[PMF_REGION_FREE_BLOCKS], in, pages, base, next,
		  blocks_end);
	add_range(&an->regions[PMF_REGION_QUANTIZATION], in, pages, base,
		  blocks_end, p + g->pool_size);
}

/* The regions of arena A, with their residency when PAGES (its page
 * flags) is not NULL. */
static void
arena_regions(struct pmf_analysis *an, const struct pmf__analyze_in *in,
	      const struct pmf__arena_sum *a, const uint8_t *pages)
{
	const struct pmf__geom *g = in->g;
	uint64_t A = a->address, end = A + g->arena_size;
	uint64_t base = pmf__round_up(A, g->pool_size);
	uint64_t pools_end = base + (uint64_t)a->ntotalpools * g->pool_size;
	if (pools_end > end)
		pools_end = end;
	add_range(&an->regions[PMF_REGION_ALIGNMENT], in, pages, A, A, base);
	add_range(&an->regions[PMF_REGION_ALIGNMENT], in, pages, A, pools_end,
		  end);
	for (uint32_t k = 0; k < a->ntotalpools; k++) {
		uint64_t p = base + (uint64_t)k * g->pool_size;
		if (p + g->pool_size > end)
			break;
		const struct pmf__pool_rec *rec = NULL;
		if (k < a->ncarved && in->pools != NULL &&
		    a->first_rec + k < in->npools)
			rec = &in->pools[a->first_rec + k];
		enum pmf_region r = PMF_REGION_UNTOUCHED_POOLS;
		if (k < a->ncarved)
			r = PMF_REGION_EMPTY_POOLS; /* also torn pools */
		if (rec != NULL && rec->kind == PMF__POOL_USED)
			used_pool(an, in, pages, A, p, rec);
		else
			add_range(&an->regions[r], in, pages, A, p,
				  p + g->pool_size);
	}
}

/* The residency of the arena whose page flags are PAGES, into OUT. */
static void
arena_residency(const struct pmf__analyze_in *in, const uint8_t *pages,
		struct pmf_arena *out)
{
	out->resident_bytes = out->swapped_bytes = out->shared_bytes = 0;
	for (uint64_t pg = 0; pg < in->g->arena_size / in->page_size; pg++) {
		if (pages[pg] & PMF__PG_PRESENT)
			out->resident_bytes += in->page_size;
		if (pages[pg] & PMF__PG_SWAPPED)
			out->swapped_bytes += in->page_size;
		if (pages[pg] & PMF__PG_SHARED)
			out->shared_bytes += in->page_size;
	}
}

/* Regions and residency of arena A (its pages at PAGES, or NULL). */
static void
one_arena(struct pmf_analysis *an, const struct pmf__analyze_in *in,
	  const struct pmf__arena_sum *a, const uint8_t *pages,
	  struct pmf_arena *out)
{
	const struct pmf__geom *g = in->g;
	arena_regions(an, in, a, pages);
	memset(out, 0, sizeof(*out));
	out->address = a->address;
	out->index = a->index;
	out->pools_total = a->ntotalpools;
	out->pools_used = a->pools_used;
	out->pools_full = a->pools_full;
	out->pools_empty = a->pools_empty + a->pools_bad;
	out->pools_untouched = a->pools_untouched;
	out->blocks_live = a->blocks_live;
	out->bytes_live = a->bytes_live;
	out->utilization = (double)a->bytes_live / (double)g->arena_size;
	if (pages != NULL)
		arena_residency(in, pages, out);
}

static void
regions_total(struct pmf_analysis *an)
{
	memset(&an->total, 0, sizeof(an->total));
	for (int r = 0; r < PMF_REGION_COUNT; r++)
		res_add(&an->total, &an->regions[r]);
}

void
pmf__analyze_residency(const struct pmf__analyze_in *in,
		       struct pmf__interp_data *d)
{
	struct pmf_analysis *an = &d->analysis;
	if (in->pages == NULL || d->pub_arenas == NULL)
		return;
	memset(an->regions, 0, sizeof(an->regions));
	uint64_t npg = in->g->arena_size / in->page_size;
	for (size_t j = 0; j < in->narenas && j < d->narenas; j++) {
		arena_regions(an, in, &in->arenas[j], in->pages + j * npg);
		arena_residency(in, in->pages + j * npg, &d->pub_arenas[j]);
	}
	regions_total(an);
	an->residency_valid = true;
}

int
pmf__analyze(const struct pmf__analyze_in *in,
	     const struct pmf_interp_stats *st, struct pmf__interp_data *d,
	     struct pmf__err *e)
{
	const struct pmf__geom *g = in->g;
	struct pmf_analysis *an = &d->analysis;
	memset(an, 0, sizeof(*an));
	an->valid = true;
	an->residency_valid = in->pages != NULL;
	an->pinned_below = in->pinned_below;
	free(d->pub_arenas);
	d->pub_arenas = calloc(in->narenas + 1, sizeof(*d->pub_arenas));
	if (d->pub_arenas == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	uint64_t npg = in->pages ? g->arena_size / in->page_size : 0;
	uint64_t ppa = g->arena_size / g->pool_size;
	for (size_t j = 0; j < in->narenas; j++) {
		const struct pmf__arena_sum *a = &in->arenas[j];
		struct pmf_arena *pa = &d->pub_arenas[j];
		one_arena(an, in, a, in->pages ? in->pages + j * npg : NULL,
			  pa);
		uint64_t bucket = a->bytes_live * PMF_HISTOGRAM_BUCKETS /
				  g->arena_size;
		if (bucket >= PMF_HISTOGRAM_BUCKETS)
			bucket = PMF_HISTOGRAM_BUCKETS - 1;
		an->histogram[bucket]++;
		/* An arena with no live block is not pinned: pymalloc keeps
		 * it on purpose (3.9+ keeps one empty arena). */
		pa->pinned = a->blocks_live > 0 &&
			     pa->utilization < in->pinned_below;
		if (pa->pinned) {
			an->pinned_arenas++;
			an->pinned_live_blocks += a->blocks_live;
			an->pinned_live_bytes += a->bytes_live;
		}
		if (a->ntotalpools > 0 && a->ntotalpools < ppa)
			ppa = a->ntotalpools;
	}
	regions_total(an);
	/* Perfect packing: each class's blocks in as few pools as hold
	 * them, and those pools in as few arenas as hold them. */
	uint64_t pools = 0;
	for (unsigned c = 0; c < st->nclasses; c++) {
		unsigned nb = pmf__geom_nblocks(g, c);
		if (nb > 0)
			pools += (st->classes[c].blocks_in_use + nb - 1) / nb;
	}
	an->packed_arenas = ppa > 0 ? (pools + ppa - 1) / ppa : 0;
	if (st->arenas.current > an->packed_arenas)
		an->stranded_bytes = (st->arenas.current - an->packed_arenas) *
				     g->arena_size;
	d->narenas = in->narenas;
	return 0;
}

static const char *const region_names[] = {
	[PMF_REGION_LIVE_BLOCKS] = "live_blocks",
	[PMF_REGION_FREE_BLOCKS] = "free_blocks",
	[PMF_REGION_EMPTY_POOLS] = "empty_pools",
	[PMF_REGION_UNTOUCHED_POOLS] = "untouched_pools",
	[PMF_REGION_POOL_HEADERS] = "pool_headers",
	[PMF_REGION_QUANTIZATION] = "quantization",
	[PMF_REGION_ALIGNMENT] = "alignment",
};

const char *
pmf_region_name(enum pmf_region r)
{
	if ((unsigned)r < PMF_ARRAY_SIZE(region_names))
		return region_names[r];
	return "unknown";
}

uint64_t
pmf_class_waste(const struct pmf_class_stats *c, uint64_t pool_size,
		unsigned pool_overhead)
{
	if (c == NULL || c->size == 0 || pool_size <= pool_overhead)
		return 0;
	uint64_t tail = (pool_size - pool_overhead) % c->size;
	return c->blocks_available * c->size +
	       c->pools * (pool_overhead + tail);
}

void
pmf__interp_data_free(struct pmf__interp_data *d)
{
	if (d->arena_types != NULL)
		for (size_t j = 0; j < d->narenas; j++)
			free(d->arena_types[j].v);
	free(d->arena_types);
	free(d->pub_arenas);
	free(d->types);
	free(d->stranded_types);
	free(d->pools);
	free(d->pages);
	free(d->arenas);
	memset(d, 0, sizeof(*d));
}

const struct pmf_analysis *
pmf_snapshot_analysis(const pmf_snapshot *s, size_t i)
{
	if (s == NULL || i >= s->n)
		return NULL;
	return &s->data[i].analysis;
}

const struct pmf_arena *
pmf_snapshot_arenas(const pmf_snapshot *s, size_t i, size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (s == NULL || i >= s->n || s->data[i].pub_arenas == NULL)
		return NULL;
	if (n != NULL)
		*n = s->data[i].narenas;
	return s->data[i].pub_arenas;
}

const struct pmf_type_count *
pmf_snapshot_arena_types(const pmf_snapshot *s, size_t i, size_t j,
			 size_t *n)
{
	if (n != NULL)
		*n = 0;
	if (s == NULL || i >= s->n || s->data[i].arena_types == NULL ||
	    j >= s->data[i].narenas || s->data[i].arena_types[j].v == NULL)
		return NULL;
	if (n != NULL)
		*n = s->data[i].arena_types[j].n;
	return s->data[i].arena_types[j].v;
}
