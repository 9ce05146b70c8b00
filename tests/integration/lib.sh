# Shared helpers for the integration tests (sourced by bash).
#
# Interpreters are discovered at run time, never hard-coded: the ones
# named in PMF_TEST_PYTHONS, every pyenv version, python3.X in /usr/bin,
# /usr/local/bin and on PATH.  Each test prints which ones it exercised
# and fails when it exercised none.

set -u

: "${PYMFRAG:?PYMFRAG must name the pymfrag binary}"
: "${TESTS_SRCDIR:?TESTS_SRCDIR must name the tests directory}"

PMF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pymfrag-test.XXXXXX")
PMF_PIDS=()
PMF_FAILS=0
PMF_CHECKS=0

pmf_cleanup() {
	local p
	for p in "${PMF_PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$PMF_TMP"
}
trap pmf_cleanup EXIT
trap 'exit 1' INT TERM

pmf_log() { printf '%s\n' "$*"; }

pmf_fail() {
	PMF_FAILS=$((PMF_FAILS + 1))
	printf 'FAIL: %s\n' "$*"
}

pmf_ok() {
	PMF_CHECKS=$((PMF_CHECKS + 1))
}

# pmf_check DESCRIPTION COMMAND...: runs COMMAND, counts a failure if it
# fails.
pmf_check() {
	local what=$1
	shift
	if "$@"; then
		pmf_ok
	else
		pmf_fail "$what"
	fi
}

