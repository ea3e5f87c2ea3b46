#!/bin/bash
# plexus-ipam's persistent addresses through IPAMClaims (NPWG v1.3
# section 8), with the kubernetes store and with the etcd store; the
# claims live in the fixture API server (tests/fixtures/apiserver) in both
# cases. The claim reference comes as CNI_ARGS PLEXUS_IPAM_CLAIM, as plexus
# sets it from "ipam-claim-reference" (tests/unit/test_attach.c checks
# that part). Every case uses a pool and a claim of its own.
# Budget: about 40 s on 2 cores.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib-etcd.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
IPAM="$TOP/$BINDIR/plexus-ipam"
ipamctl() { "$TOP/$BINDIR/plexusctl" ipam "$@"; }
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api

stop_all() {
	"$FX/stop.sh" "$D" >/dev/null 2>&1 || true
	etcd_stop
	t_cleanup
}
trap stop_all EXIT
PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$D" >"$T_TMP/start.log" 2>&1 ||
	{ sed 's/^/#   /' "$T_TMP/start.log"; t_abort "fixture API server"; }
etcd_init "$T_TMP/etcd"
etcd_start || t_abort "etcd did not start"

ctl() { python3 "$FX/fixturectl.py" "$D" "$@"; }
# Node settings: the claims' API is the kubernetes store's own, or the
# node setting "kubeconfig" beside an etcd store.
cat >"$T_TMP/ipam-k8s.conf" <<EON
{"store": {"type": "kubernetes", "lockDir": "$T_TMP/locks", "kubeconfig": "$D/kubeconfig"}}
EON
cat >"$T_TMP/ipam-etcd.conf" <<EON
{"store": {"type": "etcd", "endpoints": ["$ETCD_URL"], "lockDir": "$T_TMP/locks", "prefix": "/claims/"},
 "kubeconfig": "$D/kubeconfig"}
EON
cat >"$T_TMP/ipam-noapi.conf" <<EON
{"store": {"type": "file", "path": "$T_TMP/fstore"}}
EON
CLAIMS=/apis/k8s.cni.cncf.io/v1alpha1/namespaces/ns/ipamclaims

