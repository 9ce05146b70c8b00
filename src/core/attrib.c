/* SPDX-License-Identifier: MIT */
/*
 * attrib.c - what holds the arenas: the live blocks of the arenas that
 * pin or strand memory, by type, read once the target runs again.
 *
 * Which arenas: every pinned one (utilization below the threshold), and
 * the arenas that hold the stranded bytes.  Perfectly packed, the live
 * blocks need packed_arenas arenas; the other current - packed_arenas
 * arenas' worth is stranded, and the fewest live blocks that keep that
 * much memory from going back are those of the least utilized arenas:
 * the current - packed_arenas least utilized ones (ties by address) are
 * "the stranded arenas", and their live blocks are what strands it.
 * Those arenas are read least utilized first; --examine N reads N.
 *
 * How (areads.c): the walk, done while the target was stopped, says
 * which pools are in use; the pagemap, read after, which of their pages
 * are in RAM; those are read and each pool is checked as read (its
 * header and free chain must hold together), so a pool the running
 * target changed meanwhile is classified as it is then, or read again.
 * Candidate types are resolved in batches (py/typeres.c).  Here, at the
 * end, buffers are labelled by their owners and the tables made: per
 * arena, for the pinned arenas and for the stranded ones.
 */
#include "config.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "core/attrib.h"

/* ------------------------------------------------------------------ */
/* Which arenas                                                        */
/* ------------------------------------------------------------------ */

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

static int
cmp_examined(const void *x, const void *y)
{
	const struct examined *a = x, *b = y;
	return a->address < b->address ? -1 : a->address > b->address;
}

/* Marks the stranded arenas of D and lists, least utilized first, the
 * arenas to read: pinned or stranded (with a live block), at most
 * IN->examine of them (0: all), and IN->also.  Returns their number, or
 * -1. */
static long
choose(struct pmf__interp_data *d, uint64_t arena_size,
       const struct pmf__attrib_in *in, struct pick **out)
{
	struct pmf_analysis *an = &d->analysis;
	struct pick *p = calloc(d->narenas + 1, sizeof(*p));
	if (p == NULL)
		return -1;
	for (size_t j = 0; j < d->narenas; j++)
		p[j] = (struct pick){d->pub_arenas[j].bytes_live,
				     d->pub_arenas[j].address, j};
	qsort(p, d->narenas, sizeof(*p), cmp_util);
	uint64_t k = an->stranded_bytes / arena_size;
	an->stranded_arenas = k;
	size_t n = 0;
	for (size_t i = 0; i < d->narenas; i++) {
		struct pmf_arena *a = &d->pub_arenas[p[i].j];
		a->stranded = i < k;
		if (a->blocks_live == 0) {
			/* Nothing in it to name: pymalloc keeps it. */
			an->stranded_examined += a->stranded;
			continue;
		}
		bool want = !in->only_also && (a->pinned || a->stranded);
		if (want && (in->examine == 0 || n < in->examine))
			p[n++] = p[i];
		else if (in->also != 0 && a->address == in->also)
			p[n++] = p[i];
	}
	*out = p;
	return (long)n;
}

/* ------------------------------------------------------------------ */
/* Where a buffer pointer lands                                        */
/* ------------------------------------------------------------------ */

/* The examined arena holding ADDR, or NULL. */
static struct examined *
find_ex(const struct attrib *at, uint64_t addr)
{
	size_t lo = pmf__count_le_u64(at->ex, at->nex, sizeof(*at->ex), addr);
	if (lo == 0 || addr - at->ex[lo - 1].address >= at->g->arena_size)
		return NULL;
	return &at->ex[lo - 1];
}

/* The size of the blocks of the pool holding ADDR in arena E, as the
 * walk saw it, or 0 when that pool held none. */
static unsigned
block_size(const struct attrib *at, const struct examined *e, uint64_t addr)
{
	const struct pmf__geom *g = at->g;
	const struct pmf__arena_sum *a = &at->d->arenas[e->j];
	uint64_t base = pmf__round_up(a->address, g->pool_size);
	if (addr < base)
		return 0;
	uint64_t k = (addr - base) / g->pool_size;
	if (k >= a->ncarved || a->first_rec + k >= at->d->npools)
		return 0;
	const struct pmf__pool_rec *rec = &at->d->pools[a->first_rec + k];
	return rec->kind == PMF__POOL_USED ? pmf__geom_size(g, rec->szidx) : 0;
}

