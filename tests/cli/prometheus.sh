#!/bin/bash
# --format prometheus and --output on real CPython targets.  The metrics
# must be valid text exposition (checked by tests/support/promcheck.py,
# itself shown to reject known-bad input first, and by promtool when it
# is installed) and carry the numbers of a JSON report of the same
# quiescent target.  --output must replace its file atomically: complete,
# no temporary file left, the old file untouched on failure.
. "$TESTS_SRCDIR/integration/lib.sh"

CHECK="$TESTS_SRCDIR/support/promcheck.py"

pythons=$(pmf_discover_pythons | while read -r v p; do
	pmf_supported "$v" && echo "$v $p"
done)
if [ -z "$pythons" ]; then
	pmf_finish prometheus
fi
# The checker runs on the newest interpreter found (it needs 3.6+ only).
checkpy=$(tail -1 <<<"$pythons" | cut -d' ' -f2)
pmf_log "prometheus: checking with $checkpy"

promcheck() {
	"$checkpy" "$CHECK" --prefix pymalloc_ "$@"
}

# valid WHAT FILE [ARGS...]: FILE passes the checker (and promtool).
valid() {
	local what=$1 file=$2 out
	shift 2
	if out=$(promcheck "$@" "$file"); then
		pmf_ok
	else
		pmf_fail "$what: $out"
	fi
	if command -v promtool >/dev/null; then
		if out=$(promtool check metrics <"$file" 2>&1); then
			pmf_ok
		else
			pmf_fail "$what: promtool: $out"
		fi
	fi
}

# ------------------------------------------------------------------
# The checker rejects what it must.
# ------------------------------------------------------------------
good='# HELP pymalloc_x_bytes Help with \\ and \n escaped.
# TYPE pymalloc_x_bytes gauge
pymalloc_x_bytes{a="q\"uo\\te\n",b="2"} 1.5e3
pymalloc_x_bytes{a="other"} NaN
# HELP pymalloc_y_total Counted.
# TYPE pymalloc_y_total counter
pymalloc_y_total +Inf 1700000000000
'
bad=(
	'missing TYPE|# HELP pymalloc_x h\npymalloc_x 1\n'
	'missing HELP|# TYPE pymalloc_x gauge\npymalloc_x 1\n'
	'no HELP or TYPE|pymalloc_x 1\n'
	'unknown TYPE|# HELP pymalloc_x h\n# TYPE pymalloc_x gauges\npymalloc_x 1\n'
	'bad metric name|# HELP 1x h\n# TYPE 1x gauge\n1x 1\n'
	'bad name character|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc-x 1\n'
	'bad label escape|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="b\\q"} 1\n'
	'unescaped quote|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="b"c"} 1\n'
	'unterminated label|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="b} 1\n'
	'bad label name|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{1a="b"} 1\n'
	'label given twice|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="1",a="2"} 1\n'
	'duplicate series|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="1",b="2"} 1\npymalloc_x{b="2",a="1"} 2\n'
	'counter without _total|# HELP pymalloc_x h\n# TYPE pymalloc_x counter\npymalloc_x 1\n'
	'value not a float|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x 1,5\n'
	'missing value|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="b"}\n'
	'per-arena label|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{arena="3"} 1\n'
	'family split|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x{a="1"} 1\n# HELP pymalloc_y h\n# TYPE pymalloc_y gauge\npymalloc_y 1\npymalloc_x{a="2"} 1\n'
	'HELP after samples|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x 1\n# HELP pymalloc_y h\n# TYPE pymalloc_y gauge\npymalloc_y 1\n# HELP pymalloc_x again\n'
	'second TYPE|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\n# TYPE pymalloc_x gauge\npymalloc_x 1\n'
	'bad HELP escape|# HELP pymalloc_x h\\t\n# TYPE pymalloc_x gauge\npymalloc_x 1\n'
	'no final newline|# HELP pymalloc_x h\n# TYPE pymalloc_x gauge\npymalloc_x 1'
	'wrong prefix|# HELP other_x h\n# TYPE other_x gauge\nother_x 1\n'
	'empty|'
)
printf '%s' "$good" >"$PMF_TMP/good.prom"
valid "checker: known-good input" "$PMF_TMP/good.prom"
for case in "${bad[@]}"; do
	printf "${case#*|}" >"$PMF_TMP/bad.prom"
	if out=$(promcheck "$PMF_TMP/bad.prom"); then
		pmf_fail "checker accepts bad input (${case%%|*})"
	else
		pmf_ok
	fi
done

