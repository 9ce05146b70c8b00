/* SPDX-License-Identifier: MIT */
/*
 * elf.c - ELF64 reader.  Handles files from the target's filesystem, which
 * may be truncated, corrupted or hostile: every table is bounds-checked
 * once at open, and every string read is bounded by its table.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/elf.h"

/* [off, off+len) lies inside the file. */
static bool
in_file(const struct pmf__elf *elf, uint64_t off, uint64_t len)
{
	return off <= elf->size && len <= elf->size - off;
}

/* A NUL-terminated string at IDX of a string table, or NULL. */
static const char *
str_at(const char *tab, size_t tabsz, uint64_t idx)
{
	if (tab == NULL || idx >= tabsz)
		return NULL;
	if (memchr(tab + idx, '\0', tabsz - idx) == NULL)
		return NULL;
	return tab + idx;
}

static int
bad(struct pmf__err *e, const char *what)
{
	return pmf__err_set(e, PMF_EELF, "malformed ELF file: %s", what);
}

static void
load_symtab(struct pmf__elf *elf, const Elf64_Shdr *s, struct pmf__symtab *t)
{
	if (s->sh_entsize != sizeof(Elf64_Sym) ||
	    !in_file(elf, s->sh_offset, s->sh_size) || s->sh_link >= elf->shnum)
		return;
	const Elf64_Shdr *str = &elf->sh[s->sh_link];
	if (str->sh_type != SHT_STRTAB ||
	    !in_file(elf, str->sh_offset, str->sh_size))
		return;
	if (s->sh_offset % _Alignof(Elf64_Sym) != 0)
		return;
	t->sym = (const Elf64_Sym *)(elf->base + s->sh_offset);
	t->n = s->sh_size / sizeof(Elf64_Sym);
	t->str = (const char *)elf->base + str->sh_offset;
	t->strsz = str->sh_size;
}

/* Scans a note area for NT_GNU_BUILD_ID. */
static void
scan_notes(struct pmf__elf *elf, uint64_t off, uint64_t size)
{
	if (!in_file(elf, off, size))
		return;
	const unsigned char *p = elf->base + off, *end = p + size;
	while ((size_t)(end - p) >= 12) {
		uint32_t namesz, descsz, type;
		memcpy(&namesz, p, 4);
		memcpy(&descsz, p + 4, 4);
		memcpy(&type, p + 8, 4);
		p += 12;
		uint64_t nsz = ((uint64_t)namesz + 3) & ~3ull;
		uint64_t dsz = ((uint64_t)descsz + 3) & ~3ull;
		if (nsz > (uint64_t)(end - p) || dsz > (uint64_t)(end - p) - nsz)
			return;
		if (type == NT_GNU_BUILD_ID && namesz == 4 &&
		    memcmp(p, "GNU", 4) == 0 && descsz > 0 && descsz <= 20) {
			static const char hex[] = "0123456789abcdef";
			for (uint32_t i = 0; i < descsz; i++) {
				elf->build_id[2 * i] = hex[p[nsz + i] >> 4];
				elf->build_id[2 * i + 1] = hex[p[nsz + i] & 15];
			}
			elf->build_id[2 * descsz] = '\0';
			return;
		}
		p += nsz + dsz;
	}
}

