/* SPDX-License-Identifier: MIT */
/*
 * synth.h - synthetic pymalloc heaps for any layout row: an obmalloc state
 * (statics or struct), an arena table, pool headers and the matching
 * memory map, all in a fake memory source.  Unit tests build heaps whose
 * statistics are known and check the walker and the formatters on every
 * CPython layout without a live interpreter.
 */
#ifndef PMF_TEST_SYNTH_H
#define PMF_TEST_SYNTH_H

#include "fake_mem.h"
#include "os/maps.h"
#include "py/layout.h"
#include "py/state.h"

struct synth_pool {
	unsigned szidx;
	uint32_t count; /* 0: carved but empty now (szidx is stale) */
};

struct synth_arena {
	uint64_t address; /* mmap base; not pool-aligned means 63 pools */
	struct synth_pool pools[64];
	unsigned npools;  /* carved pools; the rest are untouched */
};

struct synth_spec {
	const struct pmf__layout *layout;
	unsigned alignment; /* 0: the layout's */
	struct synth_arena *arenas;
	unsigned narenas;
	unsigned maxarenas; /* table entries, >= narenas */
	uint64_t ntimes, highwater;
	int32_t map_mid, map_bot;
	bool whole_arenas; /* each arena one region (so it can be offered in
			      place), not just its pool headers */
};

struct synth_heap {
	struct fake_mem fm;
	struct pmf__mem mem;
	struct pmf__maps maps;
	struct pmf__state_ref ref;
	struct pmf__geom geom;
	uint64_t table; /* arena table address */
};

void synth_build(const struct synth_spec *spec, struct synth_heap *h);
void synth_free(struct synth_heap *h);

/* Address of the header of pool J of arena A. */
uint64_t synth_pool_addr(const struct synth_heap *h,
			 const struct synth_arena *a, unsigned j);

/* Arena address I in a row of arenas 1 MiB apart, misaligned by MIS. */
uint64_t synth_arena_addr(unsigned i, uint64_t mis);

#endif
