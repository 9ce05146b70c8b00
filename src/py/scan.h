/* SPDX-License-Identifier: MIT */
/*
 * scan.h - finding the obmalloc state without symbols.
 *
 * <= 3.11 keeps the state in file statics of obmalloc.c, which a stripped
 * binary does not name.  Two independent routes find them
 * (research/cpython-obmalloc.md section 9.3):
 *  - memory: a word of .data/.bss that points at a heap block which
 *    validates as the arena table; usedpools by its self-referential
 *    pattern;
 *  - code: the RIP-relative loads of the exported
 *    _PyObject_DebugMallocStats name maxarenas, arenas and the counters,
 *    and its first comparison names _PyObject_Malloc.
 * The locator uses both and requires them to agree.
 */
#ifndef PMF_PY_SCAN_H
#define PMF_PY_SCAN_H

#include "py/pytarget.h"


struct pmf__scan {
	uint64_t table;        /* the arena table, 0 if none validated */
	uint32_t maxarenas;    /* its size */
	uint64_t vars[4];      /* words holding TABLE (arenas, usable...) */
	unsigned nvars;
	uint64_t maxarenas_var; /* a u32 == maxarenas next to vars[0], or 0 */
	uint64_t usedpools;    /* &usedpools[0], 0 if not found */
	unsigned nusedpools;
	unsigned candidates;   /* tables tried */
	unsigned tables;       /* tables that validated */
	uint64_t scanned;      /* bytes of .data/.bss read */
};

/* The memory route.  PMF_ENOSTATE when the image has no .data/.bss, or
 * PMF_ECORRUPT when more than one table validates. */
int pmf__scan_statics(struct pmf__pyt *t, struct pmf__scan *s,
		      struct pmf__err *e);

/* What _PyObject_DebugMallocStats reads, in target addresses (0 = not
 * seen). */
struct pmf__dms_code {
	uint64_t maxarenas, arenas, ntimes, highwater, map_mid, map_bot;
	uint64_t serialno; /* 3.6/3.7: printed under the debug hooks */
	/* _PyMem_PymallocEnabled(), inlined at the top, reads the obj
	 * domain's malloc and compares it with _PyMem_DebugMalloc and
	 * _PyObject_Malloc: immediates in non-PIE code, lea in PIE code.
	 * Which is which does not matter: the allocator check tells them
	 * apart by the data (research section 8.1). */
	uint64_t obj_malloc_slot; /* first 8-byte load, 3.6-3.11 */
	uint64_t fns[PMF__CODE_FNS];
	unsigned nfns;
	unsigned insns;           /* instructions decoded */
};

/* The code route (x86-64 only).  PMF_ENOSTATE when the function is not
 * exported or its code does not show the expected loads. */
int pmf__scan_code(struct pmf__pyt *t, struct pmf__dms_code *c,
		   struct pmf__err *e);

/* The allocator slot an exported allocator function (PyMem_RawMalloc)
 * calls through: the second of two RIP-relative loads 8 bytes apart
 * (ctx, then malloc).  0 when not found. */
uint64_t pmf__scan_slot(struct pmf__pyt *t, enum pmf__symid fn);

/* The allocator check of an exported function such as 3.6's
 * _PyMem_PymallocEnabled: its first 8-byte RIP-relative load (the obj
 * domain's malloc) and the code addresses it compares with.  Returns the
 * number of functions found (0 when FN is not exported). */
unsigned pmf__scan_checker(struct pmf__pyt *t, enum pmf__symid fn,
			   uint64_t *slot, uint64_t *fns, unsigned max);

/* 3.12+ without a matching layout row: looks for a region of the main
 * interpreter's state (inline, 3.12) or a pointer in it (3.13+) that
 * validates as a struct _obmalloc_state.  Sets *BASE. */
int pmf__scan_probe(struct pmf__pyt *t, uint64_t *base, struct pmf__err *e);

#endif
