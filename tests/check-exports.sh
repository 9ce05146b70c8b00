#!/bin/bash
# The shared library exports the public API only: every defined dynamic
# symbol starts with "pmf_" followed by a letter (internals are pmf__).
set -u
lib="$TESTS_BUILDDIR/../.libs/libpymfrag.so"
if [ ! -f "$lib" ]; then
	echo "check-exports: $lib was not built (configure --enable-shared)"
	exit 1
fi
syms=$(nm -D --defined-only "$lib" | awk '{ print $3 }')
n=$(wc -w <<<"$syms")
bad=$(grep -vE '^pmf_[a-z]' <<<"$syms")
if [ -n "$bad" ]; then
	echo "check-exports: symbols outside the pmf_ API:"
	echo "$bad"
	exit 1
fi
# The documented entry points are there.
for s in pmf_target_open pmf_snapshot_take pmf_report_write pmf_report_tree pmf_strerror \
	pmf_target_open_self pmf_snapshot_self pmf_write_stdio pmf_snapshot_free; do
	grep -qx "$s" <<<"$syms" || { echo "check-exports: $s missing"; exit 1; }
done
echo "check-exports: $n symbols, all pmf_"
# The Python module links the library statically and hides it: its only
# export is its entry point.
for mod in "$TESTS_BUILDDIR"/../python/pymfrag*.so; do
	[ -f "$mod" ] || continue
	msyms=$(nm -D --defined-only "$mod" | awk '{ print $3 }')
	if [ "$msyms" != PyInit_pymfrag ]; then
		echo "check-exports: $mod exports more than PyInit_pymfrag:"
		echo "$msyms" | head -20
		exit 1
	fi
	echo "check-exports: ${mod##*/} exports PyInit_pymfrag only"
done
