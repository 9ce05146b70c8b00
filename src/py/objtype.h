/* SPDX-License-Identifier: MIT */
/*
 * objtype.h - what the live blocks of a pool are: objects of which type,
 * objects kept on a free list, buffers an object owns (a list's items, a
 * dict's keys or values, a set's table), other buffers, or - where that
 * cannot be decided - unknown.
 *
 * A live block is a carved block that is not on the pool's free chain.
 * Where an object starts in it follows from its type: a candidate at
 * offset o (0, the GC head, the GC head and the 3.11+ managed pointers;
 * after the debug hooks' prefix) is an object when the word at o + 8 is
 * a type (typeres.h) whose instances have a pre-header of exactly o,
 * the word at o is a refcount, and the object's size - its type's basic
 * size, its items, a str's own length - fits the block.  Each block is
 * decided on its own; nothing is guessed per pool or size class.
 */
#ifndef PMF_PY_OBJTYPE_H
#define PMF_PY_OBJTYPE_H

#include "py/geom.h"
#include "py/layout.h"
#include "py/objlayout.h"
#include "py/typeres.h"

/* Blocks and bytes by id, for one arena at a time: dense by id, with the
 * ids touched listed so that a reset costs what was counted. */
struct pmf__tally {
	uint64_t *count, *bytes;
	size_t cap;
	uint32_t *touched;
	size_t ntouched, tcap;
	bool oom;
};

void pmf__tally_add(struct pmf__tally *t, uint32_t id, uint64_t n,
		    uint64_t bytes);
void pmf__tally_reset(struct pmf__tally *t);
void pmf__tally_free(struct pmf__tally *t);

struct pmf__pending;

/* Block ids, 4 bytes each: what a heap of millions of buffers needs kept
 * until its owners are known. */
struct pmf__ids {
	uint32_t *v;
	size_t n, cap;
};

#define PMF__LABELS_MAX (1u << 20)

/* Whether CPython's debug hooks wrap the blocks (PYTHONMALLOC=debug,
 * pymalloc_debug, debug builds). */
enum pmf__hooks {
	PMF__HOOKS_OFF,
	PMF__HOOKS_ON,
	PMF__HOOKS_AUTO, /* not known: each block says (its prefix) */
};

/* The classifier of one snapshot. */
struct pmf__blocks {
	const struct pmf__objlayout *l;
	const struct pmf__geom *g;
	struct pmf__typeres *r;
	enum pmf__hooks hooks;
	unsigned dbg_extra;   /* bytes the debug hooks add to a block */
	unsigned offsets[3];  /* where an object can start in the data */
	unsigned noffsets;
	unsigned float_block[2]; /* block size of a float, without and with
				    the hooks (free-list links) */
	struct pmf__divider div[PMF__MAX_CLASSES]; /* by each class's size */
	/* The vector scan for free blocks (objtype.c), where the CPU has
	 * it; PMF_NO_AVX512=1 in the environment turns it off (tests). */
	unsigned (*scan)(const unsigned char *blocks, uint64_t lo,
			 uint64_t span, unsigned size, uint64_t m,
			 unsigned carved, uint64_t bits[16]);

	struct pmf__tally *tally; /* the current arena's counts */
	/* Where a pointer lands: the id of the block holding it, when that
	 * block is in an arena being read (set by the caller, who gives
	 * the ids meaning). */
	bool (*blockid)(void *ctx, uint64_t ptr, uint32_t *id);
	void *ctx;

	/* Non-object blocks, and the blocks owners point at by kind (kind
	 * k: the owned of PMF__T_LISTITEMS + k), as block ids, for
	 * labelling at the end.  At most PMF__LABELS_MAX of each; past
	 * that, buffers stay "<non-object>" (labels_dropped counts). */
	struct pmf__ids nonobj;
	struct pmf__ids owned[PMF__T_FIRST - PMF__T_LISTITEMS];
	uint64_t labels_dropped;

	struct pmf__pending *pend; /* blocks waiting on a candidate type */
	size_t npend, cpend;
	bool oom;

	/* What the reads found. */
	uint64_t pools_read;
	uint64_t pools_torn;    /* inconsistent as read: blocks unknown */
	uint64_t pools_changed; /* consistent, but not as the walk saw it */
	uint64_t pools_retried; /* read again after a torn read */
	uint64_t blocks_live;
};

/* Sets B up for layout L, geometry G and resolver R. */
void pmf__blocks_init(struct pmf__blocks *b, const struct pmf__objlayout *l,
		      const struct pmf__geom *g, struct pmf__typeres *r,
		      enum pmf__hooks hooks);
void pmf__blocks_free(struct pmf__blocks *b);

/* One used pool, as read: LEN bytes from its start (the rest was not in
 * RAM, or not carved) at P.  ARENAINDEX is the index its header must
 * carry; WALK_COUNT its blocks in use when the walk read it. */
struct pmf__pool_in {
	uint64_t addr;
	const unsigned char *p;
	size_t len;
	uint32_t arenaindex;
	uint32_t walk_count;
};

/* Classifies the live blocks of the N POOLS into b->tally.  A pool
 * whose header or free chain does not hold together as read (the target
 * changed it meanwhile), or whose carved blocks were not all read, is
 * left out: its index goes in TORN (room for N), and the number of them
 * is returned, for the caller to read it again or give it up with
 * pmf__blocks_unknown().  Blocks that wait on a candidate type are kept
 * (their bytes must stay valid) until pmf__blocks_settle(). */
size_t pmf__blocks_pools(struct pmf__blocks *b, const struct pmf__pool_in *pools,
			 size_t n, size_t *torn);

/* Counts the walk_count blocks of pool IN as "<unknown>". */
void pmf__blocks_unknown(struct pmf__blocks *b, const struct pmf__pool_in *in);

/* Resolves the candidates met since the last call and classifies the
 * blocks that waited on them.  0, or a PMF code (the target is gone,
 * out of memory). */
int pmf__blocks_settle(struct pmf__blocks *b, struct pmf__err *e);

/* Classifies one block of SIZE bytes at ADDR, read into Q: an id, or
 * UINT32_MAX while a candidate type is pending.  Exposed for tests. */
uint32_t pmf__blocks_classify(struct pmf__blocks *b, const unsigned char *q,
			      uint64_t addr, unsigned size);

#endif
