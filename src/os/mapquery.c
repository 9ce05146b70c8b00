/* SPDX-License-Identifier: MIT */
/*
 * mapquery.c - a memory map asked of the kernel one mapping at a time
 * (the PROCMAP_QUERY ioctl on /proc/PID/maps, Linux 6.11+).
 *
 * A snapshot needs a current map to know which reads are safe, but it
 * looks at a handful of mappings: the interpreter's data, the arena
 * table, the arenas (adjacent mmaps merge into a few VMAs).  Reading the
 * whole of /proc/PID/maps has the kernel format every mapping, file paths
 * above all, which for an in-process snapshot costs more than the walk
 * itself.  A queried map instead starts empty at each snapshot
 * (pmf__maps_query_reset()) and asks for the mapping that covers an
 * address the first time a lookup needs it, keeping the answer until the
 * next reset.  The answer is as current as a whole read at that moment.
 *
 * The ioctl's structure is the kernel's ABI (include/uapi/linux/fs.h);
 * it is spelled out here because Debian 12's headers predate it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/vec.h"
#include "os/mapquery.h"

struct pmf__procmap_query {
	uint64_t size;        /* in: sizeof this structure */
	uint64_t query_flags; /* in */
	uint64_t query_addr;  /* in */
	uint64_t vma_start;   /* out */
	uint64_t vma_end;     /* out */
	uint64_t vma_flags;   /* out: QVMA_* */
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major, dev_minor;
	uint32_t vma_name_size; /* in: buffer size; out: length + 1, or 0 */
	uint32_t build_id_size;
	uint64_t vma_name_addr; /* in: where the name goes */
	uint64_t build_id_addr;
};

_Static_assert(sizeof(struct pmf__procmap_query) == 104,
	       "struct procmap_query is 104 bytes in the kernel's ABI");

/* _IOWR('f', 17, struct procmap_query) */
#define PROCMAP_QUERY 0xc0686611UL
#define QVMA_READ 0x01
#define QVMA_WRITE 0x02
#define QVMA_EXEC 0x04
#define QVMA_SHARED 0x08
#define QUERY_COVERING_OR_NEXT 0x10

/* Mappings kept between resets, and names stored per block.  A snapshot
 * looks up some tens; the bound only keeps a runaway caller finite. */
#define MAX_CACHED 4096
#define NAME_BLOCK 4096
/* The kernel's names are at most PATH_MAX with the NUL (" (deleted)"
 * included); one it cannot fit (ENAMETOOLONG) leaves the mapping unknown,
 * and reads there go through the kernel. */
#define NAME_MAX_LEN 4096

struct name_block {
	struct name_block *next;
	size_t used, size;
	char text[];
};

struct pmf__mapq {
	int fd; /* /proc/PID/maps */
	struct pmf__map *v; /* sorted, disjoint: the mappings looked up */
	size_t n, cap;
	struct name_block *names; /* paths of V point in here */
	unsigned long queries;    /* since open, for tests and logs */
};

/* Asks for the mapping covering ADDR (with COVERING_OR_NEXT: the first
 * one at or above it).  NAME receives its path.  Returns 0, or -errno. */
static int
query(int fd, uint64_t addr, unsigned flags, struct pmf__procmap_query *q,
      char *name, size_t namelen)
{
	memset(q, 0, sizeof(*q));
	q->size = sizeof(*q);
	q->query_flags = flags;
	q->query_addr = addr;
	q->vma_name_size = (uint32_t)namelen;
	q->vma_name_addr = (uint64_t)(uintptr_t)name;
	if (ioctl(fd, PROCMAP_QUERY, q) < 0)
		return -errno;
	if (q->vma_name_size == 0)
		name[0] = '\0';
	name[namelen - 1] = '\0';
	return 0;
}

static char *
store_name(struct pmf__mapq *q, const char *name)
{
	size_t len = strlen(name) + 1;
	struct name_block *b = q->names;
	if (b == NULL || b->size - b->used < len) {
		size_t size = len > NAME_BLOCK ? len : NAME_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->next = q->names;
		b->used = 0;
		b->size = size;
		q->names = b;
	}
	char *p = b->text + b->used;
	memcpy(p, name, len);
	b->used += len;
	return p;
}

