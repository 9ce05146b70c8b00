#!/bin/bash
# Dependencies point downward: base <- os <- py <- core <- cli/tui.  Every
# layer may use the public header for its plain types.  System headers
# that touch other processes are for src/os only, curses for src/tui,
# libunwind for src/os/unwind.*.
set -u
src="$TESTS_SRCDIR/../src"
fails=0
allowed() {
	case "$1" in
	base) echo "base" ;;
	os) echo "base os" ;;
	py) echo "base os py" ;;
	core) echo "base os py core" ;;
	cli) echo "cli tui" ;;
	tui) echo "tui" ;;
	esac
}
for f in $(cd "$src" && find . -name '*.[ch]' | sort); do
	layer=$(cut -d/ -f2 <<<"$f")
	ok=" $(allowed "$layer") "
	while read -r inc; do
		dir=${inc%%/*}
		[ "$inc" = "pymfrag.h" ] || [ "$inc" = "config.h" ] && continue
		[ "$dir" = "$inc" ] && continue # same-directory include
		# "pymfrag diff" reads reports, not processes: the CLI may use
		# the JSON reader, plain data code with no view of a target.
		[ "$layer/$inc" = "cli/base/jsonread.h" ] && continue
		if [[ "$ok" != *" $dir "* ]]; then
			echo "check-layering: src/${f#./} ($layer) includes $inc"
			fails=$((fails + 1))
		fi
	done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$src/$f")
	case "$layer/$(basename "$f")" in
	os/*) ;;
	*) if grep -qE '#include <sys/(ptrace|uio)\.h>|process_vm_readv\(|[^_]ptrace\(' "$src/$f"; then
		echo "check-layering: src/${f#./} touches another process outside src/os"
		fails=$((fails + 1))
	fi ;;
	esac
	if grep -qE '#include <n?curses' "$src/$f" && [ "$layer" != tui ]; then
		echo "check-layering: src/${f#./} includes curses outside src/tui"
		fails=$((fails + 1))
	fi
	if grep -qE '#include <libunwind' "$src/$f" &&
		[[ "$f" != ./os/unwind.* ]]; then
		echo "check-layering: src/${f#./} includes libunwind outside src/os/unwind"
		fails=$((fails + 1))
	fi
done
# The library never prints or exits.
lib=$(cd "$src" && grep -lE '\b(printf|puts|exit|abort)\s*\(' base/*.c os/*.c py/*.c core/*.c 2>/dev/null)
if [ -n "$lib" ]; then
	echo "check-layering: library code that prints or exits: $lib"
	fails=$((fails + 1))
fi
# The Python module and the examples are clients of the public API only
# (the module's own headers aside).
for f in "$TESTS_SRCDIR"/../python/*.c "$TESTS_SRCDIR"/../examples/*.c; do
	[ -f "$f" ] || continue
	while read -r inc; do
		[ "$inc" = "pymfrag.h" ] && continue
		# A module source may include its neighbours (python/*.h).
		case $f in */python/*.c) [ -f "${f%/*}/$inc" ] && continue ;; esac
		echo "check-layering: ${f#"$TESTS_SRCDIR"/../} includes \"$inc\" (clients use pymfrag.h only)"
		fails=$((fails + 1))
	done < <(sed -n 's/^#include "\(.*\)".*/\1/p' "$f")
done
echo "check-layering: $fails violations"
[ $fails = 0 ]
