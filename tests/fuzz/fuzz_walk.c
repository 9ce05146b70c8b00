/* SPDX-License-Identifier: MIT */
/*
 * fuzz_walk.c - the walker over arbitrary memory images.  The input picks
 * a layout row and a small synthetic heap (tests/support/synth.c), then
 * patches its memory: raw bytes anywhere in any region, or pointers from
 * one region into another, which is how a torn or hostile heap looks.
 * Everything a snapshot runs over one state then runs over it: the state
 * read and checks, the pool walk (stopped and non-blocking), the
 * analysis, the object types of the pinned arenas, the free lists, and
 * the interpreter list with the states it names.
 *
 * Input: layout, flags, arena count, then per arena its pool count and
 * per pool (class, 2-byte count); table slack, ntimes, highwater,
 * map_mid, map_bot; which _PyRuntime size the free lists see; then
 * patches to the end:
 *   op & 1 = 0: region, offset (2 bytes), length, that many bytes;
 *   op & 1 = 1: region, offset (2 bytes), region, offset (2 bytes):
 *               writes the address of the second place at the first.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "core/analysis.h"
#include "fuzz.h"
#include "py/freelist.h"
#include "py/walk.h"
#include "synth.h"

#define NARENAS 3
#define NPOOLS 6
/* A fake _PyRuntime, PyInterpreterState and free objects for the free
 * lists; a page for type objects and their names. */
#define RT 0x10000ull
#define INTERP 0x200000ull
#define OBJS 0x300000ull
#define TYPES 0x400000ull

/* FUZZ_VERBOSE=1 in the environment: say how far each input got (for
 * checking that the seeds reach the deep parts). */
static bool verbose;

enum {
	F_STRICT = 1,       /* the walk as with the target stopped */
	F_BODIES = 2,       /* whole pools readable, not only headers */
	F_NOCHECK = 4,      /* walk even when the checks fail */
	F_HOOKS = 8,        /* the debug hooks wrap the blocks */
};

/* Makes the pool headers of arena A whole pools, so that the type
 * resolution reads their blocks. */
static void
widen_pools(struct synth_heap *h, const struct synth_arena *a)
{
	for (unsigned j = 0; j < a->npools; j++) {
		uint64_t addr = synth_pool_addr(h, a, j);
		for (size_t i = 0; i < h->fm.n; i++) {
			struct fake_region *r = &h->fm.r[i];
			if (r->addr != addr || r->len != PMF__PH_SIZE)
				continue;
			unsigned char *b = calloc(1, h->geom.pool_size);
			if (b == NULL)
				abort();
			memcpy(b, r->bytes, PMF__PH_SIZE);
			free(r->bytes);
			r->bytes = b;
			r->len = h->geom.pool_size;
		}
	}
}

static void
patch(struct fz *f, struct fake_mem *fm)
{
	while (f->n > 0) {
		unsigned op = fz_u8(f);
		struct fake_region *r = &fm->r[fz_u8(f) % fm->n];
		size_t off = fz_u16(f) % r->len;
		if ((op & 1) == 0) {
			size_t len = fz_u8(f);
			if (len > f->n)
				len = f->n;
			if (len > r->len - off)
				len = r->len - off;
			memcpy(r->bytes + off, f->p, len);
			f->p += len;
			f->n -= len;
		} else {
			struct fake_region *to = &fm->r[fz_u8(f) % fm->n];
			uint64_t at = to->addr + fz_u16(f) % to->len;
			if (r->len - off >= 8)
				put64(r->bytes + off, at);
		}
	}
}

/* The heap's map with the fake runtime, interpreter, objects and types
 * as writable mappings too: the type resolution follows pointers only
 * into readable and writable memory. */
