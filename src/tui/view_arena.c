/* SPDX-License-Identifier: MIT */
/*
 * view_arena.c - the arena map (one cell per arena, shaded by
 * utilization, coloured by residency where the terminal can) and the
 * drill-down into one arena: its pools and the types of its objects.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "tui/screen.h"

/* Utilization steps of the map: under 10%, 50%, 90%, and the rest. */
static const uint32_t shade_u[] = {0x2591, 0x2592, 0x2593, 0x2588};
static const uint32_t shade_a[] = {'.', ':', '+', '#'};
static const enum tui_role shade_role[] = {TUI_R_SPARSE, TUI_R_HALF,
					   TUI_R_DENSE, TUI_R_FULL};

static int
util_step(double u)
{
	return u < 0.10 ? 0 : u < 0.50 ? 1 : u < 0.90 ? 2 : 3;
}

/* The glyph and role of arena A's cell. */
static void
arena_cell(const struct tui_view *v, const struct tui_sample *s,
	       const struct pmf_arena *a, uint32_t *ch, enum tui_role *role)
{
	int k = util_step(a->utilization);
	*ch = v->unicode ? shade_u[k] : shade_a[k];
	*role = shade_role[k];
	/* An arena mostly in swap is the one thing worse than a sparse one
	 * in RAM: it says so whatever its utilization. */
	if (s->residency_valid && a->swapped_bytes > a->resident_bytes)
		*role = TUI_R_SWAPPED;
}

int
tui_map_height(const struct tui_view *v, const struct tui_data *d, int cols,
	       int body)
{
	size_t n = d->cur.narenas;
	if (cols <= 0 || body < 6)
		return 0;
	int map_rows = (int)((n + (size_t)cols - 1) / (size_t)cols);
	if (map_rows < 1)
		map_rows = 1;
	int want = 1 + map_rows;
	int class_need = 1 + (int)d->cur.nclasses;
	if (class_need < 4)
		class_need = 4;
	if (body >= class_need + want)
		return want;
	/* Both are squeezed: the pane in focus gets two thirds. */
	int share = v->pane == TUI_PANE_ARENAS ? body * 2 / 3 : body / 3;
	if (share < 2)
		share = 2;
	return share < want ? share : want;
}

void
tui_view_map(const struct tui_view *v, const struct tui_data *d,
	     struct tui_grid *g, int row, int h)
{
	const struct tui_sample *s = &d->cur;
	int cols = g->cols;
	int rows = h - 1;
	size_t n = s->narenas;
	size_t sel = v->arena_sel < n ? v->arena_sel : (n ? n - 1 : 0);
	int top = tui_scroll_top((int)(sel / (size_t)cols), rows);
	size_t first = (size_t)top * (size_t)cols;
	size_t last = first + (size_t)rows * (size_t)cols;
	if (last > n)
		last = n;

	tui_fill(g, row, 0, TUI_R_HEADER, ' ', cols);
	int col = tui_putf(g, row, 0, TUI_R_HEADER, "ARENAS %zu", n);
	if (n > 0 && (first > 0 || last < n))
		col = tui_putf(g, row, col, TUI_R_HEADER, " (%zu-%zu)",
			       first + 1, last);
	col += 2;
	static const char *const labels[] = {"<10%", "<50%", "<90%", "full"};
	for (int k = 0; k < 4 && col + 8 < cols; k++) {
		tui_fill(g, row, col, shade_role[k],
			 v->unicode ? shade_u[k] : shade_a[k], 1);
		col = tui_put(g, row, col + 1, TUI_R_HEADER, labels[k]) + 1;
	}
	if (col + 10 < cols && s->residency_valid) {
		tui_fill(g, row, col, TUI_R_SWAPPED,
			 v->unicode ? shade_u[1] : shade_a[1], 1);
		col = tui_put(g, row, col + 1, TUI_R_HEADER, "swapped") + 1;
	}
	if (v->pane == TUI_PANE_ARENAS && n > 0 && col + 30 < cols) {
		const struct pmf_arena *a = &s->arena_list[sel];
		tui_putf(g, row, col + 1, TUI_R_HEADER, "#%u 0x%llx %.1f%%",
			 a->index, (unsigned long long)a->address,
			 a->utilization * 100);
	}
	for (size_t j = first; j < last; j++) {
		uint32_t ch;
		enum tui_role role;
		arena_cell(v, s, &s->arena_list[j], &ch, &role);
		if (v->pane == TUI_PANE_ARENAS && j == sel)
			role = TUI_R_SELECTED;
		int r = row + 1 + (int)((j - first) / (size_t)cols);
		tui_fill(g, r, (int)((j - first) % (size_t)cols), role, ch, 1);
	}
	if (n == 0 && rows > 0)
		tui_put(g, row + 1, 1, TUI_R_DIM, "no arena yet");
}

/* ---------------------------------------------------------------- */
/* The drill-down                                                     */
/* ---------------------------------------------------------------- */

static void
pool_glyph(const struct tui_view *v, const struct pmf_pool *p, uint32_t *ch,
	   enum tui_role *role)
{
	switch (p->state) {
	case PMF_POOL_FULL:
		*ch = v->unicode ? shade_u[3] : '#';
		*role = TUI_R_FULL;
		return;
	case PMF_POOL_USED: {
		double f = p->blocks_total
				   ? (double)p->blocks_in_use / p->blocks_total
				   : 0;
		int k = util_step(f);
		*ch = v->unicode ? shade_u[k] : shade_a[k];
		*role = shade_role[k];
		return;
	}
	case PMF_POOL_EMPTY:
		*ch = 'o';
		*role = TUI_R_EMPTY;
		return;
	case PMF_POOL_INVALID:
		*ch = '?';
		*role = TUI_R_WARN;
		return;
	case PMF_POOL_UNTOUCHED:
		break;
	}
	*ch = '_';
	*role = TUI_R_UNTOUCHED;
}