# conf FILE RANGE [NAME [TOP-LEVEL-EXTRA]]: a plugin config.
conf() {
	cat >"$1" <<EOC
{"cniVersion":"1.1.0","name":"${3:-net1}","type":"bridge",${4:+$4,}"ipam":{"type":"plexus-ipam","range":"$2"}}
EOC
}
# ipam CMD CONF CID NODE CLAIM [IFNAME]: stdout of the plugin; its rc.
ipam() {
	CNI_COMMAND=$1 CNI_CONTAINERID=$3 CNI_NETNS=/var/run/netns/x \
	CNI_IFNAME=${6:-net1} NODE_NAME=$4 \
	CNI_ARGS="K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-$3;K8S_POD_UID=uid-$3${5:+;PLEXUS_IPAM_CLAIM=$5}" \
		"$IPAM" <"$2"
}
addr_of() { sed -n 's/"address":"\([^"]*\)"/\n\1\n/gp' | sed -n '/^[0-9a-f.:]*\/[0-9]*$/p' | paste -sd' '; }
code_of() { tr -d ' \n' | sed -n 's/.*"code":\([0-9]*\).*/\1/p'; }
msg_of() { python3 -c 'import json,sys; print(json.load(sys.stdin).get("msg",""))'; }
# allocs CONF: the pool's allocation count (plexusctl ipam ls).
allocs() { ipamctl ls --config "$1" | sed -n 's/^pool .*allocations \([0-9]*\)$/\1/p' | awk '{ n += $1 } END { print n + 0 }'; }
# claim NAME NETWORK IFNAME: create an IPAMClaim in namespace ns.
claim() {
	printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"%s","namespace":"ns"},"spec":{"network":"%s","interface":"%s"}}' \
		"$1" "$2" "$3" | ctl api POST "$CLAIMS" - >/dev/null || fail "create claim $1"
}
claim_ips() { ctl api GET "$CLAIMS/$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get("status",{}).get("ips",[])))'; }
unclaim() { ctl api DELETE "$CLAIMS/$1" >/dev/null || fail "delete claim $1"; }

# Per store: S is k8s or etcd; pools differ by the store's second octet.
case_lifecycle() {
	claim "life-$S" net1 net1
	conf "$T_TMP/l.json" "10.$O.1.0/24"
	a=$(ipam ADD "$T_TMP/l.json" c1 node1 "life-$S" | addr_of)
	expect_eq "$a" "10.$O.1.2/24" "first ADD"
	expect_eq "$(claim_ips "life-$S")" "$a" "status.ips written"
	expect_eq "$(ipam ADD "$T_TMP/l.json" c1 node1 "life-$S" | addr_of)" "$a" "retried ADD"
	ipam DEL "$T_TMP/l.json" c1 node1 >/dev/null || fail DEL
	expect_eq "$(allocs "$T_TMP/l.json")" 1 "kept by the claim after DEL"
	ipamctl ls --config "$T_TMP/l.json" | grep -q "claim ns/life-$S" ||
		fail "ls: $(ipamctl ls --config "$T_TMP/l.json")"
	# an ordinary pod does not get it
	expect_eq "$(ipam ADD "$T_TMP/l.json" other node1 | addr_of)" "10.$O.1.3/24" "other pod"
	# the next pod of the claim, on another node, gets the same address
	expect_eq "$(ipam ADD "$T_TMP/l.json" c2 node2 "life-$S" | addr_of)" "$a" "second pod, node2"
	# while c2 holds it, a third pod of the claim is refused, naming c2
	out=$(ipam ADD "$T_TMP/l.json" c3 node1 "life-$S") && fail "third pod got it"
	expect_eq "$(echo "$out" | code_of)" 121 "held: code"
	echo "$out" | msg_of | grep -q "taken by ns/pod-c2 (container c2.*IPAMClaim ns/life-$S" ||
		fail "held: $(echo "$out" | msg_of)"
	expect_eq "$(allocs "$T_TMP/l.json")" 2 "nothing left by the refused ADD"
	ipam DEL "$T_TMP/l.json" c2 node2 >/dev/null || fail "DEL c2"
	expect_eq "$(allocs "$T_TMP/l.json")" 2 "kept after the second DEL"
	# GC of node2 with no valid attachment keeps it while the claim exists
	conf "$T_TMP/lgc.json" "10.$O.1.0/24" net1 '"cni.dev/valid-attachments":[]'
	CNI_COMMAND=GC NODE_NAME=node2 "$IPAM" <"$T_TMP/lgc.json" || fail GC
	expect_eq "$(allocs "$T_TMP/l.json")" 2 "GC node2: the claim's kept, node1's pod not touched"
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/lgc.json" || fail GC
	expect_eq "$(allocs "$T_TMP/l.json")" 1 "GC node1: its pod gone, the claim's kept"
	# the claim goes: GC of the node that last held it frees the address
	unclaim "life-$S"
	CNI_COMMAND=GC NODE_NAME=node2 "$IPAM" <"$T_TMP/lgc.json" || fail GC
	expect_eq "$(allocs "$T_TMP/l.json")" 0 "claim deleted: freed"
	expect_eq "$(ipam ADD "$T_TMP/l.json" c4 node1 "" | addr_of)" "10.$O.1.2/24" "freed address handed out again"
}

case_del_after_unclaim() {
	claim "gone-$S" net1 net1
	conf "$T_TMP/g.json" "10.$O.2.0/24"
	ipam ADD "$T_TMP/g.json" c1 node1 "gone-$S" >/dev/null || fail ADD
	unclaim "gone-$S"
	ipam DEL "$T_TMP/g.json" c1 node1 >/dev/null || fail DEL
	expect_eq "$(allocs "$T_TMP/g.json")" 0 "DEL of a claim that is gone frees"
	# the API down at DEL: DEL succeeds and the address stays for GC
	claim "gone2-$S" net1 net1
	ipam ADD "$T_TMP/g.json" c2 node1 "gone2-$S" >/dev/null || fail ADD
	ctl fault "{\"match\": \"GET $CLAIMS/\", \"code\": 503, \"count\": -1}" >/dev/null
	ipam DEL "$T_TMP/g.json" c2 node1 >/dev/null || fail "DEL with the API down"
	ctl clear-faults >/dev/null
	expect_eq "$(allocs "$T_TMP/g.json")" 1 "kept when the claim cannot be read"
	unclaim "gone2-$S"
	conf "$T_TMP/ggc.json" "10.$O.2.0/24" net1 '"cni.dev/valid-attachments":[]'
	CNI_COMMAND=GC NODE_NAME=node1 "$IPAM" <"$T_TMP/ggc.json" || fail GC
	expect_eq "$(allocs "$T_TMP/g.json")" 0 "GC frees once the claim is gone"
}

# refused CID CLAIM CODE TEXT [IFNAME [CONF]]: the ADD fails with CODE
# and a message containing TEXT, and leaves nothing.
refused() {
	out=$(ipam ADD "${6:-$T_TMP/r.json}" "$1" node1 "$2" "${5:-net1}") && fail "$1: ADD passed"
	expect_eq "$(echo "$out" | code_of)" "$3" "$1: code ($(echo "$out" | msg_of))"
	echo "$out" | msg_of | grep -qF -- "$4" || fail "$1: $(echo "$out" | msg_of)"
	expect_eq "$(allocs "$T_TMP/r.json")" 0 "$1: nothing allocated"
}

case_refusals() {
	conf "$T_TMP/r.json" "10.$O.3.0/24"
	claim "othernet-$S" net2 net1
	refused c1 "othernet-$S" 7 "IPAMClaim ns/othernet-$S: spec.network \"net2\" is not this network \"net1\""
	claim "otherif-$S" net1 net9
	refused c2 "otherif-$S" 7 "spec.interface \"net9\" is not this attachment's interface \"net1\""
	refused c3 "nosuch-$S" 7 "IPAMClaim ns/nosuch-$S not found"
	refused c4 "Bad_Name" 7 "ipam-claim-reference: \"Bad_Name\" is not an object name"
	out=$(CNI_COMMAND=ADD CNI_CONTAINERID=c5 CNI_NETNS=/x CNI_IFNAME=net1 NODE_NAME=node1 \
		CNI_ARGS="K8S_POD_NAMESPACE=ns;IP=10.$O.3.9;PLEXUS_IPAM_CLAIM=otherif-$S" "$IPAM" <"$T_TMP/r.json") &&
		fail "claim with IP= passed"
	echo "$out" | msg_of | grep -q "ipam-claim-reference (CNI_ARGS PLEXUS_IPAM_CLAIM) and requested addresses (ips, IP=) exclude each other" ||
		fail "claim + IP=: $out"
	# a claim whose status.ips names an address outside this network
	printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"far-%s","namespace":"ns"},"spec":{"network":"net1","interface":"net1"},"status":{"ips":["10.99.0.5/24"]}}' "$S" |
		ctl api POST "$CLAIMS" - >/dev/null || fail "create far"
	refused c6 "far-$S" 7 "IPAMClaim ns/far-$S: status.ips[0]: 10.99.0.5 is in no range of this network"
	printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"junk-%s","namespace":"ns"},"spec":{"network":"net1","interface":"net1"},"status":{"ips":["nope"]}}' "$S" |
		ctl api POST "$CLAIMS" - >/dev/null || fail "create junk"
	refused c7 "junk-$S" 7 "status.ips[0]: \"nope\" is not an address"
	# another namespace's claim of the same name is never read
	printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"theirs-%s","namespace":"other"},"spec":{"network":"net1","interface":"net1"}}' "$S" |
		ctl api POST /apis/k8s.cni.cncf.io/v1alpha1/namespaces/other/ipamclaims - >/dev/null || fail "create theirs"
	refused c8 "theirs-$S" 7 "IPAMClaim ns/theirs-$S not found"
	# no Kubernetes API on the node: refused, nothing allocated
	PLEXUS_IPAM_CONF=$T_TMP/ipam-noapi.conf refused c9 "otherif-$S" 7 "IPAMClaims are read through the Kubernetes API"
}

