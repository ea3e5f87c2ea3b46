# shellcheck shell=bash
# The TAP engine of tests/run.sh, sourced by it and by its self-test
# (tests/runner/selftest.sh), so the self-test proves the code that counts.
#
#   tap_init LOG        empty LOG, clear the variables that change what tests
#                       expect, export the sanitizer options and report dir
#   tap_suite LABEL CMD...
#                       run one suite; copy its TAP lines into LOG as
#                       "ok - [LABEL] ...", "not ok - [LABEL] ...",
#                       "skip - [LABEL] ...: REASON"; add one "not ok" for
#                       the suite itself when it exited non-zero without a
#                       failing test, printed fewer or more tests than its
#                       plan, printed no test, or died of a sanitizer; and
#                       one "not ok" per sanitizer or valgrind report that no
#                       test owned
#   tap_line ok|not ok|skip LABEL TEXT
#                       a verdict of the runner's own (format, leftovers)
#   tap_summary         the skips with their reasons, then the closing line
#                       "N passed, N failed, N skipped"; returns 0 only when
#                       nothing failed and something passed
#
# With CI=true a skip is a failure: CI's machine is the one that can run
# every case (root, the VM, netdevsim, valgrind).
#
# Sanitizer builds exit with TAP_SAN_EXIT (99), a code no test expects
# (error paths expect 1), and ASan/LSan write their reports to files under
# PLEXUS_SAN_DIR (log_path), so a report from a process whose stderr a test
# swallowed is still seen. (GCC's libubsan ignores log_path: its reports go
# to stderr, and exit code 99 is what a test sees.) tests/lib.sh's t_case checks that folder after
# each case and fails the case that caused a report; what is left at the
# end of a suite is reported against the suite.

TAP_SAN_EXIT=99
TAP_SAN_RE='ERROR: (AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer|ERROR SUMMARY: [1-9]'

# Variables that change what the tests expect or which cases run. Caches
# (PLEXUS_VM_CACHE) and time limits stay.
TAP_CLEAR_RE='^(PLEXUSCTL_.*|PLEXUS_EXEC_ALWAYS|PLEXUS_VM_NETDEVSIM|PLEXUS_VM_BINS|PLEXUS_VM_KEEP|PLEXUS_SAN_DIR|PLEXUS_CALLER|PLEXUS_IPAM_NODE_CONFIG|PLEXUS_IPAM_CONF|CNI_.*|K8S_.*|NODE_NAME|KUBECONFIG|KUBERNETES_SERVICE_.*|ASAN_OPTIONS|UBSAN_OPTIONS|LSAN_OPTIONS|CMOCKA_.*|SOAK_CYCLES|SOAK_LARGE_CYCLES|FUZZ_SECONDS|BINDIR|REFDIR)$'

tap_init() {
	TAP_LOG=$1
	mkdir -p "$(dirname "$TAP_LOG")"
	: >"$TAP_LOG"
	TAP_TMP=$(mktemp -d /tmp/plexus-tap.XXXXXX)
	local v cleared=""
	while IFS= read -r v; do
		if [[ $v =~ $TAP_CLEAR_RE ]]; then
			unset "$v"
			cleared="$cleared $v"
		fi
	done < <(compgen -e)
	[ -z "$cleared" ] || echo "# runner: cleared from the environment:$cleared" >>"$TAP_LOG"
	export PLEXUS_SAN_DIR=$TAP_TMP/san
	mkdir -p "$PLEXUS_SAN_DIR"
	local common="exitcode=$TAP_SAN_EXIT:log_path=$PLEXUS_SAN_DIR/report"
	export ASAN_OPTIONS="$common:halt_on_error=1:detect_leaks=1:abort_on_error=0"
	export UBSAN_OPTIONS="$common:halt_on_error=1:print_stacktrace=1"
	export LSAN_OPTIONS="$common"
}

tap_line() { # ok|not ok|skip LABEL TEXT
	echo "$1 - [$2] $3" >>"$TAP_LOG"
	[ "$1" = ok ] || echo "$1 - [$2] $3"
}

# tap_san_reports DIR: one line per report file: "FILE: first error line".
tap_san_reports() {
	local f first
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		first=$(grep -Em1 "$TAP_SAN_RE" "$f" || head -n1 "$f")
		echo "$(basename "$f"): $first"
	done
}

