/* SPDX-License-Identifier: MIT */
/*
 * fmt_prom.c - the report as Prometheus metrics: text exposition format
 * 0.0.4, for scraping or for node_exporter's textfile collector.  Every
 * metric is documented in doc/prometheus.md; names and labels are an
 * interface, so they change only with that file.
 *
 * Rules kept here: one family at a time, each preceded by its HELP and
 * TYPE; names prefixed pymalloc_, values in base units (bytes, seconds);
 * counters end in _total; label sets are bounded (interpreter, size class,
 * region, kind, utilization bucket, the top-N types) - never one series
 * per arena, whose number follows the heap.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"

/* A label: name and raw (unescaped) value. */
struct lbl {
	const char *k, *v;
};

/* A label list ending with {NULL, NULL}. */
#define LBL(...) ((const struct lbl[]){__VA_ARGS__, {NULL, NULL}})
#define NOLBL ((const struct lbl[]){{NULL, NULL}})

struct prom {
	struct pmf__out *o;
	const char *name, *type, *help; /* the family being written */
	bool announced;                 /* its HELP and TYPE are out */
	const char *interp;             /* the interpreter label, or NULL */
	char interp_buf[24];
};

/* Starts a family.  Its HELP and TYPE are written with its first sample,
 * so a family with no sample (no process data, no analysis) leaves no
 * trace. */
static void
family(struct prom *p, const char *name, const char *type, const char *help)
{
	p->name = name;
	p->type = type;
	p->help = help;
	p->announced = false;
	p->interp = NULL;
}

/* Writes S escaped: backslash and newline always, the double quote only
 * in label values (HELP text keeps it as is). */
static void
escaped(struct pmf__out *o, const char *s, bool quote)
{
	const char *run = s;
	for (; *s != '\0'; s++) {
		const char *rep;
		if (*s == '\\')
			rep = "\\\\";
		else if (*s == '\n')
			rep = "\\n";
		else if (quote && *s == '"')
			rep = "\\\"";
		else
			continue;
		pmf__out_write(o, run, (size_t)(s - run));
		pmf__out_puts(o, rep);
		run = s + 1;
	}
	pmf__out_write(o, run, (size_t)(s - run));
}

static void
label(struct pmf__out *o, bool first, const char *k, const char *v)
{
	pmf__out_printf(o, "%s%s=\"", first ? "{" : ",", k);
	escaped(o, v, true);
	pmf__out_puts(o, "\"");
}

/* One sample of the current family: the interpreter label when one is
 * set, then L, then VALUE (already formatted). */
static void
sample(struct prom *p, const struct lbl *l, const char *value)
{
	struct pmf__out *o = p->o;
	if (!p->announced) {
		pmf__out_printf(o, "# HELP %s ", p->name);
		escaped(o, p->help, false);
		pmf__out_printf(o, "\n# TYPE %s %s\n", p->name, p->type);
		p->announced = true;
	}
	pmf__out_puts(o, p->name);
	bool first = true;
	if (p->interp != NULL) {
		label(o, first, "interpreter", p->interp);
		first = false;
	}
	for (; l->k != NULL; l++, first = false)
		label(o, first, l->k, l->v);
	pmf__out_printf(o, "%s %s\n", first ? "" : "}", value);
}

static void
u64(struct prom *p, const struct lbl *l, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
	sample(p, l, b);
}

/* Microseconds as exact decimal seconds: "0.003320", not
 * "0.0033200000000000001". */
static void
seconds_us(struct prom *p, uint64_t us)
{
	char b[32];
	snprintf(b, sizeof(b), "%llu.%06llu", (unsigned long long)(us / 1000000),
		 (unsigned long long)(us % 1000000));
	sample(p, NOLBL, b);
}

/* The interpreter label of the family's samples that follow. */
static void
set_interp(struct prom *p, const struct pmf_interp_stats *it)
{
	snprintf(p->interp_buf, sizeof(p->interp_buf), "%lld",
		 (long long)it->id);
	p->interp = p->interp_buf;
}

