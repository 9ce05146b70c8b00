/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the type attribution: the per-version object layouts
 * (src/py/objlayout.c), the type resolver (src/py/typeres.c) and the
 * classification of pool blocks (src/py/objtype.c).
 *
 * Fake CPython objects are built in a fake memory source: type objects,
 * their names and dicts in a writable mapping outside the arena, pools
 * with live objects, free blocks and buffers in the one arena.  The pools
 * are classified as src/core/attrib.c drives it (pmf__blocks_pools, then
 * pmf__blocks_settle) and the tally is checked id by id.
 *
 * The CPython offsets below are written out here, not taken from the
 * layout table, so that a wrong row in objlayout.c shows up as a failure
 * (test_objlayout_rows checks the table against the same numbers).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_mem.h"
#include "os/maps.h"
#include "os/pagemap.h"
#include "py/objlayout.h"
#include "py/objtype.h"
#include "py/typeres.h"
#include "runner.h"

/* ------------------------------------------------------------------ */
/* CPython, x86-64                                                     */
/* ------------------------------------------------------------------ */

/* PyTypeObject: the same from 3.6 to 3.14. */
enum {
	TP_NAME = 24,
	TP_BASICSIZE = 32,
	TP_ITEMSIZE = 40,
	TP_FLAGS = 168,
	TP_BASE = 256,
	TP_DICT = 264,
	TYPE_BYTES = 1024, /* room for a PyHeapTypeObject */
};

/* PyVarObject, PyListObject, PyDictObject, str (PyASCIIObject). */
enum {
	OB_SIZE = 16,
	LIST_ITEMS = 24,
	DICT_KEYS = 32,
	DICT_VALUES = 40,
	STR_LENGTH = 16,
	STR_HASH = 24,
	STR_STATE = 32,
};

#define READY PMF__TPF_READY
#define HEAPTYPE PMF__TPF_HEAPTYPE
#define HAVE_GC PMF__TPF_HAVE_GC
#define MANAGED (PMF__TPF_MANAGED_DICT | PMF__TPF_MANAGED_WEAKREF)

/* PyHeapTypeObject.ht_qualname: after PyTypeObject (400 bytes up to 3.7,
 * 416 in 3.8 with tp_vectorcall and tp_print, 408 in 3.9-3.11, 416
 * again with 3.12's tp_watched) and the method suites (as_async grew
 * am_send in 3.10), ht_name and ht_slots. */
static unsigned
qualname_off(unsigned minor)
{
	return minor <= 7 ? 848 : minor == 9 ? 856 : minor <= 11 ? 864 : 872;
}

/* sizeof(PyASCIIObject): its wstr pointer went in 3.12. */
static unsigned
str_ascii_size(unsigned minor)
{
	return minor <= 11 ? 48 : 40;
}

static unsigned
str_compact_size(unsigned minor)
{
	return minor <= 11 ? 72 : 56;
}

/* ------------------------------------------------------------------ */
/* The fake target                                                     */
/* ------------------------------------------------------------------ */

/* Address plan, far from anything this process (or ASan's shadow) maps,
 * so that the test reading its own pagemap sees none of it in RAM. */
#define ARENA 0x300000000000ull   /* the arena, rw (pool-aligned) */
#define TYPES 0x310000000000ull   /* rw: type objects, names, dicts */
#define TYPES_LEN 0x100000u
#define RODATA 0x320000000000ull  /* r--: a type-shaped object */
#define HOLE 0x330000000000ull    /* rw in the map, nothing readable */
#define NOWHERE 0x340000000000ull /* readable bytes in no mapping */

static const char maps_text[] =
	"300000000000-300000100000 rw-p 00000000 00:00 0 \n"
	"310000000000-310000100000 rw-p 00000000 00:00 0 \n"
	"320000000000-320000010000 r--p 00000000 00:00 0 \n"
	"330000000000-330000010000 rw-p 00000000 00:00 0 \n";

struct pool {
	uint64_t addr;
	unsigned char *p;
	unsigned size;
	size_t in; /* its index in F.pools */
};

struct fx {
	unsigned minor;
	struct pmf__objlayout l;
	struct pmf__geom g;
	struct fake_mem fm;
	struct pmf__mem mem;
	struct pmf__maps maps;
	struct pmf__pagemap pm;
	struct pmf__pgcache pc;
	struct pmf__typeres r;
	struct pmf__blocks b;
	struct pmf__tally tally;
	uint64_t arenas[1];
	unsigned char *arena;
	uint64_t tnext; /* bump allocator in TYPES */

	/* The types every test has. */
	uint64_t type, object, flt, str, tuple, list, dict, inner;

	struct pmf__pool_in pools[16];
	size_t npools, done;
};

static struct fx F;

static unsigned char *
at(uint64_t addr)
{
	unsigned char *p = fake_mem_at(&F.fm, addr, 1);
	ck_assert_msg(p != NULL, "no fake memory at 0x%llx",
		      (unsigned long long)addr);
	return p;
}

static uint64_t
talloc(size_t n)
{
	uint64_t a = F.tnext;
	F.tnext += pmf__round_up(n, 16);
	ck_assert(F.tnext <= TYPES + TYPES_LEN);
	return a;
}

/* A refcount no one would take for a pointer: immortal static objects
 * (3.12+: UINT_MAX; 3.14: 3 << 30 and the "static" flag in ob_flags). */
static uint64_t
immortal(void)
{
	if (F.minor >= 14)
		return (4ull << 48) | (3ull << 30);
	return F.minor >= 12 ? 0xffffffffull : 1000;
}

static uint64_t
cstr(const char *s)
{
	uint64_t a = talloc(strlen(s) + 1);
	memcpy(at(a), s, strlen(s) + 1);
	return a;
}

/* The state word of a compact str: kind, compact, ascii, and (up to
 * 3.11) "ready". */
static uint32_t
str_state(unsigned kind, bool ascii)
{
	return kind << 2 | 1u << 5 | (ascii ? 1u << 6 : 0) |
	       (F.minor <= 11 ? 1u << 7 : 0);
}

/* A compact ASCII str object at O (address irrelevant): LEN is its
 * length field, S the characters written. */
static void
put_str(unsigned char *o, const char *s, uint64_t len)
{
	put64(o, 1);
	put64(o + 8, F.str);
	put64(o + STR_LENGTH, len);
	put64(o + STR_HASH, UINT64_MAX); /* not computed yet: -1 */
	put32(o + STR_STATE, str_state(1, true));
	memcpy(o + str_ascii_size(F.minor), s, strlen(s) + 1);
}

static uint64_t
pystr(const char *s)
{
	uint64_t a = talloc(str_ascii_size(F.minor) + strlen(s) + 1);
	put_str(at(a), s, strlen(s));
	return a;
}

/* A type object at A: a live refcount, its metatype, name, sizes, flags
 * (READY added) and base. */
static uint64_t
type_at(uint64_t a, const char *name, uint64_t meta, uint64_t base,
	uint64_t flags, uint64_t basicsize, uint64_t itemsize)
{
	unsigned char *t = at(a);
	put64(t, immortal());
	put64(t + 8, meta);
	put64(t + TP_NAME, cstr(name));
	put64(t + TP_BASICSIZE, basicsize);
	put64(t + TP_ITEMSIZE, itemsize);
	put64(t + TP_FLAGS, flags | READY);
	put64(t + TP_BASE, base);
	return a;
}

static uint64_t
new_type(const char *name, uint64_t base, uint64_t flags, uint64_t basicsize,
	 uint64_t itemsize)
{
	return type_at(talloc(TYPE_BYTES), name, F.type, base, flags,
		       basicsize, itemsize);
}

/* A dict whose keys table maps the str objects KEYS to VALS: the 3.11+
 * table (unicode keys, or GENERAL ones with their hash) or the 3.6-3.10
 * one, always 8 slots. */
