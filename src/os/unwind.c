/* SPDX-License-Identifier: MIT */
/*
 * unwind.c - remote unwinding with libunwind, read-only accessors.
 *
 * One libunwind address space and one libunwind-ptrace handle serve every
 * thread of the process: the handle is only used to find unwind tables
 * (from /proc/PID/maps and the mapped files, which all threads share),
 * while registers come from the thread being unwound.  The address space
 * caches unwind tables across snapshots (UNW_CACHE_GLOBAL).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "os/unwind.h"

#ifdef HAVE_LIBUNWIND

#include <elf.h>
#include <libunwind-ptrace.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

/* What the accessors need for the thread being unwound. */
struct uctx {
	struct pmf__unwind *u;
	struct user_regs_struct regs;
};

/* libunwind-ptrace's table lookup calls the memory accessor with its own
 * argument, not ours, so the thread being unwound is also kept here.  A
 * handle is used by one thread at a time (pymfrag.h), hence thread-local
 * is enough. */
static _Thread_local struct uctx *current;

static int
acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
	void *arg)
{
	(void)as;
	(void)arg;
	if (write || current == NULL)
		return -UNW_EINVAL; /* the target is never written to */
	struct pmf__unwind *u = current->u;
	uint64_t base = addr & ~(uint64_t)(PMF__UNWIND_LINE - 1);
	size_t off = (size_t)(addr - base);
	if (base == 0 || off + sizeof(*val) > PMF__UNWIND_LINE) {
		uint64_t v; /* the first page, or a word across two lines */
		if (pmf__mem_read_u64(u->mem, addr, &v, NULL) < 0)
			return -UNW_EINVAL;
		*val = (unw_word_t)v;
		return 0;
	}
	struct pmf__unwind_line *l =
		&u->lines[(base / PMF__UNWIND_LINE) % PMF__UNWIND_LINES];
	if (l->addr != base) {
		l->addr = 0;
		if (pmf__mem_read(u->mem, base, l->b, sizeof(l->b), NULL) < 0)
			return -UNW_EINVAL;
		l->addr = base;
	}
	memcpy(val, l->b + off, sizeof(*val));
	return 0;
}

static void
lines_clear(struct pmf__unwind *u)
{
	for (unsigned i = 0; i < PMF__UNWIND_LINES; i++)
		u->lines[i].addr = 0;
}

static int
reg_slot(const struct user_regs_struct *r, unw_regnum_t reg,
	 unw_word_t *out)
{
#if defined(__x86_64__)
	switch (reg) {
	case UNW_X86_64_RAX: *out = r->rax; return 0;
	case UNW_X86_64_RDX: *out = r->rdx; return 0;
	case UNW_X86_64_RCX: *out = r->rcx; return 0;
	case UNW_X86_64_RBX: *out = r->rbx; return 0;
	case UNW_X86_64_RSI: *out = r->rsi; return 0;
	case UNW_X86_64_RDI: *out = r->rdi; return 0;
	case UNW_X86_64_RBP: *out = r->rbp; return 0;
	case UNW_X86_64_RSP: *out = r->rsp; return 0;
	case UNW_X86_64_R8: *out = r->r8; return 0;
	case UNW_X86_64_R9: *out = r->r9; return 0;
	case UNW_X86_64_R10: *out = r->r10; return 0;
	case UNW_X86_64_R11: *out = r->r11; return 0;
	case UNW_X86_64_R12: *out = r->r12; return 0;
	case UNW_X86_64_R13: *out = r->r13; return 0;
	case UNW_X86_64_R14: *out = r->r14; return 0;
	case UNW_X86_64_R15: *out = r->r15; return 0;
	case UNW_X86_64_RIP: *out = r->rip; return 0;
	default: return -UNW_EBADREG;
	}
#elif defined(__aarch64__)
	if (reg >= UNW_AARCH64_X0 && reg <= UNW_AARCH64_X30) {
		*out = r->regs[reg - UNW_AARCH64_X0];
		return 0;
	}
	if (reg == UNW_AARCH64_SP) {
		*out = r->sp;
		return 0;
	}
	if (reg == UNW_AARCH64_PC) {
		*out = r->pc;
		return 0;
	}
	return -UNW_EBADREG;
#else
#error "pmf unwind: unsupported architecture"
#endif
}

static int
acc_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
	void *arg)
{
	(void)as;
	struct uctx *c = arg;
	if (write || c == NULL)
		return -UNW_EINVAL;
	return reg_slot(&c->regs, reg, val);
}

static int
acc_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val,
	  int write, void *arg)
{
	(void)as;
	(void)reg;
	(void)val;
	(void)write;
	(void)arg;
	return -UNW_EBADREG; /* not needed for instruction pointers */
}

static int
acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as;
	(void)c;
	(void)arg;
	return -UNW_EINVAL; /* resuming would change the thread */
}

/* The libunwind-ptrace handle for the file holding IP (see unwind.h). */
static void *
upt_for(struct pmf__unwind *u, unw_word_t ip)
{
	const struct pmf__map *mp =
		u->maps != NULL ? pmf__maps_find(u->maps, ip) : NULL;
	if (mp == NULL || mp->inode == 0)
		return u->upt;
	for (unsigned i = 0; i < u->nfiles; i++) {
		struct pmf__unwind_file *f = &u->files[i];
		if (f->inode == mp->inode && f->dev_major == mp->dev_major &&
		    f->dev_minor == mp->dev_minor)
			return f->upt;
	}
	if (u->nfiles == PMF__UNWIND_FILES)
		return u->upt; /* works, only slower */
	void *upt = _UPT_create(u->pid);
	if (upt == NULL)
		return u->upt;
	u->files[u->nfiles++] = (struct pmf__unwind_file){
		.inode = mp->inode,
		.dev_major = mp->dev_major,
		.dev_minor = mp->dev_minor,
		.upt = upt,
	};
	return upt;
}

