/* SPDX-License-Identifier: MIT */
/*
 * objtype.c - classifying the live blocks of pools read from a target
 * (rules in objtype.h).
 */
#include "config.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "py/layout.h"
#include "py/objtype.h"

/* A block waiting for a candidate type to be resolved. */
struct pmf__pending {
	const unsigned char *q;
	uint64_t addr;
	uint32_t size;
};

#define PENDING UINT32_MAX

#if defined(__x86_64__) && defined(__GNUC__)
static unsigned scan_avx512(const unsigned char *blocks, uint64_t lo,
			    uint64_t span, unsigned size, uint64_t m,
			    unsigned carved, uint64_t bits[16]);
#endif

/* ------------------------------------------------------------------ */
/* Tallies                                                             */
/* ------------------------------------------------------------------ */

void
pmf__tally_add(struct pmf__tally *t, uint32_t id, uint64_t n, uint64_t bytes)
{
	if (id >= t->cap) {
		size_t ncap = t->cap ? t->cap : 64;
		while (ncap <= id)
			ncap *= 2;
		uint64_t *c = realloc(t->count, ncap * sizeof(*c));
		if (c != NULL)
			t->count = c;
		uint64_t *b = realloc(t->bytes, ncap * sizeof(*b));
		if (b != NULL)
			t->bytes = b;
		if (c == NULL || b == NULL) {
			t->oom = true;
			return;
		}
		memset(c + t->cap, 0, (ncap - t->cap) * sizeof(*c));
		memset(b + t->cap, 0, (ncap - t->cap) * sizeof(*b));
		t->cap = ncap;
	}
	if (t->count[id] == 0 && t->bytes[id] == 0) {
		uint32_t *slot = PMF__VEC_PUSH(t->touched, t->ntouched, t->tcap);
		if (slot == NULL) {
			t->oom = true;
			return;
		}
		*slot = id;
	}
	t->count[id] += n;
	t->bytes[id] += bytes;
}

void
pmf__tally_reset(struct pmf__tally *t)
{
	for (size_t i = 0; i < t->ntouched; i++) {
		t->count[t->touched[i]] = 0;
		t->bytes[t->touched[i]] = 0;
	}
	t->ntouched = 0;
}

