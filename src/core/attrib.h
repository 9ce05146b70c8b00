/* SPDX-License-Identifier: MIT */
/*
 * attrib.h - what the attribution (attrib.c: which arenas, labels,
 * tables) and its readers (areads.c: the worker threads) share.  Private
 * to those two files.
 */
#ifndef PMF_CORE_ATTRIB_H
#define PMF_CORE_ATTRIB_H

#include <stdatomic.h>

#include "core/analysis.h"
#include "py/objtype.h"

#define MAX_WORKERS 2
/* Reads of a pool that changed while it was read. */
#define TORN_RETRIES 3


/* One count of one examined arena, before names are attached. */
struct cnt {
	uint32_t id;
	uint64_t count, bytes;
};

struct examined {
	uint64_t address;
	size_t j;           /* index in the state's arenas */
	unsigned worker;    /* whose resolver named its ids */
	struct cnt *v;      /* its counts, by id */
	size_t n;
};

struct attrib;

/* One reader: everything it writes is its own, or its arenas' counts. */
struct worker {
	struct attrib *at;
	unsigned index;
	struct pmf__mem own_mem; /* another process: sources of its own */
	struct pmf__pagemap own_pm;
	struct pmf__mem *mem;
	struct pmf__pgcache pc;
	struct pmf__typeres r;
	struct pmf__blocks b;
	struct pmf__tally tally;
	unsigned char *buf;      /* one arena's bytes */
	uint32_t *plen;          /* per pool of it: bytes read from its start */
	struct pmf__pool_in *pools; /* its used pools */
	uint32_t *poolk;         /* their index in the arena */
	size_t *torn;            /* those that did not hold together */
	struct pmf__err err;
	int rc;
};

/* What the attribution of one snapshot shares.  During a state's reads
 * only `next` changes. */
struct attrib {
	const struct pmf__attrib_in *in;
	const struct pmf__geom *g;
	struct pmf__objlayout l;
	bool layout;          /* l is known: objects can be read */
	uint64_t *arenas;     /* every arena of every state, sorted */
	size_t narenas;
	uint32_t npools;      /* pools an arena can hold */
	struct worker w[MAX_WORKERS];
	unsigned nworkers;
	/* The state being read. */
	struct pmf__interp_data *d;
	struct examined *ex;  /* sorted by address */
	size_t nex;
	struct job *jobs;     /* the examined arenas, least utilized first,
				 then (for their page flags) the others */
	size_t njobs;
	atomic_size_t next;   /* the next job to take */
	atomic_bool pm_failed; /* a pagemap read failed: no residency */
};

/* One arena to go through: its page flags (when there is a pagemap),
 * then its objects (when examined). */
struct job {
	size_t j;                /* in the state's arenas */
	struct examined *ex;     /* NULL: page flags only */
};

/* Adds N, BYTES (either may be negative) to id ID of E's counts.  0 or
 * PMF_ENOMEM. */
int pmf__attrib_add(struct examined *e, uint32_t id, int64_t n, int64_t bytes);

/* pmf__blocks.blockid: the id of the block holding PTR, in the arenas
 * of the state being read (attrib.c says how ids are made).  Reads only
 * what no worker writes. */
bool pmf__attrib_blockid(void *ctx, uint64_t ptr, uint32_t *id);

/* A worker's sources and buffers (index 0 is the calling thread's and
 * uses the snapshot's own memory source), and their release. */
int pmf__attrib_worker_init(struct attrib *at, struct worker *w,
			    unsigned index, struct pmf__err *e);
void pmf__attrib_worker_free(struct worker *w);

/* A worker's loop (a pthread start routine): the next job of the state
 * being read, until none is left or one fails. */
void *pmf__attrib_work(void *arg);

#endif
