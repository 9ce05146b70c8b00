/* SPDX-License-Identifier: MIT */
/*
 * locate.c - finding the main interpreter's obmalloc state.
 *
 * Methods, in the order AUTO tries them:
 *  symbols    .symtab of the image: the obmalloc.c statics (<= 3.11) or
 *             obmalloc_state_main (3.13+);
 *  debugfile  the same symbols from the detached debug file;
 *  table      _PyRuntime (always exported) + the layout row (3.12+);
 *  scan       no symbols: <= 3.11 by memory and machine code (scan.c),
 *             3.12+ by probing _PyRuntime (probe.c).
 * Whatever finds a state, the state is read and checked before use.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "os/clock.h"
#include "os/debugfile.h"
#include "py/pytarget.h"
#include "py/scan.h"

/* pymalloc's allocator functions and the allocator slots, from symbols
 * where there are some.  The slots of 3.12+ are in _PyRuntime.allocators:
 * standard {raw, mem, obj}, each a 40-byte PyMemAllocatorEx. */
static void
set_probe(struct pmf__pyt *t, const struct pmf__syms *s)
{
	struct pmf__alloc_probe *p = &t->probe;
	const struct pmf__layout *l = t->layout;
	static const struct {
		enum pmf__symid id;
		size_t off;
	} fns[] = {
		{PMF__S_FN_PYMALLOC, offsetof(struct pmf__alloc_probe,
					      fn_pymalloc)},
		{PMF__S_FN_DEBUG, offsetof(struct pmf__alloc_probe, fn_debug)},
		{PMF__S_FN_RAW, offsetof(struct pmf__alloc_probe, fn_raw)},
		{PMF__S_FN_MIMALLOC, offsetof(struct pmf__alloc_probe,
					      fn_mimalloc)},
	};
	for (size_t i = 0; i < PMF_ARRAY_SIZE(fns); i++)
		if (pmf__sym_ok(s, fns[i].id))
			*(uint64_t *)((char *)p + fns[i].off) =
				pmf__sym_addr(s, fns[i].id);
	if (l->kind == PMF__STATE_STATICS) {
		if (pmf__sym_ok(s, PMF__S_OBJ_ALLOCATOR))
			p->obj_malloc_slot =
				pmf__sym_addr(s, PMF__S_OBJ_ALLOCATOR) + 8;
	} else if (t->runtime != 0) {
		p->obj_malloc_slot = t->runtime + l->rt_obj_alloc + 8;
		p->raw_malloc_slot = t->runtime + l->rt_obj_alloc - 80 + 8;
	}
}

static int
need(const struct pmf__syms *s, enum pmf__symid id, const char *where,
     struct pmf__err *e)
{
	if (pmf__sym_ok(s, id))
		return 0;
	if (s->s[id].found > 1)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "%s: symbol %s is ambiguous (%u "
				    "definitions)",
				    where, pmf__sym_name(id), s->s[id].found);
	return pmf__err_set(e, PMF_ENOSTATE, "%s: no symbol %s", where,
			    pmf__sym_name(id));
}

