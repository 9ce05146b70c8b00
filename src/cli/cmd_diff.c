/* SPDX-License-Identifier: MIT */
/*
 * cmd_diff.c - "pymfrag diff OLD.json NEW.json": what grew and what shrank
 * between two JSON reports of one service.  Works on the reports alone
 * (no target), so it reads them with the internal JSON reader; every key
 * it needs may be missing or of the wrong type in a file edited by hand,
 * and is then left out rather than trusted.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonread.h"
#include "cli/cli.h"

/* The report schema this command reads, and the one it writes. */
#define REPORT_SCHEMA 2
#define DIFF_SCHEMA 1

/* No report comes near this; a bigger file is something else. */
#define MAX_REPORT_BYTES ((size_t)16 << 20)
/* Class indexes in a report are below 64; the table has room to spare. */
#define MAX_CLASSES 256
/* Counts beyond this (a trillion blocks) are not from a real report;
 * the bound keeps every product and sum below overflow. */
#define MAX_COUNT ((int64_t)1 << 40)
#define MAX_WARNINGS 8
/* Types in pinned arenas that changed, shown in text (most bytes first). */
#define TEXT_TYPES 15
#define HINT "pass a file written by 'pymfrag report --format json'"

static void
usage(FILE *f)
{
	fputs("Usage: pymfrag diff [OPTION]... OLD.json NEW.json\n"
	      "Compare two reports of one service written by 'pymfrag report "
	      "--format json'\n"
	      "and print what grew and what shrank (NEW - OLD).\n"
	      "\n"
	      "  -f, --format FORMAT    text (default) or json\n"
	      "      --interp ID        compare interpreter ID (0 is the main "
	      "one) of both\n"
	      "                         reports; by default their top-level "
	      "states\n"
	      "  -h, --help             show this help\n"
	      "\n"
	      "The first line is a summary.  Then: arena counters, the size "
	      "classes that\n"
	      "changed and their totals, CPython's byte partition, process "
	      "memory, and the\n"
	      "fragmentation analysis when both reports have them.  Either file "
	      "may be '-'\n"
	      "for standard input.\n"
	      "Exit status: 0 compared (changes or not), 1 a report could not "
	      "be read or\n"
	      "the two cannot be compared, 2 usage error.\n",
	      f);
}

/* ------------------------------------------------------------------ */
/* Loading a report                                                    */
/* ------------------------------------------------------------------ */

struct cls {
	bool present;
	int64_t size, pools, used, avail;
};

struct report {
	const char *path; /* as given; "-" is standard input */
	const char *name; /* for messages */
	char *text;
	struct pmf__jdoc *doc;
	const struct pmf__jval *root;
	/* The compared allocator state: the top level, or interpreters[]
	 * entry chosen with --interp. */
	const struct pmf__jval *state;
	bool pymalloc; /* the state has arenas (pymalloc is in use) */
	const char *python;
	int64_t arena_size, pool_size;
	struct cls cls[MAX_CLASSES];
};

/* Reads the whole file (at most MAX_REPORT_BYTES + 1 bytes, to tell a
 * file that is too large). */
static int
slurp(struct report *r, size_t *len)
{
	bool in = strcmp(r->path, "-") == 0;
	FILE *f = in ? stdin : fopen(r->path, "rb");
	if (f == NULL) {
		cli_error("cannot read %s: %s; check the path", r->name,
			  strerror(errno));
		return EXIT_RUNTIME;
	}
	/* Allocated at the bound at once: pages never written cost no
	 * memory, and reports are far smaller. */
	size_t cap = MAX_REPORT_BYTES + 1, n = 0;
	r->text = malloc(cap);
	int rc = EXIT_OK;
	if (r->text == NULL) {
		cli_error("cannot read %s: out of memory", r->name);
		rc = EXIT_RUNTIME;
		goto out;
	}
	errno = 0;
	while (n < cap) {
		size_t got = fread(r->text + n, 1, cap - n, f);
		if (got == 0)
			break;
		n += got;
	}
	if (ferror(f)) {
		cli_error("cannot read %s: %s; check the path", r->name,
			  errno ? strerror(errno) : "read error");
		rc = EXIT_RUNTIME;
	} else if (n > MAX_REPORT_BYTES) {
		cli_error("%s is larger than %zu MiB, more than any pymfrag "
			  "report; " HINT,
			  r->name, MAX_REPORT_BYTES >> 20);
		rc = EXIT_RUNTIME;
	}
	*len = n;
out:
	if (!in)
		fclose(f);
	return rc;
}

static int
not_report(const struct report *r, const char *why)
{
	cli_error("%s is not a pymfrag report (%s); " HINT, r->name, why);
	return EXIT_RUNTIME;
}

static bool
get_count(const struct pmf__jval *v, int64_t *out)
{
	return pmf__jint(v, out) && *out >= 0 && *out <= MAX_COUNT;
}

/* The size classes of the state, by index.  A state without pymalloc has
 * none; a malformed entry makes the file no report. */
