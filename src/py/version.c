/* SPDX-License-Identifier: MIT */
/*
 * version.c - version detection.
 *
 * PY_VERSION_HEX is 0xMMmmuuLS: major, minor, micro, release level
 * (0xA alpha, 0xB beta, 0xC candidate, 0xF final) and serial.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "py/layout.h"
#include "py/version.h"

static void
from_hex(struct pmf__pyver *v, uint64_t hex)
{
	v->hex = (uint32_t)hex;
	v->major = (unsigned)(hex >> 24) & 0xff;
	v->minor = (unsigned)(hex >> 16) & 0xff;
	v->micro = (unsigned)(hex >> 8) & 0xff;
	v->level = (unsigned)(hex >> 4) & 0xf;
	v->serial = (unsigned)hex & 0xf;
	v->micro_known = true;
}

void
pmf__pyver_format(struct pmf__pyver *v)
{
	if (!v->micro_known) {
		snprintf(v->str, sizeof(v->str), "%u.%u", v->major, v->minor);
		return;
	}
	const char *lv = v->level == 0xa   ? "a"
			 : v->level == 0xb ? "b"
			 : v->level == 0xc ? "rc"
					   : NULL;
	if (lv != NULL)
		snprintf(v->str, sizeof(v->str), "%u.%u.%u%s%u", v->major,
			 v->minor, v->micro, lv, v->serial);
	else
		snprintf(v->str, sizeof(v->str), "%u.%u.%u", v->major,
			 v->minor, v->micro);
}

static bool
plausible(uint64_t hex)
{
	unsigned major = (unsigned)(hex >> 24) & 0xff;
	unsigned level = (unsigned)(hex >> 4) & 0xf;
	return hex >> 32 == 0 && (major == 2 || major == 3) &&
	       (level == 0xa || level == 0xb || level == 0xc || level == 0xf);
}

static unsigned
digits(const char *s, size_t len, size_t *i, bool *ok)
{
	unsigned v = 0;
	size_t start = *i;
	while (*i < len && isdigit((unsigned char)s[*i]) && *i - start < 3)
		v = v * 10 + (unsigned)(s[(*i)++] - '0');
	*ok = *i > start;
	return v;
}

bool
pmf__pyver_parse_text(const char *s, size_t len, struct pmf__pyver *v)
{
	size_t i = 0;
	bool ok;
	unsigned major = digits(s, len, &i, &ok);
	if (!ok || i >= len || s[i++] != '.')
		return false;
	unsigned minor = digits(s, len, &i, &ok);
	if (!ok || i >= len || s[i++] != '.')
		return false;
	unsigned micro = digits(s, len, &i, &ok);
	if (!ok)
		return false;
	unsigned level = 0xf, serial = 0;
	if (i < len && (s[i] == 'a' || s[i] == 'b' || s[i] == 'r')) {
		if (s[i] == 'r') {
			if (i + 1 >= len || s[i + 1] != 'c')
				return false;
			level = 0xc;
			i += 2;
		} else {
			level = s[i] == 'a' ? 0xa : 0xb;
			i++;
		}
		serial = digits(s, len, &i, &ok);
		if (!ok)
			return false;
	}
	if (i < len && s[i] == '+')
		i++;
	/* sys.version continues with " (" and the build info; the
	 * free-threaded ones say " experimental free-threading build (". */
	if (i >= len || s[i] != ' ')
		return false;
	if (major != 2 && major != 3)
		return false;
	from_hex(v, (uint64_t)major << 24 | minor << 16 | micro << 8 |
			    level << 4 | serial);
	v->free_threaded = memmem(s + i, len - i, "free-threading", 14) != NULL;
	return true;
}

bool
pmf__pyver_parse_name(const char *name, struct pmf__pyver *v)
{
	const char *b = strrchr(name, '/');
	b = b != NULL ? b + 1 : name;
	if (strncmp(b, "libpython", 9) == 0)
		b += 9;
	else if (strncmp(b, "python", 6) == 0)
		b += 6;
	else
		return false;
	size_t len = strlen(b), i = 0;
	bool ok;
	unsigned major = digits(b, len, &i, &ok);
	if (!ok || i >= len || b[i++] != '.')
		return false;
	unsigned minor = digits(b, len, &i, &ok);
	if (!ok || (major != 2 && major != 3))
		return false;
	/* ABI flags: d (debug), m (pymalloc, <= 3.7), t (free-threaded). */
	bool debug = false, ft = false;
	for (; i < len && b[i] != '.'; i++) {
		if (b[i] == 'd')
			debug = true;
		else if (b[i] == 't')
			ft = true;
		else if (b[i] != 'm' && b[i] != 'u')
			return false;
	}
	memset(v, 0, sizeof(*v));
	v->major = major;
	v->minor = minor;
	v->hex = major << 24 | minor << 16;
	v->micro_known = false;
	v->debug = debug;
	v->free_threaded = ft;
	return true;
}

