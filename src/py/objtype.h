/* SPDX-License-Identifier: MIT */
/*
 * objtype.h - what the live blocks of a pool are: objects of which type,
 * objects kept on a free list, or plain buffers.  A live block is a
 * carved block that is not on the pool's free chain; an object is
 * recognised by its ob_type pointing at a valid type object, at the
 * offset its type's pre-header (GC head, managed dict) puts it.
 */
#ifndef PMF_PY_OBJTYPE_H
#define PMF_PY_OBJTYPE_H

#include "pymfrag.h"
#include "os/mem.h"
#include "os/pagemap.h"
#include "py/geom.h"

/* How objects sit in blocks in one interpreter. */
struct pmf__objfmt {
	unsigned minor;      /* 3.MINOR */
	unsigned gc_size;    /* sizeof(PyGC_Head) */
	unsigned ob_off;     /* offset of ob_refcnt in PyObject (16 with
				Py_TRACE_REFS) */
	unsigned dbg_prefix; /* bytes the debug hooks put before the data */
	unsigned dbg_extra;  /* bytes they add in all */
	bool refcnt0_freelisted; /* a type-valid object with refcount 0 sits
				    on a free list (up to 3.13) */
};

void pmf__objfmt_init(struct pmf__objfmt *f, const struct pmf_python *py,
		      bool debug_hooks);

/* Kinds of block that are not a recognised type. */
enum {
	PMF__T_NONOBJ = 0, /* "<non-object>" */
	PMF__T_FREELISTED, /* "<free-listed>" */
	PMF__T_UNKNOWN,    /* "<unknown>": unreadable, or a torn pool */
	PMF__T_FIRST,      /* ids of types start here */
};

#define PMF__T_MAX 4096 /* distinct types remembered */

struct pmf__tcache_ent;

/* Type objects seen so far, by address; ids are stable for the life of
 * the cache. */
struct pmf__types {
	struct pmf__tcache_ent *ent; /* open addressing */
	size_t cap, used;
	char (*names)[64];           /* by id - PMF__T_FIRST */
	uint32_t nnames;
	/* When set, a pointer found in a block is followed only if its
	 * pages are in RAM: a candidate type pointer can point anywhere,
	 * and reading a page not in RAM would make the kernel map it. */
	struct pmf__pagemap *pm;
	uint64_t type_reads;         /* for benchmarks */
};

int pmf__types_init(struct pmf__types *t, struct pmf__err *e);
void pmf__types_free(struct pmf__types *t);

/* The name of id ID. */
const char *pmf__types_name(const struct pmf__types *t, uint32_t id);

/* Per-id counts, PMF__T_FIRST + PMF__T_MAX entries each. */
struct pmf__tcounts {
	uint64_t count[PMF__T_FIRST + PMF__T_MAX];
	uint64_t bytes[PMF__T_FIRST + PMF__T_MAX];
};

/* One used pool to read. */
struct pmf__pool_read {
	uint64_t addr;
	uint32_t len;         /* bytes worth reading: its nextoffset */
	uint32_t count;       /* blocks in use, from the walk */
	uint32_t size;        /* block size */
	const uint8_t *pages; /* PMF__PG_* flags of its pages, or NULL */
};

/* Reads the NPOOLS used pools and adds their live blocks to C by type.
 * Only pages in RAM are read: memory past nextoffset was never handed
 * out, and the kernel would map never-touched pages on a read (or swap
 * pages in), which would show in the target's page tables.  A page not
 * in RAM reads as zeros (what the kernel would map); a pool with a page
 * in swap is counted as "<unknown>".  PAGE_SIZE is the pages' size. */
int pmf__types_count_pools(struct pmf__types *t, struct pmf__mem *mem,
			   const struct pmf__geom *g,
			   const struct pmf__objfmt *f,
			   const struct pmf__pool_read *pools, size_t npools,
			   unsigned page_size, struct pmf__tcounts *c,
			   struct pmf__err *e);

/* Classifies the block at BLOCK (SIZE bytes, copied into BUF) alone;
 * exposed for tests. */
uint32_t pmf__types_classify(struct pmf__types *t, struct pmf__mem *mem,
			     const struct pmf__objfmt *f,
			     const unsigned char *buf, unsigned size);

#endif
