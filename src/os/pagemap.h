/* SPDX-License-Identifier: MIT */
/*
 * pagemap.h - which pages of a range are in RAM, in swap, or shared with
 * another process, from /proc/PID/pagemap (one 64-bit entry per page).
 * Only the flag bits are used: the frame numbers need CAP_SYS_ADMIN, the
 * flags do not.
 */
#ifndef PMF_OS_PAGEMAP_H
#define PMF_OS_PAGEMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/u64tab.h"

/* Flags of one page, as kept by the callers (one byte per page). */
enum {
	PMF__PG_PRESENT = 1u << 0,  /* in RAM */
	PMF__PG_SWAPPED = 1u << 1,  /* in swap */
	PMF__PG_SHARED = 1u << 2,   /* present and mapped by another
				       process as well */
};

struct pmf__pagemap {
	int fd;
	bool is_open;
	unsigned page_size;
	uint64_t reads; /* pread calls, for benchmarks */
};

/* Opens /proc/PID/pagemap.  PMF_EPERM or PMF_ESRCH on failure. */
int pmf__pagemap_open(struct pmf__pagemap *pm, pid_t pid,
		      struct pmf__err *e);

/* Reads the flags of the NPAGES pages from ADDR (page-aligned) into OUT,
 * one byte per page.  Unmapped pages read as 0. */
int pmf__pagemap_read(struct pmf__pagemap *pm, uint64_t addr, size_t npages,
		      uint8_t *out, struct pmf__err *e);

/* True when every page of [ADDR, ADDR+LEN) is in RAM: reading it then
 * changes nothing in the target (a read of a page not in RAM makes the
 * kernel map it, or bring it back from swap). */
bool pmf__pagemap_present(struct pmf__pagemap *pm, uint64_t addr,
			  size_t len);

/* The flags of scattered pages (candidate type objects, their names),
 * read a window of 2 MiB of address space at a time and kept: one pread
 * serves every later question about that window. */
struct pmf__pgcache {
	struct pmf__pagemap *pm;    /* NULL: every page counts as in RAM */
	struct pmf__u64tab windows; /* by window number + 1 */
	uint64_t reads;             /* windows read, for benchmarks */
};

void pmf__pgcache_init(struct pmf__pgcache *c, struct pmf__pagemap *pm);

/* pmf__pagemap_present() through the cache; false also when the flags
 * cannot be read. */
bool pmf__pgcache_present(struct pmf__pgcache *c, uint64_t addr, size_t len);

void pmf__pgcache_free(struct pmf__pgcache *c);

/* Converts one raw pagemap entry to PMF__PG_* flags (exposed for tests). */
uint8_t pmf__pagemap_flags(uint64_t entry);

void pmf__pagemap_close(struct pmf__pagemap *pm);

#endif
