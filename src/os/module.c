/* SPDX-License-Identifier: MIT */
/*
 * module.c - opening the target's mapped ELF files.
 *
 * The path in /proc/PID/maps is resolved in the target's mount namespace,
 * so it is opened under /proc/PID/root.  The file at that path may have
 * been replaced since the target mapped it (a package upgrade of a running
 * service is the usual case); reading the new file would give wrong
 * addresses, so the inode and device must match the mapping.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "os/module.h"

static bool
same_file(const struct pmf__elf *elf, const struct pmf__map *mp)
{
	return elf->ino == mp->inode && major(elf->dev) == mp->dev_major &&
	       minor(elf->dev) == mp->dev_minor;
}

static bool
map_of(const struct pmf__module *mod, const struct pmf__map *mp)
{
	return mp->inode == mod->inode && mp->dev_major == mod->dev_major &&
	       mp->dev_minor == mod->dev_minor;
}

/* Computes the bias from the mapping of the file's first loadable
 * segment.  The file can be mapped at that offset more than once: a
 * debugger, or pymfrag inside the process (pmf_target_open_self()),
 * mmaps the whole file to read its symbols.  The loader's mapping is the
 * one the next segment directly follows; a lone mapping at the offset is
 * taken only when there is no such one. */
static int
compute_bias(struct pmf__module *mod, const struct pmf__maps *maps,
	     struct pmf__err *e)
{
	uint64_t vaddr, offset;
	if (!pmf__elf_first_load(&mod->elf, &vaddr, &offset))
		return pmf__err_set(e, PMF_EELF, "%s has no loadable segment",
				    mod->path);
	size_t first = SIZE_MAX, lone = SIZE_MAX;
	for (size_t i = 0; i < maps->n && first == SIZE_MAX; i++) {
		const struct pmf__map *mp = &maps->v[i];
		if (!map_of(mod, mp) || mp->offset != offset)
			continue;
		if (i + 1 < maps->n && map_of(mod, &maps->v[i + 1]) &&
		    maps->v[i + 1].start == mp->end)
			first = i;
		else if (lone == SIZE_MAX)
			lone = i;
	}
	if (first == SIZE_MAX)
		first = lone;
	if (first == SIZE_MAX)
		return pmf__err_set(e, PMF_EELF,
				    "cannot find the first segment of %s in "
				    "the target's memory map",
				    mod->path);
	mod->bias = maps->v[first].start - vaddr;
	/* The span: every mapping of the file but the other copies of its
	 * first segment. */
	mod->start = UINT64_MAX;
	mod->end = 0;
	for (size_t i = 0; i < maps->n; i++) {
		const struct pmf__map *mp = &maps->v[i];
		if (!map_of(mod, mp) || (mp->offset == offset && i != first))
			continue;
		if (mp->start < mod->start)
			mod->start = mp->start;
		if (mp->end > mod->end)
			mod->end = mp->end;
	}
	return 0;
}

int
pmf__module_open(struct pmf__module *mod, pid_t pid,
		 const struct pmf__maps *maps, const struct pmf__map *mp,
		 struct pmf__err *e)
{
	memset(mod, 0, sizeof(*mod));
	snprintf(mod->path, sizeof(mod->path), "%s", mp->path);
	mod->inode = mp->inode;
	mod->dev_major = mp->dev_major;
	mod->dev_minor = mp->dev_minor;

	struct pmf__err e1 = {0};
	int rc = PMF_EELF;
	if (!mp->deleted) {
		snprintf(mod->opened, sizeof(mod->opened), "/proc/%d/root%s",
			 (int)pid, mp->path);
		rc = pmf__elf_open(&mod->elf, mod->opened, &e1);
		if (rc == 0 && !same_file(&mod->elf, mp)) {
			pmf__elf_close(&mod->elf);
			rc = pmf__err_set(&e1, PMF_EELF,
					  "%s on disk is not the file process "
					  "%d mapped (it was replaced since "
					  "the process started)",
					  mp->path, (int)pid);
		}
	} else {
		pmf__err_set(&e1, PMF_EELF,
			     "%s was deleted after process %d mapped it",
			     mp->path, (int)pid);
	}
	if (rc < 0) {
		/* map_files names the mapped object itself, whatever
		 * happened to the path since. */
		struct pmf__err e2 = {0};
		snprintf(mod->opened, sizeof(mod->opened),
			 "/proc/%d/map_files/%llx-%llx", (int)pid,
			 (unsigned long long)mp->start,
			 (unsigned long long)mp->end);
		if (pmf__elf_open(&mod->elf, mod->opened, &e2) == 0)
			rc = 0;
		else if (e1.code == PMF_EELF && e2.code == PMF_EPERM) {
			/* Say what would have worked. */
			return pmf__err_set(e, PMF_EELF,
					    "%s; reading it through "
					    "/proc/%d/map_files needs root",
					    e1.msg, (int)pid);
		}
	}
	if (rc < 0) {
		if (e != NULL)
			*e = e1;
		return rc;
	}
	rc = compute_bias(mod, maps, e);
	if (rc < 0)
		pmf__module_close(mod);
	return rc;
}

void
pmf__module_close(struct pmf__module *mod)
{
	pmf__elf_close(&mod->elf);
}
