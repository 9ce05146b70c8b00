/* SPDX-License-Identifier: MIT */
/*
 * x86.c - x86-64 instruction length and operand decoder.  Two opcode
 * attribute tables (the one-byte map and the 0F map) give ModRM, immediate
 * and operand-width facts; the few opcodes whose shape depends on the
 * prefixes or on the ModRM reg field are settled in code.
 */
#include "config.h"

#include <string.h>

#include "os/x86.h"

/* The architectural limit: longer encodings raise #GP, so a decode that
 * needs a 16th byte is wrong about something. */
#define MAX_LEN 15

/* Opcode attributes.  Zero marks an opcode that is invalid in 64-bit mode
 * or that the decoder does not size. */
enum {
	A_OK = 1 << 0,    /* valid; set by every macro below */
	A_M = 1 << 1,     /* a ModRM byte follows */
	A_I8 = 1 << 2,    /* imm8 */
	A_I16 = 1 << 3,   /* imm16 whatever the operand size */
	A_IZ = 1 << 4,    /* imm16 under 66 (without REX.W), else imm32 */
	A_IV = 1 << 5,    /* like A_IZ, but imm64 under REX.W (B8+r) */
	A_MOFFS = 1 << 6, /* 8-byte absolute address, 4 under 67 (A0-A3) */
	A_J8 = 1 << 7,    /* rel8 */
	A_J32 = 1 << 8,   /* rel32 */
	A_W1 = 1 << 9,    /* the memory operand is a byte */
	A_W2 = 1 << 10,   /* ... a word */
	A_WV = 1 << 11,   /* ... of the operand size */
	A_MR = 1 << 12,   /* ModRM always names registers, whatever mod */
};

#define __ 0
#define NO A_OK
#define Mx (A_OK | A_M)
#define MI (A_OK | A_M | A_I8)
#define Mr (A_OK | A_M | A_MR)
#define Eb (A_OK | A_M | A_W1)
#define Ew (A_OK | A_M | A_W2)
#define Ev (A_OK | A_M | A_WV)
#define EbI (Eb | A_I8)
#define EvI (Ev | A_I8)
#define EvZ (Ev | A_IZ)
#define Ib (A_OK | A_I8)
#define Iw (A_OK | A_I16)
#define Iz (A_OK | A_IZ)
#define Iv (A_OK | A_IV)
#define Jb (A_OK | A_J8)
#define Jz (A_OK | A_J32)
#define Ob (A_OK | A_MOFFS | A_W1)
#define Ov (A_OK | A_MOFFS | A_WV)

/* The one-byte map.  Prefixes, REX, 0F, VEX (C4, C5) and EVEX (62) are
 * consumed before the table is consulted, so their rows read invalid:
 * reaching them means a prefix came after REX. */
static const uint16_t map1[256] = {
	/* 00 */ Eb, Ev, Eb, Ev, Ib, Iz, __, __, Eb, Ev, Eb, Ev, Ib, Iz, __, __,
	/* 10 */ Eb, Ev, Eb, Ev, Ib, Iz, __, __, Eb, Ev, Eb, Ev, Ib, Iz, __, __,
	/* 20 */ Eb, Ev, Eb, Ev, Ib, Iz, __, __, Eb, Ev, Eb, Ev, Ib, Iz, __, __,
	/* 30 */ Eb, Ev, Eb, Ev, Ib, Iz, __, __, Eb, Ev, Eb, Ev, Ib, Iz, __, __,
	/* 40 */ __, __, __, __, __, __, __, __, __, __, __, __, __, __, __, __,
	/* 50 */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, NO,
	/* 60 */ __, __, __, Ev, __, __, __, __,
		 Iz, EvZ, Ib, EvI, NO, NO, NO, NO,
	/* 70 */ Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb, Jb,
	/* 80 */ EbI, EvZ, __, EvI, Eb, Ev, Eb, Ev,
		 Eb, Ev, Eb, Ev, Ew, Mx, Ew, Ev,
	/* 90 */ NO, NO, NO, NO, NO, NO, NO, NO, NO, NO, __, NO, NO, NO, NO, NO,
	/* A0 */ Ob, Ov, Ob, Ov, NO, NO, NO, NO, Ib, Iz, NO, NO, NO, NO, NO, NO,
	/* B0 */ Ib, Ib, Ib, Ib, Ib, Ib, Ib, Ib, Iv, Iv, Iv, Iv, Iv, Iv, Iv, Iv,
	/* C0 */ EbI, EvI, Iw, NO, __, __, EbI, EvZ,
		 Iw | A_I8, NO, Iw, NO, NO, Ib, __, NO,
	/* D0 */ Eb, Ev, Eb, Ev, __, __, __, NO, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* E0 */ Jb, Jb, Jb, Jb, Ib, Ib, Ib, Ib, Jz, Jz, __, Jb, NO, NO, NO, NO,
	/* F0 */ __, NO, __, __, NO, NO, Eb, Ev, NO, NO, NO, NO, NO, NO, Eb, Ev,
};

