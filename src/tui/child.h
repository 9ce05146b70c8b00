/* SPDX-License-Identifier: MIT */
/*
 * child.h - "pymfrag top -- CMD": the program the monitor starts.  Its
 * output goes to a file and its input is /dev/null, so nothing it does
 * reaches the screen; it runs in a process group of its own, so Ctrl-C
 * at the monitor does not reach it.
 */
#ifndef PMF_TUI_CHILD_H
#define PMF_TUI_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct tui_child {
	pid_t pid;
	bool exited;
	int status;     /* waitpid's, when exited */
	bool reaped;    /* false: reaped by someone else, status unknown */
	char log[256];  /* where its output goes */
};

/* Starts ARGV[0] (looked up in PATH) with ARGV, its output to LOG (or to
 * a new file in $TMPDIR when LOG is NULL).  Returns 0, or -1 with the
 * reason in WHY. */
int tui_child_start(struct tui_child *c, char *const *argv, const char *log,
		    char *why, size_t cap);

/* Checks, without waiting, whether the child has exited.  True once it
 * has. */
bool tui_child_poll(struct tui_child *c);

/* "exited with status 3", "killed by signal 9 (Killed)". */
const char *tui_child_how(const struct tui_child *c, char *buf, size_t cap);

/* Ends a child still running: SIGTERM to its group, then SIGKILL after
 * GRACE_MS.  Reaps it. */
void tui_child_stop(struct tui_child *c, unsigned grace_ms);

#endif
