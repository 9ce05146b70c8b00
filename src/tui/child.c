/* SPDX-License-Identifier: MIT */
/*
 * child.c - starting, watching and ending the program "top -- CMD" runs.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tui/child.h"

int
tui_child_start(struct tui_child *c, char *const *argv, const char *log,
		char *why, size_t cap)
{
	memset(c, 0, sizeof(*c));
	int fd;
	if (log != NULL) {
		snprintf(c->log, sizeof(c->log), "%s", log);
		fd = open(c->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(c->log, sizeof(c->log), "%s/pymfrag-top.XXXXXX",
			 tmp && *tmp ? tmp : "/tmp");
		fd = mkostemp(c->log, O_CLOEXEC);
	}
	if (fd < 0) {
		snprintf(why, cap, "cannot create %s for the output of %s: %s",
			 c->log, argv[0], strerror(errno));
		return -1;
	}
	/* A pipe that closes on exec tells the parent whether exec worked. */
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(why, cap, "pipe: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, cap, "fork: %s", strerror(errno));
		close(fd);
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		int in = open("/dev/null", O_RDONLY);
		if (in >= 0)
			dup2(in, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		int err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(fd);
	close(pfd[1]);
	/* Also set here: whichever runs first, the group exists before
	 * either relies on it. */
	setpgid(pid, pid);
	int err = 0;
	ssize_t got;
	do
		got = read(pfd[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(pfd[0]);
	c->pid = pid;
	if (got == (ssize_t)sizeof(err)) {
		int st;
		waitpid(pid, &st, 0);
		snprintf(why, cap, "cannot run %s: %s", argv[0], strerror(err));
		return -1;
	}
	return 0;
}

bool
tui_child_poll(struct tui_child *c)
{
	if (c->pid <= 0 || c->exited)
		return c->exited;
	int st;
	pid_t r = waitpid(c->pid, &st, WNOHANG);
	if (r == c->pid) {
		c->exited = true;
		c->reaped = true;
		c->status = st;
	} else if (r < 0 && errno == ECHILD) {
		/* Reaped by the ptrace code while it was held. */
		c->exited = true;
	}
	return c->exited;
}

const char *
tui_child_how(const struct tui_child *c, char *buf, size_t cap)
{
	if (!c->reaped)
		snprintf(buf, cap, "exited");
	else if (WIFEXITED(c->status))
		snprintf(buf, cap, "exited with status %d",
			 WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(buf, cap, "killed by signal %d (%s)",
			 WTERMSIG(c->status), strsignal(WTERMSIG(c->status)));
	else
		snprintf(buf, cap, "ended");
	return buf;
}

void
tui_child_stop(struct tui_child *c, unsigned grace_ms)
{
	if (c->pid <= 0 || tui_child_poll(c))
		return;
	kill(-c->pid, SIGTERM);
	for (unsigned waited = 0; waited < grace_ms; waited += 10) {
		if (tui_child_poll(c))
			return;
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
	kill(-c->pid, SIGKILL);
	int st;
	if (waitpid(c->pid, &st, 0) == c->pid) {
		c->exited = c->reaped = true;
		c->status = st;
	}
}