static uint64_t
field_u64(const void *base, size_t off)
{
	uint64_t v;
	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* ------------------------------------------------------------------ */
/* The snapshot and the process                                        */
/* ------------------------------------------------------------------ */

static void
snapshot_meta(struct prom *p, const struct pmf_snapshot *s)
{
	const struct pmf_snapshot_info *in = &s->info;
	char b[48];

	family(p, "pymalloc_info", "gauge",
	       "Always 1; the labels describe the target and how its "
	       "allocator state was found.");
	sample(p,
	       LBL({"python_version", in->python.version},
		   {"allocator", pmf_allocator_name(in->allocator)},
		   {"locate_method", pmf_locate_name(in->locate_method)},
		   {"pymfrag_version", PMF_VERSION_STRING}),
	       "1");

	family(p, "pymalloc_snapshot_timestamp_seconds", "gauge",
	       "When the snapshot's walk started, in seconds since the Unix "
	       "epoch.");
	int64_t ns = in->time_unix_ns > 0 ? in->time_unix_ns : 0;
	snprintf(b, sizeof(b), "%lld.%03lld", (long long)(ns / 1000000000),
		 (long long)(ns / 1000000 % 1000));
	sample(p, NOLBL, b);

	family(p, "pymalloc_snapshot_pause_seconds", "gauge",
	       "How long the target's threads were stopped for the "
	       "snapshot (0 with --nonblocking).");
	seconds_us(p, in->pause_us);
	family(p, "pymalloc_snapshot_walk_seconds", "gauge",
	       "Time spent reading the allocator state.");
	seconds_us(p, in->walk_us);
	family(p, "pymalloc_snapshot_retries", "gauge",
	       "Walks of this snapshot repeated because the allocator was "
	       "caught mid-update.");
	u64(p, NOLBL, in->retries);
	family(p, "pymalloc_snapshot_threads_stopped", "gauge",
	       "Threads of the target held during the walk.");
	u64(p, NOLBL, in->threads_stopped);
	family(p, "pymalloc_snapshot_nonblocking", "gauge",
	       "1 when the target was not stopped (--nonblocking), else 0.");
	u64(p, NOLBL, in->nonblocking ? 1 : 0);
	family(p, "pymalloc_interpreters", "gauge",
	       "Allocator states in the target (the main interpreter's and "
	       "those of subinterpreters with their own); 0 when pymalloc "
	       "is not in use.");
	u64(p, NOLBL, in->ninterps);
	if (s->n > 0) {
		family(p, "pymalloc_arena_size_bytes", "gauge",
		       "Size of one pymalloc arena.");
		u64(p, NOLBL, in->arena_size);
		family(p, "pymalloc_pool_size_bytes", "gauge",
		       "Size of one pymalloc pool.");
		u64(p, NOLBL, in->pool_size);
	}
}

static void
process(struct prom *p, const struct pmf_process_mem *pm, bool fast)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} basic[] = {
		{"pymalloc_process_rss_bytes",
		 "Resident set size of the target (smaps_rollup Rss).",
		 offsetof(struct pmf_process_mem, rss_bytes)},
		{"pymalloc_process_pss_bytes",
		 "Proportional set size of the target (smaps_rollup Pss).",
		 offsetof(struct pmf_process_mem, pss_bytes)},
		{"pymalloc_process_swap_bytes",
		 "Swapped-out memory of the target.",
		 offsetof(struct pmf_process_mem, swap_bytes)},
		{"pymalloc_process_peak_rss_bytes",
		 "Peak resident set size of the target (VmHWM).",
		 offsetof(struct pmf_process_mem, hwm_bytes)},
	};
	static const struct {
		const char *kind;
		size_t off;
	} split[] = {
		{"arena", offsetof(struct pmf_process_mem, arena_bytes)},
		{"other_anon", offsetof(struct pmf_process_mem, other_anon_bytes)},
		{"stack", offsetof(struct pmf_process_mem, stack_bytes)},
		{"file", offsetof(struct pmf_process_mem, file_bytes)},
	};
	if (!pm->valid)
		return;
	for (size_t i = 0; i < PMF_ARRAY_SIZE(basic); i++) {
		/* No PSS was read (PMF_SNAP_PROCESS_FAST): no sample. */
		if (fast && basic[i].off ==
				    offsetof(struct pmf_process_mem, pss_bytes))
			continue;
		family(p, basic[i].name, "gauge", basic[i].help);
		u64(p, NOLBL, field_u64(pm, basic[i].off));
	}
	family(p, "pymalloc_process_threads", "gauge",
	       "Threads in the target.");
	u64(p, NOLBL, pm->threads);
	if (!pm->split_valid)
		return;
	family(p, "pymalloc_process_uss_bytes", "gauge",
	       "Unique set size: private resident pages, freed if the "
	       "target exited.");
	u64(p, NOLBL, pm->uss_bytes);
	family(p, "pymalloc_process_rss_split_bytes", "gauge",
	       "The resident set by what holds it: pymalloc arenas, other "
	       "anonymous memory, thread stacks, file-backed pages.  The "
	       "kinds add up to the RSS.");
	for (size_t i = 0; i < PMF_ARRAY_SIZE(split); i++)
		u64(p, LBL({"kind", split[i].kind}), field_u64(pm, split[i].off));
}