static int
load_classes(struct report *r)
{
	const struct pmf__jval *arr = pmf__jget(r->state, "size_classes");
	char why[96];
	if (pmf__jnull(arr))
		return EXIT_OK;
	if (arr->type != PMF__J_ARRAY)
		return not_report(r, "size_classes is not an array");
	for (size_t i = 0; i < pmf__jlen(arr); i++) {
		const struct pmf__jval *e = pmf__jat(arr, i);
		int64_t idx;
		struct cls c = {.present = true};
		if (!pmf__jint(pmf__jget(e, "index"), &idx) || idx < 0 ||
		    idx >= MAX_CLASSES || r->cls[idx].present) {
			snprintf(why, sizeof(why),
				 "size_classes[%zu] has no valid index", i);
			return not_report(r, why);
		}
		if (!pmf__jint(pmf__jget(e, "size"), &c.size) || c.size <= 0 ||
		    c.size > 65536 || !get_count(pmf__jget(e, "pools"), &c.pools) ||
		    !get_count(pmf__jget(e, "blocks_in_use"), &c.used) ||
		    !get_count(pmf__jget(e, "blocks_available"), &c.avail)) {
			snprintf(why, sizeof(why),
				 "size_classes[%zu] lacks size, pools or "
				 "block counts",
				 i);
			return not_report(r, why);
		}
		r->cls[idx] = c;
	}
	return EXIT_OK;
}

/* Appends ", ID" for every state in the report, for a message. */
static void
state_ids(const struct report *r, char *buf, size_t len)
{
	const struct pmf__jval *arr = pmf__jget(r->root, "interpreters");
	size_t off = 0;
	int64_t id;
	buf[0] = '\0';
	if (pmf__jlen(arr) == 0) {
		if (pmf__jint(pmf__jget(r->root, "interpreter_id"), &id))
			snprintf(buf, len, "%" PRId64, id);
		return;
	}
	for (size_t i = 0; i < pmf__jlen(arr) && off + 24 < len; i++)
		if (pmf__jint(pmf__jget(pmf__jat(arr, i), "interpreter_id"),
			      &id))
			off += (size_t)snprintf(buf + off, len - off,
						"%s%" PRId64, off ? ", " : "",
						id);
}

static int
select_state(struct report *r, bool have_interp, int64_t interp)
{
	r->state = r->root;
	if (!have_interp)
		return EXIT_OK;
	const struct pmf__jval *arr = pmf__jget(r->root, "interpreters");
	int64_t id;
	for (size_t i = 0; i < pmf__jlen(arr); i++) {
		const struct pmf__jval *e = pmf__jat(arr, i);
		if (pmf__jint(pmf__jget(e, "interpreter_id"), &id) &&
		    id == interp) {
			r->state = e;
			return EXIT_OK;
		}
	}
	if (pmf__jlen(arr) == 0 &&
	    pmf__jint(pmf__jget(r->root, "interpreter_id"), &id) &&
	    id == interp)
		return EXIT_OK;
	char ids[256];
	state_ids(r, ids, sizeof(ids));
	if (ids[0] == '\0')
		cli_error("%s has no allocator state for interpreter %" PRId64
			  " (pymalloc is not in use there); leave out "
			  "--interp",
			  r->name, interp);
	else
		cli_error("%s has no allocator state for interpreter %" PRId64
			  " (it has: %s); pick one of those with --interp",
			  r->name, interp, ids);
	return EXIT_RUNTIME;
}

static int
load(struct report *r, bool have_interp, int64_t interp)
{
	struct pmf__err err = {0};
	size_t len = 0;
	int rc = slurp(r, &len);
	if (rc != EXIT_OK)
		return rc;
	struct pmf__jlimits lim = {.max_bytes = MAX_REPORT_BYTES};
	if (pmf__jparse(r->text, len, &lim, &r->doc, &err) < 0) {
		if (err.code == PMF_ENOMEM)
			cli_error("cannot read %s: out of memory", r->name);
		else
			cli_error("%s is not JSON (%s); " HINT, r->name,
				  err.msg);
		return EXIT_RUNTIME;
	}
	r->root = pmf__jroot(r->doc);
	if (r->root->type != PMF__J_OBJECT)
		return not_report(r, "not a JSON object");
	if (pmf__jget(r->root, "diff_schema_version") != NULL)
		return not_report(r, "it is the output of 'pymfrag diff'");
	const char *tool = pmf__jstr(pmf__jpath(r->root, "tool.name"));
	if (tool != NULL && strcmp(tool, "pymfrag") != 0)
		return not_report(r, "it was written by another tool");
	const struct pmf__jval *sv = pmf__jget(r->root, "schema_version");
	int64_t schema;
	if (sv == NULL)
		return not_report(r, "no schema_version");
	if (!pmf__jint(sv, &schema))
		return not_report(r, "schema_version is not a number");
	if (schema != REPORT_SCHEMA) {
		const char *by = pmf__jstr(pmf__jpath(r->root, "tool.version"));
		cli_error("%s has report schema_version %" PRId64
			  " (written by pymfrag %s), which pymfrag %s does "
			  "not read (it reads %d); compare it with the "
			  "pymfrag that wrote it",
			  r->name, schema, by ? by : "of another version",
			  PMF_VERSION_STRING, REPORT_SCHEMA);
		return EXIT_RUNTIME;
	}
	if ((rc = select_state(r, have_interp, interp)) != EXIT_OK)
		return rc;
	const struct pmf__jval *arenas = pmf__jget(r->state, "arenas");
	r->pymalloc = arenas != NULL && arenas->type == PMF__J_OBJECT;
	r->python = pmf__jstr(pmf__jpath(r->root, "python.version"));
	if (r->python == NULL)
		r->python = "?";
	if (!pmf__jint(pmf__jget(r->root, "arena_size"), &r->arena_size))
		r->arena_size = 0;
	if (!pmf__jint(pmf__jget(r->root, "pool_size"), &r->pool_size))
		r->pool_size = 0;
	return load_classes(r);
}

static void
unload(struct report *r)
{
	pmf__jfree(r->doc);
	free(r->text);
}

/* ------------------------------------------------------------------ */
/* Numbers                                                             */
/* ------------------------------------------------------------------ */

struct triple {
	int64_t old, new;
};

