/* SPDX-License-Identifier: MIT */
/*
 * scan.c - the memory route of the symbol-less locator.
 *
 * Pitfalls handled (research section 9): the table is a malloc block
 * whose size is a power-of-two multiple of 16 entries; only address and
 * nextarena are kept in unused entries; full arenas keep stale links;
 * adjacent arenas share one VMA; LTO reorders the statics, so maxarenas is
 * looked for near the pointer, not at a fixed distance.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "py/scan.h"

/* Bounds on the work a hostile or huge image can cause. */
#define MAX_SECTION (64u << 20)
#define MAX_TABLES 4096
#define MAX_TABLE_BYTES (64u << 20)

struct region {
	uint64_t addr; /* in the target */
	size_t len;
	unsigned char *buf;
};

static void
free_regions(struct region *r, int n)
{
	for (int i = 0; i < n; i++)
		free(r[i].buf);
}

/* Reads the image's .data and .bss (and .PyRuntime, where the statics
 * can also land) from the target. */
static int
read_sections(struct pmf__pyt *t, struct region *r, int max, uint64_t *bytes)
{
	static const char *names[] = {".data", ".bss", ".PyRuntime"};
	int n = 0;
	*bytes = 0;
	for (size_t i = 0; i < PMF_ARRAY_SIZE(names) && n < max; i++) {
		const Elf64_Shdr *sh = pmf__elf_section(&t->img.mod.elf,
							names[i]);
		if (sh == NULL || sh->sh_size == 0 || sh->sh_size > MAX_SECTION)
			continue;
		struct region *g = &r[n];
		g->addr = pmf__module_addr(&t->img.mod, sh->sh_addr) & ~7ull;
		g->len = (size_t)sh->sh_size & ~(size_t)7;
		g->buf = malloc(g->len);
		if (g->buf == NULL)
			break;
		if (pmf__mem_read(&t->mem, g->addr, g->buf, g->len, NULL) < 0) {
			free(g->buf);
			continue;
		}
		*bytes += g->len;
		n++;
	}
	return n;
}

/* Usable size of a glibc chunk with header word HDR, or 0 if it does not
 * look like one. */
static uint64_t
chunk_usable(uint64_t hdr)
{
	uint64_t size = hdr & ~7ull;
	uint64_t over = (hdr & 2) ? 16 : 8; /* mmapped chunks carry more */
	if (size < over + 16)
		return 0;
	return size - over;
}

/* Does the block at P hold a valid arena table of M entries?  Entries
 * are read a chunk at a time and the first bad one ends the check, so a
 * pointer into some large unrelated block costs one small read. */
static bool
table_ok(struct pmf__pyt *t, uint64_t p, uint32_t m)
{
	enum { CHUNK = 64 };
	unsigned char raw[CHUNK * PMF__AO_SIZE];
	uint64_t bytes = (uint64_t)m * PMF__AO_SIZE, live = 0;
	for (uint32_t i = 0; i < m;) {
		uint32_t n = m - i < CHUNK ? m - i : CHUNK;
		if (pmf__mem_read(&t->mem, p + (uint64_t)i * PMF__AO_SIZE, raw,
				  (size_t)n * PMF__AO_SIZE, NULL) < 0)
			return false;
		for (uint32_t k = 0; k < n; k++, i++) {
			struct pmf__ao a;
			pmf__ao_decode(raw + (size_t)k * PMF__AO_SIZE, &a);
			if (a.address == 0) {
				uint64_t nx = a.nextarena;
				if (nx != 0 &&
				    (nx < p || nx >= p + bytes ||
				     (nx - p) % PMF__AO_SIZE != 0))
					return false;
				continue;
			}
			live++;
			if (!pmf__ao_valid(&a, &t->geom, &t->maps, NULL, 0))
				return false;
		}
	}
	/* A table with no arena in it cannot be told from zeroed memory.
	 * The survivor gets the pool check, which needs the whole table. */
	if (live == 0)
		return false;
	unsigned char *all = malloc((size_t)bytes);
	struct pmf__ao *ao = malloc((size_t)m * sizeof(*ao));
	bool ok = all != NULL && ao != NULL &&
		  pmf__mem_read(&t->mem, p, all, (size_t)bytes, NULL) == 0;
	for (uint32_t i = 0; ok && i < m; i++)
		pmf__ao_decode(all + (size_t)i * PMF__AO_SIZE, &ao[i]);
	ok = ok && pmf__first_pools_bad(&t->mem, &t->geom, ao, m) == 0;
	free(all);
	free(ao);
	return ok;
}

