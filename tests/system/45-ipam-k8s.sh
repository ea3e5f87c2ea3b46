#!/bin/bash
# plexus-ipam with the kubernetes store, and plexusctl ipam ls/gc, against
# the fixture API server (tests/fixtures/apiserver: HTTPS, tokens, one
# global resourceVersion with honest compare-and-swap). Every case uses a
# pool of its own, so cases never see each other's keys. One case goes
# through plexusd's warm stores and reads its metrics.
# Budget: about 25 s on 2 cores (60 s at most).
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
IPAM="$TOP/$BINDIR/plexus-ipam"
ipamctl() { "$TOP/$BINDIR/plexusctl" ipam "$@"; }
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api

stop_all() {
	"$FX/stop.sh" "$D" >/dev/null 2>&1 || true
	t_cleanup
}
trap stop_all EXIT
# At the top level: the server lives as long as this shell.
PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$D" >"$T_TMP/start.log" 2>&1 ||
	{ sed 's/^/#   /' "$T_TMP/start.log"; t_abort "fixture API server"; }

ctl() { python3 "$FX/fixturectl.py" "$D" "$@"; }
# The stores are node settings (docs/security.md): defined in a node file
# the trusted environment names, picked by name in the network config.
kstore() { echo "{\"type\": \"kubernetes\", \"lockDir\": \"$T_TMP/locks\", \"kubeconfig\": \"$1\"}"; }
cat >"$T_TMP/ipam-node.conf" <<EON
{"stores": {
  "k8s": $(kstore "$D/kubeconfig"),
  "k8s-p3": $(kstore "$D/kubeconfig" | sed 's/}$/, "pageSize": 3}/'),
  "k8s-bad": $(kstore "$T_TMP/bad.kc"),
  "k8s-ro": $(kstore "$D/kubeconfig-readonly"),
  "k8s-off": $(kstore "$T_TMP/off.kc"),
  "file": {"type": "file", "path": "$T_TMP/store"}}}
EON
export PLEXUS_IPAM_CONF=$T_TMP/ipam-node.conf
KSTORE='"store":"k8s"'
FSTORE='"store":"file"'
API=/apis/ipam.plexus.dev/v1alpha1/ipamkeys

# conf FILE IPAM-JSON-BODY [TOP-LEVEL-EXTRA]: a plugin config.
conf() {
	cat >"$1" <<EOC
{"cniVersion":"1.1.0","name":"net1","type":"bridge",${3:+$3,}"ipam":{"type":"plexus-ipam",$2}}
EOC
}
# ipam CMD CONF CID [NODE [ARGS]]: stdout of the plugin; returns its rc.
ipam() {
	CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/var/run/netns/x \
	CNI_IFNAME=eth0 NODE_NAME=${4:-node1} \
	CNI_ARGS=${5-"K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-$3;K8S_POD_UID=uid-$3"} \
		"$IPAM" <"$2"
}
addr_of() { sed -n 's/"address":"\([^"]*\)"/\n\1\n/gp' | sed -n '/^[0-9a-f.:]*\/[0-9]*$/p' | paste -sd' '; }
code_of() { tr -d ' \n' | sed -n 's/.*"code":\([0-9]*\).*/\1/p'; }

# keys POOL: "key=value" of every IPAMKey of a pool, checking each object
# on the way (name valid and derived from the key, labels present).
keys() {
	ctl objects | python3 -c '
import json, re, sys, hashlib
pool = sys.argv[1]
for o in json.load(sys.stdin)["items"]:
    if o.get("kind") != "IPAMKey":
        continue
    md, spec = o["metadata"], o["spec"]
    k = spec["key"]
    if not k.startswith(pool + "/"):
        continue
    name = md["name"]
    ann = (md.get("annotations") or {}).get("ipam.plexus.dev/key")
    assert ann in (None, k), (name, ann)
    assert len(name) <= 253 and re.fullmatch(
        r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
        name), name
    assert name.endswith(hashlib.sha256(k.encode()).hexdigest()[:40]), name
    assert "namespace" not in md, md
    for d in range(1, k.count("/") + 1):
        p = "/".join(k.split("/")[:d]) + "/"
        assert md["labels"]["ipam.plexus.dev/p%d" % d] == \
            hashlib.sha256(p.encode()).hexdigest()[:40], (k, d)
    print("%s=%s" % (k, spec["value"]))
' "$1"
}
# ipamkey KEY VALUE [annotated]: an IPAMKey object as the store writes
# it (name, labels; the key annotation only with "annotated": without,
# an object written before the annotation), as JSON.
ipamkey() {
	python3 -c '
import hashlib, json, re, sys
k, v = sys.argv[1], sys.argv[2]
h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:40]
name = "ipam-" + re.sub("[^a-z0-9]", "-", k.lower()[:180]) + "-" + h(k)
parts = k.split("/")
md = {"name": name, "labels": {"ipam.plexus.dev/p%d" % d:
      h("/".join(parts[:d]) + "/") for d in range(1, len(parts))}}
if len(sys.argv) > 3:
    md["annotations"] = {"ipam.plexus.dev/key": k}
print(json.dumps({"apiVersion": "ipam.plexus.dev/v1alpha1", "kind": "IPAMKey",
                  "metadata": md, "spec": {"key": k, "value": v}}))' "$@"
}
# records POOL: number of allocation records in the pool's blocks.
records() {
	keys "$1" | python3 -c '
import json, sys
def held(v):  # format 2: the slot table ("." free, 6 held); 1: inline
    t = v.get("slots", "")
    return (len(t) - t.count(".")) // 6 if "slots" in v else len(v["allocs"])
print(sum(held(json.loads(l.split("=", 1)[1]))
          for l in sys.stdin if "/b/" in l.split("=", 1)[0]))'
}
# answered METHOD CODE: requests to the store's API answered with CODE.
answered() {
	ctl requests --method "$1" --path "$API" | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["code"] == int(sys.argv[1])))' "$2"
}

case_basic() {
	conf "$T_TMP/b.json" "\"range\":\"10.60.0.0/24\",\"gateway\":\"10.60.0.1\",$KSTORE"
	a=$(ipam ADD "$T_TMP/b.json" c1 | addr_of)
	expect_eq "$a" "10.60.0.2/24" "first address"
	expect_eq "$(ipam ADD "$T_TMP/b.json" c1 | addr_of)" "$a" "retried ADD"
	expect_eq "$(ipam ADD "$T_TMP/b.json" c2 | addr_of)" "10.60.0.3/24" "second"
	expect_eq "$(records 10.60.0.0_24)" 2 "records"
	keys 10.60.0.0_24 | grep -q '^10.60.0.0_24/i/node1={"blocks":\["00000000"\]}$' ||
		fail "no node reference index: $(keys 10.60.0.0_24)"
	keys 10.60.0.0_24 | grep '/a/' | grep -q '"uid":"uid-c1"' ||
		fail "pod UID not recorded"
	ipam CHECK "$T_TMP/b.json" c1 >/dev/null || fail "CHECK after ADD"
	ipam DEL "$T_TMP/b.json" c1 >/dev/null || fail DEL
	ipam DEL "$T_TMP/b.json" c1 >/dev/null || fail "second DEL"
	out=$(ipam CHECK "$T_TMP/b.json" c1) && fail "CHECK after DEL passed"
	expect_eq "$(echo "$out" | code_of)" 3 "CHECK code"
	expect_eq "$(records 10.60.0.0_24)" 1 "records after DEL"
	CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/b.json" || fail STATUS
	# every object names its key in metadata (a metadata-only list)
	ctl objects | python3 -c '
import json, sys
objs = [o for o in json.load(sys.stdin)["items"] if o.get("kind") == "IPAMKey"
        and o["spec"]["key"].startswith("10.60.0.0_24/")]
assert objs
for o in objs:
    assert o["metadata"]["annotations"]["ipam.plexus.dev/key"] == o["spec"]["key"], o' ||
		fail "an object without its key annotation"
}

