#!/bin/bash
# make bench, the delegates this machine's kernel lacks: plexus-ipvlan
# against the reference ipvlan, timed inside the test VM (tests/vm, Debian's
# kernel under qemu TCG emulation), with the bridge row as a yardstick:
# emulation slows a Go binary's start-up and a syscall differently, so
# only the ratios next to the yardstick mean something. Not a test.
#   B_VM_ITER  iterations (default 20)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
BINDIR=build/bin
"$TOP/tests/vm/fetch.sh" >&2
echo "native delegates in the VM (qemu TCG, $(nproc) cores): ${B_VM_ITER:-20} iterations each, alternating; median per call"
args=()
for b in "$BINDIR/plexus-ipvlan" "$BINDIR/plexus-bridge" "$BINDIR/tests/cnibench" \
	/usr/lib/cni/ipvlan /usr/lib/cni/bridge /usr/lib/cni/host-local; do
	args+=(--bin "$b")
done
out=$("$TOP/tests/vm/run.sh" "${args[@]}" --env "BINDIR=$BINDIR" --env "TOP=/plexus" \
	--env "B_ITER=${B_VM_ITER:-20}" --script "$TOP/tests/bench/vm-guest.sh" 2>/dev/null) || {
	echo "vm bench did not run to its end:"; echo "$out" | tail -5; exit 0; }
printf '%-40s %-4s %10s %10s %8s\n' "row" "verb" "plexus" "reference" "speed-up"
echo "$out" | sed -n 's/^# VMBENCH //p'
echo "(the same bridge row on the host: tests/bench/delegates.sh; a ratio here means only next to the yardstick's)"