/* Block ids: the examined arena's index (arenas sorted by address) in
 * the high 16 bits, the block's offset in it / 16 in the low 16 (an
 * arena is at most 1 MiB).  65,536 examined arenas of a state (64 GiB)
 * can be labelled. */
#define ID_ARENAS 65536u

bool
pmf__attrib_blockid(void *ctx, uint64_t ptr, uint32_t *id)
{
	const struct attrib *at = ctx;
	const struct pmf__geom *g = at->g;
	const struct examined *e = find_ex(at, ptr);
	unsigned size = e != NULL ? block_size(at, e, ptr) : 0;
	size_t x = e != NULL ? (size_t)(e - at->ex) : 0;
	if (size == 0 || x >= ID_ARENAS)
		return false;
	uint64_t pool = ptr & ~(g->pool_size - 1);
	if (ptr < pool + g->overhead)
		return false;
	uint64_t k = (ptr - pool - g->overhead) / size;
	if (g->overhead + (k + 1) * size > g->pool_size)
		return false;
	uint64_t off = pool + g->overhead + k * size - e->address;
	*id = (uint32_t)(x << 16 | off >> 4);
	return true;
}

/* Adds N, BYTES to id ID of E's counts. */
int
pmf__attrib_add(struct examined *e, uint32_t id, int64_t n, int64_t bytes)
{
	size_t i;
	for (i = 0; i < e->n && e->v[i].id != id; i++)
		;
	if (i == e->n) {
		/* A handful of kinds per arena: grown one at a time. */
		struct cnt *nv = realloc(e->v, (e->n + 1) * sizeof(*nv));
		if (nv == NULL)
			return PMF_ENOMEM;
		e->v = nv;
		e->v[e->n++] = (struct cnt){.id = id};
	}
	e->v[i].count += (uint64_t)n;
	e->v[i].bytes += (uint64_t)bytes;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Labels and tables                                                   */
/* ------------------------------------------------------------------ */

static int
cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Moves the ids of the other workers' V (at offset OFF in struct
 * pmf__blocks) into worker 0's, sorted. */
static int
gather(struct attrib *at, size_t off)
{
	struct pmf__ids *to = (void *)((char *)&at->w[0].b + off);
	for (unsigned k = 1; k < at->nworkers; k++) {
		struct pmf__ids *from = (void *)((char *)&at->w[k].b + off);
		if (!pmf__vec_reserve((void **)&to->v, &to->cap,
				      to->n + from->n, sizeof(*to->v)))
			return PMF_ENOMEM;
		if (from->n > 0)
			memcpy(to->v + to->n, from->v, from->n * sizeof(*to->v));
		to->n += from->n;
		from->n = 0;
	}
	if (to->n > 1)
		qsort(to->v, to->n, sizeof(*to->v), cmp_u32);
	return 0;
}

/* Relabels the non-object blocks an owner points at (any worker's): the
 * first kind that claims a block names it. */
static int
label(struct attrib *at)
{
	struct pmf__blocks *b = &at->w[0].b;
	int rc = gather(at, offsetof(struct pmf__blocks, nonobj));
	bool *done = calloc(b->nonobj.n + 1, sizeof(*done));
	if (done == NULL)
		rc = PMF_ENOMEM;
	for (size_t kind = 0; rc == 0 && kind < PMF_ARRAY_SIZE(b->owned);
	     kind++) {
		const struct pmf__ids *own = &b->owned[kind];
		rc = gather(at, offsetof(struct pmf__blocks, owned) +
					kind * sizeof(*own));
		size_t i = 0, k = 0;
		while (rc == 0 && i < b->nonobj.n && k < own->n) {
			uint32_t id = own->v[k];
			if (b->nonobj.v[i] != id) {
				if (b->nonobj.v[i] < id)
					i++;
				else
					k++;
				continue;
			}
			struct examined *e = &at->ex[id >> 16];
			uint64_t blk = e->address + ((uint64_t)(id & 0xffff) << 4);
			unsigned size = block_size(at, e, blk);
			if (!done[i] && size != 0) {
				done[i] = true;
				if (pmf__attrib_add(e, PMF__T_NONOBJ, -1,
						    -(int64_t)size) < 0 ||
				    pmf__attrib_add(e, PMF__T_LISTITEMS +
							       (uint32_t)kind,
						    1, size) < 0)
					rc = PMF_ENOMEM;
			}
			/* Its other owners of this kind, if any. */
			while (k < own->n && own->v[k] == id)
				k++;
			i++;
		}
	}
	free(done);
	for (unsigned k = 0; k < at->nworkers; k++) {
		at->w[k].b.nonobj.n = 0;
		for (size_t kind = 0; kind < PMF_ARRAY_SIZE(b->owned); kind++)
			at->w[k].b.owned[kind].n = 0;
	}
	return rc;
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

static int
cmp_names(const void *x, const void *y)
{
	return strcmp(((const struct pmf_type_count *)x)->name,
		      ((const struct pmf_type_count *)y)->name);
}

/* Sums the rows of one name (two type objects can share it), drops
 * empty rows, and sorts: most blocks first. */
static void
fold(struct pmf_type_count *v, size_t *n)
{
	if (*n == 0)
		return;
	qsort(v, *n, sizeof(*v), cmp_names);
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		if (k > 0 && strcmp(v[k - 1].name, v[i].name) == 0) {
			v[k - 1].count += v[i].count;
			v[k - 1].bytes += v[i].bytes;
		} else if (v[i].count > 0) {
			v[k++] = v[i];
		}
	}
	*n = k;
	qsort(v, k, sizeof(*v), cmp_types);
}

