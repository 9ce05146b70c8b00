/* SPDX-License-Identifier: MIT */
/* Unit tests for the live monitor's view logic (src/tui without curses):
 * the grid, the screen's rows and roles, keys, sorting, drill-down,
 * resizing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "tui/grid.h"
#include "tui/screen.h"

/* A sample with NCLASSES classes (class c: c+1 pools, 10*(c+1) blocks in
 * use) and NARENAS arenas whose utilization steps through 5%, 30%, 70%
 * and 95%. */
static void
make_sample(struct tui_sample *s, unsigned nclasses, size_t narenas,
	    uint64_t used_bonus)
{
	memset(s, 0, sizeof(*s));
	s->pid = 4242;
	snprintf(s->version, sizeof(s->version), "3.12.1");
	snprintf(s->allocator, sizeof(s->allocator), "pymalloc");
	snprintf(s->locate, sizeof(s->locate), "symbols");
	s->pymalloc = true;
	s->proc_valid = true;
	s->rss = 300u << 20;
	s->hwm = 400u << 20;
	s->pss = 290u << 20;
	s->arena_size = 1 << 20;
	s->pool_size = 16384;
	s->pool_overhead = 48;
	s->arenas_cur = narenas;
	s->highwater = narenas + 7;
	s->arena_bytes = narenas << 20;
	s->live = s->arena_bytes / 4;
	s->free_in_pools = s->arena_bytes / 2;
	s->empty_pools = s->arena_bytes / 8;
	s->untouched_pools = s->arena_bytes / 16;
	s->overhead = s->arena_bytes / 16;
	s->stranded = 5u << 20;
	s->pinned_below = 0.10;
	s->pause_us = 41000;
	for (unsigned c = 0; c < nclasses; c++)
		s->classes[s->nclasses++] = (struct tui_class){
			.index = c,
			.size = (c + 1) * 16,
			.pools = c + 1,
			.used = 10 * (c + 1) + (c == 3 ? used_bonus : 0),
			.avail = 1000 - 10 * c,
			.waste = 100 * (nclasses - c),
		};
	static const double util[] = {0.05, 0.30, 0.70, 0.95};
	s->arena_list = calloc(narenas ? narenas : 1, sizeof(*s->arena_list));
	ck_assert_ptr_nonnull(s->arena_list);
	s->narenas = narenas;
	for (size_t j = 0; j < narenas; j++)
		s->arena_list[j] = (struct pmf_arena){
			.address = 0x7f0000000000ull + (j << 20),
			.index = (uint32_t)j,
			.pools_total = 63,
			.pools_used = 10,
			.utilization = util[j % 4],
			.pinned = j % 4 == 0,
			.resident_bytes = 1 << 20,
		};
}

struct fixture {
	struct tui_view v;
	struct tui_data d;
	struct tui_grid g;
	char line[1024];
};

static void
fx_init(struct fixture *f, int rows, int cols, unsigned nclasses,
	size_t narenas)
{
	memset(f, 0, sizeof(*f));
	tui_view_init(&f->v, 1.0, false);
	f->v.rows = rows;
	f->v.cols = cols;
	struct tui_sample s;
	make_sample(&s, nclasses, narenas, 0);
	tui_data_push(&f->d, &s);
}

static void
fx_free(struct fixture *f)
{
	tui_data_free(&f->d);
	tui_grid_free(&f->g);
}

static const char *
row(struct fixture *f, int r)
{
	tui_grid_row_text(&f->g, r, f->line, sizeof(f->line));
	return f->line;
}

/* The first row whose text contains NEEDLE, or -1. */
static int
find_row(struct fixture *f, const char *needle)
{
	for (int r = 0; r < f->g.rows; r++)
		if (strstr(row(f, r), needle) != NULL)
			return r;
	return -1;
}

static void
render(struct fixture *f)
{
	ck_assert_int_eq(tui_view_render(&f->v, &f->d, &f->g), 0);
	ck_assert_int_eq(f->g.rows, f->v.rows);
	ck_assert_int_eq(f->g.cols, f->v.cols);
}

