/* SPDX-License-Identifier: MIT */
/*
 * fmt.c - numbers as the monitor shows them, and the scrolling rule every
 * list on screen follows.
 */
#include "config.h"

#include <stdio.h>

#include "tui/screen.h"

const char *
tui_bytes(uint64_t n, char *buf, size_t cap)
{
	static const char units[] = "KMGTPE";
	if (n < 1024) {
		snprintf(buf, cap, n ? "%lluB" : "0", (unsigned long long)n);
		return buf;
	}
	double x = (double)n;
	int u = -1;
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	/* Three significant digits, as top and htop show them. */
	snprintf(buf, cap, x < 10 ? "%.2f%c" : x < 100 ? "%.1f%c" : "%.0f%c",
		 x, units[u]);
	return buf;
}

const char *
tui_view_ms(uint64_t us, char *buf, size_t cap)
{
	if (us == 0)
		snprintf(buf, cap, "-");
	else if (us < 10000)
		snprintf(buf, cap, "%.1fms", (double)us / 1000);
	else
		snprintf(buf, cap, "%.0fms", (double)us / 1000);
	return buf;
}

/* The first row shown so that row SEL is visible in H rows. */
int
tui_scroll_top(int sel, int h)
{
	return sel >= h && h > 0 ? sel - h + 1 : 0;
}
