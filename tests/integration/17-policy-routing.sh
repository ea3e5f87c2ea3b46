#!/bin/bash
# policyRouting: a pod with a cluster network and two secondary networks
# behind different gateways; a remote host on each side of a router (the
# host netns, forwarding, strict rp_filter) pings the pod's secondary
# address. Without policy routing the reply leaves by eth0's default route
# and the router drops it; with it, each attachment's routes live in a
# table of its own and a rule sends replies from its addresses there.
# net1 is Debian's reference bridge (exec'ed), net2 plexus-bridge
# (in-process); net1 is dual stack. A NAD's plexus.dev/policy-routing
# annotation turns it on or off for that network. Needs root.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { t_skip "policyRouting" "needs root"; exit 0; }
command -v ping >/dev/null || t_abort "ping is missing (iputils-ping, tests/deps.sh)"
H=plxrh$$ P=plxrp$$ R1=plxr1$$ R2=plxr2$$
T_NETNS="$H $P $R1 $R2"
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
# manifests NODE-POLICY [RED-ANNOTATION [BLUE-ANNOTATION]]
manifests() {
	local ra="" ba=""
	[ -z "${2:-}" ] || ra="annotations: {plexus.dev/policy-routing: \"$2\"}"
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
