#!/bin/bash
# make bench: every row is measured in this run and reported as a ratio or
# a difference against the reference. Rows timed by tests/bench/cnibench.c
# (this file, delegates.sh, vm.sh) alternate the contenders call by call;
# the IPAM rows (ipam.sh) are batches, said so in their own header. Failed
# calls are left out of every timing and counted on a "failures" line.
# Nothing here is a pass/fail test.
#   B_ITER   iterations (default 200)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
TB=$BIN/tests
REF=/usr/lib/cni
N=${B_ITER:-200}
W=$(mktemp -d /tmp/plexus-bench.XXXXXX)
H=plxbench-h$$ P=plxbench-p$$ Q=plxbench-q$$
cleanup() { for n in "$H" "$P" "$Q"; do ip netns del "$n" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
ip netns add "$H"; ip netns add "$P"; ip netns add "$Q"
QNS=/var/run/netns/$Q # the reference contender's pod
ip -n "$H" link add plxup type veth peer name plxupp
ip -n "$H" link set plxup up; ip -n "$H" link set plxupp up
PNS=/var/run/netns/$P

noop() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"plexus-testplugin\"}"; }
for i in 1 2 3; do noop "noop$i" >"$W/noop$i.conf"; done
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"meta\",\"type\":\"plexus\",\"cniDir\":\"$W/cache\",\"delegates\":[$(noop noop1),$(noop noop2),$(noop noop3)]}" >"$W/meta-noop.conf"

ipam() { echo "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$W/ipam-$1\",\"ranges\":[[{\"subnet\":\"$2\"}]]}"; }
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"r1\",\"type\":\"bridge\",\"bridge\":\"plxb1\",\"isGateway\":true,$(ipam r1 10.200.0.0/16)}" >"$W/r1.conf"
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"r2\",\"type\":\"macvlan\",\"master\":\"plxup\",\"mode\":\"bridge\",$(ipam r2 10.201.0.0/16)}" >"$W/r2.conf"
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"r3\",\"type\":\"bridge\",\"bridge\":\"plxb3\",$(ipam r3 10.202.0.0/16)}" >"$W/r3.conf"
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"meta\",\"type\":\"plexus\",\"cniDir\":\"$W/cache\",\"delegates\":[$(cat "$W/r1.conf"),$(cat "$W/r2.conf"),$(cat "$W/r3.conf")]}" >"$W/meta-ref.conf"

