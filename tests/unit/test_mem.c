/* SPDX-License-Identifier: MIT */
/* Unit tests for the memory sources (src/os/mem*.c). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/mem.h"
#include "runner.h"

static unsigned char pattern[8192];

static void
fill_pattern(void)
{
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (unsigned char)(i * 7 + 3);
}

/* An address that is certainly not mapped: a page we unmap. */
static uint64_t
hole(void)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	ck_assert(p != MAP_FAILED);
	munmap(p, 4096);
	return (uint64_t)(uintptr_t)p;
}

static void
check_source(struct pmf__mem *m)
{
	unsigned char buf[64];
	struct pmf__err e = {0};
	uint64_t base = (uint64_t)(uintptr_t)pattern;
	ck_assert_int_eq(pmf__mem_read(m, base + 100, buf, 64, &e), 0);
	ck_assert_mem_eq(buf, pattern + 100, 64);
	uint64_t v;
	ck_assert_int_eq(pmf__mem_read_u64(m, base + 8, &v, &e), 0);
	uint64_t want;
	memcpy(&want, pattern + 8, 8);
	ck_assert_uint_eq(v, want);

	uint64_t bad = hole();
	ck_assert_int_eq(pmf__mem_read(m, bad, buf, 16, &e), PMF_EFAULT);
	ck_assert(strstr(e.msg, "not mapped") != NULL);

	/* A batch larger than one syscall's worth, with unreadable elements
	 * at the start, in the middle and at the end: the others are read,
	 * the bad ones are marked. */
	enum { N = 2500 };
	static struct pmf__iov iov[N];
	static unsigned char out[N][48];
	for (size_t i = 0; i < N; i++) {
		bool isbad = i == 0 || i == 1023 || i == 1024 || i == 1777 ||
			     i == N - 1;
		iov[i] = (struct pmf__iov){
			.addr = isbad ? bad + 64 * (i % 8)
				      : base + (i * 48) % (8192 - 48),
			.buf = out[i],
			.len = 48};
	}
	long failed = pmf__mem_readv(m, iov, N, &e);
	ck_assert_int_eq(failed, 5);
	for (size_t i = 0; i < N; i++) {
		bool isbad = i == 0 || i == 1023 || i == 1024 || i == 1777 ||
			     i == N - 1;
		ck_assert_int_eq(iov[i].err, isbad ? PMF_EFAULT : 0);
		if (!isbad)
			ck_assert_mem_eq(out[i],
					 pattern + (i * 48) % (8192 - 48), 48);
	}
	ck_assert_uint_eq(m->elements, N + 3);
}

START_TEST(test_self_source)
{
	struct pmf__mem m;
	struct pmf__err e = {0};
	fill_pattern();
	unsetenv("PMF_FORCE_PROC_MEM");
	ck_assert_int_eq(pmf__mem_open_self(&m, &e), 0);
	ck_assert(!pmf__mem_uses_procfs(&m));
	check_source(&m);
	pmf__mem_close(&m);
}
END_TEST

START_TEST(test_procfs_fallback)
{
	struct pmf__mem m;
	struct pmf__err e = {0};
	fill_pattern();
	setenv("PMF_FORCE_PROC_MEM", "1", 1);
	ck_assert_int_eq(pmf__mem_open_self(&m, &e), 0);
	unsetenv("PMF_FORCE_PROC_MEM");
	ck_assert(pmf__mem_uses_procfs(&m));
	check_source(&m);
	pmf__mem_close(&m);
}
END_TEST

START_TEST(test_remote_child)
{
	/* A forked child has the same pattern at the same address. */
	fill_pattern();
	int fds[2];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t child = fork();
	if (child == 0) {
		char c;
		close(fds[1]);
		(void)read(fds[0], &c, 1); /* until the parent closes */
		_exit(0);
	}
	close(fds[0]);
	struct pmf__mem m;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__mem_open_remote(&m, child, &e), 0);
	check_source(&m);
	close(fds[1]);
	waitpid(child, NULL, 0);
	/* The process is gone: reads fail with ESRCH, not EFAULT. */
	unsigned char buf[8];
	ck_assert_int_eq(pmf__mem_read(&m, (uint64_t)(uintptr_t)pattern, buf,
				       8, &e),
			 PMF_ESRCH);
	pmf__mem_close(&m);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("mem");
	tcase_add_test(tc, test_self_source);
	tcase_add_test(tc, test_procfs_fallback);
	tcase_add_test(tc, test_remote_child);
	suite_add_tcase(s, tc);
	return s;
}