static uint64_t
new_dict(const uint64_t *keys, const uint64_t *vals, unsigned n, bool general)
{
	uint64_t k = talloc(256), d = talloc(48);
	unsigned char *kp = at(k);
	put64(kp, 1);
	unsigned char *ent;
	size_t esz;
	if (F.minor >= 11) {
		kp[8] = 3;                /* dk_log2_size */
		kp[9] = 3;                /* dk_log2_index_bytes */
		kp[10] = general ? 0 : 1; /* DICT_KEYS_GENERAL, _UNICODE */
		put64(kp + 16, 5 - n);    /* dk_usable */
		put64(kp + 24, n);        /* dk_nentries */
		memset(kp + 32, 0xff, 8); /* dk_indices */
		ent = kp + 32 + 8;
		esz = general ? 24 : 16;
	} else {
		put64(kp + 8, 8);          /* dk_size */
		put64(kp + 16, 0x401000);  /* dk_lookup */
		put64(kp + 24, 5 - n);     /* dk_usable */
		put64(kp + 32, n);         /* dk_nentries */
		memset(kp + 40, 0xff, 8);  /* dk_indices */
		ent = kp + 40 + 8;
		esz = 24;
		general = true;
	}
	for (unsigned i = 0; i < n; i++, ent += esz) {
		unsigned char *e = ent;
		if (general) {
			put64(e, 0x5151515151 + i); /* me_hash */
			e += 8;
		}
		put64(e, keys[i]);
		put64(e + 8, vals[i]);
	}
	unsigned char *dp = at(d);
	put64(dp, 1);
	put64(dp + 8, F.dict);
	put64(dp + 16, n);
	put64(dp + DICT_KEYS, k);
	put64(dp + DICT_VALUES, 0); /* combined: a type's dict */
	return d;
}

/* A class statement's type: tp_name TPNAME, __qualname__ QUALNAME and,
 * unless MODULE is NULL, "__module__": MODULE in its dict (between two
 * other keys, as a class body leaves them). */
static uint64_t
heap_type(const char *tpname, const char *qualname, const char *module,
	  uint64_t flags, uint64_t basicsize, bool general_keys)
{
	uint64_t a = new_type(tpname, F.object, flags | HEAPTYPE, basicsize, 0);
	put64(at(a) + qualname_off(F.minor), pystr(qualname));
	uint64_t keys[3] = {pystr("__doc__"), pystr("__module__"),
			    pystr("__dict__")};
	uint64_t vals[3] = {pystr("doc"), module ? pystr(module) : 0,
			    pystr("descr")};
	if (module == NULL)
		keys[1] = pystr("__firstlineno__");
	put64(at(a) + TP_DICT, new_dict(keys, vals, 3, general_keys));
	return a;
}

/* The flags and basic size of a plain class's instances (a GC object with
 * a dict and weak references: in slots up to 3.10, in the pre-header
 * since). */
static uint64_t
class_flags(void)
{
	return HAVE_GC | (F.minor >= 12   ? MANAGED
			  : F.minor == 11 ? PMF__TPF_MANAGED_DICT
					  : 0);
}

static uint64_t
class_basicsize(void)
{
	return F.minor >= 12 ? 16 : F.minor == 11 ? 24 : 32;
}

/* Where a pointer lands, as attrib.c's blockid() does it (with the
 * pool's class read from its header here): the id of the block holding
 * it, its offset in the one arena / 16. */
static bool
blockid(void *ctx, uint64_t ptr, uint32_t *id)
{
	struct fx *f = ctx;
	if (ptr < ARENA || ptr - ARENA >= f->g.arena_size)
		return false;
	uint64_t pool = ptr & ~(f->g.pool_size - 1);
	unsigned size = pmf__geom_size(&f->g, pmf__ld32(at(pool) + 36));
	if (ptr < pool + f->g.overhead)
		return false;
	uint64_t block = pool + f->g.overhead +
			 (ptr - pool - f->g.overhead) / size * size;
	*id = (uint32_t)((block - ARENA) >> 4);
	return true;
}

/* The id blockid() gives the block at BLOCK. */
static uint32_t
block_id(uint64_t block)
{
	return (uint32_t)((block - ARENA) >> 4);
}

/* The fake target of 3.MINOR: the mappings, the arena, the types every
 * test uses; the classifier with HOOKS, the vector scan kept when SCAN
 * (and the CPU has it). */
static void
fx_init(unsigned minor, enum pmf__hooks hooks, bool scan)
{
	memset(&F, 0, sizeof(F));
	F.minor = minor;
	bool exact;
	const struct pmf__layout *lay = pmf__layout_find(3, minor, 0, &exact);
	ck_assert_ptr_nonnull(lay);
	pmf__geom_init(&F.g, lay);
	ck_assert(pmf__objlayout_get(minor, false, &F.g, &F.l));

	fake_mem_init(&F.fm);
	fake_mem_source(&F.fm, &F.mem);
	F.arena = fake_mem_add(&F.fm, ARENA, F.g.arena_size);
	fake_mem_add(&F.fm, TYPES, TYPES_LEN);
	fake_mem_add(&F.fm, RODATA, 0x10000);
	fake_mem_add(&F.fm, NOWHERE, 0x10000);
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__maps_parse(&F.maps, strdup(maps_text), &e), 0);
	pmf__pgcache_init(&F.pc, NULL); /* every page in RAM */
	F.arenas[0] = ARENA;
	pmf__typeres_init(&F.r, &F.l, &F.mem, &F.maps, &F.pc, F.arenas, 1,
			  F.g.arena_size);
	pmf__blocks_init(&F.b, &F.l, &F.g, &F.r, hooks);
	F.b.tally = &F.tally;
	F.b.blockid = blockid;
	F.b.ctx = &F;
	if (!scan)
		F.b.scan = NULL;

	F.tnext = TYPES + 0x100;
	/* type and object refer to each other: addresses first. */
	F.type = talloc(TYPE_BYTES);
	F.object = talloc(TYPE_BYTES);
	type_at(F.type, "type", F.type, F.object,
		PMF__TPF_TYPE_SUBCLASS | HAVE_GC, 880, 40);
	type_at(F.object, "object", F.type, 0, 0, 16, 0);
	F.flt = new_type("float", F.object, 0, 24, 0);
	/* str's basic size is a PyUnicodeObject (a compact str's own size
	 * comes from its state and length). */
	F.str = new_type("str", F.object, PMF__TPF_UNICODE_SUBCLASS,
			 str_compact_size(minor) + 8, 0);
	F.tuple = new_type("tuple", F.object,
			   HAVE_GC | PMF__TPF_TUPLE_SUBCLASS, 24, 8);
	F.list = new_type("list", F.object, HAVE_GC | PMF__TPF_LIST_SUBCLASS,
			  40, 0);
	F.dict = new_type("dict", F.object, HAVE_GC | PMF__TPF_DICT_SUBCLASS,
			  48, 0);
	F.inner = heap_type("Inner", "Outer.Inner", "mymod", class_flags(),
			    class_basicsize(), false);
}

static void
fx_free(void)
{
	pmf__blocks_free(&F.b);
	pmf__typeres_free(&F.r);
	pmf__tally_free(&F.tally);
	pmf__pgcache_free(&F.pc);
	pmf__pagemap_close(&F.pm);
	pmf__maps_free(&F.maps);
	fake_mem_free(&F.fm);
}

/* Pool K of the arena, of SIZE-byte blocks, CARVED of them carved and all
 * in use until pool_free(). */
