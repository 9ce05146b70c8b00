/* SPDX-License-Identifier: MIT */
/* Unit tests for the x86-64 decoder (src/os/x86.c): hand-checked
 * encodings, a walk over _PyObject_DebugMallocStats from Debian's
 * python3.11, and a walk over this binary's own .text. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/elf.h"
#include "os/x86.h"
#include "runner.h"

#define OTHER PMF__I_OTHER
#define LOAD PMF__I_LOAD
#define CMP PMF__I_CMP_IMM
#define JMP PMF__I_JMP
#define JCC PMF__I_JCC
#define CALL PMF__I_CALL
#define RET PMF__I_RET
#define JIND PMF__I_JMP_INDIRECT
#define IMM(v) .has_imm = true, .imm = (v)

/* Bytes, as objdump prints them, and the expected decoding.  mem is the
 * RIP-relative address (0: none), target the branch target (0: none). */
struct sample {
	uint64_t ip;
	const char *hex;
	unsigned len;
	enum pmf__insn_kind kind;
	unsigned width;
	bool sx;
	uint64_t mem;
	bool has_imm;
	int64_t imm;
	uint64_t target;
};

static const struct sample samples[] = {
	/* From _PyObject_DebugMallocStats in Debian's python3.11. */
	{0x470c1f, "48 8b 15 22 93 4e 00", 7, LOAD, .width = 8,
	 .mem = 0x959f48},
	{0x470c2f, "48 81 3d f6 93 4e 00 50 b4 4f 00", 11, CMP, .width = 8,
	 .mem = 0x95a030, IMM(0x4fb450)},
	{0x470c8b, "44 8b 2d 86 39 65 00", 7, LOAD, .width = 4,
	 .mem = 0xac4618},
	{0x470c95, "4c 8b 05 8c 39 65 00", 7, LOAD, .width = 8,
	 .mem = 0xac4628},
	{0x470fa8, "48 63 15 3d 36 61 00", 7, LOAD, .width = 4, .sx = true,
	 .mem = 0xa845ec},
	{0x470c26, "48 81 fa 80 df 4f 00", 7, CMP, IMM(0x4fdf80)},
	{0x470c2d, "75 13", 2, JCC, .target = 0x470c42},
	{0x470c3a, "0f 85 fc 03 00 00", 6, JCC, .target = 0x47103c},
	{0x470c40, "eb 0d", 2, JMP, .target = 0x470c4f},
	{0x470d45, "eb bb", 2, JMP, .target = 0x470d02},
	{0x470d4e, "e9 75 ff ff ff", 5, JMP, .target = 0x470cc8},
	{0x470c6e, "e8 5d e7 fa ff", 5, CALL, .target = 0x41f3d0},
	{0x47104d, "c3", 1, RET},
	{0x470c7c, "48 8d 94 24 b0 00 00 00", 8, PMF__I_LEA}, /* lea */
	{0x470d1b, "48 01 84 fc b0 01 00 00", 8, OTHER, .width = 8},
	{0x470ce8, "48 81 04 24 00 40 00 00", 8, OTHER, .width = 8,
	 IMM(0x4000)},
	{0x470cf0, "48 81 e1 00 c0 ff ff", 7, OTHER, IMM(-0x4000)},
	{0x470caa, "f3 ab", 2, OTHER},
	{0x470cd1, "49 8b 08", 3, LOAD, .width = 8},
	{0x470d07, "44 8b 11", 3, LOAD, .width = 4},
	{0x470e29, "58", 1, OTHER},
	/* SSE and padding. */
	{0x1000, "66 0f 6f 05 10 00 00 00", 8, OTHER, .mem = 0x1018},
	{0x1000, "66 0f 6f 44 24 10", 6, OTHER},
	{0x1000, "f3 0f 7e 44 24 08", 6, OTHER},
	{0x1000, "0f 29 44 24 20", 5, OTHER},
	{0x1000, "0f 29 84 24 00 01 00 00", 8, OTHER},
	{0x1000, "0f 29 44 8d f0", 5, OTHER},
	{0x1000, "66 0f 70 c1 4e", 5, OTHER, IMM(0x4e)},
	{0x1000, "66 0f 3a 0f c1 08", 6, OTHER, IMM(8)},
	{0x1000, "66 0f 38 00 c1", 5, OTHER},
	{0x1000, "f2 0f 10 05 f0 ff ff ff", 8, OTHER, .mem = 0xff8},
	{0x1000, "66 44 0f d6 7c 24 08", 7, OTHER},
	{0x1000, "66 0f 2e 05 10 00 00 00", 8, OTHER, .mem = 0x1018},
	{0x1000, "66 0f 3a 63 05 10 00 00 00 0c", 10, OTHER, .mem = 0x101a,
	 IMM(0xc)},
	{0x1000, "66 0f c4 c0 03", 5, OTHER, IMM(3)},
	{0x1000, "f3 0f 1e fa", 4, OTHER},
	{0x1000, "66 0f 1f 44 00 00", 6, OTHER},
	{0x1000, "66 2e 0f 1f 84 00 00 00 00 00", 10, OTHER},
	{0x1000, "0f 1f 80 00 00 00 00", 7, OTHER},
	{0x1000, "0f 18 0d 10 00 00 00", 7, OTHER, .mem = 0x1017},
	/* Immediates. */
	{0x1000, "48 b8 88 77 66 55 44 33 22 11", 10, OTHER,
	 IMM(0x1122334455667788)},
	{0x1000, "49 bb 00 00 00 00 00 00 00 80", 10, OTHER, IMM(INT64_MIN)},
	{0x1000, "b8 ff ff ff ff", 5, OTHER, IMM(-1)},
	{0x1000, "66 b8 34 12", 4, OTHER, IMM(0x1234)},
	{0x1000, "f6 c1 01", 3, OTHER, IMM(1)},
	{0x1000, "f6 05 10 00 00 00 80", 7, OTHER, .width = 1, .mem = 0x1017,
	 IMM(-0x80)},
	{0x1000, "f7 c1 00 00 01 00", 6, OTHER, IMM(0x10000)},
	{0x1000, "48 f7 05 10 00 00 00 00 00 00 80", 11, OTHER, .width = 8,
	 .mem = 0x101b, IMM(-0x80000000LL)},
	{0x1000, "66 f7 c1 34 12", 5, OTHER, IMM(0x1234)},
	{0x1000, "f7 d2", 2, OTHER}, /* not */
	{0x1000, "f6 d8", 2, OTHER}, /* neg */
	{0x1000, "6b c0 64", 3, OTHER, IMM(100)},
	{0x1000, "69 c0 e8 03 00 00", 6, OTHER, IMM(1000)},
	{0x1000, "c1 e0 04", 3, OTHER, IMM(4)},
	{0x1000, "a8 01", 2, OTHER, IMM(1)},
	{0x1000, "3d 00 10 00 00", 5, OTHER, IMM(0x1000)},
	{0x1000, "48 3d 00 10 00 00", 6, OTHER, IMM(0x1000)},
	{0x1000, "66 3d 34 12", 4, OTHER, IMM(0x1234)},
	{0x1000, "0f ba e0 05", 4, OTHER, IMM(5)},
	{0x1000, "c6 05 10 00 00 00 01", 7, OTHER, .width = 1, .mem = 0x1017,
	 IMM(1)},
	{0x1000, "48 c7 05 10 00 00 00 ff ff ff ff", 11, OTHER, .width = 8,
	 .mem = 0x101b, IMM(-1)},
	{0x1000, "48 c7 c0 ff ff ff ff", 7, OTHER, IMM(-1)},
	{0x1000, "c8 10 00 00", 4, OTHER, IMM(0x10)}, /* enter */
	{0x1000, "c6 f8 05", 3, OTHER, IMM(5)}, /* xabort */
	/* Comparisons with memory. */
	{0x1000, "66 81 3d 10 00 00 00 34 12", 9, CMP, .width = 2,
	 .mem = 0x1019, IMM(0x1234)},
	{0x1000, "66 83 3d 10 00 00 00 ff", 8, CMP, .width = 2, .mem = 0x1018,
	 IMM(-1)},
	{0x1000, "80 3d 10 00 00 00 00", 7, CMP, .width = 1, .mem = 0x1017,
	 IMM(0)},
	{0x1000, "83 3d 10 00 00 00 05", 7, CMP, .width = 4, .mem = 0x1017,
	 IMM(5)},
	{0x1000, "81 7f 10 00 01 00 00", 7, CMP, .width = 4, IMM(0x100)},
	{0x1000, "48 83 f8 05", 4, CMP, IMM(5)}, /* register form */
	/* Loads, stores and addressing forms. */
	{0x1000, "0f b6 05 10 00 00 00", 7, LOAD, .width = 1, .mem = 0x1017},
	{0x1000, "0f b7 05 10 00 00 00", 7, LOAD, .width = 2, .mem = 0x1017},
	{0x1000, "0f be 05 10 00 00 00", 7, LOAD, .width = 1, .sx = true,
	 .mem = 0x1017},
	{0x1000, "48 0f bf 05 10 00 00 00", 8, LOAD, .width = 2, .sx = true,
	 .mem = 0x1018},
	{0x1000, "8a 05 10 00 00 00", 6, LOAD, .width = 1, .mem = 0x1016},
	{0x1000, "66 8b 05 10 00 00 00", 7, LOAD, .width = 2, .mem = 0x1017},
	{0x1000, "89 05 10 00 00 00", 6, OTHER, .width = 4, .mem = 0x1016},
	{0x1000, "8b 04 25 00 10 00 00", 7, LOAD, .width = 4},
	{0x1000, "41 8b 04 25 00 10 00 00", 8, LOAD, .width = 4},
	{0x1000, "41 8b 05 10 00 00 00", 7, LOAD, .width = 4, .mem = 0x1017},
	{0x1000, "41 8b 45 00", 4, LOAD, .width = 4}, /* 0(%r13) */
	{0x100001000, "67 8b 05 10 00 00 00", 7, LOAD, .width = 4,
	 .mem = 0x1017}, /* %eip */
	{0x1000, "64 48 8b 04 25 28 00 00 00", 9, LOAD, .width = 8},
	{0x1000, "48 a1 88 77 66 55 44 33 22 11", 10, LOAD, .width = 8},
	{0x1000, "67 a1 78 56 34 12", 6, LOAD, .width = 4},
	{0x1000, "4c 8b 6c 24 08", 5, LOAD, .width = 8},
	{0x1000, "41 0f b6 44 24 01", 6, LOAD, .width = 1},
	{0x1000, "49 63 04 8b", 4, LOAD, .width = 4, .sx = true},
	{0x1000, "48 0f af 05 10 00 00 00", 8, OTHER, .width = 8,
	 .mem = 0x1018},
	{0x1000, "0f 44 05 10 00 00 00", 7, OTHER, .width = 4, .mem = 0x1017},
	{0x1000, "f0 48 0f b1 15 10 00 00 00", 9, OTHER, .width = 8,
	 .mem = 0x1019},
	{0x1000, "dd 05 10 00 00 00", 6, OTHER, .mem = 0x1016}, /* fldl */
	{0x1000, "d9 c9", 2, OTHER},
	{0x1000, "0f 90 c0", 3, OTHER},
	/* Control flow. */
	{0x1000, "ff e0", 2, JIND},
	{0x1000, "3e ff e0", 3, JIND},
	{0x1000, "ff 25 10 00 00 00", 6, JIND, .width = 8, .mem = 0x1016},
	{0x1000, "ff 24 c5 00 10 00 00", 7, JIND, .width = 8},
	{0x1000, "ff d0", 2, OTHER},
	{0x1000, "ff 15 10 00 00 00", 6, OTHER, .width = 8, .mem = 0x1016},
	{0x1000, "c2 08 00", 3, RET, IMM(8)},
	{0x1000, "f3 c3", 2, RET},
	{0x1000, "f2 e9 00 01 00 00", 6, JMP, .target = 0x1106},
	{0x1000, "66 66 48 e8 00 00 00 00", 8, CALL, .target = 0x1008},
	{0x1000, "e3 fe", 2, OTHER, .target = 0x1000}, /* jrcxz */
	{0x1000, "e2 fe", 2, OTHER, .target = 0x1000}, /* loop */
	{0x1000, "c7 f8 00 01 00 00", 6, OTHER, .target = 0x1106}, /* xbegin */
	/* System. */
	{0x1000, "0f 0b", 2, OTHER},
	{0x1000, "0f 01 d0", 3, OTHER},
	{0x1000, "0f ae f0", 3, OTHER},
	{0x1000, "0f c7 f0", 3, OTHER},
	{0x1000, "0f 20 c0", 3, OTHER}, /* mov %cr0,%rax */
	{0x1000, "0f 21 3d", 3, OTHER}, /* mod is ignored */
	{0x1000, "f3 48 0f b8 c1", 5, OTHER}, /* popcnt */
	/* VEX and EVEX, sized only. */
	{0x1000, "c5 f8 77", 3, OTHER},
	{0x1000, "c5 f9 6f 05 10 00 00 00", 8, OTHER, .mem = 0x1018},
	{0x1000, "c4 e3 79 0f c1 08", 6, OTHER, IMM(8)},
	{0x1000, "c4 e2 7d 18 05 10 00 00 00", 9, OTHER, .mem = 0x1019},
	{0x1000, "62 f1 7c 48 10 05 10 00 00 00", 10, OTHER, .mem = 0x101a},
	{0x1000, "62 f1 fd 48 6f 44 24 01", 8, OTHER},
};

