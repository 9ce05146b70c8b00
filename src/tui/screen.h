/* SPDX-License-Identifier: MIT */
/*
 * screen.h - the live monitor's view logic: which rows, values and roles
 * the screen shows, and what each key does.  Pure: no curses, no target;
 * it reads a struct tui_data and writes a struct tui_grid, so it is
 * unit-tested without a terminal.
 */
#ifndef PMF_TUI_SCREEN_H
#define PMF_TUI_SCREEN_H

#include "tui/grid.h"
#include "tui/sample.h"

/* Keys, independent of curses (draw.c maps curses' codes to these). */
enum {
	TUI_KEY_UP = 0x110000,
	TUI_KEY_DOWN,
	TUI_KEY_LEFT,
	TUI_KEY_RIGHT,
	TUI_KEY_PGUP,
	TUI_KEY_PGDN,
	TUI_KEY_HOME,
	TUI_KEY_END,
	TUI_KEY_ENTER,
	TUI_KEY_ESC,
	TUI_KEY_BACKSPACE,
	TUI_KEY_TAB,
};

enum tui_pane { TUI_PANE_CLASSES = 0, TUI_PANE_ARENAS };
enum tui_mode { TUI_MODE_MAIN = 0, TUI_MODE_ARENA, TUI_MODE_HELP };

/* Sort columns of the size-class table, in the order 's' cycles them. */
enum tui_sort {
	TUI_SORT_CLASS = 0,
	TUI_SORT_POOLS,
	TUI_SORT_USED,
	TUI_SORT_AVAIL,
	TUI_SORT_UTIL,
	TUI_SORT_DLAST,
	TUI_SORT_DSTART,
	TUI_SORT_WASTE,
	TUI_SORT_COUNT
};

/* Smallest screen anything but a "too small" note is drawn on. */
#define TUI_MIN_COLS 40
#define TUI_MIN_ROWS 8

struct tui_view {
	int rows, cols;
	bool unicode;          /* the terminal takes UTF-8 */
	enum tui_mode mode, back_mode;
	enum tui_pane pane;
	enum tui_sort sort;
	bool sort_desc;
	int class_sel, class_top;  /* position in the sorted table */
	size_t arena_sel;          /* index into the sample's arena list */
	size_t arena_top_row;      /* first map row shown */
	int detail_top;            /* first pool row of the drill-down */
	uint64_t detail_addr;      /* the arena drilled into, 0: none */
	bool paused;
	double interval;           /* seconds between refreshes */
	char target_note[400];     /* "CMD pid 42: python app.py, output in ..." */
	char status[200];          /* "process 4242 exited", an error... */
	bool status_warn;
	bool status_sticky;        /* kept across keys (the target ended) */
	bool ended;                /* the target is gone: data is the last */
};

void tui_view_init(struct tui_view *v, double interval, bool unicode);

/* What a key asks of the main loop. */
enum tui_action {
	TUI_ACT_NONE = 0,
	TUI_ACT_REDRAW,   /* the view changed */
	TUI_ACT_REFRESH,  /* take a snapshot now (a drill-down wants data) */
	TUI_ACT_INTERVAL, /* the interval changed */
	TUI_ACT_QUIT,
};

enum tui_action tui_view_key(struct tui_view *v, const struct tui_data *d,
			     int key);

/* Rows a screen COLS wide needs to show everything of D at once (the
 * batch frames). */
int tui_view_full_rows(const struct tui_data *d, int cols);

/* Renders the whole screen into G (resized to the view's size). */
int tui_view_render(const struct tui_view *v, const struct tui_data *d,
		    struct tui_grid *g);

/* The size-class table in display order: writes the positions (into
 * d->cur.classes) to ORDER (TUI_MAX_CLASSES of them); returns the count. */
unsigned tui_view_order(const struct tui_view *v, const struct tui_data *d,
			unsigned *order);

/* Blocks-in-use change of class CLS since the previous / first sample. */
int64_t tui_class_delta(const struct tui_data *d, unsigned cls, bool since_start);

/* Human byte counts: "0", "512B", "1.5K", "96.0M", "1.96G". */
const char *tui_bytes(uint64_t n, char *buf, size_t cap);

/* ---- Shared by the view's own files (fmt.c, input.c, view*.c) ---- */

/* "41ms", "0.8ms", "-" (never paused). */
const char *tui_view_ms(uint64_t us, char *buf, size_t cap);

/* The first row shown so that row SEL is visible in H rows. */
int tui_scroll_top(int sel, int h);

/* Rows the arena map gets out of BODY rows (0: hidden). */
int tui_map_height(const struct tui_view *v, const struct tui_data *d,
		   int cols, int body);
void tui_view_map(const struct tui_view *v, const struct tui_data *d,
		  struct tui_grid *g, int row, int h);
void tui_view_detail(const struct tui_view *v, const struct tui_data *d,
		     struct tui_grid *g, int row, int h);
void tui_view_help(const struct tui_view *v, struct tui_grid *g);

#endif
