/* SPDX-License-Identifier: MIT */
/*
 * model.h - what a target handle and a snapshot hold.  A snapshot is plain
 * data: it owns copies of every string it shows and no pointer into the
 * target is ever dereferenced through it.
 */
#ifndef PMF_CORE_MODEL_H
#define PMF_CORE_MODEL_H

#include "core/guard.h"
#include "os/freeze.h"
#include "py/pytarget.h"
#include "py/walk.h"

/* What an in-process handle knows of its map between snapshots, where
 * the map can only be read whole (core/self.c). */
struct pmf__self_maps {
	bool known;          /* ARENAS are from a walk with a fresh map */
	uint64_t *arenas;    /* their addresses, sorted (malloc'd, freed
				with the handle) */
	size_t narenas;
	bool whole;          /* this snapshot's map comes only whole: read
				or kept once the state is read */
	bool record;         /* this snapshot read the map afresh */
};

struct pmf_target {
	struct pmf__pyt pyt;
	bool opened;      /* pmf_target_open() succeeded */
	bool attempted;   /* pmf_target_open() was called */
	bool py_known;    /* py below is filled */
	bool self;        /* opened with pmf_target_open_self() */
	struct pmf__self_maps selfmaps;
	struct pmf_python py;
	struct pmf__freeze freeze;
	struct pmf__guard guard;
	struct pmf__err err;
};

/* The object types found in one examined arena. */
struct pmf__arena_types {
	struct pmf_type_count *v;
	size_t n;
};

/* Per-interpreter data beyond the public stats. */
struct pmf__interp_data {
	struct pmf__arena_sum *arenas;
	size_t narenas;
	/* With PMF_SNAP_ANALYZE: */
	struct pmf_analysis analysis;
	struct pmf_arena *pub_arenas;       /* narenas of them */
	struct pmf__arena_types *arena_types; /* narenas of them */
	struct pmf_type_count *types;       /* analysis.types */
	struct pmf_type_count *stranded_types; /* analysis.stranded_types */
	struct pmf__pool_rec *pools;        /* the walk's, for the types */
	size_t npools;
	uint8_t *pages;                     /* page flags, for the types
					       (until they are read) */
	unsigned page_size;
};

struct pmf_snapshot {
	struct pmf_snapshot_info info;
	struct pmf_interp_stats *interps;
	struct pmf__interp_data *data;
	size_t n;
	char *strings; /* one block holding every string info points to */
};

/* Opens T on PID (the calling process when SELF): pmf_target_open() and
 * pmf_target_open_self(). */
int pmf__target_open(pmf_target *t, pid_t pid, bool self,
		     const struct pmf_target_opts *opts);

/* Called by every snapshot before it starts: for a handle on the calling
 * process, refuses one opened before a fork (it would read the parent's
 * pid) and turns the thread stop off (in-process there is nothing to
 * stop: the caller holds the GIL).  Returns 0 or a PMF code. */
int pmf__self_prepare(pmf_target *t, unsigned *flags);

/* Called after a snapshot S of T succeeded: an in-process handle whose
 * map is read whole remembers the arenas the fresh map showed. */
void pmf__self_done(pmf_target *t, const struct pmf_snapshot *s);

/* Called once the main state ST of T is read, before its checks and its
 * walk.  For an in-process handle: a map that comes only whole is read
 * afresh here unless the arenas are as its last walk saw them; reading
 * against a current map, the arenas of ST that it shows as arenas may
 * now be read in place.  Returns 0 or the map's read error. */
int pmf__self_state_read(pmf_target *t, const struct pmf__state *st,
			 struct pmf__err *e);

/* Fills the public interpreter description from an opened pytarget. */
void pmf__python_fill(struct pmf_python *py, const struct pmf__pyt *t);

#endif
