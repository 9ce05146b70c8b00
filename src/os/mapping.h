/* SPDX-License-Identifier: MIT */
/*
 * mapping.h - one mapping of a process's address space, as the kernel
 * describes it in /proc/PID/maps or in answer to PROCMAP_QUERY.
 */
#ifndef PMF_OS_MAPPING_H
#define PMF_OS_MAPPING_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct pmf__map {
	uint64_t start, end;  /* [start, end) */
	uint64_t offset;      /* file offset of start */
	unsigned dev_major, dev_minor;
	uint64_t inode;
	bool r, w, x, shared;
	bool deleted;         /* the path ended in " (deleted)" */
	const char *path;     /* "" for anonymous; owned by the map it came
	                         from (its text, or its answers) */
};

/* Sets MP's path to PATH, cutting a trailing " (deleted)" (in place)
 * into MP's deleted flag: the kernel's way of naming an unlinked file in
 * the maps text and in PROCMAP_QUERY's answers alike. */
static inline void
pmf__map_set_path(struct pmf__map *mp, char *path)
{
	static const char del[] = " (deleted)";
	size_t len = strlen(path);
	if (len >= sizeof(del) - 1 &&
	    strcmp(path + len - (sizeof(del) - 1), del) == 0) {
		mp->deleted = true;
		path[len - (sizeof(del) - 1)] = '\0';
	}
	mp->path = path;
}

#endif
