/* SPDX-License-Identifier: MIT */
/*
 * snapdrive.c - takes many snapshots of one live process through the
 * public API and checks each for internal consistency; for the tests of
 * running targets (--nonblocking) and of the consistency guard, and for
 * bench/guard.  Far faster than as many CLI runs: the target is opened
 * once.
 *
 * usage: snapdrive PID COUNT MODE [TIMEOUT_S]
 *   MODE: nonblocking | guard | noguard | alternate (guard and noguard in
 *   turn, pauses compared side by side) | cold (alternate, with the
 *   target opened afresh for every snapshot, as each CLI run does)
 * Each snapshot must finish within TIMEOUT_S (default 10) or SIGALRM ends
 * the program.  Prints one "key value" line per figure; exits 0 when every
 * snapshot was consistent (or reported the pools it could not trust), 1
 * otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pymfrag.h"

struct tally {
	unsigned taken, errors, inconsistent, with_failed, guard_on;
	unsigned retried, guard_retries_max;
	uint64_t guard_retries, failed_pools;
	uint64_t *pause;
	size_t npause;
};

/* One interpreter's figures against each other; returns a description of
 * the first disagreement, or NULL. */
static const char *
check_interp(const struct pmf_snapshot_info *in,
	     const struct pmf_interp_stats *st, char *buf, size_t len)
{
	uint64_t room = in->pool_size - in->pool_overhead;
	for (unsigned c = 0; c < st->nclasses; c++) {
		const struct pmf_class_stats *k = &st->classes[c];
		if (k->size == 0)
			continue;
		uint64_t per = room / k->size;
		if (k->blocks_in_use + k->blocks_available != k->pools * per) {
			snprintf(buf, len,
				 "class %u: %llu used + %llu free != %llu "
				 "pools * %llu",
				 c, (unsigned long long)k->blocks_in_use,
				 (unsigned long long)k->blocks_available,
				 (unsigned long long)k->pools,
				 (unsigned long long)per);
			return buf;
		}
	}
	const struct pmf_byte_partition *b = &st->bytes;
	uint64_t sum = b->allocated_blocks + b->available_blocks +
		       b->unused_pools + b->pool_headers + b->quantization +
		       b->arena_alignment;
	if (sum != b->total) {
		snprintf(buf, len, "partition parts sum to %llu, total %llu",
			 (unsigned long long)sum,
			 (unsigned long long)b->total);
		return buf;
	}
	if (st->arenas.current > st->arenas.table_size ||
	    st->arenas.reclaimed !=
		    st->arenas.allocated_total - st->arenas.current) {
		snprintf(buf, len, "arena counters disagree");
		return buf;
	}
	/* Pools that could not be trusted are left out of the partition:
	 * then, and only then, may it fall short of the arenas. */
	uint64_t want = st->arenas.current * in->arena_size;
	if (st->pools_failed_validation == 0 && b->total != want) {
		snprintf(buf, len,
			 "partition %llu != %llu arenas * %llu, with no pool "
			 "reported untrusted",
			 (unsigned long long)b->total,
			 (unsigned long long)st->arenas.current,
			 (unsigned long long)in->arena_size);
		return buf;
	}
	if (st->pools_failed_validation != 0 &&
	    (b->total > want ||
	     want - b->total >
		     st->pools_failed_validation * in->pool_size)) {
		snprintf(buf, len,
			 "partition %llu off %llu by more than %llu "
			 "untrusted pools",
			 (unsigned long long)b->total,
			 (unsigned long long)want,
			 (unsigned long long)st->pools_failed_validation);
		return buf;
	}
	return NULL;
}

