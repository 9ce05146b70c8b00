/* SPDX-License-Identifier: MIT */
/* Unit tests for the report layer (src/core): the JSON writer, number
 * formatting, enum names, and the three formats over a snapshot built by
 * hand, with interpreter selection and sink failures. */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/jsonread.h"
#include "core/json.h"
#include "core/model.h"
#include "core/out.h"
#include "runner.h"

static int
sink(void *arg, const char *data, size_t len)
{
	pmf__sb_add(arg, data, len);
	return 0;
}

static int
failing_sink(void *arg, const char *data, size_t len)
{
	(void)arg;
	(void)data;
	(void)len;
	return -1;
}

START_TEST(test_numbers)
{
	char b[32];
	ck_assert_str_eq(pmf__commas(0, b, sizeof(b)), "0");
	ck_assert_str_eq(pmf__commas(999, b, sizeof(b)), "999");
	ck_assert_str_eq(pmf__commas(1000, b, sizeof(b)), "1,000");
	ck_assert_str_eq(pmf__commas(1234567, b, sizeof(b)), "1,234,567");
	ck_assert_str_eq(pmf__commas(UINT64_MAX, b, sizeof(b)),
			 "18,446,744,073,709,551,615");
	ck_assert_str_eq(pmf__human(512, b, sizeof(b)), "512 B");
	ck_assert_str_eq(pmf__human(1536, b, sizeof(b)), "1.50 KiB");
	ck_assert_str_eq(pmf__human(16384, b, sizeof(b)), "16.0 KiB");
	ck_assert_str_eq(pmf__human(300u << 20, b, sizeof(b)), "300 MiB");
	ck_assert_str_eq(pmf__human(4ull << 30, b, sizeof(b)), "4.00 GiB");
}
END_TEST

START_TEST(test_names)
{
	enum pmf_format f;
	enum pmf_locate m;
	ck_assert_int_eq(pmf_format_parse("json", &f), 0);
	ck_assert_int_eq(f, PMF_FORMAT_JSON);
	ck_assert_int_eq(pmf_format_parse("JSON", &f), PMF_EINVAL);
	ck_assert_int_eq(pmf_format_parse(NULL, &f), PMF_EINVAL);
	ck_assert_str_eq(pmf_format_name(PMF_FORMAT_DEBUGMALLOCSTATS),
			 "debugmallocstats");
	ck_assert_int_eq(pmf_locate_parse("scan", &m), 0);
	ck_assert_int_eq(m, PMF_LOCATE_SCAN);
	ck_assert_int_eq(pmf_locate_parse("magic", &m), PMF_EINVAL);
	ck_assert_str_eq(pmf_locate_name(PMF_LOCATE_DEBUGFILE), "debugfile");
	ck_assert_str_eq(pmf_allocator_name(PMF_ALLOC_PYMALLOC_HOOKED),
			 "pymalloc_hooked");
	ck_assert_str_eq(pmf_allocator_name((enum pmf_allocator)99),
			 "unknown");
	ck_assert(pmf_allocator_is_pymalloc(PMF_ALLOC_PYMALLOC_DEBUG));
	ck_assert(!pmf_allocator_is_pymalloc(PMF_ALLOC_MALLOC));
	ck_assert(!pmf_allocator_is_pymalloc(PMF_ALLOC_FREE_THREADED));
}
END_TEST

START_TEST(test_json_writer)
{
	struct pmf__sb sb = PMF__SB_INIT;
	struct pmf__out o;
	struct pmf__json j;
	pmf__out_init(&o, sink, &sb);
	pmf__json_init(&j, &o);
	pmf__json_obj_begin(&j);
	pmf__json_kstr(&j, "s", "a\"b\\c\n\x01\xc3\xa9\xff");
	pmf__json_ku64(&j, "u", UINT64_MAX);
	pmf__json_ki64(&j, "i", -5);
	pmf__json_kf64(&j, "f", 0.25);
	pmf__json_kf64(&j, "nan", 0.0 / 0.0);
	pmf__json_kbool(&j, "b", true);
	pmf__json_key(&j, "empty");
	pmf__json_arr_begin(&j);
	pmf__json_arr_end(&j);
	pmf__json_key(&j, "list");
	pmf__json_arr_begin(&j);
	pmf__json_u64(&j, 1);
	pmf__json_null(&j);
	pmf__json_obj_begin(&j);
	pmf__json_obj_end(&j);
	pmf__json_arr_end(&j);
	pmf__json_obj_end(&j);
	ck_assert_int_eq(pmf__out_finish(&o), 0);
	ck_assert_str_eq(pmf__sb_str(&sb),
			 "{\n"
			 "  \"s\": \"a\\\"b\\\\c\\u000a\\u0001\xc3\xa9\\ufffd\",\n"
			 "  \"u\": 18446744073709551615,\n"
			 "  \"i\": -5,\n"
			 "  \"f\": 0.25,\n"
			 "  \"nan\": null,\n"
			 "  \"b\": true,\n"
			 "  \"empty\": [],\n"
			 "  \"list\": [\n"
			 "    1,\n"
			 "    null,\n"
			 "    {}\n"
			 "  ]\n"
			 "}\n");
	pmf__sb_free(&sb);
}
END_TEST

