#!/bin/bash
# The pymfrag demo: start the bundled workload with the system Python and
# print pymfrag's report on it.  Run by "make demo".
set -euo pipefail
pymfrag=${PYMFRAG:-$(dirname "$0")/../pymfrag}
python=${PYTHON:-python3}
dir=$(cd "$(dirname "$0")" && pwd)

if ! command -v "$python" >/dev/null; then
	echo "demo: no $python found; set PYTHON to a CPython 3.6-3.14" >&2
	exit 1
fi
out=$(mktemp)
"$python" "$dir/demo_workload.py" >"$out" &
pid=$!
# Under set -e a failing command in the trap would become the script's
# status: keep pymfrag's.
trap 'rc=$?; kill $pid 2>/dev/null; wait $pid 2>/dev/null || :; rm -f "$out"; exit $rc' EXIT
for _ in $(seq 600); do
	grep -q '^ready' "$out" && break
	kill -0 $pid 2>/dev/null || { echo "demo: the workload exited" >&2; exit 1; }
	sleep 0.1
done
echo "\$ pymfrag report --pid $pid    # $("$python" -c 'import sys; print(sys.executable)')"
echo
"$pymfrag" report --pid "$pid"
