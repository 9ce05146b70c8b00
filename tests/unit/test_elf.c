/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/elf.c, run against this test binary itself and
 * against damaged copies of it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/elf.h"
#include "runner.h"

/* Symbols the tests look up in this very binary. */
__attribute__((used, visibility("default"))) const unsigned long
	pmf_test_marker = 0x030c01f0ul;
__attribute__((used)) static int pmf_test_local_array[32];

__attribute__((noinline, noclone, used)) static int *
counter_holder(void)
{
	/* GCC names a function-local static "counter.0" in .symtab. */
	static int counter;
	counter++;
	return &counter;
}

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = malloc(*len);
	ck_assert_uint_eq(fread(b, 1, *len, f), *len);
	fclose(f);
	return b;
}

START_TEST(test_open_self)
{
	struct pmf__elf elf;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self/exe", &e), 0);
	ck_assert_uint_eq(elf.machine, EM_X86_64);
	ck_assert(elf.symtab.n > 0);
	ck_assert_ptr_nonnull(pmf__elf_section(&elf, ".text"));
	ck_assert_ptr_null(pmf__elf_section(&elf, ".no-such-section"));
	/* Debian's toolchain adds a build-id. */
	ck_assert_uint_eq(strlen(elf.build_id), 40);

	struct pmf__symq q[4] = {{.name = "pmf_test_marker"},
				 {.name = "pmf_test_local_array",
				  .file = "test_elf.c"},
				 {.name = "counter", .file = "test_elf.c"},
				 {.name = "no_such_symbol_anywhere"}};
	pmf__elf_lookup(&elf, q, 4);
	ck_assert_uint_eq(q[0].found, 1);
	ck_assert_uint_eq(q[0].size, sizeof(unsigned long));
	ck_assert_uint_eq(q[1].found, 1);
	ck_assert_uint_eq(q[1].size, sizeof(pmf_test_local_array));
	ck_assert(q[1].in_symtab);
	ck_assert_uint_eq(q[2].found, 1); /* "counter.0" */
	ck_assert_uint_eq(q[3].found, 0);

	/* The constant's bytes are in the file at its link address. */
	const unsigned char *p = pmf__elf_vaddr_bytes(&elf, q[0].value, 8);
	ck_assert_ptr_nonnull(p);
	unsigned long v;
	memcpy(&v, p, 8);
	ck_assert_uint_eq(v, 0x030c01f0ul);
	/* .bss has no file bytes. */
	ck_assert_ptr_null(pmf__elf_vaddr_bytes(&elf, q[1].value, 8));
	/* Link address to name and back. */
	const char *name = pmf__elf_symbolize(&elf, q[1].value + 12);
	ck_assert_ptr_nonnull(name);
	ck_assert_str_eq(name, "pmf_test_local_array");

	uint64_t vaddr, off;
	ck_assert(pmf__elf_first_load(&elf, &vaddr, &off));
	ck_assert_uint_eq(off, 0);
	(void)counter_holder();
	pmf__elf_close(&elf);
}
END_TEST

START_TEST(test_name_variants)
{
	/* Only locals may carry a ".N" or ".lto_priv.N" suffix, and the
	 * suffix must be all digits. */
	struct pmf__elf elf;
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self/exe", NULL), 0);
	struct pmf__symq q[3] = {{.name = "counter_holder"},
				 {.name = "counter"},
				 {.name = "pmf_test"}};
	pmf__elf_lookup(&elf, q, 3);
	ck_assert_uint_eq(q[0].found, 1);
	ck_assert_uint_ge(q[1].found, 1);
	ck_assert_uint_eq(q[2].found, 0); /* a prefix is not a match */
	pmf__elf_close(&elf);
}
END_TEST

START_TEST(test_rejects)
{
	struct pmf__elf elf;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__elf_open(&elf, "/nonexistent/file", &e),
			 PMF_ESRCH);
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self", &e), PMF_EELF);
	static const unsigned char notelf[64] = "#!/bin/sh\n";
	ck_assert_int_eq(pmf__elf_open_mem(&elf, notelf, 64, &e), PMF_EELF);
	ck_assert(strstr(e.msg, "magic") != NULL);
	unsigned char elf32[64] = {0x7f, 'E', 'L', 'F', 1, 1};
	ck_assert_int_eq(pmf__elf_open_mem(&elf, elf32, 64, &e), PMF_EELF);
	ck_assert(strstr(e.msg, "64-bit") != NULL);
	ck_assert_int_eq(pmf__elf_open_mem(&elf, elf32, 10, &e), PMF_EELF);
}
END_TEST

/* Truncated and corrupted copies must be rejected or read safely, never
 * crash: every table offset comes from the file. */
START_TEST(test_damaged)
{
	size_t len;
	unsigned char *orig = slurp("/proc/self/exe", &len);
	unsigned char *copy = malloc(len);
	static const size_t cuts[] = {0, 1, 63, 64, 65, 100, 4096, 65536};
	for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		struct pmf__elf elf;
		size_t n = cuts[i] < len ? cuts[i] : len;
		memcpy(copy, orig, n);
		if (pmf__elf_open_mem(&elf, copy, n, NULL) == 0) {
			struct pmf__symq q = {.name = "pmf_test_marker"};
			pmf__elf_lookup(&elf, &q, 1);
			(void)pmf__elf_section(&elf, ".data");
			(void)pmf__elf_symbolize(&elf, 0x1000);
		}
	}
	/* Also a cut at the section header table. */
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)orig;
	struct pmf__elf elf;
	memcpy(copy, orig, len);
	ck_assert_int_eq(pmf__elf_open_mem(&elf, copy, eh->e_shoff + 10, NULL),
			 PMF_EELF);
	/* Random bytes flipped all over the file. */
	srand(12345);
	for (int round = 0; round < 300; round++) {
		memcpy(copy, orig, len);
		for (int k = 0; k < 64; k++) {
			size_t at = (size_t)rand() % len;
			if (k < 8)
				at = (size_t)rand() % 64; /* the header */
			copy[at] = (unsigned char)rand();
		}
		if (pmf__elf_open_mem(&elf, copy, len, NULL) == 0) {
			struct pmf__symq q[2] = {{.name = "pmf_test_marker"},
						 {.name = "counter",
						  .file = "test_elf.c"}};
			pmf__elf_lookup(&elf, q, 2);
			if (q[0].found)
				(void)pmf__elf_vaddr_bytes(&elf, q[0].value,
							   8);
			(void)pmf__elf_symbolize(&elf, q[0].value);
			uint64_t v, o;
			(void)pmf__elf_first_load(&elf, &v, &o);
		}
	}
	free(copy);
	free(orig);
}
END_TEST

START_TEST(test_crc32)
{
	const unsigned char s[] = "123456789";
	ck_assert_uint_eq(pmf__crc32(0, s, 9), 0xcbf43926u);
	/* Incremental use gives the same result. */
	ck_assert_uint_eq(pmf__crc32(pmf__crc32(0, s, 4), s + 4, 5),
			  0xcbf43926u);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("elf");
	tcase_add_test(tc, test_open_self);
	tcase_add_test(tc, test_name_variants);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_damaged);
	tcase_add_test(tc, test_crc32);
	suite_add_tcase(s, tc);
	return s;
}
