/* SPDX-License-Identifier: MIT */
/*
 * main.c - the pymfrag command: subcommand dispatch, --help, --version.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void
usage(FILE *f)
{
	fputs("Usage: pymfrag COMMAND [OPTION]...\n"
	      "Inspect the pymalloc allocator of a running CPython process "
	      "from outside:\n"
	      "arenas, pools and size classes, joined with the kernel's view "
	      "of memory.\n"
	      "\n"
	      "Commands:\n"
	      "  report    take one snapshot and print it (text, json, "
	      "debugmallocstats)\n"
	      "  top       watch it live: size classes, arenas, high-water "
	      "mark\n"
	      "  diff      compare two JSON reports: what grew and what "
	      "shrank\n"
	      "\n"
	      "Options:\n"
	      "  -h, --help       show this help\n"
	      "  -V, --version    show the version\n"
	      "\n"
	      "Run 'pymfrag COMMAND --help' for a command's options; see "
	      "pymfrag(1).\n",
	      f);
}

int
main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage_error(NULL, "no command given");
	const char *cmd = argv[1];
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
		printf("pymfrag %s\n", PMF_VERSION_STRING);
		return EXIT_OK;
	}
	if (strcmp(cmd, "report") == 0)
		return cmd_report(argc - 1, argv + 1);
	if (strcmp(cmd, "top") == 0)
		return cmd_top(argc - 1, argv + 1);
	if (strcmp(cmd, "diff") == 0)
		return cmd_diff(argc - 1, argv + 1);
	return cli_usage_error(NULL, "unknown command '%s'", cmd);
}
