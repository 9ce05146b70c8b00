/* SPDX-License-Identifier: MIT */
/*
 * snapshot.c - taking a snapshot: stop the target (unless asked not to),
 * list the interpreters' states, read and check each, walk its pools,
 * identify the allocator, release the target; then, with the target
 * running, the analysis (page flags, the objects of the pinned and
 * stranded arenas: attrib.c) and the kernel's memory figures.  The target
 * is released on every path before this returns.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/analysis.h"
#include "core/model.h"
#include "os/clock.h"
#include "os/procfs.h"
#include "os/smaps.h"
#include "py/freelist.h"

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
	    const char *loc_detail, const char *guard_detail)
{
	const char *src[] = {s->info.python.executable, s->info.python.image,
			     s->info.python.version_source,
			     s->info.python.build_id, alloc_detail, loc_detail,
			     guard_detail};
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
			      &s->info.locate_detail,
			      &s->info.guard_detail};
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
		pmf__interp_data_free(&s->data[i]);
	free(s->interps);
	free(s->data);
	s->interps = NULL;
	s->data = NULL;
	s->n = 0;
}

/* What one snapshot was asked for. */
struct want {
	bool nonblocking;
	bool analyze;
	bool guard;
	struct pmf__guard_stop gs; /* the last stop's */
	double pinned_below;
	unsigned examine;          /* 0: every arena that pins or strands */
	bool examine_none;
	uint64_t examine_arena;
	struct pmf__pagemap pm; /* open when pm_ok */
	bool pm_ok;
};

/* What the analysis of state D starts from: its walk, and its page
 * flags once they are read. */
static struct pmf__analyze_in
analyze_in(const struct want *wt, const struct pmf__geom *g,
	   const struct pmf__interp_data *d)
{
	return (struct pmf__analyze_in){
		.g = g,
		.arenas = d->arenas,
		.narenas = d->narenas,
		.pools = d->pools,
		.npools = d->npools,
		.pages = d->pages,
		.page_size = d->page_size,
		.pinned_below = wt->pinned_below,
	};
}

/* The analysis of state I, for now without residency; with a pagemap,
 * room for its page flags. */
static int
analyze_state(struct want *wt, const struct pmf__geom *g,
	      struct pmf_snapshot *s, size_t i, struct pmf__err *e)
{
	struct pmf__interp_data *d = &s->data[i];
	d->page_size = wt->pm_ok ? wt->pm.page_size : 4096;
	size_t npg = (size_t)(g->arena_size / d->page_size);
	struct pmf__analyze_in in = analyze_in(wt, g, d);
	int rc = pmf__analyze(&in, &s->interps[i], d, e);
	if (rc == 0 && wt->pm_ok && d->narenas > 0) {
		d->pages = calloc(d->narenas, npg);
		if (d->pages == NULL)
			rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
	}
	return rc;
}

/* The analysis of every state, then the reads done once the target runs
 * again (the kernel walks page tables for the page flags; the arenas
 * are read for their objects), then the residency. */
static int
analyze_all(pmf_target *t, struct want *wt, struct pmf_snapshot *s,
	    struct pmf__err *e)
{
	struct pmf__pyt *pt = &t->pyt;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < s->n; i++)
		rc = analyze_state(wt, &pt->geom, s, i, e);
	enum pmf_allocator al = s->info.allocator;
	/* Arenas that were walked are pymalloc's, whatever serves
	 * PyObject_Malloc now (an allocator not told apart: a stripped
	 * debug build). */
	bool arenas = false;
	for (size_t i = 0; i < s->n; i++)
		arenas |= s->data[i].narenas > 0;
	bool pages_ok = false;
	if (rc == 0) {
		struct pmf__attrib_in in = {
			.pid = t->self ? 0 : pt->pid,
			.g = &pt->geom,
			.mem = &pt->mem,
			.maps = &pt->maps,
			.pm = wt->pm_ok ? &wt->pm : NULL,
			.minor = t->py.minor,
			.debug_build = t->py.debug_build,
			.hooks = al == PMF_ALLOC_PYMALLOC_DEBUG ? PMF__HOOKS_ON
				 : al == PMF_ALLOC_PYMALLOC     ? PMF__HOOKS_OFF
								: PMF__HOOKS_AUTO,
			.examine = wt->examine,
			.also = wt->examine_arena,
			/* A live monitor reads the drill-down's arena
			 * alone. */
			.only_also = wt->examine_none || !arenas,
		};
		rc = pmf__attribute(&in, s->data, s->n, &pages_ok, e);
	}
	for (size_t i = 0; i < s->n; i++) {
		struct pmf__interp_data *d = &s->data[i];
		struct pmf__analyze_in in = analyze_in(wt, &pt->geom, d);
		if (rc == 0 && pages_ok)
			pmf__analyze_residency(&in, d);
		/* The page flags served this snapshot only. */
		free(d->pages);
		d->pages = NULL;
	}
	return rc;
}