case_gc_verb() {
	conf "$T_TMP/g.json" "\"range\":\"10.61.0.0/24\",$KSTORE"
	for c in g1 g2 g3; do ipam ADD "$T_TMP/g.json" $c >/dev/null || fail "ADD $c"; done
	ipam ADD "$T_TMP/g.json" other node2 >/dev/null || fail "ADD node2"
	conf "$T_TMP/gc.json" "\"range\":\"10.61.0.0/24\",$KSTORE" \
		'"cni.dev/valid-attachments":[{"containerID":"g1","ifname":"eth0"}]'
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/gc.json" || fail GC
	ipam CHECK "$T_TMP/g.json" g1 >/dev/null || fail "g1 released"
	out=$(ipam CHECK "$T_TMP/g.json" g2) && fail "g2 kept"
	ipam CHECK "$T_TMP/g.json" other node2 >/dev/null || fail "node2's released"
	expect_eq "$(records 10.61.0.0_24)" 2 "records after GC"
	# old-layout references a kill -9 left after node1's index was
	# written: the GC verb deletes node1's (one list), not node2's
	for k in node1/00000000 node1/00000003 node2/00000000; do
		ipamkey "10.61.0.0_24/n/$k" '{}' annotated | ctl put-object - >/dev/null ||
			fail "put $k"
	done
	ctl clear-requests >/dev/null
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/gc.json" || fail "GC again"
	expect_eq "$(keys 10.61.0.0_24 | grep -c '/n/node1/')" 0 "node1's old keys after GC"
	expect_eq "$(keys 10.61.0.0_24 | grep -c '/n/node2/')" 1 "node2's old keys after GC"
	# one list for the records of node1's block (format 2: the GC verb
	# reads them to match the valid attachments), one for the old keys
	expect_eq "$(lists)" 2 "list requests of the GC verb"
	expect_eq "$(records 10.61.0.0_24)" 2 "records after the sweep"
}

# worker CONF NODE PREFIX N OUT: N ADDs, retrying "try again" (code 11).
worker() {
	for i in $(seq "$4"); do
		for _ in $(seq 100); do
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

# Four nodes race for 8 blocks of a /25 (118 usable addresses) and take
# 112: every block claimed, some borrowed from, no address twice. Lists
# come in pages of 3 (pageSize), so the continue tokens are used.
case_four_nodes() {
	# pages of 3 objects: listing 8 blocks takes several pages
	conf "$T_TMP/n.json" "\"range\":\"10.62.0.0/25\",\"blockSize\":28,\"store\":\"k8s-p3\""
	: >"$T_TMP/n.out"
	c0=$(answered POST 409)
	pids=""
	for w in 1 2 3 4; do
		worker "$T_TMP/n.json" "node$w" "n$w" 28 "$T_TMP/n.out" &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || fail "a worker failed"; done
	n=$(wc -l <"$T_TMP/n.out"); d=$(sort "$T_TMP/n.out" | uniq -d | head -3)
	[ -z "$d" ] || fail "duplicate addresses: $d"
	expect_eq "$n" 112 "allocations"
	expect_eq "$(records 10.62.0.0_25)" 112 "records"
	expect_eq "$(keys 10.62.0.0_25 | grep -c /b/)" 8 "blocks"
	ctl requests --method GET --path "$API" | python3 -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["params"].get("limit") == "3"]
assert r and any("continue" in x["params"] for x in r), "no paged list"'
	echo "create conflicts: $(( $(answered POST 409) - c0 ))," \
		"update conflicts: $(answered PUT 409)"
}

fault() { ctl fault "$1" >/dev/null || fail "fault $1"; }

# An injected 409 to an update makes the allocator reread and try again;
# to a create (reason Conflict, not AlreadyExists) and a 500 are retried
# by the store; a 500 that persists is code 11 (50 for STATUS) and leaves
# nothing behind.
case_faults() {
	conf "$T_TMP/f.json" "\"noGateway\":true,\"range\":\"10.63.0.0/24\",$KSTORE"
	ctl clear-faults >/dev/null
	fault '{"match":"POST '$API'","code":409,"message":"injected conflict"}'
	a=$(ipam ADD "$T_TMP/f.json" f1 | addr_of)
	expect_eq "$a" "10.63.0.1/24" "ADD through a create conflict"
	fault '{"match":"POST '$API'","code":409,"count":-1}'
	out=$(ipam ADD "$T_TMP/f.json" f1b node2) && fail "ADD passed: $out"
	expect_eq "$(echo "$out" | code_of)" 11 "persistent create conflict"
	echo "$out" | grep -q 'HTTP 409 Conflict on create' || fail "message: $out"
	ctl clear-faults >/dev/null
	fault '{"match":"PUT '$API'","code":409}'
	expect_eq "$(ipam ADD "$T_TMP/f.json" f2 | addr_of)" "10.63.0.2/24" \
		"ADD through an update conflict"
	fault '{"match":"* '$API'","code":500}'
	expect_eq "$(ipam ADD "$T_TMP/f.json" f3 | addr_of)" "10.63.0.3/24" \
		"ADD through one 500"
	expect_eq "$(ctl faults | tr -d ' \n')" '{"faults":[]}' "faults used up"
	fault '{"match":"* '$API'","code":500,"count":-1,"message":"etcd down"}'
	out=$(ipam ADD "$T_TMP/f.json" f4) && fail "ADD passed: $out"
	expect_eq "$(echo "$out" | code_of)" 11 "persistent 500"
	echo "$out" | grep -q 'HTTP 500.*etcd down' || fail "message: $out"
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/f.json") && fail "STATUS passed"
	expect_eq "$(echo "$out" | code_of)" 50 "STATUS code"
	ctl clear-faults >/dev/null
	expect_eq "$(records 10.63.0.0_24)" 3 "records (nothing of f4)"
	out=$(ipam CHECK "$T_TMP/f.json" f4) && fail "f4 holds an address"
	expect_eq "$(ipam ADD "$T_TMP/f.json" f4 | addr_of)" "10.63.0.4/24" "f4 later"
}

# A token the server refuses: code 111 naming the cause; read-only:
# 403; nothing listening: 11; nothing written in any of them.
case_refused() {
	sed "s/token: .*/token: $(printf '%064d' 0)/" "$D/kubeconfig" >"$T_TMP/bad.kc"
	b="\"range\":\"10.64.0.0/24\",\"store\":"
	conf "$T_TMP/r.json" "$b\"k8s-bad\""
	out=$(ipam ADD "$T_TMP/r.json" r1) && fail "ADD passed: $out"
	expect_eq "$(echo "$out" | code_of)" 111 "refused token"
	echo "$out" | grep -q 'HTTP 401 Unauthorized: the API server refused the token' ||
		fail "message: $out"
	echo "$out" | grep -q "$(printf '%064d' 0)" && fail "token in the message"
	conf "$T_TMP/r.json" "$b\"k8s-ro\""
	out=$(ipam ADD "$T_TMP/r.json" r1) && fail "read-only ADD passed"
	expect_eq "$(echo "$out" | code_of)" 111 "read-only token"
	echo "$out" | grep -q 'HTTP 403 Forbidden.*ClusterRole' || fail "message: $out"
	sed "s#server: .*#server: https://127.0.0.1:1#" "$D/kubeconfig" >"$T_TMP/off.kc"
	conf "$T_TMP/r.json" "$b\"k8s-off\""
	out=$(ipam ADD "$T_TMP/r.json" r1) && fail "unreachable ADD passed"
	expect_eq "$(echo "$out" | code_of)" 11 "unreachable"
	echo "$out" | grep -q 'cannot reach the API server' || fail "message: $out"
	out=$(CNI_COMMAND=STATUS "$IPAM" <"$T_TMP/r.json") && fail "STATUS passed"
	expect_eq "$(echo "$out" | code_of)" 50 "unreachable STATUS"
	expect_eq "$(keys 10.64.0.0_24 | wc -l)" 0 "keys written"
}

