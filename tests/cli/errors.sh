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


# A damaged interpreter file: copies whose section headers are cut off
# (truncated) or whose header points them out of the file (corrupted).
# The kernel runs them (it reads program headers only); pymfrag cannot
# parse them and says so.
elf_damage() { # FILE truncate|corrupt
	"$py" - "$@" <<'EOF'
import struct, sys
path, how = sys.argv[1], sys.argv[2]
b = bytearray(open(path, "rb").read())
shoff = struct.unpack_from("<Q", b, 0x28)[0]
if how == "truncate":
    b = b[:shoff]
else:
    struct.pack_into("<Q", b, 0x28, shoff + (1 << 40))
open(path, "wb").write(b)
EOF
}
damaged=()
cp "$TESTS_BUILDDIR/support/fakepy_311" "$PMF_TMP/fake_damaged"
damaged+=("$PMF_TMP/fake_damaged:corrupt")
# A real interpreter whose executable holds it (Debian's python3.11).
static_py=$(pmf_discover_pythons | while read -r v p; do
	pmf_supported "$v" && readelf --dyn-syms -W "$p" 2>/dev/null |
		grep -qw Py_Initialize && { echo "$p"; break; }
done)
if [ -n "$static_py" ]; then
	cp "$static_py" "$PMF_TMP/py_truncated"
	damaged+=("$PMF_TMP/py_truncated:truncate")
fi
for d in "${damaged[@]}"; do
	elf_damage "${d%%:*}" "${d##*:}"
	if [ "${d%%:*}" = "$PMF_TMP/fake_damaged" ]; then
		start "${d%%:*}"
	else
		start "${d%%:*}" -c 'import time; print("ready", flush=True); time.sleep(60)'
	fi
	expect_err 1 "process $BG \(.*\): cannot read its interpreter: malformed ELF file: section header table out of bounds .*must be intact" report --pid "$BG"
	kill -9 "$BG"
done
pmf_log "damaged ELF: ${damaged[*]}"
[ -n "$static_py" ] || pmf_log "no interpreter in an executable here: the damaged-ELF case ran on the fake program only"