static struct pool
pool_new(unsigned k, unsigned size, unsigned carved)
{
	ck_assert_uint_lt(F.npools, PMF_ARRAY_SIZE(F.pools));
	struct pool P = {.addr = ARENA + k * F.g.pool_size,
			 .p = F.arena + k * F.g.pool_size,
			 .size = size,
			 .in = F.npools++};
	put32(P.p + PMF__PH_COUNT, carved);
	put64(P.p + PMF__PH_FREEBLOCK, 0);
	put32(P.p + PMF__PH_ARENAINDEX, 7);
	put32(P.p + PMF__PH_SZIDX, size / F.g.alignment - 1);
	put32(P.p + PMF__PH_NEXTOFFSET, F.g.overhead + carved * size);
	put32(P.p + PMF__PH_MAXNEXTOFFSET, (uint32_t)F.g.pool_size - size);
	F.pools[P.in] = (struct pmf__pool_in){.addr = P.addr,
					      .p = P.p,
					      .len = F.g.pool_size,
					      .arenaindex = 7,
					      .walk_count = carved};
	return P;
}

static unsigned char *
blk(const struct pool *P, unsigned i)
{
	return P->p + F.g.overhead + i * P->size;
}

static uint64_t
baddr(const struct pool *P, unsigned i)
{
	return P->addr + F.g.overhead + i * P->size;
}

/* Frees blocks IDX[0..N) of P: chained in that order through their first
 * word, the count (and what the walk saw) lowered. */
static void
pool_free(struct pool *P, const unsigned *idx, unsigned n)
{
	put64(P->p + PMF__PH_FREEBLOCK, baddr(P, idx[0]));
	for (unsigned i = 0; i < n; i++)
		put64(blk(P, idx[i]), i + 1 < n ? baddr(P, idx[i + 1]) : 0);
	uint32_t cnt = pmf__ld32(P->p + PMF__PH_COUNT) - n;
	put32(P->p + PMF__PH_COUNT, cnt);
	F.pools[P->in].walk_count = cnt;
}

/* PyObject_HEAD at O. */
static void
pyobj(unsigned char *o, uint64_t rc, uint64_t type)
{
	put64(o, rc);
	put64(o + 8, type);
}

/* PyGC_Head at G. */
static void
gc_head(unsigned char *g, uint64_t next, uint64_t prev)
{
	put64(g, next);
	put64(g + 8, prev);
}

/* A tuple of N items, each ITEM (as many as a 64-byte block holds), whose
 * GC head is at Q. */
static void
put_tuple(unsigned char *q, uint64_t rc, uint64_t n, uint64_t item)
{
	pyobj(q + 16, rc, F.tuple);
	put64(q + 16 + OB_SIZE, n);
	for (unsigned i = 0; i < n && 40 + 8 * i < 64; i++)
		put64(q + 40 + 8 * i, item);
}

/* The debug hooks' prefix of a block at Q for a request of N bytes of
 * API API: the size (big-endian), the id, seven forbidden bytes; and the
 * trailing guard.  Returns where the data starts. */
static unsigned char *
hook(unsigned char *q, unsigned n, char api)
{
	for (int i = 0; i < 8; i++)
		q[i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	q[8] = (unsigned char)api;
	memset(q + 9, 0xfd, 7);
	memset(q + 16 + n, 0xfd, 8);
	return q + 16;
}

/* Classifies the pools added since the last call; the torn ones go in
 * TORN (indices into F.pools) and their blocks are given up as unknown,
 * as attrib.c does once its retries fail. */
static size_t
classify(size_t *torn)
{
	size_t first = F.done, n = F.npools - F.done;
	size_t local[PMF_ARRAY_SIZE(F.pools)];
	size_t nt = pmf__blocks_pools(&F.b, F.pools + first, n, local);
	for (size_t i = 0; i < nt; i++) {
		torn[i] = first + local[i];
		pmf__blocks_unknown(&F.b, &F.pools[torn[i]]);
	}
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__blocks_settle(&F.b, &e), 0);
	F.done = F.npools;
	return nt;
}

static uint64_t
count_id(uint32_t id)
{
	return id < F.tally.cap ? F.tally.count[id] : 0;
}

static uint64_t
bytes_id(uint32_t id)
{
	return id < F.tally.cap ? F.tally.bytes[id] : 0;
}

/* Every block counted, whatever its id. */
static uint64_t
count_all(void)
{
	uint64_t n = 0;
	for (size_t i = 0; i < F.tally.ntouched; i++)
		n += F.tally.count[F.tally.touched[i]];
	return n;
}

/* The id of the validated type at ADDR. */
static uint32_t
id_of(uint64_t addr)
{
	const struct pmf__tinfo *t;
	ck_assert_int_eq(pmf__typeres_find(&F.r, addr, &t), PMF__TS_TYPE);
	return t->id;
}

static uint64_t
count_of(uint64_t type)
{
	return count_id(id_of(type));
}

static const char *
name_of(uint64_t type)
{
	return pmf__typeres_name(&F.r, id_of(type));
}

/* Resolves ADDR alone (as a block's type candidate would be). */
static enum pmf__tstate
resolve(uint64_t addr)
{
	const struct pmf__tinfo *t;
	enum pmf__tstate st = pmf__typeres_find(&F.r, addr, &t);
	if (st != PMF__TS_PENDING)
		return st;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__typeres_resolve(&F.r, &e), 0);
	return pmf__typeres_find(&F.r, addr, &t);
}

/* True when some id carries NAME. */
static bool
name_known(const char *name)
{
	for (uint32_t id = PMF__T_FIRST; id < pmf__typeres_nids(&F.r); id++)
		if (strcmp(pmf__typeres_name(&F.r, id), name) == 0)
			return true;
	return false;
}

/* True when the ids V hold the block at BLOCK. */
static bool
has(const struct pmf__ids *v, uint64_t block)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] == block_id(block))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* objlayout                                                           */
/* ------------------------------------------------------------------ */

/* Every row against the CPython structures (the offsets above). */
START_TEST(test_objlayout_rows)
{
	struct pmf__objlayout l;
	for (unsigned minor = 6; minor <= 14; minor++) {
		ck_assert_msg(pmf__objlayout_get(minor, false, NULL, &l),
			      "3.%u", minor);
		ck_assert_uint_eq(l.minor, minor);
		ck_assert_uint_eq(l.ob_off, 0);
		ck_assert_uint_eq(l.tp_name, TP_NAME);
		ck_assert_uint_eq(l.tp_basicsize, TP_BASICSIZE);
		ck_assert_uint_eq(l.tp_itemsize, TP_ITEMSIZE);
		ck_assert_uint_eq(l.tp_flags, TP_FLAGS);
		ck_assert_uint_eq(l.tp_base, TP_BASE);
		ck_assert_uint_eq(l.tp_dict, TP_DICT);
		ck_assert_msg(l.ht_qualname == qualname_off(minor),
			      "3.%u: ht_qualname %u", minor, l.ht_qualname);
		ck_assert_uint_eq(l.str_ascii, str_ascii_size(minor));
		ck_assert_uint_eq(l.str_compact, str_compact_size(minor));
		ck_assert_uint_eq(l.str_utf8, str_ascii_size(minor) + 8);
		ck_assert_uint_eq(l.str_state, STR_STATE);
		ck_assert_uint_eq(l.str_length, STR_LENGTH);
		ck_assert_uint_eq(l.ob_size, OB_SIZE);
		ck_assert_uint_eq(l.list_items, LIST_ITEMS);
		ck_assert_uint_eq(l.dict_keys, DICT_KEYS);
		ck_assert_uint_eq(l.dict_values, DICT_VALUES);
		ck_assert_uint_eq(l.set_table, 40);
		ck_assert_uint_eq(l.set_small, 64);
		ck_assert_uint_eq(l.gc_size, minor <= 7 ? 32 : 16);
		ck_assert_uint_eq(l.managed_pre, minor >= 11 ? 16 : 0);
		ck_assert_uint_eq(l.managed_flags,
				  minor >= 12   ? MANAGED
				  : minor == 11 ? PMF__TPF_MANAGED_DICT
						: 0);
		ck_assert_int_eq(l.prevalues, minor == 11   ? PMF__PREVAL_311
					      : minor == 12 ? PMF__PREVAL_TAGGED
							    : PMF__PREVAL_NONE);
		ck_assert_int_eq(l.keys_311, minor >= 11);
		ck_assert_int_eq(l.long_tag, minor >= 12);
		ck_assert_int_eq(l.refcnt_split, minor >= 14);
		ck_assert_ptr_nonnull(l.verified);
	}
	ck_assert(!pmf__objlayout_get(5, false, NULL, &l));
	ck_assert(!pmf__objlayout_get(15, false, NULL, &l));
}
END_TEST

