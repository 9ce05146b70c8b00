/* SPDX-License-Identifier: MIT */
/*
 * compat.h - attribute macros and small helpers shared by every internal
 * file.  Included first by every internal header, so each header stands on
 * its own.
 */
#ifndef PMF_BASE_COMPAT_H
#define PMF_BASE_COMPAT_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PMF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PMF_WARN_UNUSED __attribute__((warn_unused_result))
#define PMF_UNUSED __attribute__((unused))
#define PMF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Overflow-checked arithmetic: true when the result did not fit. */
#define PMF_MUL_OVERFLOW(a, b, r) __builtin_mul_overflow((a), (b), (r))
#define PMF_ADD_OVERFLOW(a, b, r) __builtin_add_overflow((a), (b), (r))

static inline uint64_t
pmf__round_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static inline int
pmf__is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* Little-endian loads from byte buffers read out of the target: the
 * buffers have no alignment guarantee.  memcpy is one unaligned load
 * (a byte loop is not always recognised as one, and the pool walk does
 * six per pool). */
static inline uint64_t
pmf__ld64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

static inline uint32_t
pmf__ld32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint16_t
pmf__ld16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

#endif
