/* SPDX-License-Identifier: MIT */
/*
 * freelist.c - the object free lists sys._debugmallocstats() prints after
 * the allocator statistics ("10 free PyDictObjects * 48 bytes each").
 *
 * Where they live (research section 7; offsets by gdb, see each row):
 *  - 3.6-3.9: file statics free_list and numfree of floatobject.c,
 *    tupleobject.c...  Only a .symtab names them (the image's own or a
 *    detached debug file's), and only its STT_FILE order tells which
 *    file's "numfree" is which.
 *  - 3.10-3.12: fields of PyInterpreterState; 3.13: its
 *    object_state.freelists; 3.14: the same place as uniform
 *    {head, Py_ssize_t size} pairs.  The interpreter is reachable from
 *    _PyRuntime, exported even by stripped builds.
 *
 * CPython prints only the counts, and the counts are all that is
 * reported.  The lists are read only to check that the counts mean what
 * they claim: every count within its MAXFREELIST, the head of a linked
 * list NULL exactly when its count is 0, the first links of each list
 * (all of them for a short list) present, and an array's used entries
 * non-NULL.  Anything that fails leaves the interpreter without free
 * lists: a partial or doubtful set would not be CPython's print.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "py/freelist.h"

/* How a free list is kept. */
enum fl_shape {
	FL_LINKED, /* a head pointer; each free object points at the next */
	FL_ARRAY,  /* an array of pointers, the first COUNT in use */
	FL_TUPLES, /* one linked list per tuple length: an array of heads
		      and an array of counts */
};

/* One line (FL_TUPLES: one line per length) of CPython's print. */
struct fl_spec {
	enum fl_shape shape;
	const char *name;  /* as printed, plural; tuples add "N-sized " */
	const char *file;  /* <= 3.9: source file of free_list/numfree */
	uint32_t head;     /* 3.10+: offsets from the free lists' base */
	uint32_t count;
	uint16_t link;     /* offset of the next pointer in a free object */
	uint16_t max;      /* MAXFREELIST: no count exceeds it */
	uint16_t size;     /* bytes per object as printed; FL_TUPLES: of a
			      0-length tuple, each item adding 8 */
};

struct fl_layout {
	unsigned minor;
	/* sizeof(_PyRuntimeState) of the build the offsets come from; 0
	 * for the statics of <= 3.9, which symbols locate. */
	uint64_t runtime_size;
	uint32_t base; /* the free lists, from the PyInterpreterState */
	/* PyInterpreterState.id and .runtime, checked before anything is
	 * read from the interpreter; 0 = not checked. */
	uint32_t is_id, is_runtime;
	uint8_t count_size;   /* 4: int counts; 8: Py_ssize_t */
	uint8_t tuple_first;  /* tuple length kept at index 0 */
	uint8_t tuple_lines;  /* lengths printed: 1 .. tuple_lines */
	uint8_t tuple_slots;  /* entries in the tuple arrays */
	uint8_t head_stride, count_stride; /* of the tuple arrays */
	/* Only on a build of exactly runtime_size: rows taken from research
	 * notes and not yet run against a live interpreter here. */
	bool exact_only;
	const struct fl_spec *lists;
	size_t nlists;
	const char *verified;
};

/* The MAXFREELISTs (cmp immediates in each *_dealloc, 3.6-3.13). */
#define MAX_CFUNC 256
#define MAX_METHOD 256
#define MAX_FRAME 200
#define MAX_FLOAT 100
#define MAX_TUPLE 2000
#define MAX_LIST 80
#define MAX_DICT 80

/* Links: ob_type (+8) for floats, ob_item[0] (+24) for tuples, f_back,
 * m_self and im_self (+24) for frames, C functions and methods, before
 * 3.14; the first word for everything on 3.14. */
#define STATIC_LINKED(n, f, l, m, s)                                           \
	{.shape = FL_LINKED, .name = n, .file = f, .link = l, .max = m,        \
	 .size = s}
#define STATIC_ARRAY(n, f, m, s)                                               \
	{.shape = FL_ARRAY, .name = n, .file = f, .max = m, .size = s}
#define STATIC_TUPLES                                                          \
	{.shape = FL_TUPLES, .name = "PyTupleObjects",                         \
	 .file = "tupleobject.c", .link = 24, .max = MAX_TUPLE, .size = 24}
