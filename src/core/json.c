/* SPDX-License-Identifier: MIT */
/*
 * json.c - JSON writer.  Strings from the target (paths, symbol names) may
 * hold any bytes: invalid UTF-8 becomes U+FFFD so the output always
 * parses.  With a tree sink the same calls become events carrying what a
 * parser of the text would find: the strings unescaped (still with
 * U+FFFD for invalid bytes), doubles rounded to the text's 6 significant
 * digits (one the text shows without a fraction or exponent, "3", as the
 * integer it reads as), a non-finite double as null.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "core/json.h"

void
pmf__json_init(struct pmf__json *j, struct pmf__out *o)
{
	memset(j, 0, sizeof(*j));
	j->o = o;
	j->first[0] = true;
}

void
pmf__json_init_tree(struct pmf__json *j, const struct pmf_tree_sink *t,
		    void *arg)
{
	pmf__json_init(j, NULL);
	j->sink = t;
	j->sink_arg = arg;
}

int
pmf__json_finish(struct pmf__json *j)
{
	int rc = j->sink_err;
	if (rc == 0 && pmf__sb_failed(&j->tmp))
		rc = PMF_ENOMEM;
	pmf__sb_free(&j->tmp);
	return rc;
}

/* Records a sink callback's result R (sticky). */
static void
sunk(struct pmf__json *j, int r)
{
	if (r < 0 && j->sink_err == 0)
		j->sink_err = PMF_EIO;
}

/* The sink is only called until one of its callbacks fails. */
#define SINK_CALL(j, call)                                                   \
	do {                                                                 \
		if ((j)->sink_err == 0)                                      \
			sunk((j), (j)->sink->call);                          \
	} while (0)

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

/* Length of the valid UTF-8 sequence at the NUL-terminated S, or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	/* A NUL ends every sequence early, so no read passes it. */
	return pmf__utf8_seq(s, s[0] < 0x80 ? 1 : strnlen((const char *)s, 4));
}

/* STR as valid UTF-8 (invalid bytes as U+FFFD, as quoted() writes
 * them): STR itself when it is already, else a copy in J's buffer. */
static const char *
valid_utf8(struct pmf__json *j, const char *str, size_t *len)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	const unsigned char *p = s;
	size_t n;
	while (*p != '\0' && (n = utf8_len(p)) != 0)
		p += n;
	if (*p == '\0') {
		*len = (size_t)(p - s);
		return (const char *)s;
	}
	pmf__sb_reset(&j->tmp);
	pmf__sb_add(&j->tmp, s, (size_t)(p - s));
	while (*p != '\0') {
		n = utf8_len(p);
		if (n == 0) {
			pmf__sb_add(&j->tmp, "\xef\xbf\xbd", 3);
			p++;
		} else {
			pmf__sb_add(&j->tmp, p, n);
			p += n;
		}
	}
	if (pmf__sb_failed(&j->tmp)) {
		/* Sticky: a later reset must not hide it. */
		if (j->sink_err == 0)
			j->sink_err = PMF_ENOMEM;
		*len = 0;
		return "";
	}
	*len = j->tmp.len;
	return j->tmp.buf;
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
	if (j->sink != NULL) {
		size_t n;
		const char *k = valid_utf8(j, key, &n);
		SINK_CALL(j, key(j->sink_arg, k, n));
		return;
	}
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
	if (j->sink != NULL)
		SINK_CALL(j, begin(j->sink_arg, false));
	else
		open_c(j, "{");
}

void
pmf__json_obj_end(struct pmf__json *j)
{
	if (j->sink != NULL)
		SINK_CALL(j, end(j->sink_arg, false));
	else
		close_c(j, "}");
}

void
pmf__json_arr_begin(struct pmf__json *j)
{
	if (j->sink != NULL)
		SINK_CALL(j, begin(j->sink_arg, true));
	else
		open_c(j, "[");
}

void
pmf__json_arr_end(struct pmf__json *j)
{
	if (j->sink != NULL)
		SINK_CALL(j, end(j->sink_arg, true));
	else
		close_c(j, "]");
}

void
pmf__json_str(struct pmf__json *j, const char *s)
{
	if (j->sink != NULL) {
		size_t n;
		const char *v = valid_utf8(j, s, &n);
		SINK_CALL(j, str(j->sink_arg, v, n));
		return;
	}
	before(j);
	quoted(j, s);
}

/* Unsigned integers up to 20 digits, without printf's machinery: the
 * JSON report is mostly these. */
static void
put_u64(struct pmf__json *j, uint64_t v, bool neg)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (neg)
		*--p = '-';
	pmf__out_write(j->o, p, (size_t)(buf + sizeof(buf) - p));
}

void
pmf__json_u64(struct pmf__json *j, uint64_t v)
{
	if (j->sink != NULL) {
		SINK_CALL(j, u64(j->sink_arg, v));
		return;
	}
	before(j);
	put_u64(j, v, false);
}

void
pmf__json_i64(struct pmf__json *j, int64_t v)
{
	if (j->sink != NULL) {
		SINK_CALL(j, i64(j->sink_arg, v));
		return;
	}
	before(j);
	/* The magnitude of INT64_MIN does not fit an int64_t. */
	put_u64(j, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

void
pmf__json_f64(struct pmf__json *j, double v)
{
	char buf[32];
	if (isfinite(v))
		snprintf(buf, sizeof(buf), "%.6g", v);
	if (j->sink != NULL) {
		/* What a parser makes of the text: "3" is an integer, "0.5"
		 * and "1e+07" are not. */
		if (!isfinite(v))
			SINK_CALL(j, null(j->sink_arg));
		else if (strpbrk(buf, ".eE") == NULL)
			SINK_CALL(j, i64(j->sink_arg, strtoll(buf, NULL, 10)));
		else
			SINK_CALL(j, f64(j->sink_arg, strtod(buf, NULL)));
		return;
	}
	before(j);
	pmf__out_puts(j->o, isfinite(v) ? buf : "null");
}

void
pmf__json_bool(struct pmf__json *j, bool v)
{
	if (j->sink != NULL) {
		SINK_CALL(j, boolean(j->sink_arg, v));
		return;
	}
	before(j);
	pmf__out_puts(j->o, v ? "true" : "false");
}

void
pmf__json_null(struct pmf__json *j)
{
	if (j->sink != NULL) {
		SINK_CALL(j, null(j->sink_arg));
		return;
	}
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
