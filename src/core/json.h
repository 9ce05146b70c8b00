/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer: objects, arrays, keys, and
 * scalars, either pretty-printed with two-space indentation over
 * pmf__out, or handed as events to a caller's pmf_tree_sink (which then
 * sees exactly what a parser of the text would).
 */
#ifndef PMF_CORE_JSON_H
#define PMF_CORE_JSON_H

#include <stdbool.h>

#include "core/out.h"

#define PMF__JSON_DEPTH 16

struct pmf__json {
	struct pmf__out *o; /* the text's sink, or NULL */
	const struct pmf_tree_sink *sink; /* or the events' */
	void *sink_arg;
	int sink_err; /* sticky: PMF_EIO once a sink callback failed */
	struct pmf__sb tmp; /* a string made valid UTF-8 for the sink */
	int depth;
	bool first[PMF__JSON_DEPTH]; /* no element written yet at depth */
	bool after_key;
};

void pmf__json_init(struct pmf__json *j, struct pmf__out *o);
void pmf__json_init_tree(struct pmf__json *j, const struct pmf_tree_sink *t,
			 void *arg);
/* Releases what the writer holds; returns the sink's sticky error. */
int pmf__json_finish(struct pmf__json *j);
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
