/* SPDX-License-Identifier: MIT */
/*
 * view_help.c - the help screen ('h' or '?').
 */
#include "config.h"

#include "tui/screen.h"

static const char *const help[][2] = {
	{"q", "quit (Ctrl-C too)"},
	{"space", "pause or resume the refreshes"},
	{"s", "sort the size classes by the next column"},
	{"S", "reverse the sort order"},
	{"tab", "switch between the size classes and the arena map"},
	{"arrows", "move the selection; page up/down, home, end"},
	{"enter", "drill into the selected arena: its pools and objects"},
	{"esc", "back from the drill-down or this help"},
	{"+ / -", "refresh less / more often"},
	{"h, ?", "this help"},
};

static const char *const legend[] = {
	"RSS     [#: resident arena pages  |: the rest]  the bar is the peak "
	"(HWM)",
	"arena   [#: live blocks  :: free blocks in used pools  .: empty "
	"pools  blank: untouched]",
	"stranded  arena bytes beyond what the live blocks need, perfectly "
	"packed",
	"pinned    arenas kept by a few live blocks (utilization under the "
	"threshold)",
	"dLAST / dSTART  blocks in use since the last refresh / since the start",
	"WASTE     free blocks, pool headers and quantization of the class",
};

void
tui_view_help(const struct tui_view *v, struct tui_grid *g)
{
	tui_fill(g, 0, 0, TUI_R_TITLE, ' ', g->cols);
	tui_putf(g, 0, 0, TUI_R_TITLE, "pymfrag %s top: help",
		 PMF_VERSION_STRING);
	int row = 2;
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++, row++) {
		tui_put(g, row, 2, TUI_R_KEY, help[i][0]);
		tui_put(g, row, 12, TUI_R_NORMAL, help[i][1]);
	}
	row++;
	for (size_t i = 0; i < sizeof(legend) / sizeof(legend[0]); i++, row++)
		tui_put(g, row, 2, TUI_R_NORMAL, legend[i]);
	row++;
	if (v->target_note[0] != '\0')
		tui_put(g, row++, 2, TUI_R_DIM, v->target_note);
	tui_fill(g, g->rows - 1, 0, TUI_R_STATUS, ' ', g->cols);
	tui_put(g, g->rows - 1, 0, TUI_R_STATUS,
		"any key returns; q quits");
}
