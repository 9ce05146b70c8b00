/* SPDX-License-Identifier: MIT */
/*
 * objtype.c - type attribution of live blocks.
 *
 * A candidate object at offset o of a block (o = the pre-header its type
 * would have) is accepted when its ob_type word points at a type object:
 * readable, Py_TPFLAGS_READY, its own type a type (Py_TPFLAGS_TYPE_SUBCLASS
 * on the metatype), a printable tp_name, a basic size that fits the
 * block, and a pre-header size for its flags equal to o.  Anything else
 * is a buffer (list items, dict keys, strings' data...), which since 3.6
 * pymalloc serves as well.  Type objects are read once and cached.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base/compat.h"
#include "py/layout.h"
#include "os/pagemap.h"
#include "py/objtype.h"

/* PyTypeObject fields, from the object start (before Py_TRACE_REFS). */
#define TP_NAME 24
#define TP_BASICSIZE 32
#define TP_FLAGS 168
#define TP_READ (TP_FLAGS + 8)

#define F_MANAGED_WEAKREF (1ull << 3)
#define F_MANAGED_DICT (1ull << 4)
#define F_READY (1ull << 12)
#define F_HAVE_GC (1ull << 14)
#define F_TYPE_SUBCLASS (1ull << 31)

struct pmf__tcache_ent {
	uint64_t addr;  /* 0: free slot */
	uint32_t id;    /* PMF__T_NONOBJ when not a type */
	uint32_t pre;   /* pre-header size its instances have */
	uint64_t basicsize;
};

void
pmf__objfmt_init(struct pmf__objfmt *f, const struct pmf_python *py,
		 bool debug_hooks)
{
	memset(f, 0, sizeof(*f));
	f->minor = py->minor;
	/* PyGC_Head is a union with a long double up to 3.7 (32 bytes), two
	 * words from 3.8 on. */
	f->gc_size = py->minor <= 7 ? 32 : 16;
	/* Debug builds up to 3.7 define Py_TRACE_REFS: two list pointers
	 * before ob_refcnt. */
	f->ob_off = py->debug_build && py->minor <= 7 ? 16 : 0;
	if (debug_hooks) {
		f->dbg_prefix = 16;
		/* Size and API id before, a guard after, and up to 3.7 a
		 * serial number. */
		f->dbg_extra = py->minor <= 7 ? 32 : 24;
	}
	f->refcnt0_freelisted = py->minor <= 13;
}

int
pmf__types_init(struct pmf__types *t, struct pmf__err *e)
{
	memset(t, 0, sizeof(*t));
	t->cap = 2 * PMF__T_MAX;
	t->ent = calloc(t->cap, sizeof(*t->ent));
	t->names = calloc(PMF__T_MAX, sizeof(*t->names));
	if (t->ent == NULL || t->names == NULL) {
		pmf__types_free(t);
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	}
	return 0;
}

void
pmf__types_free(struct pmf__types *t)
{
	free(t->ent);
	free(t->names);
	memset(t, 0, sizeof(*t));
}

const char *
pmf__types_name(const struct pmf__types *t, uint32_t id)
{
	switch (id) {
	case PMF__T_NONOBJ:
		return "<non-object>";
	case PMF__T_FREELISTED:
		return "<free-listed>";
	case PMF__T_UNKNOWN:
		return "<unknown>";
	}
	if (id - PMF__T_FIRST < t->nnames)
		return t->names[id - PMF__T_FIRST];
	return "<unknown>";
}

static unsigned
preheader(const struct pmf__objfmt *f, uint64_t flags)
{
	unsigned pre = (flags & F_HAVE_GC) ? f->gc_size : 0;
	uint64_t managed = 0;
	if (f->minor == 11)
		managed = F_MANAGED_DICT;
	else if (f->minor >= 12)
		managed = F_MANAGED_DICT | F_MANAGED_WEAKREF;
	if (flags & managed)
		pre += 16; /* two pointers before the GC head */
	return pre;
}

/* True when [ADDR, ADDR+LEN) may be read without changing the target. */
static bool
safe(struct pmf__types *t, uint64_t addr, size_t len)
{
	return t->pm == NULL || pmf__pagemap_present(t->pm, addr, len);
}

