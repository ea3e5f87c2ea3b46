#!/bin/bash
# Drop-in behaviour of the native delegates and plexus-ipam (issue 21), in
# real network namespaces, every spec version where it matters:
# - the shortest plexus-bridge (isGateway) + plexus-ipam (only "range")
#   config gives working pods: first pod .2, the bridge .1, pings work;
# - plexus refuses a delegate result whose pod address is its gateway
#   (code 7 naming network and address), whichever IPAM made it; a
#   requested address equal to the gateway is refused naming it;
# - a route whose destination another interface already has (the pod's
#   default route via net1 beside eth0's) is installed, and CHECK agrees;
#   the very same route twice and an off-link gateway are errors with the
#   kernel's reason;
# - ipMasq: the last DEL leaves no empty nftables table.
# Every host-side object lives in a test netns. Needs root.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { t_skip "drop-in" "needs root"; exit 0; }
H=pxdi-h$$ P=pxdi-p$$ Q=pxdi-q$$
T_NETNS="$H $P $Q"
STORE=$T_TMP/store CACHE=$T_TMP/cache
CID=c1

fresh() {
	for n in $H $P $Q; do t_netns "$n"; done
	rm -rf "$STORE" "$CACHE" "$T_TMP/hl"
	mkdir -p "$STORE" "$T_TMP/hl"
}
# plug BIN CMD CONF [IFNAME [CID [NETNS]]]: a plugin inside $H; the
# node's plexus-ipam settings (the file store) in its environment.
plug() {
	local bin=$1 cmd=$2 conf=$3 ifn=${4:-eth0} cid=${5:-$CID} ns=${6:-$P}
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" \
		PLEXUS_IPAM_NODE_CONFIG="{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}" \
		CNI_CONTAINERID="$cid" CNI_NETNS=/var/run/netns/$ns CNI_IFNAME="$ifn" \
		CNI_PATH="$TOP/$BINDIR:$REFDIR" NODE_NAME=node-a \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$bin" <"$conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
ours() { local k=$1; shift; plug "$TOP/$BINDIR/$k" "$@"; }
expect_rc() { [ "$(rc)" = "$1" ] || fail "exit code $(rc), want $1: $(cat "$T_TMP/out.json" "$T_TMP/err.txt")"; }
expect_code() { expect_rc 1; expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" "$1" "code ($(cat "$T_TMP/out.json"))"; }
msg_has() { jget "$T_TMP/out.json" 'j["msg"]' | grep -qF -- "$1" || fail "message lacks '$1': $(cat "$T_TMP/out.json")"; }
with_prev() { # CONF OUT: CONF with prevResult from out.json
	python3 - "$1" "$2" "$T_TMP/out.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["prevResult"] = json.load(open(sys.argv[3]))
json.dump(c, open(sys.argv[2], "w"))
EOF
}
ping_from() { ip netns exec "$1" busybox ping -c 1 -W 2 "$2" >/dev/null 2>&1; }
pod_addr() { ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}'; }
pipam() { echo "\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$1\"}"; }

# The shortest config, exec'ed directly and through plexus in-process.
shortest() { # VERSION
	local v=$1
	fresh
	echo "{\"cniVersion\":\"$v\",\"name\":\"short\",\"type\":\"plexus-bridge\",\"bridge\":\"pxdi0\",\"isGateway\":true,$(pipam 10.249.0.0/27)}" >"$T_TMP/s.json"
	ours plexus-bridge ADD "$T_TMP/s.json" eth0 c1 "$P"
	expect_rc 0
	expect_eq "$(jget "$T_TMP/out.json" 'j["ips"][0]["address"]')" 10.249.0.2/27 "first pod"
	expect_eq "$(jget "$T_TMP/out.json" 'j["ips"][0].get("gateway")')" 10.249.0.1 "gateway in the result"
	expect_eq "$(pod_addr "$P")" 10.249.0.2/27 "first pod's address"
	ip -n "$H" -4 -o addr show dev pxdi0 | grep -q '10.249.0.1/27' || fail "bridge has no 10.249.0.1/27"
	echo "{\"cniVersion\":\"$v\",\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"delegates\":[$(cat "$T_TMP/s.json")]}" >"$T_TMP/m.json"
	ours plexus ADD "$T_TMP/m.json" eth0 c2 "$Q"
	expect_rc 0
	expect_eq "$(pod_addr "$Q")" 10.249.0.3/27 "second pod (through plexus, in-process)"
	ping_from "$P" 10.249.0.1 || fail "pod 1 does not reach its gateway"
	ping_from "$Q" 10.249.0.1 || fail "pod 2 does not reach its gateway"
	ping_from "$P" 10.249.0.3 || fail "pod 1 does not reach pod 2"
	ours plexus DEL "$T_TMP/m.json" eth0 c2 "$Q"
	expect_rc 0
	ours plexus-bridge DEL "$T_TMP/s.json" eth0 c1 "$P"
	expect_rc 0
}

# The reference static IPAM can be told to hand out the gateway: plexus
# refuses the attachment and undoes it.
pod_is_gateway() { # VERSION
	local v=$1 rv=$1
	[ "$v" = 1.1.0 ] && rv=1.0.0 # Debian's static speaks up to 1.0.0
	fresh
	cat >"$T_TMP/m.json" <<EOC
{"cniVersion":"$v","name":"t","type":"plexus","cniDir":"$CACHE","delegates":[
 {"cniVersion":"$rv","name":"gwnet","type":"bridge","bridge":"pxdi1","isGateway":true,
  "ipam":{"type":"static","addresses":[{"address":"10.248.0.1/24","gateway":"10.248.0.1"}]}}]}
EOC
	ours plexus ADD "$T_TMP/m.json"
	expect_code 7
	msg_has 'network "gwnet"'
	msg_has 10.248.0.1/24
	[ -z "$(ip -n "$P" -o link show | grep -v ': lo:')" ] || fail "pod link left after the refusal"
	[ -z "$(ip -n "$H" -o link show type veth)" ] || fail "host veth left after the refusal"
}

# The files of the store that hold an allocation: a record (<pool>/a/),
# or a block header whose slot table holds a hash (block format 2: "."
# is a free slot).
held() {
	find "$STORE" \( -path '*/a/*' -o -path '*/b/*' \) -type f \
		-exec grep -lE '"cid"|"slots":"[^"]*[^."]' {} +
}

# A requested address (runtimeConfig.ips) equal to the gateway.
ask_gateway() {
	fresh
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"ask\",\"type\":\"plexus-bridge\",\"bridge\":\"pxdi2\",\"capabilities\":{\"ips\":true},\"runtimeConfig\":{\"ips\":[\"10.247.0.1/24\"]},$(pipam 10.247.0.0/24)}" >"$T_TMP/a.json"
	ours plexus-bridge ADD "$T_TMP/a.json"
	expect_code 7
	msg_has 10.247.0.1
	[ -z "$(ip -n "$P" -o link show | grep -v ': lo:')" ] || fail "pod link left"
	[ -z "$(held)" ] || fail "an allocation left"
}

# The pod has eth0 with a default route (the cluster network); net1's
# default route goes in beside it, with and without an explicit gw.
second_default() { # VERSION GW(0|1)
	local v=$1 gw=$2 rt
	fresh
	ip -n "$H" link add pxdiup type veth peer name pxdiupp
	ip -n "$H" link set pxdiup up
	ip -n "$H" link set pxdiupp up
	ip -n "$P" link add eth0 type veth peer name eth0p
	ip -n "$P" addr add 192.168.5.2/24 dev eth0
	ip -n "$P" link set eth0 up
	ip -n "$P" link set eth0p up
	ip -n "$P" route add default via 192.168.5.1
	rt='{"dst":"0.0.0.0/0"}'
	[ "$gw" = 1 ] && rt='{"dst":"0.0.0.0/0","gw":"192.168.1.1"}'
	echo "{\"cniVersion\":\"$v\",\"name\":\"macvlan-conf\",\"type\":\"plexus-macvlan\",\"master\":\"pxdiup\",\"mode\":\"bridge\",
	 \"ipam\":{\"type\":\"plexus-ipam\",\"subnet\":\"192.168.1.0/24\",\"rangeStart\":\"192.168.1.200\",\"rangeEnd\":\"192.168.1.216\",
	 \"routes\":[$rt],\"gateway\":\"192.168.1.1\"}}" >"$T_TMP/mv.json"
	ours plexus-macvlan ADD "$T_TMP/mv.json" net1
	expect_rc 0
	ip -n "$P" route show default | grep -q 'via 192.168.5.1 dev eth0' || fail "eth0's default route is gone: $(ip -n "$P" route)"
	ip -n "$P" route show default | grep -q 'via 192.168.1.1 dev net1' || fail "no default route via net1: $(ip -n "$P" route)"
	with_prev "$T_TMP/mv.json" "$T_TMP/mvp.json"
	if [ "$v" != 0.3.1 ]; then
		ours plexus-macvlan CHECK "$T_TMP/mvp.json" net1
		expect_rc 0
		# CHECK looks on net1: without the route there it fails
		ip -n "$P" route del default via 192.168.1.1 dev net1
		ours plexus-macvlan CHECK "$T_TMP/mvp.json" net1
		expect_rc 1
		msg_has "on net1"
	fi
	ours plexus-macvlan DEL "$T_TMP/mvp.json" net1
	expect_rc 0
	ip -n "$P" route show default | grep -q 'via 192.168.5.1 dev eth0' || fail "eth0's default route gone after DEL"
}

# Routes the kernel refuses: the error gives its reason, nothing is left.
route_errors() {
	fresh
	ip -n "$H" link add pxdiup type veth peer name pxdiupp
	ip -n "$H" link set pxdiup up
	for case in 'offlink|{"dst":"192.168.0.0/16","gw":"10.99.0.1"}|Network is unreachable' \
		'twice|{"dst":"10.246.9.0/24"},{"dst":"10.246.9.0/24"}|File exists'; do
		IFS='|' read -r name routes want <<<"$case"
		echo "{\"cniVersion\":\"1.0.0\",\"name\":\"r\",\"type\":\"plexus-macvlan\",\"master\":\"pxdiup\",
		 \"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.246.0.0/24\",\"routes\":[$routes]}}" >"$T_TMP/r.json"
		ours plexus-macvlan ADD "$T_TMP/r.json" net1
		expect_code 130
		msg_has "$want"
		msg_has "add route"
		[ -z "$(ip -n "$P" -o link show | grep -v ': lo:')" ] || fail "$name: pod link left"
		[ -z "$(held)" ] || fail "$name: an allocation left"
	done
}

# ipMasq: the table goes with the last rule; a second pod's rule keeps it.
masq_table() { # VERSION
	local v=$1
	fresh
	command -v nft >/dev/null || { echo "no nft"; return 0; }
	echo "{\"cniVersion\":\"$v\",\"name\":\"mq\",\"type\":\"plexus-bridge\",\"bridge\":\"pxdi3\",\"isGateway\":true,\"ipMasq\":true,$(pipam 10.245.0.0/24)}" >"$T_TMP/q.json"
	ours plexus-bridge ADD "$T_TMP/q.json" eth0 c1 "$P"
	expect_rc 0
	ours plexus-bridge ADD "$T_TMP/q.json" eth0 c2 "$Q"
	expect_rc 0
	expect_eq "$(ip netns exec "$H" nft list ruleset | grep -c masquerade)" 2 "masquerade rules"
	ours plexus-bridge DEL "$T_TMP/q.json" eth0 c1 "$P"
	expect_rc 0
	ip netns exec "$H" nft list tables | grep -q 'ip plexus-bridge' || fail "the table went while pod 2 still has a rule"
	ours plexus-bridge DEL "$T_TMP/q.json" eth0 c2 "$Q"
	expect_rc 0
	expect_eq "$(ip netns exec "$H" nft list tables)" "" "nftables tables after the last DEL"
	ours plexus-bridge DEL "$T_TMP/q.json" eth0 c2 "$Q"
	expect_rc 0
}

for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	t_case "[$v] shortest plexus-bridge + plexus-ipam config: pods .2 and .3, bridge .1, pings work" shortest "$v"
	t_case "[$v] plexus refuses a delegate result whose pod address is its gateway (code 7), undoes it" pod_is_gateway "$v"
	t_case "[$v] plexus-macvlan: default route via net1 beside eth0's (route without gw), CHECK agrees" second_default "$v" 0
	t_case "[$v] plexus-macvlan: default route via net1 beside eth0's (explicit gw), CHECK agrees" second_default "$v" 1
	t_case "[$v] plexus-bridge ipMasq: the last DEL leaves no nftables table" masq_table "$v"
done
t_case "[1.0.0] a requested address equal to the gateway is refused naming it" ask_gateway
t_case "[1.0.0] routes the kernel refuses (off-link gateway, the same route twice): its reason, nothing left" route_errors
