#!/bin/bash
# plexus-ipam at cluster scale (issue 20): one network's pool grown to
# NODES x PODS allocations (default 5,000 x 110 = 550,000 in a /12 of /26
# blocks) in Debian's etcd, seeded through the allocator's own block code
# (tests/ipamseed/seed.c: one write per block and per node, not 550,000
# plugin execs). Then each per-pod verb and each operator verb once,
# through a counting relay (tests/ipamseed/tcpcount.py): time, requests,
# bytes sent and received, peak RSS (GNU time); a verb that fails says
# so and why. Last, a model table for NODES x PODS x 10 networks built
# from those measured figures. The kubernetes store is measured by
# tests/system/47-ipam-scale.sh on 10,000 allocations (the fixture API
# server keeps every object in one Python process); this bench is the
# etcd store only. plexusctl ipam ls (table and -o json) and gc --dry-run
# (the fixture API server lists 1,000 of the pods: the rest would be
# released) are checked against the operator verbs' 32 MiB peak RSS goal
# (printed, not asserted), and their requests against the pool's pages
# (blocks/500 + records/500: ls and gc read the headers and the records
# as two paged ranges); B_SCALE_BEFORE=<an older plexusctl> measures
# that one too, for a before/after. The model ends with what breaks at
# this size (each failed call, or none).
# Then etcd's dbSize growth over B_SCALE_HIST pod ADDs of one node (its
# history, nothing compacted).
#   B_SCALE_NODES (5000)  B_SCALE_PODS (110)  B_SCALE_NETS (10, model only)
#   B_SCALE_HIST (1000)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
NODES=${B_SCALE_NODES:-5000} PODS=${B_SCALE_PODS:-110} NETS=${B_SCALE_NETS:-10}
ALLOCS=$((NODES * PODS))
W=$(mktemp -d /tmp/plexus-bench-scale.XXXXXX)
. "$TOP/tests/bench/lib-relay.sh"
FX=$TOP/tests/fixtures/apiserver
cleanup() {
	"$FX/stop.sh" "$W/api" >/dev/null 2>&1 || true
	relay_stop
	rm -rf "$W"
}
trap cleanup EXIT
relay_start "$W"
cat >"$W/node.conf" <<EON
{"stores": {
  "seed": {"type": "etcd", "endpoints": ["$ETCD_URL"], "lockDir": "$W/locks"},
  "relay": {"type": "etcd", "endpoints": ["$RELAY"], "lockDir": "$W/locks"}}}
EON
export PLEXUS_IPAM_CONF=$W/node.conf
conf() { # FILE STORE
	echo "{\"cniVersion\":\"1.1.0\",\"name\":\"big\",\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"store\":\"$2\",\"range\":\"10.0.0.0/12\",\"blockSize\":26}}" >"$1"
}
conf "$W/seed.conf" seed
conf "$W/big.conf" relay

echo "plexus-ipam at scale: etcd store, one network of $NODES nodes x $PODS pods = $ALLOCS allocations, 10.0.0.0/12 in /26 blocks; $(nproc) cores"
t0=$(date +%s%N)
"$BIN/tests/plexus-ipam-seed" "$W/seed.conf" "$NODES" "$ALLOCS" >"$W/seed.out"
echo "seeded in $((($(date +%s%N) - t0) / 1000000)) ms: $(cat "$W/seed.out")"
last=node-$((NODES - 1))
# the seed fills blocks whole, round-robin over the nodes, and gives every
# block left to the last node: the node of the one part-filled block has
# what a node has in steady state (about PODS/64 blocks, one with room);
# node-01's blocks are all full (it borrows)
part=$((ALLOCS / 64 % NODES))
[ $((ALLOCS % 64)) != 0 ] || part=$((NODES - 1))
own=$(printf node-%02d "$part")
full=node-01
[ "$own" != "$full" ] || full=node-02

