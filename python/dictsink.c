/* SPDX-License-Identifier: MIT */
/*
 * dictsink.c - the JSON report built straight into Python values: a
 * pmf_tree_sink (pymfrag.h) whose events make dicts, lists, str, int,
 * float, bool and None.  stats() used to write the JSON text and hand it
 * to json.loads; this gives the same value (the events are what a parser
 * of the text finds) for a fraction of the cost.
 *
 * Keys repeat in every call (some 400 per report, 60-odd distinct), so
 * each is made once and kept in a small table, compared by content.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <string.h>

#include "dictsink.h"

/* Containers open at once: the report nests 5 deep. */
#define MAX_DEPTH 32
/* The key table: open addressing, a power of two well above the keys. */
#define KEYS 512
#define KEY_MAX 48

struct key_slot {
	char text[KEY_MAX];
	size_t len;
	PyObject *str; /* owned, interned */
};

/* Kept for the main interpreter only (a subinterpreter's str objects die
 * with it, and another may later sit at its address), and emptied when
 * the interpreter is finalized: an embedding program can start a new one,
 * which must not meet the old one's objects.  The GIL guards the table. */
static struct key_slot keys[KEYS];
static bool at_exit_set;

/* After finalization: the objects are gone, nothing to release. */
static void
forget_keys(void)
{
	memset(keys, 0, sizeof(keys));
	at_exit_set = false;
}

static bool
main_interpreter(void)
{
	PyInterpreterState *me = PyThreadState_Get()->interp;
#if PY_VERSION_HEX >= 0x03070000
	return me == PyInterpreterState_Main();
#else
	/* 3.6: the list runs from the newest; the main one is last. */
	PyInterpreterState *i = PyInterpreterState_Head();
	while (i != NULL && PyInterpreterState_Next(i) != NULL)
		i = PyInterpreterState_Next(i);
	return me == i;
#endif
}

struct builder {
	PyObject *stack[MAX_DEPTH]; /* open containers (owned) */
	int depth;
	PyObject *key;  /* the pending key of the innermost dict (owned) */
	PyObject *root; /* the finished top-level value (owned) */
	bool cache_keys; /* keys_usable() */
};

/* Whether this report may use the key table. */
static bool
keys_usable(void)
{
	if (!main_interpreter())
		return false;
	/* No hook, no table: an object kept past finalization would be a
	 * dangling one. */
	if (!at_exit_set && Py_AtExit(forget_keys) == 0)
		at_exit_set = true;
	return at_exit_set;
}

static PyObject *
key_object(bool cache, const char *s, size_t len)
{
	if (!cache || len >= KEY_MAX)
		return PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace");
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	for (unsigned n = 0; n < KEYS; n++) {
		struct key_slot *k = &keys[(h + n) & (KEYS - 1)];
		if (k->str == NULL) {
			PyObject *o = PyUnicode_DecodeUTF8(s, (Py_ssize_t)len,
							   "replace");
			if (o == NULL)
				return NULL;
			PyUnicode_InternInPlace(&o);
			memcpy(k->text, s, len);
			k->len = len;
			k->str = o;
			Py_INCREF(o);
			return o;
		}
		if (k->len == len && memcmp(k->text, s, len) == 0) {
			Py_INCREF(k->str);
			return k->str;
		}
	}
	/* Full (a report never has this many keys): not kept. */
	return PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace");
}

/* Puts V (a new reference, or NULL after a failure) where the report is:
 * under the pending key, at the end of the open list, or as the root. */
static int
place(struct builder *b, PyObject *v)
{
	if (v == NULL)
		return -1;
	int rc = 0;
	if (b->depth == 0) {
		Py_XDECREF(b->root);
		b->root = v;
		return 0;
	}
	PyObject *c = b->stack[b->depth - 1];
	if (PyList_Check(c)) {
		rc = PyList_Append(c, v);
	} else if (b->key != NULL) {
		rc = PyDict_SetItem(c, b->key, v);
		Py_CLEAR(b->key);
	} else {
		PyErr_SetString(PyExc_SystemError,
				"pymfrag: a value without a key in an object");
		rc = -1;
	}
	Py_DECREF(v);
	return rc;
}

static int
on_begin(void *arg, bool array)
{
	struct builder *b = arg;
	if (b->depth == MAX_DEPTH) {
		PyErr_SetString(PyExc_SystemError,
				"pymfrag: the report nests too deep");
		return -1;
	}
	PyObject *c = array ? PyList_New(0) : PyDict_New();
	if (c == NULL)
		return -1;
	/* Placed now, filled after: its parent keeps it in order. */
	Py_INCREF(c);
	if (place(b, c) < 0) {
		Py_DECREF(c);
		return -1;
	}
	b->stack[b->depth++] = c;
	return 0;
}

static int
on_end(void *arg, bool array)
{
	struct builder *b = arg;
	(void)array;
	if (b->depth == 0)
		return -1;
	Py_DECREF(b->stack[--b->depth]);
	return 0;
}

static int
on_key(void *arg, const char *k, size_t len)
{
	struct builder *b = arg;
	Py_XDECREF(b->key);
	b->key = key_object(b->cache_keys, k, len);
	return b->key != NULL ? 0 : -1;
}

static int
on_str(void *arg, const char *s, size_t len)
{
	return place(arg, PyUnicode_DecodeUTF8(s, (Py_ssize_t)len, "replace"));
}

static int
on_u64(void *arg, uint64_t v)
{
	return place(arg, PyLong_FromUnsignedLongLong(v));
}

static int
on_i64(void *arg, int64_t v)
{
	return place(arg, PyLong_FromLongLong(v));
}

static int
on_f64(void *arg, double v)
{
	return place(arg, PyFloat_FromDouble(v));
}

static int
on_bool(void *arg, bool v)
{
	return place(arg, PyBool_FromLong(v));
}

static int
on_null(void *arg)
{
	Py_INCREF(Py_None);
	return place(arg, Py_None);
}

static const struct pmf_tree_sink sink = {
	.begin = on_begin,
	.end = on_end,
	.key = on_key,
	.str = on_str,
	.u64 = on_u64,
	.i64 = on_i64,
	.f64 = on_f64,
	.boolean = on_bool,
	.null = on_null,
};

PyObject *
pymod_report_dict(const pmf_snapshot *s, const char **why)
{
	struct builder b = {.cache_keys = keys_usable()};
	int rc = pmf_report_tree(s, NULL, &sink, &b);
	while (b.depth > 0)
		Py_DECREF(b.stack[--b.depth]);
	Py_XDECREF(b.key);
	if (rc == 0 && b.root == NULL) {
		rc = PMF_EIO;
		PyErr_Clear();
	}
	if (rc < 0) {
		Py_XDECREF(b.root);
		/* A callback's failure left its own exception (MemoryError
		 * above all); the library's are named by the caller. */
		*why = PyErr_Occurred() ? NULL : pmf_strerror(rc);
		return NULL;
	}
	return b.root;
}
