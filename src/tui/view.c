/* SPDX-License-Identifier: MIT */
/*
 * view.c - the live monitor's screen: the title bar, the meters, the
 * time series, the size-class table and the bottom line.  The arena map
 * and the drill-down are in view_arena.c, the help in view_help.c.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/screen.h"

void
tui_view_init(struct tui_view *v, double interval, bool unicode)
{
	memset(v, 0, sizeof(*v));
	v->interval = interval;
	v->unicode = unicode;
	v->rows = 24;
	v->cols = 80;
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* ---------------------------------------------------------------- */
/* Title, meters and series                                          */
/* ---------------------------------------------------------------- */

static void
title(const struct tui_view *v, const struct tui_data *d, struct tui_grid *g)
{
	tui_fill(g, 0, 0, TUI_R_TITLE, ' ', g->cols);
	const struct tui_sample *s = &d->cur;
	char b[64];
	if (!d->have_cur)
		tui_putf(g, 0, 0, TUI_R_TITLE, "pymfrag %s",
			       PMF_VERSION_STRING);
	else
		tui_putf(g, 0, 0, TUI_R_TITLE,
			       "pymfrag %s  pid %d  python %s  %s  [%s]  "
			       "pause %s  every %.1fs",
			       PMF_VERSION_STRING, s->pid, s->version,
			       s->allocator, s->locate,
			       tui_view_ms(s->pause_us, b, sizeof(b)),
			       v->interval);
	const char *flag = v->ended ? "EXITED" : v->paused ? "PAUSED" : NULL;
	if (flag != NULL) {
		/* Over the title's tail if need be: it matters more. */
		int at = g->cols - (int)strlen(flag) - 1;
		tui_fill(g, 0, at - 1, TUI_R_TITLE, ' ', 1);
		tui_put(g, 0, at, TUI_R_WARN, flag);
	}
}

/* One part of a meter: its bytes, glyph and role. */
struct part {
	uint64_t value;
	uint32_t glyph;
	enum tui_role role;
};

/* "LABEL [bar] TEXT" on ROW: the bar, when the row has room for it, has
 * its NPARTS parts in proportion to WHOLE. */
static void
meter(struct tui_grid *g, int row, const char *label, const char *text,
      const struct part *parts, int nparts, uint64_t whole)
{
	tui_put(g, row, 0, TUI_R_LABEL, label);
	/* What is left of the row after the text, between 8 and 40
	 * cells; no bar at all on a narrow screen. */
	int w = g->cols - 7 - (int)strlen(text);
	if (w > 40)
		w = 40;
	int col = 5;
	if (w >= 8) {
		col = tui_put(g, row, col, TUI_R_NORMAL, "[");
		int done = 0;
		double acc = 0;
		for (int i = 0; i < nparts && whole > 0; i++) {
			acc += (double)parts[i].value * w / (double)whole;
			int upto = (int)(acc + 0.5);
			if (upto > w)
				upto = w;
			tui_fill(g, row, col + done, parts[i].role,
				 parts[i].glyph, upto - done);
			if (upto > done)
				done = upto;
		}
		tui_fill(g, row, col + done, TUI_R_DIM, ' ', w - done);
		col = tui_put(g, row, col + w, TUI_R_NORMAL, "] ");
	}
	tui_put(g, row, col, TUI_R_VALUE, text);
}

static void
rss_meter(const struct tui_data *d, struct tui_grid *g, int row)
{
	const struct tui_sample *s = &d->cur;
	char text[160], a[16], b[16], c[16], e[16];
	if (!s->proc_valid) {
		tui_put(g, row, 0, TUI_R_LABEL, "RSS");
		tui_put(g, row, 5, TUI_R_DIM, "(not readable)");
		return;
	}
	snprintf(text, sizeof(text), "%s  HWM %s  PSS %s  swap %s  threads %u",
		 tui_bytes(s->rss, a, sizeof(a)), tui_bytes(s->hwm, b, sizeof(b)),
		 s->has_pss ? tui_bytes(s->pss, c, sizeof(c)) : "-",
		 tui_bytes(s->swap, e, sizeof(e)), s->threads);
	uint64_t arena_res = s->residency_valid ? s->arena_resident : 0;
	if (arena_res > s->rss)
		arena_res = s->rss;
	/* The whole bar is the peak: the gap is how far RSS is below its
	 * high-water mark. */
	const struct part parts[] = {{arena_res, '#', TUI_R_LIVE},
				     {s->rss - arena_res, '|', TUI_R_RSS}};
	meter(g, row, "RSS", text, parts, 2, s->hwm > s->rss ? s->hwm : s->rss);
}

