#!/bin/bash
# plexus-ipam system suite: the binary against the file store and a real
# etcd (Debian's etcd-server on 127.0.0.1, free ports, temp data dir).
# Budget: about 20 s on 2 cores (60 s at most).
. "$(dirname "$0")/../lib.sh"
IPAM="$TOP/$BINDIR/plexus-ipam"
. "$TOP/tests/lib-etcd.sh"
trap 'etcd_stop; t_cleanup' EXIT
etcd_init "$T_TMP/etcd"

# conf FILE IPAM-JSON-BODY: a plugin config with that ipam object.
conf() {
	cat >"$1" <<EOC
{"cniVersion":"1.1.0","name":"net1","type":"bridge","ipam":{"type":"plexus-ipam",$2}}
EOC
}
# The stores are node settings (docs/security.md): defined in a node file
# the trusted environment names, picked by name in the network config.
cat >"$T_TMP/ipam-node.conf" <<EON
{"stores": {
  "file": {"type": "file", "path": "$T_TMP/store"},
  "etcd": {"type": "etcd", "endpoints": ["http://127.0.0.1:1", "$ETCD_URL"], "lockDir": "$T_TMP/locks", "timeoutMs": 2000},
  "etcd-down": {"type": "etcd", "endpoints": ["http://127.0.0.1:1"], "lockDir": "$T_TMP/locks"}}}
EON
export PLEXUS_IPAM_CONF=$T_TMP/ipam-node.conf
FSTORE='"store":"file"'
ESTORE='"store":"etcd"'

# ipam CMD CONF CID [NODE [IFNAME]]: stdout of the plugin; returns its rc.
ipam() {
	CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/var/run/netns/x \
	CNI_IFNAME=${5:-eth0} NODE_NAME=${4:-node1} \
	CNI_ARGS="K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-$3;K8S_POD_UID=uid-$3" \
		"$IPAM" <"$2"
}
# (sed, not python: these run once per ADD in the concurrent cases)
addr_of() { sed -n 's/"address":"\([^"]*\)"/\n\1\n/gp' | sed -n '/^[0-9a-f.:]*\/[0-9]*$/p' | paste -sd' '; }
code_of() { tr -d ' \n' | sed -n 's/.*"code":\([0-9]*\).*/\1/p'; }

# worker CONF NODE PREFIX N OUT: N ADDs, retrying "try again" (code 11).
worker() {
	for i in $(seq "$4"); do
		for _ in $(seq 200); do
			if out=$(ipam ADD "$1" "$3-$i" "$2"); then
				echo "$out" | addr_of >>"$5"
				break
			fi
			c=$(echo "$out" | code_of)
			[ "$c" = 11 ] || { echo "ADD $3-$i: $out" >&2; return 1; }
			sleep 0.1
		done
	done
}

no_dups() { # FILE WANT_COUNT
	n=$(wc -l <"$1"); d=$(sort "$1" | uniq -d | head -3)
	[ -z "$d" ] || fail "duplicate addresses: $d"
	expect_eq "$n" "$2" "allocations"
}

# allocs_of STOREDIR: number of held addresses (slots) in all blocks.
allocs_of() {
	python3 - "$1" <<'PY'
import json, os, sys
n = 0
for root, dirs, files in os.walk(sys.argv[1]):
    if "/b" not in root[len(sys.argv[1]):] and not root.endswith("/b"):
        continue
    for f in files:
        if f.startswith("."):
            continue
        data = open(os.path.join(root, f)).read()
        ver, _, body = data.partition("\n")
        int(ver)
        v = json.loads(body)
        # format 2: the slot table ("." free, 6 characters held); 1: inline
        t = v.get("slots", "")
        n += (len(t) - t.count(".")) // 6 if "slots" in v else len(v["allocs"])
print(n)
PY
}

case_file_basic() {
	conf "$T_TMP/b.json" "\"range\":\"10.10.0.0/24\",\"gateway\":\"10.10.0.1\",\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dns\":{\"nameservers\":[\"10.10.0.1\"]},$FSTORE"
	a=$(ipam ADD "$T_TMP/b.json" c1 | addr_of)
	expect_eq "$a" "10.10.0.2/24" "first address"
	out=$(ipam ADD "$T_TMP/b.json" c1)
	expect_eq "$(echo "$out" | addr_of)" "$a" "retried ADD"
	echo "$out" | python3 -c 'import json,sys; j=json.load(sys.stdin); assert j["routes"][0]["dst"]=="0.0.0.0/0" and j["dns"]["nameservers"]==["10.10.0.1"] and "interfaces" not in j and j["ips"][0]["gateway"]=="10.10.0.1", j'
	ipam CHECK "$T_TMP/b.json" c1 >/dev/null || fail "CHECK after ADD"
	ipam DEL "$T_TMP/b.json" c1 >/dev/null || fail DEL
	ipam DEL "$T_TMP/b.json" c1 >/dev/null || fail "second DEL"
	out=$(ipam CHECK "$T_TMP/b.json" c1) && fail "CHECK after DEL passed"
	expect_eq "$(echo "$out" | code_of)" 3 "CHECK code"
	out=$(CNI_COMMAND=VERSION "$IPAM" <"$T_TMP/b.json")
	echo "$out" | grep -q '"1.1.0"' || fail "VERSION: $out"
}

