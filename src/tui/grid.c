/* SPDX-License-Identifier: MIT */
/*
 * grid.c - the screen as plain data.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/grid.h"

int
tui_grid_resize(struct tui_grid *g, int rows, int cols)
{
	if (rows < 0)
		rows = 0;
	if (cols < 0)
		cols = 0;
	size_t n = (size_t)rows * (size_t)cols;
	struct tui_cell *c = realloc(g->cells, (n ? n : 1) * sizeof(*c));
	if (c == NULL)
		return -1;
	g->cells = c;
	g->rows = rows;
	g->cols = cols;
	tui_grid_clear(g);
	return 0;
}

void
tui_grid_clear(struct tui_grid *g)
{
	size_t n = (size_t)g->rows * (size_t)g->cols;
	for (size_t i = 0; i < n; i++)
		g->cells[i] = (struct tui_cell){' ', TUI_R_NORMAL};
}

void
tui_grid_free(struct tui_grid *g)
{
	free(g->cells);
	memset(g, 0, sizeof(*g));
}

struct tui_cell *
tui_grid_at(struct tui_grid *g, int row, int col)
{
	if (row < 0 || col < 0 || row >= g->rows || col >= g->cols)
		return NULL;
	return &g->cells[(size_t)row * (size_t)g->cols + (size_t)col];
}

/* Decodes one UTF-8 sequence at *P; a malformed byte stands for itself
 * as U+FFFD, so bad input never stops the drawing. */
static uint32_t
utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t c = s[0];
	int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (c >= 0x80 && extra == 0) {
		*p = s + 1;
		return 0xfffd;
	}
	c &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : extra == 1 ? 0x1f : 0x7f;
	for (int i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*p = s + i;
			return 0xfffd;
		}
		c = (c << 6) | (s[i] & 0x3f);
	}
	*p = s + 1 + extra;
	return c;
}

int
tui_put(struct tui_grid *g, int row, int col, enum tui_role role,
	const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p != '\0') {
		uint32_t ch = utf8_next(&p);
		struct tui_cell *c = tui_grid_at(g, row, col);
		if (c != NULL)
			*c = (struct tui_cell){ch, (uint8_t)role};
		col++;
	}
	return col;
}

int
tui_putf(struct tui_grid *g, int row, int col, enum tui_role role,
	 const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return tui_put(g, row, col, role, buf);
}

int
tui_fill(struct tui_grid *g, int row, int col, enum tui_role role,
	 uint32_t ch, int n)
{
	for (int i = 0; i < n; i++) {
		struct tui_cell *c = tui_grid_at(g, row, col + i);
		if (c != NULL)
			*c = (struct tui_cell){ch, (uint8_t)role};
	}
	return col + (n > 0 ? n : 0);
}



static size_t
utf8_put(char *b, uint32_t c)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | (c >> 18));
	b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t
tui_grid_row_text(const struct tui_grid *g, int row, char *buf, size_t cap)
{
	size_t len = 0, keep = 0;
	if (cap == 0)
		return 0;
	for (int col = 0; row >= 0 && row < g->rows && col < g->cols; col++) {
		char b[4];
		uint32_t ch = g->cells[(size_t)row * (size_t)g->cols +
				       (size_t)col].ch;
		size_t n = utf8_put(b, ch);
		if (len + n >= cap)
			break;
		memcpy(buf + len, b, n);
		len += n;
		if (ch != ' ')
			keep = len;
	}
	buf[keep] = '\0';
	return keep;
}
