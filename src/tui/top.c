/* SPDX-License-Identifier: MIT */
/*
 * top.c - the live monitor's main loop: open the target (or start it),
 * take a snapshot every interval, hand keys to the view, draw.  The
 * terminal is given back on every way out: q, Ctrl-C, SIGTERM, SIGHUP, a
 * fatal signal, or an error.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tui/child.h"
#include "tui/draw.h"
#include "tui/top.h"
#include "tui/screen.h"

/* How often a CMD that has not started Python yet is looked at: soon
 * enough to catch its first arena. */
#define START_POLL_MS 10
#define START_POLL_FOR_MS 3000
/* How long a quitting monitor gives CMD to end on SIGTERM. */
#define CHILD_GRACE_MS 2000
/* How often PSS is read (it costs a walk of the page tables). */
#define PSS_EVERY_S 5.0

static volatile sig_atomic_t quit_signal;

static void
on_quit(int sig)
{
	quit_signal = sig;
}

static void
on_fatal(int sig)
{
	/* Not async-signal-safe in general, but the process is going down
	 * and a terminal left in raw mode is worse. */
	tui_draw_close();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must wake the key wait. */
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

static int64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct top {
	const struct tui_opts *o;
	pmf_target *t;
	bool opened;
	bool have_child;
	struct tui_child child;
	struct tui_view v;
	struct tui_data d;
	struct tui_grid g;
	long refreshes;   /* snapshots tried since the target was opened;
	                     those that succeeded are d.refreshes */
	int last_err;
	char last_msg[200];
};

static void
set_status(struct top *tp, bool warn, bool sticky, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
set_status(struct top *tp, bool warn, bool sticky, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tp->v.status, sizeof(tp->v.status), fmt, ap);
	va_end(ap);
	tp->v.status_warn = warn;
	tp->v.status_sticky = sticky;
}

static pid_t
target_pid(const struct top *tp)
{
	return tp->have_child ? tp->child.pid : tp->o->pid;
}

/* Opens the target; returns the library's code. */
static int
open_target(struct top *tp)
{
	if (tp->t == NULL)
		tp->t = pmf_target_new();
	if (tp->t == NULL)
		return PMF_ENOMEM;
	struct pmf_target_opts to = {.locate = tp->o->locate};
	int rc = pmf_target_open(tp->t, target_pid(tp), &to);
	if (rc == 0) {
		tp->opened = true;
		return 0;
	}
	snprintf(tp->last_msg, sizeof(tp->last_msg), "%s",
		 pmf_target_errmsg(tp->t));
	/* A handle opens once: a retry needs a new one. */
	pmf_target_free(tp->t);
	tp->t = NULL;
	return rc;
}

static void
target_ended(struct top *tp)
{
	char how[96];
	tp->v.ended = true;
	if (tp->have_child && tui_child_poll(&tp->child))
		set_status(tp, true, true,
			   "process %d %s: showing the last data (q quits)",
			   (int)tp->child.pid,
			   tui_child_how(&tp->child, how, sizeof(how)));
	else
		set_status(tp, true, true,
			   "process %d exited: showing the last data (q quits)",
			   (int)target_pid(tp));
}

/* Which state of the snapshot the monitor shows. */
static size_t
pick_interp(const struct top *tp, const pmf_snapshot *s)
{
	if (!tp->o->select_interp)
		return 0;
	for (size_t i = 0; i < pmf_snapshot_info(s)->ninterps; i++)
		if (pmf_snapshot_interp(s, i)->id == tp->o->interp_id)
			return i;
	return (size_t)-1;
}

static void
refresh_data(struct top *tp)
{
	/* PSS walks every page table of the target (20 ms a GiB): read it
	 * every PSS_EVERY_S seconds, not every refresh. */
	long every = (long)(PSS_EVERY_S / tp->v.interval);
	bool pss = every <= 1 || tp->refreshes % every == 0;
	struct pmf_snapshot_opts so = {
		.flags = PMF_SNAP_ANALYZE | PMF_SNAP_EXAMINE_NONE |
			 (pss ? 0 : PMF_SNAP_PROCESS_FAST) |
			 (tp->o->nonblocking ? PMF_SNAP_NONBLOCKING : 0),
		.pinned_below = tp->o->pinned_below,
		/* Set while an arena is drilled into (help over it too). */
		.examine_arena = tp->v.detail_addr,
	};
	pmf_snapshot *s = NULL;
	tp->refreshes++;
	int rc = pmf_snapshot_take_opts(tp->t, &so, &s);
	if (rc == PMF_ESRCH || rc == PMF_EZOMBIE) {
		target_ended(tp);
		return;
	}
	if (rc < 0) {
		tp->last_err = rc;
		set_status(tp, true, false, "snapshot failed: %s",
			   pmf_target_errmsg(tp->t));
		return;
	}
	size_t idx = pick_interp(tp, s);
	struct tui_sample smp;
	if (idx == (size_t)-1) {
		set_status(tp, true, false,
			   "no interpreter %lld in process %d (any more)",
			   (long long)tp->o->interp_id, (int)target_pid(tp));
	} else if (tui_sample_from_snapshot(&smp, s, idx, so.examine_arena) <
		   0) {
		set_status(tp, true, false, "out of memory");
	} else {
		tui_data_push(&tp->d, &smp);
		if (!tp->v.status_sticky && tp->v.status_warn)
			tp->v.status[0] = '\0';
	}
	pmf_snapshot_free(s);
}

static int
show(struct top *tp)
{
	if (tp->o->batch) {
		tp->v.cols = tp->o->batch_cols;
		tp->v.rows = tui_view_full_rows(&tp->d, tp->v.cols);
	}
	if (tui_view_render(&tp->v, &tp->d, &tp->g) < 0)
		return -1;
	if (!tp->o->batch) {
		tui_draw_grid(&tp->g);
		return 0;
	}
	char line[4096];
	for (int r = 0; r < tp->g.rows; r++) {
		tui_grid_row_text(&tp->g, r, line, sizeof(line));
		puts(line);
	}
	putchar('\n');
	return fflush(stdout) == 0 ? 0 : -1;
}

/* Waits for the target to become something the library can open (CMD
 * may take a moment to start Python). */
static bool
try_open(struct top *tp)
{
	int rc = open_target(tp);
	if (rc == 0) {
		tp->v.status[0] = '\0';
		return true;
	}
	tp->last_err = rc;
	set_status(tp, false, false, "waiting for process %d: %s",
		   (int)target_pid(tp), tp->last_msg);
	return false;
}

static void
handle_key(struct top *tp, int key, int64_t *next, bool *quit)
{
	if (key == -2) {
		if (!tp->o->batch)
			tui_draw_size(&tp->v.rows, &tp->v.cols);
		return;
	}
	switch (tui_view_key(&tp->v, &tp->d, key)) {
	case TUI_ACT_QUIT:
		*quit = true;
		break;
	case TUI_ACT_REFRESH:
		*next = now_ms();
		break;
	case TUI_ACT_INTERVAL:
		*next = now_ms() + (int64_t)(tp->v.interval * 1000);
		break;
	case TUI_ACT_REDRAW:
	case TUI_ACT_NONE:
		break;
	}
}

/* Returns true when the user quit (q). */
static bool
loop(struct top *tp)
{
	int64_t next = now_ms(), started = next;
	bool quit = false;
	while (!quit && quit_signal == 0) {
		int64_t now = now_ms();
		bool took = false;
		if (tp->have_child && !tp->v.ended &&
		    tui_child_poll(&tp->child))
			target_ended(tp);
		if (!tp->opened && !tp->v.ended && now >= next) {
			/* Often at first, to catch the first arena; then at
			 * the interval, for a CMD that takes its time to
			 * exec Python (each try reads its maps and ELF). */
			if (try_open(tp))
				next = now;
			else if (now - started < START_POLL_FOR_MS)
				next = now + START_POLL_MS;
			else
				next = now + (int64_t)(tp->v.interval * 1000);
		}
		if (tp->opened && !tp->v.ended && !tp->v.paused &&
		    now >= next) {
			refresh_data(tp);
			took = true;
			next = now + (int64_t)(tp->v.interval * 1000);
		}
		if (took || !tp->o->batch)
			if (show(tp) < 0)
				break;
		if (tp->o->iterations > 0 &&
		    (tp->refreshes >= tp->o->iterations || tp->v.ended))
			break;
		if (tp->o->batch && tp->v.ended)
			break;
		int64_t wait = next - now_ms();
		if (tp->v.paused || tp->v.ended)
			wait = 250;
		if (wait < 0)
			wait = 0;
		if (tp->o->batch) {
			if (wait > 0)
				nanosleep(&(struct timespec){wait / 1000,
							     (wait % 1000) *
								     1000000},
					  NULL);
			continue;
		}
		int key = tui_draw_key((int)wait);
		if (key != 0)
			handle_key(tp, key, &next, &quit);
		/* Drain what is typed meanwhile before drawing again. */
		while (!quit && (key = tui_draw_key(0)) != 0)
			handle_key(tp, key, &next, &quit);
	}
	return quit;
}

int
tui_top_run(const struct tui_opts *o, int *err, char *why, size_t cap)
{
	struct top tp = {.o = o};
	int status = 0;
	*err = 0;
	if (!o->batch && (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))) {
		snprintf(why, cap,
			 "top draws on a terminal and this is none: use "
			 "'pymfrag report' for one report, or 'top --batch'");
		return 1;
	}
	/* The character type only: numbers keep their C format. */
	setlocale(LC_CTYPE, "");
	tui_view_init(&tp.v, o->interval, !o->batch && tui_draw_unicode());
	if (o->cmd != NULL) {
		if (tui_child_start(&tp.child, o->cmd, o->cmd_output, why,
				    cap) < 0)
			return 1;
		tp.have_child = true;
		snprintf(tp.v.target_note, sizeof(tp.v.target_note),
			 "%s: output in %s", o->cmd[0], tp.child.log);
	} else {
		int rc = open_target(&tp);
		if (rc < 0) {
			*err = rc;
			snprintf(why, cap, "%s", tp.last_msg);
			return 1;
		}
	}
	install_signals();
	if (!o->batch) {
		if (tui_draw_open(o->color, why, cap) < 0) {
			status = 1;
			goto out;
		}
		tui_draw_size(&tp.v.rows, &tp.v.cols);
	}
	bool user_quit = loop(&tp);
	tui_draw_close();
	if (quit_signal == SIGTERM || quit_signal == SIGHUP) {
		status = 128 + quit_signal;
	} else if (tp.d.refreshes == 0 && !user_quit && quit_signal == 0) {
		/* Ended by itself (-n, --batch, an exit) without showing a
		 * single snapshot: that is a failure to say. */
		char how[96];
		status = 1;
		*err = tp.last_err;
		if (tp.have_child && tp.v.ended)
			snprintf(why, cap,
				 "%s %s before it could be watched%s%s",
				 o->cmd[0],
				 tui_child_how(&tp.child, how, sizeof(how)),
				 tp.last_msg[0] ? ": " : "", tp.last_msg);
		else if (!tp.opened)
			snprintf(why, cap, "%s", tp.last_msg);
		else
			snprintf(why, cap, "no snapshot succeeded: %s",
				 pmf_target_errmsg(tp.t));
		if (tp.have_child && tp.v.ended)
			*err = 0;
	}
out:
	tui_draw_close();
	if (tp.have_child) {
		tui_child_stop(&tp.child, CHILD_GRACE_MS);
		fprintf(stderr, "pymfrag: the output of %s is in %s\n",
			o->cmd[0], tp.child.log);
	}
	pmf_target_free(tp.t);
	tui_data_free(&tp.d);
	tui_grid_free(&tp.g);
	return status;
}
