/* SPDX-License-Identifier: MIT */
/*
 * mapquery.h - a process's mappings asked of the kernel one at a time
 * (PROCMAP_QUERY, Linux 6.11+), kept until forgotten.  Used through
 * maps.h (pmf__maps_query_open()), which is what callers see.
 */
#ifndef PMF_OS_MAPQUERY_H
#define PMF_OS_MAPQUERY_H

#include <sys/types.h>

#include "base/err.h"
#include "os/mapping.h"

struct pmf__mapq;

/* Opens the queries of PID's map into *OUT.  Returns 0, PMF_ENOTSUP when
 * the kernel cannot answer them (or PMF_FORCE_MAPS_READ=1), PMF_ESRCH,
 * PMF_EIO or PMF_ENOMEM. */
int pmf__mapq_open(pid_t pid, struct pmf__mapq **out, struct pmf__err *e);

/* The mapping containing ADDR, asked of the kernel unless it was since
 * the last pmf__mapq_forget(); NULL when nothing is mapped there.  Good
 * until the next call. */
const struct pmf__map *pmf__mapq_find(struct pmf__mapq *q, uint64_t addr);

/* Forgets every answer (they are asked again). */
void pmf__mapq_forget(struct pmf__mapq *q);

/* Kernel lookups made since the open. */
unsigned long pmf__mapq_queries(const struct pmf__mapq *q);

void pmf__mapq_free(struct pmf__mapq *q);

#endif
