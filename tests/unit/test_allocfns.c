/* SPDX-License-Identifier: MIT */
/* Unit tests for src/py/allocfns: the allocator's functions by name, the
 * address ranges, and the frame check of the consistency guard. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "os/elf.h"
#include "py/allocfns.h"
#include "runner.h"

/* Two functions of this very binary that carry allocator names, so that
 * pmf__allocfns_add_elf() can be checked on a real symbol table. */
__attribute__((noinline, used)) void new_arena(void);
__attribute__((noinline, used)) void insert_to_freepool(void);
static volatile int sink;
void
new_arena(void)
{
	for (int i = 0; i < 8; i++)
		sink += i;
}
void
insert_to_freepool(void)
{
	sink *= 3;
}

START_TEST(test_names)
{
	ck_assert_int_ge(pmf__alloc_fn_index("_PyObject_Malloc"), 0);
	ck_assert_int_ge(pmf__alloc_fn_index("_PyObject_Free"), 0);
	ck_assert_int_ge(pmf__alloc_fn_index("allocate_from_new_pool"), 0);
	/* Compiler-made copies count as the function. */
	int a = pmf__alloc_fn_index("pymalloc_alloc");
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(pmf__alloc_fn_index("pymalloc_alloc.constprop.0"), a);
	ck_assert_int_eq(pmf__alloc_fn_index("_PyObject_Free.cold"),
			 pmf__alloc_fn_index("_PyObject_Free"));
	ck_assert_str_eq(pmf__alloc_fn_label((unsigned)a), "pymalloc_alloc");
	/* Prefixes and look-alikes do not. */
	ck_assert_int_eq(pmf__alloc_fn_index("_PyObject_MallocX"), -1);
	ck_assert_int_eq(pmf__alloc_fn_index("_PyObject_Mall"), -1);
	ck_assert_int_eq(pmf__alloc_fn_index("_PyObject_FreeInstanceAttributes"),
			 -1);
	ck_assert_int_eq(pmf__alloc_fn_index("PyObject_Malloc"), -1);
	ck_assert_int_eq(pmf__alloc_fn_index("_PyObject_DebugMallocStats"), -1);
	ck_assert_int_eq(pmf__alloc_fn_index(""), -1);
	ck_assert_str_eq(pmf__alloc_fn_label(9999), "?");
}
END_TEST

START_TEST(test_ranges)
{
	struct pmf__allocfns f = {0};
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x3000, 0x3100, 2), 0);
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x1000, 0x1040, 0), 0);
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x2000, 0x2200, 1), 0);
	/* The same function again, and one overlapping it: merged. */
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x2000, 0x2200, 1), 0);
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x2100, 0x2300, 1), 0);
	/* Empty ranges are ignored. */
	ck_assert_int_eq(pmf__allocfns_add(&f, 0x5000, 0x5000, 3), 0);
	pmf__allocfns_finish(&f);
	ck_assert_uint_eq(f.n, 3);
	ck_assert_ptr_null(pmf__allocfns_find(&f, 0x0fff));
	ck_assert_uint_eq(pmf__allocfns_find(&f, 0x1000)->fn, 0);
	ck_assert_uint_eq(pmf__allocfns_find(&f, 0x103f)->fn, 0);
	ck_assert_ptr_null(pmf__allocfns_find(&f, 0x1040)); /* end excluded */
	ck_assert_uint_eq(pmf__allocfns_find(&f, 0x22ff)->fn, 1);
	ck_assert_ptr_null(pmf__allocfns_find(&f, 0x2300));
	ck_assert_uint_eq(pmf__allocfns_find(&f, 0x3000)->fn, 2);
	ck_assert_ptr_null(pmf__allocfns_find(&f, 0x5000));
	ck_assert_ptr_null(pmf__allocfns_find(&f, UINT64_MAX));

	unsigned fn = 99;
	/* Innermost frame inside: frame 0. */
	uint64_t in0[] = {0x1010, 0x9000};
	ck_assert_int_eq(pmf__allocfns_hit(&f, in0, 2, &fn), 0);
	ck_assert_uint_eq(fn, 0);
	/* A libc leaf called from the allocator: found one frame out. */
	uint64_t in1[] = {0x9000, 0x2050, 0x9100};
	ck_assert_int_eq(pmf__allocfns_hit(&f, in1, 3, &fn), 1);
	ck_assert_uint_eq(fn, 1);
	/* A return address just past the end: the call was the function's
	 * last instruction, so it is still inside. */
	uint64_t tail[] = {0x9000, 0x1040};
	ck_assert_int_eq(pmf__allocfns_hit(&f, tail, 2, &fn), 1);
	/* But the innermost frame at the end is not. */
	uint64_t past[] = {0x1040, 0x9000};
	ck_assert_int_eq(pmf__allocfns_hit(&f, past, 2, NULL), -1);
	/* A return address at a function's first byte belongs to the one
	 * before. */
	uint64_t start[] = {0x9000, 0x3000};
	ck_assert_int_eq(pmf__allocfns_hit(&f, start, 2, NULL), -1);
	/* Outside the frames checked: not seen. */
	uint64_t deep[] = {0x9000, 0x9100, 0x2050};
	ck_assert_int_eq(pmf__allocfns_hit(&f, deep, 2, NULL), -1);
	ck_assert_int_eq(pmf__allocfns_hit(&f, deep, 3, NULL), 2);
	/* Zero return addresses (end of stack) are skipped. */
	uint64_t zero[] = {0x9000, 0};
	ck_assert_int_eq(pmf__allocfns_hit(&f, zero, 2, NULL), -1);
	pmf__allocfns_free(&f);
	ck_assert_uint_eq(f.n, 0);

	/* No ranges: nothing is inside. */
	struct pmf__allocfns none = {0};
	pmf__allocfns_finish(&none);
	ck_assert_int_eq(pmf__allocfns_hit(&none, in0, 2, NULL), -1);
}
END_TEST

START_TEST(test_from_elf)
{
	struct pmf__elf elf;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self/exe", &e), 0);
	/* This binary's load bias, from a symbol that is not an allocator
	 * function. */
	struct pmf__symq q = {.name = "make_suite"};
	pmf__elf_lookup(&elf, &q, 1);
	ck_assert_uint_eq(q.found, 1);
	uint64_t bias = (uint64_t)(uintptr_t)&make_suite - q.value;

	struct pmf__allocfns f = {0};
	ck_assert_int_eq(pmf__allocfns_add_elf(&f, &elf, bias), 0);
	pmf__allocfns_finish(&f);
	ck_assert_uint_ge(f.from_symtab, 2);
	ck_assert_uint_eq(f.from_dynsym, 0);
	uint64_t na = (uint64_t)(uintptr_t)&new_arena;
	const struct pmf__fnrange *r = pmf__allocfns_find(&f, na);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(pmf__alloc_fn_label(r->fn), "new_arena");
	ck_assert_uint_eq(r->lo, na);
	ck_assert_ptr_null(pmf__allocfns_find(&f, r->hi));
	r = pmf__allocfns_find(&f, (uint64_t)(uintptr_t)&insert_to_freepool);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(pmf__alloc_fn_label(r->fn), "insert_to_freepool");
	/* Other functions are not ranges. */
	ck_assert_ptr_null(pmf__allocfns_find(&f, (uint64_t)(uintptr_t)&make_suite));
	pmf__allocfns_free(&f);
	pmf__elf_close(&elf);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("allocfns");
	TCase *tc = tcase_create("allocfns");
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_ranges);
	tcase_add_test(tc, test_from_elf);
	suite_add_tcase(s, tc);
	return s;
}
