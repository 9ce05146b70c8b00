#!/bin/bash
# Stands in for pymfrag under make check-valgrind: runs the real program
# ($PMF_VALGRIND_REAL) under valgrind's memcheck, one log per run in
# $PMF_VALGRIND_LOGS.  Any memory error or leak makes the run exit 99,
# which no test expects, so the test fails; the logs are checked again
# afterwards.
exec valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible \
	--log-file="$PMF_VALGRIND_LOGS/vg.%p.log" \
	"$PMF_VALGRIND_REAL" "$@"