/* NEW - OLD, saturated: the values come from files. */
static int64_t
delta(const struct triple *t)
{
	int64_t d;
	if (__builtin_sub_overflow(t->new, t->old, &d))
		return t->new > t->old ? INT64_MAX : INT64_MIN;
	return d;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t
sat_mul(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_mul_overflow(a, b, &r))
		return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
	return r;
}

static uint64_t
magnitude(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/* "1,234", with a '+' or '-' when SIGNED and the value is not 0. */
static const char *
num(int64_t v, bool sign, char *buf, size_t len)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, magnitude(v));
	size_t o = 0;
	if (v < 0)
		buf[o++] = '-';
	else if (sign && v > 0)
		buf[o++] = '+';
	for (int i = 0; i < n && o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

/* Bytes for people, as the text report shows them ("1.22 MiB"), with the
 * sign when SIGNED. */
static const char *
size(int64_t v, bool sign, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	const char *s = v < 0 ? "-" : sign && v > 0 ? "+" : "";
	double m = (double)magnitude(v);
	int u = 0;
	for (; m >= 1024 && u < 4; u++)
		m /= 1024;
	if (u == 0)
		snprintf(buf, len, "%s%" PRIu64 " B", s, magnitude(v));
	else
		snprintf(buf, len,
			 m < 10 ? "%s%.2f %s" : m < 100 ? "%s%.1f %s" : "%s%.0f %s",
			 s, m, units[u]);
	return buf;
}

/* A string from a report, safe for a terminal: control bytes become '?',
 * and it is cut at LEN - 1 bytes. */
static const char *
clean(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; s != NULL && *s != '\0' && o + 1 < len; s++)
		buf[o++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------------ */
/* The comparison and its output                                       */
/* ------------------------------------------------------------------ */

/* A tiny JSON writer: the command sits above the library's internals,
 * and its output is one fixed shape. */
struct jw {
	FILE *f;
	int depth;
	bool first; /* nothing written yet in the innermost container */
};

static void
jw_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* The separator and indentation before a member, then its key. */
static void
jw_key(struct jw *w, const char *key)
{
	fprintf(w->f, "%s\n%*s", w->first ? "" : ",", 2 * w->depth, "");
	w->first = false;
	if (key != NULL) {
		jw_string(w->f, key);
		fputs(": ", w->f);
	}
}

static void
jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	fputc(c, w->f);
	w->depth++;
	w->first = true;
}

static void
jw_close(struct jw *w, char c)
{
	w->depth--;
	if (!w->first)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(c, w->f);
	w->first = false;
}

static void
jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	fputs("null", w->f);
}

static void
jw_triple(struct jw *w, const char *key, const struct triple *t)
{
	jw_key(w, key);
	fprintf(w->f,
		"{\"old\": %" PRId64 ", \"new\": %" PRId64
		", \"delta\": %" PRId64 "}",
		t->old, t->new, delta(t));
}

struct diff {
	struct report a, b; /* old, new */
	bool json;
	FILE *f; /* the body: written first, printed after the summary */
	struct jw w;
	bool changed;
	char warnings[MAX_WARNINGS][512];
	size_t nwarnings;
};

static void PMF_PRINTF(2, 3)
warn(struct diff *d, const char *fmt, ...)
{
	if (d->nwarnings == MAX_WARNINGS)
		return;
	char *w = d->warnings[d->nwarnings++];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w, sizeof(d->warnings[0]), fmt, ap);
	va_end(ap);
	cli_error("warning: %s", w);
}

/* The integer at PATH under both bases; false when either lacks it. */
static bool
pair(struct diff *d, const struct pmf__jval *a, const struct pmf__jval *b,
     const char *path, struct triple *t)
{
	if (!pmf__jint(pmf__jpath(a, path), &t->old) ||
	    !pmf__jint(pmf__jpath(b, path), &t->new))
		return false;
	if (t->old != t->new)
		d->changed = true;
	return true;
}

static bool
both_objects(const struct pmf__jval *a, const struct pmf__jval *b)
{
	return a != NULL && b != NULL && a->type == PMF__J_OBJECT &&
	       b->type == PMF__J_OBJECT;
}

struct field {
	const char *key, *label;
	bool bytes;
};

static const struct field arena_fields[] = {
	{"current", "current", false},
	{"highwater", "highwater", false},
	{"allocated_total", "allocated total", false},
	{"reclaimed", "reclaimed", false},
};

static const struct field byte_fields[] = {
	{"allocated_blocks", "allocated blocks", true},
	{"available_blocks", "free blocks in used pools", true},
	{"unused_pools", "unused pools", true},
	{"unused_pool_count", "unused pool count", false},
	{"pool_headers", "pool headers", true},
	{"quantization", "quantization", true},
	{"arena_alignment", "arena alignment", true},
	{"total", "total", true},
};

static const struct field process_fields[] = {
	{"rss_bytes", "RSS", true},
	{"pss_bytes", "PSS", true},
	{"swap_bytes", "swap", true},
	{"hwm_bytes", "peak RSS", true},
};

static const struct field analysis_fields[] = {
	{"stranded_bytes", "stranded bytes", true},
	{"packed_arenas", "packed arenas", false},
};

static const struct field pinned_fields[] = {
	{"arenas", "pinned arenas", false},
	{"live_blocks", "pinned live blocks", false},
	{"live_bytes", "pinned live bytes", true},
};

static const struct field stranded_fields[] = {
	{"arenas", "stranded arenas", false},
};

static void
heading(struct diff *d, const char *title)
{
	if (!d->json)
		fprintf(d->f, "\n%-28s %15s %15s %15s\n", title, "old", "new",
			"delta");
}

