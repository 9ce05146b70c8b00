/* SPDX-License-Identifier: MIT */
/*
 * cmd_top.c - "pymfrag top": the options of the live monitor; the
 * monitor itself is src/tui.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tui/top.h"

static void
usage(FILE *f)
{
	fputs("Usage: pymfrag top --pid PID [OPTION]...\n"
	      "   or: pymfrag top [OPTION]... -- CMD [ARG]...\n"
	      "Watch a running CPython process's pymalloc allocator live: "
	      "size classes,\n"
	      "arenas and their high-water mark, refreshed every interval.  "
	      "With -- CMD,\n"
	      "start CMD (a Python program) and watch it from its first "
	      "arena.\n"
	      "\n"
	      "  -p, --pid PID          the process to watch\n"
	      "  -d, --delay SECONDS    refresh interval, 0.1 to 3600 "
	      "(default 1)\n"
	      "  -n, --iterations N     exit after N refreshes (default: "
	      "until q)\n"
	      "  -b, --batch            print plain text frames on standard "
	      "output, no\n"
	      "                         terminal needed (with -n, for "
	      "scripts)\n"
	      "      --width COLS       width of a batch frame (default "
	      "$COLUMNS, or 100)\n"
	      "      --cmd-output FILE  where CMD's output goes (default: a "
	      "new file in\n"
	      "                         $TMPDIR, named when top exits)\n"
	      "      --nonblocking      do not stop the target; pools read "
	      "mid-change\n"
	      "                         are counted and left out\n"
	      "      --interp ID        watch interpreter ID (0, the main "
	      "one, by default)\n"
	      "      --locate METHOD    auto (default), symbols, debugfile, "
	      "table, scan\n"
	      "      --pinned-below PCT an arena is pinned below PCT% "
	      "utilization (default 10)\n"
	      "      --no-color         monochrome, as NO_COLOR does\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "Keys: q quit, space pause, s/S sort column/order, tab switch "
	      "pane, arrows\n"
	      "and enter select and drill into an arena, esc back, +/- "
	      "interval, h or ? help.\n"
	      "Quitting ends a CMD that top started.  Exit status: 0 "
	      "success, 1 the\n"
	      "monitor failed (or no terminal), 2 usage error, 128+N after "
	      "signal N.\n",
	      f);
}

static int
batch_width(void)
{
	const char *c = getenv("COLUMNS");
	unsigned v;
	if (c != NULL && cli_parse_count(c, &v) && v >= 40 && v <= 1000)
		return (int)v;
	return 100;
}

static int
parse(int argc, char **argv, struct tui_opts *o)
{
	enum {
		OPT_WIDTH = 256,
		OPT_CMD_OUTPUT,
		OPT_NONBLOCKING,
		OPT_INTERP,
		OPT_LOCATE,
		OPT_PINNED_BELOW,
		OPT_NO_COLOR,
	};
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"delay", required_argument, NULL, 'd'},
		{"iterations", required_argument, NULL, 'n'},
		{"batch", no_argument, NULL, 'b'},
		{"width", required_argument, NULL, OPT_WIDTH},
		{"cmd-output", required_argument, NULL, OPT_CMD_OUTPUT},
		{"nonblocking", no_argument, NULL, OPT_NONBLOCKING},
		{"interp", required_argument, NULL, OPT_INTERP},
		{"locate", required_argument, NULL, OPT_LOCATE},
		{"pinned-below", required_argument, NULL, OPT_PINNED_BELOW},
		{"no-color", no_argument, NULL, OPT_NO_COLOR},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool have_pid = false;
	double pct = 10;
	unsigned u;
	int c;
	opterr = 0;
	optind = 1;
	/* '+': stop at the first non-option, so CMD's own options are
	 * left to it. */
	while ((c = getopt_long(argc, argv, "+:p:d:n:bh", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'p':
			if (!cli_parse_pid(optarg, &o->pid))
				return cli_usage_error(
					"top",
					"--pid needs a positive process ID, "
					"not '%s'",
					optarg);
			have_pid = true;
			break;
		case 'd':
			if (!cli_parse_seconds(optarg, 0.1, 3600, &o->interval))
				return cli_usage_error(
					"top",
					"--delay needs seconds from 0.1 to "
					"3600, not '%s'",
					optarg);
			break;
		case 'n':
			if (!cli_parse_count(optarg, &u))
				return cli_usage_error(
					"top",
					"--iterations needs a positive number, "
					"not '%s'",
					optarg);
			o->iterations = (long)u;
			break;
		case 'b':
			o->batch = true;
			break;
		case OPT_WIDTH:
			if (!cli_parse_count(optarg, &u) || u < 40 || u > 1000)
				return cli_usage_error(
					"top",
					"--width needs 40 to 1000 columns, "
					"not '%s'",
					optarg);
			o->batch_cols = (int)u;
			break;
		case OPT_CMD_OUTPUT:
			if (optarg[0] == '\0')
				return cli_usage_error(
					"top", "--cmd-output needs a file name");
			o->cmd_output = optarg;
			break;
		case OPT_NONBLOCKING:
			o->nonblocking = true;
			break;
		case OPT_INTERP:
			if (!cli_parse_interp(optarg, &o->interp_id))
				return cli_usage_error(
					"top",
					"--interp needs an interpreter ID, "
					"not '%s'",
					optarg);
			o->select_interp = true;
			break;
		case OPT_LOCATE:
			if (pmf_locate_parse(optarg, &o->locate) < 0)
				return cli_usage_error(
					"top",
					"unknown locate method '%s' (use auto, "
					"symbols, debugfile, table or scan)",
					optarg);
			break;
		case OPT_PINNED_BELOW:
			if (!cli_parse_percent(optarg, &pct))
				return cli_usage_error(
					"top",
					"--pinned-below needs a percentage "
					"above 0 and at most 100, not '%s'",
					optarg);
			break;
		case OPT_NO_COLOR:
			o->color = false;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			return cli_usage_error("top", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("top", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	o->pinned_below = pct / 100;
	bool dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
	if (optind < argc && !dashdash)
		return cli_usage_error("top",
				       "unexpected argument '%s' (put a command "
				       "to start after --)",
				       argv[optind]);
	if (optind < argc)
		o->cmd = argv + optind;
	if (have_pid && o->cmd != NULL)
		return cli_usage_error("top",
				       "give either --pid or -- CMD, not both");
	if (!have_pid && o->cmd == NULL)
		return cli_usage_error("top",
				       "--pid PID or -- CMD is required");
	if (o->cmd_output != NULL && o->cmd == NULL)
		return cli_usage_error("top",
				       "--cmd-output is for -- CMD only");
	return EXIT_OK;
}

int
cmd_top(int argc, char **argv)
{
	const char *nc = getenv("NO_COLOR");
	struct tui_opts o = {
		.interval = 1.0,
		.color = nc == NULL || nc[0] == '\0',
		.batch_cols = batch_width(),
	};
	int rc = parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
#ifndef HAVE_NCURSES
	cli_error("this pymfrag was built without ncurses, so it has no top: "
		  "install libncurses-dev and rebuild, or use 'pymfrag report'");
	return EXIT_RUNTIME;
#else
	char why[512] = "";
	int err = 0;
	int status = tui_top_run(&o, &err, why, sizeof(why));
	if (status == EXIT_RUNTIME && err < 0)
		return cli_fail(err, why, o.pid);
	if (status == EXIT_RUNTIME)
		cli_error("%s", why);
	return status;
#endif
}
