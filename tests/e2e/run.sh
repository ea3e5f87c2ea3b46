#!/bin/bash
# make e2e: a one-node Kubernetes cluster from real parts (node.sh),
# plexus deployed on it as a user would (deploy.sh), the end-to-end suite
# (suite.sh), then teardown, checked to leave nothing behind. Every case
# prints one TAP line; the last line is "e2e: N passed, N failed".
# Knobs: E2E_CACHE (default /var/cache/plexus-e2e), E2E_KEEP=1 keeps the
# work dir's logs (the cluster is torn down all the same).
set -euo pipefail
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
E=$TOP/tests/e2e
LOG=$TOP/build/e2e.log
mkdir -p build
: >"$LOG"
# say LINE: to the log and the terminal once, whatever stdout is now
exec 3>&1
say() { echo "$*" >>"$LOG"; echo "$*" >&3; }
T0=$(date +%s)
NODE=plexus-e2e
W=""
STAGE=start
. "$TOP/tests/lib.sh"
. "$E/node.sh"
. "$E/deploy.sh"

finish() {
	local rc=$? p f
	set +e
	( t_cleanup ) || true # its exit 1 after a failed case must not skip the teardown
	if [ -n "$W" ]; then
		node_down
		leaks=$(node_leaks)
		if [ -z "$leaks" ]; then
			say "ok - teardown: no process, mount, link, netns, iptables rule, sysctl or host path left"
		else
			say "not ok - teardown: no process, mount, link, netns, iptables rule, sysctl or host path left"
			say "$(echo "$leaks" | sed 's/^/#   /')"
		fi
		if [ "${E2E_KEEP:-0}" = 1 ]; then
			: >"$W/torn-down" # reap_stale leaves it to its owner
			say "# logs kept in $W/log"
		else
			rm -rf "$W"
		fi
	fi
	p=$(grep -c '^ok ' "$LOG")
	f=$(grep -c '^not ok ' "$LOG")
	[ "$rc" = 0 ] || [ "$f" -gt 0 ] || {
		say "not ok - e2e run ended early in $STAGE (exit $rc)"
		f=$((f + 1))
	}
	say "# e2e took $(($(date +%s) - T0)) s"
	say "e2e: $p passed, $f failed"
	[ "$f" = 0 ] && [ "$rc" = 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

# reap_stale: a run killed before its teardown (a session cut short, a
# kill -9) leaves its work dir, mounts, links (e2e-*) and maybe processes;
# the next run would trip over them ("RTNETLINK answers: File exists").
# Only one make e2e runs at a time (the pid check below), so every work dir
# found here is dead: its processes are killed and node_down undoes the rest.
reap_stale() {
	local d p l
	for d in /tmp/plexus-e2e.*; do
		[ -d "$d" ] && [ ! -e "$d/torn-down" ] || continue
		say "# reaping a killed run's leftovers: $d"
		for p in $(pgrep -f "$d/" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
		rm -rf "$d/pids"
		( W=$d; node_down ) >/dev/null 2>&1 || true
		rm -rf "$d"
	done
	for l in $(node_links | sort -r); do ip link del "$l" 2>/dev/null || true; done
}

# the run's pid in a file, not a flock: the daemons started below would
# inherit a lock's descriptor and outlive a killed run
RUNPID=${E2E_CACHE:-/var/cache/plexus-e2e}/run.pid
mkdir -p "$(dirname "$RUNPID")"
if p=$(cat "$RUNPID" 2>/dev/null) && [ "$p" != $$ ] &&
	tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q 'tests/e2e/run.sh'; then
	say "not ok - another make e2e (pid $p) is running on this machine"
	exit 1
fi
echo $$ >"$RUNPID"
reap_stale

log "Kubernetes binaries (cached after the first build)"
t=$(date +%s)
KBIN=$("$E/k8s-build.sh")
echo "# kubernetes binaries ready in $(($(date +%s) - t)) s: $KBIN" | tee -a "$LOG"
log "plexus image root"
"$E/image.sh"

W=$(mktemp -d /tmp/plexus-e2e.XXXXXX)
chmod 755 "$W"
t=$(date +%s)
STAGE=node_up
node_up > >(tee -a "$LOG") 2>&1
echo "# cluster up in $(($(date +%s) - t)) s" | tee -a "$LOG"
STAGE=suite
. "$E/suite.sh" > >(tee -a "$LOG") 2>&1
