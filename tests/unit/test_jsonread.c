/* SPDX-License-Identifier: MIT */
/* Unit tests for src/base/jsonread: the grammar, numbers, strings and
 * escapes, malformed input, the bounds, and everything the writer of
 * src/core/json.c produces. */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonread.h"
#include "base/strbuf.h"
#include "core/json.h"
#include "runner.h"

static struct pmf__jdoc *
parse_len(const char *s, size_t len)
{
	struct pmf__jdoc *d = NULL;
	struct pmf__err e = {0};
	int rc = pmf__jparse(s, len, NULL, &d, &e);
	ck_assert_msg(rc == 0, "parse of '%.60s' failed: %s", s, e.msg);
	ck_assert_ptr_nonnull(d);
	return d;
}

static struct pmf__jdoc *
parse(const char *s)
{
	return parse_len(s, strlen(s));
}

/* S is refused with a message containing WHAT. */
static void
refused_len(const char *s, size_t len, const struct pmf__jlimits *lim,
	    const char *what)
{
	struct pmf__jdoc *d = NULL;
	struct pmf__err e = {0};
	int rc = pmf__jparse(s, len, lim, &d, &e);
	ck_assert_msg(rc == PMF_EINVAL, "'%.60s' was accepted (rc %d)", s,
		      rc);
	ck_assert_ptr_null(d); /* written only on success */
	ck_assert_msg(strstr(e.msg, what) != NULL,
		      "'%.60s': message '%s' lacks '%s'", s, e.msg, what);
}

static void
refused(const char *s, const char *what)
{
	refused_len(s, strlen(s), NULL, what);
}

START_TEST(test_scalars)
{
	struct pmf__jdoc *d = parse(" true ");
	ck_assert_int_eq(pmf__jroot(d)->type, PMF__J_BOOL);
	ck_assert(pmf__jtrue(pmf__jroot(d)));
	pmf__jfree(d);
	d = parse("false");
	ck_assert_int_eq(pmf__jroot(d)->type, PMF__J_BOOL);
	ck_assert(!pmf__jtrue(pmf__jroot(d)));
	ck_assert(!pmf__jnull(pmf__jroot(d)));
	pmf__jfree(d);
	d = parse("\t\r\nnull\n");
	ck_assert(pmf__jnull(pmf__jroot(d)));
	pmf__jfree(d);
	/* A UTF-8 byte-order mark is skipped. */
	d = parse("\xef\xbb\xbf\"x\"");
	ck_assert_str_eq(pmf__jstr(pmf__jroot(d)), "x");
	pmf__jfree(d);
}
END_TEST

START_TEST(test_numbers)
{
	static const struct {
		const char *text;
		int64_t v;
	} ints[] = {
		{"0", 0},
		{"-0", 0},
		{"7", 7},
		{"-42", -42},
		{"1048576", 1048576},
		{"9223372036854775807", INT64_MAX},
		{"-9223372036854775808", INT64_MIN},
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(ints); i++) {
		struct pmf__jdoc *d = parse(ints[i].text);
		int64_t v;
		ck_assert_int_eq(pmf__jroot(d)->type, PMF__J_INT);
		ck_assert(pmf__jint(pmf__jroot(d), &v));
		ck_assert_int_eq(v, ints[i].v);
		pmf__jfree(d);
	}
	static const struct {
		const char *text;
		double v;
	} dbls[] = {
		{"0.25", 0.25},       {"-2.5e-3", -2.5e-3},
		{"1E+2", 100.0},      {"1e2", 100.0},
		{"0.1", 0.1},         {"123456789.5", 123456789.5},
		{"1e-400", 0.0},      {"18446744073709551615", 18446744073709551615.0},
		{"9223372036854775808", 9223372036854775808.0},
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(dbls); i++) {
		struct pmf__jdoc *d = parse(dbls[i].text);
		double v;
		ck_assert_int_eq(pmf__jroot(d)->type, PMF__J_DOUBLE);
		ck_assert(pmf__jnum(pmf__jroot(d), &v));
		ck_assert_msg(v == dbls[i].v, "%s read as %g", dbls[i].text, v);
		pmf__jfree(d);
	}
	/* Integral doubles within range read as integers, others do not. */
	struct pmf__jdoc *d =
		parse("[2.0, 1e3, 1.5, 9223372036854775808, -9.2e18, \"3\"]");
	const struct pmf__jval *a = pmf__jroot(d);
	int64_t v;
	ck_assert(pmf__jint(pmf__jat(a, 0), &v));
	ck_assert_int_eq(v, 2);
	ck_assert(pmf__jint(pmf__jat(a, 1), &v));
	ck_assert_int_eq(v, 1000);
	ck_assert(!pmf__jint(pmf__jat(a, 2), &v));
	ck_assert(!pmf__jint(pmf__jat(a, 3), &v));
	ck_assert(pmf__jint(pmf__jat(a, 4), &v));
	ck_assert_int_eq(v, -9200000000000000000LL);
	ck_assert(!pmf__jint(pmf__jat(a, 5), &v));
	double f;
	ck_assert(!pmf__jnum(pmf__jat(a, 5), &f));
	pmf__jfree(d);

	refused("01", "expected the end of the input");
	refused("-", "expected a digit");
	refused("-a", "expected a digit");
	refused("1.", "expected a digit after '.'");
	refused(".5", "unexpected '.'");
	refused("+1", "unexpected '+'");
	refused("1e", "exponent");
	refused("1e+", "exponent");
	refused("0x10", "expected the end");
	refused("NaN", "unexpected 'N'");
	refused("Infinity", "unexpected 'I'");
	refused("-Infinity", "expected a digit");
	refused("1e999", "out of range");
	refused("-1e999", "out of range");
	char longnum[300];
	memset(longnum, '9', sizeof(longnum) - 1);
	longnum[sizeof(longnum) - 1] = '\0';
	refused(longnum, "too long");
}
END_TEST

