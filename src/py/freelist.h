/* SPDX-License-Identifier: MIT */
/*
 * freelist.h - the object free lists CPython's _debugmallocstats prints
 * (float, tuple, list, dict, ...), read from the target per version.
 */
#ifndef PMF_PY_FREELIST_H
#define PMF_PY_FREELIST_H

#include "py/pytarget.h"

/* Reads the free lists of interpreter IR into OUT->freelists, in
 * CPython's print order, and sets OUT->has_freelists.  Free lists that
 * cannot be located, or whose counts fail the checks (a count above its
 * MAXFREELIST, a list that does not hold what its count says, another
 * interpreter or runtime at IR->interp), leave has_freelists false and
 * return 0: they are an addition to the report, not a reason to fail it.
 * Why is noted once in T's log.  A negative PMF code only when the
 * memory source itself fails (the process is gone).  Never writes to
 * the target. */
int pmf__freelists_read(struct pmf__pyt *t, const struct pmf__interp_ref *ir,
			struct pmf_interp_stats *out, struct pmf__err *e);

#endif
