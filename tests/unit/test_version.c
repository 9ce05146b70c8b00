/* SPDX-License-Identifier: MIT */
/* Unit tests for version parsing (src/py/version.c) and the layout rows
 * (src/py/layouts.c). */
#include "config.h"

#include <string.h>

#include "py/layout.h"
#include "py/version.h"
#include "runner.h"

static bool
parse(const char *s, struct pmf__pyver *v)
{
	memset(v, 0, sizeof(*v));
	return pmf__pyver_parse_text(s, strlen(s), v);
}

START_TEST(test_parse_text)
{
	struct pmf__pyver v;
	ck_assert(parse("3.8.18 (default, Nov 1 2025, 10:00:00) \n[GCC]", &v));
	ck_assert_uint_eq(v.hex, 0x030812f0u);
	pmf__pyver_format(&v);
	ck_assert_str_eq(v.str, "3.8.18");
	ck_assert(parse("3.14.0rc1 (main, ...)", &v));
	ck_assert_uint_eq(v.hex, 0x030e00c1u);
	pmf__pyver_format(&v);
	ck_assert_str_eq(v.str, "3.14.0rc1");
	ck_assert(parse("3.13.0b2+ (heads/3.13:abc)", &v));
	ck_assert_uint_eq(v.level, 0xb);
	ck_assert(parse("3.13.0 experimental free-threading build (main)",
			&v));
	ck_assert(v.free_threaded);
	ck_assert(parse("2.7.18 (default, Apr 20 2020)", &v));
	ck_assert_uint_eq(v.major, 2);
	/* Not a sys.version string. */
	ck_assert(!parse("3.8.18", &v));
	ck_assert(!parse("3.8 (x)", &v));
	ck_assert(!parse("4.0.0 (x)", &v));
	ck_assert(!parse("3.8.18x (x)", &v));
	ck_assert(!parse("3.11.2r (x)", &v));
	ck_assert(!parse("", &v));
}
END_TEST

START_TEST(test_parse_name)
{
	struct pmf__pyver v;
	ck_assert(pmf__pyver_parse_name("/usr/lib/libpython3.11.so.1.0", &v));
	ck_assert_uint_eq(v.major, 3);
	ck_assert_uint_eq(v.minor, 11);
	ck_assert(!v.micro_known);
	ck_assert(!v.debug && !v.free_threaded);
	pmf__pyver_format(&v);
	ck_assert_str_eq(v.str, "3.11");
	ck_assert(pmf__pyver_parse_name("libpython3.7dm.so.1.0", &v));
	ck_assert(v.debug);
	ck_assert(pmf__pyver_parse_name("/opt/bin/python3.13t", &v));
	ck_assert(v.free_threaded);
	ck_assert(pmf__pyver_parse_name("python3.6m", &v));
	ck_assert(!pmf__pyver_parse_name("libpython3.so", &v));
	ck_assert(!pmf__pyver_parse_name("/usr/bin/python3", &v));
	ck_assert(!pmf__pyver_parse_name("/usr/bin/python3-config", &v));
	ck_assert(!pmf__pyver_parse_name("/bin/sleep", &v));
}
END_TEST

START_TEST(test_layout_rows)
{
	size_t n;
	const struct pmf__layout *all = pmf__layout_all(&n);
	bool seen[PMF__MAX_MINOR + 1] = {false};
	for (size_t i = 0; i < n; i++) {
		const struct pmf__layout *l = &all[i];
		ck_assert_uint_eq(l->major, 3);
		ck_assert(l->minor >= PMF__MIN_MINOR &&
			  l->minor <= PMF__MAX_MINOR);
		seen[l->minor] = true;
		ck_assert(pmf__is_pow2(l->pool_size));
		ck_assert_uint_eq(l->arena_size / l->pool_size, 64);
		ck_assert_uint_eq(l->arena_size % l->pool_size, 0);
		ck_assert_uint_eq(l->pool_overhead, PMF__PH_SIZE);
		ck_assert_uint_eq(l->threshold / l->alignment, 32);
		ck_assert_ptr_nonnull(l->verified);
		/* The arena map arrived with 1 MiB arenas in 3.10. */
		ck_assert(l->radix == (l->minor >= 10));
		ck_assert(l->radix == (l->arena_size == 1u << 20));
		if (l->radix)
			ck_assert(l->map_root_bytes && l->map_mid_bytes &&
				  l->map_bot_bytes);
		ck_assert(l->kind == (l->minor <= 11 ? PMF__STATE_STATICS
				      : l->minor == 12
					      ? PMF__STATE_INTERP_INLINE
					      : PMF__STATE_INTERP_POINTER));
		if (l->kind == PMF__STATE_STATICS)
			continue;
		const struct pmf__state_offsets *o = &l->st;
		uint32_t offs[] = {o->usedpools, o->arenas, o->ncur,
				   o->ntimes, o->highwater};
		for (size_t k = 0; k < sizeof(offs) / sizeof(offs[0]); k++)
			ck_assert(offs[k] + 8 <= o->size);
		/* The 4-byte fields. */
		ck_assert(o->maxarenas + 4 <= o->size);
		ck_assert(o->map_mid_count + 4 <= o->size);
		ck_assert(o->map_bot_count + 4 <= o->size);
		ck_assert(l->runtime_size > 0);
		ck_assert(l->rt_main_interp + l->is_obmalloc <
			  l->runtime_size);
		ck_assert(l->rt_interp_head > 0 && l->rt_obj_alloc > 0 &&
			  l->rt_dbg_obj > l->rt_obj_alloc);
		ck_assert(l->rt_dbg_obj < l->runtime_size);
		ck_assert(l->is_id != l->is_next);
	}
	for (unsigned m = PMF__MIN_MINOR; m <= PMF__MAX_MINOR; m++)
		ck_assert_msg(seen[m], "no layout for 3.%u", m);
}
END_TEST

START_TEST(test_layout_find)
{
	bool exact;
	const struct pmf__layout *l = pmf__layout_find(3, 12, 459944, &exact);
	ck_assert_ptr_nonnull(l);
	ck_assert(exact);
	l = pmf__layout_find(3, 12, 123, &exact);
	ck_assert_ptr_nonnull(l); /* tried, and validated by the caller */
	ck_assert(!exact);
	l = pmf__layout_find(3, 9, 0, &exact);
	ck_assert(l != NULL && exact);
	ck_assert_ptr_null(pmf__layout_find(3, 5, 0, &exact));
	ck_assert_ptr_null(pmf__layout_find(3, 15, 0, &exact));
	ck_assert_ptr_null(pmf__layout_find(2, 7, 0, &exact));
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("version");
	TCase *tc = tcase_create("version");
	tcase_add_test(tc, test_parse_text);
	tcase_add_test(tc, test_parse_name);
	tcase_add_test(tc, test_layout_rows);
	tcase_add_test(tc, test_layout_find);
	suite_add_tcase(s, tc);
	return s;
}
