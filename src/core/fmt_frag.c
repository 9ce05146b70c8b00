/* SPDX-License-Identifier: MIT */
/*
 * fmt_frag.c - the fragmentation analysis in the text report: a verdict a
 * person can act on, then the evidence (residency partition, occupancy
 * histogram, high-water mark, pinned arenas and the types pinning them,
 * free lists).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "core/report.h"

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static uint64_t
blocks_in_use(const struct pmf_interp_stats *it)
{
	uint64_t n = 0;
	for (unsigned c = 0; c < it->nclasses; c++)
		n += it->classes[c].blocks_in_use;
	return n;
}

/* True for "<non-object>", "<list items>"...: kinds, not types. */
static bool
is_kind(const char *name)
{
	return name[0] == '<';
}

/* "`dict` (61%) and `decimal.Decimal` (23%)": the two object types with
 * most live blocks in V, with their share of all of V's blocks (buffers
 * and the rest included).  Empty when V names no type. */
static void
top_types(const struct pmf_type_count *v, size_t n, char *buf, size_t len)
{
	uint64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += v[i].count;
	buf[0] = '\0';
	for (size_t i = 0, shown = 0; i < n && shown < 2; i++) {
		if (is_kind(v[i].name))
			continue;
		size_t k = strlen(buf);
		snprintf(buf + k, len - k, "%s`%s` (%.0f%%)",
			 shown++ ? " and " : "", v[i].name,
			 pct(v[i].count, total));
	}
}

/* The first object type of V ("mostly"), else its first kind, else
 * "-". */
static const char *
mostly(const struct pmf_type_count *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_kind(v[i].name))
			return v[i].name;
	return n > 0 ? v[0].name : "-";
}

void
pmf__text_verdict(const struct pmf_snapshot *s, size_t idx,
		  struct pmf__out *o)
{
	const struct pmf_snapshot_info *in = &s->info;
	const struct pmf_interp_stats *it = &s->interps[idx];
	const struct pmf_analysis *an = pmf_snapshot_analysis(s, idx);
	const struct pmf_process_mem *pm = &in->process;
	char h1[32], h2[32], h3[32], types[2 * PMF_TYPE_NAME_MAX + 64];
	if (an == NULL || !an->valid || it->arenas.current == 0)
		return;
	uint64_t arena_bytes = an->total.bytes;
	uint64_t live = an->regions[PMF_REGION_LIVE_BLOCKS].bytes;
	pmf__out_puts(o, "\nVerdict: ");
	if (pm->split_valid && pm->rss_bytes > 0)
		pmf__out_printf(o,
				"%.0f%% of RSS (%s of %s) is pymalloc arenas; ",
				pct(pm->arena_bytes, pm->rss_bytes),
				pmf__human(pm->arena_bytes, h1, sizeof(h1)),
				pmf__human(pm->rss_bytes, h2, sizeof(h2)));
	pmf__out_printf(o, "live blocks fill %.0f%% of the %s of arenas.",
			pct(live, arena_bytes),
			pmf__human(arena_bytes, h3, sizeof(h3)));
	if (an->pinned_arenas > 0) {
		pmf__out_printf(o,
				" %llu arena%s (%s) %s held open by %.1f%% of "
				"the live blocks",
				(unsigned long long)an->pinned_arenas,
				an->pinned_arenas == 1 ? "" : "s",
				pmf__human(an->pinned_arenas * in->arena_size,
					   h1, sizeof(h1)),
				an->pinned_arenas == 1 ? "is" : "are",
				pct(an->pinned_live_blocks, blocks_in_use(it)));
		top_types(an->types, an->ntypes, types, sizeof(types));
		if (types[0] != '\0')
			pmf__out_printf(o, ", mostly %s", types);
		pmf__out_puts(o, ".");
	}
	if (an->stranded_bytes > 0) {
		pmf__out_printf(o,
				" Perfectly packed, the live blocks would "
				"need %llu arena%s: %s is stranded",
				(unsigned long long)an->packed_arenas,
				an->packed_arenas == 1 ? "" : "s",
				pmf__human(an->stranded_bytes, h1, sizeof(h1)));
		top_types(an->stranded_types, an->nstranded_types, types,
			  sizeof(types));
		if (types[0] != '\0')
			pmf__out_printf(o, ", held there by %s", types);
		pmf__out_puts(o, ".");
	}
	if (it->arenas.highwater > it->arenas.current)
		pmf__out_printf(o,
				" The process is %llu arena%s below its "
				"high-water mark of %llu.",
				(unsigned long long)(it->arenas.highwater -
						     it->arenas.current),
				it->arenas.highwater - it->arenas.current == 1
					? ""
					: "s",
				(unsigned long long)it->arenas.highwater);
	pmf__out_puts(o, "\n");
}