/* The class column (the first number) of table row R. */
static long
class_at(struct fixture *f, int r)
{
	return strtol(row(f, r), NULL, 10);
}

START_TEST(test_grid)
{
	struct tui_grid g = {0};
	char b[64];
	ck_assert_int_eq(tui_grid_resize(&g, 2, 6), 0);
	ck_assert_int_eq(tui_put(&g, 0, 1, TUI_R_VALUE, "ab\xe2\x96\x88z12"),
			 7);
	tui_grid_row_text(&g, 0, b, sizeof(b));
	/* Clipped at the edge; the block is one cell. */
	ck_assert_str_eq(b, " ab\xe2\x96\x88z1");
	ck_assert_uint_eq(tui_grid_at(&g, 0, 3)->ch, 0x2588);
	ck_assert_int_eq(tui_grid_at(&g, 0, 3)->role, TUI_R_VALUE);
	ck_assert_ptr_null(tui_grid_at(&g, 2, 0));
	ck_assert_ptr_null(tui_grid_at(&g, 0, -1));
	/* Trailing blanks go; a malformed byte is a replacement char. */
	tui_put(&g, 1, 0, TUI_R_NORMAL, "x\xff");
	tui_grid_row_text(&g, 1, b, sizeof(b));
	ck_assert_str_eq(b, "x\xef\xbf\xbd");
	tui_grid_free(&g);
}
END_TEST

START_TEST(test_bytes)
{
	char b[16];
	ck_assert_str_eq(tui_bytes(0, b, sizeof(b)), "0");
	ck_assert_str_eq(tui_bytes(512, b, sizeof(b)), "512B");
	ck_assert_str_eq(tui_bytes(1536, b, sizeof(b)), "1.50K");
	ck_assert_str_eq(tui_bytes(96ull << 20, b, sizeof(b)), "96.0M");
	ck_assert_str_eq(tui_bytes(2104533975ull, b, sizeof(b)), "1.96G");
	ck_assert_str_eq(tui_bytes(300ull << 30, b, sizeof(b)), "300G");
}
END_TEST

START_TEST(test_main_screen)
{
	struct fixture f;
	fx_init(&f, 24, 80, 5, 10);
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "pid 4242"));
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "python 3.12.1"));
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "pause 41ms"));
	ck_assert_ptr_nonnull(strstr(row(&f, 1), "300M"));
	ck_assert_ptr_nonnull(strstr(row(&f, 1), "HWM 400M"));
	/* No PSS read yet: a dash, not a zero. */
	ck_assert_ptr_nonnull(strstr(row(&f, 1), "PSS -"));
	ck_assert_ptr_nonnull(strstr(row(&f, 2), "live 25%"));
	ck_assert_ptr_nonnull(strstr(row(&f, 3), "arenas 10 / hw 17 (-7)"));
	ck_assert_ptr_nonnull(strstr(row(&f, 3), "stranded 5.00M"));
	int h = find_row(&f, "CLASS");
	ck_assert_int_gt(h, 3);
	ck_assert_int_eq(tui_grid_at(&f.g, h, 0)->role, TUI_R_HEADER);
	/* Rows in class order, with the class's own numbers. */
	for (int c = 0; c < 5; c++) {
		ck_assert_int_eq(class_at(&f, h + 1 + c), c);
		char want[64];
		snprintf(want, sizeof(want), "%d %10d %10d", c + 1,
			 10 * (c + 1), 1000 - 10 * c);
		ck_assert_msg(strstr(row(&f, h + 1 + c), want) != NULL,
			      "row %d: '%s'", c, row(&f, h + 1 + c));
	}
	/* The arena map: one cell per arena, shaded by utilization. */
	int m = find_row(&f, "ARENAS 10");
	ck_assert_int_gt(m, h + 5);
	ck_assert_str_eq(row(&f, m + 1), ".:+#.:+#.:");
	ck_assert_int_eq(tui_grid_at(&f.g, m + 1, 0)->role, TUI_R_SPARSE);
	ck_assert_int_eq(tui_grid_at(&f.g, m + 1, 3)->role, TUI_R_FULL);
	ck_assert_ptr_nonnull(strstr(row(&f, 23), "q quit"));
	fx_free(&f);
}
END_TEST

