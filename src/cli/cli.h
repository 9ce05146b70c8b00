/* SPDX-License-Identifier: MIT */
/*
 * cli.h - shared pieces of the pymfrag command: exit codes and messages.
 * The command is a client of include/pymfrag.h only.
 */
#ifndef PMF_CLI_CLI_H
#define PMF_CLI_CLI_H

#include <stdbool.h>
#include <sys/types.h>

#include "pymfrag.h"

/* Exit codes, documented in pymfrag(1). */
enum {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* the inspection failed; one line says why */
	EXIT_USAGE = 2,   /* bad command line */
};

/* "pymfrag: MESSAGE" on stderr, one line. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error and a pointer to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reports a library failure in one line: the cause from the library and
 * the fix for that kind of failure.  Returns EXIT_RUNTIME. */
int cli_fail(int err, const char *detail, pid_t pid);

/* Parses a PID; false if not a positive integer. */
bool cli_parse_pid(const char *s, pid_t *out);

int cmd_report(int argc, char **argv);

#endif