/* Invalid in 64-bit mode, or deliberately not sized. */
static const char *const invalid[] = {
	"06", "07", "0e", "16", "17", "1e", "1f", "27", "2f", "37", "3f",
	"60", "61", "82 c0 01", "9a 00 00 00 00 00 00", "ce", "d4 0a",
	"d5 0a", "d6", "ea 00 00 00 00 00 00",
	"0f 04", "0f 0f c1 b4",    /* 3DNow! */
	"0f b8 c1",                /* jmpe */
	"66 0f 78 c1 01 02",       /* extrq */
	"48 66 8b 05 10 00 00 00", /* REX before a prefix */
	"48 48 8b c0",             /* two REX */
	"66 c5 f8 77",             /* 66 before VEX */
	"48 c5 f8 77",             /* REX before VEX */
	"c4 e4 79 0f c1 08",       /* VEX map 4 */
	"c5 f8 80 00 00 00 00",    /* VEX 0F 80 */
	"62 f1 78 48 10 c1",       /* EVEX with P1 bit 2 clear */
	"62 f1 7c 48 77",          /* EVEX 0F 77 */
	"8f c8 00", "8f e8 78 c2", /* 8F /1, XOP */
	"ff f8", "ff e8", "ff d8", /* FF /7, jmpf and callf of a register */
	"fe d0",                   /* FE /2 */
	"c6 c8 01", "c7 c8 01 00 00 00", /* C6 /1, C7 /1 */
	"0f ba c0 01",             /* 0F BA /0 */
	"8d c0",                   /* lea of a register */
	"66 e9 00 01 00 00", "66 e8 00 01 00 00", "66 0f 85 00 01 00 00",
	"66 eb 00", "66 c7 f8 00 01",    /* branches under 66 */
};