/* Reads, checks and walks one state into slot I of the snapshot. */
static int
walk_state(pmf_target *t, struct pmf_snapshot *s,
	   const struct pmf__interp_ref *ir, struct want *wt,
	   struct pmf__err *e)
{
	bool strict = !wt->nonblocking;
	struct pmf__pyt *pt = &t->pyt;
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf_interp_stats *out = &s->interps[s->n];
	struct pmf__walk w = {.out = out, .keep_pools = wt->analyze};
	int rc = pmf__state_read(&pt->mem, &ir->ref, &pt->geom, &st, e);
	if (rc == PMF_EFAULT || rc == PMF_ECORRUPT)
		rc = strict ? PMF_EAGAIN : rc;
	if (rc < 0)
		goto out;
	if (ir->is_main && (rc = pmf__self_state_read(t, &st, e)) < 0)
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
	rc = pmf__freelists_read(pt, ir, out, e);
	if (rc < 0)
		goto out;
	struct pmf__interp_data *d = &s->data[s->n];
	if (wt->analyze) {
		/* Analysed once the target runs again. */
		d->pools = w.pools;
		d->npools = w.npools;
		w.pools = NULL;
	}
	d->arenas = w.arenas;
	d->narenas = w.narenas;
	w.arenas = NULL;
	s->n++;
out:
	pmf__walk_free(&w);
	pmf__state_free(&st);
	return rc;
}

/* One pass over every state, with the target stopped unless NONBLOCKING. */
static int
one_pass(pmf_target *t, struct pmf_snapshot *s, struct want *wt,
	 struct pmf__err *e)
{
	bool nonblocking = wt->nonblocking;
	struct pmf__pyt *pt = &t->pyt;
	struct pmf__interp_ref refs[MAX_STATES];
	free_interps(s);
	int rc = 0;
	if (!nonblocking) {
		rc = pmf__guard_freeze(t, wt->guard, FREEZE_TIMEOUT_MS, &wt->gs,
				       e);
		s->info.guard_retries += wt->gs.retries;
		if (rc < 0)
			return rc;
		s->info.threads_stopped = t->freeze.stopped;
	}
	uint64_t t0 = pmf__now_ns();
	s->info.time_unix_ns = pmf__wall_ns();
	/* Arenas are mmapped and unmapped between snapshots: the maps the
	 * checks use must be as new as the state (an in-process handle
	 * with a map that comes only whole decides once it has read the
	 * state: core/self.c). */
	rc = t->selfmaps.whole ? 0 : pmf__pyt_refresh_maps(pt, e);
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
		rc = walk_state(t, s, &refs[i], wt, e);
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

/* The resident set split by what holds it, from smaps SM: arenas
 * (their resident pages, as the analysis counted them), other anonymous
 * memory, thread stacks (the mappings holding a thread's stack pointer)
 * and files. */
static void
process_split(const struct pmf_snapshot *s, struct pmf__smaps *sm,
	      struct pmf_process_mem *pm)
{
	uint64_t *sp = NULL;
	size_t nsp = 0, csp = 0;
	if (pmf__thread_sps(s->info.pid, &sp, &nsp, &csp, NULL) < 0)
		goto out;
	pmf__smaps_mark_stacks(sm, sp, nsp);
	uint64_t uss = 0;
	uint64_t kinds[3] = {0};
	for (size_t k = 0; k < sm->n; k++) {
		uss += sm->v[k].private_bytes;
		kinds[sm->v[k].kind] += sm->v[k].rss;
	}
	uint64_t anon = kinds[PMF__VMA_ANON];
	uint64_t arenas = 0;
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; s->data[i].pub_arenas != NULL &&
				   j < s->data[i].narenas;
		     j++)
			arenas += s->data[i].pub_arenas[j].resident_bytes;
	/* Pages can come and go between the two reads. */
	if (arenas > anon)
		arenas = anon;
	pm->split_valid = true;
	pm->uss_bytes = uss;
	pm->arena_bytes = arenas;
	pm->other_anon_bytes = anon - arenas;
	pm->stack_bytes = kinds[PMF__VMA_STACK];
	pm->file_bytes = kinds[PMF__VMA_FILE];
out:
	free(sp);
}

/* The process's memory figures.  The status counters are kept by the
 * kernel; RSS, PSS and swap walk every page table of the process (tens
 * of ms on a large one), so FAST takes RSS and swap from the counters
 * and leaves PSS out.  With SPLIT the walk is smaps, whose sums are the
 * rollup and whose mappings give the split: one walk, not two. */
