/* SPDX-License-Identifier: MIT */
/*
 * geom.c - allocator geometry.
 */
#include "config.h"

#include "py/geom.h"

void
pmf__geom_init(struct pmf__geom *g, const struct pmf__layout *l)
{
	*g = (struct pmf__geom){
		.arena_size = l->arena_size,
		.pool_size = l->pool_size,
		.alignment = l->alignment,
		.nclasses = l->threshold / l->alignment,
		.overhead = l->pool_overhead,
		.threshold = l->threshold,
		.radix = l->radix,
		.map_root = l->map_root_bytes,
		.map_mid = l->map_mid_bytes,
		.map_bot = l->map_bot_bytes,
		.may_be_8 = l->major == 3 && l->minor <= 7,
	};
}

bool
pmf__geom_accept(struct pmf__geom *g, unsigned szidx, uint32_t maxnextoffset)
{
	if (maxnextoffset >= g->pool_size)
		return false;
	uint64_t size = g->pool_size - maxnextoffset;
	if (szidx < g->nclasses && size == pmf__geom_size(g, szidx)) {
		g->confirmed = true;
		return true;
	}
	if (g->confirmed || !g->may_be_8)
		return false;
	/* ALIGNMENT 8 (64 classes) before the bpo-27987 backports. */
	if (szidx < g->threshold / 8 && size == (uint64_t)(szidx + 1) * 8) {
		g->alignment = 8;
		g->nclasses = g->threshold / 8;
		g->confirmed = true;
		return true;
	}
	return false;
}
