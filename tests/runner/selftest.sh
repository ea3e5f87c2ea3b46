#!/bin/bash
# The runner's self-test: each way a failure used to hide behind
# "N passed, 0 failed" is staged with a fake suite and run through the very
# engine tests/run.sh uses (tests/tap.sh); the closing line must count it as
# intended. Fakes: tests/runner/fake_suite.c (a cmocka stand-in, built here
# with and without ASan+UBSan) and small shell suites on tests/lib.sh.
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
F=$T_TMP/fakes
mkdir -p "$F"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
BUILD_OK=1
# shellcheck disable=SC2086
cc -O0 -g $SAN -o "$F/san" tests/runner/fake_suite.c 2>"$T_TMP/cc.log" &&
	cc -O0 -g -o "$F/plain" tests/runner/fake_suite.c 2>>"$T_TMP/cc.log" || BUILD_OK=0

# shell fakes, on tests/lib.sh as real suites are
fake_sh() { # NAME BODY: $F/NAME.sh sourcing lib.sh, then BODY
	printf '. %q\nFAKE=%q\n%s\n' "$TOP/tests/lib.sh" "$F/san" "$2" >"$F/$1.sh"
}
fake_sh errpath 'errleak() { "$FAKE" errleak >/dev/null; }
expect_rc1() { set +e; errleak; rc=$?; set -e; [ "$rc" = 1 ] || fail "rc $rc"; }
t_case "error path exits 1 as expected" expect_rc1'
fake_sh swallowed 't_case "a leak on an error path whose exit code nobody checks" sh -c "\"$FAKE\" errleak >/dev/null 2>&1 || true"'
fake_sh skip 't_case "runs" true
t_skip "needs the VM" "qemu missing"'
fake_sh failing 't_case "fails" false
t_case "passes" true'
fake_sh env 'check_env() { [ -z "${PLEXUSCTL_REGEN:-}" ] || fail "PLEXUSCTL_REGEN=$PLEXUSCTL_REGEN reached the suite"; }
t_case "variables that change expectations are cleared" check_env'
fake_sh abort 't_case "first" true
set -e; false
t_case "never reached" true'
# a crash report, as a fuzz harness under ASan leaves one in the
# runner's report folder (70-fuzz.sh), its name and text full of sed's
# delimiters and metacharacters
cat >"$F/sanfile.sh" <<'EOF_S'
echo "ok 1 - ran"
echo "1..1"
printf '%s\n' 'ERROR: AddressSanitizer: a|b/c&d\e in fuzz_x' >"$PLEXUS_SAN_DIR/report|a&c.1"
EOF_S
printf 'import sys\nraise SystemExit("setup failed")\n' >"$F/raises.py"
printf 'ok - fine\nok - 31-sriov: VF settings # SKIP netdevsim not built\n' >"$F/vmskip.tap"

# outcome WANT CMD...: CMD through a fresh runner (its own log and report
# folder, CI unset unless the caller sets it); the closing line must be WANT
outcome() {
	local want=$1 got
	shift
	got=$( (
		CI=${RUN_CI:-}
		. "$TOP/tests/tap.sh"
		tap_init "$T_TMP/inner.log"
		tap_suite fake "$@" >/dev/null
		tap_summary
	) | tail -n1)
	if [ "$got" != "$want" ]; then
		sed 's/^/  /' "$T_TMP/inner.log" | head -60
		fail "closing line '$got', want '$want'"
	fi
}
need_build() { [ "$BUILD_OK" = 1 ] || { cat "$T_TMP/cc.log"; fail "fake suite did not build"; }; }
cm() { need_build; outcome "$1" env CMOCKA_MESSAGE_OUTPUT=TAP "$F/$2" "$3"; }

t_case "runner: a clean cmocka binary counts 3 passed" cm "3 passed, 0 failed, 0 skipped" san clean
t_case "runner: a crash after test 1 of 3 fails the suite (exit, plan)" cm "1 passed, 1 failed, 0 skipped" plain crash
t_case "runner: an ASan-caught crash: suite and report both fail" cm "1 passed, 2 failed, 0 skipped" san crash
t_case "runner: a heap overflow in test 2 of 3: suite and report fail" cm "1 passed, 2 failed, 0 skipped" san overflow
t_case "runner: UBSan in test 2 of 3: suite and report fail" cm "1 passed, 2 failed, 0 skipped" san ubsan
t_case "runner: a leak reported at exit after every ok line" cm "3 passed, 2 failed, 0 skipped" san leak
t_case "runner: exit 1 after every ok line" cm "3 passed, 1 failed, 0 skipped" san exit1
t_case "runner: fewer tests than the plan" cm "2 passed, 1 failed, 0 skipped" san short
vg_leak() { need_build; outcome "0 passed, 1 failed, 0 skipped" tests/valgrind-tap.sh "$F/plain" leak; }
t_case "runner: valgrind finds the leak of the plain build" vg_leak
t_case "runner: a leak on an error path that expects exit 1" \
	outcome "0 passed, 1 failed, 0 skipped" bash "$F/errpath.sh"
t_case "runner: a leak whose exit code the test swallowed" \
	outcome "0 passed, 1 failed, 0 skipped" bash "$F/swallowed.sh"
t_case "runner: a failing case counts once (no extra line for the exit)" \
	outcome "1 passed, 1 failed, 0 skipped" bash "$F/failing.sh"
t_case "runner: a suite that dies between cases" \
	outcome "1 passed, 1 failed, 0 skipped" bash "$F/abort.sh"
t_case "runner: a suite that raises before any TAP line" \
	outcome "0 passed, 1 failed, 0 skipped" python3 "$F/raises.py"
t_case "runner: a suite that prints nothing and exits 0" \
	outcome "0 passed, 1 failed, 0 skipped" true
t_case "runner: skips are counted and listed" \
	outcome "1 passed, 0 failed, 1 skipped" bash "$F/skip.sh"
t_case "runner: a VM-style TAP skip is a skip" \
	outcome "1 passed, 0 failed, 1 skipped" cat "$F/vmskip.tap"
ci_skip() { RUN_CI=true outcome "1 passed, 1 failed, 0 skipped" bash "$F/skip.sh"; }
t_case "runner: under CI=true a skip is a failure" ci_skip
regen() { export PLEXUSCTL_REGEN=1; outcome "1 passed, 0 failed, 0 skipped" bash "$F/env.sh"; }
t_case "runner: PLEXUSCTL_REGEN in the environment never reaches a suite" regen
san_file() {
	outcome "1 passed, 1 failed, 0 skipped" bash "$F/sanfile.sh" 2>"$T_TMP/sanfile.err"
	[ ! -s "$T_TMP/sanfile.err" ] || { cat "$T_TMP/sanfile.err"; fail "the runner wrote on stderr"; }
	grep -qxF '  |report|a&c.1: ERROR: AddressSanitizer: a|b/c&d\e in fuzz_x' "$T_TMP/inner.log" ||
		{ cat "$T_TMP/inner.log"; fail "the report is not in the log whole"; }
}
t_case "runner: a crash report named and worded with sed's delimiters reaches the log" san_file
