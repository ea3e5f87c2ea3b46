#!/bin/bash
# P6: parallel ADD (issue 17 Measured): a pod of 4 networks whose
# delegate (plexus-testplugin) sleeps 500 ms at ADD, through plexus with
# parallelAttach false and true, alternating call by call (cnibench).
# Prints the two medians and their ratio; nothing here is a pass/fail
# test.
#   B_PAR_ITER   iterations (default 10: a sequential ADD takes 2 s)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
TB=$BIN/tests
N=${B_PAR_ITER:-10}
W=$(mktemp -d /tmp/plexus-bench-par.XXXXXX)
P=pabench-p$$
trap 'ip netns del "$P" 2>/dev/null || true; rm -rf "$W"' EXIT
ip netns add "$P"

slow() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"slow$1\",\"type\":\"plexus-testplugin\",\"sleepMs\":500,\"sleepOn\":\"ADD\",\"address\":\"10.99.$1.2/24\"}"; }
node() { # PARALLEL
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"meta\",\"type\":\"plexus\",\"cniDir\":\"$W/cache-$1\",\"parallelAttach\":$1,\"delegates\":[$(slow 1),$(slow 2),$(slow 3),$(slow 4)]}" >"$W/meta-$1.conf"
}
node false
node true
"$TB/cnibench" -n "$N" -p "$BIN:$TB" -s "/var/run/netns/$P" \
	"seq=ADD:$BIN/plexus:$W/meta-false.conf:eth0,DEL:$BIN/plexus:$W/meta-false.conf:eth0" \
	"par=ADD:$BIN/plexus:$W/meta-true.conf:eth0,DEL:$BIN/plexus:$W/meta-true.conf:eth0" >"$W/out" || true
field() { sed -n "s/^$1\/1:ADD .*$2=\([0-9.]*\).*/\1/p" "$W/out"; }
seq=$(field seq median_ms) par=$(field par median_ms)
printf '%-58s %12s %12s %10s\n' "P6 4-net pod, 500 ms delegates, ADD sequential vs parallel" \
	"${par} ms" "${seq} ms" "$(python3 -c "print(f'{$seq/$par:.2f}x')")"
echo "failures: P6 seq=$(sed -n 's/^seq.*failures=\([0-9]*\).*/\1/p' "$W/out" | head -1) par=$(sed -n 's/^par.*failures=\([0-9]*\).*/\1/p' "$W/out" | head -1)"
