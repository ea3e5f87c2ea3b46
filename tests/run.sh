#!/bin/bash
# Runs every suite and ends with one line: "N passed, N failed, N skipped".
# Suites: the runner's own self-test, cmocka unit tests (plain and
# sanitizer builds, the plain ones again under valgrind), shell suites in
# tests/integration/ and tests/security/ (per build), tests/differential/
# and tests/system/ (once). Each prints TAP; tests/tap.sh counts it and
# holds each suite to its exit status, its plan and the sanitizer reports
# it caused (see there). The full output of every suite is in
# build/check.log.
# Usage: tests/run.sh [FILTER]  (runs suites whose label contains FILTER)
cd "$(dirname "$0")/.." || exit 2
. tests/tap.sh
FILTER=${1:-}
tap_init build/check.log
snap() { { ip netns list 2>/dev/null | awk '{print $1}'; ip -o link 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'; } | sort; }
before=$(snap)

run_suite() { # LABEL CMD...
	case "$1" in *"$FILTER"*) ;; *) return 0 ;; esac
	echo "== $1"
	tap_suite "$@"
}

run_suite tests/runner/selftest.sh bash tests/runner/selftest.sh
for flavour in build build/san; do
	for t in "$flavour"/bin/tests/test_*; do
		[ -x "$t" ] || continue
		run_suite "$t" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
	done
done
# the plain build's unit tests once more under valgrind: no leak, no
# invalid access (a valgrind error fails the binary, so its TAP run fails)
for t in build/bin/tests/test_*; do
	[ -x "$t" ] || continue
	case "valgrind:$t" in *"$FILTER"*) ;; *) continue ;; esac
	if command -v valgrind >/dev/null; then
		run_suite "valgrind:$t" tests/valgrind-tap.sh "$t"
	else
		tap_line skip "valgrind:$t" "valgrind $(basename "$t"): valgrind is not installed"
	fi
done
for s in tests/integration/*.sh; do
	[ -f "$s" ] || continue
	for flavour in build build/san; do
		run_suite "$s:$flavour" env BINDIR=$flavour/bin bash "$s"
	done
done
# the trust boundary: every attack through a real ADD (docs/security.md)
for s in tests/security/*.sh; do
	[ -f "$s" ] || continue
	for flavour in build build/san; do
		run_suite "$s:$flavour" env BINDIR=$flavour/bin bash "$s"
	done
done
# differential suites: ours against the reference plugins, once (plain
# build)
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
		tap_line ok format "clang-format --dry-run on every C file"
	else
		tap_line "not ok" format "clang-format --dry-run on every C file"
		echo "$out" | grep -c 'clang-format-violations' | sed 's/^/#   lines to change: /' | tee -a "$TAP_LOG"
		echo "$out" | grep 'clang-format-violations' | cut -d: -f1 | sort -u | sed 's/^/#   /' | tee -a "$TAP_LOG"
	fi ;;
esac

# layering: no file includes across a forbidden direction
run_suite includes bash tests/include-directions.sh

# linkage: libcurl is loaded at run time (src/k8s/curl_lazy.c), never linked
case "linkage" in *"$FILTER"*)
	bad=$(for b in build/bin/plexus* build/san/bin/plexus*; do
		ldd "$b" 2>/dev/null | grep -q libcurl && echo "$b"
	done)
	if [ -z "$bad" ]; then
		tap_line ok linkage "no plexus binary links libcurl"
	else
		tap_line "not ok" linkage "no plexus binary links libcurl"
		echo "$bad" | sed 's/^/#   /' | tee -a "$TAP_LOG"
	fi ;;
esac

after=$(snap)
if [ "$before" = "$after" ]; then
	tap_line ok leftovers "no netns or link left behind"
else
	tap_line "not ok" leftovers "no netns or link left behind"
	diff <(echo "$before") <(echo "$after") 2>/dev/null | tee -a "$TAP_LOG" || true
fi
tap_summary
