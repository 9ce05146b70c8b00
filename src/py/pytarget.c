/* SPDX-License-Identifier: MIT */
/*
 * pytarget.c - opening a Python process: process checks, memory map,
 * interpreter image, symbols, version and layout, then the locator.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "py/pytarget.h"

/* Locates of a running target tried before its state is called invalid. */
#define LOCATE_TRIES 6

int
pmf__pyt_refresh_maps(struct pmf__pyt *t, struct pmf__err *e)
{
	/* A queried map asks the kernel afresh on every lookup after a
	 * reset: it is as new as a whole read would be. */
	if (t->maps.q != NULL) {
		pmf__maps_query_reset(&t->maps);
		return 0;
	}
	struct pmf__maps m;
	int rc = pmf__maps_read(&m, t->pid, e);
	if (rc < 0)
		return rc;
	if (m.n == 0) {
		pmf__maps_free(&m);
		return pmf__err_set(e, PMF_ESRCH, "process %d exited",
				    (int)t->pid);
	}
	m.gen = t->maps.gen + 1;
	pmf__maps_free(&t->maps);
	t->maps = m;
	return 0;
}

/* Permission problems show first when reading maps or memory; say who
 * owns the process so the user knows what to change. */
static int
explain_perm(struct pmf__pyt *t, const struct pmf__proc_status *st,
	     struct pmf__err *e)
{
	/* The same user is refused when the process is not dumpable: its
	 * /proc files then belong to root. */
	if (st->uid == geteuid() && geteuid() != 0)
		return pmf__err_set(e, PMF_EPERM,
				    "not allowed to read process %d (%s, uid "
				    "%d) although it runs as the same user: "
				    "its /proc files are not readable (it is "
				    "not dumpable: setuid, or "
				    "prctl(PR_SET_DUMPABLE, 0))",
				    (int)t->pid, st->name, (int)st->uid);
	return pmf__err_set(e, PMF_EPERM,
			    "not allowed to read process %d (%s, uid %d) as "
			    "uid %d",
			    (int)t->pid, st->name, (int)st->uid, (int)geteuid());
}

static int
choose_layout(struct pmf__pyt *t, struct pmf__err *e)
{
	const struct pmf__pyver *v = &t->ver;
	if (v->major != 3 || v->minor < PMF__MIN_MINOR ||
	    v->minor > PMF__MAX_MINOR)
		return pmf__err_set(e, PMF_EVERSION,
				    "Python %s is not supported (pymfrag "
				    "reads CPython 3.%d to 3.%d)",
				    v->str, PMF__MIN_MINOR, PMF__MAX_MINOR);
	t->layout = pmf__layout_find(v->major, v->minor, v->runtime_size,
				     &t->layout_exact);
	if (t->layout == NULL)
		return pmf__err_set(e, PMF_EVERSION,
				    "Python %s is not supported", v->str);
	pmf__geom_init(&t->geom, t->layout);
	if (!t->layout_exact)
		pmf__sb_printf(&t->log,
			       "layout: no row for a %llu-byte _PyRuntime; "
			       "trying the %u.%u row (%llu bytes), validated\n",
			       (unsigned long long)v->runtime_size, v->major,
			       v->minor,
			       (unsigned long long)t->layout->runtime_size);
	return 0;
}

int
pmf__pyt_open(struct pmf__pyt *t, pid_t pid, bool self,
	      enum pmf_locate method, const char *debug_dir,
	      struct pmf__err *e)
{
	struct pmf__proc_status st;
	int rc;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if ((rc = pmf__proc_status(pid, &st, e)) < 0)
		return rc;
	snprintf(t->comm, sizeof(t->comm), "%s", st.name);

	rc = pmf__pyt_refresh_maps(t, e);
	if (rc == PMF_EPERM)
		return explain_perm(t, &st, e);
	if (rc < 0)
		return rc;
	rc = pmf__proc_exe(pid, t->exe, sizeof(t->exe), e);
	if (rc == PMF_EPERM)
		return explain_perm(t, &st, e);
	if (rc < 0)
		return rc;
	rc = self ? pmf__mem_open_self(&t->mem, e)
		  : pmf__mem_open_remote(&t->mem, pid, e);
	if (rc < 0)
		return rc == PMF_EPERM ? explain_perm(t, &st, e) : rc;
	t->mem_open = true;

	/* One read up front separates "not allowed" from everything else:
	 * process_vm_readv needs the same permission as ptrace attach. */
	{
		unsigned char probe[8];
		struct pmf__err pe = {0};
		int prc = pmf__mem_read(&t->mem, t->maps.v[0].start, probe,
					sizeof(probe), &pe);
		if (prc == PMF_EPERM)
			return explain_perm(t, &st, e);
		if (prc == PMF_ESRCH)
			return pmf__err_set(e, PMF_ESRCH, "process %d exited",
					    (int)pid);
	}

	rc = pmf__image_find(&t->img, pid, &t->maps, t->exe, t->comm, &t->log,
			     e);
	if (rc < 0)
		return rc;
	t->img_open = true;
	pmf__image_syms(&t->img, &t->img.mod.elf, &t->syms);
	if (!t->syms.has_symtab)
		pmf__sb_printf(&t->log, "symbols: %s has no .symtab\n",
			       t->img.mod.path);

	if ((rc = pmf__pyver_detect(&t->img, &t->syms, &t->mem, t->exe,
				    &t->ver, &t->log, e)) < 0)
		return rc;
	t->ver_known = true;
	if ((rc = choose_layout(t, e)) < 0)
		return rc;
	if (t->ver.free_threaded) {
		/* pymalloc is not used by free-threaded builds at all: there
		 * is no state to find, and that is not an error. */
		t->method = PMF_LOCATE_AUTO;
		snprintf(t->locate_detail, sizeof(t->locate_detail),
			 "free-threaded build: pymalloc is not used");
		return 0;
	}
	if (!pmf__sym_ok(&t->syms, PMF__S_DEBUGMALLOCSTATS)) {
		/* The export exists whenever pymalloc is compiled in. */
		t->method = PMF_LOCATE_AUTO;
		snprintf(t->locate_detail, sizeof(t->locate_detail),
			 "built without pymalloc");
		return 0;
	}
	/* The target runs while it is located: a heap that grows meanwhile
	 * maps arenas the maps read before do not show, or moves the arena
	 * table.  A state that fails validation is looked for again with
	 * fresh maps, a few times. */
	for (unsigned try = 1;; try++) {
		rc = pmf__locate(t, method, debug_dir, e);
		if (rc != PMF_ECORRUPT || try == LOCATE_TRIES)
			return rc;
		pmf__sb_printf(&t->log, "locate: try %u failed validation; "
					"again with fresh maps\n",
			       try);
		struct timespec ts = {0, 2 * 1000 * 1000};
		nanosleep(&ts, NULL);
		if ((rc = pmf__pyt_refresh_maps(t, e)) < 0)
			return rc;
	}
}

void
pmf__pyt_close(struct pmf__pyt *t)
{
	if (t->debug_open)
		pmf__elf_close(&t->debug);
	if (t->img_open)
		pmf__image_close(&t->img);
	if (t->mem_open)
		pmf__mem_close(&t->mem);
	pmf__maps_free(&t->maps);
	pmf__sb_free(&t->log);
	t->debug_open = t->img_open = t->mem_open = false;
}