void
pmf__tally_free(struct pmf__tally *t)
{
	free(t->count);
	free(t->bytes);
	free(t->touched);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* One block                                                           */
/* ------------------------------------------------------------------ */

void
pmf__blocks_init(struct pmf__blocks *b, const struct pmf__objlayout *l,
		 const struct pmf__geom *g, struct pmf__typeres *r,
		 enum pmf__hooks hooks)
{
	memset(b, 0, sizeof(*b));
	b->l = l;
	b->g = g;
	b->r = r;
	b->hooks = hooks;
	/* The hooks put a big-endian size and the API id ('o', 'm', 'r')
	 * with 7 bytes of 0xFD before the data; a guard after it, and up
	 * to 3.7 a serial number. */
	b->dbg_extra = l->minor <= 7 ? 32 : 24;
	b->offsets[b->noffsets++] = 0;
	b->offsets[b->noffsets++] = l->gc_size;
	if (l->managed_pre != 0)
		b->offsets[b->noffsets++] = l->gc_size + l->managed_pre;
	for (unsigned c = 0; c < g->nclasses && c < PMF__MAX_CLASSES; c++)
		b->div[c] = pmf__divider(pmf__geom_size(g, c));
#if defined(__x86_64__) && defined(__GNUC__)
	/* Without AVX-512 the scan is no faster than the chain. */
	if (getenv("PMF_NO_AVX512") == NULL &&
	    __builtin_cpu_supports("avx512f") &&
	    __builtin_cpu_supports("avx512dq"))
		b->scan = scan_avx512;
#endif
	/* A PyFloatObject is 24 bytes (plus the hooks' own). */
	b->float_block[0] = (unsigned)pmf__round_up(24, g->alignment);
	b->float_block[1] = (unsigned)pmf__round_up(24 + b->dbg_extra,
						    g->alignment);
}

/* True when the block at Q (SIZE bytes) carries the debug hooks' prefix:
 * an API id, then seven forbidden bytes. */
static bool
hooked(const struct pmf__blocks *b, const unsigned char *q, unsigned size)
{
	static const unsigned char fd[7] = {0xfd, 0xfd, 0xfd, 0xfd,
					    0xfd, 0xfd, 0xfd};
	return size >= b->dbg_extra + 16 &&
	       (q[8] == 'o' || q[8] == 'm' || q[8] == 'r') &&
	       memcmp(q + 9, fd, sizeof(fd)) == 0;
}

void
pmf__blocks_free(struct pmf__blocks *b)
{
	free(b->nonobj.v);
	for (size_t k = 0; k < PMF_ARRAY_SIZE(b->owned); k++)
		free(b->owned[k].v);
	free(b->pend);
	memset(&b->nonobj, 0, sizeof(b->nonobj));
	memset(b->owned, 0, sizeof(b->owned));
	b->pend = NULL;
	b->npend = b->cpend = 0;
}

/* Keeps the id of the block holding PTR in V. */
static void
keep_id(struct pmf__blocks *b, struct pmf__ids *v, uint64_t ptr)
{
	uint32_t id;
	if (ptr == 0 || b->blockid == NULL || !b->blockid(b->ctx, ptr, &id))
		return;
	if (v->n >= PMF__LABELS_MAX) {
		b->labels_dropped++;
		return;
	}
	uint32_t *slot = PMF__VEC_PUSH(v->v, v->n, v->cap);
	if (slot == NULL)
		b->oom = true;
	else
		*slot = id;
}

/* Notes that a live object owns the buffer PTR (of kind ID). */
static void
own(struct pmf__blocks *b, uint64_t ptr, uint32_t id)
{
	keep_id(b, &b->owned[id - PMF__T_LISTITEMS], ptr);
}

/* Does the object at O (AVAIL bytes of block left from its start), of
 * type T, fit?  Its size is its type's basic size, plus its items for a
 * variable-size type, or for str what its state and length say. */
static bool
fits(const struct pmf__objlayout *l, const struct pmf__tinfo *t,
     const unsigned char *o, uint64_t avail)
{
	const unsigned char *ob = o + l->ob_off;
	uint64_t need = t->basicsize;
	if (t->kind == PMF__K_STR) {
		uint32_t st = pmf__ld32(ob + l->str_state);
		unsigned kind = (st >> 2) & 7, ascii = (st >> 6) & 1;
		uint64_t len = pmf__ld64(ob + l->str_length);
		if (kind != 1 && kind != 2 && kind != 4)
			return false;
		if ((st >> 5) & 1) { /* compact: the characters follow */
			if (len >= avail || (ascii && kind != 1))
				return false;
			need = l->ob_off + (ascii ? l->str_ascii : l->str_compact) +
			       (len + 1) * kind;
		}
	} else if (t->itemsize != 0) {
		uint64_t n = pmf__ld64(ob + l->ob_size);
		if (t->kind == PMF__K_LONG && l->long_tag)
			n >>= 3; /* lv_tag: digits << 3 | sign */
		else if ((int64_t)n < 0)
			n = (uint64_t)-(int64_t)n;
		if (n > avail)
			return false;
		need += n * t->itemsize;
	}
	return need <= avail;
}

/* Records the buffers an object of type T at O (its address OA) owns. */
static void
owners(struct pmf__blocks *b, const struct pmf__tinfo *t,
       const unsigned char *o, uint64_t oa, unsigned off)
{
	const struct pmf__objlayout *l = b->l;
	const unsigned char *ob = o + l->ob_off;
	switch (t->kind) {
	case PMF__K_LIST:
		own(b, pmf__ld64(ob + l->list_items), PMF__T_LISTITEMS);
		break;
	case PMF__K_DICT:
		own(b, pmf__ld64(ob + l->dict_keys), PMF__T_DICTKEYS);
		own(b, pmf__ld64(ob + l->dict_values), PMF__T_DICTVALUES);
		break;
	case PMF__K_SET: {
		uint64_t table = pmf__ld64(ob + l->set_table);
		if (table != oa + l->ob_off + l->set_small)
			own(b, table, PMF__T_SETTABLE);
		break;
	}
	default:
		break;
	}
	if (!(t->flags & PMF__TPF_MANAGED_DICT))
		return;
	/* The pre-header: 3.11 keeps the values pointer in its first word,
	 * 3.12 tags it in the second (bit 0 set: values, else a dict). */
	if (l->prevalues == PMF__PREVAL_311 && off >= 32) {
		own(b, pmf__ld64(o - 32), PMF__T_DICTVALUES);
	} else if (l->prevalues == PMF__PREVAL_TAGGED && off >= 24) {
		uint64_t v = pmf__ld64(o - 24);
		if (v & 1)
			own(b, v & ~7ull, PMF__T_DICTVALUES);
	}
}

uint32_t
pmf__blocks_classify(struct pmf__blocks *b, const unsigned char *q,
		     uint64_t addr, unsigned size)
{
	const struct pmf__objlayout *l = b->l;
	const unsigned char *d = q;
	unsigned dsize = size, prefix = 0;
	/* Where the allocator could not be told apart (a stripped debug
	 * build), each block says whether the hooks wrap it. */
	bool hk = b->hooks == PMF__HOOKS_ON ||
		  (b->hooks == PMF__HOOKS_AUTO && hooked(b, q, size));
	if (hk) {
		/* Only the object domain ('o') holds objects. */
		if (size < b->dbg_extra + 16 || q[8] != 'o')
			return PMF__T_NONOBJ;
		prefix = 16;
		d += prefix;
		dsize -= b->dbg_extra;
	}
	uint64_t daddr = addr + prefix;
	bool undecided = false, pending = false;
	for (unsigned k = 0; k < b->noffsets; k++) {
		unsigned o = b->offsets[k];
		if (o + l->ob_off + 16 > dsize)
			break;
		const unsigned char *ob = d + o + l->ob_off;
		const struct pmf__tinfo *t;
		switch (pmf__typeres_find(b->r, pmf__ld64(ob + 8), &t)) {
		case PMF__TS_PENDING:
			/* The other offsets' candidates are queued too, so
			 * that one batch decides the block. */
			pending = true;
			continue;
		case PMF__TS_UNDECIDED:
			undecided = true;
			continue;
		case PMF__TS_NOT:
			continue;
		case PMF__TS_TYPE:
			break;
		}
		if (pending || t->pre != o)
			continue;
		uint64_t rc = pmf__ld64(ob);
		enum pmf__refstate rs = pmf__objlayout_refstate(l, rc);
		/* 3.14 links a free-listed object through its refcount:
		 * to another block, or NULL at the end. */
		if (rs == PMF__REF_BAD ||
		    (rs == PMF__REF_DEAD && rc != 0 &&
		     !pmf__typeres_in_arena(b->r, rc)))
			continue;
		if (!fits(l, t, d + o, dsize - o))
			continue;
		if (rs == PMF__REF_DEAD)
			return PMF__T_FREELISTED;
		owners(b, t, d + o, daddr + o, o);
		return t->id;
	}
	if (pending)
		return PENDING;
	/* Up to 3.13 a free-listed float is linked through ob_type, to
	 * another float or NULL, with a refcount of 0. */
	if (!l->refcnt_split && size == b->float_block[hk] &&
	    pmf__ld64(d + l->ob_off) == 0) {
		uint64_t link = pmf__ld64(d + l->ob_off + 8);
		if (link == 0 || pmf__typeres_in_arena(b->r, link))
			return PMF__T_FREELISTED;
	}
	return undecided ? PMF__T_UNKNOWN : PMF__T_NONOBJ;
}

/* Counts block ADDR as ID. */
static void
count(struct pmf__blocks *b, uint32_t id, uint64_t addr, unsigned size)
{
	pmf__tally_add(b->tally, id, 1, size);
	if (id == PMF__T_NONOBJ)
		keep_id(b, &b->nonobj, addr);
}

/* ------------------------------------------------------------------ */
/* Pools                                                               */
/* ------------------------------------------------------------------ */

#if defined(__x86_64__) && defined(__GNUC__)
/* The blocks among the CARVED of SIZE bytes at BLOCKS (target address
 * LO) whose first word is NULL or the address of one of them, into
 * BITS; returns how many.  Eight blocks at a time: a gather of their
 * first words, the range check, and divisibility by SIZE as
 * (w - LO) * M <= M - 1 with M = 2^64 / SIZE + 1 (geom.h). */
__attribute__((target("avx512f,avx512dq"))) static unsigned
scan_avx512(const unsigned char *blocks, uint64_t lo, uint64_t span,
	    unsigned size, uint64_t m, unsigned carved, uint64_t bits[16])
{
	const __m512i vlo = _mm512_set1_epi64((long long)lo);
	const __m512i vspan = _mm512_set1_epi64((long long)span);
	const __m512i vm = _mm512_set1_epi64((long long)m);
	const __m512i vm1 = _mm512_set1_epi64((long long)(m - 1));
	const __m512i zero = _mm512_setzero_si512();
	const __m512i step = _mm512_set1_epi64(8LL * size);
	__m512i idx = _mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0),
					 _mm512_set1_epi64(size));
	unsigned n = 0;
	memset(bits, 0, 16 * sizeof(*bits));
	for (unsigned j = 0; j < carved; j += 8) {
		__mmask8 act = carved - j >= 8
				       ? (__mmask8)0xff
				       : (__mmask8)((1u << (carved - j)) - 1);
		__m512i w = _mm512_mask_i64gather_epi64(zero, act, idx, blocks,
							1);
		__m512i rel = _mm512_sub_epi64(w, vlo);
		__mmask8 in = _mm512_cmplt_epu64_mask(rel, vspan);
		__mmask8 dv = _mm512_cmple_epu64_mask(_mm512_mullo_epi64(rel, vm),
						      vm1);
		__mmask8 z = _mm512_cmpeq_epi64_mask(w, zero);
		__mmask8 c = (__mmask8)((z | (in & dv)) & act);
		bits[j / 64] |= (uint64_t)c << (j % 64);
		n += (unsigned)__builtin_popcount(c);
		idx = _mm512_add_epi64(idx, step);
	}
	return n;
}
#endif

