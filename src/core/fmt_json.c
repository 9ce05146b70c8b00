/* SPDX-License-Identifier: MIT */
/*
 * fmt_json.c - the JSON report, schema_version 2 (documented in
 * pymfrag(1) and doc/json-schema.md).  Keys are only ever added within a
 * schema version; renaming or removing one bumps it.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include "core/json.h"
#include "core/report.h"

#define SCHEMA_VERSION 2

static void
iso_time(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char base[32];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", base, (int)((ns / 1000000) % 1000));
}

/* KEY: V, or null when there is no value (HAVE false). */
static void
ku64_or_null(struct pmf__json *j, const char *key, bool have, uint64_t v)
{
	if (have) {
		pmf__json_ku64(j, key, v);
	} else {
		pmf__json_key(j, key);
		pmf__json_null(j);
	}
}

static void
python(struct pmf__json *j, const struct pmf_python *py)
{
	pmf__json_key(j, "python");
	pmf__json_obj_begin(j);
	pmf__json_kstr(j, "version", py->version);
	pmf__json_ku64(j, "hexversion", py->hexversion);
	pmf__json_kstr(j, "executable", py->executable);
	pmf__json_kstr(j, "image", py->image);
	pmf__json_kbool(j, "shared_library", py->shared_library);
	pmf__json_kbool(j, "free_threaded", py->free_threaded);
	pmf__json_kbool(j, "debug_build", py->debug_build);
	pmf__json_kstr(j, "version_source", py->version_source);
	pmf__json_kstr(j, "build_id", py->build_id);
	pmf__json_obj_end(j);
}

static void
residency(struct pmf__json *j, const char *key, const struct pmf_residency *r)
{
	pmf__json_key(j, key);
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "bytes", r->bytes);
	pmf__json_ku64(j, "resident_bytes", r->resident_bytes);
	pmf__json_ku64(j, "swapped_bytes", r->swapped_bytes);
	pmf__json_obj_end(j);
}

static void
type_list(struct pmf__json *j, const char *key,
	  const struct pmf_type_count *v, size_t n)
{
	pmf__json_key(j, key);
	pmf__json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		pmf__json_obj_begin(j);
		pmf__json_kstr(j, "name", v[i].name);
		pmf__json_ku64(j, "count", v[i].count);
		pmf__json_ku64(j, "bytes", v[i].bytes);
		pmf__json_obj_end(j);
	}
	pmf__json_arr_end(j);
}

static void
freelists(struct pmf__json *j, const struct pmf_interp_stats *it)
{
	pmf__json_key(j, "freelists");
	if (!it->has_freelists) {
		pmf__json_null(j);
		return;
	}
	pmf__json_arr_begin(j);
	for (unsigned i = 0; i < it->nfreelists; i++) {
		const struct pmf_freelist *f = &it->freelists[i];
		pmf__json_obj_begin(j);
		pmf__json_kstr(j, "name", f->name);
		pmf__json_ku64(j, "count", f->count);
		pmf__json_ku64(j, "object_size", f->object_size);
		pmf__json_ku64(j, "bytes", f->count * f->object_size);
		pmf__json_obj_end(j);
	}
	pmf__json_arr_end(j);
}

