/* SPDX-License-Identifier: MIT */
/*
 * capture.c - reading captured allocator statistics.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

/* The value after '=' in a printone() line, commas removed. */
static uint64_t
value_of(const char *line)
{
	const char *eq = strchr(line, '=');
	uint64_t v = 0;
	if (eq == NULL)
		return 0;
	for (const char *p = eq + 1; *p && *p != '\n'; p++)
		if (*p >= '0' && *p <= '9')
			v = v * 10 + (uint64_t)(*p - '0');
	return v;
}

static bool
starts(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

bool
capture_parse(char *text, struct capture *c)
{
	memset(c, 0, sizeof(*c));
	c->text = text;
	char *start = strstr(text, "Small block threshold");
	if (start == NULL)
		return false;
	char *last_total = NULL;
	bool in_map = false;
	for (char *next = start; next && *next;) {
		char *nl = strchr(next, '\n');
		char line[256];
		size_t len = nl ? (size_t)(nl - next) : strlen(next);
		if (len >= sizeof(line))
			len = sizeof(line) - 1;
		memcpy(line, next, len);
		line[len] = '\0';
		unsigned long long a, b, d, e, f;
		if (starts(line, "Small block threshold")) {
			sscanf(line, "Small block threshold = %u, in %u",
			       &c->threshold, &c->nclasses);
		} else if (sscanf(line, "%llu %llu %llu %llu %llu", &a, &b, &d,
				  &e, &f) == 5 &&
			   !strchr(line, '=')) {
			struct capture_row *r = &c->rows[c->nrows++];
			*r = (struct capture_row){(unsigned)a, (unsigned)b, d,
						  e, f};
		} else if (starts(line, "# arenas allocated total")) {
			c->allocated_total = value_of(line);
		} else if (starts(line, "# arenas reclaimed")) {
			c->reclaimed = value_of(line);
		} else if (starts(line, "# arenas highwater mark")) {
			c->highwater = value_of(line);
		} else if (starts(line, "# arenas allocated current")) {
			c->current = value_of(line);
		} else if (strstr(line, " arenas * ") != NULL) {
			sscanf(strstr(line, " * ") + 3, "%llu", &a);
			c->arena_size = a;
		} else if (starts(line, "# bytes in allocated blocks")) {
			c->bytes_allocated = value_of(line);
		} else if (starts(line, "# bytes in available blocks")) {
			c->bytes_available = value_of(line);
		} else if (strstr(line, " unused pools * ") != NULL) {
			sscanf(line, "%llu unused pools * %llu", &a, &b);
			c->unused_pools = a;
			c->pool_size = b;
		} else if (starts(line, "# bytes lost to pool headers")) {
			c->headers = value_of(line);
		} else if (starts(line, "# bytes lost to quantization")) {
			c->quantization = value_of(line);
		} else if (starts(line, "# bytes lost to arena alignment")) {
			c->alignment = value_of(line);
		} else if (starts(line, "arena map counts")) {
			c->has_map = in_map = true;
		} else if (starts(line, "# arena map mid nodes")) {
			c->map_mid = value_of(line);
		} else if (starts(line, "# arena map bot nodes")) {
			c->map_bot = value_of(line);
		} else if (starts(line, "Total")) {
			if (!in_map)
				c->total = value_of(line);
			last_total = nl ? nl + 1 : next + strlen(next);
		}
		next = nl ? nl + 1 : NULL;
	}
	if (last_total == NULL)
		return false;
	size_t n = (size_t)(last_total - start);
	c->alloc_part = malloc(n + 1);
	memcpy(c->alloc_part, start, n);
	c->alloc_part[n] = '\0';
	return true;
}

bool
capture_load(const char *path, struct capture *c)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "cannot open %s\n", path);
		return false;
	}
	char *text = NULL;
	size_t len = 0;
	size_t cap = 0;
	char buf[4096];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + k + 1 > cap) {
			cap = (len + k + 1) * 2;
			text = realloc(text, cap);
		}
		memcpy(text + len, buf, k);
		len += k;
	}
	fclose(f);
	if (text == NULL)
		return false;
	text[len] = '\0';
	if (!capture_parse(text, c)) {
		fprintf(stderr, "%s: not a _debugmallocstats capture\n", path);
		return false;
	}
	return true;
}

void
capture_free(struct capture *c)
{
	free(c->alloc_part);
	free(c->text);
	memset(c, 0, sizeof(*c));
}