START_TEST(test_strings)
{
	struct pmf__jdoc *d =
		parse("[\"\", \"plain\", \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\","
		      " \"\\u0041\\u00e9\\u20AC\", \"\\ud83d\\ude00\","
		      " \"a\\u0000b\", \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
		      " \"\\ud800\", \"\\udc00x\", \"\\ud800\\u0041\","
		      " \"\\ud800\\ud800\"]");
	const struct pmf__jval *a = pmf__jroot(d);
	ck_assert_uint_eq(pmf__jlen(a), 11);
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 0)), "");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 1)), "plain");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 2)), "\" \\ / \b \f \n \r \t");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 3)), "A\xc3\xa9\xe2\x82\xac");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 4)), "\xf0\x9f\x98\x80");
	/* \u0000 is kept: the length counts past it. */
	const struct pmf__jval *nul = pmf__jat(a, 5);
	ck_assert_uint_eq(nul->str.len, 3);
	ck_assert(memcmp(nul->str.s, "a\0b", 4) == 0);
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 6)),
			 "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	/* Surrogates without their pair become U+FFFD. */
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 7)), "\xef\xbf\xbd");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 8)), "\xef\xbf\xbdx");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 9)), "\xef\xbf\xbd" "A");
	ck_assert_str_eq(pmf__jstr(pmf__jat(a, 10)),
			 "\xef\xbf\xbd\xef\xbf\xbd");
	ck_assert_ptr_null(pmf__jstr(pmf__jat(a, 11)));
	pmf__jfree(d);

	refused("\"abc", "string not terminated");
	refused("\"abc\\\"", "string not terminated");
	refused("\"a\nb\"", "control character 0x0a");
	refused("\"a\tb\"", "control character 0x09");
	refused("\"\\x\"", "unknown escape '\\x'");
	refused("\"\\'\"", "unknown escape");
	refused("\"\\u12\"", "four hex digits");
	refused("\"\\u12G4\"", "four hex digits");
	refused("\"\\U0041\"", "unknown escape");
	refused("\"\xff\"", "invalid UTF-8");
	refused("\"\xc0\x80\"", "invalid UTF-8");         /* overlong NUL */
	refused("\"\xe0\x80\xaf\"", "invalid UTF-8");     /* overlong '/' */
	refused("\"\xed\xa0\x80\"", "invalid UTF-8");     /* a surrogate */
	refused("\"\xf4\x90\x80\x80\"", "invalid UTF-8"); /* past U+10FFFF */
	refused("\"\xe2\x82\"", "invalid UTF-8");         /* truncated */
	refused("\"\x80\"", "invalid UTF-8");             /* lone continuation */
	/* A NUL byte in the input is a control character. */
	refused_len("\"a\0b\"", 5, NULL, "control character 0x00");
	refused_len("\"\\\0\"", 4, NULL, "unknown escape");
}
END_TEST

