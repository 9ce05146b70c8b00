/* SPDX-License-Identifier: MIT */
/*
 * maps.c - parser for /proc/PID/maps.
 *
 * Line format: "start-end perms offset major:minor inode   path".  The
 * path may contain spaces and ends with " (deleted)" when the file was
 * unlinked; everything after the inode column, minus leading blanks, is
 * the path.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/vec.h"
#include "os/mapquery.h"
#include "os/maps.h"
#include "os/procfs.h"

static bool
scan_hex(char **pp, uint64_t *out)
{
	char *p = *pp;
	uint64_t v = 0;
	int digits = 0;
	for (;; p++, digits++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (digits >= 16)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	if (digits == 0)
		return false;
	*out = v;
	*pp = p;
	return true;
}

static bool
scan_dec(char **pp, uint64_t *out)
{
	char *p = *pp;
	uint64_t v = 0;
	int digits = 0;
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 20)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0)
		return false;
	*out = v;
	*pp = p;
	return true;
}

static bool
expect(char **pp, char c)
{
	if (**pp != c)
		return false;
	(*pp)++;
	return true;
}

/* Parses one NUL-terminated line in place. */
static bool
parse_line(char *p, struct pmf__map *mp)
{
	uint64_t maj, min;
	if (!scan_hex(&p, &mp->start) || !expect(&p, '-') ||
	    !scan_hex(&p, &mp->end) || !expect(&p, ' '))
		return false;
	if (mp->end < mp->start)
		return false;
	if (strlen(p) < 5 || p[4] != ' ')
		return false;
	mp->r = p[0] == 'r';
	mp->w = p[1] == 'w';
	mp->x = p[2] == 'x';
	mp->shared = p[3] == 's';
	p += 5;
	if (!scan_hex(&p, &mp->offset) || !expect(&p, ' ') ||
	    !scan_hex(&p, &maj) || !expect(&p, ':') || !scan_hex(&p, &min) ||
	    !expect(&p, ' ') || !scan_dec(&p, &mp->inode))
		return false;
	mp->dev_major = (unsigned)maj;
	mp->dev_minor = (unsigned)min;
	while (*p == ' ' || *p == '\t')
		p++;
	pmf__map_set_path(mp, p);
	return true;
}


int
pmf__maps_parse(struct pmf__maps *m, char *text, struct pmf__err *e)
{
	*m = (struct pmf__maps){.text = text};
	char *line = text;
	unsigned lineno = 0;
	while (line != NULL && *line != '\0') {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		lineno++;
		struct pmf__map *mp = PMF__VEC_PUSH(m->v, m->n, m->cap);
		if (mp == NULL) {
			pmf__maps_free(m);
			return pmf__err_set(e, PMF_ENOMEM, "out of memory");
		}
		if (!parse_line(line, mp)) {
			pmf__maps_free(m);
			return pmf__err_set(e, PMF_EIO,
					    "malformed line %u in maps",
					    lineno);
		}
		/* The kernel prints mappings in ascending order; lookups
		 * rely on it, so do not trust it blindly. */
		if (m->n > 1 && mp->start < m->v[m->n - 2].end) {
			pmf__maps_free(m);
			return pmf__err_set(e, PMF_EIO,
					    "maps line %u out of order",
					    lineno);
		}
		line = nl != NULL ? nl + 1 : NULL;
	}
	return 0;
}

/* Reads of a map that changed while the kernel printed it.  The kernel
 * prints a large map in pieces, and a process that maps and unmaps
 * meanwhile (a running target's allocator) can have a mapping in one
 * piece overlap the next piece's first: read again. */
#define READ_TRIES 8