/* Parses hex digits, skipping blanks. */
static size_t
unhex(const char *s, unsigned char *buf, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *s; s++) {
		int v;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		ck_assert_uint_lt(n, cap);
		buf[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	ck_assert_int_eq(hi, -1);
	return n;
}

/* Decodes from a heap copy of exactly N bytes, so that valgrind and ASan
 * see any read past the end. */
static unsigned
decode_exact(const unsigned char *b, size_t n, uint64_t ip,
	     struct pmf__insn *in)
{
	unsigned char *copy = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b, n);
	unsigned len = pmf__x86_decode(copy, n, ip, in);
	free(copy);
	return len;
}

START_TEST(test_samples)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(samples); i++) {
		const struct sample *s = &samples[i];
		unsigned char b[32];
		size_t n = unhex(s->hex, b, sizeof(b));
		struct pmf__insn in;
		ck_assert_msg(n == s->len, "%s: table says %u bytes", s->hex,
			      s->len);
		/* Trailing bytes must not change anything. */
		memset(b + n, 0x90, sizeof(b) - n);
		ck_assert_uint_eq(pmf__x86_decode(b, sizeof(b), s->ip, &in),
				  s->len);
		ck_assert_uint_eq(decode_exact(b, n, s->ip, &in), s->len);
		ck_assert_msg(in.len == s->len, "%s: len %u", s->hex, in.len);
		ck_assert_msg(in.kind == s->kind, "%s: kind %d, want %d",
			      s->hex, in.kind, s->kind);
		ck_assert_msg(in.width == s->width, "%s: width %u, want %u",
			      s->hex, in.width, s->width);
		ck_assert_msg(in.sign_extend == s->sx, "%s: sign_extend",
			      s->hex);
		ck_assert_msg(in.rip_rel == (s->mem != 0), "%s: rip_rel",
			      s->hex);
		ck_assert_msg(in.mem_addr == s->mem,
			      "%s: mem %#llx, want %#llx", s->hex,
			      (unsigned long long)in.mem_addr,
			      (unsigned long long)s->mem);
		ck_assert_msg(in.has_imm == s->has_imm, "%s: has_imm", s->hex);
		ck_assert_msg(in.imm == s->imm, "%s: imm %#llx, want %#llx",
			      s->hex, (unsigned long long)in.imm,
			      (unsigned long long)s->imm);
		ck_assert_msg(in.has_target == (s->target != 0),
			      "%s: has_target", s->hex);
		ck_assert_msg(in.target == s->target,
			      "%s: target %#llx, want %#llx", s->hex,
			      (unsigned long long)in.target,
			      (unsigned long long)s->target);
	}
}
END_TEST

