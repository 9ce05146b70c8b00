/* SPDX-License-Identifier: MIT */
/*
 * report.h - the report formatters, each a client of the snapshot only.
 */
#ifndef PMF_CORE_REPORT_H
#define PMF_CORE_REPORT_H

#include "core/json.h"
#include "core/model.h"
#include "core/out.h"

/* The interpreters a report covers: all, or the one selected. */
struct pmf__sel {
	const struct pmf_interp_stats *v[256];
	size_t idx[256]; /* v[k] is state idx[k] of the snapshot */
	size_t n;
	bool selected; /* the caller asked for one interpreter */
	unsigned top;  /* rows in "worst N" lists */
};

void pmf__fmt_prom(const struct pmf_snapshot *s, const struct pmf__sel *sel,
		   struct pmf__out *o);

void pmf__fmt_dms(const struct pmf_snapshot *s, const struct pmf__sel *sel,
		  struct pmf__out *o);
void pmf__fmt_text(const struct pmf_snapshot *s, const struct pmf__sel *sel,
		   struct pmf__out *o);
/* The JSON report through J: text or tree events (core/json.h). */
void pmf__fmt_json(const struct pmf_snapshot *s, const struct pmf__sel *sel,
		   struct pmf__json *j);

/* The verdict line of the text report, for state IDX. */
void pmf__text_verdict(const struct pmf_snapshot *s, size_t idx,
		       struct pmf__out *o);
/* The analysis sections of the text report, for state IDX. */
void pmf__text_analysis(const struct pmf_snapshot *s, size_t idx,
			unsigned top, struct pmf__out *o);

/* One interpreter's block of CPython's allocator statistics. */
void pmf__dms_interp(const struct pmf_snapshot_info *in,
		     const struct pmf_interp_stats *it, struct pmf__out *o);

#endif