static int
from_symbols(struct pmf__pyt *t, const struct pmf__syms *s, const char *where,
	     struct pmf__state_ref *ref, char *detail, size_t dlen,
	     struct pmf__err *e)
{
	const struct pmf__layout *l = t->layout;
	int rc;
	if (!s->has_symtab)
		return pmf__err_set(e, PMF_ENOSTATE, "%s has no .symtab",
				    where);
	switch (l->kind) {
	case PMF__STATE_STATICS: {
		static const enum pmf__symid ids[] = {
			PMF__S_USEDPOOLS, PMF__S_ARENAS, PMF__S_MAXARENAS,
			PMF__S_NCUR, PMF__S_NTIMES, PMF__S_HIGHWATER};
		for (size_t i = 0; i < PMF_ARRAY_SIZE(ids); i++)
			if ((rc = need(s, ids[i], where, e)) < 0)
				return rc;
		if (l->radix && ((rc = need(s, PMF__S_MAP_MID, where, e)) < 0 ||
				 (rc = need(s, PMF__S_MAP_BOT, where, e)) < 0))
			return rc;
		uint64_t upsz = s->s[PMF__S_USEDPOOLS].size / 8;
		*ref = (struct pmf__state_ref){
			.usedpools = pmf__sym_addr(s, PMF__S_USEDPOOLS),
			.nusedpools = upsz > 0 && upsz <= PMF__USEDPOOLS_MAX
					      ? (unsigned)upsz
					      : 64,
			.arenas = pmf__sym_addr(s, PMF__S_ARENAS),
			.maxarenas = pmf__sym_addr(s, PMF__S_MAXARENAS),
			.ncur = pmf__sym_addr(s, PMF__S_NCUR),
			.ntimes = pmf__sym_addr(s, PMF__S_NTIMES),
			.highwater = pmf__sym_addr(s, PMF__S_HIGHWATER),
		};
		if (l->radix) {
			ref->map_mid = pmf__sym_addr(s, PMF__S_MAP_MID);
			ref->map_bot = pmf__sym_addr(s, PMF__S_MAP_BOT);
		}
		if (l->serialno && (rc = need(s, PMF__S_SERIALNO, where, e)) < 0)
			return rc;
		if (l->serialno)
			ref->serialno = pmf__sym_addr(s, PMF__S_SERIALNO);
		snprintf(detail, dlen, "obmalloc.c statics (arenas at 0x%llx) "
				       "from the %s's .symtab",
			 (unsigned long long)ref->arenas, s->from);
		return 0;
	}
	case PMF__STATE_INTERP_INLINE:
		return pmf__err_set(e, PMF_ENOSTATE,
				    "Python %u.%u keeps the state inside the "
				    "interpreter; no symbol names it",
				    l->major, l->minor);
	case PMF__STATE_INTERP_POINTER:
		if ((rc = need(s, PMF__S_STATE_MAIN, where, e)) < 0)
			return rc;
		pmf__state_ref_struct(ref, pmf__sym_addr(s, PMF__S_STATE_MAIN),
				      &l->st, l->radix);
		snprintf(detail, dlen, "obmalloc_state_main at 0x%llx from "
				       "the %s's .symtab",
			 (unsigned long long)ref->base, s->from);
		return 0;
	}
	return PMF_ENOSTATE;
}

static int
from_table(struct pmf__pyt *t, struct pmf__state_ref *ref, char *detail,
	   size_t dlen, struct pmf__err *e)
{
	const struct pmf__layout *l = t->layout;
	if (l->kind == PMF__STATE_STATICS)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "Python %u.%u keeps the state in "
				    "obmalloc.c statics, not in _PyRuntime",
				    l->major, l->minor);
	if (t->runtime == 0)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "no _PyRuntime symbol in %s",
				    t->img.mod.path);
	uint64_t at = t->runtime + l->rt_main_interp + l->is_obmalloc;
	uint64_t base = at;
	if (l->kind == PMF__STATE_INTERP_POINTER) {
		int rc = pmf__mem_read_u64(&t->mem, at, &base, e);
		if (rc < 0)
			return rc;
		snprintf(detail, dlen,
			 "*(_PyRuntime + %u) = 0x%llx (%u.%u %s layout)",
			 l->rt_main_interp + l->is_obmalloc,
			 (unsigned long long)base, l->major, l->minor,
			 l->build);
	} else {
		snprintf(detail, dlen, "_PyRuntime + %u (%u.%u %s layout)",
			 l->rt_main_interp + l->is_obmalloc, l->major,
			 l->minor, l->build);
	}
	pmf__state_ref_struct(ref, base, &l->st, l->radix);
	return 0;
}

