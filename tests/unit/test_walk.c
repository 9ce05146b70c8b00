/* SPDX-License-Identifier: MIT */
/* Unit tests for the state checks and the pool walk (src/py/state.c,
 * src/py/walk.c) on synthetic heaps built for every layout row. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "py/walk.h"
#include "runner.h"
#include "synth.h"

static struct synth_arena arenas[3];

/* Three arenas: a mixed one (with a full and an empty cached pool), one
 * with every pool carved, one never touched; on 3.10+ the first and last
 * are not pool-aligned, as mmap usually leaves them. */
static void
make_spec(const struct pmf__layout *l, struct synth_spec *s)
{
	struct pmf__geom g;
	pmf__geom_init(&g, l);
	uint64_t mis = l->pool_size > 4096 ? 4096 : 0;
	memset(arenas, 0, sizeof(arenas));
	arenas[0].address = synth_arena_addr(0, mis);
	arenas[0].pools[0] = (struct synth_pool){0, 5};
	arenas[0].pools[1] = (struct synth_pool){3, pmf__geom_nblocks(&g, 3)};
	arenas[0].pools[2] = (struct synth_pool){3, 0};
	arenas[0].pools[3] = (struct synth_pool){31, 1};
	arenas[0].pools[4] = (struct synth_pool){3, 2};
	arenas[0].npools = 5;
	arenas[1].address = synth_arena_addr(1, 0);
	for (unsigned j = 0; j < 64; j++) {
		unsigned nb = pmf__geom_nblocks(&g, 1);
		arenas[1].pools[j] = (struct synth_pool){1, j % nb + 1};
	}
	arenas[1].npools = 64;
	arenas[2].address = synth_arena_addr(2, mis);
	arenas[2].npools = 0;
	*s = (struct synth_spec){.layout = l,
				 .arenas = arenas,
				 .narenas = 3,
				 .maxarenas = 8,
				 .ntimes = 10,
				 .highwater = 4,
				 .map_mid = 1,
				 .map_bot = 2};
}

/* The expected statistics, computed from the spec directly. */
static void
expect(const struct synth_spec *s, const struct pmf__geom *g,
       struct pmf_interp_stats *x)
{
	memset(x, 0, sizeof(*x));
	for (unsigned i = 0; i < s->narenas; i++) {
		const struct synth_arena *a = &s->arenas[i];
		bool aligned = a->address % g->pool_size == 0;
		unsigned total = aligned ? 64 : 63;
		x->bytes.arena_alignment += aligned ? 0 : g->pool_size;
		x->bytes.unused_pool_count += total - a->npools;
		for (unsigned j = 0; j < a->npools; j++) {
			const struct synth_pool *p = &a->pools[j];
			if (p->count == 0) {
				x->bytes.unused_pool_count++;
				continue;
			}
			unsigned size = (p->szidx + 1) * g->alignment;
			unsigned nb = (unsigned)((g->pool_size - 48) / size);
			struct pmf_class_stats *c = &x->classes[p->szidx];
			c->pools++;
			c->blocks_in_use += p->count;
			c->blocks_available += nb - p->count;
			x->bytes.allocated_blocks += (uint64_t)p->count * size;
			x->bytes.available_blocks +=
				(uint64_t)(nb - p->count) * size;
			x->bytes.pool_headers += 48;
			x->bytes.quantization += (g->pool_size - 48) % size;
		}
	}
	x->bytes.unused_pools = x->bytes.unused_pool_count * g->pool_size;
	x->arenas.current = s->narenas;
	x->arenas.allocated_total = s->ntimes;
	x->arenas.highwater = s->highwater;
	x->arenas.reclaimed = s->ntimes - s->narenas;
	x->arenas.table_size = s->maxarenas;
}

static int
walk(struct synth_heap *h, bool strict, struct pmf_interp_stats *out,
     struct pmf__walk *w, struct pmf__err *e)
{
	struct pmf__state st = {0};
	memset(w, 0, sizeof(*w));
	w->out = out;
	int rc = pmf__state_read(&h->mem, &h->ref, &h->geom, &st, e);
	if (rc == 0)
		rc = pmf__walk(&h->mem, &st, &h->geom, strict, w, e);
	pmf__state_free(&st);
	return rc;
}

