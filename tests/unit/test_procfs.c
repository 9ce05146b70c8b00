/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/procfs.c. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/procfs.h"
#include "runner.h"

START_TEST(test_status_parse)
{
	static const char text[] = "Name:\tpython3.12\n"
				   "Umask:\t0022\n"
				   "State:\tS (sleeping)\n"
				   "TracerPid:\t4242\n"
				   "Uid:\t1000\t1000\t1000\t1000\n"
				   "VmHWM:\t   30420 kB\n"
				   "VmRSS:\t   25000 kB\n"
				   "VmSwap:\t    1200 kB\n"
				   "Threads:\t7\n";
	struct pmf__proc_status st;
	pmf__status_parse(text, &st);
	ck_assert_str_eq(st.name, "python3.12");
	ck_assert_int_eq(st.state, 'S');
	ck_assert_int_eq(st.tracer, 4242);
	ck_assert_int_eq(st.uid, 1000);
	ck_assert_uint_eq(st.vm_hwm, 30420ull * 1024);
	ck_assert_uint_eq(st.vm_rss, 25000ull * 1024);
	ck_assert_uint_eq(st.vm_swap, 1200ull * 1024);
	ck_assert_uint_eq(st.threads, 7);
}
END_TEST

START_TEST(test_rollup_parse)
{
	static const char rollup[] =
		"55d0c0000000-7ffd00000000 ---p 00000000 00:00 0 [rollup]\n"
		"Rss:               25000 kB\n"
		"Pss:               24000 kB\n"
		"Pss_Anon:          20000 kB\n"
		"Pss_File:           4000 kB\n"
		"Swap:                100 kB\n"
		"SwapPss:             100 kB\n";
	struct pmf__rollup r;
	pmf__rollup_parse(rollup, &r);
	ck_assert_uint_eq(r.rss, 25000ull * 1024);
	ck_assert_uint_eq(r.pss, 24000ull * 1024);
	ck_assert_uint_eq(r.pss_anon, 20000ull * 1024);
	ck_assert(r.has_pss_anon);
	/* SwapPss must not be counted as Swap. */
	ck_assert_uint_eq(r.swap, 100ull * 1024);
	/* Whole smaps: fields summed over the VMAs. */
	static const char smaps[] = "00400000-00401000 r--p 0 fd:01 1 /x\n"
				    "Rss:                  4 kB\n"
				    "Pss:                  2 kB\n"
				    "00401000-00402000 r--p 0 fd:01 1 /x\n"
				    "Rss:                  8 kB\n"
				    "Pss:                  8 kB\n";
	pmf__rollup_parse(smaps, &r);
	ck_assert_uint_eq(r.rss, 12ull * 1024);
	ck_assert_uint_eq(r.pss, 10ull * 1024);
	ck_assert(!r.has_pss_anon);
}
END_TEST

START_TEST(test_self)
{
	struct pmf__proc_status st;
	struct pmf__rollup r;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__proc_status(getpid(), &st, &e), 0);
	ck_assert(st.vm_rss > 0);
	ck_assert(st.threads >= 1);
	ck_assert_int_eq(pmf__proc_rollup(getpid(), &r, &e), 0);
	ck_assert(r.rss > 0 && r.pss > 0);
	char exe[4096];
	ck_assert_int_eq(pmf__proc_exe(getpid(), exe, sizeof(exe), &e), 0);
	ck_assert(strstr(exe, "test_procfs") != NULL);
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;
	ck_assert_int_eq(pmf__proc_tasks(getpid(), &tids, &n, &cap, &e), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(tids[0], getpid());
	free(tids);
}
END_TEST

/* An empty read (the files of a process that just exited) still leaves
 * a terminated string, over whatever the buffer held before. */
START_TEST(test_read_empty)
{
	struct pmf__sb sb = PMF__SB_INIT;
	ck_assert(pmf__sb_reserve(&sb, 64));
	memset(sb.buf, 'x', sb.cap);
	ck_assert_int_eq(pmf__read_file("/dev/null", &sb, NULL), 0);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(sb.buf, "");
	pmf__sb_free(&sb);
}
END_TEST

START_TEST(test_missing_and_zombie)
{
	struct pmf__proc_status st;
	struct pmf__err e = {0};
	/* A reaped child's PID is (almost certainly) free. */
	pid_t child = fork();
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_eq(pmf__proc_status(child, &st, &e), PMF_ESRCH);
	ck_assert(strstr(e.msg, "no process") != NULL);
	ck_assert_int_eq(pmf__proc_status(-1, &st, &e), PMF_ESRCH);

	/* A child that exited and was not reaped is a zombie. */
	child = fork();
	if (child == 0)
		_exit(0);
	for (int i = 0; i < 200; i++) {
		if (pmf__proc_status(child, &st, &e) == PMF_EZOMBIE)
			break;
		usleep(5000);
	}
	ck_assert_int_eq(pmf__proc_status(child, &st, &e), PMF_EZOMBIE);
	ck_assert(strstr(e.msg, "zombie") != NULL);
	waitpid(child, NULL, 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("procfs");
	tcase_add_test(tc, test_status_parse);
	tcase_add_test(tc, test_rollup_parse);
	tcase_add_test(tc, test_self);
	tcase_add_test(tc, test_read_empty);
	tcase_add_test(tc, test_missing_and_zombie);
	suite_add_tcase(s, tc);
	return s;
}