static void
analysis(struct pmf__json *j, const struct pmf_snapshot *s, size_t idx)
{
	const struct pmf_analysis *an = pmf_snapshot_analysis(s, idx);
	pmf__json_key(j, "analysis");
	if (an == NULL || !an->valid) {
		pmf__json_null(j);
		return;
	}
	pmf__json_obj_begin(j);
	pmf__json_kbool(j, "residency_valid", an->residency_valid);
	pmf__json_key(j, "regions");
	pmf__json_obj_begin(j);
	for (int r = 0; r < PMF_REGION_COUNT; r++)
		residency(j, pmf_region_name((enum pmf_region)r),
			  &an->regions[r]);
	pmf__json_obj_end(j);
	residency(j, "total", &an->total);
	pmf__json_key(j, "histogram");
	pmf__json_arr_begin(j);
	for (int b = 0; b < PMF_HISTOGRAM_BUCKETS; b++)
		pmf__json_u64(j, an->histogram[b]);
	pmf__json_arr_end(j);
	pmf__json_ku64(j, "packed_arenas", an->packed_arenas);
	pmf__json_ku64(j, "stranded_bytes", an->stranded_bytes);
	pmf__json_key(j, "pinned");
	pmf__json_obj_begin(j);
	pmf__json_kf64(j, "below", an->pinned_below);
	pmf__json_ku64(j, "arenas", an->pinned_arenas);
	pmf__json_ku64(j, "live_blocks", an->pinned_live_blocks);
	pmf__json_ku64(j, "live_bytes", an->pinned_live_bytes);
	pmf__json_ku64(j, "examined", an->pinned_examined);
	type_list(j, "types", an->types, an->ntypes);
	pmf__json_obj_end(j);
	pmf__json_key(j, "stranded");
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "arenas", an->stranded_arenas);
	pmf__json_ku64(j, "examined", an->stranded_examined);
	pmf__json_kf64(j, "covered",
		       an->stranded_arenas
			       ? (double)an->stranded_examined /
					 (double)an->stranded_arenas
			       : 1.0);
	type_list(j, "types", an->stranded_types, an->nstranded_types);
	pmf__json_obj_end(j);
	pmf__json_key(j, "reads");
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "pools", an->read_pools);
	pmf__json_ku64(j, "pools_changed", an->read_pools_changed);
	pmf__json_ku64(j, "pools_retried", an->read_pools_retried);
	pmf__json_ku64(j, "pools_torn", an->read_pools_torn);
	pmf__json_ku64(j, "live_blocks", an->read_blocks);
	pmf__json_obj_end(j);
	pmf__json_obj_end(j);

	size_t n;
	const struct pmf_arena *v = pmf_snapshot_arenas(s, idx, &n);
	pmf__json_key(j, "arena_list");
	pmf__json_arr_begin(j);
	for (size_t k = 0; k < n; k++) {
		const struct pmf_arena *a = &v[k];
		pmf__json_obj_begin(j);
		pmf__json_ku64(j, "address", a->address);
		pmf__json_ku64(j, "index", a->index);
		pmf__json_ku64(j, "pools_total", a->pools_total);
		pmf__json_ku64(j, "pools_used", a->pools_used);
		pmf__json_ku64(j, "pools_full", a->pools_full);
		pmf__json_ku64(j, "pools_empty", a->pools_empty);
		pmf__json_ku64(j, "pools_untouched", a->pools_untouched);
		pmf__json_ku64(j, "blocks_live", a->blocks_live);
		pmf__json_ku64(j, "bytes_live", a->bytes_live);
		pmf__json_kf64(j, "utilization", a->utilization);
		pmf__json_kbool(j, "pinned", a->pinned);
		pmf__json_kbool(j, "stranded", a->stranded);
		pmf__json_ku64(j, "resident_bytes", a->resident_bytes);
		pmf__json_ku64(j, "swapped_bytes", a->swapped_bytes);
		pmf__json_ku64(j, "shared_bytes", a->shared_bytes);
		if (a->examined) {
			size_t nt;
			const struct pmf_type_count *t =
				pmf_snapshot_arena_types(s, idx, k, &nt);
			type_list(j, "types", t, nt);
		}
		pmf__json_obj_end(j);
	}
	pmf__json_arr_end(j);
}