# Two pods on two nodes ADD for one new claim at once: exactly one wins.
case_race() {
	conf "$T_TMP/x.json" "10.$O.4.0/24"
	for i in 1 2 3 4 5; do
		claim "race$i-$S" net1 net1
		ipam ADD "$T_TMP/x.json" "ra$i" node1 "race$i-$S" >"$T_TMP/ra" 2>&1 &
		p1=$!
		ipam ADD "$T_TMP/x.json" "rb$i" node2 "race$i-$S" >"$T_TMP/rb" 2>&1 &
		p2=$!
		wait $p1 && r1=0 || r1=$?
		wait $p2 && r2=0 || r2=$?
		wins=$(( (r1 == 0) + (r2 == 0) ))
		expect_eq "$wins" 1 "race $i: winners ($(cat "$T_TMP/ra") / $(cat "$T_TMP/rb"))"
		if [ $r1 = 0 ]; then w=ra; l=rb; else w=rb; l=ra; fi
		expect_eq "$(code_of <"$T_TMP/$l")" 121 "race $i: the loser's code ($(cat "$T_TMP/$l"))"
		expect_eq "$(claim_ips "race$i-$S")" "$(addr_of <"$T_TMP/$w")" "race $i: status.ips is the winner's"
		expect_eq "$(allocs "$T_TMP/x.json")" "$i" "race $i: one allocation per claim"
	done
	# both read the claim before either writes it (the first status
	# write is held back 2 s before the server applies it): both
	# allocate, the first writer gets 409, its ADD gives its address back
	# and finds the winner's held (121)
	claim "race6-$S" net1 net1
	ctl fault "{\"match\": \"PUT $CLAIMS/race6-$S/status\", \"stall_seconds\": 2, \"count\": 1}" >/dev/null
	ctl clear-requests >/dev/null
	ipam ADD "$T_TMP/x.json" ra6 node1 "race6-$S" >"$T_TMP/ra" 2>&1 &
	p1=$!
	ipam ADD "$T_TMP/x.json" rb6 node2 "race6-$S" >"$T_TMP/rb" 2>&1 &
	p2=$!
	wait $p1 && r1=0 || r1=$?
	wait $p2 && r2=0 || r2=$?
	ctl clear-faults >/dev/null
	expect_eq "$(( (r1 == 0) + (r2 == 0) ))" 1 "race 6: winners ($(cat "$T_TMP/ra") / $(cat "$T_TMP/rb"))"
	expect_eq "$(ctl requests --method PUT --path "$CLAIMS/race6-$S/status" | python3 -c '
import json, sys
print(" ".join(sorted(str(r["code"]) for r in json.load(sys.stdin))))')" "200 409" "race 6: status writes ($(cat "$T_TMP/ra") / $(cat "$T_TMP/rb")))"
	if [ $r1 = 0 ]; then l=rb; else l=ra; fi
	expect_eq "$(code_of <"$T_TMP/$l")" 121 "race 6: the loser's code ($(cat "$T_TMP/$l"))"
	expect_eq "$(allocs "$T_TMP/x.json")" 6 "race 6: the loser's address given back"
}

