/* SPDX-License-Identifier: MIT */
/*
 * strbuf.c - growable byte buffer.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

void
pmf__sb_free(struct pmf__sb *sb)
{
	free(sb->buf);
	*sb = (struct pmf__sb)PMF__SB_INIT;
}

void
pmf__sb_reset(struct pmf__sb *sb)
{
	sb->len = 0;
	sb->failed = false;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

bool
pmf__sb_reserve(struct pmf__sb *sb, size_t n)
{
	size_t need;
	if (sb->failed)
		return false;
	if (PMF_ADD_OVERFLOW(sb->len, n, &need) ||
	    PMF_ADD_OVERFLOW(need, (size_t)1, &need)) {
		sb->failed = true;
		return false;
	}
	if (need <= sb->cap)
		return true;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < need) {
		if (PMF_MUL_OVERFLOW(cap, (size_t)2, &cap)) {
			sb->failed = true;
			return false;
		}
	}
	char *p = realloc(sb->buf, cap);
	if (p == NULL) {
		sb->failed = true;
		return false;
	}
	sb->buf = p;
	sb->cap = cap;
	return true;
}

void
pmf__sb_add(struct pmf__sb *sb, const void *data, size_t n)
{
	if (!pmf__sb_reserve(sb, n))
		return;
	if (n > 0)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
pmf__sb_puts(struct pmf__sb *sb, const char *s)
{
	pmf__sb_add(sb, s, strlen(s));
}

void
pmf__sb_putc(struct pmf__sb *sb, char c)
{
	pmf__sb_add(sb, &c, 1);
}

void
pmf__sb_vprintf(struct pmf__sb *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		sb->failed = true;
		return;
	}
	if (!pmf__sb_reserve(sb, (size_t)n))
		return;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void
pmf__sb_printf(struct pmf__sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pmf__sb_vprintf(sb, fmt, ap);
	va_end(ap);
}

const char *
pmf__sb_str(const struct pmf__sb *sb)
{
	return sb->buf != NULL ? sb->buf : "";
}

bool
pmf__sb_failed(const struct pmf__sb *sb)
{
	return sb->failed;
}

char *
pmf__sb_steal(struct pmf__sb *sb)
{
	char *p = NULL;
	if (!sb->failed) {
		p = sb->buf != NULL ? sb->buf : strdup("");
		sb->buf = NULL;
	}
	pmf__sb_free(sb);
	return p;
}
