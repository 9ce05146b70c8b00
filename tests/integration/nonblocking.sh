#!/bin/bash
# Running targets: 1,000 --nonblocking snapshots of a target whose 4
# threads allocate and free as fast as they can, on every interpreter,
# through tests/support/snapdrive (the target opened once; each snapshot
# under a 10 s alarm, the whole run under a 60 s timeout).  No crash, no
# hang, no failed snapshot, and each one internally consistent or
# reporting the pools it could not trust.
. "$TESTS_SRCDIR/integration/lib.sh"

DRIVE="$TESTS_BUILDDIR/support/snapdrive"
N=1000
field() { sed -n "s/^$1 //p" "$2"; }

exercised=()
total=0 total_untrusted=0 total_with=0
while read -r version py; do
	pmf_supported "$version" || continue
	pmf_start_hammer "$py" 16 4 || continue
	out="$PMF_TMP/$version.drive"
	timeout 60 "$DRIVE" "$PMF_TARGET" $N nonblocking 10 >"$out" 2>"$out.err"
	rc=$?
	pmf_log "$version: $(tr '\n' ' ' <"$out")"
	pmf_check "$version: snapdrive exited 0 (no crash, hang or inconsistency; rc $rc)" \
		test $rc = 0
	# What failed, when anything did (snapdrive prints the first five).
	[ $rc = 0 ] && [ "$(field errors "$out")" = 0 ] || head -5 "$out.err"
	pmf_check "$version: $N snapshots" test "$(field snapshots "$out")" = $N
	pmf_check "$version: no snapshot failed" test "$(field errors "$out")" = 0
	pmf_check "$version: every snapshot consistent or its untrusted pools reported" \
		test "$(field inconsistent "$out")" = 0
	pmf_check "$version: the target still runs" kill -0 "$PMF_TARGET"
	total=$((total + N))
	total_untrusted=$((total_untrusted + $(field untrusted_pools "$out")))
	total_with=$((total_with + $(field with_untrusted_pools "$out")))
	pmf_stop_hammer
	exercised+=("$version")
done < <(pmf_discover_pythons)
pmf_log "nonblocking: $total snapshots, $total_with with untrusted pools, $total_untrusted untrusted pools in all"
pmf_finish nonblocking "${exercised[@]}"