static int
validate(struct pmf__pyt *t, const struct pmf__state_ref *ref,
	 struct pmf__err *e)
{
	struct pmf__state st = {0};
	struct pmf__check c;
	int rc = pmf__state_read(&t->mem, ref, &t->geom, &st, e);
	if (rc == PMF_EFAULT || rc == PMF_ECORRUPT)
		rc = pmf__err_set(e, PMF_ECORRUPT,
				  "the state's fields are not readable: %s",
				  e->msg);
	if (rc < 0) {
		pmf__state_free(&st);
		return rc;
	}
	pmf__state_check(&st, ref, &t->geom, &t->maps, &t->mem, &c);
	pmf__state_free(&st);
	if (!st.have_counters)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "the arena counters were not found");
	if (!pmf__check_passes(&c, false))
		return pmf__err_set(e, PMF_ECORRUPT,
				    "%llu of %llu arenas and %u of %u size "
				    "classes fail validation (%s)",
				    (unsigned long long)(c.bad_used +
							 c.bad_unused),
				    (unsigned long long)c.live, c.bad_classes,
				    c.checked_classes, c.problem);
	pmf__sb_printf(&t->log,
		       "validate: %llu arenas in a table of %u, %u size "
		       "classes checked: ok\n",
		       (unsigned long long)c.live, st.maxarenas,
		       c.checked_classes);
	return 0;
}

static int
load_debugfile(struct pmf__pyt *t, const char *debug_dir, struct pmf__err *e)
{
	if (t->debug_open)
		return 0;
	int rc = pmf__debugfile_find(&t->img.mod.elf, t->img.mod.path, t->pid,
				     debug_dir, &t->debug, t->debug_path, e);
	if (rc < 0)
		return rc;
	t->debug_open = true;
	pmf__image_syms(&t->img, &t->debug, &t->dsyms);
	pmf__sb_printf(&t->log, "debugfile: %s\n", t->debug_path);
	return 0;
}

/* True when the arena table S found in memory is the one the variables
 * code C names point at now. */
static bool
scan_agrees(struct pmf__pyt *t, const struct pmf__dms_code *c,
	    const struct pmf__scan *s)
{
	uint64_t v = 0;
	uint32_t m = 0;
	bool var = false;
	for (unsigned i = 0; i < s->nvars; i++)
		var |= s->vars[i] == c->arenas;
	return var && pmf__mem_read_u64(&t->mem, c->arenas, &v, NULL) == 0 &&
	       v == s->table &&
	       pmf__mem_read_u32(&t->mem, c->maxarenas, &m, NULL) == 0 &&
	       m == s->maxarenas;
}

/* <= 3.11 without symbols: the memory route and the code route must
 * agree on every address both of them find. */
static int
from_scan_statics(struct pmf__pyt *t, struct pmf__state_ref *ref,
		  char *detail, size_t dlen, struct pmf__err *e)
{
	struct pmf__dms_code c;
	struct pmf__scan s;
	int rc = pmf__scan_code(t, &c, e);
	if (rc < 0)
		return rc;
	if ((rc = pmf__scan_statics(t, &s, e)) < 0)
		return rc;
	pmf__sb_printf(&t->log,
		       "scan: %u instructions of _PyObject_DebugMallocStats; "
		       "%llu bytes of .data/.bss, %u candidate tables, "
		       "%u valid\n",
		       c.insns, (unsigned long long)s.scanned, s.candidates,
		       s.tables);
	if (t->layout->radix && (c.map_mid == 0 || c.map_bot == 0))
		return pmf__err_set(e, PMF_ENOSTATE,
				    "the code of _PyObject_DebugMallocStats "
				    "does not show the arena map counters");
	if (s.table != 0) {
		if (!scan_agrees(t, &c, &s))
			return pmf__err_set(
				e, PMF_ECORRUPT,
				"the machine code names arenas at 0x%llx, "
				"but the arena table found in memory is "
				"0x%llx (size %u)",
				(unsigned long long)c.arenas,
				(unsigned long long)s.table, s.maxarenas);
	}
	*ref = (struct pmf__state_ref){
		.usedpools = s.usedpools,
		.nusedpools = s.nusedpools,
		.arenas = c.arenas,
		.maxarenas = c.maxarenas,
		.ntimes = c.ntimes,
		.highwater = c.highwater,
		.map_mid = t->layout->radix ? c.map_mid : 0,
		.map_bot = t->layout->radix ? c.map_bot : 0,
		.serialno = t->layout->serialno ? c.serialno : 0,
	};
	if (t->layout->serialno && c.serialno == 0)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "the code of _PyObject_DebugMallocStats "
				    "does not show the debug hooks' counter");
	t->probe.obj_malloc_slot = c.obj_malloc_slot;
	memcpy(t->probe.code_fns, c.fns, sizeof(c.fns));
	t->probe.ncode_fns = c.nfns;
	snprintf(detail, dlen,
		 "arenas at 0x%llx (table 0x%llx), usedpools at 0x%llx, "
		 "counters from the code of _PyObject_DebugMallocStats",
		 (unsigned long long)ref->arenas, (unsigned long long)s.table,
		 (unsigned long long)s.usedpools);
	return 0;
}