/* The 0F map.  0F 38 and 0F 3A are uniform (ModRM; 0F 3A adds imm8) and
 * handled in code; 0F 0F (3DNow!) is not sized. */
static const uint16_t map0f[256] = {
	/* 00 */ Mx, Mx, Mx, Mx, __, NO, NO, NO, NO, NO, __, NO, __, Mx, NO, __,
	/* 10 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* 20 */ Mr, Mr, Mr, Mr, __, __, __, __, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* 30 */ NO, NO, NO, NO, NO, NO, __, NO, __, __, __, __, __, __, __, __,
	/* 40 */ Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev, Ev,
	/* 50 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* 60 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* 70 */ MI, MI, MI, MI, Mx, Mx, Mx, NO, Mx, Mx, __, __, Mx, Mx, Mx, Mx,
	/* 80 */ Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz, Jz,
	/* 90 */ Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb, Eb,
	/* A0 */ NO, NO, NO, Ev, EvI, Ev, __, __,
		 NO, NO, NO, Ev, EvI, Ev, Mx, Ev,
	/* B0 */ Eb, Ev, Mx, Ev, Mx, Mx, Eb, Ew,
		 Ev, Mx, EvI, Ev, Ev, Ev, Eb, Ew,
	/* C0 */ Eb, Ev, MI, Ev, MI, MI, MI, Mx, NO, NO, NO, NO, NO, NO, NO, NO,
	/* D0 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* E0 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
	/* F0 */ Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx, Mx,
};

enum { MAP_1, MAP_0F, MAP_0F38, MAP_0F3A };

struct dec {
	const unsigned char *code;
	size_t lim;  /* readable bytes: AVAIL capped at MAX_LEN */
	size_t pos;
	bool p66, p67, pf2, pf3, lock;
	uint8_t rex;
	bool vex;    /* VEX or EVEX: none of the legacy kinds apply */
	uint8_t map, op;
	unsigned attr;
	bool mem;    /* ModRM names memory (mod != 3) */
	uint8_t modrm, reg;
	bool rip;
	int32_t disp;
};

/* Reads N bytes little-endian; false when they are not all readable. */
static bool
take(struct dec *d, unsigned n, uint64_t *v)
{
	if (d->lim - d->pos < n)
		return false;
	uint64_t x = 0;
	for (unsigned i = n; i-- > 0;)
		x = x << 8 | d->code[d->pos + i];
	d->pos += n;
	*v = x;
	return true;
}

static bool
take8(struct dec *d, uint8_t *v)
{
	uint64_t x;
	if (!take(d, 1, &x))
		return false;
	*v = (uint8_t)x;
	return true;
}

/* V's low BYTES bytes as a signed number. */
static int64_t
sext(uint64_t v, unsigned bytes)
{
	if (bytes >= 8)
		return (int64_t)v;
	uint64_t sign = (uint64_t)1 << (8 * bytes - 1);
	v &= (sign << 1) - 1;
	return (int64_t)(v ^ sign) - (int64_t)sign;
}

static bool
is_legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	}
	return false;
}

/* Legacy prefixes in any order and number (MAX_LEN bounds them), then at
 * most one REX, which must be the last byte before the opcode: the CPU
 * ignores a REX that a prefix follows, and compilers never emit one. */