START_TEST(test_every_layout)
{
	size_t n;
	const struct pmf__layout *l = &pmf__layout_all(&n)[_i];
	struct synth_spec spec;
	struct synth_heap h;
	make_spec(l, &spec);
	synth_build(&spec, &h);

	/* The state passes every check. */
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	ck_assert_uint_eq(st.maxarenas, 8);
	ck_assert_uint_eq(st.live, 3);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert_msg(pmf__check_passes(&c, true), "3.%u: %s", l->minor,
		      c.problem);
	ck_assert_uint_eq(c.checked_classes, 32);
	pmf__state_free(&st);

	struct pmf_interp_stats got, want;
	struct pmf__walk w;
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), 0);
	expect(&spec, &h.geom, &want);
	ck_assert_uint_eq(got.nclasses, 32);
	for (unsigned i = 0; i < 32; i++) {
		ck_assert_uint_eq(got.classes[i].index, i);
		ck_assert_uint_eq(got.classes[i].size, (i + 1) * 16);
		ck_assert_uint_eq(got.classes[i].pools, want.classes[i].pools);
		ck_assert_uint_eq(got.classes[i].blocks_in_use,
				  want.classes[i].blocks_in_use);
		ck_assert_uint_eq(got.classes[i].blocks_available,
				  want.classes[i].blocks_available);
	}
	ck_assert_mem_eq(&got.bytes, &want.bytes,
			 offsetof(struct pmf_byte_partition, total));
	ck_assert_uint_eq(got.bytes.total, 3 * l->arena_size);
	ck_assert_mem_eq(&got.arenas, &want.arenas, sizeof(got.arenas));
	ck_assert_uint_eq(got.arena_map.present, l->radix);
	if (l->radix) {
		ck_assert_uint_eq(got.arena_map.mid_nodes, 1);
		ck_assert_uint_eq(got.arena_map.bot_bytes,
				  2 * l->map_bot_bytes);
		ck_assert_uint_eq(got.arena_map.total_bytes,
				  l->map_root_bytes + l->map_mid_bytes +
					  2 * l->map_bot_bytes);
	}
	/* Per-arena summaries. */
	ck_assert_uint_eq(w.narenas, 3);
	ck_assert_uint_eq(w.arenas[0].pools_used, 4);
	ck_assert_uint_eq(w.arenas[0].pools_full, 1);
	ck_assert_uint_eq(w.arenas[0].pools_empty, 1);
	ck_assert_uint_eq(w.arenas[0].pools_untouched,
			  (l->radix ? 63 : 64) - 5);
	ck_assert_uint_eq(w.arenas[1].pools_used, 64);
	ck_assert_uint_eq(w.arenas[2].pools_untouched, l->radix ? 63 : 64);
	ck_assert_uint_eq(w.pools_bad, 0);
	ck_assert_uint_eq(got.pools_failed_validation, 0);
	pmf__walk_free(&w);
	synth_free(&h);
}
END_TEST

/* A source that offers memory in place (in-process) gets the same walk
 * as one read in batches: statistics, arena summaries and pool records,
 * on every layout, with a torn pool too. */
