/* SPDX-License-Identifier: MIT */
/*
 * fuzz_maps.c - the /proc/PID/maps parser (src/os/maps.c) over arbitrary
 * text, then the queries the checks make of the result.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "os/maps.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_text(data, size);
	struct pmf__maps m = {0};
	struct pmf__err e = {0};
	if (pmf__maps_parse(&m, text, &e) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			const struct pmf__map *mp = &m.v[i];
			(void)strlen(mp->path);
			(void)pmf__map_is_anon(mp);
			(void)pmf__maps_find(&m, mp->start);
			(void)pmf__maps_find(&m, mp->end - 1);
			(void)pmf__maps_range_is_anon_rw(&m, mp->start,
							 mp->end - mp->start);
			(void)pmf__maps_range_readable(&m, mp->start,
						       mp->end - mp->start + 1);
			(void)pmf__maps_range_readable(&m, mp->end - 8, ~0ull);
		}
	}
	pmf__maps_free(&m);
	return 0;
}