/* ------------------------------------------------------------------ */
/* Each allocator state                                                */
/* ------------------------------------------------------------------ */

static void
arenas(struct prom *p, const struct pmf__sel *sel)
{
#define IT_OFF(f) offsetof(struct pmf_interp_stats, f)
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} scalars[] = {
		{"pymalloc_arenas", "gauge", "Arenas currently allocated.",
		 IT_OFF(arenas.current)},
		{"pymalloc_arenas_highwater", "gauge",
		 "Most arenas ever allocated at once.", IT_OFF(arenas.highwater)},
		{"pymalloc_arenas_allocated_total", "counter",
		 "Arenas allocated since the interpreter started.",
		 IT_OFF(arenas.allocated_total)},
		{"pymalloc_arenas_reclaimed_total", "counter",
		 "Arenas returned to the system since the interpreter "
		 "started.",
		 IT_OFF(arenas.reclaimed)},
		{"pymalloc_unused_pools", "gauge",
		 "Pools in allocated arenas that hold no block.",
		 IT_OFF(bytes.unused_pool_count)},
		{"pymalloc_snapshot_pools_failed_validation", "gauge",
		 "Pools left out of this snapshot because they changed while "
		 "read (--nonblocking).",
		 IT_OFF(pools_failed_validation)},
	};
	static const struct {
		const char *kind;
		size_t off;
	} partition[] = {
		{"allocated_blocks", IT_OFF(bytes.allocated_blocks)},
		{"available_blocks", IT_OFF(bytes.available_blocks)},
		{"unused_pools", IT_OFF(bytes.unused_pools)},
		{"pool_headers", IT_OFF(bytes.pool_headers)},
		{"quantization", IT_OFF(bytes.quantization)},
		{"arena_alignment", IT_OFF(bytes.arena_alignment)},
	};
#undef IT_OFF
	for (size_t f = 0; f < PMF_ARRAY_SIZE(scalars); f++) {
		family(p, scalars[f].name, scalars[f].type, scalars[f].help);
		for (size_t k = 0; k < sel->n; k++) {
			set_interp(p, sel->v[k]);
			u64(p, NOLBL, field_u64(sel->v[k], scalars[f].off));
		}
	}
	family(p, "pymalloc_arena_partition_bytes", "gauge",
	       "CPython's partition of the allocated arenas' bytes (as "
	       "sys._debugmallocstats() prints it); the kinds add up to "
	       "arenas * arena size.");
	for (size_t k = 0; k < sel->n; k++) {
		set_interp(p, sel->v[k]);
		for (size_t i = 0; i < PMF_ARRAY_SIZE(partition); i++)
			u64(p, LBL({"kind", partition[i].kind}),
			    field_u64(sel->v[k], partition[i].off));
	}
	family(p, "pymalloc_arena_map_bytes", "gauge",
	       "Memory of the radix tree that maps addresses to arenas "
	       "(3.10+).");
	for (size_t k = 0; k < sel->n; k++) {
		if (!sel->v[k]->arena_map.present)
			continue;
		set_interp(p, sel->v[k]);
		u64(p, NOLBL, sel->v[k]->arena_map.total_bytes);
	}
}

enum class_metric {
	CM_POOLS,
	CM_BLOCKS_IN_USE,
	CM_BLOCKS_AVAILABLE,
	CM_ALLOCATED_BYTES,
	CM_WASTE_BYTES,
};

static uint64_t
class_value(enum class_metric m, const struct pmf_class_stats *c,
	    const struct pmf_snapshot_info *in)
{
	switch (m) {
	case CM_POOLS:
		return c->pools;
	case CM_BLOCKS_IN_USE:
		return c->blocks_in_use;
	case CM_BLOCKS_AVAILABLE:
		return c->blocks_available;
	case CM_ALLOCATED_BYTES:
		return c->blocks_in_use * c->size;
	case CM_WASTE_BYTES:
		return pmf_class_waste(c, in->pool_size, in->pool_overhead);
	}
	return 0;
}

