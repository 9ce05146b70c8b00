/* SPDX-License-Identifier: MIT */
/*
 * pytarget.h - everything known about a Python process once it has been
 * opened: its memory, mappings, interpreter image and symbols, version,
 * layout, and where its main obmalloc state is.
 */
#ifndef PMF_PY_PYTARGET_H
#define PMF_PY_PYTARGET_H

#include <limits.h>

#include "base/strbuf.h"
#include "os/maps.h"
#include "os/mem.h"
#include "os/procfs.h"
#include "py/geom.h"
#include "py/image.h"
#include "py/layout.h"
#include "py/state.h"
#include "py/version.h"

#define PMF__CODE_FNS 8

/* What the allocator-mode check compares; 0 = unknown. */
struct pmf__alloc_probe {
	uint64_t obj_malloc_slot; /* &obj allocator.malloc (ctx 8 before) */
	uint64_t raw_malloc_slot; /* &raw allocator.malloc */
	uint64_t fn_pymalloc, fn_debug, fn_raw, fn_mimalloc; /* symbols */
	/* Without symbols: functions _PyObject_DebugMallocStats compares
	 * the obj malloc with; _PyObject_Malloc is one of them. */
	uint64_t code_fns[PMF__CODE_FNS];
	unsigned ncode_fns;
};

struct pmf__pyt {
	pid_t pid;
	char comm[64];
	char exe[PATH_MAX];
	struct pmf__mem mem;
	bool mem_open;
	struct pmf__maps maps;
	struct pmf__image img;
	bool img_open;
	struct pmf__elf debug; /* detached debug file, when found */
	bool debug_open;
	char debug_path[PATH_MAX];
	struct pmf__syms syms;  /* of the image */
	struct pmf__syms dsyms; /* of the debug file */
	struct pmf__pyver ver;
	bool ver_known;
	const struct pmf__layout *layout;
	bool layout_exact;
	struct pmf__geom geom;

	/* Where the main state is, and how it was found. */
	enum pmf_locate method;
	char locate_detail[200];
	struct pmf__state_ref main;
	bool have_main;
	uint64_t runtime; /* _PyRuntime in the target, 0 if none */
	struct pmf__alloc_probe probe;
	uint64_t locate_us; /* time the successful method took */

	struct pmf__sb log;
};

/* Opens process PID (see pmf_target_open()).  SELF: PID is the calling
 * process, read through pmf__mem_open_self(). */
int pmf__pyt_open(struct pmf__pyt *t, pid_t pid, bool self,
		  enum pmf_locate method, const char *debug_dir,
		  struct pmf__err *e);

void pmf__pyt_close(struct pmf__pyt *t);

/* Re-reads /proc/PID/maps (arenas come and go between snapshots). */
int pmf__pyt_refresh_maps(struct pmf__pyt *t, struct pmf__err *e);

/* Finds the main state with METHOD (AUTO tries each in turn), validating
 * it against the current maps. */
int pmf__locate(struct pmf__pyt *t, enum pmf_locate method,
		const char *debug_dir, struct pmf__err *e);

/* One obmalloc state of one interpreter. */
struct pmf__interp_ref {
	int64_t id;
	bool is_main;
	struct pmf__state_ref ref;
	/* Its PyInterpreterState (3.10+, which keep the object free lists
	 * there), 0 when unknown or not needed (<= 3.9). */
	uint64_t interp;
};

/* Lists the states of every interpreter that owns one, main first then by
 * ID.  Interpreters sharing the main state are not listed.  At most MAX;
 * returns the number found or a negative PMF code. */
long pmf__interps(struct pmf__pyt *t, struct pmf__interp_ref *out, size_t max,
		  struct pmf__err *e);

/* Determines which allocator serves PyObject_Malloc.  HAS_ARENAS tells
 * whether pymalloc arenas exist, which decides how an unknown hook is
 * described.  DETAIL gets a human note (the hook's name...). */
enum pmf_allocator pmf__allocator(struct pmf__pyt *t, bool has_arenas,
				  char *detail, size_t len);

#endif
