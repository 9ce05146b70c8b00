/* SPDX-License-Identifier: MIT */
/*
 * guard.c - stopping the target outside the allocator (see guard.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/guard.h"
#include "core/model.h"

/* How long the target runs between two stops: long enough for a thread
 * to leave an allocator call (well under a microsecond), short enough to
 * keep the retries cheap. */
#define GUARD_RELEASE_NS (100 * 1000)

static void
setup(struct pmf_target *t)
{
	struct pmf__guard *g = &t->guard;
	struct pmf__pyt *pt = &t->pyt;
	g->setup = true;
	if (!pmf__unwind_available()) {
		snprintf(g->detail, sizeof(g->detail),
			 "off: built without libunwind; torn reads are caught "
			 "by validation only");
		return;
	}
	const struct pmf__module *m = &pt->img.mod;
	int rc = pmf__allocfns_add_elf(&g->fns, &m->elf, m->bias);
	/* A detached debug file shares the image's link-time addresses. */
	if (rc == 0 && pt->debug_open)
		rc = pmf__allocfns_add_elf(&g->fns, &pt->debug, m->bias);
	pmf__allocfns_finish(&g->fns);
	if (rc < 0 || g->fns.n == 0) {
		snprintf(g->detail, sizeof(g->detail),
			 "off: %.100s names no allocator function (stripped); "
			 "torn reads are caught by validation only",
			 m->path);
		return;
	}
	struct pmf__err e1 = {0};
	if (pmf__unwind_open(&g->uw, pt->pid, &pt->mem, &pt->maps, &e1) < 0) {
		snprintf(g->detail, sizeof(g->detail),
			 "off: %.120s; torn reads are caught by validation only",
			 e1.msg);
		return;
	}
	g->active = true;
	/* Every thread's innermost frames are in the interpreter or in libc
	 * (waiting for the GIL, or in a system call): their unwind tables
	 * are loaded now rather than in the first pause. */
	pmf__unwind_warm(&g->uw, g->fns.v[0].lo);
	for (size_t i = 0; i < pt->maps.n; i++) {
		const struct pmf__map *mp = &pt->maps.v[i];
		const char *base = strrchr(mp->path, '/');
		if (mp->x && base != NULL && strncmp(base, "/libc.so", 8) == 0) {
			pmf__unwind_warm(&g->uw, mp->start);
			break;
		}
	}
	snprintf(g->detail, sizeof(g->detail),
		 "libunwind, %d frames per thread, %zu allocator function "
		 "ranges from %s",
		 PMF__GUARD_FRAMES, g->fns.n,
		 g->fns.from_symtab ? ".symtab" : ".dynsym");
}

/* The first stopped thread found inside the allocator, or 0. */
static pid_t
thread_in_allocator(struct pmf__guard *g, const struct pmf__freeze *f,
		    unsigned *fn)
{
	for (size_t i = 0; i < f->n; i++) {
		if (!pmf__freeze_held(f, i))
			continue;
		uint64_t ips[PMF__GUARD_FRAMES];
		/* A thread whose registers cannot be read is not known to be
		 * inside: the walk's validation still stands behind it. */
		int n = pmf__unwind_ips(&g->uw, f->t[i].tid, ips,
					PMF__GUARD_FRAMES, NULL);
		if (n > 0 && pmf__allocfns_hit(&g->fns, ips, (size_t)n, fn) >= 0)
			return f->t[i].tid;
	}
	return 0;
}

int
pmf__guard_freeze(struct pmf_target *t, bool use, unsigned timeout_ms,
		  struct pmf__guard_stop *out, struct pmf__err *e)
{
	struct pmf__guard *g = &t->guard;
	*out = (struct pmf__guard_stop){0};
	if (!use) {
		snprintf(out->detail, sizeof(out->detail),
			 "off: turned off by the caller");
		return pmf__freeze(&t->freeze, t->pyt.pid, timeout_ms, e);
	}
	if (!g->setup)
		setup(t);
	out->active = g->active;
	snprintf(out->detail, sizeof(out->detail), "%s", g->detail);
	for (unsigned try = 1;; try++) {
		int rc = pmf__freeze(&t->freeze, t->pyt.pid, timeout_ms, e);
		if (rc < 0 || !g->active)
			return rc;
		unsigned fn = 0;
		pid_t tid = thread_in_allocator(g, &t->freeze, &fn);
		if (tid == 0)
			return 0;
		if (try == PMF__GUARD_TRIES) {
			out->gave_up = true;
			snprintf(out->detail, sizeof(out->detail),
				 "thread %d still in %s after %u stops; "
				 "relying on validation",
				 (int)tid, pmf__alloc_fn_label(fn), try);
			return 0;
		}
		pmf__thaw(&t->freeze);
		out->retries++;
		struct timespec ts = {0, GUARD_RELEASE_NS};
		nanosleep(&ts, NULL);
	}
}

void
pmf__guard_free(struct pmf__guard *g)
{
	pmf__unwind_close(&g->uw);
	pmf__allocfns_free(&g->fns);
	*g = (struct pmf__guard){0};
}
