/* SPDX-License-Identifier: MIT */
/*
 * dmscode.c - the code route of the symbol-less locator: what
 * _PyObject_DebugMallocStats reads.  Its statistics loop loads maxarenas
 * (u32) and then arenas (u64); it prints ntimes_arena_allocated (loaded
 * twice) and narenas_highwater (u64); 3.10+ print the arena-map node
 * counts (sign-extended i32 loads, mid then bot); and it first checks that
 * the obj domain's malloc is _PyObject_Malloc with a compare against an
 * immediate (research section 9.3, verified on pyenv 3.6-3.11 and Debian's
 * LTO build).  The code is read from the file, never from the target.
 */
#include "config.h"

#include <string.h>

#include "os/x86.h"
#include "py/scan.h"

/* Bounds: bytes decoded per function body, tail jumps followed. */
#define MAX_BODY 16384
#define MAX_HOPS 2
/* The allocator check sits at the top of the function. */
#define PROLOGUE_INSNS 64

struct walker {
	const struct pmf__elf *elf;
	uint64_t bias;
	struct pmf__dms_code *c;
	bool after_max; /* maxarenas seen, arenas not yet */
};

/* Is link address VADDR in an executable segment of the file? */
static bool
in_code(const struct pmf__elf *elf, uint64_t vaddr)
{
	for (size_t i = 0; i < elf->phnum; i++) {
		const Elf64_Phdr *p = &elf->ph[i];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_X) &&
		    vaddr >= p->p_vaddr && vaddr - p->p_vaddr < p->p_memsz)
			return true;
	}
	return false;
}

static void
note_fn(struct walker *w, uint64_t link)
{
	struct pmf__dms_code *c = w->c;
	if (!in_code(w->elf, link) || c->nfns == PMF__CODE_FNS)
		return;
	for (unsigned i = 0; i < c->nfns; i++)
		if (c->fns[i] == link + w->bias)
			return;
	c->fns[c->nfns++] = link + w->bias;
}

static void
note_insn(struct walker *w, const struct pmf__insn *in)
{
	struct pmf__dms_code *c = w->c;
	if (c->insns <= PROLOGUE_INSNS) {
		if (in->kind == PMF__I_CMP_IMM && in->has_imm && in->imm > 0)
			note_fn(w, (uint64_t)in->imm);
		else if (in->kind == PMF__I_LEA && in->rip_rel)
			note_fn(w, in->mem_addr);
	}
	if (!in->rip_rel)
		return;
	uint64_t a = in->mem_addr + w->bias;
	if (in->kind != PMF__I_LOAD)
		return;
	if (in->width == 8 && c->maxarenas == 0 && c->obj_malloc_slot == 0) {
		c->obj_malloc_slot = a;
		return;
	}
	if (in->width == 4 && in->sign_extend) {
		if (c->map_mid == 0)
			c->map_mid = a;
		else if (c->map_bot == 0 && a != c->map_mid)
			c->map_bot = a;
		return;
	}
	if (in->width == 4 && c->maxarenas == 0) {
		c->maxarenas = a;
		w->after_max = true;
		return;
	}
	if (in->width != 8 || c->maxarenas == 0)
		return;
	if (w->after_max) {
		c->arenas = a;
		w->after_max = false;
	} else if (a != c->arenas) {
		if (c->ntimes == 0)
			c->ntimes = a;
		else if (c->highwater == 0 && a != c->ntimes)
			c->highwater = a;
		else if (c->serialno == 0 && c->highwater != 0 &&
			 a != c->ntimes && a != c->highwater)
			c->serialno = a;
	}
}

/* Decodes [vaddr, vaddr+len) of the file; returns the target of an
 * unconditional jump out of the range (a tail call into a clone such as
 * _PyObject_DebugMallocStats.part.0), or 0. */
static uint64_t
walk_body(struct walker *w, uint64_t vaddr, uint64_t len)
{
	if (len > MAX_BODY)
		len = MAX_BODY;
	const unsigned char *code = NULL;
	/* The symbol size may run past the section: shrink until the bytes
	 * are in the file. */
	while (len > 0 && (code = pmf__elf_vaddr_bytes(w->elf, vaddr,
						       (size_t)len)) == NULL)
		len = len > 256 ? len - 256 : 0;
	if (code == NULL)
		return 0;
	uint64_t out = 0;
	for (uint64_t off = 0; off < len;) {
		struct pmf__insn in;
		unsigned n = pmf__x86_decode(code + off, (size_t)(len - off),
					     vaddr + off, &in);
		if (n == 0)
			break;
		w->c->insns++;
		note_insn(w, &in);
		if (in.kind == PMF__I_JMP && in.has_target &&
		    (in.target < vaddr || in.target >= vaddr + len) &&
		    out == 0)
			out = in.target;
		off += n;
	}
	return out;
}