static void
arena_meter(const struct tui_data *d, struct tui_grid *g, int row)
{
	const struct tui_sample *s = &d->cur;
	char text[160], a[16];
	uint64_t t = s->arena_bytes;
	snprintf(text, sizeof(text),
		 "%s  live %.0f%%  free %.0f%%  empty %.0f%%  untouched %.0f%%",
		 tui_bytes(t, a, sizeof(a)), pct(s->live, t),
		 pct(s->free_in_pools, t), pct(s->empty_pools, t),
		 pct(s->untouched_pools, t));
	const struct part parts[] = {{s->live, '#', TUI_R_LIVE},
				     {s->free_in_pools, ':', TUI_R_FREE},
				     {s->empty_pools, '.', TUI_R_EMPTY},
				     {s->untouched_pools, ' ', TUI_R_UNTOUCHED},
				     {s->overhead, ' ', TUI_R_DIM}};
	meter(g, row, "arena", text, parts, 5, t);
}

static void
arena_counts(const struct tui_data *d, struct tui_grid *g, int row)
{
	const struct tui_sample *s = &d->cur;
	char a[16], b[16];
	int col = tui_put(g, row, 0, TUI_R_LABEL, "arenas ");
	col = tui_putf(g, row, col, TUI_R_VALUE, "%llu",
		       (unsigned long long)s->arenas_cur);
	col = tui_putf(g, row, col, TUI_R_NORMAL, " / hw %llu (%+lld)",
		       (unsigned long long)s->highwater,
		       (long long)s->arenas_cur - (long long)s->highwater);
	col = tui_put(g, row, col + 2, TUI_R_LABEL, "stranded ");
	col = tui_put(g, row, col, TUI_R_VALUE,
		      tui_bytes(s->stranded, a, sizeof(a)));
	col = tui_putf(g, row, col + 2, TUI_R_LABEL, "pinned(<%.0f%%) ",
		       s->pinned_below * 100);
	col = tui_putf(g, row, col, TUI_R_VALUE, "%llu",
		       (unsigned long long)s->pinned_arenas);
	col = tui_putf(g, row, col, TUI_R_NORMAL, " holding %s",
		       tui_bytes(s->pinned_live_bytes, b, sizeof(b)));
	if (s->pools_failed > 0)
		tui_putf(g, row, col + 2, TUI_R_WARN, "untrusted pools %llu",
			 (unsigned long long)s->pools_failed);
	else if (s->retries > 0)
		tui_putf(g, row, col + 2, TUI_R_DIM, "retries %u", s->retries);
}

static const uint32_t spark_u[] = {0x2581, 0x2582, 0x2583, 0x2584,
				   0x2585, 0x2586, 0x2587, 0x2588};
static const uint32_t spark_a[] = {'_', '.', ',', '-', '=', '+', '*', '#'};

/* The newest W values of S as a sparkline at (ROW, COL). */
static void
sparkline(const struct tui_view *v, const struct tui_series *s,
	      struct tui_grid *g, int row, int col, int w, enum tui_role role)
{
	size_t n = s->n < (size_t)w ? s->n : (size_t)w;
	double lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		double x = tui_series_back(s, i);
		if (i == 0 || x < lo)
			lo = x;
		if (i == 0 || x > hi)
			hi = x;
	}
	/* Scaled from 0, not from the minimum: a sawtooth of 1% must not
	 * look like one of 100%. */
	lo = 0;
	const uint32_t *glyph = v->unicode ? spark_u : spark_a;
	for (size_t i = 0; i < n; i++) {
		double x = tui_series_back(s, n - 1 - i);
		int lvl = hi > lo ? (int)((x - lo) / (hi - lo) * 7 + 0.5) : 0;
		if (lvl < 0)
			lvl = 0;
		if (lvl > 7)
			lvl = 7;
		tui_fill(g, row, col + (int)i, role, glyph[lvl], 1);
	}
}

