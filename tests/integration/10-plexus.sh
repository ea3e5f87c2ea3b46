#!/bin/bash
# plexus static mode end to end: real network namespaces, Debian's
# reference plugins and the test plugin, every spec version.
. "$(dirname "$0")/../lib.sh"
H=plxh$$ P=plxp$$
T_NETNS="$H $P"
TP=$TOP/$(dirname "$BINDIR")/bin/tests
IPAM=$T_TMP/ipam CACHE=$T_TMP/cache STATE=$T_TMP/state DUMP=$T_TMP/dump

fresh() { # new host and pod netns, a veth in the host to be macvlan parent
	t_netns "$H"
	t_netns "$P"
	ip -n "$H" link add plxup type veth peer name plxupp
	ip -n "$H" link set plxup up
	ip -n "$H" link set plxupp up
	rm -rf "$IPAM" "$CACHE" "$STATE" "$DUMP"
	mkdir -p "$IPAM" "$STATE" "$DUMP"
}

# run CMD CONF [CID] [IFNAME] [NETNS]: plexus inside the host netns.
run() {
	local nsp=/var/run/netns/$P
	[ $# -ge 5 ] && nsp=$5
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$1" \
		CNI_CONTAINERID="${3:-c1}" CNI_NETNS="$nsp" \
		CNI_IFNAME="${4:-eth0}" CNI_PATH="$TOP/$BINDIR:$TP:$REFDIR" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$2" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
out() { jget "$T_TMP/out.json" "$1"; }
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
expect_code() { # CODE MSG-SUBSTRING
	[ "$(rc)" = 1 ] || { cat "$T_TMP/out.json"; fail "rc $(rc), want 1"; }
	expect_eq "$(out "j['code']")" "$1" "error code"
	out "j['msg']" | grep -qF -- "$2" || fail "msg '$(out "j['msg']")' lacks '$2'"
}
pod_links() { ip -n "$P" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v '^lo$' | sort | tr '\n' ' '; }
held() { find "$IPAM" "$STATE" -type f ! -name lock ! -name 'last_reserved*' | wc -l; }
expect_clean() {
	expect_eq "$(pod_links)" "" "links in the pod"
	expect_eq "$(held)" 0 "addresses/attachments still held"
}

# delegate configs; Debian's reference plugins (1.1.1) speak up to 1.0.0
refv() { [ "$1" = 1.1.0 ] && echo 1.0.0 || echo "$1"; }
bridge_d() { echo "{\"cniVersion\":\"$(refv $1)\",\"name\":\"$2\",\"type\":\"bridge\",\"bridge\":\"$3\",\"isGateway\":true,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$4\"}]]}}"; }
macvlan_d() { echo "{\"cniVersion\":\"$(refv $1)\",\"name\":\"$2\",\"type\":\"macvlan\",\"master\":\"$3\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$4\"}]]}}"; }
ptp_d() { echo "{\"cniVersion\":\"$(refv $1)\",\"name\":\"$2\",\"type\":\"ptp\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$3\"}]]}}"; }
test_d() { echo "{\"cniVersion\":\"$1\",\"name\":\"$2\",\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\"${3:+,$3}}"; }
mkconf() { # VERSION FILE DELEGATES... (extra top-level keys in $EXTRA)
	local v=$1 f=$2; shift 2
	local IFS=,
	echo "{\"cniVersion\":\"$v\",\"name\":\"plexus-test\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\"${EXTRA:+,$EXTRA},\"delegates\":[$*]}" >"$f"
}
three() { # VERSION FILE: bridge + macvlan + ptp
	mkconf "$1" "$2" "$(bridge_d "$1" cluster plxbr0 10.66.1.0/24)" \
		"$(macvlan_d "$1" storage plxup 10.66.2.0/24)" \
		"$(ptp_d "$1" backend 10.66.3.0/24)"
}

case_three() { # VERSION
	local v=$1 c=$T_TMP/three.conf
	fresh
	three "$v" "$c"
	run ADD "$c"
	expect_ok ADD
	expect_eq "$(out "j['cniVersion']")" "$v" "result cniVersion"
	expect_eq "$(pod_links)" "eth0 net1 net2 " "pod links"
	ip -n "$P" -br addr show eth0 | grep -q 10.66.1. || fail "eth0 address"
	ip -n "$P" -br addr show net1 | grep -q 10.66.2. || fail "net1 address"
	ip -n "$P" -br addr show net2 | grep -q 10.66.3. || fail "net2 address"
	# every IP points at the pod interface that carries it, default first
	expect_eq "$(out "' '.join(j['interfaces'][ip['interface']]['name'] for ip in j['ips'])")" \
		"eth0 net1 net2" "ips[].interface"
	expect_eq "$(out "' '.join(ip['address'].split('.')[2] for ip in j['ips'])")" "1 2 3" "ip order"
	case $v in
	0.*) expect_eq "$(out "' '.join(ip['version'] for ip in j['ips'])")" "4 4 4" "ips[].version" ;;
	*) expect_eq "$(out "sum('version' in ip for ip in j['ips'])")" 0 "no ips[].version" ;;
	esac
	run CHECK "$c"
	case $v in
	0.3.*) expect_code 1 "CHECK needs 0.4.0" ;;
	*) expect_ok CHECK ;;
	esac
	run DEL "$c"
	expect_ok DEL
	expect_clean
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "cache left after DEL"
	run DEL "$c"
	expect_ok "second DEL"
}