static void
text_row(FILE *f, const char *label, const struct triple *t, bool bytes)
{
	char a[32], b[32], c[32], h[32];
	int64_t dv = delta(t);
	fprintf(f, "  %-26s %15s %15s %15s", label, num(t->old, false, a, 32),
		num(t->new, false, b, 32), num(dv, true, c, 32));
	if (bytes && dv != 0)
		fprintf(f, "  %s", size(dv, true, h, sizeof(h)));
	fputc('\n', f);
}

/* One row per field both bases have: a text line or a JSON member. */
static void
rows(struct diff *d, const struct pmf__jval *a, const struct pmf__jval *b,
     const struct field *fs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct triple t;
		if (!pair(d, a, b, fs[i].key, &t))
			continue;
		if (d->json)
			jw_triple(&d->w, fs[i].key, &t);
		else
			text_row(d->f, fs[i].label, &t, fs[i].bytes);
	}
}

/* A section of plain counters under KEY of both bases; JSON null when
 * either lacks it. */
static void
section(struct diff *d, const char *key, const char *title,
	const struct pmf__jval *a, const struct pmf__jval *b,
	const struct field *fs, size_t n)
{
	a = pmf__jget(a, key);
	b = pmf__jget(b, key);
	if (!both_objects(a, b)) {
		if (d->json)
			jw_null(&d->w, key);
		return;
	}
	heading(d, title);
	if (d->json)
		jw_open(&d->w, key, '{');
	rows(d, a, b, fs, n);
	if (d->json)
		jw_close(&d->w, '}');
}

/* Per-class numbers, and their sums over the classes both reports have. */
struct class_delta {
	int64_t index, size;
	struct triple pools, used, avail, bytes;
};

static struct class_delta
class_delta(const struct diff *d, int64_t i)
{
	const struct cls *a = &d->a.cls[i], *b = &d->b.cls[i];
	return (struct class_delta){
		.index = i,
		.size = a->size,
		.pools = {a->pools, b->pools},
		.used = {a->used, b->used},
		.avail = {a->avail, b->avail},
		.bytes = {a->used * a->size, b->used * b->size},
	};
}

static bool
class_changed(const struct class_delta *c)
{
	return delta(&c->pools) || delta(&c->used) || delta(&c->avail);
}

static void
class_add(struct class_delta *sum, const struct class_delta *c)
{
	struct triple *s[] = {&sum->pools, &sum->used, &sum->avail,
			      &sum->bytes};
	const struct triple *v[] = {&c->pools, &c->used, &c->avail,
				    &c->bytes};
	for (size_t k = 0; k < PMF_ARRAY_SIZE(s); k++) {
		s[k]->old = sat_add(s[k]->old, v[k]->old);
		s[k]->new = sat_add(s[k]->new, v[k]->new);
	}
}

static void
class_json(struct jw *w, const struct class_delta *c)
{
	jw_triple(w, "pools", &c->pools);
	jw_triple(w, "blocks_in_use", &c->used);
	jw_triple(w, "blocks_available", &c->avail);
	jw_triple(w, "bytes_in_use", &c->bytes);
}

/* A row of the class table: LABEL, or the index and size. */
static void
class_text(FILE *f, const char *label, const struct class_delta *c,
	   int64_t (*pick)(const struct triple *), bool sign)
{
	char a[32], b[32], e[32], g[32];
	if (label != NULL)
		fprintf(f, "  %-11s", label);
	else
		fprintf(f, "  %5" PRId64 " %5" PRId64, c->index, c->size);
	fprintf(f, " %10s %13s %13s %15s\n", num(pick(&c->pools), sign, a, 32),
		num(pick(&c->used), sign, b, 32),
		num(pick(&c->avail), sign, e, 32),
		num(pick(&c->bytes), sign, g, 32));
}

static int64_t
pick_old(const struct triple *t)
{
	return t->old;
}

static int64_t
pick_new(const struct triple *t)
{
	return t->new;
}

static void
classes(struct diff *d, struct class_delta *total)
{
	size_t nchanged = 0;
	*total = (struct class_delta){0};
	if (d->json)
		jw_open(&d->w, "size_classes", '[');
	else
		fputs("\nsize classes that changed (NEW - OLD)\n"
		      "  class  size      pools   blocks used   blocks free"
		      "      bytes used\n",
		      d->f);
	for (int64_t i = 0; i < MAX_CLASSES; i++) {
		if (!d->a.cls[i].present || !d->b.cls[i].present)
			continue;
		struct class_delta c = class_delta(d, i);
		class_add(total, &c);
		if (!class_changed(&c))
			continue;
		d->changed = true;
		nchanged++;
		if (d->json) {
			jw_open(&d->w, NULL, '{');
			jw_key(&d->w, "index");
			fprintf(d->f, "%" PRId64, c.index);
			jw_key(&d->w, "size");
			fprintf(d->f, "%" PRId64, c.size);
			class_json(&d->w, &c);
			jw_close(&d->w, '}');
		} else {
			class_text(d->f, NULL, &c, delta, true);
		}
	}
	if (d->json) {
		jw_close(&d->w, ']');
		jw_open(&d->w, "size_classes_total", '{');
		class_json(&d->w, total);
		jw_close(&d->w, '}');
		return;
	}
	if (nchanged == 0)
		fputs("  (no size class changed)\n", d->f);
	class_text(d->f, "total", total, delta, true);
	class_text(d->f, "  old", total, pick_old, false);
	class_text(d->f, "  new", total, pick_new, false);
}

/* ------------------------------------------------------------------ */
/* The fragmentation analysis                                          */
/* ------------------------------------------------------------------ */

