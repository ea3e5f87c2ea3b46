#!/bin/bash
# Network selection end to end: the pod's annotations and its
# NetworkAttachmentDefinitions come from the fixture API server; plexus
# attaches them in a real netns with Debian's reference plugins, writes
# network-status back (and clears it at DEL), and every bad input fails
# the ADD with nothing attached. The server, plexus and the host side
# live in one netns (the server on its 127.0.0.1). About 15 s.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
H=plsh$$ P=plsp$$
T_NETNS="$H $P" # cases run in subshells: clean both at exit
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api IPAM=$T_TMP/ipam CACHE=$T_TMP/cache NETD=$T_TMP/net.d
POD_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1;K8S_POD_INFRA_CONTAINER_ID=c1"

stop_all() {
	ip netns exec "$H" "$FX/stop.sh" "$D" >/dev/null 2>&1 || true
	t_cleanup
}
trap stop_all EXIT

t_netns "$H"
PLEXUS_APISERVER_PARENT=$$ ip netns exec "$H" "$FX/start.sh" "$D" \
	>"$T_TMP/start.log" 2>&1
START_RC=$?

ctl() { ip netns exec "$H" python3 "$FX/fixturectl.py" "$D" "$@"; }
count() { ctl count "$1" "$2"; }

# nad NS NAME CONFIG-JSON [ANNOTATIONS-JSON]: store a NAD on the server.
nad() {
	python3 -c 'import json,sys
a = json.loads(sys.argv[4]) if len(sys.argv) > 4 else None
md = {"name": sys.argv[2], "namespace": sys.argv[1]}
if a: md["annotations"] = a
print(json.dumps({"apiVersion": "k8s.cni.cncf.io/v1",
  "kind": "NetworkAttachmentDefinition", "metadata": md,
  "spec": {"config": sys.argv[3]}}))' "$@" >"$T_TMP/obj.json"
	ctl put-object "$T_TMP/obj.json" >/dev/null
}
# pod NETWORKS [EXTRA-ANNOTATIONS-JSON] [DELAY]: default/p1, uid $UID1
# (u1 unless set).
pod() {
	python3 -c 'import json,sys
a = {"k8s.v1.cni.cncf.io/networks": sys.argv[1]} if sys.argv[1] else {}
if len(sys.argv) > 2 and sys.argv[2]: a.update(json.loads(sys.argv[2]))
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {
  "name": "p1", "namespace": "default", "uid": sys.argv[4],
  "annotations": a}}))' \
		"$1" "${2:-}" "${3:-}" "${UID1:-u1}" >"$T_TMP/pod.json"
	if [ -n "${3:-}" ]; then
		ctl put-object "$T_TMP/pod.json" --delay "$3" >/dev/null
	else
		ctl put-object "$T_TMP/pod.json" >/dev/null
	fi
}

bridge_c() { # NAME BRIDGE SUBNET [EXTRA-KEYS]
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"bridge\",\"bridge\":\"$2\",\"isGateway\":true${4:+,$4},\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$3\"}]]}}"
}
macvlan_c() { # NAME MASTER SUBNET
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"macvlan\",\"master\":\"$2\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$3\"}]]}}"
}

