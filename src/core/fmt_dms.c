/* SPDX-License-Identifier: MIT */
/*
 * fmt_dms.c - CPython's own allocator statistics, byte for byte: the part
 * of sys._debugmallocstats() from "Small block threshold" through the last
 * "Total" line (pymalloc_print_stats() in 3.12+, inlined in
 * _PyObject_DebugMallocStats() before).  The layout is the same in every
 * version from 3.6 to 3.14 apart from the arena-map block of 3.10+.
 * Then, where they were read, the object free lists that
 * _PyObject_DebugTypeStats() prints after a blank line.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/report.h"

/* CPython's printone(): the label padded to 35 columns, '=', then the
 * value right-aligned in 21 columns with thousands separators. */
static void
printone(struct pmf__out *o, const char *label, uint64_t value)
{
	char num[32];
	pmf__commas(value, num, sizeof(num));
	pmf__out_printf(o, "%-35s=%21s\n", label, num);
}

/* One free-list line as CPython's _PyDebugAllocatorStats() prints it:
 * "<n> free <name> * <size> bytes each" right-aligned in 48 columns and a
 * space, then printone()'s '=' and total.  (CPython's "%d %ss" appends
 * the plural 's' to a singular name; ours are stored plural.) */
static void
print_freelist(struct pmf__out *o, const struct pmf_freelist *f)
{
	char what[128], label[160];
	snprintf(what, sizeof(what), "%llu free %s * %llu bytes each",
		 (unsigned long long)f->count, f->name,
		 (unsigned long long)f->object_size);
	snprintf(label, sizeof(label), "%48s ", what);
	printone(o, label, f->count * f->object_size);
}

void
pmf__dms_interp(const struct pmf_snapshot_info *in,
		const struct pmf_interp_stats *it, struct pmf__out *o)
{
	char label[64];
	pmf__out_printf(o, "Small block threshold = %u, in %u size classes.\n",
			in->small_threshold, it->nclasses);
	pmf__out_puts(o, "\n"
			 "class   size   num pools   blocks in use  avail "
			 "blocks\n"
			 "-----   ----   ---------   -------------  "
			 "------------\n");
	for (unsigned i = 0; i < it->nclasses; i++) {
		const struct pmf_class_stats *c = &it->classes[i];
		if (c->pools == 0)
			continue;
		pmf__out_printf(o, "%5u %6u %11llu %15llu %13llu\n", c->index,
				c->size, (unsigned long long)c->pools,
				(unsigned long long)c->blocks_in_use,
				(unsigned long long)c->blocks_available);
	}
	pmf__out_puts(o, "\n");
	if (it->has_debug_malloc_calls)
		printone(o, "# times object malloc called",
			 it->debug_malloc_calls);
	const struct pmf_arena_counters *a = &it->arenas;
	printone(o, "# arenas allocated total", a->allocated_total);
	printone(o, "# arenas reclaimed", a->reclaimed);
	printone(o, "# arenas highwater mark", a->highwater);
	printone(o, "# arenas allocated current", a->current);
	snprintf(label, sizeof(label), "%llu arenas * %llu bytes/arena",
		 (unsigned long long)a->current,
		 (unsigned long long)in->arena_size);
	printone(o, label, a->current * in->arena_size);
	pmf__out_puts(o, "\n");

	const struct pmf_byte_partition *b = &it->bytes;
	printone(o, "# bytes in allocated blocks", b->allocated_blocks);
	printone(o, "# bytes in available blocks", b->available_blocks);
	snprintf(label, sizeof(label), "%llu unused pools * %llu bytes",
		 (unsigned long long)b->unused_pool_count,
		 (unsigned long long)in->pool_size);
	printone(o, label, b->unused_pools);
	printone(o, "# bytes lost to pool headers", b->pool_headers);
	printone(o, "# bytes lost to quantization", b->quantization);
	printone(o, "# bytes lost to arena alignment", b->arena_alignment);
	printone(o, "Total", b->total);

	const struct pmf_arena_map *m = &it->arena_map;
	if (m->present) {
		pmf__out_puts(o, "\narena map counts\n");
		printone(o, "# arena map mid nodes", m->mid_nodes);
		printone(o, "# arena map bot nodes", m->bot_nodes);
		pmf__out_puts(o, "\n");
		printone(o, "# bytes lost to arena map root", m->root_bytes);
		printone(o, "# bytes lost to arena map mid", m->mid_bytes);
		printone(o, "# bytes lost to arena map bot", m->bot_bytes);
		printone(o, "Total", m->total_bytes);
	}

	/* sys._debugmallocstats() separates the type statistics with a
	 * blank line when pymalloc printed its part. */
	if (it->has_freelists && it->nfreelists > 0) {
		pmf__out_puts(o, "\n");
		for (unsigned i = 0;
		     i < it->nfreelists && i < PMF_MAX_FREELISTS; i++)
			print_freelist(o, &it->freelists[i]);
	}
}

void
pmf__fmt_dms(const struct pmf_snapshot *s, const struct pmf__sel *sel,
	     struct pmf__out *o)
{
	/* Several states: each block is introduced by a line naming its
	 * interpreter (CPython prints only the calling interpreter's). */
	bool label = sel->n > 1;
	for (size_t i = 0; i < sel->n; i++) {
		const struct pmf_interp_stats *it = sel->v[i];
		if (label)
			pmf__out_printf(o, "%sInterpreter %lld%s:\n",
					i > 0 ? "\n" : "", (long long)it->id,
					it->is_main ? " (main)" : "");
		pmf__dms_interp(&s->info, it, o);
	}
}