static void
regions(struct diff *d, const struct pmf__jval *a, const struct pmf__jval *b,
	bool residency)
{
	static const char *const keys[] = {"bytes", "resident_bytes",
					   "swapped_bytes"};
	const struct pmf__jval *ra = pmf__jget(a, "regions"),
			       *rb = pmf__jget(b, "regions");
	if (!both_objects(ra, rb))
		return;
	size_t ncols = residency ? 3 : 1;
	if (d->json)
		jw_open(&d->w, "regions", '{');
	else
		fprintf(d->f, "\n%-28s %15s %15s %15s\n",
			"arena regions (NEW - OLD)", "bytes",
			residency ? "resident" : "", residency ? "swapped" : "");
	/* In NEW's order, for every region OLD has too, then the total. */
	for (size_t i = 0; i <= rb->obj.n; i++) {
		const char *name = i < rb->obj.n ? rb->obj.members[i].key
						 : "total";
		const struct pmf__jval *va = i < rb->obj.n
						     ? pmf__jget(ra, name)
						     : pmf__jget(a, "total"),
				       *vb = i < rb->obj.n
						     ? &rb->obj.members[i].val
						     : pmf__jget(b, "total");
		struct triple t[3];
		size_t k;
		for (k = 0; k < ncols; k++)
			if (!pair(d, va, vb, keys[k], &t[k]))
				break;
		if (k < ncols)
			continue;
		if (d->json) {
			jw_open(&d->w, name, '{');
			for (k = 0; k < ncols; k++)
				jw_triple(&d->w, keys[k], &t[k]);
			jw_close(&d->w, '}');
			continue;
		}
		char label[64], c[3][32];
		clean(name, label, sizeof(label));
		for (char *p = label; *p != '\0'; p++)
			if (*p == '_')
				*p = ' ';
		for (k = 0; k < 3; k++)
			if (k < ncols)
				num(delta(&t[k]), true, c[k], 32);
			else
				c[k][0] = '\0';
		fprintf(d->f, "  %-26s %15s %15s %15s\n", label, c[0], c[1],
			c[2]);
	}
	if (d->json)
		jw_close(&d->w, '}');
}

