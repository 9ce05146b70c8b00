/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf.c - the ELF reader (src/os/elf.c) over arbitrary files, and
 * what pymfrag does with an image once it is open: resolve its symbol
 * set, read the bytes behind symbols, symbolize addresses, find the load
 * segment and the debug link, decode the code of
 * _PyObject_DebugMallocStats (src/os/x86.c) and look for the version in
 * the image (with a target whose memory is all unreadable).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fake_mem.h"
#include "fuzz.h"
#include "os/elf.h"
#include "os/x86.h"
#include "py/image.h"
#include "py/version.h"

/* Decodes up to a few thousand instructions of LEN bytes at P. */
static void
decode(const unsigned char *p, size_t len, uint64_t ip)
{
	for (unsigned k = 0; k < 4096 && len > 0; k++) {
		struct pmf__insn in;
		unsigned n = pmf__x86_decode(p, len, ip, &in);
		if (n == 0 || n > len)
			break;
		p += n;
		len -= n;
		ip += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* elf.c needs the alignment a mapped file has. */
	void *copy = malloc(size ? size : 1);
	if (copy == NULL)
		abort();
	memcpy(copy, data, size);
	struct pmf__image *img = calloc(1, sizeof(*img));
	if (img == NULL)
		abort();
	struct pmf__err e = {0};
	if (pmf__elf_open_mem(&img->mod.elf, copy, size, &e) == 0) {
		const struct pmf__elf *elf = &img->mod.elf;
		struct pmf__syms syms;
		pmf__image_syms(img, elf, &syms);
		for (int i = 0; i < PMF__S_COUNT; i++) {
			const struct pmf__symval *v = &syms.s[i];
			if (v->found == 0)
				continue;
			size_t len = v->size < 4096 ? (size_t)v->size : 4096;
			const unsigned char *b =
				pmf__elf_vaddr_bytes(elf, v->link, len);
			if (b != NULL && i == PMF__S_DEBUGMALLOCSTATS)
				decode(b, len, v->link);
			else if (b != NULL && len > 0)
				(void)pmf__crc32(0, b, len);
			const char *n = pmf__elf_symbolize(elf, v->link);
			if (n != NULL)
				(void)strlen(n);
		}
		uint64_t va, off;
		(void)pmf__elf_first_load(elf, &va, &off);
		const Elf64_Shdr *text = pmf__elf_section(elf, ".text");
		if (text != NULL) {
			size_t len = text->sh_size < 4096 ? text->sh_size : 4096;
			const unsigned char *b =
				pmf__elf_vaddr_bytes(elf, text->sh_addr, len);
			if (b != NULL)
				decode(b, len, text->sh_addr);
		}
		if (elf->debuglink != NULL)
			(void)strlen(elf->debuglink);
		(void)strlen(elf->build_id);

		struct fake_mem fm;
		struct pmf__mem mem;
		struct pmf__pyver ver;
		struct pmf__sb log = PMF__SB_INIT;
		fake_mem_init(&fm);
		fake_mem_source(&fm, &mem);
		(void)pmf__pyver_detect(img, &syms, &mem, "/usr/bin/python3",
					&ver, &log, &e);
		pmf__sb_free(&log);
		fake_mem_free(&fm);
		pmf__elf_close(&img->mod.elf);
	}
	free(img);
	free(copy);
	return 0;
}
