#!/bin/bash
# pymfrag diff on every interpreter found: a target builds a heap and holds
# still; report A is taken; on a command the target allocates a known
# number of objects of one size class and holds still again; report B is
# taken.  What "pymfrag diff A B" prints, as text and as JSON, must equal
# B - A computed independently from the two files, and the grown class
# must have grown by at least what was allocated.  Then "diff A A" shows
# no change, and every error exits with its status and one line.
. "$TESTS_SRCDIR/integration/lib.sh"

GROW=100000

# The target: phase 1, "ready 1", wait for a byte on stdin; phase 2 (GROW
# more objects of one class), "ready 2", wait again.  os.read and
# os.write are bound beforehand, so waiting allocates nothing.
cat >"$PMF_TMP/grow.py" <<'EOF'
import os
import sys


class Pin(object):
    __slots__ = ("a", "b")


def main():
    read, write = os.read, os.write
    n = int(sys.argv[1])
    keep = [[Pin() for _ in range(50000)]]
    write(1, b"ready 1\n")
    read(0, 1)
    keep.append([Pin() for _ in range(n)])
    write(1, b"ready 2\n")
    read(0, 1)


main()
EOF

# The checker: B - A from the two reports, against the diff's JSON and
# text.  Prints the grown class's index; exits 1 with a message on the
# first mismatch.
cat >"$PMF_TMP/check.py" <<'EOF'
import json
import sys

a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
d = json.load(open(sys.argv[3]))
text = open(sys.argv[4]).read().splitlines()
grow = int(sys.argv[5])


def fail(msg):
    sys.stderr.write("check: %s\n" % msg)
    sys.exit(1)


def triple(what, t, old, new):
    if t != {"old": old, "new": new, "delta": new - old}:
        fail("%s: %r, want old %d new %d" % (what, t, old, new))


def signed(v):
    return ("+" if v > 0 else "") + "{:,}".format(v)


if d.get("diff_schema_version") != 1 or d.get("changed") is not True:
    fail("header: %r" % {k: d.get(k) for k in ("diff_schema_version", "changed")})
for sec, base_a, base_b in (("arenas", a["arenas"], b["arenas"]),
                            ("bytes", a["bytes"], b["bytes"]),
                            ("process", a["process"], b["process"])):
    keys = set(d[sec])
    if not keys:
        fail("%s: empty" % sec)
    for k in keys:
        triple("%s.%s" % (sec, k), d[sec][k], base_a[k], base_b[k])
for k in ("current", "highwater", "allocated_total", "reclaimed"):
    if k not in d["arenas"]:
        fail("arenas.%s missing" % k)

fields = (("pools", "pools"), ("blocks_in_use", "blocks_in_use"),
          ("blocks_available", "blocks_available"))
ca = {c["index"]: c for c in a["size_classes"]}
cb = {c["index"]: c for c in b["size_classes"]}
want = {}
tot = {k: [0, 0] for k in ("pools", "blocks_in_use", "blocks_available",
                           "bytes_in_use")}
for i in sorted(set(ca) & set(cb)):
    x, y = ca[i], cb[i]
    row = {k: (x[k], y[k]) for k, _ in fields}
    row["bytes_in_use"] = (x["blocks_in_use"] * x["size"],
                           y["blocks_in_use"] * y["size"])
    for k in tot:
        tot[k][0] += row[k][0]
        tot[k][1] += row[k][1]
    if any(o != n for o, n in row.values()):
        want[i] = (x["size"], row)
got = {c["index"]: c for c in d["size_classes"]}
if sorted(got) != sorted(want):
    fail("changed classes %s, want %s" % (sorted(got), sorted(want)))
for i, (size, row) in want.items():
    if got[i]["size"] != size:
        fail("class %d size %r" % (i, got[i]["size"]))
    for k, (o, n) in row.items():
        triple("class %d %s" % (i, k), got[i][k], o, n)
for k, (o, n) in tot.items():
    triple("total %s" % k, d["size_classes_total"][k], o, n)

# The grown class: the most blocks gained, about GROW of them (the
# interpreter frees or allocates a few more of that size meanwhile).
grown = max(want, key=lambda i: want[i][1]["blocks_in_use"][1] -
            want[i][1]["blocks_in_use"][0])
size, row = want[grown]
du = row["blocks_in_use"][1] - row["blocks_in_use"][0]
if abs(du - grow) > grow // 100:
    fail("class %d gained %d blocks, not about the %d allocated" %
         (grown, du, grow))

# The text: the summary, the grown class's row, the totals.
arenas = (a["arenas"]["current"], b["arenas"]["current"])
head = "arenas {:,} -> {:,} ({}, ".format(arenas[0], arenas[1],
                                          signed(arenas[1] - arenas[0]))
if not text[0].startswith(head):
    fail("summary %r does not start with %r" % (text[0], head))
if text[0] != d["summary"]:
    fail("text summary %r, json summary %r" % (text[0], d["summary"]))
rows = [l.split() for l in text]
want_row = [str(grown), str(size)] + [
    signed(row[k][1] - row[k][0])
    for k in ("pools", "blocks_in_use", "blocks_available", "bytes_in_use")]
