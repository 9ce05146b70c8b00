/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - "pymfrag report": one snapshot, printed in one format.
 */
#include "config.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void
usage(FILE *f)
{
	fputs("Usage: pymfrag report --pid PID [OPTION]...\n"
	      "Take one snapshot of a running CPython process's pymalloc "
	      "allocator and print it.\n"
	      "\n"
	      "  -p, --pid PID          the process to inspect (required)\n"
	      "  -f, --format FORMAT    text (default), json, or "
	      "debugmallocstats\n"
	      "      --nonblocking      do not stop the target; pools read "
	      "mid-change\n"
	      "                         are counted and left out\n"
	      "      --interp ID        report only interpreter ID (0 is the "
	      "main one)\n"
	      "      --locate METHOD    auto (default), symbols, debugfile, "
	      "table\n"
	      "      --debug-dir DIR    detached debug files (default "
	      "/usr/lib/debug)\n"
	      "  -v, --verbose          say how the allocator was found, on "
	      "stderr\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "By default the target's threads are stopped (ptrace seize and "
	      "interrupt,\n"
	      "never SIGSTOP) for the walk only.  The target is never written "
	      "to.\n"
	      "Exit status: 0 success, 1 the inspection failed, 2 usage "
	      "error.\n",
	      f);
}

struct opts {
	pid_t pid;
	enum pmf_format format;
	bool nonblocking, verbose, have_interp;
	int64_t interp;
	struct pmf_target_opts topts;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	enum { OPT_NONBLOCKING = 256, OPT_INTERP, OPT_LOCATE, OPT_DEBUG_DIR };
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"nonblocking", no_argument, NULL, OPT_NONBLOCKING},
		{"interp", required_argument, NULL, OPT_INTERP},
		{"locate", required_argument, NULL, OPT_LOCATE},
		{"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool have_pid = false;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:f:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!cli_parse_pid(optarg, &o->pid))
				return cli_usage_error(
					"report",
					"--pid needs a positive process ID, "
					"not '%s'",
					optarg);
			have_pid = true;
			break;
		case 'f':
			if (pmf_format_parse(optarg, &o->format) < 0)
				return cli_usage_error(
					"report",
					"unknown format '%s' (use text, json "
					"or debugmallocstats)",
					optarg);
			break;
		case OPT_NONBLOCKING:
			o->nonblocking = true;
			break;
		case OPT_INTERP: {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 0)
				return cli_usage_error(
					"report",
					"--interp needs an interpreter ID, "
					"not '%s'",
					optarg);
			o->have_interp = true;
			o->interp = v;
			break;
		}
		case OPT_LOCATE:
			if (pmf_locate_parse(optarg, &o->topts.locate) < 0)
				return cli_usage_error(
					"report",
					"unknown locate method '%s' (use auto, "
					"symbols, debugfile or table)",
					optarg);
			break;
		case OPT_DEBUG_DIR:
			o->topts.debug_dir = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case ':':
			return cli_usage_error("report", "%s needs a value",
					       argv[optind - 1]);
		default:
			return cli_usage_error("report", "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("report", "unexpected argument '%s'",
				       argv[optind]);
	if (!have_pid)
		return cli_usage_error("report", "--pid is required");
	return EXIT_OK;
}

static void
print_log(const pmf_target *t)
{
	const char *log = pmf_target_log(t);
	while (*log != '\0') {
		size_t n = strcspn(log, "\n");
		fprintf(stderr, "pymfrag: %.*s\n", (int)n, log);
		log += n;
		if (*log == '\n')
			log++;
	}
}

/* The IDs of the interpreters in S, for a message. */
static void
list_ids(const pmf_snapshot *s, char *buf, size_t len)
{
	size_t n = pmf_snapshot_info(s)->ninterps, off = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off + 24 < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64,
					i ? ", " : "",
					pmf_snapshot_interp(s, i)->id);
}

int
cmd_report(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;

	pmf_target *t = pmf_target_new();
	if (t == NULL)
		return cli_fail(PMF_ENOMEM, NULL, o.pid);
	pmf_snapshot *s = NULL;
	int err = pmf_target_open(t, o.pid, &o.topts);
	if (o.verbose)
		print_log(t);
	if (err < 0) {
		rc = cli_fail(err, pmf_target_errmsg(t), o.pid);
		goto out;
	}
	err = pmf_snapshot_take(t, o.nonblocking ? PMF_SNAP_NONBLOCKING : 0,
				&s);
	if (err < 0) {
		rc = cli_fail(err, pmf_target_errmsg(t), o.pid);
		goto out;
	}
	const struct pmf_snapshot_info *in = pmf_snapshot_info(s);
	struct pmf_report_opts ro = {.select_interp = o.have_interp,
				     .interp_id = o.interp};
	if (o.have_interp && in->ninterps > 0) {
		bool found = false;
		for (size_t i = 0; i < in->ninterps; i++)
			found |= pmf_snapshot_interp(s, i)->id == o.interp;
		if (!found) {
			char ids[256];
			list_ids(s, ids, sizeof(ids));
			cli_error("no interpreter with ID %" PRId64
				  " has its own allocator state in process "
				  "%d; these do: %s",
				  o.interp, (int)o.pid, ids);
			rc = EXIT_RUNTIME;
			goto out;
		}
	}
	if (o.format == PMF_FORMAT_DEBUGMALLOCSTATS && in->ninterps == 0)
		cli_error("pymalloc is not in use in process %d (allocator: "
			  "%s): CPython prints no allocator statistics either",
			  (int)o.pid, pmf_allocator_name(in->allocator));
	err = pmf_report_write(s, o.format, &ro, pmf_write_stdio, stdout);
	if (err == 0 && fflush(stdout) != 0)
		err = PMF_EIO;
	if (err < 0) {
		cli_error("cannot write the report: %s", pmf_strerror(err));
		rc = EXIT_RUNTIME;
		goto out;
	}
	rc = EXIT_OK;
out:
	pmf_snapshot_free(s);
	pmf_target_free(t);
	return rc;
}
