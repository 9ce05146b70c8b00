#!/bin/bash
# Symbol-less locating, checked against symbols on the same processes.
#
# For every interpreter with symbols, a stripped copy (strip --strip-all
# of the executable and of libpython, in a temporary prefix) must give
# byte-identical debugmallocstats output with --locate scan (and table on
# 3.12+), and every address the symbol-less methods locate must equal the
# one the symbols give: the unstripped files serve as the stripped
# process's detached debug files, found by build-id.  On the unstripped
# interpreter itself, symbols and scan must agree too.  Interpreters that
# are stripped already (Debian's /usr/bin/python3.11) are checked against
# their own print.
#
# The object free lists after the allocator part must be CPython's too
# wherever they can be reached: through symbols (the image's or the debug
# file's) on 3.6-3.9, whose free lists are file statics, and through
# _PyRuntime on 3.10+, stripped or not.  Where they cannot be (a stripped
# 3.6-3.9 copy without its debug file) the allocator part must still be
# exact and the free lists absent, never guessed.
. "$TESTS_SRCDIR/integration/lib.sh"

# addresses JSON: the located addresses as "name=value" lines.
addresses() {
	"$3" -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k, v in sorted(d["locate"]["addresses"].items()):
    print("%s=%d" % (k, v))
print("allocator=%s" % d["allocator"])' "$1" >"$2"
}

