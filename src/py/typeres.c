/* SPDX-License-Identifier: MIT */
/*
 * typeres.c - deciding which addresses are type objects, and naming them
 * as CPython does (see typeres.h for the rules).
 *
 * Three tables: the validated types (thousands at most), the refused
 * candidates (bounded, forgotten when full: a refusal is cheap to
 * repeat) and the candidates of the batch being resolved.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/u64tab.h"
#include "base/vec.h"
#include "py/typeres.h"

/* Bounds on what the target's bytes can make us read or keep. */
#define MAX_BASES 64       /* depth of a tp_base chain */
#define MAX_META 8         /* hops to type(type) is type */
#define MAX_NEG (1u << 18) /* refused candidates kept (8 MiB) */
#define MAX_TYPES (1u << 20)
#define MAX_BASICSIZE (1ull << 24)
#define MAX_ITEMSIZE (1ull << 16)

/* W_DONE: committed as a type (neither kept in work nor refused). */
enum wstate { W_PENDING, W_CHECK, W_NOT, W_UNDECIDED, W_DONE };

struct pmf__twork {
	uint64_t addr; /* 0: free slot */
	uint8_t st;    /* enum wstate */
	bool named;
	uint64_t flags, basicsize, itemsize, meta, base, name, dict;
	char *text;    /* its name, once read (malloc'd) */
};

/* A refused candidate. */
struct neg {
	uint64_t addr;
	uint64_t undecided; /* not readable, rather than not a type */
};

/* ------------------------------------------------------------------ */
/* The three tables                                                    */
/* ------------------------------------------------------------------ */

static struct pmf__tinfo *
types_get(const struct pmf__typeres *r, uint64_t addr)
{
	return pmf__u64tab_get(&r->types, addr);
}

/* 0: not refused; 1: refused; 2: undecided. */
static int
neg_get(const struct pmf__typeres *r, uint64_t addr)
{
	const struct neg *n = pmf__u64tab_get(&r->neg, addr);
	return n == NULL ? 0 : n->undecided ? 2 : 1;
}

static void
neg_add(struct pmf__typeres *r, uint64_t addr, bool undecided)
{
	struct neg *n = pmf__u64tab_add(&r->neg, addr);
	if (n != NULL) /* only a cache */
		n->undecided = undecided;
}

static struct pmf__twork *
work_get(const struct pmf__typeres *r, uint64_t addr)
{
	return pmf__u64tab_get(&r->work, addr);
}

static struct pmf__twork *
work_add(struct pmf__typeres *r, uint64_t addr)
{
	struct pmf__twork *w = pmf__u64tab_add(&r->work, addr);
	if (w != NULL)
		w->st = W_PENDING;
	return w;
}

