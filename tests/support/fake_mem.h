/* SPDX-License-Identifier: MIT */
/*
 * fake_mem.h - a memory source over a set of byte regions, for unit
 * tests: reads inside a region succeed, anything else faults, as an
 * unmapped address would in a real target.
 */
#ifndef PMF_TEST_FAKE_MEM_H
#define PMF_TEST_FAKE_MEM_H

#include "os/mem.h"

struct fake_region {
	uint64_t addr;
	size_t len;
	unsigned char *bytes;
};

struct fake_mem {
	struct fake_region *r;
	size_t n, cap;
	long fail_after;   /* >= 0: fail the source (ESRCH) after N reads */
	long reads;
	bool direct;       /* offer ranges in place (pmf__mem_direct()), as
			      an in-process source does */
};

void fake_mem_init(struct fake_mem *f);
/* Adds a zeroed region and returns its bytes (owned by F). */
unsigned char *fake_mem_add(struct fake_mem *f, uint64_t addr, size_t len);
/* The bytes at ADDR inside some region, or NULL. */
unsigned char *fake_mem_at(struct fake_mem *f, uint64_t addr, size_t len);
void fake_mem_free(struct fake_mem *f);
/* A pmf__mem reading F (F must outlive it). */
void fake_mem_source(struct fake_mem *f, struct pmf__mem *m);

void put64(unsigned char *p, uint64_t v);
void put32(unsigned char *p, uint32_t v);

#endif