# The target exits during the snapshot: killed at a random moment while
# pymfrag walks a heap of a million objects.  Each run either finishes
# or says in one line that the process went away, never anything else;
# at least one kill must land inside a snapshot.  The moments are spread
# over how long one report takes here (much longer under valgrind).
mid_target() {
	start "$py" -c 'import time
class P(object):
    __slots__ = ("a",)
keep = [P() for _ in range(3000000)][::3]
print("ready", flush=True)
time.sleep(60)'
}
mid_target
t0=$(date +%s%N)
"$PYMFRAG" report --pid "$BG" >/dev/null 2>&1
span_ms=$((($(date +%s%N) - t0) / 1000000 + 1))
kill -9 "$BG"
wait "$BG" 2>/dev/null
mid=0
for i in $(seq 12); do
	mid_target
	delay_ms=$((RANDOM % span_ms))
	(sleep "$((delay_ms / 1000)).$(printf %03d $((delay_ms % 1000)))"; kill -9 "$BG") &
	killer=$!
	out=$(timeout 60 "$PYMFRAG" report --pid "$BG" 2>&1 >"$PMF_TMP/mid.out")
	rc=$?
	wait "$killer"
	if [ $rc = 0 ] && grep -q '^Verdict' "$PMF_TMP/mid.out"; then
		:
	elif [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
		grep -qE "process $BG exited; check the PID|no process with PID $BG|process $BG \(.*\) has exited and is a zombie" <<<"$out"; then
		grep -q "process $BG exited" <<<"$out" && mid=$((mid + 1))
	else
		pmf_fail "killed mid-snapshot (run $i): exit $rc: $out"
	fi
	wait "$BG" 2>/dev/null
	[ $mid -ge 2 ] && break
done
pmf_log "killed mid-snapshot: $mid of $i runs (kills within ${span_ms} ms) ended 'process N exited'"
pmf_check "a kill landed inside a snapshot ($mid times): one-line 'process N exited'" test $mid -ge 1

# Unreadable /proc files: a target that made itself non-dumpable has
# /proc/PID/maps, mem... owned by root; its own user cannot read them.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	nd_py=
	for p in "$py" /usr/bin/python3; do
		as_nobody "$p" -c pass 2>/dev/null && { nd_py=$p; break; }
	done
	if [ -n "$nd_py" ]; then
		cd /
		start as_nobody "$nd_py" -c 'import ctypes, time
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)
print("ready", flush=True)
time.sleep(60)'
		cd - >/dev/null
		nd=$(pgrep -P "$BG" 2>/dev/null || echo "$BG")
		pmf_check "non-dumpable target: /proc/PID/maps unreadable to its user" \
			bash -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat /proc/$nd/maps >/dev/null 2>&1"
		out=$(as_nobody "$PYMFRAG" report --pid "$nd" 2>&1 >/dev/null)
		rc=$?
		if [ $rc = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
			grep -qE "not allowed to read process $nd \(python.*uid 65534\) although it runs as the same user: its /proc files are not readable.*PR_SET_DUMPABLE.*run pymfrag as .*root" <<<"$out"; then
			pmf_ok
		else
			pmf_fail "unreadable /proc files: exit $rc: $out"
		fi
		kill -9 "$BG" "$nd" 2>/dev/null
	else
		pmf_log "no Python runnable as uid 65534: unreadable /proc case skipped"
	fi
else
	expect_err 1 "not allowed to read process 1 " report --pid 1
fi

# Hundreds of threads: 300 asleep.  Every one is stopped for the walk and
# released after it; the pause and the count are reported.
pmf_start_target "$py" threads "$PMF_TMP/threads" PMF_THREADS=300
"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$PMF_TMP/threads.json" 2>"$PMF_TMP/threads.err"
pmf_check "300 threads: report ok: $(cat "$PMF_TMP/threads.err")" test $? = 0
"$py" - "$PMF_TMP/threads.json" <<'EOF' || pmf_fail "300 threads: JSON figures"
import json, sys
d = json.load(open(sys.argv[1]))
def find(o, k):
    if isinstance(o, dict):
        if k in o:
            return o[k]
        for v in o.values():
            r = find(v, k)
            if r is not None:
                return r
    return None
stopped, pause = find(d, "threads_stopped"), find(d, "pause_us")
assert stopped == 301, stopped
assert pause is not None and pause > 0, pause
EOF
"$PYMFRAG" report --pid "$PMF_TARGET" >"$PMF_TMP/threads.txt" 2>&1
pmf_check "300 threads: text reports the pause and 301 threads" \
	grep -qE '^snapshot +target paused [0-9.]+ [mu]?s \(301 threads\)' "$PMF_TMP/threads.txt"
pmf_check "300 threads: none left stopped" \
	test "$(awk '{ print $3 }' /proc/"$PMF_TARGET"/task/*/stat | grep -c '[tT]')" = 0
pmf_stop_target

# An arena table of 16384 entries: 8200 arenas of 256 KiB live at once
# (2 GiB, on 3.6-3.9), all freed again; CPython never shrinks the table.
# Where only 1 MiB arenas exist (3.10+) the same 2 GiB gives a table of
# 4096.  The numbers must still be CPython's own.
big_py=$(pmf_discover_pythons | awk '$1 ~ /^3\.[6-9]\./ { print $1, $2; exit }')
if [ -n "$big_py" ]; then
	arenas=8200 table=16384
else
	big_py=$(pmf_discover_pythons | awk '$1 ~ /^3\.1[0-4]\./ { print $1, $2; exit }')
	arenas=2100 table=4096
fi
big_version=${big_py%% *}
big_py=${big_py#* }
pmf_log "arena table: $arenas arenas on $big_version, expecting $table entries"
pmf_start_target "$big_py" bigtable "$PMF_TMP/bigtable" PMF_ARENAS=$arenas
"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$PMF_TMP/bigtable.json" 2>"$PMF_TMP/bigtable.err"
pmf_check "arena table of $table ($big_version): report: $(cat "$PMF_TMP/bigtable.err")" test $? = 0
pmf_check "arena table of $table ($big_version): table_size" \
	"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
size = d["arenas"]["table_size"]
sys.exit(0 if size == int(sys.argv[2]) else "table_size %s" % size)' "$PMF_TMP/bigtable.json" "$table"
pmf_alloc_part "$PMF_TMP/bigtable" >"$PMF_TMP/bigtable.want"
"$PYMFRAG" report --pid "$PMF_TARGET" -f debugmallocstats >"$PMF_TMP/bigtable.got" 2>&1
pmf_same "arena table of $table ($big_version): debugmallocstats equals CPython's" \
	"$PMF_TMP/bigtable.want" "$PMF_TMP/bigtable.got"
pmf_stop_target

pmf_finish errors "$version" ${big_version:+"$big_version"}