/* Appends the named counts of E to *V. */
static int
append(const struct attrib *at, const struct examined *e,
       struct pmf_type_count **v, size_t *n, size_t *cap)
{
	const struct pmf__typeres *r = &at->w[e->worker].r;
	for (size_t i = 0; i < e->n; i++) {
		struct pmf_type_count *t = PMF__VEC_PUSH(*v, *n, *cap);
		if (t == NULL)
			return PMF_ENOMEM;
		snprintf(t->name, sizeof(t->name), "%s",
			 pmf__typeres_name(r, e->v[i].id));
		t->count = e->v[i].count;
		t->bytes = e->v[i].bytes;
	}
	return 0;
}

/* The per-arena tables, the pinned and the stranded ones. */
static int
tables(struct attrib *at)
{
	struct pmf__interp_data *d = at->d;
	struct pmf_analysis *an = &d->analysis;
	struct pmf_type_count *pv = NULL, *sv = NULL;
	size_t pn = 0, pc = 0, sn = 0, sc = 0;
	for (size_t x = 0; x < at->nex; x++) {
		const struct examined *e = &at->ex[x];
		struct pmf_arena *pa = &d->pub_arenas[e->j];
		struct pmf__arena_types *t = &d->arena_types[e->j];
		size_t cap = 0;
		if (append(at, e, &t->v, &t->n, &cap) < 0 ||
		    (pa->pinned && append(at, e, &pv, &pn, &pc) < 0) ||
		    (pa->stranded && append(at, e, &sv, &sn, &sc) < 0))
			goto oom;
		fold(t->v, &t->n);
		pa->examined = true;
		an->pinned_examined += pa->pinned;
		an->stranded_examined += pa->stranded;
	}
	fold(pv, &pn);
	fold(sv, &sn);
	d->types = pv;
	an->types = pv;
	an->ntypes = pn;
	d->stranded_types = sv;
	an->stranded_types = sv;
	an->nstranded_types = sn;
	return 0;
oom:
	free(pv);
	free(sv);
	return PMF_ENOMEM;
}

/* ------------------------------------------------------------------ */
/* One state, one snapshot                                             */
/* ------------------------------------------------------------------ */

/* Goes through the arenas of state D with every worker: the page flags
 * of each, the objects of the chosen ones. */
