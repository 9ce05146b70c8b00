/* SPDX-License-Identifier: MIT */
/* Unit tests for the object free lists: the debugmallocstats formatter
 * against the free-list lines of every captured CPython print, and the
 * reader over a fake 3.11 interpreter - what it accepts, and the counts,
 * chains and interpreters it must refuse without inventing numbers. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "core/out.h"
#include "core/report.h"
#include "fake_mem.h"
#include "py/freelist.h"
#include "runner.h"

static int
sink(void *arg, const char *data, size_t len)
{
	pmf__sb_add(arg, data, len);
	return 0;
}

/* Parses "   7 free 1-sized PyTupleObjects * 32 bytes each = ..." */
static bool
parse_line(const char *line, struct pmf_freelist *f)
{
	char *end;
	memset(f, 0, sizeof(*f));
	while (*line == ' ')
		line++;
	f->count = strtoull(line, &end, 10);
	if (end == line || strncmp(end, " free ", 6) != 0)
		return false;
	const char *name = end + 6;
	const char *star = strstr(name, " * ");
	if (star == NULL || (size_t)(star - name) >= sizeof(f->name))
		return false;
	memcpy(f->name, name, (size_t)(star - name));
	f->object_size = strtoull(star + 3, &end, 10);
	return strncmp(end, " bytes each", 11) == 0;
}

/* Every capture's free-list part, rebuilt from its own numbers, must come
 * out byte for byte: the 48-column right alignment, the wider tuple
 * labels, the totals with commas. */
START_TEST(test_format_captures)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/captures", test_data_dir());
	DIR *d = opendir(dir);
	ck_assert_msg(d != NULL, "no %s", dir);
	struct dirent *de;
	int done = 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		/* The free-threaded capture has no pymalloc part. */
		if (n < 5 || strcmp(de->d_name + n - 4, ".txt") != 0 ||
		    de->d_name[n - 5] == 't')
			continue;
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		struct capture c;
		ck_assert_msg(capture_load(path, &c), "%s", path);
		const char *at = strstr(c.text, c.alloc_part);
		ck_assert_ptr_nonnull(at);
		const char *want = at + strlen(c.alloc_part);

		struct pmf_interp_stats *it = calloc(1, sizeof(*it));
		ck_assert_ptr_nonnull(it);
		it->has_freelists = true;
		char *copy = strdup(want);
		for (char *line = strtok(copy, "\n"); line != NULL;
		     line = strtok(NULL, "\n")) {
			ck_assert_uint_lt(it->nfreelists, PMF_MAX_FREELISTS);
			ck_assert_msg(parse_line(line,
						 &it->freelists[it->nfreelists]),
				      "%s: %s", de->d_name, line);
			it->nfreelists++;
		}
		free(copy);
		ck_assert_uint_ge(it->nfreelists, 23);

		struct pmf_snapshot_info in = {0};
		struct pmf__sb sb = PMF__SB_INIT;
		struct pmf__out o;
		pmf__out_init(&o, sink, &sb);
		pmf__dms_interp(&in, it, &o);
		ck_assert_int_eq(pmf__out_finish(&o), 0);
		/* The zeroed allocator part ends with its one Total line. */
		const char *got = strstr(pmf__sb_str(&sb), "\nTotal ");
		ck_assert_ptr_nonnull(got);
		got = strchr(got + 1, '\n') + 1;
		ck_assert_msg(strcmp(got, want) == 0,
			      "%s: free lists differ:\n%s--- expected:\n%s",
			      de->d_name, got, want);

		/* Without free lists the allocator part ends the output. */
		it->has_freelists = false;
		pmf__sb_reset(&sb);
		pmf__out_init(&o, sink, &sb);
		pmf__dms_interp(&in, it, &o);
		ck_assert_int_eq(pmf__out_finish(&o), 0);
		ck_assert_ptr_null(strstr(pmf__sb_str(&sb), "bytes each"));

		pmf__sb_free(&sb);
		free(it);
		capture_free(&c);
		done++;
	}
	closedir(d);
	ck_assert_int_ge(done, 9);
}
END_TEST