/* Tries the pointer P, whose chunk header word is HDR, as the table;
 * returns its size or 0. */
static uint32_t
try_table(struct pmf__pyt *t, uint64_t p, uint64_t hdr, unsigned *tried)
{
	uint64_t usable = chunk_usable(hdr);
	if (usable < 16 * PMF__AO_SIZE || usable > MAX_TABLE_BYTES)
		return 0;
	/* maxarenas starts at 16 and doubles; the block is at least
	 * M * 48 bytes and malloc rounds up by less than one more M. */
	uint32_t best = 0;
	for (uint64_t m = 16; m * PMF__AO_SIZE <= usable; m *= 2) {
		if (usable >= 2 * m * PMF__AO_SIZE + 64)
			continue;
		(*tried)++;
		if (table_ok(t, p, (uint32_t)m))
			best = (uint32_t)m;
	}
	return best;
}

static bool
in_anon_rw(const struct pmf__maps *maps, uint64_t p)
{
	const struct pmf__map *mp = pmf__maps_find(maps, p);
	return mp != NULL && mp->r && mp->w && pmf__map_is_anon(mp);
}

/* Every distinct heap pointer in the regions, sorted. */
static uint64_t *
heap_pointers(struct pmf__pyt *t, const struct region *r, int n, size_t *np)
{
	size_t cap = 1024, k = 0;
	uint64_t *v = malloc(cap * sizeof(*v));
	for (int i = 0; v != NULL && i < n; i++) {
		for (size_t o = 0; o + 8 <= r[i].len; o += 8) {
			uint64_t p = pmf__ld64(r[i].buf + o);
			if (p < 0x10000 || p % 16 != 0 ||
			    !in_anon_rw(&t->maps, p))
				continue;
			if (k == cap) {
				uint64_t *nv = realloc(v, 2 * cap * sizeof(*v));
				if (nv == NULL)
					break;
				v = nv;
				cap *= 2;
			}
			v[k++] = p;
		}
	}
	if (v == NULL) {
		*np = 0;
		return NULL;
	}
	qsort(v, k, sizeof(*v), pmf__cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < k; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	*np = u;
	return v;
}

static void
find_vars(const struct region *r, int n, struct pmf__scan *s)
{
	for (int i = 0; i < n; i++)
		for (size_t o = 0; o + 8 <= r[i].len && s->nvars < 4; o += 8)
			if (pmf__ld64(r[i].buf + o) == s->table)
				s->vars[s->nvars++] = r[i].addr + o;
	/* maxarenas: a u32 equal to the table size within 1 KiB of the
	 * pointer; the nearest one wins. */
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < n && s->nvars > 0; i++) {
		for (size_t o = 0; o + 4 <= r[i].len; o += 4) {
			uint64_t a = r[i].addr + o;
			uint64_t d = a > s->vars[0] ? a - s->vars[0]
						    : s->vars[0] - a;
			if (d > 1024 || d >= best)
				continue;
			if (pmf__ld32(r[i].buf + o) == s->maxarenas) {
				best = d;
				s->maxarenas_var = a;
			}
		}
	}
}