# ------------------------------------------------------------------
# Every interpreter: valid metrics, equal to the JSON report.
# ------------------------------------------------------------------
exercised=()
while read -r version py; do
	minor=$(pmf_minor "$version")
	T="$PMF_TMP/$version"
	heap=mixed
	[ "$minor" -ge 12 ] && heap=subinterp
	pmf_log "prometheus: $version $py ($heap heap)"
	pmf_start_target "$py" "$heap" "$T" || continue
	if ! "$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.json" 2>"$T.err" ||
		! "$PYMFRAG" report --pid "$PMF_TARGET" -f prometheus --top 3 \
			>"$T.prom" 2>"$T.err"; then
		pmf_fail "$version: pymfrag failed: $(cat "$T.err")"
		pmf_stop_target
		continue
	fi
	valid "$version $heap" "$T.prom" --json "$T.json" --top 3
	if [ "$heap" = subinterp ]; then
		pmf_check "$version: both interpreters labelled" \
			test "$(grep -c '^pymalloc_arenas{interpreter=' "$T.prom")" = 2
	fi

	# --no-analysis: the analysis families are gone, the rest stays.
	"$PYMFRAG" report --pid "$PMF_TARGET" -f prometheus --no-analysis \
		>"$T.noan.prom" 2>"$T.err" || pmf_fail "$version --no-analysis: $(cat "$T.err")"
	valid "$version --no-analysis" "$T.noan.prom" --json "$T.json"
	pmf_check "$version --no-analysis: no analysis metrics" \
		test -z "$(grep -E '^pymalloc_(region|pinned|packed|stranded|arenas_by)' "$T.noan.prom")"
	pmf_check "$version --no-analysis: size classes still there" \
		grep -q '^pymalloc_class_blocks_in_use{interpreter="0",size_class="0",block_size=' "$T.noan.prom"

	# --interp: one interpreter's series only.
	"$PYMFRAG" report --pid "$PMF_TARGET" -f prometheus --interp 0 \
		>"$T.i0.prom" 2>"$T.err" || pmf_fail "$version --interp 0: $(cat "$T.err")"
	valid "$version --interp 0" "$T.i0.prom"
	pmf_check "$version --interp 0: only interpreter 0" \
		test -z "$(grep -E 'interpreter="[1-9]' "$T.i0.prom")"
	pmf_stop_target
	exercised+=("$version")
done <<<"$pythons"

# ------------------------------------------------------------------
# The newest interpreter: label escaping, no pymalloc, --output.
# ------------------------------------------------------------------
py=$checkpy
T="$PMF_TMP/last"

# A type whose name needs escaping, in arenas that are all examined
# (every arena is below 100% utilization): its label, the module and the
# qualified name as repr() shows them, must round-trip.  (No newline:
# the analysis does not take such a name for a type's.)
weird='we"ird\\name'
"$py" - "$weird" >"$T.out" 2>&1 <<'EOF' &
import sys, time
cls = type("Weird", (object,), {"__slots__": ("a", "b")})
cls.__name__ = sys.argv[1]
cls.__qualname__ = sys.argv[1]
objs = [cls() for _ in range(2000)]
keep = objs[::3]
del objs
sleep = time.sleep
sys.stdout.write("ready\n")
sys.stdout.flush()
sleep(600)
EOF
PMF_PIDS+=("$!")
weird_pid=$!
for _ in $(seq 200); do
	grep -q ready "$T.out" && break
	sleep 0.05
done
if "$PYMFRAG" report --pid "$weird_pid" -f prometheus --pinned-below 100 \
	--examine 100000 --top 100000 >"$T.weird.prom" 2>"$T.err"; then
	valid "escaping" "$T.weird.prom"
	if grep -q '^pymalloc_pinned_type_bytes' "$T.weird.prom"; then
		pmf_check "escaping: the type name round-trips" "$checkpy" -c '
import sys
sys.path.insert(0, sys.argv[1])
import promcheck
s = promcheck.parse(open(sys.argv[2]).read())
names = [dict(k[1]).get("type") for k in s if k[0] == "pymalloc_pinned_type_bytes"]
sys.exit(0 if sys.argv[3] in names else "types: %r" % names)' \
			"$TESTS_SRCDIR/support" "$T.weird.prom" "__main__.$weird"
	else
		pmf_log "prometheus: no pinned types reported (analysis not available); escaping round-trip not checked"
	fi
else
	pmf_fail "escaping: $(cat "$T.err")"
fi

# Without pymalloc: valid, says which allocator, no size classes.
if pmf_start_target "$py" idle "$T.malloc" PYTHONMALLOC=malloc; then
	"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.malloc.json" 2>/dev/null
	"$PYMFRAG" report --pid "$PMF_TARGET" -f prometheus >"$T.malloc.prom" 2>"$T.err" ||
		pmf_fail "malloc: $(cat "$T.err")"
	valid "malloc" "$T.malloc.prom" --json "$T.malloc.json"
	pmf_check "malloc: the allocator is named" \
		grep -q '^pymalloc_info{.*allocator="malloc"' "$T.malloc.prom"
	pmf_stop_target
fi