START_TEST(test_in_place_same)
{
	size_t n;
	const struct pmf__layout *l = &pmf__layout_all(&n)[_i];
	struct synth_spec spec;
	struct synth_heap h;
	make_spec(l, &spec);
	spec.whole_arenas = true;
	synth_build(&spec, &h);
	for (int torn = 0; torn < 2; torn++) {
		if (torn)
			put32(fake_mem_at(&h.fm,
					  synth_pool_addr(&h, &arenas[1], 7),
					  48) +
				      PMF__PH_COUNT,
			      5000);
		struct pmf_interp_stats got[2];
		struct pmf__walk w[2];
		memset(got, 0, sizeof(got));
		struct pmf__err e = {0};
		uint64_t calls[2];
		for (int d = 0; d < 2; d++) {
			h.fm.direct = d;
			struct pmf__state st = {0};
			memset(&w[d], 0, sizeof(w[d]));
			w[d].out = &got[d];
			w[d].keep_pools = true;
			ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref,
							 &h.geom, &st, &e),
					 0);
			calls[d] = h.mem.calls;
			ck_assert_int_eq(pmf__walk(&h.mem, &st, &h.geom, false,
						   &w[d], &e),
					 0);
			calls[d] = h.mem.calls - calls[d];
			pmf__state_free(&st);
		}
		/* In place, the pool headers take no read at all. */
		ck_assert_uint_lt(calls[1], calls[0]);
		ck_assert_uint_eq(got[0].pools_failed_validation, torn);
		ck_assert_mem_eq(&got[0].classes, &got[1].classes,
				 sizeof(got[0].classes));
		ck_assert_mem_eq(&got[0].bytes, &got[1].bytes,
				 sizeof(got[0].bytes));
		ck_assert_uint_eq(w[0].pools_read, w[1].pools_read);
		ck_assert_uint_eq(w[0].pools_bad, w[1].pools_bad);
		ck_assert_uint_eq(w[0].narenas, w[1].narenas);
		ck_assert_mem_eq(w[0].arenas, w[1].arenas,
				 w[0].narenas * sizeof(*w[0].arenas));
		ck_assert_uint_eq(w[0].npools, w[1].npools);
		ck_assert_mem_eq(w[0].pools, w[1].pools,
				 w[0].npools * sizeof(*w[0].pools));
		ck_assert_str_eq(w[0].problem, w[1].problem);
		pmf__walk_free(&w[0]);
		pmf__walk_free(&w[1]);
	}
	synth_free(&h);
}
END_TEST

/* A pool that changes under a non-blocking read is left out and counted;
 * with the target stopped it means "retry". */
START_TEST(test_torn_pool)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 12, 0, &exact);
	struct synth_spec spec;
	struct synth_heap h;
	make_spec(l, &spec);
	synth_build(&spec, &h);
	uint64_t p = synth_pool_addr(&h, &arenas[1], 7);
	put32(fake_mem_at(&h.fm, p, 48) + PMF__PH_SZIDX, 99);

	struct pmf_interp_stats got, want;
	struct pmf__walk w;
	struct pmf__err e = {0};
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), PMF_EAGAIN);
	ck_assert(strstr(e.msg, "szidx 99") != NULL);
	pmf__walk_free(&w);
	ck_assert_int_eq(walk(&h, false, &got, &w, &e), 0);
	ck_assert_uint_eq(got.pools_failed_validation, 1);
	expect(&spec, &h.geom, &want);
	ck_assert_uint_eq(got.classes[1].pools, want.classes[1].pools - 1);
	ck_assert_uint_eq(w.arenas[1].pools_bad, 1);
	pmf__walk_free(&w);

	/* More blocks in use than fit, a foreign arenaindex, a wild
	 * freeblock: each is caught. */
	static const struct {
		unsigned off;
		uint64_t val;
		const char *why;
	} bad[] = {{PMF__PH_COUNT, 5000, "more blocks"},
		   {PMF__PH_ARENAINDEX, 2, "arenaindex"},
		   {PMF__PH_FREEBLOCK, 8, "freeblock"},
		   {PMF__PH_NEXTOFFSET, 17, "nextoffset"}};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		synth_free(&h);
		synth_build(&spec, &h);
		unsigned char *ph =
			fake_mem_at(&h.fm, synth_pool_addr(&h, &arenas[0], 0),
				    48);
		if (bad[k].off == PMF__PH_FREEBLOCK)
			put64(ph + bad[k].off, bad[k].val);
		else
			put32(ph + bad[k].off, (uint32_t)bad[k].val);
		ck_assert_int_eq(walk(&h, true, &got, &w, &e), PMF_EAGAIN);
		ck_assert_msg(strstr(e.msg, bad[k].why) != NULL, "%s", e.msg);
		pmf__walk_free(&w);
	}
	synth_free(&h);
}
END_TEST

