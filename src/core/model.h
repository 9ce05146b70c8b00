/* SPDX-License-Identifier: MIT */
/*
 * model.h - what a target handle and a snapshot hold.  A snapshot is plain
 * data: it owns copies of every string it shows and no pointer into the
 * target is ever dereferenced through it.
 */
#ifndef PMF_CORE_MODEL_H
#define PMF_CORE_MODEL_H

#include "os/freeze.h"
#include "py/pytarget.h"
#include "py/walk.h"

struct pmf_target {
	struct pmf__pyt pyt;
	bool opened;      /* pmf_target_open() succeeded */
	bool attempted;   /* pmf_target_open() was called */
	bool py_known;    /* py below is filled */
	struct pmf_python py;
	struct pmf__freeze freeze;
	struct pmf__err err;
};

/* Per-interpreter data beyond the public stats. */
struct pmf__interp_data {
	struct pmf__arena_sum *arenas;
	size_t narenas;
};

struct pmf_snapshot {
	struct pmf_snapshot_info info;
	struct pmf_interp_stats *interps;
	struct pmf__interp_data *data;
	size_t n;
	char *strings; /* one block holding every string info points to */
};

/* Fills the public interpreter description from an opened pytarget. */
void pmf__python_fill(struct pmf_python *py, const struct pmf__pyt *t);

#endif
