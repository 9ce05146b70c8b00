/* SPDX-License-Identifier: MIT */
/*
 * u64tab.h - a hash table of fixed-size elements keyed by a nonzero
 * 64-bit value (an address, mostly) in their first 8 bytes: open
 * addressing, linear probing, kept at most half full.
 */
#ifndef PMF_BASE_U64TAB_H
#define PMF_BASE_U64TAB_H

#include <stdbool.h>

#include "base/compat.h"

struct pmf__u64tab {
	unsigned char *v; /* cap elements; a zero key is a free slot */
	size_t cap, n, elsz;
};

/* An empty table of ELSZ-byte elements (ELSZ >= 8). */
void pmf__u64tab_init(struct pmf__u64tab *t, size_t elsz);

/* The element of KEY, or NULL. */
void *pmf__u64tab_get(const struct pmf__u64tab *t, uint64_t key);

/* Adds KEY, which is not there, with the rest of its element zeroed;
 * NULL when out of memory.  Moves the other elements. */
void *pmf__u64tab_add(struct pmf__u64tab *t, uint64_t key);

/* The I-th slot's element, or NULL when the slot is free: for walking
 * every element, 0 <= I < t->cap. */
static inline void *
pmf__u64tab_slot(const struct pmf__u64tab *t, size_t i)
{
	unsigned char *e = t->v + i * t->elsz;
	uint64_t k;
	memcpy(&k, e, sizeof(k));
	return k != 0 ? e : NULL;
}

/* Empties the table, keeping its memory. */
void pmf__u64tab_clear(struct pmf__u64tab *t);

void pmf__u64tab_free(struct pmf__u64tab *t);

#endif