START_TEST(test_sort)
{
	struct fixture f;
	fx_init(&f, 24, 80, 6, 4);
	/* class -> pools -> used: biggest first. */
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, 's'), TUI_ACT_REDRAW);
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, 's'), TUI_ACT_REDRAW);
	ck_assert_int_eq(f.v.sort, TUI_SORT_USED);
	render(&f);
	int h = find_row(&f, "CLASS");
	ck_assert_ptr_nonnull(strstr(row(&f, h), "USEDv"));
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(class_at(&f, h + 1 + i), 5 - i);
	tui_view_key(&f.v, &f.d, 'S');
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, h), "USED^"));
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(class_at(&f, h + 1 + i), i);
	/* WASTE is the reverse of class order in the fixture. */
	while (f.v.sort != TUI_SORT_WASTE)
		tui_view_key(&f.v, &f.d, 's');
	unsigned order[TUI_MAX_CLASSES];
	ck_assert_uint_eq(tui_view_order(&f.v, &f.d, order), 6);
	ck_assert_uint_eq(f.d.cur.classes[order[0]].index, 0);
	ck_assert_uint_eq(f.d.cur.classes[order[5]].index, 5);
	/* And round to class order again. */
	tui_view_key(&f.v, &f.d, 's');
	ck_assert_int_eq(f.v.sort, TUI_SORT_CLASS);
	ck_assert(!f.v.sort_desc);
	fx_free(&f);
}
END_TEST

START_TEST(test_deltas)
{
	struct fixture f;
	fx_init(&f, 24, 90, 6, 4);
	struct tui_sample s;
	make_sample(&s, 6, 4, 500);
	tui_data_push(&f.d, &s);
	make_sample(&s, 6, 4, 200);
	tui_data_push(&f.d, &s);
	ck_assert_int_eq(tui_class_delta(&f.d, 3, false), -300);
	ck_assert_int_eq(tui_class_delta(&f.d, 3, true), 200);
	ck_assert_int_eq(tui_class_delta(&f.d, 2, true), 0);
	render(&f);
	int h = find_row(&f, "CLASS");
	const char *r3 = row(&f, h + 4);
	ck_assert_msg(strstr(r3, "-300") && strstr(r3, "+200"), "'%s'", r3);
	/* Shrinking is green, growing red: find the cells by their text. */
	const char *p = strstr(r3, "-300");
	int col = (int)(p - r3);
	ck_assert_int_eq(tui_grid_at(&f.g, h + 4, col)->role, TUI_R_SHRINK);
	p = strstr(r3, "+200");
	col = (int)(p - r3);
	ck_assert_int_eq(tui_grid_at(&f.g, h + 4, col)->role, TUI_R_GROW);
	ck_assert_uint_eq(f.d.refreshes, 3);
	/* PSS is carried over the refreshes that do not read it. */
	ck_assert(!f.d.cur.has_pss);
	f.d.cur.has_pss = true;
	f.d.cur.pss = 123456;
	make_sample(&s, 6, 4, 200);
	tui_data_push(&f.d, &s);
	ck_assert(f.d.cur.has_pss);
	ck_assert_uint_eq(f.d.cur.pss, 123456);
	ck_assert_uint_eq(f.d.cur.pss_age, 1);
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, 1), "PSS 121K"));
	ck_assert_uint_eq(f.d.rss.n, 4);
	fx_free(&f);
}
END_TEST

