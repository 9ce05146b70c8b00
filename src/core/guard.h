/* SPDX-License-Identifier: MIT */
/*
 * guard.h - the consistency guard: stop the target at a moment when no
 * thread is inside pymalloc.
 *
 * Stopping a thread in the middle of _PyObject_Malloc or _PyObject_Free
 * can catch a pool half linked into a list, or a counter not yet updated.
 * With libunwind and the allocator's function addresses (from the symbol
 * tables), the guard unwinds the innermost frames of every stopped thread
 * and, if one is inside an allocator function, releases the target,
 * lets it run a moment and stops it again, a bounded number of times.
 * Without either, the walk's invariant checks are the only defence, and
 * the snapshot says so.
 */
#ifndef PMF_CORE_GUARD_H
#define PMF_CORE_GUARD_H

#include "os/unwind.h"
#include "py/allocfns.h"

/* Frames checked per thread: pymalloc's functions are leaves or near
 * leaves.  The deepest chain seen is _PyObject_Malloc ->
 * allocate_from_new_pool -> arena_map_mark_used -> PyMem_RawCalloc ->
 * _PyMem_RawCalloc -> calloc -> libc internals (mmap), 7 frames; every
 * other path is shallower. */
#define PMF__GUARD_FRAMES 8
/* Stops tried before giving up and relying on validation. */
#define PMF__GUARD_TRIES 20

struct pmf__guard {
	bool setup;  /* set up (once per target) */
	bool active; /* symbols and libunwind are there */
	struct pmf__allocfns fns;
	struct pmf__unwind uw;
	char detail[200]; /* what the guard does, or why it is off */
};

/* What one guarded stop did. */
struct pmf__guard_stop {
	unsigned retries; /* releases because a thread was in the allocator */
	bool active;
	bool gave_up;     /* still inside after PMF__GUARD_TRIES stops */
	char detail[200]; /* what the guard did, or why it is off */
};

struct pmf_target;

/* Stops every thread of the target (pmf__freeze) and, unless USE is false
 * or the guard is unavailable, repeats the stop while a thread is inside
 * the allocator.  On success the target is stopped; on failure it runs. */
int pmf__guard_freeze(struct pmf_target *t, bool use, unsigned timeout_ms,
		      struct pmf__guard_stop *out, struct pmf__err *e);

void pmf__guard_free(struct pmf__guard *g);

#endif
