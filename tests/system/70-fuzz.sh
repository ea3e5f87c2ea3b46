#!/bin/bash
# libFuzzer harnesses (tests/fuzz/): build them with clang and run each for
# FUZZ_SECONDS (default 10) on a scratch copy of its seed corpus. One TAP
# line per harness, with libFuzzer's executed-unit count. Crash inputs are
# kept in build/fuzz/artifacts/. About 2.5 min (build ~10 s, 14 x 10 s).
. "$(dirname "$0")/../lib.sh"
: "${FUZZ_SECONDS:=10}"
cd "$TOP" || exit 1
ART=$TOP/build/fuzz/artifacts
mkdir -p "$ART"

if ! make -s fuzz-build >"$T_TMP/build.log" 2>&1; then
	T_COUNT=1 T_FAILED=1
	echo "not ok - fuzz: harnesses build with clang"
	sed 's/^/#   /' "$T_TMP/build.log" | tail -20
	exit 1
fi
for src in tests/fuzz/fuzz_*.c; do
	h=$(basename "$src" .c)
	mkdir -p "$T_TMP/corpus/$h"
	rc=0
	"build/fuzz/$h" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-max_len=16384 -print_final_stats=1 \
		-artifact_prefix="$ART/$h-" \
		"$T_TMP/corpus/$h" "tests/fuzz/corpus/$h" \
		>"$T_TMP/$h.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$T_TMP/$h.log")
	# the sanitizer's report (the runner's PLEXUS_SAN_DIR, not the log):
	# this harness's
	san=$(t_san_take)
	T_COUNT=$((T_COUNT + 1))
	if [ "$rc" = 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ] && [ -z "$san" ]; then
		echo "ok - fuzz: $h ${FUZZ_SECONDS}s, $execs execs, no crash"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok - fuzz: $h ${FUZZ_SECONDS}s, ${execs:-0} execs, exit $rc"
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written|^    #[0-9] ' \
			"$T_TMP/$h.log" | head -20 | sed 's/^/#   /'
		[ -z "$san" ] || printf '%s\n' "$san" | sed 's/^/#   sanitizer: /'
	fi
done