static void
series(const struct tui_view *v, const struct tui_data *d, struct tui_grid *g,
       int row)
{
	const char *names[] = {"RSS", "arena", "live"};
	const struct tui_series *ss[] = {&d->rss, &d->arena, &d->live};
	enum tui_role roles[] = {TUI_R_RSS, TUI_R_FREE, TUI_R_LIVE};
	int each = g->cols / 3;
	for (int i = 0; i < 3; i++) {
		int col = i * each;
		col = tui_put(g, row, col, TUI_R_LABEL, names[i]);
		int w = each - (int)strlen(names[i]) - 2;
		if (w > 0)
			sparkline(v, ss[i], g, row, col + 1, w, roles[i]);
	}
}

/* ---------------------------------------------------------------- */
/* The size-class table                                              */
/* ---------------------------------------------------------------- */

int64_t
tui_class_delta(const struct tui_data *d, unsigned cls, bool since_start)
{
	const struct tui_class *now = tui_sample_class(&d->cur, cls);
	const struct tui_sample *then = since_start ? &d->first : &d->prev;
	bool have = since_start ? d->have_first : d->have_prev;
	if (!have)
		return 0;
	const struct tui_class *old = tui_sample_class(then, cls);
	return (int64_t)(now ? now->used : 0) - (int64_t)(old ? old->used : 0);
}

static double
class_util(const struct tui_class *c)
{
	uint64_t all = c->used + c->avail;
	return all ? (double)c->used / (double)all : 0.0;
}

/* The sort key of class C for column S, as a double (every key fits). */
static double
sort_key(const struct tui_data *d, const struct tui_class *c,
	 enum tui_sort s)
{
	switch (s) {
	case TUI_SORT_POOLS: return (double)c->pools;
	case TUI_SORT_USED: return (double)c->used;
	case TUI_SORT_AVAIL: return (double)c->avail;
	case TUI_SORT_UTIL: return class_util(c);
	case TUI_SORT_DLAST: return (double)tui_class_delta(d, c->index, false);
	case TUI_SORT_DSTART: return (double)tui_class_delta(d, c->index, true);
	case TUI_SORT_WASTE: return (double)c->waste;
	case TUI_SORT_CLASS:
	case TUI_SORT_COUNT: break;
	}
	return (double)c->index;
}

unsigned
tui_view_order(const struct tui_view *v, const struct tui_data *d,
	       unsigned *order)
{
	const struct tui_sample *s = &d->cur;
	unsigned n = s->nclasses;
	double key[TUI_MAX_CLASSES];
	for (unsigned i = 0; i < n; i++) {
		order[i] = i;
		key[i] = sort_key(d, &s->classes[i], v->sort);
	}
	/* Insertion sort: at most 64 rows, and stable, so equal keys stay
	 * in class order. */
	for (unsigned i = 1; i < n; i++) {
		unsigned x = order[i];
		unsigned j = i;
		while (j > 0) {
			double a = key[order[j - 1]], b = key[x];
			bool before = v->sort_desc ? b > a : b < a;
			if (!before)
				break;
			order[j] = order[j - 1];
			j--;
		}
		order[j] = x;
	}
	return n;
}

/* Columns, in display order; the rightmost go first when the screen is
 * narrow. */
static const struct column {
	const char *title;
	int width;
	enum tui_sort sort;
	int min_cols; /* shown from this screen width on */
} columns[] = {
	{"CLASS", 6, TUI_SORT_CLASS, 0},  {"SIZE", 5, TUI_SORT_CLASS, 0},
	{"POOLS", 7, TUI_SORT_POOLS, 0},  {"USED", 10, TUI_SORT_USED, 0},
	{"AVAIL", 10, TUI_SORT_AVAIL, 0}, {"UTIL", 6, TUI_SORT_UTIL, 0},
	{"dLAST", 8, TUI_SORT_DLAST, 59}, {"dSTART", 9, TUI_SORT_DSTART, 68},
	{"WASTE", 7, TUI_SORT_WASTE, 76},
};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