# pod NS NAME UID: a pod object on the server.
pod() {
	echo "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"$1\",\"name\":\"$2\",\"uid\":\"$3\"}}" >"$T_TMP/pod.json"
	ctl put-object "$T_TMP/pod.json" >/dev/null
}
pod_args() { echo "K8S_POD_NAMESPACE=$1;K8S_POD_NAME=$2;K8S_POD_UID=$3"; }

# plexusctl ipam ls and gc with STORE: web-0's old incarnation (same
# name, new UID) and a deleted pod are released by UID; the live pods and
# an allocation without a UID stay. dry-run and a refused token release
# nothing.
ctl_case() { # STORE-JSON POOL-RANGE
	p=$(echo "$2" | tr / _)
	conf "$T_TMP/p.json" "\"noGateway\":true,\"range\":\"$2\",\"blockSize\":28,$1"
	pod ipamtest web-0 uid-web0-new
	pod ipamtest keep uid-keep
	# 600 pods sorted before ipamtest/*: the live ones are on page 2
	python3 -c 'import json; print(json.dumps({"kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": "aaa-filler",
   "name": "f%03d" % i, "uid": "uid-f%03d" % i}} for i in range(600)]}))' \
		>"$T_TMP/filler.json"
	ctl put-object "$T_TMP/filler.json" >/dev/null
	ipam ADD "$T_TMP/p.json" c-old node1 "$(pod_args ipamtest web-0 uid-web0-old)" >/dev/null
	ipam ADD "$T_TMP/p.json" c-new node2 "$(pod_args ipamtest web-0 uid-web0-new)" >/dev/null
	ipam ADD "$T_TMP/p.json" c-keep node1 "$(pod_args ipamtest keep uid-keep)" >/dev/null
	ipam ADD "$T_TMP/p.json" c-gone node1 "$(pod_args ipamtest gone uid-gone)" >/dev/null
	ipam ADD "$T_TMP/p.json" c-nouid node1 "" >/dev/null
	ipamctl ls --config "$T_TMP/p.json" >"$T_TMP/ls.out" || fail "ls: $(cat "$T_TMP/ls.out")"
	cat "$T_TMP/ls.out"
	grep -q "^pool $p  range $2  blocks /28: 2 claimed of .*allocations 5$" "$T_TMP/ls.out" || fail "pool line"
	grep -Eq "^  block ${2%.0/24}.0/28  node node1  used 4  free 11$" "$T_TMP/ls.out" || fail "node1's block"
	grep -Eq "^  block ${2%.0/24}.16/28  node node2  used 1  free 15$" "$T_TMP/ls.out" || fail "node2's block"
	grep -Eq "^    [0-9.]+ +pod ipamtest/web-0  uid uid-web0-old  container c-old  interface eth0  node node1$" "$T_TMP/ls.out" || fail "c-old line"
	grep -Eq "^    [0-9.]+ +pod -/-  uid -  container c-nouid  interface eth0  node node1$" "$T_TMP/ls.out" || fail "c-nouid line"
	ipamctl ls --config "$T_TMP/p.json" -o json | python3 -c '
import json, sys
p, = json.load(sys.stdin)["pools"]
assert p["pool"] == sys.argv[1] and p["range"] == sys.argv[2] and p["blockLen"] == 28, p
assert p["blocksClaimed"] == 2 and p["blocksInRange"] == "16" and p["allocations"] == 5 and p["reserved"] == 0, p
b1, b2 = p["blocks"]
assert (b1["node"], b1["used"], b1["free"], len(b1["addresses"])) == ("node1", 4, 11, 4), b1
assert (b2["node"], b2["used"], b2["free"], b2["reserved"]) == ("node2", 1, 15, 0), b2
old, = [a for a in b1["addresses"] if a["holder"]["container"] == "c-old"]
assert old["holder"] == {"namespace": "ipamtest", "pod": "web-0", "uid": "uid-web0-old", "container": "c-old", "interface": "eth0", "node": "node1"}, old
assert old["reserved"] is None and old["address"].startswith(sys.argv[2][:-6]), old' "$p" "$2" || fail "ls -o json"

	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$D/kubeconfig" --dry-run >"$T_TMP/gc.out" ||
		fail "gc --dry-run: $(cat "$T_TMP/gc.out")"
	expect_eq "$(grep -c '^would release ' "$T_TMP/gc.out")" 3 "dry-run lines"
	grep -q "^would release 2, kept 2 (pod exists), kept 1 (no pod UID recorded)$" "$T_TMP/gc.out" || fail "dry-run summary"
	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$D/kubeconfig" --dry-run -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["dryRun"] is True and (j["released"], j["kept"], j["keptNoPodUid"], j["keptForClaims"]) == (2, 2, 1, 0), j
assert sorted(a["holder"]["container"] for a in j["addresses"]) == ["c-gone", "c-old"], j
assert {a["state"] for a in j["addresses"]} == {"released"} and all(a["pool"] == sys.argv[1] for a in j["addresses"]), j' "$p" ||
		fail "gc --dry-run -o json"
	ipamctl ls --config "$T_TMP/p.json" | grep -q "allocations 5$" || fail "dry-run released"

	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$T_TMP/bad.kc" >"$T_TMP/gc.out" 2>&1 &&
		fail "gc with a refused token passed"
	grep -q "HTTP 401 Unauthorized" "$T_TMP/gc.out" || fail "gc message: $(cat "$T_TMP/gc.out")"
	ipamctl ls --config "$T_TMP/p.json" | grep -q "allocations 5$" || fail "refused gc released"

	n0=$(ctl requests --method GET --path /api/v1/pods | grep -c '"continue"')
	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$D/kubeconfig" >"$T_TMP/gc.out" ||
		fail "gc: $(cat "$T_TMP/gc.out")"
	n1=$(ctl requests --method GET --path /api/v1/pods | grep -c '"continue"')
	[ "$n1" -gt "$n0" ] || fail "pods not listed in pages"
	cat "$T_TMP/gc.out"
	grep -Eq "^released [0-9.]+ +pool $p  pod ipamtest/web-0  uid uid-web0-old  container c-old  interface eth0  node node1$" "$T_TMP/gc.out" || fail "c-old not released"
	grep -Eq "^released [0-9.]+ +pool $p  pod ipamtest/gone  uid uid-gone  container c-gone " "$T_TMP/gc.out" || fail "c-gone not released"
	grep -q "^released 2, kept 2 (pod exists), kept 1 (no pod UID recorded)$" "$T_TMP/gc.out" || fail "summary"
	for c in c-new:node2 c-keep:node1 c-nouid:node1; do
		ipam CHECK "$T_TMP/p.json" "${c%:*}" "${c#*:}" >/dev/null || fail "${c%:*} released"
	done
	for c in c-old c-gone; do
		out=$(ipam CHECK "$T_TMP/p.json" $c) && fail "$c still held"
	done
	# the released addresses are handed out again; DEL of the rest works
	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$D/kubeconfig" |
		grep -q "^released 0," || fail "second gc released"
	ipamctl gc --config "$T_TMP/p.json" --kubeconfig "$D/kubeconfig" -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["dryRun"] is False and j["addresses"] == [] and j["released"] == 0, j' || fail "gc -o json, nothing to release"
	ipam DEL "$T_TMP/p.json" c-new node2 >/dev/null || fail "DEL c-new"
	ipamctl ls --config "$T_TMP/p.json" | grep -q "allocations 2$" || fail "after DEL"
	out=$(ipamctl ls --config /nonexistent.json 2>&1) && fail "ls of a missing config passed"
	ipamctl ls --config /nonexistent.json >/dev/null 2>&1 || expect_eq "$?" 2 "exit code"
}
case_ctl_file() { ctl_case "$FSTORE" 10.65.0.0/24; }
case_ctl_k8s() { ctl_case "$KSTORE" 10.66.0.0/24; }

