/* SPDX-License-Identifier: MIT */
/* Unit tests for the analysis: src/core/analysis.c, src/os/smaps.c and
 * the pagemap entry decoding in src/os/pagemap.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/analysis.h"
#include "core/model.h"
#include "os/smaps.h"
#include "runner.h"

START_TEST(test_pagemap_flags)
{
	ck_assert_uint_eq(pmf__pagemap_flags(0), 0);
	/* Present and exclusive. */
	ck_assert_uint_eq(pmf__pagemap_flags((1ull << 63) | (1ull << 56)),
			  PMF__PG_PRESENT);
	/* Present without the exclusive bit: shared (after fork). */
	ck_assert_uint_eq(pmf__pagemap_flags(1ull << 63),
			  PMF__PG_PRESENT | PMF__PG_SHARED);
	ck_assert_uint_eq(pmf__pagemap_flags(1ull << 62), PMF__PG_SWAPPED);
}
END_TEST

START_TEST(test_smaps_parse)
{
	static const char text[] =
		"55d0c0000000-55d0c0100000 r-xp 00000000 08:01 42 /usr/bin/python3.11\n"
		"Rss:                 800 kB\n"
		"Pss:                 400 kB\n"
		"Pss_Anon:              0 kB\n"
		"Private_Clean:       100 kB\n"
		"Swap:                  0 kB\n"
		"SwapPss:               0 kB\n"
		"VmFlags: rd ex mr mw me\n"
		"55d0c1000000-55d0c2000000 rw-p 00000000 00:00 0          [heap]\n"
		"Rss:                1000 kB\n"
		"Pss:                1000 kB\n"
		"Private_Dirty:      1000 kB\n"
		"Swap:                 12 kB\n"
		"7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
		"Rss:                  64 kB\n"
		"Private_Dirty:        64 kB\n"
		"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0          [stack]\n"
		"Rss:                  16 kB\n";
	struct pmf__smaps s = {0};
	ck_assert_int_eq(pmf__smaps_parse(text, &s, NULL), 0);
	ck_assert_uint_eq(s.n, 4);
	ck_assert_int_eq(s.v[0].kind, PMF__VMA_FILE);
	ck_assert_uint_eq(s.v[0].rss, 800 * 1024);
	ck_assert_uint_eq(s.v[0].pss, 400 * 1024);
	ck_assert_uint_eq(s.v[0].private_bytes, 100 * 1024);
	ck_assert_int_eq(s.v[1].kind, PMF__VMA_ANON);
	ck_assert_uint_eq(s.v[1].swap, 12 * 1024); /* not SwapPss */
	ck_assert_int_eq(s.v[2].kind, PMF__VMA_ANON);
	ck_assert_int_eq(s.v[3].kind, PMF__VMA_STACK);
	/* A thread's stack pointer inside an anonymous mapping. */
	uint64_t sp = 0x7f0000080000;
	pmf__smaps_mark_stacks(&s, &sp, 1);
	ck_assert_int_eq(s.v[2].kind, PMF__VMA_STACK);
	ck_assert_int_eq(s.v[1].kind, PMF__VMA_ANON);
	pmf__smaps_free(&s);
}
END_TEST

/* Two 3.10+ arenas of 64 pools of 16 KiB: one aligned and full of used
 * pools of class 2 (48 bytes), one misaligned (63 pools) with 3 used
 * pools of one live block each, 2 cached empty pools and the rest never
 * touched. */