static void
fuzz_maps(const struct synth_heap *h, struct pmf__maps *m)
{
	static const uint64_t extra[][2] = {{RT, 4096},
					    {INTERP, 0x4000},
					    {OBJS, 4096},
					    {TYPES, 4096}};
	struct pmf__sb sb = PMF__SB_INIT;
	size_t k = 0;
	for (size_t i = 0; i <= h->maps.n; i++) {
		uint64_t start = i < h->maps.n ? h->maps.v[i].start : UINT64_MAX;
		/* The extra ones, in address order among the others. */
		while (k < PMF_ARRAY_SIZE(extra) && extra[k][0] < start) {
			pmf__sb_printf(&sb, "%llx-%llx rw-p 00000000 00:00 0\n",
				       (unsigned long long)extra[k][0],
				       (unsigned long long)(extra[k][0] +
							    extra[k][1]));
			k++;
		}
		if (i == h->maps.n)
			break;
		const struct pmf__map *mp = &h->maps.v[i];
		/* The fake executable's page is where TYPES is. */
		bool hidden = false;
		for (size_t x = 0; x < PMF_ARRAY_SIZE(extra); x++)
			hidden |= mp->start < extra[x][0] + extra[x][1] &&
				  extra[x][0] < mp->end;
		if (hidden)
			continue;
		pmf__sb_printf(&sb, "%llx-%llx %c%c%cp 00000000 00:00 %llu %s\n",
			       (unsigned long long)mp->start,
			       (unsigned long long)mp->end, mp->r ? 'r' : '-',
			       mp->w ? 'w' : '-', mp->x ? 'x' : '-',
			       (unsigned long long)mp->inode, mp->path);
	}
	if (pmf__maps_parse(m, pmf__sb_steal(&sb), NULL) != 0)
		abort();
}

/* What analyze_all in src/core/snapshot.c does, without pagemap (every
 * page counts as in RAM). */
static void
analyze(struct synth_heap *h, const struct pmf__layout *l,
	struct pmf__walk *w, bool hooks)
{
	struct pmf__err e = {0};
	struct pmf__interp_data d = {0};
	struct pmf__analyze_in in = {
		.g = &h->geom,
		.arenas = w->arenas,
		.narenas = w->narenas,
		.pools = w->pools,
		.npools = w->npools,
		.page_size = 4096,
		.pinned_below = 0.9,
	};
	if (pmf__analyze(&in, w->out, &d, &e) == 0) {
		d.arenas = w->arenas;
		d.narenas = w->narenas;
		d.pools = w->pools;
		d.npools = w->npools;
		d.page_size = 4096;
		w->arenas = NULL;
		w->pools = NULL;
		struct pmf__maps maps = {0};
		fuzz_maps(h, &maps);
		/* The last arena is also asked for by address, as a
		 * drill-down does, pinned or not. */
		struct pmf__attrib_in ai = {
			.g = &h->geom,
			.mem = &h->mem,
			.maps = &maps,
			.minor = l->minor,
			.hooks = hooks ? PMF__HOOKS_AUTO : PMF__HOOKS_OFF,
			.examine = 4,
			.also = d.narenas > 0 ? d.arenas[d.narenas - 1].address
					      : 0,
		};
		bool pages_ok;
		if (pmf__attribute(&ai, &d, 1, &pages_ok, &e) == 0 && verbose)
			for (size_t i = 0; i < d.analysis.ntypes; i++)
				printf("  type %s: %llu\n",
				       d.analysis.types[i].name,
				       (unsigned long long)d.analysis.types[i]
					       .count);
		pmf__maps_free(&maps);
	}
	pmf__interp_data_free(&d);
}

/* Sizes of _PyRuntimeState the free-list rows are keyed by (0: none). */
static const uint64_t runtime_sizes[] = {0, 672, 166688, 459944, 283320,
					 316616};