# A block plexusctl gc empties goes back to the pool (its owner, node3,
# may be gone for good); node3's dangling reference is dropped when node3
# allocates again.
# plexusctl ipam ls page by page: 8 blocks over two pools print the same
# bytes (table and JSON) in pages of 1 block as in one page (and, with
# the kubernetes store in pages of 3 objects, as in pages of 500); with
# the file store, a block that does not parse part-way: exit 1 with code
# 6 naming its key, the pool before it printed whole, nothing of its own.
ls_pages_case() { # STORE-JSON RANGE-A RANGE-B
	local o pa pb f
	conf "$T_TMP/pg.conf" "\"noGateway\":true,\"ranges\":[[{\"subnet\":\"$2\"}],[{\"subnet\":\"$3\"}]],$1"
	for i in 1 2 3 4 5 6 7 8; do
		ipam ADD "$T_TMP/pg.conf" "pg-$i" "node$((i % 4))" >/dev/null || fail "ADD pg-$i"
	done
	for o in table json; do
		ipamctl ls --config "$T_TMP/pg.conf" -o $o >"$T_TMP/pg.$o" || fail "ls -o $o"
		for n in 1 500; do
			ipamctl ls --config "$T_TMP/pg.conf" -o $o --page-size $n >"$T_TMP/pg.$o.$n" || fail "ls -o $o --page-size $n"
			cmp -s "$T_TMP/pg.$o" "$T_TMP/pg.$o.$n" || fail "ls -o $o --page-size $n: $(diff "$T_TMP/pg.$o" "$T_TMP/pg.$o.$n" | head -5)"
		done
	done
	expect_eq "$(grep -c '^  block ' "$T_TMP/pg.table")" 8 "blocks listed"
	expect_eq "$(grep -c ' container pg-' "$T_TMP/pg.table")" 16 "allocations listed"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T_TMP/pg.json.1" || fail "ls -o json: not JSON"
	[ "$1" = "$FSTORE" ] || return 0
	pa=net1.$(echo "$2" | tr / _) pb=net1.$(echo "$3" | tr / _)
	f=$(ls "$T_TMP/store/$pb/b/" | sed -n 2p)
	cp "$T_TMP/store/$pb/b/$f" "$T_TMP/pg.block"
	printf '5\n{"cidr": broken' >"$T_TMP/store/$pb/b/$f"
	for o in table json; do
		ipamctl ls --config "$T_TMP/pg.conf" -o $o --page-size 1 >"$T_TMP/pg.out" 2>"$T_TMP/pg.err" &&
			fail "ls -o $o with a broken block: exit 0"
		grep -q "store key $pb/b/$f: .*(code 6)" "$T_TMP/pg.err" || fail "ls -o $o error: $(cat "$T_TMP/pg.err")"
		grep -q "$pb" "$T_TMP/pg.out" && fail "ls -o $o printed some of the failing pool"
		grep -q "$pa" "$T_TMP/pg.out" || fail "ls -o $o did not print the pool before"
	done
	head -c "$(wc -c <"$T_TMP/pg.out")" "$T_TMP/pg.json.1" | cmp -s - "$T_TMP/pg.out" ||
		fail "ls -o json part-way is not the start of the whole document"
	cp "$T_TMP/pg.block" "$T_TMP/store/$pb/b/$f"
}
case_ctl_pages_file() { ls_pages_case "$FSTORE" 10.74.0.0/24 10.75.0.0/24; }
case_ctl_pages_k8s() { ls_pages_case '"store":"k8s-p3"' 10.76.0.0/24 10.77.0.0/24; }

case_ctl_block_back() {
	conf "$T_TMP/b.json" "\"noGateway\":true,\"range\":\"10.68.0.0/24\",\"blockSize\":28,$FSTORE"
	ipam ADD "$T_TMP/b.json" c-lone node3 "$(pod_args ipamtest gone3 uid-gone3)" >/dev/null || fail "ADD"
	ipamctl ls --config "$T_TMP/b.json" | grep -q "blocks /28: 1 claimed " || fail "not claimed"
	ipamctl gc --config "$T_TMP/b.json" --kubeconfig "$D/kubeconfig" |
		grep -q "^released 1, " || fail "gc"
	ipamctl ls --config "$T_TMP/b.json" >"$T_TMP/ls.out"
	grep -q "blocks /28: 0 claimed " "$T_TMP/ls.out" || fail "block kept: $(cat "$T_TMP/ls.out")"
	a=$(ipam ADD "$T_TMP/b.json" c-next node3 "$(pod_args ipamtest keep uid-keep)" | addr_of)
	expect_eq "$a" 10.68.0.1/24 "node3 allocates again"
}

# node1 borrowed from node2's block; plexusctl gc releases node1's record
# there without touching references; node1 drops its stale index entry
# itself on its next call, with a resourceVersion compare-and-swap.
case_stale_ref() {
	conf "$T_TMP/s.json" "\"range\":\"10.67.0.0/28\",\"blockSize\":28,$KSTORE"
	pod ipamtest keep uid-keep
	ipam ADD "$T_TMP/s.json" s1 node2 "$(pod_args ipamtest keep uid-keep)" >/dev/null || fail "node2 ADD"
	ipam ADD "$T_TMP/s.json" s2 node1 "$(pod_args ipamtest gone uid-gone2)" >/dev/null || fail "node1 borrows"
	keys 10.67.0.0_28 | grep -q '^10.67.0.0_28/i/node1=.*"00000000"' || fail "no borrow reference"
	ipamctl gc --config "$T_TMP/s.json" --kubeconfig "$D/kubeconfig" |
		grep -q "^released 1, kept 1 " || fail "gc"
	keys 10.67.0.0_28 | grep -q '^10.67.0.0_28/i/node1=.*"00000000"' || fail "gc touched a reference"
	n0=$(ctl count PUT "$API")
	out=$(ipam CHECK "$T_TMP/s.json" s2 node1) && fail "s2 still held"
	keys 10.67.0.0_28 | grep -q '^10.67.0.0_28/i/node1={"blocks":\[\]}$' || fail "stale reference kept"
	ipam CHECK "$T_TMP/s.json" s1 node2 >/dev/null || fail "s1 released"
	ctl requests --method PUT --path "$API" | python3 -c '
import json, sys
r = json.load(sys.stdin)[int(sys.argv[1]):]
assert len(r) == 1 and r[0]["code"] == 200, r
assert r[0]["body"]["spec"]["key"] == "10.67.0.0_28/i/node1", r[0]
assert r[0]["body"]["metadata"]["resourceVersion"].isdigit(), r[0]' "$n0"
}

# lists LABEL-HASH-FREE: list requests (GET of the collection) so far.
lists() {
	ctl requests --method GET --path "$API" | python3 -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["path"].rstrip("/") == sys.argv[1]))' "$API"
}