/* A fake 3.11 process: _PyRuntime, the main PyInterpreterState and a few
 * free objects (offsets from the 3.11 row). */
#define RT 0x10000ull
#define INTERP 0x200000ull
#define OBJS 0x300000ull

struct fx {
	struct fake_mem fm;
	struct pmf__pyt *t;
	unsigned char *is, *obj;
	struct pmf__interp_ref ir;
	struct pmf_interp_stats *out;
};

static void
fx_init(struct fx *x)
{
	fake_mem_init(&x->fm);
	x->t = calloc(1, sizeof(*x->t));
	x->out = calloc(1, sizeof(*x->out));
	ck_assert(x->t != NULL && x->out != NULL);
	fake_mem_source(&x->fm, &x->t->mem);
	x->t->ver_known = true;
	x->t->ver.major = 3;
	x->t->ver.minor = 11;
	x->t->ver.runtime_size = 166688;
	x->t->runtime = RT;
	(void)fake_mem_add(&x->fm, RT, 4096);
	x->is = fake_mem_add(&x->fm, INTERP, 8192);
	x->obj = fake_mem_add(&x->fm, OBJS, 4096);
	put64(x->is + 48, 0);  /* id */
	put64(x->is + 40, RT); /* runtime */
	/* Two floats, linked through ob_type. */
	put32(x->is + 3608, 2);
	put64(x->is + 3616, OBJS);
	put64(x->obj + 8, OBJS + 0x20);
	put64(x->obj + 0x20 + 8, 0);
	/* One dict in the array. */
	put32(x->is + 5160, 1);
	put64(x->is + 4520, OBJS + 0x100);
	/* One 1-sized tuple (index 0 on 3.11), linked through ob_item[0]. */
	put32(x->is + 3792, 1);
	put64(x->is + 3632, OBJS + 0x200);
	put64(x->obj + 0x200 + 24, 0);
	x->ir = (struct pmf__interp_ref){.id = 0, .is_main = true,
					 .interp = INTERP};
}

static void
fx_free(struct fx *x)
{
	pmf__sb_free(&x->t->log);
	free(x->t);
	free(x->out);
	fake_mem_free(&x->fm);
}

static int
fx_read(struct fx *x)
{
	struct pmf__err e = {0};
	x->out->has_freelists = true; /* must be cleared on refusal */
	return pmf__freelists_read(x->t, &x->ir, x->out, &e);
}

START_TEST(test_read_311)
{
	struct fx x;
	fx_init(&x);
	ck_assert_int_eq(fx_read(&x), 0);
	ck_assert_msg(x.out->has_freelists, "%s", pmf__sb_str(&x.t->log));
	ck_assert_uint_eq(x.out->nfreelists, 3 + 20);
	const struct pmf_freelist *f = x.out->freelists;
	ck_assert_str_eq(f[0].name, "PyDictObjects");
	ck_assert_uint_eq(f[0].count, 1);
	ck_assert_uint_eq(f[0].object_size, 48);
	ck_assert_str_eq(f[1].name, "PyFloatObjects");
	ck_assert_uint_eq(f[1].count, 2);
	ck_assert_uint_eq(f[1].object_size, 24);
	ck_assert_str_eq(f[2].name, "PyListObjects");
	ck_assert_uint_eq(f[2].count, 0);
	ck_assert_str_eq(f[3].name, "1-sized PyTupleObjects");
	ck_assert_uint_eq(f[3].count, 1);
	ck_assert_uint_eq(f[3].object_size, 32);
	ck_assert_str_eq(f[22].name, "20-sized PyTupleObjects");
	ck_assert_uint_eq(f[22].count, 0);
	ck_assert_uint_eq(f[22].object_size, 184);
	fx_free(&x);
}
END_TEST

