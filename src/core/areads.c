/* SPDX-License-Identifier: MIT */
/*
 * areads.c - the reads of the attribution, once the target runs again:
 * per arena its page flags (pagemap) and, when it is to be named, the
 * pages in RAM of its used pools, a chunk at a time, classified as they
 * come (py/objtype.c).  Reading another process is bound by copying its
 * pages, so two workers, each with its own memory source, pagemap,
 * resolver and buffer, take arenas in turn; they write nothing shared
 * but their own arenas' counts and page flags.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/attrib.h"
#include "py/layout.h"

/* ------------------------------------------------------------------ */
/* Reading one arena                                                   */
/* ------------------------------------------------------------------ */

/* Bytes read per call: with what the copy passes through, well inside a
 * core's L2, so that the pools are still there to be classified. */
#define CHUNK_BYTES (256u << 10)

/* Builds the reads of arena E's used pools K0 <= k < K1: their pages in
 * RAM, adjacent ones merged; never-touched pages are zeros in W's buffer.
 * Sets W->plen for them.  Returns the number of elements. */
static size_t
chunk_iovs(struct worker *w, const struct examined *e, uint32_t k0,
	   uint32_t k1, struct pmf__iov *iov, size_t max)
{
	const struct attrib *at = w->at;
	const struct pmf__geom *g = at->g;
	const struct pmf__interp_data *d = at->d;
	const struct pmf__arena_sum *a = &d->arenas[e->j];
	uint64_t base = pmf__round_up(a->address, g->pool_size);
	unsigned ps = d->page_size;
	size_t npg = (size_t)(g->arena_size / ps);
	const uint8_t *pages = d->pages ? d->pages + e->j * npg : NULL;
	size_t n = 0;
	for (uint32_t k = k0; k < k1; k++) {
		w->plen[k] = 0;
		if (k >= a->ncarved || a->first_rec + k >= d->npools ||
		    d->pools[a->first_rec + k].kind != PMF__POOL_USED)
			continue;
		uint64_t p = base + (uint64_t)k * g->pool_size;
		bool prefix = true;
		for (uint64_t off = 0; off < g->pool_size; off += ps) {
			uint64_t pg = (p + off - a->address) / ps;
			uint64_t at_ = p + off;
			if (pages != NULL &&
			    (pg >= npg || !(pages[pg] & PMF__PG_PRESENT))) {
				/* Never touched: zeros, as the kernel would
				 * map them (a carved block's tail can lie
				 * there, past the one word its carving
				 * wrote).  In swap: not read, not known. */
				if (pg >= npg || (pages[pg] & PMF__PG_SWAPPED))
					prefix = false;
				else
					memset(w->buf + (at_ - a->address), 0, ps);
				if (prefix)
					w->plen[k] = (uint32_t)(off + ps);
				continue;
			}
			if (n > 0 && iov[n - 1].addr + iov[n - 1].len == at_)
				iov[n - 1].len += ps;
			else if (n < max)
				iov[n++] = (struct pmf__iov){
					.addr = at_,
					.buf = w->buf + (at_ - a->address),
					.len = ps};
			else
				prefix = false; /* not read */
			if (prefix)
				w->plen[k] = (uint32_t)(off + ps);
		}
	}
	return n;
}

/* Reads into W's buffer the used pools K0 <= k < K1 of arena E (their
 * pages in RAM); W->plen says how much of each was read. */
static int
read_pools(struct worker *w, const struct examined *e, uint32_t k0,
	   uint32_t k1)
{
	enum { MAX_IOV = 512 };
	const struct attrib *at = w->at;
	const struct pmf__geom *g = at->g;
	uint64_t base = pmf__round_up(at->d->arenas[e->j].address, g->pool_size);
	struct pmf__iov iov[MAX_IOV];
	size_t n = chunk_iovs(w, e, k0, k1, iov, MAX_IOV);
	long bad = n > 0 ? pmf__mem_readv(w->mem, iov, n, &w->err) : 0;
	if (bad < 0)
		return (int)bad;
	for (size_t i = 0; bad > 0 && i < n; i++) {
		if (iov[i].err == 0)
			continue;
		/* Unmapped meanwhile: the pools it covered were not read. */
		for (uint32_t k = k0; k < k1; k++) {
			uint64_t p = base + (uint64_t)k * g->pool_size;
			if (p < iov[i].addr + iov[i].len &&
			    iov[i].addr < p + g->pool_size)
				w->plen[k] = 0;
		}
	}
	return 0;
}

/* Reads the used pools' pages in RAM of arena E, a chunk at a time, and
 * classifies their blocks into E's counts. */
