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

/* A sanitized build reads through the kernel only (os/mem_self.c). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED true
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED true
#endif
#endif
#ifndef SANITIZED
#define SANITIZED false
#endif

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

/* The direct in-process source: the same answers as the kernel's, and
 * where a plain load would fault (PROT_NONE, a file mapping past its
 * end) it must not load: PMF_EFAULT, not SIGSEGV or SIGBUS. */
START_TEST(test_self_direct)
{
	struct pmf__maps maps = {0};
	struct pmf__mem m;
	struct pmf__err e = {0};
	fill_pattern();
	unsigned char *heap = malloc(4096);
	ck_assert(heap != NULL);
	memcpy(heap, pattern, 4096);
	void *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	ck_assert(guard != MAP_FAILED);
	/* A two-page private writable file mapping of a one-page file: its
	 * second page raises SIGBUS when loaded from. */
	char path[] = "/tmp/pmf-test-mem-XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 4096), 0);
	unsigned char *file = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE, fd, 0);
	ck_assert(file != MAP_FAILED);
	close(fd);

	ck_assert_int_eq(pmf__maps_read(&maps, getpid(), &e), 0);
	ck_assert_int_eq(pmf__mem_open_self_direct(&m, &maps, 0, 0, &e), 0);
	/* Vouched for: all three; the map still refuses the guard and the
	 * file's second page.  Another heap block is not vouched for. */
	unsigned char *other = malloc(4096);
	ck_assert(other != NULL);
	memcpy(other, pattern, 4096);
	struct pmf__range vouched[] = {
		{(uintptr_t)heap, (uintptr_t)heap + 4096},
		{(uintptr_t)guard, (uintptr_t)guard + 4096},
		{(uintptr_t)file, (uintptr_t)file + 8192}};
	ck_assert_int_eq(pmf__mem_self_trust(&m, vouched, 3, false), 0);
	/* Through the kernel, directly with the map read whole, directly
	 * with the map asked per mapping (where the kernel can). */
	for (int mode = 0; mode < 3; mode++) {
		if (mode == 2 && pmf__maps_query_open(&maps, getpid(), &e) < 0)
			ck_assert_int_eq(e.code, PMF_ENOTSUP);
		pmf__mem_self_mode(&m, mode == 0 ? PMF__SELF_KERNEL
						 : PMF__SELF_MAPS);
		unsigned char buf[64];
		ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)heap + 40, buf,
					       64, &e),
				 0);
		ck_assert_mem_eq(buf, pattern + 40, 64);
		ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)guard, buf, 16,
					       &e),
				 PMF_EFAULT);
		ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)file + 4096, buf,
					       16, &e),
				 PMF_EFAULT);
		/* Straddling the end of a mapping into the guard. */
		ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)guard - 8, buf,
					       16, &e),
				 PMF_EFAULT);
		/* In place: the vouched-for block the map shows loadable
		 * (unless sanitized), never the other one. */
		const void *in = pmf__mem_direct(&m, (uintptr_t)heap, 64);
		ck_assert(mode == 0 || SANITIZED ? in == NULL : in == heap);
		ck_assert_ptr_null(pmf__mem_direct(&m, (uintptr_t)other, 64));
		ck_assert_ptr_null(pmf__mem_direct(&m, (uintptr_t)guard, 16));
		ck_assert_ptr_null(
			pmf__mem_direct(&m, (uintptr_t)file + 4096, 16));
		ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)other, buf, 64,
					       &e),
				 0);
		ck_assert_mem_eq(buf, pattern, 64);
		m.elements = 0; /* check_source() counts its own */
		check_source(&m);
	}
	pmf__mem_close(&m);
	pmf__maps_free(&maps);
	munmap(file, 8192);
	munmap(guard, 4096);
	free(other);
	free(heap);
}
END_TEST

/* PMF__SELF_ARENAS: the vouched-for ranges are read in place without a
 * look at the map (so a range vouched for wrongly faults: the caller's
 * promise is what makes it safe), everything else through the kernel. */
START_TEST(test_self_arenas)
{
	struct pmf__maps maps = {0};
	struct pmf__mem m;
	struct pmf__err e = {0};
	fill_pattern();
	unsigned char *mine = malloc(8192);
	ck_assert(mine != NULL);
	memcpy(mine, pattern, 8192);
	void *guard = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	ck_assert(guard != MAP_FAILED);
	ck_assert_int_eq(pmf__maps_read(&maps, getpid(), &e), 0);
	ck_assert_int_eq(pmf__mem_open_self_direct(&m, &maps, 0, 0, &e), 0);
	uint64_t a = (uintptr_t)mine;
	/* Out of order; the guard's range is cut away (the map shows it
	 * PROT_NONE). */
	struct pmf__range r[] = {{a + 4096, a + 4096 + 2048},
				 {a, a + 2048},
				 {(uintptr_t)guard, (uintptr_t)guard + 4096}};
	ck_assert_int_eq(pmf__mem_self_trust(&m, r, 3, true), 0);
	pmf__mem_self_mode(&m, PMF__SELF_ARENAS);
	bool direct = !SANITIZED;
	ck_assert(direct == (pmf__mem_direct(&m, a, 16) != NULL));
	if (direct) {
		ck_assert_ptr_eq(pmf__mem_direct(&m, a + 4096 + 100, 1948),
				 mine + 4096 + 100);
		/* Past a range's end, or between ranges: not in place. */
		ck_assert_ptr_null(pmf__mem_direct(&m, a + 2000, 100));
		ck_assert_ptr_null(pmf__mem_direct(&m, a + 3000, 16));
	}
	ck_assert_ptr_null(pmf__mem_direct(&m, (uintptr_t)guard, 16));
	unsigned char buf[256];
	uint64_t at[] = {a, a + 1990, a + 3000, a + 4096 + 1800};
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(pmf__mem_read(&m, at[i], buf, sizeof(buf), &e),
				 0);
		ck_assert_mem_eq(buf, pattern + (at[i] - a), sizeof(buf));
	}
	/* Not vouched for: the kernel says it is not readable. */
	ck_assert_int_eq(pmf__mem_read(&m, (uintptr_t)guard, buf, 16, &e),
			 PMF_EFAULT);
	m.elements = 0;
	check_source(&m);
	/* Vouched for, then unmapped behind the map's back: loaded from,
	 * and it faults (in a child): the caller's promise is what makes
	 * it safe. */
	uint64_t g = (uintptr_t)guard;
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(page != MAP_FAILED);
	pmf__maps_free(&maps);
	ck_assert_int_eq(pmf__maps_read(&maps, getpid(), &e), 0);
	g = (uintptr_t)page;
	struct pmf__range pr = {g, g + 4096};
	ck_assert_int_eq(pmf__mem_self_trust(&m, &pr, 1, true), 0);
	ck_assert_int_eq(munmap(page, 4096), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int rc = pmf__mem_read(&m, g, buf, 16, &e);
		_exit(rc == PMF_EFAULT ? 7 : 8);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (direct)
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	else
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	pmf__mem_close(&m);
	pmf__maps_free(&maps);
	munmap(guard, 4096);
	free(mine);
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
	tcase_add_test(tc, test_self_direct);
	tcase_add_test(tc, test_self_arenas);
	suite_add_tcase(s, tc);
	return s;
}
