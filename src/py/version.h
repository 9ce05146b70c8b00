/* SPDX-License-Identifier: MIT */
/*
 * version.h - which CPython a target runs, read from its files and memory
 * without ever executing anything of the target's.
 */
#ifndef PMF_PY_VERSION_H
#define PMF_PY_VERSION_H

#include "os/maps.h"
#include "os/mem.h"
#include "py/image.h"

struct pmf__pyver {
	uint32_t hex;          /* PY_VERSION_HEX; micro may be 0 if unknown */
	unsigned major, minor, micro, level, serial;
	bool micro_known;
	char str[24];
	bool free_threaded, debug;
	const char *source;    /* how it was found */
	uint64_t runtime_size; /* sizeof(_PyRuntimeState), 0 if unknown */
};

/* Detects the version: _Py_DebugOffsets at _PyRuntime (3.13+), then
 * Py_Version (3.11+), then Py_GetVersion()'s buffer in memory, then a
 * scan of the image's writable sections for that buffer, then file names.
 * Fails with PMF_ENOTPY only when nothing at all identifies a version. */
int pmf__pyver_detect(const struct pmf__image *img, const struct pmf__syms *s,
		      struct pmf__mem *mem, const char *exe,
		      struct pmf__pyver *out, struct pmf__sb *log,
		      struct pmf__err *e);

/* Fills the string form from hex ("3.12.1", "3.14.0rc1"). */
void pmf__pyver_format(struct pmf__pyver *v);

/* Parses the start of a sys.version string ("3.8.18 (default, ...").
 * Returns false unless it looks exactly like one. */
bool pmf__pyver_parse_text(const char *s, size_t len, struct pmf__pyver *v);

/* Parses "libpython3.11.so.1.0", "libpython3.7dm.so", "python3.13t":
 * major, minor and ABI flags only. */
bool pmf__pyver_parse_name(const char *name, struct pmf__pyver *v);

#endif
