/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/maps.c. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/strbuf.h"
#include "os/maps.h"
#include "os/procfs.h"
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

/* A process that maps and unmaps all the time while its map is read (a
 * running target's allocator does): the kernel prints a large map in
 * pieces, and a piece can start inside a mapping the last one printed.
 * A read must see through that (it reads again), never fail or call the
 * process gone. */
START_TEST(test_read_racing)
{
	long pg = sysconf(_SC_PAGESIZE);
	enum { PAGES = 3000 };
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char *base = mmap(NULL, (size_t)(PAGES * pg), PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (base == MAP_FAILED)
			_exit(3);
		/* Every other page writable: 3,000 mappings, no merging. */
		for (long i = 0; i < PAGES; i += 2)
			mprotect(base + i * pg, (size_t)pg,
				 PROT_READ | PROT_WRITE);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		for (unsigned long k = 0;; k++) {
			long i = (long)((k * 2654435761u) % (PAGES - 2));
			/* Join three mappings into one, then split them. */
			mprotect(base + i * pg, (size_t)(3 * pg),
				 PROT_READ | PROT_WRITE);
			mprotect(base + (i + (i % 2 ? 0 : 1)) * pg,
				 (size_t)pg, PROT_NONE);
		}
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	unsigned torn = 0;
	for (int k = 0; k < 300; k++) {
		struct pmf__maps m;
		struct pmf__err e = {0};
		/* How often one read alone is torn (for the log). */
		char path[64];
		struct pmf__sb sb = PMF__SB_INIT;
		snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
		ck_assert_int_eq(pmf__read_file(path, &sb, &e), 0);
		if (pmf__maps_parse(&m, pmf__sb_steal(&sb), &e) == 0)
			pmf__maps_free(&m);
		else
			torn++;
		ck_assert_msg(pmf__maps_read(&m, pid, &e) == 0, "read %d: %s",
			      k, e.msg);
		ck_assert_uint_gt(m.n, 1000);
		pmf__maps_free(&m);
	}
	printf("test_read_racing: %u of 300 single reads were torn\n", torn);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(ready[0]);
	close(ready[1]);
}
END_TEST

/* True when the running kernel has PROCMAP_QUERY (Linux 6.11+). */
static bool
kernel_can_query(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	ck_assert_int_eq(uname(&u), 0);
	ck_assert_int_eq(sscanf(u.release, "%u.%u", &major, &minor), 2);
	return major > 6 || (major == 6 && minor >= 11);
}

static void
same_map(const struct pmf__map *a, const struct pmf__map *b)
{
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(a->start, b->start);
	ck_assert_uint_eq(a->end, b->end);
	ck_assert_uint_eq(a->offset, b->offset);
	ck_assert_uint_eq(a->inode, b->inode);
	ck_assert_uint_eq(a->dev_major, b->dev_major);
	ck_assert_uint_eq(a->dev_minor, b->dev_minor);
	ck_assert(a->r == b->r && a->w == b->w && a->x == b->x &&
		  a->shared == b->shared && a->deleted == b->deleted);
	ck_assert_str_eq(a->path, b->path);
}

/* A queried map answers what the whole map says, mapping by mapping:
 * file mappings (one of them deleted), a private anonymous region split
 * by mprotect into three, a shared one, the stack; not what is unmapped;
 * and after a reset, the change. */
START_TEST(test_query_matches_read)
{
	long pg = sysconf(_SC_PAGESIZE);
	char tmpl[] = "/tmp/pymfrag-test-maps.XXXXXX";
	int fd = mkstemp(tmpl);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 4 * pg), 0);
	char *file = mmap(NULL, (size_t)(4 * pg), PROT_READ, MAP_PRIVATE, fd,
			  0);
	ck_assert_ptr_ne(file, MAP_FAILED);
	unlink(tmpl);
	close(fd);
	char *anon = mmap(NULL, (size_t)(3 * pg), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(anon, MAP_FAILED);
	ck_assert_int_eq(mprotect(anon + pg, (size_t)pg, PROT_NONE), 0);
	char *shared = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(shared, MAP_FAILED);
	char *gone = mmap(NULL, (size_t)pg, PROT_READ,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(gone, MAP_FAILED);
	ck_assert_int_eq(munmap(gone, (size_t)pg), 0);
	int here = 0;

	struct pmf__maps whole, q;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__maps_read(&whole, getpid(), &e), 0);
	ck_assert_int_eq(pmf__maps_read(&q, getpid(), &e), 0);
	if (!kernel_can_query()) {
		ck_assert_int_eq(pmf__maps_query_open(&q, getpid(), &e),
				 PMF_ENOTSUP);
		ck_assert_ptr_null(q.q);
		pmf__maps_free(&q);
		pmf__maps_free(&whole);
		return;
	}
	unsigned long gen = q.gen;
	ck_assert_int_eq(pmf__maps_query_open(&q, getpid(), &e), 0);
	ck_assert_ptr_nonnull(q.q);
	ck_assert_uint_eq(q.n, 0);
	ck_assert_uint_gt(q.gen, gen);

	uint64_t probes[] = {
		(uint64_t)(uintptr_t)file,
		(uint64_t)(uintptr_t)file + 4 * (uint64_t)pg - 1,
		(uint64_t)(uintptr_t)anon,
		(uint64_t)(uintptr_t)anon + (uint64_t)pg,
		(uint64_t)(uintptr_t)anon + 3 * (uint64_t)pg - 1,
		(uint64_t)(uintptr_t)shared,
		(uint64_t)(uintptr_t)&make_suite,
		(uint64_t)(uintptr_t)&here,
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(probes); i++)
		same_map(pmf__maps_find(&q, probes[i]),
			 pmf__maps_find(&whole, probes[i]));
	const struct pmf__map *f = pmf__maps_find(&q, probes[0]);
	ck_assert(f->deleted);
	ck_assert(strstr(f->path, "pymfrag-test-maps.") != NULL);
	ck_assert_ptr_null(pmf__maps_find(&q, (uint64_t)(uintptr_t)gone));
	ck_assert_ptr_null(pmf__maps_find(&whole, (uint64_t)(uintptr_t)gone));

	/* Asked once per mapping: the answers are kept until a reset. */
	unsigned long asked = pmf__maps_queries(&q);
	for (size_t i = 0; i < PMF_ARRAY_SIZE(probes); i++)
		ck_assert_ptr_nonnull(pmf__maps_find(&q, probes[i]));
	ck_assert_uint_eq(pmf__maps_queries(&q), asked);

	/* Ranges: the same verdicts. */
	uint64_t a = (uint64_t)(uintptr_t)anon;
	struct {
		uint64_t addr, len;
		bool anon_rw;
	} ranges[] = {
		{a, (uint64_t)pg, true},
		{a, 2 * (uint64_t)pg, false}, /* into the PROT_NONE page */
		{a + 2 * (uint64_t)pg, (uint64_t)pg, true},
		/* shared anonymous memory is "/dev/zero (deleted)" */
		{(uint64_t)(uintptr_t)shared, (uint64_t)pg, false},
		{(uint64_t)(uintptr_t)file, (uint64_t)pg, false},
		{(uint64_t)(uintptr_t)gone, 8, false},
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(ranges); i++) {
		ck_assert(pmf__maps_range_is_anon_rw(&q, ranges[i].addr,
						     ranges[i].len) ==
			  ranges[i].anon_rw);
		ck_assert(pmf__maps_range_is_anon_rw(&whole, ranges[i].addr,
						     ranges[i].len) ==
			  ranges[i].anon_rw);
	}
	ck_assert(pmf__maps_range_readable(&q, (uint64_t)(uintptr_t)file,
					   4 * (uint64_t)pg));
	ck_assert(!pmf__maps_range_readable(&q, a, 3 * (uint64_t)pg));

	/* An unmapping shows after a reset, and the generation moves. */
	ck_assert_int_eq(munmap(shared, (size_t)pg), 0);
	gen = q.gen;
	pmf__maps_query_reset(&q);
	ck_assert_uint_gt(q.gen, gen);
	ck_assert_ptr_null(pmf__maps_find(&q, (uint64_t)(uintptr_t)shared));
	ck_assert_ptr_nonnull(pmf__maps_find(&q, a));

	pmf__maps_free(&q);
	pmf__maps_free(&whole);
	munmap(anon, (size_t)(3 * pg));
	munmap(file, (size_t)(4 * pg));
}
END_TEST

/* PMF_FORCE_MAPS_READ=1 keeps the whole map (how the tests exercise
 * kernels without PROCMAP_QUERY). */
START_TEST(test_query_forced_off)
{
	struct pmf__maps m;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__maps_read(&m, getpid(), &e), 0);
	size_t n = m.n;
	setenv("PMF_FORCE_MAPS_READ", "1", 1);
	ck_assert_int_eq(pmf__maps_query_open(&m, getpid(), &e), PMF_ENOTSUP);
	unsetenv("PMF_FORCE_MAPS_READ");
	ck_assert_ptr_null(m.q);
	ck_assert_uint_eq(m.n, n);
	ck_assert_ptr_nonnull(pmf__maps_find(&m, (uint64_t)(uintptr_t)&make_suite));
	/* Resetting a whole map is nothing. */
	pmf__maps_query_reset(&m);
	ck_assert_uint_eq(m.n, n);
	pmf__maps_free(&m);
	ck_assert_int_eq(pmf__maps_query_open(&m, 0, &e), PMF_ESRCH);
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
	tcase_add_test(tc, test_read_racing);
	tcase_add_test(tc, test_query_matches_read);
	tcase_add_test(tc, test_query_forced_off);
	suite_add_tcase(s, tc);
	return s;
}