# tap_parse LABEL OUT: TAP lines of OUT into the log; sets TAP_N (tests),
# TAP_NOTOK, TAP_PLAN (sum of plans, empty if none), TAP_LAST (last test).
TAP_PLAN_RE='^1\.\.([0-9]+)'
TAP_TEST_RE='^(not ok|ok)([ ]+[0-9]+)?([ ]+-)?[ ]*(.*)$'
TAP_SKIP_RE='^(.*[^ ])?[ ]*#[ ]*[Ss][Kk][Ii][Pp]([ :-]+(.*))?$'
tap_parse() {
	local label=$1 out=$2 line kind desc reason
	TAP_N=0 TAP_NOTOK=0 TAP_PLAN="" TAP_LAST=""
	while IFS= read -r line; do
		if [[ $line =~ $TAP_PLAN_RE ]]; then
			TAP_PLAN=$(( ${TAP_PLAN:-0} + BASH_REMATCH[1] ))
			continue
		fi
		[[ $line =~ $TAP_TEST_RE ]] || continue
		TAP_N=$((TAP_N + 1))
		kind=${BASH_REMATCH[1]} desc=${BASH_REMATCH[4]}
		if [[ $desc =~ $TAP_SKIP_RE ]]; then
			reason=${BASH_REMATCH[3]:-no reason given}
			desc=${BASH_REMATCH[1]:-test $TAP_N}
			if [ "${CI:-}" = true ]; then
				TAP_NOTOK=$((TAP_NOTOK + 1))
				echo "not ok - [$label] $desc (skipped in CI: $reason)" >>"$TAP_LOG"
			else
				echo "skip - [$label] $desc: $reason" >>"$TAP_LOG"
			fi
		elif [ "$kind" = ok ]; then
			echo "ok - [$label] $desc" >>"$TAP_LOG"
		else
			TAP_NOTOK=$((TAP_NOTOK + 1))
			echo "not ok - [$label] $desc" >>"$TAP_LOG"
		fi
		TAP_LAST=$desc
	done <"$out"
}

# tap_suite LABEL CMD...: run one suite and count it (see the top).
tap_suite() {
	local label=$1 out err rc start why="" r
	shift
	out=$TAP_TMP/suite.out err=$TAP_TMP/suite.err
	rm -rf "$PLEXUS_SAN_DIR"
	mkdir -p "$PLEXUS_SAN_DIR"
	echo "== $label" >>"$TAP_LOG"
	start=$(date +%s)
	"$@" >"$out" 2>"$err" </dev/null
	rc=$?
	sed 's/^/  | /' "$out" >>"$TAP_LOG"
	sed 's/^/  |stderr: /' "$err" >>"$TAP_LOG"
	tap_parse "$label" "$out"

	[ "$rc" = "$TAP_SAN_EXIT" ] && why="$why, exit $rc (a sanitizer's)"
	[ "$rc" != 0 ] && [ "$rc" != "$TAP_SAN_EXIT" ] && [ "$TAP_NOTOK" = 0 ] &&
		why="$why, exit $rc with no failing test"
	[ -n "$TAP_PLAN" ] && [ "$TAP_PLAN" != "$TAP_N" ] &&
		why="$why, plan 1..$TAP_PLAN but $TAP_N tests${TAP_LAST:+ (last: $TAP_LAST)}"
	[ "$TAP_N" = 0 ] && why="$why, printed no test"
	[ -z "$why" ] || tap_line "not ok" "$label" "suite:${why#,}"
	# reports no case owned: left in the folder, or printed on stderr
	while IFS= read -r r; do
		[ -n "$r" ] && tap_line "not ok" "$label" "sanitizer report ${TAP_LAST:+after \"$TAP_LAST\"}: $r"
	done < <(tap_san_reports "$PLEXUS_SAN_DIR")
	if grep -Eq "$TAP_SAN_RE" "$err"; then
		tap_line "not ok" "$label" "sanitizer/valgrind report on stderr: $(grep -Em1 "$TAP_SAN_RE" "$err")"
	fi
	if [ "$TAP_NOTOK" != 0 ] || [ -n "$why" ]; then
		grep -E '^(not ok|#   |# FAIL|Bail)' "$out" | head -60
		[ -s "$err" ] && tail -n 15 "$err" | sed 's/^/#stderr: /'
	fi
	echo "   $label: $((TAP_N - TAP_NOTOK)) ok, $TAP_NOTOK not ok, exit $rc, $(( $(date +%s) - start ))s"
	# each report whole into the log, a line "  |FILE: LINE" each (awk,
	# not sed: a report's name and text are not a sed expression's)
	for r in "$PLEXUS_SAN_DIR"/* "$PLEXUS_SAN_DIR"/seen/*; do
		[ -f "$r" ] && TAP_R=$(basename "$r") awk '{print "  |" ENVIRON["TAP_R"] ": " $0}' "$r" >>"$TAP_LOG"
	done
}

tap_summary() {
	local passed failed skipped
	passed=$(grep -c '^ok ' "$TAP_LOG")
	failed=$(grep -c '^not ok ' "$TAP_LOG")
	skipped=$(grep -c '^skip ' "$TAP_LOG")
	if [ "$skipped" != 0 ]; then
		echo "skipped:"
		grep '^skip ' "$TAP_LOG" | sed 's/^skip - /  /'
	fi
	if [ "$failed" != 0 ]; then
		echo "failed:"
		grep '^not ok ' "$TAP_LOG" | sed 's/^not ok - /  /'
	fi
	rm -rf "$TAP_TMP"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
}