/* The PyGC_Head of 3.6/3.7 follows the allocator's alignment; debug
 * builds up to 3.7 put Py_TRACE_REFS' two pointers before ob_refcnt. */
START_TEST(test_objlayout_old_builds)
{
	struct pmf__objlayout l;
	struct pmf__geom g8 = {.alignment = 8}, g16 = {.alignment = 16};
	for (unsigned minor = 6; minor <= 7; minor++) {
		ck_assert(pmf__objlayout_get(minor, false, &g8, &l));
		ck_assert_uint_eq(l.gc_size, 24);
		ck_assert(pmf__objlayout_get(minor, false, &g16, &l));
		ck_assert_uint_eq(l.gc_size, 32);
		ck_assert(pmf__objlayout_get(minor, true, &g16, &l));
		ck_assert_uint_eq(l.ob_off, 16);
		ck_assert_uint_eq(l.gc_size, 32);
		ck_assert(pmf__objlayout_get(minor, true, &g8, &l));
		ck_assert_uint_eq(l.ob_off, 16);
		ck_assert_uint_eq(l.gc_size, 24);
	}
	/* 3.8 made PyGC_Head two words whatever the alignment, and
	 * Py_TRACE_REFS left debug builds. */
	ck_assert(pmf__objlayout_get(8, true, &g8, &l));
	ck_assert_uint_eq(l.gc_size, 16);
	ck_assert_uint_eq(l.ob_off, 0);
	ck_assert(pmf__objlayout_get(14, true, &g16, &l));
	ck_assert_uint_eq(l.ob_off, 0);
}
END_TEST

START_TEST(test_objlayout_pre)
{
	struct pmf__objlayout l;
	ck_assert(pmf__objlayout_get(8, false, NULL, &l));
	ck_assert_uint_eq(pmf__objlayout_pre(&l, 0), 0);
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC), 16);
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC | MANAGED), 16);
	ck_assert(pmf__objlayout_get(11, false, NULL, &l));
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC |
						   PMF__TPF_MANAGED_DICT),
			  32);
	/* 3.11 has no managed weakref: that flag alone adds nothing. */
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC |
						   PMF__TPF_MANAGED_WEAKREF),
			  16);
	ck_assert(pmf__objlayout_get(12, false, NULL, &l));
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC | MANAGED), 32);
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC |
						   PMF__TPF_MANAGED_WEAKREF),
			  32);
	ck_assert(pmf__objlayout_get(6, false, NULL, &l));
	ck_assert_uint_eq(pmf__objlayout_pre(&l, HAVE_GC), 32);
}
END_TEST

START_TEST(test_refstate)
{
	struct pmf__objlayout l13, l14;
	ck_assert(pmf__objlayout_get(13, false, NULL, &l13));
	ck_assert(pmf__objlayout_get(14, false, NULL, &l14));
	const uint64_t link = ARENA + 0x4030; /* a block of an arena */

	/* Up to 3.13: a Py_ssize_t, 0 on a free list. */
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, 0), PMF__REF_DEAD);
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, 1), PMF__REF_LIVE);
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, 0xffffffffull),
			 PMF__REF_LIVE); /* immortal */
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, 1ull << 32),
			 PMF__REF_BAD);
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, link), PMF__REF_BAD);
	ck_assert_int_eq(pmf__objlayout_refstate(&l13, UINT64_MAX),
			 PMF__REF_BAD); /* -1 */

	/* 3.14: 32-bit count, 16-bit overflow, 16 bits of flags; a free
	 * list links through the whole word. */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, 0), PMF__REF_DEAD);
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, 1), PMF__REF_LIVE);
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, 3ull << 30),
			 PMF__REF_LIVE); /* _Py_IMMORTAL_INITIAL_REFCNT */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14,
						 (4ull << 48) | (3ull << 30)),
			 PMF__REF_LIVE); /* with _Py_STATICALLY_ALLOCATED */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, 0xffffffffull),
			 PMF__REF_LIVE);
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, link), PMF__REF_DEAD);
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, link + 4),
			 PMF__REF_BAD); /* misaligned: no link */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, (5ull << 32) | 7),
			 PMF__REF_BAD); /* an overflow: never live */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, 1ull << 48),
			 PMF__REF_BAD); /* flags, no count */
	ck_assert_int_eq(pmf__objlayout_refstate(&l14, UINT64_MAX),
			 PMF__REF_BAD);
}
END_TEST

/* ------------------------------------------------------------------ */
/* typeres: names                                                      */
/* ------------------------------------------------------------------ */

static const unsigned minors[] = {8, 12, 14};

/* Static types by tp_name, heap types by __module__ and __qualname__;
 * the kinds and pre-headers the classifier relies on. */
START_TEST(test_type_names)
{
	fx_init(minors[_i], PMF__HOOKS_OFF, true);
	ck_assert_int_eq(resolve(F.inner), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(F.inner), "mymod.Outer.Inner");
	/* Its base and metatype were resolved with it. */
	ck_assert_str_eq(name_of(F.object), "object");
	ck_assert_str_eq(name_of(F.type), "type");
	ck_assert_uint_eq(F.r.object_type, F.object);

	uint64_t all[] = {F.flt, F.str, F.tuple, F.list, F.dict};
	const char *names[] = {"float", "str", "tuple", "list", "dict"};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(all); i++) {
		ck_assert_int_eq(resolve(all[i]), PMF__TS_TYPE);
		ck_assert_str_eq(name_of(all[i]), names[i]);
	}
	const struct pmf__tinfo *t;
	pmf__typeres_find(&F.r, F.str, &t);
	ck_assert_uint_eq(t->kind, PMF__K_STR);
	ck_assert_uint_eq(t->pre, 0);
	pmf__typeres_find(&F.r, F.list, &t);
	ck_assert_uint_eq(t->kind, PMF__K_LIST);
	ck_assert_uint_eq(t->pre, 16);
	pmf__typeres_find(&F.r, F.dict, &t);
	ck_assert_uint_eq(t->kind, PMF__K_DICT);
	pmf__typeres_find(&F.r, F.tuple, &t);
	ck_assert_uint_eq(t->kind, PMF__K_OTHER);
	ck_assert_uint_eq(t->itemsize, 8);
	pmf__typeres_find(&F.r, F.flt, &t);
	ck_assert_uint_eq(t->pre, 0);
	ck_assert_uint_eq(t->basicsize, 24);
	pmf__typeres_find(&F.r, F.inner, &t);
	ck_assert_uint_eq(t->pre, F.minor >= 11 ? 32 : 16);
	ck_assert_uint_eq(t->kind, PMF__K_OTHER);

	/* A second class of another module: its "__module__" key is
	 * another str object than the one remembered, and found by its
	 * text; general (non-str-only) keys on 3.11+. */
	uint64_t other = heap_type("C", "C", "pkg.mod", class_flags(),
				   class_basicsize(), true);
	ck_assert_int_eq(resolve(other), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(other), "pkg.mod.C");

	/* A builtins class: no module in its name. */
	uint64_t bi = heap_type("Plain", "Plain", "builtins", class_flags(),
				class_basicsize(), false);
	ck_assert_int_eq(resolve(bi), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(bi), "Plain");
	/* A type's dict is never split: values in one are not read as its
	 * keys' (no module then). */
	uint64_t sp = heap_type("Split", "Split", "mod", class_flags(),
				class_basicsize(), false);
	put64(at(pmf__ld64(at(sp) + TP_DICT)) + DICT_VALUES, TYPES + 0x40);
	ck_assert_int_eq(resolve(sp), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(sp), "Split");

	/* A str subclass is not compact: its kind is not str. */
	uint64_t sub = heap_type("S", "S", "m", PMF__TPF_UNICODE_SUBCLASS,
				 str_compact_size(F.minor) + 8, false);
	ck_assert_int_eq(resolve(sub), PMF__TS_TYPE);
	pmf__typeres_find(&F.r, sub, &t);
	ck_assert_uint_eq(t->kind, PMF__K_OTHER);

	/* A non-ASCII qualname (UCS-2 compact str), as UTF-8. */
	uint64_t uni = new_type("Omega", F.object, HEAPTYPE | class_flags(),
				class_basicsize(), 0);
	uint64_t q = talloc(str_compact_size(F.minor) + 16);
	unsigned char *qo = at(q);
	pyobj(qo, 1, F.str);
	put64(qo + STR_LENGTH, 2);
	put32(qo + STR_STATE, str_state(2, false));
	put32(qo + str_compact_size(F.minor), 0x03bc03a9); /* "Ωμ" */
	put64(at(uni) + qualname_off(F.minor), q);
	uint64_t k = pystr("__module__"), v = pystr("m");
	put64(at(uni) + TP_DICT, new_dict(&k, &v, 1, false));
	ck_assert_int_eq(resolve(uni), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(uni), "m.\xce\xa9\xce\xbc");

	/* Ids below PMF__T_FIRST and past the last name. */
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_NONOBJ),
			 "<non-object>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_FREELISTED),
			 "<free-listed>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_UNKNOWN), "<unknown>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_LISTITEMS),
			 "<list items>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_DICTKEYS),
			 "<dict keys>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_DICTVALUES),
			 "<dict values>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, PMF__T_SETTABLE),
			 "<set table>");
	ck_assert_str_eq(pmf__typeres_name(&F.r, pmf__typeres_nids(&F.r)),
			 "<unknown>");
	fx_free();
}
END_TEST

