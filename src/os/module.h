/* SPDX-License-Identifier: MIT */
/*
 * module.h - an ELF file mapped into the target: the file itself (opened
 * through the target's root, checked to be the very file it mapped), and
 * the load bias that turns link-time addresses into target addresses.
 */
#ifndef PMF_OS_MODULE_H
#define PMF_OS_MODULE_H

#include <limits.h>
#include <sys/types.h>

#include "os/elf.h"
#include "os/maps.h"

struct pmf__module {
	char path[PATH_MAX];   /* as the target sees it (maps) */
	char opened[PATH_MAX]; /* what we opened */
	struct pmf__elf elf;
	uint64_t bias;         /* target address = link address + bias */
	uint64_t start, end;   /* span of its mappings in the target */
	uint64_t inode;
	unsigned dev_major, dev_minor;
};

/* Opens the file behind mapping MP of process PID and computes its bias.
 * Tries /proc/PID/root/<path> (checking device and inode against the
 * mapping), then /proc/PID/map_files/<range> (works for deleted or
 * replaced files, needs privilege). */
int pmf__module_open(struct pmf__module *mod, pid_t pid,
		     const struct pmf__maps *maps, const struct pmf__map *mp,
		     struct pmf__err *e);

void pmf__module_close(struct pmf__module *mod);

/* Target address of link-time address VADDR. */
static inline uint64_t
pmf__module_addr(const struct pmf__module *mod, uint64_t vaddr)
{
	return vaddr + mod->bias;
}

#endif
