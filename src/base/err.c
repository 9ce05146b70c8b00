/* SPDX-License-Identifier: MIT */
/*
 * err.c - error codes, their names and descriptions, and the error record.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"

const char *
pmf_strerror(int err)
{
	switch (err) {
	case PMF_OK:
		return "success";
#define X(name, n, s)                                                          \
	case PMF_##name:                                                       \
		return s;
		PMF_ERRNO_MAP(X)
#undef X
	}
	return "unknown error";
}

const char *
pmf_errname(int err)
{
	switch (err) {
	case PMF_OK:
		return "PMF_OK";
#define X(name, n, s)                                                          \
	case PMF_##name:                                                       \
		return "PMF_" #name;
		PMF_ERRNO_MAP(X)
#undef X
	}
	return "PMF_EUNKNOWN";
}

static void
vset(struct pmf__err *e, int code, const char *fmt, va_list ap)
{
	e->code = code;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
}

int
pmf__err_set(struct pmf__err *e, int code, const char *fmt, ...)
{
	if (e != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vset(e, code, fmt, ap);
		va_end(ap);
	}
	return code;
}

int
pmf__err_sys(struct pmf__err *e, int code, int sys_errno, const char *fmt,
	     ...)
{
	if (e != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vset(e, code, fmt, ap);
		va_end(ap);
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, ": %s",
			 strerror(sys_errno));
	}
	return code;
}

int
pmf__err_from_errno(int sys_errno)
{
	switch (sys_errno) {
	case ENOMEM:
		return PMF_ENOMEM;
	case ESRCH:
	case ENOENT:
		return PMF_ESRCH;
	case EPERM:
	case EACCES:
		return PMF_EPERM;
	case EFAULT:
		return PMF_EFAULT;
	default:
		return PMF_EIO;
	}
}

void
pmf__err_clear(struct pmf__err *e)
{
	e->code = 0;
	e->msg[0] = '\0';
}