/* A snapshot of two interpreters, as pmf_snapshot_take would build. */
static struct pmf_snapshot *
fake_snapshot(void)
{
	struct pmf_snapshot *s = calloc(1, sizeof(*s));
	s->n = 2;
	s->interps = calloc(2, sizeof(*s->interps));
	s->data = calloc(2, sizeof(*s->data));
	struct pmf_snapshot_info *in = &s->info;
	in->pid = 4242;
	in->time_unix_ns = 1700000000123456789ll;
	in->python = (struct pmf_python){.hexversion = 0x030c01f0,
					 .major = 3,
					 .minor = 12,
					 .micro = 1,
					 .version = "3.12.1",
					 .executable = "/usr/bin/python3.12",
					 .image = "/usr/lib/libpython3.12.so.1.0",
					 .shared_library = true,
					 .version_source = "Py_Version",
					 .build_id = "abcd"};
	in->allocator = PMF_ALLOC_PYMALLOC;
	in->allocator_detail = "";
	in->locate_method = PMF_LOCATE_TABLE;
	in->locate_detail = "_PyRuntime + 80352";
	in->arena_size = 1 << 20;
	in->pool_size = 16384;
	in->alignment = 16;
	in->small_threshold = 512;
	in->pool_overhead = 48;
	in->threads_stopped = 1;
	in->pause_us = 1500;
	in->walk_us = 1000;
	in->process = (struct pmf_process_mem){.valid = true,
					       .rss_bytes = 30 << 20,
					       .pss_bytes = 29 << 20,
					       .hwm_bytes = 31 << 20,
					       .threads = 1};
	in->ninterps = 2;
	for (int k = 0; k < 2; k++) {
		struct pmf_interp_stats *it = &s->interps[k];
		it->id = k * 3;
		it->is_main = k == 0;
		it->nclasses = 32;
		for (unsigned i = 0; i < 32; i++)
			it->classes[i] = (struct pmf_class_stats){
				.index = i, .size = (i + 1) * 16};
		it->classes[2] = (struct pmf_class_stats){2, 48, 1, 300, 40};
		it->arenas = (struct pmf_arena_counters){1, 2, 3, 2, 16};
		it->bytes.allocated_blocks = 300 * 48;
		it->bytes.total = 1 << 20;
		it->arena_map.present = true;
		it->arena_map.mid_nodes = 1;
	}
	return s;
}

static char *
render(const struct pmf_snapshot *s, enum pmf_format f,
       const struct pmf_report_opts *o, int *rc)
{
	struct pmf__sb sb = PMF__SB_INIT;
	*rc = pmf_report_write(s, f, o, sink, &sb);
	return pmf__sb_steal(&sb);
}

