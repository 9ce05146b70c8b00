/* SPDX-License-Identifier: MIT */
/*
 * mem.h - the memory-source table.  Everything above this layer reads the
 * target through pmf__mem_read()/pmf__mem_readv() and never knows whether
 * the bytes come from another process, from its own process or, in unit
 * tests, from a fake image.  Sources only read: none can write.
 */
#ifndef PMF_OS_MEM_H
#define PMF_OS_MEM_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"
#include "os/maps.h"

/* One piece of a batched read.  After pmf__mem_readv(), err is 0 when all
 * LEN bytes were read, or PMF_EFAULT when the range is not readable. */
struct pmf__iov {
	uint64_t addr;
	void *buf;
	size_t len;
	int err;
};

struct pmf__mem_ops {
	const char *name;
	/* Reads every element, marking unreadable ones.  Returns the number of
	 * elements that failed (>= 0), or a negative PMF code when the source
	 * itself failed (the process is gone, permission was refused). */
	long (*readv)(void *ctx, struct pmf__iov *iov, size_t n,
		      struct pmf__err *e);
	void (*close)(void *ctx);
	/* Optional: where [addr, addr+len) can be read in place, or NULL. */
	const void *(*direct)(void *ctx, uint64_t addr, size_t len);
};

struct pmf__mem {
	const struct pmf__mem_ops *ops;
	void *ctx;
	/* Counters for benchmarks and tests. */
	uint64_t calls;    /* readv requests made through this source */
	uint64_t elements; /* iov elements requested */
	uint64_t bytes;    /* bytes requested */
};

/* Another process: process_vm_readv(2) in batches of up to IOV_MAX
 * elements, with /proc/PID/mem as the fallback where the syscall is
 * missing (or when PMF_FORCE_PROC_MEM=1 is set in the environment, which
 * is how the tests exercise the fallback). */
int pmf__mem_open_remote(struct pmf__mem *m, pid_t pid, struct pmf__err *e);

/* The calling process.  Reads still go through the kernel, so a bad
 * pointer yields PMF_EFAULT instead of SIGSEGV. */
int pmf__mem_open_self(struct pmf__mem *m, struct pmf__err *e);

/* The calling process, copying directly (no syscall) where MAPS - which
 * the caller keeps current - shows that a load cannot fault: anonymous
 * memory, and the writable data of the file mapped in [IMG_START,
 * IMG_END) (the interpreter); through the kernel elsewhere.  Direct
 * copies start off: see pmf__mem_self_mode().  For in-process
 * snapshots taken with the GIL held (see mem_self.c). */
int pmf__mem_open_self_direct(struct pmf__mem *m,
			      const struct pmf__maps *maps,
			      uint64_t img_start, uint64_t img_end,
			      struct pmf__err *e);

/* How a pmf__mem_open_self_direct() source reads (no effect on other
 * sources). */
enum pmf__self_mode {
	PMF__SELF_KERNEL, /* everything through the kernel */
	/* Directly inside the ranges of pmf__mem_self_trust() where the
	 * (current) map shows a load cannot fault: only while nothing can
	 * unmap what the map shows there. */
	PMF__SELF_MAPS,
	/* Directly inside the ranges of pmf__mem_self_trust(), without the
	 * map: only while they are certain to stay mapped. */
	PMF__SELF_ARENAS,
};
void pmf__mem_self_mode(struct pmf__mem *m, enum pmf__self_mode mode);

struct pmf__range {
	uint64_t start, end; /* [start, end) */
};

/* The N ranges R the caller vouches for: nothing outside them is read
 * directly.  PMF__SELF_MAPS reads in place where they and the map agree;
 * PMF__SELF_ARENAS reads them without asking the map, so for it CUT
 * keeps only the parts that the map, read whole and current now, shows
 * a load cannot fault in.  0, PMF_ENOMEM, or PMF_EINVAL (CUT with a
 * queried map). */
int pmf__mem_self_trust(struct pmf__mem *m, const struct pmf__range *r,
			size_t n, bool cut);

/* True when the source of M fell back to (or was forced onto)
 * /proc/PID/mem. */
bool pmf__mem_uses_procfs(const struct pmf__mem *m);

void pmf__mem_close(struct pmf__mem *m);

/* A pointer through which [ADDR, ADDR+LEN) can be read in place, with
 * plain loads that cannot fault, or NULL when the range must be read with
 * pmf__mem_readv() (another process; a range the map does not show safe;
 * direct copies off).  Good until the source's map changes: for the walk
 * of one snapshot. */
const void *pmf__mem_direct(struct pmf__mem *m, uint64_t addr, size_t len);

/* Batched read; see pmf__mem_ops.readv. */
long pmf__mem_readv(struct pmf__mem *m, struct pmf__iov *iov, size_t n,
		    struct pmf__err *e);

/* Reads LEN bytes at ADDR, all or nothing: PMF_EFAULT (with the address in
 * the message) when any byte is unreadable. */
int pmf__mem_read(struct pmf__mem *m, uint64_t addr, void *buf, size_t len,
		  struct pmf__err *e);

int pmf__mem_read_u64(struct pmf__mem *m, uint64_t addr, uint64_t *out,
		      struct pmf__err *e);
int pmf__mem_read_u32(struct pmf__mem *m, uint64_t addr, uint32_t *out,
		      struct pmf__err *e);

#endif
