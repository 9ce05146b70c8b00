/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - taking a snapshot: stop the target (unless asked not to),
 * list the interpreters' states, read and check each, walk its pools,
 * identify the allocator, release the target, then read the kernel's
 * memory figures.  The target is released on every path before this
 * returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/model.h"
#include "os/clock.h"
#include "os/procfs.h"

/* Bounds: walks repeated after finding the allocator mid-update, how long
 * to wait for threads to stop, and states per process. */
#define MAX_RETRIES 5
#define FREEZE_TIMEOUT_MS 2000
#define MAX_STATES 256

struct strpool {
	char *p;
	size_t len, cap;
};

/* Copies every string the snapshot shows into one owned block. */
static int
own_strings(struct pmf_snapshot *s, const char *alloc_detail,
	    const char *loc_detail)
{
	const char *src[] = {s->info.python.executable, s->info.python.image,
			     s->info.python.version_source,
			     s->info.python.build_id, alloc_detail, loc_detail};
	size_t total = 0;
	for (size_t i = 0; i < PMF_ARRAY_SIZE(src); i++)
		total += strlen(src[i] ? src[i] : "") + 1;
	s->strings = malloc(total);
	if (s->strings == NULL)
		return PMF_ENOMEM;
	const char **dst[] = {&s->info.python.executable,
			      &s->info.python.image,
			      &s->info.python.version_source,
			      &s->info.python.build_id,
			      &s->info.allocator_detail,
			      &s->info.locate_detail};
	char *p = s->strings;
	for (size_t i = 0; i < PMF_ARRAY_SIZE(src); i++) {
		size_t n = strlen(src[i] ? src[i] : "") + 1;
		memcpy(p, src[i] ? src[i] : "", n);
		*dst[i] = p;
		p += n;
	}
	return 0;
}

static void
free_interps(struct pmf_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->data[i].arenas);
	free(s->interps);
	free(s->data);
	s->interps = NULL;
	s->data = NULL;
	s->n = 0;
}

/* Reads, checks and walks one state into slot I of the snapshot. */
static int
walk_state(pmf_target *t, struct pmf_snapshot *s,
	   const struct pmf__interp_ref *ir, bool strict, struct pmf__err *e)
{
	struct pmf__pyt *pt = &t->pyt;
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf_interp_stats *out = &s->interps[s->n];
	struct pmf__walk w = {.out = out};
	int rc = pmf__state_read(&pt->mem, &ir->ref, &pt->geom, &st, e);
	if (rc == PMF_EFAULT || rc == PMF_ECORRUPT)
		rc = strict ? PMF_EAGAIN : rc;
	if (rc < 0)
		goto out;
	pmf__state_check(&st, &ir->ref, &pt->geom, &pt->maps, &pt->mem, &c);
	if (!pmf__check_passes(&c, strict)) {
		rc = pmf__err_set(e, strict ? PMF_EAGAIN : PMF_ECORRUPT,
				  "interpreter %lld: %s", (long long)ir->id,
				  c.problem);
		goto out;
	}
	memset(out, 0, sizeof(*out));
	out->id = ir->id;
	out->is_main = ir->is_main;
	out->state_address = ir->ref.base ? ir->ref.base : ir->ref.arenas;
	out->debug_malloc_calls = st.serialno;
	out->has_debug_malloc_calls = st.have_serialno;
	rc = pmf__walk(&pt->mem, &st, &pt->geom, strict, &w, e);
	if (rc < 0)
		goto out;
	s->data[s->n].arenas = w.arenas;
	s->data[s->n].narenas = w.narenas;
	w.arenas = NULL;
	s->n++;
out:
	pmf__walk_free(&w);
	pmf__state_free(&st);
	return rc;
}

