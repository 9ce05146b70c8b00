/* SPDX-License-Identifier: MIT */
/*
 * maps.h - /proc/PID/maps as a sorted array of mappings.
 */
#ifndef PMF_OS_MAPS_H
#define PMF_OS_MAPS_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

struct pmf__map {
	uint64_t start, end;  /* [start, end) */
	uint64_t offset;      /* file offset of start */
	unsigned dev_major, dev_minor;
	uint64_t inode;
	bool r, w, x, shared;
	bool deleted;         /* the path ended in " (deleted)" */
	const char *path;     /* "" for anonymous; points into the maps text */
};

struct pmf__maps {
	struct pmf__map *v;
	size_t n, cap;
	char *text; /* owned copy of the file; paths point into it */
};

/* Reads /proc/PID/maps. */
int pmf__maps_read(struct pmf__maps *m, pid_t pid, struct pmf__err *e);

/* Parses maps TEXT, taking ownership of it (malloc'd).  Malformed lines
 * make the whole parse fail with PMF_EIO. */
int pmf__maps_parse(struct pmf__maps *m, char *text, struct pmf__err *e);

void pmf__maps_free(struct pmf__maps *m);

/* The mapping containing ADDR, or NULL. */
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