static int
parse(struct pmf__elf *elf, struct pmf__err *e)
{
	if (elf->size < sizeof(Elf64_Ehdr))
		return bad(e, "shorter than an ELF header");
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf->base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return bad(e, "no ELF magic");
	if (eh->e_ident[EI_CLASS] != ELFCLASS64)
		return pmf__err_set(e, PMF_EELF,
				    "not a 64-bit ELF file (pymfrag reads "
				    "64-bit targets only)");
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return pmf__err_set(e, PMF_EELF,
				    "not a little-endian ELF file");
	elf->type = eh->e_type;
	elf->machine = eh->e_machine;

	if (eh->e_shnum > 0) {
		if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
		    !in_file(elf, eh->e_shoff,
			     (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)) ||
		    eh->e_shoff % _Alignof(Elf64_Shdr) != 0)
			return bad(e, "section header table out of bounds");
		elf->sh = (const Elf64_Shdr *)(elf->base + eh->e_shoff);
		elf->shnum = eh->e_shnum;
		if (eh->e_shstrndx < elf->shnum) {
			const Elf64_Shdr *s = &elf->sh[eh->e_shstrndx];
			if (in_file(elf, s->sh_offset, s->sh_size)) {
				elf->shstr =
					(const char *)elf->base + s->sh_offset;
				elf->shstrsz = s->sh_size;
			}
		}
	}
	if (eh->e_phnum > 0) {
		if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
		    !in_file(elf, eh->e_phoff,
			     (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
		    eh->e_phoff % _Alignof(Elf64_Phdr) != 0)
			return bad(e, "program header table out of bounds");
		elf->ph = (const Elf64_Phdr *)(elf->base + eh->e_phoff);
		elf->phnum = eh->e_phnum;
	}

	for (size_t i = 0; i < elf->shnum; i++) {
		const Elf64_Shdr *s = &elf->sh[i];
		if (s->sh_type == SHT_DYNSYM && elf->dynsym.sym == NULL)
			load_symtab(elf, s, &elf->dynsym);
		else if (s->sh_type == SHT_SYMTAB && elf->symtab.sym == NULL)
			load_symtab(elf, s, &elf->symtab);
		else if (s->sh_type == SHT_NOTE && elf->build_id[0] == '\0')
			scan_notes(elf, s->sh_offset, s->sh_size);
	}
	for (size_t i = 0; i < elf->phnum && elf->build_id[0] == '\0'; i++)
		if (elf->ph[i].p_type == PT_NOTE)
			scan_notes(elf, elf->ph[i].p_offset,
				   elf->ph[i].p_filesz);

	const Elf64_Shdr *dl = pmf__elf_section(elf, ".gnu_debuglink");
	if (dl != NULL && dl->sh_type != SHT_NOBITS &&
	    in_file(elf, dl->sh_offset, dl->sh_size) && dl->sh_size >= 8) {
		const char *name = (const char *)elf->base + dl->sh_offset;
		size_t n = strnlen(name, dl->sh_size);
		uint64_t crc_off = (n + 4) & ~3ull;
		if (n > 0 && n < dl->sh_size && crc_off + 4 <= dl->sh_size) {
			elf->debuglink = name;
			memcpy(&elf->debuglink_crc, name + crc_off, 4);
		}
	}
	return 0;
}

int
pmf__elf_open_mem(struct pmf__elf *elf, const void *data, size_t size,
		  struct pmf__err *e)
{
	*elf = (struct pmf__elf){.base = data, .size = size};
	int rc = parse(elf, e);
	if (rc < 0)
		*elf = (struct pmf__elf){0};
	return rc;
}

int
pmf__elf_open(struct pmf__elf *elf, const char *path, struct pmf__err *e)
{
	*elf = (struct pmf__elf){0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "cannot open %s", path);
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pmf__err_set(e, PMF_EELF, "%s is not a regular file",
				    path);
	}
	if ((uint64_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return pmf__err_set(e, PMF_EELF,
				    "%s is too short to be an ELF file", path);
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	int err = errno;
	close(fd);
	if (p == MAP_FAILED)
		return pmf__err_sys(e, PMF_EIO, err, "cannot map %s", path);
	elf->base = p;
	elf->size = (size_t)st.st_size;
	elf->mapped = true;
	elf->dev = st.st_dev;
	elf->ino = st.st_ino;
	int rc = parse(elf, e);
	if (rc < 0) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", path);
		pmf__elf_close(elf);
	}
	return rc;
}

void
pmf__elf_close(struct pmf__elf *elf)
{
	if (elf->mapped && elf->base != NULL)
		munmap((void *)elf->base, elf->size);
	*elf = (struct pmf__elf){0};
}

const Elf64_Shdr *
pmf__elf_section(const struct pmf__elf *elf, const char *name)
{
	for (size_t i = 0; i < elf->shnum; i++) {
		const char *n =
			str_at(elf->shstr, elf->shstrsz, elf->sh[i].sh_name);
		if (n != NULL && strcmp(n, name) == 0)
			return &elf->sh[i];
	}
	return NULL;
}

const void *
pmf__elf_vaddr_bytes(const struct pmf__elf *elf, uint64_t vaddr, size_t len)
{
	/* Sections first: they are precise about NOBITS. */
	for (size_t i = 0; i < elf->shnum; i++) {
		const Elf64_Shdr *s = &elf->sh[i];
		if (!(s->sh_flags & SHF_ALLOC) || s->sh_type == SHT_NOBITS)
			continue;
		if (vaddr < s->sh_addr || vaddr - s->sh_addr > s->sh_size ||
		    len > s->sh_size - (vaddr - s->sh_addr))
			continue;
		uint64_t off = s->sh_offset + (vaddr - s->sh_addr);
		return in_file(elf, off, len) ? elf->base + off : NULL;
	}
	/* No section headers (stripped of them): use the file part of the
	 * loadable segments. */
	if (elf->shnum == 0) {
		for (size_t i = 0; i < elf->phnum; i++) {
			const Elf64_Phdr *p = &elf->ph[i];
			if (p->p_type != PT_LOAD || vaddr < p->p_vaddr ||
			    vaddr - p->p_vaddr > p->p_filesz ||
			    len > p->p_filesz - (vaddr - p->p_vaddr))
				continue;
			uint64_t off = p->p_offset + (vaddr - p->p_vaddr);
			return in_file(elf, off, len) ? elf->base + off : NULL;
		}
	}
	return NULL;
}