static bool
prefixes(struct dec *d)
{
	uint8_t b;
	for (;;) {
		if (!take8(d, &b))
			return false;
		if (!is_legacy_prefix(b))
			break;
		d->p66 |= b == 0x66;
		d->p67 |= b == 0x67;
		d->pf2 |= b == 0xf2;
		d->pf3 |= b == 0xf3;
		d->lock |= b == 0xf0;
	}
	if ((b & 0xf0) == 0x40) {
		d->rex = b;
		if (!take8(d, &b))
			return false;
		if (is_legacy_prefix(b) || (b & 0xf0) == 0x40)
			return false;
	}
	d->op = b;
	return true;
}

/* The map-0F opcodes that have VEX or EVEX forms; the rest of the map is
 * #UD there, so their lengths would only be guesses. */
static bool
vex_0f_valid(uint8_t op, bool evex)
{
	if (op == 0x77)
		return !evex; /* vzeroupper, vzeroall */
	return (op >= 0x10 && op <= 0x17) || (op >= 0x28 && op <= 0x2f) ||
	       (op >= 0x41 && op <= 0x4b) || (op >= 0x50 && op <= 0x7f) ||
	       (op >= 0x90 && op <= 0x93) || op == 0x98 || op == 0x99 ||
	       op == 0xae || op == 0xc2 || (op >= 0xc4 && op <= 0xc6) ||
	       op >= 0xd0;
}

/* VEX (C4, C5) and EVEX (62): always these in 64-bit mode, where LES, LDS
 * and BOUND do not exist.  Only the maps that mirror 0F, 0F 38 and 0F 3A
 * are sized. */
static bool
vex_opcode(struct dec *d)
{
	uint8_t b1, b2, mmm;
	bool evex = d->op == 0x62;
	/* 66, F2, F3, LOCK and REX before VEX raise #UD. */
	if (d->p66 || d->pf2 || d->pf3 || d->lock || d->rex)
		return false;
	d->vex = true;
	if (!take8(d, &b1))
		return false;
	if (d->op == 0xc5) {
		mmm = 1;
	} else {
		if (!take8(d, &b2))
			return false;
		mmm = b1 & (evex ? 0x07 : 0x1f);
		/* EVEX P1 bit 2 is fixed at 1; P2 follows. */
		if (evex && ((b2 & 0x04) == 0 || !take8(d, &b2)))
			return false;
	}
	if (!take8(d, &d->op))
		return false;
	switch (mmm) {
	case 1:
		if (!vex_0f_valid(d->op, evex))
			return false;
		d->map = MAP_0F;
		if (d->op == 0x77)
			d->attr = NO;
		else if ((d->op >= 0x70 && d->op <= 0x73) || d->op == 0xc2 ||
			 (d->op >= 0xc4 && d->op <= 0xc6))
			d->attr = MI;
		else
			d->attr = Mx;
		return true;
	case 2:
		d->map = MAP_0F38;
		d->attr = Mx;
		return true;
	case 3:
		d->map = MAP_0F3A;
		d->attr = MI;
		return true;
	}
	return false;
}

/* Reads the escape bytes after the prefixes and sets map, op and attr. */
static bool
opcode(struct dec *d)
{
	uint8_t b;
	d->map = MAP_1;
	if (d->op == 0xc4 || d->op == 0xc5 || d->op == 0x62)
		return vex_opcode(d);
	if (d->op != 0x0f) {
		d->attr = map1[d->op];
		return d->attr != 0;
	}
	if (!take8(d, &b))
		return false;
	if (b == 0x38 || b == 0x3a) {
		d->map = b == 0x38 ? MAP_0F38 : MAP_0F3A;
		d->attr = b == 0x38 ? Mx : MI;
		return take8(d, &d->op);
	}
	d->map = MAP_0F;
	d->op = b;
	d->attr = map0f[b];
	/* Under 66 or F2 these are AMD's extrq and insertq, with two
	 * immediates in some forms; not worth sizing. */
	if ((b == 0x78 || b == 0x79) && (d->p66 || d->pf2))
		return false;
	/* popcnt needs F3; bare 0F B8 is IA-64's jmpe. */
	if (b == 0xb8 && !d->pf3)
		return false;
	return d->attr != 0;
}