/* Every class is written, empty ones too: a series that disappears when
 * its class empties would read as "no data", not as 0. */
static void
classes(struct prom *p, const struct pmf_snapshot *s,
	const struct pmf__sel *sel)
{
	static const struct {
		const char *name, *help;
		enum class_metric m;
	} metrics[] = {
		{"pymalloc_class_pools", "Pools of the size class in use.",
		 CM_POOLS},
		{"pymalloc_class_blocks_in_use",
		 "Allocated blocks of the size class.", CM_BLOCKS_IN_USE},
		{"pymalloc_class_blocks_available",
		 "Free blocks in the size class's pools in use.",
		 CM_BLOCKS_AVAILABLE},
		{"pymalloc_class_allocated_bytes",
		 "Bytes of the size class's allocated blocks.",
		 CM_ALLOCATED_BYTES},
		{"pymalloc_class_waste_bytes",
		 "Bytes the size class's pools in use hold but do not use: "
		 "free blocks, pool headers and pool tails too small for a "
		 "block.",
		 CM_WASTE_BYTES},
	};
	char idx[12], size[12];
	for (size_t f = 0; f < PMF_ARRAY_SIZE(metrics); f++) {
		family(p, metrics[f].name, "gauge", metrics[f].help);
		for (size_t k = 0; k < sel->n; k++) {
			const struct pmf_interp_stats *it = sel->v[k];
			set_interp(p, it);
			for (unsigned i = 0; i < it->nclasses; i++) {
				const struct pmf_class_stats *c = &it->classes[i];
				snprintf(idx, sizeof(idx), "%u", c->index);
				snprintf(size, sizeof(size), "%u", c->size);
				u64(p,
				    LBL({"size_class", idx},
					{"block_size", size}),
				    class_value(metrics[f].m, c, &s->info));
			}
		}
	}
}

/* ------------------------------------------------------------------ */
/* The fragmentation analysis                                          */
/* ------------------------------------------------------------------ */

/* The analysis of selected state K, with the interpreter label set for
 * the samples that follow; NULL when it was not made. */
static const struct pmf_analysis *
analysis(struct prom *p, const struct pmf_snapshot *s,
	 const struct pmf__sel *sel, size_t k)
{
	const struct pmf_analysis *a = pmf_snapshot_analysis(s, sel->idx[k]);
	if (a == NULL || !a->valid)
		return NULL;
	set_interp(p, sel->v[k]);
	return a;
}

static void
regions(struct prom *p, const struct pmf_snapshot *s,
	const struct pmf__sel *sel)
{
	static const struct {
		const char *name, *help;
		size_t off;
		bool residency; /* needs residency_valid */
	} metrics[] = {
		{"pymalloc_region_bytes",
		 "Where every byte of the allocated arenas is; the regions "
		 "add up to arenas * arena size.",
		 offsetof(struct pmf_residency, bytes), false},
		{"pymalloc_region_resident_bytes",
		 "Bytes of each arena region that are in RAM.",
		 offsetof(struct pmf_residency, resident_bytes), true},
		{"pymalloc_region_swapped_bytes",
		 "Bytes of each arena region that are in swap.",
		 offsetof(struct pmf_residency, swapped_bytes), true},
	};
	for (size_t f = 0; f < PMF_ARRAY_SIZE(metrics); f++) {
		family(p, metrics[f].name, "gauge", metrics[f].help);
		for (size_t k = 0; k < sel->n; k++) {
			const struct pmf_analysis *a = analysis(p, s, sel, k);
			if (a == NULL ||
			    (metrics[f].residency && !a->residency_valid))
				continue;
			for (int r = 0; r < PMF_REGION_COUNT; r++)
				u64(p,
				    LBL({"region",
					 pmf_region_name((enum pmf_region)r)}),
				    field_u64(&a->regions[r], metrics[f].off));
		}
	}
}

