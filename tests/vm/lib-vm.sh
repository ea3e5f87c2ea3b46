# shellcheck shell=sh
# Helpers for the in-VM cases (busybox sh), sourced before each case file
# by tests/vm/runner.sh. A case file prints one TAP line per case through
# vm_case, or a TAP skip ("ok - ... # SKIP reason") through vm_skip.
# Variables: VM_CASE (the case file's name), TOP=/plexus (where --bin put
# repo-relative binaries), BINDIR (e.g. build/bin), KVER,
# VM_NETDEVSIM_SKIP (set when netdevsim is missing: the reason).

# busybox prefers its own cut-down ip applet; a function beats an applet.
ip() { /sbin/ip "$@"; }

VM_T=$(mktemp -d /tmp/vm-case.XXXXXX)
VM_NETNS=""
vm_cleanup() {
	for n in $VM_NETNS; do /sbin/ip netns del "$n" 2>/dev/null; done
	rm -rf "$VM_T"
}
trap vm_cleanup EXIT

# vm_netns NAME: a fresh netns with lo up, deleted when the case file ends.
vm_netns() {
	/sbin/ip netns add "$1" || return 1
	/sbin/ip -n "$1" link set lo up
	VM_NETNS="$VM_NETNS $1"
}

# vm_case NAME FUNC [ARGS...]: run FUNC in a subshell under set -e and
# print "ok - CASEFILE: NAME" or "not ok - ..." with FUNC's output. The
# subshell is deliberately not an if condition: there set -e would be
# ignored and a failing step in the middle would go unnoticed.
vm_case() {
	_n=$1
	shift
	( set -e; "$@" ) >"$VM_T/out" 2>&1
	_rc=$?
	if [ "$_rc" = 0 ]; then
		echo "ok - $VM_CASE: $_n"
	else
		echo "not ok - $VM_CASE: $_n"
		sed 's/^/#   /' "$VM_T/out" | tail -n 40
	fi
}

# vm_skip NAME REASON: a case that cannot run here: a TAP skip, counted as
# skipped by tests/run.sh (and as failed under CI=true).
vm_skip() { echo "ok - $VM_CASE: $1 # SKIP $2"; }

# fail MSG: abort the current case.
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# expect_eq GOT WANT WHAT
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
# expect_match TEXT PATTERN WHAT: PATTERN (grep -E) found in TEXT.
expect_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" ||
		fail "$3: '$2' not in: $1"
}