# agree WHAT REF OTHER REQUIRED...: every address both located must be
# equal, and the REQUIRED ones must have been located by OTHER.
agree() {
	local what=$1 ref=$2 other=$3
	shift 3
	local bad
	bad=$(awk -F= 'NR == FNR { ref[$1] = $2; next }
		$2 != 0 && ref[$1] != 0 && ref[$1] != $2 { print $1 ": " ref[$1] " vs " $2 }' "$ref" "$other")
	local k
	for k in "$@"; do
		grep -q "^$k=[1-9]" "$other" || bad="$bad $k not located;"
	done
	if [ -z "$bad" ]; then pmf_ok; else pmf_fail "$what: $bad"; fi
}

# snapshot PID METHOD OUT [ARGS...]: debugmallocstats and JSON.
snapshot() {
	local pid=$1 m=$2 out=$3
	shift 3
	"$PYMFRAG" report --pid "$pid" --locate "$m" -f debugmallocstats "$@" \
		>"$out.dms" 2>"$out.err" &&
		"$PYMFRAG" report --pid "$pid" --locate "$m" -f json "$@" \
			>"$out.json" 2>>"$out.err"
}

exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	minor=$(pmf_minor "$version")
	pmf_py_image "$py"
	lib=$PMF_PY_LIB
	image=$PMF_PY_IMAGE
	# 3.12 has no symbol for its state: there _PyRuntime (exported even
	# when stripped) plus the gdb-verified offset table is the reference.
	methods="scan"
	[ "$minor" -ge 13 ] && methods="table scan"
	refu=symbols
	refs=debugfile
	[ "$minor" -eq 12 ] && refu=table && refs=table
	required="arenas maxarenas ntimes_arena_allocated narenas_highwater"
	[ "$minor" -ge 10 ] && required="$required arena_map_mid_count arena_map_bot_count"
	[ "$minor" -le 11 ] && required="$required usedpools"
	[ "$minor" -ge 12 ] && required="state usedpools arenas"
	T="$PMF_TMP/$version"

	if ! pmf_has_symtab "$image"; then
		# Stripped already: its own print is the only reference.
		pmf_start_target "$py" mixed "$T.oracle" || continue
		pmf_want_parts "$T.oracle"
		want="$T.oracle.want"
		# 3.6-3.9 keep their free lists in .symtab-only statics.
		[ "$minor" -le 9 ] && want="$T.oracle.alloc"
		for m in $methods; do
			snapshot "$PMF_TARGET" "$m" "$T.$m" ||
				pmf_fail "$version (stripped) $m: $(cat "$T.$m.err")"
			pmf_same "$version (stripped) --locate $m" "$want" "$T.$m.dms"
		done
		pmf_stop_target
		exercised+=("$version(stripped)")
		continue
	fi

	# 1. The unstripped interpreter: symbols and scan agree.
	pmf_start_target "$py" mixed "$T.oracle" || continue
	pmf_want_parts "$T.oracle"
	cp "$T.oracle.want" "$T.want"
	snapshot "$PMF_TARGET" $refu "$T.sym" || pmf_fail "$version $refu: $(cat "$T.sym.err")"
	pmf_same "$version unstripped --locate $refu" "$T.want" "$T.sym.dms"
	addresses "$T.sym.json" "$T.sym.addr" "$py"
	for m in $methods; do
		if snapshot "$PMF_TARGET" "$m" "$T.u$m"; then
			pmf_same "$version unstripped --locate $m" "$T.want" "$T.u$m.dms"
			addresses "$T.u$m.json" "$T.u$m.addr" "$py"
			agree "$version unstripped: $m vs $refu" "$T.sym.addr" "$T.u$m.addr" $required
		else
			pmf_fail "$version unstripped $m: $(cat "$T.u$m.err")"
		fi
	done
	pmf_stop_target

	# 2. A stripped copy in a prefix of its own.
	pmf_stripped_copy "$py" "$T"
	exe=$PMF_STRIPPED_EXE
	env=("${PMF_STRIPPED_ENV[@]}")
	# The unstripped originals are the copies' debug files.
	for f in "$py" $lib; do
		id=$(readelf -n "$f" | awk '/Build ID/ { print $3 }')
		[ -n "$id" ] || continue
		mkdir -p "$T/debug/.build-id/${id:0:2}"
		ln -sf "$f" "$T/debug/.build-id/${id:0:2}/${id:2}.debug"
	done
	pmf_start_target "$exe" mixed "$T.soracle" "${env[@]}" || continue
	pid=$PMF_TARGET
	copy=$PMF_STRIPPED_IMAGE
	pmf_check "$version: the stripped copy is what runs" \
		grep -qF "$copy" "/proc/$pid/maps"
	pmf_has_symtab "$copy" && pmf_fail "$version: the copy still has a symbol table"
	pmf_want_parts "$T.soracle"
	# With the debug file every version's free lists are in reach;
	# without it only 3.10+'s, through _PyRuntime.
	cp "$T.soracle.want" "$T.swant"
	nosym="$T.soracle.want"
	[ "$minor" -le 9 ] && nosym="$T.soracle.alloc"
	if snapshot "$pid" $refs "$T.dbg" --debug-dir "$T/debug"; then
		pmf_same "$version stripped --locate $refs" "$T.swant" "$T.dbg.dms"
		addresses "$T.dbg.json" "$T.dbg.addr" "$py"
	else
		pmf_fail "$version stripped $refs: $(cat "$T.dbg.err")"
	fi
	for m in $methods; do
		if snapshot "$pid" "$m" "$T.s$m"; then
			pmf_same "$version stripped --locate $m" "$nosym" "$T.s$m.dms"
			addresses "$T.s$m.json" "$T.s$m.addr" "$py"
			agree "$version stripped: $m vs $refs" "$T.dbg.addr" "$T.s$m.addr" $required
			pmf_check "$version stripped $m: allocator is pymalloc" \
				grep -qx 'allocator=pymalloc' "$T.s$m.addr"
		else
			pmf_fail "$version stripped $m: $(cat "$T.s$m.err")"
		fi
	done
	# auto picks a method that works and says which.
	"$PYMFRAG" report --pid "$pid" -f debugmallocstats -v >"$T.auto" 2>"$T.autolog"
	pmf_same "$version stripped --locate auto" "$nosym" "$T.auto"
	if [ "$minor" -le 9 ]; then
		pmf_check "$version stripped: no free lists without symbols" \
			bash -c '! grep -q " bytes each " "$1"' - "$T.auto"
	fi
	pmf_check "$version stripped: --verbose says why symbols failed" \
		grep -q 'has no .symtab' "$T.autolog"
	pmf_stop_target
	rm -rf "$T"
	exercised+=("$version")
	pmf_log "$version ($py): symbol-less methods agree with the symbols"
done < <(pmf_discover_pythons)

pmf_finish stripped "${exercised[@]}"
