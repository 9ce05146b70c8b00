/* SPDX-License-Identifier: MIT */
/*
 * err.h - the error record every fallible internal function fills.  The
 * code is a negative PMF_E* value; the message says what failed where, in
 * words a user can act on.
 */
#ifndef PMF_BASE_ERR_H
#define PMF_BASE_ERR_H

#include "base/compat.h"
#include "pymfrag.h"

#define PMF__ERRMSG_MAX 512

struct pmf__err {
	int code;
	char msg[PMF__ERRMSG_MAX];
};

/* Records CODE with a formatted message and returns CODE, so callers can
 * write "return pmf__err_set(e, PMF_EIO, ...)".  E may be NULL. */
int pmf__err_set(struct pmf__err *e, int code, const char *fmt, ...)
	PMF_PRINTF(3, 4);

/* Like pmf__err_set, appending ": strerror(SYS_ERRNO)". */
int pmf__err_sys(struct pmf__err *e, int code, int sys_errno,
		 const char *fmt, ...) PMF_PRINTF(4, 5);

/* Maps an errno from a read of /proc or of target memory to a PMF code. */
int pmf__err_from_errno(int sys_errno);

void pmf__err_clear(struct pmf__err *e);

#endif
