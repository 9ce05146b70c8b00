/* SPDX-License-Identifier: MIT */
/*
 * out.h - buffered output to a caller's sink.  Errors are sticky: the
 * first failing write (or allocation) is remembered and later writes are
 * dropped, so formatters check once at the end.
 */
#ifndef PMF_CORE_OUT_H
#define PMF_CORE_OUT_H

#include "base/strbuf.h"
#include "pymfrag.h"

struct pmf__out {
	pmf_write_fn fn;
	void *arg;
	struct pmf__sb buf;
	int err; /* 0, PMF_EIO or PMF_ENOMEM */
};

void pmf__out_init(struct pmf__out *o, pmf_write_fn fn, void *arg);
void pmf__out_puts(struct pmf__out *o, const char *s);
void pmf__out_write(struct pmf__out *o, const char *s, size_t n);
void pmf__out_printf(struct pmf__out *o, const char *fmt, ...)
	PMF_PRINTF(2, 3);
/* Flushes and releases the buffer; returns the sticky error. */
int pmf__out_finish(struct pmf__out *o);

/* "1,234,567" into BUF (at least 27 bytes). */
const char *pmf__commas(uint64_t v, char *buf, size_t len);
/* "12.3 MiB", "512 B" into BUF. */
const char *pmf__human(uint64_t bytes, char *buf, size_t len);

#endif