static void
residency_row(struct pmf__out *o, const char *label,
	      const struct pmf_residency *r, uint64_t total, bool res)
{
	char n[32], h[32], rh[32], sh[32];
	pmf__out_printf(o, "    %-22s %15s %6.2f%% %10s", label,
			pmf__commas(r->bytes, n, sizeof(n)),
			pct(r->bytes, total),
			pmf__human(r->bytes, h, sizeof(h)));
	if (res)
		pmf__out_printf(o, " %10s %10s",
				pmf__human(r->resident_bytes, rh, sizeof(rh)),
				pmf__human(r->swapped_bytes, sh, sizeof(sh)));
	pmf__out_puts(o, "\n");
}

static void
residency(const struct pmf_analysis *an, struct pmf__out *o)
{
	static const char *const labels[PMF_REGION_COUNT] = {
		[PMF_REGION_LIVE_BLOCKS] = "live blocks",
		[PMF_REGION_FREE_BLOCKS] = "free blocks in pools",
		[PMF_REGION_EMPTY_POOLS] = "cached empty pools",
		[PMF_REGION_UNTOUCHED_POOLS] = "never-touched pools",
		[PMF_REGION_POOL_HEADERS] = "pool headers",
		[PMF_REGION_QUANTIZATION] = "quantization",
		[PMF_REGION_ALIGNMENT] = "arena alignment",
	};
	bool res = an->residency_valid;
	pmf__out_printf(o, "\n  where the arena bytes are, and what is in RAM%s\n",
			res ? "" : " (pagemap unreadable: residency unknown)");
	pmf__out_printf(o, "    %-22s %15s %7s %10s%s\n", "", "bytes", "",
			"", res ? "   resident    swapped" : "");
	for (int r = 0; r < PMF_REGION_COUNT; r++)
		residency_row(o, labels[r], &an->regions[r], an->total.bytes,
			      res);
	residency_row(o, "total", &an->total, an->total.bytes, res);
}

static void
histogram(const struct pmf_analysis *an, struct pmf__out *o)
{
	uint64_t max = 0;
	for (int b = 0; b < PMF_HISTOGRAM_BUCKETS; b++)
		if (an->histogram[b] > max)
			max = an->histogram[b];
	pmf__out_puts(o, "\n  arenas by utilization (live block bytes / "
			 "arena size)\n");
	for (int b = 0; b < PMF_HISTOGRAM_BUCKETS; b++) {
		char bar[41];
		size_t w = max ? (size_t)(an->histogram[b] * 40 / max) : 0;
		if (w == 0 && an->histogram[b] > 0)
			w = 1;
		memset(bar, '#', w);
		bar[w] = '\0';
		pmf__out_printf(o, "    %3d-%3d%%  %8llu  %s\n", b * 10,
				b * 10 + 10,
				(unsigned long long)an->histogram[b], bar);
	}
}

static void
highwater(const struct pmf_snapshot_info *in,
	  const struct pmf_interp_stats *it, const struct pmf_analysis *an,
	  struct pmf__out *o)
{
	char h1[32], h2[32];
	const struct pmf_arena_counters *a = &it->arenas;
	pmf__out_puts(o, "\n  high-water mark\n");
	pmf__out_printf(o, "    arenas now %llu, at most %llu (%llu below)\n",
			(unsigned long long)a->current,
			(unsigned long long)a->highwater,
			(unsigned long long)(a->highwater > a->current
						     ? a->highwater - a->current
						     : 0));
	if (in->process.valid)
		pmf__out_printf(o, "    RSS %s, peak RSS (VmHWM) %s\n",
				pmf__human(in->process.rss_bytes, h1,
					   sizeof(h1)),
				pmf__human(in->process.hwm_bytes, h2,
					   sizeof(h2)));
	pmf__out_printf(o,
			"    perfectly packed, the live blocks need %llu "
			"arena%s; stranded %s\n",
			(unsigned long long)an->packed_arenas,
			an->packed_arenas == 1 ? "" : "s",
			pmf__human(an->stranded_bytes, h1, sizeof(h1)));
}

