/* SPDX-License-Identifier: MIT */
/* Golden tests: for CPython's own sys._debugmallocstats() output of each
 * version (tests/data/captures), rebuild a heap with exactly the counts it
 * describes, walk it, and require the debugmallocstats formatter to
 * reproduce the capture's allocator part byte for byte. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "core/out.h"
#include "core/report.h"
#include "py/walk.h"
#include "runner.h"
#include "synth.h"

static char names[16][64];
static int nnames;

static void
list_captures(void)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/captures", test_data_dir());
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	struct dirent *de;
	nnames = 0;
	while ((de = readdir(d)) != NULL && nnames < 16) {
		size_t n = strlen(de->d_name);
		/* 3.14.7t.txt is a free-threaded build: mimalloc only. */
		if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0 ||
		    de->d_name[n - 5] == 't')
			continue;
		snprintf(names[nnames++], sizeof(names[0]), "%s", de->d_name);
	}
	closedir(d);
}

static int
sink(void *arg, const char *data, size_t len)
{
	pmf__sb_add(arg, data, len);
	return 0;
}

/* Rebuilds the heap a capture describes. */
static void
spec_from(const struct capture *c, const struct pmf__layout *l,
	  struct synth_spec *s, struct synth_arena *arenas)
{
	struct pmf__geom g;
	pmf__geom_init(&g, l);
	ck_assert_uint_eq(c->pool_size, l->pool_size);
	ck_assert_uint_eq(c->arena_size, l->arena_size);
	unsigned nar = (unsigned)c->current;
	unsigned mis = (unsigned)(c->alignment / c->pool_size);
	memset(arenas, 0, sizeof(*arenas) * nar);
	for (unsigned i = 0; i < nar; i++)
		arenas[i].address = synth_arena_addr(i, i < mis ? 4096 : 0);
	unsigned ai = 0;
	for (unsigned r = 0; r < c->nrows; r++) {
		const struct capture_row *row = &c->rows[r];
		unsigned nb = pmf__geom_nblocks(&g, row->idx);
		ck_assert_uint_eq(row->pools * nb, row->blocks + row->avail);
		ck_assert(row->blocks >= row->pools);
		for (uint64_t p = 0; p < row->pools; p++) {
			uint32_t cnt = (uint32_t)(row->blocks / row->pools +
						  (p < row->blocks % row->pools));
			while (arenas[ai].npools == (ai < mis ? 63u : 64u))
				ai++;
			ck_assert(ai < nar);
			struct synth_arena *a = &arenas[ai];
			a->pools[a->npools++] =
				(struct synth_pool){row->idx, cnt};
		}
	}
	/* Leave one emptied pool (stale class) where there is room: it
	 * counts as unused, like the untouched ones. */
	for (unsigned i = 0; i < nar; i++) {
		unsigned slots = i < mis ? 63 : 64;
		if (arenas[i].npools < slots)
			arenas[i].pools[arenas[i].npools++] =
				(struct synth_pool){5, 0};
	}
	*s = (struct synth_spec){.layout = l,
				 .arenas = arenas,
				 .narenas = nar,
				 .maxarenas = 16,
				 .ntimes = c->allocated_total,
				 .highwater = c->highwater,
				 .map_mid = (int32_t)c->map_mid,
				 .map_bot = (int32_t)c->map_bot};
}

START_TEST(test_capture)
{
	list_captures();
	ck_assert_int_ge(nnames, 9); /* 3.6 .. 3.14 */
	for (int k = 0; k < nnames; k++) {
		char path[4200];
		struct capture c;
		unsigned major, minor;
		snprintf(path, sizeof(path), "%s/captures/%s", test_data_dir(),
			 names[k]);
		ck_assert(capture_load(path, &c));
		ck_assert_int_eq(sscanf(names[k], "%u.%u", &major, &minor), 2);
		bool exact;
		const struct pmf__layout *l =
			pmf__layout_find(major, minor, 0, &exact);
		ck_assert_ptr_nonnull(l);

		struct synth_arena arenas[16];
		struct synth_spec spec;
		struct synth_heap h;
		spec_from(&c, l, &spec, arenas);
		synth_build(&spec, &h);

		struct pmf__state st = {0};
		struct pmf_interp_stats it;
		struct pmf__walk w = {.out = &it};
		struct pmf__err e = {0};
		ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st,
						 &e),
				 0);
		ck_assert_int_eq(pmf__walk(&h.mem, &st, &h.geom, true, &w, &e),
				 0);
		ck_assert_uint_eq(it.bytes.unused_pool_count, c.unused_pools);

		struct pmf_snapshot_info in = {.arena_size = l->arena_size,
					       .pool_size = l->pool_size,
					       .small_threshold = 512};
		struct pmf__sb sb = PMF__SB_INIT;
		struct pmf__out o;
		pmf__out_init(&o, sink, &sb);
		pmf__dms_interp(&in, &it, &o);
		ck_assert_int_eq(pmf__out_finish(&o), 0);
		ck_assert_msg(strcmp(pmf__sb_str(&sb), c.alloc_part) == 0,
			      "%s: output differs:\n%s\n--- expected:\n%s",
			      names[k], pmf__sb_str(&sb), c.alloc_part);
		pmf__sb_free(&sb);
		pmf__walk_free(&w);
		pmf__state_free(&st);
		synth_free(&h);
		capture_free(&c);
	}
}
END_TEST

/* printone() details: padding, commas, and labels of 35+ characters. */
START_TEST(test_printone)
{
	struct pmf_snapshot_info in = {.arena_size = 1 << 20,
				       .pool_size = 16384,
				       .small_threshold = 512};
	struct pmf_interp_stats it = {.nclasses = 32};
	it.arenas.current = 123456789;
	it.bytes.total = 1234567890123ull;
	struct pmf__sb sb = PMF__SB_INIT;
	struct pmf__out o;
	pmf__out_init(&o, sink, &sb);
	pmf__dms_interp(&in, &it, &o);
	ck_assert_int_eq(pmf__out_finish(&o), 0);
	const char *s = pmf__sb_str(&sb);
	ck_assert_ptr_nonnull(
		strstr(s, "# arenas allocated current         =          "
			  "123,456,789\n"));
	/* A label of more than 35 columns is not cut, just not padded. */
	ck_assert_ptr_nonnull(
		strstr(s, "123456789 arenas * 1048576 bytes/arena="
			  "  129,453,825,982,464\n"));
	ck_assert_ptr_nonnull(strstr(s, "Total                              "
					"=    1,234,567,890,123\n"));
	pmf__sb_free(&sb);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("golden");
	tcase_add_test(tc, test_capture);
	tcase_add_test(tc, test_printone);
	suite_add_tcase(s, tc);
	return s;
}