START_TEST(test_unreadable_pool)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 9, 0, &exact);
	struct synth_spec spec;
	struct synth_heap h;
	make_spec(l, &spec);
	synth_build(&spec, &h);
	/* The table claims two more carved pools than have headers. */
	unsigned char *e0 = fake_mem_at(&h.fm, h.table, 48);
	put64(e0 + PMF__AO_POOL_ADDRESS,
	      pmf__ld64(e0 + PMF__AO_POOL_ADDRESS) + 2 * l->pool_size);
	struct pmf_interp_stats got;
	struct pmf__walk w;
	struct pmf__err e = {0};
	ck_assert_int_eq(walk(&h, false, &got, &w, &e), 0);
	ck_assert_uint_eq(got.pools_failed_validation, 2);
	pmf__walk_free(&w);
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), PMF_EAGAIN);
	ck_assert(strstr(e.msg, "unreadable") != NULL);
	pmf__walk_free(&w);
	/* A process that dies mid-walk is an error, not a count. */
	h.fm.fail_after = 3;
	ck_assert_int_eq(walk(&h, false, &got, &w, &e), PMF_ESRCH);
	pmf__walk_free(&w);
	synth_free(&h);
}
END_TEST

/* Memory that resembles a state but is not one fails the checks. */
START_TEST(test_state_checks)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 11, 0, &exact);
	struct synth_spec spec;
	struct synth_heap h;
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf__err e = {0};
	make_spec(l, &spec);

	/* Counters that disagree with the table: only strict mode cares. */
	synth_build(&spec, &h);
	put64(fake_mem_at(&h.fm, h.ref.ncur, 8), 7);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert(!c.counters_ok);
	ck_assert(!pmf__check_passes(&c, true));
	ck_assert(pmf__check_passes(&c, false));
	synth_free(&h);

	/* usedpools that are not self-referential nor pools. */
	synth_build(&spec, &h);
	memset(fake_mem_at(&h.fm, h.ref.usedpools, 512), 0, 512);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert_uint_eq(c.bad_classes, 32);
	ck_assert(!pmf__check_passes(&c, false));
	synth_free(&h);

	/* An arena outside any anonymous mapping, wrong pool totals. */
	synth_build(&spec, &h);
	unsigned char *t = fake_mem_at(&h.fm, h.table, 3 * 48);
	put64(t + PMF__AO_ADDRESS, 0x10000);
	put32(t + 48 + PMF__AO_NTOTALPOOLS, 17);
	put64(t + 3 * 48 + PMF__AO_NEXTARENA, 0x1234); /* unused entry */
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	/* Two bad entries, and the first one's pools are unreadable. */
	ck_assert_uint_eq(c.bad_used, 3);
	ck_assert_uint_eq(c.bad_unused, 1);
	ck_assert(!pmf__check_passes(&c, false));
	synth_free(&h);

	/* Table sizes that cannot be real. */
	synth_build(&spec, &h);
	put32(fake_mem_at(&h.fm, h.ref.maxarenas, 4), 1u << 30);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e),
			 PMF_ECORRUPT);
	put32(fake_mem_at(&h.fm, h.ref.maxarenas, 4), 8);
	put64(fake_mem_at(&h.fm, h.ref.arenas, 8), 0);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e),
			 PMF_ECORRUPT);
	put64(fake_mem_at(&h.fm, h.ref.arenas, 8), 0x999000);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e),
			 PMF_EFAULT);
	pmf__state_free(&st);
	synth_free(&h);
}
END_TEST

/* An empty state (PYTHONMALLOC=malloc) is valid and walks to zeros. */
START_TEST(test_empty_state)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 13, 0, &exact);
	struct synth_spec spec = {.layout = l};
	struct synth_heap h;
	synth_build(&spec, &h);
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert(pmf__check_passes(&c, true));
	struct pmf_interp_stats got;
	struct pmf__walk w;
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), 0);
	ck_assert_uint_eq(got.arenas.current, 0);
	ck_assert_uint_eq(got.bytes.total, 0);
	pmf__walk_free(&w);
	pmf__state_free(&st);
	synth_free(&h);
}
END_TEST

/* Old 3.6/3.7 patch releases spaced classes 8 bytes apart (64 classes);
 * the walk reads that from the pool headers.  3.8+ never did. */
/* An arena table of 65536 entries, as a process that once had up to
 * 32768 arenas keeps (CPython never shrinks it), with three live: every
 * layout reads it, checks every unused entry's link, and counts the same
 * as with a small table. */