#define LINKED(n, h, c, l, m, s)                                               \
	{.shape = FL_LINKED, .name = n, .head = h, .count = c, .link = l,      \
	 .max = m, .size = s}
#define ARRAY(n, h, c, m, s)                                                   \
	{.shape = FL_ARRAY, .name = n, .head = h, .count = c, .max = m,        \
	 .size = s}
#define TUPLES(h, c, l, s)                                                     \
	{.shape = FL_TUPLES, .name = "PyTupleObjects", .head = h, .count = c,  \
	 .link = l, .max = MAX_TUPLE, .size = s}

/* In _PyObject_DebugTypeStats() order; sizes from gdb sizeof(). */
static const struct fl_spec lists_36[] = {
	STATIC_LINKED("PyCFunctionObjects", "methodobject.c", 24, MAX_CFUNC,
		      48),
	STATIC_ARRAY("PyDictObjects", "dictobject.c", MAX_DICT, 48),
	STATIC_LINKED("PyFloatObjects", "floatobject.c", 8, MAX_FLOAT, 24),
	STATIC_LINKED("PyFrameObjects", "frameobject.c", 24, MAX_FRAME, 384),
	STATIC_ARRAY("PyListObjects", "listobject.c", MAX_LIST, 40),
	STATIC_LINKED("PyMethodObjects", "classobject.c", 24, MAX_METHOD, 40),
	STATIC_TUPLES,
};

static const struct fl_spec lists_37[] = {
	STATIC_LINKED("PyCFunctionObjects", "methodobject.c", 24, MAX_CFUNC,
		      48),
	STATIC_ARRAY("PyDictObjects", "dictobject.c", MAX_DICT, 48),
	STATIC_LINKED("PyFloatObjects", "floatobject.c", 8, MAX_FLOAT, 24),
	STATIC_LINKED("PyFrameObjects", "frameobject.c", 24, MAX_FRAME, 368),
	STATIC_ARRAY("PyListObjects", "listobject.c", MAX_LIST, 40),
	STATIC_LINKED("PyMethodObjects", "classobject.c", 24, MAX_METHOD, 40),
	STATIC_TUPLES,
};

static const struct fl_spec lists_38[] = {
	STATIC_LINKED("PyCFunctionObjects", "methodobject.c", 24, MAX_CFUNC,
		      56),
	STATIC_ARRAY("PyDictObjects", "dictobject.c", MAX_DICT, 48),
	STATIC_LINKED("PyFloatObjects", "floatobject.c", 8, MAX_FLOAT, 24),
	STATIC_LINKED("PyFrameObjects", "frameobject.c", 24, MAX_FRAME, 368),
	STATIC_ARRAY("PyListObjects", "listobject.c", MAX_LIST, 40),
	STATIC_LINKED("PyMethodObjects", "classobject.c", 24, MAX_METHOD, 48),
	STATIC_TUPLES,
};

static const struct fl_spec lists_39[] = {
	STATIC_ARRAY("PyDictObjects", "dictobject.c", MAX_DICT, 48),
	STATIC_LINKED("PyFloatObjects", "floatobject.c", 8, MAX_FLOAT, 24),
	STATIC_LINKED("PyFrameObjects", "frameobject.c", 24, MAX_FRAME, 368),
	STATIC_ARRAY("PyListObjects", "listobject.c", MAX_LIST, 40),
	STATIC_TUPLES,
};

/* interp->dict_state, float_state, frame, list, tuple. */
static const struct fl_spec lists_310[] = {
	ARRAY("PyDictObjects", 10688, 11328, MAX_DICT, 48),
	LINKED("PyFloatObjects", 9784, 9776, 8, MAX_FLOAT, 24),
	LINKED("PyFrameObjects", 11984, 11992, 24, MAX_FRAME, 360),
	ARRAY("PyListObjects", 10040, 10680, MAX_LIST, 40),
	TUPLES(9800, 9960, 24, 24),
};

static const struct fl_spec lists_311[] = {
	ARRAY("PyDictObjects", 4520, 5160, MAX_DICT, 48),
	LINKED("PyFloatObjects", 3616, 3608, 8, MAX_FLOAT, 24),
	ARRAY("PyListObjects", 3872, 4512, MAX_LIST, 40),
	TUPLES(3632, 3792, 24, 24),
};

