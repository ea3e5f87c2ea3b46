#!/bin/sh
# The VM suite's test script (run as /vm/test.sh by the VM's /init): runs
# every /vm/cases/*.sh in name order, each in its own shell with
# /vm/lib.sh sourced and a time limit, and adds a failing TAP line for a
# case file that crashed, timed out or printed no result.
LIMIT=${VM_CASE_TIMEOUT:-90}
for c in /vm/cases/*.sh; do
	[ -f "$c" ] || continue
	VM_CASE=$(basename "$c" .sh)
	export VM_CASE
	out=/tmp/runner.$VM_CASE
	timeout "$LIMIT" sh -c '. /vm/lib.sh; . "$1"' sh "$c" >"$out" 2>&1
	rc=$?
	cat "$out"
	if [ "$rc" = 124 ] || [ "$rc" = 143 ]; then
		echo "not ok - $VM_CASE: finished within ${LIMIT}s"
	elif [ "$rc" != 0 ]; then
		echo "not ok - $VM_CASE: case file ran to its end (rc=$rc)"
	elif ! grep -Eq '^(ok|not ok) - ' "$out"; then
		echo "not ok - $VM_CASE: case file printed a result"
	fi
	rm -f "$out"
done
