#!/bin/bash
# Every runtime error is one line naming the cause and the fix, with exit
# status 1: no such process, a zombie, not a Python process, permission
# denied, a process another tracer holds, an unsupported Python version,
# no allocator state, a state that fails validation.  A process without
# pymalloc is not an error: exit 0, saying what it uses instead.
. "$TESTS_SRCDIR/integration/lib.sh"

# expect_err CODE PATTERN ARGS...
expect_err() {
	local code=$1 pattern=$2
	shift 2
	local out rc
	out=$("$PYMFRAG" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != "$code" ]; then
		pmf_fail "pymfrag $*: exit $rc, want $code: $out"
	elif ! grep -qE -- "$pattern" <<<"$out"; then
		pmf_fail "pymfrag $*: message does not match '$pattern': $out"
	elif [ "$code" != 0 ] && [ "$(wc -l <<<"$out")" != 1 ]; then
		pmf_fail "pymfrag $*: error is not one line: $out"
	else
		pmf_ok
	fi
}

# start CMD...: runs CMD in the background, waits for "ready" on its
# stdout; sets BG.
start() {
	local out="$PMF_TMP/bg.$RANDOM"
	"$@" >"$out" 2>&1 &
	BG=$!
	PMF_PIDS+=("$BG")
	for _ in $(seq 200); do
		grep -q ready "$out" 2>/dev/null && return 0
		kill -0 "$BG" 2>/dev/null || break
		sleep 0.05
	done
	pmf_fail "could not start $*: $(cat "$out")"
	return 1
}

# No such process: a reaped child's PID.
sleep 0 &
gone=$!
wait $gone
expect_err 1 "no process with PID $gone; check the PID" report --pid $gone

# A zombie: a child that exited and that its parent does not reap.
zpid=$(bash -c 'sleep 0.2 & echo $!; exec sleep 30' | head -1)
sleep 0.5
PMF_PIDS+=("$zpid")
expect_err 1 "process $zpid \(sleep\) has exited and is a zombie" report --pid "$zpid"

# Not a Python process.
start "$TESTS_BUILDDIR/support/fakepy_none"
expect_err 1 "process $BG \(fakepy_none, .*fakepy_none\) is not a Python process.*point --pid at a CPython process" report --pid "$BG"

# An unsupported version: a program exporting Py_Version 3.15.0.
start "$TESTS_BUILDDIR/support/fakepy_315"
expect_err 1 "Python 3.15.0 is not supported \(pymfrag reads CPython 3.6 to 3.14\)" report --pid "$BG"
# ... and Python 2, when there is one.
py2=$(pmf_discover_pythons | awk '$1 ~ /^2\./ { print $2; exit }')
if [ -n "$py2" ]; then
	start "$py2" -c 'import sys, time; print("ready"); sys.stdout.flush(); time.sleep(60)'
	expect_err 1 "Python 2\.7\.[0-9]+ is not supported" report --pid "$BG"
fi

# No allocator state: 3.11 with pymalloc compiled in but no statics.
start "$TESTS_BUILDDIR/support/fakepy_311"
expect_err 1 "allocator state.*not found|no symbol usedpools" report --pid "$BG"
expect_err 1 "symbols: no symbol usedpools|no symbol usedpools" report --pid "$BG" --locate symbols

# A state that fails validation: a 3.12 lookalike whose arena holds
# garbage instead of pools.
start "$TESTS_BUILDDIR/support/fakepy_312"
expect_err 1 "fail validation.*first pool" report --pid "$BG" --locate table

# Memory that merely resembles an allocator state, in a stripped binary
# whose code reads statics the way CPython's does: refused, no numbers.
strip --strip-all -o "$PMF_TMP/lookalike" "$TESTS_BUILDDIR/support/fakepy_311l"
start "$PMF_TMP/lookalike"
out=$("$PYMFRAG" report --pid "$BG" 2>"$PMF_TMP/lookalike.err")
rc=$?
if [ $rc = 1 ] && [ -z "$out" ] &&
	grep -q "was not valid: it has no symbols.*fail validation" "$PMF_TMP/lookalike.err"; then
	pmf_ok
else
	pmf_fail "lookalike: exit $rc, stdout '$out', stderr $(cat "$PMF_TMP/lookalike.err")"
fi

# A real Python for the next cases.
py=$(pmf_discover_pythons | awk '$1 ~ /^3\.(1[0-4]|[6-9])\./ { p = $2 } END { print p }')
if [ -z "$py" ]; then
	pmf_fail "no CPython 3.6-3.14 found for the remaining error tests"
	pmf_finish errors
fi
version=$("$py" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
pmf_start_target "$py" idle "$PMF_TMP/idle"
target=$PMF_TARGET

# Another tracer holds the target: blocking mode refuses, saying who.
start "$TESTS_BUILDDIR/support/hold" "$target"
expect_err 1 "process $target is already traced by process $BG.*--nonblocking" report --pid "$target"
expect_err 0 "" report --pid "$target" --nonblocking
kill -9 "$BG"
wait "$BG" 2>/dev/null
expect_err 0 "" report --pid "$target"

# An interpreter ID that has no state of its own.
expect_err 1 "no interpreter with ID 7 has its own allocator state in process $target; these do: 0" report --pid "$target" --interp 7

# Permission denied: an unprivileged user against our process, or, when
# we are that unprivileged user, against PID 1.
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null; then
		out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$PYMFRAG" report --pid "$target" 2>&1 >/dev/null)
		rc=$?
		if [ $rc = 1 ] && grep -qE "not allowed to read process $target .*uid 0.* as uid 65534; run pymfrag as the target's user or as root.*CAP_SYS_PTRACE" <<<"$out"; then
			pmf_ok
		else
			pmf_fail "permission denied as uid 65534: exit $rc: $out"
		fi
	else
		pmf_fail "setpriv (util-linux) is needed for the permission test"
	fi
else
	expect_err 1 "not allowed to read process 1 .*ptrace" report --pid 1
fi
pmf_stop_target

# No pymalloc: PYTHONMALLOC=malloc is reported, with exit 0.
pmf_start_target "$py" idle "$PMF_TMP/malloc" PYTHONMALLOC=malloc
expect_err 0 "pymalloc is not in use in process $PMF_TARGET \(allocator: malloc\)" report --pid "$PMF_TARGET" -f debugmallocstats
out=$("$PYMFRAG" report --pid "$PMF_TARGET" 2>&1)
pmf_check "malloc: text says what is used" grep -q 'PYTHONMALLOC=malloc' <<<"$out"
pmf_check "malloc: text shows process memory" grep -q '^process     RSS' <<<"$out"
pmf_stop_target

pmf_finish errors "$version"
