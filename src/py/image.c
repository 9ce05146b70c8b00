/* SPDX-License-Identifier: MIT */
/*
 * image.c - picking the interpreter's ELF image out of the target's
 * mappings, and resolving the symbols pymfrag uses.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "py/image.h"

struct symdef {
	const char *name;
	const char *file; /* source file of a static, for disambiguation */
};

/* Statics are looked up by name within their source file: names such as
 * "arenas" or "version" are common enough to exist elsewhere. */
static const struct symdef symdefs[PMF__S_COUNT] = {
	[PMF__S_PY_INITIALIZE] = {"Py_Initialize", NULL},
	[PMF__S_PY_VERSION] = {"Py_Version", NULL},
	[PMF__S_RUNTIME] = {"_PyRuntime", NULL},
	[PMF__S_VERSION_BUF] = {"version", "getversion.c"},
	[PMF__S_DEBUGMALLOCSTATS] = {"_PyObject_DebugMallocStats", NULL},
	[PMF__S_USEDPOOLS] = {"usedpools", "obmalloc.c"},
	[PMF__S_ARENAS] = {"arenas", "obmalloc.c"},
	[PMF__S_MAXARENAS] = {"maxarenas", "obmalloc.c"},
	[PMF__S_NCUR] = {"narenas_currently_allocated", "obmalloc.c"},
	[PMF__S_NTIMES] = {"ntimes_arena_allocated", "obmalloc.c"},
	[PMF__S_HIGHWATER] = {"narenas_highwater", "obmalloc.c"},
	[PMF__S_MAP_MID] = {"arena_map_mid_count", "obmalloc.c"},
	[PMF__S_MAP_BOT] = {"arena_map_bot_count", "obmalloc.c"},
	[PMF__S_STATE_MAIN] = {"obmalloc_state_main", "obmalloc.c"},
	[PMF__S_OBJ_ALLOCATOR] = {"_PyObject", "obmalloc.c"},
	[PMF__S_MEM_DEBUG] = {"_PyMem_Debug", "obmalloc.c"},
	[PMF__S_FN_PYMALLOC] = {"_PyObject_Malloc", "obmalloc.c"},
	[PMF__S_FN_DEBUG] = {"_PyMem_DebugMalloc", "obmalloc.c"},
	[PMF__S_FN_RAW] = {"_PyMem_RawMalloc", "obmalloc.c"},
	[PMF__S_FN_MIMALLOC] = {"_PyObject_MiMalloc", "obmalloc.c"},
	[PMF__S_REF_DEBUG] = {"_Py_NegativeRefcount", NULL},
	[PMF__S_RAWMALLOC] = {"PyMem_RawMalloc", NULL},
	[PMF__S_SERIALNO] = {"serialno", "obmalloc.c"},
	[PMF__S_PYMALLOC_ENABLED] = {"_PyMem_PymallocEnabled", NULL},
};

const char *
pmf__sym_name(enum pmf__symid id)
{
	return (unsigned)id < PMF__S_COUNT ? symdefs[id].name : "?";
}

