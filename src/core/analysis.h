/* SPDX-License-Identifier: MIT */
/*
 * analysis.h - the fragmentation analysis of a snapshot: per-arena
 * figures, the residency partition, the utilization histogram, the
 * high-water mark and pinned arenas.
 */
#ifndef PMF_CORE_ANALYSIS_H
#define PMF_CORE_ANALYSIS_H

#include "core/model.h"

#include "os/pagemap.h"
#include "py/objtype.h"

/* What the analysis of one state starts from. */
struct pmf__analyze_in {
	const struct pmf__geom *g;
	const struct pmf__arena_sum *arenas; /* from the walk */
	size_t narenas;
	const struct pmf__pool_rec *pools;   /* the walk's kept pools */
	size_t npools;
	/* Page flags (PMF__PG_*), arena_size / page_size per arena in
	 * table order; NULL when pagemap could not be read. */
	const uint8_t *pages;
	unsigned page_size;
	double pinned_below;
};

/* Fills D->analysis (all but the types) and D->pub_arenas from IN and
 * the state's statistics ST.  Pure computation; PMF_ENOMEM only. */
int pmf__analyze(const struct pmf__analyze_in *in,
		 const struct pmf_interp_stats *st, struct pmf__interp_data *d,
		 struct pmf__err *e);

/* Identifies the objects in the EXAMINE least utilized pinned arenas of
 * D (the target stopped), reading their used pools whole.  Fills
 * D->arena_types, D->types and the examined counts. */
int pmf__analyze_types(struct pmf__mem *mem, const struct pmf__geom *g,
		       const struct pmf__objfmt *f, struct pmf__types *cache,
		       unsigned examine, uint64_t also,
		       struct pmf__interp_data *d,
		       struct pmf__err *e);

/* Frees what one state's data owns, and zeroes it. */
void pmf__interp_data_free(struct pmf__interp_data *d);

#endif
