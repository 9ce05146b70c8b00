/* SPDX-License-Identifier: MIT */
/*
 * sample.c - copying what the monitor shows out of a snapshot, and the
 * history kept between refreshes.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tui/sample.h"

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
copy_classes(struct tui_sample *o, const struct pmf_interp_stats *it,
	     const struct pmf_snapshot_info *in)
{
	for (unsigned c = 0; c < it->nclasses && c < TUI_MAX_CLASSES; c++) {
		const struct pmf_class_stats *k = &it->classes[c];
		if (k->pools == 0)
			continue;
		o->classes[o->nclasses++] = (struct tui_class){
			.index = k->index,
			.size = k->size,
			.pools = k->pools,
			.used = k->blocks_in_use,
			.avail = k->blocks_available,
			.waste = pmf_class_waste(k, in->pool_size,
						 in->pool_overhead),
		};
	}
}

/* A malloc'd copy of N elements of SIZE bytes at SRC; NULL when there is
 * nothing to copy or no memory (*OOM tells which). */
static void *
dup_array(const void *src, size_t n, size_t size, bool *oom)
{
	*oom = false;
	if (src == NULL || n == 0)
		return NULL;
	void *p = malloc(n * size);
	if (p == NULL)
		*oom = true;
	else
		memcpy(p, src, n * size);
	return p;
}

static int
copy_arenas(struct tui_sample *o, const pmf_snapshot *s, size_t idx)
{
	size_t n = 0;
	const struct pmf_arena *a = pmf_snapshot_arenas(s, idx, &n);
	bool oom;
	o->arena_list = dup_array(a, n, sizeof(*a), &oom);
	o->narenas = o->arena_list != NULL ? n : 0;
	return oom ? -1 : 0;
}

static int
copy_detail(struct tui_detail *d, const pmf_snapshot *s, size_t idx,
	    uint64_t addr)
{
	size_t n = 0;
	const struct pmf_arena *a = pmf_snapshot_arenas(s, idx, &n);
	d->address = addr;
	for (size_t j = 0; a != NULL && j < n; j++) {
		if (a[j].address != addr)
			continue;
		d->found = true;
		d->examined = a[j].examined;
		size_t np = pmf_snapshot_arena_pools(s, idx, j, NULL, 0);
		if (np > 0) {
			d->pools = calloc(np, sizeof(*d->pools));
			if (d->pools == NULL)
				return -1;
			d->npools =
				pmf_snapshot_arena_pools(s, idx, j, d->pools, np);
		}
		size_t nt = 0;
		const struct pmf_type_count *t =
			pmf_snapshot_arena_types(s, idx, j, &nt);
		bool oom;
		d->types = dup_array(t, nt, sizeof(*t), &oom);
		d->ntypes = d->types != NULL ? nt : 0;
		if (oom)
			return -1;
		break;
	}
	return 0;
}

