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

/* Regions and residency of arena A (its pages at PAGES, or NULL). */
static void
one_arena(struct pmf_analysis *an, const struct pmf__analyze_in *in,
	  const struct pmf__arena_sum *a, const uint8_t *pages,
	  struct pmf_arena *out)
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
	memset(out, 0, sizeof(*out));
	out->address = A;
	out->index = a->index;
	out->pools_total = a->ntotalpools;
	out->pools_used = a->pools_used;
	out->pools_full = a->pools_full;
	out->pools_empty = a->pools_empty + a->pools_bad;
	out->pools_untouched = a->pools_untouched;
	out->blocks_live = a->blocks_live;
	out->bytes_live = a->bytes_live;
	out->utilization = (double)a->bytes_live / (double)g->arena_size;
	if (pages == NULL)
		return;
	for (uint64_t pg = 0; pg < g->arena_size / in->page_size; pg++) {
		if (pages[pg] & PMF__PG_PRESENT)
			out->resident_bytes += in->page_size;
		if (pages[pg] & PMF__PG_SWAPPED)
			out->swapped_bytes += in->page_size;
		if (pages[pg] & PMF__PG_SHARED)
			out->shared_bytes += in->page_size;
	}
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
	for (int r = 0; r < PMF_REGION_COUNT; r++)
		res_add(&an->total, &an->regions[r]);
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

/* Most blocks first (each live block can hold a pool, hence an arena,
 * open, whatever its size), then most bytes, then by name. */
static int
cmp_types(const void *x, const void *y)
{
	const struct pmf_type_count *a = x, *b = y;
	if (a->count != b->count)
		return a->count < b->count ? 1 : -1;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? 1 : -1;
	return strcmp(a->name, b->name);
}

/* Turns the counts C into a list merged by name (two classes may share
 * one), most blocks first. */
static int
types_list(const struct pmf__types *cache, const struct pmf__tcounts *c,
	   struct pmf_type_count **out, size_t *n)
{
	size_t cap = 0, k = 0;
	struct pmf_type_count *v = NULL;
	for (uint32_t id = 0; id < PMF__T_FIRST + cache->nnames; id++) {
		if (c->count[id] == 0)
			continue;
		const char *name = pmf__types_name(cache, id);
		size_t i;
		for (i = 0; i < k; i++)
			if (strcmp(v[i].name, name) == 0)
				break;
		if (i == k) {
			struct pmf_type_count *t = PMF__VEC_PUSH(v, k, cap);
			if (t == NULL) {
				free(v);
				return PMF_ENOMEM;
			}
			memset(t, 0, sizeof(*t));
			snprintf(t->name, sizeof(t->name), "%s", name);
		}
		v[i].count += c->count[id];
		v[i].bytes += c->bytes[id];
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_types);
	*out = v;
	*n = k;
	return 0;
}

struct pick {
	uint64_t bytes_live, address;
	size_t j;
};

/* Least utilized first; by address among equals. */
static int
cmp_util(const void *x, const void *y)
{
	const struct pick *a = x, *b = y;
	if (a->bytes_live != b->bytes_live)
		return a->bytes_live < b->bytes_live ? -1 : 1;
	return a->address < b->address ? -1 : a->address > b->address;
}

int
pmf__analyze_types(struct pmf__mem *mem, const struct pmf__geom *g,
		   const struct pmf__objfmt *f, struct pmf__types *cache,
		   unsigned examine, uint64_t also, struct pmf__interp_data *d,
		   struct pmf__err *e)
{
	struct pmf_analysis *an = &d->analysis;
	size_t npinned = 0;
	struct pick *order = calloc(d->narenas + 1, sizeof(*order));
	struct pmf__tcounts *one = malloc(sizeof(*one));
	struct pmf__tcounts *all = calloc(1, sizeof(*all));
	struct pmf__pool_read *pools = malloc(
		(g->arena_size / g->pool_size + 1) * sizeof(*pools));
	int rc = 0;
	d->arena_types = calloc(d->narenas + 1, sizeof(*d->arena_types));
	if (order == NULL || one == NULL || all == NULL || pools == NULL ||
	    d->arena_types == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t j = 0; j < d->narenas; j++)
		if (d->pub_arenas[j].pinned)
			order[npinned++] = (struct pick){
				d->pub_arenas[j].bytes_live,
				d->pub_arenas[j].address, j};
	qsort(order, npinned, sizeof(*order), cmp_util);
	if (npinned > examine)
		npinned = examine;
	/* The arena a caller asked for (a drill-down) is read too, pinned
	 * or not, unless it is already among the least utilized. */
	for (size_t j = 0; also != 0 && j < d->narenas; j++) {
		if (d->pub_arenas[j].address != also)
			continue;
		bool have = false;
		for (size_t i = 0; i < npinned; i++)
			have = have || order[i].j == j;
		if (!have)
			order[npinned++] = (struct pick){
				d->pub_arenas[j].bytes_live,
				d->pub_arenas[j].address, j};
		break;
	}
	for (size_t i = 0; i < npinned; i++) {
		size_t j = order[i].j;
		const struct pmf__arena_sum *a = &d->arenas[j];
		uint64_t base = pmf__round_up(a->address, g->pool_size);
		size_t npg = d->page_size ? g->arena_size / d->page_size : 0;
		size_t n = 0;
		for (uint32_t k = 0; k < a->ncarved; k++) {
			if (a->first_rec + k >= d->npools)
				break;
			const struct pmf__pool_rec *rec =
				&d->pools[a->first_rec + k];
			if (rec->kind != PMF__POOL_USED)
				continue;
			uint64_t p = base + (uint64_t)k * g->pool_size;
			pools[n++] = (struct pmf__pool_read){
				.addr = p,
				.len = rec->nextoffset,
				.count = rec->count,
				.size = pmf__geom_size(g, rec->szidx),
				.pages = d->pages == NULL
						 ? NULL
						 : d->pages + j * npg +
							   (p - a->address) /
								   d->page_size,
			};
		}
		memset(one, 0, sizeof(*one));
		rc = pmf__types_count_pools(cache, mem, g, f, pools, n,
					    d->page_size, one, e);
		if (rc < 0)
			goto out;
		/* Only pinned arenas count in the pinned totals. */
		bool pinned = d->pub_arenas[j].pinned;
		for (size_t id = 0; pinned && id < PMF__T_FIRST + PMF__T_MAX;
		     id++) {
			all->count[id] += one->count[id];
			all->bytes[id] += one->bytes[id];
		}
		if (types_list(cache, one, &d->arena_types[j].v,
			       &d->arena_types[j].n) < 0) {
			rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
			goto out;
		}
		d->pub_arenas[j].examined = true;
		if (pinned)
			an->pinned_examined++;
	}
	if (types_list(cache, all, &d->types, &an->ntypes) < 0) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	an->types = d->types;
out:
	free(order);
	free(one);
	free(all);
	free(pools);
	/* The page flags served this pass only. */
	free(d->pages);
	d->pages = NULL;
	return rc;
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
