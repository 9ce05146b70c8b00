/* SPDX-License-Identifier: MIT */
/*
 * probe.c - 3.12+ without a layout row for the build: find the main
 * interpreter's obmalloc state by what it looks like.  _PyRuntime is
 * always exported and holds the main interpreter; on 3.12 the state is
 * inline in it, on 3.13+ it holds a pointer to the state.  A candidate
 * must start with usedpools (self-referential pairs, or pools of the right
 * class) and then pass the full state check.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "py/scan.h"

#define MAX_RUNTIME (4u << 20)

/* The first two usedpools pairs of a state at BASE, from its words. */
static bool
looks_like_usedpools(const unsigned char *w, uint64_t base,
		     const struct pmf__geom *g)
{
	for (unsigned i = 0; i < 2; i++) {
		uint64_t self = base + 16 * i - 16;
		uint64_t head = pmf__ld64(w + 16 * i);
		uint64_t tail = pmf__ld64(w + 16 * i + 8);
		bool empty = head == self && tail == self;
		bool pools = head != self && tail != self && head != 0 &&
			     head % g->pool_size == 0 &&
			     tail % g->pool_size == 0;
		if (!empty && !pools)
			return false;
	}
	return true;
}

static bool
validates(struct pmf__pyt *t, uint64_t base)
{
	struct pmf__state_ref ref;
	struct pmf__state st = {0};
	struct pmf__check c;
	pmf__state_ref_struct(&ref, base, &t->layout->st, t->layout->radix);
	bool ok = pmf__state_read(&t->mem, &ref, &t->geom, &st, NULL) == 0;
	if (ok) {
		pmf__state_check(&st, &ref, &t->geom, &t->maps, &t->mem, &c);
		ok = pmf__check_passes(&c, false) && st.have_counters &&
		     c.checked_classes == 32;
	}
	pmf__state_free(&st);
	return ok;
}

int
pmf__scan_probe(struct pmf__pyt *t, uint64_t *base, struct pmf__err *e)
{
	const struct pmf__layout *l = t->layout;
	if (l->kind == PMF__STATE_STATICS || t->runtime == 0)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "nothing to probe: no _PyRuntime");
	uint64_t size = t->syms.s[PMF__S_RUNTIME].size;
	if (size == 0 || size > MAX_RUNTIME)
		size = MAX_RUNTIME / 4;
	unsigned char *buf = malloc(size + 8);
	if (buf == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	if (pmf__mem_read(&t->mem, t->runtime, buf, size, e) < 0) {
		free(buf);
		return PMF_ENOSTATE;
	}
	uint64_t found = 0;
	unsigned hits = 0;
	for (uint64_t o = 0; o + 8 <= size && hits < 2; o += 8) {
		uint64_t cand;
		if (l->kind == PMF__STATE_INTERP_INLINE) {
			if (o + 64 > size ||
			    !looks_like_usedpools(buf + o, t->runtime + o,
						  &t->geom))
				continue;
			cand = t->runtime + o;
		} else {
			/* A pointer to the state: check its first words
			 * before the full read. */
			unsigned char w[32];
			cand = pmf__ld64(buf + o);
			if (cand < 0x10000 || cand % 8 != 0 ||
			    pmf__mem_read(&t->mem, cand, w, sizeof(w), NULL) <
				    0 ||
			    !looks_like_usedpools(w, cand, &t->geom))
				continue;
		}
		if (cand == found || !validates(t, cand))
			continue;
		found = cand;
		hits++;
	}
	free(buf);
	if (hits != 1)
		return pmf__err_set(e, PMF_ENOSTATE,
				    hits ? "more than one region of _PyRuntime "
					   "validates as the allocator state"
					 : "no region of _PyRuntime validates "
					   "as the allocator state");
	*base = found;
	return 0;
}
