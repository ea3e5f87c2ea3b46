#!/bin/bash
# plexus-ipam benchmark: ms per allocation (file and etcd stores next to
# the reference host-local), /8 vs /24 pool, 1/2/4 concurrent allocators
# against etcd (one node each), store size for a /8 after 1000
# allocations. Each allocation is one exec of the plugin (CNI ADD), as a
# runtime does it. Env: BINDIR (build/bin), REFDIR (/usr/lib/cni),
# IPAM_BENCH_N (allocations per row, default 200).
set -e
cd "$(dirname "$0")/../.."
TOP=$PWD
: "${BINDIR:=build/bin}" "${REFDIR:=/usr/lib/cni}" "${IPAM_BENCH_N:=200}"
IPAM=$TOP/$BINDIR/plexus-ipam
N=$IPAM_BENCH_N
TMP=$(mktemp -d /tmp/plexus-bench-ipam.XXXXXX)
. "$TOP/tests/lib-etcd.sh"
trap 'etcd_stop; rm -rf "$TMP"' EXIT
etcd_init "$TMP/etcd"
etcd_start

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# run_adds PLUGIN CONF NODE PREFIX COUNT: COUNT sequential ADDs.
run_adds() {
	for i in $(seq "$5"); do
		CNI_COMMAND=ADD CNI_CONTAINERID="$4-$i" CNI_NETNS=/var/run/netns/x \
		CNI_IFNAME=eth0 CNI_PATH="$REFDIR" NODE_NAME="$3" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=pod-$4-$i;K8S_POD_UID=$(printf '%08d-0000-4000-8000-%012d' "$i" "$i")" \
		"$1" <"$2" \
			>"$TMP/last.out" || { cat "$TMP/last.out" >&2; return 1; }
	done
}

plexus_conf() { # FILE RANGE STORE-JSON
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$2\",$3}}" >"$1"
}
hostlocal_conf() { # FILE SUBNET
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",\"type\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"$2\"}]],\"dataDir\":\"$TMP/hl-${2%/*}\"}}" >"$1"
}
file_store() { echo "\"store\":{\"type\":\"file\",\"path\":\"$TMP/$1\"}"; }
etcd_store() { echo "\"store\":{\"type\":\"etcd\",\"endpoints\":[\"$ETCD_URL\"],\"prefix\":\"/$1/\",\"lockDir\":\"$TMP/locks\"}"; }

# row LABEL PLUGIN CONF: time N sequential allocations; prints ms each.
row() {
	t0=$(now_ms)
	run_adds "$2" "$3" node1 "$(echo "$1" | tr -c "a-zA-Z0-9\n" -)" "$N"
	t1=$(now_ms)
	ms=$(echo "scale=2; ($t1 - $t0) / $N" | bc)
	printf '  %-34s %8s ms/alloc\n' "$1" "$ms"
	eval "MS_$(echo "$1" | tr -c 'a-zA-Z0-9\n' _)=$ms"
}

echo "== plexus-ipam: $N sequential allocations per row (one exec each)"
hostlocal_conf "$TMP/hl24.json" 10.1.0.0/24
hostlocal_conf "$TMP/hl8.json" 11.0.0.0/8
plexus_conf "$TMP/f24.json" 10.2.0.0/24 "$(file_store f24)"
plexus_conf "$TMP/f8.json" 12.0.0.0/8 "$(file_store f8)"
plexus_conf "$TMP/e24.json" 10.3.0.0/24 "$(etcd_store e24)"
plexus_conf "$TMP/e8.json" 13.0.0.0/8 "$(etcd_store e8)"
row host-local-/24 "$REFDIR/host-local" "$TMP/hl24.json"
row host-local-/8 "$REFDIR/host-local" "$TMP/hl8.json"
row plexus-file-/24 "$IPAM" "$TMP/f24.json"
row plexus-file-/8 "$IPAM" "$TMP/f8.json"
row plexus-etcd-/24 "$IPAM" "$TMP/e24.json"
row plexus-etcd-/8 "$IPAM" "$TMP/e8.json"
printf '  %-34s %8s\n' "/8 vs /24, file (goal <= 1.5)" \
	"$(echo "scale=2; $MS_plexus_file__8 / $MS_plexus_file__24" | bc)"
printf '  %-34s %8s\n' "/8 vs /24, etcd (goal <= 1.5)" \
	"$(echo "scale=2; $MS_plexus_etcd__8 / $MS_plexus_etcd__24" | bc)"

echo "== concurrent allocators against etcd (/8 pool, one node each, $N allocations in all)"
base=""
for k in 1 2 4; do
	plexus_conf "$TMP/c$k.json" 14.0.0.0/8 "$(etcd_store c$k)"
	t0=$(now_ms)
	pids=""
	for w in $(seq $k); do
		run_adds "$IPAM" "$TMP/c$k.json" "node$w" "c$k-w$w" $((N / k)) &
		pids="$pids $!"
	done
	wait $pids
	t1=$(now_ms)
	rate=$(echo "scale=1; $N * 1000 / ($t1 - $t0)" | bc)
	[ -n "$base" ] || base=$rate
	printf '  %d allocator(s): %7s allocs/s  (x%s)\n' "$k" "$rate" \
		"$(echo "scale=2; $rate / $base" | bc)"
done

echo "== store size for a /8 after 1000 allocations"
plexus_conf "$TMP/s8.json" 15.0.0.0/8 "$(etcd_store s8)"
plexus_conf "$TMP/sf8.json" 15.0.0.0/8 "$(file_store sf8)"
run_adds "$IPAM" "$TMP/s8.json" node1 s 1000
run_adds "$IPAM" "$TMP/sf8.json" node1 s 1000
etcd_bytes=$(ETCDCTL_API=3 etcdctl --endpoints "$ETCD_URL" get --prefix /s8/ -w json |
	python3 -c 'import base64,json,sys; kv=json.load(sys.stdin).get("kvs",[]); print(len(kv), sum(len(base64.b64decode(x["key"]))+len(base64.b64decode(x.get("value",""))) for x in kv))')
file_bytes=$(find "$TMP/sf8" -type f ! -path '*/.*' -printf '%s\n' | awk '{n++; s+=$1} END {print n, s}')
printf '  etcd: %s keys, %s bytes (keys + values)\n' $etcd_bytes
printf '  file: %s files, %s bytes\n' $file_bytes