static void
forget(struct pmf__mapq *q)
{
	while (q->names != NULL) {
		struct name_block *b = q->names;
		q->names = b->next;
		free(b);
	}
	q->n = 0;
}

int
pmf__mapq_open(pid_t pid, struct pmf__mapq **out, struct pmf__err *e)
{
	char path[64];
	const char *force = getenv("PMF_FORCE_MAPS_READ");
	*out = NULL;
	if (force != NULL && strcmp(force, "1") == 0)
		return pmf__err_set(e, PMF_ENOTSUP,
				    "PMF_FORCE_MAPS_READ=1: the map is read "
				    "whole when the arenas change");
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pmf__err_sys(e, errno == ENOENT ? PMF_ESRCH : PMF_EIO,
				    errno, "cannot open %s", path);
	/* Kernels before 6.11 answer ENOTTY: they read the map whole. */
	struct pmf__procmap_query pq;
	char name[NAME_MAX_LEN];
	int rc = query(fd, 0, QUERY_COVERING_OR_NEXT, &pq, name, sizeof(name));
	if (rc < 0) {
		close(fd);
		return pmf__err_set(e, PMF_ENOTSUP,
				    "the kernel cannot be asked for one "
				    "mapping (PROCMAP_QUERY: %s): the map is "
				    "read whole when the arenas change",
				    strerror(-rc));
	}
	struct pmf__mapq *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		close(fd);
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	}
	q->fd = fd;
	*out = q;
	return 0;
}

void
pmf__mapq_forget(struct pmf__mapq *q)
{
	forget(q);
}

unsigned long
pmf__mapq_queries(const struct pmf__mapq *q)
{
	return q->queries;
}

void
pmf__mapq_free(struct pmf__mapq *q)
{
	if (q == NULL)
		return;
	forget(q);
	free(q->v);
	close(q->fd);
	free(q);
}

/* Where ADDR's mapping is or would go in V. */
static size_t
slot_of(const struct pmf__mapq *q, uint64_t addr)
{
	size_t lo = 0, hi = q->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr >= q->v[mid].end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct pmf__map *
pmf__mapq_find(struct pmf__mapq *q, uint64_t addr)
{
	size_t i = slot_of(q, addr);
	if (i < q->n && addr >= q->v[i].start)
		return &q->v[i];
	struct pmf__procmap_query pq;
	char name[NAME_MAX_LEN];
	q->queries++;
	/* Not mapped (ENOENT), or the process is gone (ESRCH): either way
	 * nothing is there to read. */
	if (query(q->fd, addr, 0, &pq, name, sizeof(name)) < 0)
		return NULL;
	if (pq.vma_start > addr || pq.vma_end <= addr)
		return NULL;
	if (q->n >= MAX_CACHED)
		forget(q);
	char *path = store_name(q, name);
	if (path == NULL || !pmf__vec_reserve((void **)&q->v, &q->cap,
					      q->n + 1, sizeof(*q->v)))
		return NULL;
	struct pmf__map mp = {
		.start = pq.vma_start,
		.end = pq.vma_end,
		.offset = pq.vma_offset,
		.dev_major = pq.dev_major,
		.dev_minor = pq.dev_minor,
		.inode = pq.inode,
		.r = pq.vma_flags & QVMA_READ,
		.w = pq.vma_flags & QVMA_WRITE,
		.x = pq.vma_flags & QVMA_EXEC,
		.shared = pq.vma_flags & QVMA_SHARED,
	};
	pmf__map_set_path(&mp, path);
	/* A cached mapping that overlaps the answer has changed since it
	 * was asked for (the map is reset at each snapshot, but callers
	 * can look up across a munmap): the kernel's answer wins. */
	i = slot_of(q, mp.start);
	size_t j = i;
	while (j < q->n && q->v[j].start < mp.end)
		j++;
	if (j > i) {
		memmove(q->v + i + 1, q->v + j, (q->n - j) * sizeof(*q->v));
		q->n -= j - i - 1;
	} else {
		memmove(q->v + i + 1, q->v + i, (q->n - i) * sizeof(*q->v));
		q->n++;
	}
	q->v[i] = mp;
	return &q->v[i];
}