# The claim's status cannot be written (API failing), the store fails
# mid-claim: the ADD fails, no address is left, the claim is unwritten.
case_faults() {
	conf "$T_TMP/f.json" "10.$O.5.0/24"
	claim "flt-$S" net1 net1
	ctl fault "{\"match\": \"PUT $CLAIMS/flt-$S/status\", \"code\": 500, \"count\": -1}" >/dev/null
	out=$(ipam ADD "$T_TMP/f.json" f1 node1 "flt-$S") && fail "ADD passed with status writes failing"
	ctl clear-faults >/dev/null
	expect_eq "$(echo "$out" | code_of)" 11 "status write failing: code ($out)"
	expect_eq "$(allocs "$T_TMP/f.json")" 0 "status write failing: nothing left"
	expect_eq "$(claim_ips "flt-$S")" "" "status write failing: claim unwritten"
	store_down
	out=$(ipam ADD "$T_TMP/f.json" f2 node1 "flt-$S") && fail "ADD passed with the store down"
	store_up
	expect_eq "$(echo "$out" | code_of)" 11 "store down: code ($out)"
	expect_eq "$(allocs "$T_TMP/f.json")" 0 "store down: nothing left"
	expect_eq "$(claim_ips "flt-$S")" "" "store down: claim unwritten"
	a=$(ipam ADD "$T_TMP/f.json" f3 node1 "flt-$S" | addr_of)
	expect_eq "$(claim_ips "flt-$S")" "$a" "after the faults: written"
}

# plexusctl ipam gc: a claim's record whose pod is gone goes to its claim
# (no container), stays while the claim lists it, goes with the claim.
case_ctl_gc() {
	conf "$T_TMP/c.json" "10.$O.6.0/24"
	claim "ctl-$S" net1 net1
	claim "live-$S" net1 net1
	a=$(ipam ADD "$T_TMP/c.json" g1 node1 "ctl-$S" | addr_of)
	ipam ADD "$T_TMP/c.json" g2 node1 "live-$S" >/dev/null || fail "ADD g2"
	printf '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-g2","namespace":"ns","uid":"uid-g2"}}' |
		ctl put-object - >/dev/null || fail "pod g2"
	gc() { ipamctl gc --config "$T_TMP/c.json" --kubeconfig "$D/kubeconfig" "$@"; }
	out=$(gc --dry-run) || fail "gc --dry-run: $out"
	echo "$out" | grep -q "^would release ${a%/*} .* to its claim  claim ns/ctl-$S  pod ns/pod-g1" || fail "dry-run: $out"
	gc --dry-run -o json | python3 -c '
import json, sys
j = json.load(sys.stdin)
a, = j["addresses"]
assert j["dryRun"] and (j["released"], j["kept"], j["keptForClaims"]) == (0, 1, 1), j
assert a["address"] == sys.argv[1] and a["state"] == "released to its claim" and a["holder"]["claim"] == sys.argv[2], j' "${a%/*}" "ns/ctl-$S" ||
		fail "gc --dry-run -o json: $(gc --dry-run -o json)"
	ipamctl ls --config "$T_TMP/c.json" | grep "${a%/*} " | grep -q "container g1 " || fail "dry-run changed it"
	out=$(gc) || fail "gc: $out"
	echo "$out" | grep -q "^released ${a%/*} .* to its claim  claim ns/ctl-$S" || fail "gc: $out"
	echo "$out" | grep -q "^released 0, kept 1 (pod exists), kept 0 (no pod UID recorded), kept 1 for their IPAMClaims$" || fail "gc summary: $out"
	ipamctl ls --config "$T_TMP/c.json" | grep "${a%/*} " | grep -q "container -  interface -  node node1  claim ns/ctl-$S" ||
		fail "ls: $(ipamctl ls --config "$T_TMP/c.json")"
	ipamctl show --config "$T_TMP/c.json" -o json "${a%/*}" | python3 -c '
import json, sys
h = json.load(sys.stdin)["holder"]
assert h["claim"] == sys.argv[1] and h["container"] == "", h' "ns/ctl-$S" || fail "show -o json"
	expect_eq "$(ipam ADD "$T_TMP/c.json" g3 node2 "ctl-$S" | addr_of)" "$a" "the claim's next pod after gc"
	ipam DEL "$T_TMP/c.json" g3 node2 >/dev/null || fail "DEL g3"
	unclaim "ctl-$S"
	out=$(gc) || fail "gc: $out"
	echo "$out" | grep -q "^released ${a%/*} .* claim gone  claim ns/ctl-$S" || fail "gc after unclaim: $out"
	expect_eq "$(allocs "$T_TMP/c.json")" 1 "only the live pod's left"
	# the API failing: gc fails, nothing changes
	ipam DEL "$T_TMP/c.json" g2 node1 >/dev/null || fail "DEL g2"
	ctl api DELETE /api/v1/namespaces/ns/pods/pod-g2 >/dev/null || fail "delete pod"
	ctl fault "{\"match\": \"GET $CLAIMS/\", \"code\": 503, \"count\": -1}" >/dev/null
	out=$(gc 2>&1) && fail "gc passed with claims unreadable: $out"
	ctl clear-faults >/dev/null
	expect_eq "$(allocs "$T_TMP/c.json")" 1 "kept while the claim cannot be read"
	unclaim "live-$S"
}