/* ------------------------------------------------------------------ */
/* typeres: what is not a type                                         */
/* ------------------------------------------------------------------ */

/* Type candidates that must never name a block, each used as the type of
 * a live-looking object in a 32-byte block.  They are resolved in the
 * same batch as the real types, and then after them. */
START_TEST(test_garbage_types)
{
	fx_init(minors[_i], PMF__HOOKS_OFF, true);
	uint64_t bad[40];
	unsigned nb = 0;
	uint64_t a, y;

	/* Readable nowhere, though mapped rw. */
	bad[nb++] = HOLE + 0x100;
	/* A perfect type in a read-only mapping (no refcount changes). */
	bad[nb++] = type_at(RODATA + 0x100, "ro_type", F.type, F.object, 0,
			    24, 0);
	/* A perfect type in no mapping at all. */
	bad[nb++] = type_at(NOWHERE + 0x100, "lost_type", F.type, F.object,
			    0, 24, 0);
	/* A perfect type inside the arena (an unused pool of it). */
	bad[nb++] = type_at(ARENA + 15 * F.g.pool_size + 64, "arena_type",
			    F.type, F.object, 0, 24, 0);
	/* Metatypes that are not types of types: float, and garbage. */
	bad[nb++] = type_at(talloc(TYPE_BYTES), "meta_float", F.flt,
			    F.object, 0, 24, 0);
	bad[nb++] = type_at(talloc(TYPE_BYTES), "meta_hole", HOLE + 0x200,
			    F.object, 0, 24, 0);
	bad[nb++] = type_at(talloc(TYPE_BYTES), "meta_nowhere",
			    NOWHERE + 0x100, F.object, 0, 24, 0);
	/* A base chain ending at a base-less type that is not object. */
	y = new_type("notobject", 0, 0, 16, 0);
	bad[nb++] = new_type("base_notobject", y, 0, 24, 0);
	/* A base chain going round. */
	a = talloc(TYPE_BYTES);
	y = new_type("loop_b", a, 0, 24, 0);
	bad[nb++] = type_at(a, "loop_a", F.type, y, 0, 24, 0);
	/* A base that cannot be read. */
	bad[nb++] = new_type("base_hole", HOLE + 0x300, 0, 24, 0);
	/* Names that are not printable, or not there. */
	bad[nb++] = new_type("ctl\x01name", F.object, 0, 24, 0);
	bad[nb++] = new_type("c1\xc2\x85", F.object, 0, 24, 0);
	bad[nb++] = new_type("cut\xc3", F.object, 0, 24, 0);
	bad[nb++] = new_type("", F.object, 0, 24, 0);
	a = new_type("name_hole", F.object, 0, 24, 0);
	put64(at(a) + TP_NAME, HOLE + 0x400);
	bad[nb++] = a;
	a = new_type("name_null", F.object, 0, 24, 0);
	put64(at(a) + TP_NAME, 0);
	bad[nb++] = a;
	/* A heap type with neither a printable qualname nor tp_name. */
	a = heap_type("bad\x7f", "bad\x1bqual", "mymod", HAVE_GC, 32, false);
	bad[nb++] = a;
	/* A heap type without a base, named object. */
	a = heap_type("object", "object", NULL, HAVE_GC, 32, false);
	put64(at(a) + TP_BASE, 0);
	bad[nb++] = a;
	/* Header fields no type object has. */
	struct {
		const char *name;
		unsigned off;
		uint64_t v;
	} hdr[] = {
		{"not_ready", TP_FLAGS, 0},
		{"readying", TP_FLAGS, READY | PMF__TPF_READYING},
		{"dead", 0, 0},
		{"ptr_refcnt", 0, TYPES + 0x1000 + 1},
		{"tiny", TP_BASICSIZE, 8},
		{"huge", TP_BASICSIZE, 1ull << 40},
		{"items", TP_ITEMSIZE, 1ull << 20},
		{"meta_null", 8, 0},
		{"meta_odd", 8, F.type + 4},
		{"base_odd", TP_BASE, F.object + 2},
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(hdr); i++) {
		a = new_type(hdr[i].name, F.object, 0, 24, 0);
		put64(at(a) + hdr[i].off, hdr[i].v);
		bad[nb++] = a;
	}
	ck_assert_uint_le(nb, PMF_ARRAY_SIZE(bad));

	/* One pool: a real float, then a block per candidate. */
	struct pool P = pool_new(0, 32, nb + 1);
	pyobj(blk(&P, 0), 1, F.flt);
	for (unsigned i = 0; i < nb; i++)
		pyobj(blk(&P, i + 1), 1, bad[i]);
	size_t torn[4];
	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_of(F.flt), 1);
	ck_assert_uint_eq(count_id(PMF__T_NONOBJ), nb);
	ck_assert_uint_eq(count_all(), nb + 1);
	/* Refused, and no name of theirs was ever kept. */
	for (unsigned i = 0; i < nb; i++) {
		const struct pmf__tinfo *t;
		ck_assert_msg(pmf__typeres_find(&F.r, bad[i], &t) ==
				      PMF__TS_NOT,
			      "candidate %u", i);
	}
	static const char *const good[] = {"type", "object", "float"};
	for (uint32_t id = PMF__T_FIRST; id < pmf__typeres_nids(&F.r); id++) {
		const char *n = pmf__typeres_name(&F.r, id);
		bool ok = false;
		for (size_t k = 0; k < PMF_ARRAY_SIZE(good); k++)
			ok |= strcmp(n, good[k]) == 0;
		ck_assert_msg(ok, "a refused type was named \"%s\"", n);
	}
	ck_assert_uint_eq(pmf__typeres_nids(&F.r), PMF__T_FIRST + 3);

	/* Once object is known, another base-less "object" is not it. */
	uint64_t obj2 = type_at(talloc(TYPE_BYTES), "object", F.type, 0, 0,
				16, 0);
	uint64_t child = new_type("child_of_fake", obj2, 0, 24, 0);
	struct pool Q = pool_new(1, 32, 2);
	pyobj(blk(&Q, 0), 1, child);
	pyobj(blk(&Q, 1), 1, F.flt);
	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_of(F.flt), 2);
	ck_assert_uint_eq(count_id(PMF__T_NONOBJ), nb + 1);
	ck_assert(!name_known("child_of_fake"));
	ck_assert_uint_eq(F.r.object_type, F.object);
	fx_free();
}
END_TEST

