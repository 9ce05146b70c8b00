/* SPDX-License-Identifier: MIT */
/*
 * report.c - pmf_report_write(): picks the interpreters and the formatter.
 */
#include "config.h"

#include <stdio.h>

#include "core/report.h"

int
pmf_write_stdio(void *arg, const char *data, size_t len)
{
	FILE *f = arg;
	if (fwrite(data, 1, len, f) != len)
		return -1;
	return 0;
}

int
pmf_report_write(const pmf_snapshot *s, enum pmf_format format,
		 const struct pmf_report_opts *opts, pmf_write_fn fn,
		 void *arg)
{
	struct pmf_report_opts def = {0};
	struct pmf__sel sel = {0};
	struct pmf__out o;
	if (s == NULL || fn == NULL)
		return PMF_EINVAL;
	if (opts == NULL)
		opts = &def;
	for (size_t i = 0; i < s->n && sel.n < PMF_ARRAY_SIZE(sel.v); i++) {
		if (opts->select_interp && s->interps[i].id != opts->interp_id)
			continue;
		sel.idx[sel.n] = i;
		sel.v[sel.n++] = &s->interps[i];
	}
	sel.selected = opts->select_interp;
	sel.top = opts->top ? opts->top : 10;
	if (opts->select_interp && sel.n == 0 && s->n > 0)
		return PMF_EINVAL;

	pmf__out_init(&o, fn, arg);
	switch (format) {
	case PMF_FORMAT_TEXT:
		pmf__fmt_text(s, &sel, &o);
		break;
	case PMF_FORMAT_JSON:
		pmf__fmt_json(s, &sel, &o);
		break;
	case PMF_FORMAT_DEBUGMALLOCSTATS:
		pmf__fmt_dms(s, &sel, &o);
		break;
	case PMF_FORMAT_PROMETHEUS:
		pmf__fmt_prom(s, &sel, &o);
		break;
	default:
		pmf__out_finish(&o);
		return PMF_EINVAL;
	}
	return pmf__out_finish(&o);
}