START_TEST(test_truncated)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(samples); i++) {
		unsigned char b[32];
		size_t n = unhex(samples[i].hex, b, sizeof(b));
		for (size_t k = 0; k < n; k++) {
			struct pmf__insn in;
			memset(&in, 0xa5, sizeof(in));
			ck_assert_msg(decode_exact(b, k, 0x1000, &in) == 0,
				      "%s: decoded from %zu bytes",
				      samples[i].hex, k);
			ck_assert_uint_eq(in.len, 0);
			ck_assert(!in.rip_rel && !in.has_imm && !in.has_target);
		}
	}
	/* A NULL buffer with nothing available is not touched. */
	struct pmf__insn in;
	ck_assert_uint_eq(pmf__x86_decode(NULL, 0, 0, &in), 0);
}
END_TEST

START_TEST(test_invalid)
{
	for (size_t i = 0; i < PMF_ARRAY_SIZE(invalid); i++) {
		unsigned char b[32];
		size_t n = unhex(invalid[i], b, sizeof(b));
		struct pmf__insn in;
		/* Padding, so that a 0 means "invalid", not "truncated". */
		memset(b + n, 0, sizeof(b) - n);
		ck_assert_msg(pmf__x86_decode(b, sizeof(b), 0x1000, &in) == 0,
			      "%s decoded as %u bytes", invalid[i], in.len);
		ck_assert_uint_eq(in.len, 0);
	}
}
END_TEST

