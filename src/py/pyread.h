/* SPDX-License-Identifier: MIT */
/*
 * pyread.h - reading names out of a target: a C string (a static type's
 * tp_name), a str object (a heap type's __qualname__), the __module__ of
 * a type's dict.  Only pages in RAM are read (a read of a page that is
 * not would make the kernel map it, or bring it back from swap); names
 * must be UTF-8 without control characters.
 */
#ifndef PMF_PY_PYREAD_H
#define PMF_PY_PYREAD_H

#include "base/err.h"
#include "os/mem.h"
#include "os/pagemap.h"
#include "py/objlayout.h"

/* Bytes of a name part read at most. */
#define PMF__NAME_MAX 200

/* What a read found. */
enum {
	PMF__RD_OK = 0,
	PMF__RD_ABSENT = 1, /* a page not in RAM: undecided */
	PMF__RD_BAD = 2,    /* not readable, or not what it must be */
};

struct pmf__pyread {
	const struct pmf__objlayout *l;
	struct pmf__mem *mem;
	struct pmf__pgcache *pc;
	uint64_t module_key; /* the interned "__module__", once seen */
	uint64_t reads;      /* for benchmarks */
};

/* Reads LEN bytes at ADDR when every page is in RAM.  PMF__RD_*, or a
 * negative PMF code when the memory source failed (the target is
 * gone). */
int pmf__pyread(struct pmf__pyread *r, uint64_t addr, void *buf, size_t len,
                struct pmf__err *e);

/* A NUL-terminated name of 1..PMF__NAME_MAX bytes at ADDR. */
int pmf__pyread_cstr(struct pmf__pyread *r, uint64_t addr,
                     char out[PMF__NAME_MAX + 1], struct pmf__err *e);

/* The text of the compact str object at ADDR, as UTF-8 (every name and
 * identifier is compact). */
int pmf__pyread_str(struct pmf__pyread *r, uint64_t addr,
                    char out[PMF__NAME_MAX + 1], struct pmf__err *e);

/* The str that the key "__module__" maps to in the dict at DICT (a
 * type's dict: combined, never split). */
int pmf__pyread_module(struct pmf__pyread *r, uint64_t dict,
                       char out[PMF__NAME_MAX + 1], struct pmf__err *e);

#endif
