#!/bin/bash
# The target is never written to: neither the sources nor the built
# library and program use process_vm_writev, PTRACE_POKE* or a writable
# open of /proc/PID/mem.
set -u
src="$TESTS_SRCDIR/../src"
fails=0
if grep -rnE --include='*.[ch]' 'process_vm_writev|PTRACE_POKE(TEXT|DATA|USER)|PTRACE_SETREGS' "$src"; then
	fails=$((fails + 1))
fi
# Every open of a /proc/PID/mem path is read-only.
if grep -rn --include='*.[ch]' -A3 '"/proc/%d/mem"' "$src" | grep -E 'O_(WRONLY|RDWR)'; then
	fails=$((fails + 1))
fi
for bin in "$TESTS_BUILDDIR/../.libs/libpymfrag.so" "$PYMFRAG"; do
	if nm -D "$bin" 2>/dev/null | grep -w process_vm_writev; then
		echo "check-readonly: $bin imports process_vm_writev"
		fails=$((fails + 1))
	fi
done
echo "check-readonly: $fails problems"
[ $fails = 0 ]
