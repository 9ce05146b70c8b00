#!/bin/bash
# The consistency guard, on every interpreter: a target whose 4 threads
# hammer the allocator is snapshotted 300 times (tests/support/snapdrive,
# blocking).  Where the interpreter's symbols name pymalloc's functions
# the guard must be on, must have caught threads inside the allocator
# (retries > 0) and every snapshot must be consistent with no untrusted
# pool; where they do not (a stripped build) the guard must say it is off
# and the snapshots must still be consistent.  The CLI shows the guard in
# text and JSON.
. "$TESTS_SRCDIR/integration/lib.sh"

DRIVE="$TESTS_BUILDDIR/support/snapdrive"
N=300
field() { sed -n "s/^$1 //p" "$2"; }

exercised=()
total=0 total_retries=0
while read -r version py; do
	pmf_supported "$version" || continue
	pmf_start_hammer "$py" 16 4 || continue
	# Which file holds the interpreter, and does it name the allocator?
	image=$(awk '$6 ~ /libpython3/ { print $6; exit }' "/proc/$PMF_TARGET/maps")
	[ -n "$image" ] || image=$(readlink -f "/proc/$PMF_TARGET/exe")
	syms=no
	{ nm "$image" 2>/dev/null; nm -D "$image" 2>/dev/null; } |
		grep -qE ' [tT] _PyObject_(Malloc|Free)$' && syms=yes
	# A build configured --without-libunwind has no guard at all.
	if [ $syms = yes ] && "$PYMFRAG" report --pid "$PMF_TARGET" --no-analysis 2>/dev/null |
		grep -q '^guard .*built without libunwind'; then
		syms=no
		pmf_log "$version: pymfrag is built without libunwind"
	fi
	out="$PMF_TMP/$version.drive"
	if ! timeout 120 "$DRIVE" "$PMF_TARGET" $N guard 10 >"$out" 2>"$out.err"; then
		pmf_fail "$version: snapdrive: $(head -5 "$out.err")"
	fi
	pmf_log "$version (symbols: $syms): $(tr '\n' ' ' <"$out")"
	pmf_check "$version: $N snapshots" test "$(field snapshots "$out")" = $N
	pmf_check "$version: no snapshot failed" test "$(field errors "$out")" = 0
	pmf_check "$version: every snapshot consistent" test "$(field inconsistent "$out")" = 0
	pmf_check "$version: no untrusted pool" test "$(field untrusted_pools "$out")" = 0
	retries=$(field guard_retries "$out")
	if [ $syms = yes ]; then
		pmf_check "$version: guard on in every snapshot" \
			test "$(field guard_active "$out")" = $N
		pmf_check "$version: threads caught inside the allocator (retries > 0)" \
			test "${retries:-0}" -gt 0
	else
		pmf_check "$version: guard off without symbols" \
			test "$(field guard_active "$out")" = 0
	fi
	total=$((total + N))
	total_retries=$((total_retries + ${retries:-0}))

	# The CLI shows it.
	"$PYMFRAG" report --pid "$PMF_TARGET" >"$out.txt" 2>"$out.err" ||
		pmf_fail "$version: report: $(cat "$out.err")"
	"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$out.json" 2>"$out.err" ||
		pmf_fail "$version: report json: $(cat "$out.err")"
	"$PYMFRAG" report --pid "$PMF_TARGET" --no-guard -f json >"$out.ng.json" 2>"$out.err" ||
		pmf_fail "$version: report --no-guard: $(cat "$out.err")"
	"$py" - "$out.json" $syms "$out.ng.json" <<'PY' || pmf_fail "$version: JSON guard fields"
import json, sys
d = json.load(open(sys.argv[1]))
g = d["guard"]
want = sys.argv[2] == "yes"
ng = json.load(open(sys.argv[3]))["guard"]
assert ng["active"] is False and ng["retries"] == 0, ng
assert isinstance(g["retries"], int) and g["retries"] >= 0, g
assert g["active"] is want, g
assert ("libunwind" in g["detail"]) if want else g["detail"].startswith("off:"), g
PY
	pmf_ok
	if [ $syms = yes ]; then
		pmf_check "$version: text report names the guard" \
			grep -qE '^guard +libunwind, 8 frames per thread, .*[0-9]+ retr' "$out.txt"
	else
		pmf_check "$version: text report says the guard is off" \
			grep -qE '^guard +off: .*validation only' "$out.txt"
	fi
	pmf_stop_hammer
	exercised+=("$version")
done < <(pmf_discover_pythons)
pmf_log "guard: $total blocking snapshots under load, $total_retries guard retries"
pmf_finish guard "${exercised[@]}"
