/* SPDX-License-Identifier: MIT */
/*
 * walk.h - the arena/pool walk: the same traversal as CPython's
 * _PyObject_DebugMallocStats (every carved pool of every arena), done
 * with batched reads of the pool headers only.
 */
#ifndef PMF_PY_WALK_H
#define PMF_PY_WALK_H

#include "py/state.h"

/* Per-arena summary, kept for every live arena (O(arenas) memory). */
struct pmf__arena_sum {
	uint64_t address;
	uint32_t index;          /* in the arena table */
	uint32_t nfreepools, ntotalpools;
	uint32_t pools_used;     /* carved pools holding blocks */
	uint32_t pools_full;
	uint32_t pools_empty;    /* carved, now empty (cached, resident) */
	uint32_t pools_untouched; /* never carved (not resident) */
	uint32_t pools_bad;      /* failed validation */
	uint64_t blocks_live;
	uint64_t bytes_live;     /* blocks_live * block size */
	uint32_t first_rec;      /* its carved pools' records, when kept */
	uint32_t ncarved;        /* pools below pool_address */
};

/* One carved pool, kept for the analysis (8 bytes a pool: 2 MiB for a
 * 4 GiB heap). */
enum pmf__pool_kind {
	PMF__POOL_USED = 0, /* holds blocks */
	PMF__POOL_EMPTY,    /* carved, now empty */
	PMF__POOL_BAD,      /* failed validation (non-blocking reads) */
};

struct pmf__pool_rec {
	uint16_t count;      /* blocks in use */
	uint16_t nextoffset; /* first never-carved byte */
	uint8_t szidx;
	uint8_t kind;        /* enum pmf__pool_kind */
	uint16_t pad;
};

struct pmf__walk {
	struct pmf_interp_stats *out; /* filled: classes, arenas, bytes, map */
	struct pmf__arena_sum *arenas;
	size_t narenas, cap;
	bool keep_pools;         /* fill pools[] */
	struct pmf__pool_rec *pools;
	size_t npools, pcap;
	uint64_t pools_read;
	uint64_t pools_bad;
	char problem[240];       /* the first bad pool, for messages */
};

/* Walks state ST.  With STRICT (the target is stopped) any pool that
 * fails validation stops the walk with PMF_EAGAIN (the caller retries: a
 * thread may have been stopped inside the allocator).  Without it, bad
 * pools are skipped and counted in pools_failed_validation. */
int pmf__walk(struct pmf__mem *mem, const struct pmf__state *st,
	      struct pmf__geom *g, bool strict, struct pmf__walk *w,
	      struct pmf__err *e);

void pmf__walk_free(struct pmf__walk *w);

#endif