static void
table_header(const struct tui_view *v, struct tui_grid *g, int row)
{
	tui_fill(g, row, 0, TUI_R_HEADER, ' ', g->cols);
	int col = 0;
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (g->cols < columns[i].min_cols)
			continue;
		bool sorted = columns[i].sort == v->sort &&
			      (i != 0 || v->sort == TUI_SORT_CLASS) &&
			      !(i == 1 && v->sort == TUI_SORT_CLASS);
		char t[24];
		snprintf(t, sizeof(t), "%s%s", columns[i].title,
			 sorted ? (v->sort_desc ? "v" : "^") : "");
		tui_putf(g, row, col, TUI_R_HEADER, "%*s", columns[i].width, t);
		col += columns[i].width + 1;
	}
}

static void
class_row(const struct tui_view *v, const struct tui_data *d,
	  const struct tui_class *c, bool selected, struct tui_grid *g, int row)
{
	char cell[NCOLUMNS][32];
	char w[16];
	int64_t dl = tui_class_delta(d, c->index, false);
	int64_t ds = tui_class_delta(d, c->index, true);
	snprintf(cell[0], 32, "%u", c->index);
	snprintf(cell[1], 32, "%u", c->size);
	snprintf(cell[2], 32, "%llu", (unsigned long long)c->pools);
	snprintf(cell[3], 32, "%llu", (unsigned long long)c->used);
	snprintf(cell[4], 32, "%llu", (unsigned long long)c->avail);
	snprintf(cell[5], 32, "%.1f%%", class_util(c) * 100);
	snprintf(cell[6], 32, "%+lld", (long long)dl);
	snprintf(cell[7], 32, "%+lld", (long long)ds);
	snprintf(cell[8], 32, "%s", tui_bytes(c->waste, w, sizeof(w)));
	if (dl == 0)
		snprintf(cell[6], 32, "0");
	if (ds == 0)
		snprintf(cell[7], 32, "0");
	enum tui_role base = selected ? TUI_R_SELECTED : TUI_R_NORMAL;
	if (selected)
		tui_fill(g, row, 0, base, ' ', g->cols);
	int col = 0;
	for (size_t i = 0; i < NCOLUMNS; i++) {
		if (g->cols < columns[i].min_cols)
			continue;
		int64_t delta = i == 6 ? dl : i == 7 ? ds : 0;
		enum tui_role r = base;
		if (!selected && delta > 0)
			r = TUI_R_GROW;
		else if (!selected && delta < 0)
			r = TUI_R_SHRINK;
		tui_putf(g, row, col, r, "%*s", columns[i].width, cell[i]);
		col += columns[i].width + 1;
	}
	(void)v;
}

static void
class_table(const struct tui_view *v, const struct tui_data *d,
	    struct tui_grid *g, int row, int h)
{
	unsigned order[TUI_MAX_CLASSES];
	unsigned n = tui_view_order(v, d, order);
	table_header(v, g, row);
	int rows = h - 1;
	int sel = v->class_sel < (int)n ? v->class_sel : (int)n - 1;
	int top = tui_scroll_top(sel, rows);
	for (int i = 0; i < rows && top + i < (int)n; i++)
		class_row(v, d, &d->cur.classes[order[top + i]],
			  v->pane == TUI_PANE_CLASSES && top + i == sel, g,
			  row + 1 + i);
	if (n == 0 && rows > 0)
		tui_put(g, row + 1, 1, TUI_R_DIM, "no pool in use yet");
}

/* ---------------------------------------------------------------- */
/* The bottom line and the whole screen                               */
/* ---------------------------------------------------------------- */