case_rollback_last() { # VERSION: third delegate fails, first two undone
	local v=$1 c=$T_TMP/rb.conf
	fresh
	mkconf "$v" "$c" "$(bridge_d "$v" cluster plxbr0 10.66.1.0/24)" \
		"$(macvlan_d "$v" storage plxup 10.66.2.0/24)" \
		"$(test_d "$v" broken '"fail":["ADD"],"failCode":142')"
	run ADD "$c"
	expect_code 142 'network "broken" (net2): plexus-testplugin: testplugin: ADD fails'
	expect_clean
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "cache left after rolled-back ADD"
}

case_rollback_middle() { # VERSION: bad macvlan master, bridge undone
	local v=$1 c=$T_TMP/rbm.conf
	fresh
	mkconf "$v" "$c" "$(test_d "$v" first)" \
		"$(bridge_d "$v" cluster plxbr0 10.66.1.0/24)" \
		"$(macvlan_d "$v" storage no-such-link 10.66.2.0/24)" \
		"$(test_d "$v" never)"
	run ADD "$c"
	[ "$(rc)" = 1 ] || fail "ADD should fail"
	out "j['msg']" | grep -q 'network "storage" (net2): macvlan' || fail "msg: $(out "j['msg']")"
	expect_clean
	[ ! -e "$DUMP/ADD_never_net3.json" ] || fail "delegate after the failure ran"
	[ -e "$DUMP/DEL_first_eth0.json" ] || fail "first delegate not deleted"
}

case_chain() { # VERSION: a conflist delegate runs as a chain with prevResult
	local v=$1 c=$T_TMP/chain.conf
	fresh
	EXTRA="\"runtimeConfig\":{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}],\"bandwidth\":{\"ingressRate\":1000}}" \
	mkconf "$v" "$c" "{\"cniVersion\":\"$v\",\"name\":\"chained\",\"plugins\":[$(test_d "$v" x '"address":"10.9.9.9/24"' | sed 's/"cniVersion":"[^"]*",//; s/"name":"x",//'),{\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\",\"capabilities\":{\"portMappings\":true},\"address\":\"10.9.9.10/24\"}]}"
	run ADD "$c"
	expect_ok ADD
	d=$DUMP/ADD_chained_eth0.json
	expect_eq "$(jget "$d" "j['prevResult']['ips'][0]['address']")" 10.9.9.9/24 "prevResult passed down the chain"
	expect_eq "$(jget "$d" "j['runtimeConfig']['portMappings'][0]['hostPort']")" 8080 "capability arg"
	expect_eq "$(jget "$d" "'bandwidth' in j['runtimeConfig']")" False "undeclared capability filtered"
	run DEL "$c"
	expect_ok DEL
	case $v in
	0.3.*) expect_eq "$(jget "$DUMP/DEL_chained_eth0.json" "'prevResult' in j")" False "no prevResult on DEL before 0.4.0" ;;
	*) expect_eq "$(jget "$DUMP/DEL_chained_eth0.json" "j['prevResult']['ips'][0]['address']")" 10.9.9.9/24 "DEL prevResult (the chain's final result)" ;;
	esac
	expect_clean
}

for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
	t_case "[$v] ADD/CHECK/DEL bridge+macvlan+ptp: eth0 net1 net2, merged result, clean DEL" case_three "$v"
	t_case "[$v] failed ADD of the last network rolls back the others" case_rollback_last "$v"
	t_case "[$v] failed ADD in the middle rolls back, later networks never run" case_rollback_middle "$v"
	t_case "[$v] conflist delegate chains prevResult, capabilities filter runtimeConfig" case_chain "$v"
done