static void
freelists(struct synth_heap *h, const struct pmf__layout *l, unsigned rts,
	  struct pmf_interp_stats *out)
{
	struct pmf__pyt *t = calloc(1, sizeof(*t));
	if (t == NULL)
		abort();
	t->mem = h->mem;
	t->ver_known = true;
	t->ver.major = 3;
	t->ver.minor = l->minor;
	t->ver.runtime_size =
		runtime_sizes[rts % PMF_ARRAY_SIZE(runtime_sizes)];
	t->runtime = RT;
	t->layout = l;
	t->geom = h->geom;
	t->have_main = true;
	t->main = h->ref;
	struct pmf__interp_ref ir = {.is_main = true, .ref = h->ref,
				     .interp = INTERP};
	struct pmf__err e = {0};
	(void)pmf__freelists_read(t, &ir, out, &e);
	/* The interpreter list (3.12+): every state it names is read and
	 * checked as a snapshot would. */
	struct pmf__interp_ref refs[8];
	long n = pmf__interps(t, refs, PMF_ARRAY_SIZE(refs), &e);
	for (long i = 1; i < n; i++) {
		struct pmf__state st = {0};
		struct pmf__check c;
		if (pmf__state_read(&t->mem, &refs[i].ref, &t->geom, &st,
				    &e) == 0)
			pmf__state_check(&st, &refs[i].ref, &t->geom, &h->maps,
					 &t->mem, &c);
		pmf__state_free(&st);
	}
	if (verbose)
		printf("  interpreters: %ld\n", n);
	if (verbose)
		printf("  free lists: %s (%u)\n",
		       out->has_freelists ? "yes" : "no", out->nfreelists);
	pmf__sb_free(&t->log);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = {data, size};
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	size_t nrows;
	const struct pmf__layout *rows = pmf__layout_all(&nrows);
	const struct pmf__layout *l = &rows[fz_u8(&f) % nrows];
	unsigned flags = fz_u8(&f);
	struct pmf__geom g0;
	pmf__geom_init(&g0, l);
	struct synth_arena arenas[NARENAS];
	memset(arenas, 0, sizeof(arenas));
	unsigned narenas = fz_u8(&f) % (NARENAS + 1);
	uint64_t mis = l->pool_size > 4096 ? 4096 : 0;
	for (unsigned i = 0; i < narenas; i++) {
		struct synth_arena *a = &arenas[i];
		unsigned np = fz_u8(&f);
		a->address = synth_arena_addr(i, np & 0x80 ? mis : 0);
		a->npools = (np & 0x7f) % (NPOOLS + 1);
		for (unsigned j = 0; j < a->npools; j++) {
			unsigned c = fz_u8(&f) % g0.nclasses;
			unsigned nb = pmf__geom_nblocks(&g0, c);
			a->pools[j] = (struct synth_pool){
				c, fz_u16(&f) % (nb + 1)};
		}
	}
	struct synth_spec spec = {
		.layout = l,
		.arenas = arenas,
		.narenas = narenas,
		.maxarenas = narenas + fz_u8(&f) % 8,
		.ntimes = fz_u8(&f),
		.highwater = fz_u8(&f),
		.map_mid = (int32_t)fz_u8(&f),
		.map_bot = (int32_t)fz_u8(&f),
	};
	unsigned rts = fz_u8(&f);
	struct synth_heap h;
	synth_build(&spec, &h);
	if (flags & F_BODIES)
		for (unsigned i = 0; i < narenas; i++)
			widen_pools(&h, &arenas[i]);
	fake_mem_add(&h.fm, RT, 4096);
	fake_mem_add(&h.fm, INTERP, 0x4000);
	fake_mem_add(&h.fm, OBJS, 4096);
	fake_mem_add(&h.fm, TYPES, 4096);
	patch(&f, &h.fm);
	fake_mem_source(&h.fm, &h.mem);

	struct pmf__state st = {0};
	struct pmf__err e = {0};
	struct pmf_interp_stats *out = calloc(1, sizeof(*out));
	if (out == NULL)
		abort();
	bool strict = flags & F_STRICT;
	if (pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e) == 0) {
		struct pmf__check c;
		pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
		bool pass = pmf__check_passes(&c, strict);
		if (verbose)
			printf("3.%u: checks %s %s\n", l->minor,
			       pass ? "pass" : "fail", c.problem);
		if (pass || (flags & F_NOCHECK)) {
			struct pmf__walk w = {.out = out, .keep_pools = true};
			/* The walk may confirm the geometry the rest
			 * then uses, as in a snapshot. */
			int rc = pmf__walk(&h.mem, &st, &h.geom, strict, &w,
					   &e);
			if (verbose)
				printf("  walk %d: %llu pools read, %llu bad\n",
				       rc, (unsigned long long)w.pools_read,
				       (unsigned long long)w.pools_bad);
			if (rc == 0) {
				freelists(&h, l, rts, out);
				analyze(&h, l, &w, flags & F_HOOKS);
			}
			pmf__walk_free(&w);
		}
	}
	pmf__state_free(&st);
	free(out);
	synth_free(&h);
	return 0;
}