static void
bottom(const struct tui_view *v, struct tui_grid *g)
{
	int row = g->rows - 1;
	tui_fill(g, row, 0, TUI_R_STATUS, ' ', g->cols);
	if (v->status[0] != '\0') {
		tui_put(g, row, 0, v->status_warn ? TUI_R_WARN : TUI_R_STATUS,
			v->status);
		return;
	}
	static const char *const main_keys[][2] = {
		{"q", "quit"},  {"space", "pause"}, {"s/S", "sort"},
		{"tab", "pane"}, {"enter", "drill down"},
		{"+/-", "interval"}, {"?", "help"}};
	static const char *const arena_keys[][2] = {
		{"esc", "back"}, {"up/down", "scroll"}, {"space", "pause"},
		{"q", "quit"}, {"?", "help"}};
	const char *const(*keys)[2] = v->mode == TUI_MODE_ARENA ? arena_keys
								: main_keys;
	size_t nk = v->mode == TUI_MODE_ARENA
			    ? sizeof(arena_keys) / sizeof(arena_keys[0])
			    : sizeof(main_keys) / sizeof(main_keys[0]);
	int col = 0;
	for (size_t i = 0; i < nk; i++) {
		int need = (int)(strlen(keys[i][0]) + strlen(keys[i][1])) + 3;
		if (col + need > g->cols)
			break;
		col = tui_put(g, row, col, TUI_R_KEY, keys[i][0]);
		col = tui_put(g, row, col + 1, TUI_R_STATUS, keys[i][1]);
		col += 2;
	}
	if (v->target_note[0] != '\0' &&
	    col + (int)strlen(v->target_note) < g->cols)
		tui_put(g, row, g->cols - (int)strlen(v->target_note),
			TUI_R_STATUS, v->target_note);
}

static void
too_small(const struct tui_view *v, struct tui_grid *g)
{
	char msg[64];
	snprintf(msg, sizeof(msg), "%dx%d is too small", v->cols, v->rows);
	int row = g->rows / 2 - 1;
	tui_put(g, row < 0 ? 0 : row, 0, TUI_R_WARN, msg);
	snprintf(msg, sizeof(msg), "need %dx%d; q quits", TUI_MIN_COLS,
		 TUI_MIN_ROWS);
	tui_put(g, row + 1 < 0 ? 0 : row + 1, 0, TUI_R_NORMAL, msg);
}

/* The header rows: title, meters, counts and, room permitting, the
 * series.  Returns the first row below them. */
static int
header(const struct tui_view *v, const struct tui_data *d, struct tui_grid *g)
{
	title(v, d, g);
	if (!d->have_cur)
		return 1;
	rss_meter(d, g, 1);
	if (!d->cur.pymalloc)
		return 2;
	arena_meter(d, g, 2);
	arena_counts(d, g, 3);
	if (g->rows < 16)
		return 4;
	series(v, d, g, 4);
	return 5;
}

static void
body_no_pymalloc(const struct tui_data *d, struct tui_grid *g, int row)
{
	tui_putf(g, row + 1, 1, TUI_R_WARN,
		 "pymalloc is not in use in this process (allocator: %s).",
		 d->cur.allocator);
	tui_put(g, row + 2, 1, TUI_R_NORMAL,
		"Only its process memory is shown; there are no arenas or "
		"size classes to watch.");
}

int
tui_view_full_rows(const struct tui_data *d, int cols)
{
	/* As header() and tui_map_height() lay them out: five header rows
	 * (16 rows or more), the table with its heading (4 rows at least),
	 * the map with its heading, the bottom line. */
	int classes = 1 + (int)d->cur.nclasses;
	if (classes < 4)
		classes = 4;
	int map = 1 + (int)((d->cur.narenas + (size_t)cols - 1) / (size_t)cols);
	if (map < 2)
		map = 2;
	int rows = 5 + classes + map + 1;
	return rows < 16 ? 16 : rows;
}

int
tui_view_render(const struct tui_view *v, const struct tui_data *d,
		struct tui_grid *g)
{
	if (tui_grid_resize(g, v->rows, v->cols) < 0)
		return -1;
	if (v->cols < TUI_MIN_COLS || v->rows < TUI_MIN_ROWS) {
		too_small(v, g);
		return 0;
	}
	if (v->mode == TUI_MODE_HELP) {
		tui_view_help(v, g);
		return 0;
	}
	int row = header(v, d, g);
	int body = g->rows - 1 - row;
	if (!d->have_cur)
		tui_put(g, row + 1, 1, TUI_R_DIM,
			"waiting for the first snapshot...");
	else if (!d->cur.pymalloc)
		body_no_pymalloc(d, g, row);
	else if (v->mode == TUI_MODE_ARENA)
		tui_view_detail(v, d, g, row, body);
	else {
		int map_h = tui_map_height(v, d, g->cols, body);
		class_table(v, d, g, row, body - map_h);
		if (map_h > 0)
			tui_view_map(v, d, g, row + body - map_h, map_h);
	}
	bottom(v, g);
	return 0;
}