static void
process_mem(const struct pmf_snapshot *s, bool fast, bool split,
	    struct pmf_process_mem *pm)
{
	struct pmf__rollup r;
	struct pmf__proc_status st;
	struct pmf__smaps sm = {0};
	pid_t pid = s->info.pid;
	memset(pm, 0, sizeof(*pm));
	split = split && !fast;
	if (pmf__proc_status(pid, &st, NULL) < 0 ||
	    (split && pmf__smaps_read(pid, &sm, &r, NULL) < 0) ||
	    (!fast && !split && pmf__proc_rollup(pid, &r, NULL) < 0))
		goto out;
	pm->valid = true;
	pm->rss_bytes = fast ? st.vm_rss : r.rss;
	pm->swap_bytes = fast ? st.vm_swap : r.swap;
	pm->pss_bytes = fast ? 0 : r.pss;
	pm->anon_bytes = !fast && r.has_pss_anon ? r.pss_anon : 0;
	pm->hwm_bytes = st.vm_hwm;
	pm->threads = st.threads;
	if (split)
		process_split(s, &sm, pm);
out:
	pmf__smaps_free(&sm);
}

int
pmf_snapshot_take(pmf_target *t, unsigned flags, pmf_snapshot **out)
{
	struct pmf_snapshot_opts o = {.flags = flags};
	return pmf_snapshot_take_opts(t, &o, out);
}

int
pmf_snapshot_take_opts(pmf_target *t, const struct pmf_snapshot_opts *opts,
		       pmf_snapshot **out)
{
	if (t == NULL || out == NULL)
		return PMF_EINVAL;
	struct pmf_snapshot_opts def = {0};
	if (opts == NULL)
		opts = &def;
	unsigned flags = opts->flags;
	if (!t->opened)
		return pmf__err_set(&t->err, PMF_EINVAL,
				    "the target is not open");
	int src = pmf__self_prepare(t, &flags);
	if (src < 0)
		return src;
	struct pmf__pyt *pt = &t->pyt;
	struct pmf_snapshot *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return pmf__err_set(&t->err, PMF_ENOMEM, "out of memory");
	pmf__err_clear(&t->err);

	bool nonblocking = flags & PMF_SNAP_NONBLOCKING;
	struct want wt = {
		.nonblocking = nonblocking,
		.analyze = flags & PMF_SNAP_ANALYZE,
		.guard = !(flags & PMF_SNAP_NO_GUARD),
		.pinned_below = opts->pinned_below > 0 ? opts->pinned_below
						       : 0.10,
		.examine = opts->pinned_examine,
		.examine_none = flags & PMF_SNAP_EXAMINE_NONE,
		.examine_arena = opts->examine_arena,
	};
	if (wt.analyze)
		wt.pm_ok = pmf__pagemap_open(&wt.pm, pt->pid, NULL) == 0;
	struct pmf_snapshot_info *in = &s->info;
	in->pid = pt->pid;
	in->python = t->py;
	in->locate_method = pt->method;
	in->nonblocking = nonblocking;
	in->in_process = t->self;
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
			rc = one_pass(t, s, &wt, &e1);
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
	in->guard_active = !nonblocking && wt.gs.active;
	if (nonblocking)
		snprintf(wt.gs.detail, sizeof(wt.gs.detail),
			 "off: non-blocking snapshot");
	if (rc == 0 && wt.analyze)
		rc = analyze_all(t, &wt, s, &t->err);
	if (wt.pm_ok)
		pmf__pagemap_close(&wt.pm);
	if (rc == 0 && !(flags & PMF_SNAP_NO_PROCESS)) {
		bool fast = flags & PMF_SNAP_PROCESS_FAST;
		process_mem(s, fast, wt.analyze, &in->process);
		in->process_fast = fast;
	}

	char *adetail = (char *)in->allocator_detail;
	if (rc == 0 && own_strings(s, adetail, pt->locate_detail,
				 wt.gs.detail) < 0)
		rc = pmf__err_set(&t->err, PMF_ENOMEM, "out of memory");
	free(adetail);
	if (rc < 0) {
		s->info.allocator_detail = NULL;
		pmf_snapshot_free(s);
		return rc;
	}
	pmf__self_done(t, s);
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

/* Open, snapshot, close: the one-call form for the calling process. */
int
pmf_snapshot_self(const struct pmf_snapshot_opts *opts, pmf_snapshot **out,
		  char *errbuf, size_t errlen)
{
	int rc;
	const char *msg;
	if (out == NULL) {
		rc = PMF_EINVAL;
		msg = "pmf_snapshot_self: OUT is NULL";
		goto fail;
	}
	pmf_target *t = pmf_target_new();
	if (t == NULL) {
		rc = PMF_ENOMEM;
		msg = "out of memory";
		goto fail;
	}
	rc = pmf_target_open_self(t, NULL);
	if (rc == 0)
		rc = pmf_snapshot_take_opts(t, opts, out);
	if (rc < 0 && errbuf != NULL && errlen > 0) {
		const char *m = pmf_target_errmsg(t);
		snprintf(errbuf, errlen, "%s", m[0] ? m : pmf_strerror(rc));
	}
	pmf_target_free(t);
	return rc;
fail:
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "%s", msg);
	return rc;
}
