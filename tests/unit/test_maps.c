/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/maps.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/maps.h"
#include "runner.h"

static const char sample[] =
	"00400000-00401000 r--p 00000000 fd:01 1311 /usr/bin/python3.11\n"
	"00401000-00800000 r-xp 00001000 fd:01 1311 /usr/bin/python3.11\n"
	"01b3c000-01cde000 rw-p 00000000 00:00 0                  [heap]\n"
	"7f0000000000-7f0000100000 rw-p 00000000 00:00 0 \n"
	"7f0000100000-7f0000300000 rw-p 00000000 00:00 0 \n"
	"7f0000300000-7f0000400000 r--p 00000000 00:00 0 \n"
	"7f0000500000-7f0000600000 rw-p 00000000 08:02 77 /tmp/my file "
	"with spaces.so (deleted)\n"
	"7f0000600000-7f0000700000 rw-p 00000000 00:00 0  [anon:arena]\n"
	"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0  [stack]\n";

static struct pmf__maps
parse_sample(void)
{
	struct pmf__maps m;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__maps_parse(&m, strdup(sample), &e), 0);
	return m;
}

START_TEST(test_parse_fields)
{
	struct pmf__maps m = parse_sample();
	ck_assert_uint_eq(m.n, 9);
	ck_assert_uint_eq(m.v[1].start, 0x401000);
	ck_assert_uint_eq(m.v[1].end, 0x800000);
	ck_assert_uint_eq(m.v[1].offset, 0x1000);
	ck_assert(m.v[1].r && !m.v[1].w && m.v[1].x && !m.v[1].shared);
	ck_assert_uint_eq(m.v[1].dev_major, 0xfd);
	ck_assert_uint_eq(m.v[1].dev_minor, 1);
	ck_assert_uint_eq(m.v[1].inode, 1311);
	ck_assert_str_eq(m.v[1].path, "/usr/bin/python3.11");
	ck_assert_str_eq(m.v[2].path, "[heap]");
	ck_assert_str_eq(m.v[3].path, "");
	ck_assert_str_eq(m.v[6].path, "/tmp/my file with spaces.so");
	ck_assert(m.v[6].deleted);
	ck_assert(!m.v[1].deleted);
	pmf__maps_free(&m);
}
END_TEST

START_TEST(test_find_and_ranges)
{
	struct pmf__maps m = parse_sample();
	ck_assert_ptr_eq(pmf__maps_find(&m, 0x400000), &m.v[0]);
	ck_assert_ptr_eq(pmf__maps_find(&m, 0x400fff), &m.v[0]);
	ck_assert_ptr_eq(pmf__maps_find(&m, 0x401000), &m.v[1]);
	ck_assert_ptr_null(pmf__maps_find(&m, 0x3fffff));
	ck_assert_ptr_null(pmf__maps_find(&m, 0x7f0000400000));
	ck_assert(pmf__map_is_anon(&m.v[2]));
	ck_assert(pmf__map_is_anon(&m.v[3]));
	ck_assert(pmf__map_is_anon(&m.v[7]));
	ck_assert(!pmf__map_is_anon(&m.v[1]));
	ck_assert(!pmf__map_is_anon(&m.v[8])); /* [stack] */
	/* An arena spanning two adjacent anonymous VMAs is fine... */
	ck_assert(pmf__maps_range_is_anon_rw(&m, 0x7f00000c0000, 0x100000));
	/* ...one running into a read-only VMA or a gap is not. */
	ck_assert(!pmf__maps_range_is_anon_rw(&m, 0x7f0000280000, 0x100000));
	ck_assert(!pmf__maps_range_is_anon_rw(&m, 0x7f0000380000, 0x100000));
	ck_assert(!pmf__maps_range_is_anon_rw(&m, 0x7f0000500000, 0x1000));
	ck_assert(pmf__maps_range_is_anon_rw(&m, 0x1b3c000, 0x1000));
	ck_assert(!pmf__maps_range_is_anon_rw(&m, 0x7f0000000000, 0));
	ck_assert(!pmf__maps_range_is_anon_rw(&m, UINT64_MAX - 10, 100));
	ck_assert(pmf__maps_range_readable(&m, 0x7f0000280000, 0x100000));
	ck_assert(!pmf__maps_range_readable(&m, 0x7f0000380000, 0x100000));
	pmf__maps_free(&m);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = {
		"zz-00401000 r--p 00000000 fd:01 1 /x\n",
		"00401000-00400000 r--p 00000000 fd:01 1 /x\n",
		"00400000-00401000 r--p\n",
		"00400000-00401000 r--p 0 fd 1 /x\n",
		"00400000-00401000 r--p 00000000 fd:01 x /x\n",
		"00500000-00501000 r--p 00000000 fd:01 1 /x\n"
		"00400000-00401000 r--p 00000000 fd:01 1 /x\n",
		"11111111111111111-00401000 r--p 00000000 fd:01 1 /x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct pmf__maps m;
		struct pmf__err e = {0};
		ck_assert_int_eq(pmf__maps_parse(&m, strdup(bad[i]), &e),
				 PMF_EIO);
		ck_assert_ptr_null(m.v);
		ck_assert(strstr(e.msg, "maps") != NULL);
	}
	struct pmf__maps m;
	ck_assert_int_eq(pmf__maps_parse(&m, strdup(""), NULL), 0);
	ck_assert_uint_eq(m.n, 0);
	pmf__maps_free(&m);
}
END_TEST

START_TEST(test_read_self)
{
	struct pmf__maps m;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__maps_read(&m, getpid(), &e), 0);
	ck_assert(m.n > 5);
	/* Our own code and a heap allocation are in there. */
	const struct pmf__map *mp =
		pmf__maps_find(&m, (uint64_t)(uintptr_t)&make_suite);
	ck_assert_ptr_nonnull(mp);
	ck_assert(mp->x);
	void *p = malloc(1 << 20);
	pmf__maps_free(&m);
	ck_assert_int_eq(pmf__maps_read(&m, getpid(), &e), 0);
	ck_assert(pmf__maps_range_is_anon_rw(&m, (uint64_t)(uintptr_t)p,
					     1 << 20));
	free(p);
	pmf__maps_free(&m);
	ck_assert_int_eq(pmf__maps_read(&m, 0, &e), PMF_ESRCH);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("maps");
	TCase *tc = tcase_create("maps");
	tcase_add_test(tc, test_parse_fields);
	tcase_add_test(tc, test_find_and_ranges);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_read_self);
	suite_add_tcase(s, tc);
	return s;
}
