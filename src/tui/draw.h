/* SPDX-License-Identifier: MIT */
/*
 * draw.h - the only curses code: the terminal's set-up and restore, keys,
 * and drawing a grid.  Everything on screen comes from view.c.
 */
#ifndef PMF_TUI_DRAW_H
#define PMF_TUI_DRAW_H

#include <stdbool.h>

#include "tui/grid.h"

/* Takes the terminal (alternate screen, no echo, keypad).  COLOR false
 * forces monochrome (NO_COLOR).  Returns 0, or -1 with a reason in WHY. */
int tui_draw_open(bool color, char *why, size_t cap);

/* Gives the terminal back as it was; idempotent and safe to call from a
 * fatal signal's handler. */
void tui_draw_close(void);

/* True when the terminal takes UTF-8 (the locale's codeset). */
bool tui_draw_unicode(void);

/* The terminal's size now. */
void tui_draw_size(int *rows, int *cols);

/* Draws G and shows it. */
void tui_draw_grid(const struct tui_grid *g);

/* Waits at most TIMEOUT_MS for a key: returns it (TUI_KEY_* for special
 * keys), 0 on a time-out, or -2 when the terminal was resized. */
int tui_draw_key(int timeout_ms);

#endif