static int
read_arena(struct worker *w, struct examined *e)
{
	struct attrib *at = w->at;
	const struct pmf__geom *g = at->g;
	const struct pmf__interp_data *d = at->d;
	const struct pmf__arena_sum *a = &d->arenas[e->j];
	uint64_t base = pmf__round_up(a->address, g->pool_size);
	uint32_t per = CHUNK_BYTES / g->pool_size ? CHUNK_BYTES / g->pool_size
						  : 1;
	uint32_t end = a->ncarved < at->npools ? a->ncarved : at->npools;
	pmf__tally_reset(&w->tally);
	for (uint32_t k0 = 0; k0 < end; k0 += per) {
		uint32_t k1 = end - k0 < per ? end : k0 + per;
		int rc = read_pools(w, e, k0, k1);
		if (rc < 0)
			return rc;
		size_t np = 0;
		for (uint32_t k = k0; k < k1; k++) {
			if (a->first_rec + k >= d->npools)
				break;
			const struct pmf__pool_rec *rec =
				&d->pools[a->first_rec + k];
			if (rec->kind != PMF__POOL_USED)
				continue;
			uint64_t p = base + (uint64_t)k * g->pool_size;
			w->poolk[np] = k;
			w->pools[np++] = (struct pmf__pool_in){
				.addr = p,
				.p = w->buf + (p - a->address),
				.len = w->plen[k],
				.arenaindex = a->index,
				.walk_count = rec->count};
		}
		size_t nt = pmf__blocks_pools(&w->b, w->pools, np, w->torn);
		/* A pool the target was changing as it was read: read it
		 * again, a few times, before giving its blocks up. */
		for (size_t i = 0; i < nt; i++) {
			struct pmf__pool_in *in = &w->pools[w->torn[i]];
			uint32_t k = w->poolk[w->torn[i]];
			size_t again = 1;
			for (int t = 0; again > 0 && t < TORN_RETRIES; t++) {
				if ((rc = read_pools(w, e, k, k + 1)) < 0)
					return rc;
				in->len = w->plen[k];
				size_t one;
				again = pmf__blocks_pools(&w->b, in, 1, &one);
				w->b.pools_retried++;
			}
			if (again > 0)
				pmf__blocks_unknown(&w->b, in);
		}
	}
	int rc = pmf__blocks_settle(&w->b, &w->err);
	if (rc < 0)
		return rc;
	e->worker = w->index;
	for (size_t i = 0; i < w->tally.ntouched; i++) {
		uint32_t id = w->tally.touched[i];
		if (pmf__attrib_add(e, id, (int64_t)w->tally.count[id],
			   (int64_t)w->tally.bytes[id]) < 0)
			return pmf__err_set(&w->err, PMF_ENOMEM,
					    "out of memory");
	}
	pmf__typeres_trim(&w->r);
	return 0;
}

/* The page flags of arena J, for the residency and for the reads. */
static void
read_pages(struct worker *w, size_t j)
{
	struct attrib *at = w->at;
	struct pmf__interp_data *d = at->d;
	size_t npg = (size_t)(at->g->arena_size / d->page_size);
	uint8_t *flags = d->pages + j * npg;
	/* Arenas are mmapped, hence page-aligned. */
	if (pmf__pagemap_read(w->pc.pm, d->arenas[j].address, npg, flags,
			      NULL) < 0) {
		/* Read as if in RAM; the residency is left out. */
		memset(flags, PMF__PG_PRESENT, npg);
		atomic_store(&at->pm_failed, true);
	}
}

/* A worker's loop: the next job until none is left or one fails. */
void *
pmf__attrib_work(void *arg)
{
	struct worker *w = arg;
	struct attrib *at = w->at;
	for (;;) {
		size_t i = atomic_fetch_add(&at->next, 1);
		if (i >= at->njobs || w->rc < 0)
			break;
		const struct job *jb = &at->jobs[i];
		if (at->d->pages != NULL && w->pc.pm != NULL)
			read_pages(w, jb->j);
		if (jb->ex != NULL)
			w->rc = read_arena(w, jb->ex);
		if (w->rc < 0)
			atomic_store(&at->next, at->njobs); /* all stop */
	}
	return NULL;
}

int
pmf__attrib_worker_init(struct attrib *at, struct worker *w, unsigned index,
	    struct pmf__err *e)
{
	const struct pmf__attrib_in *in = at->in;
	memset(w, 0, sizeof(*w));
	w->at = at;
	w->index = index;
	w->mem = in->mem;
	struct pmf__pagemap *pm = in->pm;
	if (index > 0) {
		int rc = pmf__mem_open_remote(&w->own_mem, in->pid, e);
		if (rc < 0)
			return rc;
		w->mem = &w->own_mem;
		if (pm != NULL) {
			rc = pmf__pagemap_open(&w->own_pm, in->pid, e);
			if (rc < 0)
				return rc;
			pm = &w->own_pm;
		}
	}
	w->buf = malloc(at->g->arena_size);
	w->plen = calloc(at->npools + 1, sizeof(*w->plen));
	w->pools = calloc(at->npools + 1, sizeof(*w->pools));
	w->poolk = calloc(at->npools + 1, sizeof(*w->poolk));
	w->torn = calloc(at->npools + 1, sizeof(*w->torn));
	if (w->buf == NULL || w->plen == NULL || w->pools == NULL ||
	    w->poolk == NULL || w->torn == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	pmf__pgcache_init(&w->pc, pm);
	pmf__typeres_init(&w->r, &at->l, w->mem, in->maps, &w->pc, at->arenas,
			  at->narenas, at->g->arena_size);
	pmf__blocks_init(&w->b, &at->l, at->g, &w->r, in->hooks);
	w->b.tally = &w->tally;
	w->b.blockid = pmf__attrib_blockid;
	w->b.ctx = at;
	return 0;
}

void
pmf__attrib_worker_free(struct worker *w)
{
	pmf__blocks_free(&w->b);
	pmf__typeres_free(&w->r);
	pmf__tally_free(&w->tally);
	pmf__pgcache_free(&w->pc);
	if (w->mem == &w->own_mem)
		pmf__mem_close(&w->own_mem);
	pmf__pagemap_close(&w->own_pm);
	free(w->buf);
	free(w->plen);
	free(w->pools);
	free(w->poolk);
	free(w->torn);
}

