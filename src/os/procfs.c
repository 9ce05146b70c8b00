/* SPDX-License-Identifier: MIT */
/*
 * procfs.c - /proc/PID/status, smaps_rollup, exe and task readers.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/vec.h"
#include "os/procfs.h"

int
pmf__read_file(const char *path, struct pmf__sb *out, struct pmf__err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "cannot open %s", path);
	}
	for (;;) {
		if (!pmf__sb_reserve(out, 16384)) {
			close(fd);
			return pmf__err_set(e, PMF_ENOMEM, "out of memory");
		}
		/* Terminated even when nothing is read: the files of a
		 * process that just exited read empty. */
		out->buf[out->len] = '\0';
		ssize_t k = read(fd, out->buf + out->len, 16384);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int err = errno;
			close(fd);
			return pmf__err_sys(e, pmf__err_from_errno(err), err,
					    "cannot read %s", path);
		}
		if (k == 0)
			break;
		out->len += (size_t)k;
		out->buf[out->len] = '\0';
	}
	close(fd);
	return 0;
}

/* Value of a "Key:   123 kB" line, in bytes. */
static uint64_t
kb_value(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	uint64_t v = strtoull(p, NULL, 10);
	return v * 1024;
}

/* Returns the text after "KEY:" when LINE starts with it, else NULL. */
static const char *
field(const char *line, const char *key)
{
	size_t n = strlen(key);
	if (strncmp(line, key, n) == 0 && line[n] == ':')
		return line + n + 1;
	return NULL;
}

void
pmf__status_parse(const char *text, struct pmf__proc_status *st)
{
	memset(st, 0, sizeof(*st));
	st->uid = (uid_t)-1;
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *v;
		if ((v = field(line, "Name")) != NULL) {
			while (*v == ' ' || *v == '\t')
				v++;
			size_t n = strcspn(v, "\n");
			if (n >= sizeof(st->name))
				n = sizeof(st->name) - 1;
			memcpy(st->name, v, n);
			st->name[n] = '\0';
		} else if ((v = field(line, "State")) != NULL) {
			while (*v == ' ' || *v == '\t')
				v++;
			st->state = *v;
		} else if ((v = field(line, "TracerPid")) != NULL) {
			st->tracer = (pid_t)strtol(v, NULL, 10);
		} else if ((v = field(line, "Threads")) != NULL) {
			st->threads = (unsigned)strtoul(v, NULL, 10);
		} else if ((v = field(line, "VmHWM")) != NULL) {
			st->vm_hwm = kb_value(v);
		} else if ((v = field(line, "VmRSS")) != NULL) {
			st->vm_rss = kb_value(v);
		} else if ((v = field(line, "VmSwap")) != NULL) {
			st->vm_swap = kb_value(v);
		} else if ((v = field(line, "Uid")) != NULL) {
			st->uid = (uid_t)strtoul(v, NULL, 10);
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

int
pmf__proc_status(pid_t pid, struct pmf__proc_status *st, struct pmf__err *e)
{
	char path[64];
	struct pmf__sb sb = PMF__SB_INIT;
	if (pid <= 0)
		return pmf__err_set(e, PMF_ESRCH, "%d is not a process ID",
				    (int)pid);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	int rc = pmf__read_file(path, &sb, e);
	if (rc == PMF_ESRCH || rc == PMF_EIO) {
		pmf__sb_free(&sb);
		return pmf__err_set(e, PMF_ESRCH, "no process with PID %d",
				    (int)pid);
	}
	if (rc < 0) {
		pmf__sb_free(&sb);
		return rc;
	}
	pmf__status_parse(pmf__sb_str(&sb), st);
	pmf__sb_free(&sb);
	if (st->state == 'Z' || st->state == 'X')
		return pmf__err_set(e, PMF_EZOMBIE,
				    "process %d (%s) has exited and is a "
				    "zombie waiting for its parent",
				    (int)pid, st->name);
	return 0;
}

void
pmf__rollup_parse(const char *text, struct pmf__rollup *r)
{
	memset(r, 0, sizeof(*r));
	for (const char *line = text; line != NULL && *line != '\0';) {
		const char *v;
		if ((v = field(line, "Rss")) != NULL)
			r->rss += kb_value(v);
		else if ((v = field(line, "Pss")) != NULL)
			r->pss += kb_value(v);
		else if ((v = field(line, "Swap")) != NULL)
			r->swap += kb_value(v);
		else if ((v = field(line, "Pss_Anon")) != NULL) {
			r->pss_anon += kb_value(v);
			r->has_pss_anon = true;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
}

int
pmf__proc_rollup(pid_t pid, struct pmf__rollup *r, struct pmf__err *e)
{
	char path[64];
	struct pmf__sb sb = PMF__SB_INIT;
	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	int rc = pmf__read_file(path, &sb, e);
	if (rc == PMF_ESRCH) {
		/* Kernels before 4.14 have no smaps_rollup: sum smaps. */
		pmf__sb_reset(&sb);
		snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
		rc = pmf__read_file(path, &sb, e);
	}
	if (rc == 0)
		pmf__rollup_parse(pmf__sb_str(&sb), r);
	pmf__sb_free(&sb);
	return rc;
}

int
pmf__proc_exe(pid_t pid, char *buf, size_t size, struct pmf__err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ssize_t n = readlink(path, buf, size - 1);
	if (n < 0) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "cannot read %s", path);
	}
	buf[n] = '\0';
	return 0;
}

int
pmf__proc_tasks(pid_t pid, pid_t **tids, size_t *n, size_t *cap,
		struct pmf__err *e)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL) {
		int err = errno;
		return pmf__err_sys(e, pmf__err_from_errno(err), err,
				    "cannot list %s", path);
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid_t *slot = PMF__VEC_PUSH(*tids, *n, *cap);
		if (slot == NULL) {
			closedir(d);
			return pmf__err_set(e, PMF_ENOMEM, "out of memory");
		}
		*slot = (pid_t)strtol(de->d_name, NULL, 10);
	}
	closedir(d);
	return 0;
}