START_TEST(test_max_length)
{
	unsigned char b[32];
	struct pmf__insn in;
	/* 14 prefixes and a nop: 15 bytes, the limit. */
	memset(b, 0x66, 14);
	b[14] = 0x90;
	ck_assert_uint_eq(pmf__x86_decode(b, 15, 0, &in), 15);
	ck_assert_uint_eq(decode_exact(b, 15, 0, &in), 15);
	/* One more is #GP. */
	memset(b, 0x2e, 15);
	b[15] = 0x90;
	ck_assert_uint_eq(pmf__x86_decode(b, 16, 0, &in), 0);
	/* A 16-byte encoding built from a legal 11-byte one. */
	size_t n = unhex("66 66 66 66 66 48 81 3d f6 93 4e 00 50 b4 4f 00", b,
			 sizeof(b));
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(pmf__x86_decode(b, n, 0, &in), 0);
	ck_assert_uint_eq(pmf__x86_decode(b + 1, n - 1, 0, &in), 15);
}
END_TEST

/* Random bytes: whatever decodes must decode identically from exactly its
 * own bytes, and not at all from one byte fewer, so the decoder never
 * looks past the instruction it sizes. */
START_TEST(test_random)
{
	uint64_t seed = 0x9e3779b97f4a7c15u;
	unsigned ok = 0;
	for (unsigned iter = 0; iter < 200000; iter++) {
		unsigned char b[16];
		struct pmf__insn in, again;
		for (size_t i = 0; i < sizeof(b); i++) {
			/* Knuth's MMIX LCG; its top byte is random enough. */
			seed = seed * 6364136223846793005u +
			       1442695040888963407u;
			b[i] = (unsigned char)(seed >> 56);
		}
		/* Favour the interesting lead bytes: prefixes, REX, 0F. */
		if (iter & 1)
			b[0] = (unsigned char)(0x0f + (iter & 2) * 0x20);
		unsigned len = pmf__x86_decode(b, sizeof(b), 0x401000, &in);
		if (len == 0)
			continue;
		ok++;
		ck_assert_uint_le(len, 15);
		ck_assert_uint_eq(in.len, len);
		ck_assert_uint_eq(pmf__x86_decode(b, len, 0x401000, &again),
				  len);
		ck_assert(in.kind == again.kind && in.width == again.width &&
			  in.sign_extend == again.sign_extend &&
			  in.rip_rel == again.rip_rel &&
			  in.mem_addr == again.mem_addr &&
			  in.has_imm == again.has_imm && in.imm == again.imm &&
			  in.has_target == again.has_target &&
			  in.target == again.target);
		ck_assert_uint_eq(pmf__x86_decode(b, len - 1, 0x401000, &again),
				  0);
	}
	ck_assert_uint_gt(ok, 100000);
}
END_TEST

/* _PyObject_DebugMallocStats of Debian 12's /usr/bin/python3.11
 * (3.11.2-6+deb12u6, build-id 571d98e0...), 0x470c09 to 0x47104e, and
 * objdump's instruction offsets within it. */