static void
type_rows(struct pmf__out *o, const struct pmf_type_count *v, size_t n,
	  unsigned top, const char *indent)
{
	uint64_t total = 0;
	char c[32], b[32];
	for (size_t i = 0; i < n; i++)
		total += v[i].count;
	for (size_t i = 0; i < n && i < top; i++)
		pmf__out_printf(o, "%s%-40s %12s %14s %6.1f%%\n", indent,
				v[i].name, pmf__commas(v[i].count, c, sizeof(c)),
				pmf__commas(v[i].bytes, b, sizeof(b)),
				pct(v[i].count, total));
	if (n > top)
		pmf__out_printf(o, "%s(%zu more)\n", indent, n - top);
}

/* The TOP least utilized arenas of state IDX that PICK selects, one
 * row each, as the attribution read them. */
static unsigned
arena_rows(const struct pmf_snapshot *s, size_t idx, unsigned top,
	   bool (*pick)(const struct pmf_arena *a), struct pmf__out *o)
{
	char c[32];
	size_t n;
	const struct pmf_arena *v = pmf_snapshot_arenas(s, idx, &n);
	pmf__out_printf(o, "    %-18s %6s %6s %10s  %s\n", "arena", "util",
			"pools", "live", "mostly");
	/* One selection pass per row keeps this O(top * n). */
	unsigned shown = 0;
	uint64_t last_live = 0, last_addr = 0;
	for (; shown < top; shown++) {
		size_t best = n;
		for (size_t k = 0; k < n; k++) {
			const struct pmf_arena *a = &v[k];
			if (!pick(a))
				continue;
			bool after = shown == 0 || a->bytes_live > last_live ||
				     (a->bytes_live == last_live &&
				      a->address > last_addr);
			if (!after)
				continue;
			if (best == n || a->bytes_live < v[best].bytes_live ||
			    (a->bytes_live == v[best].bytes_live &&
			     a->address < v[best].address))
				best = k;
		}
		if (best == n)
			break;
		const struct pmf_arena *a = &v[best];
		size_t nt = 0;
		const struct pmf_type_count *t =
			pmf_snapshot_arena_types(s, idx, best, &nt);
		pmf__out_printf(o, "    0x%-16llx %5.1f%% %6u %10s  %s\n",
				(unsigned long long)a->address,
				a->utilization * 100.0, a->pools_used,
				pmf__commas(a->blocks_live, c, sizeof(c)),
				a->examined ? mostly(t, nt) : "(not read)");
		last_live = a->bytes_live;
		last_addr = a->address;
	}
	return shown;
}

static bool
pick_pinned(const struct pmf_arena *a)
{
	return a->pinned;
}

static bool
pick_stranded_only(const struct pmf_arena *a)
{
	return a->stranded && !a->pinned && a->blocks_live > 0;
}

/* "read in all of them", "read in 64 of them (--examine)". */
static void
read_note(uint64_t read, uint64_t of, struct pmf__out *o)
{
	if (read >= of)
		pmf__out_printf(o, "all %s", of == 1 ? "read" : "of them read");
	else
		pmf__out_printf(o, "%llu of them read (--examine)",
				(unsigned long long)read);
}

/* "what pins them": the types of V (N), from the READ arenas of a
 * KIND. */
static void
type_table(struct pmf__out *o, const char *verb, const char *kind,
	   uint64_t read, const struct pmf_type_count *v, size_t n,
	   unsigned top)
{
	if (n == 0)
		return;
	pmf__out_printf(o, "\n  what %s them (live blocks in the %llu %s "
			   "arena%s read)\n",
			verb, (unsigned long long)read, kind,
			read == 1 ? "" : "s");
	pmf__out_printf(o, "    %-40s %12s %14s %7s\n", "type", "blocks",
			"bytes", "share");
	type_rows(o, v, n, top, "    ");
}