# A node's references are one IPAMKey read by name: a steady ADD, CHECK,
# DEL and STATUS make no list request (no label selector scan); a fresh
# node lists the old layout's keys once and writes its index.
case_no_list() {
	conf "$T_TMP/n.json" "\"range\":\"10.71.0.0/16\",\"blockSize\":26,$KSTORE"
	ipam ADD "$T_TMP/n.json" n1 >/dev/null || fail "first ADD"
	n0=$(lists)
	ipam ADD "$T_TMP/n.json" n2 >/dev/null || fail "ADD"
	ipam CHECK "$T_TMP/n.json" n2 >/dev/null || fail "CHECK"
	ipam DEL "$T_TMP/n.json" n2 >/dev/null || fail "DEL"
	CNI_COMMAND=STATUS NODE_NAME=node1 "$IPAM" <"$T_TMP/n.json" || fail STATUS
	expect_eq "$(lists)" "$n0" "list requests of steady calls"
	# a node that never allocated: its first STATUS lists once, no more
	CNI_COMMAND=STATUS NODE_NAME=fresh "$IPAM" <"$T_TMP/n.json" || fail "STATUS fresh"
	expect_eq "$(lists)" "$((n0 + 1))" "list requests of a fresh node's STATUS"
	CNI_COMMAND=STATUS NODE_NAME=fresh "$IPAM" <"$T_TMP/n.json" || fail "STATUS fresh"
	expect_eq "$(lists)" "$((n0 + 1))" "list requests of a fresh node's second STATUS"
	ctl requests --method GET --path "$API" | python3 -c '
import json, sys
r = json.load(sys.stdin)[-1]
assert r["path"].startswith(sys.argv[1] + "/ipam-10-71-0-0-16-"), r' "$API" ||
		fail "not a GET by name"
}

# A pool written before the index (one IPAMKey per block reference):
# its node's first call lists them once, writes the index, deletes them;
# then no list any more.
case_old_layout() {
	local n
	conf "$T_TMP/o.json" "\"range\":\"10.72.0.0/22\",\"blockSize\":26,$KSTORE"
	PLEXUS_IPAM_SEED_LAYOUT=old "$TOP/$BINDIR/tests/plexus-ipam-seed" "$T_TMP/o.json" 2 300 >/dev/null ||
		fail "seed"
	n=$(keys 10.72.0.0_22 | grep -c '/n/node-00/')
	[ "$n" -ge 2 ] || fail "old references: $n"
	keys 10.72.0.0_22 | grep -q '/i/' && fail "an index before the move"
	ipam CHECK "$T_TMP/o.json" seed-0 node-00 '' >/dev/null || fail "CHECK of a seeded record"
	expect_eq "$(keys 10.72.0.0_22 | grep -c '/n/node-00/')" 0 "old references left"
	expect_eq "$(keys 10.72.0.0_22 | sed -n 's|^10.72.0.0_22/i/node-00=||p' |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["blocks"]))')" "$n" "index entries"
	n0=$(lists)
	ipam CHECK "$T_TMP/o.json" seed-2 node-00 '' >/dev/null || fail "CHECK again"
	ipam ADD "$T_TMP/o.json" o1 node-00 >/dev/null || fail "ADD"
	ipam DEL "$T_TMP/o.json" seed-4 node-00 '' >/dev/null || fail "DEL"
	expect_eq "$(lists)" "$n0" "list requests after the move"
	keys 10.72.0.0_22 | grep -q '/n/node-01/' || fail "node-01's old references (not read yet) gone"
}

