/* SPDX-License-Identifier: MIT */
/*
 * report.c - pmf_report_write() and pmf_report_tree(): pick the
 * interpreters and the formatter, in the C locale's numbers.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>

#include "core/json.h"
#include "core/report.h"

int
pmf_write_stdio(void *arg, const char *data, size_t len)
{
	FILE *f = arg;
	if (fwrite(data, 1, len, f) != len)
		return -1;
	return 0;
}

/* The interpreters OPTS selects into SEL.  PMF_EINVAL when it names one
 * the snapshot does not have. */
static int
select_interps(const pmf_snapshot *s, const struct pmf_report_opts *opts,
	       struct pmf__sel *sel)
{
	struct pmf_report_opts def = {0};
	if (opts == NULL)
		opts = &def;
	for (size_t i = 0; i < s->n && sel->n < PMF_ARRAY_SIZE(sel->v); i++) {
		if (opts->select_interp && s->interps[i].id != opts->interp_id)
			continue;
		sel->idx[sel->n] = i;
		sel->v[sel->n++] = &s->interps[i];
	}
	sel->selected = opts->select_interp;
	sel->top = opts->top ? opts->top : 10;
	if (opts->select_interp && sel->n == 0 && s->n > 0)
		return PMF_EINVAL;
	return 0;
}

/* Numbers are written as JSON and the exposition format want them
 * ("0.5", never "0,5") whatever locale an embedding program set: the
 * calling thread formats in the C locale until c_locale_end().  glibc
 * hands out its static C locale here, nothing to free. */
static locale_t
c_locale_begin(void)
{
	locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	return c != (locale_t)0 ? uselocale(c) : (locale_t)0;
}

static void
c_locale_end(locale_t prev)
{
	if (prev != (locale_t)0)
		uselocale(prev);
}

int
pmf_report_write(const pmf_snapshot *s, enum pmf_format format,
		 const struct pmf_report_opts *opts, pmf_write_fn fn,
		 void *arg)
{
	struct pmf__sel sel = {0};
	struct pmf__out o;
	struct pmf__json j;
	if (s == NULL || fn == NULL)
		return PMF_EINVAL;
	if (select_interps(s, opts, &sel) < 0)
		return PMF_EINVAL;

	locale_t prev = c_locale_begin();
	int rc = 0;
	pmf__out_init(&o, fn, arg);
	switch (format) {
	case PMF_FORMAT_TEXT:
		pmf__fmt_text(s, &sel, &o);
		break;
	case PMF_FORMAT_JSON:
		pmf__json_init(&j, &o);
		pmf__fmt_json(s, &sel, &j);
		rc = pmf__json_finish(&j);
		break;
	case PMF_FORMAT_DEBUGMALLOCSTATS:
		pmf__fmt_dms(s, &sel, &o);
		break;
	case PMF_FORMAT_PROMETHEUS:
		pmf__fmt_prom(s, &sel, &o);
		break;
	default:
		rc = PMF_EINVAL;
		break;
	}
	int orc = pmf__out_finish(&o);
	c_locale_end(prev);
	return rc < 0 ? rc : orc;
}

int
pmf_report_tree(const pmf_snapshot *s, const struct pmf_report_opts *opts,
		const struct pmf_tree_sink *sink, void *arg)
{
	struct pmf__sel sel = {0};
	struct pmf__json j;
	if (s == NULL || sink == NULL || sink->begin == NULL ||
	    sink->end == NULL || sink->key == NULL || sink->str == NULL ||
	    sink->u64 == NULL || sink->i64 == NULL || sink->f64 == NULL ||
	    sink->boolean == NULL || sink->null == NULL)
		return PMF_EINVAL;
	if (select_interps(s, opts, &sel) < 0)
		return PMF_EINVAL;
	locale_t prev = c_locale_begin();
	pmf__json_init_tree(&j, sink, arg);
	pmf__fmt_json(s, &sel, &j);
	int rc = pmf__json_finish(&j);
	c_locale_end(prev);
	return rc;
}
