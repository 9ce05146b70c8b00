/* SPDX-License-Identifier: MIT */
/*
 * synth.c - synthetic heaps.  Pools are laid out the way pymalloc lays
 * them out: carved from the arena's first pool-aligned address upwards,
 * with the header fields CPython maintains for each pool's state.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "synth.h"

#define STATICS_BASE 0x600000ull
#define STATE_BASE 0x7f0000100000ull
#define TABLE_BASE 0x5000000ull

uint64_t
synth_arena_addr(unsigned i, uint64_t mis)
{
	/* Arenas of one process usually sit in a row, mmapped downwards. */
	return 0x7f1000000000ull - (uint64_t)(i + 1) * 0x200000ull + mis;
}

uint64_t
synth_pool_addr(const struct synth_heap *h, const struct synth_arena *a,
		unsigned j)
{
	uint64_t first = pmf__round_up(a->address, h->geom.pool_size);
	return first + (uint64_t)j * h->geom.pool_size;
}

static void
write_pool(struct synth_heap *h, uint64_t addr, unsigned arena_index,
	   const struct synth_pool *p)
{
	const struct pmf__geom *g = &h->geom;
	unsigned size = pmf__geom_size(g, p->szidx);
	unsigned nb = pmf__geom_nblocks(g, p->szidx);
	unsigned char *b = fake_mem_at(&h->fm, addr, PMF__PH_SIZE);
	if (b == NULL)
		b = fake_mem_add(&h->fm, addr, PMF__PH_SIZE);
	put32(b + PMF__PH_COUNT, p->count);
	uint32_t carved = p->count + 1 < nb ? p->count + 1 : nb;
	if (carved == 0)
		carved = 1;
	uint64_t free_block = p->count < nb ? addr + g->overhead +
						      (uint64_t)p->count * size
					    : 0;
	put64(b + PMF__PH_FREEBLOCK, free_block);
	put32(b + PMF__PH_ARENAINDEX, arena_index);
	put32(b + PMF__PH_SZIDX, p->szidx);
	put32(b + PMF__PH_NEXTOFFSET, g->overhead + carved * size);
	put32(b + PMF__PH_MAXNEXTOFFSET, (uint32_t)(g->pool_size - size));
}

