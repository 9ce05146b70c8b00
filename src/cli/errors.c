/* SPDX-License-Identifier: MIT */
/*
 * errors.c - one-line error messages: what happened (from the library's
 * detail) and what to do about it (from the kind of failure).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("pymfrag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fputs("pymfrag: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'pymfrag %s%s--help')\n", cmd ? cmd : "",
		cmd ? " " : "");
	return EXIT_USAGE;
}

static const char *
hint(int err)
{
	switch (err) {
	case PMF_ESRCH:
		return "check the PID (ps -p PID)";
	case PMF_EZOMBIE:
		return "there is nothing left to inspect";
	case PMF_EPERM:
		return "run pymfrag as the target's user or as root, with "
		       "ptrace allowed (kernel.yama.ptrace_scope=0 or "
		       "CAP_SYS_PTRACE; in a container, --cap-add=SYS_PTRACE)";
	case PMF_EBUSY:
		return "detach the other tracer, or use --nonblocking";
	case PMF_ENOTPY:
		return "point --pid at a CPython process";
	case PMF_EVERSION:
		return "pymfrag reads CPython 3.6 to 3.14";
	case PMF_ENOSTATE:
		return "install the interpreter's debug symbols, or run with "
		       "--verbose to see what was tried";
	case PMF_ECORRUPT:
		return "run with --verbose to see what was tried; please "
		       "report it if the interpreter is a standard build";
	case PMF_ETIMEDOUT:
		return "retry, or use --nonblocking";
	case PMF_EAGAIN:
		return "retry, or use --nonblocking";
	case PMF_EELF:
		return "pymfrag reads the interpreter's file on disk, which "
		       "must be intact and the one the process runs: restore "
		       "it and restart the process (a replaced file can be "
		       "read as root)";
	case PMF_ENOMEM:
		return "free some memory and retry";
	default:
		return NULL;
	}
}

int
cli_fail(int err, const char *detail, pid_t pid)
{
	const char *h = hint(err);
	(void)pid;
	if (detail == NULL || detail[0] == '\0')
		detail = pmf_strerror(err);
	if (h != NULL)
		cli_error("%s; %s", detail, h);
	else
		cli_error("%s", detail);
	return EXIT_RUNTIME;
}

bool
cli_parse_pid(const char *s, pid_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0 || v > INT_MAX)
		return false;
	*out = (pid_t)v;
	return true;
}
