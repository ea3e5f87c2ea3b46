#!/bin/bash
# P5: plexusctl plan for a pod asking for 32 networks, NADs and the pod
# read from a manifests folder (32 NADs + 1 cluster network, one file
# each, generated here). Times the whole process (exec, YAML parsing,
# select, plan, JSON output), so it bounds what the same plan costs
# inside plexus. Prints one line; nothing here is a pass/fail test.
#   B_ITER   runs (default 200)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CTL=${CTL:-$TOP/build/bin/plexusctl}
N=${B_ITER:-200}
W=$(mktemp -d /tmp/plexus-bench-plan.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/nads"

nad() { # NS NAME INDEX
	cat >"$W/nads/$1-$2.yaml" <<NAD
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: $2, namespace: $1}
spec:
  config: |
    {"cniVersion": "1.0.0", "name": "$2", "plugins": [
      {"type": "macvlan", "master": "eth1", "mode": "bridge",
       "capabilities": {"ips": true, "mac": true},
       "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.$(( 100 + $3 / 250 )).$(( $3 % 250 )).0/24"}]]}},
      {"type": "tuning", "capabilities": {"mac": true}}]}
NAD
}
nad kube-system cluster 0
nets=""
for i in $(seq 1 32); do
	nad default "net-$i" "$i"
	nets="$nets${nets:+, }{\"name\": \"net-$i\", \"interface\": \"n$i\", \"ips\": [\"10.$(( 100 + i / 250 )).$(( i % 250 )).9/24\"]}"
done
cat >"$W/nads/pod.yaml" <<POD
apiVersion: v1
kind: Pod
metadata:
  name: wide
  namespace: default
  uid: 9b1f0000-0000-4000-8000-000000000032
  annotations:
    k8s.v1.cni.cncf.io/networks: '[$nets]'
POD
echo '{"cniVersion": "1.0.0", "name": "plexus", "type": "plexus", "clusterNetwork": "cluster"}' >"$W/node.conf"

# one run first: it must plan 33 attachments
"$CTL" plan --config "$W/node.conf" --nads "$W/nads" --pod default/wide -o json >"$W/out.json"
got=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["attachments"]))' "$W/out.json")
[ "$got" = 33 ] || { echo "P5: expected 33 attachments, got $got" >&2; exit 1; }

for _ in $(seq 1 "$N"); do
	t0=$EPOCHREALTIME
	"$CTL" plan --config "$W/node.conf" --nads "$W/nads" --pod default/wide -o json >/dev/null
	t1=$EPOCHREALTIME
	echo "$t0 $t1"
done | python3 -c '
import statistics, sys
ms = [(float(b) - float(a)) * 1000 for a, b in (l.split() for l in sys.stdin)]
print(f"P5 plan time for a pod asking for 32 networks: {statistics.median(ms):.2f} ms (median of {len(ms)})")'