# plexusctl ipam reserve with this store: the reservation is part of the
# block's value, so the allocator skips it, and a claim's address
# reserved with --force is refused to the claim's next pod (code 7) until
# unreserved.
case_reserve() {
	conf "$T_TMP/r.json" "10.$O.7.0/24"
	ipamctl reserve --config "$T_TMP/r.json" "10.$O.7.2-10.$O.7.3" >/dev/null || fail "reserve"
	claim "resv-$S" net1 net1
	# the block plexusctl made for the reservations has no owner: node1
	# claims the next block (it takes the ownerless one only by borrowing)
	a=$(ipam ADD "$T_TMP/r.json" r1 node1 "resv-$S" | addr_of)
	expect_eq "$a" "10.$O.7.64/24" "the claim's first ADD"
	ipam DEL "$T_TMP/r.json" r1 node1 >/dev/null || fail DEL
	ipamctl reserve --config "$T_TMP/r.json" "${a%/*}" >/dev/null 2>&1 && fail "reserved the claim's address without --force"
	ipamctl reserve --config "$T_TMP/r.json" --force "${a%/*}" >/dev/null || fail "reserve --force"
	out=$(ipam ADD "$T_TMP/r.json" r2 node2 "resv-$S") && fail "the claim's next pod got a reserved address"
	expect_eq "$(echo "$out" | code_of)" 7 "code"
	echo "$out" | msg_of | grep -q "${a%/*} in pool .* is reserved by an operator" || fail "message: $out"
	expect_eq "$(ipam ADD "$T_TMP/r.json" r3 node1 | addr_of)" "10.$O.7.65/24" "ADD without a claim"
	ipam DEL "$T_TMP/r.json" r3 node1 >/dev/null || fail "DEL r3"
	ipamctl ls --config "$T_TMP/r.json" | grep -q "allocations 1  reserved 3$" ||
		fail "ls: $(ipamctl ls --config "$T_TMP/r.json")"
	ipamctl unreserve --config "$T_TMP/r.json" "10.$O.7.0/24" | grep -q "^unreserved 3, " || fail "unreserve"
	expect_eq "$(ipam ADD "$T_TMP/r.json" r2 node2 "resv-$S" | addr_of)" "$a" "the claim's next pod after unreserve"
	ipam DEL "$T_TMP/r.json" r2 node2 >/dev/null || fail "DEL r2"
	unclaim "resv-$S"
}

for S in k8s etcd; do
	export PLEXUS_IPAM_CONF=$T_TMP/ipam-$S.conf
	if [ $S = k8s ]; then
		O=70
		store_down() { ctl fault '{"match": "* /apis/ipam.plexus.dev/", "code": 503, "count": -1}' >/dev/null; }
		store_up() { ctl clear-faults >/dev/null; }
	else
		O=71
		store_down() { etcd_stop; }
		store_up() { etcd_start || fail "etcd restart"; }
	fi
	t_case "$S store: claim kept across DEL, same address on another node, GC frees a deleted claim" case_lifecycle
	t_case "$S store: DEL frees a deleted claim's address; API down at DEL keeps it" case_del_after_unclaim
	t_case "$S store: other network, other interface, missing, bad name, with IP=, bad status: refused, nothing left" case_refusals
	t_case "$S store: two pods on two nodes race for a new claim (6 times, once both writing status): exactly one wins" case_race
	t_case "$S store: status write failing, store down mid-claim: nothing left, claim unwritten" case_faults
	t_case "$S store: plexusctl ipam gc gives a gone pod's address to its claim, frees a gone claim's" case_ctl_gc
	t_case "$S store: plexusctl ipam reserve: skipped by ADD, a claim's address refused to its next pod (7)" case_reserve
done

# The ClusterRole plexus-ipam-claims (crd/rbac-ipam.yaml) grants what the
# plugin used on claims: GET of a claim, PUT of its status subresource;
# it never wrote a claim itself (POST and DELETE are this suite's own).
case_rbac_claims() {
	ctl requests --path /apis/k8s.cni.cncf.io/ | python3 -c '
import json, sys, yaml
used = set()
for r in json.load(sys.stdin):
    p, m = r["path"], r["method"]
    if m in ("POST", "DELETE"):
        continue
    assert m != "PATCH", r
    if m == "PUT":
        assert p.endswith("/status"), r
        used.add(("ipamclaims/status", "update"))
    else:
        assert m == "GET" and not p.endswith("/status"), r
        used.add(("ipamclaims", "get"))
roles = {d["metadata"]["name"]: d for d in yaml.safe_load_all(open(sys.argv[1]))
         if d and d["kind"] == "ClusterRole"}
granted = set((res, v) for rule in roles["plexus-ipam-claims"]["rules"]
              for res in rule["resources"] for v in rule["verbs"])
assert granted == used, (sorted(granted), sorted(used))
print("verbs used:", sorted(used))' "$TOP/crd/rbac-ipam.yaml"
}
t_case "ClusterRole plexus-ipam-claims: exactly the verbs used on claims" case_rbac_claims

