/* SPDX-License-Identifier: MIT */
/*
 * args.c - option values shared by the commands.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>

#include "cli/cli.h"

bool
cli_parse_count(const char *s, unsigned *out)
{
	char *end;
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT_MAX)
		return false;
	*out = (unsigned)v;
	return true;
}

/* A plain decimal number: no sign, no hex, no "inf" or "nan". */
static bool
parse_decimal(const char *s, double *out)
{
	char *end;
	if ((*s < '0' || *s > '9') && *s != '.')
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool
cli_parse_percent(const char *s, double *out)
{
	double v;
	if (!parse_decimal(s, &v) || v <= 0 || v > 100)
		return false;
	*out = v;
	return true;
}

bool
cli_parse_seconds(const char *s, double min, double max, double *out)
{
	double v;
	if (!parse_decimal(s, &v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}
