#!/bin/bash
# Byte-identical check against CPython's own sys._debugmallocstats(), on
# every interpreter found: for each of several known heaps the target
# prints its statistics and holds still; pymfrag's debugmallocstats output
# must equal that print exactly - the allocator part and the object free
# lists after it - stopping the target or not, through process_vm_readv or
# /proc/PID/mem.  Every interpreter here has its free lists within reach
# (symbols up to 3.9, _PyRuntime from 3.10), so missing ones fail.  The
# JSON report of the same quiescent process must carry the same numbers.
. "$TESTS_SRCDIR/integration/lib.sh"

exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	minor=$(pmf_minor "$version")
	heaps="sparse mixed churn"
	[ "$minor" -ge 12 ] && heaps="$heaps subinterp"
	ok=1
	for heap in $heaps; do
		oracle="$PMF_TMP/oracle-$version-$heap"
		pmf_start_target "$py" "$heap" "$oracle" || { ok=0; continue; }
		pid=$PMF_TARGET
		pmf_want_parts "$oracle" || ok=0

		sel=()
		[ "$heap" = subinterp ] && sel=(--interp 0)
		for mode in blocking nonblocking procmem; do
			args=()
			envs=()
			[ $mode = nonblocking ] && args=(--nonblocking)
			[ $mode = procmem ] && envs=(PMF_FORCE_PROC_MEM=1)
			if ! env "${envs[@]}" "$PYMFRAG" report --pid "$pid" \
				-f debugmallocstats "${sel[@]}" "${args[@]}" \
				>"$oracle.got" 2>"$oracle.err"; then
				pmf_fail "$version $heap $mode: pymfrag failed: $(cat "$oracle.err")"
				ok=0
				continue
			fi
			pmf_freelist_lines "$oracle.got" >/dev/null ||
				pmf_fail "$version $heap $mode: no object free lists reported"
			pmf_same "$version $heap $mode: debugmallocstats differs from CPython's" \
				"$oracle.want" "$oracle.got" || ok=0
		done

		if [ "$heap" = subinterp ]; then
			# The subinterpreter's own state against its own print.
			pmf_want_parts "$oracle.sub"
			"$PYMFRAG" report --pid "$pid" -f debugmallocstats \
				--interp 1 >"$oracle.sub.got" 2>"$oracle.err"
			pmf_same "$version subinterpreter state differs from its own print" \
				"$oracle.sub.want" "$oracle.sub.got"
			# Without --interp both are printed, main first.
			"$PYMFRAG" report --pid "$pid" -f debugmallocstats \
				>"$oracle.all" 2>"$oracle.err"
			{
				echo "Interpreter 0 (main):"
				cat "$oracle.want"
				echo
				echo "Interpreter 1:"
				cat "$oracle.sub.want"
			} >"$oracle.all.want"
			pmf_same "$version both interpreters" "$oracle.all.want" "$oracle.all"
		fi

		# JSON: parses, and equals the oracle's numbers.
		if "$PYMFRAG" report --pid "$pid" -f json >"$oracle.json" 2>"$oracle.err"; then
			subs=()
			[ "$heap" = subinterp ] && subs=("$oracle.sub")
			pmf_check "$version $heap: JSON numbers equal the oracle's" \
				"$py" "$TESTS_SRCDIR/integration/py/check_json.py" \
				"$oracle.json" "$oracle" "${subs[@]}"
		else
			pmf_fail "$version $heap json: $(cat "$oracle.err")"
		fi
		# Text: the people's report runs and says what it found.
		if "$PYMFRAG" report --pid "$pid" >"$oracle.txt" 2>"$oracle.err"; then
			pmf_check "$version $heap: text report names the allocator" \
				grep -q '^allocator   pymalloc$' "$oracle.txt"
			pmf_check "$version $heap: text report shows the partition" \
				grep -q 'where the arena bytes are' "$oracle.txt"
		else
			pmf_fail "$version $heap text: $(cat "$oracle.err")"
		fi
		pmf_stop_target
	done
	[ $ok = 1 ] && exercised+=("$version")
	pmf_log "$version ($py): heaps $heaps done"
done < <(pmf_discover_pythons)

pmf_finish "oracle" "${exercised[@]}"