/* ModRM, SIB and displacement.  In 64-bit mode a 67 prefix selects 32-bit
 * addressing, whose encoding is the same, so it changes no length. */
static bool
modrm(struct dec *d)
{
	uint8_t sib, mod, rm;
	uint64_t v;
	unsigned disp = 0;
	if (!(d->attr & A_M))
		return true;
	if (!take8(d, &d->modrm))
		return false;
	mod = d->modrm >> 6;
	d->reg = (d->modrm >> 3) & 7;
	rm = d->modrm & 7;
	/* mov to and from control and debug registers ignores mod. */
	if (mod == 3 || (d->attr & A_MR))
		return true;
	d->mem = true;
	if (rm == 4) {
		if (!take8(d, &sib))
			return false;
		/* No base register: a bare disp32. */
		if (mod == 0 && (sib & 7) == 5)
			disp = 4;
	} else if (mod == 0 && rm == 5) {
		/* REX.B does not matter here: r13 as a base needs mod 01. */
		d->rip = true;
		disp = 4;
	}
	if (mod == 1)
		disp = 1;
	else if (mod == 2)
		disp = 4;
	if (disp == 0)
		return true;
	if (!take(d, disp, &v))
		return false;
	d->disp = (int32_t)sext(v, disp);
	return true;
}

/* Group opcodes whose immediates or validity depend on ModRM. */
static bool
groups(struct dec *d)
{
	if (d->vex)
		return true;
	if (d->map == MAP_0F)
		return d->op != 0xba || d->reg >= 4; /* bt, bts, btr, btc */
	if (d->map != MAP_1)
		return true;
	switch (d->op) {
	case 0xf6: /* test Eb, Ib; the rest of group 3 has no immediate */
		if (d->reg < 2)
			d->attr |= A_I8;
		break;
	case 0xf7:
		if (d->reg < 2)
			d->attr |= A_IZ;
		break;
	case 0xc6: /* mov Eb, Ib; or xabort Ib */
		if (d->reg == 0)
			break;
		if (d->modrm != 0xf8)
			return false;
		d->attr = Ib;
		break;
	case 0xc7: /* mov Ev, Iz; or xbegin rel32 */
		if (d->reg == 0)
			break;
		if (d->modrm != 0xf8 || d->p66)
			return false;
		d->attr = Jz;
		break;
	case 0x8f: /* pop Ev; other reg values are AMD's XOP */
		return d->reg == 0;
	case 0xfe: /* inc, dec Eb */
		return d->reg < 2;
	case 0xff: /* callf and jmpf take a memory pointer */
		if (d->reg == 3 || d->reg == 5)
			return d->mem;
		return d->reg != 7;
	case 0x8d: /* lea of a register is #UD */
		return d->mem;
	}
	return true;
}

/* The operand size of general-purpose instructions. */
static unsigned
opsize(const struct dec *d)
{
	if (d->rex & 0x08)
		return 8;
	return d->p66 ? 2 : 4;
}

/* Immediates and relative branch offsets, which follow the displacement. */
static bool
immediates(struct dec *d, struct pmf__insn *out)
{
	unsigned n = 0;
	uint64_t v;
	bool zext = false;
	if (d->attr & A_I16) {
		n = 2;
		zext = true;
	} else if (d->attr & A_I8) {
		n = 1;
	} else if (d->attr & A_IZ) {
		n = opsize(d) == 2 ? 2 : 4;
	} else if (d->attr & A_IV) {
		n = opsize(d);
	}
	if (n != 0) {
		if (!take(d, n, &v))
			return false;
		out->has_imm = true;
		out->imm = zext ? (int64_t)v : sext(v, n);
	}
	/* enter Iw, Ib: the second immediate. */
	if ((d->attr & A_I16) && (d->attr & A_I8) && !take(d, 1, &v))
		return false;
	if (d->attr & A_MOFFS) {
		d->mem = true;
		if (!take(d, d->p67 ? 4 : 8, &v))
			return false;
	}
	n = d->attr & A_J8 ? 1 : d->attr & A_J32 ? 4 : 0;
	if (n != 0) {
		/* Under 66, AMD CPUs take a rel16 and truncate the target
		 * while Intel's ignore the prefix.  REX.W settles it for
		 * both, as in the "data16 data16 rex.W call" that TLS code
		 * sequences use. */
		if (d->p66 && !(d->rex & 0x08))
			return false;
		if (!take(d, n, &v))
			return false;
		out->has_target = true;
		out->target = (uint64_t)sext(v, n);
	}
	return true;
}

