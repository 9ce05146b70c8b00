/* SPDX-License-Identifier: MIT */
/*
 * vec.c - array growth.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"

bool
pmf__vec_reserve(void **items, size_t *cap, size_t need, size_t elsz)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap : 8;
	while (ncap < need) {
		if (PMF_MUL_OVERFLOW(ncap, (size_t)2, &ncap))
			return false;
	}
	size_t bytes;
	if (PMF_MUL_OVERFLOW(ncap, elsz, &bytes))
		return false;
	void *p = realloc(*items, bytes);
	if (p == NULL)
		return false;
	*items = p;
	*cap = ncap;
	return true;
}

void *
pmf__vec_zero(void *slot, size_t elsz)
{
	return memset(slot, 0, elsz);
}

int
pmf__cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

size_t
pmf__count_le_u64(const void *v, size_t n, size_t stride, uint64_t x)
{
	const unsigned char *b = v;
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t k;
		memcpy(&k, b + mid * stride, sizeof(k));
		if (k <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
