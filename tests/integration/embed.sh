#!/bin/bash
# libpython loaded by an embedding program: for every interpreter with a
# shared libpython and its development files, a small C program that
# links it runs the test target; pymfrag must find the interpreter in
# libpython (not in the executable) and match CPython's own print.
. "$TESTS_SRCDIR/integration/lib.sh"

cc=${CC:-cc}
exercised=()
while read -r version py; do
	pmf_supported "$version" || continue
	read -r shared libdir <<<"$("$py" -c 'import sysconfig as s
print(s.get_config_var("Py_ENABLE_SHARED") or 0, s.get_config_var("LIBDIR"))')"
	[ "$shared" = 1 ] || continue
	config="$(dirname "$py")/$(basename "$py")-config"
	[ -x "$config" ] || continue
	minor=$(pmf_minor "$version")
	embed_flag=
	[ "$minor" -ge 8 ] && embed_flag=--embed
	bin="$PMF_TMP/embed-$version"
	# shellcheck disable=SC2046
	if ! $cc -o "$bin" "$TESTS_SRCDIR/support/embed.c" \
		$("$config" --cflags) $("$config" --ldflags $embed_flag) \
		-Wl,-rpath,"$libdir" 2>"$bin.log"; then
		pmf_fail "$version: cannot build the embedder: $(head -c 600 "$bin.log")"
		continue
	fi
	pmf_start_target "$bin" mixed "$bin.oracle" || continue
	pmf_alloc_part "$bin.oracle" >"$bin.want"
	"$PYMFRAG" report --pid "$PMF_TARGET" -f debugmallocstats >"$bin.got" 2>"$bin.err" ||
		pmf_fail "$version embedded: $(cat "$bin.err")"
	pmf_same "$version embedded: debugmallocstats" "$bin.want" "$bin.got"
	"$PYMFRAG" report --pid "$PMF_TARGET" -f json >"$bin.json" 2>"$bin.err"
	pmf_check "$version embedded: the image is libpython, the executable the embedder" \
		"$py" -c 'import json, sys
d = json.load(open(sys.argv[1]))["python"]
assert d["shared_library"] and "libpython" in d["image"], d
assert d["executable"] == sys.argv[2], d' "$bin.json" "$bin"
	pmf_stop_target
	exercised+=("$version")
done < <(pmf_discover_pythons)

pmf_finish embed "${exercised[@]}"
