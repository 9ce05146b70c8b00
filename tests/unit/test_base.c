/* SPDX-License-Identifier: MIT */
/* Unit tests for src/base: errors, string buffer, vectors, loads. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/strbuf.h"
#include "base/u64tab.h"
#include "base/vec.h"
#include "runner.h"

START_TEST(test_error_names)
{
	ck_assert_str_eq(pmf_strerror(PMF_OK), "success");
	ck_assert_str_eq(pmf_strerror(PMF_ESRCH), "no such process");
	ck_assert_str_eq(pmf_errname(PMF_EPERM), "PMF_EPERM");
	ck_assert_str_eq(pmf_errname(PMF_ENOTSUP), "PMF_ENOTSUP");
	ck_assert_str_eq(pmf_strerror(-999), "unknown error");
	ck_assert_str_eq(pmf_errname(5), "PMF_EUNKNOWN");
	/* Every code has its own name and a description. */
	for (int c = -1; c >= PMF_ENOTSUP; c--) {
		ck_assert_str_ne(pmf_strerror(c), "unknown error");
		for (int d = c - 1; d >= PMF_ENOTSUP; d--)
			ck_assert_str_ne(pmf_errname(c), pmf_errname(d));
	}
}
END_TEST

START_TEST(test_err_set)
{
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__err_set(&e, PMF_EIO, "read %d bytes", 48),
			 PMF_EIO);
	ck_assert_int_eq(e.code, PMF_EIO);
	ck_assert_str_eq(e.msg, "read 48 bytes");
	ck_assert_int_eq(pmf__err_sys(&e, PMF_EPERM, EPERM, "open %s", "x"),
			 PMF_EPERM);
	ck_assert_str_eq(e.msg, "open x: Operation not permitted");
	/* NULL records are allowed and the code still comes back. */
	ck_assert_int_eq(pmf__err_set(NULL, PMF_EFAULT, "x"), PMF_EFAULT);
	ck_assert_int_eq(pmf__err_from_errno(ESRCH), PMF_ESRCH);
	ck_assert_int_eq(pmf__err_from_errno(EACCES), PMF_EPERM);
	ck_assert_int_eq(pmf__err_from_errno(EFAULT), PMF_EFAULT);
	ck_assert_int_eq(pmf__err_from_errno(EBADF), PMF_EIO);
	pmf__err_clear(&e);
	ck_assert_int_eq(e.code, 0);
	ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(test_strbuf)
{
	struct pmf__sb sb = PMF__SB_INIT;
	ck_assert_str_eq(pmf__sb_str(&sb), "");
	pmf__sb_puts(&sb, "abc");
	pmf__sb_putc(&sb, '-');
	pmf__sb_printf(&sb, "%d:%s", 42, "x");
	ck_assert_str_eq(pmf__sb_str(&sb), "abc-42:x");
	ck_assert_uint_eq(sb.len, 8);
	/* Growth across many appends keeps the contents. */
	for (int i = 0; i < 10000; i++)
		pmf__sb_putc(&sb, (char)('a' + i % 26));
	ck_assert_uint_eq(sb.len, 10008);
	ck_assert_int_eq(sb.buf[10007], 'a' + 9999 % 26);
	ck_assert(!pmf__sb_failed(&sb));
	pmf__sb_reset(&sb);
	ck_assert_str_eq(pmf__sb_str(&sb), "");
	pmf__sb_puts(&sb, "kept");
	char *s = pmf__sb_steal(&sb);
	ck_assert_str_eq(s, "kept");
	ck_assert_ptr_null(sb.buf);
	free(s);
	/* An impossible reservation fails and stays failed. */
	ck_assert(!pmf__sb_reserve(&sb, SIZE_MAX));
	ck_assert(pmf__sb_failed(&sb));
	pmf__sb_puts(&sb, "dropped");
	ck_assert_ptr_null(pmf__sb_steal(&sb));
}
END_TEST

START_TEST(test_vec)
{
	int *v = NULL;
	size_t n = 0, cap = 0;
	for (int i = 0; i < 1000; i++) {
		int *slot = PMF__VEC_PUSH(v, n, cap);
		ck_assert_ptr_nonnull(slot);
		ck_assert_int_eq(*slot, 0);
		*slot = i;
	}
	ck_assert_uint_eq(n, 1000);
	ck_assert_int_eq(v[999], 999);
	ck_assert(cap >= 1000);
	size_t c2 = cap;
	ck_assert(!pmf__vec_reserve((void **)&v, &c2, SIZE_MAX / 2, 16));
	ck_assert_uint_eq(c2, cap); /* untouched on failure */
	free(v);
}
END_TEST

