/* SPDX-License-Identifier: MIT */
/*
 * pymfragmodule.c - the Python extension module "pymfrag": pymfrag's
 * snapshot of the running interpreter, taken in-process through the
 * public API of libpymfrag (linked in statically, see python/build.sh).
 *
 *   pymfrag.stats(*, analysis=False, process=True, pss=False) -> dict
 *       the JSON report's schema, built from its events (dictsink.c)
 *   pymfrag.report(format="text", *, analysis=False, process=True, pss=False) -> str
 *   pymfrag.notes() -> str   what opening this process found (-v)
 *
 * Both run with the GIL held and never release it: holding it is what
 * keeps the allocator still during the walk.  Nothing is allocated
 * through Python before the walk ends: the arguments are parsed without
 * building objects (METH_FASTCALL: no argument tuple, which would come
 * off the tuple free list that the report counts), and the report is
 * written into a libc buffer that becomes a str only afterwards.  So
 * "sys._debugmallocstats(); pymfrag.report('debugmallocstats')" gives the
 * same text twice.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dictsink.h"
#include "pymfrag.h"

/* 3.6 had METH_FASTCALL with keyword names always passed; 3.7 split it
 * into METH_FASTCALL and METH_FASTCALL | METH_KEYWORDS with the same
 * four-argument signature as 3.6's. */
#if PY_VERSION_HEX < 0x03070000
#define CALL_FLAGS METH_FASTCALL
#else
#define CALL_FLAGS (METH_FASTCALL | METH_KEYWORDS)
#endif

static PyObject *pmf_error; /* pymfrag.Error */

/* The handle on this process: opening locates the allocator (reads the
 * interpreter's ELF file), so it is done once and kept.  The GIL
 * serializes its users.  A fork child opens its own. */
static pmf_target *self_target;
static pid_t self_pid;

/* A libc buffer the report is written into during the walk. */
struct outbuf {
	char *p;
	size_t len, cap;
};