static const struct fl_spec lists_312[] = {
	ARRAY("PyDictObjects", 270736, 272016, MAX_DICT, 48),
	LINKED("PyFloatObjects", 267416, 267408, 8, MAX_FLOAT, 24),
	ARRAY("PyListObjects", 270072, 270712, MAX_LIST, 40),
	TUPLES(269832, 269992, 24, 24),
};

/* struct _Py_object_freelists (ptype /o). */
static const struct fl_spec lists_313[] = {
	ARRAY("PyDictObjects", 904, 1544, MAX_DICT, 48),
	ARRAY("PyDictKeysObjects", 1552, 2192, MAX_DICT, 32),
	LINKED("PyFloatObjects", 8, 0, 8, MAX_FLOAT, 24),
	ARRAY("PyListObjects", 256, 896, MAX_LIST, 40),
	TUPLES(16, 176, 24, 24),
};

/* struct _Py_freelists: {void *freelist; Py_ssize_t size} each, every
 * list linked through the object's first word; tuples gained ob_hash. */
static const struct fl_spec lists_314[] = {
	LINKED("PyDictObjects", 400, 408, 0, MAX_DICT, 48),
	LINKED("PyDictKeysObjects", 416, 424, 0, MAX_DICT, 32),
	LINKED("PyFloatObjects", 0, 8, 0, MAX_FLOAT, 24),
	LINKED("PyListObjects", 352, 360, 0, MAX_LIST, 40),
	TUPLES(32, 40, 0, 32),
};

#define STATICS_ROW(m, l, v)                                                   \
	{.minor = m, .count_size = 4, .tuple_first = 0, .tuple_lines = 19,     \
	 .tuple_slots = 20, .head_stride = 8, .count_stride = 4, .lists = l,   \
	 .nlists = PMF_ARRAY_SIZE(l), .verified = v}

static const struct fl_layout layouts[] = {
	STATICS_ROW(6, lists_36, "pyenv 3.6.15 (readelf, gdb)"),
	STATICS_ROW(7, lists_37, "pyenv 3.7.16 (readelf, gdb)"),
	STATICS_ROW(8, lists_38, "pyenv 3.8.18 (readelf, gdb)"),
	STATICS_ROW(9, lists_39, "pyenv 3.9.18 (readelf, gdb)"),
	{.minor = 10, .runtime_size = 672, .base = 0, .is_id = 24,
	 .is_runtime = 16, .count_size = 4, .tuple_first = 0,
	 .tuple_lines = 19, .tuple_slots = 20, .head_stride = 8,
	 .count_stride = 4, .lists = lists_310,
	 .nlists = PMF_ARRAY_SIZE(lists_310),
	 .verified = "pyenv 3.10.13 (gdb offsetof, disassembly)"},
	{.minor = 11, .runtime_size = 166688, .base = 0, .is_id = 48,
	 .is_runtime = 40, .count_size = 4, .tuple_first = 1,
	 .tuple_lines = 20, .tuple_slots = 20, .head_stride = 8,
	 .count_stride = 4, .lists = lists_311,
	 .nlists = PMF_ARRAY_SIZE(lists_311),
	 .verified = "pyenv 3.11.7 (gdb offsetof), Debian 3.11.2 "
		     "(disassembly)"},
	{.minor = 12, .runtime_size = 459944, .base = 0, .is_id = 8,
	 .is_runtime = 96, .count_size = 4, .tuple_first = 1,
	 .tuple_lines = 20, .tuple_slots = 20, .head_stride = 8,
	 .count_stride = 4, .lists = lists_312,
	 .nlists = PMF_ARRAY_SIZE(lists_312),
	 .verified = "pyenv 3.12.1 (gdb offsetof, disassembly)"},
	{.minor = 13, .runtime_size = 283320, .base = 10952, .is_id = 7272,
	 .is_runtime = 7376, .count_size = 4, .tuple_first = 1,
	 .tuple_lines = 20, .tuple_slots = 20, .head_stride = 8,
	 .count_stride = 4, .lists = lists_313,
	 .nlists = PMF_ARRAY_SIZE(lists_313),
	 .verified = "pyenv 3.13.0 (gdb ptype /o, disassembly)"},
	{.minor = 14, .runtime_size = 316616, .base = 11120, .is_id = 7280,
	 .is_runtime = 0, .count_size = 8, .tuple_first = 1,
	 .tuple_lines = 20, .tuple_slots = 20, .head_stride = 16,
	 .count_stride = 16, .exact_only = true, .lists = lists_314,
	 .nlists = PMF_ARRAY_SIZE(lists_314),
	 .verified = "3.14.7 source build (research section 7, gdb); not "
		     "run here"},
};

