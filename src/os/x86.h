/* SPDX-License-Identifier: MIT */
/*
 * x86.h - a minimal x86-64 instruction length and operand decoder, enough
 * to walk compiler output of one function and read its RIP-relative loads,
 * comparisons and branches.  It does not disassemble: anything it cannot
 * size with certainty decodes as length 0.
 */
#ifndef PMF_OS_X86_H
#define PMF_OS_X86_H

#include <stdbool.h>

#include "base/compat.h"

enum pmf__insn_kind {
	PMF__I_OTHER = 0,    /* anything not listed below */
	PMF__I_LOAD,         /* mov r <- mem (8A, 8B, A0, A1); movsxd (63);
				movzx/movsx (0F B6, B7, BE, BF) */
	PMF__I_CMP_IMM,      /* cmp mem|reg, imm (80/81/83 /7); width is
				set for the memory form only */
	PMF__I_JMP,          /* jmp rel8/rel32 (EB, E9) */
	PMF__I_JCC,          /* jcc rel8/rel32 (70-7F, 0F 80-8F) */
	PMF__I_CALL,         /* call rel32 (E8) */
	PMF__I_RET,          /* C3, C2 iw, and their prefixed forms */
	PMF__I_JMP_INDIRECT, /* FF /4, FF /5: end of straight-line code */
	PMF__I_LEA,          /* lea r, mem (8D): the address, not a load */
	PMF__I_NKINDS        /* count; keep last */
};

struct pmf__insn {
	uint8_t len;          /* bytes; 0 when the bytes could not be decoded */
	enum pmf__insn_kind kind;
	uint8_t width;        /* bytes read or written through the memory
				 operand (1, 2, 4, 8) of a general-purpose
				 integer instruction; 0 without a memory
				 operand, and for vector, x87, system and
				 far-pointer forms and lea */
	bool sign_extend;     /* the load sign-extends (movsxd with REX.W,
				 movsx) */
	bool rip_rel;         /* has a RIP-relative memory operand (ModRM
				 mod=00, rm=101, no SIB) */
	uint64_t mem_addr;    /* when rip_rel: ip + len + disp32 (truncated
				 to 32 bits under a 67 prefix); else 0.  A
				 segment prefix (fs, gs) is not applied. */
	bool has_imm;
	int64_t imm;          /* the (first) immediate, sign-extended from its
				 encoded size as the CPU does for cmp, add,
				 etc.; truncate to the operand size where the
				 CPU does not extend.  The 16-bit immediates of
				 ret, retf and enter are zero-extended. */
	bool has_target;
	uint64_t target;      /* ip + len + rel: jmp, jcc, call, loop, jrcxz,
				 xbegin */
};

/* Decodes one instruction at IP from CODE (AVAIL bytes readable).
 * Returns the length (also in out->len), or 0 if it cannot decode it.
 * Reads only the instruction's own bytes, never CODE[AVAIL] or beyond.
 * Besides truncated input, encodings over 15 bytes and opcodes invalid in
 * 64-bit mode, 0 also covers what compilers do not emit and CPUs disagree
 * on or this decoder does not size: a REX not directly before the opcode,
 * relative branches under 66 without REX.W, 3DNow!, XOP, SSE4a
 * extrq/insertq, and VEX/EVEX outside the 0F, 0F 38 and 0F 3A maps. */
unsigned pmf__x86_decode(const unsigned char *code, size_t avail, uint64_t ip,
			 struct pmf__insn *out);

#endif
