#!/bin/bash
# Command-line handling: --help and --version succeed, every usage error
# exits 2 with one line that says what is wrong.
set -u
: "${PYMFRAG:?}"
fails=0
checks=0

# expect CODE PATTERN ARGS...: exit status CODE, and PATTERN in the
# output (stderr for errors, stdout otherwise).
expect() {
	local code=$1 pattern=$2
	shift 2
	local out rc
	out=$("$PYMFRAG" "$@" 2>&1)
	rc=$?
	checks=$((checks + 1))
	if [ "$rc" != "$code" ] || ! grep -qE -- "$pattern" <<<"$out"; then
		echo "FAIL: pymfrag $*: exit $rc (want $code), output: $out"
		fails=$((fails + 1))
	fi
	# Errors are one line.
	if [ "$code" = 2 ] && [ "$(wc -l <<<"$out")" != 1 ]; then
		echo "FAIL: pymfrag $*: error is not one line: $out"
		fails=$((fails + 1))
	fi
}

expect 0 '^Usage: pymfrag COMMAND' --help
expect 0 '^Usage: pymfrag COMMAND' -h
expect 0 '^Usage: pymfrag COMMAND' help
expect 0 '^pymfrag [0-9]+\.[0-9]+\.[0-9]+$' --version
expect 0 '^pymfrag [0-9]+\.[0-9]+\.[0-9]+$' -V
expect 0 '^Usage: pymfrag report --pid PID' report --help
expect 2 "no command given.*pymfrag --help"
expect 2 "unknown command 'frobnicate'.*pymfrag --help" frobnicate
expect 2 "--pid is required.*pymfrag report --help" report
expect 2 "--pid needs a positive process ID, not 'abc'" report --pid abc
expect 2 "--pid needs a positive process ID, not '-5'" report --pid -5
expect 2 "--pid needs a positive process ID, not '0'" report --pid 0
expect 2 "--pid needs a positive process ID, not '12x'" report --pid 12x
expect 2 "unknown format 'xml'" report --pid 1 --format xml
expect 2 "unknown option '--bogus'" report --pid 1 --bogus
expect 2 "unexpected argument 'extra'" report --pid 1 extra
expect 2 "--pid needs a value" report --pid
expect 2 "--interp needs an interpreter ID, not 'x'" report --pid 1 --interp x
expect 2 "unknown locate method 'guess'" report --pid 1 --locate guess
expect 2 "unknown format 'xml' \(use text, json, debugmallocstats or prometheus\)" report --pid 1 -f xml
expect 0 "--format FORMAT .*prometheus" report --help
expect 0 "--output FILE" report --help
expect 0 "--no-analysis" report --help
expect 0 "--pinned-below PCT" report --help
expect 0 "--examine N\|all" report --help
expect 0 "--top N" report --help
expect 2 "--output needs a value" report --pid 1 --output
expect 2 "--output needs a file name" report --pid 1 --output ''
expect 2 "--output needs a file name" report --pid 1 -o ''
for pct in 0 0.0 -5 100.5 101 abc 10% '' ' 10' nan inf 1e999; do
	expect 2 "--pinned-below needs a percentage above 0 and at most 100, not '$pct'" \
		report --pid 1 --pinned-below "$pct"
done
expect 2 "--pinned-below needs a value" report --pid 1 --pinned-below
for n in ALL All 'all ' al; do
	expect 2 "--examine needs a positive number of arenas or 'all', not '$n'" \
		report --pid 1 --examine "$n"
done
for n in 0 -1 x 1.5 '' ' 3' 4294967296 99999999999999999999; do
	expect 2 "--examine needs a positive number of arenas or 'all', not '$n'" \
		report --pid 1 --examine "$n"
	expect 2 "--top needs a positive number of rows, not '$n'" \
		report --pid 1 --top "$n"
done

echo "usage: $checks checks, $fails failed"
[ $fails = 0 ]