/* One pool as read and checked. */
struct lane {
	const struct pmf__pool_in *in;
	const struct pmf__divider *dv;
	uint32_t next;      /* nextoffset */
	uint32_t cnt;       /* blocks in use, as read */
	unsigned size, carved, nfree;
	bool ok;
	uint64_t bits[1024 / 64]; /* free blocks */
};

/* Checks the header of IN as the allocator keeps it (its arena, its
 * class, blocks carved a whole block at a time, all of them read), then
 * walks its free chain: every free block lies in the pool, on a block
 * boundary, below nextoffset, and is met once. */
static void
lane_walk(struct pmf__blocks *b, struct lane *l, const struct pmf__pool_in *in)
{
	const struct pmf__geom *g = b->g;
	const unsigned char *p = in->p;
	memset(l, 0, sizeof(*l));
	l->in = in;
	if (in->len < PMF__PH_SIZE)
		return;
	uint32_t szidx = pmf__ld32(p + PMF__PH_SZIDX);
	l->cnt = pmf__ld32(p + PMF__PH_COUNT);
	l->next = pmf__ld32(p + PMF__PH_NEXTOFFSET);
	if (szidx >= g->nclasses || szidx >= PMF__MAX_CLASSES)
		return;
	l->size = pmf__geom_size(g, szidx);
	l->dv = &b->div[szidx];
	unsigned nb = pmf__geom_nblocks(g, szidx);
	if (nb > 1024 || pmf__ld32(p + PMF__PH_ARENAINDEX) != in->arenaindex ||
	    pmf__ld32(p + PMF__PH_MAXNEXTOFFSET) != g->pool_size - l->size ||
	    l->next < g->overhead || l->next > g->pool_size ||
	    !pmf__divides(l->dv, l->next - g->overhead) || l->next > in->len ||
	    l->cnt > nb)
		return;
	l->carved = pmf__div(l->dv, l->next - g->overhead);
	const unsigned char *blocks = p + g->overhead;
	uint64_t lo = in->addr + g->overhead, span = l->next - g->overhead;
	/* Every free block's first word is the next free block or NULL, so
	 * the free blocks are among the blocks whose first word is either:
	 * when those are exactly as many as the header's count says the
	 * free blocks are, they are the free blocks.  A live object can
	 * look like one (an untracked GC object's first word is NULL, a
	 * tracked one's may point at its neighbour): then the chain. */
	if (b->scan != NULL) {
		unsigned nc = b->scan(blocks, lo, span, l->size, l->dv->m,
				      l->carved, l->bits);
		if (l->carved - nc == l->cnt) {
			l->nfree = nc;
			l->ok = true;
			return;
		}
		memset(l->bits, 0, sizeof(l->bits));
	}
	/* The walk is a series of dependent loads: kept to registers, the
	 * repeats checked once at the end (a block met twice sets one bit
	 * for two steps). */
	uint64_t fb = pmf__ld64(p + PMF__PH_FREEBLOCK);
	unsigned steps = 0;
	while (fb != 0) {
		uint64_t rel = fb - lo;
		if (rel >= span || !pmf__divides(l->dv, (uint32_t)rel) ||
		    ++steps > l->carved)
			return;
		uint32_t k = pmf__div(l->dv, (uint32_t)rel);
		l->bits[k / 64] |= 1ull << (k % 64);
		fb = pmf__ld64(blocks + rel);
	}
	unsigned set = 0;
	for (unsigned w = 0; w * 64 < l->carved; w++)
		set += (unsigned)__builtin_popcountll(l->bits[w]);
	l->nfree = steps;
	l->ok = set == steps;
}

