/* SPDX-License-Identifier: MIT */
/*
 * self.c - handles on the calling process (pmf_target_open_self()), and
 * what each snapshot of one does first and last (pmf_snapshot_self() is
 * in snapshot.c).  The caller holds the GIL, so the walk needs no thread
 * stop.  Memory is copied directly only where a load cannot fault
 * (os/mem_self.c) and read through the kernel elsewhere, so that a bad
 * pointer is an error rather than a SIGSEGV in the caller.
 *
 * Knowing where a load cannot fault takes a current memory map.  Linux
 * 6.11+ answers for one mapping at a time, cheaply (os/mapquery.c).
 * Older kernels only give the whole /proc/self/maps, whose text costs
 * more than the walk; there the map is read afresh only when the
 * allocator's arenas have changed.  The allocator is the only one to map
 * or unmap an arena, and it does so under the GIL the caller holds, so
 * while its table lists exactly the arenas a walk with a fresh map saw
 * (the state is read through the kernel first, then compared), each of
 * them is still mapped.  Such a snapshot copies directly only inside
 * those arenas and the interpreter's own data and bss (mapped while it
 * runs).  With any map, everything else, the C heap above all, is read
 * through the kernel.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/vec.h"
#include "core/model.h"

/* Bound on the interpreter states counted before a snapshot. */
#define MAX_STATES 256

int
pmf_target_open_self(pmf_target *t, const struct pmf_target_opts *opts)
{
	int rc = pmf__target_open(t, getpid(), true, opts);
	if (rc < 0)
		return rc;
	/* Opening read the whole map (locating needs every mapping).  A
	 * snapshot needs a few: asked of the kernel one by one where it
	 * can (Linux 6.11+), which costs a fraction of the whole map's
	 * text. */
	struct pmf__err qe = {0};
	if (pmf__maps_query_open(&t->pyt.maps, t->pyt.pid, &qe) < 0)
		pmf__sb_printf(&t->pyt.log, "maps: %s\n", qe.msg);
	else
		pmf__sb_printf(&t->pyt.log,
			       "maps: asked of the kernel per mapping "
			       "(PROCMAP_QUERY)\n");
	/* Opening (locating, scanning) read through the kernel; snapshots
	 * copy directly where that cannot fault (os/mem_self.c). */
	struct pmf__mem direct;
	rc = pmf__mem_open_self_direct(&direct, &t->pyt.maps,
				       t->pyt.img.mod.start,
				       t->pyt.img.mod.end, &t->err);
	if (rc < 0)
		return rc;
	pmf__mem_close(&t->pyt.mem);
	t->pyt.mem = direct;
	return 0;
}

/* The interpreter image's writable segments (data and bss), which stay
 * mapped as long as the interpreter runs, into R; returns how many. */
static size_t
image_data(const pmf_target *t, struct pmf__range *r, size_t max)
{
	const struct pmf__module *mod = &t->pyt.img.mod;
	size_t n = 0;
	for (size_t i = 0; i < mod->elf.phnum && n < max; i++) {
		const Elf64_Phdr *ph = &mod->elf.ph[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) ||
		    ph->p_memsz == 0)
			continue;
		uint64_t lo = pmf__module_addr(mod, ph->p_vaddr), hi;
		if (PMF_ADD_OVERFLOW(lo, ph->p_memsz, &hi))
			continue;
		r[n++] = (struct pmf__range){lo, hi};
	}
	return n;
}

#define MAX_SEGMENTS 8

void
pmf__self_done(pmf_target *t, const struct pmf_snapshot *s)
{
	struct pmf__self_maps *sm = &t->selfmaps;
	if (!t->self || !sm->record || s->n != 1 || !s->interps[0].is_main)
		return;
	sm->record = false;
	/* The arenas the fresh map showed (the walk kept those that passed
	 * its checks) and the image's data, as that map shows them. */
	const struct pmf__interp_data *d = &s->data[0];
	struct pmf__range *r = malloc((d->narenas + MAX_SEGMENTS) * sizeof(*r));
	uint64_t *a = malloc((d->narenas + 1) * sizeof(*a));
	if (r == NULL || a == NULL)
		goto out;
	size_t n = image_data(t, r, MAX_SEGMENTS);
	for (size_t i = 0; i < d->narenas; i++) {
		a[i] = d->arenas[i].address;
		r[n++] = (struct pmf__range){
			a[i], a[i] + t->pyt.geom.arena_size};
	}
	if (pmf__mem_self_trust(&t->pyt.mem, r, n, true) == 0) {
		qsort(a, d->narenas, sizeof(*a), pmf__cmp_u64);
		free(sm->arenas);
		sm->arenas = a;
		sm->narenas = d->narenas;
		sm->known = true;
		a = NULL;
	}
out:
	free(a);
	free(r);
}

