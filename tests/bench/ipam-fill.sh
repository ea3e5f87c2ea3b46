#!/bin/bash
# plexus-ipam's writes by a block's fill (issue 20 item 3): one node's ADDs
# into an empty pool of /26 blocks on Debian's etcd, one at a time through
# the counting relay (tests/ipamseed/tcpcount.py): requests, bytes sent
# and received of each, from the block's first address to the ADD that
# fills it and the one that claims the next block. Realistic sizes: a
# 64-hex-digit container ID, a 33-character pod name, a UUID. Requests and
# bytes do not depend on the machine. B_FILL_ADDS (65): ADDs made.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
N=${B_FILL_ADDS:-65}
W=$(mktemp -d /tmp/plexus-bench-fill.XXXXXX)
. "$TOP/tests/bench/lib-relay.sh"
cleanup() {
	relay_stop
	rm -rf "$W"
}
trap cleanup EXIT
relay_start "$W"
cat >"$W/node.conf" <<EON
{"stores": {"relay": {"type": "etcd", "endpoints": ["$RELAY"], "lockDir": "$W/locks"}}}
EON
export PLEXUS_IPAM_CONF=$W/node.conf
echo '{"cniVersion":"1.1.0","name":"fill","type":"bridge","ipam":{"type":"plexus-ipam","store":"relay","range":"10.50.0.0/24","blockSize":26}}' >"$W/c.json"

echo "plexus-ipam writes by block fill: etcd, one node, 10.50.0.0/24 in /26 blocks"
printf '%4s %-16s %6s %11s %11s\n' ADD address reqs "bytes sent" "bytes recv"
max=0
for i in $(seq "$N"); do
	cid=$(printf '%064x' "$i")
	: >"$W/relay.log"
	env CNI_COMMAND=ADD CNI_CONTAINERID="$cid" CNI_NETNS=/var/run/netns/x CNI_IFNAME=eth0 \
		NODE_NAME=node-a \
		CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-deployment-7d4b9c6f5-x$i;K8S_POD_UID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" \
		"$BIN/plexus-ipam" <"$W/c.json" >"$W/out" || { echo "ADD $i failed: $(cat "$W/out")"; exit 1; }
	sleep 0.1 # the relay logs a connection once both sides closed
	ip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"])' "$W/out")
	read -r sent recv reqs < <(awk '{s+=$1; r+=$2; q+=$3} END {print s+0, r+0, q+0}' "$W/relay.log")
	printf '%4s %-16s %6s %11s %11s\n' "$i" "$ip" "$reqs" "$sent" "$recv"
	# the largest ADD into a block it does not claim (not the first
	# ADD, not the one after a block filled)
	case "$reqs" in 3 | 4) [ "$sent" -le "$max" ] || max=$sent ;; esac
done
echo "largest ADD into an existing block: $max bytes sent (goal 2048)"
