/* SPDX-License-Identifier: MIT */
/*
 * smaps.c - per-mapping memory from /proc/PID/smaps.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"
#include "base/vec.h"
#include "os/procfs.h"
#include "os/smaps.h"

/* Parses a mapping header "start-end perms offset dev inode [path]".
 * Returns false for any other line. */
static bool
parse_header(const char *line, struct pmf__vma *v)
{
	char *end;
	if (!isxdigit((unsigned char)line[0]))
		return false;
	unsigned long long a = strtoull(line, &end, 16);
	if (*end != '-')
		return false;
	unsigned long long b = strtoull(end + 1, &end, 16);
	if (*end != ' ' || b < a)
		return false;
	/* Skip perms, offset, dev and inode to the path. */
	const char *p = end;
	for (int field = 0; field < 4; field++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\n' && *p != '\0')
			p++;
	}
	while (*p == ' ')
		p++;
	memset(v, 0, sizeof(*v));
	v->start = a;
	v->end = b;
	if (*p == '\n' || *p == '\0' || strncmp(p, "[heap]", 6) == 0 ||
	    strncmp(p, "[anon:", 6) == 0)
		v->kind = PMF__VMA_ANON;
	else if (strncmp(p, "[stack", 6) == 0)
		v->kind = PMF__VMA_STACK;
	else
		v->kind = PMF__VMA_FILE;
	return true;
}

/* "Key:   123 kB" -> bytes, when LINE starts with KEY. */
static bool
kb_field(const char *line, const char *key, uint64_t *out)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) != 0 || line[n] != ':')
		return false;
	*out += strtoull(line + n + 1, NULL, 10) * 1024;
	return true;
}

int
pmf__smaps_parse(const char *text, struct pmf__smaps *s, struct pmf__err *e)
{
	struct pmf__vma *cur = NULL;
	for (const char *line = text; *line != '\0';) {
		struct pmf__vma v;
		if (parse_header(line, &v)) {
			cur = PMF__VEC_PUSH(s->v, s->n, s->cap);
			if (cur == NULL)
				return pmf__err_set(e, PMF_ENOMEM,
						    "out of memory");
			*cur = v;
		} else if (cur != NULL) {
			/* The first key that matches takes the line. */
			(void)(kb_field(line, "Rss", &cur->rss) ||
			       kb_field(line, "Pss", &cur->pss) ||
			       kb_field(line, "Swap", &cur->swap) ||
			       kb_field(line, "Private_Clean",
					&cur->private_bytes) ||
			       kb_field(line, "Private_Dirty",
					&cur->private_bytes));
		}
		const char *nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return 0;
}

int
pmf__smaps_read(pid_t pid, struct pmf__smaps *s, struct pmf__rollup *r,
		struct pmf__err *e)
{
	char path[64];
	struct pmf__sb sb = {0};
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	int rc = pmf__read_file(path, &sb, e);
	if (rc == 0)
		rc = pmf__smaps_parse(sb.buf != NULL ? sb.buf : "", s, e);
	if (rc == 0 && r != NULL)
		pmf__rollup_parse(sb.buf != NULL ? sb.buf : "", r);
	pmf__sb_free(&sb);
	return rc;
}

void
pmf__smaps_mark_stacks(struct pmf__smaps *s, const uint64_t *sp, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < s->n; k++)
			if (s->v[k].kind == PMF__VMA_ANON &&
			    sp[i] >= s->v[k].start && sp[i] < s->v[k].end)
				s->v[k].kind = PMF__VMA_STACK;
}

bool
pmf__syscall_sp(const char *text, uint64_t *sp)
{
	char *end;
	unsigned long long w[9];
	int n = 0;
	const char *p = text;
	if (strncmp(p, "running", 7) == 0)
		return false;
	while (n < 9) {
		while (*p == ' ')
			p++;
		if (*p == '\n' || *p == '\0')
			break;
		w[n++] = strtoull(p, &end, 0);
		if (end == p)
			return false;
		p = end;
	}
	if (n != 9 && n != 3)
		return false;
	*sp = w[n - 2];
	return *sp != 0;
}

int
pmf__thread_sps(pid_t pid, uint64_t **sp, size_t *n, size_t *cap,
		struct pmf__err *e)
{
	pid_t *tids = NULL;
	size_t nt = 0, ct = 0;
	int rc = pmf__proc_tasks(pid, &tids, &nt, &ct, e);
	for (size_t i = 0; rc == 0 && i < nt; i++) {
		char path[80];
		struct pmf__sb sb = {0};
		uint64_t v;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/syscall",
			 (int)pid, (int)tids[i]);
		/* A thread that exits meanwhile is simply not counted. */
		if (pmf__read_file(path, &sb, NULL) == 0 && sb.buf != NULL &&
		    pmf__syscall_sp(sb.buf, &v)) {
			uint64_t *slot = PMF__VEC_PUSH(*sp, *n, *cap);
			if (slot == NULL)
				rc = pmf__err_set(e, PMF_ENOMEM,
						  "out of memory");
			else
				*slot = v;
		}
		pmf__sb_free(&sb);
	}
	free(tids);
	return rc;
}

void
pmf__smaps_free(struct pmf__smaps *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}
