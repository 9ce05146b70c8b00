/* SPDX-License-Identifier: MIT */
/*
 * allocfns.c - pymalloc's functions by name and address.
 *
 * The names cover CPython 3.6 to 3.13 (checked with nm on each build):
 * the public entry points, the static helpers that survive inlining in
 * some builds, and the arena mmap/munmap wrappers, which run with an arena
 * half linked in or out.  A function missing from one version's tables
 * (inlined there) simply contributes no range.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "py/allocfns.h"

static const char *const names[] = {
	"_PyObject_Malloc",
	"_PyObject_Calloc",
	"_PyObject_Realloc",
	"_PyObject_Free",
	"_PyObject_Alloc",       /* 3.6 */
	"pymalloc_alloc",        /* 3.7-3.8 */
	"pymalloc_free",
	"pymalloc_realloc",
	"pymalloc_pool_extend",
	"allocate_from_new_pool", /* 3.9+ */
	"insert_to_usedpool",
	"insert_to_freepool",
	"new_arena",
	"arena_map_mark_used",   /* 3.10+, called from new_arena */
	"_PyObject_ArenaMmap",
	"_PyObject_ArenaMunmap",
};

int
pmf__alloc_fn_index(const char *name)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(names); i++) {
		size_t k = strlen(names[i]);
		if (strncmp(name, names[i], k) == 0 &&
		    (name[k] == '\0' || name[k] == '.'))
			return (int)i;
	}
	return -1;
}

const char *
pmf__alloc_fn_label(unsigned fn)
{
	return fn < PMF_ARRAY_SIZE(names) ? names[fn] : "?";
}

int
pmf__allocfns_add(struct pmf__allocfns *f, uint64_t lo, uint64_t hi,
		  unsigned fn)
{
	if (hi <= lo)
		return 0;
	struct pmf__fnrange *r = PMF__VEC_PUSH(f->v, f->n, f->cap);
	if (r == NULL)
		return PMF_ENOMEM;
	*r = (struct pmf__fnrange){lo, hi, fn};
	return 0;
}

/* Adds the allocator functions of one symbol table; returns how many, or
 * PMF_ENOMEM. */
static long
add_table(struct pmf__allocfns *f, const struct pmf__symtab *t, uint64_t bias)
{
	long found = 0;
	for (size_t i = 0; i < t->n; i++) {
		const Elf64_Sym *s = &t->sym[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC ||
		    s->st_shndx == SHN_UNDEF || s->st_size == 0 ||
		    s->st_name >= t->strsz)
			continue;
		const char *nm = t->str + s->st_name;
		/* The table is bounds-checked, not its strings' ends. */
		if (memchr(nm, '\0', t->strsz - s->st_name) == NULL)
			continue;
		int fn = pmf__alloc_fn_index(nm);
		if (fn < 0)
			continue;
		uint64_t lo = s->st_value + bias;
		if (lo < s->st_value || lo + s->st_size < lo)
			continue; /* wraps: not a real address */
		if (pmf__allocfns_add(f, lo, lo + s->st_size, (unsigned)fn) < 0)
			return PMF_ENOMEM;
		found++;
	}
	return found;
}

int
pmf__allocfns_add_elf(struct pmf__allocfns *f, const struct pmf__elf *elf,
		      uint64_t bias)
{
	/* .symtab has the statics too; .dynsym only the exports, which is
	 * all a stripped build keeps. */
	long n = add_table(f, &elf->symtab, bias);
	if (n < 0)
		return (int)n;
	if (n > 0) {
		f->from_symtab += (unsigned)n;
		return 0;
	}
	n = add_table(f, &elf->dynsym, bias);
	if (n < 0)
		return (int)n;
	f->from_dynsym += (unsigned)n;
	return 0;
}

static int
by_lo(const void *a, const void *b)
{
	const struct pmf__fnrange *x = a, *y = b;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->hi < y->hi ? -1 : x->hi > y->hi;
}

void
pmf__allocfns_finish(struct pmf__allocfns *f)
{
	if (f->n == 0)
		return;
	qsort(f->v, f->n, sizeof(*f->v), by_lo);
	/* Overlapping entries (one function seen twice, or an alias) merge
	 * into one range, so the search below needs no tie rule. */
	size_t k = 0;
	for (size_t i = 1; i < f->n; i++) {
		if (f->v[i].lo < f->v[k].hi) {
			if (f->v[i].hi > f->v[k].hi)
				f->v[k].hi = f->v[i].hi;
			continue;
		}
		f->v[++k] = f->v[i];
	}
	f->n = k + 1;
}

const struct pmf__fnrange *
pmf__allocfns_find(const struct pmf__allocfns *f, uint64_t addr)
{
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pmf__fnrange *r = &f->v[mid];
		if (addr < r->lo)
			hi = mid;
		else if (addr >= r->hi)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

int
pmf__allocfns_hit(const struct pmf__allocfns *f, const uint64_t *ips,
		  size_t n, unsigned *fn)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a = ips[i];
		if (i > 0) {
			if (a == 0)
				continue;
			a--;
		}
		const struct pmf__fnrange *r = pmf__allocfns_find(f, a);
		if (r != NULL) {
			if (fn != NULL)
				*fn = r->fn;
			return (int)i;
		}
	}
	return -1;
}

void
pmf__allocfns_free(struct pmf__allocfns *f)
{
	free(f->v);
	*f = (struct pmf__allocfns){0};
}
