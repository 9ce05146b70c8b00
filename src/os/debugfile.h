/* SPDX-License-Identifier: MIT */
/*
 * debugfile.h - finding the detached debug file of an ELF image, the way
 * gdb does: by GNU build-id under DIR/.build-id/, then by .gnu_debuglink
 * name (with its CRC) next to the file, in .debug/ and under DIR.
 */
#ifndef PMF_OS_DEBUGFILE_H
#define PMF_OS_DEBUGFILE_H

#include <limits.h>
#include <sys/types.h>

#include "os/elf.h"

/* Looks for the debug file of IMAGE, whose path in the target is PATH,
 * under the target's root (/proc/PID/root) and then under our own root.
 * DIR defaults to /usr/lib/debug.  On success OUT is open and FOUND holds
 * the path that was used.  Returns PMF_ENOSTATE when there is none, with
 * every place tried in the message. */
int pmf__debugfile_find(const struct pmf__elf *image, const char *path,
			pid_t pid, const char *dir, struct pmf__elf *out,
			char found[PATH_MAX], struct pmf__err *e);

#endif