/* The per-interpreter keys, shared by the top level and interpreters[]. */
static void
interp_body(struct pmf__json *j, const struct pmf_snapshot *s, size_t idx,
	    uint64_t pool_size, unsigned overhead)
{
	const struct pmf_interp_stats *it = &s->interps[idx];
	pmf__json_ki64(j, "interpreter_id", it->id);
	pmf__json_kbool(j, "main", it->is_main);
	pmf__json_ku64(j, "state_address", it->state_address);
	pmf__json_ku64(j, "pools_failed_validation",
		       it->pools_failed_validation);
	ku64_or_null(j, "debug_malloc_calls", it->has_debug_malloc_calls,
		     it->debug_malloc_calls);

	const struct pmf_arena_counters *a = &it->arenas;
	pmf__json_key(j, "arenas");
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "current", a->current);
	pmf__json_ku64(j, "highwater", a->highwater);
	pmf__json_ku64(j, "allocated_total", a->allocated_total);
	pmf__json_ku64(j, "reclaimed", a->reclaimed);
	pmf__json_ku64(j, "table_size", a->table_size);
	pmf__json_obj_end(j);

	pmf__json_key(j, "size_classes");
	pmf__json_arr_begin(j);
	for (unsigned i = 0; i < it->nclasses; i++) {
		const struct pmf_class_stats *c = &it->classes[i];
		uint64_t total = c->blocks_in_use + c->blocks_available;
		pmf__json_obj_begin(j);
		pmf__json_ku64(j, "index", c->index);
		pmf__json_ku64(j, "size", c->size);
		pmf__json_ku64(j, "pools", c->pools);
		pmf__json_ku64(j, "blocks_in_use", c->blocks_in_use);
		pmf__json_ku64(j, "blocks_available", c->blocks_available);
		pmf__json_kf64(j, "utilization",
			       total ? (double)c->blocks_in_use / (double)total
				     : 0.0);
		pmf__json_ku64(j, "waste_bytes",
			       pmf_class_waste(c, pool_size, overhead));
		pmf__json_obj_end(j);
	}
	pmf__json_arr_end(j);

	const struct pmf_byte_partition *b = &it->bytes;
	pmf__json_key(j, "bytes");
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "allocated_blocks", b->allocated_blocks);
	pmf__json_ku64(j, "available_blocks", b->available_blocks);
	pmf__json_ku64(j, "unused_pools", b->unused_pools);
	pmf__json_ku64(j, "unused_pool_count", b->unused_pool_count);
	pmf__json_ku64(j, "pool_headers", b->pool_headers);
	pmf__json_ku64(j, "quantization", b->quantization);
	pmf__json_ku64(j, "arena_alignment", b->arena_alignment);
	pmf__json_ku64(j, "total", b->total);
	pmf__json_obj_end(j);

	pmf__json_key(j, "arena_map");
	if (!it->arena_map.present) {
		pmf__json_null(j);
	} else {
		const struct pmf_arena_map *m = &it->arena_map;
		pmf__json_obj_begin(j);
		pmf__json_ku64(j, "mid_nodes", m->mid_nodes);
		pmf__json_ku64(j, "bot_nodes", m->bot_nodes);
		pmf__json_ku64(j, "root_bytes", m->root_bytes);
		pmf__json_ku64(j, "mid_bytes", m->mid_bytes);
		pmf__json_ku64(j, "bot_bytes", m->bot_bytes);
		pmf__json_ku64(j, "total_bytes", m->total_bytes);
		pmf__json_obj_end(j);
	}
	freelists(j, it);
	analysis(j, s, idx);
}