#define DMS_ADDR 0x470c09
static const char dms_hex[] =
	"415731c041564155415455534889fb4881ecb8030000488b1522934e004881fa"
	"80df4f00751348813df6934e0050b44f000f85fc030000eb0d4881fa50b44f00"
	"0f85ed03000041b820000000b9000200004889df31c0ba50d78300be01000000"
	"4531e431ede85de7faff31c0b94000000031f6488d9424b00000004889342445"
	"31c9448b2d863965004889d74c8b058c39650041bbd03f0000488d9424b00100"
	"00f3ab4889d7b940000000488d9424b0020000f3abb9400000004889d7f3ab45"
	"39cd0f8482000000498b084885c9746e49ffc441036810f7c1ff3f0000741648"
	"810424004000004881e100c0ffff4881c1004000004d8b70084c39f17340448b"
	"118b71244585d2742c89f7ffc64489d031d2480184fcb0010000c1e6044489d8"
	"f7f648ff84fcb00200004429d0480184fcb00000004881c100400000ebbb41ff"
	"c14983c030e975ffffff4889debf0a0000004531f64531ffe8faecfaff4889d9"
	"ba6e0000004531edbe01000000bf88d78300e8e0fdfaff31c94c896424184989"
	"dc48894c241048894c2408896c24284489e94c89e74183fd200f849900000044"
	"89e841ffc5488b9cc4b00200004589e8488bacc4b00100004c8ba4c4b0000000"
	"41c1e0044885db74634154baf4dc83004989d9be010000005531c0448944243c"
	"48897c2430e8dde5faff8b44243c31d24489e9480fafe84989c0490fafc44901"
	"ef4901c6486bc3304801442418b8d03f000041f7f089d2480fafd34801542420"
	"585a488b7c2420e969ffffff8b6c24284989fce953ffffff4889fb4889febf0a"
	"0000004c8b6424188b6c2428e806ecfaff488b15a7376500be0fdd83004889df"
	"e8f6020000488b1593376500be28dd83004889df4c29e2e8df020000488b1574"
	"376500be3bdd83004889dfe8cb0200004c89e2be53dd83004889dfe8bb020000"
	"4c89e141b80000100031c0ba6edd8300be80000000488d7c2430e8c86f08004c"
	"89e2488d7424304889df48c1e214e8880200004889debf0a000000e877ebfaff"
	"4c89fabe8add83004889dfe86b0200004c89f2bea6dd83004889df4989c4e858"
	"02000041b80040000089e9bac2dd83004901c4be80000000488d7c243031c0e8"
	"636f080089ea488d7424304889df48c1e20ee824020000488b542408bedddd83"
	"004889df498d2c04e80e020000488b542410befadd83004889df4801c5e8f901"
	"0000488b1424bef8d783004889df4801c5e8e5010000be17de83004889df488d"
	"540500e8d30100004889d9ba12000000be01000000bf1dde8300e8b8fbfaff48"
	"63153d366100be30de83004889dfe8a801000048631525366100be46de830048"
	"89dfe8940100004889debf0a000000e883eafaffba00000400be18d883004889"
	"dfe875010000486315f6356100be5cde83004889df4889c548c1e212e85a0100"
	"00486315d7356100be7ade83004889df4801c548c1e211e83f010000be17de83"
	"004889df488d540500e82d010000b8010000004881c4b80300005b5d415c415d"
	"415e415fc3";

