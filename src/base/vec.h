/* SPDX-License-Identifier: MIT */
/*
 * vec.h - growth for arrays of plain structs, with checked multiplication.
 * The array is (T *items, size_t n, size_t cap) in the owner's struct.
 */
#ifndef PMF_BASE_VEC_H
#define PMF_BASE_VEC_H

#include <stdbool.h>

#include "base/compat.h"

/* Ensures *ITEMS has room for NEED elements of ELSZ bytes, growing *CAP
 * geometrically.  Returns false (leaving the array intact) on overflow or
 * allocation failure. */
bool pmf__vec_reserve(void **items, size_t *cap, size_t need, size_t elsz);

/* Appends one element: evaluates to a pointer to the new, zeroed slot, or
 * NULL on allocation failure. */
#define PMF__VEC_PUSH(items, n, cap)                                         \
	(pmf__vec_reserve((void **)&(items), &(cap), (n) + 1,                \
			  sizeof(*(items)))                                  \
		 ? pmf__vec_zero(&(items)[(n)++], sizeof(*(items)))          \
		 : NULL)

void *pmf__vec_zero(void *slot, size_t elsz);

/* qsort(3) order of uint64_t values. */
int pmf__cmp_u64(const void *a, const void *b);

/* How many of the N elements of V (STRIDE bytes each, each starting with
 * a uint64_t key, sorted by it) have a key <= X: the one before that
 * index is the last at or below X. */
size_t pmf__count_le_u64(const void *v, size_t n, size_t stride, uint64_t x);

#endif
