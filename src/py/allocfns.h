/* SPDX-License-Identifier: MIT */
/*
 * allocfns.h - where pymalloc's own functions are in the target: the
 * address ranges of the functions that change the allocator's state
 * (_PyObject_Malloc, _PyObject_Free, allocate_from_new_pool...), from the
 * ELF symbol tables of the interpreter image, and the check whether a
 * thread's innermost frames are inside one of them.
 */
#ifndef PMF_PY_ALLOCFNS_H
#define PMF_PY_ALLOCFNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/elf.h"

struct pmf__fnrange {
	uint64_t lo, hi; /* [lo, hi) in the target */
	unsigned fn;     /* index into the name list (pmf__alloc_fn_label) */
};

struct pmf__allocfns {
	struct pmf__fnrange *v;
	size_t n, cap;
	unsigned from_symtab, from_dynsym; /* functions found in each */
};

/* The index of the allocator function NAME names, or -1.  Compiler
 * suffixes of local copies ("pymalloc_alloc.constprop.0",
 * "_PyObject_Free.cold") count as the function itself. */
int pmf__alloc_fn_index(const char *name);

/* The name of function index FN ("_PyObject_Malloc"). */
const char *pmf__alloc_fn_label(unsigned fn);

/* Adds the allocator functions defined in ELF (its .symtab, else its
 * .dynsym), at link-time address + BIAS.  Returns 0 or PMF_ENOMEM. */
int pmf__allocfns_add_elf(struct pmf__allocfns *f, const struct pmf__elf *elf,
			  uint64_t bias);

/* Adds one range (tests, and the ELF reader above). */
int pmf__allocfns_add(struct pmf__allocfns *f, uint64_t lo, uint64_t hi,
		      unsigned fn);

/* Sorts the ranges and merges duplicates (the same function from .symtab
 * and .dynsym, or from the image and its debug file); call once after
 * adding. */
void pmf__allocfns_finish(struct pmf__allocfns *f);

/* The range containing ADDR, or NULL. */
const struct pmf__fnrange *pmf__allocfns_find(const struct pmf__allocfns *f,
					      uint64_t addr);

/* Checks the innermost frames of one thread: IPS[0] is where the thread
 * is, IPS[1..N) are return addresses, which are looked up one byte back
 * (a call that is the last instruction of a function returns past its
 * end).  Returns the index of the first frame inside an allocator
 * function, or -1; *FN gets that function. */
int pmf__allocfns_hit(const struct pmf__allocfns *f, const uint64_t *ips,
		      size_t n, unsigned *fn);

void pmf__allocfns_free(struct pmf__allocfns *f);

#endif