static const uint16_t dms_offsets[] = {
	0x000, 0x002, 0x004, 0x006, 0x008, 0x00a, 0x00b, 0x00c, 0x00f, 0x016,
	0x01d, 0x024, 0x026, 0x031, 0x037, 0x039, 0x040, 0x046, 0x04c, 0x051,
	0x054, 0x056, 0x05b, 0x060, 0x063, 0x065, 0x06a, 0x06c, 0x071, 0x073,
	0x07b, 0x07f, 0x082, 0x089, 0x08c, 0x093, 0x099, 0x0a1, 0x0a3, 0x0a6,
	0x0ab, 0x0b3, 0x0b5, 0x0ba, 0x0bd, 0x0bf, 0x0c2, 0x0c8, 0x0cb, 0x0ce,
	0x0d0, 0x0d3, 0x0d7, 0x0dd, 0x0df, 0x0e7, 0x0ee, 0x0f5, 0x0f9, 0x0fc,
	0x0fe, 0x101, 0x104, 0x107, 0x109, 0x10b, 0x10d, 0x110, 0x112, 0x11a,
	0x11d, 0x120, 0x122, 0x12a, 0x12d, 0x135, 0x13c, 0x13e, 0x141, 0x145,
	0x14a, 0x14d, 0x152, 0x155, 0x158, 0x15d, 0x160, 0x165, 0x168, 0x16d,
	0x172, 0x177, 0x179, 0x17e, 0x181, 0x186, 0x18b, 0x18f, 0x192, 0x195,
	0x199, 0x19f, 0x1a2, 0x1a5, 0x1ad, 0x1b0, 0x1b8, 0x1c0, 0x1c4, 0x1c7,
	0x1c9, 0x1cb, 0x1d0, 0x1d3, 0x1d8, 0x1d9, 0x1db, 0x1e0, 0x1e5, 0x1ea,
	0x1ee, 0x1f0, 0x1f3, 0x1f7, 0x1fa, 0x1fe, 0x201, 0x204, 0x208, 0x20d,
	0x212, 0x215, 0x217, 0x21b, 0x220, 0x221, 0x222, 0x227, 0x22c, 0x230,
	0x233, 0x238, 0x23b, 0x23e, 0x243, 0x248, 0x24c, 0x251, 0x258, 0x25d,
	0x260, 0x265, 0x26c, 0x271, 0x274, 0x277, 0x27c, 0x283, 0x288, 0x28b,
	0x290, 0x293, 0x298, 0x29b, 0x2a0, 0x2a3, 0x2a9, 0x2ab, 0x2b0, 0x2b5,
	0x2ba, 0x2bf, 0x2c2, 0x2c7, 0x2ca, 0x2ce, 0x2d3, 0x2d6, 0x2db, 0x2e0,
	0x2e3, 0x2e8, 0x2eb, 0x2f0, 0x2f3, 0x2f8, 0x2fb, 0x2fe, 0x303, 0x309,
	0x30b, 0x310, 0x313, 0x318, 0x31d, 0x31f, 0x324, 0x326, 0x32b, 0x32e,
	0x332, 0x337, 0x33c, 0x341, 0x344, 0x348, 0x34d, 0x352, 0x357, 0x35a,
	0x35d, 0x362, 0x366, 0x36b, 0x36e, 0x371, 0x376, 0x37b, 0x37e, 0x383,
	0x388, 0x38b, 0x390, 0x395, 0x39a, 0x39f, 0x3a6, 0x3ab, 0x3ae, 0x3b3,
	0x3ba, 0x3bf, 0x3c2, 0x3c7, 0x3ca, 0x3cf, 0x3d4, 0x3d9, 0x3de, 0x3e1,
	0x3e6, 0x3ed, 0x3f2, 0x3f5, 0x3f8, 0x3fc, 0x401, 0x408, 0x40d, 0x410,
	0x413, 0x417, 0x41c, 0x421, 0x424, 0x429, 0x42e, 0x433, 0x43a, 0x43b,
	0x43c, 0x43e, 0x440, 0x442, 0x444,
};

/* The RIP-relative loads of that function, in address order. */
static const struct {
	uint64_t addr;
	unsigned width;
	bool sx;
} dms_loads[] = {
	{0x959f48, 8, false}, {0xac4618, 4, false}, {0xac4628, 8, false},
	{0xac4608, 8, false}, {0xac4608, 8, false}, {0xac4600, 8, false},
	{0xa845ec, 4, true},  {0xa845e8, 4, true},  {0xa845ec, 4, true},
	{0xa845e8, 4, true},
};

