/* SPDX-License-Identifier: MIT */
/*
 * view_int.h - pieces shared by the view's files (not used outside the
 * view).
 */
#ifndef PMF_TUI_VIEW_INT_H
#define PMF_TUI_VIEW_INT_H

#include "tui/view.h"

/* "41ms", "0.8ms", "-" (never paused). */
const char *tui_view_ms(uint64_t us, char *buf, size_t cap);

/* The newest W values of S as a sparkline at (ROW, COL). */
void tui_sparkline(const struct tui_view *v, const struct tui_series *s,
		   struct tui_grid *g, int row, int col, int w,
		   enum tui_role role);

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

/* The glyph and role of arena A's cell. */
void tui_arena_cell(const struct tui_view *v, const struct tui_sample *s,
		    const struct tui_arena *a, uint32_t *ch,
		    enum tui_role *role);

#endif