if want_row not in rows:
    fail("no text row %r" % want_row)
want_tot = ["total"] + [signed(tot[k][1] - tot[k][0])
                        for k in ("pools", "blocks_in_use",
                                  "blocks_available", "bytes_in_use")]
if want_tot not in rows:
    fail("no text row %r" % want_tot)
cur = ["current", "{:,}".format(arenas[0]), "{:,}".format(arenas[1]),
       signed(arenas[1] - arenas[0])]
if not any(r[:4] == cur for r in rows):
    fail("no text row %r" % cur)
print(grown)
EOF

# expect CODE PATTERN ARGS...: exit status CODE, PATTERN on stderr, one
# line of it when CODE is not 0.
expect() {
	local code=$1 pattern=$2
	shift 2
	local out rc
	out=$("$PYMFRAG" diff "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" != "$code" ]; then
		pmf_fail "pymfrag diff $*: exit $rc, want $code: $out"
	elif ! grep -qE -- "$pattern" <<<"$out"; then
		pmf_fail "pymfrag diff $*: message does not match '$pattern': $out"
	elif [ -n "$out" ] && [ "$(wc -l <<<"$out")" != 1 ]; then
		pmf_fail "pymfrag diff $*: more than one line: $out"
	else
		pmf_ok
	fi
}

# wait_for FILE LINE: until LINE is in FILE (the target's stdout).
wait_for() {
	local i
	for ((i = 0; i < 1200; i++)); do
		grep -qx "$2" "$1" 2>/dev/null && return 0
		kill -0 "$PMF_TARGET" 2>/dev/null || break
		sleep 0.05
	done
	pmf_fail "target did not print '$2': $(cat "$1" "$1.err" 2>/dev/null | head -c 400)"
	return 1
}

# run VERSION PY: the grow scenario on one interpreter.
run() {
	local version=$1 py=$2 T="$PMF_TMP/$1" fd
	mkfifo "$T.in" || return 1
	"$py" "$PMF_TMP/grow.py" "$GROW" <"$T.in" >"$T.out" 2>"$T.out.err" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	exec {fd}>"$T.in"
	local ok=1
	if wait_for "$T.out" "ready 1" &&
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.a.json" 2>"$T.err" &&
		printf g >&$fd && wait_for "$T.out" "ready 2" &&
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$T.b.json" 2>>"$T.err"; then
		:
	else
		pmf_fail "$version: could not take the two reports: $(cat "$T.err")"
		ok=0
	fi
	exec {fd}>&-
	kill -9 "$PMF_TARGET" 2>/dev/null
	wait "$PMF_TARGET" 2>/dev/null
	[ $ok = 1 ] || return 1

	if ! "$PYMFRAG" diff "$T.a.json" "$T.b.json" >"$T.txt" 2>"$T.err" ||
		! "$PYMFRAG" diff --format json "$T.a.json" "$T.b.json" \
			>"$T.diff.json" 2>>"$T.err"; then
		pmf_fail "$version: pymfrag diff failed: $(cat "$T.err")"
		return 1
	fi
	pmf_check "$version: diff printed nothing on stderr" test ! -s "$T.err"
	local grown
	if grown=$("$py" "$PMF_TMP/check.py" "$T.a.json" "$T.b.json" \
		"$T.diff.json" "$T.txt" "$GROW" 2>"$T.check"); then
		pmf_ok
		pmf_log "$version ($py): class $grown grew; $(head -1 "$T.txt")"
	else
		pmf_fail "$version: $(cat "$T.check")"
		sed -n '1,40p' "$T.txt"
	fi

	# A report against itself: no change anywhere.
	"$PYMFRAG" diff "$T.a.json" "$T.a.json" >"$T.same.txt" 2>"$T.err"
	pmf_check "$version: diff A A says no change" \
		grep -q '^no change: arenas ' "$T.same.txt"
	pmf_check "$version: diff A A lists no class" \
		grep -q '(no size class changed)' "$T.same.txt"
	"$PYMFRAG" diff -f json "$T.a.json" "$T.a.json" >"$T.same.json" 2>"$T.err"
	pmf_check "$version: diff A A in JSON" "$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
def zero(v):
    if isinstance(v, dict):
        return all(zero(x) for k, x in v.items() if k != "old" and k != "new")
    if isinstance(v, list):
        return all(zero(x) for x in v)
    return not isinstance(v, int) or isinstance(v, bool) or v == 0
assert d["changed"] is False and d["size_classes"] == [], d
for k in ("arenas", "bytes", "process", "analysis", "size_classes_total"):
    assert zero(d[k]), k
' "$T.same.json"
	return 0
}

exercised=()
first=
while read -r version py; do
	pmf_supported "$version" || continue
	if run "$version" "$py"; then
		exercised+=("$version")
		[ -z "$first" ] && first="$PMF_TMP/$version"
	fi
done < <(pmf_discover_pythons)

