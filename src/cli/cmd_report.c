/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - "pymfrag report": one snapshot, printed in one format.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static void
usage(FILE *f)
{
	fputs("Usage: pymfrag report --pid PID [OPTION]...\n"
	      "Take one snapshot of a running CPython process's pymalloc "
	      "allocator and print it.\n"
	      "\n"
	      "  -p, --pid PID          the process to inspect (required)\n"
	      "  -f, --format FORMAT    text (default), json, "
	      "debugmallocstats, or prometheus\n"
	      "  -o, --output FILE      write the report to FILE, replaced "
	      "atomically\n"
	      "                         (for node_exporter's textfile "
	      "collector)\n"
	      "      --nonblocking      do not stop the target; pools read "
	      "mid-change\n"
	      "                         are counted and left out\n"
	      "      --no-guard         stop the target without unwinding "
	      "its threads\n"
	      "                         (shorter pause; validation only)\n"
	      "      --interp ID        report only interpreter ID (0 is the "
	      "main one)\n"
	      "      --locate METHOD    auto (default), symbols, debugfile, "
	      "table\n"
	      "      --debug-dir DIR    detached debug files (default "
	      "/usr/lib/debug)\n"
	      "      --no-analysis      skip the fragmentation analysis "
	      "(residency, pinned\n"
	      "                         arenas, their objects); "
	      "debugmallocstats never has it\n"
	      "      --pinned-below PCT\n"
	      "                         an arena is pinned below PCT% "
	      "utilization\n"
	      "                         (0 < PCT <= 100, default 10)\n"
	      "      --examine N|all    identify the objects of the N least "
	      "utilized of the\n"
	      "                         pinned and stranded arenas "
	      "(default all)\n"
	      "      --top N            rows in worst-N lists (default 10)\n"
	      "  -v, --verbose          say how the allocator was found, on "
	      "stderr\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "By default the target's threads are stopped (ptrace seize and "
	      "interrupt,\n"
	      "never SIGSTOP) for the walk only.  The target is never written "
	      "to.\n"
	      "Exit status: 0 success, 1 the inspection or the output "
	      "failed, 2 usage error.\n",
	      f);
}

struct opts {
	pid_t pid;
	enum pmf_format format;
	bool nonblocking, verbose, have_interp, no_analysis;
	bool no_guard;
	int64_t interp;
	const char *output;   /* NULL: standard output */
	double pinned_below;  /* percent */
	unsigned examine, top;
	struct pmf_target_opts topts;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	enum {
		OPT_NONBLOCKING = 256,
		OPT_INTERP,
		OPT_LOCATE,
		OPT_DEBUG_DIR,
		OPT_NO_ANALYSIS,
		OPT_PINNED_BELOW,
		OPT_EXAMINE,
		OPT_TOP,
		OPT_NO_GUARD,
	};
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"no-analysis", no_argument, NULL, OPT_NO_ANALYSIS},
		{"pinned-below", required_argument, NULL, OPT_PINNED_BELOW},
		{"examine", required_argument, NULL, OPT_EXAMINE},
		{"top", required_argument, NULL, OPT_TOP},
		{"nonblocking", no_argument, NULL, OPT_NONBLOCKING},
		{"no-guard", no_argument, NULL, OPT_NO_GUARD},
		{"interp", required_argument, NULL, OPT_INTERP},
		{"locate", required_argument, NULL, OPT_LOCATE},
		{"debug-dir", required_argument, NULL, OPT_DEBUG_DIR},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool have_pid = false;
	int c;
	o->pinned_below = 10;
	o->examine = 0; /* all */
	o->top = 10;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":p:f:o:vh", longopts, NULL)) !=
	       -1) {
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
					"unknown format '%s' (use text, json, "
					"debugmallocstats or prometheus)",
					optarg);
			break;
		case 'o':
			if (optarg[0] == '\0')
				return cli_usage_error(
					"report", "--output needs a file name");
			o->output = optarg;
			break;
		case OPT_NO_ANALYSIS:
			o->no_analysis = true;
			break;
		case OPT_PINNED_BELOW:
			if (!cli_parse_percent(optarg, &o->pinned_below))
				return cli_usage_error(
					"report",
					"--pinned-below needs a percentage "
					"above 0 and at most 100, not '%s'",
					optarg);
			break;
		case OPT_EXAMINE:
			if (strcmp(optarg, "all") == 0)
				o->examine = 0;
			else if (!cli_parse_count(optarg, &o->examine))
				return cli_usage_error(
					"report",
					"--examine needs a positive number of "
					"arenas or 'all', not '%s'",
					optarg);
			break;
		case OPT_TOP:
			if (!cli_parse_count(optarg, &o->top))
				return cli_usage_error(
					"report",
					"--top needs a positive number of "
					"rows, not '%s'",
					optarg);
			break;
		case OPT_NONBLOCKING:
			o->nonblocking = true;
			break;
		case OPT_NO_GUARD:
			o->no_guard = true;
			break;
		case OPT_INTERP:
			if (!cli_parse_interp(optarg, &o->interp))
				return cli_usage_error(
					"report",
					"--interp needs an interpreter ID, "
					"not '%s'",
					optarg);
			o->have_interp = true;
			break;
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

