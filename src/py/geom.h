/* SPDX-License-Identifier: MIT */
/*
 * geom.h - the allocator's geometry in one target: arena and pool sizes
 * and size-class spacing.  Starts from the layout row and is confirmed by
 * the pool headers themselves (size = POOL_SIZE - maxnextoffset), since
 * patch releases of 3.6 and 3.7 changed the spacing from 8 to 16.
 */
#ifndef PMF_PY_GEOM_H
#define PMF_PY_GEOM_H

#include <stdbool.h>
#include <stdint.h>

#include "py/layout.h"

struct pmf__geom {
	uint64_t arena_size, pool_size;
	unsigned alignment;  /* class spacing */
	unsigned nclasses;   /* threshold / alignment */
	unsigned overhead;   /* POOL_OVERHEAD */
	unsigned threshold;
	bool confirmed;      /* spacing seen in a pool header */
	bool may_be_8;       /* 3.6/3.7: old patch releases used 8 */
	bool radix;
	uint64_t map_root, map_mid, map_bot;
};

void pmf__geom_init(struct pmf__geom *g, const struct pmf__layout *l);

static inline unsigned
pmf__geom_size(const struct pmf__geom *g, unsigned szidx)
{
	return (szidx + 1) * g->alignment;
}

/* Blocks per pool of class SZIDX (CPython's NUMBLOCKS). */
static inline unsigned
pmf__geom_nblocks(const struct pmf__geom *g, unsigned szidx)
{
	return (unsigned)((g->pool_size - g->overhead) /
			  pmf__geom_size(g, szidx));
}

/* Division by a block size without a divide instruction, exact for
 * every 32-bit dividend (Lemire, Kaser and Kurz, "Faster remainder by
 * direct computation", 2019): the walks divide offsets by the class size
 * once per pool or per free block. */
struct pmf__divider {
	uint64_t m;
	uint32_t d;
};

static inline struct pmf__divider
pmf__divider(uint32_t d)
{
	return (struct pmf__divider){UINT64_MAX / d + 1, d};
}

static inline uint32_t
pmf__div(const struct pmf__divider *v, uint32_t n)
{
	return (uint32_t)(((unsigned __int128)v->m * n) >> 64);
}

static inline bool
pmf__divides(const struct pmf__divider *v, uint32_t n)
{
	return (uint64_t)n * v->m <= v->m - 1;
}

/* Checks a pool header's class against the geometry, adopting the older
 * 8-byte spacing if the first confirmed pool shows it. */
bool pmf__geom_accept(struct pmf__geom *g, unsigned szidx,
		      uint32_t maxnextoffset);

#endif