static void
work_clear(struct pmf__typeres *r)
{
	for (size_t i = 0; i < r->work.cap; i++) {
		struct pmf__twork *w = pmf__u64tab_slot(&r->work, i);
		if (w != NULL)
			free(w->text);
	}
	pmf__u64tab_clear(&r->work);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

static const char *const fixed_names[PMF__T_FIRST] = {
	[PMF__T_NONOBJ] = "<non-object>",
	[PMF__T_FREELISTED] = "<free-listed>",
	[PMF__T_UNKNOWN] = "<unknown>",
	[PMF__T_LISTITEMS] = "<list items>",
	[PMF__T_DICTKEYS] = "<dict keys>",
	[PMF__T_DICTVALUES] = "<dict values>",
	[PMF__T_SETTABLE] = "<set table>",
};

const char *
pmf__typeres_name(const struct pmf__typeres *r, uint32_t id)
{
	if (id < PMF__T_FIRST)
		return fixed_names[id];
	if (id - PMF__T_FIRST < r->nnames)
		return r->names + r->name_off[id - PMF__T_FIRST];
	return fixed_names[PMF__T_UNKNOWN];
}

static uint32_t
name_add(struct pmf__typeres *r, const char *s)
{
	size_t len = strlen(s) + 1;
	if (r->nlen + len > UINT32_MAX ||
	    !pmf__vec_reserve((void **)&r->names, &r->ncap_names,
			      r->nlen + len, 1) ||
	    !pmf__vec_reserve((void **)&r->name_off, &r->name_cap,
			      (size_t)r->nnames + 1, sizeof(*r->name_off))) {
		r->oom = true;
		return PMF__T_UNKNOWN;
	}
	memcpy(r->names + r->nlen, s, len);
	r->name_off[r->nnames] = (uint32_t)r->nlen;
	r->nlen += len;
	return PMF__T_FIRST + r->nnames++;
}

/* ------------------------------------------------------------------ */
/* Candidates                                                          */
/* ------------------------------------------------------------------ */

bool
pmf__typeres_in_arena(const struct pmf__typeres *r, uint64_t addr)
{
	size_t lo = pmf__count_le_u64(r->arenas, r->narenas, sizeof(*r->arenas),
				      addr);
	return lo > 0 && addr - r->arenas[lo - 1] < r->arena_size;
}

static bool
queue_push(struct pmf__typeres *r, uint64_t addr)
{
	uint64_t *q = PMF__VEC_PUSH(r->queue, r->nq, r->qcap);
	if (q == NULL)
		return false;
	*q = addr;
	return true;
}

enum pmf__tstate
pmf__typeres_find(struct pmf__typeres *r, uint64_t addr,
		  const struct pmf__tinfo **t)
{
	*t = NULL;
	/* A type object is 8-aligned user-space memory and never a
	 * pymalloc block. */
	if (addr < 4096 || (addr & 7) != 0 || addr >= (1ull << 47))
		return PMF__TS_NOT;
	/* Known first: most candidates are the types of live objects. */
	if ((*t = types_get(r, addr)) != NULL)
		return PMF__TS_TYPE;
	int n = neg_get(r, addr);
	if (n != 0)
		return n == 2 ? PMF__TS_UNDECIDED : PMF__TS_NOT;
	if (pmf__typeres_in_arena(r, addr))
		return PMF__TS_NOT;
	if (work_get(r, addr) != NULL)
		return PMF__TS_PENDING;
	const struct pmf__map *mp = pmf__maps_find(r->maps, addr);
	if (mp == NULL || !mp->r || !mp->w) {
		neg_add(r, addr, false);
		return PMF__TS_NOT;
	}
	if (work_add(r, addr) == NULL || !queue_push(r, addr)) {
		r->oom = true;
		return PMF__TS_UNDECIDED;
	}
	return PMF__TS_PENDING;
}

/* The state of a dependency (a metatype or a base) during resolution,
 * without queuing anything. */
static enum wstate
dep_state(const struct pmf__typeres *r, uint64_t addr, uint64_t *flags)
{
	*flags = 0;
	if (addr < 4096 || (addr & 7) != 0 || addr >= (1ull << 47) ||
	    pmf__typeres_in_arena(r, addr))
		return W_NOT;
	const struct pmf__tinfo *t = types_get(r, addr);
	if (t != NULL) {
		*flags = t->flags;
		return W_CHECK;
	}
	const struct pmf__twork *w = work_get(r, addr);
	if (w != NULL) {
		*flags = w->flags;
		return (enum wstate)w->st;
	}
	int n = neg_get(r, addr);
	return n == 1 ? W_NOT : W_UNDECIDED;
}

/* Reads the headers of the queued candidates in one batch and checks
 * what a type object's own fields must be; queues their metatypes and
 * bases. */
static int
read_headers(struct pmf__typeres *r, struct pmf__err *e)
{
	const struct pmf__objlayout *l = r->l;
	size_t hl = l->ob_off + l->tp_dict + 8;
	size_t n = r->nq;
	uint64_t *batch = r->queue;
	r->queue = NULL;
	r->nq = r->qcap = 0;
	unsigned char *buf = malloc(n * hl + 1);
	struct pmf__iov *iov = calloc(n + 1, sizeof(*iov));
	size_t *who = calloc(n + 1, sizeof(*who));
	int rc = 0;
	if (buf == NULL || iov == NULL || who == NULL) {
		rc = pmf__err_set(e, PMF_ENOMEM, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		struct pmf__twork *w = work_get(r, batch[i]);
		if (w == NULL || w->st != W_PENDING)
			continue;
		if (!pmf__pgcache_present(r->pc, w->addr, hl)) {
			w->st = W_UNDECIDED;
			continue;
		}
		iov[k] = (struct pmf__iov){.addr = w->addr, .buf = buf + k * hl,
					   .len = hl};
		who[k++] = i;
	}
	r->reads += k > 0;
	long bad = k > 0 ? pmf__mem_readv(r->mem, iov, k, e) : 0;
	if (bad < 0) {
		rc = (int)bad;
		goto out;
	}
	for (size_t j = 0; j < k; j++) {
		struct pmf__twork *w = work_get(r, batch[who[j]]);
		const unsigned char *h = buf + j * hl + l->ob_off;
		if (w == NULL)
			continue;
		w->st = W_NOT;
		if (iov[j].err != 0) {
			r->refused_reads++;
			continue;
		}
		uint64_t rcnt = pmf__ld64(h);
		w->meta = pmf__ld64(h + 8);
		w->name = pmf__ld64(h + l->tp_name);
		w->basicsize = pmf__ld64(h + l->tp_basicsize);
		w->itemsize = pmf__ld64(h + l->tp_itemsize);
		w->flags = pmf__ld64(h + l->tp_flags);
		w->base = pmf__ld64(h + l->tp_base);
		w->dict = pmf__ld64(h + l->tp_dict);
		if (pmf__objlayout_refstate(l, rcnt) != PMF__REF_LIVE ||
		    w->meta == 0 || (w->meta & 7) != 0 || w->name == 0 ||
		    (w->base & 7) != 0 || !(w->flags & PMF__TPF_READY) ||
		    (w->flags & PMF__TPF_READYING) ||
		    w->basicsize < 16 + l->ob_off ||
		    w->basicsize > MAX_BASICSIZE ||
		    w->itemsize > MAX_ITEMSIZE)
			continue;
		w->st = W_CHECK;
		/* Queue the metatype and base (which can move W). */
		uint64_t meta = w->meta, base = w->base;
		const struct pmf__tinfo *t;
		pmf__typeres_find(r, meta, &t);
		if (base != 0)
			pmf__typeres_find(r, base, &t);
	}
out:
	free(batch);
	free(buf);
	free(iov);
	free(who);
	return rc;
}

/* Propagates failures through metatypes and bases until nothing
 * changes: what is left checks out as far as the headers go. */
static void
settle(struct pmf__typeres *r)
{
	for (bool changed = true; changed;) {
		changed = false;
		for (size_t i = 0; i < r->work.cap; i++) {
			struct pmf__twork *w = pmf__u64tab_slot(&r->work, i);
			if (w == NULL || w->st != W_CHECK)
				continue;
			uint64_t mf = 0, bf = 0;
			enum wstate m = dep_state(r, w->meta, &mf);
			enum wstate b = w->base ? dep_state(r, w->base, &bf)
						: W_CHECK;
			enum wstate to = W_CHECK;
			if (m == W_NOT || b == W_NOT ||
			    (m == W_CHECK && !(mf & PMF__TPF_TYPE_SUBCLASS)))
				to = W_NOT;
			else if (m != W_CHECK || b != W_CHECK)
				to = W_UNDECIDED;
			if (to != W_CHECK) {
				w->st = to;
				changed = true;
			}
		}
	}
}

/* True when the metatype chain of W reaches a type that is its own
 * type (type(type) is type) or an already validated type. */
static bool
meta_chain_ok(struct pmf__typeres *r, const struct pmf__twork *w)
{
	uint64_t x = w->addr, m = w->meta;
	for (int hop = 0; hop < MAX_META; hop++) {
		if (m == x || types_get(r, m) != NULL)
			return true;
		const struct pmf__twork *mw = work_get(r, m);
		if (mw == NULL || mw->st != W_CHECK)
			return false;
		x = m;
		m = mw->meta;
	}
	return false;
}

/* Reads the name of W as repr(type) shows it: tp_name for a static
 * type; for a heap type its __module__ (from its dict) and __qualname__,
 * or tp_name when the module is "builtins" or missing.  What is not in
 * RAM leaves W undecided, rather than named otherwise. */
static int
name_one(struct pmf__typeres *r, struct pmf__twork *w, struct pmf__err *e)
{
	const struct pmf__objlayout *l = r->l;
	char tp[PMF__NAME_MAX + 1], qual[PMF__NAME_MAX + 1], mod[PMF__NAME_MAX + 1];
	char full[2 * PMF__NAME_MAX + 2];
	const char *name = tp;
	int rc = pmf__pyread_cstr(&r->rd, w->name, tp, e);
	if (rc == PMF__RD_OK && (w->flags & PMF__TPF_HEAPTYPE)) {
		unsigned char qb[8];
		rc = pmf__pyread(&r->rd, w->addr + l->ob_off + l->ht_qualname, qb,
				 8, e);
		if (rc == PMF__RD_OK)
			rc = pmf__pyread_str(&r->rd, pmf__ld64(qb), qual, e);
		int m = PMF__RD_BAD;
		if (rc == PMF__RD_OK && w->dict != 0)
			m = pmf__pyread_module(&r->rd, w->dict, mod, e);
		if (m < 0 || m == PMF__RD_ABSENT)
			rc = m;
		else if (rc == PMF__RD_OK && m == PMF__RD_OK &&
			 strcmp(mod, "builtins") != 0) {
			snprintf(full, sizeof(full), "%s.%s", mod, qual);
			name = full;
		}
	}
	if (rc < 0)
		return rc;
	if (rc != PMF__RD_OK) {
		w->st = rc == PMF__RD_ABSENT ? W_UNDECIDED : W_NOT;
		return 0;
	}
	/* The one type without a base is object. */
	if (w->base == 0) {
		if (strcmp(name, "object") != 0 ||
		    (w->flags & PMF__TPF_HEAPTYPE) ||
		    (r->object_type != 0 && r->object_type != w->addr)) {
			w->st = W_NOT;
			return 0;
		}
		r->object_type = w->addr;
	}
	w->text = strdup(name);
	if (w->text == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	w->named = true;
	return 0;
}

/* The kind of instances of W, whose base (if any) is validated. */
static uint8_t
kind_of(const struct pmf__typeres *r, const struct pmf__twork *w)
{
	uint64_t f = w->flags;
	bool stat = !(f & PMF__TPF_HEAPTYPE);
	if (f & PMF__TPF_UNICODE_SUBCLASS)
		/* Only str itself is compact: a subclass's instance keeps
		 * its characters apart, at tp_basicsize. */
		return stat && strcmp(w->text, "str") == 0 ? PMF__K_STR
							   : PMF__K_OTHER;
	if (f & PMF__TPF_LONG_SUBCLASS)
		return PMF__K_LONG;
	if (f & PMF__TPF_LIST_SUBCLASS)
		return PMF__K_LIST;
	if (f & PMF__TPF_DICT_SUBCLASS)
		return PMF__K_DICT;
	if (stat && (strcmp(w->text, "set") == 0 ||
		     strcmp(w->text, "frozenset") == 0))
		return PMF__K_SET;
	const struct pmf__tinfo *b = w->base ? types_get(r, w->base) : NULL;
	return b != NULL && b->kind == PMF__K_SET ? PMF__K_SET : PMF__K_OTHER;
}

/* Moves what the batch decided into the long-lived tables, bases before
 * the types derived from them. */
static void
commit(struct pmf__typeres *r)
{
	for (bool progress = true; progress;) {
		progress = false;
		for (size_t i = 0; i < r->work.cap; i++) {
			struct pmf__twork *w = pmf__u64tab_slot(&r->work, i);
			if (w == NULL || w->st != W_CHECK || !w->named)
				continue;
			/* Its base commits in this pass or a later one. */
			if (w->base != 0 && types_get(r, w->base) == NULL)
				continue;
			bool room = r->types.n < MAX_TYPES;
			struct pmf__tinfo *t =
				room ? pmf__u64tab_add(&r->types, w->addr) : NULL;
			if (t == NULL) {
				r->oom |= room;
				w->st = W_UNDECIDED;
				continue;
			}
			t->flags = w->flags;
			t->basicsize = w->basicsize;
			t->itemsize = w->itemsize;
			t->pre = (uint16_t)pmf__objlayout_pre(r->l, w->flags);
			t->kind = kind_of(r, w);
			t->id = name_add(r, w->text);
			w->st = W_DONE;
			r->resolved++;
			progress = true;
		}
	}
	/* A root named but refused after all leaves the place free. */
	if (r->object_type != 0 && types_get(r, r->object_type) == NULL)
		r->object_type = 0;
	/* Whatever did not commit (a base that did not) is not known to
	 * be a type. */
	for (size_t i = 0; i < r->work.cap; i++) {
		struct pmf__twork *w = pmf__u64tab_slot(&r->work, i);
		if (w != NULL && w->st != W_DONE)
			neg_add(r, w->addr, w->st != W_NOT);
	}
	work_clear(r);
}

/* True when a tp_base chain from W is longer than MAX_BASES: a loop,
 * which no type hierarchy has. */
static bool
bases_loop(struct pmf__typeres *r, const struct pmf__twork *w)
{
	uint64_t b = w->base;
	for (int d = 0; d < MAX_BASES && b != 0; d++) {
		if (types_get(r, b) != NULL)
			return false;
		const struct pmf__twork *bw = work_get(r, b);
		if (bw == NULL)
			return false;
		b = bw->base;
	}
	return b != 0;
}

int
pmf__typeres_resolve(struct pmf__typeres *r, struct pmf__err *e)
{
	int rc = 0;
	/* Headers, round after round: each round may queue metatypes and
	 * bases.  A chain of bases is at most MAX_BASES long. */
	for (int round = 0; rc == 0 && r->nq > 0 && round <= MAX_BASES;
	     round++)
		rc = read_headers(r, e);
	if (rc < 0) {
		work_clear(r);
		return rc;
	}
	/* Still queued after the bound: not types. */
	for (size_t i = 0; i < r->nq; i++) {
		struct pmf__twork *w = work_get(r, r->queue[i]);
		if (w != NULL)
			w->st = W_NOT;
	}
	r->nq = 0;
	for (int pass = 0; pass < 2 * MAX_BASES; pass++) {
		settle(r);
		bool changed = false;
		for (size_t i = 0; i < r->work.cap; i++) {
			struct pmf__twork *w = pmf__u64tab_slot(&r->work, i);
			if (w == NULL || w->st != W_CHECK || w->named)
				continue;
			if (!meta_chain_ok(r, w) || bases_loop(r, w)) {
				w->st = W_NOT;
				changed = true;
				continue;
			}
			if ((rc = name_one(r, w, e)) < 0) {
				work_clear(r);
				return rc;
			}
			changed |= w->st != W_CHECK;
		}
		if (!changed)
			break;
	}
	commit(r);
	if (r->oom)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	return 0;
}

void
pmf__typeres_trim(struct pmf__typeres *r)
{
	if (r->neg.n >= MAX_NEG)
		pmf__u64tab_clear(&r->neg);
}

void
pmf__typeres_init(struct pmf__typeres *r, const struct pmf__objlayout *l,
		  struct pmf__mem *mem, const struct pmf__maps *maps,
		  struct pmf__pgcache *pc, const uint64_t *arenas,
		  size_t narenas, uint64_t arena_size)
{
	memset(r, 0, sizeof(*r));
	r->l = l;
	r->mem = mem;
	r->maps = maps;
	r->pc = pc;
	r->arenas = arenas;
	r->narenas = narenas;
	r->arena_size = arena_size;
	r->rd = (struct pmf__pyread){.l = l, .mem = mem, .pc = pc};
	pmf__u64tab_init(&r->types, sizeof(struct pmf__tinfo));
	pmf__u64tab_init(&r->neg, sizeof(struct neg));
	pmf__u64tab_init(&r->work, sizeof(struct pmf__twork));
}

void
pmf__typeres_free(struct pmf__typeres *r)
{
	work_clear(r);
	pmf__u64tab_free(&r->work);
	pmf__u64tab_free(&r->types);
	pmf__u64tab_free(&r->neg);
	free(r->queue);
	free(r->names);
	free(r->name_off);
	memset(r, 0, sizeof(*r));
}