# Through plexusd (docs/plexusd.md "IPAMClaims"): the etcd store, so the
# claim is the plugin's only API traffic, with the node setting
# plexusdSocket naming plexusd's --socket. Pools 10.72.x.
SOCK=$T_TMP/run/plexusd.sock PD_PID=""
cat >"$T_TMP/ipam-pd.conf" <<EON
{"store": {"type": "etcd", "endpoints": ["$ETCD_URL"], "lockDir": "$T_TMP/locks", "prefix": "/claims-pd/"},
 "kubeconfig": "$D/kubeconfig", "plexusdSocket": "$SOCK"}
EON
. "$TOP/tests/lib-pdsock.sh"
# start_pd: plexusd with its caches against the fixture (no install, no
# HTTP); stopped when the case's subshell ends
start_pd() {
	trap stop_pd EXIT # each case runs in a subshell
	mkdir -p "$T_TMP/pdnet"
	"$TOP/$BINDIR/plexusd" --no-install --cni-conf-dir "$T_TMP/pdnet" \
		--no-kubeconfig --api-kubeconfig "$D/kubeconfig" --socket "$SOCK" \
		--node-name node1 --listen "${PD_LISTEN:-none}" --log-level verbose \
		2>>"$T_TMP/pd.log" &
	PD_PID=$!
	wait_for "plexusd's socket" test -S "$SOCK"
}
# served NAME: "<uid> <status.ips>" of the claim as plexusd serves it
served() {
	ask "CLAIM ns $1" | sed -n 's/^OK //p' | python3 -c 'import json,sys
t = sys.stdin.read()
o = json.loads(t) if t else None
o and print(o["metadata"]["uid"], " ".join(o.get("status", {}).get("ips", [])))'
}
uid_of() { ctl api GET "$CLAIMS/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["metadata"]["uid"])'; }
claim_gets() { ctl count GET "$CLAIMS/$1"; }
claim_puts() { ctl count PUT "$CLAIMS/$1/status"; }
# per_add NAME: "<GETs> <PUTs>" of the claim since the log was cleared
per_add() { echo "$(claim_gets "$1") $(claim_puts "$1")"; }

case_pd_served() {
	start_pd
	claim pd-a net1 net1
	wait_for "the claim served" eval '[ -n "$(served pd-a)" ]'
	# plexusd's requests on claims: exactly the verbs its ClusterRole
	# (crd/rbac-plexusd.yaml) grants on ipamclaims, list and watch
	ctl requests --path /apis/k8s.cni.cncf.io/v1alpha1/ipamclaims | python3 -c '
import json, sys, yaml
used = set()
for r in json.load(sys.stdin):
    assert r["method"] == "GET", r
    used.add("watch" if r["params"].get("watch") == "1" else "list")
role = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "ClusterRole"][0]
granted = set(v for rule in role["rules"] if "ipamclaims" in rule["resources"] for v in rule["verbs"])
assert used == granted, (sorted(used), sorted(granted))' "$TOP/crd/rbac-plexusd.yaml" ||
		fail "plexusd's verbs on ipamclaims"
	conf "$T_TMP/pa.json" 10.72.1.0/24
	ctl clear-requests >/dev/null
	a=$(ipam ADD "$T_TMP/pa.json" c1 node1 pd-a 2>>"$T_TMP/pa.err" | addr_of)
	expect_eq "$a" 10.72.1.2/24 "first ADD"
	expect_eq "$(per_add pd-a)" "0 1" "first ADD through plexusd: claim GETs, PUTs"
	expect_eq "$(claim_ips pd-a)" "$a" "status.ips written"
	ipam DEL "$T_TMP/pa.json" c1 node1 >/dev/null || fail DEL
	wait_for "the written status.ips in the cache" eval '[ "$(served pd-a | cut -d" " -f2)" = "$a" ]'
	ctl clear-requests >/dev/null
	expect_eq "$(ipam ADD "$T_TMP/pa.json" c2 node2 pd-a 2>>"$T_TMP/pa.err" | addr_of)" "$a" "next pod of the claim"
	expect_eq "$(per_add pd-a)" "0 0" "later ADD through plexusd: claim GETs, PUTs"
	expect_eq "$(ctl count GET /apis/k8s.cni.cncf.io/v1alpha1/namespaces/)" 0 "no claim GET at all"
	ipam DEL "$T_TMP/pa.json" c2 node2 >/dev/null || fail "DEL c2"
	grep -q "asking the API" "$T_TMP/pa.err" && fail "a fallback was logged: $(cat "$T_TMP/pa.err")"
	# a claim nobody made: UNKNOWN from plexusd, the API's 404 decides
	expect_eq "$(ask 'CLAIM ns pd-none')" UNKNOWN "a claim not cached"
	out=$(ipam ADD "$T_TMP/pa.json" c3 node1 pd-none) && fail "ADD with a missing claim passed"
	expect_eq "$(echo "$out" | code_of)" 7 "missing claim: code"
	echo "$out" | msg_of | grep -q "IPAMClaim ns/pd-none not found" || fail "missing: $(echo "$out" | msg_of)"
	# refused requests: bad names, extra fields, the daemon goes on
	expect_eq "$(ask 'CLAIM ns Bad_Name')" "ERR malformed request" "a name that is not DNS-1123"
	expect_eq "$(ask 'CLAIM ns pd-a extra')" "ERR malformed request" "a third field"
	expect_eq "$(ask "CLAIM ns $(head -c 600 /dev/zero | tr '\0' a)")" "ERR request too long" "oversized"
	[ -n "$(served pd-a)" ] || fail "plexusd stopped serving"
	unclaim pd-a
}