/* A candidate whose pages are not in RAM is undecided: its blocks are
 * "<unknown>", not "<non-object>" (and nothing of it is read).  The
 * pagemap of this process says so of every fake address. */
START_TEST(test_not_in_ram)
{
	fx_init(12, PMF__HOOKS_OFF, true);
	struct pmf__err e = {0};
	if (pmf__pagemap_open(&F.pm, getpid(), &e) < 0) {
		fx_free();
		return; /* no pagemap here: nothing to check */
	}
	F.pc.pm = &F.pm;
	ck_assert(!pmf__pgcache_present(&F.pc, TYPES, 8));
	struct pool P = pool_new(0, 32, 3);
	pyobj(blk(&P, 0), 1, F.flt);
	pyobj(blk(&P, 1), 1, NOWHERE + 0x100); /* in no mapping */
	pyobj(blk(&P, 2), 1, F.flt);
	size_t torn[2];
	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_id(PMF__T_UNKNOWN), 2);
	ck_assert_uint_eq(count_id(PMF__T_NONOBJ), 1);
	ck_assert_uint_eq(count_all(), 3);
	const struct pmf__tinfo *t;
	ck_assert_int_eq(pmf__typeres_find(&F.r, F.flt, &t),
			 PMF__TS_UNDECIDED);
	ck_assert_uint_eq(F.r.reads, 0);
	fx_free();
}
END_TEST

/* ------------------------------------------------------------------ */
/* objtype: pools                                                      */
/* ------------------------------------------------------------------ */

/* Every case of a block, on 3.8, 3.12 and 3.14, with the vector scan for
 * free blocks and with the chain walk (_i: minor index * 2 + chain). */
START_TEST(test_pools)
{
	fx_init(minors[_i / 2], PMF__HOOKS_OFF, _i % 2 == 0);
	const bool split = F.l.refcnt_split;
	const uint64_t outside = TYPES + 0x40; /* a pointer, no arena's */
	size_t torn[8];

	/* P0, 32-byte blocks: objects at offset 0. */
	struct pool P0 = pool_new(0, 32, 10);
	pyobj(blk(&P0, 0), 1, F.flt);
	pyobj(blk(&P0, 1), immortal(), F.flt);
	/* A refcount that is a pointer: not an object. */
	pyobj(blk(&P0, 3), outside, F.flt);
	/* Refcount 0: a dead float, kept on a free list. */
	pyobj(blk(&P0, 4), 0, F.flt);
	/* Up to 3.13 free-listed floats link through ob_type. */
	pyobj(blk(&P0, 5), 0, baddr(&P0, 4));
	/* 3.14 links them (and every free list) through the refcount. */
	pyobj(blk(&P0, 6), baddr(&P0, 0), F.flt);
	pyobj(blk(&P0, 9), 1, F.flt);
	/* Stale floats in free blocks: their first word becomes the free
	 * chain's link (into the arena, or NULL), which on 3.14 would make
	 * them free-listed floats - but a free block is never counted. */
	pyobj(blk(&P0, 2), 1, F.flt);
	pyobj(blk(&P0, 8), 1, F.flt);
	pool_free(&P0, (const unsigned[]){7, 2, 8}, 3);

	/* P1, 64-byte blocks: GC objects, after their 16-byte head. */
	struct pool P1 = pool_new(1, 64, 8);
	gc_head(blk(&P1, 0), baddr(&P1, 1), baddr(&P1, 4));
	put_tuple(blk(&P1, 0), 1, 2, baddr(&P0, 0));
	/* Untracked: a NULL first word, as a free block's can be. */
	gc_head(blk(&P1, 1), 0, 0);
	put_tuple(blk(&P1, 1), 1, 3, baddr(&P0, 1));
	/* A stale tuple in a free block. */
	put_tuple(blk(&P1, 2), 1, 2, baddr(&P0, 0));
	/* A tuple too long for its block. */
	put_tuple(blk(&P1, 3), 1, 100, 0);
	/* A list owning its items buffer (P2, block 0). */
	gc_head(blk(&P1, 4), baddr(&P1, 0), baddr(&P1, 7));
	pyobj(blk(&P1, 4) + 16, 1, F.list);
	put64(blk(&P1, 4) + 16 + OB_SIZE, 4);
	put64(blk(&P1, 4) + 16 + LIST_ITEMS, ARENA + 2 * F.g.pool_size + 48);
	put64(blk(&P1, 4) + 16 + 32, 4);
	/* Dead tuples: refcount 0, or a 3.14 link into the arena. */
	put_tuple(blk(&P1, 5), 0, 1, 0);
	put_tuple(blk(&P1, 6), baddr(&P1, 5) + 16, 1, 0);
	/* An empty list: no buffer. */
	gc_head(blk(&P1, 7), baddr(&P1, 4), baddr(&P1, 0));
	pyobj(blk(&P1, 7) + 16, 1, F.list);
	pool_free(&P1, (const unsigned[]){2}, 1);

	/* P2, 48-byte blocks: a buffer, instances of a class. */
	struct pool P2 = pool_new(2, 48, 6);
	for (unsigned i = 0; i < 4; i++)
		put64(blk(&P2, 0) + 8 * i, baddr(&P0, i == 3 ? 9 : i));
	for (unsigned i = 1; i <= 3; i += 2) {
		unsigned char *q = blk(&P2, i);
		if (F.minor >= 11) {
			/* weakref list, dict-or-values (3.12: values,
			 * tagged), GC head, object at 32. */
			put64(q, 0);
			put64(q + 8, F.l.prevalues == PMF__PREVAL_TAGGED &&
						     i == 1
					     ? baddr(&P2, 2) | 1
					     : 0);
			gc_head(q + 16, baddr(&P1, 0), baddr(&P1, 4));
			pyobj(q + 32, 1, F.inner);
		} else {
			gc_head(q, baddr(&P1, 0), baddr(&P1, 4));
			pyobj(q + 16, 1, F.inner);
		}
	}
	/* The values of the 3.12 instance (any buffer elsewhere). */
	put64(blk(&P2, 2), baddr(&P0, 0));
	memset(blk(&P2, 5), 0x41, 48);
	pool_free(&P2, (const unsigned[]){4}, 1);

	/* P3, 96-byte blocks: compact strs fit by their own length. */
	unsigned fit = 96 - str_ascii_size(F.minor) - 1;
	char s[128];
	memset(s, 'a', sizeof(s));
	struct pool P3 = pool_new(3, 96, 8);
	put_str(blk(&P3, 0), "hello", 5);
	s[fit] = '\0';
	put_str(blk(&P3, 1), s, fit);
	/* One more character would need a 97th byte. */
	s[fit] = 'a';
	s[fit - 1] = '\0';
	put_str(blk(&P3, 2), s, fit + 1);
	put_str(blk(&P3, 3), "hello", 1000);
	/* UCS-2: "Ωμέγα". */
	put_str(blk(&P3, 4), "", 5);
	put32(blk(&P3, 4) + STR_STATE, str_state(2, false));
	static const uint16_t omega[] = {0x3a9, 0x3bc, 0x3ad, 0x3b3, 0x3b1, 0};
	for (unsigned i = 0; i < 6; i++)
		put32(blk(&P3, 4) + str_compact_size(F.minor) + 2 * i,
		      omega[i]);
	/* Not compact (its characters elsewhere): a PyUnicodeObject. */
	put_str(blk(&P3, 5), "", 3);
	put32(blk(&P3, 5) + STR_STATE, 1u << 2);
	/* Kinds no str has. */
	put_str(blk(&P3, 6), "abc", 3);
	put32(blk(&P3, 6) + STR_STATE, str_state(3, false));
	put_str(blk(&P3, 7), "abc", 3);
	put32(blk(&P3, 7) + STR_STATE, str_state(2, true));

	/* P4-P7, torn: a chain out of the pool, a count that disagrees
	 * with the chain, a link into the middle of a block, a pool not
	 * read whole.  Their blocks are perfect floats: none may be counted
	 * as one. */
	struct pool T[4];
	for (unsigned k = 0; k < 4; k++) {
		T[k] = pool_new(4 + k, 32, 4);
		for (unsigned i = 0; i < 4; i++)
			pyobj(blk(&T[k], i), 1, F.flt);
	}
	pool_free(&T[0], (const unsigned[]){1}, 1);
	put64(blk(&T[0], 1), NOWHERE);
	pool_free(&T[1], (const unsigned[]){1}, 1);
	put32(T[1].p + PMF__PH_COUNT, 2);
	/* (A NULL word there, and a count that takes it for a second
	 * free block: only the block boundary gives it away.) */
	pool_free(&T[2], (const unsigned[]){1}, 1);
	put64(blk(&T[2], 1), baddr(&T[2], 2) + 16);
	put32(T[2].p + PMF__PH_COUNT, 2);
	F.pools[T[2].in].walk_count = 2;
	F.pools[T[3].in].len = F.g.overhead + 2 * 32;

	/* P8: whole, but not as the walk saw it (one more block then). */
	struct pool P8 = pool_new(8, 32, 4);
	for (unsigned i = 0; i < 4; i++)
		pyobj(blk(&P8, i), 1, F.flt);
	F.pools[P8.in].walk_count = 5;

	ck_assert_uint_eq(classify(torn), 4);
	for (unsigned k = 0; k < 4; k++)
		ck_assert_uint_eq(torn[k], T[k].in);

	ck_assert_str_eq(name_of(F.flt), "float");
	ck_assert_str_eq(name_of(F.tuple), "tuple");
	ck_assert_str_eq(name_of(F.list), "list");
	ck_assert_str_eq(name_of(F.str), "str");
	ck_assert_str_eq(name_of(F.inner), "mymod.Outer.Inner");
	ck_assert_uint_eq(count_of(F.flt), 3 + 4);
	ck_assert_uint_eq(bytes_id(id_of(F.flt)), 7 * 32);
	ck_assert_uint_eq(count_of(F.tuple), 2);
	ck_assert_uint_eq(count_of(F.list), 2);
	ck_assert_uint_eq(bytes_id(id_of(F.list)), 2 * 64);
	ck_assert_uint_eq(count_of(F.inner), 2);
	ck_assert_uint_eq(count_of(F.str), 4);
	/* P0: 3, 5 or 6; P1: 3 (and 6 up to 3.13); P2: 0, 2, 5; P3: 2, 3,
	 * 6, 7. */
	ck_assert_uint_eq(count_id(PMF__T_NONOBJ), 10 + !split);
	/* P0: 4, 6 or 5; P1: 5 (and 6 on 3.14). */
	ck_assert_uint_eq(count_id(PMF__T_FREELISTED), 3 + split);
	/* The torn pools, by what the walk saw: 3 + 3 + 2 + 4. */
	ck_assert_uint_eq(count_id(PMF__T_UNKNOWN), 12);
	ck_assert_uint_eq(bytes_id(PMF__T_UNKNOWN), 12 * 32);
	ck_assert_uint_eq(count_all(), 7 + 2 + 2 + 2 + 4 + 14 + 12);
	ck_assert_uint_eq(F.b.pools_read, 9);
	ck_assert_uint_eq(F.b.pools_torn, 4);
	ck_assert_uint_eq(F.b.pools_changed, 1);
	ck_assert_uint_eq(F.b.blocks_live, 7 + 7 + 5 + 8 + 4 + 12);

	/* The list's items (and 3.12's values) are recorded with their
	 * owner's kind, for attrib.c to relabel; both are non-objects. */
	ck_assert_uint_eq(F.b.nonobj.n, count_id(PMF__T_NONOBJ));
	ck_assert(has(&F.b.nonobj, baddr(&P2, 0)));
	ck_assert(has(&F.b.nonobj, baddr(&P2, 2)));
	ck_assert(!has(&F.b.nonobj, baddr(&P0, 2)));
	bool tagged = F.l.prevalues == PMF__PREVAL_TAGGED;
	const struct pmf__ids *items =
		&F.b.owned[PMF__T_LISTITEMS - PMF__T_LISTITEMS];
	const struct pmf__ids *values =
		&F.b.owned[PMF__T_DICTVALUES - PMF__T_LISTITEMS];
	ck_assert_uint_eq(items->n, 1);
	ck_assert(has(items, baddr(&P2, 0)));
	ck_assert_uint_eq(values->n, tagged);
	if (tagged)
		ck_assert(has(values, baddr(&P2, 2)));
	fx_free();
}
END_TEST

