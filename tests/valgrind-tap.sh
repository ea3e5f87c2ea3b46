#!/bin/bash
# valgrind-tap.sh TEST [ARGS...]: one TAP line for a cmocka binary run under valgrind
# (memcheck, full leak check): ok when the tests pass and valgrind reports
# no error and no definite or indirect leak.
t=$1
shift
log=$(mktemp /tmp/plexus-vg.XXXXXX)
CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --log-file="$log" "$t" "$@" >/dev/null 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	echo "ok - valgrind $(basename "$t"): no error, no leak"
else
	echo "not ok - valgrind $(basename "$t"): exit $rc"
	sed 's/^/#   /' "$log" | head -40
fi
rm -f "$log"
