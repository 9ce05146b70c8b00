/* SPDX-License-Identifier: MIT */
/*
 * sample.h - what the live monitor keeps of one snapshot: plain data
 * copied out of the library's snapshot (so the snapshot can be freed at
 * once), and the history the time series are drawn from.  The view works
 * on these alone, which is how it is unit-tested without a target.
 */
#ifndef PMF_TUI_SAMPLE_H
#define PMF_TUI_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pymfrag.h"

#define TUI_MAX_CLASSES 64

struct tui_class {
	unsigned index, size;
	uint64_t pools, used, avail;
	uint64_t waste; /* free blocks, headers and quantization */
};

/* The drill-down of one arena: its pools and, once read, its objects. */
struct tui_detail {
	uint64_t address;  /* 0: none */
	bool found;        /* the arena was in the snapshot */
	bool examined;     /* its objects were identified */
	size_t npools;
	struct pmf_pool *pools;
	size_t ntypes;
	struct pmf_type_count *types;
};

struct tui_sample {
	int64_t time_ns;      /* wall clock of the snapshot */
	int pid;
	char version[24];
	char allocator[32];
	bool pymalloc;        /* the size-class data means something */
	char locate[16];
	/* Process, from /proc. */
	bool proc_valid;
	uint64_t rss, pss, swap, hwm;
	/* PSS costs a walk of every page table: it is read every few
	 * refreshes and carried over in between (pss_age counts them). */
	bool has_pss;
	unsigned pss_age;
	unsigned threads;
	/* Arenas. */
	uint64_t arena_size, pool_size;
	unsigned pool_overhead;
	uint64_t arenas_cur, highwater, allocated_total;
	uint64_t arena_bytes;  /* arenas * arena_size */
	uint64_t live, free_in_pools, empty_pools, untouched_pools, overhead;
	uint64_t arena_resident;
	bool residency_valid;
	uint64_t stranded, packed_arenas;
	double pinned_below;
	uint64_t pinned_arenas, pinned_live_bytes;
	/* The walk. */
	uint64_t pause_us, walk_us;
	unsigned retries;
	uint64_t pools_failed;
	bool nonblocking;
	/* Size classes: only those with pools in use, ascending. */
	unsigned nclasses;
	struct tui_class classes[TUI_MAX_CLASSES];
	size_t narenas;
	struct pmf_arena *arena_list; /* narenas of them, table order: the
	                                 library's own, copied */
	struct tui_detail detail;
};

/* Copies interpreter IDX of snapshot S into OUT (zeroed first).  With
 * DETAIL_ADDR nonzero, the pools and types of that arena too.  Returns 0
 * or -1 when out of memory (OUT is then freed). */
int tui_sample_from_snapshot(struct tui_sample *out, const pmf_snapshot *s,
			     size_t idx, uint64_t detail_addr);

void tui_sample_free(struct tui_sample *s);

/* Moves SRC into DST (freeing what DST held); SRC is left empty. */
void tui_sample_move(struct tui_sample *dst, struct tui_sample *src);

/* The class with index CLASS in S, or NULL. */
const struct tui_class *tui_sample_class(const struct tui_sample *s,
					 unsigned cls);

/* A fixed-size ring of values for the time series. */
#define TUI_HISTORY 512

struct tui_series {
	double v[TUI_HISTORY];
	size_t n;    /* values held, at most TUI_HISTORY */
	size_t head; /* where the next value goes */
};

void tui_series_push(struct tui_series *s, double v);

/* The I-th most recent value (0 = newest); 0 when out of range. */
double tui_series_back(const struct tui_series *s, size_t i);

/* What the monitor knows: the current sample, the one before it and the
 * first, and the series. */
struct tui_data {
	struct tui_sample cur, prev, first;
	bool have_cur, have_prev, have_first;
	unsigned refreshes;
	struct tui_series rss, arena, live;
};

/* Makes SAMPLE the current one (taking it over): the current becomes the
 * previous, the first is kept, the series grow by one point. */
void tui_data_push(struct tui_data *d, struct tui_sample *sample);

void tui_data_free(struct tui_data *d);

#endif
