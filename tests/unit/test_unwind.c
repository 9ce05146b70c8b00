/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/unwind.c: a stopped child's innermost frames are
 * the functions it is in, read through the read-only accessors and their
 * line cache, and the frame check of the guard finds a function deep in
 * the stack. */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/elf.h"
#include "os/freeze.h"
#include "os/maps.h"
#include "os/unwind.h"
#include "py/allocfns.h"
#include "runner.h"

/* The child sits in pause() under three frames of its own. */
__attribute__((noinline, used)) void uw_outer(void);
__attribute__((noinline, used)) void uw_middle(void);
__attribute__((noinline, used)) void uw_inner(void);
static volatile int sink;
void
uw_inner(void)
{
	for (;;) {
		pause();
		sink++;
	}
}
void
uw_middle(void)
{
	uw_inner();
	sink++; /* no tail call: this frame stays on the stack */
}
void
uw_outer(void)
{
	uw_middle();
	sink++;
}

/* [lo, hi) of this binary's function NAME, in this process (the child is
 * a fork: the same addresses). */
static void
fn_range(const struct pmf__elf *elf, uint64_t bias, const char *name,
	 uint64_t *lo, uint64_t *hi)
{
	struct pmf__symq q = {.name = name};
	pmf__elf_lookup(elf, &q, 1);
	ck_assert_uint_eq(q.found, 1);
	ck_assert_uint_gt(q.size, 0);
	*lo = q.value + bias;
	*hi = *lo + q.size;
}

static int
frame_in(const uint64_t *ips, int n, uint64_t lo, uint64_t hi)
{
	for (int i = 0; i < n; i++) {
		uint64_t a = i > 0 ? ips[i] - 1 : ips[i];
		if (a >= lo && a < hi)
			return i;
	}
	return -1;
}

START_TEST(test_unwind_child)
{
	if (!pmf__unwind_available())
		return; /* built without libunwind: nothing to test */
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		ssize_t w = write(ready[1], "r", 1);
		(void)w;
		uw_outer();
		_exit(0);
	}
	close(ready[1]);
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	usleep(20000); /* into pause() */

	struct pmf__err e = {0};
	struct pmf__elf elf;
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self/exe", &e), 0);
	struct pmf__symq q = {.name = "make_suite"};
	pmf__elf_lookup(&elf, &q, 1);
	ck_assert_uint_eq(q.found, 1);
	uint64_t bias = (uint64_t)(uintptr_t)&make_suite - q.value;
	uint64_t in_lo, in_hi, mid_lo, mid_hi, out_lo, out_hi;
	fn_range(&elf, bias, "uw_inner", &in_lo, &in_hi);
	fn_range(&elf, bias, "uw_middle", &mid_lo, &mid_hi);
	fn_range(&elf, bias, "uw_outer", &out_lo, &out_hi);

	struct pmf__mem mem;
	struct pmf__maps maps = {0};
	ck_assert_int_eq(pmf__mem_open_remote(&mem, pid, &e), 0);
	ck_assert_int_eq(pmf__maps_read(&maps, pid, &e), 0);
	struct pmf__unwind u;
	ck_assert_int_eq(pmf__unwind_open(&u, pid, &mem, &maps, &e), 0);
	struct pmf__freeze f = {0};
	ck_assert_int_eq(pmf__freeze(&f, pid, 2000, &e), 0);
	ck_assert_uint_eq(f.n, 1);
	ck_assert(pmf__freeze_held(&f, 0));
	for (int round = 0; round < 2; round++) {
		/* Twice: the second from libunwind's caches. */
		uint64_t ips[8];
		int n = pmf__unwind_ips(&u, f.t[0].tid, ips, 8, &e);
		ck_assert_int_ge(n, 4);
		int fi = frame_in(ips, n, in_lo, in_hi);
		int fm = frame_in(ips, n, mid_lo, mid_hi);
		int fo = frame_in(ips, n, out_lo, out_hi);
		/* pause() is in libc: uw_inner is one or two frames out. */
		ck_assert_int_ge(fi, 1);
		ck_assert_int_eq(fm, fi + 1);
		ck_assert_int_eq(fo, fi + 2);
		/* The guard's check finds a "function" three frames deep. */
		struct pmf__allocfns fns = {0};
		pmf__allocfns_add(&fns, out_lo, out_hi, 0);
		pmf__allocfns_finish(&fns);
		ck_assert_int_eq(pmf__allocfns_hit(&fns, ips, (size_t)n, NULL),
				 fo);
		ck_assert_int_eq(pmf__allocfns_hit(&fns, ips, (size_t)fo, NULL),
				 -1);
		pmf__allocfns_free(&fns);
		/* At most MAX frames. */
		ck_assert_int_le(pmf__unwind_ips(&u, f.t[0].tid, ips, 2, &e),
				 2);
	}
	/* A thread that is not stopped has no registers to read. */
	pmf__thaw(&f);
	uint64_t ips[8];
	ck_assert_int_lt(pmf__unwind_ips(&u, pid, ips, 8, &e), 0);
	pmf__freeze_free(&f);
	pmf__unwind_close(&u);
	pmf__maps_free(&maps);
	pmf__mem_close(&mem);
	pmf__elf_close(&elf);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("unwind");
	TCase *tc = tcase_create("unwind");
	tcase_add_test(tc, test_unwind_child);
	suite_add_tcase(s, tc);
	return s;
}