/* pmf__blocks_classify on its own: each offset, and the boundaries of
 * fits(). */
START_TEST(test_classify_one)
{
	fx_init(minors[_i], PMF__HOOKS_OFF, true);
	unsigned char q[64];
	struct pmf__err e = {0};
	/* First sight: pending on the candidate. */
	memset(q, 0, sizeof(q));
	pyobj(q, 1, F.flt);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 32),
			  UINT32_MAX);
	ck_assert_int_eq(pmf__typeres_resolve(&F.r, &e), 0);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 32),
			  id_of(F.flt));
	/* A float needs 24 bytes: not in 16. */
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 16),
			  PMF__T_NONOBJ);
	/* A tuple of 3 needs 16 + 48 bytes. */
	ck_assert_int_eq(resolve(F.tuple), PMF__TS_TYPE);
	memset(q, 0, sizeof(q));
	put_tuple(q, 1, 3, 0);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 64),
			  id_of(F.tuple));
	put64(q + 16 + OB_SIZE, 4);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 64),
			  PMF__T_NONOBJ);
	/* A float where only a GC type's instance can start. */
	memset(q, 0, sizeof(q));
	pyobj(q + 16, 1, F.flt);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 48),
			  PMF__T_NONOBJ);
	/* A tuple at offset 0: it has a GC head. */
	memset(q, 0, sizeof(q));
	pyobj(q, 1, F.tuple);
	ck_assert_uint_eq(pmf__blocks_classify(&F.b, q, ARENA + 48, 48),
			  PMF__T_NONOBJ);
	fx_free();
}
END_TEST

/* The debug hooks' 16-byte prefix: HOOKS_ON takes every block to carry
 * it, HOOKS_AUTO lets each block say (_i: minor index * 2 + auto). */