static void
utilization(struct prom *p, const struct pmf_snapshot *s,
	    const struct pmf__sel *sel)
{
	char bucket[16];
	family(p, "pymalloc_arenas_by_utilization", "gauge",
	       "Arenas by utilization (live block bytes / arena size), in "
	       "buckets of 10% labelled lower-upper; a full arena counts in "
	       "0.9-1.0.  Not cumulative.");
	for (size_t k = 0; k < sel->n; k++) {
		const struct pmf_analysis *a = analysis(p, s, sel, k);
		if (a == NULL)
			continue;
		for (unsigned i = 0; i < PMF_HISTOGRAM_BUCKETS; i++) {
			snprintf(bucket, sizeof(bucket), "%.1f-%.1f",
				 (double)i / PMF_HISTOGRAM_BUCKETS,
				 (double)(i + 1) / PMF_HISTOGRAM_BUCKETS);
			u64(p, LBL({"utilization", bucket}), a->histogram[i]);
		}
	}
}

static void
analysis_scalars(struct prom *p, const struct pmf_snapshot *s,
		 const struct pmf__sel *sel)
{
#define AN_OFF(f) offsetof(struct pmf_analysis, f)
	static const struct {
		const char *name, *help;
		size_t off;
		bool ratio; /* a double, not a uint64_t */
	} scalars[] = {
		{"pymalloc_packed_arenas",
		 "Arenas the live blocks would need if perfectly packed.",
		 AN_OFF(packed_arenas)},
		{"pymalloc_stranded_bytes",
		 "Arena bytes beyond what perfectly packed live blocks would "
		 "need: (arenas - packed arenas) * arena size.",
		 AN_OFF(stranded_bytes)},
		{"pymalloc_pinned_arenas",
		 "Arenas whose utilization is below the pinned threshold: "
		 "kept allocated by few live blocks.",
		 AN_OFF(pinned_arenas)},
		{"pymalloc_pinned_live_blocks",
		 "Live blocks in the pinned arenas.", AN_OFF(pinned_live_blocks)},
		{"pymalloc_pinned_live_bytes",
		 "Bytes of the live blocks in the pinned arenas.",
		 AN_OFF(pinned_live_bytes)},
		{"pymalloc_pinned_examined_arenas",
		 "Pinned arenas whose objects were identified (see "
		 "pymalloc_pinned_type_bytes).",
		 AN_OFF(pinned_examined)},
		{"pymalloc_stranded_arenas",
		 "Arenas that hold the stranded bytes: the least utilized, "
		 "stranded bytes / arena size of them.",
		 AN_OFF(stranded_arenas)},
		{"pymalloc_stranded_examined_arenas",
		 "Stranded arenas whose objects were identified (or that hold "
		 "none); divided by pymalloc_stranded_arenas, the share of the "
		 "stranded bytes pymalloc_stranded_type_bytes covers.",
		 AN_OFF(stranded_examined)},
		{"pymalloc_pinned_threshold_ratio",
		 "The utilization below which an arena counts as pinned "
		 "(--pinned-below / 100).",
		 AN_OFF(pinned_below), true},
	};
#undef AN_OFF
	char b[32];
	for (size_t f = 0; f < PMF_ARRAY_SIZE(scalars); f++) {
		family(p, scalars[f].name, "gauge", scalars[f].help);
		for (size_t k = 0; k < sel->n; k++) {
			const struct pmf_analysis *a = analysis(p, s, sel, k);
			if (a == NULL)
				continue;
			if (!scalars[f].ratio) {
				u64(p, NOLBL, field_u64(a, scalars[f].off));
				continue;
			}
			double v;
			memcpy(&v, (const char *)a + scalars[f].off, sizeof(v));
			snprintf(b, sizeof(b), "%.6g", v);
			sample(p, NOLBL, b);
		}
	}
}

/* One row of the pinned-type list: a type name and its sums. */
struct type_row {
	const char *name;
	uint64_t count, bytes;
};

#define OTHER_TYPE "<other>"

/* The top TOP types of A by bytes, folded by name (two classes of one
 * name are one series: the label cannot tell them apart), and the rest
 * summed as "<other>".  Returns the number of rows put in ROWS (room for
 * TOP + 1), and the rest in *REST. */