# the server back to its seeds, our NADs, a fresh pod netns
fresh() {
	ctl reset >/dev/null
	t_netns "$P"
	ip -n "$H" link del plsup 2>/dev/null || true
	ip -n "$H" link add plsup type veth peer name plsupp
	ip -n "$H" link set plsup up
	ip -n "$H" link set plsupp up
	rm -rf "$IPAM" "$CACHE" "$NETD"
	mkdir -p "$IPAM" "$NETD"
	nad kube-system cluster "$(bridge_c cluster plsbr0 10.67.0.0/24)"
	nad default mv "$(macvlan_c mv plsup 10.67.1.0/24)"
	nad ns2 br2 "$(bridge_c br2 plsbr2 10.67.2.0/24 \
		'"capabilities":{"ips":true,"mac":true}')"
	ctl clear-requests >/dev/null
	KC=$D/kubeconfig EXTRA=
}
conf() { # the meta config, into $T_TMP/plexus.conf
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus-k8s\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"confDir\":\"$NETD\",\"kubeconfig\":\"$KC\",\"clusterNetwork\":\"cluster\"${EXTRA:+,$EXTRA}}" >"$T_TMP/plexus.conf"
}
run() { # CMD
	conf
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID=c1 CNI_NETNS="/var/run/netns/$P" \
		CNI_IFNAME=eth0 CNI_PATH="$TOP/$BINDIR:$REFDIR" \
		CNI_ARGS="$POD_ARGS" "$TOP/$BINDIR/plexus" \
		<"$T_TMP/plexus.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
out() { jget "$T_TMP/out.json" "$1"; }
expect_ok() {
	[ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }
}
pod_links() { ip -n "$P" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v '^lo$' | sort | tr '\n' ' '; }
held() { find "$IPAM" -type f ! -name lock ! -name 'last_reserved*' 2>/dev/null | wc -l; }
# expect_reject CODE MSG...: ADD failed so, nothing attached or written
expect_reject() {
	local code=$1; shift
	[ "$(rc)" = 1 ] || { cat "$T_TMP/out.json"; fail "rc $(rc), want 1"; }
	expect_eq "$(out "j['code']")" "$code" "error code ($(out "j['msg']"))"
	for m in "$@"; do
		out "j['msg']" | grep -qF -- "$m" || fail "msg '$(out "j['msg']")' lacks '$m'"
	done
	expect_eq "$(pod_links)" "" "links in the pod"
	expect_eq "$(held)" 0 "addresses held"
	expect_eq "$(count PATCH /api/)" 0 "PATCHes"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "cache written"
}
status() { # python expression on s, the pod's network-status list
	ctl api GET /api/v1/namespaces/default/pods/p1 >"$T_TMP/podnow.json"
	python3 -c 'import json,sys
p = json.load(open(sys.argv[1]))
s = json.loads(p["metadata"]["annotations"]["k8s.v1.cni.cncf.io/network-status"])
print(eval(sys.argv[2]))' "$T_TMP/podnow.json" "$1"
}
# codes METHOD PATH-PREFIX: the answers the server gave to those requests
codes() {
	ctl requests --method "$1" --path "$2" |
		python3 -c 'import json,sys
print(" ".join(str(r["code"]) for r in json.load(sys.stdin)))'
}
# the pod's state after DEL: nothing attached, nothing held, no record
expect_released() {
	expect_eq "$(pod_links)" "" "links after DEL"
	expect_eq "$(held)" 0 "addresses after DEL"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "cache left after DEL"
}

case_server() {
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
}

case_add_check_del() {
	fresh
	pod '[{"name":"mv"},{"name":"br2","namespace":"ns2","interface":"data0","ips":["10.67.2.9/24"],"mac":"02:42:00:00:00:09"}]'
	run ADD
	expect_ok ADD
	expect_eq "$(pod_links)" "data0 eth0 net1 " "pod links"
	ip -n "$P" -br addr show eth0 | grep -q ' 10\.67\.0\.' || fail "eth0 address"
	ip -n "$P" -br addr show net1 | grep -q ' 10\.67\.1\.' || fail "net1 address"
	ip -n "$P" -br addr show data0 | grep -q ' 10\.67\.2\.9/24' || fail "data0 static address"
	expect_eq "$(ip -n "$P" -br link show data0 | awk '{print $3}')" \
		02:42:00:00:00:09 "data0 mac"
	# one pod GET, one GET per distinct NAD, one PATCH
	expect_eq "$(count GET /api/v1/namespaces/default/pods/p1)" 1 "pod GETs"
	expect_eq "$(count GET /apis/k8s.cni.cncf.io/)" 3 "NAD GETs"
	expect_eq "$(count PATCH /api/v1/namespaces/default/pods/p1)" 1 "PATCHes"
	expect_eq "$(count '*' /)" 5 "API requests per ADD"
	expect_eq "$(status '" ".join(e["name"] + "@" + e["interface"] for e in s)')" \
		"kube-system/cluster@eth0 default/mv@net1 ns2/br2@data0" "status names"
	expect_eq "$(status '[e["default"] for e in s]')" "[True, False, False]" "default"
	expect_eq "$(status 's[2]["ips"]')" "['10.67.2.9']" "status ips"
	expect_eq "$(status 's[2]["mac"]')" 02:42:00:00:00:09 "status mac"
	expect_eq "$(status 's[1]["mac"]')" \
		"$(ip -n "$P" -br link show net1 | awk '{print $3}')" "net1 mac"
	ctl clear-requests >/dev/null
	run CHECK
	expect_ok CHECK
	run DEL
	expect_ok DEL
	expect_released
	# DEL: one PATCH (guarded by the pod's UID), no read; status is []
	expect_eq "$(count '*' /)" 1 "API requests per CHECK + DEL"
	expect_eq "$(codes PATCH /api/v1/namespaces/default/pods/p1)" 200 "PATCH"
	expect_eq "$(ctl requests --method PATCH | python3 -c 'import json,sys
print(json.load(sys.stdin)[0]["body"])')" \
		"{'metadata': {'uid': 'u1', 'annotations': {'k8s.v1.cni.cncf.io/network-status': '[]'}}}" \
		"DEL's patch"
	expect_eq "$(status 's')" "[]" "network-status after DEL"
}

case_comma_form_and_default_override() {
	fresh
	nad default alt "$(bridge_c alt plsbr3 10.67.3.0/24)"
	pod 'mv, ns2/br2@side' '{"v1.multus-cni.io/default-network":"default/alt"}'
	run ADD
	expect_ok ADD
	expect_eq "$(pod_links)" "eth0 net1 side " "pod links"
	ip -n "$P" -br addr show eth0 | grep -q ' 10\.67\.3\.' || fail "eth0 from the override"
	expect_eq "$(status 's[0]["name"]')" default/alt "default network"
	run DEL
	expect_ok DEL
}

case_pod_not_yet_visible() {
	fresh
	pod mv "" 0.6
	run ADD
	expect_ok ADD
	expect_eq "$(pod_links)" "eth0 net1 " "pod links"
	run DEL
	expect_ok DEL
}

case_status_write_fails() {
	fresh
	pod mv
	ctl fault '{"match": "PATCH /api/", "code": 500, "count": -1}' >/dev/null
	run ADD
	expect_ok "ADD despite the failed PATCH"
	expect_eq "$(pod_links)" "eth0 net1 " "pod links"
	grep -q 'network-status not written' "$T_TMP/err.txt" || fail "not logged"
	ctl clear-faults >/dev/null
	run DEL
	expect_ok DEL
}

case_manifests_dir() {
	fresh
	mkdir -p "$T_TMP/manifests"
	cat >"$T_TMP/manifests/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '$(bridge_c cluster plsbr0 10.67.0.0/24)'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: mv, namespace: default}
spec:
  config: '$(macvlan_c mv plsup 10.67.1.0/24)'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  annotations:
    k8s.v1.cni.cncf.io/networks: mv@m0
EOF
	EXTRA="\"manifestsDir\":\"$T_TMP/manifests\""
	run ADD
	expect_ok ADD
	expect_eq "$(pod_links)" "eth0 m0 " "pod links"
	run DEL
	expect_ok DEL
	expect_eq "$(held)" 0 "addresses after DEL"
	expect_eq "$(count '*' /api)" 0 "API requests (ADD and DEL)"
}

# ipam-claim-reference end to end: plexus hands the claim to the NAD's
# reference bridge as CNI_ARGS PLEXUS_IPAM_CLAIM, the bridge passes it to
# plexus-ipam (exec), which keeps the claim's address across the pod's
# DEL and gives it to the pod's next incarnation; a claim for another
# interface is refused with nothing attached.
case_ipam_claim() {
	fresh
	local ps=$T_TMP/pstore cls=/apis/k8s.cni.cncf.io/v1alpha1/namespaces/default/ipamclaims
	rm -rf "$ps"
	nad default cl "{\"cniVersion\":\"1.0.0\",\"name\":\"cl\",\"type\":\"bridge\",\"bridge\":\"plsbr5\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.67.5.0/24\"}}"
	for c in vm-a:net1 vm-b:data0; do
		printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"%s","namespace":"default"},"spec":{"network":"cl","interface":"%s"}}' \
			"${c%%:*}" "${c#*:}" >"$T_TMP/claim.json"
		ctl api POST "$cls" - <"$T_TMP/claim.json" >/dev/null || fail "claim $c"
	done
	EXTRA="\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$ps\",\"lockDir\":\"$ps/.locks\"},\"kubeconfig\":\"$KC\",\"nodeName\":\"n1\"}"
	pod '[{"name":"cl","ipam-claim-reference":"vm-a"}]'
	run ADD
	expect_ok ADD
	ip -n "$P" -br addr show net1 | grep -q ' 10\.67\.5\.2/24' || fail "net1: $(ip -n "$P" -br addr show net1)"
	ips() { ctl api GET "$cls/$1" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get("status",{}).get("ips",[])))'; }
	expect_eq "$(ips vm-a)" 10.67.5.2/24 "status.ips"
	run DEL
	expect_ok DEL
	# (block format 2: the record is <pool>/a/<block>/<offset>)
	grep -rq '"claim":"default/vm-a"' "$ps"/*/a/ || fail "the claim's record went at DEL"
	# the pod's next incarnation (another UID) gets the same address
	UID1=u2 pod '[{"name":"cl","ipam-claim-reference":"vm-a"}]'
	POD_ARGS=${POD_ARGS/K8S_POD_UID=u1/K8S_POD_UID=u2}
	run ADD
	expect_ok "ADD of the next incarnation"
	ip -n "$P" -br addr show net1 | grep -q ' 10\.67\.5\.2/24' || fail "net1 again: $(ip -n "$P" -br addr show net1)"
	run DEL
	expect_ok DEL
	# a claim for another interface: refused naming the field, nothing left
	t_netns "$P"
	POD_ARGS=${POD_ARGS/K8S_POD_UID=u2/K8S_POD_UID=u1}
	ctl clear-requests >/dev/null
	pod '[{"name":"cl","ipam-claim-reference":"vm-b"}]'
	run ADD
	expect_reject 7 'IPAMClaim default/vm-b: spec.interface "data0" is not this attachment' "interface \"net1\""
	expect_eq "$(ips vm-b)" "" "vm-b unwritten"
}

# DEL of a pod the API server no longer has: the PATCH gets 404, the DEL
# succeeds and releases everything, and nothing is logged as an error.
case_del_pod_gone() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	ctl api DELETE /api/v1/namespaces/default/pods/p1 >/dev/null
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL of a pod deleted from the API"
	expect_released
	expect_eq "$(codes '*' /)" 404 "one PATCH, answered 404"
	[ ! -s "$T_TMP/err.txt" ] || { cat "$T_TMP/err.txt"; fail "logged"; }
}

# DEL while the API server fails every PATCH: the DEL succeeds, releases
# everything, and logs the failure; 1 + 2 retries of 500.
case_del_api_failing() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	ctl fault '{"match": "* /api/", "code": 500, "count": -1}' >/dev/null
	ctl clear-requests >/dev/null
	run DEL
	ctl clear-faults >/dev/null
	expect_ok "DEL despite the failing API"
	expect_released
	expect_eq "$(codes '*' /)" "500 500 500" "PATCH and its 2 retries"
	grep -q 'DEL: network-status not cleared: .*HTTP 500' "$T_TMP/err.txt" ||
		{ cat "$T_TMP/err.txt"; fail "not logged"; }
	expect_eq "$(status 'len(s)')" 2 "network-status of ADD left"
	# an unreachable server: no answer at all, same outcome
	sed "s#https://127.0.0.1:[0-9]*#https://127.0.0.1:1#" "$D/kubeconfig" >"$T_TMP/kc-down"
	run ADD
	expect_ok "ADD again"
	KC=$T_TMP/kc-down
	run DEL
	expect_ok "DEL with the API unreachable"
	expect_released
	grep -q 'DEL: network-status not cleared: .*127.0.0.1:1' "$T_TMP/err.txt" ||
		{ cat "$T_TMP/err.txt"; fail "not logged"; }
}

# The StatefulSet race: the pod was deleted and created again under the
# same name before the old sandbox's DEL. The UID in the patch makes the
# API server refuse it (422): the new pod's network-status is untouched.
case_del_replaced_pod() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	UID1=u2 pod mv '{"k8s.v1.cni.cncf.io/network-status": "[{\"name\": \"new\"}]"}'
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL of the replaced pod"
	expect_released
	expect_eq "$(codes '*' /)" 422 "one PATCH, refused"
	expect_eq "$(status 's[0]["name"]')" new "the new pod's network-status"
	grep -q 'DEL: network-status not cleared: .*HTTP 422' "$T_TMP/err.txt" ||
		{ cat "$T_TMP/err.txt"; fail "not logged"; }
}

# The netns is gone (a force-deleted pod): no API call at all, as Multus.
case_del_netns_gone() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	ip netns del "$P"
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL without the netns"
	expect_eq "$(held)" 0 "addresses after DEL"
	expect_eq "$(count '*' /)" 0 "API requests"
	expect_eq "$(status 'len(s)')" 2 "network-status left"
}

case_del_without_cache() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	rm -f "$CACHE/c1_eth0.json"
	# the pod is still there: DEL re-plans from it and deletes
	ctl clear-requests >/dev/null
	run DEL
	expect_ok DEL
	expect_eq "$(pod_links)" "" "links after DEL"
	expect_eq "$(held)" 0 "addresses after DEL"
	# the pod is gone as well: DEL succeeds at once, one pod GET (the
	# tombstone of the DEL above removed, else it would answer)
	rm -f "$CACHE/c1_eth0.gone"
	ctl api DELETE /api/v1/namespaces/default/pods/p1 >/dev/null
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL of a deleted pod"
	expect_eq "$(count GET /api/v1/namespaces/default/pods/p1)" 1 "pod GETs"
}

# The DELs a runtime repeats (the kubelet stops a sandbox several times)
# answer from the first one's tombstone: no plan, no API request. An ADD
# of the same container clears it; an old one is swept and re-plans.
case_del_tombstone() {
	fresh
	pod mv
	run ADD
	expect_ok ADD
	run DEL
	expect_ok DEL
	[ -f "$CACHE/c1_eth0.gone" ] || fail "no tombstone after DEL"
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL again"
	expect_eq "$(count '*' /)" 0 "API requests of the repeated DEL"
	expect_eq "$(ls "$CACHE")" "c1_eth0.gone" "the cache dir after the repeated DEL (no lock file left)"
	expect_eq "$(pod_links)" "" "links after DEL"
	expect_eq "$(held)" 0 "addresses after DEL"
	# ADD again with the same container ID: the tombstone goes, and the
	# DEL after it really deletes
	run ADD
	expect_ok "ADD after DEL"
	[ ! -e "$CACHE/c1_eth0.gone" ] || fail "tombstone kept by ADD"
	expect_eq "$(held)" 2 "addresses after the second ADD (cluster, mv)"
	run DEL
	expect_ok "second DEL"
	expect_eq "$(held)" 0 "addresses after the second DEL"
	# an old tombstone (past 600 s) answers nothing: the DEL plans again
	touch -d '-11 minutes' "$CACHE/c1_eth0.gone"
	touch -d '-11 minutes' "$CACHE/old_eth0.gone"
	touch "$CACHE/new_eth0.gone"
	ctl clear-requests >/dev/null
	run DEL
	expect_ok "DEL past the tombstone's time"
	expect_eq "$(count GET /api/v1/namespaces/default/pods/p1)" 1 "pod GETs"
	[ ! -e "$CACHE/old_eth0.gone" ] || fail "an old tombstone not swept"
	[ -e "$CACHE/new_eth0.gone" ] || fail "a fresh tombstone swept"
}

rej_annotation() { fresh; pod 'mv@'; run ADD; expect_reject 110 "pod default/p1" "element 0" "interface name is empty"; }
rej_json_annotation() { fresh; pod '[{"name":"mv","ips":"x"}]'; run ADD; expect_reject 110 "pod default/p1" '"ips" must be a list'; }
rej_missing_nad() { fresh; pod 'mv, ghost'; run ADD; expect_reject 110 "pod default/p1" "default/ghost" "HTTP 404"; }
rej_nad_not_json() {
	fresh
	nad default broken '{"cniVersion": "1.0.0", "type": '
	pod broken
	run ADD
	expect_reject 7 "pod default/p1" "network default/broken" "invalid JSON"
}
rej_isolation() {
	fresh
	EXTRA='"namespaceIsolation":true'
	pod 'mv, ns2/br2'
	run ADD
	expect_reject 110 "pod default/p1" "namespaceIsolation" "ns2/br2"
	expect_eq "$(count GET /apis/k8s.cni.cncf.io/v1/namespaces/ns2)" 0 "NAD fetched"
}
rej_dup_ifname() { fresh; pod 'mv@x, ns2/br2@x'; run ADD; expect_reject 110 "pod default/p1" 'interface "x" already used'; }
rej_capability() {
	fresh
	pod '[{"name":"mv","mac":"02:42:00:00:00:01"}]'
	run ADD
	expect_reject 110 "network default/mv" '"mac"' "declares the capability"
}
rej_unreachable() {
	fresh
	sed "s#https://127.0.0.1:[0-9]*#https://127.0.0.1:1#" "$D/kubeconfig" >"$T_TMP/kc-down"
	KC=$T_TMP/kc-down
	pod mv
	run ADD
	expect_reject 111 "pod default/p1" "https://127.0.0.1:1"
}
rej_untrusted() {
	fresh
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T_TMP/o.key" -out "$T_TMP/o.crt" -days 1 -subj /CN=o 2>/dev/null
	sed "s#certificate-authority: .*#certificate-authority: $T_TMP/o.crt#" \
		"$D/kubeconfig" >"$T_TMP/kc-other"
	KC=$T_TMP/kc-other
	pod mv
	run ADD
	expect_reject 111 "pod default/p1" "certificate"
	expect_eq "$(count '*' /api)" 0 "requests that got through"
}
rej_token() {
	fresh
	sed "s#token: .*#token: not-the-token#" "$D/kubeconfig" >"$T_TMP/kc-tok"
	KC=$T_TMP/kc-tok
	pod mv
	run ADD
	expect_reject 111 "pod default/p1" "HTTP 401 Unauthorized"
	grep -q not-the-token "$T_TMP/out.json" "$T_TMP/err.txt" && fail "token in output"
	true
}

t_case "select: fixture API server is up" case_server
t_case "select: [1.0.0] ADD/CHECK/DEL from annotations (JSON form, ips, mac, interface), network-status written at ADD (1 pod GET + 3 NAD GETs + 1 PATCH) and [] after DEL (1 PATCH)" case_add_check_del
t_case "select: comma form and v1.multus-cni.io/default-network override" case_comma_form_and_default_override
t_case "select: a pod not yet visible is waited for" case_pod_not_yet_visible
t_case "select: a failed network-status write is logged, the ADD stands" case_status_write_fails
t_case "select: manifestsDir instead of the API" case_manifests_dir
t_case "select: ipam-claim-reference reaches plexus-ipam through the reference bridge, the address outlives the pod, another interface's claim refused" case_ipam_claim
t_case "select: DEL of a pod gone from the API (404) succeeds, releases everything" case_del_pod_gone
t_case "select: DEL with the API failing (500, unreachable) succeeds, releases everything, logs" case_del_api_failing
t_case "select: DEL of a pod replaced under the same name leaves the new pod's network-status (UID guard, 422)" case_del_replaced_pod
t_case "select: DEL without the netns sends no API request" case_del_netns_gone
t_case "select: DEL without a cache re-plans from the pod; a deleted pod is not waited for" case_del_without_cache
t_case "select: a repeated DEL answers from the first one's tombstone (no API request); ADD clears it, an old one is swept" case_del_tombstone
t_case "select: malformed annotation rejected, nothing attached" rej_annotation
t_case "select: malformed JSON element rejected" rej_json_annotation
t_case "select: missing NAD rejected" rej_missing_nad
t_case "select: NAD config that is not JSON rejected" rej_nad_not_json
t_case "select: cross-namespace NAD under namespaceIsolation rejected" rej_isolation
t_case "select: duplicate interface name rejected" rej_dup_ifname
t_case "select: capability no plugin declares rejected" rej_capability
t_case "select: unreachable API server rejected" rej_unreachable
t_case "select: untrusted API server rejected" rej_untrusted
t_case "select: refused token rejected, token never printed" rej_token
