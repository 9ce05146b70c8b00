/* SPDX-License-Identifier: MIT */
/*
 * target.c - the public target handle.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"

pmf_target *
pmf_target_new(void)
{
	return calloc(1, sizeof(struct pmf_target));
}

void
pmf__python_fill(struct pmf_python *py, const struct pmf__pyt *t)
{
	const struct pmf__pyver *v = &t->ver;
	memset(py, 0, sizeof(*py));
	py->hexversion = v->hex;
	py->major = v->major;
	py->minor = v->minor;
	py->micro = v->micro;
	snprintf(py->version, sizeof(py->version), "%s", v->str);
	py->free_threaded = v->free_threaded;
	py->debug_build = v->debug;
	py->executable = t->exe;
	py->image = t->img.mod.path;
	py->shared_library = t->img.shared;
	py->version_source = v->source ? v->source : "";
	py->build_id = t->img.mod.elf.build_id;
}

int
pmf_target_open(pmf_target *t, pid_t pid, const struct pmf_target_opts *opts)
{
	return pmf__target_open(t, pid, false, opts);
}

int
pmf__target_open(pmf_target *t, pid_t pid, bool self,
		 const struct pmf_target_opts *opts)
{
	struct pmf_target_opts def = {0};
	if (t == NULL)
		return PMF_EINVAL;
	if (t->attempted)
		return pmf__err_set(&t->err, PMF_EINVAL,
				    "this handle was already opened");
	if (opts == NULL)
		opts = &def;
	t->attempted = true;
	pmf__err_clear(&t->err);
	t->self = self;
	int rc = pmf__pyt_open(&t->pyt, pid, self, opts->locate,
			       opts->debug_dir, &t->err);
	if (t->pyt.ver_known) {
		pmf__python_fill(&t->py, &t->pyt);
		t->py_known = true;
	}
	if (rc < 0)
		return rc;
	t->opened = true;
	return 0;
}

const struct pmf_python *
pmf_target_python(const pmf_target *t)
{
	return t != NULL && t->py_known ? &t->py : NULL;
}

const char *
pmf_target_errmsg(const pmf_target *t)
{
	return t != NULL ? t->err.msg : "";
}

const char *
pmf_target_log(const pmf_target *t)
{
	return t != NULL ? pmf__sb_str(&t->pyt.log) : "";
}

void
pmf_target_free(pmf_target *t)
{
	if (t == NULL)
		return;
	pmf__freeze_free(&t->freeze);
	pmf__guard_free(&t->guard);
	free(t->selfmaps.arenas);
	pmf__pyt_close(&t->pyt);
	free(t);
}
