/* SPDX-License-Identifier: MIT */
/*
 * clock.h - monotonic and wall-clock time in nanoseconds.
 */
#ifndef PMF_OS_CLOCK_H
#define PMF_OS_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
pmf__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int64_t
pmf__wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
}

#endif