static int
outbuf_write(void *arg, const char *data, size_t len)
{
	struct outbuf *b = arg;
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16384;
		while (cap < b->len + len + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

/* What a call asked for. */
struct call_opts {
	enum pmf_format format;
	bool analysis; /* PMF_SNAP_ANALYZE */
	bool process;  /* read the process's memory figures */
	bool pss;      /* ... PSS too: /proc/self/smaps_rollup */
};

/* Takes a snapshot of this process into *OUT.  Returns 0, or a PMF code
 * with the detail in ERR.  Touches no Python object. */
static int
take_snapshot(const struct call_opts *c, pmf_snapshot **out, char *err,
	      size_t errlen)
{
	int rc;
	if (self_target != NULL && self_pid != getpid()) {
		pmf_target_free(self_target);
		self_target = NULL;
	}
	if (self_target == NULL) {
		pmf_target *t = pmf_target_new();
		if (t == NULL) {
			snprintf(err, errlen, "out of memory");
			return PMF_ENOMEM;
		}
		rc = pmf_target_open_self(t, NULL);
		if (rc < 0) {
			snprintf(err, errlen, "%s", pmf_target_errmsg(t));
			pmf_target_free(t);
			return rc;
		}
		self_target = t;
		self_pid = getpid();
	}
	struct pmf_snapshot_opts o = {0};
	if (c->analysis)
		o.flags |= PMF_SNAP_ANALYZE;
	/* The kernel's page walk for smaps_rollup is most of the cost of a
	 * small snapshot: by default the figures come from the counters of
	 * /proc/self/status (no PSS); debugmallocstats shows neither. */
	if (!c->process || c->format == PMF_FORMAT_DEBUGMALLOCSTATS)
		o.flags |= PMF_SNAP_NO_PROCESS;
	else if (!c->pss)
		o.flags |= PMF_SNAP_PROCESS_FAST;
	rc = pmf_snapshot_take_opts(self_target, &o, out);
	if (rc < 0)
		snprintf(err, errlen, "%s", pmf_target_errmsg(self_target));
	return rc;
}

/* Takes a snapshot and writes it in C's FORMAT into B. */
static int
take_report(const struct call_opts *c, struct outbuf *b, char *err,
	    size_t errlen)
{
	pmf_snapshot *s = NULL;
	int rc = take_snapshot(c, &s, err, errlen);
	if (rc < 0)
		return rc;
	rc = pmf_report_write(s, c->format, NULL, outbuf_write, b);
	pmf_snapshot_free(s);
	if (rc < 0)
		snprintf(err, errlen, "cannot write the %s report",
			 pmf_format_name(c->format));
	return rc;
}

static PyObject *
raise_pmf(int rc, const char *detail)
{
	PyErr_Format(pmf_error, "%s (%s)", detail[0] ? detail
						     : pmf_strerror(rc),
		     pmf_errname(rc));
	return NULL;
}

/* Stores the truth of V in *OUT; -1 with an exception set. */
static int
flag_arg(PyObject *v, bool *out)
{
	int r = PyObject_IsTrue(v);
	if (r < 0)
		return -1;
	*out = r != 0;
	return 0;
}

/* Parses (format=..., *, analysis=..., process=...) without creating any
 * object.  WITH_FORMAT: report() (stats() takes no format). */
static int
parse_args(const char *fname, bool with_format, PyObject *const *args,
	   Py_ssize_t nargs, PyObject *kwnames, struct call_opts *c)
{
	PyObject *fmt = NULL, *ana = NULL, *proc = NULL, *pss = NULL;
	Py_ssize_t maxpos = with_format ? 1 : 0;
	if (nargs > maxpos) {
		PyErr_Format(PyExc_TypeError,
			     "%s() takes at most %zd positional argument%s",
			     fname, maxpos, maxpos == 1 ? "" : "s");
		return -1;
	}
	if (nargs == 1)
		fmt = args[0];
	Py_ssize_t nkw = kwnames != NULL ? PyTuple_GET_SIZE(kwnames) : 0;
	for (Py_ssize_t i = 0; i < nkw; i++) {
		PyObject *name = PyTuple_GET_ITEM(kwnames, i);
		PyObject **slot = NULL;
		if (with_format &&
		    PyUnicode_CompareWithASCIIString(name, "format") == 0)
			slot = &fmt;
		else if (PyUnicode_CompareWithASCIIString(name, "analysis") == 0)
			slot = &ana;
		else if (PyUnicode_CompareWithASCIIString(name, "process") == 0)
			slot = &proc;
		else if (PyUnicode_CompareWithASCIIString(name, "pss") == 0)
			slot = &pss;
		if (slot == NULL || *slot != NULL) {
			PyErr_Format(PyExc_TypeError,
				     "%s() got an unexpected or repeated "
				     "keyword argument '%U'",
				     fname, name);
			return -1;
		}
		*slot = args[nargs + i];
	}
	c->format = with_format ? PMF_FORMAT_TEXT : PMF_FORMAT_JSON;
	c->analysis = false;
	c->process = true;
	c->pss = false;
	if (fmt != NULL) {
		if (!PyUnicode_Check(fmt)) {
			PyErr_Format(PyExc_TypeError,
				     "%s(): format must be a str, not %.100s",
				     fname, Py_TYPE(fmt)->tp_name);
			return -1;
		}
		/* A compact ASCII str (every valid name) is its own UTF-8:
		 * no allocation. */
		const char *name = PyUnicode_AsUTF8(fmt);
		if (name == NULL)
			return -1;
		if (pmf_format_parse(name, &c->format) < 0) {
			PyErr_Format(PyExc_ValueError,
				     "%s(): unknown format '%s' (use text, "
				     "json, debugmallocstats or prometheus)",
				     fname, name);
			return -1;
		}
	}
	if (ana != NULL && flag_arg(ana, &c->analysis) < 0)
		return -1;
	if (proc != NULL && flag_arg(proc, &c->process) < 0)
		return -1;
	if (pss != NULL && flag_arg(pss, &c->pss) < 0)
		return -1;
	return 0;
}

static PyObject *
report_str(const struct call_opts *c)
{
	struct outbuf b = {0};
	char err[600];
	int rc = take_report(c, &b, err, sizeof(err));
	if (rc < 0) {
		free(b.p);
		return raise_pmf(rc, err);
	}
	PyObject *r = PyUnicode_DecodeUTF8(b.p ? b.p : "", (Py_ssize_t)b.len,
					   "replace");
	free(b.p);
	return r;
}

PyDoc_STRVAR(report_doc,
	     "report(format='text', *, analysis=False, process=True, "
	     "pss=False) -> str\n\n"
	     "pymfrag's report on this process's allocator, taken now with "
	     "the GIL\nheld.  format: 'text', 'json', 'debugmallocstats' "
	     "(the same text as\nsys._debugmallocstats() prints, returned "
	     "instead of written to fd 2)\nor 'prometheus'.  analysis=True "
	     "adds the fragmentation analysis\n(residency, pinned arenas, "
	     "object types) to text, json and prometheus.  The\nprocess's "
	     "memory comes from the kernel's counters (/proc/self/status:\n"
	     "RSS, swap, peak); pss=True adds PSS (/proc/self/smaps_rollup, "
	     "a walk\nof every page table: most of the cost of a small "
	     "snapshot);\nprocess=False leaves the process's memory out.");

static PyObject *
py_report(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
	  PyObject *kwnames)
{
	struct call_opts c;
	(void)self;
	if (parse_args("report", true, args, nargs, kwnames, &c) < 0)
		return NULL;
	return report_str(&c);
}

PyDoc_STRVAR(stats_doc,
	     "stats(*, analysis=False, process=True, pss=False) -> dict\n\n"
	     "The snapshot of this process's allocator as a dict with the "
	     "schema of\n`pymfrag report --format json` (doc/json-schema.md): "
	     "size classes,\narenas, the byte partition, free lists, process "
	     "memory.  Taken now,\nwith the GIL held; the dict is built after "
	     "the walk.  analysis,\nprocess and pss: as for report().");

static PyObject *
py_stats(PyObject *self, PyObject *const *args, Py_ssize_t nargs,
	 PyObject *kwnames)
{
	struct call_opts c;
	(void)self;
	if (parse_args("stats", false, args, nargs, kwnames, &c) < 0)
		return NULL;
	pmf_snapshot *s = NULL;
	char err[600];
	int rc = take_snapshot(&c, &s, err, sizeof(err));
	if (rc < 0)
		return raise_pmf(rc, err);
	/* Built from the report's events after the walk: the same value
	 * json.loads(report("json")) gives, without the text. */
	const char *why = NULL;
	PyObject *r = pymod_report_dict(s, &why);
	pmf_snapshot_free(s);
	if (r == NULL && why != NULL) {
		snprintf(err, sizeof(err), "cannot build the report: %s", why);
		return raise_pmf(PMF_EIO, err);
	}
	return r;
}

PyDoc_STRVAR(notes_doc,
	     "notes() -> str\n\n"
	     "The notes pymfrag took on this process while opening it (how "
	     "the\nallocator was located, how the memory map is read), one per "
	     "line, as\n`pymfrag report -v` prints them; '' before the first "
	     "stats() or\nreport().");

static PyObject *
py_notes(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	const char *log = self_target != NULL && self_pid == getpid()
				  ? pmf_target_log(self_target)
				  : "";
	return PyUnicode_DecodeUTF8(log, (Py_ssize_t)strlen(log), "replace");
}

static PyMethodDef methods[] = {
	{"stats", (PyCFunction)(void (*)(void))py_stats, CALL_FLAGS,
	 stats_doc},
	{"report", (PyCFunction)(void (*)(void))py_report, CALL_FLAGS,
	 report_doc},
	{"notes", py_notes, METH_NOARGS, notes_doc},
	{NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(module_doc,
	     "pymfrag: CPython's pymalloc allocator, seen from inside.\n\n"
	     "stats() and report() take pymfrag's snapshot of this process "
	     "in-process,\nwith the GIL held: the same data as `pymfrag "
	     "report --pid PID` from\noutside.  See pymfrag(1) and "
	     "pymfrag(3).");

static struct PyModuleDef module_def = {
	PyModuleDef_HEAD_INIT,
	"pymfrag",
	module_doc,
	-1,
	methods,
	NULL,
	NULL,
	NULL,
	NULL,
};

PyMODINIT_FUNC PyInit_pymfrag(void);

PyMODINIT_FUNC
PyInit_pymfrag(void)
{
	PyObject *m = PyModule_Create(&module_def);
	if (m == NULL)
		return NULL;
	if (pmf_error == NULL) {
		pmf_error = PyErr_NewExceptionWithDoc(
			"pymfrag.Error",
			"A snapshot could not be taken; the message says why.",
			PyExc_RuntimeError, NULL);
		if (pmf_error == NULL)
			goto fail;
	}
	Py_INCREF(pmf_error);
	if (PyModule_AddObject(m, "Error", pmf_error) < 0) {
		Py_DECREF(pmf_error);
		goto fail;
	}
	if (PyModule_AddStringConstant(m, "__version__", PMF_VERSION_STRING) < 0)
		goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
