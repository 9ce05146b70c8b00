/* SPDX-License-Identifier: MIT */
/*
 * names.c - names of the public enumerations, and their parsers: every
 * layer speaks them (the locator logs its method by name).
 */
#include "config.h"

#include <string.h>

#include "base/compat.h"
#include "pymfrag.h"

static const char *const allocator_names[] = {
	[PMF_ALLOC_UNKNOWN] = "unknown",
	[PMF_ALLOC_PYMALLOC] = "pymalloc",
	[PMF_ALLOC_PYMALLOC_DEBUG] = "pymalloc_debug",
	[PMF_ALLOC_PYMALLOC_HOOKED] = "pymalloc_hooked",
	[PMF_ALLOC_MALLOC] = "malloc",
	[PMF_ALLOC_MALLOC_DEBUG] = "malloc_debug",
	[PMF_ALLOC_MIMALLOC] = "mimalloc",
	[PMF_ALLOC_MIMALLOC_DEBUG] = "mimalloc_debug",
	[PMF_ALLOC_FREE_THREADED] = "mimalloc_free_threaded",
	[PMF_ALLOC_NO_PYMALLOC] = "no_pymalloc",
	[PMF_ALLOC_CUSTOM] = "custom",
};

const char *
pmf_allocator_name(enum pmf_allocator a)
{
	if ((unsigned)a < PMF_ARRAY_SIZE(allocator_names) &&
	    allocator_names[a] != NULL)
		return allocator_names[a];
	return "unknown";
}

bool
pmf_allocator_is_pymalloc(enum pmf_allocator a)
{
	return a == PMF_ALLOC_PYMALLOC || a == PMF_ALLOC_PYMALLOC_DEBUG ||
	       a == PMF_ALLOC_PYMALLOC_HOOKED;
}

static const char *const locate_names[] = {
	[PMF_LOCATE_AUTO] = "auto",	      [PMF_LOCATE_SYMBOLS] = "symbols",
	[PMF_LOCATE_DEBUGFILE] = "debugfile", [PMF_LOCATE_TABLE] = "table",
	[PMF_LOCATE_SCAN] = "scan",
};

const char *
pmf_locate_name(enum pmf_locate m)
{
	if ((unsigned)m < PMF_ARRAY_SIZE(locate_names))
		return locate_names[m];
	return "unknown";
}

int
pmf_locate_parse(const char *name, enum pmf_locate *out)
{
	for (size_t i = 0; name != NULL && i < PMF_ARRAY_SIZE(locate_names);
	     i++)
		if (strcmp(name, locate_names[i]) == 0) {
			*out = (enum pmf_locate)i;
			return 0;
		}
	return PMF_EINVAL;
}

static const char *const format_names[] = {
	[PMF_FORMAT_TEXT] = "text",
	[PMF_FORMAT_JSON] = "json",
	[PMF_FORMAT_DEBUGMALLOCSTATS] = "debugmallocstats",
	[PMF_FORMAT_PROMETHEUS] = "prometheus",
};

const char *
pmf_format_name(enum pmf_format f)
{
	if ((unsigned)f < PMF_ARRAY_SIZE(format_names))
		return format_names[f];
	return "unknown";
}

int
pmf_format_parse(const char *name, enum pmf_format *out)
{
	for (size_t i = 0; name != NULL && i < PMF_ARRAY_SIZE(format_names);
	     i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum pmf_format)i;
			return 0;
		}
	return PMF_EINVAL;
}
