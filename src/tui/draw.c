/* SPDX-License-Identifier: MIT */
/*
 * draw.c - curses: set-up, restore, keys and the grid.  Roles become
 * colour pairs where the terminal has colours and NO_COLOR is unset, and
 * bold, reverse, dim and underline otherwise, so a monochrome terminal
 * shows the same distinctions.
 */
#include "config.h"

#include <curses.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui/draw.h"
#include "tui/screen.h"

static bool opened;
static bool colors;
static SCREEN *screen;

/* Per role: foreground colour (-1: the terminal's own), and the
 * attributes with and without colour. */
static const struct role_style {
	short fg, bg;
	attr_t color_attr, mono_attr;
} styles[TUI_R_COUNT] = {
	[TUI_R_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
	[TUI_R_TITLE] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
	[TUI_R_LABEL] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
	[TUI_R_VALUE] = {-1, -1, A_BOLD, A_BOLD},
	[TUI_R_HEADER] = {COLOR_BLACK, COLOR_GREEN, A_NORMAL,
			  A_BOLD | A_UNDERLINE},
	[TUI_R_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE},
	[TUI_R_RSS] = {COLOR_CYAN, -1, A_NORMAL, A_NORMAL},
	[TUI_R_LIVE] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
	[TUI_R_FREE] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
	[TUI_R_EMPTY] = {COLOR_MAGENTA, -1, A_NORMAL, A_DIM},
	[TUI_R_UNTOUCHED] = {-1, -1, A_DIM, A_DIM},
	[TUI_R_GROW] = {COLOR_RED, -1, A_BOLD, A_BOLD},
	[TUI_R_SHRINK] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
	[TUI_R_SPARSE] = {COLOR_RED, -1, A_BOLD, A_NORMAL},
	[TUI_R_HALF] = {COLOR_YELLOW, -1, A_NORMAL, A_NORMAL},
	[TUI_R_DENSE] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
	[TUI_R_FULL] = {COLOR_GREEN, -1, A_BOLD, A_BOLD},
	[TUI_R_SWAPPED] = {COLOR_BLUE, -1, A_BOLD, A_UNDERLINE},
	[TUI_R_STATUS] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE},
	[TUI_R_KEY] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_BOLD | A_REVERSE},
	[TUI_R_WARN] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_REVERSE},
	[TUI_R_DIM] = {-1, -1, A_DIM, A_DIM},
};

bool
tui_draw_unicode(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs != NULL && strcmp(cs, "UTF-8") == 0;
}

int
tui_draw_open(bool want_color, char *why, size_t cap)
{
	if (opened)
		return 0;
	screen = newterm(NULL, stdout, stdin);
	if (screen == NULL) {
		const char *term = getenv("TERM");
		snprintf(why, cap, "cannot use the terminal (TERM=%s)",
			 term ? term : "unset");
		return -1;
	}
	set_term(screen);
	opened = true;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	if (want_color && has_colors() && start_color() == OK) {
		use_default_colors();
		colors = true;
		for (short r = 1; r < TUI_R_COUNT; r++)
			init_pair(r, styles[r].fg, styles[r].bg);
	}
	return 0;
}

void
tui_draw_close(void)
{
	if (!opened)
		return;
	opened = false;
	endwin();
	if (screen != NULL) {
		delscreen(screen);
		screen = NULL;
	}
}

void
tui_draw_size(int *rows, int *cols)
{
	getmaxyx(stdscr, *rows, *cols);
}

void
tui_draw_grid(const struct tui_grid *g)
{
	for (int r = 0; r < g->rows; r++) {
		for (int c = 0; c < g->cols; c++) {
			const struct tui_cell *cell =
				&g->cells[(size_t)r * (size_t)g->cols +
					  (size_t)c];
			const struct role_style *st = &styles[cell->role];
			attr_t a = colors ? st->color_attr : st->mono_attr;
			short pair = colors ? (short)cell->role : 0;
			wchar_t w[2] = {(wchar_t)cell->ch, 0};
			cchar_t cc;
			setcchar(&cc, w, a, pair, NULL);
			/* The last cell of the last row scrolls some
			 * terminals; curses reports an error there but draws
			 * it. */
			mvadd_wch(r, c, &cc);
		}
	}
	refresh();
}

int
tui_draw_key(int timeout_ms)
{
	timeout(timeout_ms);
	int k = getch();
	switch (k) {
	case ERR: return 0;
	case KEY_RESIZE: return -2;
	case KEY_UP: return TUI_KEY_UP;
	case KEY_DOWN: return TUI_KEY_DOWN;
	case KEY_LEFT: return TUI_KEY_LEFT;
	case KEY_RIGHT: return TUI_KEY_RIGHT;
	case KEY_PPAGE: return TUI_KEY_PGUP;
	case KEY_NPAGE: return TUI_KEY_PGDN;
	case KEY_HOME: return TUI_KEY_HOME;
	case KEY_END: return TUI_KEY_END;
	case KEY_ENTER:
	case '\n':
	case '\r': return TUI_KEY_ENTER;
	case KEY_BACKSPACE:
	case 127:
	case 8: return TUI_KEY_BACKSPACE;
	case 27: return TUI_KEY_ESC;
	case '\t': return TUI_KEY_TAB;
	}
	return k;
}