START_TEST(test_drill_down)
{
	struct fixture f;
	fx_init(&f, 30, 100, 4, 8);
	/* Enter in the class pane only says how to get there. */
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, TUI_KEY_ENTER),
			 TUI_ACT_REDRAW);
	ck_assert_int_eq(f.v.mode, TUI_MODE_MAIN);
	ck_assert_ptr_nonnull(strstr(f.v.status, "tab"));
	tui_view_key(&f.v, &f.d, TUI_KEY_TAB);
	ck_assert_int_eq(f.v.pane, TUI_PANE_ARENAS);
	ck_assert_str_eq(f.v.status, "");
	tui_view_key(&f.v, &f.d, TUI_KEY_RIGHT);
	tui_view_key(&f.v, &f.d, TUI_KEY_RIGHT);
	tui_view_key(&f.v, &f.d, TUI_KEY_RIGHT);
	tui_view_key(&f.v, &f.d, TUI_KEY_LEFT);
	ck_assert_uint_eq(f.v.arena_sel, 2);
	render(&f);
	int m = find_row(&f, "ARENAS 8");
	ck_assert_int_eq(tui_grid_at(&f.g, m + 1, 2)->role, TUI_R_SELECTED);
	ck_assert_ptr_nonnull(strstr(row(&f, m), "#2 0x7f0000200000 70.0%"));
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, TUI_KEY_ENTER),
			 TUI_ACT_REFRESH);
	ck_assert_int_eq(f.v.mode, TUI_MODE_ARENA);
	ck_assert_uint_eq(f.v.detail_addr, 0x7f0000200000ull);
	/* Before the refresh that reads it. */
	render(&f);
	ck_assert_int_ge(find_row(&f, "ARENA #2 0x7f0000200000  util 70.0%"),
			 0);
	ck_assert_int_ge(find_row(&f, "reading its pools"), 0);
	/* The refresh brings its pools and types. */
	struct tui_sample s;
	make_sample(&s, 4, 8, 0);
	static struct pmf_pool pools[3] = {
		{0, PMF_POOL_FULL, 1, 32, 507, 507},
		{1, PMF_POOL_USED, 3, 64, 20, 255},
		{2, PMF_POOL_EMPTY, 0, 0, 0, 0}};
	static struct pmf_type_count types[2] = {{"dict", 7, 448},
						 {"Decimal", 3, 312}};
	s.detail = (struct tui_detail){
		.address = 0x7f0000200000ull, .found = true, .examined = true};
	s.detail.pools = malloc(sizeof(pools));
	s.detail.types = malloc(sizeof(types));
	memcpy(s.detail.pools, pools, sizeof(pools));
	memcpy(s.detail.types, types, sizeof(types));
	s.detail.npools = 3;
	s.detail.ntypes = 2;
	tui_data_push(&f.d, &s);
	render(&f);
	/* Full, 8% used (sparse), empty. */
	ck_assert_int_ge(find_row(&f, "pools #.o"), 0);
	ck_assert_int_ge(find_row(&f, "    1     3    64    20/255"), 0);
	ck_assert_int_ge(find_row(&f, "    0     1    32   507/507"), 0);
	ck_assert_int_ge(find_row(&f, "dict                            7"), 0);
	ck_assert_int_ge(find_row(&f, "Decimal"), 0);
	ck_assert_ptr_nonnull(strstr(row(&f, 29), "esc back"));
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, TUI_KEY_ESC),
			 TUI_ACT_REDRAW);
	ck_assert_int_eq(f.v.mode, TUI_MODE_MAIN);
	ck_assert_uint_eq(f.v.detail_addr, 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_resize)
{
	struct fixture f;
	fx_init(&f, 24, 80, 32, 1000);
	render(&f);
	ck_assert_int_ge(find_row(&f, "WASTE"), 0);
	/* Narrower: the rightmost columns go first. */
	f.v.cols = 60;
	render(&f);
	int h = find_row(&f, "CLASS");
	ck_assert_ptr_nonnull(strstr(row(&f, h), "dLAST"));
	ck_assert_ptr_null(strstr(row(&f, h), "dSTART"));
	ck_assert_ptr_null(strstr(row(&f, h), "WASTE"));
	for (int r = 0; r < f.g.rows; r++)
		ck_assert_int_le((int)strlen(row(&f, r)), 60);
	/* The smallest screen still has the title, meters, a table row
	 * and the key line. */
	f.v.rows = TUI_MIN_ROWS;
	f.v.cols = TUI_MIN_COLS;
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "pymfrag"));
	ck_assert_int_ge(find_row(&f, "CLASS"), 0);
	ck_assert_int_lt(find_row(&f, "ARENAS"), 0);
	ck_assert_ptr_nonnull(strstr(row(&f, TUI_MIN_ROWS - 1), "q quit"));
	/* Smaller: a note, not a garbled screen. */
	f.v.cols = TUI_MIN_COLS - 1;
	render(&f);
	ck_assert_int_ge(find_row(&f, "39x8 is too small"), 0);
	fx_free(&f);
}
END_TEST

