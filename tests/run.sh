#!/bin/bash
# Runs every suite and ends with one line: "N passed, N failed".
# Suites: cmocka unit tests (plain and sanitizer builds), shell suites in
# tests/integration/ (per build), tests/differential/ and tests/system/
# (once). Each prints TAP
# lines ("ok - ..." / "not ok - ..."); this script counts them.
# Usage: tests/run.sh [FILTER]  (runs suites whose path contains FILTER)
cd "$(dirname "$0")/.." || exit 2
FILTER=${1:-}
LOG=build/check.log
mkdir -p build
: >"$LOG"
snap() { { ip netns list 2>/dev/null | awk '{print $1}'; ip -o link 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; } | sort; }
before=$(snap)

run_suite() { # label command...
	label=$1; shift
	case "$label" in *"$FILTER"*) ;; *) return 0 ;; esac
	echo "== $label" | tee -a "$LOG"
	start=$(date +%s)
	"$@" 2>&1 | sed "s|^\(not ok\|ok\)\([ 0-9]*\)- |\1 - [$label] |" \
		| tee -a "$LOG" | grep -E '^(not ok|#   |# FAIL|Bail)' || true
	echo "   $(( $(date +%s) - start ))s" | tee -a "$LOG"
}

for flavour in build build/san; do
	for t in "$flavour"/bin/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$t" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	done
done
# the plain build's unit tests once more under valgrind: no leak, no
# invalid access (a valgrind error fails the binary, so its TAP run fails)
if command -v valgrind >/dev/null; then
	for t in build/bin/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "valgrind:$t" tests/valgrind-tap.sh "$t"
	done
fi
for s in tests/integration/*.sh; do
	[ -f "$s" ] || continue
	for flavour in build build/san; do
		run_suite "$s:$flavour" env BINDIR=$flavour/bin bash "$s"
	done
done
# differential suites: ours against the reference plugins, once (plain
# build): about 5 min on the 2-core dev machine
for s in tests/differential/[0-9]*.sh; do
	[ -f "$s" ] || continue
	run_suite "$s" env BINDIR=build/bin bash "$s"
done
for s in tests/system/*.sh; do
	[ -f "$s" ] || continue
	run_suite "$s" env BINDIR=build/bin bash "$s"
done

# style: every tracked C file as .clang-format lays it out (make format-check)
case "format" in *"$FILTER"*)
	if out=$(clang-format --dry-run --Werror $(git ls-files '*.c' '*.h') 2>&1); then
		echo "ok - [format] clang-format --dry-run on every C file" >>"$LOG"
	else
		echo "not ok - [format] clang-format --dry-run on every C file" | tee -a "$LOG"
		echo "$out" | grep -c 'clang-format-violations' | sed 's/^/#   lines to change: /' | tee -a "$LOG"
		echo "$out" | grep 'clang-format-violations' | cut -d: -f1 | sort -u | sed 's/^/#   /' | tee -a "$LOG"
	fi ;;
esac

after=$(snap)
if [ "$before" = "$after" ]; then
	echo "ok - [leftovers] no netns or link left behind" >>"$LOG"
else
	echo "not ok - [leftovers] no netns or link left behind" | tee -a "$LOG"
	diff <(echo "$before") <(echo "$after") 2>/dev/null | tee -a "$LOG" || true
fi
passed=$(grep -c '^ok ' "$LOG")
failed=$(grep -c '^not ok ' "$LOG")
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