/* The row for a 3.MINOR target whose _PyRuntime is RUNTIME_SIZE bytes;
 * *EXACT tells whether the row was taken from a build of that size. */
static const struct fl_layout *
find_layout(unsigned minor, uint64_t runtime_size, bool *exact)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(layouts); i++) {
		const struct fl_layout *l = &layouts[i];
		if (l->minor != minor)
			continue;
		*exact = l->runtime_size == 0 || l->runtime_size == runtime_size;
		if (!*exact && l->exact_only)
			return NULL;
		return l;
	}
	return NULL;
}

/* One resolved line of the print. */
struct fl {
	char name[40];
	enum fl_shape shape; /* FL_LINKED or FL_ARRAY */
	uint64_t head_addr;  /* the head pointer, or the array */
	uint64_t count_addr;
	uint16_t link, max;
	uint64_t size;
	uint64_t count; /* read */
	uint64_t node;  /* FL_LINKED: the walk's cursor */
};

struct fl_set {
	struct fl v[PMF_MAX_FREELISTS];
	unsigned n;
	unsigned count_size;
};

/* Appends a note once: snapshots repeat, the reasons rarely change.  A
 * long-lived handle whose target keeps failing differently stops adding
 * them past a bound. */
#define NOTES_MAX_LOG 16384

static void PMF_PRINTF(3, 4)
note(struct pmf__pyt *t, const struct pmf__interp_ref *ir, const char *fmt,
     ...)
{
	char msg[256];
	int k = snprintf(msg, sizeof(msg), "freelists: interpreter %lld: ",
			 (long long)ir->id);
	va_list ap;
	va_start(ap, fmt);
	if (k > 0 && (size_t)k < sizeof(msg))
		vsnprintf(msg + k, sizeof(msg) - (size_t)k, fmt, ap);
	va_end(ap);
	if (t->log.len < NOTES_MAX_LOG &&
	    strstr(pmf__sb_str(&t->log), msg) == NULL)
		pmf__sb_printf(&t->log, "%s\n", msg);
}

/* Adds the line(s) of SPEC: HEAD and COUNT are the target addresses of
 * its head (or head array, or array of free objects) and count (or
 * count array). */