int
pmf__scan_code(struct pmf__pyt *t, struct pmf__dms_code *c,
	       struct pmf__err *e)
{
	memset(c, 0, sizeof(*c));
	const struct pmf__elf *elf = &t->img.mod.elf;
	if (elf->machine != EM_X86_64)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "reading machine code is implemented for "
				    "x86-64 only");
	if (!pmf__sym_ok(&t->syms, PMF__S_DEBUGMALLOCSTATS))
		return pmf__err_set(e, PMF_ENOSTATE,
				    "%s does not export "
				    "_PyObject_DebugMallocStats",
				    t->img.mod.path);
	struct walker w = {.elf = elf, .bias = t->img.mod.bias, .c = c};
	uint64_t vaddr = t->syms.s[PMF__S_DEBUGMALLOCSTATS].link;
	uint64_t size = t->syms.s[PMF__S_DEBUGMALLOCSTATS].size;
	if (size == 0)
		size = MAX_BODY;
	for (int hop = 0; hop <= MAX_HOPS && vaddr != 0; hop++) {
		uint64_t next = walk_body(&w, vaddr, size);
		if (c->highwater != 0 && (c->map_bot != 0 || c->serialno != 0 ||
					  next == 0))
			break;
		/* A clone's size is unknown: decode up to the bound. */
		vaddr = next;
		size = MAX_BODY;
	}
	if (c->maxarenas == 0 || c->arenas == 0 || c->ntimes == 0 ||
	    c->highwater == 0)
		return pmf__err_set(e, PMF_ENOSTATE,
				    "the code of _PyObject_DebugMallocStats "
				    "does not show the expected loads (%u "
				    "instructions read)",
				    c->insns);
	return 0;
}

unsigned
pmf__scan_checker(struct pmf__pyt *t, enum pmf__symid fn, uint64_t *slot,
		  uint64_t *fns, unsigned max)
{
	const struct pmf__elf *elf = &t->img.mod.elf;
	if (elf->machine != EM_X86_64 || !pmf__sym_ok(&t->syms, fn))
		return 0;
	uint64_t vaddr = t->syms.s[fn].link;
	size_t len = t->syms.s[fn].size ? (size_t)t->syms.s[fn].size : 128;
	if (len > 512)
		len = 512;
	const unsigned char *code = pmf__elf_vaddr_bytes(elf, vaddr, len);
	if (code == NULL)
		return 0;
	struct pmf__dms_code c;
	memset(&c, 0, sizeof(c));
	struct walker w = {.elf = elf, .bias = t->img.mod.bias, .c = &c};
	for (size_t off = 0; off < len;) {
		struct pmf__insn in;
		unsigned k = pmf__x86_decode(code + off, len - off,
					     vaddr + off, &in);
		if (k == 0)
			break;
		c.insns++;
		note_insn(&w, &in);
		off += k;
	}
	*slot = c.obj_malloc_slot;
	unsigned n = c.nfns < max ? c.nfns : max;
	memcpy(fns, c.fns, n * sizeof(*fns));
	return n;
}

uint64_t
pmf__scan_slot(struct pmf__pyt *t, enum pmf__symid fn)
{
	const struct pmf__elf *elf = &t->img.mod.elf;
	if (elf->machine != EM_X86_64 || !pmf__sym_ok(&t->syms, fn))
		return 0;
	uint64_t vaddr = t->syms.s[fn].link;
	size_t len = t->syms.s[fn].size ? (size_t)t->syms.s[fn].size : 64;
	if (len > 256)
		len = 256;
	const unsigned char *code = pmf__elf_vaddr_bytes(elf, vaddr, len);
	if (code == NULL)
		return 0;
	uint64_t loads[8];
	unsigned n = 0;
	for (size_t off = 0; off < len && n < 8;) {
		struct pmf__insn in;
		unsigned k = pmf__x86_decode(code + off, len - off,
					     vaddr + off, &in);
		if (k == 0 || in.kind == PMF__I_RET ||
		    in.kind == PMF__I_JMP_INDIRECT)
			break;
		if (in.kind == PMF__I_LOAD && in.rip_rel && in.width == 8)
			loads[n++] = in.mem_addr;
		off += k;
	}
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++)
			if (loads[j] == loads[i] + 8)
				return loads[j] + t->img.mod.bias;
	return 0;
}