# plexusctl ipam show and release: one address, who holds it; release
# refused while the holder's pod (same UID) exists or when no pod was
# recorded, unless --force; --dry-run touches nothing.
case_ctl_show_release() {
	local a1 a2 a3 out
	conf "$T_TMP/r.json" "\"range\":\"10.69.0.0/24\",\"blockSize\":28,$FSTORE"
	pod ipamtest live uid-live
	pod ipamtest renamed uid-renamed-new
	a1=$(ipam ADD "$T_TMP/r.json" c-live node1 "$(pod_args ipamtest live uid-live)" | addr_of)
	a2=$(ipam ADD "$T_TMP/r.json" c-dead node1 "$(pod_args ipamtest renamed uid-renamed-old)" | addr_of)
	a3=$(ipam ADD "$T_TMP/r.json" c-nouid node1 "" | addr_of)
	a1=${a1%/*} a2=${a2%/*} a3=${a3%/*}
	ipamctl show --config "$T_TMP/r.json" "$a1" >"$T_TMP/show.out" || fail "show: $(cat "$T_TMP/show.out")"
	grep -q "^address $a1  pool .*10.69.0.0_24  block node node1$" "$T_TMP/show.out" || fail "show head: $(cat "$T_TMP/show.out")"
	grep -Eq "^    $a1 +pod ipamtest/live  uid uid-live  container c-live  interface eth0  node node1$" "$T_TMP/show.out" ||
		fail "show holder: $(cat "$T_TMP/show.out")"
	ipamctl show --config "$T_TMP/r.json" -o json "$a1" |
		python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["holder"]["uid"] == "uid-live" and j["blockNode"] == "node1", j' ||
		fail "show -o json"
	ipamctl show --config "$T_TMP/r.json" 10.69.0.200 | grep -q "free (its block is claimed by no node)" || fail "show of an unclaimed block"
	ipamctl show --config "$T_TMP/r.json" 10.69.0.1 | grep -q "reserved" || fail "show of the gateway"
	out=$(ipamctl show --config "$T_TMP/r.json" 10.70.0.1 2>&1) && fail "show outside passed"
	echo "$out" | grep -q "10.70.0.1 is in no range" || fail "outside: $out"

	out=$(ipamctl release --config "$T_TMP/r.json" --kubeconfig "$D/kubeconfig" "$a1" 2>&1) && fail "released a live pod's address"
	echo "$out" | grep -q "held by pod ipamtest/live (uid uid-live), which exists: give --force" || fail "live: $out"
	ipam CHECK "$T_TMP/r.json" c-live >/dev/null || fail "live holder lost its address"
	ipamctl release --config "$T_TMP/r.json" --kubeconfig "$D/kubeconfig" --dry-run "$a2" | grep -q "^would release $a2 " || fail "dry-run"
	ipamctl release --config "$T_TMP/r.json" --kubeconfig "$D/kubeconfig" --dry-run -o json "$a2" |
		python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["dryRun"] is True and j["addresses"][0]["holder"]["uid"] == "uid-renamed-old", j' ||
		fail "release --dry-run -o json"
	ipam CHECK "$T_TMP/r.json" c-dead >/dev/null || fail "dry-run released"
	ipamctl release --config "$T_TMP/r.json" --kubeconfig "$D/kubeconfig" "$a2" | grep -q "^released $a2 .*uid uid-renamed-old" ||
		fail "release of a pod whose name has a new UID"
	out=$(ipam CHECK "$T_TMP/r.json" c-dead) && fail "c-dead still held"
	out=$(ipamctl release --config "$T_TMP/r.json" --kubeconfig "$D/kubeconfig" "$a3" 2>&1) && fail "released without a recorded pod"
	echo "$out" | grep -q "pod is not recorded (container c-nouid): give --force" || fail "no pod: $out"
	ipamctl release --config "$T_TMP/r.json" --force -o json "$a3" | python3 -c '
import json, sys
j = json.load(sys.stdin)
a, = j["addresses"]
assert j["dryRun"] is False and a["address"] == sys.argv[1] and a["state"] == "released" and a["pool"] == "10.69.0.0_24", j
assert a["holder"]["container"] == "c-nouid" and a["holder"]["interface"] == "eth0" and a["holder"]["uid"] == "", j' "$a3" ||
		fail "release --force -o json"
	ipamctl release --config "$T_TMP/r.json" --force "$a1" | grep -q "^released $a1 " || fail "--force of a live one"
	out=$(ipamctl release --config "$T_TMP/r.json" --force "$a1" 2>&1) && fail "second release passed"
	echo "$out" | grep -q "is not held by anyone: free" || fail "second release: $out"
	ipamctl ls --config "$T_TMP/r.json" | grep -q "allocations 0$" || fail "left: $(ipamctl ls --config "$T_TMP/r.json")"
}

# plexusctl ipam reserve / unreserve with STORE: reserved addresses are
# never handed out (ADD skips them, IP= is refused with code 7), a held
# one needs --force and stays reserved after its DEL, ls/show show them,
# --dry-run writes nothing, a block made for reservations goes with its
# last one.
ctl_reserve_case() { # STORE-JSON POOL-RANGE (a /24)
	local p n out
	p=$(echo "$2" | tr / _) n=${2%.0/24}
	conf "$T_TMP/v.json" "\"range\":\"$2\",\"blockSize\":28,$1"
	pod ipamtest live uid-live
	expect_eq "$(ipam ADD "$T_TMP/v.json" v-live node1 "$(pod_args ipamtest live uid-live)" | addr_of)" "$n.2/24" "first ADD"
	ipamctl reserve --config "$T_TMP/v.json" "$n.3-$n.5" >"$T_TMP/v.out" || fail "reserve: $(cat "$T_TMP/v.out")"
	expect_eq "$(grep -c "^reserved  *$n\.[345]  *pool $p$" "$T_TMP/v.out")" 3 "reserve lines: $(cat "$T_TMP/v.out")"
	grep -q "^reserved 3, already reserved 0, skipped 0$" "$T_TMP/v.out" || fail "summary: $(cat "$T_TMP/v.out")"
	expect_eq "$(ipam ADD "$T_TMP/v.json" v-a node1 | addr_of)" "$n.6/24" "ADD skips the reserved"
	out=$(ipam ADD "$T_TMP/v.json" v-req node1 "$(pod_args ipamtest req uid-req);IP=$n.4") && fail "IP= of a reserved address passed"
	expect_eq "$(echo "$out" | code_of)" 7 "IP= code"
	echo "$out" | grep -q "$n.4 in pool $p is reserved by an operator" || fail "IP= message: $out"
	ipamctl reserve --config "$T_TMP/v.json" "$n.3" | grep -q "^already reserved  *$n.3  *pool $p  (since " || fail "again"

	out=$(ipamctl reserve --config "$T_TMP/v.json" "$n.2-$n.3" 2>&1) && fail "reserved a live pod's address"
	echo "$out" | grep -q "$n.2 is held by ipamtest/live (container v-live, interface eth0, node node1): give --force" || fail "held: $out"
	ipamctl show --config "$T_TMP/v.json" -o json "$n.2" | python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["reserved"] is None and j["holder"]["pod"] == "live", j' ||
		fail "refused reserve wrote"
	ipamctl reserve --config "$T_TMP/v.json" --force "$n.2" | grep -q "^reserved after release  *$n.2  *pool $p  held by ipamtest/live " || fail "--force"
	ipam CHECK "$T_TMP/v.json" v-live >/dev/null || fail "the holder lost its address"
	expect_eq "$(ipam ADD "$T_TMP/v.json" v-live node1 "$(pod_args ipamtest live uid-live)" | addr_of)" "$n.2/24" "the holder's retried ADD"
	ipam DEL "$T_TMP/v.json" v-live >/dev/null || fail "DEL"
	expect_eq "$(ipam ADD "$T_TMP/v.json" v-b node1 | addr_of)" "$n.7/24" "released but reserved"
	ipamctl ls --config "$T_TMP/v.json" >"$T_TMP/ls.out"
	grep -q "^pool $p  .*allocations 2  reserved 4$" "$T_TMP/ls.out" || fail "ls pool: $(cat "$T_TMP/ls.out")"
	grep -q "^  block $n.0/28  node node1  used 2  free 8  reserved 4$" "$T_TMP/ls.out" || fail "ls block: $(cat "$T_TMP/ls.out")"
	grep -Eq "^    $n.4 +reserved by an operator since 20[0-9-]+T[0-9:]+Z$" "$T_TMP/ls.out" || fail "ls line: $(cat "$T_TMP/ls.out")"
	ipamctl ls --config "$T_TMP/v.json" -o json | python3 -c '
import json, sys
p, = json.load(sys.stdin)["pools"]
b, = p["blocks"]
assert (p["allocations"], p["reserved"], b["used"], b["free"], b["reserved"]) == (2, 4, 2, 8, 4), p
r = {a["address"]: a for a in b["addresses"]}
four = r[sys.argv[1] + ".4"]
assert four["holder"] is None and four["reserved"].endswith("Z") and four["reason"] == "operator", four
two = r[sys.argv[1] + ".2"]
assert two["holder"] is None and two["reserved"] and two["reason"] == "operator", two
assert r[sys.argv[1] + ".6"]["holder"]["container"] == "v-a" and r[sys.argv[1] + ".6"]["reserved"] is None, r' "$n" ||
		fail "ls -o json: $(ipamctl ls --config "$T_TMP/v.json" -o json)"
	ipamctl show --config "$T_TMP/v.json" "$n.4" | grep -q "reserved by an operator since" || fail "show"
	ipamctl show --config "$T_TMP/v.json" -o json "$n.4" | python3 -c 'import json, sys; j = json.load(sys.stdin); assert j["holder"] is None and j["reserved"] and j["state"] == "reserved by an operator", j' ||
		fail "show -o json"
	out=$(ipamctl release --config "$T_TMP/v.json" --force "$n.4" 2>&1) && fail "released a reservation"
	echo "$out" | grep -q "not held by anyone: reserved by an operator" || fail "release: $out"

	ipamctl reserve --config "$T_TMP/v.json" --dry-run "$n.16/28" | grep -q "^would be reserved  *$n.16 " || fail "dry-run"
	ipamctl ls --config "$T_TMP/v.json" | grep -q "blocks /28: 1 claimed " || fail "dry-run wrote"
	ipamctl reserve --config "$T_TMP/v.json" -o json "$n.16/28" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert not j["dryRun"] and len(j["addresses"]) == 16, j
assert all(a["state"] == "reserved" and a["pool"] == sys.argv[1] for a in j["addresses"]), j' "$p" || fail "reserve -o json"
	ipamctl ls --config "$T_TMP/v.json" >"$T_TMP/ls.out"
	grep -q "^  block $n.16/28  node -  used 0  free 0  reserved 16$" "$T_TMP/ls.out" || fail "ownerless block: $(cat "$T_TMP/ls.out")"
	ipamctl ls --config "$T_TMP/v.json" -o json | python3 -c '
import json, sys
b = json.load(sys.stdin)["pools"][0]["blocks"][1]
assert b["node"] is None and b["reserved"] == 16 and len(b["addresses"]) == 16, b' || fail "ownerless block, -o json"
	ipamctl unreserve --config "$T_TMP/v.json" --dry-run -o json "$n.16/28" | python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["dryRun"] and len(j["addresses"]) == 16 and {a["state"] for a in j["addresses"]} == {"unreserved"}, j' || fail "unreserve -o json"
	ipamctl unreserve --config "$T_TMP/v.json" "$n.16/28" | grep -q "^unreserved 16, not reserved 0, skipped 0$" || fail "unreserve"
	ipamctl ls --config "$T_TMP/v.json" | grep -q "blocks /28: 1 claimed " || fail "ownerless block kept"
	ipamctl unreserve --config "$T_TMP/v.json" "$n.0-$n.5" >"$T_TMP/v.out" || fail "unreserve: $(cat "$T_TMP/v.out")"
	grep -q "^unreserved 4, not reserved 0, skipped 2$" "$T_TMP/v.out" || fail "unreserve summary: $(cat "$T_TMP/v.out")"
	expect_eq "$(ipam ADD "$T_TMP/v.json" v-c node1 | addr_of)" "$n.2/24" "unreserved handed out"

	for bad in 10.99.0.1 "$n.5-$n.3" "$n.0/16" "$n.3/28" "$n.0-$n.255x"; do
		out=$(ipamctl reserve --config "$T_TMP/v.json" "$bad" 2>&1) && fail "reserve $bad passed"
		echo "$out" | grep -q "(code 7)$" || fail "reserve $bad: $out"
	done
	ipamctl reserve --config "$T_TMP/v.json" >/dev/null 2>&1 || expect_eq "$?" 2 "no span: usage"
	ipamctl unreserve --config "$T_TMP/v.json" --force "$n.3" >/dev/null 2>&1 || expect_eq "$?" 2 "unreserve --force: usage"
}
case_ctl_reserve_file() { ctl_reserve_case "$FSTORE" 10.71.0.0/24; }
case_ctl_reserve_k8s() { ctl_reserve_case "$KSTORE" 10.72.0.0/24; }

# plexusctl ipam claims: the IPAMClaims through the node settings'
# kubeconfig (the file store beside it), each address with its holder in
# the pool: the pod, the claim alone after DEL, an operator's
# reservation refusing the claim's next pod.
case_ctl_claims() {
	local CL=/apis/k8s.cni.cncf.io/v1alpha1/namespaces/ipamtest/ipamclaims out
	cat >"$T_TMP/ipam-claims.conf" <<EON
{"stores": {"file": {"type": "file", "path": "$T_TMP/store"}}, "kubeconfig": "$D/kubeconfig"}
EON
	for c in vm-a:net1 vm-b:net1 vm-c:net9; do
		printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"%s","namespace":"ipamtest"},"spec":{"network":"%s","interface":"eth0"}}' \
			"${c%:*}" "${c#*:}" | ctl api POST "$CL" - >/dev/null || fail "create claim $c"
	done
	conf "$T_TMP/c.json" "\"range\":\"10.73.0.0/24\",$FSTORE"
	export PLEXUS_IPAM_CONF=$T_TMP/ipam-claims.conf
	a=$(ipam ADD "$T_TMP/c.json" c-vm node1 "$(pod_args ipamtest vm-a-0 uid-vm);PLEXUS_IPAM_CLAIM=vm-a" | addr_of)
	expect_eq "$a" 10.73.0.2/24 "the claim's ADD"
	ipamctl claims --config "$T_TMP/c.json" >"$T_TMP/cl.out" || fail "claims: $(cat "$T_TMP/cl.out")"
	cat "$T_TMP/cl.out"
	head -1 "$T_TMP/cl.out" | grep -q "^NAMESPACE  *NAME  *NETWORK  *INTERFACE  *ADDRESS  *HOLDER$" || fail "header"
	grep -q "^ipamtest  *vm-a  *net1  *eth0  *10.73.0.2/24  *pod ipamtest/vm-a-0 (container c-vm, interface eth0, node node1)$" "$T_TMP/cl.out" || fail "vm-a"
	grep -q "^ipamtest  *vm-b  *net1  *eth0  *-  *(no address yet" "$T_TMP/cl.out" || fail "vm-b"
	grep -q "^ipamtest  *vm-c  *net9  *eth0  *-  " "$T_TMP/cl.out" || fail "vm-c"
	ipam DEL "$T_TMP/c.json" c-vm node1 "$(pod_args ipamtest vm-a-0 uid-vm);PLEXUS_IPAM_CLAIM=vm-a" >/dev/null || fail "DEL"
	ipamctl claims --config "$T_TMP/c.json" -n ipamtest -o json | python3 -c '
import json, sys
j = {c["name"]: c for c in json.load(sys.stdin)["claims"]}
a = j["vm-a"]
assert a["network"] == "net1" and a["interface"] == "eth0", a
assert a["ips"] == [{"address": "10.73.0.2/24", "state": "kept for its claim",
    "holder": {"namespace": "ipamtest", "pod": "", "uid": "", "container": "",
               "interface": "", "node": "node1", "claim": "ipamtest/vm-a"},
    "reserved": None}], a
assert j["vm-b"]["ips"] == [], j["vm-b"]' || fail "claims -o json after DEL"
	ipamctl claims --config "$T_TMP/c.json" | grep -q "10.73.0.2/24  *no pod (kept for the claim, last node node1)$" || fail "kept"
	expect_eq "$(ipamctl claims --config "$T_TMP/c.json" -n nobody | wc -l)" 1 "another namespace: the header only"
	ipamctl reserve --config "$T_TMP/c.json" 10.73.0.2 >/dev/null 2>&1 && fail "reserved the claim's address without --force"
	ipamctl reserve --config "$T_TMP/c.json" --force 10.73.0.2 >/dev/null || fail "reserve --force"
	out=$(ipam ADD "$T_TMP/c.json" c-vm2 node2 "$(pod_args ipamtest vm-a-1 uid-vm2);PLEXUS_IPAM_CLAIM=vm-a") && fail "the claim's next pod got a reserved address"
	expect_eq "$(echo "$out" | code_of)" 7 "claim + reserved code"
	echo "$out" | grep -q "10.73.0.2 in pool 10.73.0.0_24 is reserved by an operator" || fail "claim + reserved: $out"
	out=$(ipamctl claims --config "$T_TMP/c.json" --kubeconfig "$T_TMP/bad.kc" 2>&1) && fail "claims with a refused token passed"
	echo "$out" | grep -q "HTTP 401" || fail "refused token: $out"
	export PLEXUS_IPAM_CONF=$T_TMP/ipam-node.conf
	out=$(ipamctl claims --config "$T_TMP/c.json" 2>&1) && fail "claims without an API passed"
	echo "$out" | grep -q "IPAMClaims are read through the Kubernetes API.*(code 7)$" || fail "no API: $out"
}

META='application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1'
# list_log: "ACCEPT KIND CODE BYTES QUERY" of each list request logged.
list_log() {
	ctl requests --method GET --path "$API" | python3 -c '
import json, sys
for r in json.load(sys.stdin):
    if r["path"].rstrip("/") == sys.argv[1]:
        print(r["accept"], r.get("kind"), r["code"], r.get("bytes"), r["query"])' "$API"
}

# Keys-only lists (a fresh node's look for old references, a claim's
# walk of the pool's blocks) ask for metadata only: the answer is a
# PartialObjectMetadataList, no spec, no value; the same list answered
# whole is larger by at least the values. A server that answers 406 to
# that Accept gets whole lists from then on (one 406 per store); objects
# written before the key annotation make a page come again whole.
case_meta_lists() {
	local q mb wb vlen
	conf "$T_TMP/m.json" "\"range\":\"10.80.0.0/24\",\"blockSize\":26,$KSTORE"
	for i in 1 2 3; do ipam ADD "$T_TMP/m.json" "m$i" node1 >/dev/null || fail "ADD m$i"; done
	ctl clear-requests >/dev/null
	ipam ADD "$T_TMP/m.json" m4 node2 >/dev/null || fail "ADD of a fresh node"
	list_log >"$T_TMP/m.log"
	sed 's/^/# /' "$T_TMP/m.log"
	expect_eq "$(wc -l <"$T_TMP/m.log")" 2 "lists of a fresh node's first ADD"
	expect_eq "$(awk -v m="$META" '$1 == m && $2 == "PartialObjectMetadataList" && $3 == 200' "$T_TMP/m.log" | wc -l)" 2 \
		"metadata-only lists"
	# the claim's walk of <pool>/b/ (node1's block): answered whole it
	# carries the block's value, metadata only it does not
	q=$(tail -1 "$T_TMP/m.log" | awk '{print $5}') mb=$(tail -1 "$T_TMP/m.log" | awk '{print $4}')
	ctl api GET "$API?$q" >/dev/null || fail "whole list"
	wb=$(list_log | tail -1 | awk '{print $4}')
	vlen=$(keys 10.80.0.0_24 | sed -n 's|^10.80.0.0_24/b/00000000=||p' | wc -c)
	echo "# walk of the pool's blocks: $mb bytes metadata only, $wb whole (the value: $vlen)"
	[ "$vlen" -gt 40 ] && [ $((mb + vlen)) -le "$wb" ] ||
		fail "a keys-only list carried values: $mb bytes, whole $wb, value $vlen"

	# 406 to the metadata Accept: asked once, then whole lists
	ctl fault "{\"match\": \"GET $API\", \"code\": 406, \"count\": -1, \"accept\": \"as=PartialObjectMetadataList\", \"message\": \"only the following media types are accepted: application/json\"}" >/dev/null
	ctl clear-requests >/dev/null
	ipam ADD "$T_TMP/m.json" m5 node3 >/dev/null || fail "ADD with the metadata Accept refused"
	ctl clear-faults >/dev/null
	list_log | awk '{print ($1 == "application/json" ? "json" : "meta"), $2, $3}' | paste -sd, >"$T_TMP/m.log"
	expect_eq "$(cat "$T_TMP/m.log")" "meta Status 406,json IPAMKeyList 200,json IPAMKeyList 200" \
		"lists after a 406"

	# an object written before the annotation: that page again, whole
	ipamkey 10.80.0.0_24/n/node4/00000003 '{}' | ctl put-object - >/dev/null || fail "put"
	ctl clear-requests >/dev/null
	CNI_COMMAND=STATUS NODE_NAME=node4 "$IPAM" <"$T_TMP/m.json" || fail "STATUS node4"
	list_log | head -2 | awk '{print ($1 == "application/json" ? "json" : "meta"), $2, $3, $5}' >"$T_TMP/m.log"
	sed 's/^/# /' "$T_TMP/m.log"
	expect_eq "$(awk '{print $1, $2, $3}' "$T_TMP/m.log" | paste -sd,)" \
		"meta PartialObjectMetadataList 200,json IPAMKeyList 200" "lists of an old object"
	expect_eq "$(awk '{print $4}' "$T_TMP/m.log" | sort -u | wc -l)" 1 "the same page asked for again"
	expect_eq "$(keys 10.80.0.0_24 | grep -c '/n/node4/')" 0 "node4's old reference moved"
}

# The ClusterRole in crd/rbac-ipam.yaml has exactly the verbs the store
# used in this suite (run last: the log holds every case's requests).
# through plexusd's warm stores (storeSocket): plexusd's own API requests
# counted by verb and code and timed, plexus-ipam's reports counted
case_via_plexusd() {
	local sock=$T_TMP/run/store.sock port="" pid
	mkdir -p "$T_TMP/run" "$T_TMP/pdnet"
	"$TOP/$BINDIR/plexusd" --no-install --no-kubeconfig \
		--cni-conf-dir "$T_TMP/pdnet" --store-socket "$sock" \
		--listen 127.0.0.1:0 --log-level verbose 2>"$T_TMP/pd.log" &
	pid=$!
	for _ in $(seq 100); do
		port=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$T_TMP/pd.log")
		[ -n "$port" ] && [ -S "$sock" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { kill "$pid"; cat "$T_TMP/pd.log"; fail "plexusd did not start"; }
	sed "s#^{#{\"storeSocket\": \"$sock\", #" "$T_TMP/ipam-node.conf" >"$T_TMP/via-node.conf"
	conf "$T_TMP/v.json" "\"range\":\"10.73.0.0/24\",$KSTORE"
	local a
	a=$(PLEXUS_IPAM_CONF=$T_TMP/via-node.conf ipam ADD "$T_TMP/v.json" v1 | addr_of)
	expect_eq "$a" "10.73.0.2/24" "ADD through plexusd (.1 the gateway)"
	PLEXUS_IPAM_CONF=$T_TMP/via-node.conf ipam DEL "$T_TMP/v.json" v1 >/dev/null || fail "DEL through plexusd"
	m() { curl -sS "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
	for _ in $(seq 50); do [ "$(m 'plexusd_ipam_allocations_total{result="released"}')" = 1 ] && break; sleep 0.1; done
	local created got
	created=$(m 'plexusd_api_requests_total{verb="create",code="201"}')
	got=$(m 'plexusd_store_duration_seconds_count{store="kubernetes",op="create"}')
	kill "$pid"; wait "$pid" 2>/dev/null || true
	[ "${created:-0}" -ge 1 ] || { cat "$T_TMP/pd.log"; fail "API creates counted: '$created'"; }
	expect_eq "$got" "$created" "creates timed (each 201, none failed)"
	grep -q "using the store directly" "$T_TMP/pd.log" && fail "a fallback"
	true
}

case_rbac_verbs() {
	ctl requests --path "$API" | python3 -c '
import json, sys, yaml
used = set()
for r in json.load(sys.stdin):
    named = r["path"].rstrip("/") != sys.argv[2]
    used.add({"GET": "get" if named else "list", "POST": "create",
              "PUT": "update", "DELETE": "delete", "PATCH": "patch"}[r["method"]])
roles = {d["metadata"]["name"]: d for d in yaml.safe_load_all(open(sys.argv[1]))
         if d and d["kind"] == "ClusterRole"}
rules = roles["plexus-ipam"]["rules"]
assert len(rules) == 1 and rules[0]["resources"] == ["ipamkeys"], rules
assert set(rules[0]["verbs"]) == used, (rules[0]["verbs"], used)
print("verbs used:", sorted(used))' "$TOP/crd/rbac-ipam.yaml" "$API"
}

t_case "kubernetes store: ADD, retried ADD, CHECK, DEL, objects and labels" case_basic
t_case "kubernetes store: GC verb keeps valid attachments and other nodes'; deletes this node's old references left by a killed migration" case_gc_verb
t_case "kubernetes store: 4 nodes race for blocks, no duplicate" case_four_nodes
t_case "kubernetes store: injected 409 and 500, persistent 500 is code 11/50" case_faults
t_case "kubernetes store: refused token 111, read-only 403, unreachable 11" case_refused
t_case "plexusctl ipam ls/gc, file store: by pod UID, StatefulSet name reused" case_ctl_file
t_case "plexusctl ipam ls/gc, kubernetes store: by pod UID, name reused" case_ctl_k8s
t_case "plexusctl ipam ls in pages, file store: same bytes in pages of 1; a broken block part-way: code 6, the pool before printed" case_ctl_pages_file
t_case "plexusctl ipam ls in pages, kubernetes store in pages of 3: same bytes" case_ctl_pages_k8s
t_case "plexusctl ipam gc: stale borrow reference dropped with a precondition" case_stale_ref
t_case "plexusctl ipam gc: a block it empties goes back to the pool" case_ctl_block_back
t_case "kubernetes store: steady ADD/CHECK/DEL/STATUS make no list request" case_no_list
t_case "kubernetes store: a pool in the old layout moves to the index once" case_old_layout
t_case "kubernetes store: keys-only lists are metadata only (no value); 406 to it: whole lists; an object without the key annotation: its page again whole" case_meta_lists
t_case "plexusctl ipam show/release: holder, free, reserved; live pods kept unless --force" case_ctl_show_release
t_case "plexusctl ipam reserve/unreserve, file store: never handed out, --force, ls/show, dry-run" case_ctl_reserve_file
t_case "plexusctl ipam reserve/unreserve, kubernetes store: the same" case_ctl_reserve_k8s
t_case "plexusctl ipam claims: holders from the pool, after DEL, reserved, JSON, refused token" case_ctl_claims
t_case "kubernetes store through plexusd: its API requests counted and timed, plexus-ipam's reports counted" case_via_plexusd
t_case "kubernetes store: ClusterRole has exactly the verbs used" case_rbac_verbs
