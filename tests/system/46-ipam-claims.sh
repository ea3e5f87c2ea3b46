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