/*
 * --output: the report goes to a temporary file in FILE's directory,
 * flushed to disk, then renamed over FILE, so a reader (node_exporter's
 * textfile collector) sees the old report or the new one, never a part.
 * The temporary name is hidden and does not end in .prom, so the
 * collector never picks it up; it is removed on every failure, and on
 * SIGINT, SIGTERM and SIGHUP (a cron job under timeout(1)).
 */
struct outfile {
	const char *path;
	char *dir;     /* FILE's directory */
	char *tmp;     /* the temporary file; NULL when none exists */
	FILE *f;
};

/* The temporary file's name, for the signal handler: only
 * async-signal-safe calls may use it there. */
static char *volatile tmp_to_remove;

static void
remove_tmp_and_die(int sig)
{
	if (tmp_to_remove != NULL)
		unlink(tmp_to_remove);
	/* SA_RESETHAND restored the default action: die of SIG once this
	 * handler returns, as if it had never been caught. */
	raise(sig);
}

static void
outfile_catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = remove_tmp_and_die;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static void
outfile_discard(struct outfile *of)
{
	if (of->f != NULL)
		fclose(of->f);
	of->f = NULL;
	if (of->tmp != NULL) {
		tmp_to_remove = NULL;
		unlink(of->tmp);
	}
	free(of->tmp);
	free(of->dir);
	of->tmp = of->dir = NULL;
}

/* Creates the temporary file.  Returns EXIT_OK, or EXIT_RUNTIME after
 * saying why. */
