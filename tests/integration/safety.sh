#!/bin/bash
# Target safety: pymfrag SIGKILLed at random moments, most of them while
# it holds the target stopped, never leaves the target stopped or harmed
# (tests/integration/py/safety.py does the runs and the checks).  500
# runs against the first interpreter found, 100 against each other one
# while the test has run for less than 60 s (a sanitizer build is slower).
# PMF_SAFETY_SEED replays a run; by default the seed is the time, printed.
. "$TESTS_SRCDIR/integration/lib.sh"

seed=${PMF_SAFETY_SEED:-$(date +%s)}
exercised=()
total_runs=0 total_kills=0 total_held=0
while read -r version py; do
	pmf_supported "$version" || continue
	if [ ${#exercised[@]} -gt 0 ] && [ $SECONDS -ge 60 ]; then
		pmf_log "$version: skipped, the time budget is spent"
		continue
	fi
	runs=100
	[ ${#exercised[@]} -eq 0 ] && runs=500
	out="$PMF_TMP/$version.safety"
	if timeout 120 "$py" "$TESTS_SRCDIR/integration/py/safety.py" \
		"$PYMFRAG" "$py" "$TESTS_SRCDIR/integration/py/hammer.py" 16 \
		"$runs" "$seed" >"$out" 2>&1; then
		pmf_ok
	else
		pmf_fail "$version: target safety (seed $seed)"
		cat "$out"
	fi
	kills=$(sed -n 's/^kills //p' "$out")
	held=$(sed -n 's/^kills_while_held //p' "$out")
	pmf_log "$version: $(tr '\n' ' ' <"$out")"
	# Kills must have landed inside pauses, or the test proved nothing.
	pmf_check "$version: kills landed while the target was held" \
		test "${held:-0}" -gt $((runs / 10))
	total_runs=$((total_runs + runs))
	total_kills=$((total_kills + ${kills:-0}))
	total_held=$((total_held + ${held:-0}))
	exercised+=("$version")
done < <(pmf_discover_pythons)
pmf_log "safety: $total_runs snapshots, $total_kills kills, $total_held while the target was held (seed $seed)"
pmf_finish safety "${exercised[@]}"
