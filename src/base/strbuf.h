/* SPDX-License-Identifier: MIT */
/*
 * strbuf.h - a growable, always NUL-terminated byte buffer.  Allocation
 * failure is sticky: after one, every append is a no-op and
 * pmf__sb_failed() is true, so builders check once at the end.
 */
#ifndef PMF_BASE_STRBUF_H
#define PMF_BASE_STRBUF_H

#include <stdarg.h>
#include <stdbool.h>

#include "base/compat.h"

struct pmf__sb {
	char *buf; /* NULL until the first append */
	size_t len, cap;
	bool failed;
};

#define PMF__SB_INIT {NULL, 0, 0, false}

void pmf__sb_free(struct pmf__sb *sb);
void pmf__sb_reset(struct pmf__sb *sb);
/* Makes room for N more bytes; false on allocation failure. */
bool pmf__sb_reserve(struct pmf__sb *sb, size_t n);
void pmf__sb_add(struct pmf__sb *sb, const void *data, size_t n);
void pmf__sb_puts(struct pmf__sb *sb, const char *s);
void pmf__sb_putc(struct pmf__sb *sb, char c);
void pmf__sb_printf(struct pmf__sb *sb, const char *fmt, ...) PMF_PRINTF(2, 3);
void pmf__sb_vprintf(struct pmf__sb *sb, const char *fmt, va_list ap);
/* The contents ("" when empty); valid until the next append. */
const char *pmf__sb_str(const struct pmf__sb *sb);
bool pmf__sb_failed(const struct pmf__sb *sb);
/* Hands the buffer to the caller (NULL if failed); SB is left empty. */
char *pmf__sb_steal(struct pmf__sb *sb);

#endif
