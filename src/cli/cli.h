/* SPDX-License-Identifier: MIT */
/*
 * cli.h - shared pieces of the pymfrag command: exit codes and messages.
 * The command is a client of include/pymfrag.h only.
 */
#ifndef PMF_CLI_CLI_H
#define PMF_CLI_CLI_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Parses an interpreter ID for --interp; false if not an integer >= 0. */
static inline bool
cli_parse_interp(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0)
		return false;
	*out = v;
	return true;
}

/* A count for --examine, --top, -n: a positive decimal integer.  Zero is
 * refused because the library reads 0 as "the default". */
bool cli_parse_count(const char *s, unsigned *out);

/* A percentage for --pinned-below: a decimal number, 0 < PCT <= 100. */
bool cli_parse_percent(const char *s, double *out);

/* Seconds for -d: a decimal number from MIN to MAX. */
bool cli_parse_seconds(const char *s, double min, double max, double *out);

int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_diff(int argc, char **argv);

#endif