/* A screen of tui_view_full_rows() shows every class and every arena. */
START_TEST(test_full_rows)
{
	struct fixture f;
	fx_init(&f, 24, 80, 32, 1000);
	f.v.rows = tui_view_full_rows(&f.d, 80);
	render(&f);
	int h = find_row(&f, "CLASS");
	ck_assert_int_eq(class_at(&f, h + 32), 31);
	int m = find_row(&f, "ARENAS 1000");
	ck_assert_ptr_null(strstr(row(&f, m), "(1-"));
	ck_assert_int_eq((int)strlen(row(&f, m + 13)), 1000 - 12 * 80);
	ck_assert_ptr_nonnull(strstr(row(&f, f.v.rows - 1), "q quit"));
	fx_free(&f);
}
END_TEST

START_TEST(test_scrolling)
{
	struct fixture f;
	fx_init(&f, 24, 80, 32, 1000);
	for (int i = 0; i < 40; i++)
		tui_view_key(&f.v, &f.d, TUI_KEY_DOWN);
	ck_assert_int_eq(f.v.class_sel, 31);
	render(&f);
	/* The selected (last) class is on screen, highlighted. */
	int r = -1;
	for (int i = 0; i < f.g.rows; i++)
		if (tui_grid_at(&f.g, i, 0)->role == TUI_R_SELECTED)
			r = i;
	ck_assert_int_ge(r, 0);
	ck_assert_int_eq(class_at(&f, r), 31);
	/* The map shows a window of the 1000 arenas, moving with the
	 * selection. */
	tui_view_key(&f.v, &f.d, TUI_KEY_TAB);
	int m = find_row(&f, "ARENAS 1000");
	ck_assert_int_ge(m, 0);
	ck_assert_ptr_nonnull(strstr(row(&f, m), "(1-"));
	tui_view_key(&f.v, &f.d, TUI_KEY_END);
	ck_assert_uint_eq(f.v.arena_sel, 999);
	render(&f);
	m = find_row(&f, "ARENAS 1000");
	ck_assert_ptr_nonnull(strstr(row(&f, m), "-1000)"));
	tui_view_key(&f.v, &f.d, TUI_KEY_UP);
	ck_assert_uint_eq(f.v.arena_sel, 919);
	tui_view_key(&f.v, &f.d, TUI_KEY_HOME);
	ck_assert_uint_eq(f.v.arena_sel, 0);
	fx_free(&f);
}
END_TEST

START_TEST(test_keys)
{
	struct fixture f;
	fx_init(&f, 24, 80, 4, 4);
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, ' '), TUI_ACT_REDRAW);
	ck_assert(f.v.paused);
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "PAUSED"));
	tui_view_key(&f.v, &f.d, ' ');
	ck_assert(!f.v.paused);
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, '+'), TUI_ACT_INTERVAL);
	ck_assert_double_eq(f.v.interval, 2);
	tui_view_key(&f.v, &f.d, '-');
	tui_view_key(&f.v, &f.d, '-');
	ck_assert_double_eq(f.v.interval, 0.5);
	for (int i = 0; i < 10; i++)
		tui_view_key(&f.v, &f.d, '-');
	ck_assert_double_eq(f.v.interval, 0.1);
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, '?'), TUI_ACT_REDRAW);
	ck_assert_int_eq(f.v.mode, TUI_MODE_HELP);
	render(&f);
	ck_assert_int_ge(find_row(&f, "reverse the sort order"), 0);
	tui_view_key(&f.v, &f.d, 'x');
	ck_assert_int_eq(f.v.mode, TUI_MODE_MAIN);
	ck_assert_int_eq(tui_view_key(&f.v, &f.d, 'q'), TUI_ACT_QUIT);
	fx_free(&f);
}
END_TEST

