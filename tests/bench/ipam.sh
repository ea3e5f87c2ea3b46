#!/bin/bash
# plexus-ipam benchmark: ms per allocation (file, etcd and kubernetes
# stores next to the reference host-local; kubernetes against the Python
# fixture API server, so its figure is that server's, not kube-apiserver's), /8 vs /24 pool, 1/2/4 concurrent allocators
# against etcd (one node each), store size for a /8 after 1000
# allocations. Each allocation is one exec of the plugin (CNI ADD), as a
# runtime does it. Env: BINDIR (build/bin), REFDIR (/usr/lib/cni),
# IPAM_BENCH_N (allocations per row and round, default 100),
# IPAM_BENCH_ROUNDS (default 3; the best round is shown, as other load on
# the machine only ever makes a round slower).
set -e
cd "$(dirname "$0")/../.."
TOP=$PWD
: "${BINDIR:=build/bin}" "${REFDIR:=/usr/lib/cni}" "${IPAM_BENCH_N:=100}"
: "${IPAM_BENCH_ROUNDS:=3}"
ROUNDS=$IPAM_BENCH_ROUNDS
IPAM=$TOP/$BINDIR/plexus-ipam
N=$IPAM_BENCH_N
TMP=$(mktemp -d /tmp/plexus-bench-ipam.XXXXXX)
. "$TOP/tests/lib-etcd.sh"
FX=$TOP/tests/fixtures/apiserver
PD_PID=""
trap 'etcd_stop; "$FX/stop.sh" "$TMP/api" >/dev/null 2>&1; [ -z "$PD_PID" ] || kill "$PD_PID"; rm -rf "$TMP"' EXIT
etcd_init "$TMP/etcd"
etcd_start
PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$TMP/api" >"$TMP/api.log" 2>&1 ||
	{ cat "$TMP/api.log" >&2; exit 1; }

# plexusd's warm stores (docs/plexusd.md): the row plexus-etcd-plexusd
# sends its store operations to it (node setting "storeSocket")
mkdir -p "$TMP/pdnet"
"$TOP/$BINDIR/plexusd" --no-install --no-kubeconfig --cni-conf-dir "$TMP/pdnet" \
	--store-socket "$TMP/store.sock" --listen none 2>"$TMP/pd.log" &
PD_PID=$!
for _ in $(seq 100); do [ -S "$TMP/store.sock" ] && break; sleep 0.05; done

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
# Stores are node settings (docs/security.md): each one is defined under
# its name in the node file $PLEXUS_IPAM_CONF and named by the config.
export PLEXUS_IPAM_CONF=$TMP/ipam-node.conf
node_store() { # NAME DEFINITION-JSON: define it; print the config's key
	python3 - "$PLEXUS_IPAM_CONF" "$1" "$2" <<'PY'
import json, os, sys
p, name, d = sys.argv[1:]
j = json.load(open(p)) if os.path.exists(p) else {"stores": {}}
j["stores"][name] = json.loads(d)
json.dump(j, open(p, "w"))
j["storeSocket"] = os.path.join(os.path.dirname(p), "store.sock")
json.dump(j, open(p + ".plexusd", "w"))
PY
	echo "\"store\":\"$1\""
}
file_store() { node_store "f-$1" "{\"type\":\"file\",\"path\":\"$TMP/$1\"}"; }
etcd_store() { node_store "e-$1" "{\"type\":\"etcd\",\"endpoints\":[\"$ETCD_URL\"],\"prefix\":\"/$1/\",\"lockDir\":\"$TMP/locks\"}"; }
k8s_store() { node_store k8s "{\"type\":\"kubernetes\",\"kubeconfig\":\"$TMP/api/kubeconfig\",\"lockDir\":\"$TMP/locks\"}"; }

# timed_adds PLUGIN CONF NODE PREFIX COUNT: ms per allocation.
timed_adds() {
	t0=$(now_ms)
	run_adds "$@"
	t1=$(now_ms)
	echo "scale=2; ($t1 - $t0) / $5" | bc
}
# best OLD NEW: the smaller (the least disturbed by other load).
best() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

