#!/bin/bash
# "make install" into a temporary DESTDIR, then what a user does with it:
#  - a program built with only `pkg-config --cflags --libs pymfrag`
#    (PKG_CONFIG_SYSROOT_DIR maps the configured prefix into DESTDIR)
#    links and runs against the installed shared library, and with
#    `--static` against the static one;
#  - the header, man pages pymfrag(1) and pymfrag(3) are installed;
#  - the Python module is installed into the site directory under the
#    prefix, and the configured Python imports it from there.
. "$TESTS_SRCDIR/integration/lib.sh"

build="$TESTS_BUILDDIR/.."
dest="$PMF_TMP/root"
if ! ${PMF_MAKE:-make} -C "$build" install DESTDIR="$dest" >"$PMF_TMP/install.log" 2>&1; then
	pmf_fail "make install failed: $(tail -c 800 "$PMF_TMP/install.log")"
	pmf_finish install
fi
pmf_ok
pc=$(find "$dest" -name pymfrag.pc | head -1)
pmf_check "pymfrag.pc is installed" test -n "$pc"
pmf_check "pymfrag.h is installed" test -n "$(find "$dest" -path '*/include/pymfrag.h')"
pmf_check "pymfrag(3) is installed" test -n "$(find "$dest" -path '*/man3/pymfrag.3')"
pmf_check "pymfrag(1) is installed" test -n "$(find "$dest" -path '*/man1/pymfrag.1')"

pkg() {
	PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$dest" \
		pkg-config "$@" pymfrag
}
cc=${PMF_CC:-cc}
src="$TESTS_SRCDIR/support/pkgcheck.c"
# A sanitized library needs the sanitizer runtime in the program too:
# the only flags added to pkg-config's.
# shellcheck disable=SC2046
if $cc -o "$PMF_TMP/pkgcheck" "$src" $(pkg --cflags --libs) \
	${PMF_SAN_LDFLAGS:-} 2>"$PMF_TMP/cc.log"; then
	pmf_ok
	libdir=$(pkg --variable=libdir) # the sysroot is applied to it
	pmf_check "the program runs against the installed libpymfrag.so" \
		env LD_LIBRARY_PATH="$libdir" "$PMF_TMP/pkgcheck"
	pmf_check "it is linked against the installed libpymfrag.so" \
		grep -q "libpymfrag\.so.* => $libdir/" <(env LD_LIBRARY_PATH="$libdir" ldd "$PMF_TMP/pkgcheck")
else
	pmf_fail "cannot build with pkg-config --cflags --libs: $(head -c 800 "$PMF_TMP/cc.log")"
fi
# Static: the library and what Libs.private names, nothing else.
# shellcheck disable=SC2046
# -no-pie: Debian's static libunwind archives are not position
# independent, so a program that links them whole cannot be a PIE.
if $cc -no-pie -o "$PMF_TMP/pkgcheck-static" "$src" $(pkg --cflags) \
	-Wl,-Bstatic $(pkg --static --libs) -Wl,-Bdynamic \
	${PMF_SAN_LDFLAGS:-} 2>"$PMF_TMP/cc-static.log"; then
	pmf_ok
	pmf_check "the statically linked program runs" "$PMF_TMP/pkgcheck-static"
else
	pmf_fail "cannot build with pkg-config --static: $(head -c 800 "$PMF_TMP/cc-static.log")"
fi

exercised=()
if [ -n "${PMF_PYMOD_SUFFIX:-}" ]; then
	site="$dest${PMF_PYEXECDIR:?}"
	pmf_check "the module is installed into $PMF_PYEXECDIR" \
		test -f "$site/pymfrag$PMF_PYMOD_SUFFIX"
	version=$("$PMF_PYTHON" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
	if env "${PMF_PYENV[@]}" PYTHONPATH="$site" "$PMF_PYTHON" -c 'import os, sys, pymfrag
assert os.path.dirname(pymfrag.__file__) == sys.argv[1], pymfrag.__file__
assert pymfrag.stats()["in_process"]' "$site" 2>"$PMF_TMP/py.err"; then
		pmf_ok
		exercised+=("$version")
	else
		pmf_fail "the installed module does not work: $(head -c 600 "$PMF_TMP/py.err")"
	fi
else
	# configure found no Python headers: nothing of Python to install.
	exercised+=("none (configured without the module)")
fi
pmf_finish install "${exercised[@]}"
