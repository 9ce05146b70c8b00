/* SPDX-License-Identifier: MIT */
/*
 * hold.c - attaches to PID as its tracer (PTRACE_SEIZE, which does not
 * stop it), prints "ready" and waits to be killed; for the test of a
 * target that another tool already traces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	pid_t pid = (pid_t)atoi(argv[1]);
	if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) < 0) {
		perror("ptrace");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
