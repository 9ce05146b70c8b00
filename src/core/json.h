/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer over pmf__out: objects, arrays,
 * keys, and scalars, pretty-printed with two-space indentation.
 */
#ifndef PMF_CORE_JSON_H
#define PMF_CORE_JSON_H

#include <stdbool.h>

#include "core/out.h"

#define PMF__JSON_DEPTH 16

struct pmf__json {
	struct pmf__out *o;
	int depth;
	bool first[PMF__JSON_DEPTH]; /* no element written yet at depth */
	bool after_key;
};

void pmf__json_init(struct pmf__json *j, struct pmf__out *o);
void pmf__json_key(struct pmf__json *j, const char *key);
void pmf__json_obj_begin(struct pmf__json *j);
void pmf__json_obj_end(struct pmf__json *j);
void pmf__json_arr_begin(struct pmf__json *j);
void pmf__json_arr_end(struct pmf__json *j);
void pmf__json_str(struct pmf__json *j, const char *s);
void pmf__json_u64(struct pmf__json *j, uint64_t v);
void pmf__json_i64(struct pmf__json *j, int64_t v);
void pmf__json_f64(struct pmf__json *j, double v);
void pmf__json_bool(struct pmf__json *j, bool v);
void pmf__json_null(struct pmf__json *j);

/* Key + value shorthands. */
void pmf__json_kstr(struct pmf__json *j, const char *k, const char *v);
void pmf__json_ku64(struct pmf__json *j, const char *k, uint64_t v);
void pmf__json_ki64(struct pmf__json *j, const char *k, int64_t v);
void pmf__json_kf64(struct pmf__json *j, const char *k, double v);
void pmf__json_kbool(struct pmf__json *j, const char *k, bool v);

#endif