void
pmf__image_syms(const struct pmf__image *img, const struct pmf__elf *from,
		struct pmf__syms *out)
{
	struct pmf__symq q[PMF__S_COUNT];
	memset(q, 0, sizeof(q));
	for (int i = 0; i < PMF__S_COUNT; i++) {
		q[i].name = symdefs[i].name;
		q[i].file = symdefs[i].file;
	}
	pmf__elf_lookup(from, q, PMF__S_COUNT);
	memset(out, 0, sizeof(*out));
	out->has_symtab = from->symtab.n > 0;
	out->from = from == &img->mod.elf ? "image" : "debug file";
	for (int i = 0; i < PMF__S_COUNT; i++) {
		struct pmf__symval *v = &out->s[i];
		v->found = q[i].found;
		v->from_symtab = q[i].in_symtab;
		v->link = q[i].value;
		v->size = q[i].size;
		v->addr = pmf__module_addr(&img->mod, q[i].value);
	}
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

static bool
defines_python(const struct pmf__elf *elf)
{
	struct pmf__symq q = {.name = "Py_Initialize"};
	pmf__elf_lookup(elf, &q, 1);
	return q.found > 0;
}

/* The first mapping of each distinct file, in address order. */
static bool
first_of_file(const struct pmf__maps *maps, size_t i)
{
	const struct pmf__map *mp = &maps->v[i];
	if (mp->inode == 0 || mp->path[0] != '/')
		return false;
	for (size_t k = 0; k < i; k++)
		if (maps->v[k].inode == mp->inode &&
		    maps->v[k].dev_major == mp->dev_major &&
		    maps->v[k].dev_minor == mp->dev_minor)
			return false;
	return true;
}

enum pass { PASS_LIBPYTHON, PASS_EXE, PASS_OTHER, PASS_END };

static bool
in_pass(enum pass p, const struct pmf__map *mp, const char *exe)
{
	bool is_exe = strcmp(mp->path, exe) == 0;
	bool is_lib = strncmp(base_name(mp->path), "libpython", 9) == 0;
	switch (p) {
	case PASS_LIBPYTHON:
		return is_lib;
	case PASS_EXE:
		return is_exe;
	case PASS_OTHER:
		/* Only files with code; skip fonts, locale archives... */
		return !is_lib && !is_exe && mp->x;
	default:
		return false;
	}
}

/* Bound on files opened while looking for an embedder's interpreter. */
#define MAX_OTHER_FILES 512

int
pmf__image_find(struct pmf__image *img, pid_t pid,
		const struct pmf__maps *maps, const char *exe, const char *comm,
		struct pmf__sb *log, struct pmf__err *e)
{
	char exe_path[PATH_MAX];
	snprintf(exe_path, sizeof(exe_path), "%s", exe);
	size_t n = strlen(exe_path);
	if (n > 10 && strcmp(exe_path + n - 10, " (deleted)") == 0)
		exe_path[n - 10] = '\0';

	struct pmf__err last = {0};
	unsigned others = 0;
	memset(img, 0, sizeof(*img));
	for (enum pass p = PASS_LIBPYTHON; p < PASS_END; p++) {
		for (size_t i = 0; i < maps->n; i++) {
			const struct pmf__map *mp = &maps->v[i];
			if (!in_pass(p, mp, exe_path))
				continue;
			/* Any mapping of the file will do for opening it; the
			 * first one of each file avoids opening it twice. */
			if (!first_of_file(maps, i))
				continue;
			if (p == PASS_OTHER && ++others > MAX_OTHER_FILES)
				break;
			struct pmf__err e1 = {0};
			if (pmf__module_open(&img->mod, pid, maps, mp, &e1) <
			    0) {
				if (p != PASS_OTHER) {
					pmf__sb_printf(log, "image: %s\n",
						       e1.msg);
					last = e1;
				}
				continue;
			}
			if (defines_python(&img->mod.elf)) {
				img->shared = p != PASS_EXE;
				pmf__sb_printf(log,
					       "image: %s (load bias 0x%llx)\n",
					       img->mod.path,
					       (unsigned long long)img->mod
						       .bias);
				return 0;
			}
			pmf__module_close(&img->mod);
		}
	}
	if (last.code != 0 && last.code != PMF_EELF)
		return pmf__err_set(e, last.code, "%s", last.msg);
	/* A file that maps and runs but does not parse (truncated,
	 * damaged, replaced): not a reason to call it "not Python". */
	if (last.code == PMF_EELF)
		return pmf__err_set(e, PMF_EELF,
				    "process %d (%s): cannot read its "
				    "interpreter: %s",
				    (int)pid, comm, last.msg);
	return pmf__err_set(e, PMF_ENOTPY,
			    "process %d (%s, %s) is not a Python process: no "
			    "mapped file defines Py_Initialize",
			    (int)pid, comm, exe_path);
}

void
pmf__image_close(struct pmf__image *img)
{
	pmf__module_close(&img->mod);
}
