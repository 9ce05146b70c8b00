/* SPDX-License-Identifier: MIT */
/*
 * image.h - the ELF file that holds the interpreter (libpython, or the
 * executable when CPython is linked in statically), and the symbols of it
 * that pymfrag uses, from its own tables or from its detached debug file.
 */
#ifndef PMF_PY_IMAGE_H
#define PMF_PY_IMAGE_H

#include "base/strbuf.h"
#include "os/module.h"

enum pmf__symid {
	PMF__S_PY_INITIALIZE,   /* marks the interpreter image */
	PMF__S_PY_VERSION,      /* const unsigned long Py_Version (3.11+) */
	PMF__S_RUNTIME,         /* _PyRuntime (3.7+) */
	PMF__S_VERSION_BUF,     /* Py_GetVersion()'s static buffer */
	PMF__S_DEBUGMALLOCSTATS, /* exported iff pymalloc is compiled in */
	PMF__S_USEDPOOLS,       /* <= 3.11 statics of obmalloc.c */
	PMF__S_ARENAS,
	PMF__S_MAXARENAS,
	PMF__S_NCUR,
	PMF__S_NTIMES,
	PMF__S_HIGHWATER,
	PMF__S_MAP_MID,
	PMF__S_MAP_BOT,
	PMF__S_STATE_MAIN,      /* obmalloc_state_main (3.13+) */
	PMF__S_OBJ_ALLOCATOR,   /* <= 3.11 _PyObject (PyMemAllocatorEx) */
	PMF__S_MEM_DEBUG,       /* <= 3.11 _PyMem_Debug */
	PMF__S_FN_PYMALLOC,     /* _PyObject_Malloc */
	PMF__S_FN_DEBUG,        /* _PyMem_DebugMalloc */
	PMF__S_FN_RAW,          /* _PyMem_RawMalloc */
	PMF__S_FN_MIMALLOC,     /* _PyObject_MiMalloc (3.13+) */
	PMF__S_REF_DEBUG,       /* _Py_NegativeRefcount: a Py_DEBUG build */
	PMF__S_RAWMALLOC,       /* PyMem_RawMalloc (exported) */
	PMF__S_SERIALNO,        /* 3.6/3.7 debug hooks' malloc count */
	PMF__S_PYMALLOC_ENABLED, /* _PyMem_PymallocEnabled (3.6, exported) */
	PMF__S_COUNT
};

struct pmf__symval {
	unsigned found;   /* definitions seen; > 1 means ambiguous */
	bool from_symtab; /* false: from .dynsym */
	uint64_t link;    /* link-time address */
	uint64_t addr;    /* address in the target */
	uint64_t size;
};

struct pmf__syms {
	struct pmf__symval s[PMF__S_COUNT];
	bool has_symtab;   /* the source had a .symtab */
	const char *from;  /* "image" or "debug file" */
};

/* A usable symbol: found exactly once. */
static inline bool
pmf__sym_ok(const struct pmf__syms *s, enum pmf__symid id)
{
	return s->s[id].found == 1;
}

static inline uint64_t
pmf__sym_addr(const struct pmf__syms *s, enum pmf__symid id)
{
	return s->s[id].addr;
}

/* The symbol name used for ID (for messages). */
const char *pmf__sym_name(enum pmf__symid id);

struct pmf__image {
	struct pmf__module mod;
	bool shared; /* a libpython; false when it is the executable */
};

/* Finds the interpreter image of process PID among its mappings: a mapped
 * libpython that defines Py_Initialize, else the executable EXE, else any
 * other mapped file that does (an embedder with an unusual file name).
 * PMF_ENOTPY when there is none. */
int pmf__image_find(struct pmf__image *img, pid_t pid,
		    const struct pmf__maps *maps, const char *exe,
		    const char *comm, struct pmf__sb *log, struct pmf__err *e);

void pmf__image_close(struct pmf__image *img);

/* Resolves the symbol set from ELF FROM (the image itself, or its debug
 * file, which shares its link-time addresses), relocated by the image's
 * bias. */
void pmf__image_syms(const struct pmf__image *img, const struct pmf__elf *from,
		     struct pmf__syms *out);

#endif