static void
pinned(const struct pmf_snapshot *s, size_t idx,
       const struct pmf_analysis *an, unsigned top, struct pmf__out *o)
{
	char h[32], c[32];
	pmf__out_printf(o,
			"\n  pinned arenas (utilization below %.0f%%): %llu, "
			"holding %s live blocks (%s)",
			an->pinned_below * 100.0,
			(unsigned long long)an->pinned_arenas,
			pmf__commas(an->pinned_live_blocks, c, sizeof(c)),
			pmf__human(an->pinned_live_bytes, h, sizeof(h)));
	if (an->pinned_arenas == 0) {
		pmf__out_puts(o, "\n");
		return;
	}
	pmf__out_puts(o, "; ");
	read_note(an->pinned_examined, an->pinned_arenas, o);
	pmf__out_puts(o, "\n");
	unsigned shown = arena_rows(s, idx, top, pick_pinned, o);
	if (an->pinned_arenas > shown)
		pmf__out_printf(o, "    (%llu more)\n",
				(unsigned long long)(an->pinned_arenas -
						     shown));
	type_table(o, "pins", "pinned", an->pinned_examined, an->types,
		   an->ntypes, top);
}

/* Where the stranded bytes are, when that is more than the pinned
 * arenas. */
static void
stranded(const struct pmf_snapshot *s, size_t idx,
	 const struct pmf_analysis *an, unsigned top, struct pmf__out *o)
{
	char h[32];
	if (an->stranded_arenas == 0)
		return;
	size_t n;
	const struct pmf_arena *v = pmf_snapshot_arenas(s, idx, &n);
	uint64_t extra = 0;
	for (size_t k = 0; k < n; k++)
		extra += pick_stranded_only(&v[k]);
	pmf__out_printf(o,
			"\n  stranded %s: the %llu least utilized arena%s "
			"(perfect packing would empty them); ",
			pmf__human(an->stranded_bytes, h, sizeof(h)),
			(unsigned long long)an->stranded_arenas,
			an->stranded_arenas == 1 ? "" : "s");
	read_note(an->stranded_examined, an->stranded_arenas, o);
	pmf__out_printf(o, ", %.0f%% of the stranded bytes\n",
			pct(an->stranded_examined, an->stranded_arenas));
	if (extra > 0) {
		pmf__out_printf(o, "    of them not pinned: %llu\n",
				(unsigned long long)extra);
		unsigned shown = arena_rows(s, idx, top, pick_stranded_only, o);
		if (extra > shown)
			pmf__out_printf(o, "    (%llu more)\n",
					(unsigned long long)(extra - shown));
	}
	/* The pinned table says it all when every stranded arena is
	 * pinned. */
	if (extra > 0)
		type_table(o, "strands", "stranded", an->stranded_examined,
			   an->stranded_types, an->nstranded_types, top);
}

static void
freelists(const struct pmf_interp_stats *it, struct pmf__out *o)
{
	char c[32], b[32];
	if (!it->has_freelists || it->nfreelists == 0)
		return;
	pmf__out_puts(o, "\n  object free lists\n");
	for (unsigned i = 0; i < it->nfreelists; i++) {
		const struct pmf_freelist *f = &it->freelists[i];
		if (f->count == 0)
			continue;
		pmf__out_printf(o, "    %-32s %8s %12s bytes\n", f->name,
				pmf__commas(f->count, c, sizeof(c)),
				pmf__commas(f->count * f->object_size, b,
					    sizeof(b)));
	}
}

void
pmf__text_analysis(const struct pmf_snapshot *s, size_t idx, unsigned top,
		   struct pmf__out *o)
{
	const struct pmf_analysis *an = pmf_snapshot_analysis(s, idx);
	const struct pmf_interp_stats *it = &s->interps[idx];
	if (an != NULL && an->valid) {
		residency(an, o);
		histogram(an, o);
		highwater(&s->info, it, an, o);
		pinned(s, idx, an, top, o);
		stranded(s, idx, an, top, o);
	}
	freelists(it, o);
}
