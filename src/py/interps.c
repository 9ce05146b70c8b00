/* SPDX-License-Identifier: MIT */
/*
 * interps.c - the obmalloc states of all interpreters (3.12+).
 *
 * Each subinterpreter created without use_main_obmalloc owns a state
 * (research section 8.2): inline in PyInterpreterState on 3.12, behind
 * interp->obmalloc on 3.13+.  Interpreters sharing the main state are
 * skipped.  The list is read while the target may be running (with
 * --nonblocking), so the walk is bounded and each state is validated by
 * the caller before it is trusted.
 *
 * Each entry also carries its PyInterpreterState address where 3.10+
 * keep the object free lists; the free-list reader checks it before use.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "py/pytarget.h"

#define MAX_INTERPS 4096

static bool
seen(const struct pmf__interp_ref *out, size_t n, uint64_t base)
{
	for (size_t i = 0; i < n; i++)
		if (out[i].ref.base == base)
			return true;
	return false;
}

/* The main PyInterpreterState on 3.10 and 3.11: heap-allocated, named by
 * _PyRuntime.interpreters.main (offsetof 40 on 3.10.13, 48 on 3.11.7 and
 * Debian's 3.11.2, whose _PyRuntime has 3.11.7's size; gdb).  3.12+ embed
 * it in _PyRuntime.  0 when unknown: the free lists are then left out,
 * nothing else depends on it. */
static uint64_t
main_interp_310(struct pmf__pyt *t)
{
	uint32_t slot = t->ver.minor == 10 ? 40 : t->ver.minor == 11 ? 48 : 0;
	uint64_t p = 0;
	if (slot == 0 || t->runtime == 0 ||
	    pmf__mem_read_u64(&t->mem, t->runtime + slot, &p, NULL) < 0)
		return 0;
	return p;
}

long
pmf__interps(struct pmf__pyt *t, struct pmf__interp_ref *out, size_t max,
	     struct pmf__err *e)
{
	if (!t->have_main || max == 0)
		return 0;
	out[0] = (struct pmf__interp_ref){.id = 0, .is_main = true,
					  .ref = t->main};
	size_t n = 1;
	const struct pmf__layout *l = t->layout;
	if (l->kind == PMF__STATE_STATICS || t->runtime == 0) {
		/* One state per process before 3.12. */
		if (t->ver.major == 3 && t->ver.minor >= 10)
			out[0].interp = main_interp_310(t);
		return 1;
	}

	uint64_t main_interp = t->runtime + l->rt_main_interp;
	out[0].interp = l->rt_main_interp != 0 ? main_interp : 0;
	uint64_t p = 0;
	int rc = pmf__mem_read_u64(&t->mem, t->runtime + l->rt_interp_head, &p,
				   e);
	if (rc < 0)
		return rc;
	for (unsigned hops = 0; p != 0; hops++) {
		if (hops >= MAX_INTERPS)
			return pmf__err_set(e, PMF_EAGAIN,
					    "interpreter list does not end "
					    "after %d entries",
					    MAX_INTERPS);
		uint64_t id = 0, next = 0, base = 0;
		if ((rc = pmf__mem_read_u64(&t->mem, p + l->is_id, &id, e)) <
			    0 ||
		    (rc = pmf__mem_read_u64(&t->mem, p + l->is_next, &next,
					    e)) < 0)
			return rc;
		if (p != main_interp) {
			if (l->kind == PMF__STATE_INTERP_INLINE) {
				uint64_t flags = 0;
				rc = pmf__mem_read_u64(&t->mem,
						       p + l->is_feature_flags,
						       &flags, e);
				if (rc < 0)
					return rc;
				if (!(flags & PMF__USE_MAIN_OBMALLOC))
					base = p + l->is_obmalloc;
			} else {
				rc = pmf__mem_read_u64(&t->mem,
						       p + l->is_obmalloc,
						       &base, e);
				if (rc < 0)
					return rc;
			}
		}
		if (base != 0 && !seen(out, n, base) && n < max) {
			struct pmf__interp_ref *r = &out[n++];
			r->id = (int64_t)id;
			r->is_main = false;
			r->interp = p;
			pmf__state_ref_struct(&r->ref, base, &l->st, l->radix);
		}
		p = next;
	}
	/* The list runs newest first; report oldest (lowest ID) first. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 1 && out[k - 1].id > out[k].id; k--) {
			struct pmf__interp_ref tmp = out[k];
			out[k] = out[k - 1];
			out[k - 1] = tmp;
		}
	return (long)n;
}