void
pmf__blocks_unknown(struct pmf__blocks *b, const struct pmf__pool_in *in)
{
	uint32_t szidx = in->len >= PMF__PH_SIZE
				 ? pmf__ld32(in->p + PMF__PH_SZIDX)
				 : UINT32_MAX;
	unsigned size = szidx < b->g->nclasses ? pmf__geom_size(b->g, szidx)
					       : b->g->alignment;
	b->pools_read++;
	b->pools_torn++;
	b->blocks_live += in->walk_count;
	pmf__tally_add(b->tally, PMF__T_UNKNOWN, in->walk_count,
		       (uint64_t)in->walk_count * size);
}

/* Classifies the live blocks of L's pool, once its chain is walked;
 * false when the pool did not hold together as read. */
static bool
lane_finish(struct pmf__blocks *b, struct lane *l)
{
	const struct pmf__pool_in *in = l->in;
	if (!l->ok || l->carved - l->nfree != l->cnt)
		return false;
	b->pools_read++;
	if (l->cnt != in->walk_count)
		b->pools_changed++;
	b->blocks_live += l->cnt;
	for (unsigned w = 0; w * 64 < l->carved; w++) {
		uint64_t live = ~l->bits[w];
		if (l->carved - w * 64 < 64)
			live &= (1ull << (l->carved - w * 64)) - 1;
		while (live != 0) {
			unsigned k = w * 64 + (unsigned)__builtin_ctzll(live);
			live &= live - 1;
			size_t off = b->g->overhead + (size_t)k * l->size;
			const unsigned char *q = in->p + off;
			uint64_t a = in->addr + off;
			uint32_t id = pmf__blocks_classify(b, q, a, l->size);
			if (id != PENDING) {
				count(b, id, a, l->size);
				continue;
			}
			struct pmf__pending *pw =
				PMF__VEC_PUSH(b->pend, b->npend, b->cpend);
			if (pw == NULL) {
				b->oom = true;
				count(b, PMF__T_UNKNOWN, a, l->size);
				continue;
			}
			*pw = (struct pmf__pending){
				.q = q, .addr = a, .size = l->size};
		}
	}
	return true;
}

size_t
pmf__blocks_pools(struct pmf__blocks *b, const struct pmf__pool_in *pools,
		  size_t n, size_t *torn)
{
	struct lane l;
	size_t nt = 0;
	for (size_t i = 0; i < n; i++) {
		lane_walk(b, &l, &pools[i]);
		if (!lane_finish(b, &l))
			torn[nt++] = i;
	}
	return nt;
}

int
pmf__blocks_settle(struct pmf__blocks *b, struct pmf__err *e)
{
	int rc = pmf__typeres_resolve(b->r, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < b->npend; i++) {
		const struct pmf__pending *w = &b->pend[i];
		uint32_t id = pmf__blocks_classify(b, w->q, w->addr, w->size);
		/* Every candidate was decided; one queued anew (a bounded
		 * cache forgot it) is not waited for twice. */
		count(b, id == PENDING ? PMF__T_UNKNOWN : id, w->addr,
		      w->size);
	}
	b->npend = 0;
	if (b->oom || b->tally->oom)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	return 0;
}
