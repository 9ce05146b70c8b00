/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what every fuzz target shares: the libFuzzer entry point and a
 * reader that turns the input into parameters.  The same target code is
 * linked with libFuzzer by tests/fuzz/run, and with replay.c for the
 * corpus test in make check.
 */
#ifndef PMF_TEST_FUZZ_H
#define PMF_TEST_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Consumes an input from the front; past its end every value is 0, so
 * any input, even an empty one, describes a complete case. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline unsigned
fz_u8(struct fz *f)
{
	if (f->n == 0)
		return 0;
	f->n--;
	return *f->p++;
}

static inline unsigned
fz_u16(struct fz *f)
{
	unsigned lo = fz_u8(f);
	return lo | fz_u8(f) << 8;
}

/* The input as a NUL-terminated string (malloc'd): what the parsers of
 * /proc text get from pmf__read_file. */
static inline char *
fz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

#endif
