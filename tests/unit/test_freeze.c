/* SPDX-License-Identifier: MIT */
/* Unit tests for src/os/freeze.c: every thread stops, every thread runs
 * again, signals that arrive meanwhile are not lost, and a process
 * traced by someone else is refused. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/freeze.h"
#include "os/procfs.h"
#include "runner.h"

static volatile sig_atomic_t got_usr1;

static void
on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void *
spin(void *arg)
{
	volatile unsigned long *n = arg;
	for (;;)
		(*n)++;
	return NULL;
}

/* A child with three busy threads; it reports a received SIGUSR1 on
 * REPORT and exits when the parent closes its end of HOLD. */
static pid_t
spawn_child(int report[2])
{
	ck_assert_int_eq(pipe(report), 0);
	pid_t pid = fork();
	if (pid == 0) {
		static volatile unsigned long counters[3];
		pthread_t th;
		signal(SIGUSR1, on_usr1);
		for (int i = 1; i < 3; i++)
			pthread_create(&th, NULL, spin, (void *)&counters[i]);
		close(report[0]);
		ssize_t w = write(report[1], "r", 1); /* ready */
		(void)w;
		for (;;) {
			if (got_usr1) {
				got_usr1 = 0;
				w = write(report[1], "s", 1);
			}
			counters[0]++;
		}
	}
	close(report[1]);
	char c;
	ck_assert_int_eq(read(report[0], &c, 1), 1);
	return pid;
}

/* State letter of every thread of PID (from /proc/PID/task/TID/stat). */
static int
states(pid_t pid, char *out, int max)
{
	pid_t *tids = NULL;
	size_t n = 0, cap = 0;
	int k = 0;
	ck_assert_int_eq(pmf__proc_tasks(pid, &tids, &n, &cap, NULL), 0);
	for (size_t i = 0; i < n && k < max; i++) {
		char sp[96], buf[256];
		snprintf(sp, sizeof(sp), "/proc/%d/task/%d/stat", (int)pid,
			 (int)tids[i]);
		FILE *f = fopen(sp, "r");
		if (f == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			char *rp = strrchr(buf, ')');
			out[k++] = rp ? rp[2] : '?';
		}
		fclose(f);
	}
	free(tids);
	return k;
}

START_TEST(test_freeze_thaw)
{
	int report[2];
	pid_t child = spawn_child(report);
	struct pmf__freeze f = {0};
	struct pmf__err e = {0};
	char st[16];
	for (int round = 0; round < 20; round++) {
		ck_assert_int_eq(pmf__freeze(&f, child, 2000, &e), 0);
		ck_assert_uint_eq(f.stopped, 3);
		int n = states(child, st, 16);
		ck_assert_int_eq(n, 3);
		for (int i = 0; i < n; i++)
			ck_assert_int_eq(st[i], 't'); /* tracing stop */
		pmf__thaw(&f);
		ck_assert(pmf__freeze_pause_us(&f) < 2000000);
		usleep(2000);
		n = states(child, st, 16);
		for (int i = 0; i < n; i++)
			ck_assert(st[i] == 'R' || st[i] == 'S');
	}
	/* The tracer is gone: TracerPid is back to 0. */
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)child);
	FILE *sf = fopen(path, "r");
	int tracer = -1;
	while (fgets(line, sizeof(line), sf))
		sscanf(line, "TracerPid: %d", &tracer);
	fclose(sf);
	ck_assert_int_eq(tracer, 0);
	pmf__freeze_free(&f);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

START_TEST(test_signal_not_lost)
{
	int report[2];
	pid_t child = spawn_child(report);
	struct pmf__freeze f = {0};
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__freeze(&f, child, 2000, &e), 0);
	/* Delivered while every thread is held: the kernel reports it to us
	 * as the tracer, and it must reach the child after the thaw. */
	kill(child, SIGUSR1);
	usleep(20000);
	pmf__thaw(&f);
	char c = 0;
	ck_assert_int_eq(read(report[0], &c, 1), 1);
	ck_assert_int_eq(c, 's');
	pmf__freeze_free(&f);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

START_TEST(test_refusals)
{
	struct pmf__freeze f = {0};
	struct pmf__err e = {0};
	pid_t gone = fork();
	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0);
	ck_assert_int_eq(pmf__freeze(&f, gone, 500, &e), PMF_ESRCH);

	/* Someone else traces the child: we must say so, not fight. */
	int report[2];
	pid_t child = spawn_child(report);
	int sync[2];
	ck_assert_int_eq(pipe(sync), 0);
	pid_t tracer = fork();
	if (tracer == 0) {
		close(sync[0]);
		long r = ptrace(PTRACE_SEIZE, child, NULL, NULL);
		ssize_t w = write(sync[1], r == 0 ? "y" : "n", 1);
		(void)w;
		pause();
		_exit(0);
	}
	close(sync[1]);
	char c;
	ck_assert_int_eq(read(sync[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	ck_assert_int_eq(pmf__freeze(&f, child, 500, &e), PMF_EBUSY);
	ck_assert(strstr(e.msg, "already traced") != NULL);
	kill(tracer, SIGKILL);
	waitpid(tracer, NULL, 0);
	/* With the other tracer gone, the freeze works. */
	ck_assert_int_eq(pmf__freeze(&f, child, 2000, &e), 0);
	pmf__thaw(&f);
	pmf__freeze_free(&f);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("freeze");
	TCase *tc = tcase_create("freeze");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_freeze_thaw);
	tcase_add_test(tc, test_signal_not_lost);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}