/* Links the partly used pools of each class in usedpools rings. */
static void
link_usedpools(struct synth_heap *h, const struct synth_spec *s,
	       unsigned char *used)
{
	const struct pmf__geom *g = &h->geom;
	for (unsigned c = 0; 2 * c + 1 < h->ref.nusedpools; c++) {
		uint64_t self = h->ref.usedpools + 16 * (uint64_t)c - 16;
		uint64_t head = self, prev = self;
		for (unsigned i = 0; i < s->narenas; i++) {
			const struct synth_arena *a = &s->arenas[i];
			for (unsigned j = 0; j < a->npools; j++) {
				const struct synth_pool *p = &a->pools[j];
				if (p->szidx != c || p->count == 0 ||
				    p->count >= pmf__geom_nblocks(g, c))
					continue;
				uint64_t addr = synth_pool_addr(h, a, j);
				if (head == self)
					head = addr;
				unsigned char *ph =
					fake_mem_at(&h->fm, addr, PMF__PH_SIZE);
				put64(ph + PMF__PH_PREVPOOL, prev);
				if (prev != self)
					put64(fake_mem_at(&h->fm, prev, 48) +
						      PMF__PH_NEXTPOOL,
					      addr);
				prev = addr;
			}
		}
		if (prev != self)
			put64(fake_mem_at(&h->fm, prev, 48) + PMF__PH_NEXTPOOL,
			      self);
		put64(used + 16 * c, head);
		put64(used + 16 * c + 8, prev);
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void
build_maps(struct synth_heap *h, const struct synth_spec *s)
{
	uint64_t *starts = calloc(s->narenas + 1, sizeof(*starts));
	for (unsigned i = 0; i < s->narenas; i++)
		starts[i] = s->arenas[i].address;
	qsort(starts, s->narenas, sizeof(*starts), cmp_u64);
	struct pmf__sb sb = PMF__SB_INIT;
	pmf__sb_puts(&sb, "00400000-00401000 r-xp 00000000 08:01 1234   "
			  "/usr/bin/python3\n");
	for (unsigned i = 0; i < s->narenas;) {
		/* Adjacent arenas merge into one mapping, as the kernel
		 * merges adjacent anonymous mmaps. */
		uint64_t lo = starts[i], hi = starts[i] + h->geom.arena_size;
		i++;
		while (i < s->narenas && starts[i] == hi) {
			hi += h->geom.arena_size;
			i++;
		}
		pmf__sb_printf(&sb, "%llx-%llx rw-p 00000000 00:00 0 \n",
			       (unsigned long long)lo, (unsigned long long)hi);
	}
	free(starts);
	if (pmf__maps_parse(&h->maps, pmf__sb_steal(&sb), NULL) != 0)
		abort();
}

void
synth_build(const struct synth_spec *s, struct synth_heap *h)
{
	const struct pmf__layout *l = s->layout;
	memset(h, 0, sizeof(*h));
	fake_mem_init(&h->fm);
	pmf__geom_init(&h->geom, l);
	if (s->alignment != 0 && s->alignment != h->geom.alignment) {
		h->geom.alignment = s->alignment;
		h->geom.nclasses = h->geom.threshold / s->alignment;
		h->geom.confirmed = true;
	}
	unsigned nused = 2 * h->geom.nclasses;
	if (nused < 64)
		nused = 64;

	unsigned char *used;
	if (l->kind == PMF__STATE_STATICS) {
		unsigned char *v = fake_mem_add(&h->fm, STATICS_BASE, 0x2000);
		h->ref = (struct pmf__state_ref){
			.usedpools = STATICS_BASE,
			.nusedpools = nused,
			.arenas = STATICS_BASE + 0x1000,
			.maxarenas = STATICS_BASE + 0x1008,
			.ncur = STATICS_BASE + 0x1010,
			.ntimes = STATICS_BASE + 0x1018,
			.highwater = STATICS_BASE + 0x1020,
		};
		if (l->radix) {
			h->ref.map_mid = STATICS_BASE + 0x1028;
			h->ref.map_bot = STATICS_BASE + 0x102c;
		}
		used = v;
	} else {
		fake_mem_add(&h->fm, STATE_BASE, l->st.size);
		pmf__state_ref_struct(&h->ref, STATE_BASE, &l->st, l->radix);
		used = fake_mem_at(&h->fm, h->ref.usedpools, 64 * 8);
	}
#define VAR(field, n) fake_mem_at(&h->fm, h->ref.field, n)
	h->table = s->maxarenas ? TABLE_BASE : 0;
	put64(VAR(arenas, 8), h->table);
	put32(VAR(maxarenas, 4), s->maxarenas);
	put64(VAR(ncur, 8), s->narenas);
	put64(VAR(ntimes, 8), s->ntimes);
	put64(VAR(highwater, 8), s->highwater);
	if (l->radix) {
		put32(VAR(map_mid, 4), (uint32_t)s->map_mid);
		put32(VAR(map_bot, 4), (uint32_t)s->map_bot);
	}
#undef VAR

	unsigned char *table =
		s->maxarenas ? fake_mem_add(&h->fm, TABLE_BASE,
					    (size_t)s->maxarenas * PMF__AO_SIZE)
			     : NULL;
	uint32_t pools = (uint32_t)(h->geom.arena_size / h->geom.pool_size);
	for (unsigned i = 0; i < s->maxarenas; i++) {
		unsigned char *e = table + (size_t)i * PMF__AO_SIZE;
		if (i >= s->narenas) {
			/* Unused: only address and nextarena are kept. */
			uint64_t next = i + 1 < s->maxarenas
						? TABLE_BASE +
							  (uint64_t)(i + 1) *
								  PMF__AO_SIZE
						: 0;
			put64(e + PMF__AO_NEXTARENA, next);
			put64(e + PMF__AO_POOL_ADDRESS, 0xdeadbeefull);
			continue;
		}
		const struct synth_arena *a = &s->arenas[i];
		uint64_t first = pmf__round_up(a->address, h->geom.pool_size);
		uint32_t total = first == a->address ? pools : pools - 1;
		put64(e + PMF__AO_ADDRESS, a->address);
		put64(e + PMF__AO_POOL_ADDRESS,
		      first + (uint64_t)a->npools * h->geom.pool_size);
		uint32_t empty = 0;
		if (s->whole_arenas)
			fake_mem_add(&h->fm, a->address,
				     (size_t)h->geom.arena_size);
		for (unsigned j = 0; j < a->npools; j++) {
			write_pool(h, synth_pool_addr(h, a, j), i, &a->pools[j]);
			empty += a->pools[j].count == 0;
		}
		put32(e + PMF__AO_NFREEPOOLS, total - a->npools + empty);
		put32(e + PMF__AO_NTOTALPOOLS, total);
	}
	link_usedpools(h, s, used);
	build_maps(h, s);
	fake_mem_source(&h->fm, &h->mem);
}

void
synth_free(struct synth_heap *h)
{
	fake_mem_free(&h->fm);
	pmf__maps_free(&h->maps);
}