int
pmf__maps_read(struct pmf__maps *m, pid_t pid, struct pmf__err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	int rc = 0;
	for (int i = 0; i < READ_TRIES; i++) {
		struct pmf__sb sb = PMF__SB_INIT;
		rc = pmf__read_file(path, &sb, e);
		if (rc < 0) {
			pmf__sb_free(&sb);
			*m = (struct pmf__maps){0};
			return rc;
		}
		char *text = pmf__sb_steal(&sb);
		if (text == NULL)
			return pmf__err_set(e, PMF_ENOMEM, "out of memory");
		rc = pmf__maps_parse(m, text, e);
		if (rc != PMF_EIO)
			return rc;
	}
	char why[sizeof(e->msg)];
	snprintf(why, sizeof(why), "%s", e != NULL ? e->msg : "malformed");
	return pmf__err_set(e, PMF_EIO,
			    "%s changed under every one of %d reads: %s", path,
			    READ_TRIES, why);
}

int
pmf__maps_query_open(struct pmf__maps *m, pid_t pid, struct pmf__err *e)
{
	struct pmf__mapq *q;
	int rc = pmf__mapq_open(pid, &q, e);
	if (rc < 0)
		return rc;
	unsigned long gen = m->gen;
	pmf__maps_free(m);
	m->q = q;
	m->gen = gen + 1;
	return 0;
}

void
pmf__maps_query_reset(struct pmf__maps *m)
{
	m->gen++;
	if (m->q != NULL)
		pmf__mapq_forget(m->q);
}

unsigned long
pmf__maps_queries(const struct pmf__maps *m)
{
	return m->q != NULL ? pmf__mapq_queries(m->q) : 0;
}

void
pmf__maps_free(struct pmf__maps *m)
{
	free(m->v);
	free(m->text);
	pmf__mapq_free(m->q);
	*m = (struct pmf__maps){0};
}

const struct pmf__map *
pmf__maps_find(const struct pmf__maps *m, uint64_t addr)
{
	if (m->q != NULL)
		return pmf__mapq_find(m->q, addr);
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (addr < m->v[mid].start)
			hi = mid;
		else if (addr >= m->v[mid].end)
			lo = mid + 1;
		else
			return &m->v[mid];
	}
	return NULL;
}

bool
pmf__map_is_anon(const struct pmf__map *mp)
{
	if (mp->inode != 0)
		return false;
	return mp->path[0] == '\0' || strcmp(mp->path, "[heap]") == 0 ||
	       strncmp(mp->path, "[anon:", 6) == 0;
}

bool
pmf__maps_range_all(const struct pmf__maps *m, uint64_t addr, uint64_t len,
		    bool (*ok)(const struct pmf__map *mp, const void *arg),
		    const void *arg)
{
	uint64_t end;
	if (len == 0 || PMF_ADD_OVERFLOW(addr, len, &end))
		return false;
	const struct pmf__map *mp = pmf__maps_find(m, addr);
	if (mp == NULL)
		return false;
	for (;;) {
		if (!ok(mp, arg))
			return false;
		if (end <= mp->end)
			return true;
		/* The next mapping must start where this one ends.  A
		 * queried map looks it up (which may move MP). */
		uint64_t at = mp->end;
		const struct pmf__map *next =
			m->q != NULL ? pmf__maps_find(m, at)
			: mp + 1 < m->v + m->n ? mp + 1
					       : NULL;
		if (next == NULL || next->start != at)
			return false;
		mp = next;
	}
}

static bool
readable(const struct pmf__map *mp, const void *arg)
{
	(void)arg;
	return mp->r;
}

static bool
anon_rw(const struct pmf__map *mp, const void *arg)
{
	(void)arg;
	return mp->r && mp->w && pmf__map_is_anon(mp);
}

bool
pmf__maps_range_is_anon_rw(const struct pmf__maps *m, uint64_t addr,
			   uint64_t len)
{
	return pmf__maps_range_all(m, addr, len, anon_rw, NULL);
}

bool
pmf__maps_range_readable(const struct pmf__maps *m, uint64_t addr,
			 uint64_t len)
{
	return pmf__maps_range_all(m, addr, len, readable, NULL);
}
