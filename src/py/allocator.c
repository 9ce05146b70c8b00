/* SPDX-License-Identifier: MIT */
/*
 * allocator.c - which allocator serves PyObject_Malloc, found by comparing
 * the object domain's malloc pointer with pymalloc's own functions
 * (research section 8.1).  Hooks such as tracemalloc replace the pointer
 * but still hand blocks to pymalloc underneath, so an unknown pointer with
 * live arenas is "pymalloc behind a hook", not "pymalloc inactive".
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "py/pytarget.h"

static const char *
fn_name(struct pmf__pyt *t, uint64_t addr)
{
	const struct pmf__elf *elfs[2] = {&t->img.mod.elf,
					   t->debug_open ? &t->debug : NULL};
	for (int i = 0; i < 2; i++) {
		if (elfs[i] == NULL || addr < t->img.mod.bias)
			continue;
		const char *n =
			pmf__elf_symbolize(elfs[i], addr - t->img.mod.bias);
		if (n != NULL)
			return n;
	}
	return NULL;
}

enum pmf_allocator
pmf__allocator(struct pmf__pyt *t, bool has_arenas, char *detail, size_t len)
{
	const struct pmf__alloc_probe *p = &t->probe;
	detail[0] = '\0';
	if (t->ver.free_threaded)
		return PMF_ALLOC_FREE_THREADED;
	if (!t->have_main)
		return pmf__sym_ok(&t->syms, PMF__S_DEBUGMALLOCSTATS)
			       ? PMF_ALLOC_UNKNOWN
			       : PMF_ALLOC_NO_PYMALLOC;
	uint64_t fn = 0;
	if (p->obj_malloc_slot == 0 || p->fn_pymalloc == 0 ||
	    pmf__mem_read_u64(&t->mem, p->obj_malloc_slot, &fn, NULL) < 0) {
		snprintf(detail, len, "allocator functions are unknown without "
				      "symbols");
		return PMF_ALLOC_UNKNOWN;
	}
	if (fn == p->fn_pymalloc)
		return PMF_ALLOC_PYMALLOC;
	if (fn == p->fn_raw)
		return PMF_ALLOC_MALLOC;
	if (p->fn_mimalloc != 0 && fn == p->fn_mimalloc)
		return PMF_ALLOC_MIMALLOC;
	if (fn == p->fn_debug) {
		uint64_t inner = 0;
		if (p->dbg_obj_slot != 0 &&
		    pmf__mem_read_u64(&t->mem, p->dbg_obj_slot, &inner, NULL) ==
			    0) {
			if (inner == p->fn_pymalloc)
				return PMF_ALLOC_PYMALLOC_DEBUG;
			if (inner == p->fn_raw)
				return PMF_ALLOC_MALLOC_DEBUG;
			if (p->fn_mimalloc != 0 && inner == p->fn_mimalloc)
				return PMF_ALLOC_MIMALLOC_DEBUG;
		}
		snprintf(detail, len, "debug hooks over an unknown allocator");
		return has_arenas ? PMF_ALLOC_PYMALLOC_DEBUG : PMF_ALLOC_CUSTOM;
	}
	const char *name = fn_name(t, fn);
	if (has_arenas) {
		snprintf(detail, len, "behind %s", name ? name : "a hook");
		return PMF_ALLOC_PYMALLOC_HOOKED;
	}
	snprintf(detail, len, "%s at 0x%llx", name ? name : "unknown function",
		 (unsigned long long)fn);
	return PMF_ALLOC_CUSTOM;
}
