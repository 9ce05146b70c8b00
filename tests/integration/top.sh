#!/bin/bash
# "pymfrag top" end to end, driven in tmux (send-keys, capture-pane)
# against a live Python whose heap changes when told to: the screen's
# size-class rows and arena count must match a "pymfrag report --format
# json" of the same process within one refresh; sorting, drill-down,
# pause, resize, Ctrl-C and quit must work and give the terminal back;
# -n and --batch must end by themselves; "top -- CMD" must keep CMD's
# output off the screen and show its exit.
. "$TESTS_SRCDIR/integration/lib.sh"

if ! command -v tmux >/dev/null 2>&1; then
	pmf_log "top: tmux is needed (tools/install-deps installs it)"
	exit 1
fi
if ! "$PYMFRAG" top --help >/dev/null 2>&1; then
	pmf_log "top: this pymfrag has no top (built without ncurses?)"
	exit 1
fi

SOCK="pmf-top-$$"
DELAY=0.3
tm() { tmux -L "$SOCK" "$@"; }
pmf_top_cleanup() {
	tm kill-server 2>/dev/null
	pmf_cleanup
}
trap pmf_top_cleanup EXIT

# top_start NAME COMMAND: runs COMMAND in a new 120x60 tmux session; when
# it ends, the terminal's modes and then its status are written to
# $PMF_TMP/NAME.stty and NAME.exit.
top_start() {
	local name=$1
	shift
	rm -f "$PMF_TMP/$name.exit" "$PMF_TMP/$name.stty"
	tm new-session -d -s "$name" -x 120 -y 60 \
		"env LANG=C.UTF-8 $*; st=\$?; stty -a >$PMF_TMP/$name.stty; echo \$st >$PMF_TMP/$name.exit; sleep 600"
}

cap() { tm capture-pane -p -t "$1" >"$PMF_TMP/$1.screen"; }

# wait_screen NAME REGEX [TENTHS]: until the screen matches (default 10 s).
wait_screen() {
	local i
	for ((i = 0; i < ${3:-100}; i++)); do
		cap "$1"
		grep -qE "$2" "$PMF_TMP/$1.screen" && return 0
		sleep 0.1
	done
	return 1
}

# wait_exit NAME: until the command in NAME has ended; prints its status.
wait_exit() {
	local i
	for ((i = 0; i < 100; i++)); do
		if [ -s "$PMF_TMP/$1.exit" ]; then
			cat "$PMF_TMP/$1.exit"
			return 0
		fi
		sleep 0.1
	done
	echo timeout
	return 1
}

# restored NAME: the terminal is back in cooked mode with echo.
restored() {
	grep -qE '(^| )icanon( |$)' "$PMF_TMP/$1.stty" &&
		grep -qE '(^| )echo( |$)' "$PMF_TMP/$1.stty"
}

# phase N: moves the phases target on and waits until it is there.
phase() {
	kill -USR1 "$PMF_TARGET"
	local i
	for ((i = 0; i < 600; i++)); do
		grep -qx "phase $1" "$PMF_TMP/phase" 2>/dev/null && return 0
		sleep 0.05
	done
	pmf_fail "the target did not reach phase $1"
	return 1
}

# matches WHAT NAME: the screen of NAME agrees with a JSON report taken
# now, on this refresh or the next.
matches() {
	local what=$1 name=$2 i
	# The monitor holds the target for a few ms a refresh: a report that
	# comes then finds it traced, and is tried again.
	for i in 1 2 3 4 5; do
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$PMF_TMP/now.json" \
			2>"$PMF_TMP/now.err" && break
		grep -q 'already traced' "$PMF_TMP/now.err" ||
			{ pmf_fail "$what: $(cat "$PMF_TMP/now.err")"; return; }
		sleep 0.05
	done
	for i in 1 2; do
		cap "$name"
		if "$py" "$TESTS_SRCDIR/integration/py/screen.py" classes \
			"$PMF_TMP/$name.screen" "$PMF_TMP/now.json" 2>"$PMF_TMP/why"; then
			pmf_ok
			return
		fi
		sleep "$DELAY"
		sleep "$DELAY"
	done
	pmf_fail "$what: $(cat "$PMF_TMP/why")"
	head -40 "$PMF_TMP/$name.screen"
}