static bool
add_spec(struct fl_set *s, const struct fl_layout *l,
	 const struct fl_spec *spec, uint64_t head, uint64_t count)
{
	if (spec->shape != FL_TUPLES) {
		if (s->n >= PMF_MAX_FREELISTS)
			return false;
		struct fl *f = &s->v[s->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%s", spec->name);
		f->shape = spec->shape;
		f->head_addr = head;
		f->count_addr = count;
		f->link = spec->link;
		f->max = spec->max;
		f->size = spec->size;
		return true;
	}
	for (unsigned len = 1; len <= l->tuple_lines; len++) {
		unsigned idx = len - l->tuple_first;
		if (s->n >= PMF_MAX_FREELISTS || idx >= l->tuple_slots)
			return false;
		struct fl *f = &s->v[s->n++];
		memset(f, 0, sizeof(*f));
		snprintf(f->name, sizeof(f->name), "%u-sized %s", len,
			 spec->name);
		f->shape = FL_LINKED;
		f->head_addr = head + (uint64_t)idx * l->head_stride;
		f->count_addr = count + (uint64_t)idx * l->count_stride;
		f->link = spec->link;
		f->max = spec->max;
		f->size = spec->size + 8u * len;
	}
	return true;
}

/* A static of <= 3.9, found in its source file's part of a .symtab. */
struct fl_static {
	uint64_t value, size;
	unsigned found;
};

static const char *
sym_str(const struct pmf__symtab *st, uint32_t off)
{
	if (off >= st->strsz ||
	    memchr(st->str + off, '\0', st->strsz - off) == NULL)
		return NULL;
	return st->str + off;
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

/* One pass over SYMTAB for the free_list and numfree statics of every
 * file the layout names.  The names repeat in every object file, so a
 * local counts only after the STT_FILE symbol of its own file. */
static void
find_statics(const struct pmf__symtab *st, const struct fl_layout *l,
	     struct fl_static *heads, struct fl_static *counts)
{
	const char *file = NULL;
	size_t cur = SIZE_MAX;
	for (size_t i = 0; i < st->n; i++) {
		const Elf64_Sym *s = &st->sym[i];
		unsigned type = ELF64_ST_TYPE(s->st_info);
		if (type == STT_FILE) {
			file = sym_str(st, s->st_name);
			cur = SIZE_MAX;
			for (size_t k = 0; file != NULL && k < l->nlists; k++)
				if (strcmp(base_name(file), l->lists[k].file) ==
				    0)
					cur = k;
			continue;
		}
		if (cur == SIZE_MAX || type != STT_OBJECT ||
		    ELF64_ST_BIND(s->st_info) != STB_LOCAL ||
		    s->st_shndx == SHN_UNDEF)
			continue;
		const char *name = sym_str(st, s->st_name);
		struct fl_static *v = NULL;
		if (name != NULL && strcmp(name, "free_list") == 0)
			v = &heads[cur];
		else if (name != NULL && strcmp(name, "numfree") == 0)
			v = &counts[cur];
		if (v == NULL)
			continue;
		v->found++;
		v->value = s->st_value;
		v->size = s->st_size;
	}
}

/* <= 3.9: the statics, from the image's .symtab or its debug file's
 * (which shares the image's link-time addresses). */
static bool
resolve_statics(struct pmf__pyt *t, const struct pmf__interp_ref *ir,
		const struct fl_layout *l, struct fl_set *s)
{
	const struct pmf__elf *elf = NULL;
	if (t->img_open && t->img.mod.elf.symtab.n > 0)
		elf = &t->img.mod.elf;
	else if (t->debug_open && t->debug.symtab.n > 0)
		elf = &t->debug;
	if (elf == NULL) {
		note(t, ir,
		     "not located: on 3.%u they are file statics and %s has "
		     "no .symtab (and no debug file was loaded)",
		     l->minor, t->img.mod.path);
		return false;
	}
	struct fl_static heads[8], counts[8];
	if (l->nlists > PMF_ARRAY_SIZE(heads))
		return false;
	memset(heads, 0, sizeof(heads));
	memset(counts, 0, sizeof(counts));
	find_statics(&elf->symtab, l, heads, counts);
	for (size_t k = 0; k < l->nlists; k++) {
		const struct fl_spec *sp = &l->lists[k];
		const struct fl_static *h = &heads[k], *c = &counts[k];
		uint64_t hsize = 8, csize = 4;
		if (sp->shape == FL_ARRAY)
			hsize = 8u * sp->max;
		else if (sp->shape == FL_TUPLES) {
			hsize = 8u * l->tuple_slots;
			csize = 4u * l->tuple_slots;
		}
		if (h->found != 1 || c->found != 1 || h->size != hsize ||
		    c->size != csize) {
			note(t, ir,
			     "not located: free_list/numfree of %s found "
			     "%u/%u times, sizes %llu/%llu (want 1/1, "
			     "%llu/%llu)",
			     sp->file, h->found, c->found,
			     (unsigned long long)h->size,
			     (unsigned long long)c->size,
			     (unsigned long long)hsize,
			     (unsigned long long)csize);
			return false;
		}
		if (!add_spec(s, l, sp, pmf__module_addr(&t->img.mod, h->value),
			      pmf__module_addr(&t->img.mod, c->value)))
			return false;
	}
	return true;
}

/* 3.10+: the interpreter must be the one IR names, of this runtime. */
static int
check_interp(struct pmf__pyt *t, const struct pmf__interp_ref *ir,
	     const struct fl_layout *l, bool *ok, struct pmf__err *e)
{
	uint64_t id = 0, rt = 0;
	struct pmf__iov iov[2] = {
		{.addr = ir->interp + l->is_id, .buf = &id, .len = 8},
		{.addr = ir->interp + l->is_runtime, .buf = &rt, .len = 8},
	};
	size_t n = l->is_runtime != 0 && t->runtime != 0 ? 2 : 1;
	long bad = pmf__mem_readv(&t->mem, iov, n, e);
	if (bad < 0)
		return (int)bad;
	*ok = false;
	if (bad > 0)
		note(t, ir, "PyInterpreterState at 0x%llx is not readable",
		     (unsigned long long)ir->interp);
	else if ((int64_t)id != ir->id)
		note(t, ir,
		     "PyInterpreterState at 0x%llx has ID %lld, not %lld",
		     (unsigned long long)ir->interp, (long long)id,
		     (long long)ir->id);
	else if (n == 2 && rt != t->runtime)
		note(t, ir,
		     "PyInterpreterState at 0x%llx names runtime 0x%llx, "
		     "not _PyRuntime 0x%llx",
		     (unsigned long long)ir->interp, (unsigned long long)rt,
		     (unsigned long long)t->runtime);
	else
		*ok = true;
	return 0;
}

/* A pointer a free list could hold: a user-space object, 8-aligned. */
static bool
plausible(uint64_t p)
{
	return p != 0 && (p & 7) == 0 && p < (1ull << 47);
}

/* Links followed per list: enough to tell a free list from other memory,
 * few enough to keep the target's pause short (one batched read per
 * step, all lists at once). */
#define WALK_STEPS 64

/* Reads the counts and heads, then checks each list against its count.
 * Returns 0 with *OK telling the verdict, or a failure of the memory
 * source itself. */
static int
read_lists(struct pmf__pyt *t, const struct pmf__interp_ref *ir,
	   struct fl_set *s, bool *ok, struct pmf__err *e)
{
	struct pmf__iov iov[2 * PMF_MAX_FREELISTS];
	unsigned char cbuf[PMF_MAX_FREELISTS][8];
	uint64_t heads[PMF_MAX_FREELISTS];
	size_t n = 0;
	*ok = false;
	memset(cbuf, 0, sizeof(cbuf));
	for (unsigned i = 0; i < s->n; i++) {
		iov[n++] = (struct pmf__iov){.addr = s->v[i].count_addr,
					     .buf = cbuf[i],
					     .len = s->count_size};
		heads[i] = 0;
		if (s->v[i].shape == FL_LINKED)
			iov[n++] = (struct pmf__iov){
				.addr = s->v[i].head_addr,
				.buf = &heads[i],
				.len = 8};
	}
	long bad = pmf__mem_readv(&t->mem, iov, n, e);
	if (bad < 0)
		return (int)bad;
	if (bad > 0) {
		note(t, ir, "the counts or heads are not readable");
		return 0;
	}
	for (unsigned i = 0; i < s->n; i++) {
		struct fl *f = &s->v[i];
		int64_t c = s->count_size == 8 ? (int64_t)pmf__ld64(cbuf[i])
					       : (int32_t)pmf__ld32(cbuf[i]);
		/* Negative: a list CPython disabled at finalization. */
		if (c < 0 || c > f->max) {
			note(t, ir, "%s: count %lld is not within 0..%u",
			     f->name, (long long)c, f->max);
			return 0;
		}
		f->count = (uint64_t)c;
		f->node = heads[i];
		if (f->shape == FL_LINKED &&
		    (f->count == 0) != (f->node == 0)) {
			note(t, ir, "%s: count %llu but head 0x%llx", f->name,
			     (unsigned long long)f->count,
			     (unsigned long long)f->node);
			return 0;
		}
	}
	/* Arrays: the used entries are objects. */
	for (unsigned i = 0; i < s->n; i++) {
		struct fl *f = &s->v[i];
		uint64_t a[MAX_DICT > MAX_LIST ? MAX_DICT : MAX_LIST];
		if (f->shape != FL_ARRAY || f->count == 0)
			continue;
		if (f->count > PMF_ARRAY_SIZE(a))
			return 0;
		struct pmf__iov v = {.addr = f->head_addr, .buf = a,
				     .len = 8 * f->count};
		if ((bad = pmf__mem_readv(&t->mem, &v, 1, e)) < 0)
			return (int)bad;
		for (uint64_t k = 0; k < f->count; k++)
			if (bad > 0 || !plausible(a[k])) {
				note(t, ir, "%s: entry %llu of %llu is not "
					    "an object",
				     f->name, (unsigned long long)k,
				     (unsigned long long)f->count);
				return 0;
			}
	}
	/* Linked lists: follow every list in step. */
	for (unsigned step = 0; step < WALK_STEPS; step++) {
		uint64_t next[PMF_MAX_FREELISTS];
		unsigned who[PMF_MAX_FREELISTS];
		n = 0;
		for (unsigned i = 0; i < s->n; i++) {
			struct fl *f = &s->v[i];
			if (f->shape != FL_LINKED || step >= f->count)
				continue;
			if (!plausible(f->node)) {
				note(t, ir, "%s: link %u of %llu is 0x%llx",
				     f->name, step,
				     (unsigned long long)f->count,
				     (unsigned long long)f->node);
				return 0;
			}
			who[n] = i;
			iov[n] = (struct pmf__iov){.addr = f->node + f->link,
						   .buf = &next[n],
						   .len = 8};
			n++;
		}
		if (n == 0)
			break;
		if ((bad = pmf__mem_readv(&t->mem, iov, n, e)) < 0)
			return (int)bad;
		for (size_t k = 0; k < n; k++) {
			if (iov[k].err != 0) {
				note(t, ir, "%s: object 0x%llx is not "
					    "readable",
				     s->v[who[k]].name,
				     (unsigned long long)s->v[who[k]].node);
				return 0;
			}
			s->v[who[k]].node = next[k];
		}
	}
	/* A list short enough to be followed to its end ends there. */
	for (unsigned i = 0; i < s->n; i++) {
		const struct fl *f = &s->v[i];
		if (f->shape == FL_LINKED && f->count <= WALK_STEPS &&
		    f->node != 0) {
			note(t, ir, "%s: the list goes on past its count %llu",
			     f->name, (unsigned long long)f->count);
			return 0;
		}
	}
	*ok = true;
	return 0;
}

int
pmf__freelists_read(struct pmf__pyt *t, const struct pmf__interp_ref *ir,
		    struct pmf_interp_stats *out, struct pmf__err *e)
{
	out->has_freelists = false;
	out->nfreelists = 0;
	if (!t->ver_known || t->ver.major != 3 || t->ver.debug ||
	    t->ver.free_threaded)
		return 0; /* other offsets; free-threaded: per-thread lists */
	bool exact = false;
	const struct fl_layout *l =
		find_layout(t->ver.minor, t->ver.runtime_size, &exact);
	if (l == NULL)
		return 0;

	struct fl_set s = {.n = 0, .count_size = l->count_size};
	if (l->runtime_size == 0) {
		if (!resolve_statics(t, ir, l, &s))
			return 0;
	} else {
		if (ir->interp == 0) {
			note(t, ir, "its PyInterpreterState is not known");
			return 0;
		}
		bool ok = false;
		int rc = check_interp(t, ir, l, &ok, e);
		if (rc < 0 || !ok)
			return rc;
		uint64_t base = ir->interp + l->base;
		for (size_t k = 0; k < l->nlists; k++)
			if (!add_spec(&s, l, &l->lists[k],
				      base + l->lists[k].head,
				      base + l->lists[k].count))
				return 0;
	}

	bool ok = false;
	int rc = read_lists(t, ir, &s, &ok, e);
	if (rc < 0 || !ok)
		return rc;
	/* On a build other than the one the offsets come from, all-empty
	 * lists prove nothing: zeroed memory passes every check. */
	if (!exact) {
		bool some = false;
		for (unsigned i = 0; i < s.n; i++)
			some |= s.v[i].count > 0;
		if (!some) {
			note(t, ir,
			     "all empty on a build whose _PyRuntime (%llu "
			     "bytes) differs from the one verified (%s)",
			     (unsigned long long)t->ver.runtime_size,
			     l->verified);
			return 0;
		}
	}
	for (unsigned i = 0; i < s.n; i++) {
		struct pmf_freelist *o = &out->freelists[i];
		memset(o, 0, sizeof(*o));
		snprintf(o->name, sizeof(o->name), "%s", s.v[i].name);
		o->count = s.v[i].count;
		o->object_size = s.v[i].size;
	}
	out->nfreelists = s.n;
	out->has_freelists = true;
	return 0;
}
