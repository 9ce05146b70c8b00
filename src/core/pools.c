/* SPDX-License-Identifier: MIT */
/*
 * pools.c - the pools of one arena, for a drill-down: built on demand
 * from the 8-byte records the walk keeps with the analysis, so a
 * snapshot holds no per-pool public structs it may never be asked for.
 */
#include "config.h"

#include "core/model.h"

size_t
pmf_snapshot_arena_pools(const pmf_snapshot *s, size_t i, size_t j,
			 struct pmf_pool *buf, size_t cap)
{
	if (s == NULL || i >= s->n || s->data[i].pools == NULL ||
	    s->data[i].pub_arenas == NULL || j >= s->data[i].narenas)
		return 0;
	const struct pmf__interp_data *d = &s->data[i];
	const struct pmf__arena_sum *a = &d->arenas[j];
	const struct pmf_snapshot_info *in = &s->info;
	size_t n = a->ntotalpools;
	for (size_t k = 0; k < n && k < cap; k++) {
		struct pmf_pool p = {.index = (uint32_t)k,
				     .state = PMF_POOL_UNTOUCHED};
		const struct pmf__pool_rec *rec = NULL;
		if (k < a->ncarved && a->first_rec + k < d->npools)
			rec = &d->pools[a->first_rec + k];
		if (rec != NULL && rec->kind == PMF__POOL_USED &&
		    in->alignment > 0) {
			p.class_index = rec->szidx;
			p.block_size = (rec->szidx + 1u) * in->alignment;
			p.blocks_in_use = rec->count;
			p.blocks_total = (uint32_t)((in->pool_size -
						     in->pool_overhead) /
						    p.block_size);
			p.state = p.blocks_in_use >= p.blocks_total
					  ? PMF_POOL_FULL
					  : PMF_POOL_USED;
		} else if (rec != NULL && rec->kind == PMF__POOL_BAD) {
			p.state = PMF_POOL_INVALID;
		} else if (k < a->ncarved) {
			p.state = PMF_POOL_EMPTY;
		}
		buf[k] = p;
	}
	return n;
}