static int
one_state(struct attrib *at, struct pmf__interp_data *d, struct pmf__err *e)
{
	struct pick *p = NULL;
	long n = choose(d, at->g->arena_size, at->in, &p);
	if (!at->layout && n > 0)
		n = 0; /* a version without a layout: the page flags only */
	int rc = 0;
	d->arena_types = calloc(d->narenas + 1, sizeof(*d->arena_types));
	at->ex = calloc((size_t)(n > 0 ? n : 0) + 1, sizeof(*at->ex));
	at->jobs = calloc(d->narenas + 1, sizeof(*at->jobs));
	if (n < 0 || d->arena_types == NULL || at->ex == NULL ||
	    at->jobs == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	at->d = d;
	at->nex = (size_t)n;
	for (size_t i = 0; i < at->nex; i++)
		at->ex[i] = (struct examined){.address = p[i].address,
					      .j = p[i].j};
	/* Owners are looked up by address; arenas are read least utilized
	 * first, through the jobs. */
	qsort(at->ex, at->nex, sizeof(*at->ex), cmp_examined);
	bool *queued = calloc(d->narenas + 1, sizeof(*queued));
	if (queued == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	at->njobs = 0;
	for (size_t i = 0; i < at->nex; i++) {
		struct examined key = {.address = p[i].address};
		struct examined *x = bsearch(&key, at->ex, at->nex,
					     sizeof(*at->ex), cmp_examined);
		at->jobs[at->njobs++] = (struct job){.j = p[i].j, .ex = x};
		queued[p[i].j] = true;
	}
	for (size_t j = 0; d->pages != NULL && j < d->narenas; j++)
		if (!queued[j])
			at->jobs[at->njobs++] = (struct job){.j = j};
	free(queued);
	atomic_store(&at->next, 0);
	pthread_t tid[MAX_WORKERS];
	bool started[MAX_WORKERS] = {false};
	for (unsigned k = 1; k < at->nworkers && at->njobs > 1; k++)
		started[k] = pthread_create(&tid[k], NULL, pmf__attrib_work,
					     &at->w[k]) == 0;
	pmf__attrib_work(&at->w[0]);
	for (unsigned k = 1; k < at->nworkers; k++)
		if (started[k])
			pthread_join(tid[k], NULL);
	for (unsigned k = 0; rc == 0 && k < at->nworkers; k++)
		if (at->w[k].rc < 0) {
			*e = at->w[k].err;
			rc = at->w[k].rc;
		}
	if (rc == 0 && (label(at) < 0 || tables(at) < 0))
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
	struct pmf_analysis *an = &d->analysis;
	for (unsigned k = 0; k < at->nworkers; k++) {
		struct pmf__blocks *b = &at->w[k].b;
		an->read_pools += b->pools_read;
		an->read_pools_torn += b->pools_torn;
		an->read_pools_changed += b->pools_changed;
		an->read_pools_retried += b->pools_retried;
		an->read_blocks += b->blocks_live;
		b->pools_read = b->pools_torn = b->pools_changed = 0;
		b->pools_retried = 0;
		b->blocks_live = 0;
	}
out:
	for (size_t i = 0; at->ex != NULL && i < at->nex; i++)
		free(at->ex[i].v);
	free(at->ex);
	free(at->jobs);
	at->ex = NULL;
	at->jobs = NULL;
	at->nex = at->njobs = 0;
	free(p);
	return rc;
}

int
pmf__attribute(const struct pmf__attrib_in *in, struct pmf__interp_data *d,
	       size_t nstates, bool *pages_ok, struct pmf__err *e)
{
	struct attrib *at = calloc(1, sizeof(*at));
	*pages_ok = false;
	if (at == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	int rc = 0;
	at->in = in;
	at->g = in->g;
	/* Without a layout for this version, only the page flags. */
	at->layout = pmf__objlayout_get(in->minor, in->debug_build, in->g,
					&at->l);
	at->npools = (uint32_t)(in->g->arena_size / in->g->pool_size);
	/* Every arena of every state, sorted: no type object is in one. */
	for (size_t i = 0; i < nstates; i++)
		at->narenas += d[i].narenas;
	at->arenas = calloc(at->narenas + 1, sizeof(*at->arenas));
	if (at->arenas == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	at->narenas = 0;
	for (size_t i = 0; i < nstates; i++)
		for (size_t j = 0; j < d[i].narenas; j++)
			at->arenas[at->narenas++] = d[i].arenas[j].address;
	qsort(at->arenas, at->narenas, sizeof(*at->arenas), pmf__cmp_u64);
	/* Threads only on another process, whose map is a table read
	 * once; the caller's own is read under its GIL. */
	at->nworkers = in->pid > 0 && in->maps->q == NULL ? MAX_WORKERS : 1;
	atomic_store(&at->pm_failed, false);
	for (unsigned k = 0; rc == 0 && k < at->nworkers; k++) {
		struct pmf__err ek = {0};
		rc = pmf__attrib_worker_init(at, &at->w[k], k, &ek);
		if (rc < 0 && k > 0) {
			/* Fewer workers: the first says what is wrong, if
			 * anything still is. */
			pmf__attrib_worker_free(&at->w[k]);
			at->nworkers = k;
			rc = 0;
		} else if (rc < 0) {
			*e = ek;
		}
	}
	for (size_t i = 0; rc == 0 && i < nstates; i++)
		rc = one_state(at, &d[i], e);
	for (unsigned k = 0; k < at->nworkers; k++)
		pmf__attrib_worker_free(&at->w[k]);
	*pages_ok = !atomic_load(&at->pm_failed);
out:
	free(at->arenas);
	free(at);
	return rc;
}
