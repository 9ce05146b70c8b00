/* SPDX-License-Identifier: MIT */
/*
 * jsonread.h - a small JSON reader: parses a buffer into a read-only tree
 * (objects, arrays, strings, numbers, booleans, null) owned by one
 * document.  Meant for files written by pymfrag itself, but safe on any
 * input: strict RFC 8259 grammar, bounded nesting, bounded size and value
 * count, no recursion (a "[[[[..." bomb cannot exhaust the stack), strings
 * checked to be UTF-8.  It never prints; errors say where and what.
 */
#ifndef PMF_BASE_JSONREAD_H
#define PMF_BASE_JSONREAD_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/err.h"

enum pmf__jtype {
	PMF__J_NULL = 0,
	PMF__J_BOOL,
	PMF__J_INT,    /* an integer literal that fits int64_t */
	PMF__J_DOUBLE, /* a fraction, an exponent, or an integer too large */
	PMF__J_STRING,
	PMF__J_ARRAY,
	PMF__J_OBJECT,
};

struct pmf__jmember;

struct pmf__jval {
	enum pmf__jtype type;
	union {
		bool b;
		int64_t i;
		double d;
		/* UTF-8, NUL-terminated; LEN counts bytes and may include NULs
		 * decoded from \u0000. */
		struct {
			const char *s;
			size_t len;
		} str;
		struct {
			const struct pmf__jval *items;
			size_t n;
		} arr;
		/* Members in document order; duplicate keys are kept. */
		struct {
			const struct pmf__jmember *members;
			size_t n;
		} obj;
	};
};

struct pmf__jmember {
	const char *key; /* NUL-terminated UTF-8 */
	size_t key_len;
	struct pmf__jval val;
};

/* Bounds on what the parser accepts; a zeroed field takes the default. */
struct pmf__jlimits {
	size_t max_bytes;  /* input size; default 16 MiB */
	unsigned max_depth; /* nested arrays and objects; default 64 */
	size_t max_values; /* values in the document; default 1 << 20 */
};

struct pmf__jdoc;

/* Parses LEN bytes at BUF (no NUL needed; a leading UTF-8 BOM is skipped)
 * with LIMITS (NULL for the defaults).  On success *OUT owns the tree and
 * 0 is returned; otherwise PMF_EINVAL with "line L, column C: what" in
 * ERR (PMF_ENOMEM when memory ran out).  BUF is not kept. */
int pmf__jparse(const char *buf, size_t len, const struct pmf__jlimits *limits,
		struct pmf__jdoc **out, struct pmf__err *err);

/* The top-level value. */
const struct pmf__jval *pmf__jroot(const struct pmf__jdoc *doc);

/* Frees the document and every value in it.  Accepts NULL. */
void pmf__jfree(struct pmf__jdoc *doc);

/* Accessors.  Each accepts NULL and a value of any type, returning NULL
 * or false when the type does not fit, so lookups chain without checks. */

/* The value of KEY in object OBJ; the last one when the key repeats (as
 * most JSON readers do). */
const struct pmf__jval *pmf__jget(const struct pmf__jval *obj,
				  const char *key);
/* Follows a dotted path of object keys: "arenas.current". */
const struct pmf__jval *pmf__jpath(const struct pmf__jval *v,
				   const char *path);
/* Element I of an array, or NULL. */
const struct pmf__jval *pmf__jat(const struct pmf__jval *arr, size_t i);
/* Elements of an array or members of an object; 0 for anything else. */
size_t pmf__jlen(const struct pmf__jval *v);
/* The string, or NULL when V is not one. */
const char *pmf__jstr(const struct pmf__jval *v);
/* An integer: PMF__J_INT, or a PMF__J_DOUBLE holding an integral value
 * within int64_t. */
bool pmf__jint(const struct pmf__jval *v, int64_t *out);
/* Any number, as a double. */
bool pmf__jnum(const struct pmf__jval *v, double *out);
/* True for a boolean true. */
bool pmf__jtrue(const struct pmf__jval *v);
/* True for NULL (absent) or a JSON null. */
bool pmf__jnull(const struct pmf__jval *v);

#endif
