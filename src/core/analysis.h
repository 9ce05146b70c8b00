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

/* Adds the residency to an analysis pmf__analyze() made without page
 * flags: IN as given to it, with IN->pages now read. */
void pmf__analyze_residency(const struct pmf__analyze_in *in,
			    struct pmf__interp_data *d);

/* What the attribution of one snapshot reads with. */
struct pmf__attrib_in {
	pid_t pid;                    /* another process; 0: the caller's */
	const struct pmf__geom *g;
	struct pmf__mem *mem;
	const struct pmf__maps *maps; /* current: which addresses are mapped */
	struct pmf__pagemap *pm;      /* NULL: pages are taken as in RAM */
	unsigned minor;               /* 3.MINOR */
	bool debug_build;
	enum pmf__hooks hooks;        /* the debug hooks: on, off, unknown */
	unsigned examine;             /* arenas to read per state; 0: all */
	uint64_t also;                /* an arena to read too (drill-down) */
	bool only_also;               /* read that arena alone */
};

/* The reads of NSTATES states D once the target runs again (each
 * analyzed by pmf__analyze() without page flags, with its walk's pools
 * kept): with IN->pm, the page flags of every arena into D->pages (which
 * the caller allocated); and what holds the arenas: the pinned and the
 * stranded arenas are read (attrib.c says which and how) into
 * D->arena_types, D->types, D->stranded_types and their counts in the
 * analysis.  *PAGES_OK tells whether every page flag was read.  0, or a
 * PMF code (out of memory, the target gone). */
int pmf__attribute(const struct pmf__attrib_in *in, struct pmf__interp_data *d,
		   size_t nstates, bool *pages_ok, struct pmf__err *e);

/* Frees what one state's data owns, and zeroes it. */
void pmf__interp_data_free(struct pmf__interp_data *d);

#endif
