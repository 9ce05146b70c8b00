/* SPDX-License-Identifier: MIT */
/*
 * pyread.c - reading names out of a target: C strings, str objects and
 * a type's __module__ from its dict, every read bounded and only from
 * pages in RAM.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "py/pyread.h"

#define MAX_DICT_ENTRIES 4096

/* Reads LEN bytes at ADDR when every page is in RAM.  PMF__RD_ABSENT when one
 * is not, PMF__RD_BAD when the range is not readable, or a negative PMF code
 * when the memory source failed. */
int
pmf__pyread(struct pmf__pyread *r, uint64_t addr, void *buf, size_t len,
	    struct pmf__err *e)
{
	if (addr == 0 || addr + len < addr || addr + len > (1ull << 47))
		return PMF__RD_BAD;
	if (!pmf__pgcache_present(r->pc, addr, len))
		return PMF__RD_ABSENT;
	struct pmf__iov iov = {.addr = addr, .buf = buf, .len = len};
	r->reads++;
	long bad = pmf__mem_readv(r->mem, &iov, 1, e);
	if (bad < 0)
		return (int)bad;
	return bad > 0 ? PMF__RD_BAD : PMF__RD_OK;
}

/* True when S[0..N) is UTF-8 with no control character. */
static bool
clean_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k) {
		if (s[i] < 0x20 || s[i] == 0x7f ||
		    (k = pmf__utf8_seq(s + i, n - i)) == 0)
			return false;
		/* C1 controls, U+0080..U+009F. */
		if (s[i] == 0xc2 && s[i + 1] < 0xa0)
			return false;
	}
	return true;
}

/* A NUL-terminated name of 1..PMF__NAME_MAX bytes at ADDR, read a page at a
 * time. */
int
pmf__pyread_cstr(struct pmf__pyread *r, uint64_t addr,
		 char out[PMF__NAME_MAX + 1], struct pmf__err *e)
{
	size_t have = 0;
	while (have <= PMF__NAME_MAX) {
		uint64_t a = addr + have;
		size_t len = 4096 - (size_t)(a & 4095);
		if (len > PMF__NAME_MAX + 1 - have)
			len = PMF__NAME_MAX + 1 - have;
		int rc = pmf__pyread(r, a, out + have, len, e);
		if (rc != PMF__RD_OK)
			return rc;
		char *z = memchr(out + have, '\0', len);
		if (z != NULL) {
			size_t n = (size_t)(z - out);
			return n > 0 && clean_utf8((unsigned char *)out, n)
				       ? PMF__RD_OK
				       : PMF__RD_BAD;
		}
		have += len;
	}
	return PMF__RD_BAD;
}

/* The text of the str object at ADDR, as UTF-8 (compact strings only:
 * every name and identifier is one). */
int
pmf__pyread_str(struct pmf__pyread *r, uint64_t addr,
		char out[PMF__NAME_MAX + 1], struct pmf__err *e)
{
	const struct pmf__objlayout *l = r->l;
	unsigned char h[16 + 72 + 8];
	size_t hl = l->ob_off + l->str_compact;
	if ((addr & 7) != 0 || hl > sizeof(h))
		return PMF__RD_BAD;
	int rc = pmf__pyread(r, addr, h, hl, e);
	if (rc != PMF__RD_OK)
		return rc;
	const unsigned char *o = h + l->ob_off;
	if (pmf__objlayout_refstate(l, pmf__ld64(o)) != PMF__REF_LIVE)
		return PMF__RD_BAD;
	uint32_t state = pmf__ld32(o + l->str_state);
	unsigned kind = (state >> 2) & 7, compact = (state >> 5) & 1,
		 ascii = (state >> 6) & 1;
	uint64_t len = pmf__ld64(o + l->str_length);
	/* Up to 3.11 bit 7 is "ready", set on every compact string. */
	if (!compact || (l->minor <= 11 && !((state >> 7) & 1)) || len == 0 ||
	    len > PMF__NAME_MAX / 4 || (kind != 1 && kind != 2 && kind != 4) ||
	    (ascii && kind != 1))
		return PMF__RD_BAD;
	if (ascii) {
		rc = pmf__pyread(r, addr + l->ob_off + l->str_ascii, out, (size_t)len, e);
		if (rc != PMF__RD_OK)
			return rc;
		out[len] = '\0';
		return clean_utf8((unsigned char *)out, (size_t)len) ? PMF__RD_OK
								     : PMF__RD_BAD;
	}
	unsigned char raw[PMF__NAME_MAX / 4 * 4];
	rc = pmf__pyread(r, addr + l->ob_off + l->str_compact, raw, (size_t)len * kind,
		e);
	if (rc != PMF__RD_OK)
		return rc;
	size_t n = 0;
	for (uint64_t i = 0; i < len; i++) {
		uint32_t cp = kind == 1   ? raw[i]
			      : kind == 2 ? pmf__ld16(raw + 2 * i)
					  : pmf__ld32(raw + 4 * i);
		if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    n + 4 > PMF__NAME_MAX)
			return PMF__RD_BAD;
		n += pmf__utf8_put(out + n, cp);
	}
	out[n] = '\0';
	return clean_utf8((unsigned char *)out, n) ? PMF__RD_OK : PMF__RD_BAD;
}

