#!/bin/sh
# build.sh PYTHON OUTDIR SRCDIR LIBARCHIVE: builds the extension module
# pymfrag for the interpreter PYTHON into OUTDIR and prints its path.
#
# The interpreter itself says where its headers are and what suffix its
# extensions take, so one build tree can make the module for any CPython
# 3.6+ ("make python-module PYTHON=..."; the tests do it for each one).
# libpymfrag is linked in statically from LIBARCHIVE (PIC objects), its
# symbols hidden (--exclude-libs): the module exports PyInit_pymfrag
# only, needs no rpath and cannot clash with a libpymfrag.so that the
# process loaded too.  The module does not link libpython: the
# interpreter that imports it provides the C API.
#
# CC, CFLAGS (e.g. -Werror, sanitizers), LDFLAGS and LIBS (what
# libpymfrag itself links: libunwind) come from the environment.  The Python headers are -isystem, so their own warnings
# do not count against ours.
set -eu
if [ $# -ne 4 ]; then
	echo "usage: build.sh PYTHON OUTDIR SRCDIR LIBARCHIVE" >&2
	exit 2
fi
py=$1 out=$2 src=$3 lib=$4
info=$("$py" -c 'import sysconfig
print(sysconfig.get_paths()["include"])
print(sysconfig.get_config_var("EXT_SUFFIX") or ".so")') || {
	echo "build.sh: $py does not run: set PYTHON to a CPython 3" >&2
	exit 1
}
inc=$(printf '%s\n' "$info" | sed -n 1p)
suffix=$(printf '%s\n' "$info" | sed -n 2p)
if [ ! -f "$inc/Python.h" ]; then
	echo "build.sh: no Python.h in $inc: install the headers of $py (Debian: python3-dev)" >&2
	exit 1
fi
if [ ! -f "$lib" ]; then
	echo "build.sh: $lib is missing: run make first" >&2
	exit 1
fi
mkdir -p "$out"
mod="$out/pymfrag$suffix"
# shellcheck disable=SC2086
${CC:-cc} -std=gnu11 -fPIC -shared ${CFLAGS:--O2} -Wall -Wextra \
	-Wno-missing-field-initializers -isystem "$inc" -I"$src/include" \
	-o "$mod.tmp" "$src/python/pymfragmodule.c" \
	"$src/python/dictsink.c" "$lib" ${LIBS:-} -lm \
	-Wl,--exclude-libs,ALL \
	${LDFLAGS:-}
mv -f "$mod.tmp" "$mod"
echo "$mod"