case_versions() {
	for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
		echo "{\"cniVersion\":\"$v\",\"name\":\"net1\",\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.11.0.0/24\",$FSTORE}}" >"$T_TMP/v.json"
		out=$(ipam ADD "$T_TMP/v.json" "v$v")
		echo "$out" | grep -q "\"cniVersion\":\"$v\"" || fail "$v: $out"
		case $v in
		0.*) echo "$out" | grep -q '"version":"4"' || fail "$v: no ips[].version: $out" ;;
		*) echo "$out" | grep -q '"version"' && fail "$v: ips[].version: $out" ;;
		esac
		ipam DEL "$T_TMP/v.json" "v$v" >/dev/null || fail "$v: DEL"
	done
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/v.json") || fail "1.1.0 STATUS: $out"
	sed -i 's/"1.1.0"/"1.0.0"/' "$T_TMP/v.json"
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/v.json") && fail "1.0.0 STATUS passed"
	expect_eq "$(echo "$out" | code_of)" 1 "STATUS below 1.1.0"
	sed -i 's/"1.0.0"/"0.3.1"/' "$T_TMP/v.json"
	out=$(ipam CHECK "$T_TMP/v.json" x) && fail "0.3.1 CHECK passed"
	expect_eq "$(echo "$out" | code_of)" 1 "CHECK below 0.4.0"
}

case_file_concurrent() {
	conf "$T_TMP/c.json" "\"range\":\"10.20.0.0/16\",\"blockSize\":28,$FSTORE"
	: >"$T_TMP/c.out"
	pids=""
	for w in 1 2 3 4; do
		worker "$T_TMP/c.json" node1 "w$w" 30 "$T_TMP/c.out" &
		pids="$pids $!"
	done
	wait $pids
	no_dups "$T_TMP/c.out" 120
	expect_eq "$(allocs_of "$T_TMP/store/10.20.0.0_16")" 120 "records"
}

