/* SPDX-License-Identifier: MIT */
/*
 * layouts.c - one row per CPython version family.  Offsets come from the
 * builds named in each row's "verified" field; research/cpython-obmalloc.md
 * (sections 1, 3 and 8.1) records how each was obtained.  Every state
 * found through these rows is validated before use, so a build whose
 * offsets differ is rejected, never misread.
 */
#include "config.h"

#include "py/layout.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* <= 3.9: 256 KiB arenas of 4 KiB pools, no arena map. */
#define SMALL_ARENAS                                                           \
	.arena_size = 256 * KIB, .pool_size = 4 * KIB, .alignment = 16,        \
	.pool_overhead = 48, .threshold = 512, .radix = false

/* 3.10+: 1 MiB arenas of 16 KiB pools and the radix-tree arena map. */
#define LARGE_ARENAS                                                           \
	.arena_size = 1 * MIB, .pool_size = 16 * KIB, .alignment = 16,         \
	.pool_overhead = 48, .threshold = 512, .radix = true

/* 3.11+ map nodes: 32768 and 32768 pointers, 16384 coverage records. */
#define MAP_3_11                                                               \
	.map_root_bytes = 262144, .map_mid_bytes = 262144,                     \
	.map_bot_bytes = 131072

/* struct _obmalloc_state, 3.12 to 3.14. */
#define OBMALLOC_STATE                                                         \
	.st = {.usedpools = 0,                                                 \
	       .arenas = 512,                                                  \
	       .maxarenas = 520,                                               \
	       .ncur = 1064,                                                   \
	       .ntimes = 1072,                                                 \
	       .highwater = 1080,                                              \
	       .map_mid_count = 263240,                                        \
	       .map_bot_count = 263244,                                        \
	       .size = 263248}

static const struct pmf__layout layouts[] = {
	{.major = 3, .minor = 6, .build = "default", SMALL_ARENAS,
	 .kind = PMF__STATE_STATICS, .serialno = true, .verified = "pyenv 3.6.15 (gdb, nm)"},
	{.major = 3, .minor = 7, .build = "default", SMALL_ARENAS,
	 .kind = PMF__STATE_STATICS, .serialno = true, .verified = "pyenv 3.7.16 (gdb, nm)"},
	{.major = 3, .minor = 8, .build = "default", SMALL_ARENAS,
	 .kind = PMF__STATE_STATICS, .verified = "pyenv 3.8.18 (gdb, nm)"},
	{.major = 3, .minor = 9, .build = "default", SMALL_ARENAS,
	 .kind = PMF__STATE_STATICS, .verified = "pyenv 3.9.18 (gdb, nm)"},
	{.major = 3, .minor = 10, .build = "default", LARGE_ARENAS,
	 .map_root_bytes = 8192, .map_mid_bytes = 8192, .map_bot_bytes = 2048,
	 .kind = PMF__STATE_STATICS, .verified = "pyenv 3.10.13 (gdb, nm)"},
	{.major = 3, .minor = 11, .build = "default", LARGE_ARENAS, MAP_3_11,
	 .kind = PMF__STATE_STATICS,
	 .verified = "pyenv 3.11.7, Debian 3.11.2 (gdb, nm)"},
	{.major = 3, .minor = 12, .build = "default", .runtime_size = 459944,
	 LARGE_ARENAS, MAP_3_11, .kind = PMF__STATE_INTERP_INLINE,
	 OBMALLOC_STATE, .rt_interp_head = 40, .rt_main_interp = 76392,
	 .rt_obj_alloc = 88 + 88, .rt_dbg_obj = 88 + 224, .is_next = 0,
	 .is_id = 8, .is_feature_flags = 1712, .is_obmalloc = 3960,
	 .verified = "pyenv 3.12.1 (gdb offsetof)"},
	{.major = 3, .minor = 13, .build = "default", .runtime_size = 283320,
	 LARGE_ARENAS, MAP_3_11, .kind = PMF__STATE_INTERP_POINTER,
	 OBMALLOC_STATE, .rt_interp_head = 632, .rt_main_interp = 88352,
	 .rt_obj_alloc = 696 + 88, .rt_dbg_obj = 696 + 224, .is_next = 7264,
	 .is_id = 7272, .is_feature_flags = 8440, .is_obmalloc = 10800,
	 .debug_offsets = true, .verified = "pyenv 3.13.0 (gdb offsetof)"},
	{.major = 3, .minor = 14, .build = "default", .runtime_size = 316616,
	 LARGE_ARENAS, MAP_3_11, .kind = PMF__STATE_INTERP_POINTER,
	 OBMALLOC_STATE, .rt_interp_head = 808, .rt_main_interp = 90752,
	 .rt_obj_alloc = 872 + 88, .rt_dbg_obj = 872 + 224, .is_next = 7272,
	 .is_id = 7280, .is_feature_flags = 0, .is_obmalloc = 10904,
	 .debug_offsets = true,
	 .verified = "3.14.7 source build (gdb; research section 3.3)"},
};

const struct pmf__layout *
pmf__layout_find(unsigned major, unsigned minor, uint64_t runtime_size,
		 bool *exact)
{
	const struct pmf__layout *any = NULL;
	*exact = false;
	for (size_t i = 0; i < PMF_ARRAY_SIZE(layouts); i++) {
		const struct pmf__layout *l = &layouts[i];
		if (l->major != major || l->minor != minor)
			continue;
		if (l->runtime_size == 0 || l->runtime_size == runtime_size) {
			*exact = true;
			return l;
		}
		if (any == NULL)
			any = l;
	}
	return any;
}

const struct pmf__layout *
pmf__layout_all(size_t *n)
{
	*n = PMF_ARRAY_SIZE(layouts);
	return layouts;
}