START_TEST(test_ended_and_other_allocators)
{
	struct fixture f;
	fx_init(&f, 24, 80, 4, 4);
	f.v.ended = true;
	snprintf(f.v.status, sizeof(f.v.status), "process 4242 exited");
	f.v.status_sticky = f.v.status_warn = true;
	tui_view_key(&f.v, &f.d, TUI_KEY_DOWN);
	render(&f);
	ck_assert_ptr_nonnull(strstr(row(&f, 0), "EXITED"));
	ck_assert_str_eq(row(&f, 23), "process 4242 exited");
	ck_assert_int_eq(tui_grid_at(&f.g, 23, 0)->role, TUI_R_WARN);
	/* The last data stays. */
	ck_assert_int_ge(find_row(&f, "CLASS"), 0);
	fx_free(&f);

	fx_init(&f, 24, 80, 0, 0);
	f.d.cur.pymalloc = false;
	snprintf(f.d.cur.allocator, sizeof(f.d.cur.allocator), "malloc");
	render(&f);
	ck_assert_int_ge(find_row(&f, "(allocator: malloc)"), 0);
	ck_assert_int_lt(find_row(&f, "CLASS"), 0);
	fx_free(&f);

	/* Before any snapshot. */
	struct tui_view v;
	struct tui_data d = {0};
	struct tui_grid g = {0};
	char b[128];
	tui_view_init(&v, 1, true);
	ck_assert_int_eq(tui_view_render(&v, &d, &g), 0);
	tui_grid_row_text(&g, 2, b, sizeof(b));
	ck_assert_ptr_nonnull(strstr(b, "waiting for the first snapshot"));
	tui_grid_free(&g);
}
END_TEST

START_TEST(test_sparkline)
{
	struct tui_series s = {0};
	for (int i = 0; i <= 7; i++)
		tui_series_push(&s, i);
	ck_assert_double_eq(tui_series_back(&s, 0), 7);
	ck_assert_double_eq(tui_series_back(&s, 7), 0);
	ck_assert_double_eq(tui_series_back(&s, 8), 0);
	for (int i = 0; i < TUI_HISTORY + 5; i++)
		tui_series_push(&s, 1);
	ck_assert_uint_eq(s.n, TUI_HISTORY);

	struct fixture f;
	fx_init(&f, 24, 90, 2, 2);
	f.v.unicode = true;
	memset(&f.d.rss, 0, sizeof(f.d.rss));
	for (int i = 0; i <= 7; i++)
		tui_series_push(&f.d.rss, (i + 1) * 100.0);
	render(&f);
	int r = 4;
	ck_assert_ptr_nonnull(strstr(row(&f, r), "RSS "));
	/* From 0: 100 of 800 is the lowest bar, 800 the full block. */
	ck_assert_uint_eq(tui_grid_at(&f.g, r, 4)->ch, 0x2582);
	ck_assert_uint_eq(tui_grid_at(&f.g, r, 11)->ch, 0x2588);
	fx_free(&f);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("tui");
	TCase *tc = tcase_create("view");
	tcase_add_test(tc, test_grid);
	tcase_add_test(tc, test_bytes);
	tcase_add_test(tc, test_main_screen);
	tcase_add_test(tc, test_sort);
	tcase_add_test(tc, test_deltas);
	tcase_add_test(tc, test_drill_down);
	tcase_add_test(tc, test_resize);
	tcase_add_test(tc, test_full_rows);
	tcase_add_test(tc, test_scrolling);
	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_ended_and_other_allocators);
	tcase_add_test(tc, test_sparkline);
	suite_add_tcase(s, tc);
	return s;
}