bool
pmf__elf_first_load(const struct pmf__elf *elf, uint64_t *vaddr,
		    uint64_t *offset)
{
	for (size_t i = 0; i < elf->phnum; i++) {
		const Elf64_Phdr *p = &elf->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		uint64_t align = p->p_align > 4096 ? 4096 : p->p_align;
		if (align == 0)
			align = 1;
		*vaddr = p->p_vaddr & ~(align - 1);
		*offset = p->p_offset & ~(align - 1);
		return true;
	}
	return false;
}

/* Does symbol name SYM match query NAME, exactly or as a compiler-made
 * local variant ("name.lto_priv.0", "name.0")? */
static bool
name_matches(const char *sym, const char *name, bool local)
{
	size_t n = strlen(name);
	if (strncmp(sym, name, n) != 0)
		return false;
	const char *rest = sym + n;
	if (*rest == '\0')
		return true;
	if (!local || *rest != '.')
		return false;
	if (strncmp(rest, ".lto_priv.", 10) == 0)
		rest += 10;
	else
		rest += 1;
	if (*rest < '0' || *rest > '9')
		return false;
	while (*rest >= '0' && *rest <= '9')
		rest++;
	return *rest == '\0';
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s != NULL ? s + 1 : path;
}

static void
lookup_in(const struct pmf__symtab *t, bool is_symtab, struct pmf__symq *q,
	  size_t nq)
{
	const char *file = "";
	for (size_t i = 0; i < t->n; i++) {
		const Elf64_Sym *s = &t->sym[i];
		unsigned type = ELF64_ST_TYPE(s->st_info);
		unsigned bind = ELF64_ST_BIND(s->st_info);
		const char *name = str_at(t->str, t->strsz, s->st_name);
		if (name == NULL)
			continue;
		if (type == STT_FILE) {
			file = name;
			continue;
		}
		if (s->st_shndx == SHN_UNDEF || name[0] == '\0')
			continue;
		for (size_t k = 0; k < nq; k++) {
			if (!name_matches(name, q[k].name, bind == STB_LOCAL))
				continue;
			/* Rank: 2 = exact name in the hinted file (or global),
			 * 1 = anything else.  Duplicates at the best rank
			 * make the query ambiguous. */
			unsigned rank = 1;
			if (bind != STB_LOCAL ||
			    (q[k].file != NULL &&
			     strcmp(base_name(file), q[k].file) == 0))
				rank = 2;
			if (q[k].found > 0 && q[k].value == s->st_value &&
			    q[k].size == s->st_size)
				continue; /* same object, listed twice */
			if (rank < q[k].rank)
				continue;
			if (rank > q[k].rank)
				q[k].found = 0;
			q[k].rank = rank;
			q[k].found++;
			q[k].value = s->st_value;
			q[k].size = s->st_size;
			q[k].type = (unsigned char)type;
			q[k].bind = (unsigned char)bind;
			q[k].in_symtab = is_symtab;
		}
	}
}

void
pmf__elf_lookup(const struct pmf__elf *elf, struct pmf__symq *q, size_t nq)
{
	for (size_t k = 0; k < nq; k++) {
		q[k].found = 0;
		q[k].rank = 0;
	}
	lookup_in(&elf->dynsym, false, q, nq);
	lookup_in(&elf->symtab, true, q, nq);
}

static const char *
symbolize_in(const struct pmf__symtab *t, uint64_t vaddr)
{
	for (size_t i = 0; i < t->n; i++) {
		const Elf64_Sym *s = &t->sym[i];
		unsigned type = ELF64_ST_TYPE(s->st_info);
		if ((type != STT_FUNC && type != STT_OBJECT) ||
		    s->st_shndx == SHN_UNDEF)
			continue;
		if (vaddr == s->st_value ||
		    (vaddr > s->st_value && vaddr - s->st_value < s->st_size))
			return str_at(t->str, t->strsz, s->st_name);
	}
	return NULL;
}

const char *
pmf__elf_symbolize(const struct pmf__elf *elf, uint64_t vaddr)
{
	const char *n = symbolize_in(&elf->symtab, vaddr);
	return n != NULL ? n : symbolize_in(&elf->dynsym, vaddr);
}

uint32_t
pmf__crc32(uint32_t crc, const unsigned char *buf, size_t len)
{
	/* The reflected CRC-32 (polynomial 0xedb88320), bit by bit: it runs
	 * once per debug file, so a table is not worth its size. */
	crc = ~crc;
	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
	}
	return ~crc;
}