START_TEST(test_analyze_partition)
{
	struct pmf__geom g = {.arena_size = 1 << 20, .pool_size = 16384,
			      .alignment = 16, .nclasses = 32,
			      .overhead = 48, .threshold = 512};
	enum { NPG = (1 << 20) / 4096 };
	struct pmf__arena_sum ar[2] = {
		{.address = 0x100000000, .index = 0, .ntotalpools = 64,
		 .pools_used = 64, .pools_full = 64, .blocks_live = 64 * 340,
		 .bytes_live = 64 * 340 * 48, .ncarved = 64, .first_rec = 0},
		{.address = 0x200001000, .index = 1, .ntotalpools = 63,
		 .pools_used = 3, .pools_empty = 2, .pools_untouched = 58,
		 .blocks_live = 3, .bytes_live = 3 * 48, .ncarved = 5,
		 .first_rec = 64},
	};
	struct pmf__pool_rec recs[69];
	for (int k = 0; k < 64; k++)
		recs[k] = (struct pmf__pool_rec){.count = 340,
						 .nextoffset = 48 + 340 * 48,
						 .szidx = 2,
						 .kind = PMF__POOL_USED};
	for (int k = 64; k < 67; k++)
		recs[k] = (struct pmf__pool_rec){.count = 1,
						 .nextoffset = 48 + 2 * 48,
						 .szidx = 2,
						 .kind = PMF__POOL_USED};
	recs[67] = recs[68] = (struct pmf__pool_rec){.kind = PMF__POOL_EMPTY};
	/* Pages: arena 0 all in RAM; arena 1 in RAM for its first five
	 * pools' first page only. */
	uint8_t *pages = calloc(2 * NPG, 1);
	memset(pages, PMF__PG_PRESENT, NPG);
	for (int k = 0; k < 5; k++)
		pages[NPG + 3 + 4 * k] = PMF__PG_PRESENT; /* base is +3 pages */
	struct pmf_interp_stats st = {.nclasses = 32};
	for (unsigned c = 0; c < 32; c++)
		st.classes[c].size = (c + 1) * 16;
	st.classes[2].blocks_in_use = 64 * 340 + 3;
	st.arenas.current = 2;
	struct pmf__analyze_in in = {.g = &g, .arenas = ar, .narenas = 2,
				     .pools = recs, .npools = 69,
				     .pages = pages, .page_size = 4096,
				     .pinned_below = 0.10};
	struct pmf__interp_data d = {0};
	ck_assert_int_eq(pmf__analyze(&in, &st, &d, NULL), 0);
	const struct pmf_analysis *an = &d.analysis;
	ck_assert(an->valid && an->residency_valid);
	ck_assert_uint_eq(an->total.bytes, 2 << 20);
	uint64_t sum = 0;
	for (int r = 0; r < PMF_REGION_COUNT; r++)
		sum += an->regions[r].bytes;
	ck_assert_uint_eq(sum, 2 << 20);
	ck_assert_uint_eq(an->regions[PMF_REGION_LIVE_BLOCKS].bytes,
			  (64 * 340 + 3) * 48);
	ck_assert_uint_eq(an->regions[PMF_REGION_EMPTY_POOLS].bytes, 2 * 16384);
	ck_assert_uint_eq(an->regions[PMF_REGION_UNTOUCHED_POOLS].bytes,
			  58 * 16384);
	ck_assert_uint_eq(an->regions[PMF_REGION_UNTOUCHED_POOLS].resident_bytes,
			  0);
	ck_assert_uint_eq(an->regions[PMF_REGION_ALIGNMENT].bytes, 16384);
	ck_assert_uint_eq(an->regions[PMF_REGION_POOL_HEADERS].bytes,
			  67 * 48);
	/* 16336 % 48 == 16 bytes of quantization per used pool. */
	ck_assert_uint_eq(an->regions[PMF_REGION_QUANTIZATION].bytes, 67 * 16);
	ck_assert_uint_eq(an->total.resident_bytes, (NPG + 5) * 4096ull);
	/* Arena 0 is 99.6% full, arena 1 nearly empty. */
	ck_assert_uint_eq(an->histogram[9], 1);
	ck_assert_uint_eq(an->histogram[0], 1);
	ck_assert_uint_eq(an->pinned_arenas, 1);
	ck_assert_uint_eq(an->pinned_live_blocks, 3);
	ck_assert(!d.pub_arenas[0].pinned && d.pub_arenas[1].pinned);
	ck_assert_uint_eq(d.pub_arenas[1].resident_bytes, 5 * 4096);
	/* 21,763 blocks of 340 per pool: 65 pools; 63 pools per arena at
	 * most in both: 2 arenas, nothing stranded. */
	ck_assert_uint_eq(an->packed_arenas, 2);
	ck_assert_uint_eq(an->stranded_bytes, 0);

	/* The drill-down's pools, from the same records. */
	struct pmf_snapshot snap = {.n = 1, .data = &d};
	snap.info.alignment = 16;
	snap.info.pool_size = 16384;
	snap.info.pool_overhead = 48;
	d.pools = recs;
	d.npools = 69;
	d.arenas = ar;
	d.narenas = 2;
	struct pmf_pool pl[64];
	ck_assert_uint_eq(pmf_snapshot_arena_pools(&snap, 0, 1, NULL, 0), 63);
	ck_assert_uint_eq(pmf_snapshot_arena_pools(&snap, 0, 1, pl, 64), 63);
	for (int k = 0; k < 63; k++) {
		ck_assert_uint_eq(pl[k].index, k);
		enum pmf_pool_state want = k < 3   ? PMF_POOL_USED
					   : k < 5 ? PMF_POOL_EMPTY
						   : PMF_POOL_UNTOUCHED;
		ck_assert_int_eq(pl[k].state, want);
	}
	ck_assert_uint_eq(pl[2].blocks_in_use, 1);
	ck_assert_uint_eq(pl[2].blocks_total, 340);
	ck_assert_uint_eq(pl[2].block_size, 48);
	ck_assert_uint_eq(pl[2].class_index, 2);
	/* CAP bounds the writes; the count is still the arena's. */
	memset(pl, 0xff, sizeof(pl));
	ck_assert_uint_eq(pmf_snapshot_arena_pools(&snap, 0, 0, pl, 2), 64);
	ck_assert_int_eq(pl[0].state, PMF_POOL_FULL);
	ck_assert_int_eq(pl[1].state, PMF_POOL_FULL);
	ck_assert_uint_eq(pl[2].index, 0xffffffffu);
	ck_assert_uint_eq(pmf_snapshot_arena_pools(&snap, 0, 2, pl, 64), 0);
	ck_assert_uint_eq(pmf_snapshot_arena_pools(&snap, 1, 0, pl, 64), 0);
	ck_assert_uint_eq(pmf_snapshot_arena_pools(NULL, 0, 0, pl, 64), 0);
	d.arenas = NULL;
	d.narenas = 0;
	free(pages);
	d.pools = NULL; /* not owned here */
	pmf__interp_data_free(&d);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("analysis");
	TCase *tc = tcase_create("analysis");
	tcase_add_test(tc, test_pagemap_flags);
	tcase_add_test(tc, test_smaps_parse);
	tcase_add_test(tc, test_analyze_partition);
	suite_add_tcase(s, tc);
	return s;
}