# Errors, on the files of the first interpreter that ran.
if [ -n "$first" ]; then
	A="$first.a.json"
	B="$first.b.json"
	E="$PMF_TMP/err"
	expect 0 '^$' "$A" "$B"
	expect 1 "^pymfrag: cannot read $E.missing: No such file or directory; check the path$" \
		"$E.missing" "$B"
	expect 1 "^pymfrag: cannot read $PMF_TMP: Is a directory" "$A" "$PMF_TMP"
	printf '{"schema_version": 2, "arenas": ' >"$E.trunc"
	expect 1 "^pymfrag: $E.trunc is not JSON \(line 1, column 33: unexpected end of input: the object opened at line 1, column 1 is not closed\); pass a file written by 'pymfrag report --format json'$" \
		"$E.trunc" "$B"
	echo 'pid 42' >"$E.text"
	expect 1 "$E.text is not JSON \(line 1, column 1: unexpected 'p', expected a value\)" \
		"$A" "$E.text"
	truncate -s 17M "$E.big"
	expect 1 "^pymfrag: $E.big is larger than 16 MiB, more than any pymfrag report; pass a file written by 'pymfrag report --format json'$" \
		"$A" "$E.big"
	: >"$E.empty"
	expect 1 "$E.empty is not JSON \(line 1, column 1: unexpected end of input" "$E.empty" "$B"
	head -c 100000 /dev/zero | tr '\0' '[' >"$E.bomb"
	expect 1 "$E.bomb is not JSON \(line 1, column 65: nested deeper than 64 levels\)" \
		"$E.bomb" "$B"
	echo '{"tool": {"name": "pymfrag"}, "pid": 1}' >"$E.noschema"
	expect 1 "^pymfrag: $E.noschema is not a pymfrag report \(no schema_version\); pass a file written by 'pymfrag report --format json'$" \
		"$E.noschema" "$B"
	echo '[1, 2]' >"$E.array"
	expect 1 "$E.array is not a pymfrag report \(not a JSON object\)" "$A" "$E.array"
	sed 's/"schema_version": 2,/"schema_version": 99,/' "$A" >"$E.future"
	expect 1 "^pymfrag: $E.future has report schema_version 99 \(written by pymfrag [0-9.]+\), which pymfrag [0-9.]+ does not read \(it reads 2\); compare it with the pymfrag that wrote it$" \
		"$E.future" "$B"
	"$PYMFRAG" diff -f json "$A" "$B" >"$E.diffout" 2>/dev/null
	expect 1 "$E.diffout is not a pymfrag report \(it is the output of 'pymfrag diff'\)" \
		"$E.diffout" "$B"
	# Another CPython version: a warning, and the diff goes on.
	sed 's/"version": "3\.[0-9]*\.[0-9]*[a-z0-9]*"/"version": "3.99.0"/' "$B" >"$E.otherpy"
	expect 0 "^pymfrag: warning: $A is CPython 3\.[0-9.]+ and $E.otherpy is CPython 3\.99\.0; comparing what both report$" \
		"$A" "$E.otherpy"
	pmf_check "a version warning still diffs" \
		bash -c '"$PYMFRAG" diff "$1" "$2" 2>/dev/null | head -1 | grep -q "^arenas "' _ "$A" "$E.otherpy"
	# Size classes that disagree: class 0 holding 8-byte blocks.
	sed '0,/"size": 16,/s//"size": 8,/' "$B" >"$E.classes"
	expect 1 "^pymfrag: $A and $E.classes have different size classes \(class [0-9]+ holds 16-byte blocks in one, 8-byte in the other\); compare reports of the same CPython build$" \
		"$A" "$E.classes"
	expect 1 "^pymfrag: $A has no allocator state for interpreter 7 \(it has: 0\); pick one of those with --interp$" \
		--interp 7 "$A" "$B"
	expect 0 '^$' --interp 0 "$A" "$B"
	pmf_check "standard input as NEW" \
		bash -c '"$PYMFRAG" diff "$1" - <"$2" | head -1 | grep -q "^arenas "' _ "$A" "$B"
fi

# Usage errors need no interpreter.
expect 2 "^pymfrag: two reports are needed, OLD and NEW \(see 'pymfrag diff --help'\)$"
expect 2 "two reports are needed" a.json
expect 2 "unexpected argument 'c.json'" a.json b.json c.json
expect 2 "unknown format 'xml' \(use text or json\)" -f xml a.json b.json
expect 2 "unknown format 'debugmallocstats'" --format debugmallocstats a.json b.json
expect 2 "--interp needs an interpreter ID, not 'x'" --interp x a.json b.json
expect 2 "--interp needs an interpreter ID, not '-1'" --interp -1 a.json b.json
expect 2 "unknown option '--bogus'" --bogus a.json b.json
expect 2 "--format needs a value" a.json b.json --format
expect 2 "only one of OLD and NEW can be '-'" - -
out=$("$PYMFRAG" diff --help 2>&1)
pmf_check "diff --help" grep -q '^Usage: pymfrag diff \[OPTION\]... OLD.json NEW.json' <<<"$out"

pmf_finish diff "${exercised[@]}"
