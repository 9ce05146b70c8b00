/* SPDX-License-Identifier: MIT */
/*
 * input.c - what each key does to the view.  Pure, like the rest of the
 * view: the main loop carries out the action it returns.
 */
#include "config.h"

#include <string.h>

#include "tui/screen.h"

/* Refresh intervals '+' and '-' step through, in seconds. */
static const double steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60};
#define NSTEPS (sizeof(steps) / sizeof(steps[0]))

static double
step_interval(double cur, int dir)
{
	if (dir > 0) {
		for (size_t i = 0; i < NSTEPS; i++)
			if (steps[i] > cur + 1e-9)
				return steps[i];
		return steps[NSTEPS - 1];
	}
	for (size_t i = NSTEPS; i-- > 0;)
		if (steps[i] < cur - 1e-9)
			return steps[i];
	return steps[0];
}

static int
clampi(long x, long lo, long hi)
{
	return (int)(x < lo ? lo : x > hi ? hi : x);
}

static enum tui_action
move_class(struct tui_view *v, const struct tui_data *d, int key)
{
	int n = (int)d->cur.nclasses;
	int page = v->rows / 2 > 1 ? v->rows / 2 : 1;
	int sel = v->class_sel;
	switch (key) {
	case TUI_KEY_UP: sel--; break;
	case TUI_KEY_DOWN: sel++; break;
	case TUI_KEY_PGUP: sel -= page; break;
	case TUI_KEY_PGDN: sel += page; break;
	case TUI_KEY_HOME: sel = 0; break;
	case TUI_KEY_END: sel = n - 1; break;
	default: return TUI_ACT_NONE;
	}
	v->class_sel = clampi(sel, 0, n > 0 ? n - 1 : 0);
	return TUI_ACT_REDRAW;
}

static enum tui_action
move_arena(struct tui_view *v, const struct tui_data *d, int key)
{
	long n = (long)d->cur.narenas;
	long cols = v->cols > 0 ? v->cols : 1;
	long sel = (long)v->arena_sel;
	switch (key) {
	case TUI_KEY_LEFT: sel--; break;
	case TUI_KEY_RIGHT: sel++; break;
	case TUI_KEY_UP: sel -= cols; break;
	case TUI_KEY_DOWN: sel += cols; break;
	case TUI_KEY_PGUP: sel -= cols * 4; break;
	case TUI_KEY_PGDN: sel += cols * 4; break;
	case TUI_KEY_HOME: sel = 0; break;
	case TUI_KEY_END: sel = n - 1; break;
	default: return TUI_ACT_NONE;
	}
	v->arena_sel = (size_t)clampi(sel, 0, n > 0 ? n - 1 : 0);
	return TUI_ACT_REDRAW;
}

static void
enter_detail(struct tui_view *v, const struct tui_data *d)
{
	if (d->cur.narenas == 0)
		return;
	size_t sel = v->arena_sel < d->cur.narenas ? v->arena_sel
						   : d->cur.narenas - 1;
	v->detail_addr = d->cur.arena_list[sel].address;
	v->detail_top = 0;
	v->mode = TUI_MODE_ARENA;
}

static enum tui_action
detail_key(struct tui_view *v, int key)
{
	switch (key) {
	case TUI_KEY_ESC:
	case TUI_KEY_BACKSPACE:
	case TUI_KEY_LEFT:
	case TUI_KEY_ENTER:
		v->mode = TUI_MODE_MAIN;
		v->detail_addr = 0;
		return TUI_ACT_REDRAW;
	case TUI_KEY_UP:
		v->detail_top = v->detail_top > 0 ? v->detail_top - 1 : 0;
		return TUI_ACT_REDRAW;
	case TUI_KEY_DOWN:
		v->detail_top++;
		return TUI_ACT_REDRAW;
	case TUI_KEY_HOME:
		v->detail_top = 0;
		return TUI_ACT_REDRAW;
	}
	return TUI_ACT_NONE;
}

enum tui_action
tui_view_key(struct tui_view *v, const struct tui_data *d, int key)
{
	if (!v->status_sticky)
		v->status[0] = '\0';
	if (key == 'q' || key == 'Q')
		return TUI_ACT_QUIT;
	if (v->mode == TUI_MODE_HELP) {
		v->mode = v->back_mode;
		return TUI_ACT_REDRAW;
	}
	switch (key) {
	case 'h':
	case '?':
		v->back_mode = v->mode;
		v->mode = TUI_MODE_HELP;
		return TUI_ACT_REDRAW;
	case ' ':
		v->paused = !v->paused;
		return TUI_ACT_REDRAW;
	case '+':
	case '=':
		v->interval = step_interval(v->interval, +1);
		return TUI_ACT_INTERVAL;
	case '-':
		v->interval = step_interval(v->interval, -1);
		return TUI_ACT_INTERVAL;
	}
	if (v->mode == TUI_MODE_ARENA)
		return detail_key(v, key);
	switch (key) {
	case 's':
		v->sort = (enum tui_sort)((v->sort + 1) % TUI_SORT_COUNT);
		/* Class order reads upward; a count reads biggest first. */
		v->sort_desc = v->sort != TUI_SORT_CLASS;
		return TUI_ACT_REDRAW;
	case 'S':
		v->sort_desc = !v->sort_desc;
		return TUI_ACT_REDRAW;
	case TUI_KEY_TAB:
		v->pane = v->pane == TUI_PANE_CLASSES ? TUI_PANE_ARENAS
						      : TUI_PANE_CLASSES;
		return TUI_ACT_REDRAW;
	case TUI_KEY_ENTER:
		if (v->pane != TUI_PANE_ARENAS) {
			strcpy(v->status,
			       "enter drills into an arena: tab to the arena "
			       "map first");
			v->status_warn = false;
			return TUI_ACT_REDRAW;
		}
		enter_detail(v, d);
		return v->mode == TUI_MODE_ARENA ? TUI_ACT_REFRESH
						 : TUI_ACT_NONE;
	}
	return v->pane == TUI_PANE_ARENAS ? move_arena(v, d, key)
					  : move_class(v, d, key);
}