/* Reads sys.version text at ADDR in the target. */
static bool
read_text_at(struct pmf__mem *mem, uint64_t addr, struct pmf__pyver *v)
{
	char buf[64];
	if (pmf__mem_read(mem, addr, buf, sizeof(buf), NULL) < 0)
		return false;
	return pmf__pyver_parse_text(buf, sizeof(buf), v);
}

/* Py_GetVersion() formats sys.version into a 250-byte static buffer at
 * startup.  Without its symbol, look for it at every 8-byte boundary of
 * the image's .data and .bss in the target's memory. */
static bool
scan_for_text(const struct pmf__image *img, struct pmf__mem *mem,
	      struct pmf__pyver *v)
{
	static const char *secs[] = {".bss", ".data", NULL};
	for (int k = 0; secs[k] != NULL; k++) {
		const Elf64_Shdr *sh = pmf__elf_section(&img->mod.elf, secs[k]);
		if (sh == NULL || sh->sh_size == 0 ||
		    sh->sh_size > (64u << 20))
			continue;
		uint64_t base = pmf__module_addr(&img->mod, sh->sh_addr);
		size_t chunk = 64 * 1024;
		char *buf = malloc(chunk + 64);
		if (buf == NULL)
			return false;
		for (uint64_t off = 0; off < sh->sh_size; off += chunk) {
			size_t len = sh->sh_size - off < chunk
					     ? (size_t)(sh->sh_size - off)
					     : chunk;
			size_t want = len + 64 <= sh->sh_size - off
					      ? len + 64
					      : len;
			if (pmf__mem_read(mem, base + off, buf, want, NULL) <
			    0)
				continue;
			for (size_t i = 0; i + 8 <= len; i += 8) {
				if (buf[i] != '2' && buf[i] != '3')
					continue;
				if (pmf__pyver_parse_text(buf + i, want - i,
							  v)) {
					free(buf);
					return true;
				}
			}
		}
		free(buf);
	}
	return false;
}

int
pmf__pyver_detect(const struct pmf__image *img, const struct pmf__syms *s,
		  struct pmf__mem *mem, const char *exe, struct pmf__pyver *out,
		  struct pmf__sb *log, struct pmf__err *e)
{
	const struct pmf__elf *elf = &img->mod.elf;
	struct pmf__pyver v = {0};
	memset(out, 0, sizeof(*out));

	if (pmf__sym_ok(s, PMF__S_RUNTIME))
		out->runtime_size = s->s[PMF__S_RUNTIME].size;

	/* 3.13+: the debug offsets are statically initialised, so they are
	 * in the file: "xdebugpy", version, free_threaded. */
	if (pmf__sym_ok(s, PMF__S_RUNTIME)) {
		const unsigned char *p = pmf__elf_vaddr_bytes(
			elf, s->s[PMF__S_RUNTIME].link, 24);
		if (p != NULL && memcmp(p, "xdebugpy", 8) == 0 &&
		    plausible(pmf__ld64(p + 8))) {
			from_hex(&v, pmf__ld64(p + 8));
			v.free_threaded = pmf__ld64(p + 16) != 0;
			v.source = "_Py_DebugOffsets";
		}
	}
	if (v.source == NULL && pmf__sym_ok(s, PMF__S_PY_VERSION)) {
		const unsigned char *p = pmf__elf_vaddr_bytes(
			elf, s->s[PMF__S_PY_VERSION].link, 8);
		if (p != NULL && plausible(pmf__ld64(p))) {
			from_hex(&v, pmf__ld64(p));
			v.source = "Py_Version";
		}
	}
	if (v.source == NULL && pmf__sym_ok(s, PMF__S_VERSION_BUF) &&
	    read_text_at(mem, pmf__sym_addr(s, PMF__S_VERSION_BUF), &v))
		v.source = "sys.version buffer";
	if (v.source == NULL && scan_for_text(img, mem, &v))
		v.source = "sys.version buffer (scanned)";

	/* ABI flags in the file names still tell debug and free-threaded
	 * builds apart. */
	struct pmf__pyver byname;
	bool named = pmf__pyver_parse_name(img->mod.path, &byname) ||
		     pmf__pyver_parse_name(exe, &byname);
	if (v.source == NULL && named) {
		v = byname;
		v.source = "file name";
	} else if (named && byname.major == v.major &&
		   byname.minor == v.minor) {
		v.debug |= byname.debug;
		v.free_threaded |= byname.free_threaded;
	}
	if (v.source == NULL)
		return pmf__err_set(e, PMF_ENOTPY,
				    "cannot tell which Python version %s is",
				    img->mod.path);
	if (pmf__sym_ok(s, PMF__S_REF_DEBUG))
		v.debug = true;
	v.runtime_size = out->runtime_size;
	pmf__pyver_format(&v);
	*out = v;
	pmf__sb_printf(log, "version: %s%s%s from %s\n", v.str,
		       v.debug ? " (debug build)" : "",
		       v.free_threaded ? " (free-threaded)" : "", v.source);
	return 0;
}
