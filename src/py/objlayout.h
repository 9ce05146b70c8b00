/* SPDX-License-Identifier: MIT */
/*
 * objlayout.h - how Python objects sit in pymalloc blocks, per version:
 * the pre-header a type's flags give its instances, where PyObject,
 * PyTypeObject, str, list, dict and set keep the fields the type
 * attribution reads, and how a dead object on a free list differs from a
 * live one.  Data only (one row per minor version, objlayout.c); offsets
 * checked with gdb on each build named there.
 */
#ifndef PMF_PY_OBJLAYOUT_H
#define PMF_PY_OBJLAYOUT_H

#include <stdbool.h>

#include "base/compat.h"
#include "py/geom.h"

/* tp_flags bits (object.h; the same from 3.6 to 3.14 where defined). */
#define PMF__TPF_INLINE_VALUES (1ull << 2)  /* 3.13+ */
#define PMF__TPF_MANAGED_WEAKREF (1ull << 3) /* 3.12+ */
#define PMF__TPF_MANAGED_DICT (1ull << 4)   /* 3.11+ */
#define PMF__TPF_HEAPTYPE (1ull << 9)
#define PMF__TPF_READY (1ull << 12)
#define PMF__TPF_READYING (1ull << 13)
#define PMF__TPF_HAVE_GC (1ull << 14)
#define PMF__TPF_LONG_SUBCLASS (1ull << 24)
#define PMF__TPF_LIST_SUBCLASS (1ull << 25)
#define PMF__TPF_TUPLE_SUBCLASS (1ull << 26)
#define PMF__TPF_BYTES_SUBCLASS (1ull << 27)
#define PMF__TPF_UNICODE_SUBCLASS (1ull << 28)
#define PMF__TPF_DICT_SUBCLASS (1ull << 29)
#define PMF__TPF_TYPE_SUBCLASS (1ull << 31)

/* How a pre-header holds an instance's dict values (the owner of a
 * "<dict values>" block). */
enum pmf__prevalues {
	PMF__PREVAL_NONE,   /* no pre-header, or no values pointer in it */
	PMF__PREVAL_311,    /* 3.11: the values pointer 32 bytes before the
			       object (the block's first word) */
	PMF__PREVAL_TAGGED, /* 3.12: dict-or-values 24 bytes before the
			       object, a values pointer when bit 0 is set */
};

struct pmf__objlayout {
	unsigned minor;
	/* Offsets below are from the object's start, not counting ob_off:
	 * Py_TRACE_REFS (debug builds up to 3.7) puts two list pointers
	 * before ob_refcnt, in every object, type objects included. */
	unsigned ob_off;
	unsigned gc_size;      /* sizeof(PyGC_Head) */
	unsigned managed_pre;  /* bytes before the GC head of a type with
				  managed_flags (3.11+), else 0 */
	uint64_t managed_flags;
	enum pmf__prevalues prevalues;

	/* PyTypeObject and PyHeapTypeObject. */
	unsigned tp_name, tp_basicsize, tp_itemsize, tp_flags, tp_base,
		tp_dict;
	unsigned ht_qualname;

	/* str: sizeof(PyASCIIObject), sizeof(PyCompactUnicodeObject), the
	 * offset of its utf8 pointer, of the state bits and the length. */
	unsigned str_ascii, str_compact, str_utf8, str_state, str_length;

	unsigned ob_size;      /* PyVarObject.ob_size */
	bool long_tag;         /* 3.12+: int keeps lv_tag (digits << 3) */
	unsigned list_items;   /* PyListObject.ob_item */
	unsigned dict_keys, dict_values; /* PyDictObject.ma_keys, ma_values */
	unsigned set_table, set_small;   /* PySetObject.table, smalltable */

	/* Dict keys objects: the 3.6-3.10 header (dk_size, dk_lookup...)
	 * or the 3.11+ one (dk_log2_size, dk_kind...). */
	bool keys_311;

	/* Refcounts: 3.14 splits ob_refcnt into a 32-bit count, a 16-bit
	 * overflow and 16 bits of flags, and links free-listed objects
	 * through that word; up to 3.13 a free-listed object has refcount
	 * 0 and floats are linked through ob_type. */
	bool refcnt_split;

	const char *verified;
};

/* The layout of a 3.MINOR interpreter: DEBUG for a Py_DEBUG build, the
 * geometry G (whose class spacing tells the PyGC_Head of 3.6/3.7 builds
 * apart).  Fills *L and returns true, or false for an unsupported
 * version. */
bool pmf__objlayout_get(unsigned minor, bool debug, const struct pmf__geom *g,
			struct pmf__objlayout *l);

/* The pre-header size of an instance of a type with FLAGS: its GC head
 * and, 3.11+, the managed dict and weakref pointers. */
static inline unsigned
pmf__objlayout_pre(const struct pmf__objlayout *l, uint64_t flags)
{
	return ((flags & PMF__TPF_HAVE_GC) ? l->gc_size : 0) +
	       ((flags & l->managed_flags) ? l->managed_pre : 0);
}

/* What a refcount word says of the object holding it. */
enum pmf__refstate {
	PMF__REF_LIVE,
	PMF__REF_DEAD,  /* 0, or (3.14) a free-list link */
	PMF__REF_BAD,   /* no refcount at all: not an object here */
};

static inline enum pmf__refstate
pmf__objlayout_refstate(const struct pmf__objlayout *l, uint64_t rc)
{
	if (rc == 0)
		return PMF__REF_DEAD;
	uint32_t low = (uint32_t)rc;
	uint64_t mid = (rc >> 32) & 0xffff, high = rc >> 48;
	if (l->refcnt_split) {
		/* A live count has no overflow (a 64-bit build never
		 * needs it) and any flags; a link is a user-space
		 * address, whose bits 32-47 are not all zero and whose
		 * top 16 are. */
		if (mid == 0 && low != 0)
			return PMF__REF_LIVE;
		return high == 0 && (rc & 7) == 0 ? PMF__REF_DEAD
						  : PMF__REF_BAD;
	}
	/* A Py_ssize_t count: four billion references would take 32 GiB
	 * of pointers, so a live one fits 32 bits (immortal ones too). */
	return mid == 0 && high == 0 ? PMF__REF_LIVE : PMF__REF_BAD;
}

#endif
