/* SPDX-License-Identifier: MIT */
/*
 * state.h - one obmalloc state in the target: where its fields are, their
 * values read at one moment, and the checks that tell a real state from
 * memory that merely resembles one.
 *
 * Only fields the allocator maintains are checked, for the state each
 * object is in (research section 2): an unused arena_object has only
 * `address` and `nextarena` set; a full arena keeps stale links; empty
 * pools keep a stale szidx.
 */
#ifndef PMF_PY_STATE_H
#define PMF_PY_STATE_H

#include "os/maps.h"
#include "os/mem.h"
#include "py/geom.h"

/* Addresses of a state's fields in the target; 0 = not known. */
struct pmf__state_ref {
	uint64_t base; /* the struct (3.12+), 0 for <= 3.11 statics */
	uint64_t usedpools;
	unsigned nusedpools; /* entries in usedpools[] */
	uint64_t arenas, maxarenas;
	uint64_t ncur, ntimes, highwater;
	uint64_t map_mid, map_bot;
	uint64_t serialno; /* 3.6/3.7 debug hooks' counter, 0 if none */
};

/* Builds the ref of a 3.12+ struct _obmalloc_state at BASE. */
void pmf__state_ref_struct(struct pmf__state_ref *r, uint64_t base,
			   const struct pmf__state_offsets *o, bool radix);

/* Decoded arena_object. */
struct pmf__ao {
	uint64_t address, pool_address;
	uint32_t nfreepools, ntotalpools;
	uint64_t nextarena, prevarena;
};

/* Decodes the 48-byte arena_object at P. */
void pmf__ao_decode(const unsigned char *p, struct pmf__ao *a);

/* Values read at one moment. */
struct pmf__state {
	uint64_t arenas_ptr;
	uint32_t maxarenas;
	uint64_t ncur, ntimes, highwater;
	int32_t map_mid, map_bot;
	bool have_counters; /* ntimes and highwater (printed by CPython) */
	bool have_ncur;     /* narenas_currently_allocated: a cross-check */
	bool have_map;
	uint64_t serialno;
	bool have_serialno;
	struct pmf__ao *ao; /* maxarenas entries */
	size_t ao_cap;
	uint64_t usedpools[PMF__USEDPOOLS_MAX];
	unsigned nused;
	uint64_t live;      /* entries with an address */
};

/* A table larger than this is not a real arena table (it would describe
 * 16 TiB of 1 MiB arenas). */
#define PMF__MAX_ARENAS (1u << 24)

/* Reads the state's scalars, arena table and usedpools.  PMF_ECORRUPT for
 * an implausible table size; PMF_EFAULT when a field is unreadable. */
int pmf__state_read(struct pmf__mem *mem, const struct pmf__state_ref *ref,
		    const struct pmf__geom *g, struct pmf__state *st,
		    struct pmf__err *e);

void pmf__state_free(struct pmf__state *st);

/* Checks the first carved pool of each live arena in AO[0..M): it must
 * name its arena and, if in use, a class that fits its maxnextoffset.
 * Returns the number of arenas failing (a read failure counts as all). */
uint64_t pmf__first_pools_bad(struct pmf__mem *mem, const struct pmf__geom *g,
			      const struct pmf__ao *ao, uint32_t m);

/* What the checks found. */
struct pmf__check {
	uint64_t live;          /* used entries */
	uint64_t bad_used;      /* used entries failing a check */
	uint64_t bad_unused;    /* unused entries with a wild nextarena */
	unsigned bad_classes;   /* usedpools pairs failing a check */
	unsigned checked_classes;
	bool counters_ok;       /* current/highwater/total consistent */
	char problem[240];      /* the first problem, for messages */
};

/* Runs every check.  MEM is used to read the pool headers usedpools
 * points at. */
void pmf__state_check(const struct pmf__state *st,
		      const struct pmf__state_ref *ref,
		      const struct pmf__geom *g, const struct pmf__maps *maps,
		      struct pmf__mem *mem, struct pmf__check *c);

/* A state passes when nothing failed (STRICT) or when torn reads could
 * explain the failures: a few bad entries among many good ones. */
bool pmf__check_passes(const struct pmf__check *c, bool strict);

/* Checks one arena_object against the allocator's invariants; false with
 * a reason in WHY (may be NULL). */
bool pmf__ao_valid(const struct pmf__ao *a, const struct pmf__geom *g,
		   const struct pmf__maps *maps, char *why, size_t whylen);

#endif
