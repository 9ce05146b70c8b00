/* SPDX-License-Identifier: MIT */
/*
 * json.c - JSON writer.  Strings from the target (paths, symbol names) may
 * hold any bytes: invalid UTF-8 becomes U+FFFD so the output always
 * parses.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/json.h"

void
pmf__json_init(struct pmf__json *j, struct pmf__out *o)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->first[0] = true;
}

static void
indent(struct pmf__json *j)
{
	pmf__out_write(j->o, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		pmf__out_write(j->o, "  ", 2);
}

/* Separator and indentation before a value or key. */
static void
before(struct pmf__json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth > 0) {
		if (!j->first[j->depth])
			pmf__out_write(j->o, ",", 1);
		indent(j);
	}
	j->first[j->depth] = false;
}

/* Length of the valid UTF-8 sequence at S (0 if invalid). */
static size_t
utf8_len(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = (s[0] & 0xe0) == 0xc0   ? 2
		   : (s[0] & 0xf0) == 0xe0 ? 3
		   : (s[0] & 0xf8) == 0xf0 ? 4
					   : 0;
	if (n == 0 || (n == 2 && s[0] < 0xc2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void
quoted(struct pmf__json *j, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	pmf__out_write(j->o, "\"", 1);
	while (*s != '\0') {
		char esc[8];
		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*s;
			pmf__out_write(j->o, esc, 2);
			s++;
		} else if (*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			pmf__out_write(j->o, esc, 6);
			s++;
		} else {
			size_t n = utf8_len(s);
			if (n == 0) {
				pmf__out_write(j->o, "\\ufffd", 6);
				s++;
			} else {
				pmf__out_write(j->o, (const char *)s, n);
				s += n;
			}
		}
	}
	pmf__out_write(j->o, "\"", 1);
}

void
pmf__json_key(struct pmf__json *j, const char *key)
{
	before(j);
	quoted(j, key);
	pmf__out_write(j->o, ": ", 2);
	j->after_key = true;
}

static void
open_c(struct pmf__json *j, const char *c)
{
	before(j);
	pmf__out_puts(j->o, c);
	if (j->depth + 1 < PMF__JSON_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_c(struct pmf__json *j, const char *c)
{
	bool empty = j->first[j->depth];
	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	pmf__out_puts(j->o, c);
	if (j->depth == 0)
		pmf__out_write(j->o, "\n", 1);
}

void
pmf__json_obj_begin(struct pmf__json *j)
{
	open_c(j, "{");
}

void
pmf__json_obj_end(struct pmf__json *j)
{
	close_c(j, "}");
}

void
pmf__json_arr_begin(struct pmf__json *j)
{
	open_c(j, "[");
}

void
pmf__json_arr_end(struct pmf__json *j)
{
	close_c(j, "]");
}

void
pmf__json_str(struct pmf__json *j, const char *s)
{
	before(j);
	quoted(j, s);
}

void
pmf__json_u64(struct pmf__json *j, uint64_t v)
{
	before(j);
	pmf__out_printf(j->o, "%llu", (unsigned long long)v);
}

void
pmf__json_i64(struct pmf__json *j, int64_t v)
{
	before(j);
	pmf__out_printf(j->o, "%lld", (long long)v);
}

void
pmf__json_f64(struct pmf__json *j, double v)
{
	before(j);
	if (!isfinite(v))
		pmf__out_puts(j->o, "null");
	else
		pmf__out_printf(j->o, "%.6g", v);
}

void
pmf__json_bool(struct pmf__json *j, bool v)
{
	before(j);
	pmf__out_puts(j->o, v ? "true" : "false");
}

void
pmf__json_null(struct pmf__json *j)
{
	before(j);
	pmf__out_puts(j->o, "null");
}

void
pmf__json_kstr(struct pmf__json *j, const char *k, const char *v)
{
	pmf__json_key(j, k);
	pmf__json_str(j, v);
}

void
pmf__json_ku64(struct pmf__json *j, const char *k, uint64_t v)
{
	pmf__json_key(j, k);
	pmf__json_u64(j, v);
}

void
pmf__json_ki64(struct pmf__json *j, const char *k, int64_t v)
{
	pmf__json_key(j, k);
	pmf__json_i64(j, v);
}

void
pmf__json_kf64(struct pmf__json *j, const char *k, double v)
{
	pmf__json_key(j, k);
	pmf__json_f64(j, v);
}

void
pmf__json_kbool(struct pmf__json *j, const char *k, bool v)
{
	pmf__json_key(j, k);
	pmf__json_bool(j, v);
}
