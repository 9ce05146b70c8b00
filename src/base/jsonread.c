/* SPDX-License-Identifier: MIT */
/*
 * jsonread.c - JSON reader.  One pass, no recursion: open containers are
 * frames on a heap stack bounded by max_depth, and their finished
 * children wait on a second stack until the container closes, when they
 * are copied into the document's arena in one piece.  Every value and
 * string of a document lives in that arena, so freeing is one walk of its
 * chunks.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonread.h"
#include "base/utf8.h"
#include "base/vec.h"

#define DEF_MAX_BYTES ((size_t)16 << 20)
#define DEF_MAX_DEPTH 64u
#define DEF_MAX_VALUES ((size_t)1 << 20)
#define CHUNK_BYTES ((size_t)64 << 10)
/* Longer number literals are refused rather than copied: no report has
 * them, and it keeps the conversion buffer on the stack. */
#define NUM_MAX 128

/* ------------------------------------------------------------------ */
/* The document's arena                                                */
/* ------------------------------------------------------------------ */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct pmf__jdoc {
	struct chunk *chunks;
	struct pmf__jval root;
};

static void *
arena_alloc(struct pmf__jdoc *d, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	if (n == 0)
		return NULL;
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	struct chunk *c = d->chunks;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		if (cap > SIZE_MAX - sizeof(*c))
			return NULL;
		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = d->chunks;
		d->chunks = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

void
pmf__jfree(struct pmf__jdoc *d)
{
	if (d == NULL)
		return;
	struct chunk *c = d->chunks;
	while (c != NULL) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(d);
}

const struct pmf__jval *
pmf__jroot(const struct pmf__jdoc *d)
{
	return d ? &d->root : NULL;
}

/* ------------------------------------------------------------------ */
/* The parser                                                          */
/* ------------------------------------------------------------------ */

/* An open array or object. */
struct frame {
	bool obj;
	size_t base;     /* its first child on the member stack */
	const char *key; /* its own key in the enclosing object */
	size_t key_len;
	size_t at; /* where it opened, for "not closed" errors */
};

struct parser {
	const unsigned char *s;
	size_t len, pos;
	struct pmf__jdoc *doc;
	struct pmf__err *err;
	/* finished children of the open containers, innermost last */
	struct pmf__jmember *stack;
	size_t nstack, capstack;
	struct frame *frames;
	size_t nframes, capframes;
	unsigned max_depth;
	size_t max_values, nvalues;
};

static void
line_col(const struct parser *p, size_t at, size_t *line, size_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < at && i < p->len; i++) {
		if (p->s[i] == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

static int PMF_PRINTF(3, 4)
fail(const struct parser *p, size_t at, const char *fmt, ...)
{
	char what[256];
	size_t line, col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	line_col(p, at, &line, &col);
	return pmf__err_set(p->err, PMF_EINVAL, "line %zu, column %zu: %s",
			    line, col, what);
}

static int
nomem(const struct parser *p)
{
	return pmf__err_set(p->err, PMF_ENOMEM, "out of memory");
}

/* "unexpected 'x'", or the byte in hex when it is not printable, or the
 * end of the input. */
static int
unexpected(const struct parser *p, const char *wanted)
{
	if (p->pos >= p->len)
		return fail(p, p->pos, "unexpected end of input, %s", wanted);
	unsigned char c = p->s[p->pos];
	if (c > 0x20 && c < 0x7f)
		return fail(p, p->pos, "unexpected '%c', %s", c, wanted);
	return fail(p, p->pos, "unexpected byte 0x%02x, %s", c, wanted);
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		unsigned char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

/* Four hex digits at S[AT..], or -1. */
static long
hex4(const unsigned char *s, size_t at, size_t end)
{
	if (end - at < 4)
		return -1;
	long v = 0;
	for (size_t k = 0; k < 4; k++) {
		unsigned char c = s[at + k];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Decodes the escape at S[*I] (a backslash) into D; returns the bytes
 * written or -1.  A surrogate without its pair becomes U+FFFD: it has no
 * UTF-8 form, and readers such as Python's accept it. */
static int
unescape(const struct parser *p, size_t *i, size_t end, char *d)
{
	const unsigned char *s = p->s;
	size_t at = *i;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *k = strchr(from, s[at + 1]);
	if (s[at + 1] != 'u') {
		if (k == NULL || s[at + 1] == '\0')
			return fail(p, at, "unknown escape '\\%c'",
				    s[at + 1] > 0x20 && s[at + 1] < 0x7f
					    ? s[at + 1]
					    : '?'),
			       -1;
		d[0] = to[k - from];
		*i = at + 2;
		return 1;
	}
	long cp = hex4(s, at + 2, end);
	if (cp < 0)
		return fail(p, at, "\\u needs four hex digits"), -1;
	*i = at + 6;
	if (cp >= 0xd800 && cp <= 0xdbff && end - *i >= 6 && s[*i] == '\\' &&
	    s[*i + 1] == 'u') {
		long lo = hex4(s, *i + 2, end);
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			*i += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			return (int)pmf__utf8_put(d, (uint32_t)cp);
		}
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = 0xfffd;
	return (int)pmf__utf8_put(d, (uint32_t)cp);
}

/* The string at P->pos (its opening quote), decoded into the arena. */
static int
parse_string(struct parser *p, const char **out, size_t *out_len)
{
	const unsigned char *s = p->s;
	size_t start = p->pos + 1, i = start;
	/* Find the closing quote first: the decoded string is never longer
	 * than its source (\uXXXX is 6 bytes for at most 3, a pair 12 for
	 * 4), so one allocation of that size holds it. */
	for (;;) {
		if (i >= p->len)
			return fail(p, p->pos, "string not terminated");
		if (s[i] == '"')
			break;
		if (s[i] < 0x20)
			return fail(p, i,
				    "control character 0x%02x in a string "
				    "(it must be escaped)",
				    s[i]);
		i += s[i] == '\\' ? 2 : 1;
	}
	size_t end = i;
	char *d = arena_alloc(p->doc, end - start + 1);
	if (d == NULL)
		return nomem(p);
	size_t o = 0;
	/* A backslash is never the last byte before END: the scan above
	 * would have taken the closing quote as escaped. */
	for (i = start; i < end;) {
		if (s[i] == '\\') {
			int n = unescape(p, &i, end, d + o);
			if (n < 0)
				return PMF_EINVAL;
			o += (size_t)n;
		} else {
			size_t n = pmf__utf8_seq(s + i, end - i);
			if (n == 0)
				return fail(p, i, "invalid UTF-8 in a string");
			memcpy(d + o, s + i, n);
			o += n;
			i += n;
		}
	}
	d[o] = '\0';
	*out = d;
	*out_len = o;
	p->pos = end + 1;
	return 0;
}

static bool
is_digit(const struct parser *p, size_t i)
{
	return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

static size_t
digits(const struct parser *p, size_t i)
{
	while (is_digit(p, i))
		i++;
	return i;
}

/* RFC 8259 numbers only: no leading zeros, '+', bare '.', hex, NaN. */
static int
parse_number(struct parser *p, struct pmf__jval *v)
{
	size_t i = p->pos;
	bool integral = true;
	if (i < p->len && p->s[i] == '-')
		i++;
	if (!is_digit(p, i))
		return fail(p, i, "expected a digit");
	i = p->s[i] == '0' ? i + 1 : digits(p, i);
	if (i < p->len && p->s[i] == '.') {
		integral = false;
		if (!is_digit(p, ++i))
			return fail(p, i, "expected a digit after '.'");
		i = digits(p, i);
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		integral = false;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (!is_digit(p, i))
			return fail(p, i, "expected a digit in the exponent");
		i = digits(p, i);
	}
	size_t n = i - p->pos;
	if (n >= NUM_MAX)
		return fail(p, p->pos, "number of %zu characters is too long",
			    n);
	char buf[NUM_MAX + 8];
	memcpy(buf, p->s + p->pos, n);
	buf[n] = '\0';
	char *end;
	if (integral) {
		errno = 0;
		long long x = strtoll(buf, &end, 10);
		if (errno == 0 && *end == '\0') {
			v->type = PMF__J_INT;
			v->i = x;
			p->pos = i;
			return 0;
		}
		/* Too large for int64_t: kept as a double, like JSON
		 * readers that have no big integers. */
	}
	/* strtod reads the locale's decimal point; the literal has '.'. */
	char *dot = strchr(buf, '.');
	const char *dp = localeconv()->decimal_point;
	if (dot != NULL && dp != NULL && strcmp(dp, ".") != 0 &&
	    strlen(dp) == 1)
		*dot = dp[0];
	errno = 0;
	double d = strtod(buf, &end);
	if (*end != '\0')
		return fail(p, p->pos, "malformed number");
	if (!isfinite(d))
		return fail(p, p->pos, "number out of range");
	v->type = PMF__J_DOUBLE;
	v->d = d;
	p->pos = i;
	return 0;
}

static int
parse_literal(struct parser *p, struct pmf__jval *v)
{
	static const struct {
		const char *word;
		enum pmf__jtype type;
		bool b;
	} lits[] = {
		{"true", PMF__J_BOOL, true},
		{"false", PMF__J_BOOL, false},
		{"null", PMF__J_NULL, false},
	};
	for (size_t k = 0; k < PMF_ARRAY_SIZE(lits); k++) {
		size_t n = strlen(lits[k].word);
		if (p->len - p->pos >= n &&
		    memcmp(p->s + p->pos, lits[k].word, n) == 0) {
			v->type = lits[k].type;
			v->b = lits[k].b;
			p->pos += n;
			return 0;
		}
	}
	return unexpected(p, "expected a value");
}

static int
parse_scalar(struct parser *p, struct pmf__jval *v)
{
	unsigned char c = p->s[p->pos];
	if (c == '"') {
		v->type = PMF__J_STRING;
		return parse_string(p, &v->str.s, &v->str.len);
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(p, v);
	return parse_literal(p, v);
}

/* Opens an array or object at P->pos; KEY is its key in the parent. */
static int
open_container(struct parser *p, const char *key, size_t key_len)
{
	if (p->nframes >= p->max_depth)
		return fail(p, p->pos, "nested deeper than %u levels",
			    p->max_depth);
	if (!pmf__vec_reserve((void **)&p->frames, &p->capframes,
			      p->nframes + 1, sizeof(*p->frames)))
		return nomem(p);
	p->frames[p->nframes++] = (struct frame){
		.obj = p->s[p->pos] == '{',
		.base = p->nstack,
		.key = key,
		.key_len = key_len,
		.at = p->pos,
	};
	p->pos++;
	return 0;
}

/* Closes the innermost container into V, handing back its key. */
static int
close_container(struct parser *p, struct pmf__jval *v, const char **key,
		size_t *key_len)
{
	struct frame *f = &p->frames[--p->nframes];
	size_t n = p->nstack - f->base, bytes;
	struct pmf__jmember *kids = p->stack + f->base;
	if (PMF_MUL_OVERFLOW(n, f->obj ? sizeof(*kids) : sizeof(*v), &bytes))
		return nomem(p);
	void *mem = arena_alloc(p->doc, bytes);
	if (n > 0 && mem == NULL)
		return nomem(p);
	if (f->obj) {
		if (n > 0)
			memcpy(mem, kids, bytes);
		v->type = PMF__J_OBJECT;
		v->obj.members = mem;
		v->obj.n = n;
	} else {
		struct pmf__jval *items = mem;
		for (size_t k = 0; k < n; k++)
			items[k] = kids[k].val;
		v->type = PMF__J_ARRAY;
		v->arr.items = items;
		v->arr.n = n;
	}
	p->nstack = f->base;
	*key = f->key;
	*key_len = f->key_len;
	return 0;
}

static int
not_closed(const struct parser *p)
{
	const struct frame *f = &p->frames[p->nframes - 1];
	size_t line, col;
	line_col(p, f->at, &line, &col);
	return fail(p, p->pos,
		    "unexpected end of input: the %s opened at line %zu, "
		    "column %zu is not closed",
		    f->obj ? "object" : "array", line, col);
}

static int
parse(struct parser *p)
{
	enum { WANT_VALUE, WANT_KEY, AFTER_VALUE } st = WANT_VALUE;
	const char *key = NULL;
	size_t key_len = 0;
	int rc;
	for (;;) {
		struct pmf__jval v = {.type = PMF__J_NULL};
		skip_ws(p);
		if (st == WANT_KEY) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return p->pos >= p->len
					       ? not_closed(p)
					       : unexpected(p, "expected a "
							       "string key");
			if ((rc = parse_string(p, &key, &key_len)) < 0)
				return rc;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return unexpected(p, "expected ':'");
			p->pos++;
			st = WANT_VALUE;
			continue;
		}
		if (st == AFTER_VALUE) {
			bool obj = p->frames[p->nframes - 1].obj;
			if (p->pos >= p->len)
				return not_closed(p);
			unsigned char c = p->s[p->pos];
			if (c == ',') {
				p->pos++;
				st = obj ? WANT_KEY : WANT_VALUE;
				continue;
			}
			if (c != (obj ? '}' : ']'))
				return unexpected(p, obj ? "expected ',' or '}'"
							 : "expected ',' or "
							   "']'");
			p->pos++;
			if ((rc = close_container(p, &v, &key, &key_len)) < 0)
				return rc;
		} else {
			/* WANT_VALUE */
			if (p->pos >= p->len)
				return p->nframes ? not_closed(p)
						  : unexpected(p, "expected a "
								  "value");
			if (++p->nvalues > p->max_values)
				return fail(p, p->pos,
					    "more than %zu values",
					    p->max_values);
			unsigned char c = p->s[p->pos];
			if (c == '{' || c == '[') {
				if ((rc = open_container(p, key, key_len)) < 0)
					return rc;
				key = NULL;
				skip_ws(p);
				/* An empty container closes at once. */
				if (p->pos < p->len &&
				    p->s[p->pos] == (c == '{' ? '}' : ']')) {
					p->pos++;
					rc = close_container(p, &v, &key,
							     &key_len);
					if (rc < 0)
						return rc;
				} else {
					st = c == '{' ? WANT_KEY : WANT_VALUE;
					continue;
				}
			} else if ((rc = parse_scalar(p, &v)) < 0) {
				return rc;
			}
		}
		/* A finished value: the document, or a child of the
		 * innermost open container. */
		if (p->nframes == 0) {
			p->doc->root = v;
			return 0;
		}
		if (!pmf__vec_reserve((void **)&p->stack, &p->capstack,
				      p->nstack + 1, sizeof(*p->stack)))
			return nomem(p);
		p->stack[p->nstack++] =
			(struct pmf__jmember){key, key ? key_len : 0, v};
		key = NULL;
		st = AFTER_VALUE;
	}
}

int
pmf__jparse(const char *buf, size_t len, const struct pmf__jlimits *limits,
	    struct pmf__jdoc **out, struct pmf__err *err)
{
	struct pmf__jlimits lim = limits ? *limits : (struct pmf__jlimits){0};
	if (lim.max_bytes == 0)
		lim.max_bytes = DEF_MAX_BYTES;
	if (lim.max_depth == 0)
		lim.max_depth = DEF_MAX_DEPTH;
	if (lim.max_values == 0)
		lim.max_values = DEF_MAX_VALUES;
	if (len > lim.max_bytes)
		return pmf__err_set(err, PMF_EINVAL,
				    "%zu bytes, more than the limit of %zu",
				    len, lim.max_bytes);
	struct parser p = {
		.s = (const unsigned char *)buf,
		.len = len,
		.err = err,
		.max_depth = lim.max_depth,
		.max_values = lim.max_values,
	};
	if (buf == NULL && len > 0)
		return pmf__err_set(err, PMF_EINVAL, "no input");
	p.doc = calloc(1, sizeof(*p.doc));
	if (p.doc == NULL)
		return nomem(&p);
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p.pos = 3;
	int rc = parse(&p);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos < p.len)
			rc = unexpected(&p, "expected the end of the input "
					    "after the top-level value");
	}
	free(p.stack);
	free(p.frames);
	if (rc < 0) {
		pmf__jfree(p.doc);
		return rc;
	}
	*out = p.doc;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Accessors                                                           */
/* ------------------------------------------------------------------ */

const struct pmf__jval *
pmf__jget(const struct pmf__jval *obj, const char *key)
{
	if (obj == NULL || obj->type != PMF__J_OBJECT)
		return NULL;
	for (size_t k = obj->obj.n; k-- > 0;)
		if (strcmp(obj->obj.members[k].key, key) == 0)
			return &obj->obj.members[k].val;
	return NULL;
}

const struct pmf__jval *
pmf__jpath(const struct pmf__jval *v, const char *path)
{
	char part[128];
	while (v != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		v = pmf__jget(v, part);
		path += n;
		if (*path == '.')
			path++;
	}
	return v;
}

const struct pmf__jval *
pmf__jat(const struct pmf__jval *arr, size_t i)
{
	if (arr == NULL || arr->type != PMF__J_ARRAY || i >= arr->arr.n)
		return NULL;
	return &arr->arr.items[i];
}

size_t
pmf__jlen(const struct pmf__jval *v)
{
	if (v == NULL)
		return 0;
	if (v->type == PMF__J_ARRAY)
		return v->arr.n;
	if (v->type == PMF__J_OBJECT)
		return v->obj.n;
	return 0;
}

const char *
pmf__jstr(const struct pmf__jval *v)
{
	return v != NULL && v->type == PMF__J_STRING ? v->str.s : NULL;
}

bool
pmf__jnum(const struct pmf__jval *v, double *out)
{
	if (v == NULL || (v->type != PMF__J_INT && v->type != PMF__J_DOUBLE))
		return false;
	*out = v->type == PMF__J_INT ? (double)v->i : v->d;
	return true;
}

bool
pmf__jint(const struct pmf__jval *v, int64_t *out)
{
	double d;
	if (v != NULL && v->type == PMF__J_INT) {
		*out = v->i;
		return true;
	}
	/* 2^63 is exact in a double; every integral value below converts. */
	if (!pmf__jnum(v, &d) || d != floor(d) || d < -9223372036854775808.0 ||
	    d >= 9223372036854775808.0)
		return false;
	*out = (int64_t)d;
	return true;
}

bool
pmf__jtrue(const struct pmf__jval *v)
{
	return v != NULL && v->type == PMF__J_BOOL && v->b;
}

bool
pmf__jnull(const struct pmf__jval *v)
{
	return v == NULL || v->type == PMF__J_NULL;
}