START_TEST(test_structures)
{
	struct pmf__jdoc *d = parse(
		"{\"a\": {\"b\": [1, {\"c\": \"deep\"}], \"n\": null},\n"
		" \"e\": [], \"o\": {}, \"dup\": 1, \"dup\": 2, \"k\": true}");
	const struct pmf__jval *r = pmf__jroot(d);
	ck_assert_int_eq(r->type, PMF__J_OBJECT);
	ck_assert_uint_eq(pmf__jlen(r), 6);
	/* Members keep their order, duplicates included. */
	ck_assert_str_eq(r->obj.members[0].key, "a");
	ck_assert_str_eq(r->obj.members[3].key, "dup");
	ck_assert_str_eq(r->obj.members[4].key, "dup");
	int64_t v;
	ck_assert(pmf__jint(pmf__jget(r, "dup"), &v));
	ck_assert_int_eq(v, 2);
	ck_assert_str_eq(pmf__jstr(pmf__jget(pmf__jat(pmf__jpath(r, "a.b"), 1),
					     "c")),
			 "deep");
	ck_assert(pmf__jint(pmf__jat(pmf__jpath(r, "a.b"), 0), &v));
	ck_assert_int_eq(v, 1);
	ck_assert_ptr_nonnull(pmf__jpath(r, "a.n"));
	ck_assert(pmf__jnull(pmf__jpath(r, "a.n")));
	ck_assert(pmf__jnull(pmf__jpath(r, "a.missing")));
	ck_assert_ptr_null(pmf__jpath(r, "a.b.c"));
	ck_assert_ptr_null(pmf__jpath(r, "k.x"));
	ck_assert_int_eq(pmf__jget(r, "e")->type, PMF__J_ARRAY);
	ck_assert_uint_eq(pmf__jlen(pmf__jget(r, "e")), 0);
	ck_assert_int_eq(pmf__jget(r, "o")->type, PMF__J_OBJECT);
	ck_assert_uint_eq(pmf__jlen(pmf__jget(r, "o")), 0);
	ck_assert(pmf__jtrue(pmf__jget(r, "k")));
	/* Accessors take NULL and values of the wrong type. */
	ck_assert_ptr_null(pmf__jget(NULL, "a"));
	ck_assert_ptr_null(pmf__jget(pmf__jget(r, "e"), "a"));
	ck_assert_ptr_null(pmf__jat(r, 0));
	ck_assert_ptr_null(pmf__jat(pmf__jget(r, "e"), 0));
	ck_assert_ptr_null(pmf__jat(NULL, 0));
	ck_assert_uint_eq(pmf__jlen(NULL), 0);
	ck_assert_uint_eq(pmf__jlen(pmf__jget(r, "k")), 0);
	ck_assert_ptr_null(pmf__jstr(NULL));
	ck_assert(!pmf__jint(NULL, &v));
	ck_assert(!pmf__jtrue(NULL));
	ck_assert_ptr_null(pmf__jroot(NULL));
	pmf__jfree(d);
	pmf__jfree(NULL);

	refused("", "unexpected end of input, expected a value");
	refused("   ", "unexpected end of input");
	refused("[1,]", "unexpected ']', expected a value");
	refused("[,1]", "unexpected ','");
	refused("{,}", "expected a string key");
	refused("{\"a\":1,}", "expected a string key");
	refused("{\"a\" 1}", "expected ':'");
	refused("{\"a\"}", "expected ':'");
	refused("{1:2}", "expected a string key");
	refused("[1 2]", "expected ',' or ']'");
	refused("{\"a\":1 \"b\":2}", "expected ',' or '}'");
	refused("[1}", "expected ',' or ']'");
	refused("{\"a\":1]", "expected ',' or '}'");
	refused("]", "unexpected ']'");
	refused("}", "unexpected '}'");
	refused("[", "the array opened at line 1, column 1 is not closed");
	refused("{\"a\": [1, 2", "the array opened at line 1, column 7");
	refused("{\"a\":", "the object opened at line 1, column 1");
	refused("[1]]", "expected the end of the input");
	refused("\"a\" \"b\"", "expected the end of the input");
	refused("tru", "unexpected 't'");
	refused("nul", "unexpected 'n'");
	refused("True", "unexpected 'T'");
	refused("[1,\x01]", "unexpected byte 0x01");
	refused_len("[1]\0", 4, NULL, "unexpected byte 0x00");
	/* Where: line and column of the offending byte. */
	refused("{\n  \"a\": 1,\n  \"b\": x\n}", "line 3, column 8");
}
END_TEST