START_TEST(test_formats)
{
	struct pmf_snapshot *s = fake_snapshot();
	int rc;
	char *t = render(s, PMF_FORMAT_TEXT, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "python      3.12.1  /usr/bin/python3.12"));
	ck_assert_ptr_nonnull(strstr(t, "located     table: _PyRuntime + 80352"));
	ck_assert_ptr_nonnull(strstr(t, "target paused 1.50 ms (1 thread)"));
	ck_assert_ptr_nonnull(strstr(t, "interpreter 0 (main)"));
	ck_assert_ptr_nonnull(strstr(t, "interpreter 3,"));
	ck_assert_ptr_nonnull(
		strstr(t, "      2    48        1           300            40  "
			  " 88.2%        14,400"));
	free(t);

	t = render(s, PMF_FORMAT_JSON, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "\"schema_version\": 2,"));
	ck_assert_ptr_nonnull(strstr(t, "\"time\": \"2023-11-14T22:13:20.123Z\""));
	ck_assert_ptr_nonnull(strstr(t, "\"interpreters\": ["));
	ck_assert_ptr_nonnull(strstr(t, "\"utilization\": 0.882353"));
	free(t);

	/* One interpreter selected: no interpreters[], and it is the top. */
	struct pmf_report_opts one = {.select_interp = true, .interp_id = 3};
	t = render(s, PMF_FORMAT_JSON, &one, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(strstr(t, "\"interpreters\""));
	ck_assert_ptr_nonnull(strstr(t, "\"interpreter_id\": 3,"));
	free(t);
	t = render(s, PMF_FORMAT_DEBUGMALLOCSTATS, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert(strncmp(t, "Interpreter 0 (main):\nSmall block", 33) == 0);
	ck_assert_ptr_nonnull(strstr(t, "\nInterpreter 3:\nSmall block"));
	free(t);
	t = render(s, PMF_FORMAT_DEBUGMALLOCSTATS, &one, &rc);
	ck_assert(strncmp(t, "Small block threshold = 512, in 32 size "
			     "classes.\n",
			  49) == 0);
	free(t);

	/* Errors: an interpreter that is not there, a bad format, a sink
	 * that fails. */
	struct pmf_report_opts none = {.select_interp = true, .interp_id = 9};
	t = render(s, PMF_FORMAT_TEXT, &none, &rc);
	ck_assert_int_eq(rc, PMF_EINVAL);
	free(t);
	t = render(s, (enum pmf_format)7, NULL, &rc);
	ck_assert_int_eq(rc, PMF_EINVAL);
	free(t);
	ck_assert_int_eq(pmf_report_write(s, PMF_FORMAT_JSON, NULL,
					  failing_sink, NULL),
			 PMF_EIO);
	ck_assert_int_eq(pmf_report_write(NULL, PMF_FORMAT_JSON, NULL, sink,
					  NULL),
			 PMF_EINVAL);

	/* Without pymalloc: no tables, the reason, nulls in JSON. */
	s->n = 0;
	s->info.ninterps = 0;
	s->info.allocator = PMF_ALLOC_MALLOC;
	t = render(s, PMF_FORMAT_TEXT, NULL, &rc);
	ck_assert_ptr_nonnull(strstr(t, "PYTHONMALLOC=malloc"));
	free(t);
	t = render(s, PMF_FORMAT_JSON, NULL, &rc);
	ck_assert_ptr_nonnull(strstr(t, "\"arenas\": null"));
	ck_assert_ptr_nonnull(strstr(t, "\"size_classes\": []"));
	free(t);
	t = render(s, PMF_FORMAT_DEBUGMALLOCSTATS, NULL, &rc);
	ck_assert_str_eq(t, "");
	free(t);
	s->n = 2;
	pmf_snapshot_free(s);
}
END_TEST

START_TEST(test_null_handles)
{
	/* The public API tolerates NULL where it documents it. */
	pmf_snapshot_free(NULL);
	pmf_target_free(NULL);
	ck_assert_str_eq(pmf_target_errmsg(NULL), "");
	ck_assert_ptr_null(pmf_target_python(NULL));
	ck_assert_ptr_null(pmf_snapshot_info(NULL));
	ck_assert_ptr_null(pmf_snapshot_interp(NULL, 0));
	pmf_target *t = pmf_target_new();
	pmf_snapshot *s;
	ck_assert_int_eq(pmf_snapshot_take(t, 0, &s), PMF_EINVAL);
	ck_assert_ptr_nonnull(strstr(pmf_target_errmsg(t), "not open"));
	ck_assert_ptr_null(pmf_target_python(t));
	pmf_target_free(t);
}
END_TEST

/* The tree's events, and a parse of the JSON text, as one line each:
 * "{", "}", "[", "]", "k KEY", "s STRING", "= INTEGER", "~ DOUBLE", "t",
 * "f", "null". */
static int
ev(struct pmf__sb *sb, const char *tag, const char *s, size_t len)
{
	pmf__sb_printf(sb, "%s", tag);
	if (s != NULL) {
		pmf__sb_add(sb, " ", 1);
		pmf__sb_add(sb, s, len);
	}
	pmf__sb_add(sb, "\n", 1);
	return 0;
}

static int
ev_int(struct pmf__sb *sb, long long v)
{
	char buf[40];
	snprintf(buf, sizeof(buf), "%lld", v);
	return ev(sb, "=", buf, strlen(buf));
}

static int
ev_dbl(struct pmf__sb *sb, double v)
{
	char buf[40];
	snprintf(buf, sizeof(buf), "%.17g", v);
	return ev(sb, "~", buf, strlen(buf));
}

static int
t_begin(void *a, bool array)
{
	return ev(a, array ? "[" : "{", NULL, 0);
}
static int
t_end(void *a, bool array)
{
	return ev(a, array ? "]" : "}", NULL, 0);
}
static int
t_key(void *a, const char *k, size_t n)
{
	return ev(a, "k", k, n);
}
static int
t_str(void *a, const char *s, size_t n)
{
	return ev(a, "s", s, n);
}
static int
t_u64(void *a, uint64_t v)
{
	/* The parser's integers are int64_t; none in the report is larger. */
	ck_assert_uint_le(v, (uint64_t)INT64_MAX);
	return ev_int(a, (long long)v);
}
static int
t_i64(void *a, int64_t v)
{
	return ev_int(a, v);
}
static int
t_f64(void *a, double v)
{
	return ev_dbl(a, v);
}
static int
t_bool(void *a, bool v)
{
	return ev(a, v ? "t" : "f", NULL, 0);
}
static int
t_null(void *a)
{
	return ev(a, "null", NULL, 0);
}

static const struct pmf_tree_sink events = {
	.begin = t_begin,
	.end = t_end,
	.key = t_key,
	.str = t_str,
	.u64 = t_u64,
	.i64 = t_i64,
	.f64 = t_f64,
	.boolean = t_bool,
	.null = t_null,
};

static void
parsed_events(const struct pmf__jval *v, struct pmf__sb *sb)
{
	switch (v->type) {
	case PMF__J_NULL:
		ev(sb, "null", NULL, 0);
		break;
	case PMF__J_BOOL:
		ev(sb, v->b ? "t" : "f", NULL, 0);
		break;
	case PMF__J_INT:
		ev_int(sb, v->i);
		break;
	case PMF__J_DOUBLE:
		ev_dbl(sb, v->d);
		break;
	case PMF__J_STRING:
		ev(sb, "s", v->str.s, v->str.len);
		break;
	case PMF__J_ARRAY:
		ev(sb, "[", NULL, 0);
		for (size_t i = 0; i < v->arr.n; i++)
			parsed_events(&v->arr.items[i], sb);
		ev(sb, "]", NULL, 0);
		break;
	case PMF__J_OBJECT:
		ev(sb, "{", NULL, 0);
		for (size_t i = 0; i < v->obj.n; i++) {
			ev(sb, "k", v->obj.members[i].key,
			   v->obj.members[i].key_len);
			parsed_events(&v->obj.members[i].val, sb);
		}
		ev(sb, "}", NULL, 0);
		break;
	}
}

/* The JSON text of S, parsed, as events. */
static char *
text_events(const struct pmf_snapshot *s, const struct pmf_report_opts *o)
{
	int rc;
	char *t = render(s, PMF_FORMAT_JSON, o, &rc);
	ck_assert_int_eq(rc, 0);
	struct pmf__jdoc *doc;
	struct pmf__err e = {0};
	ck_assert_msg(pmf__jparse(t, strlen(t), NULL, &doc, &e) == 0, "%s",
		      e.msg);
	struct pmf__sb sb = PMF__SB_INIT;
	parsed_events(pmf__jroot(doc), &sb);
	pmf__jfree(doc);
	free(t);
	return pmf__sb_steal(&sb);
}

/* A sink that counts its calls and fails the third container. */
struct counting {
	int calls, begins;
};

static int
c_begin(void *a, bool array)
{
	struct counting *c = a;
	(void)array;
	c->calls++;
	return ++c->begins == 3 ? -1 : 0;
}
static int
c_end(void *a, bool array)
{
	(void)array;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_text(void *a, const char *s, size_t n)
{
	(void)s;
	(void)n;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_u64(void *a, uint64_t v)
{
	(void)v;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_i64(void *a, int64_t v)
{
	(void)v;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_f64(void *a, double v)
{
	(void)v;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_bool(void *a, bool v)
{
	(void)v;
	((struct counting *)a)->calls++;
	return 0;
}
static int
c_null(void *a)
{
	((struct counting *)a)->calls++;
	return 0;
}

static const struct pmf_tree_sink counting_sink = {
	.begin = c_begin,
	.end = c_end,
	.key = c_text,
	.str = c_text,
	.u64 = c_u64,
	.i64 = c_i64,
	.f64 = c_f64,
	.boolean = c_bool,
	.null = c_null,
};

/* pmf_report_tree() hands over what a parser of the JSON text finds:
 * every key, string (unescaped, invalid UTF-8 as U+FFFD), number and
 * nesting, for the whole snapshot and for one interpreter; a failing
 * callback stops it. */
START_TEST(test_tree)
{
	struct pmf_snapshot *s = fake_snapshot();
	/* Bytes from the target: a control character, an invalid byte, an
	 * encoded surrogate, an overlong slash. */
	s->info.python.executable = "/opt/py\x01th\xffon \"3\" \xed\xa0\x80 \xc0\xaf";
	/* A full class: its utilization, 1, is an integer in the text. */
	s->interps[0].classes[5] = (struct pmf_class_stats){5, 96, 1, 10, 0};
	s->info.allocator_detail = "caf\xc3\xa9 \\ tab\there";
	struct pmf_report_opts one = {.select_interp = true, .interp_id = 3};
	const struct pmf_report_opts *opts[] = {NULL, &one};
	for (size_t k = 0; k < 2; k++) {
		struct pmf__sb sb = PMF__SB_INIT;
		ck_assert_int_eq(pmf_report_tree(s, opts[k], &events, &sb), 0);
		char *want = text_events(s, opts[k]);
		ck_assert_str_eq(sb.buf, want);
		ck_assert_ptr_nonnull(strstr(
			sb.buf, "s /opt/py\x01th\xef\xbf\xbdon \"3\" "
				"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
				"\xef\xbf\xbd\xef\xbf\xbd\n"));
		ck_assert_ptr_nonnull(strstr(sb.buf, "k utilization\n~ 0.88235300000000005\n"));
		if (k == 0)
			ck_assert_ptr_nonnull(
				strstr(sb.buf, "k utilization\n= 1\n"));
		free(want);
		pmf__sb_free(&sb);
	}
	/* A callback that fails (the third begin: "python"'s object, after
	 * the top level's and "tool"'s): PMF_EIO, and no call after it. */
	struct counting c = {0};
	ck_assert_int_eq(pmf_report_tree(s, NULL, &counting_sink, &c), PMF_EIO);
	/* {, schema_version k+v, tool k, {, name k+v, version k+v, },
	 * pid k+v, time k+v, python k, { (fails) = 16 calls. */
	ck_assert_int_eq(c.begins, 3);
	ck_assert_int_eq(c.calls, 16);
	/* Bad arguments. */
	struct pmf_tree_sink half = events;
	half.null = NULL;
	struct pmf__sb sb = PMF__SB_INIT;
	ck_assert_int_eq(pmf_report_tree(s, NULL, &half, &sb), PMF_EINVAL);
	ck_assert_int_eq(pmf_report_tree(NULL, NULL, &events, &sb), PMF_EINVAL);
	ck_assert_int_eq(pmf_report_tree(s, NULL, NULL, &sb), PMF_EINVAL);
	struct pmf_report_opts none = {.select_interp = true, .interp_id = 9};
	ck_assert_int_eq(pmf_report_tree(s, &none, &events, &sb), PMF_EINVAL);
	ck_assert_uint_eq(sb.len, 0);
	pmf__sb_free(&sb);
	s->info.allocator_detail = "";
	pmf_snapshot_free(s);
}
END_TEST

/* A program that set a locale with a decimal comma (Python's
 * locale.setlocale(LC_ALL, "") under LANG=de_DE.UTF-8) still gets JSON
 * and exposition numbers with a point, and keeps its locale. */
START_TEST(test_comma_locale)
{
	char dir[] = "/tmp/pymfrag-test-locale.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
		 dir);
	ck_assert_msg(system(cmd) == 0,
		      "localedef cannot build de_DE.UTF-8: install the Debian "
		      "package locales");
	setenv("LOCPATH", dir, 1);
	ck_assert_ptr_nonnull(setlocale(LC_ALL, "de_DE.UTF-8"));
	ck_assert_str_eq(localeconv()->decimal_point, ",");

	struct pmf_snapshot *s = fake_snapshot();
	int rc;
	char *t = render(s, PMF_FORMAT_JSON, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_nonnull(strstr(t, "\"utilization\": 0.882353"));
	free(t);
	t = render(s, PMF_FORMAT_PROMETHEUS, NULL, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_ptr_null(strstr(t, "0,"));
	free(t);
	struct pmf__sb sb = PMF__SB_INIT;
	ck_assert_int_eq(pmf_report_tree(s, NULL, &events, &sb), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "k utilization\n~ 0.88"));
	ck_assert_ptr_null(strstr(sb.buf, "~ 0,"));
	pmf__sb_free(&sb);
	pmf_snapshot_free(s);
	/* The program's locale is its own again. */
	ck_assert_str_eq(localeconv()->decimal_point, ",");
	setlocale(LC_ALL, "C");
	unsetenv("LOCPATH");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("report");
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_json_writer);
	tcase_add_test(tc, test_formats);
	tcase_add_test(tc, test_null_handles);
	tcase_add_test(tc, test_tree);
	tcase_add_test(tc, test_comma_locale);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}