int
tui_sample_from_snapshot(struct tui_sample *o, const pmf_snapshot *s,
			 size_t idx, uint64_t detail_addr)
{
	memset(o, 0, sizeof(*o));
	const struct pmf_snapshot_info *in = pmf_snapshot_info(s);
	o->time_ns = in->time_unix_ns;
	o->pid = (int)in->pid;
	copy_str(o->version, sizeof(o->version), in->python.version);
	copy_str(o->allocator, sizeof(o->allocator),
		 pmf_allocator_name(in->allocator));
	copy_str(o->locate, sizeof(o->locate),
		 pmf_locate_name(in->locate_method));
	o->proc_valid = in->process.valid;
	o->rss = in->process.rss_bytes;
	o->pss = in->process.pss_bytes;
	o->swap = in->process.swap_bytes;
	o->hwm = in->process.hwm_bytes;
	o->has_pss = in->process.valid && !in->process_fast;
	o->threads = in->process.threads;
	o->arena_size = in->arena_size;
	o->pool_size = in->pool_size;
	o->pool_overhead = in->pool_overhead;
	o->pause_us = in->pause_us;
	o->walk_us = in->walk_us;
	/* Walks repeated after a torn read, and stops repeated because a
	 * thread was inside the allocator (the guard). */
	o->retries = in->retries + in->guard_retries;
	o->pools_failed = in->pools_failed_validation;
	o->nonblocking = in->nonblocking;
	const struct pmf_interp_stats *it = pmf_snapshot_interp(s, idx);
	o->pymalloc = pmf_allocator_is_pymalloc(in->allocator) && it != NULL;
	if (!o->pymalloc)
		return 0;
	o->arenas_cur = it->arenas.current;
	o->highwater = it->arenas.highwater;
	o->allocated_total = it->arenas.allocated_total;
	o->arena_bytes = it->bytes.total;
	o->live = it->bytes.allocated_blocks;
	o->free_in_pools = it->bytes.available_blocks;
	o->empty_pools = it->bytes.unused_pools;
	o->overhead = it->bytes.pool_headers + it->bytes.quantization +
		      it->bytes.arena_alignment;
	const struct pmf_analysis *an = pmf_snapshot_analysis(s, idx);
	if (an != NULL && an->valid) {
		/* Finer than CPython's "unused pools": the cached empty pools
		 * stay resident, the never-touched ones are not. */
		o->empty_pools = an->regions[PMF_REGION_EMPTY_POOLS].bytes;
		o->untouched_pools =
			an->regions[PMF_REGION_UNTOUCHED_POOLS].bytes;
		o->residency_valid = an->residency_valid;
		o->arena_resident = an->total.resident_bytes;
		o->stranded = an->stranded_bytes;
		o->packed_arenas = an->packed_arenas;
		o->pinned_below = an->pinned_below;
		o->pinned_arenas = an->pinned_arenas;
		o->pinned_live_bytes = an->pinned_live_bytes;
	}
	copy_classes(o, it, in);
	if (copy_arenas(o, s, idx) < 0 ||
	    (detail_addr != 0 &&
	     copy_detail(&o->detail, s, idx, detail_addr) < 0)) {
		tui_sample_free(o);
		return -1;
	}
	return 0;
}

void
tui_sample_free(struct tui_sample *s)
{
	if (s == NULL)
		return;
	free(s->arena_list);
	free(s->detail.pools);
	free(s->detail.types);
	memset(s, 0, sizeof(*s));
}

void
tui_sample_move(struct tui_sample *dst, struct tui_sample *src)
{
	if (dst == src)
		return;
	tui_sample_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

const struct tui_class *
tui_sample_class(const struct tui_sample *s, unsigned cls)
{
	for (unsigned i = 0; i < s->nclasses; i++)
		if (s->classes[i].index == cls)
			return &s->classes[i];
	return NULL;
}

void
tui_series_push(struct tui_series *s, double v)
{
	s->v[s->head] = v;
	s->head = (s->head + 1) % TUI_HISTORY;
	if (s->n < TUI_HISTORY)
		s->n++;
}

double
tui_series_back(const struct tui_series *s, size_t i)
{
	if (i >= s->n)
		return 0;
	return s->v[(s->head + TUI_HISTORY - 1 - i) % TUI_HISTORY];
}

/* Only the size classes of the first sample are ever read. */
static void
keep_first(struct tui_data *d, const struct tui_sample *s)
{
	d->first = *s;
	d->first.arena_list = NULL;
	d->first.narenas = 0;
	memset(&d->first.detail, 0, sizeof(d->first.detail));
	d->have_first = true;
}

void
tui_data_push(struct tui_data *d, struct tui_sample *sample)
{
	if (!sample->has_pss && d->have_cur && d->cur.has_pss) {
		sample->pss = d->cur.pss;
		sample->has_pss = true;
		sample->pss_age = d->cur.pss_age + 1;
	}
	if (!d->have_first)
		keep_first(d, sample);
	if (d->have_cur) {
		tui_sample_move(&d->prev, &d->cur);
		d->have_prev = true;
	}
	tui_sample_move(&d->cur, sample);
	d->have_cur = true;
	d->refreshes++;
	tui_series_push(&d->rss, (double)d->cur.rss);
	tui_series_push(&d->arena, (double)d->cur.arena_bytes);
	tui_series_push(&d->live, (double)d->cur.live);
}

void
tui_data_free(struct tui_data *d)
{
	tui_sample_free(&d->cur);
	tui_sample_free(&d->prev);
	tui_sample_free(&d->first);
	memset(d, 0, sizeof(*d));
}