START_TEST(test_big_table)
{
	size_t n;
	const struct pmf__layout *l = &pmf__layout_all(&n)[_i];
	struct synth_spec spec;
	struct synth_heap h;
	make_spec(l, &spec);
	spec.maxarenas = 65536;
	synth_build(&spec, &h);
	struct pmf__state st = {0};
	struct pmf__check c;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	ck_assert_uint_eq(st.maxarenas, 65536);
	ck_assert_uint_eq(st.live, 3);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert_msg(pmf__check_passes(&c, true), "3.%u: %s", l->minor,
		      c.problem);
	ck_assert_uint_eq(c.bad_unused, 0);
	pmf__state_free(&st);
	struct pmf_interp_stats got, want;
	struct pmf__walk w;
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), 0);
	expect(&spec, &h.geom, &want);
	ck_assert_uint_eq(got.arenas.table_size, 65536);
	ck_assert_mem_eq(&got.arenas, &want.arenas, sizeof(got.arenas));
	ck_assert_mem_eq(&got.bytes, &want.bytes,
			 offsetof(struct pmf_byte_partition, total));
	ck_assert_uint_eq(w.narenas, 3);
	pmf__walk_free(&w);

	/* A wild link in the last unused entry is caught. */
	put64(fake_mem_at(&h.fm, h.table + 65535ull * PMF__AO_SIZE,
			  PMF__AO_SIZE) + PMF__AO_NEXTARENA,
	      0x1234567);
	ck_assert_int_eq(pmf__state_read(&h.mem, &h.ref, &h.geom, &st, &e), 0);
	pmf__state_check(&st, &h.ref, &h.geom, &h.maps, &h.mem, &c);
	ck_assert_uint_eq(c.bad_unused, 1);
	pmf__state_free(&st);
	synth_free(&h);
}
END_TEST

START_TEST(test_alignment_8)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 6, 0, &exact);
	struct synth_arena a[1] = {{.address = synth_arena_addr(0, 0)}};
	a[0].pools[0] = (struct synth_pool){0, 3};  /* 8-byte blocks */
	a[0].pools[1] = (struct synth_pool){62, 1}; /* 504-byte blocks */
	a[0].npools = 2;
	struct synth_spec spec = {.layout = l, .alignment = 8, .arenas = a,
				  .narenas = 1, .maxarenas = 16, .ntimes = 1,
				  .highwater = 1};
	struct synth_heap h;
	synth_build(&spec, &h);
	pmf__geom_init(&h.geom, l); /* the walker starts from the row */
	struct pmf_interp_stats got;
	struct pmf__walk w;
	struct pmf__err e = {0};
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), 0);
	ck_assert_uint_eq(h.geom.alignment, 8);
	ck_assert_uint_eq(got.nclasses, 64);
	ck_assert_uint_eq(got.classes[0].size, 8);
	ck_assert_uint_eq(got.classes[0].blocks_available, (4096 - 48) / 8 - 3);
	ck_assert_uint_eq(got.classes[62].pools, 1);
	pmf__walk_free(&w);
	synth_free(&h);

	/* The same headers under a 3.8 row are simply invalid. */
	spec.layout = pmf__layout_find(3, 8, 0, &exact);
	synth_build(&spec, &h);
	pmf__geom_init(&h.geom, spec.layout);
	ck_assert_int_eq(walk(&h, true, &got, &w, &e), PMF_EAGAIN);
	pmf__walk_free(&w);
	synth_free(&h);
}
END_TEST

Suite *
make_suite(void)
{
	size_t n;
	(void)pmf__layout_all(&n);
	Suite *s = suite_create("walk");
	TCase *tc = tcase_create("walk");
	tcase_add_loop_test(tc, test_every_layout, 0, (int)n);
	tcase_add_loop_test(tc, test_in_place_same, 0, (int)n);
	tcase_add_test(tc, test_torn_pool);
	tcase_add_test(tc, test_unreadable_pool);
	tcase_add_test(tc, test_state_checks);
	tcase_add_test(tc, test_empty_state);
	tcase_add_test(tc, test_alignment_8);
	tcase_add_loop_test(tc, test_big_table, 0, (int)n);
	suite_add_tcase(s, tc);
	return s;
}