void
pmf__fmt_json(const struct pmf_snapshot *s, const struct pmf__sel *sel,
	      struct pmf__json *j)
{
	const struct pmf_snapshot_info *in = &s->info;
	char tbuf[48];
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "schema_version", SCHEMA_VERSION);
	pmf__json_key(j, "tool");
	pmf__json_obj_begin(j);
	pmf__json_kstr(j, "name", "pymfrag");
	pmf__json_kstr(j, "version", PMF_VERSION_STRING);
	pmf__json_obj_end(j);
	pmf__json_ki64(j, "pid", in->pid);
	iso_time(in->time_unix_ns, tbuf, sizeof(tbuf));
	pmf__json_kstr(j, "time", tbuf);
	python(j, &in->python);
	pmf__json_kstr(j, "allocator", pmf_allocator_name(in->allocator));
	pmf__json_kstr(j, "allocator_detail", in->allocator_detail);
	pmf__json_key(j, "locate");
	pmf__json_obj_begin(j);
	pmf__json_kstr(j, "method", pmf_locate_name(in->locate_method));
	pmf__json_kstr(j, "detail", in->locate_detail);
	pmf__json_ku64(j, "elapsed_us", in->locate_us);
	const struct pmf_state_addresses *a = &in->located;
	pmf__json_key(j, "addresses");
	pmf__json_obj_begin(j);
	pmf__json_ku64(j, "state", a->state);
	pmf__json_ku64(j, "usedpools", a->usedpools);
	pmf__json_ku64(j, "arenas", a->arenas);
	pmf__json_ku64(j, "maxarenas", a->maxarenas);
	pmf__json_ku64(j, "ntimes_arena_allocated", a->ntimes_arena_allocated);
	pmf__json_ku64(j, "narenas_highwater", a->narenas_highwater);
	pmf__json_ku64(j, "narenas_currently_allocated",
		       a->narenas_currently_allocated);
	pmf__json_ku64(j, "arena_map_mid_count", a->arena_map_mid_count);
	pmf__json_ku64(j, "arena_map_bot_count", a->arena_map_bot_count);
	pmf__json_obj_end(j);
	pmf__json_obj_end(j);
	pmf__json_ku64(j, "arena_size", in->arena_size);
	pmf__json_ku64(j, "pool_size", in->pool_size);
	pmf__json_ku64(j, "alignment", in->alignment);
	pmf__json_ku64(j, "small_request_threshold", in->small_threshold);
	pmf__json_ku64(j, "pool_overhead", in->pool_overhead);
	pmf__json_kbool(j, "nonblocking", in->nonblocking);
	pmf__json_kbool(j, "in_process", in->in_process);
	pmf__json_ku64(j, "threads_stopped", in->threads_stopped);
	pmf__json_ku64(j, "pause_us", in->pause_us);
	pmf__json_ku64(j, "walk_us", in->walk_us);
	pmf__json_ku64(j, "retries", in->retries);
	pmf__json_ku64(j, "pools_failed_validation",
		       in->pools_failed_validation);
	pmf__json_key(j, "guard");
	pmf__json_obj_begin(j);
	pmf__json_kbool(j, "active", in->guard_active);
	pmf__json_ku64(j, "retries", in->guard_retries);
	pmf__json_kstr(j, "detail", in->guard_detail ? in->guard_detail : "");
	pmf__json_obj_end(j);

	pmf__json_key(j, "process");
	if (!in->process.valid) {
		pmf__json_null(j);
	} else {
		const struct pmf_process_mem *pm = &in->process;
		pmf__json_obj_begin(j);
		pmf__json_ku64(j, "rss_bytes", pm->rss_bytes);
		/* PMF_SNAP_PROCESS_FAST reads no PSS: null, not zero. */
		ku64_or_null(j, "pss_bytes", !in->process_fast, pm->pss_bytes);
		pmf__json_ku64(j, "swap_bytes", pm->swap_bytes);
		ku64_or_null(j, "pss_anon_bytes", !in->process_fast,
			     pm->anon_bytes);
		pmf__json_ku64(j, "hwm_bytes", pm->hwm_bytes);
		pmf__json_ku64(j, "threads", pm->threads);
		pmf__json_key(j, "split");
		if (!pm->split_valid) {
			pmf__json_null(j);
		} else {
			pmf__json_obj_begin(j);
			pmf__json_ku64(j, "uss_bytes", pm->uss_bytes);
			pmf__json_ku64(j, "arena_bytes", pm->arena_bytes);
			pmf__json_ku64(j, "other_anon_bytes",
				       pm->other_anon_bytes);
			pmf__json_ku64(j, "stack_bytes", pm->stack_bytes);
			pmf__json_ku64(j, "file_bytes", pm->file_bytes);
			pmf__json_obj_end(j);
		}
		pmf__json_obj_end(j);
	}

	/* The top level describes the main interpreter (or the selected
	 * one); interpreters[] lists every state when there are several. */
	if (sel->n == 0) {
		pmf__json_key(j, "interpreter_id");
		pmf__json_null(j);
		pmf__json_key(j, "arenas");
		pmf__json_null(j);
		pmf__json_key(j, "size_classes");
		pmf__json_arr_begin(j);
		pmf__json_arr_end(j);
		pmf__json_key(j, "bytes");
		pmf__json_null(j);
		pmf__json_key(j, "arena_map");
		pmf__json_null(j);
	} else {
		interp_body(j, s, sel->idx[0], in->pool_size,
			    in->pool_overhead);
	}
	if (sel->n > 1) {
		pmf__json_key(j, "interpreters");
		pmf__json_arr_begin(j);
		for (size_t i = 0; i < sel->n; i++) {
			pmf__json_obj_begin(j);
			interp_body(j, s, sel->idx[i], in->pool_size,
				    in->pool_overhead);
			pmf__json_obj_end(j);
		}
		pmf__json_arr_end(j);
	}
	pmf__json_obj_end(j);
}