/* The live arenas of ST are the very ones the last walk with a fresh map
 * saw: none allocated (no mapping to learn of), none freed (none of those
 * read in place gone). */
static bool
same_arenas(const struct pmf__self_maps *sm, const struct pmf__state *st)
{
	if (!sm->known || st->live != sm->narenas)
		return false;
	uint64_t *v = malloc((st->live + 1) * sizeof(*v));
	if (v == NULL)
		return false;
	size_t k = 0;
	for (uint32_t i = 0; i < st->maxarenas && k < st->live; i++)
		if (st->ao[i].address != 0)
			v[k++] = st->ao[i].address;
	qsort(v, k, sizeof(*v), pmf__cmp_u64);
	bool same = k == sm->narenas &&
		    (k == 0 || memcmp(v, sm->arenas, k * sizeof(*v)) == 0);
	free(v);
	return same;
}

int
pmf__self_state_read(pmf_target *t, const struct pmf__state *st,
		     struct pmf__err *e)
{
	struct pmf__self_maps *sm = &t->selfmaps;
	if (!t->self)
		return 0;
	if (sm->whole) {
		/* Read through the kernel so far; now the map is kept, or
		 * read afresh and recorded after the walk. */
		if (same_arenas(sm, st)) {
			pmf__mem_self_mode(&t->pyt.mem, PMF__SELF_ARENAS);
			return 0;
		}
		sm->known = false;
		sm->record = true;
		int rc = pmf__pyt_refresh_maps(&t->pyt, e);
		if (rc < 0)
			return rc;
		pmf__mem_self_mode(&t->pyt.mem, PMF__SELF_MAPS);
	}
	struct pmf__range *r =
		malloc((st->live + MAX_SEGMENTS) * sizeof(*r));
	if (r == NULL)
		return 0; /* the image's data only: slower, as safe */
	size_t n = image_data(t, r, MAX_SEGMENTS);
	/* The entries that look like arenas to the current map (anonymous,
	 * read-write, aligned, sane counts); a torn or wild one is read
	 * through the kernel, where the state's checks refuse it.  The map
	 * is asked again at each read. */
	for (uint32_t i = 0; i < st->maxarenas && n < st->live + MAX_SEGMENTS;
	     i++) {
		const struct pmf__ao *a = &st->ao[i];
		if (a->address != 0 &&
		    pmf__ao_valid(a, &t->pyt.geom, &t->pyt.maps, NULL, 0))
			r[n++] = (struct pmf__range){
				a->address,
				a->address + t->pyt.geom.arena_size};
	}
	pmf__mem_self_trust(&t->pyt.mem, r, n, false);
	free(r);
	return 0;
}

/* True when this process has an obmalloc state besides the main one:
 * a 3.12+ subinterpreter with its own allocator, and its own GIL, whose
 * arenas can come and go while we hold ours. */
static bool
other_states(pmf_target *t)
{
	struct pmf__interp_ref refs[MAX_STATES];
	if (t->pyt.ver.minor < 12 || !t->pyt.have_main)
		return false;
	struct pmf__err e = {0};
	long n = pmf__interps(&t->pyt, refs, MAX_STATES, &e);
	return n != 1;
}

int
pmf__self_prepare(pmf_target *t, unsigned *flags)
{
	if (!t->self)
		return 0;
	if (t->pyt.pid != getpid())
		return pmf__err_set(&t->err, PMF_EINVAL,
				    "this handle was opened by process %d "
				    "before a fork: open a new one in process "
				    "%d",
				    (int)t->pyt.pid, (int)getpid());
	/* A thread cannot ptrace its own process, and need not: the GIL
	 * keeps the caller's allocator still. */
	*flags |= PMF_SNAP_NONBLOCKING;
	/* Direct copies need a current map and nobody else allocating.
	 * Counting the states (3.12+) goes through the kernel, and another
	 * interpreter's own state keeps everything there.  A queried map is
	 * current at each lookup: the snapshot trusts the interpreter's data
	 * from the start, the arenas once the state that lists them is read
	 * (pmf__self_state_read()).  A map that comes only whole is read, or
	 * kept, once the state shows whether the arenas changed; until
	 * then, everything goes through the kernel. */
	struct pmf__self_maps *sm = &t->selfmaps;
	sm->whole = sm->record = false;
	pmf__mem_self_mode(&t->pyt.mem, PMF__SELF_KERNEL);
	if (!t->pyt.have_main || other_states(t)) {
		sm->known = false;
		return 0;
	}
	if (t->pyt.maps.q == NULL) {
		sm->whole = true;
		return 0;
	}
	struct pmf__range r[MAX_SEGMENTS];
	pmf__mem_self_trust(&t->pyt.mem, r, image_data(t, r, MAX_SEGMENTS),
			    false);
	pmf__mem_self_mode(&t->pyt.mem, PMF__SELF_MAPS);
	return 0;
}