case_pd_fallback() {
	claim pd-b net1 net1
	conf "$T_TMP/pb.json" 10.72.2.0/24
	# no plexusd at all (the socket is gone): the GET as before, logged
	rm -f "$SOCK"
	ctl clear-requests >/dev/null
	out=$(ipam ADD "$T_TMP/pb.json" c1 node1 pd-b 2>"$T_TMP/err.txt") || fail "ADD without plexusd: $out"
	expect_eq "$(echo "$out" | addr_of)" 10.72.2.2/24 "ADD without plexusd"
	expect_eq "$(per_add pd-b)" "1 1" "without plexusd: claim GETs, PUTs"
	grep -q "plexusd $SOCK: IPAMClaim ns/pd-b: .*; asking the API" "$T_TMP/err.txt" ||
		fail "fallback not logged: $(cat "$T_TMP/err.txt")"
	ipam DEL "$T_TMP/pb.json" c1 node1 >/dev/null || fail DEL
	ctl clear-requests >/dev/null
	expect_eq "$(ipam ADD "$T_TMP/pb.json" c2 node1 pd-b 2>/dev/null | addr_of)" 10.72.2.2/24 "later ADD without plexusd"
	expect_eq "$(per_add pd-b)" "1 0" "later ADD without plexusd: claim GETs, PUTs"
	ipam DEL "$T_TMP/pb.json" c2 node1 >/dev/null || fail DEL
	# plexusd stopped: the same
	start_pd
	wait_for "the claim served" eval '[ -n "$(served pd-b)" ]'
	stop_pd
	ctl clear-requests >/dev/null
	expect_eq "$(ipam ADD "$T_TMP/pb.json" c3 node1 pd-b 2>/dev/null | addr_of)" 10.72.2.2/24 "ADD with plexusd stopped"
	expect_eq "$(per_add pd-b)" "1 0" "plexusd stopped: claim GETs, PUTs"
	ipam DEL "$T_TMP/pb.json" c3 node1 >/dev/null || fail DEL
	unclaim pd-b
}

case_pd_fresh_claim() {
	start_pd
	claim pd-warm net1 net1 # the cache started and listed
	wait_for "the claims listed" eval '[ -n "$(served pd-warm)" ]'
	conf "$T_TMP/pc.json" 10.72.3.0/24
	# created a moment before each ADD: served, or UNKNOWN and read
	# from the API; never "not found"
	for i in 1 2 3 4 5; do
		claim "pd-new$i" net1 net1
		out=$(ipam ADD "$T_TMP/pc.json" "n$i" node1 "pd-new$i" 2>/dev/null) || fail "ADD right after the claim $i: $out"
		expect_eq "$(claim_ips "pd-new$i")" "$(echo "$out" | addr_of)" "claim $i written"
		ipam DEL "$T_TMP/pc.json" "n$i" node1 >/dev/null || fail "DEL $i"
		unclaim "pd-new$i"
	done
	unclaim pd-warm
}

case_pd_recreated() {
	start_pd
	claim pd-r net1 net1
	conf "$T_TMP/pr.json" 10.72.4.0/24
	wait_for "the claim served" eval '[ -n "$(served pd-r)" ]'
	a=$(ipam ADD "$T_TMP/pr.json" c1 node1 pd-r | addr_of)
	ipam DEL "$T_TMP/pr.json" c1 node1 >/dev/null || fail DEL
	old=$(uid_of pd-r)
	wait_for "the old claim's status.ips served" eval '[ "$(served pd-r)" = "$old $a" ]'
	# deleted and made again: a new uid, no status.ips
	unclaim pd-r
	claim pd-r net1 net1
	new=$(uid_of pd-r)
	[ "$new" != "$old" ] || fail "the fixture kept the uid"
	wait_for "the new claim served" eval '[ "$(served pd-r)" = "$new " ]'
	ctl clear-requests >/dev/null
	b=$(ipam ADD "$T_TMP/pr.json" c2 node1 pd-r | addr_of)
	[ -n "$b" ] || fail "ADD of the recreated claim"
	[ "$b" != "$a" ] || fail "the recreated claim got the old claim's address $a"
	expect_eq "$(per_add pd-r)" "0 1" "recreated claim: GETs, PUTs (no 409 on a stale copy)"
	expect_eq "$(claim_ips pd-r)" "$b" "the new claim written"
	for _ in 1 2 3; do
		served pd-r | grep -q "^$old" && fail "the old uid served"
	done
	ipam DEL "$T_TMP/pr.json" c2 node1 >/dev/null || fail DEL
	unclaim pd-r
}