START_TEST(test_walk_dms)
{
	static unsigned char code[0x445];
	static uint64_t targets[PMF_ARRAY_SIZE(dms_offsets)];
	bool start[sizeof(code) + 1];
	size_t n = unhex(dms_hex, code, sizeof(code));
	size_t off = 0, ninsn = 0, nloads = 0, ntargets = 0;
	unsigned count[PMF__I_NKINDS] = {0};
	struct pmf__insn in;

	ck_assert_uint_eq(n, sizeof(code));
	memset(start, 0, sizeof(start));
	while (off < n) {
		unsigned len = pmf__x86_decode(code + off, n - off,
					       DMS_ADDR + off, &in);
		ck_assert_msg(len != 0, "not decoded at %#zx", off);
		ck_assert_uint_lt(ninsn, PMF_ARRAY_SIZE(dms_offsets));
		ck_assert_msg(off == dms_offsets[ninsn],
			      "instruction %zu at %#zx, objdump says %#x",
			      ninsn, off, dms_offsets[ninsn]);
		start[off] = true;
		ninsn++;
		count[in.kind]++;
		if (in.has_target)
			targets[ntargets++] = in.target;
		if (in.kind == PMF__I_LOAD && in.rip_rel) {
			ck_assert_uint_lt(nloads, PMF_ARRAY_SIZE(dms_loads));
			ck_assert_uint_eq(in.mem_addr, dms_loads[nloads].addr);
			ck_assert_uint_eq(in.width, dms_loads[nloads].width);
			ck_assert(in.sign_extend == dms_loads[nloads].sx);
			nloads++;
		}
		if (in.kind == PMF__I_CMP_IMM && in.rip_rel) {
			ck_assert_uint_eq(in.mem_addr, 0x95a030);
			ck_assert_uint_eq(in.width, 8);
			ck_assert_int_eq(in.imm, 0x4fb450);
		}
		off += len;
	}
	ck_assert_uint_eq(off, n);
	ck_assert_uint_eq(ninsn, PMF_ARRAY_SIZE(dms_offsets));
	ck_assert_uint_eq(nloads, PMF_ARRAY_SIZE(dms_loads));
	/* One against memory, three against registers. */
	ck_assert_uint_eq(count[PMF__I_CMP_IMM], 4);
	ck_assert_uint_eq(count[PMF__I_JCC], 10);
	ck_assert_uint_eq(count[PMF__I_JMP], 5);
	ck_assert_uint_eq(count[PMF__I_CALL], 28);
	ck_assert_uint_eq(count[PMF__I_RET], 1);
	ck_assert_uint_eq(count[PMF__I_JMP_INDIRECT], 0);
	ck_assert_int_eq(in.kind, PMF__I_RET);
	/* Branches that stay inside the function land on boundaries. */
	for (size_t i = 0; i < ntargets; i++) {
		uint64_t t = targets[i];
		if (t >= DMS_ADDR && t < DMS_ADDR + n)
			ck_assert_msg(start[t - DMS_ADDR],
				      "branch into the middle of %#llx",
				      (unsigned long long)t);
	}
}
END_TEST

/* Sizes GCC's output for this very binary: it must decode, nearly whole,
 * and its direct branches must land on decoded boundaries. */
START_TEST(test_walk_self)
{
	struct pmf__elf elf;
	struct pmf__err e = {0};
	struct pmf__insn in;
	ck_assert_int_eq(pmf__elf_open(&elf, "/proc/self/exe", &e), 0);
	const Elf64_Shdr *sh = pmf__elf_section(&elf, ".text");
	ck_assert_ptr_nonnull(sh);
	const unsigned char *text =
		pmf__elf_vaddr_bytes(&elf, sh->sh_addr, sh->sh_size);
	ck_assert_ptr_nonnull(text);
	uint64_t base = sh->sh_addr;
	size_t size = sh->sh_size, off = 0, ninsn = 0, nrip = 0;
	unsigned char *start = calloc(size + 1, 1);
	ck_assert_ptr_nonnull(start);

	while (off < size) {
		unsigned len = pmf__x86_decode(text + off, size - off,
					       base + off, &in);
		if (len == 0)
			break;
		start[off] = 1;
		ninsn++;
		nrip += in.rip_rel;
		off += len;
	}
	char bytes[16 * 3 + 1] = "";
	for (size_t i = off; i < size && i < off + 16; i++)
		snprintf(bytes + 3 * (i - off), 4, " %02x", text[i]);
	ck_assert_msg(off * 1000 >= (uint64_t)size * 995,
		      "decoded %zu of %zu bytes of .text; no decode at "
		      "%#llx:%s", off, size,
		      (unsigned long long)(base + off), bytes);
	ck_assert_uint_gt(ninsn, 1000);
	ck_assert_uint_gt(nrip, 100);

	size_t end = off;
	for (off = 0; off < end; off += in.len) {
		pmf__x86_decode(text + off, size - off, base + off, &in);
		if (!in.has_target || in.target < base ||
		    in.target >= base + end)
			continue;
		ck_assert_msg(start[in.target - base],
			      "branch at %#llx into the middle of %#llx",
			      (unsigned long long)(base + off),
			      (unsigned long long)in.target);
	}
	free(start);
	pmf__elf_close(&elf);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("x86");
	TCase *tc = tcase_create("x86");
	tcase_add_test(tc, test_samples);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_max_length);
	tcase_add_test(tc, test_random);
	tcase_add_test(tc, test_walk_dms);
	tcase_add_test(tc, test_walk_self);
	suite_add_tcase(s, tc);
	return s;
}