/* N nested arrays: "[[[...]]]". */
static char *
nest(size_t n, bool closed)
{
	char *s = malloc(2 * n + 1);
	ck_assert_ptr_nonnull(s);
	memset(s, '[', n);
	if (closed)
		memset(s + n, ']', n);
	s[closed ? 2 * n : n] = '\0';
	return s;
}

START_TEST(test_bounds)
{
	/* A depth bomb is refused at the limit, without recursion. */
	char *s = nest(1000000, false);
	refused(s, "nested deeper than 64 levels");
	free(s);
	s = nest(64, true);
	pmf__jfree(parse(s));
	free(s);
	s = nest(65, true);
	refused(s, "nested deeper than 64 levels");
	free(s);
	struct pmf__jlimits lim = {.max_depth = 3};
	refused_len("[[[[]]]]", 8, &lim, "nested deeper than 3 levels");
	struct pmf__jdoc *d = NULL;
	ck_assert_int_eq(pmf__jparse("[[[]]]", 6, &lim, &d, NULL), 0);
	pmf__jfree(d);

	lim = (struct pmf__jlimits){.max_bytes = 4};
	refused_len("[1,2]", 5, &lim, "5 bytes, more than the limit of 4");
	lim = (struct pmf__jlimits){.max_values = 3};
	refused_len("[1,2,3]", 7, &lim, "more than 3 values");
	d = NULL;
	ck_assert_int_eq(pmf__jparse("[1,2]", 5, &lim, &d, NULL), 0);
	pmf__jfree(d);

	/* Many values: the child stack and the arena grow. */
	struct pmf__sb sb = PMF__SB_INIT;
	pmf__sb_putc(&sb, '[');
	for (int i = 0; i < 200000; i++)
		pmf__sb_printf(&sb, "%s{\"k%d\": [%d, \"%d\"]}", i ? "," : "",
			       i, i, i);
	pmf__sb_putc(&sb, ']');
	d = parse(pmf__sb_str(&sb));
	const struct pmf__jval *r = pmf__jroot(d);
	ck_assert_uint_eq(pmf__jlen(r), 200000);
	int64_t v;
	ck_assert(pmf__jint(pmf__jat(pmf__jget(pmf__jat(r, 199999), "k199999"),
				 0),
			    &v));
	ck_assert_int_eq(v, 199999);
	pmf__jfree(d);
	pmf__sb_free(&sb);
}
END_TEST

static int
sink(void *arg, const char *data, size_t len)
{
	pmf__sb_add(arg, data, len);
	return 0;
}

