/* SPDX-License-Identifier: MIT */
/*
 * fmt_text.c - the report for people: what was inspected and how, then
 * per interpreter the size-class table with utilization, the arena
 * counters and CPython's byte partition, then the process's memory.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/report.h"

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static void
header(const struct pmf_snapshot_info *in, struct pmf__out *o)
{
	char tbuf[64], h1[32], h2[32];
	time_t secs = (time_t)(in->time_unix_ns / 1000000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	const struct pmf_python *py = &in->python;

	pmf__out_printf(o, "pymfrag %s report: pid %d, %s\n\n",
			PMF_VERSION_STRING, (int)in->pid, tbuf);
	pmf__out_printf(o, "python      %s%s%s  %s\n", py->version,
			py->debug_build ? " (debug build)" : "",
			py->free_threaded ? " (free-threaded)" : "",
			py->executable);
	if (py->shared_library)
		pmf__out_printf(o, "library     %s\n", py->image);
	pmf__out_printf(o, "allocator   %s%s%s\n",
			pmf_allocator_name(in->allocator),
			in->allocator_detail[0] ? " - " : "",
			in->allocator_detail);
	pmf__out_printf(o, "located     %s: %s\n",
			pmf_locate_name(in->locate_method), in->locate_detail);
	if (in->ninterps > 0) {
		pmf__out_printf(o,
				"geometry    %s arenas of %llu pools of %s, "
				"%u-byte pool headers\n",
				pmf__human(in->arena_size, h1, sizeof(h1)),
				(unsigned long long)(in->arena_size /
						     in->pool_size),
				pmf__human(in->pool_size, h2, sizeof(h2)),
				in->pool_overhead);
		if (in->in_process)
			pmf__out_printf(o,
					"snapshot    in-process (GIL held), "
					"walk %.2f ms\n",
					(double)in->walk_us / 1000.0);
		else if (in->nonblocking)
			pmf__out_printf(o,
					"snapshot    not paused (--nonblocking), "
					"walk %.2f ms, %llu pools failed "
					"validation\n",
					(double)in->walk_us / 1000.0,
					(unsigned long long)
						in->pools_failed_validation);
		else
			pmf__out_printf(o,
					"snapshot    target paused %.2f ms "
					"(%u thread%s), walk %.2f ms%s\n",
					(double)in->pause_us / 1000.0,
					in->threads_stopped,
					in->threads_stopped == 1 ? "" : "s",
					(double)in->walk_us / 1000.0,
					in->retries ? ", retried" : "");
	}
	if (!in->nonblocking && in->guard_detail && in->guard_detail[0]) {
		if (in->guard_active)
			pmf__out_printf(o, "guard       %s, %u retr%s\n",
					in->guard_detail, in->guard_retries,
					in->guard_retries == 1 ? "y" : "ies");
		else
			pmf__out_printf(o, "guard       %s\n",
					in->guard_detail);
	}
	const struct pmf_process_mem *pm = &in->process;
	if (pm->valid) {
		char r[32], p[32], sw[32], hwm[32];
		pmf__out_printf(o,
				"process     RSS %s, PSS %s, swap %s, peak RSS "
				"%s, %u thread%s\n",
				pmf__human(pm->rss_bytes, r, sizeof(r)),
				in->process_fast
					? "-"
					: pmf__human(pm->pss_bytes, p, sizeof(p)),
				pmf__human(pm->swap_bytes, sw, sizeof(sw)),
				pmf__human(pm->hwm_bytes, hwm, sizeof(hwm)),
				pm->threads, pm->threads == 1 ? "" : "s");
	}
	if (pm->valid && pm->split_valid) {
		char a[32], b[32], c[32], d[32], u[32];
		pmf__out_printf(o,
				"            arenas %s, other anonymous %s, "
				"stacks %s, files %s; USS %s\n",
				pmf__human(pm->arena_bytes, a, sizeof(a)),
				pmf__human(pm->other_anon_bytes, b, sizeof(b)),
				pmf__human(pm->stack_bytes, c, sizeof(c)),
				pmf__human(pm->file_bytes, d, sizeof(d)),
				pmf__human(pm->uss_bytes, u, sizeof(u)));
	}
}

static void
classes(const struct pmf_snapshot_info *in, const struct pmf_interp_stats *it,
	struct pmf__out *o)
{
	char a[32], b[32], c[32], d[32], w[32];
	uint64_t tp = 0, tu = 0, tf = 0, tb = 0, cap = 0, tw = 0;
	pmf__out_puts(o, "  class  size    pools   blocks used   blocks free"
			 "    util    bytes used      waste\n");
	for (unsigned i = 0; i < it->nclasses; i++) {
		const struct pmf_class_stats *k = &it->classes[i];
		if (k->pools == 0)
			continue;
		uint64_t total = k->blocks_in_use + k->blocks_available;
		uint64_t used = k->blocks_in_use * k->size;
		uint64_t waste =
			pmf_class_waste(k, in->pool_size, in->pool_overhead);
		pmf__out_printf(o,
				"  %5u %5u %8s %13s %13s  %5.1f%% %13s %10s\n",
				k->index, k->size,
				pmf__commas(k->pools, a, sizeof(a)),
				pmf__commas(k->blocks_in_use, b, sizeof(b)),
				pmf__commas(k->blocks_available, c, sizeof(c)),
				pct(k->blocks_in_use, total),
				pmf__commas(used, d, sizeof(d)),
				pmf__human(waste, w, sizeof(w)));
		tw += waste;
		tp += k->pools;
		tu += k->blocks_in_use;
		tf += k->blocks_available;
		tb += used;
		cap += total * k->size;
	}
	pmf__out_printf(o, "  total       %8s %13s %13s  %5.1f%% %13s %10s\n",
			pmf__commas(tp, a, sizeof(a)),
			pmf__commas(tu, b, sizeof(b)),
			pmf__commas(tf, c, sizeof(c)), pct(tb, cap),
			pmf__commas(tb, d, sizeof(d)),
			pmf__human(tw, w, sizeof(w)));
	pmf__out_puts(o, "  (util: blocks in use / blocks in the class's used "
			 "pools; waste: their free blocks,\n   headers and "
			 "quantization)\n");
}

static void
partition_row(struct pmf__out *o, const char *label, uint64_t v,
	      uint64_t total)
{
	char n[32], h[32];
	pmf__out_printf(o, "    %-26s %15s  %6.2f%%  %s\n", label,
			pmf__commas(v, n, sizeof(n)), pct(v, total),
			pmf__human(v, h, sizeof(h)));
}

static void
interp(const struct pmf_snapshot *s, size_t idx, unsigned top,
       struct pmf__out *o)
{
	const struct pmf_snapshot_info *in = &s->info;
	const struct pmf_interp_stats *it = &s->interps[idx];
	char h[32], lbl[48];
	const struct pmf_arena_counters *a = &it->arenas;
	pmf__out_printf(o, "\ninterpreter %lld%s, state at 0x%llx\n",
			(long long)it->id, it->is_main ? " (main)" : "",
			(unsigned long long)it->state_address);
	pmf__out_printf(o,
			"  arenas    %llu current (%s), highwater %llu, "
			"allocated total %llu, reclaimed %llu\n",
			(unsigned long long)a->current,
			pmf__human(a->current * in->arena_size, h, sizeof(h)),
			(unsigned long long)a->highwater,
			(unsigned long long)a->allocated_total,
			(unsigned long long)a->reclaimed);
	if (in->nonblocking && it->pools_failed_validation > 0)
		pmf__out_printf(o,
				"  warning   %llu pools changed during the "
				"read and were left out\n",
				(unsigned long long)it->pools_failed_validation);
	pmf__out_puts(o, "\n");
	classes(in, it, o);

	const struct pmf_byte_partition *b = &it->bytes;
	pmf__out_puts(o, "\n  where the arena bytes are (CPython's partition)\n");
	partition_row(o, "allocated blocks", b->allocated_blocks, b->total);
	partition_row(o, "free blocks in used pools", b->available_blocks,
		      b->total);
	snprintf(lbl, sizeof(lbl), "unused pools (%llu)",
		 (unsigned long long)b->unused_pool_count);
	partition_row(o, lbl, b->unused_pools, b->total);
	partition_row(o, "pool headers", b->pool_headers, b->total);
	partition_row(o, "quantization", b->quantization, b->total);
	partition_row(o, "arena alignment", b->arena_alignment, b->total);
	partition_row(o, "total", b->total, b->total);
	if (it->arena_map.present)
		pmf__out_printf(o,
				"  arena map %llu mid and %llu bot nodes, %s "
				"of address space\n",
				(unsigned long long)it->arena_map.mid_nodes,
				(unsigned long long)it->arena_map.bot_nodes,
				pmf__human(it->arena_map.total_bytes, h,
					   sizeof(h)));
	pmf__text_analysis(s, idx, top, o);
}

/* Why there is no table, for modes where pymalloc is not in use. */
static const char *
no_pymalloc_reason(enum pmf_allocator a)
{
	switch (a) {
	case PMF_ALLOC_MALLOC:
	case PMF_ALLOC_MALLOC_DEBUG:
		return "the process runs with PYTHONMALLOC=malloc: objects "
		       "come from the C library's malloc, not pymalloc";
	case PMF_ALLOC_MIMALLOC:
	case PMF_ALLOC_MIMALLOC_DEBUG:
		return "the process runs with PYTHONMALLOC=mimalloc: pymalloc "
		       "is not in use";
	case PMF_ALLOC_FREE_THREADED:
		return "free-threaded builds allocate with mimalloc only";
	case PMF_ALLOC_NO_PYMALLOC:
		return "this CPython was built without pymalloc";
	default:
		return "pymalloc has no arenas in this process";
	}
}

void
pmf__fmt_text(const struct pmf_snapshot *s, const struct pmf__sel *sel,
	      struct pmf__out *o)
{
	header(&s->info, o);
	if (s->n == 0) {
		pmf__out_printf(o, "\nno pymalloc statistics: %s.\n",
				no_pymalloc_reason(s->info.allocator));
		return;
	}
	if (sel->n > 0)
		pmf__text_verdict(s, sel->idx[0], o);
	for (size_t i = 0; i < sel->n; i++)
		interp(s, sel->idx[i], sel->top, o);
}