case_file_kill9() {
	conf "$T_TMP/k.json" "\"noGateway\":true,\"range\":\"10.30.0.0/24\",\"blockSize\":28,$FSTORE"
	for i in $(seq 30); do
		ipam ADD "$T_TMP/k.json" "k$i" >/dev/null &
		p=$!
		sleep "0.00$((RANDOM % 10))"
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	# every record file still parses (allocs_of reads them all)
	allocs_of "$T_TMP/store/10.30.0.0_24" >/dev/null
	for i in $(seq 15); do ipam DEL "$T_TMP/k.json" "k$i" >/dev/null || fail "DEL k$i"; done
	echo '{"cniVersion":"1.1.0","name":"net1","type":"bridge","cni.dev/valid-attachments":[],"ipam":{"type":"plexus-ipam","noGateway":true,"range":"10.30.0.0/24","blockSize":28,'"$FSTORE"'}}' >"$T_TMP/kgc.json"
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/kgc.json" || fail GC
	expect_eq "$(allocs_of "$T_TMP/store/10.30.0.0_24")" 0 "records left"
	# the emptied blocks went back to the pool but the node's last one,
	# whose first address is handed out again (a torn or leaked record
	# would be in the way)
	blocks=$(ls "$T_TMP/store/10.30.0.0_24/b" | grep -v '^\.')
	expect_eq "$(echo "$blocks" | wc -l)" 1 "blocks left ($blocks)"
	first=10.30.0.$((16#$blocks * 16))
	[ "$first" = 10.30.0.0 ] && first=10.30.0.1
	a=$(ipam ADD "$T_TMP/k.json" after | addr_of)
	expect_eq "$a" "$first/24" "first address of the remaining block reused"
}

case_gc_keeps_valid() {
	g="\"range\":\"10.40.0.0/24\",$FSTORE"
	conf "$T_TMP/g.json" "$g"
	ipam ADD "$T_TMP/g.json" keep >/dev/null
	ipam ADD "$T_TMP/g.json" drop >/dev/null
	ipam ADD "$T_TMP/g.json" other "" >/dev/null
	NODE_NAME=node2 CNI_COMMAND=ADD CNI_CONTAINERID=n2 CNI_IFNAME=eth0 CNI_NETNS=/x "$IPAM" <"$T_TMP/g.json" >/dev/null
	echo '{"cniVersion":"1.1.0","name":"net1","type":"bridge","cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}],"ipam":{"type":"plexus-ipam",'"$g"'}}' >"$T_TMP/gc.json"
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/gc.json" || fail GC
	ipam CHECK "$T_TMP/g.json" keep >/dev/null || fail "valid attachment released"
	ipam CHECK "$T_TMP/g.json" drop >/dev/null && fail "stale attachment kept"
	ipam CHECK "$T_TMP/g.json" n2 node2 >/dev/null || fail "other node's allocation released"
}

case_exhaustion_static_status() {
	conf "$T_TMP/e.json" "\"range\":\"10.50.0.0/29\",\"gateway\":\"10.50.0.1\",$FSTORE"
	for i in 1 2 3 4 5; do ipam ADD "$T_TMP/e.json" "e$i" >/dev/null || fail "ADD e$i"; done
	out=$(ipam ADD "$T_TMP/e.json" e6) && fail "ADD past the end passed"
	expect_eq "$(echo "$out" | code_of)" 120 "exhausted code"
	echo "$out" | grep -q '10.50.0.0_29' || fail "pool not named: $out"
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/e.json") && fail "STATUS passed"
	expect_eq "$(echo "$out" | code_of)" 51 "STATUS code"
	ipam DEL "$T_TMP/e.json" e3 >/dev/null
	CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/e.json" || fail "STATUS with a free address"
	echo '{"cniVersion":"1.1.0","name":"net1","type":"bridge","runtimeConfig":{"ips":["10.50.0.2/29"]},"ipam":{"type":"plexus-ipam","range":"10.50.0.0/29",'"$FSTORE"'}}' >"$T_TMP/s.json"
	out=$(ipam ADD "$T_TMP/s.json" s1) && fail "static taken passed"
	expect_eq "$(echo "$out" | code_of)" 121 "taken code"
	echo "$out" | grep -q 'ns/pod-e1' || fail "holder not named: $out"
	sed -i 's/10.50.0.2/10.50.0.4/' "$T_TMP/s.json"
	expect_eq "$(ipam ADD "$T_TMP/s.json" s1 | addr_of)" "10.50.0.4/29" "static"
}

case_v6_dual_stack() {
	conf "$T_TMP/v6.json" "\"ipRanges\":[{\"range\":\"10.60.0.0/16\"},{\"range\":\"fd00:60::/64\",\"range_start\":\"fd00:60::ffff:0:0:0\"}],$FSTORE"
	a=$(ipam ADD "$T_TMP/v6.json" d1 | addr_of)
	python3 - $a <<'PY' || fail "dual-stack: $a"
import ipaddress, sys
v4, v6 = (ipaddress.ip_interface(x) for x in sys.argv[1:])
assert v4.network == ipaddress.ip_network("10.60.0.0/16"), v4
assert v6.network == ipaddress.ip_network("fd00:60::/64"), v6
assert v6.ip >= ipaddress.ip_address("fd00:60::ffff:0:0:0"), v6
PY
	ipam DEL "$T_TMP/v6.json" d1 >/dev/null
	b=$(ipam ADD "$T_TMP/v6.json" d2 | addr_of)
	expect_eq "$b" "$a" "reuse after DEL"
}

case_bad_config() {
	conf "$T_TMP/bad.json" "\"range\":\"10.70.0.0/24\",\"range_start\":\"10.71.0.1\",$FSTORE"
	out=$(ipam ADD "$T_TMP/bad.json" x) && fail "bad config passed"
	expect_eq "$(echo "$out" | code_of)" 7 "code"
	echo "$out" | grep -q range_start || fail "field not named: $out"
}

case_etcd_unreachable() {
	conf "$T_TMP/u.json" "\"range\":\"10.80.0.0/24\",\"store\":\"etcd-down\""
	out=$(ipam ADD "$T_TMP/u.json" u1) && fail "ADD passed"
	expect_eq "$(echo "$out" | code_of)" 11 "ADD code"
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/u.json") && fail "STATUS passed"
	expect_eq "$(echo "$out" | code_of)" 50 "STATUS code"
}

case_etcd_four_nodes() {
	conf "$T_TMP/e4.json" "\"range\":\"10.90.0.0/22\",\"blockSize\":28,$ESTORE"
	: >"$T_TMP/e4.out"
	pids=""
	for w in 1 2 3 4; do
		worker "$T_TMP/e4.json" "node$w" "n$w" 30 "$T_TMP/e4.out" &
		pids="$pids $!"
	done
	wait $pids
	no_dups "$T_TMP/e4.out" 120
	CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/e4.json" || fail STATUS
}

case_etcd_borrow_exhaust() {
	# 2 blocks of 8, 3 nodes: the third node borrows; then the pool ends
	conf "$T_TMP/eb.json" "\"noGateway\":true,\"range\":\"10.91.0.0/28\",\"blockSize\":29,$ESTORE"
	: >"$T_TMP/eb.out"
	worker "$T_TMP/eb.json" nodeA a 3 "$T_TMP/eb.out"
	worker "$T_TMP/eb.json" nodeB b 8 "$T_TMP/eb.out"
	worker "$T_TMP/eb.json" nodeC c 3 "$T_TMP/eb.out"
	no_dups "$T_TMP/eb.out" 14
	out=$(ipam ADD "$T_TMP/eb.json" z nodeC) && fail "ADD past the end"
	expect_eq "$(echo "$out" | code_of)" 120 "exhausted code"
}

# race STORE-JSON TAG: 4 nodes fill a /26 cut into 8 blocks of 8 (62
# usable addresses) with 60 allocations, so block claims and borrowing
# race each other; then the pool has 2 left.
race() {
	conf "$T_TMP/race$2.json" "\"noGateway\":true,\"range\":\"10.93.$2.0/26\",\"blockSize\":29,$1"
	: >"$T_TMP/race$2.out"
	pids=""
	for w in 1 2 3 4; do
		worker "$T_TMP/race$2.json" "node$w" "x$w" 15 "$T_TMP/race$2.out" &
		pids="$pids $!"
	done
	wait $pids
	no_dups "$T_TMP/race$2.out" 60
	ipam ADD "$T_TMP/race$2.json" y1 node1 >/dev/null || fail "61st"
	ipam ADD "$T_TMP/race$2.json" y2 node2 >/dev/null || fail "62nd"
	out=$(ipam ADD "$T_TMP/race$2.json" y3 node3) && fail "63rd passed"
	expect_eq "$(echo "$out" | code_of)" 120 "exhausted code"
}
case_file_race() { race "$FSTORE" 1; }
case_etcd_race() { race "$ESTORE" 2; }

case_etcd_restart() {
	conf "$T_TMP/er.json" "\"range\":\"10.92.0.0/22\",\"blockSize\":28,$ESTORE"
	: >"$T_TMP/er.out"
	pids=""
	for w in 1 2 3 4; do
		worker "$T_TMP/er.json" "node$w" "r$w" 40 "$T_TMP/er.out" &
		pids="$pids $!"
	done
	sleep 0.5
	before=$(wc -l <"$T_TMP/er.out")
	etcd_stop
	sleep 1
	during=$(wc -l <"$T_TMP/er.out")
	etcd_start
	wait $pids
	echo "allocations: $before before the stop, $during while down"
	[ "$before" -gt 0 ] && [ "$before" -lt 160 ] || fail "stop was not mid-run"
	no_dups "$T_TMP/er.out" 160
}

t_case "file: ADD idempotent, CHECK, DEL idempotent, result shape" case_file_basic
t_case "every spec version: result shape, STATUS/CHECK version limits" case_versions
t_case "file: 4 concurrent allocators on one node, no duplicates" case_file_concurrent
t_case "file: kill -9 mid-ADD, then DEL and GC, no leak or torn record" case_file_kill9
t_case "file: 4 nodes race for blocks and borrow in a small pool" case_file_race
t_case "file: GC keeps valid attachments and other nodes'" case_gc_keeps_valid
t_case "file: exhaustion 120, STATUS 51, static taken 121" case_exhaustion_static_status
t_case "file: dual-stack with a whole IPv6 /64" case_v6_dual_stack
t_case "bad range: code 7 naming the field" case_bad_config
t_case "etcd unreachable: ADD 11, STATUS 50" case_etcd_unreachable
if (etcd_start); then
	t_case "etcd: 4 nodes concurrently, no duplicates" case_etcd_four_nodes
	t_case "etcd: borrow from another node's block, then exhaustion" case_etcd_borrow_exhaust
	t_case "etcd: 4 nodes race for blocks and borrow in a small pool" case_etcd_race
	t_case "etcd: stopped and restarted mid-run, no duplicates, resumes" case_etcd_restart
else
	T_COUNT=$((T_COUNT + 1)) T_FAILED=$((T_FAILED + 1))
	echo "not ok - etcd: could not start etcd"
fi
etcd_stop