static int
acc_find(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
	 int need_unwind_info, void *arg)
{
	struct uctx *c = arg;
	return _UPT_find_proc_info(as, ip, pi, need_unwind_info,
				   upt_for(c->u, ip));
}

static void
acc_put(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	struct uctx *c = arg;
	_UPT_put_unwind_info(as, pi, c->u->upt);
}

static int
acc_dyn(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as;
	(void)addr;
	(void)arg;
	/* Dynamically registered unwind info is for JITs that use
	 * libunwind's registry; CPython does not. */
	return -UNW_ENOINFO;
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find,
	.put_unwind_info = acc_put,
	.get_dyn_info_list_addr = acc_dyn,
	.access_mem = acc_mem,
	.access_reg = acc_reg,
	.access_fpreg = acc_fpreg,
	.resume = acc_resume,
	.get_proc_name = NULL,
};

bool
pmf__unwind_available(void)
{
	return true;
}

int
pmf__unwind_open(struct pmf__unwind *u, pid_t pid, struct pmf__mem *mem,
		 const struct pmf__maps *maps, struct pmf__err *e)
{
	memset(u, 0, sizeof(*u));
	unw_addr_space_t as = unw_create_addr_space(&accessors, 0);
	if (as == NULL)
		return pmf__err_set(e, PMF_ENOMEM,
				    "libunwind: cannot create an address "
				    "space");
	unw_set_caching_policy(as, UNW_CACHE_GLOBAL);
	void *upt = _UPT_create(pid);
	if (upt == NULL) {
		unw_destroy_addr_space(as);
		return pmf__err_set(e, PMF_ENOMEM, "libunwind: out of memory");
	}
	u->as = as;
	u->upt = upt;
	u->mem = mem;
	u->maps = maps;
	u->pid = pid;
	return 0;
}

int
pmf__unwind_ips(struct pmf__unwind *u, pid_t tid, uint64_t *ips,
		unsigned max, struct pmf__err *e)
{
	if (u->as == NULL || max == 0)
		return pmf__err_set(e, PMF_EINVAL, "unwinder not open");
	struct uctx c = {.u = u};
	struct iovec iov = {&c.regs, sizeof(c.regs)};
	if (ptrace(PTRACE_GETREGSET, tid, (void *)(uintptr_t)NT_PRSTATUS,
		   &iov) < 0) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "ptrace(PTRACE_GETREGSET, %d)", (int)tid);
	}
	unw_word_t pc;
#if defined(__x86_64__)
	reg_slot(&c.regs, UNW_X86_64_RIP, &pc);
#else
	reg_slot(&c.regs, UNW_AARCH64_PC, &pc);
#endif
	ips[0] = pc;
	unsigned n = 1;
	lines_clear(u);
	current = &c;
	unw_cursor_t cur;
	if (unw_init_remote(&cur, (unw_addr_space_t)u->as, &c) == 0) {
		/* Each step needs the caller's frame from the unwind tables;
		 * an unreadable or table-less frame ends the walk, which is
		 * bounded by MAX anyway. */
		while (n < max && unw_step(&cur) > 0) {
			unw_word_t ip;
			if (unw_get_reg(&cur, UNW_REG_IP, &ip) < 0 || ip == 0)
				break;
			ips[n++] = ip;
		}
	}
	current = NULL;
	return (int)n;
}

void
pmf__unwind_warm(struct pmf__unwind *u, uint64_t addr)
{
	if (u->as == NULL)
		return;
	struct uctx c = {.u = u};
	unw_proc_info_t pi;
	memset(&pi, 0, sizeof(pi));
	lines_clear(u);
	current = &c;
	/* Finding the procedure maps the file and reads its table index;
	 * the result itself is not needed, and without the unwind info
	 * (need_unwind_info 0) there is nothing to put back. */
	(void)acc_find((unw_addr_space_t)u->as, addr, &pi, 0, &c);
	current = NULL;
}

void
pmf__unwind_close(struct pmf__unwind *u)
{
	for (unsigned i = 0; i < u->nfiles; i++)
		_UPT_destroy(u->files[i].upt);
	if (u->upt != NULL)
		_UPT_destroy(u->upt);
	if (u->as != NULL)
		unw_destroy_addr_space((unw_addr_space_t)u->as);
	memset(u, 0, sizeof(*u));
}

#else /* !HAVE_LIBUNWIND */

bool
pmf__unwind_available(void)
{
	return false;
}

int
pmf__unwind_open(struct pmf__unwind *u, pid_t pid, struct pmf__mem *mem,
		 const struct pmf__maps *maps, struct pmf__err *e)
{
	(void)pid;
	(void)mem;
	(void)maps;
	memset(u, 0, sizeof(*u));
	return pmf__err_set(e, PMF_ENOTSUP, "built without libunwind");
}

int
pmf__unwind_ips(struct pmf__unwind *u, pid_t tid, uint64_t *ips,
		unsigned max, struct pmf__err *e)
{
	(void)u;
	(void)tid;
	(void)ips;
	(void)max;
	return pmf__err_set(e, PMF_ENOTSUP, "built without libunwind");
}

void
pmf__unwind_warm(struct pmf__unwind *u, uint64_t addr)
{
	(void)u;
	(void)addr;
}

void
pmf__unwind_close(struct pmf__unwind *u)
{
	memset(u, 0, sizeof(*u));
}

#endif