pmf_start_target "$py" sparse "$T.sparse"
target=$PMF_TARGET
D="$PMF_TMP/textfile"
mkdir -p "$D/sub.prom"

# A new file: complete, valid, readable by others, nothing else left.
out=$( (umask 022 && "$PYMFRAG" report --pid "$target" -f prometheus \
	--output "$D/pymalloc.prom") 2>&1)
rc=$?
pmf_check "--output: exit 0 and nothing printed ($rc: $out)" test "$rc" = 0 -a -z "$out"
valid "--output" "$D/pymalloc.prom"
pmf_check "--output: mode 644 under umask 022" \
	test "$(stat -c %a "$D/pymalloc.prom")" = 644
pmf_check "--output: no temporary file left" \
	test "$(ls -A "$D" | sort | tr '\n' ' ')" = "pymalloc.prom sub.prom "

# An existing file is replaced by a new one (rename, not rewrite).
echo old >"$D/pymalloc.prom"
inode=$(stat -c %i "$D/pymalloc.prom")
"$PYMFRAG" report --pid "$target" -f prometheus -o "$D/pymalloc.prom" ||
	pmf_fail "--output over an existing file failed"
valid "--output over an existing file" "$D/pymalloc.prom"
pmf_check "--output: the file is replaced, not rewritten" \
	test "$(stat -c %i "$D/pymalloc.prom")" != "$inode"

# Any format can go to a file.
"$PYMFRAG" report --pid "$target" -f debugmallocstats -o "$D/dms.txt" >"$T.dms" ||
	pmf_fail "--output with debugmallocstats failed"
pmf_check "--output: nothing on stdout" test ! -s "$T.dms"
pmf_check "--output: debugmallocstats in the file" \
	grep -q '^Small block threshold' "$D/dms.txt"
rm -f "$D/dms.txt"

# expect_fail WHAT PATTERN ARGS...: exit 1, one line matching PATTERN on
# stderr, nothing on stdout, the old report and nothing else in $D.
expect_fail() {
	local what=$1 pattern=$2
	shift 2
	local rc
	echo old >"$D/pymalloc.prom"
	"$PYMFRAG" "$@" >"$T.fail.out" 2>"$T.fail.err"
	rc=$?
	if [ "$rc" != 1 ] || [ -s "$T.fail.out" ] ||
		[ "$(wc -l <"$T.fail.err")" != 1 ] ||
		! grep -qE -- "$pattern" "$T.fail.err"; then
		pmf_fail "$what: exit $rc, stdout '$(cat "$T.fail.out")', stderr '$(cat "$T.fail.err")'"
	else
		pmf_ok
	fi
	pmf_check "$what: the old report is untouched" \
		test "$(cat "$D/pymalloc.prom")" = old
	pmf_check "$what: no temporary file left" \
		test "$(ls -A "$D" | sort | tr '\n' ' ')" = "pymalloc.prom sub.prom "
}

expect_fail "--output in a missing directory" \
	"cannot write the report to $D/missing/x\.prom: .*No such file or directory" \
	report --pid "$target" -f prometheus --output "$D/missing/x.prom"
expect_fail "--output onto a directory" \
	"cannot write the report to $D/sub\.prom: rename: Is a directory" \
	report --pid "$target" -f prometheus --output "$D/sub.prom"

# Interrupted before the rename (strace holds it in fsync for 3 s): the
# temporary file goes with the process.
if command -v strace >/dev/null && command -v pgrep >/dev/null; then
	rm -f "$D/pymalloc.prom"
	strace -o /dev/null -e trace=fsync -e inject=fsync:delay_exit=3000000 \
		"$PYMFRAG" report --pid "$target" -f prometheus \
		-o "$D/pymalloc.prom" 2>/dev/null &
	st=$!
	PMF_PIDS+=("$st")
	tmp=
	for _ in $(seq 100); do
		tmp=$(ls -A "$D" | grep '^\.pymalloc\.prom\.')
		[ -n "$tmp" ] && break
		sleep 0.05
	done
	child=$(pgrep -P "$st")
	if [ -n "$tmp" ] && [ -n "$child" ]; then
		kill -TERM "$child"
		wait "$st" 2>/dev/null
		pmf_check "SIGTERM: no temporary file, no report left ($(ls -A "$D" | tr '\n' ' '))" \
			test "$(ls -A "$D" | sort | tr '\n' ' ')" = "sub.prom "
	else
		pmf_log "prometheus: strace could not hold pymfrag; interruption not checked"
		wait "$st" 2>/dev/null
	fi
fi

sleep 0 &
gone=$!
wait $gone
expect_fail "--output when the inspection fails" \
	"no process with PID $gone" \
	report --pid "$gone" -f prometheus --output "$D/pymalloc.prom"
pmf_stop_target

pmf_finish prometheus "${exercised[@]}"