# the store is a node setting: plexus hands "ipamNodeConfig" to plexus-ipam
pipam() { echo "\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$1\"}"; }
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"meta\",\"type\":\"plexus\",\"cniDir\":\"$W/cache\",\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$W/pstore\"}},\"delegates\":[
 {\"cniVersion\":\"1.0.0\",\"name\":\"n1\",\"type\":\"plexus-bridge\",\"bridge\":\"plxn1\",\"isGateway\":true,$(pipam 10.210.0.0/16)},
 {\"cniVersion\":\"1.0.0\",\"name\":\"n2\",\"type\":\"plexus-macvlan\",\"master\":\"plxup\",\"mode\":\"bridge\",$(pipam 10.211.0.0/16)},
 {\"cniVersion\":\"1.0.0\",\"name\":\"n3\",\"type\":\"plexus-bridge\",\"bridge\":\"plxn3\",$(pipam 10.212.0.0/16)}]}" >"$W/meta-native.conf"

# cnibench exits 1 when a step failed: its failures are read from its output
bench() { ip netns exec "$H" "$TB/cnibench" -n "$N" -p "$BIN:$TB:$REF" -s "$PNS" "$@" || true; }
field() { sed -n "s/^$1 .*$2=\([0-9.]*\).*/\1/p" "$W/out"; }
echo "plexus bench: $N iterations each, alternating call by call; failed calls excluded from timings; $(nproc) cores, kernel $(uname -r)"

# P2: meta overhead, three no-op delegates, one pod ADD+DEL
bench "plexus=ADD:$BIN/plexus:$W/meta-noop.conf:eth0,DEL:$BIN/plexus:$W/meta-noop.conf:eth0" \
	"direct=ADD:$TB/plexus-testplugin:$W/noop1.conf:eth0,ADD:$TB/plexus-testplugin:$W/noop2.conf:net1,ADD:$TB/plexus-testplugin:$W/noop3.conf:net2,DEL:$TB/plexus-testplugin:$W/noop3.conf:net2,DEL:$TB/plexus-testplugin:$W/noop2.conf:net1,DEL:$TB/plexus-testplugin:$W/noop1.conf:eth0" >"$W/out"
p2p=$(field plexus median_ms) p2d=$(field direct median_ms) rss=$(field plexus max_rss_kib)
p2f=$(field plexus failures) p2df=$(field direct failures)

# P1-ref: 3-network pod through the reference plugins, via plexus vs direct
bench "plexus=ADD:$BIN/plexus:$W/meta-ref.conf:eth0,DEL:$BIN/plexus:$W/meta-ref.conf:eth0" \
	"direct=ADD:$REF/bridge:$W/r1.conf:eth0,ADD:$REF/macvlan:$W/r2.conf:net1,ADD:$REF/bridge:$W/r3.conf:net2,DEL:$REF/bridge:$W/r3.conf:net2,DEL:$REF/macvlan:$W/r2.conf:net1,DEL:$REF/bridge:$W/r1.conf:eth0" >"$W/out"
p1p=$(field plexus median_ms) p1d=$(field direct median_ms)
p1f=$(field plexus failures) p1df=$(field direct failures)

# P1: the same pod with plexus' native delegates and plexus-ipam run
# in-process, against the reference plugins + host-local called directly;
# ADD alone and ADD+DEL
bench "native-add=ADD:$BIN/plexus:$W/meta-native.conf:eth0" \
	"ref-add=ADD:$REF/bridge:$W/r1.conf:eth0:$QNS,ADD:$REF/macvlan:$W/r2.conf:net1:$QNS,ADD:$REF/bridge:$W/r3.conf:net2:$QNS" \
	"native-del=DEL:$BIN/plexus:$W/meta-native.conf:eth0" \
	"ref-del=DEL:$REF/bridge:$W/r3.conf:net2:$QNS,DEL:$REF/macvlan:$W/r2.conf:net1:$QNS,DEL:$REF/bridge:$W/r1.conf:eth0:$QNS" >"$W/out"
na=$(field native-add median_ms) ra=$(field ref-add median_ms)
nd=$(field native-del median_ms) rd=$(field ref-del median_ms)
nrss=$(field native-add max_rss_kib)
p1nf="$(field native-add failures)/$(field native-del failures) ref add/del=$(field ref-add failures)/$(field ref-del failures)"

# P4: the cost of policy routing: the same native pod, ADD+DEL, with
# policyRouting on (two secondary networks: a table and rules each) and off
sed 's/"cniDir"/"policyRouting":true,"cniDir"/' "$W/meta-native.conf" >"$W/meta-native-pr.conf"
bench "pr-on=ADD:$BIN/plexus:$W/meta-native-pr.conf:eth0,DEL:$BIN/plexus:$W/meta-native-pr.conf:eth0" \
	"pr-off=ADD:$BIN/plexus:$W/meta-native.conf:eth0,DEL:$BIN/plexus:$W/meta-native.conf:eth0" >"$W/out"
pon=$(field pr-on median_ms) poff=$(field pr-off median_ms)
p4f="$(field pr-on failures)/$(field pr-off failures)"

printf '\n%-58s %12s %12s %10s\n' "row" "plexus" "reference" "result"
row() { printf '%-58s %12s %12s %10s\n' "$@"; }
row "P2 meta overhead, 3 no-op delegates, ADD+DEL (median)" "${p2p} ms" "${p2d} ms" \
	"+$(python3 -c "print(f'{$p2p-$p2d:.2f}')") ms"
row "P1 3-net pod, native in-process vs reference, ADD" "${na} ms" "${ra} ms" \
	"$(python3 -c "print(f'{$ra/$na:.2f}x')")"
row "P1 3-net pod, native in-process vs reference, ADD+DEL" \
	"$(python3 -c "print(f'{$na+$nd:.3f}')") ms" "$(python3 -c "print(f'{$ra+$rd:.3f}')") ms" \
	"$(python3 -c "print(f'{($ra+$rd)/($na+$nd):.2f}x')")"
row "P1' 3-net pod, plexus driving the reference plugins, ADD+DEL" "${p1p} ms" "${p1d} ms" \
	"$(python3 -c "print(f'{$p1d/$p1p:.2f}x')")"
row "P4 policy routing, native 3-net pod ADD+DEL, on vs off" "${pon} ms" "${poff} ms" \
	"+$(python3 -c "print(f'{($pon-$poff)/2:.2f}')") ms/net"
row "P3 plexus peak RSS (no-op delegates)" "$(python3 -c "print(f'{$rss/1024:.2f}')") MiB" "-" "-"
row "P3 plexus peak RSS (native delegates in-process)" "$(python3 -c "print(f'{$nrss/1024:.2f}')") MiB" "-" "-"
echo "failures: P2 plexus=$p2f direct=$p2df; P1' plexus=$p1f direct=$p1df; P1 native add/del=$p1nf; P4 on/off=$p4f"
[ -x "$TOP/tests/bench/parallel.sh" ] && "$TOP/tests/bench/parallel.sh" || true
[ -x "$TOP/tests/bench/plan.sh" ] && "$TOP/tests/bench/plan.sh" || true
[ -x "$TOP/tests/bench/ipam.sh" ] && "$TOP/tests/bench/ipam.sh" || true
[ -x "$TOP/tests/bench/delegates.sh" ] && "$TOP/tests/bench/delegates.sh" || true
[ -x "$TOP/tests/bench/plexusd.sh" ] && "$TOP/tests/bench/plexusd.sh" || true
[ -x "$TOP/tests/bench/ipam-scale.sh" ] && "$TOP/tests/bench/ipam-scale.sh" || true
[ -x "$TOP/tests/bench/ipam-fill.sh" ] && "$TOP/tests/bench/ipam-fill.sh" || true
[ -x "$TOP/tests/bench/ipam-warm.sh" ] && "$TOP/tests/bench/ipam-warm.sh" || true
[ -x "$TOP/tests/bench/vm.sh" ] && "$TOP/tests/bench/vm.sh" || true
