/* SPDX-License-Identifier: MIT */
/*
 * objlayout.c - the object layouts of CPython 3.6 to 3.14 on x86-64.
 *
 * Every offset was printed by gdb from the DWARF of the builds named in
 * each row ("print (long)&((PyHeapTypeObject*)0)->ht_qualname", "ptype/o
 * PyDictKeysObject"...).  The pre-header words of 3.11-3.14 instances
 * were read from live objects of a class with a managed dict.
 */
#include "config.h"

#include <string.h>

#include "py/objlayout.h"

#define COMMON                                                                 \
	.tp_name = 24, .tp_basicsize = 32, .tp_itemsize = 40,                  \
	.tp_flags = 168, .tp_base = 256, .tp_dict = 264, .str_state = 32,      \
	.str_length = 16, .ob_size = 16, .list_items = 24, .dict_keys = 32,    \
	.dict_values = 40, .set_table = 40, .set_small = 64

/* PyASCIIObject lost its wstr pointer in 3.12. */
#define STR_OLD .str_ascii = 48, .str_compact = 72, .str_utf8 = 56
#define STR_NEW .str_ascii = 40, .str_compact = 56, .str_utf8 = 48

static const struct pmf__objlayout rows[] = {
	{.minor = 6, COMMON, STR_OLD, .gc_size = 32, .ht_qualname = 848,
	 .verified = "pyenv 3.6.15"},
	{.minor = 7, COMMON, STR_OLD, .gc_size = 32, .ht_qualname = 848,
	 .verified = "pyenv 3.7.16"},
	{.minor = 8, COMMON, STR_OLD, .gc_size = 16, .ht_qualname = 864,
	 .verified = "pyenv 3.8.18"},
	{.minor = 9, COMMON, STR_OLD, .gc_size = 16, .ht_qualname = 856,
	 .verified = "pyenv 3.9.18"},
	{.minor = 10, COMMON, STR_OLD, .gc_size = 16, .ht_qualname = 864,
	 .verified = "pyenv 3.10.13"},
	{.minor = 11, COMMON, STR_OLD, .gc_size = 16, .ht_qualname = 864,
	 .managed_pre = 16, .managed_flags = PMF__TPF_MANAGED_DICT,
	 .prevalues = PMF__PREVAL_311, .keys_311 = true,
	 .verified = "pyenv 3.11.7, Debian 3.11.2"},
	{.minor = 12, COMMON, STR_NEW, .gc_size = 16, .ht_qualname = 872,
	 .managed_pre = 16,
	 .managed_flags = PMF__TPF_MANAGED_DICT | PMF__TPF_MANAGED_WEAKREF,
	 .prevalues = PMF__PREVAL_TAGGED, .keys_311 = true, .long_tag = true,
	 .verified = "pyenv 3.12.1"},
	{.minor = 13, COMMON, STR_NEW, .gc_size = 16, .ht_qualname = 872,
	 .managed_pre = 16,
	 .managed_flags = PMF__TPF_MANAGED_DICT | PMF__TPF_MANAGED_WEAKREF,
	 .keys_311 = true, .long_tag = true, .verified = "pyenv 3.13.0"},
	{.minor = 14, COMMON, STR_NEW, .gc_size = 16, .ht_qualname = 872,
	 .managed_pre = 16,
	 .managed_flags = PMF__TPF_MANAGED_DICT | PMF__TPF_MANAGED_WEAKREF,
	 .keys_311 = true, .long_tag = true, .refcnt_split = true,
	 .verified = "3.14.7 source build, release and debug"},
};

bool
pmf__objlayout_get(unsigned minor, bool debug, const struct pmf__geom *g,
		   struct pmf__objlayout *l)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(rows); i++) {
		if (rows[i].minor != minor)
			continue;
		*l = rows[i];
		/* Debug builds up to 3.7 define Py_TRACE_REFS. */
		l->ob_off = debug && minor <= 7 ? 16 : 0;
		/* Up to 3.7 PyGC_Head is a union padded by a "dummy": a
		 * double in releases whose pymalloc aligns to 8 (24
		 * bytes), a long double since the 16-byte alignment was
		 * backported (bpo-27987, 32 bytes). */
		if (minor <= 7 && g != NULL && g->alignment == 8)
			l->gc_size = 24;
		return true;
	}
	return false;
}
