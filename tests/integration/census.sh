#!/bin/bash
# What pins memory, against the target's own census, on every interpreter
# found and on a copy of it stripped of every symbol.
#
# py/census.py builds heaps of slotted records (a str and a float each),
# instances of an ordinary class (750 of a second class survive), and a
# mix of decimal.Decimal (a C extension's heap type), containers,
# frozensets, bytes, tuples and strings; frees most of it; writes the id
# and type name of every object it can reach; frees the census and goes
# quiet.  py/check_census.py then requires pymfrag's table of what pins
# the arenas to name at least 99% of the census objects in pinned arenas
# with their type, for every type, and the census's own classes exactly.
# The same holds with a thread of the target allocating and freeing
# objects of another class while pymfrag reads the arenas (the reads come
# after the target is released), and with the debug hooks' padding
# (PYTHONMALLOC=pymalloc_debug).  The pause stays the walk's: the report
# says how long the target was stopped and how long the walk took.
. "$TESTS_SRCDIR/integration/lib.sh"

EXACT=(--exact __main__.Rec --exact __main__.Plain --exact __main__.Sparse750)

# census WHAT PY OUT [--load] [ENV=VAL...]: runs py/census.py, reports on
# it and checks the report against the census.
census() {
	local what=$1 py=$2 out=$3 load=
	shift 3
	if [ "${1:-}" = --load ]; then
		load=--load
		shift
	fi
	rm -f "$out".*
	env "$@" "$py" "$TESTS_SRCDIR/integration/py/census.py" "$out.census" \
		"$out.ready" $load >"$out.stdout" 2>"$out.stderr" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	local i
	for ((i = 0; i < 1200; i++)); do
		[ -s "$out.ready" ] && break
		if ! kill -0 "$PMF_TARGET" 2>/dev/null; then
			pmf_fail "$what: the target exited: $(head -c 400 "$out.stderr")"
			return 1
		fi
		sleep 0.05
	done
	if [ ! -s "$out.ready" ]; then
		pmf_fail "$what: the target did not take its census in 60 s"
		pmf_stop_target
		return 1
	fi
	if ! "$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$out.json" \
		2>"$out.err"; then
		pmf_fail "$what: pymfrag failed: $(cat "$out.err")"
		pmf_stop_target
		return 1
	fi
	pmf_stop_target
	if "$py" "$TESTS_SRCDIR/integration/py/check_census.py" "$out.json" \
		"$out.census" "${EXACT[@]}" >"$out.check"; then
		pmf_ok
		pmf_log "$what: $(head -n 1 "$out.check")"
	else
		pmf_fail "$what: the pinning table does not match the census"
		cat "$out.check"
		return 1
	fi
	# The walk and the pause: nothing else happens while the target is
	# stopped (a margin for the stop and the release themselves).  A
	# quiet target's pools all hold together as read: none read again,
	# none given up (a carved block's tail on a never-touched page once
	# made its pool look torn).
	"$py" - "$out.json" "$load" <<'PY' || pmf_fail "$what: the target was stopped beyond the walk, or a quiet pool read torn"
import json, sys
with open(sys.argv[1]) as f:
    d = json.load(f)
ok = True
if d["pause_us"] > d["walk_us"] * 1.25 + 20000:
    print("pause %d us, walk %d us" % (d["pause_us"], d["walk_us"]))
    ok = False
reads = d["analysis"]["reads"]
if not sys.argv[2] and (reads["pools_torn"] or reads["pools_retried"]):
    print("reads of a quiet target: %r" % reads)
    ok = False
sys.exit(0 if ok else 1)
PY
}

exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	T="$PMF_TMP/$version"
	ok=1
	census "$version" "$py" "$T" || ok=0
	census "$version under load" "$py" "$T.load" --load || ok=0
	census "$version debug hooks" "$py" "$T.hooks" \
		PYTHONMALLOC=pymalloc_debug || ok=0
	pmf_py_image "$py"
	if pmf_has_symtab "$PMF_PY_IMAGE"; then
		pmf_stripped_copy "$py" "$T.strip"
		census "$version stripped copy" "$PMF_STRIPPED_EXE" "$T.s" \
			"${PMF_STRIPPED_ENV[@]}" || ok=0
	fi
	rm -rf "$T.strip"
	[ $ok = 1 ] && exercised+=("$version")
done < <(pmf_discover_pythons)

pmf_finish census "${exercised[@]}"
