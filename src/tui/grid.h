/* SPDX-License-Identifier: MIT */
/*
 * grid.h - a screen as plain data: ROWS x COLS cells, each a code point
 * and a role (what the cell shows, not how: the drawing code maps roles
 * to colours or, on a monochrome terminal, to bold and reverse).  The view
 * renders into a grid; curses draws it, the batch mode prints it, and the
 * unit tests read it.
 */
#ifndef PMF_TUI_GRID_H
#define PMF_TUI_GRID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tui_role {
	TUI_R_NORMAL = 0,
	TUI_R_TITLE,     /* the top bar */
	TUI_R_LABEL,     /* "RSS", "arenas" */
	TUI_R_VALUE,     /* numbers worth a glance */
	TUI_R_HEADER,    /* table headings */
	TUI_R_SELECTED,  /* the selected row or cell */
	TUI_R_RSS,       /* RSS meter and series */
	TUI_R_LIVE,      /* live blocks */
	TUI_R_FREE,      /* free blocks in used pools */
	TUI_R_EMPTY,     /* cached empty pools */
	TUI_R_UNTOUCHED, /* never-touched pools */
	TUI_R_GROW,      /* a count that grew */
	TUI_R_SHRINK,    /* a count that shrank */
	TUI_R_SPARSE,    /* arena under 10% utilization */
	TUI_R_HALF,      /* arena under 50% */
	TUI_R_DENSE,     /* arena under 90% */
	TUI_R_FULL,      /* arena at 90% or more */
	TUI_R_SWAPPED,   /* arena mostly in swap */
	TUI_R_STATUS,    /* the bottom line */
	TUI_R_KEY,       /* a key in the hints */
	TUI_R_WARN,      /* paused, exited, errors */
	TUI_R_DIM,
	TUI_R_COUNT
};

struct tui_cell {
	uint32_t ch; /* a Unicode code point; ' ' when blank */
	uint8_t role;
};

struct tui_grid {
	int rows, cols;
	struct tui_cell *cells;
};

/* Sizes G to ROWS x COLS and blanks it.  Returns 0 or -1 (no memory). */
int tui_grid_resize(struct tui_grid *g, int rows, int cols);
void tui_grid_clear(struct tui_grid *g);
void tui_grid_free(struct tui_grid *g);

/* The cell at (ROW, COL), or NULL outside the grid. */
struct tui_cell *tui_grid_at(struct tui_grid *g, int row, int col);

/* Writes the UTF-8 string S at (ROW, COL) in ROLE, clipped at the right
 * edge.  Returns the column after the last cell written. */
int tui_put(struct tui_grid *g, int row, int col, enum tui_role role,
	    const char *s);
/* printf-style tui_put. */
int tui_putf(struct tui_grid *g, int row, int col, enum tui_role role,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Writes code point CH N times. */
int tui_fill(struct tui_grid *g, int row, int col, enum tui_role role,
	     uint32_t ch, int n);
/* Row ROW as UTF-8 text without trailing blanks, into BUF of CAP bytes
 * (always terminated).  Returns the length. */
size_t tui_grid_row_text(const struct tui_grid *g, int row, char *buf,
			 size_t cap);

#endif