ROWS="host-local-/24 host-local-/8 plexus-file-/24 plexus-file-/8 plexus-etcd-/24 plexus-etcd-/8 plexus-etcd-plexusd-/24 plexus-k8s-/24 plexus-k8s-/8"
# row_conf ROW ROUND FILE: write the config of a fresh pool for ROW.
row_conf() {
	case $1 in
	host-local-/24) hostlocal_conf "$3" "10.$2.0.0/24" ;;
	host-local-/8) hostlocal_conf "$3" "$((20 + $2)).0.0.0/8" ;;
	plexus-file-/24) plexus_conf "$3" 10.2.0.0/24 "$(file_store f24-$2)" ;;
	plexus-file-/8) plexus_conf "$3" 12.0.0.0/8 "$(file_store f8-$2)" ;;
	plexus-etcd-/24) plexus_conf "$3" 10.3.0.0/24 "$(etcd_store e24-$2)" ;;
	plexus-etcd-/8) plexus_conf "$3" 13.0.0.0/8 "$(etcd_store e8-$2)" ;;
	plexus-etcd-plexusd-/24) plexus_conf "$3" 10.4.0.0/24 "$(etcd_store ep24-$2)" ;;
	# kubernetes keys are cluster-wide: a pool of its own per round
	plexus-k8s-/24) plexus_conf "$3" "10.$((100 + $2)).0.0/24" "$(k8s_store)" ;;
	plexus-k8s-/8) plexus_conf "$3" "$((40 + $2)).0.0.0/8" "$(k8s_store)" ;;
	esac
}
row_plugin() { case $1 in host-local*) echo "$REFDIR/host-local" ;; *) echo "$IPAM" ;; esac; }
var() { echo "MS_$1" | tr -c 'a-zA-Z0-9\n' _; }

echo "== batches, not alternating: $N sequential allocations per row, one exec each, rows one after another; best of $ROUNDS rounds (a failed allocation stops the bench)"
for r in $(seq "$ROUNDS"); do
	for row in $ROWS; do
		row_conf "$row" "$r" "$TMP/row.json"
		node=$PLEXUS_IPAM_CONF
		case $row in *plexusd*) node=$PLEXUS_IPAM_CONF.plexusd ;; esac
		ms=$(PLEXUS_IPAM_CONF=$node timed_adds "$(row_plugin "$row")" "$TMP/row.json" node1 \
			"r$r-$(echo "$row" | tr -c 'a-zA-Z0-9\n' -)" "$N")
		v=$(var "$row")
		eval "$v=\$(best \"\${$v:-}\" $ms)"
	done
done
for row in $ROWS; do
	v=$(var "$row")
	printf '  %-34s %8s ms/alloc\n' "$row" "$(eval echo "\$$v")"
done
printf '  %-34s %8s\n' "etcd through plexusd vs host-local, /24 (goal <= 2)" \
	"$(echo "scale=2; $MS_plexus_etcd_plexusd__24 / $MS_host_local__24" | bc)"
printf '  %-34s %8s\n' "etcd direct vs host-local, /24" \
	"$(echo "scale=2; $MS_plexus_etcd__24 / $MS_host_local__24" | bc)"
printf '  %-34s %8s\n' "/8 vs /24, file (goal <= 1.5)" \
	"$(echo "scale=2; $MS_plexus_file__8 / $MS_plexus_file__24" | bc)"
printf '  %-34s %8s\n' "/8 vs /24, etcd (goal <= 1.5)" \
	"$(echo "scale=2; $MS_plexus_etcd__8 / $MS_plexus_etcd__24" | bc)"
printf '  %-34s %8s\n' "/8 vs /24, kubernetes (goal <= 1.5)" \
	"$(echo "scale=2; $MS_plexus_k8s__8 / $MS_plexus_k8s__24" | bc)"

echo "== batches: concurrent allocators against etcd (/8 pool, one node each, $N allocations in all; best of $ROUNDS)"
base=""
for k in 1 2 4; do
	rate=""
	for r in $(seq "$ROUNDS"); do
		plexus_conf "$TMP/c.json" 14.0.0.0/8 "$(etcd_store c$k-$r)"
		t0=$(now_ms)
		pids=""
		for w in $(seq $k); do
			run_adds "$IPAM" "$TMP/c.json" "node$w" "c$k-$r-w$w" $((N / k)) &
			pids="$pids $!"
		done
		wait $pids
		t1=$(now_ms)
		ms=$(echo "scale=3; ($t1 - $t0) / $N" | bc)
		rate=$(best "$rate" "$ms")
	done
	rate=$(echo "scale=1; 1000 / $rate" | bc)
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
