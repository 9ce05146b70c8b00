/* SPDX-License-Identifier: MIT */
/*
 * utf8.h - UTF-8 as RFC 3629 defines it: no overlong form, no encoded
 * surrogate, nothing above U+10FFFF.  Shared by the JSON reader and
 * writer and by the names read out of a target.
 */
#ifndef PMF_BASE_UTF8_H
#define PMF_BASE_UTF8_H

#include "base/compat.h"

/* Length of the well-formed sequence at S (AVAIL >= 1 bytes left), or 0
 * when it is not one. */
size_t pmf__utf8_seq(const unsigned char *s, size_t avail);

/* Writes code point CP (at most U+10FFFF, not a surrogate) at D; returns
 * the bytes written (1 to 4). */
size_t pmf__utf8_put(char *d, uint32_t cp);

#endif