# The whole scenario against one interpreter.
scenario() {
	local py=$1 version=$2 s=main
	"$py" "$TESTS_SRCDIR/integration/py/phases.py" "$PMF_TMP/phase" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qx "phase 0" "$PMF_TMP/phase" 2>/dev/null && break
		sleep 0.05
	done
	top_start $s "$PYMFRAG" top --pid "$PMF_TARGET" -d "$DELAY"
	wait_screen $s '^ *CLASS' || pmf_fail "$version: no size-class table"
	sleep 1
	matches "$version phase 0" $s
	phase 1 && sleep 1 && matches "$version phase 1 (grown)" $s
	phase 2 && sleep 1 && matches "$version phase 2 (evicted)" $s

	# Sorting: s, s is by blocks in use, biggest first.
	tm send-keys -t $s s s
	sleep 0.5
	cap $s
	pmf_check "$version: s s sorts by USED" grep -q 'USEDv' "$PMF_TMP/$s.screen"
	pmf_check "$version: the rows are in USED order" "$py" \
		"$TESTS_SRCDIR/integration/py/screen.py" sorted "$PMF_TMP/$s.screen" used
	tm send-keys -t $s S
	sleep 0.3
	cap $s
	pmf_check "$version: S reverses the order" grep -q 'USED^' "$PMF_TMP/$s.screen"

	# Drill-down: tab to the arena map, enter on the first arena.
	tm send-keys -t $s Tab Enter
	if wait_screen $s '^ +TYPE|TYPE +BLOCKS' 50 &&
		! grep -q 'reading its objects' "$PMF_TMP/$s.screen"; then
		# Paused, so that the report does not find the target held.
		tm send-keys -t $s ' '
		sleep 0.5
		"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$PMF_TMP/now.json"
		tm send-keys -t $s ' '
		pmf_check "$version: the drill-down shows arena 0 as the report does" \
			"$py" "$TESTS_SRCDIR/integration/py/screen.py" arena \
			"$PMF_TMP/$s.screen" "$PMF_TMP/now.json"
	else
		pmf_fail "$version: no drill-down"
		head -30 "$PMF_TMP/$s.screen"
	fi
	tm send-keys -t $s Escape
	wait_screen $s '^ *CLASS' 30 || pmf_fail "$version: esc did not go back"

	# Pause: the heap changes, the screen does not; resume, it does.
	tm send-keys -t $s Tab ' '
	wait_screen $s 'PAUSED' 30 || pmf_fail "$version: no PAUSED"
	cp "$PMF_TMP/$s.screen" "$PMF_TMP/paused.screen"
	phase 3 && sleep 1.5
	cap $s
	if diff <(grep -E '^ +[0-9]+ +[0-9]+ ' "$PMF_TMP/paused.screen") \
		<(grep -E '^ +[0-9]+ +[0-9]+ ' "$PMF_TMP/$s.screen") >/dev/null; then
		pmf_ok
	else
		pmf_fail "$version: the table changed while paused"
	fi
	tm send-keys -t $s ' '
	sleep 1
	matches "$version phase 3 (resumed)" $s

	# Resize: narrower drops the right columns; tiny gives a note.
	tm resize-window -t $s -x 62 -y 20
	sleep 0.8
	cap $s
	pmf_check "$version: 62 columns keep dLAST" grep -q 'dLAST' "$PMF_TMP/$s.screen"
	pmf_check "$version: 62 columns drop WASTE" \
		bash -c "! grep -q WASTE '$PMF_TMP/$s.screen'"
	pmf_check "$version: no line is wider than the window" "$py" -c '
import sys
assert max(len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")) <= 62' \
		"$PMF_TMP/$s.screen"
	tm resize-window -t $s -x 30 -y 6
	wait_screen $s 'too small' 30 || pmf_fail "$version: no 'too small' at 30x6"
	tm resize-window -t $s -x 120 -y 60
	wait_screen $s '^ *CLASS' 30 || pmf_fail "$version: no table after growing back"

	# Help, then quit with q.
	tm send-keys -t $s '?'
	wait_screen $s 'reverse the sort order' 30 || pmf_fail "$version: no help"
	tm send-keys -t $s x
	wait_screen $s '^ *CLASS' 30 || pmf_fail "$version: help did not close"
	tm send-keys -t $s q
	pmf_check "$version: q exits 0" [ "$(wait_exit $s)" = 0 ]
	pmf_check "$version: q gives the terminal back" restored $s

	# The target exits under the monitor: the last data stays.
	top_start gone "$PYMFRAG" top --pid "$PMF_TARGET" -d "$DELAY"
	wait_screen gone '^ *CLASS' || pmf_fail "$version: gone: no table"
	pmf_stop_target
	if wait_screen gone "process $PMF_TARGET exited" 50; then
		pmf_check "$version: the last data stays after the exit" \
			grep -qE '^ *CLASS' "$PMF_TMP/gone.screen"
	else
		pmf_fail "$version: the exit is not shown"
	fi
	# Ctrl-C quits as q does.
	tm send-keys -t gone C-c
	pmf_check "$version: Ctrl-C exits 0" [ "$(wait_exit gone)" = 0 ]
	pmf_check "$version: Ctrl-C gives the terminal back" restored gone
	tm kill-session -t gone
	tm kill-session -t $s
}

# -n, --batch, NO_COLOR and "top -- CMD", for one interpreter.
quick() {
	local py=$1 version=$2
	"$py" "$TESTS_SRCDIR/integration/py/phases.py" "$PMF_TMP/phase" &
	PMF_TARGET=$!
	PMF_PIDS+=("$PMF_TARGET")
	sleep 0.5
	top_start n3 "$PYMFRAG" top --pid "$PMF_TARGET" -n 3 -d 0.2
	pmf_check "$version: -n 3 exits 0 by itself" [ "$(wait_exit n3)" = 0 ]
	pmf_check "$version: -n 3 gives the terminal back" restored n3
	tm kill-session -t n3
	"$PYMFRAG" top --pid "$PMF_TARGET" -b -n 3 -d 0.2 >"$PMF_TMP/batch" 2>&1
	pmf_check "$version: --batch -n 3 exits 0" [ $? = 0 ]
	pmf_check "$version: --batch -n 3 prints three frames" \
		[ "$(grep -c '^pymfrag .* pid '"$PMF_TARGET" "$PMF_TMP/batch")" = 3 ]
	"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$PMF_TMP/now.json"
	pmf_check "$version: a batch frame matches the report" "$py" \
		"$TESTS_SRCDIR/integration/py/screen.py" classes "$PMF_TMP/batch" "$PMF_TMP/now.json"

	# Colours where the terminal has them, none under NO_COLOR.
	top_start col "$PYMFRAG" top --pid "$PMF_TARGET" -d 0.2
	wait_screen col '^ *CLASS' || pmf_fail "$version: col: no table"
	tm capture-pane -e -p -t col >"$PMF_TMP/col.esc"
	tm send-keys -t col q
	wait_exit col >/dev/null
	tm kill-session -t col
	top_start mono env NO_COLOR=1 "$PYMFRAG" top --pid "$PMF_TARGET" -d 0.2
	wait_screen mono '^ *CLASS' || pmf_fail "$version: mono: no table"
	tm capture-pane -e -p -t mono >"$PMF_TMP/mono.esc"
	tm send-keys -t mono q
	wait_exit mono >/dev/null
	tm kill-session -t mono
	pmf_check "$version: colours on a colour terminal" \
		grep -qE $'\e\\[[0-9;]*3[0-7][;m]' "$PMF_TMP/col.esc"
	pmf_check "$version: NO_COLOR: no colour, still reverse video" \
		bash -c "! grep -qE $'\e\\\\[[0-9;]*3[0-7][;m]' '$PMF_TMP/mono.esc' && grep -qE $'\e\\\\[[0-9;]*7m' '$PMF_TMP/mono.esc'"
	pmf_stop_target

	# top -- CMD: the child's noise stays in its file; its exit shows.
	top_start cmd "$PYMFRAG" top -d 0.2 --cmd-output "$PMF_TMP/cmd.log" -- \
		"$py" "$TESTS_SRCDIR/integration/py/noisy.py" 3
	if wait_screen cmd 'exited with status 3' 150; then
		pmf_check "$version: CMD's output is not on the screen" \
			bash -c "! grep -q NOISE '$PMF_TMP/cmd.screen'"
		pmf_check "$version: CMD was watched (its arenas shown)" \
			grep -qE '^arenas [1-9]' "$PMF_TMP/cmd.screen"
	else
		pmf_fail "$version: top -- CMD: the exit is not shown"
		head -20 "$PMF_TMP/cmd.screen"
	fi
	tm send-keys -t cmd q
	pmf_check "$version: top -- CMD exits 0" [ "$(wait_exit cmd)" = 0 ]
	pmf_check "$version: CMD's output went to its file" \
		grep -q 'NOISE-ERR line 1$' "$PMF_TMP/cmd.log"
	tm kill-session -t cmd
}

"$PYMFRAG" top --pid $$ </dev/null >"$PMF_TMP/notty" 2>&1
pmf_check "no terminal: exit 1" [ $? = 1 ]
pmf_check "no terminal: one line suggesting report" \
	bash -c "[ \$(wc -l <'$PMF_TMP/notty') = 1 ] && grep -q \"pymfrag report\" '$PMF_TMP/notty'"

# Usage errors: exit 2, one line.
for args in "" "--pid" "--pid 0" "--pid 1 -- true" "-d 0 --pid 1" \
	"-d 5000 --pid 1" "-n 0 --pid 1" "--width 10 -b --pid 1" \
	"--cmd-output x --pid 1" "--pid 1 extra" "--bogus"; do
	# shellcheck disable=SC2086
	"$PYMFRAG" top $args >"$PMF_TMP/usage.out" 2>"$PMF_TMP/usage.err"
	rc=$?
	pmf_check "top $args: exit 2" [ "$rc" = 2 ]
	pmf_check "top $args: nothing on stdout" [ ! -s "$PMF_TMP/usage.out" ]
	pmf_check "top $args: says why" grep -q '^pymfrag' "$PMF_TMP/usage.err"
done
# A CMD that never runs Python: one line saying so, exit 1.
"$PYMFRAG" top -b -n 2 -d 0.2 --cmd-output "$PMF_TMP/sh.log" -- sh -c 'exit 4' \
	>"$PMF_TMP/sh.out" 2>"$PMF_TMP/sh.err"
pmf_check "top -- sh: exit 1" [ $? = 1 ]
pmf_check "top -- sh: its exit is named" \
	grep -q 'sh exited with status 4 before it could be watched' "$PMF_TMP/sh.err"
"$PYMFRAG" top -b -n 1 -- /nonexistent/cmd >/dev/null 2>"$PMF_TMP/ne.err"
pmf_check "top -- a missing CMD: exit 1" [ $? = 1 ]
pmf_check "top -- a missing CMD: says so" \
	grep -q 'cannot run /nonexistent/cmd: No such file' "$PMF_TMP/ne.err"

exercised=()
mapfile -t found < <(pmf_discover_pythons)
supported=()
for line in "${found[@]}"; do
	read -r version py <<<"$line"
	pmf_supported "$version" && supported+=("$line")
done
# The whole scenario on the oldest and the newest interpreter (the
# monitor's data is the library's, checked on every version elsewhere);
# the quick checks on each.
n=${#supported[@]}
for k in "${!supported[@]}"; do
	read -r version py <<<"${supported[$k]}"
	if [ "$k" = 0 ] || [ "$k" = $((n - 1)) ]; then
		scenario "$py" "$version"
	fi
	quick "$py" "$version"
	exercised+=("$version")
done

pmf_finish top "${exercised[@]}"
