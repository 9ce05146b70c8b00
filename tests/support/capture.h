/* SPDX-License-Identifier: MIT */
/*
 * capture.h - parser for CPython's own sys._debugmallocstats() output, so
 * golden tests can rebuild the heap a capture describes and compare the
 * formatter's output with the capture byte for byte.
 */
#ifndef PMF_TEST_CAPTURE_H
#define PMF_TEST_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

struct capture_row {
	unsigned idx, size;
	uint64_t pools, blocks, avail;
};

struct capture {
	unsigned threshold, nclasses;
	struct capture_row rows[64];
	unsigned nrows;
	uint64_t allocated_total, reclaimed, highwater, current;
	uint64_t arena_size, pool_size;
	uint64_t bytes_allocated, bytes_available, unused_pools;
	uint64_t headers, quantization, alignment, total;
	bool has_map;
	uint64_t map_mid, map_bot;
	char *alloc_part; /* "Small block threshold" .. the last "Total" */
	char *text;
};

/* Loads and parses PATH; false (with a message on stderr) on failure. */
bool capture_load(const char *path, struct capture *c);
/* Parses TEXT (taking ownership). */
bool capture_parse(char *text, struct capture *c);
void capture_free(struct capture *c);

#endif
