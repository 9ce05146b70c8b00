#!/bin/bash
# Privacy: reports hold sizes, counts and type names, never the data of
# the target.  A target keeps a random secret in many str and bytes
# objects (in sparse, pinned arenas that --examine reads), as dict keys
# and values, as an attribute value and an attribute name, and in its
# environment; the secret must appear in no output format, with the
# analysis on, every pinned arena examined, and -v logs included.  The
# test also checks that pymfrag did read the arenas holding the secret.
. "$TESTS_SRCDIR/integration/lib.sh"

secret="Zq$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')"
part=${secret:4:10}
exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	minor=$(pmf_minor "$version")
	T="$PMF_TMP/$version"
	pmf_start_target "$py" secret "$T" PMF_SECRET="$secret" || continue
	for fmt in text json debugmallocstats prometheus; do
		"$PYMFRAG" report --pid "$PMF_TARGET" -f "$fmt" -v --examine 100000 \
			--pinned-below 90 >"$T.$fmt" 2>"$T.$fmt.err" ||
			pmf_fail "$version $fmt: $(cat "$T.$fmt.err")"
		pmf_check "$version $fmt: output not empty" test -s "$T.$fmt"
		pmf_check "$version $fmt: -v log not empty" test -s "$T.$fmt.err"
		pmf_check "$version $fmt: no secret in the output or the log" \
			bash -c "! grep -aqF -e '$secret' -e '$part' '$T.$fmt' '$T.$fmt.err'"
	done
	# The secret was there to be found: some of its objects lie in the
	# arenas whose objects pymfrag read, and those are str and bytes.
	arena=$((minor < 10 ? 262144 : 1048576))
	pmf_check "$version: the arenas read hold the secret's objects" \
		"$py" - "$T.json" "$T.ids" "$arena" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
size = int(sys.argv[3])
read = [a["address"] for a in d["arena_list"] if a.get("types")]
ids = [int(x) for x in open(sys.argv[2])]
inside = sum(1 for i in ids for a in read if a <= i < a + size)
names = set(t["name"] for t in d["analysis"]["pinned"]["types"])
sys.exit(0 if inside > 100 and "str" in names else
         "%d of %d secret objects in %d arenas read; types %s" %
         (inside, len(ids), len(read), sorted(names)))
PYEOF
	pmf_stop_target
	exercised+=("$version")
done < <(pmf_discover_pythons)

pmf_finish privacy "${exercised[@]}"
