/* SPDX-License-Identifier: MIT */
/*
 * typeres.h - which addresses are type objects, and their names.
 *
 * A word read from a block is a candidate ob_type.  It is a type when the
 * object there has a live refcount, Py_TPFLAGS_READY, a sane basic and
 * item size, a metatype that is itself a type (Py_TPFLAGS_TYPE_SUBCLASS,
 * its own metatype chain reaching type(type) is type) and a tp_base chain
 * that ends at the one type without a base, "object".  Stale or random
 * bytes do not pass all of that.  Type objects are never pymalloc blocks
 * (a heap type is larger than 512 bytes), so a candidate inside an arena
 * is refused without a read, and so is one outside a readable and
 * writable mapping (every type object has a refcount that changes).
 *
 * Names are what CPython shows in repr(type): the tp_name of a static
 * type ("int", "collections.OrderedDict"), and for a heap type its
 * __module__ (from its dict) and __qualname__ ("decimal.Decimal",
 * "__main__.Outer.Inner"), or its tp_name when the module is "builtins"
 * (CPython's type_repr).
 *
 * Candidates are queued as they are met and resolved in batches: one
 * batched read of every queued header, then their metatypes and bases,
 * then names.  Only pages in RAM are read (a read of a page that is not
 * would make the kernel map it, or bring it back from swap): a candidate
 * that cannot be read is "undecided", not a type.
 */
#ifndef PMF_PY_TYPERES_H
#define PMF_PY_TYPERES_H

#include "base/err.h"
#include "base/u64tab.h"
#include "os/mem.h"
#include "os/pagemap.h"
#include "py/objlayout.h"
#include "py/pyread.h"

/* What a type's instances are, where the attribution needs to know. */
enum pmf__tkind {
	PMF__K_OTHER = 0,
	PMF__K_STR,   /* exactly str: compact, its size in its state */
	PMF__K_LONG,  /* int and subclasses */
	PMF__K_LIST,
	PMF__K_DICT,
	PMF__K_SET,   /* set, frozenset and subclasses */
};

/* A type object, once validated. */
struct pmf__tinfo {
	uint64_t addr;
	uint64_t flags;
	uint64_t basicsize, itemsize;
	uint32_t id;   /* name id: PMF__T_FIRST + index */
	uint16_t pre;  /* pre-header of its instances */
	uint8_t kind;  /* enum pmf__tkind */
};

/* What is known of a candidate. */
enum pmf__tstate {
	PMF__TS_TYPE,
	PMF__TS_NOT,       /* not a type object */
	PMF__TS_UNDECIDED, /* could not be read (not in RAM...) */
	PMF__TS_PENDING,   /* queued: call pmf__typeres_resolve() */
};

/* Ids of what is not a type (see pmf__typeres_name()). */
enum {
	PMF__T_NONOBJ = 0, /* "<non-object>" */
	PMF__T_FREELISTED, /* "<free-listed>" */
	PMF__T_UNKNOWN,    /* "<unknown>" */
	PMF__T_LISTITEMS,  /* "<list items>" */
	PMF__T_DICTKEYS,   /* "<dict keys>" */
	PMF__T_DICTVALUES, /* "<dict values>" */
	PMF__T_SETTABLE,   /* "<set table>" */
	PMF__T_FIRST,      /* type ids start here */
};

struct pmf__twork;

struct pmf__typeres {
	const struct pmf__objlayout *l;
	struct pmf__mem *mem;
	const struct pmf__maps *maps;
	struct pmf__pgcache *pc;
	const uint64_t *arenas; /* sorted addresses of every arena */
	size_t narenas;
	uint64_t arena_size;

	struct pmf__u64tab types; /* struct pmf__tinfo: validated */
	struct pmf__u64tab neg;   /* refused candidates */
	struct pmf__u64tab work;  /* struct pmf__twork: being resolved */
	uint64_t *queue;
	size_t nq, qcap;

	char *names;              /* NUL-separated */
	size_t nlen, ncap_names;
	uint32_t *name_off;       /* by id - PMF__T_FIRST */
	uint32_t nnames;
	size_t name_cap;

	struct pmf__pyread rd;    /* names are read through it */
	uint64_t object_type;     /* the base-less root, once found */
	bool oom;

	/* For benchmarks and tests. */
	uint64_t resolved, refused_reads, reads;
};

/* Sets R up: candidates are read through MEM, checked against MAPS
 * (readable and writable) and the sorted ARENAS, and their pages
 * against PC.  Nothing is allocated until the first candidate. */
void pmf__typeres_init(struct pmf__typeres *r, const struct pmf__objlayout *l,
		       struct pmf__mem *mem, const struct pmf__maps *maps,
		       struct pmf__pgcache *pc, const uint64_t *arenas,
		       size_t narenas, uint64_t arena_size);
void pmf__typeres_free(struct pmf__typeres *r);

/* True when ADDR lies in one of the arenas. */
bool pmf__typeres_in_arena(const struct pmf__typeres *r, uint64_t addr);

/* What ADDR is; *T is set for a type.  An address not met before that
 * could be a type is queued and PENDING is returned. */
enum pmf__tstate pmf__typeres_find(struct pmf__typeres *r, uint64_t addr,
				   const struct pmf__tinfo **t);

/* Decides every queued candidate.  0, PMF_ENOMEM, or the failure of the
 * memory source itself. */
int pmf__typeres_resolve(struct pmf__typeres *r, struct pmf__err *e);

/* Forgets refused candidates when many have gathered (a bound on
 * memory); the types are kept.  Call between batches only. */
void pmf__typeres_trim(struct pmf__typeres *r);

/* The name of id ID ("<non-object>"... for the ids below
 * PMF__T_FIRST). */
const char *pmf__typeres_name(const struct pmf__typeres *r, uint32_t id);

/* Names known: ids PMF__T_FIRST .. PMF__T_FIRST + count - 1. */
static inline uint32_t
pmf__typeres_nids(const struct pmf__typeres *r)
{
	return PMF__T_FIRST + r->nnames;
}

#endif
