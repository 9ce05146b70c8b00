#!/bin/bash
# The target is never written to and never signalled.  Checked in the
# sources and in what the built objects import:
#  - no process_vm_writev, PTRACE_POKE*, PTRACE_SET* anywhere in src/;
#    every ptrace() request is one of an allow-list (seize, interrupt,
#    detach, and reads);
#  - every open() in the library is O_RDONLY (so /proc/PID/mem, maps,
#    pagemap... are only ever opened for reading), no fopen for writing;
#  - every kill() sends signal 0 (an existence probe, not a signal);
#  - every ioctl() in the library asks PROCMAP_QUERY (a question about
#    one mapping, on a maps file opened read-only), and only mapquery.o
#    imports ioctl;
#  - no object of the library imports process_vm_writev or a write
#    system call wrapper (write, pwrite, writev...); only freeze.o calls
#    ptrace; the library and the program import process_vm_writev
#    nowhere (and do import process_vm_readv: the check saw real symbols).
set -u
src="$TESTS_SRCDIR/../src"
lib_objs="$TESTS_BUILDDIR/../src"
fails=0
problem() {
	echo "check-readonly: $*"
	fails=$((fails + 1))
}

# Sources (comments included: a forbidden name has no business there).
if grep -rnE --include='*.[ch]' 'process_vm_writev|PTRACE_POKE|PTRACE_SET|PTRACE_POKEUSER' "$src"; then
	problem "a write primitive is named in src/"
fi
# Every ptrace( call names its request, from the allow-list.
allowed='PTRACE_(SEIZE|INTERRUPT|DETACH|LISTEN|CONT|GETREGS|GETREGSET|GETSIGINFO|GETEVENTMSG|PEEKDATA|PEEKTEXT|PEEKUSER)'
nptrace=0
while IFS= read -r line; do
	nptrace=$((nptrace + 1))
	req=$(sed -E 's/.*ptrace\(\s*([A-Za-z0-9_]*).*/\1/' <<<"$line")
	if ! grep -qxE "$allowed" <<<"$req"; then
		problem "ptrace request '$req' is not in the read-only allow-list: $line"
	fi
done < <(grep -rnE --include='*.c' '(^|[^_a-z])ptrace\(' "$src" | grep -v '"ptrace(')
[ "$nptrace" -gt 0 ] || problem "no ptrace() call found in src/: is the check looking at the right tree?"
# open(): read-only everywhere but the CLI, which writes --output files.
nopen=0
while IFS= read -r line; do
	nopen=$((nopen + 1))
	grep -q 'O_RDONLY' <<<"$line" || problem "open() without O_RDONLY: $line"
	grep -qE 'O_(WRONLY|RDWR|CREAT|TRUNC|APPEND)' <<<"$line" &&
		problem "open() for writing: $line"
done < <(grep -rnE --include='*.c' '(^|[^_a-z])open(at)?\(' "$src"/base "$src"/os "$src"/py "$src"/core)
[ "$nopen" -gt 0 ] || problem "no open() call found in the library sources"
if grep -rnE --include='*.c' 'fopen\([^)]*"[wa+]|fopen\([^)]*"r\+' "$src"/base "$src"/os "$src"/py "$src"/core; then
	problem "the library opens a file for writing"
fi
# /proc/PID/mem is opened in one place, read-only.
if grep -rn --include='*.[ch]' -A3 '/mem"' "$src" | grep -E 'O_(WRONLY|RDWR)'; then
	problem "/proc/PID/mem opened for writing"
fi
# kill() only probes.
while IFS= read -r line; do
	grep -qE 'kill\([^,]+,\s*0\)' <<<"$line" || problem "kill() with a signal: $line"
done < <(grep -rnE --include='*.c' '(^|[^_a-z])kill\(' "$src"/base "$src"/os "$src"/py "$src"/core)

# Built objects of the library.
# (src/tui is the monitor's front end, not the library: its child.c
# writes to its own pipe, never to a target.)
objs=$(find "$lib_objs"/base "$lib_objs"/os "$lib_objs"/py "$lib_objs"/core \
	-path '*/.libs/*.o' 2>/dev/null)
if [ -z "$objs" ]; then
	problem "no library objects under $lib_objs/*/.libs"
else
	for o in $objs; do
		u=$(nm -u "$o" | awk '{ print $2 }')
		bad=$(grep -xE 'process_vm_writev|write|pwrite|pwrite64|pwritev|pwritev2|writev|__write_chk' <<<"$u")
		[ -z "$bad" ] || problem "$(basename "$o") imports $bad"
		if grep -qx ioctl <<<"$u" && [[ $o != *mapquery.o ]]; then
			problem "$(basename "$o") calls ioctl: only mapquery.o may"
		fi
		if grep -qx ptrace <<<"$u" && [[ $o != *freeze.o ]] && [[ $o != *unwind.o ]]; then
			problem "$(basename "$o") calls ptrace: only freeze.o (and unwind.o) may"
		fi
	done
fi
# ioctl(): the memory map's one question, nothing else.
nioctl=0
while read -r line; do
	nioctl=$((nioctl + 1))
	grep -q 'PROCMAP_QUERY' <<<"$line" || problem "ioctl() other than PROCMAP_QUERY: $line"
done < <(grep -rnE --include='*.c' '(^|[^_a-z])ioctl\(' "$src"/base "$src"/os "$src"/py "$src"/core)
# The installed library and the program.
for bin in "$TESTS_BUILDDIR/../.libs/libpymfrag.so" "$PYMFRAG"; do
	syms=$(nm -D "$bin" 2>/dev/null; nm "$bin" 2>/dev/null)
	if ! grep -qw process_vm_readv <<<"$syms"; then
		problem "$bin: no process_vm_readv in its symbols: cannot check it"
	fi
	if grep -w process_vm_writev <<<"$syms"; then
		problem "$bin imports process_vm_writev"
	fi
done
echo "check-readonly: $nptrace ptrace calls, $nopen opens and $nioctl ioctls checked, $fails problems"
[ $fails = 0 ]
