/* SPDX-License-Identifier: MIT */
/*
 * u64tab.c - a hash table keyed by nonzero 64-bit values (u64tab.h).
 */
#include "config.h"

#include <stdlib.h>

#include "base/u64tab.h"

static size_t
hash(uint64_t k)
{
	/* Addresses are 8- or 16-aligned: the low bits carry nothing. */
	return (size_t)((k >> 3) * 0x9E3779B97F4A7C15ull);
}

static uint64_t
key_of(const unsigned char *e)
{
	uint64_t k;
	memcpy(&k, e, sizeof(k));
	return k;
}

void
pmf__u64tab_init(struct pmf__u64tab *t, size_t elsz)
{
	*t = (struct pmf__u64tab){.elsz = elsz};
}

void *
pmf__u64tab_get(const struct pmf__u64tab *t, uint64_t key)
{
	if (t->cap == 0)
		return NULL;
	for (size_t h = hash(key);; h++) {
		unsigned char *e = t->v + (h & (t->cap - 1)) * t->elsz;
		uint64_t k = key_of(e);
		if (k == key)
			return e;
		if (k == 0)
			return NULL;
	}
}

/* The free slot for KEY in a table of CAP slots at V. */
static unsigned char *
slot(unsigned char *v, size_t cap, size_t elsz, uint64_t key)
{
	size_t h = hash(key);
	while (key_of(v + (h & (cap - 1)) * elsz) != 0)
		h++;
	return v + (h & (cap - 1)) * elsz;
}

void *
pmf__u64tab_add(struct pmf__u64tab *t, uint64_t key)
{
	if (2 * (t->n + 1) > t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 64;
		unsigned char *nv = calloc(ncap, t->elsz);
		if (nv == NULL)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			const unsigned char *e = t->v + i * t->elsz;
			uint64_t k = key_of(e);
			if (k != 0)
				memcpy(slot(nv, ncap, t->elsz, k), e, t->elsz);
		}
		free(t->v);
		t->v = nv;
		t->cap = ncap;
	}
	unsigned char *e = slot(t->v, t->cap, t->elsz, key);
	memset(e, 0, t->elsz);
	memcpy(e, &key, sizeof(key));
	t->n++;
	return e;
}

void
pmf__u64tab_clear(struct pmf__u64tab *t)
{
	if (t->cap > 0)
		memset(t->v, 0, t->cap * t->elsz);
	t->n = 0;
}

void
pmf__u64tab_free(struct pmf__u64tab *t)
{
	free(t->v);
	pmf__u64tab_init(t, t->elsz);
}
