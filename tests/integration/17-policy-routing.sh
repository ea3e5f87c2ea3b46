#!/bin/bash
# policyRouting: a pod with a cluster network and two secondary networks
# behind different gateways; a remote host on each side of a router (the
# host netns, forwarding, strict rp_filter) pings the pod's secondary
# address. Without policy routing the reply leaves by eth0's default route
# and the router drops it; with it, each attachment's routes live in a
# table of its own and a rule sends replies from its addresses there.
# net1 is Debian's reference bridge (exec'ed), net2 plexus-bridge
# (in-process); net1 is dual stack. A NAD's plexus.dev/policy-routing
# annotation turns it on or off for that network. A third remote host
# sits behind a second router on red's subnet: only red's
# plexus.dev/policy-routes route reaches it. Needs root.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { t_skip "policyRouting" "needs root"; exit 0; }
command -v ping >/dev/null || t_abort "ping is missing (iputils-ping, tests/deps.sh)"
H=plxrh$$ P=plxrp$$ R1=plxr1$$ R2=plxr2$$ G=plxrg$$ R3=plxr3$$
IH=iih$$ IP=iip$$ IA=iia$$ ID=iid$$ # the iifRules case's
T_NETNS="$H $P $R1 $R2 $G $R3 $IH $IP $IA $ID"
STORE=$T_TMP/store CACHE=$T_TMP/cache M=$T_TMP/manifests