/* Everything the report writer emits reads back. */
START_TEST(test_writer_round_trip)
{
	struct pmf__sb sb = PMF__SB_INIT;
	struct pmf__out o;
	struct pmf__json j;
	pmf__out_init(&o, sink, &sb);
	pmf__json_init(&j, &o);
	pmf__json_obj_begin(&j);
	pmf__json_ku64(&j, "schema_version", 1);
	pmf__json_kstr(&j, "s", "a\"b\\c\n\x01\x1f\xc3\xa9\xff/");
	pmf__json_ku64(&j, "u", UINT64_MAX);
	pmf__json_ku64(&j, "addr", 0x7f8134880000ull);
	pmf__json_ki64(&j, "i", INT64_MIN);
	pmf__json_kf64(&j, "f", 0.107143);
	pmf__json_kf64(&j, "big", 1e300);
	pmf__json_kf64(&j, "tiny", 1e-300);
	pmf__json_kf64(&j, "nan", NAN);
	pmf__json_kbool(&j, "t", true);
	pmf__json_kbool(&j, "fa", false);
	pmf__json_key(&j, "n");
	pmf__json_null(&j);
	pmf__json_key(&j, "list");
	pmf__json_arr_begin(&j);
	for (int i = 0; i < 10; i++) {
		pmf__json_obj_begin(&j);
		pmf__json_ku64(&j, "index", (uint64_t)i);
		pmf__json_key(&j, "e");
		pmf__json_arr_begin(&j);
		pmf__json_arr_end(&j);
		pmf__json_obj_end(&j);
	}
	pmf__json_arr_end(&j);
	pmf__json_obj_end(&j);
	ck_assert_int_eq(pmf__out_finish(&o), 0);

	struct pmf__jdoc *d = parse(pmf__sb_str(&sb));
	const struct pmf__jval *r = pmf__jroot(d);
	int64_t v;
	double f;
	ck_assert(pmf__jint(pmf__jget(r, "schema_version"), &v));
	ck_assert_int_eq(v, 1);
	ck_assert_str_eq(pmf__jstr(pmf__jget(r, "s")),
			 "a\"b\\c\n\x01\x1f\xc3\xa9\xef\xbf\xbd/");
	/* Past INT64_MAX a u64 is a double. */
	ck_assert_int_eq(pmf__jget(r, "u")->type, PMF__J_DOUBLE);
	ck_assert(pmf__jnum(pmf__jget(r, "u"), &f));
	ck_assert(f == 18446744073709551615.0);
	ck_assert(pmf__jint(pmf__jget(r, "addr"), &v));
	ck_assert_int_eq(v, 0x7f8134880000ll);
	ck_assert(pmf__jint(pmf__jget(r, "i"), &v));
	ck_assert_int_eq(v, INT64_MIN);
	ck_assert(pmf__jnum(pmf__jget(r, "f"), &f));
	ck_assert(fabs(f - 0.107143) < 1e-12);
	ck_assert(pmf__jnum(pmf__jget(r, "big"), &f) && f == 1e300);
	ck_assert(pmf__jnum(pmf__jget(r, "tiny"), &f) && f == 1e-300);
	ck_assert(pmf__jnull(pmf__jget(r, "nan")));
	ck_assert(pmf__jtrue(pmf__jget(r, "t")));
	ck_assert_int_eq(pmf__jget(r, "fa")->type, PMF__J_BOOL);
	ck_assert_ptr_nonnull(pmf__jget(r, "n"));
	ck_assert(pmf__jnull(pmf__jget(r, "n")));
	const struct pmf__jval *list = pmf__jget(r, "list");
	ck_assert_uint_eq(pmf__jlen(list), 10);
	ck_assert(pmf__jint(pmf__jget(pmf__jat(list, 9), "index"), &v));
	ck_assert_int_eq(v, 9);

	/* Every proper prefix of it is refused, cleanly. */
	const char *text = pmf__sb_str(&sb);
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	for (size_t n = 0; n < len; n++) {
		struct pmf__jdoc *p = NULL;
		struct pmf__err e = {0};
		ck_assert_msg(pmf__jparse(text, n, NULL, &p, &e) == PMF_EINVAL,
			      "prefix of %zu bytes accepted", n);
		ck_assert_ptr_null(p);
	}
	pmf__jfree(d);
	pmf__sb_free(&sb);
}
END_TEST

/* Random damage to a valid document never crashes the reader, and every
 * outcome is a document or an error with a message. */
START_TEST(test_mutations)
{
	const char *base =
		"{\"schema_version\": 1, \"s\": \"x\\u00e9\\ud83d\\ude00\", "
		"\"a\": [1, -2.5e3, true, false, null, {\"k\": []}]}";
	size_t len = strlen(base);
	char *buf = malloc(len + 1);
	ck_assert_ptr_nonnull(buf);
	static const char alphabet[] = "{}[],:\"\\u0123456789eE.-+ tfn\x01\xff";
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 50000; iter++) {
		memcpy(buf, base, len + 1);
		for (int k = 0; k < 3; k++) {
			seed = seed * 6364136223846793005ull +
			       1442695040888963407ull;
			size_t at = (size_t)(seed >> 33) % len;
			buf[at] = alphabet[(seed >> 13) %
					   (sizeof(alphabet) - 1)];
		}
		struct pmf__jdoc *d = NULL;
		struct pmf__err e = {0};
		int rc = pmf__jparse(buf, len, NULL, &d, &e);
		if (rc == 0) {
			ck_assert_ptr_nonnull(pmf__jroot(d));
			pmf__jfree(d);
		} else {
			ck_assert_int_eq(rc, PMF_EINVAL);
			ck_assert(strncmp(e.msg, "line 1, column ", 15) == 0);
		}
	}
	free(buf);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("jsonread");
	TCase *tc = tcase_create("jsonread");
	tcase_add_test(tc, test_scalars);
	tcase_add_test(tc, test_numbers);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_structures);
	tcase_add_test(tc, test_bounds);
	tcase_add_test(tc, test_writer_round_trip);
	tcase_add_test(tc, test_mutations);
	suite_add_tcase(s, tc);
	return s;
}