static int
from_scan(struct pmf__pyt *t, struct pmf__state_ref *ref, char *detail,
	  size_t dlen, struct pmf__err *e)
{
	if (t->layout->kind == PMF__STATE_STATICS)
		return from_scan_statics(t, ref, detail, dlen, e);
	uint64_t base;
	int rc = pmf__scan_probe(t, &base, e);
	if (rc < 0)
		return rc;
	pmf__state_ref_struct(ref, base, &t->layout->st, t->layout->radix);
	snprintf(detail, dlen, "state at _PyRuntime + %llu, found by probing",
		 (unsigned long long)(base - t->runtime));
	/* The struct offsets are the same in every 3.12-3.14 build; the
	 * runtime ones may not be, so the allocator slots come from the
	 * code of the exported allocator functions. */
	t->probe.raw_malloc_slot = pmf__scan_slot(t, PMF__S_RAWMALLOC);
	return 0;
}

/* Tries one method; on success t->main and t->locate_detail are set. */
static int
try_method(struct pmf__pyt *t, enum pmf_locate m, const char *debug_dir,
	   struct pmf__err *e)
{
	struct pmf__state_ref ref;
	char detail[200];
	int rc;
	uint64_t t0 = pmf__now_ns();
	switch (m) {
	case PMF_LOCATE_SYMBOLS:
		rc = from_symbols(t, &t->syms, t->img.mod.path, &ref, detail,
				  sizeof(detail), e);
		break;
	case PMF_LOCATE_DEBUGFILE:
		rc = load_debugfile(t, debug_dir, e);
		if (rc == 0)
			rc = from_symbols(t, &t->dsyms, t->debug_path, &ref,
					  detail, sizeof(detail), e);
		break;
	case PMF_LOCATE_TABLE:
		rc = from_table(t, &ref, detail, sizeof(detail), e);
		break;
	case PMF_LOCATE_SCAN:
		rc = from_scan(t, &ref, detail, sizeof(detail), e);
		break;
	default:
		rc = pmf__err_set(e, PMF_EINVAL, "unknown locate method");
	}
	if (rc == 0)
		rc = validate(t, &ref, e);
	if (rc < 0) {
		pmf__sb_printf(&t->log, "%s: %s\n", pmf_locate_name(m), e->msg);
		return rc;
	}
	t->locate_us = (pmf__now_ns() - t0) / 1000;
	t->main = ref;
	t->have_main = true;
	t->method = m;
	snprintf(t->locate_detail, sizeof(t->locate_detail), "%s", detail);
	pmf__sb_printf(&t->log, "%s: found the state in %.1f ms: %s\n",
		       pmf_locate_name(m), (double)t->locate_us / 1000.0,
		       detail);
	return 0;
}