# remote NS N: a host at 10.8N.0.2 behind the router's 10.8N.0.1
remote() {
	t_netns "$1"
	ip -n "$H" link add "plxrv$2" type veth peer name eth0 netns "$1"
	ip -n "$H" addr add "10.8$2.0.1/24" dev "plxrv$2"
	ip -n "$H" link set "plxrv$2" up
	ip -n "$1" addr add "10.8$2.0.2/24" dev eth0
	ip -n "$1" link set eth0 up
	ip -n "$1" route add default via "10.8$2.0.1"
}
fresh() {
	t_netns "$H"
	t_netns "$P"
	ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
	ip netns exec "$P" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
	remote "$R1" 1
	remote "$R2" 2
	rm -rf "$STORE" "$CACHE" "$M"
	mkdir -p "$STORE" "$M"
}
run() { # CMD
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$REFDIR" NODE_NAME=n1 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
# remote 3 (10.83.0.2) behind a second router G (10.73.0.254 and
# fd00:73::fe on red's bridge, strict rp_filter); the main router has no
# route to it
gateway2() {
	t_netns "$G"
	t_netns "$R3"
	ip netns exec "$G" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1 \
		net.ipv6.conf.all.forwarding=1
	ip -n "$H" link add plxrg type veth peer name eth0 netns "$G"
	ip -n "$H" link set plxrg master plxrb1 up
	ip -n "$G" addr add 10.73.0.254/24 dev eth0
	ip -n "$G" addr add fd00:73::fe/64 dev eth0 nodad
	ip -n "$G" link set eth0 up
	ip -n "$G" link add eth1 type veth peer name eth0 netns "$R3"
	ip -n "$G" addr add 10.83.0.1/24 dev eth1
	ip -n "$G" addr add fd00:83::1/64 dev eth1 nodad
	ip -n "$G" link set eth1 up
	ip -n "$R3" addr add 10.83.0.2/24 dev eth0
	ip -n "$R3" addr add fd00:83::2/64 dev eth0 nodad
	ip -n "$R3" link set eth0 up
	ip -n "$R3" route add default via 10.83.0.1
	ip -n "$R3" -6 route add default via fd00:83::1
}
# manifests NODE-POLICY [RED-ANNOTATION [BLUE-ANNOTATION [RED-ROUTES]]]
manifests() {
	local ra="" ba="" an=()
	[ -z "${2:-}" ] || an+=("plexus.dev/policy-routing: \"$2\"")
	[ -z "${4:-}" ] || an+=("plexus.dev/policy-routes: '$4'")
	[ ${#an[@]} = 0 ] || ra="annotations: {$(IFS=,; echo "${an[*]}")}"
	[ -z "${3:-}" ] || ba="annotations: {plexus.dev/policy-routing: \"$3\"}"
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"plxrb0","isGateway":true,"ipam":{"type":"plexus-ipam","range":"10.72.0.0/24","gateway":"10.72.0.1","routes":[{"dst":"0.0.0.0/0"}]}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: red, namespace: default, $ra}
spec:
  config: '{"cniVersion":"1.0.0","name":"red","type":"bridge","bridge":"plxrb1","isGateway":true,"ipam":{"type":"plexus-ipam","ranges":[[{"subnet":"10.73.0.0/24","gateway":"10.73.0.1"}],[{"subnet":"fd00:73::/64","gateway":"fd00:73::1"}]]}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: blue, namespace: default, $ba}
spec:
  config: '{"cniVersion":"1.0.0","name":"blue","type":"plexus-bridge","bridge":"plxrb2","isGateway":true,"ipam":{"type":"plexus-ipam","range":"10.74.0.0/24","gateway":"10.74.0.1"}}'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: red, blue
EOF
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\",\"policyRouting\":$1,\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
addr4() { ip -n "$P" -4 -o addr show dev "$1" | awk '{print $4}' | cut -d/ -f1; }
reaches() { ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
rules() { ip -n "$P" "$@" rule show | grep -c 'lookup 100[12]' || true; }
added() {
	run ADD
	[ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "ADD rc $(rc)"; }
}
deleted() {
	run DEL
	expect_eq "$(rc)" 0 "DEL: $(cat "$T_TMP/out.json")"
	expect_eq "$(rules)" 0 "IPv4 rules after DEL"
	expect_eq "$(rules -6)" 0 "IPv6 rules after DEL"
	expect_eq "$(ip -n "$P" route show table all | grep -c 'table 100[12]' || true)" 0 "tables after DEL"
}

off_case() {
	fresh
	manifests false
	added
	reaches "$R1" "$(addr4 net1)" && fail "reached net1 without policy routing: the test shows nothing"
	reaches "$R2" "$(addr4 net2)" && fail "reached net2 without policy routing"
	expect_eq "$(rules)" 0 "rules"
	deleted
}
t_case "policyRouting off: replies to a remote host leave by eth0, the router drops them" off_case

on_case() {
	local a1 a2 a6
	fresh
	manifests true
	added
	a1=$(addr4 net1) a2=$(addr4 net2)
	a6=$(ip -n "$P" -6 -o addr show dev net1 scope global | awk '{print $4}' | cut -d/ -f1)
	reaches "$R1" "$a1" || fail "remote 1 does not reach net1 ($a1)"
	reaches "$R2" "$a2" || fail "remote 2 does not reach net2 ($a2)"
	ip -n "$P" rule show | grep -q "^1000:.*from $a1 lookup 1001" || fail "rule net1: $(ip -n "$P" rule show)"
	ip -n "$P" rule show | grep -q "^1000:.*from $a2 lookup 1002" || fail "rule net2"
	ip -n "$P" -6 rule show | grep -q "^1000:.*from $a6 lookup 1001" || fail "IPv6 rule: $(ip -n "$P" -6 rule show)"
	ip -n "$P" route show table 1001 | grep -q "^default via 10.73.0.1 dev net1" || fail "table 1001: $(ip -n "$P" route show table 1001)"
	ip -n "$P" route show table 1001 | grep -q "^10.73.0.0/24 dev net1" || fail "table 1001 subnet"
	ip -n "$P" -6 route show table 1001 | grep -q "^default via fd00:73::1 dev net1" || fail "IPv6 table 1001: $(ip -n "$P" -6 route show table 1001)"
	ip -n "$P" route show table 1002 | grep -q "^default via 10.74.0.1 dev net2" || fail "table 1002"
	expect_eq "$(ip -n "$P" route show default | awk '{print $1, $2, $3, $4, $5}')" "default via 10.72.0.1 dev eth0" "main table's default"
	run CHECK
	expect_eq "$(rc)" 0 "CHECK: $(cat "$T_TMP/out.json")"
	ip -n "$P" rule del from "$a2" lookup 1002
	run CHECK
	expect_eq "$(rc)" 1 "CHECK without a rule"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -q "net2: no rule from $a2 to table 1002" || fail "CHECK msg: $(cat "$T_TMP/out.json")"
	deleted
}
t_case "policyRouting on: replies leave by the interface they came in on (IPv4, IPv6 rules), CHECK, DEL" on_case

annotation_case() {
	fresh
	manifests false true false
	added
	reaches "$R1" "$(addr4 net1)" || fail "red (annotation true) not reached"
	reaches "$R2" "$(addr4 net2)" && fail "blue (annotation false) reached"
	expect_eq "$(ip -n "$P" rule show | grep -c 'lookup 1001')" 1 "red's rule"
	expect_eq "$(ip -n "$P" rule show | grep -c 'lookup 1002' || true)" 0 "blue's rule"
	deleted
	manifests true true false
	# the dry run shows the same tables
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json" ||
		fail "plan: $(cat "$T_TMP/plan.json")"
	expect_eq "$(jget "$T_TMP/plan.json" '[a.get("policyRouting") for a in j["attachments"]]')" \
		"[None, {'table': 1001, 'rulePriority': 1000}, None]" "plan's policyRouting"
	added
	expect_eq "$(ip -n "$P" rule show | grep -c 'lookup 1002' || true)" 0 "blue off under the node's on"
	deleted
}
t_case "policyRouting: a NAD's plexus.dev/policy-routing annotation over the node's choice" annotation_case

bad_case() {
	fresh
	manifests true yes
	run ADD
	expect_eq "$(rc)" 1 "ADD rc"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -q 'plexus.dev/policy-routing: "yes" is not "true" or "false"' ||
		fail "msg: $(cat "$T_TMP/out.json")"
	expect_eq "$(ip -n "$P" -o link show | grep -vc ': lo:' || true)" 0 "links in the pod"
	manifests '{"tableBase":254}'
	run ADD
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 7 "tableBase code"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -q 'policyRouting.tableBase: 254 is outside 256' || fail "tableBase msg: $(cat "$T_TMP/out.json")"
}
t_case "policyRouting: a bad annotation or tableBase is refused, nothing attached" bad_case

ROUTES='[{"dst":"10.83.0.0/24","gw":"10.73.0.254"},{"dst":"fd00:83::/64","gw":"fd00:73::fe"}]'
routes_case() {
	local a1 a6
	fresh
	manifests true "" "" "$ROUTES"
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json" ||
		fail "plan: $(cat "$T_TMP/plan.json")"
	expect_eq "$(jget "$T_TMP/plan.json" 'j["attachments"][1]["policyRouting"]["routes"]')" \
		"[{'dst': '10.83.0.0/24', 'gw': '10.73.0.254'}, {'dst': 'fd00:83::/64', 'gw': 'fd00:73::fe'}]" "plan's routes"
	added
	gateway2
	a1=$(addr4 net1)
	ip -n "$P" route show table 1001 | grep -q "^10.83.0.0/24 via 10.73.0.254 dev net1" ||
		fail "table 1001: $(ip -n "$P" route show table 1001)"
	ip -n "$P" -6 route show table 1001 | grep -q "^fd00:83::/64 via fd00:73::fe dev net1" ||
		fail "IPv6 table 1001: $(ip -n "$P" -6 route show table 1001)"
	expect_eq "$(ip -n "$P" route show table main | grep -c '10.83' || true)" 0 "main table routes to 10.83"
	expect_eq "$(ip -n "$P" -6 route show table main | grep -c 'fd00:83' || true)" 0 "main table routes to fd00:83"
	ip netns exec "$P" ping -c 1 -W 1 -I "$a1" 10.83.0.2 >/dev/null 2>&1 ||
		fail "the pod does not reach remote 3 from net1's address"
	reaches "$R3" "$a1" || fail "remote 3 does not reach net1 ($a1)"
	a6=$(ip -n "$P" -6 -o addr show dev net1 scope global | awk '{print $4}' | cut -d/ -f1)
	# (the second router's links settle first: a few tries)
	ip netns exec "$P" ping -6 -c 3 -i 0.5 -w 4 -I "$a6" fd00:83::2 >/dev/null 2>&1 ||
		fail "the pod does not reach remote 3 (IPv6) from net1's address $a6"
	ip netns exec "$P" ping -c 1 -W 1 -I "$(addr4 eth0)" 10.83.0.2 >/dev/null 2>&1 &&
		fail "remote 3 reached from eth0's address: the main table has a way there"
	run CHECK
	expect_eq "$(rc)" 0 "CHECK: $(cat "$T_TMP/out.json")"
	ip -n "$P" route del 10.83.0.0/24 via 10.73.0.254 dev net1 table 1001
	run CHECK
	expect_eq "$(rc)" 1 "CHECK without the route"
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 130 "CHECK code"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -q "net1: no route to 10.83.0.0/24 via 10.73.0.254 in table 1001" ||
		fail "CHECK msg: $(cat "$T_TMP/out.json")"
	deleted
	expect_eq "$(ip -n "$P" -6 route show table all | grep -c 'fd00:83' || true)" 0 "IPv6 routes after DEL"
	# the same pod, red without the route: remote 3 is out of reach
	manifests true
	added
	a1=$(addr4 net1)
	ip netns exec "$P" ping -c 1 -W 1 -I "$a1" 10.83.0.2 >/dev/null 2>&1 &&
		fail "remote 3 reached without red's route: the test shows nothing"
	reaches "$R3" "$a1" && fail "remote 3 reached net1 without red's route"
	a6=$(ip -n "$P" -6 -o addr show dev net1 scope global | awk '{print $4}' | cut -d/ -f1)
	ip netns exec "$P" ping -6 -c 1 -w 3 -I "$a6" fd00:83::2 >/dev/null 2>&1 &&
		fail "remote 3 (IPv6) reached without red's route"
	deleted
}
t_case "plexus.dev/policy-routes: a remote subnet behind a second router only through red's route (its table only), CHECK, DEL" routes_case

# refused: nothing attached, no rule, the message names the NAD, the key
# and the route
refused() { # WHAT CODE MSG
	run ADD
	expect_eq "$(rc)" 1 "$1: ADD rc"
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" "$2" "$1: code"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -qF "$3" || fail "$1: msg: $(cat "$T_TMP/out.json")"
	expect_eq "$(ip -n "$P" -o link show | grep -vc ': lo:' || true)" 0 "$1: links in the pod"
	expect_eq "$(rules)" 0 "$1: rules"
}
routes_bad_case() {
	fresh
	manifests true "" "" '[{"dst":"10.83.0.0/24","gw":"10.99.0.1"}]'
	refused "gw outside" 7 'network "default/red" (net1): policyRouting: annotation plexus.dev/policy-routes: route {"dst": "10.83.0.0/24", "gw": "10.99.0.1"}: gw is in none of the subnets'
	manifests false "" "" "$ROUTES"
	refused "policy routing off" 7 "network default/red: annotation plexus.dev/policy-routes: policy routing is off for it"
	set +e
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json"
	expect_eq "$?" 1 "plan of the refused pod"
	set -e
	expect_eq "$(jget "$T_TMP/plan.json" 'j["refused"]["msg"]')" "$(jget "$T_TMP/out.json" 'j["msg"]')" "plan's verdict"
	manifests true "" "" '[{"dst":"0.0.0.0/0","gw":"10.73.0.254"}]'
	refused "default route" 7 'route 0: dst "0.0.0.0/0" is a default route'
	manifests true "" "" '[{"dst":"10.83.0.0/24",'
	refused "malformed" 7 "annotation plexus.dev/policy-routes: invalid JSON"
}
t_case "plexus.dev/policy-routes: a gw outside the network's subnets, policy routing off, a default route, bad JSON: refused, nothing attached" routes_bad_case

# iifRules: the pod (ip_forward=1) routes for host A (10.92.0.50, on
# red's bridge iib1) to host D (10.96.0.2, behind the node netns, a router
# with strict rp_filter). Without iif rules the pod forwards A's packet by
# the main table (default route, eth0) and the router drops it (A's
# subnet is on iib1, not iib0); with them, "iif net1 lookup 1001" sends
# it by net1's table, out net1 via 10.92.0.1, and A reaches D.
iif_manifests() { # IIF-RULES
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"iib0","isGateway":true,"ipam":{"type":"plexus-ipam","range":"10.91.0.0/24","gateway":"10.91.0.1","routes":[{"dst":"0.0.0.0/0"}]}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: red, namespace: default}
spec:
  config: '{"cniVersion":"1.0.0","name":"red","type":"bridge","bridge":"iib1","isGateway":true,"ipam":{"type":"plexus-ipam","ranges":[[{"subnet":"10.92.0.0/24","gateway":"10.92.0.1","rangeStart":"10.92.0.10","rangeEnd":"10.92.0.40"}],[{"subnet":"fd00:92::/64","gateway":"fd00:92::1"}]]}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: blue, namespace: default}
spec:
  config: '{"cniVersion":"1.0.0","name":"blue","type":"plexus-bridge","bridge":"iib2","isGateway":true,"ipam":{"type":"plexus-ipam","range":"10.93.0.0/24","gateway":"10.93.0.1"}}'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: red, blue
EOF
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\",\"policyRouting\":{\"iifRules\":$1},\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
# host A on red's bridge, routing 10.96.0.0/24 via the pod's net1
# address; host D behind the node netns' iiv6
iif_hosts() { # POD-NET1-ADDRESS
	t_netns "$IA"
	ip -n "$H" link add iiva type veth peer name eth0 netns "$IA"
	ip -n "$H" link set iiva master iib1 up
	ip -n "$IA" addr add 10.92.0.50/24 dev eth0
	ip -n "$IA" link set eth0 up
	ip -n "$IA" route add 10.96.0.0/24 via "$1"
	t_netns "$ID"
	ip -n "$H" link add iiv6 type veth peer name eth0 netns "$ID"
	ip -n "$H" addr add 10.96.0.1/24 dev iiv6
	ip -n "$H" link set iiv6 up
	ip -n "$ID" addr add 10.96.0.2/24 dev eth0
	ip -n "$ID" link set eth0 up
	ip -n "$ID" route add default via 10.96.0.1
}
iif_fresh() {
	t_netns "$H"
	t_netns "$P"
	ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1
	ip netns exec "$P" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.default.send_redirects=0
	rm -rf "$STORE" "$CACHE" "$M"
	mkdir -p "$STORE" "$M"
}
iif_rules() { ip -n "$P" "$@" rule show | grep -c 'iif net1 lookup 1001' || true; }
# the interface the pod's forwarding picks for A's packet to D
iif_route() { ip -n "$P" route get 10.96.0.2 from 10.92.0.50 iif net1 | grep -o 'dev [a-z0-9]*' | head -1; }
iif_case() {
	local H=$IH P=$IP a1
	iif_fresh
	# without iif rules: by the main table, out eth0, dropped
	iif_manifests false
	added
	a1=$(addr4 net1)
	iif_hosts "$a1"
	expect_eq "$(iif_rules)" 0 "iif rules without iifRules"
	expect_eq "$(iif_route)" "dev eth0" "forwarded without iif rules"
	ip netns exec "$IA" ping -c 3 -i 0.5 -w 4 10.96.0.2 >/dev/null 2>&1 &&
		fail "A reached D without iif rules: the test shows nothing"
	deleted
	# with them: by net1's table, out net1, through
	iif_manifests true
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json" ||
		fail "plan: $(cat "$T_TMP/plan.json")"
	expect_eq "$(jget "$T_TMP/plan.json" '[a.get("policyRouting") for a in j["attachments"]]')" \
		"[None, {'table': 1001, 'rulePriority': 1000, 'iifPriority': 1001}, {'table': 1002, 'rulePriority': 1000, 'iifPriority': 1001}]" "plan's policyRouting"
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 >"$T_TMP/plan.txt" ||
		fail "plan: $(cat "$T_TMP/plan.txt")"
	grep -q "table 1001, rule priority 1000, iif net1 at 1001" "$T_TMP/plan.txt" || fail "plan text: $(cat "$T_TMP/plan.txt")"
	added
	expect_eq "$(addr4 net1)" "$a1" "net1's address again"
	ip -n "$P" rule show | grep -q "^1001:.*iif net1 lookup 1001" || fail "IPv4 rule: $(ip -n "$P" rule show)"
	ip -n "$P" rule show | grep -q "^1001:.*iif net2 lookup 1002" || fail "IPv4 rule net2: $(ip -n "$P" rule show)"
	ip -n "$P" -6 rule show | grep -q "^1001:.*iif net1 lookup 1001" || fail "IPv6 rule: $(ip -n "$P" -6 rule show)"
	expect_eq "$(ip -n "$P" -6 rule show | grep -c 'iif net2' || true)" 0 "IPv6 rule of IPv4-only net2"
	expect_eq "$(iif_route)" "dev net1" "forwarded with iif rules"
	# (net1 is a new link: A forgets the old one's MAC)
	ip -n "$IA" neigh flush all
	ip netns exec "$IA" ping -c 3 -i 0.5 -w 4 10.96.0.2 >/dev/null 2>&1 ||
		fail "A does not reach D through the pod with iif rules"
	# the pod's own traffic keeps the main table
	expect_eq "$(ip -n "$P" route get 10.96.0.2 | grep -o 'dev [a-z0-9]*')" "dev eth0" "the pod's own traffic"
	run CHECK
	expect_eq "$(rc)" 0 "CHECK: $(cat "$T_TMP/out.json")"
	ip -n "$P" -6 rule del iif net1 lookup 1001
	run CHECK
	expect_eq "$(rc)" 1 "CHECK without the IPv6 iif rule"
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 130 "CHECK code"
	jget "$T_TMP/out.json" 'j["msg"]' | grep -q "net1: no IPv6 rule iif net1 to table 1001" ||
		fail "CHECK msg: $(cat "$T_TMP/out.json")"
	deleted
	expect_eq "$(ip -n "$P" rule show | grep -c iif || true)" 0 "IPv4 iif rules after DEL"
	expect_eq "$(ip -n "$P" -6 rule show | grep -c iif || true)" 0 "IPv6 iif rules after DEL"
}
t_case "policyRouting.iifRules: a pod forwarding for a host on net1 sends by net1's table with the rule, by the main table without; CHECK, DEL" iif_case