START_TEST(test_hooks)
{
	bool autom = _i % 2 == 1;
	fx_init(minors[_i / 2], autom ? PMF__HOOKS_AUTO : PMF__HOOKS_ON,
		true);
	ck_assert_uint_eq(F.b.dbg_extra, 24);
	size_t torn[2];

	/* H0, 48-byte blocks: a float and its 24 bytes of hooks. */
	struct pool H0 = pool_new(0, 48, 6);
	pyobj(hook(blk(&H0, 0), 24, 'o'), 1, F.flt);
	/* The same bytes from PyMem_Malloc ('m') are no object. */
	pyobj(hook(blk(&H0, 1), 24, 'm'), 1, F.flt);
	/* A free-listed float: ob_type the link up to 3.13. */
	pyobj(hook(blk(&H0, 2), 24, 'o'), 0,
	      F.l.refcnt_split ? F.flt : 0);
	pyobj(hook(blk(&H0, 3), 24, 'r'), 1, F.flt);
	/* An instance of a class without the hooks. */
	unsigned char *q = blk(&H0, 4);
	unsigned o = F.minor >= 11 ? 16 : 0;
	gc_head(q + o, baddr(&H0, 0), baddr(&H0, 1));
	pyobj(q + o + 16, 1, F.inner);
	pool_free(&H0, (const unsigned[]){5}, 1);

	/* H1, 80-byte blocks: a tuple of 2 (16 + 56 + 8) and a list. */
	struct pool H1 = pool_new(1, 80, 3);
	q = hook(blk(&H1, 0), 56, 'o');
	gc_head(q, baddr(&H1, 1) + 16, 0);
	put_tuple(q, 1, 2, baddr(&H0, 0) + 16);
	q = hook(blk(&H1, 1), 56, 'o');
	gc_head(q, 0, baddr(&H1, 0) + 16);
	pyobj(q + 16, 1, F.list);
	put64(q + 16 + OB_SIZE, 4);
	/* Its items point at the data, past the prefix. */
	put64(q + 16 + LIST_ITEMS, ARENA + 2 * F.g.pool_size + 48 + 16);
	/* A buffer ('m') starting like a tuple: read without the prefix it
	 * would be a GC object at offset 16. */
	q = hook(blk(&H1, 2), 56, 'm');
	pyobj(q, 1, F.tuple);
	put64(q + OB_SIZE, 2);

	/* H2, 64-byte blocks: the items ('m', 16 + 32 + 8). */
	struct pool H2 = pool_new(2, 64, 1);
	q = hook(blk(&H2, 0), 32, 'm');
	for (unsigned i = 0; i < 4; i++)
		put64(q + 8 * i, baddr(&H0, 0) + 16);

	/* H3, 32-byte blocks: too small for the hooks, a plain float. */
	struct pool H3 = pool_new(3, 32, 1);
	pyobj(blk(&H3, 0), 1, F.flt);

	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_of(F.flt), autom ? 2 : 1);
	ck_assert_uint_eq(count_id(PMF__T_FREELISTED), 1);
	ck_assert_uint_eq(count_of(F.tuple), 1);
	ck_assert_uint_eq(count_of(F.list), 1);
	if (autom)
		ck_assert_uint_eq(count_of(F.inner), 1);
	/* Two 'm', 'r', the items; with HOOKS_ON the two plain blocks
	 * too. */
	ck_assert_uint_eq(count_id(PMF__T_NONOBJ), autom ? 4 : 6);
	ck_assert_uint_eq(count_all(), 5 + 3 + 1 + 1);
	ck_assert_uint_eq(F.b.owned[0].n, 1);
	ck_assert(has(&F.b.owned[0], baddr(&H2, 0)));
	ck_assert(has(&F.b.nonobj, baddr(&H2, 0)));
	fx_free();
}
END_TEST

/* The vector scan takes the free blocks from the blocks' first words and
 * the count, not from the header's chain: a pool whose freeblock pointer
 * is torn, or whose chain goes round, but whose blocks agree with its
 * count is read by the scan and given up by the chain walk.  Both
 * answers are consistent (the blocks are classified as they are); the
 * test pins which path gives which. */
START_TEST(test_scan_vs_chain)
{
	for (int scan = 0; scan <= 1; scan++) {
		fx_init(12, PMF__HOOKS_OFF, scan);
		if (scan && F.b.scan == NULL) {
			fx_free();
			break; /* no AVX-512 here */
		}
		struct pool P = pool_new(0, 32, 4);
		struct pool Q = pool_new(1, 32, 4);
		for (unsigned i = 0; i < 4; i++) {
			pyobj(blk(&P, i), 1, F.flt);
			pyobj(blk(&Q, i), 1, F.flt);
		}
		pool_free(&P, (const unsigned[]){2}, 1);
		put64(P.p + PMF__PH_FREEBLOCK, NOWHERE);
		pool_free(&Q, (const unsigned[]){1, 2}, 2);
		put64(blk(&Q, 2), baddr(&Q, 1));
		size_t torn[2];
		ck_assert_uint_eq(classify(torn), scan ? 0 : 2);
		if (scan)
			ck_assert_uint_eq(count_of(F.flt), 3 + 2);
		else
			ck_assert_uint_eq(count_id(PMF__T_UNKNOWN), 3 + 2);
		ck_assert_uint_eq(count_all(), 3 + 2);
		fx_free();
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Once bugs                                                           */
/* ------------------------------------------------------------------ */

/* Every offset's candidate is queued in one batch: once, classification
 * stopped at the first new candidate, and after the batch a later
 * offset's new candidate left the block "<unknown>".  A GC object whose
 * gc_prev (the candidate at offset 0) points at a generation's list
 * head, and whose type no other block queued, must be named. */
START_TEST(test_second_candidate)
{
	fx_init(8, PMF__HOOKS_OFF, true);
	/* A generation's list head in the interpreter's rw data. */
	uint64_t gen = talloc(32);
	struct pool P = pool_new(0, 64, 1);
	gc_head(blk(&P, 0), gen, gen);
	put_tuple(blk(&P, 0), 1, 2, baddr(&P, 0));
	size_t torn[1];
	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_id(PMF__T_UNKNOWN), 0);
	ck_assert_uint_eq(count_of(F.tuple), 1);
	fx_free();
}
END_TEST

/* The same with the type already known: a 3.12 instance whose dict
 * pointer (offset 0's candidate) and gc_prev (offset 16's) both point at
 * malloc'd objects is named by its class, resolved before. */
START_TEST(test_second_candidate_known_type)
{
	fx_init(12, PMF__HOOKS_OFF, true);
	ck_assert_int_eq(resolve(F.inner), PMF__TS_TYPE);
	uint64_t keys = pystr("x"), val = pystr("y");
	uint64_t big_dict = new_dict(&keys, &val, 1, false);
	uint64_t big_list = talloc(64);
	pyobj(at(big_list + 16), 1, F.list);
	struct pool P = pool_new(0, 48, 1);
	unsigned char *q = blk(&P, 0);
	put64(q + 8, big_dict);          /* materialized __dict__ */
	gc_head(q + 16, 0, big_list);    /* the previous GC object */
	pyobj(q + 32, 1, F.inner);
	size_t torn[1];
	ck_assert_uint_eq(classify(torn), 0);
	ck_assert_uint_eq(count_id(PMF__T_UNKNOWN), 0);
	ck_assert_uint_eq(count_of(F.inner), 1);
	fx_free();
}
END_TEST

/* repr() of a class whose __module__ is "builtins" shows its tp_name
 * (type_repr: "<class '%s'>", type->tp_name), not its qualname: a class
 * nested in another is "Inner", not "Outer.Inner". */
START_TEST(test_builtins_module)
{
	fx_init(minors[_i], PMF__HOOKS_OFF, true);
	uint64_t t = heap_type("Inner", "Outer.Inner", "builtins",
			       class_flags(), class_basicsize(), false);
	ck_assert_int_eq(resolve(t), PMF__TS_TYPE);
	ck_assert_str_eq(name_of(t), "Inner");
	fx_free();
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("objtype");
	TCase *tc = tcase_create("objtype");
	tcase_add_test(tc, test_objlayout_rows);
	tcase_add_test(tc, test_objlayout_old_builds);
	tcase_add_test(tc, test_objlayout_pre);
	tcase_add_test(tc, test_refstate);
	tcase_add_loop_test(tc, test_type_names, 0, 3);
	tcase_add_loop_test(tc, test_garbage_types, 0, 3);
	tcase_add_test(tc, test_not_in_ram);
	tcase_add_loop_test(tc, test_pools, 0, 6);
	tcase_add_loop_test(tc, test_classify_one, 0, 3);
	tcase_add_loop_test(tc, test_hooks, 0, 6);
	tcase_add_test(tc, test_scan_vs_chain);
	tcase_add_test(tc, test_second_candidate);
	tcase_add_test(tc, test_second_candidate_known_type);
	tcase_add_loop_test(tc, test_builtins_module, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}