/* The value of the key "__module__" in the dict at DICT, a str read
 * into OUT. */
int
pmf__pyread_module(struct pmf__pyread *r, uint64_t dict,
		   char out[PMF__NAME_MAX + 1], struct pmf__err *e)
{
	const struct pmf__objlayout *l = r->l;
	unsigned char d[16 + 48], k[40];
	int rc = pmf__pyread(r, dict, d, l->ob_off + l->dict_values + 8, e);
	if (rc != PMF__RD_OK)
		return rc;
	uint64_t keys = pmf__ld64(d + l->ob_off + l->dict_keys);
	if (pmf__ld64(d + l->ob_off + l->dict_values) != 0 || (keys & 7) != 0)
		return PMF__RD_BAD; /* a type's dict is never split */
	uint64_t size, n, entries;
	size_t esz, koff;
	if (l->keys_311) {
		if ((rc = pmf__pyread(r, keys, k, 32, e)) != PMF__RD_OK)
			return rc;
		if (k[8] > 16 || k[9] > 20 || k[10] > 2)
			return PMF__RD_BAD;
		size = 1ull << k[8];
		n = pmf__ld64(k + 24);
		entries = keys + 32 + (1ull << k[9]);
		esz = k[10] == 0 ? 24 : 16; /* general, or str keys */
		koff = k[10] == 0 ? 8 : 0;
	} else {
		if ((rc = pmf__pyread(r, keys, k, 40, e)) != PMF__RD_OK)
			return rc;
		size = pmf__ld64(k + 8);
		n = pmf__ld64(k + 32);
		if (!pmf__is_pow2(size) || size > (1u << 16))
			return PMF__RD_BAD;
		unsigned ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : 4;
		entries = keys + 40 + size * ix;
		esz = 24;
		koff = 8;
	}
	if (n > size || n > MAX_DICT_ENTRIES)
		return PMF__RD_BAD;
	unsigned char *ent = malloc((size_t)n * esz + 1);
	if (ent == NULL)
		return pmf__err_set(e, PMF_ENOMEM, "out of memory");
	rc = pmf__pyread(r, entries, ent, (size_t)n * esz, e);
	uint64_t value = 0;
	/* The key is interned: one object for every type's dict. */
	for (uint64_t i = 0; rc == PMF__RD_OK && value == 0 && r->module_key && i < n;
	     i++)
		if (pmf__ld64(ent + i * esz + koff) == r->module_key)
			value = pmf__ld64(ent + i * esz + koff + 8);
	for (uint64_t i = 0; rc == PMF__RD_OK && value == 0 && i < n; i++) {
		uint64_t key = pmf__ld64(ent + i * esz + koff);
		char text[PMF__NAME_MAX + 1];
		if (key == 0 || key == r->module_key)
			continue;
		int k2 = pmf__pyread_str(r, key, text, e);
		if (k2 < 0)
			rc = k2;
		else if (k2 == PMF__RD_OK && strcmp(text, "__module__") == 0) {
			r->module_key = key;
			value = pmf__ld64(ent + i * esz + koff + 8);
		}
	}
	free(ent);
	if (rc != PMF__RD_OK)
		return rc;
	return value == 0 ? PMF__RD_BAD : pmf__pyread_str(r, value, out, e);
}