static int
outfile_open(struct outfile *of, const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	*of = (struct outfile){.path = path};
	if (*base == '\0') {
		cli_error("cannot write the report to %s: not a file name",
			  path);
		return EXIT_RUNTIME;
	}
	if (slash == NULL)
		of->dir = strdup(".");
	else if (slash == path)
		of->dir = strdup("/");
	else
		of->dir = strndup(path, (size_t)(slash - path));
	size_t n = strlen(of->dir) + strlen(base) + 16;
	char *tmp = malloc(n);
	if (of->dir == NULL || tmp == NULL) {
		free(tmp);
		outfile_discard(of);
		cli_error("cannot write the report to %s: %s", path,
			  strerror(ENOMEM));
		return EXIT_RUNTIME;
	}
	snprintf(tmp, n, "%s/.%s.XXXXXX", of->dir, base);
	outfile_catch_signals();
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		cli_error("cannot write the report to %s: cannot create a file "
			  "in %s: %s",
			  path, of->dir, strerror(e));
		outfile_discard(of);
		return EXIT_RUNTIME;
	}
	of->tmp = tmp;
	tmp_to_remove = tmp;
	/* mkstemp makes the file 0600; a report is as readable as any new
	 * file (the collector often runs as another user). */
	mode_t mask = umask(0);
	umask(mask);
	of->f = fdopen(fd, "w");
	if (fchmod(fd, 0666 & ~mask) != 0 || of->f == NULL) {
		int e = errno;
		if (of->f == NULL)
			close(fd);
		cli_error("cannot write the report to %s: %s: %s", path, tmp,
			  strerror(e));
		outfile_discard(of);
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* Puts the complete report in place.  Returns EXIT_OK, or EXIT_RUNTIME
 * after saying why (the temporary file is then gone, FILE untouched). */
static int
outfile_commit(struct outfile *of)
{
	const char *step = "write";
	int ok = fflush(of->f) == 0;
	if (ok) {
		step = "fsync";
		ok = fsync(fileno(of->f)) == 0;
	}
	int e = errno;
	if (fclose(of->f) != 0 && ok) {
		step = "close";
		e = errno;
		ok = 0;
	}
	of->f = NULL;
	if (ok && rename(of->tmp, of->path) != 0) {
		step = "rename";
		e = errno;
		ok = 0;
	}
	if (!ok) {
		cli_error("cannot write the report to %s: %s: %s", of->path,
			  step, strerror(e));
		outfile_discard(of);
		return EXIT_RUNTIME;
	}
	tmp_to_remove = NULL;
	free(of->tmp);
	of->tmp = NULL;
	/* The rename itself is durable once the directory is synced; the
	 * report is complete either way, so this is best effort. */
	int dfd = open(of->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	outfile_discard(of);
	return EXIT_OK;
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
	struct outfile of = {0};
	int rc = parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	/* Before the target is touched: a bad --output costs it no pause. */
	if (o.output != NULL && (rc = outfile_open(&of, o.output)) != EXIT_OK)
		return rc;
	FILE *out = o.output != NULL ? of.f : stdout;

	pmf_target *t = pmf_target_new();
	pmf_snapshot *s = NULL;
	if (t == NULL) {
		rc = cli_fail(PMF_ENOMEM, NULL, o.pid);
		goto out;
	}
	int err = pmf_target_open(t, o.pid, &o.topts);
	if (o.verbose)
		print_log(t);
	if (err < 0) {
		rc = cli_fail(err, pmf_target_errmsg(t), o.pid);
		goto out;
	}
	/* debugmallocstats must stay exactly CPython's: no analysis. */
	bool analyze = !o.no_analysis &&
		       o.format != PMF_FORMAT_DEBUGMALLOCSTATS;
	struct pmf_snapshot_opts so = {
		.flags = (o.nonblocking ? PMF_SNAP_NONBLOCKING : 0) |
			 (analyze ? PMF_SNAP_ANALYZE : 0) |
			 (o.no_guard ? PMF_SNAP_NO_GUARD : 0),
		.pinned_below = o.pinned_below / 100.0,
		.pinned_examine = o.examine,
	};
	err = pmf_snapshot_take_opts(t, &so, &s);
	if (err < 0) {
		rc = cli_fail(err, pmf_target_errmsg(t), o.pid);
		goto out;
	}
	const struct pmf_snapshot_info *in = pmf_snapshot_info(s);
	struct pmf_report_opts ro = {.select_interp = o.have_interp,
				     .interp_id = o.interp,
				     .top = o.top};
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
	errno = 0;
	err = pmf_report_write(s, o.format, &ro, pmf_write_stdio, out);
	if (err == 0 && fflush(out) != 0)
		err = PMF_EIO;
	if (err < 0) {
		if (err == PMF_EIO && errno != 0)
			cli_error("cannot write the report%s%s: %s",
				  o.output ? " to " : "",
				  o.output ? o.output : "", strerror(errno));
		else
			cli_error("cannot write the report: %s",
				  pmf_strerror(err));
		rc = EXIT_RUNTIME;
		goto out;
	}
	rc = o.output != NULL ? outfile_commit(&of) : EXIT_OK;
out:
	outfile_discard(&of);
	pmf_snapshot_free(s);
	pmf_target_free(t);
	return rc;
}
