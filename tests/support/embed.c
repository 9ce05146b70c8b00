/* SPDX-License-Identifier: MIT */
/*
 * embed.c - a program that embeds CPython, for the test of a libpython
 * loaded by something other than python itself: it runs its arguments as
 * the python command would ("embed script.py args...").  Compiled by
 * tests/integration/embed.sh against each interpreter's own headers.
 */
#include <Python.h>

int
main(int argc, char **argv)
{
#if PY_VERSION_HEX >= 0x03080000
	return Py_BytesMain(argc, argv);
#else
	wchar_t **wargv = PyMem_RawMalloc(sizeof(wchar_t *) * (size_t)argc);
	if (wargv == NULL)
		return 1;
	for (int i = 0; i < argc; i++) {
		wargv[i] = Py_DecodeLocale(argv[i], NULL);
		if (wargv[i] == NULL)
			return 1;
	}
	return Py_Main(argc, wargv);
#endif
}
