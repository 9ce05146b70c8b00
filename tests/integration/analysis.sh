#!/bin/bash
# The fragmentation analysis against heaps whose answer is known, on every
# interpreter found: one instance of a uniquely named class kept per pool
# pins its arenas; that class must head the pinning table with exactly the
# kept instances lying in the arenas read; residency must agree with an
# independent read of /proc/PID/pagemap; the histogram, stranded bytes
# and pinned arenas must follow their documented formulas
# (py/check_analysis.py).  Freeing everything must leave the arena count
# CPython itself reports.
. "$TESTS_SRCDIR/integration/lib.sh"

# Starts py/pinned.py and waits for its own statistics.
start_pinned() {
	local py=$1 oracle=$2
	shift 2
	rm -f "$oracle" "$oracle".*
	"$py" "$TESTS_SRCDIR/integration/py/pinned.py" 200000 "$CLASS" \
		"$oracle" "$oracle.ids" "$@" >"$oracle.stdout" \
		2>"$oracle.stderr" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	pmf_wait_oracle "$py" "$oracle"
}

CLASS=Zorblax$$
# As CPython's repr() names it: the class is made in __main__.
NAME=__main__.$CLASS
exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	ok=1
	oracle="$PMF_TMP/pinned-$version"
	start_pinned "$py" "$oracle" || continue
	if "$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$oracle.json" \
		2>"$oracle.err"; then
		if ! "$py" "$TESTS_SRCDIR/integration/py/check_analysis.py" \
			"$oracle.json" "$PMF_TARGET" "$NAME" "$oracle.ids"; then
			pmf_fail "$version: analysis of the pinned heap"
			ok=0
		fi
	else
		pmf_fail "$version: pymfrag failed: $(cat "$oracle.err")"
		ok=0
	fi
	if "$PYMFRAG" report --pid "$PMF_TARGET" >"$oracle.txt" 2>"$oracle.err"; then
		pmf_check "$version: the text report leads with a verdict" \
			grep -q '^Verdict: .*held open by.*mostly `'"$NAME"'`' "$oracle.txt"
		pmf_check "$version: the text report lists the pinning types" \
			grep -q "^    $NAME " "$oracle.txt"
	else
		pmf_fail "$version text: $(cat "$oracle.err")"
		ok=0
	fi
	pmf_stop_target

	# Everything freed: the arenas CPython reports, and no pinning type.
	start_pinned "$py" "$oracle" free || continue
	if "$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$oracle.json" \
		2>"$oracle.err"; then
		want=$(sed -n 's/^# arenas allocated current *= *//p' "$oracle" | tr -d ,)
		got=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["arenas"]["current"])' "$oracle.json")
		pmf_check "$version freed: arenas $got, CPython says $want" \
			test "$got" = "$want"
		if ! "$py" "$TESTS_SRCDIR/integration/py/check_analysis.py" \
			"$oracle.json" "$PMF_TARGET" "$NAME" "$oracle.ids"; then
			pmf_fail "$version: analysis of the freed heap"
			ok=0
		fi
		pmf_check "$version freed: $NAME pins nothing" \
			"$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(any(t["name"]==sys.argv[2] for t in d["analysis"]["pinned"]["types"]))' "$oracle.json" "$NAME"
	else
		pmf_fail "$version freed: pymfrag failed: $(cat "$oracle.err")"
		ok=0
	fi
	pmf_stop_target
	[ $ok = 1 ] && exercised+=("$version")
	pmf_log "$version ($py): analysis checked"
done < <(pmf_discover_pythons)

pmf_finish "analysis" "${exercised[@]}"