static const struct pmf_arena *
find_arena(const struct tui_sample *s, uint64_t addr)
{
	for (size_t j = 0; j < s->narenas; j++)
		if (s->arena_list[j].address == addr)
			return &s->arena_list[j];
	return NULL;
}

/* The used pools of the arena, one a row, from the view's scroll. */
static void
pool_list(const struct tui_view *v, const struct tui_detail *dt,
	  struct tui_grid *g, int row, int col, int h)
{
	tui_putf(g, row, col, TUI_R_HEADER, "%5s %5s %5s %11s", "POOL",
		 "CLASS", "SIZE", "USED/TOTAL");
	int shown = 0, skipped = 0;
	for (size_t k = 0; k < dt->npools && shown < h - 1; k++) {
		const struct pmf_pool *p = &dt->pools[k];
		if (p->state != PMF_POOL_USED && p->state != PMF_POOL_FULL)
			continue;
		if (skipped++ < v->detail_top)
			continue;
		tui_putf(g, row + 1 + shown, col, TUI_R_NORMAL,
			 "%5u %5u %5u %5u/%-5u", p->index, p->class_index,
			 p->block_size, p->blocks_in_use, p->blocks_total);
		shown++;
	}
	if (shown == 0 && h > 1)
		tui_put(g, row + 1, col, TUI_R_DIM, "no pool holds blocks");
}

static void
type_list(const struct tui_detail *dt, struct tui_grid *g, int row, int col,
	  int h)
{
	char b[16];
	tui_putf(g, row, col, TUI_R_HEADER, "%-24s %8s %8s", "TYPE", "BLOCKS",
		 "BYTES");
	if (!dt->examined) {
		tui_put(g, row + 1, col, TUI_R_DIM,
			"reading its objects at the next refresh...");
		return;
	}
	for (size_t i = 0; i < dt->ntypes && (int)i < h - 1; i++)
		tui_putf(g, row + 1 + (int)i, col, TUI_R_NORMAL,
			 "%-24.24s %8llu %8s", dt->types[i].name,
			 (unsigned long long)dt->types[i].count,
			 tui_bytes(dt->types[i].bytes, b, sizeof(b)));
	if (dt->ntypes == 0 && h > 1)
		tui_put(g, row + 1, col, TUI_R_DIM, "no live object");
}

void
tui_view_detail(const struct tui_view *v, const struct tui_data *d,
		struct tui_grid *g, int row, int h)
{
	const struct tui_sample *s = &d->cur;
	const struct pmf_arena *a = find_arena(s, v->detail_addr);
	const struct tui_detail *dt = &s->detail;
	char b1[16], b2[16], b3[16], b4[16];
	tui_fill(g, row, 0, TUI_R_HEADER, ' ', g->cols);
	if (a == NULL) {
		tui_putf(g, row, 0, TUI_R_HEADER, "ARENA 0x%llx",
			 (unsigned long long)v->detail_addr);
		tui_put(g, row + 1, 1, TUI_R_WARN,
			"this arena was freed since: esc goes back");
		return;
	}
	tui_putf(g, row, 0, TUI_R_HEADER,
		 "ARENA #%u 0x%llx  util %.1f%%  live %llu blocks (%s)%s",
		 a->index, (unsigned long long)a->address, a->utilization * 100,
		 (unsigned long long)a->blocks_live,
		 tui_bytes(a->bytes_live, b1, sizeof(b1)),
		 a->pinned ? "  pinned" : "");
	tui_putf(g, row + 1, 0, TUI_R_NORMAL,
		 "pools %u: used %u (full %u)  empty %u  untouched %u   "
		 "resident %s  swapped %s  shared %s",
		 a->pools_total, a->pools_used, a->pools_full, a->pools_empty,
		 a->pools_untouched, tui_bytes(a->resident_bytes, b2, sizeof(b2)),
		 tui_bytes(a->swapped_bytes, b3, sizeof(b3)),
		 tui_bytes(a->shared_bytes, b4, sizeof(b4)));
	if (dt->address != a->address) {
		tui_put(g, row + 2, 1, TUI_R_DIM,
			"reading its pools at the next refresh...");
		return;
	}
	int col = tui_put(g, row + 2, 0, TUI_R_LABEL, "pools ");
	for (size_t k = 0; k < dt->npools && col < g->cols; k++) {
		uint32_t ch;
		enum tui_role role;
		pool_glyph(v, &dt->pools[k], &ch, &role);
		col = tui_fill(g, row + 2, col, role, ch, 1);
	}
	tui_put(g, row + 3, 0, TUI_R_DIM,
		"      shade: blocks in use; o empty (cached), _ untouched");
	int top = row + 5, rest = h - 5;
	if (rest < 2)
		return;
	if (g->cols >= 76) {
		pool_list(v, dt, g, top, 0, rest);
		type_list(dt, g, top, 32, rest);
	} else {
		int th = rest / 2;
		type_list(dt, g, top, 0, th);
		pool_list(v, dt, g, top + th, 0, rest - th);
	}
}
