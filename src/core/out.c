/* SPDX-License-Identifier: MIT */
/*
 * out.c - buffered sink and number formatting.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/out.h"

#define FLUSH_AT 65536

void
pmf__out_init(struct pmf__out *o, pmf_write_fn fn, void *arg)
{
	*o = (struct pmf__out){.fn = fn, .arg = arg, .buf = PMF__SB_INIT};
}

static void
flush(struct pmf__out *o)
{
	if (pmf__sb_failed(&o->buf) && o->err == 0)
		o->err = PMF_ENOMEM;
	if (o->err == 0 && o->buf.len > 0 &&
	    o->fn(o->arg, o->buf.buf, o->buf.len) < 0)
		o->err = PMF_EIO;
	pmf__sb_reset(&o->buf);
}

void
pmf__out_write(struct pmf__out *o, const char *s, size_t n)
{
	if (o->err != 0)
		return;
	pmf__sb_add(&o->buf, s, n);
	if (o->buf.len >= FLUSH_AT || pmf__sb_failed(&o->buf))
		flush(o);
}

void
pmf__out_puts(struct pmf__out *o, const char *s)
{
	pmf__out_write(o, s, strlen(s));
}

void
pmf__out_printf(struct pmf__out *o, const char *fmt, ...)
{
	if (o->err != 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	pmf__sb_vprintf(&o->buf, fmt, ap);
	va_end(ap);
	if (o->buf.len >= FLUSH_AT || pmf__sb_failed(&o->buf))
		flush(o);
}

int
pmf__out_finish(struct pmf__out *o)
{
	flush(o);
	pmf__sb_free(&o->buf);
	return o->err;
}

const char *
pmf__commas(uint64_t v, char *buf, size_t len)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	size_t o = 0;
	for (int i = 0; i < n && o + 1 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = tmp[i];
	}
	buf[o] = '\0';
	return buf;
}

const char *
pmf__human(uint64_t bytes, char *buf, size_t len)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	double v = (double)bytes;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s",
		 v, units[u]);
	return buf;
}