static void
histogram(struct diff *d, const struct pmf__jval *a,
	  const struct pmf__jval *b)
{
	const struct pmf__jval *ha = pmf__jget(a, "histogram"),
			       *hb = pmf__jget(b, "histogram");
	size_t n = pmf__jlen(ha) < pmf__jlen(hb) ? pmf__jlen(ha)
						 : pmf__jlen(hb);
	struct triple t[32];
	if (n > PMF_ARRAY_SIZE(t))
		n = PMF_ARRAY_SIZE(t);
	if (ha == NULL || ha->type != PMF__J_ARRAY || n == 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (!pmf__jint(pmf__jat(ha, i), &t[i].old) ||
		    !pmf__jint(pmf__jat(hb, i), &t[i].new))
			return;
	for (size_t i = 0; i < n; i++)
		d->changed |= t[i].old != t[i].new;
	if (d->json) {
		jw_open(&d->w, "histogram", '[');
		for (size_t i = 0; i < n; i++)
			jw_triple(&d->w, NULL, &t[i]);
		jw_close(&d->w, ']');
		return;
	}
	/* Bucket I holds arenas [I, I + 1) * 100% / N full. */
	fprintf(d->f, "\n%-28s", "arenas by utilization");
	for (size_t i = 0; i < n; i++)
		fprintf(d->f, " %5zu%%", i * 100 / n);
	static const char *const labels[] = {"old", "new", "delta"};
	for (int r = 0; r < 3; r++) {
		fprintf(d->f, "\n  %-26s", labels[r]);
		for (size_t i = 0; i < n; i++) {
			char c[32];
			int64_t v = r == 0 ? t[i].old : r == 1 ? t[i].new
							       : delta(&t[i]);
			fprintf(d->f, " %6s", num(v, r == 2, c, sizeof(c)));
		}
	}
	fputc('\n', d->f);
}

struct type_delta {
	const char *name;
	struct triple count, bytes;
};

/* Most bytes gained or lost first, then by name: the order is stable. */
static int
type_cmp(const void *x, const void *y)
{
	const struct type_delta *a = x, *b = y;
	uint64_t ma = magnitude(delta(&a->bytes)),
		 mb = magnitude(delta(&b->bytes));
	if (ma != mb)
		return ma < mb ? 1 : -1;
	return strcmp(a->name, b->name);
}


/* NAME's count and bytes in the types array ARR (the first entry of that
 * name); false when it is not there.  Unreadable numbers count 0. */
static bool
type_find(const struct pmf__jval *arr, const char *name, struct triple *count,
	  struct triple *bytes, bool is_new)
{
	for (size_t i = 0; i < pmf__jlen(arr); i++) {
		const struct pmf__jval *e = pmf__jat(arr, i);
		const char *n = pmf__jstr(pmf__jget(e, "name"));
		if (n == NULL || strcmp(n, name) != 0)
			continue;
		int64_t c, b;
		if (!get_count(pmf__jget(e, "count"), &c) ||
		    !get_count(pmf__jget(e, "bytes"), &b))
			c = b = 0;
		*(is_new ? &count->new : &count->old) = c;
		*(is_new ? &bytes->new : &bytes->old) = b;
		return true;
	}
	return false;
}

/* A report lists only the types it found, so a type missing from one
 * counts 0 there. */
static size_t
type_collect(struct type_delta *v, size_t n, const struct pmf__jval *from,
	     const struct pmf__jval *a, const struct pmf__jval *b, size_t max)
{
	for (size_t i = 0; i < pmf__jlen(from) && i < max; i++) {
		const char *name = pmf__jstr(pmf__jget(pmf__jat(from, i), "name"));
		bool seen = name == NULL;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(v[k].name, name) == 0;
		if (seen)
			continue;
		struct type_delta t = {.name = name};
		type_find(a, name, &t.count, &t.bytes, false);
		type_find(b, name, &t.count, &t.bytes, true);
		if (delta(&t.count) != 0 || delta(&t.bytes) != 0)
			v[n++] = t;
	}
	return n;
}

/* The types of A and B that changed, under TITLE in text. */
static void
types(struct diff *d, const char *title, const struct pmf__jval *a,
      const struct pmf__jval *b)
{
	/* Reports list tens of types; the cap bounds the quadratic matching
	 * on a file that lists millions. */
	const size_t max = 4096;
	struct type_delta *v = calloc(2 * max, sizeof(*v));
	size_t n = 0;
	if (v != NULL) {
		n = type_collect(v, n, b, a, b, max);
		n = type_collect(v, n, a, a, b, max);
		qsort(v, n, sizeof(*v), type_cmp);
	}
	d->changed |= n > 0;
	if (d->json) {
		jw_open(&d->w, "types", '[');
		for (size_t i = 0; i < n; i++) {
			jw_open(&d->w, NULL, '{');
			jw_key(&d->w, "name");
			jw_string(d->f, v[i].name);
			jw_triple(&d->w, "count", &v[i].count);
			jw_triple(&d->w, "bytes", &v[i].bytes);
			jw_close(&d->w, '}');
		}
		jw_close(&d->w, ']');
	} else if (n > 0) {
		fprintf(d->f, "\n%-44s %15s %15s\n", title, "count", "bytes");
		for (size_t i = 0; i < n && i < TEXT_TYPES; i++) {
			char name[PMF_TYPE_NAME_MAX], c[32], by[32];
			fprintf(d->f, "  %-42s %15s %15s\n",
				clean(v[i].name, name, sizeof(name)),
				num(delta(&v[i].count), true, c, 32),
				num(delta(&v[i].bytes), true, by, 32));
		}
		if (n > TEXT_TYPES)
			fprintf(d->f,
				"  (%zu more types changed less; --format json "
				"lists them all)\n",
				n - TEXT_TYPES);
	}
	free(v);
}

/* Residency counts mean something only where the report says they do. */
static bool
residency_valid(const struct pmf__jval *an)
{
	const struct pmf__jval *v = pmf__jget(an, "residency_valid");
	return v == NULL || pmf__jtrue(v);
}

static void
analysis(struct diff *d)
{
	const struct pmf__jval *a = pmf__jget(d->a.state, "analysis"),
			       *b = pmf__jget(d->b.state, "analysis");
	if (!both_objects(a, b)) {
		if (d->json)
			jw_null(&d->w, "analysis");
		return;
	}
	if (d->json)
		jw_open(&d->w, "analysis", '{');
	regions(d, a, b, residency_valid(a) && residency_valid(b));
	histogram(d, a, b);
	heading(d, "fragmentation analysis");
	rows(d, a, b, analysis_fields, PMF_ARRAY_SIZE(analysis_fields));
	const struct pmf__jval *pa = pmf__jget(a, "pinned"),
			       *pb = pmf__jget(b, "pinned");
	if (both_objects(pa, pb)) {
		double ba, bb;
		if (pmf__jnum(pmf__jget(pa, "below"), &ba) &&
		    pmf__jnum(pmf__jget(pb, "below"), &bb) && ba != bb)
			warn(d,
			     "pinned arenas are those below %.0f%% full in %s "
			     "and below %.0f%% in %s; their counts are not "
			     "comparable",
			     ba * 100, d->a.name, bb * 100, d->b.name);
		if (d->json)
			jw_open(&d->w, "pinned", '{');
		rows(d, pa, pb, pinned_fields, PMF_ARRAY_SIZE(pinned_fields));
		types(d, "pinned arenas' blocks by type (NEW - OLD)",
		      pmf__jget(pa, "types"), pmf__jget(pb, "types"));
		if (d->json)
			jw_close(&d->w, '}');
	}
	const struct pmf__jval *sa = pmf__jget(a, "stranded"),
			       *sb = pmf__jget(b, "stranded");
	if (both_objects(sa, sb)) {
		if (d->json)
			jw_open(&d->w, "stranded", '{');
		rows(d, sa, sb, stranded_fields,
		     PMF_ARRAY_SIZE(stranded_fields));
		types(d, "stranded arenas' blocks by type (NEW - OLD)",
		      pmf__jget(sa, "types"), pmf__jget(sb, "types"));
		if (d->json)
			jw_close(&d->w, '}');
	}
	if (d->json)
		jw_close(&d->w, '}');
}

/* ------------------------------------------------------------------ */
/* Putting it together                                                 */
/* ------------------------------------------------------------------ */

/* Reports that cannot be compared class by class are an error; other
 * differences are worth a warning and the comparison goes on. */
static int
check_comparable(struct diff *d)
{
	struct report *a = &d->a, *b = &d->b;
	char x[32], y[32], u[32], v[32];
	for (int i = 0; i < MAX_CLASSES; i++) {
		if (a->cls[i].present && b->cls[i].present &&
		    a->cls[i].size != b->cls[i].size) {
			cli_error("%s and %s have different size classes "
				  "(class %d holds %" PRId64 "-byte blocks in "
				  "one, %" PRId64 "-byte in the other); "
				  "compare reports of the same CPython build",
				  a->name, b->name, i, a->cls[i].size,
				  b->cls[i].size);
			return EXIT_RUNTIME;
		}
	}
	if (a->pymalloc && b->pymalloc &&
	    (a->arena_size != b->arena_size || a->pool_size != b->pool_size))
		warn(d,
		     "%s has %s arenas of %s pools (CPython %s), %s has %s "
		     "arenas of %s pools (CPython %s); arena and pool counts "
		     "are not comparable, byte counts are",
		     a->name, size(a->arena_size, false, x, 32),
		     size(a->pool_size, false, y, 32), a->python, b->name,
		     size(b->arena_size, false, u, 32),
		     size(b->pool_size, false, v, 32), b->python);
	else if (strcmp(a->python, b->python) != 0)
		warn(d,
		     "%s is CPython %s and %s is CPython %s; comparing what "
		     "both report",
		     a->name, a->python, b->name, b->python);
	if (!a->pymalloc && !b->pymalloc)
		warn(d,
		     "neither %s nor %s has pymalloc statistics; comparing "
		     "process memory only",
		     a->name, b->name);
	else if (!a->pymalloc || !b->pymalloc) {
		const struct report *r = a->pymalloc ? b : a;
		const char *alloc = pmf__jstr(pmf__jget(r->root, "allocator"));
		warn(d,
		     "%s has no pymalloc statistics (allocator %s); comparing "
		     "process memory only",
		     r->name, alloc ? clean(alloc, x, sizeof(x)) : "unknown");
	}
	int64_t ia, ib;
	if (pmf__jint(pmf__jget(a->state, "interpreter_id"), &ia) &&
	    pmf__jint(pmf__jget(b->state, "interpreter_id"), &ib) && ia != ib)
		warn(d,
		     "comparing interpreter %" PRId64 " of %s with interpreter "
		     "%" PRId64 " of %s",
		     ia, a->name, ib, b->name);
	return EXIT_OK;
}

static void
body(struct diff *d, struct class_delta *total)
{
	bool pym = d->a.pymalloc && d->b.pymalloc;
	*total = (struct class_delta){0};
	if (pym) {
		section(d, "arenas", "arenas", d->a.state, d->b.state,
			arena_fields, PMF_ARRAY_SIZE(arena_fields));
		classes(d, total);
		section(d, "bytes", "where the arena bytes are", d->a.state,
			d->b.state, byte_fields, PMF_ARRAY_SIZE(byte_fields));
	} else if (d->json) {
		jw_null(&d->w, "arenas");
		jw_open(&d->w, "size_classes", '[');
		jw_close(&d->w, ']');
		jw_null(&d->w, "size_classes_total");
		jw_null(&d->w, "bytes");
	}
	section(d, "process", "process memory", d->a.root, d->b.root,
		process_fields, PMF_ARRAY_SIZE(process_fields));
	if (pym)
		analysis(d);
	else if (d->json)
		jw_null(&d->w, "analysis");
}

/* Appends to BUF at *OFF, keeping it terminated. */
static void PMF_PRINTF(4, 5)
cat(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	if (*off + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

/* "arenas 812 -> 640 (-172, -172 MiB); live blocks -3.1%; RSS -150 MiB",
 * or "no change: arenas 76; live blocks 169,833; RSS 102 MiB". */
static void
summary(struct diff *d, const struct class_delta *total, char *buf,
	size_t len)
{
	char x[32], y[32], z[32], h[32];
	const char *sep = "";
	size_t off = 0;
	struct triple t;
	buf[0] = '\0';
	if (!d->changed)
		cat(buf, len, &off, "no change: ");
	if (!d->a.pymalloc || !d->b.pymalloc) {
		cat(buf, len, &off, "no pymalloc statistics in %s",
		    d->a.pymalloc   ? d->b.name
		    : d->b.pymalloc ? d->a.name
				    : "either report");
		sep = "; ";
	} else if (pair(d, d->a.state, d->b.state, "arenas.current", &t)) {
		const struct triple *u = &total->used;
		int64_t bytes = sat_add(sat_mul(t.new, d->b.arena_size),
					-sat_mul(t.old, d->a.arena_size));
		if (!d->changed)
			cat(buf, len, &off, "arenas %s; live blocks %s",
			    num(t.new, false, x, 32),
			    num(u->new, false, y, 32));
		else
			cat(buf, len, &off, "arenas %s -> %s (%s, %s)",
			    num(t.old, false, x, 32), num(t.new, false, y, 32),
			    num(delta(&t), true, z, 32),
			    size(bytes, true, h, 32));
		if (d->changed && u->old > 0)
			cat(buf, len, &off, "; live blocks %+.1f%%",
			    100.0 * (double)delta(u) / (double)u->old);
		else if (d->changed)
			cat(buf, len, &off, "; live blocks 0 -> %s",
			    num(u->new, false, x, 32));
		sep = "; ";
	}
	if (pair(d, pmf__jget(d->a.root, "process"),
		 pmf__jget(d->b.root, "process"), "rss_bytes", &t))
		cat(buf, len, &off, "%sRSS %s", sep,
		    d->changed ? size(delta(&t), true, x, 32)
			       : size(t.new, false, x, 32));
}

static void
describe_text(FILE *f, const char *label, const struct report *r)
{
	char path[256], t[64], py[32];
	int64_t pid, id;
	fprintf(f, "%-7s %s:", label, clean(r->name, path, sizeof(path)));
	if (pmf__jint(pmf__jget(r->root, "pid"), &pid))
		fprintf(f, " pid %" PRId64 ",", pid);
	const char *time = pmf__jstr(pmf__jget(r->root, "time"));
	if (time != NULL)
		fprintf(f, " %s,", clean(time, t, sizeof(t)));
	fprintf(f, " CPython %s", clean(r->python, py, sizeof(py)));
	if (pmf__jint(pmf__jget(r->state, "interpreter_id"), &id))
		fprintf(f, ", interpreter %" PRId64 "\n", id);
	else
		fputs(", no pymalloc\n", f);
}

/* A member copied from the report when it is an integer or a string,
 * else null. */
static void
jw_copy(struct jw *w, const char *key, const struct pmf__jval *v)
{
	int64_t i;
	jw_key(w, key);
	if (pmf__jint(v, &i))
		fprintf(w->f, "%" PRId64, i);
	else if (pmf__jstr(v) != NULL)
		jw_string(w->f, pmf__jstr(v));
	else
		fputs("null", w->f);
}

static void
describe_json(struct jw *w, const char *key, const struct report *r)
{
	jw_open(w, key, '{');
	jw_key(w, "file");
	jw_string(w->f, r->name);
	jw_copy(w, "pid", pmf__jget(r->root, "pid"));
	jw_copy(w, "time", pmf__jget(r->root, "time"));
	jw_copy(w, "python_version", pmf__jpath(r->root, "python.version"));
	jw_copy(w, "allocator", pmf__jget(r->root, "allocator"));
	jw_copy(w, "interpreter_id", pmf__jget(r->state, "interpreter_id"));
	jw_close(w, '}');
}

static void
print(struct diff *d, const char *sum, const char *text, size_t len)
{
	if (!d->json) {
		printf("%s\n\npymfrag %s diff (NEW - OLD)\n", sum,
		       PMF_VERSION_STRING);
		describe_text(stdout, "old", &d->a);
		describe_text(stdout, "new", &d->b);
		fwrite(text, 1, len, stdout);
		return;
	}
	struct jw w = {.f = stdout, .depth = 1, .first = true};
	fputc('{', stdout);
	jw_key(&w, "diff_schema_version");
	printf("%d", DIFF_SCHEMA);
	jw_key(&w, "tool");
	printf("{\"name\": \"pymfrag\", \"version\": \"%s\"}",
	       PMF_VERSION_STRING);
	jw_key(&w, "summary");
	jw_string(stdout, sum);
	jw_key(&w, "changed");
	fputs(d->changed ? "true" : "false", stdout);
	describe_json(&w, "old", &d->a);
	describe_json(&w, "new", &d->b);
	jw_open(&w, "warnings", '[');
	for (size_t i = 0; i < d->nwarnings; i++) {
		jw_key(&w, NULL);
		jw_string(stdout, d->warnings[i]);
	}
	jw_close(&w, ']');
	/* The body was written as members at depth 1, after these. */
	fwrite(text, 1, len, stdout);
	fputs("\n}\n", stdout);
}

struct opts {
	bool json, have_interp;
	int64_t interp;
	const char *paths[2];
};

static int
parse(int argc, char **argv, struct opts *o)
{
	enum { OPT_INTERP = 256 };
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"interp", required_argument, NULL, OPT_INTERP},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c, n = 0;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "text") != 0)
				return cli_usage_error(
					"diff",
					"unknown format '%s' (use text or "
					"json)",
					optarg);
			o->json = strcmp(optarg, "json") == 0;
			break;
		case OPT_INTERP:
			if (!cli_parse_interp(optarg, &o->interp))
				return cli_usage_error(
					"diff",
					"--interp needs an interpreter ID, "
					"not '%s'",
					optarg);
			o->have_interp = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default: /* ':' when an option lacks its value */
			return cli_usage_error("diff",
					       c == ':' ? "%s needs a value"
							: "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++) {
		if (n == 2)
			return cli_usage_error("diff",
					       "unexpected argument '%s'",
					       argv[optind]);
		o->paths[n++] = argv[optind];
	}
	if (n < 2)
		return cli_usage_error("diff", "two reports are needed, OLD "
					       "and NEW");
	if (strcmp(o->paths[0], "-") == 0 && strcmp(o->paths[1], "-") == 0)
		return cli_usage_error("diff", "only one of OLD and NEW can "
					       "be '-' (standard input)");
	return EXIT_OK;
}