# no IPAMClaim CRD (the list answered 404): NOTREADY, logged once, the
# list retried with the backoff (not in a loop), the ADD reads the API
case_pd_no_crd() {
	ctl fault '{"match": "GET /apis/k8s.cni.cncf.io/v1alpha1/ipamclaims", "code": 404, "count": -1}' >/dev/null
	: >"$T_TMP/pd.log"
	PD_LISTEN=127.0.0.1:0 start_pd
	port=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$T_TMP/pd.log")
	metric() { curl -sS "http://127.0.0.1:$port/$1" | awk -v m="$2" '$1 == m {print $2}'; }
	expect_eq "$(metric metrics plexusd_claims_cache_started)" 0 "started before a CLAIM"
	ctl clear-requests >/dev/null
	expect_eq "$(ask 'CLAIM ns pd-c')" NOTREADY "first CLAIM"
	sleep 3
	expect_eq "$(ask 'CLAIM ns pd-c')" NOTREADY "CLAIM without the CRD"
	n=$(ctl count GET /apis/k8s.cni.cncf.io/v1alpha1/ipamclaims)
	[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "lists in 3 s without the CRD: $n (backoff 0.2 s doubling)"
	expect_eq "$(grep -c "IPAMClaim CRD is not installed" "$T_TMP/pd.log")" 1 "logged once"
	expect_eq "$(metric metrics plexusd_claims_cache_started) $(metric metrics plexusd_claims_cache_synced)" "1 0" "metrics: started, not synced"
	[ "$(metric metrics plexusd_claims_watch_errors_total)" -ge 2 ] || fail "metrics: errors counted"
	# /readyz waits for no claims (here it waits for a default network)
	curl -sS "http://127.0.0.1:$port/readyz" | grep -q -e caches -e claims &&
		fail "readyz: $(curl -sS "http://127.0.0.1:$port/readyz")"
	kill -0 "$PD_PID" || fail "plexusd died"
	claim pd-c net1 net1
	conf "$T_TMP/pn.json" 10.72.5.0/24
	expect_eq "$(ipam ADD "$T_TMP/pn.json" c1 node1 pd-c 2>/dev/null | addr_of)" 10.72.5.2/24 "ADD read from the API"
	ipam DEL "$T_TMP/pn.json" c1 node1 >/dev/null || fail DEL
	ctl clear-faults >/dev/null
	unclaim pd-c
}

# API requests per ADD with a claim (docs/plexusd.md "IPAMClaims"): 10
# ADD+DEL of one claim's pod, with plexusd and without; every API
# request counted (the etcd store: the claim is the plugin's only API
# traffic), plexusd's own list and watch apart; written to the log
measure() { # LABEL CLAIM: "<API requests of the plugin per ADD> <ms per ADD+DEL>"
	local t0 t1 n
	conf "$T_TMP/pm.json" 10.72.6.0/24
	ipam ADD "$T_TMP/pm.json" m0 node1 "$2" >/dev/null 2>&1 || fail "$1: first ADD"
	ipam DEL "$T_TMP/pm.json" m0 node1 >/dev/null 2>&1 || fail "$1: first DEL"
	M=$2
	[ -z "$PD_PID" ] || wait_for "status.ips cached" eval '[ -n "$(served "$M" | cut -d" " -f2)" ]'
	ctl clear-requests >/dev/null
	t0=$(date +%s%N)
	for i in $(seq 10); do
		ipam ADD "$T_TMP/pm.json" "m$i" node1 "$2" >/dev/null 2>&1 || fail "$1: ADD $i"
		ipam DEL "$T_TMP/pm.json" "m$i" node1 >/dev/null 2>&1 || fail "$1: DEL $i"
	done
	t1=$(date +%s%N)
	n=$(ctl requests | python3 -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin) if r["params"].get("watch") != "1" and "/namespaces/" in r["path"] and r["method"] != "DELETE"))')
	echo "$1: API requests of the plugin in 10 ADD+DEL: $n; $(( (t1 - t0) / 10000000 )) ms per ADD+DEL" >>"$T_TMP/figures"
	echo "$n"
}
case_pd_measure() {
	claim pd-m net1 net1
	rm -f "$SOCK"
	without=$(measure "without plexusd" pd-m)
	start_pd
	ask "CLAIM ns pd-m" >/dev/null
	wait_for "the claim served" eval '[ -n "$(served pd-m)" ]'
	with=$(measure "with plexusd" pd-m)
	sed 's/^/# /' "$T_TMP/figures" >&3
	# DEL reads the claim from the API (a stale "no" would free it)
	expect_eq "$without $with" "20 10" "API requests in 10 ADD+DEL without, with plexusd"
	unclaim pd-m
}

export PLEXUS_IPAM_CONF=$T_TMP/ipam-pd.conf
exec 3>&1 # the figures, into the log
t_case "plexusd: an ADD's claim served from its cache, no claim GET; a missing one is the API's 404; bad requests refused" case_pd_served
t_case "plexusd away or stopped: the ADD reads the claim from the API, logged" case_pd_fallback
t_case "plexusd: a claim created a moment before the ADD works (served or read from the API)" case_pd_fresh_claim
t_case "plexusd: a deleted and recreated claim (new uid) is served new, never the old one" case_pd_recreated
t_case "plexusd without the IPAMClaim CRD: NOTREADY, logged once, backs off, ADDs read the API" case_pd_no_crd
t_case "plexusd: API requests per ADD with a claim, with and without plexusd (figures in the log)" case_pd_measure