/* Reads a NUL-terminated printable name of at most 63 characters. */
static bool
read_name(struct pmf__types *t, struct pmf__mem *mem, uint64_t addr,
	  char out[64])
{
	char buf[64];
	/* Try the whole buffer, then up to the page end: a short name near
	 * the end of a mapping is common. */
	struct pmf__iov iov = {.addr = addr, .buf = buf, .len = sizeof(buf)};
	/* Up to the end of the page when the next one is not there. */
	if (!safe(t, addr, iov.len) ||
	    pmf__mem_readv(mem, &iov, 1, NULL) < 0 || iov.err != 0) {
		iov.len = 4096 - (addr & 4095);
		if (iov.len > sizeof(buf))
			iov.len = sizeof(buf);
		iov.err = 0;
		if (!safe(t, addr, iov.len) ||
		    pmf__mem_readv(mem, &iov, 1, NULL) < 0 || iov.err != 0)
			return false;
	}
	for (size_t i = 0; i < iov.len; i++) {
		if (buf[i] == '\0') {
			if (i == 0)
				return false;
			memcpy(out, buf, i + 1);
			return true;
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return false;
	}
	return false;
}

/* Looks TYPE up, reading and checking it the first time. */
static struct pmf__tcache_ent *
lookup(struct pmf__types *t, struct pmf__mem *mem,
       const struct pmf__objfmt *f, uint64_t type)
{
	size_t h = (size_t)((type >> 3) * 0x9E3779B97F4A7C15ull);
	for (size_t k = 0; k < t->cap; k++) {
		struct pmf__tcache_ent *ent = &t->ent[(h + k) % t->cap];
		if (ent->addr == type)
			return ent;
		if (ent->addr != 0)
			continue;
		if (t->used + 1 >= t->cap)
			return NULL; /* full: callers say "unknown" */
		ent->addr = type;
		ent->id = PMF__T_NONOBJ;
		t->used++;

		unsigned char tb[TP_READ], mb[TP_READ];
		t->type_reads++;
		if (!safe(t, type, sizeof(tb)) ||
		    pmf__mem_read(mem, type, tb, sizeof(tb), NULL) < 0)
			return ent;
		uint64_t meta = pmf__ld64(tb + f->ob_off + 8);
		uint64_t flags = pmf__ld64(tb + f->ob_off + TP_FLAGS);
		if (meta == 0 || (meta & 7) != 0 || !(flags & F_READY) ||
		    !safe(t, meta, sizeof(mb)) ||
		    pmf__mem_read(mem, meta, mb, sizeof(mb), NULL) < 0 ||
		    !(pmf__ld64(mb + f->ob_off + TP_FLAGS) & F_TYPE_SUBCLASS))
			return ent;
		char name[64];
		if (!read_name(t, mem, pmf__ld64(tb + f->ob_off + TP_NAME),
			       name))
			return ent;
		if (t->nnames == PMF__T_MAX)
			return ent;
		memcpy(t->names[t->nnames], name, sizeof(name));
		ent->id = PMF__T_FIRST + t->nnames++;
		ent->pre = preheader(f, flags);
		ent->basicsize = pmf__ld64(tb + f->ob_off + TP_BASICSIZE);
		return ent;
	}
	return NULL;
}

uint32_t
pmf__types_classify(struct pmf__types *t, struct pmf__mem *mem,
		    const struct pmf__objfmt *f, const unsigned char *buf,
		    unsigned size)
{
	if (f->dbg_prefix != 0) {
		/* Only blocks of the object domain ('o') hold objects. */
		if (size < f->dbg_extra || buf[8] != 'o')
			return PMF__T_NONOBJ;
		buf += f->dbg_prefix;
		size -= f->dbg_extra;
	}
	static const unsigned offsets[] = {0, 16, 32, 48};
	for (size_t k = 0; k < PMF_ARRAY_SIZE(offsets); k++) {
		unsigned o = offsets[k];
		if (o + f->ob_off + 16 > size)
			break;
		uint64_t type = pmf__ld64(buf + o + f->ob_off + 8);
		if (type == 0 || (type & 7) != 0)
			continue;
		struct pmf__tcache_ent *ent = lookup(t, mem, f, type);
		if (ent == NULL)
			return PMF__T_UNKNOWN;
		if (ent->id == PMF__T_NONOBJ || ent->pre != o ||
		    ent->basicsize + o > size)
			continue;
		if (f->refcnt0_freelisted &&
		    pmf__ld64(buf + o + f->ob_off) == 0)
			return PMF__T_FREELISTED;
		return ent->id;
	}
	return PMF__T_NONOBJ;
}

/* Adds the live blocks of one pool (its bytes in P) to C. */
static void
count_pool(struct pmf__types *t, struct pmf__mem *mem,
	   const struct pmf__geom *g, const struct pmf__objfmt *f,
	   uint64_t addr, const unsigned char *p, size_t len,
	   struct pmf__tcounts *c)
{
	uint32_t count = pmf__ld32(p + PMF__PH_COUNT);
	uint32_t szidx = pmf__ld32(p + PMF__PH_SZIDX);
	uint32_t next = pmf__ld32(p + PMF__PH_NEXTOFFSET);
	if (szidx >= g->nclasses || count == 0)
		return;
	unsigned size = pmf__geom_size(g, szidx);
	unsigned nb = pmf__geom_nblocks(g, szidx);
	if (next < g->overhead || next > g->pool_size || count > nb) {
		c->count[PMF__T_UNKNOWN] += count;
		c->bytes[PMF__T_UNKNOWN] += (uint64_t)count * size;
		return;
	}
	if (next > len)
		next = (uint32_t)len; /* read no further than asked */
	unsigned carved = (next - g->overhead) / size;
	if (carved > nb)
		carved = nb;
	/* The free chain, bounded by the blocks a pool has: a loop or a
	 * pointer out of the pool ends it. */
	uint8_t freebits[(1024 + 7) / 8 + 1];
	memset(freebits, 0, sizeof(freebits));
	uint64_t b = pmf__ld64(p + PMF__PH_FREEBLOCK);
	for (unsigned steps = 0; b != 0 && steps <= nb; steps++) {
		if (b < addr + g->overhead || b >= addr + g->pool_size ||
		    (b - addr - g->overhead) % size != 0)
			break;
		unsigned k = (unsigned)((b - addr - g->overhead) / size);
		if (k >= nb || k >= 1024 || (freebits[k / 8] & (1u << (k % 8))))
			break;
		freebits[k / 8] |= (uint8_t)(1u << (k % 8));
		/* The pre-linked virgin block past nextoffset ends the
		 * chain: it was not read. */
		if (b - addr + 8 > len)
			break;
		b = pmf__ld64(p + (b - addr));
	}
	for (unsigned k = 0; k < carved && k < 1024; k++) {
		if (freebits[k / 8] & (1u << (k % 8)))
			continue;
		uint32_t id = pmf__types_classify(
			t, mem, f, p + g->overhead + (size_t)k * size, size);
		c->count[id]++;
		c->bytes[id] += size;
	}
}

/* Builds the reads of pool R into BUF (zeroed first): one element per
 * run of pages in RAM below its length.  Returns the number of elements,
 * or -1 when a page is in swap. */
static int
pool_iovs(const struct pmf__pool_read *r, const struct pmf__geom *g,
	  unsigned page_size, unsigned char *buf, struct pmf__iov *iov,
	  size_t max)
{
	size_t len = r->len < g->overhead	 ? g->overhead
		     : r->len > g->pool_size ? g->pool_size
					     : r->len;
	memset(buf, 0, g->pool_size);
	if (r->pages == NULL) {
		iov[0] = (struct pmf__iov){.addr = r->addr, .buf = buf,
					   .len = len};
		return 1;
	}
	size_t n = 0;
	for (size_t off = 0; off < len;) {
		size_t pg = off / page_size;
		size_t end = (pg + 1) * page_size;
		if (end > len)
			end = len;
		if (r->pages[pg] & PMF__PG_SWAPPED)
			return -1;
		if (r->pages[pg] & PMF__PG_PRESENT) {
			if (n > 0 && iov[n - 1].addr + iov[n - 1].len ==
					     r->addr + off)
				iov[n - 1].len += end - off;
			else if (n < max)
				iov[n++] = (struct pmf__iov){
					.addr = r->addr + off,
					.buf = buf + off,
					.len = end - off};
		}
		off = end;
	}
	return (int)n;
}

int
pmf__types_count_pools(struct pmf__types *t, struct pmf__mem *mem,
		       const struct pmf__geom *g,
		       const struct pmf__objfmt *f,
		       const struct pmf__pool_read *pools, size_t npools,
		       unsigned page_size, struct pmf__tcounts *c,
		       struct pmf__err *e)
{
	enum { MAX_IOV = 16 };
	unsigned char *buf = malloc(g->pool_size);
	struct pmf__iov iov[MAX_IOV];
	if (buf == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < npools; i++) {
		const struct pmf__pool_read *r = &pools[i];
		int n = pool_iovs(r, g, page_size, buf, iov, MAX_IOV);
		long got = n > 0 ? pmf__mem_readv(mem, iov, (size_t)n, e) : 0;
		if (got < 0) {
			rc = (int)got;
			break;
		}
		bool ok = n > 0 && got == 0;
		if (!ok) {
			/* In swap, or unreadable: say so rather than
			 * guess. */
			c->count[PMF__T_UNKNOWN] += r->count;
			c->bytes[PMF__T_UNKNOWN] += (uint64_t)r->count * r->size;
			continue;
		}
		count_pool(t, mem, g, f, r->addr, buf, r->len, c);
	}
	free(buf);
	return rc;
}
