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

echo "usage: $checks checks, $fails failed"
[ $fails = 0 ]
