/* SPDX-License-Identifier: MIT */
/*
 * dictsink.h - the JSON report of a snapshot as Python values.
 */
#ifndef PMF_PYTHON_DICTSINK_H
#define PMF_PYTHON_DICTSINK_H

#include <Python.h>

#include "pymfrag.h"

/* The report of S as a dict with the JSON schema (a new reference).  On
 * failure NULL, with either an exception set (*WHY is then NULL) or,
 * when the library failed, *WHY naming why and no exception.  Hidden:
 * the module exports PyInit_pymfrag only. */
__attribute__((visibility("hidden"))) PyObject *
pymod_report_dict(const pmf_snapshot *s, const char **why);

#endif