/* Is the window at ADDR (N pointers) usedpools? */
static bool
usedpools_at(struct pmf__pyt *t, const unsigned char *w, uint64_t addr,
	     unsigned n, const struct pmf__scan *s)
{
	struct pmf__iov iov[PMF__USEDPOOLS_MAX / 2];
	unsigned char hdr[PMF__USEDPOOLS_MAX / 2][PMF__PH_SIZE];
	unsigned cls[PMF__USEDPOOLS_MAX / 2];
	size_t k = 0;
	for (unsigned i = 0; 2 * i + 1 < n; i++) {
		uint64_t self = addr + 16 * (uint64_t)i - 16;
		uint64_t head = pmf__ld64(w + 16 * i);
		uint64_t tail = pmf__ld64(w + 16 * i + 8);
		if (head == self && tail == self)
			continue;
		if (s->table == 0 || head == self || tail == self ||
		    head % t->geom.pool_size || tail % t->geom.pool_size ||
		    !in_anon_rw(&t->maps, head) || !in_anon_rw(&t->maps, tail))
			return false;
		iov[k] = (struct pmf__iov){.addr = head, .buf = hdr[k],
					   .len = PMF__PH_SIZE};
		cls[k++] = i;
	}
	if (k > 0 && pmf__mem_readv(&t->mem, iov, k, NULL) != 0)
		return false;
	for (size_t j = 0; j < k; j++)
		if (pmf__ld32(hdr[j] + PMF__PH_SZIDX) != cls[j] ||
		    pmf__ld32(hdr[j] + PMF__PH_COUNT) == 0)
			return false;
	return true;
}

static void
find_usedpools(struct pmf__pyt *t, const struct region *r, int n,
	       struct pmf__scan *s)
{
	/* 32 classes of 16 bytes; old 3.6/3.7 builds had 64 of 8. */
	unsigned sizes[2] = {64, 128};
	for (int z = 0; z < (t->geom.may_be_8 ? 2 : 1); z++) {
		unsigned words = sizes[z];
		for (int i = 0; i < n; i++) {
			for (size_t o = 0; o + 8 * words <= r[i].len; o += 8) {
				uint64_t a = r[i].addr + o;
				const unsigned char *w = r[i].buf + o;
				/* Cheap rejection on the first pair. */
				uint64_t h0 = pmf__ld64(w), t0 = pmf__ld64(w + 8);
				if (!(h0 == a - 16 && t0 == a - 16) &&
				    (h0 % t->geom.pool_size != 0 || h0 == 0))
					continue;
				if (!usedpools_at(t, w, a, words, s))
					continue;
				s->usedpools = a;
				s->nusedpools = words;
				return;
			}
		}
	}
}

int
pmf__scan_statics(struct pmf__pyt *t, struct pmf__scan *s, struct pmf__err *e)
{
	struct region r[3];
	memset(s, 0, sizeof(*s));
	int n = read_sections(t, r, 3, &s->scanned);
	if (n == 0)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "cannot read the .data/.bss of %s",
				    t->img.mod.path);
	size_t np = 0;
	uint64_t *ptrs = heap_pointers(t, r, n, &np);
	/* The chunk header before each pointer, in one batched read. */
	struct pmf__iov *iov = calloc(np + 1, sizeof(*iov));
	uint64_t *hdr = calloc(np + 1, sizeof(*hdr));
	if (ptrs == NULL || iov == NULL || hdr == NULL)
		np = 0;
	for (size_t i = 0; i < np; i++)
		iov[i] = (struct pmf__iov){.addr = ptrs[i] - 8, .buf = &hdr[i],
					   .len = 8};
	if (np > 0 && pmf__mem_readv(&t->mem, iov, np, NULL) < 0)
		np = 0;
	for (size_t i = 0; i < np && s->candidates < MAX_TABLES; i++) {
		if (iov[i].err != 0)
			continue;
		uint32_t m = try_table(t, ptrs[i], pmf__ld64(&hdr[i]),
				       &s->candidates);
		if (m == 0)
			continue;
		s->tables++;
		if (s->table == 0) {
			s->table = ptrs[i];
			s->maxarenas = m;
		}
	}
	free(ptrs);
	free(iov);
	free(hdr);
	int rc = 0;
	if (s->tables > 1) {
		rc = pmf__err_set(e, PMF_ECORRUPT,
				  "%u blocks validate as the arena table",
				  s->tables);
	} else {
		if (s->table != 0)
			find_vars(r, n, s);
		find_usedpools(t, r, n, s);
	}
	free_regions(r, n);
	return rc;
}