/* The binary search the attribution and the in-process reads share:
 * structs keyed by their first 8 bytes, and plain uint64_t arrays. */
START_TEST(test_count_le)
{
	struct {
		uint64_t key, other;
	} v[] = {{10, 1}, {20, 2}, {20, 3}, {40, 4}};
	ck_assert_uint_eq(pmf__count_le_u64(v, 4, sizeof(v[0]), 9), 0);
	ck_assert_uint_eq(pmf__count_le_u64(v, 4, sizeof(v[0]), 10), 1);
	ck_assert_uint_eq(pmf__count_le_u64(v, 4, sizeof(v[0]), 20), 3);
	ck_assert_uint_eq(pmf__count_le_u64(v, 4, sizeof(v[0]), 39), 3);
	ck_assert_uint_eq(pmf__count_le_u64(v, 4, sizeof(v[0]), UINT64_MAX),
			  4);
	ck_assert_uint_eq(pmf__count_le_u64(v, 0, sizeof(v[0]), 50), 0);
	uint64_t u[] = {1, 1ull << 63, UINT64_MAX};
	ck_assert_uint_eq(pmf__count_le_u64(u, 3, sizeof(u[0]), 0), 0);
	ck_assert_uint_eq(pmf__count_le_u64(u, 3, sizeof(u[0]), 1ull << 63),
			  2);
	ck_assert_uint_eq(pmf__count_le_u64(u, 3, sizeof(u[0]), UINT64_MAX),
			  3);
}
END_TEST

/* The table keyed by addresses: growth keeps every element, a cleared
 * table is empty, each element is met once by slot. */
START_TEST(test_u64tab)
{
	struct el {
		uint64_t key, val;
	};
	struct pmf__u64tab t;
	pmf__u64tab_init(&t, sizeof(struct el));
	ck_assert_ptr_null(pmf__u64tab_get(&t, 16));
	for (uint64_t k = 1; k <= 1000; k++) {
		struct el *e = pmf__u64tab_add(&t, k * 16);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->key, k * 16);
		ck_assert_uint_eq(e->val, 0);
		e->val = k;
	}
	ck_assert_uint_eq(t.n, 1000);
	ck_assert_uint_le(2 * t.n, t.cap);
	for (uint64_t k = 1; k <= 1000; k++) {
		const struct el *e = pmf__u64tab_get(&t, k * 16);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->val, k);
	}
	ck_assert_ptr_null(pmf__u64tab_get(&t, 8));
	uint64_t sum = 0, seen = 0;
	for (size_t i = 0; i < t.cap; i++) {
		const struct el *e = pmf__u64tab_slot(&t, i);
		if (e != NULL) {
			sum += e->val;
			seen++;
		}
	}
	ck_assert_uint_eq(seen, 1000);
	ck_assert_uint_eq(sum, 1000 * 1001 / 2);
	pmf__u64tab_clear(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(pmf__u64tab_get(&t, 16));
	pmf__u64tab_free(&t);
	ck_assert_ptr_null(pmf__u64tab_get(&t, 16));
}
END_TEST

START_TEST(test_loads)
{
	unsigned char b[9] = {0x00, 0xf0, 0xde, 0xbc, 0x9a, 0x78,
			      0x56, 0x34, 0x12};
	ck_assert_uint_eq(pmf__ld64(b + 1), 0x123456789abcdef0ull);
	ck_assert_uint_eq(pmf__ld32(b + 1), 0x9abcdef0u);
	ck_assert_uint_eq(pmf__ld16(b + 1), 0xdef0u);
	ck_assert_uint_eq(pmf__round_up(0x7f813487f000ull, 16384),
			  0x7f8134880000ull);
	ck_assert_uint_eq(pmf__round_up(16384, 16384), 16384);
	ck_assert(pmf__is_pow2(4096));
	ck_assert(!pmf__is_pow2(0));
	ck_assert(!pmf__is_pow2(48));
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("base");
	tcase_add_test(tc, test_error_names);
	tcase_add_test(tc, test_err_set);
	tcase_add_test(tc, test_strbuf);
	tcase_add_test(tc, test_vec);
	tcase_add_test(tc, test_count_le);
	tcase_add_test(tc, test_u64tab);
	tcase_add_test(tc, test_loads);
	suite_add_tcase(s, tc);
	return s;
}
