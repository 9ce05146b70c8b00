/* SPDX-License-Identifier: MIT */
/*
 * top.h - "pymfrag top": the live monitor's entry point, called by the
 * command line (src/cli/cmd_top.c) once its options are parsed.
 */
#ifndef PMF_TUI_TOP_H
#define PMF_TUI_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pymfrag.h"

struct tui_opts {
	pid_t pid;            /* the target, or 0 with CMD */
	char *const *cmd;     /* "top -- CMD ARGS...": NULL-terminated */
	const char *cmd_output; /* file for CMD's output, NULL: a temp file */
	double interval;      /* seconds */
	long iterations;      /* refreshes before exiting; 0: until q */
	bool batch;           /* plain text frames on stdout, no curses */
	int batch_cols;       /* width of a batch frame */
	bool nonblocking;
	bool color;           /* false: NO_COLOR or --no-color */
	bool select_interp;
	int64_t interp_id;
	enum pmf_locate locate;
	double pinned_below;
};

/* Runs the monitor.  Returns the exit status (0, or 1 on a runtime
 * failure, with one line in WHY for the command to print); an error
 * coming from the library has its code in *ERR (0 otherwise) so the
 * caller can add the usual advice. */
int tui_top_run(const struct tui_opts *o, int *err, char *why, size_t cap);

#endif