# measure LABEL CMD...: one run through the relay; a row per verb
printf '\n%-44s %9s %6s %12s %12s %10s %s\n' verb ms reqs "bytes sent" "bytes recv" "peak RSS" result
measure() {
	local label=$1 t rss res
	shift
	: >"$W/relay.log"
	t=$(date +%s%N)
	if /usr/bin/time -f %M -o "$W/rss" "$@" >"$W/out" 2>"$W/err"; then
		res=ok
	else
		res="failed: $( (grep -ho '"msg": *"[^"]*"' "$W/out" "$W/err" || head -c 90 "$W/err") | head -1 | cut -c1-100)"
	fi
	t=$((($(date +%s%N) - t) / 1000000))
	sleep 0.1 # the relay logs a connection once both sides closed
	rss=$(tail -1 "$W/rss")
	read -r sent recv reqs < <(awk '{s+=$1; r+=$2; q+=$3} END {print s+0, r+0, q+0}' "$W/relay.log")
	printf '%-44s %9s %6s %12s %12s %10s %s\n' "$label" "$t" "$reqs" "$sent" "$recv" "$((rss / 1024)) MiB" "$res"
	echo "$label|$t|$reqs|$sent|$recv|$rss|$res" >>"$W/rows"
}
# ipam CMD CID NODE [CONF]: one plugin call (a script: GNU time execs it)
cat >"$W/ipam" <<EOS
#!/bin/sh
exec env CNI_COMMAND="\$1" CNI_CONTAINERID="\$2" CNI_NETNS=/var/run/netns/x \\
	CNI_IFNAME=eth0 NODE_NAME="\$3" \\
	CNI_ARGS="K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-\$2;K8S_POD_UID=uid-\$2" \\
	"$BIN/plexus-ipam" <"\${4:-$W/big.conf}"
EOS
chmod +x "$W/ipam"
measure "ADD, node with room in its own block" "$W/ipam" ADD own-1 "$own"
measure "ADD again, same node (steady state)" "$W/ipam" ADD own-2 "$own"
measure "CHECK" "$W/ipam" CHECK own-2 "$own"
measure "DEL" "$W/ipam" DEL own-2 "$own"
measure "ADD, node whose blocks are full (borrows)" "$W/ipam" ADD borrow-1 "$full"
measure "DEL of the borrowed address" "$W/ipam" DEL borrow-1 "$full"
# the first borrowing ADD walked the claimed blocks and marked the pool
# all claimed (<pool>/fc): the next ones go to the free-block index at once
measure "ADD, node whose blocks are full, again" "$W/ipam" ADD borrow-2 "$full"
measure "STATUS, node whose blocks are full" "$W/ipam" STATUS status "$full"
measure "STATUS, node with room" "$W/ipam" STATUS status "$own"
measure "STATUS, the node holding the empty blocks" "$W/ipam" STATUS status "$last"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); c["cni.dev/valid-attachments"]=[]; print(json.dumps(c))' "$W/big.conf" >"$W/gc.conf"
measure "GC verb, node with room (nothing valid)" "$W/ipam" GC gc "$own" "$W/gc.conf"
measure "plexusctl ipam show ADDRESS" "$BIN/plexusctl" ipam show --config "$W/big.conf" 10.0.0.5
measure "plexusctl ipam ls" "$BIN/plexusctl" ipam ls --config "$W/big.conf"
measure "plexusctl ipam ls -o json" "$BIN/plexusctl" ipam ls -o json --config "$W/big.conf"
measure "plexusctl ipam ls --page-size 100" "$BIN/plexusctl" ipam ls --page-size 100 --config "$W/big.conf"
# gc lists the pods: the fixture API server with 1,000 of them (a pod is 8
# bytes of gc's memory: 4.3 MiB more with all 550,000)
mkdir -p "$W/api"
PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$W/api" >"$W/api.log" 2>&1
python3 -c '
import json
print(json.dumps({"kind": "List", "items": [{"apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "pod-%d" % n, "namespace": "seed", "uid": "uid-%d" % n}} for n in range(1000)]}))' |
	python3 "$FX/fixturectl.py" "$W/api" put-object - >/dev/null
measure "plexusctl ipam gc --dry-run" "$BIN/plexusctl" ipam gc --dry-run --config "$W/big.conf" --kubeconfig "$W/api/kubeconfig"
if [ -n "${B_SCALE_BEFORE:-}" ]; then
	measure "before: plexusctl ipam ls" "$B_SCALE_BEFORE" ipam ls --config "$W/big.conf"
	measure "before: plexusctl ipam ls -o json" "$B_SCALE_BEFORE" ipam ls -o json --config "$W/big.conf"
	measure "before: plexusctl ipam gc --dry-run" "$B_SCALE_BEFORE" ipam gc --dry-run --config "$W/big.conf" --kubeconfig "$W/api/kubeconfig"
fi

# etcd's history: its dbSize before and after B_SCALE_HIST (1000) pod
# ADDs of one node into a pool of its own (10.32.0.0/16 in /26 blocks:
# it claims 16 blocks on the way), nothing compacted (the command:
# etcdctl endpoint status -w json)
HIST_N=${B_SCALE_HIST:-1000}
echo "{\"cniVersion\":\"1.1.0\",\"name\":\"hist\",\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"store\":\"seed\",\"range\":\"10.32.0.0/16\",\"blockSize\":26}}" >"$W/hist.conf"
dbsize() { etcdctl --endpoints "$ETCD_URL" endpoint status -w json | python3 -c 'import json,sys; s=json.load(sys.stdin); s=s[0] if isinstance(s,list) else s; print(s["Status"]["dbSize"])'; }
db0=$(dbsize)
for i in $(seq "$HIST_N"); do "$W/ipam" ADD "hist-$i" hist-node "$W/hist.conf" >/dev/null || break; done
HIST_BYTES=$(($(dbsize) - db0))

# the model: NODES x PODS x NETS from the rows above and etcd's own sizes
etcdctl --endpoints "$ETCD_URL" endpoint status -w json >"$W/status.json"
# the number of keys, and the size of a full block's value (the pool's
# first block: seeded full), through etcd's JSON gateway
read -r NKEYS BLK REC < <(python3 - "$ETCD_URL" <<'EOP'
import base64, json, sys, urllib.request
url = sys.argv[1] + "/v3/kv/range"
b64 = lambda s: base64.b64encode(s.encode()).decode()
def rng(body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
n = rng({"key": b64("/plexus-ipam/"), "range_end": b64("/plexus-ipam0"), "count_only": True})
# the pool's first block header and its first record (block format 2:
# records are keys of their own, <pool>/a/<block>/<off>, sorted before b/)
def first(prefix):
    got = rng({"key": b64(prefix), "range_end": b64(prefix[:-1] + chr(ord(prefix[-1]) + 1)), "limit": 1})
    kvs = got.get("kvs", [])
    return len(base64.b64decode(kvs[0]["value"])) if kvs else 0
print(n.get("count", 0), first("/plexus-ipam/10.0.0.0_12/b/"), first("/plexus-ipam/10.0.0.0_12/a/"))
EOP
)
# the pool's blocks as seeded ("blocks N allocations M ...")
NBLOCKS=$(awk '{for (i = 1; i < NF; i++) if ($i == "blocks") print $(i + 1)}' "$W/seed.out")
python3 - "$W/rows" "$W/status.json" "$NKEYS" "$BLK" "$NODES" "$PODS" "$NETS" "$REC" "$HIST_N" "$HIST_BYTES" "${NBLOCKS:-0}" <<'EOF'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    label, t, q, s, r, rss, res = line.rstrip("\n").split("|")
    rows[label] = dict(ms=int(t), reqs=int(q), sent=int(s), recv=int(r), rss=int(rss), ok=res == "ok", res=res)
st = json.load(open(sys.argv[2]))
db = st[0]["Status"]["dbSize"] if isinstance(st, list) else st["Status"]["dbSize"]
nkeys, blk, nodes, pods, nets, rec, hist_n, hist_bytes, nblocks = (int(x) for x in sys.argv[3:12])
add, dele = rows["ADD again, same node (steady state)"], rows["DEL"]
borrow = rows["ADD, node whose blocks are full (borrows)"]
borrow2 = rows["ADD, node whose blocks are full, again"]
ls = rows["plexusctl ipam ls"]
MiB = 1 << 20
print(f"\nmodel: {nodes} nodes x {pods} pods x {nets} networks, from the measured one-network figures above")
def row(k, v): print(f"  {k:<58} {v}")
row("keys (one network, measured; x networks)", f"{nkeys} ; {nkeys * nets}")
row("etcd db size (one network, measured; x networks)", f"{db / MiB:.1f} MiB ; {db * nets / MiB:.1f} MiB")
row("largest object: a full /26 block's header", f"{blk} bytes ({blk / (1.5 * MiB) * 100:.1f}% of etcd's 1.5 MiB request limit)")
row("an allocation's record (<pool>/a/<block>/<off>)", f"{rec} bytes")
if hist_n:
    row(f"etcd dbSize growth over {hist_n} pod ADDs, no compaction", f"{hist_bytes} bytes ({hist_bytes / hist_n:.0f} per ADD)")
row("requests per pod ADD, steady state (x networks)", f"{add['reqs']} ; {add['reqs'] * nets}")
row("bytes sent per pod ADD, steady state (x networks)", f"{add['sent']} ; {add['sent'] * nets}")
row("bytes sent per pod ADD+DEL (x networks)", f"{add['sent'] + dele['sent']} ; {(add['sent'] + dele['sent']) * nets}")
hist = (add['sent'] + dele['sent']) * nets * 100
row("etcd history growth, 100 pods/s storm (ADD+DEL)", f"{hist / MiB:.1f} MiB/s; the 2 GiB quota in {2048 * MiB / hist:.0f} s without compaction")
row("largest read on a per-pod path (first borrowing ADD)", f"{borrow['recv']} bytes, {borrow['reqs']} requests ({borrow['res']})")
row("a borrowing ADD once the pool is marked all claimed", f"{borrow2['recv']} bytes, {borrow2['reqs']} requests ({borrow2['res']})")
row("plexusctl ipam ls: peak RSS, bytes read", f"{ls['rss'] / 1024:.0f} MiB, {ls['recv']} bytes ({ls['res']})")
# ls and gc read the pool's headers and records as two paged ranges
# (etcd's pageSize, 500): about blocks/500 + records/500 requests
pages = -(-nblocks // 500) + -(-nodes * pods // 500)
for k, v in rows.items():
    if k.startswith(("plexusctl ipam ls", "plexusctl ipam gc", "before: ")):
        row(f"{k}: requests, bytes received, time", f"{v['reqs']}, {v['recv'] / 1e6:.1f} MB, {v['ms'] / 1000:.1f} s ({v['res']})")
row("pages of 500 in the pool (blocks/500 + records/500)", f"{pages} ({nblocks} blocks, {nodes * pods} records)")
for k, v in rows.items():
    if k.startswith(("plexusctl ipam ls", "plexusctl ipam gc", "before: ")):
        mib = v["rss"] / 1024
        row(f"{k}: peak RSS (goal 32 MiB)", f"{mib:.1f} MiB, {'within' if mib <= 32 else 'OVER'} the goal ({v['res']})")
for k, v in rows.items():
    if not v["ok"]:
        row(f"breaks at this size: {k}", v["res"])
if all(v["ok"] for v in rows.values()):
    row("breaks at this size", f"none of the {len(rows)} calls measured")
EOF
