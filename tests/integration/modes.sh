#!/bin/bash
# Allocator modes on every interpreter: under CPython's debug hooks
# (PYTHONMALLOC=pymalloc_debug, or debug) the arenas are pymalloc's and
# the numbers must still equal CPython's own; with tracemalloc CPython prints no
# allocator statistics, yet the arenas are there and pymfrag must walk
# them; PYTHONMALLOC=malloc and (3.13+) mimalloc are reported as such,
# without pymalloc tables, exit 0.
. "$TESTS_SRCDIR/integration/lib.sh"

json_field() {
	"$2" -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = d
for k in sys.argv[2].split("."):
    v = v[k] if v is not None else None
print(v)' "$1" "$3"
}

exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	minor=$(pmf_minor "$version")
	T="$PMF_TMP/$version"

	# Debug hooks: the same arenas, the same numbers.  PYTHONMALLOC=debug
	# puts the hooks on the default allocator: pymalloc from 3.7 on, the
	# C library's malloc on 3.6 (whose print then has no pymalloc part).
	for mode in pymalloc_debug debug; do
		pmf_start_target "$py" mixed "$T.dbg" PYTHONMALLOC=$mode || continue
		pmf_alloc_part "$T.dbg" >"$T.dbg.want"
		"$PYMFRAG" report --pid "$PMF_TARGET" -f debugmallocstats >"$T.dbg.got" 2>"$T.err" ||
			pmf_fail "$version $mode: $(cat "$T.err")"
		pmf_same "$version $mode: debugmallocstats" "$T.dbg.want" "$T.dbg.got"
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.dbg.json" 2>"$T.err"
		# 3.6 hooks the debug mode on malloc (CPython then prints no
		# pymalloc part): the name must follow CPython's own print.
		want=pymalloc_debug
		[ -s "$T.dbg.want" ] || want=malloc_debug
		pmf_check "$version $mode: allocator named $want" \
			test "$(json_field "$T.dbg.json" "$py" allocator)" = $want
		pmf_stop_target
	done

	# tracemalloc: CPython prints nothing of its allocator; we do.
	if pmf_start_target "$py" mixed "$T.tm" PYTHONTRACEMALLOC=1; then
		pmf_check "$version tracemalloc: CPython prints no allocator part" \
			test -z "$(pmf_alloc_part "$T.tm")"
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.tm.json" 2>"$T.err" ||
			pmf_fail "$version tracemalloc: $(cat "$T.err")"
		pmf_check "$version tracemalloc: pymalloc behind a hook" \
			test "$(json_field "$T.tm.json" "$py" allocator)" = pymalloc_hooked
		# Its name needs symbols (a static function).
		if grep -q '"image": "/usr/bin' "$T.tm.json" &&
			! readelf -S "$py" | grep -qw '\.symtab'; then
			pmf_check "$version tracemalloc: an unnamed hook" \
				grep -q '"allocator_detail": "behind a hook' "$T.tm.json"
		else
			pmf_check "$version tracemalloc: the hook is named" \
				grep -q '"allocator_detail": "behind tracemalloc' "$T.tm.json"
		fi
		pmf_check "$version tracemalloc: the arenas are walked" \
			test "$(json_field "$T.tm.json" "$py" arenas.current)" -gt 0
		pmf_stop_target
	fi

	# malloc, and mimalloc where it exists: no pymalloc tables.
	modes="malloc"
	[ "$minor" -ge 13 ] && modes="malloc mimalloc"
	for mode in $modes; do
		pmf_start_target "$py" idle "$T.$mode" PYTHONMALLOC=$mode || continue
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.$mode.json" 2>"$T.err" ||
			pmf_fail "$version $mode: $(cat "$T.err")"
		pmf_check "$version $mode: allocator named" \
			test "$(json_field "$T.$mode.json" "$py" allocator)" = "$mode"
		pmf_check "$version $mode: no pymalloc tables" \
			test "$(json_field "$T.$mode.json" "$py" arenas)" = None
		pmf_check "$version $mode: process memory shown" \
			test "$(json_field "$T.$mode.json" "$py" process.rss_bytes)" -gt 0
		"$PYMFRAG" report --pid "$PMF_TARGET" -f debugmallocstats >"$T.$mode.dms" 2>/dev/null
		pmf_check "$version $mode: no debugmallocstats output, like CPython" \
			test ! -s "$T.$mode.dms"
		pmf_stop_target
	done
	exercised+=("$version")
done < <(pmf_discover_pythons)

pmf_finish modes "${exercised[@]}"