/* Each corruption, alone, must leave the free lists out (rc 0). */
START_TEST(test_refusals)
{
	static const char *const why[] = {
		"PyFloatObjects: count 101 is not within 0..100",
		"PyFloatObjects: count -1 is not within 0..100",
		"PyFloatObjects: count 2 but head 0x0",
		"PyFloatObjects: the list goes on past its count 2",
		"PyFloatObjects: link 2 of 3 is 0x0",
		"PyDictObjects: entry 1 of 2 is not an object",
		"has ID 7, not 0",
		"not _PyRuntime 0x10000",
		"its PyInterpreterState is not known",
		"PyFloatObjects: object 0x7f0000000000 is not readable",
	};
	for (int k = 0; k < 10; k++) {
		struct fx x;
		fx_init(&x);
		switch (k) {
		case 0: /* over MAXFREELIST */
			put32(x.is + 3608, 101);
			break;
		case 1: /* negative: disabled at finalization */
			put32(x.is + 3608, 0xffffffffu);
			break;
		case 2: /* count without a head */
			put64(x.is + 3616, 0);
			break;
		case 3: /* a chain longer than its count (a cycle) */
			put64(x.obj + 0x20 + 8, OBJS);
			break;
		case 4: /* a chain shorter than its count */
			put32(x.is + 3608, 3);
			break;
		case 5: /* a NULL entry in a used array slot */
			put32(x.is + 5160, 2);
			break;
		case 6: /* another interpreter's ID */
			put64(x.is + 48, 7);
			break;
		case 7: /* another runtime */
			put64(x.is + 40, RT + 8);
			break;
		case 8: /* interpreter unknown */
			x.ir.interp = 0;
			break;
		case 9: /* a link into unreadable memory */
			put64(x.obj + 8, 0x7f0000000000ull);
			break;
		}
		ck_assert_int_eq(fx_read(&x), 0);
		ck_assert_msg(!x.out->has_freelists, "case %d accepted", k);
		ck_assert_uint_eq(x.out->nfreelists, 0);
		const char *log = pmf__sb_str(&x.t->log);
		ck_assert_msg(strstr(log, "freelists: interpreter 0: ") != NULL &&
				      strstr(log, why[k]) != NULL,
			      "case %d: log says %s", k, log);
		fx_free(&x);
	}
}
END_TEST

/* Another build of the same minor version: trusted only when something
 * is on the lists; all-empty could be zeroed memory at wrong offsets. */
START_TEST(test_other_build)
{
	struct fx x;
	fx_init(&x);
	x.t->ver.runtime_size = 166688 + 64;
	ck_assert_int_eq(fx_read(&x), 0);
	ck_assert(x.out->has_freelists);
	fx_free(&x);

	fx_init(&x);
	x.t->ver.runtime_size = 166688 + 64;
	put32(x.is + 3608, 0);
	put64(x.is + 3616, 0);
	put32(x.is + 5160, 0);
	put32(x.is + 3792, 0);
	put64(x.is + 3632, 0);
	ck_assert_int_eq(fx_read(&x), 0);
	ck_assert(!x.out->has_freelists);
	fx_free(&x);

	/* Rows not run against a live interpreter need their exact build. */
	fx_init(&x);
	x.t->ver.minor = 14;
	x.t->ver.runtime_size = 1234;
	ck_assert_int_eq(fx_read(&x), 0);
	ck_assert(!x.out->has_freelists);
	fx_free(&x);

	/* Debug and free-threaded builds have other layouts. */
	fx_init(&x);
	x.t->ver.free_threaded = true;
	ck_assert_int_eq(fx_read(&x), 0);
	ck_assert(!x.out->has_freelists);
	fx_free(&x);
}
END_TEST

/* A memory source that fails (the process exited) is an error, not an
 * absence. */
START_TEST(test_source_failure)
{
	struct fx x;
	fx_init(&x);
	x.fm.fail_after = 1;
	struct pmf__err e = {0};
	ck_assert_int_eq(pmf__freelists_read(x.t, &x.ir, x.out, &e),
			 PMF_ESRCH);
	ck_assert(!x.out->has_freelists);
	fx_free(&x);
}
END_TEST

Suite *
make_suite(void)
{
	Suite *s = suite_create("freelist");
	TCase *tc = tcase_create("freelist");
	tcase_add_test(tc, test_format_captures);
	tcase_add_test(tc, test_read_311);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_other_build);
	tcase_add_test(tc, test_source_failure);
	suite_add_tcase(s, tc);
	return s;
}