int
cmd_diff(int argc, char **argv)
{
	struct opts o = {0};
	int rc = parse(argc, argv, &o);
	if (rc != EXIT_OK)
		return rc;
	struct diff *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		cli_error("out of memory");
		return EXIT_RUNTIME;
	}
	char *text = NULL;
	size_t len = 0;
	struct report *r[2] = {&d->a, &d->b};
	for (int i = 0; i < 2; i++) {
		r[i]->path = o.paths[i];
		r[i]->name = strcmp(o.paths[i], "-") == 0 ? "standard input"
							   : o.paths[i];
		if ((rc = load(r[i], o.have_interp, o.interp)) != EXIT_OK)
			goto out;
	}
	if ((rc = check_comparable(d)) != EXIT_OK)
		goto out;

	/* The summary comes first but depends on everything compared, so
	 * the body is written to memory first. */
	d->json = o.json;
	d->f = open_memstream(&text, &len);
	if (d->f == NULL) {
		cli_error("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	d->w = (struct jw){.f = d->f, .depth = 1, .first = false};
	struct class_delta total;
	body(d, &total);
	if (fclose(d->f) != 0 || text == NULL) {
		cli_error("out of memory");
		rc = EXIT_RUNTIME;
		goto out;
	}
	char sum[512];
	summary(d, &total, sum, sizeof(sum));
	print(d, sum, text, len);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_error("cannot write the diff: %s", strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	rc = EXIT_OK;
out:
	free(text);
	unload(&d->a);
	unload(&d->b);
	free(d);
	return rc;
}
