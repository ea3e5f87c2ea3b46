#!/bin/bash
# make demo: attach a real pod network namespace to three networks with
# plexus and Debian's reference plugins, show the result, delete it, and
# remove everything the demo created (also when a step fails).
# Host-side objects live in their own "host" netns, so the machine's own
# network is never touched.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
CONF=${1:-$TOP/examples/static-3net.conf}
BIN=${BINDIR:-$TOP/build/bin}
HOSTNS=plexus-demo-host
PODNS=plexus-demo-pod
CID=demo-$$

cleanup() {
	ip netns del "$PODNS" 2>/dev/null || true
	ip netns del "$HOSTNS" 2>/dev/null || true
	rm -rf /run/plexus-demo
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

plexus() { # CMD
	ip netns exec "$HOSTNS" env CNI_COMMAND="$1" CNI_CONTAINERID="$CID" \
		CNI_NETNS="/var/run/netns/$PODNS" CNI_IFNAME=eth0 \
		CNI_PATH="$BIN:/usr/lib/cni" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=demo;K8S_POD_UID=0d6c9d2e-demo" \
		"$BIN/plexus" <"$CONF"
}

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
cleanup
step "host netns $HOSTNS with plxdemo-up (macvlan parent), pod netns $PODNS"
ip netns add "$HOSTNS"
ip netns add "$PODNS"
ip -n "$HOSTNS" link set lo up
ip -n "$PODNS" link set lo up
ip -n "$HOSTNS" link add plxdemo-up type veth peer name plxdemo-peer
ip -n "$HOSTNS" link set plxdemo-up up
ip -n "$HOSTNS" link set plxdemo-peer up

step "plexus ADD ($(basename "$CONF"): delegates bridge, macvlan, bridge)"
plexus ADD | tee /run/plexus-demo.result.json

step "pod interfaces"
ip -n "$PODNS" -br addr show
step "pod routes"
ip -n "$PODNS" route show

step "plexus CHECK"
plexus CHECK && echo "CHECK ok"

step "plexus DEL"
plexus DEL && echo "DEL ok"
step "pod interfaces after DEL"
ip -n "$PODNS" -br addr show
left=$(ip -n "$PODNS" -o link show | grep -vc ': lo:' || true)
held=$(find /run/plexus-demo/ipam -type f -name '10.*' 2>/dev/null | wc -l)
echo "links left in the pod besides lo: $left; addresses still held: $held"
rm -f /run/plexus-demo.result.json
[ "$left" = 0 ] && [ "$held" = 0 ]
