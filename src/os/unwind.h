/* SPDX-License-Identifier: MIT */
/*
 * unwind.h - the innermost frames of a stopped thread of another process,
 * through libunwind.  The only interface to libunwind in pymfrag: nothing
 * else includes it.
 *
 * libunwind's own ptrace accessors (_UPT_accessors) read memory a word at
 * a time with PTRACE_PEEKDATA and have a write path through ptrace.  This
 * unwinder gives libunwind accessors of its own instead: memory comes from
 * pymfrag's memory source (batched process_vm_readv), registers from one
 * PTRACE_GETREGSET per thread, and every write request is refused, so the
 * unwinder cannot modify the target even if libunwind asked it to.  Only
 * the unwind tables are looked up with libunwind-ptrace's helper.
 */
#ifndef PMF_OS_UNWIND_H
#define PMF_OS_UNWIND_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"
#include "os/maps.h"
#include "os/mem.h"

/* libunwind-ptrace keeps the unwind tables of one file at a time, and
 * reloads (re-reading /proc/PID/maps, mapping the file) whenever the
 * next frame is in another one: a stack alternating between libc and
 * libpython would reload at every frame.  One handle per file keeps each
 * file's tables loaded. */
#define PMF__UNWIND_FILES 16

struct pmf__unwind_file {
	uint64_t inode;
	unsigned dev_major, dev_minor;
	void *upt; /* libunwind-ptrace's data for this file */
};

/* libunwind reads the target a word at a time (unwind tables, CIEs,
 * FDEs, stack slots): words are served from aligned lines read whole, so
 * that neighbouring words cost no more system calls.  Lines never cross
 * a page, so a readable word means a readable line.  Emptied at every
 * unwind: stacks change between stops. */
#define PMF__UNWIND_LINES 32
#define PMF__UNWIND_LINE 256

struct pmf__unwind_line {
	uint64_t addr; /* 0: empty */
	unsigned char b[PMF__UNWIND_LINE];
};

struct pmf__unwind {
	void *as;  /* unw_addr_space_t */
	void *upt; /* for code outside any file (anonymous mappings) */
	struct pmf__unwind_file files[PMF__UNWIND_FILES];
	unsigned nfiles;
	struct pmf__unwind_line lines[PMF__UNWIND_LINES];
	struct pmf__mem *mem;
	const struct pmf__maps *maps;
	pid_t pid;
};

/* True when pymfrag was built with libunwind. */
bool pmf__unwind_available(void);

/* Prepares unwinding the threads of PID, reading its memory through MEM
 * and telling its files apart with MAPS (both must outlive U; MAPS may be
 * re-read in place).  PMF_ENOTSUP without libunwind. */
int pmf__unwind_open(struct pmf__unwind *u, pid_t pid, struct pmf__mem *mem,
		     const struct pmf__maps *maps, struct pmf__err *e);

/* Fills IPS with the instruction pointers of the innermost frames of
 * thread TID, which must be in a ptrace stop: IPS[0] is where the thread
 * is, the others are return addresses.  At most MAX frames.  Returns the
 * number of frames read (>= 1), or a negative PMF code when not even the
 * registers could be read. */
int pmf__unwind_ips(struct pmf__unwind *u, pid_t tid, uint64_t *ips,
		    unsigned max, struct pmf__err *e);

/* Loads the unwind tables of the file mapped at ADDR now, so that the
 * first unwind through it (inside a pause) does not pay for it.  Needs no
 * stopped thread. */
void pmf__unwind_warm(struct pmf__unwind *u, uint64_t addr);

void pmf__unwind_close(struct pmf__unwind *u);

#endif