/* One pass over every state, with the target stopped unless NONBLOCKING. */
static int
one_pass(pmf_target *t, struct pmf_snapshot *s, bool nonblocking,
	 struct pmf__err *e)
{
	struct pmf__pyt *pt = &t->pyt;
	struct pmf__interp_ref refs[MAX_STATES];
	free_interps(s);
	int rc = 0;
	if (!nonblocking) {
		rc = pmf__freeze(&t->freeze, pt->pid, FREEZE_TIMEOUT_MS, e);
		if (rc < 0)
			return rc;
		s->info.threads_stopped = t->freeze.stopped;
	}
	uint64_t t0 = pmf__now_ns();
	s->info.time_unix_ns = pmf__wall_ns();
	/* Arenas are mmapped and unmapped between snapshots: the maps the
	 * checks use must be as new as the state. */
	rc = pmf__pyt_refresh_maps(pt, e);
	long n = rc < 0 ? rc : pmf__interps(pt, refs, MAX_STATES, e);
	if (n < 0) {
		rc = (int)n;
		goto out;
	}
	s->interps = calloc((size_t)n + 1, sizeof(*s->interps));
	s->data = calloc((size_t)n + 1, sizeof(*s->data));
	if (s->interps == NULL || s->data == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	bool has_arenas = false;
	for (long i = 0; i < n; i++) {
		rc = walk_state(t, s, &refs[i], !nonblocking, e);
		if (rc < 0 && refs[i].is_main)
			goto out;
		/* A subinterpreter torn down under a non-blocking read is
		 * gone; report the others. */
		if (rc < 0 && !nonblocking)
			goto out;
		rc = 0;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->interps[i].arenas.current > 0 ||
		    s->interps[i].arenas.allocated_total > 0)
			has_arenas = true;
	char detail[160];
	s->info.allocator = pmf__allocator(pt, has_arenas, detail,
					   sizeof(detail));
	/* CPython prints the debug hooks' count only while they are on. */
	for (size_t i = 0; i < s->n; i++)
		s->interps[i].has_debug_malloc_calls &=
			s->info.allocator == PMF_ALLOC_PYMALLOC_DEBUG;
	free((void *)s->info.allocator_detail);
	s->info.allocator_detail = strdup(detail);
	if (s->info.allocator_detail == NULL)
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
	s->info.walk_us = (pmf__now_ns() - t0) / 1000;
out:
	if (!nonblocking) {
		pmf__thaw(&t->freeze);
		s->info.pause_us = pmf__freeze_pause_us(&t->freeze);
	}
	return rc;
}

static void
process_mem(pid_t pid, struct pmf_process_mem *pm)
{
	struct pmf__rollup r;
	struct pmf__proc_status st;
	memset(pm, 0, sizeof(*pm));
	if (pmf__proc_rollup(pid, &r, NULL) < 0 ||
	    pmf__proc_status(pid, &st, NULL) < 0)
		return;
	pm->valid = true;
	pm->rss_bytes = r.rss;
	pm->pss_bytes = r.pss;
	pm->swap_bytes = r.swap;
	pm->anon_bytes = r.has_pss_anon ? r.pss_anon : 0;
	pm->hwm_bytes = st.vm_hwm;
	pm->threads = st.threads;
}

int
pmf_snapshot_take(pmf_target *t, unsigned flags, pmf_snapshot **out)
{
	if (t == NULL || out == NULL)
		return PMF_EINVAL;
	if (!t->opened)
		return pmf__err_set(&t->err, PMF_EINVAL,
				    "the target is not open");
	struct pmf__pyt *pt = &t->pyt;
	struct pmf_snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return pmf__err_set(&t->err, PMF_ENOMEM, "out of memory");
	pmf__err_clear(&t->err);

	bool nonblocking = flags & PMF_SNAP_NONBLOCKING;
	struct pmf_snapshot_info *in = &s->info;
	in->pid = pt->pid;
	in->python = t->py;
	in->locate_method = pt->method;
	in->nonblocking = nonblocking;
	in->locate_us = pt->locate_us;
	in->located = (struct pmf_state_addresses){
		.state = pt->main.base,
		.usedpools = pt->main.usedpools,
		.arenas = pt->main.arenas,
		.maxarenas = pt->main.maxarenas,
		.ntimes_arena_allocated = pt->main.ntimes,
		.narenas_highwater = pt->main.highwater,
		.narenas_currently_allocated = pt->main.ncur,
		.arena_map_mid_count = pt->main.map_mid,
		.arena_map_bot_count = pt->main.map_bot,
	};

	int rc = 0;
	if (pt->have_main) {
		for (unsigned attempt = 0;; attempt++) {
			struct pmf__err e1 = {0};
			rc = one_pass(t, s, nonblocking, &e1);
			if (rc != PMF_EAGAIN || attempt == MAX_RETRIES) {
				if (rc < 0)
					t->err = e1;
				break;
			}
			/* A thread was stopped inside the allocator, or the
			 * table changed under a read: let it run on. */
			in->retries++;
			struct timespec ts = {0, 2 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		if (rc == PMF_EAGAIN)
			rc = pmf__err_set(&t->err, PMF_ECORRUPT,
					  "the allocator state stayed "
					  "inconsistent over %d stops: %s",
					  MAX_RETRIES + 1, t->err.msg);
	} else {
		char detail[160];
		in->allocator = pmf__allocator(pt, false, detail,
					       sizeof(detail));
		in->allocator_detail = strdup(detail);
		in->time_unix_ns = pmf__wall_ns();
	}
	/* Size-class tables mean something only where pymalloc has arenas
	 * or is the allocator; for malloc or mimalloc they would be zeros
	 * presented as data. */
	bool has_arenas = false;
	for (size_t i = 0; i < s->n; i++)
		if (s->interps[i].arenas.current > 0 ||
		    s->interps[i].arenas.allocated_total > 0)
			has_arenas = true;
	if (!has_arenas && !pmf_allocator_is_pymalloc(in->allocator))
		free_interps(s);
	/* The geometry is confirmed by the walk (old 3.6/3.7 builds). */
	in->arena_size = pt->geom.arena_size;
	in->pool_size = pt->geom.pool_size;
	in->alignment = pt->geom.alignment;
	in->small_threshold = pt->geom.threshold;
	in->pool_overhead = pt->geom.overhead;
	for (size_t i = 0; i < s->n; i++)
		in->pools_failed_validation +=
			s->interps[i].pools_failed_validation;
	in->ninterps = s->n;
	if (rc == 0 && !(flags & PMF_SNAP_NO_PROCESS))
		process_mem(pt->pid, &in->process);

	char *adetail = (char *)in->allocator_detail;
	if (rc == 0 && own_strings(s, adetail, pt->locate_detail) < 0)
		rc = pmf__err_set(&t->err, PMF_ENOMEM, "out of memory");
	free(adetail);
	if (rc < 0) {
		s->info.allocator_detail = NULL;
		pmf_snapshot_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void
pmf_snapshot_free(pmf_snapshot *s)
{
	if (s == NULL)
		return;
	free_interps(s);
	free(s->strings);
	free(s);
}

const struct pmf_snapshot_info *
pmf_snapshot_info(const pmf_snapshot *s)
{
	return s != NULL ? &s->info : NULL;
}

const struct pmf_interp_stats *
pmf_snapshot_interp(const pmf_snapshot *s, size_t i)
{
	if (s == NULL || i >= s->n)
		return NULL;
	return &s->interps[i];
}