/* Kind, width and sign extension of a decoded legacy-map instruction. */
static void
classify(const struct dec *d, struct pmf__insn *out)
{
	uint8_t op = d->op;
	if (d->mem && !d->vex) {
		if (d->attr & A_W1)
			out->width = 1;
		else if (d->attr & A_W2)
			out->width = 2;
		else if (d->attr & A_WV)
			out->width = (uint8_t)opsize(d);
	}
	if (d->vex)
		return;
	if (d->map == MAP_0F) {
		if (op >= 0x80 && op <= 0x8f)
			out->kind = PMF__I_JCC;
		else if (d->mem && (op == 0xb6 || op == 0xb7 || op == 0xbe ||
				    op == 0xbf)) {
			out->kind = PMF__I_LOAD;
			out->sign_extend = op >= 0xbe;
		}
		return;
	}
	if (d->map != MAP_1)
		return;
	if (op >= 0x70 && op <= 0x7f) {
		out->kind = PMF__I_JCC;
	} else if (op == 0xeb || op == 0xe9) {
		out->kind = PMF__I_JMP;
	} else if (op == 0xe8) {
		out->kind = PMF__I_CALL;
	} else if (op == 0xc3 || op == 0xc2) {
		out->kind = PMF__I_RET;
	} else if (op == 0x63 && d->mem) {
		/* movsxd: only REX.W makes it extend; 66 reads a word. */
		out->kind = PMF__I_LOAD;
		out->width = d->p66 && !(d->rex & 0x08) ? 2 : 4;
		out->sign_extend = (d->rex & 0x08) != 0;
	} else if ((op == 0x8a || op == 0x8b) && d->mem) {
		out->kind = PMF__I_LOAD;
	} else if (op == 0xa0 || op == 0xa1) {
		out->kind = PMF__I_LOAD;
	} else if (op == 0x8d && d->mem) {
		out->kind = PMF__I_LEA;
	} else if ((op == 0x80 || op == 0x81 || op == 0x83) && d->reg == 7) {
		out->kind = PMF__I_CMP_IMM; /* memory or register operand */
	} else if (op == 0x8f && d->mem) {
		/* pop: 64-bit by default, 16 under 66. */
		out->width = d->p66 ? 2 : 8;
	} else if (op == 0xff && d->mem) {
		if (d->reg == 4 || d->reg == 5)
			out->kind = PMF__I_JMP_INDIRECT;
		/* Near call, jmp and push are 64-bit; far forms take a
		 * pointer of no listed width. */
		if (d->reg == 2 || d->reg == 4)
			out->width = 8;
		else if (d->reg == 6)
			out->width = d->p66 ? 2 : 8;
		else if (d->reg == 3 || d->reg == 5)
			out->width = 0;
	} else if (op == 0xff && d->reg == 4) {
		out->kind = PMF__I_JMP_INDIRECT;
	}
}

unsigned
pmf__x86_decode(const unsigned char *code, size_t avail, uint64_t ip,
		struct pmf__insn *out)
{
	struct dec d;
	memset(&d, 0, sizeof(d));
	memset(out, 0, sizeof(*out));
	d.code = code;
	d.lim = avail < MAX_LEN ? avail : MAX_LEN;
	if (!prefixes(&d) || !opcode(&d) || !modrm(&d) || !groups(&d) ||
	    !immediates(&d, out)) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	out->len = (uint8_t)d.pos;
	classify(&d, out);
	if (d.rip) {
		out->rip_rel = true;
		out->mem_addr = ip + d.pos + (uint64_t)(int64_t)d.disp;
		if (d.p67)
			out->mem_addr &= 0xffffffffu;
	}
	if (out->has_target)
		out->target += ip + d.pos;
	return out->len;
}
