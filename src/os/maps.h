/* SPDX-License-Identifier: MIT */
/*
 * maps.h - a process's memory map: /proc/PID/maps read whole into a
 * sorted array, or asked of the kernel mapping by mapping (mapquery.h).
 */
#ifndef PMF_OS_MAPS_H
#define PMF_OS_MAPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"
#include "os/mapping.h"

struct pmf__mapq;

struct pmf__maps {
	struct pmf__map *v;
	size_t n, cap;
	char *text; /* owned copy of the file; paths point into it */
	/* A queried map (pmf__maps_query_open()) leaves V empty: lookups
	 * ask the kernel and keep the answers here until the next reset. */
	struct pmf__mapq *q;
	/* Bumped whenever the mappings may have changed (a reset, a new
	 * read): what a reader concluded from the map holds while it
	 * stays. */
	unsigned long gen;
};

/* Reads /proc/PID/maps. */
int pmf__maps_read(struct pmf__maps *m, pid_t pid, struct pmf__err *e);

/* Parses maps TEXT, taking ownership of it (malloc'd).  Malformed lines
 * make the whole parse fail with PMF_EIO. */
int pmf__maps_parse(struct pmf__maps *m, char *text, struct pmf__err *e);

/* Frees the map, whole or queried. */
void pmf__maps_free(struct pmf__maps *m);

/* Turns M into a queried map of PID (os/mapquery.c): its mappings are
 * asked of the kernel one at a time, as lookups need them.  PMF_ENOTSUP
 * on kernels before 6.11 (or with PMF_FORCE_MAPS_READ=1 in the
 * environment), M then unchanged. */
int pmf__maps_query_open(struct pmf__maps *m, pid_t pid, struct pmf__err *e);

/* Forgets what a queried map was told (at the start of each snapshot:
 * arenas come and go); nothing for a whole map.  Pointers from earlier
 * lookups are then invalid. */
void pmf__maps_query_reset(struct pmf__maps *m);

/* Kernel lookups a queried map has made since it was opened. */
unsigned long pmf__maps_queries(const struct pmf__maps *m);


/* The mapping containing ADDR, or NULL.  The pointer is good until the
 * next lookup (a queried map may move its entries). */
const struct pmf__map *pmf__maps_find(const struct pmf__maps *m,
				      uint64_t addr);

/* Anonymous memory a heap can live in: no file, or [heap], or a named
 * anonymous region ([anon:...]). */
bool pmf__map_is_anon(const struct pmf__map *mp);

/* True when [addr, addr+len) is covered by contiguous readable+writable
 * anonymous mappings.  Adjacent mmaps merge, so one arena can share a VMA
 * with others, and a VMA split by the kernel can cut through one. */
bool pmf__maps_range_is_anon_rw(const struct pmf__maps *m, uint64_t addr,
				uint64_t len);

/* True when [addr, addr+len) is covered by contiguous mappings each of
 * which OK (called with ARG) accepts; false for an empty or wrapping
 * range. */
bool pmf__maps_range_all(const struct pmf__maps *m, uint64_t addr,
			 uint64_t len,
			 bool (*ok)(const struct pmf__map *mp, const void *arg),
			 const void *arg);

/* True when [addr, addr+len) is readable in contiguous mappings. */
bool pmf__maps_range_readable(const struct pmf__maps *m, uint64_t addr,
			      uint64_t len);

#endif