static int
one(pmf_target *t, unsigned flags, struct tally *ty, unsigned timeout_s)
{
	pmf_snapshot *s = NULL;
	alarm(timeout_s);
	int rc = pmf_snapshot_take(t, flags | PMF_SNAP_NO_PROCESS, &s);
	alarm(0);
	ty->taken++;
	if (rc < 0) {
		ty->errors++;
		if (ty->errors <= 5)
			fprintf(stderr, "snapdrive: snapshot %u: %s: %s\n",
				ty->taken, pmf_errname(rc),
				pmf_target_errmsg(t));
		return rc;
	}
	const struct pmf_snapshot_info *in = pmf_snapshot_info(s);
	char buf[200];
	for (size_t i = 0; i < in->ninterps; i++) {
		const char *why =
			check_interp(in, pmf_snapshot_interp(s, i), buf,
				     sizeof(buf));
		if (why != NULL) {
			ty->inconsistent++;
			if (ty->inconsistent <= 5)
				fprintf(stderr,
					"snapdrive: snapshot %u inconsistent: "
					"%s\n",
					ty->taken, why);
			break;
		}
	}
	if (in->pools_failed_validation > 0)
		ty->with_failed++;
	ty->failed_pools += in->pools_failed_validation;
	ty->guard_on += in->guard_active;
	ty->guard_retries += in->guard_retries;
	if (in->guard_retries > 0)
		ty->retried++;
	if (in->guard_retries > ty->guard_retries_max)
		ty->guard_retries_max = in->guard_retries;
	if (!in->nonblocking)
		ty->pause[ty->npause++] = in->pause_us;
	pmf_snapshot_free(s);
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t
median(struct tally *ty)
{
	if (ty->npause == 0)
		return 0;
	qsort(ty->pause, ty->npause, sizeof(*ty->pause), cmp_u64);
	return ty->pause[ty->npause / 2];
}

static void
print(const char *p, struct tally *ty)
{
	printf("%ssnapshots %u\n", p, ty->taken);
	printf("%serrors %u\n", p, ty->errors);
	printf("%sinconsistent %u\n", p, ty->inconsistent);
	printf("%swith_untrusted_pools %u\n", p, ty->with_failed);
	printf("%suntrusted_pools %llu\n", p,
	       (unsigned long long)ty->failed_pools);
	printf("%sguard_active %u\n", p, ty->guard_on);
	printf("%sguard_retries %llu\n", p,
	       (unsigned long long)ty->guard_retries);
	printf("%sguard_retried_snapshots %u\n", p, ty->retried);
	printf("%sguard_retries_max %u\n", p, ty->guard_retries_max);
	if (ty->npause > 0) {
		uint64_t med = median(ty);
		printf("%spause_median_us %llu\n", p,
		       (unsigned long long)med);
		printf("%spause_max_us %llu\n", p,
		       (unsigned long long)ty->pause[ty->npause - 1]);
	}
}

int
main(int argc, char **argv)
{
	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: snapdrive PID COUNT "
				"nonblocking|guard|noguard|alternate|cold "
				"[TIMEOUT_S]\n");
		return 2;
	}
	pid_t pid = (pid_t)atoi(argv[1]);
	unsigned count = (unsigned)strtoul(argv[2], NULL, 10);
	const char *mode = argv[3];
	unsigned timeout_s = argc == 5 ? (unsigned)atoi(argv[4]) : 10;
	unsigned fa, fb;
	bool two = false, cold = false;
	if (strcmp(mode, "nonblocking") == 0)
		fa = fb = PMF_SNAP_NONBLOCKING;
	else if (strcmp(mode, "guard") == 0)
		fa = fb = 0;
	else if (strcmp(mode, "noguard") == 0)
		fa = fb = PMF_SNAP_NO_GUARD;
	else if (strcmp(mode, "alternate") == 0 ||
		 strcmp(mode, "cold") == 0) {
		cold = strcmp(mode, "cold") == 0;
		fa = 0;
		fb = PMF_SNAP_NO_GUARD;
		two = true;
	} else {
		fprintf(stderr, "snapdrive: unknown mode %s\n", mode);
		return 2;
	}
	pmf_target *t = pmf_target_new();
	struct tally a = {0}, b = {0};
	a.pause = calloc(count + 1, sizeof(uint64_t));
	b.pause = calloc(count + 1, sizeof(uint64_t));
	if (t == NULL || a.pause == NULL || b.pause == NULL)
		return 1;
	alarm(timeout_s);
	int rc = pmf_target_open(t, pid, NULL);
	alarm(0);
	if (rc < 0) {
		fprintf(stderr, "snapdrive: %s\n", pmf_target_errmsg(t));
		return 1;
	}
	for (unsigned i = 0; i < count; i++) {
		if (cold && i > 0) {
			pmf_target_free(t);
			t = pmf_target_new();
			if (t == NULL || pmf_target_open(t, pid, NULL) < 0) {
				fprintf(stderr, "snapdrive: reopen failed\n");
				return 1;
			}
		}
		if (two && (i & 1))
			one(t, fb, &b, timeout_s);
		else
			one(t, fa, &a, timeout_s);
	}
	if (two) {
		print("guard_", &a);
		print("noguard_", &b);
		uint64_t ma = median(&a), mb = median(&b);
		if (mb > 0)
			printf("pause_ratio_guard_over_noguard %.2f\n",
			       (double)ma / (double)mb);
	} else {
		print("", &a);
	}
	int bad = a.inconsistent + b.inconsistent;
	pmf_target_free(t);
	free(a.pause);
	free(b.pause);
	return bad ? 1 : 0;
}
