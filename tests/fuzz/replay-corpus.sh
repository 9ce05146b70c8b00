#!/bin/bash
# Replays each fuzz target's committed corpus (seeds and every input
# that once crashed a target) through the target's own code, built
# without libFuzzer: a crash, a sanitizer report or a hang fails.
set -u
fails=0 total=0
for t in walk elf maps smaps procfs; do
	dir="$TESTS_SRCDIR/fuzz/corpus/$t"
	n=$(find "$dir" -type f | wc -l)
	if [ "$n" -lt 3 ]; then
		echo "FAIL: $t: only $n inputs in $dir"
		fails=$((fails + 1))
		continue
	fi
	if out=$(timeout 120 "$TESTS_BUILDDIR/fuzz/replay_$t" "$dir" 2>&1); then
		echo "ok: $out"
		total=$((total + n))
	else
		echo "FAIL: replay_$t: $out" | tail -20
		fails=$((fails + 1))
	fi
done
echo "corpus: $total inputs replayed, $fails targets failed"
[ $fails = 0 ]
