/* SPDX-License-Identifier: MIT */
/*
 * layout.h - what differs between CPython versions, as data.
 *
 * struct arena_object and struct pool_header have had the same 64-bit
 * layout from 2.7 to 3.14 (gdb "ptype /o" on every build; see
 * research/cpython-obmalloc.md section 2), so their offsets are constants
 * here.  Where the allocator state lives, the arena and pool sizes, the
 * radix-tree arena map and the runtime/interpreter offsets vary: one row
 * per (minor version, build) in layouts.c.
 */
#ifndef PMF_PY_LAYOUT_H
#define PMF_PY_LAYOUT_H

#include <stdbool.h>

#include "base/compat.h"

/* struct arena_object (48 bytes). */
#define PMF__AO_SIZE 48
#define PMF__AO_ADDRESS 0
#define PMF__AO_POOL_ADDRESS 8
#define PMF__AO_NFREEPOOLS 16
#define PMF__AO_NTOTALPOOLS 20
#define PMF__AO_FREEPOOLS 24
#define PMF__AO_NEXTARENA 32
#define PMF__AO_PREVARENA 40

/* struct pool_header (48 bytes; POOL_OVERHEAD rounds it to ALIGNMENT). */
#define PMF__PH_SIZE 48
#define PMF__PH_COUNT 0 /* ref.count: low 4 bytes of an 8-byte union */
#define PMF__PH_FREEBLOCK 8
#define PMF__PH_NEXTPOOL 16
#define PMF__PH_PREVPOOL 24
#define PMF__PH_ARENAINDEX 32
#define PMF__PH_SZIDX 36
#define PMF__PH_NEXTOFFSET 40
#define PMF__PH_MAXNEXTOFFSET 44

#define PMF__MAX_CLASSES 64       /* 512 / 8, the oldest geometry */
#define PMF__USEDPOOLS_MAX 128    /* 2 * MAX_CLASSES */
#define PMF__USE_MAIN_OBMALLOC (1u << 5) /* Py_RTFLAGS_USE_MAIN_OBMALLOC */

/* Where the obmalloc state lives. */
enum pmf__state_kind {
	PMF__STATE_STATICS,        /* <= 3.11: file statics in obmalloc.c */
	PMF__STATE_INTERP_INLINE,  /* 3.12: inside PyInterpreterState */
	PMF__STATE_INTERP_POINTER, /* 3.13+: PyInterpreterState.obmalloc */
};

/* struct _obmalloc_state (3.12+): identical in 3.12.1, 3.13.0, 3.14.7 and
 * on aarch64 (research section 3.4). */
struct pmf__state_offsets {
	uint32_t usedpools, arenas, maxarenas, ncur, ntimes, highwater;
	uint32_t map_mid_count, map_bot_count;
	uint32_t size;
};

struct pmf__layout {
	unsigned major, minor;
	const char *build;        /* "default", "debug"... for messages */
	uint64_t runtime_size;    /* sizeof(_PyRuntimeState) this row was
	                             taken from; 0 when not applicable */
	uint64_t arena_size, pool_size;
	unsigned alignment;       /* default size-class spacing */
	unsigned pool_overhead;
	unsigned threshold;       /* SMALL_REQUEST_THRESHOLD */
	/* Radix-tree arena map (3.10+): sizes of a root/mid/bot node. */
	bool radix;
	uint64_t map_root_bytes, map_mid_bytes, map_bot_bytes;

	enum pmf__state_kind kind;
	struct pmf__state_offsets st; /* 3.12+ */

	/* _PyRuntimeState (3.12+; 0 = unknown). */
	uint32_t rt_interp_head;  /* interpreters.head */
	uint32_t rt_main_interp;  /* _main_interpreter (embedded) */
	uint32_t rt_obj_alloc;    /* allocators.standard.obj */
	uint32_t rt_dbg_obj;      /* allocators.debug.obj */
	/* PyInterpreterState. */
	uint32_t is_next, is_id, is_feature_flags, is_obmalloc;
	bool debug_offsets;       /* _Py_DebugOffsets at _PyRuntime+0 */
	bool serialno;            /* debug hooks count mallocs (3.6, 3.7) */

	const char *verified;     /* how the offsets were checked */
};

/* The row for MAJOR.MINOR.  When RUNTIME_SIZE is non-zero a row taken
 * from a runtime of exactly that size is preferred; *EXACT tells whether
 * one was found.  NULL when the version is not supported. */
const struct pmf__layout *pmf__layout_find(unsigned major, unsigned minor,
					   uint64_t runtime_size, bool *exact);

/* All rows, for tests. */
const struct pmf__layout *pmf__layout_all(size_t *n);

/* Oldest and newest supported minor versions of Python 3. */
#define PMF__MIN_MINOR 6
#define PMF__MAX_MINOR 14

#endif