static size_t
top_types(const struct pmf_type_count *v, size_t nv, unsigned top,
	  struct type_row *rows, struct type_row *rest)
{
	size_t n = 0;
	*rest = (struct type_row){.name = OTHER_TYPE};
	for (size_t i = 0; i < nv; i++) {
		const struct pmf_type_count *t = &v[i];
		struct type_row *r = NULL;
		for (size_t j = 0; j < n && r == NULL; j++)
			if (strcmp(rows[j].name, t->name) == 0)
				r = &rows[j];
		if (r == NULL && n < top) {
			r = &rows[n++];
			*r = (struct type_row){.name = t->name};
		}
		if (r == NULL)
			r = rest;
		r->count += t->count;
		r->bytes += t->bytes;
	}
	/* A real type named "<other>" among the top takes the rest, so the
	 * series stays unique. */
	for (size_t j = 0; j < n; j++)
		if (strcmp(rows[j].name, OTHER_TYPE) == 0) {
			rows[j].count += rest->count;
			rows[j].bytes += rest->bytes;
			*rest = (struct type_row){.name = OTHER_TYPE};
		}
	if (rest->count > 0 || rest->bytes > 0)
		rows[n++] = *rest;
	return n;
}

/* The types of the pinned (STRANDED false) or the stranded arenas, as
 * two families: bytes and blocks. */
static void
type_families(struct prom *p, const struct pmf_snapshot *s,
	      const struct pmf__sel *sel, bool stranded)
{
	struct type_row *rows[256] = {NULL};
	size_t nrows[256] = {0};
	for (size_t k = 0; k < sel->n; k++) {
		const struct pmf_analysis *a = analysis(p, s, sel, k);
		if (a == NULL)
			continue;
		const struct pmf_type_count *v =
			stranded ? a->stranded_types : a->types;
		size_t nv = stranded ? a->nstranded_types : a->ntypes;
		if (nv == 0)
			continue;
		size_t cap = nv < sel->top ? nv : sel->top;
		struct type_row rest;
		rows[k] = calloc(cap + 1, sizeof(*rows[k]));
		if (rows[k] == NULL) {
			/* Sticky, like a failed write: the caller gets
			 * PMF_ENOMEM and the rest is dropped. */
			p->o->err = PMF_ENOMEM;
			goto out;
		}
		nrows[k] = top_types(v, nv, (unsigned)cap, rows[k], &rest);
	}
	static const struct {
		const char *name, *help;
		bool bytes;
	} metrics[2][2] = {
		{{"pymalloc_pinned_type_bytes",
		  "Block bytes of the live blocks in the examined pinned "
		  "arenas, by type (named as repr(type) names it): the top "
		  "types by bytes, the rest summed as <other>.  Buffers are "
		  "<list items>, <dict keys>, <dict values>, <set table> "
		  "(by their owner) or <non-object>; objects on a free list "
		  "<free-listed>; what could not be decided <unknown>.",
		  true},
		 {"pymalloc_pinned_type_blocks",
		  "Live blocks in the examined pinned arenas, by type (the "
		  "same types as pymalloc_pinned_type_bytes).",
		  false}},
		{{"pymalloc_stranded_type_bytes",
		  "Block bytes of the live blocks in the examined stranded "
		  "arenas (the least utilized, which hold the stranded "
		  "bytes), by type, as pymalloc_pinned_type_bytes.",
		  true},
		 {"pymalloc_stranded_type_blocks",
		  "Live blocks in the examined stranded arenas, by type (the "
		  "same types as pymalloc_stranded_type_bytes).",
		  false}},
	};
	for (size_t f = 0; f < 2; f++) {
		const char *name = metrics[stranded][f].name;
		family(p, name, "gauge", metrics[stranded][f].help);
		for (size_t k = 0; k < sel->n; k++) {
			set_interp(p, sel->v[k]);
			for (size_t j = 0; j < nrows[k]; j++)
				u64(p, LBL({"type", rows[k][j].name}),
				    metrics[stranded][f].bytes
					    ? rows[k][j].bytes
					    : rows[k][j].count);
		}
	}
out:
	for (size_t k = 0; k < sel->n; k++)
		free(rows[k]);
}

void
pmf__fmt_prom(const struct pmf_snapshot *s, const struct pmf__sel *sel,
	      struct pmf__out *o)
{
	struct prom p = {.o = o};
	snapshot_meta(&p, s);
	process(&p, &s->info.process, s->info.process_fast);
	arenas(&p, sel);
	classes(&p, s, sel);
	regions(&p, s, sel);
	utilization(&p, s, sel);
	analysis_scalars(&p, s, sel);
	type_families(&p, s, sel, false);
	type_families(&p, s, sel, true);
}
