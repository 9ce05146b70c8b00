#!/bin/bash
# The examples, built and run on every interpreter found, so they cannot
# rot:
#  - examples/embed_snapshot.c, a C program embedding CPython: its
#    pymfrag snapshot's allocator part equals CPython's own
#    _PyObject_DebugMallocStats() printed just before, and its summary
#    (from the structs) agrees with its JSON report;
#  - examples/debug_server.py, an http.server service: /debug/pymalloc
#    and /metrics answer with pymfrag's reports, anything else is 404.
. "$TESTS_SRCDIR/integration/lib.sh"

cc=${PMF_CC:-cc}
ex="$TESTS_SRCDIR/../examples"
lib="$TESTS_BUILDDIR/../.libs/libpymfrag.a"
exercised=()
# In a sanitized build LeakSanitizer runs at the embedder's exit: what
# CPython itself leaves allocated then is not ours (allocated under
# libpython), what the library would leak is (allocated under main()).
printf 'leak:libpython\n' >"$PMF_TMP/lsan.supp"
cenv=("LSAN_OPTIONS=suppressions=$PMF_TMP/lsan.supp")

# check_embed VERSION PY: builds and runs the C example for PY.
check_embed() {
	local version=$1 py=$2 minor config embed_flag bin libdir
	config="$(dirname "$py")/$(basename "$py")-config"
	if [ ! -x "$config" ]; then
		pmf_log "$version: no $(basename "$py")-config, C example not built"
		return 2
	fi
	minor=$(pmf_minor "$version")
	embed_flag=
	[ "$minor" -ge 8 ] && embed_flag=--embed
	libdir=$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("LIBDIR"))')
	bin="$PMF_TMP/embed_snapshot-$version"
	# shellcheck disable=SC2046
	if ! $cc -std=gnu11 -O2 -Wall -Wextra -Werror ${PMF_SAN_CFLAGS:-} \
		-o "$bin" "$ex/embed_snapshot.c" -I"$TESTS_SRCDIR/../include" \
		$("$config" --includes) "$lib" ${PMF_LIB_LIBS:-} -lm ${PMF_SAN_LDFLAGS:-} \
		$("$config" --ldflags $embed_flag) -Wl,-rpath,"$libdir" \
		2>"$bin.log"; then
		pmf_fail "$version: embed_snapshot does not build: $(head -c 800 "$bin.log")"
		return 1
	fi
	pmf_ok
	if ! env "${cenv[@]}" "$bin" --oracle --format debugmallocstats \
		>"$bin.got" 2>"$bin.oracle"; then
		pmf_fail "$version: embed_snapshot failed: $(grep -v '^ *[0-9]' "$bin.oracle" | tail -c 800)"
		return 1
	fi
	pmf_alloc_only "$bin.oracle" >"$bin.want"
	pmf_alloc_only "$bin.got" >"$bin.gotalloc"
	pmf_check "$version: embed_snapshot printed CPython's statistics" test -s "$bin.want"
	pmf_same "$version: embed_snapshot's snapshot differs from _PyObject_DebugMallocStats()" \
		"$bin.want" "$bin.gotalloc" || return 1
	if ! env "${cenv[@]}" "$bin" >"$bin.txt" 2>"$bin.err" ||
		! env "${cenv[@]}" "$bin" --format json >"$bin.json" 2>>"$bin.err"; then
		pmf_fail "$version: embed_snapshot failed: $(head -c 600 "$bin.err")"
		return 1
	fi
	pmf_check "$version: embed_snapshot's summary names its Python" \
		grep -q "^embedded Python $version, allocator pymalloc" "$bin.txt"
	pmf_check "$version: embed_snapshot's text report follows" \
		grep -q '^snapshot    in-process (GIL held)' "$bin.txt"
	pmf_check "$version: embed_snapshot's JSON is in-process, of itself" \
		"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["in_process"] and d["python"]["executable"] == sys.argv[2], d["python"]
assert sum(c["blocks_in_use"] for c in d["size_classes"]) > 50000' \
		"$bin.json" "$bin"
}

# check_server VERSION PY: the debug server with the module built for PY.
check_server() {
	local version=$1 py=$2 mod srv port pid
	mod="$PMF_TMP/mod-$version"
	if ! pmf_pymod_build "$py" "$mod"; then
		pmf_fail "$version: the module does not build: $(head -c 800 "$mod.log")"
		return 1
	fi
	srv="$PMF_TMP/server-$version"
	# Four requests, then the server exits by itself.
	env "${PMF_PYENV[@]}" PYTHONPATH="$mod" "$py" "$ex/debug_server.py" \
		--port 0 --max-requests 4 >"$srv.out" 2>"$srv.err" &
	pid=$!
	PMF_PIDS+=("$pid")
	port=
	for ((i = 0; i < 600; i++)); do
		port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)$|\1|p' "$srv.out" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$port" ]; then
		pmf_fail "$version: debug_server did not start: $(head -c 600 "$srv.err")"
		return 1
	fi
	# shellcheck disable=SC2016
	if ! "$py" -c 'import sys, urllib.request, urllib.error
base = "http://127.0.0.1:%s" % sys.argv[1]
def get(path, out):
    try:
        r = urllib.request.urlopen(base + path, timeout=30)
        code, ctype, body = r.status, r.headers["Content-Type"], r.read()
    except urllib.error.HTTPError as e:
        code, ctype, body = e.code, e.headers["Content-Type"], e.read()
    open(out, "wb").write(body)
    print(path, code, ctype)
for p, f in (("/debug/pymalloc", "text"), ("/debug/pymalloc?analysis=1", "analysis"),
             ("/metrics", "prom"), ("/exec?code=1", "404")):
    get(p, sys.argv[2] + "." + f)' "$port" "$srv" >"$srv.codes" 2>"$srv.cerr"; then
		pmf_fail "$version: cannot query debug_server: $(head -c 600 "$srv.cerr")"
		return 1
	fi
	pmf_check "$version: debug_server answers its endpoints" diff - "$srv.codes" <<'EOF'
/debug/pymalloc 200 text/plain; charset=utf-8
/debug/pymalloc?analysis=1 200 text/plain; charset=utf-8
/metrics 200 text/plain; version=0.0.4; charset=utf-8
/exec?code=1 404 text/plain; charset=utf-8
EOF
	pmf_check "$version: /debug/pymalloc is pymfrag's in-process report" \
		grep -q '^snapshot    in-process (GIL held)' "$srv.text"
	pmf_check "$version: /debug/pymalloc?analysis=1 has the analysis" \
		grep -q 'pinned' "$srv.analysis"
	pmf_check "$version: /metrics is valid Prometheus exposition" \
		"$py" "$TESTS_SRCDIR/support/promcheck.py" "$srv.prom"
	pmf_check "$version: /metrics carries the size classes" \
		grep -q '^pymalloc_class_blocks_in_use{' "$srv.prom"
	if wait "$pid"; then
		pmf_ok
	else
		pmf_fail "$version: debug_server did not exit cleanly: $(head -c 600 "$srv.err")"
		return 1
	fi
}

while read -r version py; do
	pmf_supported "$version" || continue
	ok=1
	check_embed "$version" "$py"
	case $? in 1) ok=0 ;; esac
	check_server "$version" "$py" || ok=0
	[ $ok = 1 ] && exercised+=("$version")
	pmf_log "$version ($py): examples done"
done < <(pmf_discover_pythons)

pmf_finish examples "${exercised[@]}"
