/* SPDX-License-Identifier: MIT */
/*
 * allocator.c - which allocator serves PyObject_Malloc (research section
 * 8.1), read from the allocator structs themselves so that it also works
 * without symbols:
 *  - the obj domain's {ctx, malloc}: malloc is _PyObject_Malloc for
 *    pymalloc, the raw domain's malloc for PYTHONMALLOC=malloc;
 *  - under the debug hooks ctx points at a debug_alloc_api_t of the obj
 *    domain: the api id 'o', then the allocator the hooks wrap.
 * Hooks such as tracemalloc replace the pointer but still hand blocks to
 * pymalloc underneath, so an unknown function with live arenas is
 * "pymalloc behind a hook", not "pymalloc inactive".
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

/* The allocator the debug hooks wrap, if CTX is a debug_alloc_api_t of
 * the obj domain: {char api_id = 'o'; zero padding; PyMemAllocatorEx}. */
static uint64_t
debug_wrapped(struct pmf__pyt *t, uint64_t ctx)
{
	unsigned char d[24];
	if (ctx == 0 || pmf__mem_read(&t->mem, ctx, d, sizeof(d), NULL) < 0)
		return 0;
	if (d[0] != 'o')
		return 0;
	for (int i = 1; i < 8; i++)
		if (d[i] != 0)
			return 0;
	return pmf__ld64(d + 16);
}

/* Is FN _PyObject_Malloc?  Exactly, with symbols; without, it is one of
 * the functions the pymalloc check compares with (the other one is the
 * debug hook, which never runs with a NULL ctx). */
static bool
is_pymalloc(const struct pmf__alloc_probe *p, uint64_t fn, uint64_t ctx)
{
	if (p->fn_pymalloc != 0)
		return fn == p->fn_pymalloc;
	if (ctx != 0)
		return false;
	for (unsigned i = 0; i < p->ncode_fns; i++)
		if (fn == p->code_fns[i])
			return true;
	return false;
}

/* Is the wrapped allocator FN _PyObject_Malloc? */
static bool
wraps_pymalloc(const struct pmf__alloc_probe *p, uint64_t fn)
{
	if (p->fn_pymalloc != 0)
		return fn == p->fn_pymalloc;
	for (unsigned i = 0; i < p->ncode_fns; i++)
		if (fn == p->code_fns[i])
			return true;
	return false;
}

enum pmf_allocator
pmf__allocator(struct pmf__pyt *t, bool has_arenas, char *detail, size_t len)
{
	const struct pmf__alloc_probe *p = &t->probe;
	detail[0] = '\0';
	if (t->ver.free_threaded)
		return PMF_ALLOC_FREE_THREADED;
	if (!pmf__sym_ok(&t->syms, PMF__S_DEBUGMALLOCSTATS))
		return PMF_ALLOC_NO_PYMALLOC;
	unsigned char obj[16];
	if (p->obj_malloc_slot == 0 ||
	    (p->fn_pymalloc == 0 && p->ncode_fns == 0) ||
	    pmf__mem_read(&t->mem, p->obj_malloc_slot - 8, obj, sizeof(obj),
			  NULL) < 0) {
		snprintf(detail, len, "the allocator functions were not found");
		return PMF_ALLOC_UNKNOWN;
	}
	uint64_t ctx = pmf__ld64(obj), fn = pmf__ld64(obj + 8);
	uint64_t raw = p->fn_raw;
	if (raw == 0 && p->raw_malloc_slot != 0)
		(void)pmf__mem_read_u64(&t->mem, p->raw_malloc_slot, &raw, NULL);

	if (is_pymalloc(p, fn, ctx))
		return PMF_ALLOC_PYMALLOC;
	uint64_t inner = debug_wrapped(t, ctx);
	if (inner != 0 && (p->fn_debug == 0 || fn == p->fn_debug)) {
		if (wraps_pymalloc(p, inner))
			return PMF_ALLOC_PYMALLOC_DEBUG;
		if (p->fn_raw != 0 && inner == p->fn_raw)
			return PMF_ALLOC_MALLOC_DEBUG;
		if (p->fn_mimalloc != 0 && inner == p->fn_mimalloc)
			return PMF_ALLOC_MIMALLOC_DEBUG;
		const char *n = fn_name(t, inner);
		snprintf(detail, len, "debug hooks over %s",
			 n ? n : "an allocator not identified");
		return has_arenas ? PMF_ALLOC_PYMALLOC_DEBUG
				  : PMF_ALLOC_CUSTOM;
	}
	if (raw != 0 && fn == raw)
		return PMF_ALLOC_MALLOC;
	if (p->fn_mimalloc != 0 && fn == p->fn_mimalloc)
		return PMF_ALLOC_MIMALLOC;
	const char *name = fn_name(t, fn);
	if (has_arenas) {
		snprintf(detail, len, "behind %s", name ? name : "a hook");
		return PMF_ALLOC_PYMALLOC_HOOKED;
	}
	snprintf(detail, len, "%s at 0x%llx", name ? name : "unknown function",
		 (unsigned long long)fn);
	return PMF_ALLOC_CUSTOM;
}