/* 3.13+ with symbols: the table's pointer must name the same state. */
static void
cross_check(struct pmf__pyt *t)
{
	if (t->method == PMF_LOCATE_TABLE || t->runtime == 0 ||
	    t->layout->kind != PMF__STATE_INTERP_POINTER)
		return;
	struct pmf__state_ref ref;
	char detail[200];
	struct pmf__err e = {0};
	if (from_table(t, &ref, detail, sizeof(detail), &e) < 0)
		return;
	pmf__sb_printf(&t->log, "cross-check: table gives 0x%llx, %s\n",
		       (unsigned long long)ref.base,
		       ref.base == t->main.base ? "the same state"
						: "A DIFFERENT STATE");
}

int
pmf__locate(struct pmf__pyt *t, enum pmf_locate method, const char *debug_dir,
	    struct pmf__err *e)
{
	if (pmf__sym_ok(&t->syms, PMF__S_RUNTIME))
		t->runtime = pmf__sym_addr(&t->syms, PMF__S_RUNTIME);

	int rc;
	if (method != PMF_LOCATE_AUTO) {
		rc = try_method(t, method, debug_dir, e);
	} else {
		static const enum pmf_locate order[] = {
			PMF_LOCATE_SYMBOLS, PMF_LOCATE_DEBUGFILE,
			PMF_LOCATE_TABLE, PMF_LOCATE_SCAN};
		struct pmf__err first = {0}, scan = {0};
		rc = PMF_ENOSTATE;
		for (size_t i = 0; i < PMF_ARRAY_SIZE(order) && rc < 0; i++) {
			struct pmf__err e1 = {0};
			rc = try_method(t, order[i], debug_dir, &e1);
			/* Report a validation failure over "not found": it is
			 * the more telling of the two. */
			if (rc < 0 && (first.code == 0 ||
				       (rc == PMF_ECORRUPT &&
					first.code != PMF_ECORRUPT)))
				first = e1;
			if (order[i] == PMF_LOCATE_SCAN)
				scan = e1;
		}
		if (rc < 0) {
			rc = first.code;
			if (e != NULL)
				*e = first;
			/* Without symbols the scan's reason is the one that
			 * matters. */
			if (!t->syms.has_symtab && scan.code != 0) {
				rc = scan.code;
				pmf__err_set(e, rc,
					     "the allocator state of %s was "
					     "not %s: it has no symbols, no "
					     "debug file matches its build-id "
					     "%s, and the symbol-less scan "
					     "says: %s",
					     t->img.mod.path,
					     rc == PMF_ECORRUPT ? "valid"
								: "found",
					     t->img.mod.elf.build_id[0]
						     ? t->img.mod.elf.build_id
						     : "(none)",
					     scan.msg);
			}
		}
	}
	if (rc < 0)
		return rc;
	cross_check(t);
	set_probe(t, &t->syms);
	if (t->debug_open)
		/* Functions the image's own tables lack are in there. */
		set_probe(t, &t->dsyms);
	if (t->probe.raw_malloc_slot == 0)
		t->probe.raw_malloc_slot = pmf__scan_slot(t, PMF__S_RAWMALLOC);
	if (t->probe.fn_pymalloc == 0 && t->probe.ncode_fns == 0) {
		/* No symbols for the functions: take the ones the code of
		 * _PyObject_DebugMallocStats compares the obj malloc with. */
		struct pmf__dms_code c;
		struct pmf__err e2 = {0};
		(void)pmf__scan_code(t, &c, &e2);
		memcpy(t->probe.code_fns, c.fns, sizeof(c.fns));
		t->probe.ncode_fns = c.nfns;
		if (t->probe.obj_malloc_slot == 0 &&
		    t->layout->kind == PMF__STATE_STATICS)
			t->probe.obj_malloc_slot = c.obj_malloc_slot;
	}
	if (t->probe.fn_pymalloc == 0 && t->probe.ncode_fns == 0) {
		/* 3.6 checks in the caller; it exports the check itself. */
		uint64_t slot = 0;
		t->probe.ncode_fns = pmf__scan_checker(
			t, PMF__S_PYMALLOC_ENABLED, &slot, t->probe.code_fns,
			PMF__CODE_FNS);
		if (t->probe.obj_malloc_slot == 0)
			t->probe.obj_malloc_slot = slot;
	}
	return 0;
}