# Prints "VERSION PATH" for every distinct CPython found.
pmf_discover_pythons() {
	local -a cands=()
	local p root
	if [ -n "${PMF_TEST_PYTHONS:-}" ]; then
		for p in $PMF_TEST_PYTHONS; do
			cands+=("$(command -v "$p" 2>/dev/null || echo "$p")")
		done
	fi
	root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
	for p in "$root"/versions/*/bin/python[23].[0-9]* \
		/usr/bin/python[23].[0-9]* /usr/local/bin/python[23].[0-9]*; do
		cands+=("$p")
	done
	local IFS=:
	for d in $PATH; do
		for p in "$d"/python3.[0-9]*; do
			cands+=("$p")
		done
	done
	unset IFS
	local -A seen=()
	for p in "${cands[@]}"; do
		[ -x "$p" ] && [ -f "$p" ] || continue
		case "$(basename "$p")" in
		*-config | *.py | *-gdb.py) continue ;;
		esac
		# pyenv shims are scripts; the real binaries are elsewhere.
		head -c 4 "$p" 2>/dev/null | grep -q 'ELF' || continue
		# python3.6 and python3.6m are often one file under two names.
		local id
		id=$(stat -L -c '%d:%i' "$p")
		[ -n "${seen[$id]:-}" ] && continue
		seen[$id]=1
		local v
		v=$("$p" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null) || continue
		printf '%s %s\n' "$v" "$p"
	done | sort -t. -k1,1n -k2,2n -k3,3n
}

# True when VERSION (X.Y.Z) is one pymfrag supports.
pmf_supported() {
	local major minor
	IFS=. read -r major minor _ <<<"$1"
	[ "$major" = 3 ] && [ "$minor" -ge 6 ] && [ "$minor" -le 14 ]
}

# pmf_minor VERSION: the minor number.
pmf_minor() {
	local minor
	IFS=. read -r _ minor _ <<<"$1"
	echo "$minor"
}

# pmf_start_target PY HEAP ORACLE [ENV=VAL...]: starts the test target and
# waits until its oracle is complete.  Sets PMF_TARGET (the PID).
pmf_start_target() {
	local py=$1 heap=$2 oracle=$3
	shift 3
	local out="$oracle.stdout"
	rm -f "$oracle" "$oracle".*
	env "$@" "$py" "$TESTS_SRCDIR/integration/py/target.py" "$heap" \
		"$oracle" >"$out" 2>"$oracle.stderr" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	pmf_wait_oracle "$py $heap" "$oracle"
}

# pmf_wait_oracle WHAT ORACLE: waits until the target PMF_TARGET has
# printed its own statistics to ORACLE (ORACLE.stdout names the marker,
# ORACLE.stderr is quoted if it dies).
pmf_wait_oracle() {
	local what=$1 oracle=$2
	local i marker=
	for ((i = 0; i < 1200; i++)); do
		if ! kill -0 "$PMF_TARGET" 2>/dev/null; then
			pmf_fail "$what: target exited: $(head -c 400 "$oracle.stderr")"
			return 1
		fi
		[ -z "$marker" ] && marker=$(sed -n 's/^marker: //p' "$oracle.stdout")
		# The oracle is complete when its last line (the marker) is
		# there and ends with a newline: CPython writes it in pieces.
		if [ -n "$marker" ] && [ -s "$oracle" ] &&
			grep -qF "$marker" "$oracle" &&
			[ -z "$(tail -c 1 "$oracle")" ]; then
			return 0
		fi
		sleep 0.05
	done
	pmf_fail "$what: target did not print its statistics in 60 s"
	return 1
}

pmf_stop_target() {
	kill -9 "$PMF_TARGET" 2>/dev/null
	wait "$PMF_TARGET" 2>/dev/null
	return 0
}

# pmf_alloc_part FILE: what pymfrag's debugmallocstats format must
# print for FILE, CPython's print: everything from "Small block
# threshold" on, i.e. the allocator statistics then, after a blank line,
# the object free lists (pmf_start_target waits for the last of them).
# Empty when CPython printed no allocator part (tracemalloc, malloc).
pmf_alloc_part() {
	sed -n '/^Small block threshold/,$p' "$1"
}

# pmf_alloc_only FILE: the allocator statistics alone, "Small block
# threshold" through the last "Total" line: what pymfrag prints where it
# cannot locate the free lists (a stripped 3.6-3.9).
pmf_alloc_only() {
	awk '/^Small block threshold/ { p = 1 }
	     p { buf = buf $0 "\n"; if ($1 == "Total") { out = out buf; buf = "" } }
	     END { printf "%s", out }' "$1"
}

# pmf_freelist_lines FILE: the object free-list lines in FILE
# ("   10 free PyDictObjects * 48 bytes each =   480").
pmf_freelist_lines() {
	grep -E '^ *[0-9]+ free [^*]+ \* [0-9]+ bytes each += +[0-9,]+$' "$1"
}

# pmf_want_parts ORACLE: writes ORACLE.want (pmf_alloc_part: CPython's
# whole print, free lists included) and ORACLE.alloc (pmf_alloc_only, for
# where the free lists cannot be located).  Fails when the oracle lacks
# either part.
pmf_want_parts() {
	pmf_alloc_part "$1" >"$1.want"
	pmf_alloc_only "$1" >"$1.alloc"
	if [ ! -s "$1.alloc" ] || ! pmf_freelist_lines "$1" >/dev/null; then
		pmf_fail "$1: the oracle lacks the allocator part or the free lists"
		return 1
	fi
	pmf_ok
}

# pmf_same WHAT EXPECTED ACTUAL: byte comparison with a diff on failure.
pmf_same() {
	if cmp -s "$2" "$3"; then
		pmf_ok
	else
		pmf_fail "$1"
		diff "$2" "$3" | head -20
	fi
}

# pmf_finish NAME VERSIONS...: prints what was exercised; fails if
# nothing was, or if anything failed.
pmf_finish() {
	local name=$1
	shift
	if [ $# -eq 0 ]; then
		pmf_log "$name: no CPython interpreter was exercised (install one, or set PMF_TEST_PYTHONS)"
		exit 1
	fi
	pmf_log "$name: exercised CPython $*"
	pmf_log "$name: $PMF_CHECKS checks passed, $PMF_FAILS failed"
	[ "$PMF_FAILS" -eq 0 ]
}

# pmf_start_hammer PY HEAP_MB THREADS: starts py/hammer.py (THREADS threads
# allocating flat out) and waits for it.  Its stdin is a FIFO held open on
# fd 9 (it answers commands there until EOF); pmf_stop_hammer closes it.
# Sets PMF_TARGET.
pmf_start_hammer() {
	local fifo="$PMF_TMP/hammer.fifo" out="$PMF_TMP/hammer.out" i
	rm -f "$fifo" "$out"
	mkfifo "$fifo"
	"$1" "$TESTS_SRCDIR/integration/py/hammer.py" "$2" "$3" <"$fifo" >"$out" 2>/dev/null &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	exec 9>"$fifo"
	for ((i = 0; i < 600; i++)); do
		grep -qs ready "$out" && return 0
		kill -0 "$PMF_TARGET" 2>/dev/null || break
		sleep 0.05
	done
	pmf_fail "$1: hammer.py did not start"
	return 1
}

pmf_stop_hammer() {
	exec 9>&-
	pmf_stop_target
}

# pmf_pymod_build PY DIR: builds the extension module pymfrag for PY into
# DIR, the way "make python-module" does (python/build.sh), with this
# build's compiler and sanitizers.  The log is DIR.log.
pmf_pymod_build() {
	CC="${PMF_CC:-cc}" CFLAGS="-O2 -Werror ${PMF_SAN_CFLAGS:-}" \
		LDFLAGS="${PMF_SAN_LDFLAGS:-}" LIBS="${PMF_LIB_LIBS:-}" \
		sh "$TESTS_SRCDIR/../python/build.sh" "$1" "$2" \
		"$TESTS_SRCDIR/.." "$TESTS_BUILDDIR/../.libs/libpymfrag-internal.a" \
		>"$2.log" 2>&1
}

# PMF_PYENV: what an interpreter loading that module runs with.  Under
# AddressSanitizer its runtime has to be loaded first (the interpreter is
# not instrumented), and CPython's deliberate leaks at exit are not ours.
# PMF_PYENV_RSS: the same for measuring RSS: without ASan's quarantine,
# which keeps up to 256 MiB of freed memory by design.
PMF_PYENV=()
PMF_PYENV_RSS=()
case "${PMF_SAN_CFLAGS:-}" in
*address*)
	PMF_PYENV=("LD_PRELOAD=$("${PMF_CC:-cc}" -print-file-name=libasan.so)"
		"ASAN_OPTIONS=detect_leaks=0")
	PMF_PYENV_RSS=("${PMF_PYENV[0]}"
		"ASAN_OPTIONS=detect_leaks=0:quarantine_size_mb=0")
	;;
esac

# pmf_has_symtab FILE: true when FILE has a .symtab.
pmf_has_symtab() { [ -n "$(readelf -S --wide "$1" 2>/dev/null | grep -w '\.symtab')" ]; }

# pmf_py_image PY: sets PMF_PY_LIB (its libpython, or ""), PMF_PY_SONAME,
# PMF_PY_PREFIX and PMF_PY_IMAGE (the file holding the interpreter).
pmf_py_image() {
	local info libdir shared
	info=$("$1" -c 'import sys, sysconfig as s
print(s.get_config_var("INSTSONAME") or "-", s.get_config_var("LIBDIR") or "-", sys.prefix, s.get_config_var("Py_ENABLE_SHARED") or 0)')
	read -r PMF_PY_SONAME libdir PMF_PY_PREFIX shared <<<"$info"
	PMF_PY_LIB=
	[ "$shared" = 1 ] && [ -f "$libdir/$PMF_PY_SONAME" ] &&
		PMF_PY_LIB="$libdir/$PMF_PY_SONAME"
	PMF_PY_IMAGE=${PMF_PY_LIB:-$1}
}

# pmf_stripped_copy PY DIR: a copy of PY (and its libpython) stripped of
# every symbol (strip --strip-all), in DIR/bin and DIR/lib.  Sets
# PMF_STRIPPED_EXE, PMF_STRIPPED_IMAGE (the copy that holds the
# interpreter) and PMF_STRIPPED_ENV (what running the copy needs).
pmf_stripped_copy() {
	local py=$1 dir=$2
	pmf_py_image "$py"
	mkdir -p "$dir/bin" "$dir/lib"
	PMF_STRIPPED_EXE="$dir/bin/$(basename "$py")"
	strip --strip-all -o "$PMF_STRIPPED_EXE" "$py"
	PMF_STRIPPED_ENV=(PYTHONHOME="$PMF_PY_PREFIX")
	PMF_STRIPPED_IMAGE=$PMF_STRIPPED_EXE
	if [ -n "$PMF_PY_LIB" ]; then
		strip --strip-all -o "$dir/lib/$PMF_PY_SONAME" "$PMF_PY_LIB"
		PMF_STRIPPED_ENV+=(LD_LIBRARY_PATH="$dir/lib")
		PMF_STRIPPED_IMAGE="$dir/lib/$PMF_PY_SONAME"
	fi
}
