/* SPDX-License-Identifier: MIT */
/*
 * elf.h - read-only access to a 64-bit little-endian ELF file: sections,
 * segments, symbols (.dynsym and .symtab), the GNU build-id and the
 * .gnu_debuglink.  The file is mapped, never loaded or executed, and every
 * offset in it is checked against the file size before use.
 */
#ifndef PMF_OS_ELF_H
#define PMF_OS_ELF_H

#include <elf.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/err.h"

struct pmf__symtab {
	const Elf64_Sym *sym;
	size_t n;
	const char *str;
	size_t strsz;
};

struct pmf__elf {
	const unsigned char *base; /* mapped file, or a caller's buffer */
	size_t size;
	bool mapped;
	uint16_t type;    /* ET_EXEC, ET_DYN */
	uint16_t machine; /* EM_X86_64, EM_AARCH64 */
	const Elf64_Shdr *sh;
	size_t shnum;
	const char *shstr;
	size_t shstrsz;
	const Elf64_Phdr *ph;
	size_t phnum;
	struct pmf__symtab dynsym, symtab;
	char build_id[41];       /* hex, "" when absent */
	const char *debuglink;   /* file name from .gnu_debuglink, or NULL */
	uint32_t debuglink_crc;
	uint64_t dev, ino;       /* of the opened file */
};

/* Opens and validates PATH. */
int pmf__elf_open(struct pmf__elf *elf, const char *path, struct pmf__err *e);

/* Validates an ELF image already in memory (used by tests and fuzzers);
 * DATA must outlive ELF. */
int pmf__elf_open_mem(struct pmf__elf *elf, const void *data, size_t size,
		      struct pmf__err *e);

void pmf__elf_close(struct pmf__elf *elf);

/* The section named NAME, or NULL. */
const Elf64_Shdr *pmf__elf_section(const struct pmf__elf *elf,
				   const char *name);

/* The file bytes that back [vaddr, vaddr+len) in the image, or NULL when
 * the range is not in the file (for example .bss). */
const void *pmf__elf_vaddr_bytes(const struct pmf__elf *elf, uint64_t vaddr,
				 size_t len);

/* The lowest PT_LOAD p_vaddr, rounded down to its alignment: subtract it
 * from the address of the first mapping to get the load bias. */
bool pmf__elf_first_load(const struct pmf__elf *elf, uint64_t *vaddr,
			 uint64_t *offset);

/* A symbol query for pmf__elf_lookup(). */
struct pmf__symq {
	const char *name;      /* exact name; "name.lto_priv.N", "name.N" are
	                          also accepted for local (static) symbols */
	const char *file;      /* for locals: prefer those that follow the
	                          STT_FILE symbol with this base name */
	/* Results. */
	unsigned found;        /* matching definitions seen */
	uint64_t value, size;
	unsigned char type, bind;
	bool in_symtab;        /* false: from .dynsym */
	unsigned rank;         /* internal: quality of the current match */
};

/* Resolves every query in one pass over .dynsym then .symtab.  Only
 * defined symbols count.  A query with several equally good matches keeps
 * found > 1 and should be treated as ambiguous. */
void pmf__elf_lookup(const struct pmf__elf *elf, struct pmf__symq *q,
		     size_t nq);

/* The name of the defined function or object symbol containing VADDR, or
 * NULL. */
const char *pmf__elf_symbolize(const struct pmf__elf *elf, uint64_t vaddr);

/* GNU's CRC-32 of a file, as used by .gnu_debuglink. */
uint32_t pmf__crc32(uint32_t crc, const unsigned char *buf, size_t len);

#endif
