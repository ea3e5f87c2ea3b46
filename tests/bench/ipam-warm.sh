#!/bin/bash
# plexus-ipam's etcd requests through plexusd's warm stores (issue 14
# item 4): one node's ADDs into an empty pool of /26 blocks, then DELs of
# the same, one at a time, with the node setting "storeSocket"; each
# call's requests are plexusd's own (plexusd_etcd_requests_total: range
# and txn, before and after the call; plexus-ipam makes none of its own
# while plexusd answers), and its block headers answered from memory
# (plexusd_store_cache_total{result="hit"}). The counts do not depend on
# the machine. B_WARM_N (20): ADDs, then as many DELs. B_BIN: the
# binaries' directory (default build/bin), to measure another build.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${B_BIN:-$TOP/build/bin}
N=${B_WARM_N:-20}
W=$(mktemp -d /tmp/plexus-bench-warm.XXXXXX)
SOCK=$W/run/store.sock
PD_PID=""
. "$TOP/tests/lib-etcd.sh"
cleanup() {
	[ -z "$PD_PID" ] || { kill "$PD_PID" 2>/dev/null; wait "$PD_PID" 2>/dev/null; } || true
	etcd_stop
	rm -rf "$W"
}
trap cleanup EXIT
etcd_init "$W/etcd"
etcd_start >/dev/null
mkdir -p "$W/run" "$W/pdnet"
"$BIN/plexusd" --no-install --no-kubeconfig --cni-conf-dir "$W/pdnet" \
	--store-socket "$SOCK" --listen 127.0.0.1:0 --log-level verbose 2>"$W/pd.log" &
PD_PID=$!
for _ in $(seq 100); do
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$W/pd.log")
	[ -n "$PORT" ] && [ -S "$SOCK" ] && break
	sleep 0.05
done
[ -n "${PORT:-}" ] && [ -S "$SOCK" ] || { cat "$W/pd.log"; echo "plexusd did not start" >&2; exit 1; }
cat >"$W/node.conf" <<EON
{"store": {"type": "etcd", "endpoints": ["$ETCD_URL"], "lockDir": "$W/locks"},
 "storeSocket": "$SOCK"}
EON
export PLEXUS_IPAM_CONF=$W/node.conf
echo '{"cniVersion":"1.1.0","name":"warm","type":"bridge","ipam":{"type":"plexus-ipam","range":"10.50.0.0/24","blockSize":26}}' >"$W/c.json"

# range txn hits, from plexusd's metrics
counts() {
	curl -sS "http://127.0.0.1:$PORT/metrics" | awk '
		/^plexusd_etcd_requests_total\{op="range"/ {r += $2}
		/^plexusd_etcd_requests_total\{op="txn"/ {t += $2}
		/^plexusd_store_cache_total\{result="hit"\}/ {h = $2}
		END {print r + 0, t + 0, h + 0}'
}
call() { # CMD I
	local cid
	cid=$(printf '%064x' "$2")
	env CNI_COMMAND="$1" CNI_CONTAINERID="$cid" CNI_NETNS=/var/run/netns/x CNI_IFNAME=eth0 \
		NODE_NAME=node-a \
		CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-deployment-7d4b9c6f5-x$2;K8S_POD_UID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0" \
		"$BIN/plexus-ipam" <"$W/c.json" >"$W/out" 2>"$W/err" || { echo "$1 $2 failed: $(cat "$W/out" "$W/err")"; exit 1; }
}

echo "plexus-ipam through plexusd: etcd, one node, 10.50.0.0/24 in /26 blocks ($BIN)"
printf '%-4s %4s %6s %4s %11s\n' call "#" ranges txns "cache hits"
for cmd in ADD DEL; do
	for i in $(seq "$N"); do
		read -r r0 t0 h0 < <(counts)
		call "$cmd" "$i"
		read -r r1 t1 h1 < <(counts)
		printf '%-4s %4s %6s %4s %11s\n' "$cmd" "$i" $((r1 - r0)) $((t1 - t0)) $((h1 - h0)) | tee -a "$W/rows"
	done
done
# the steady figure: the most frequent count of each call after the first
for cmd in ADD DEL; do
	awk -v c="$cmd" '$1 == c && $2 > 1 {n[$3 + $4 " (" $3 " range, " $4 " txn)"]++}
		END {for (k in n) if (n[k] > best) {best = n[k]; m = k}; print c ": " m " requests, " best " of the calls after the first"}' "$W/rows"
done
