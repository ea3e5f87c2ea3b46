#!/bin/bash
# The pod IP a CRI runtime reports for plexus' merged ADD result (every
# network's interfaces and addresses, the cluster network first) is the
# cluster network's, the address on the pod's eth0.
#
# containerd: $BINDIR/gocni-driver sets the pod up through go-cni as
# containerd's CRI plugin does (the loopback network, then the first file
# of the node's config directory, here plexus' conflist) and picks the pod
# IP by containerd's rule: the addresses go-cni files under eth0 (by each
# address' "interface" index), the first IPv4 one (ip_pref "ipv4", the
# default) the pod IP, the others additional IPs.
# CRI-O: its pod IPs are every address of the result libcni cached at ADD,
# in order (read from CRI-O's source, docs/multus-compat.md); the suite
# applies that rule to the same cached result.
# kubelet: status.podIPs from either list (first of the node's family,
# then the first of the other).
#
# tests/libcni/podip.py holds each pick against the addresses the kernel
# has on eth0 and the cluster network's subnets. One case has a secondary
# whose result gives its address no interface index (go-cni would file it
# under eth0; plexus' merge gives it the secondary's interface). The last
# case feeds results with a secondary address on eth0's index (or first
# in the list) through the same checks, which must then fail. Runs in a host netns and
# a pod netns of its own with Debian's reference plugins; about 20 s (IPv6
# duplicate address detection on the bridges takes most of it).
. "$(dirname "$0")/../lib.sh"
H=plxgh$$ P=plxgp$$
T_NETNS="$H $P"
DRV=$TOP/$BINDIR/gocni-driver
PODIP=$TOP/tests/libcni/podip.py
NETD=$T_TMP/net.d CACHE=$T_TMP/libcni PCACHE=$T_TMP/plexus
IPAMD=$T_TMP/ipam M=$T_TMP/manifests
CID=gocni-$$

fresh() {
	t_netns "$H"
	t_netns "$P"
	ip -n "$H" link add plxgup type veth peer name plxgupp
	ip -n "$H" link set plxgup up
	ip -n "$H" link set plxgupp up
	rm -rf "$NETD" "$CACHE" "$PCACHE" "$IPAMD" "$M"
	mkdir -p "$NETD" "$IPAMD" "$M"
}

# gocni VERB [OPTIONS...]: the driver, in the host netns, on the pod netns;
# output in $T_TMP/VERB.out and .err.
gocni() {
	local verb=$1
	shift
	ip netns exec "$H" "$DRV" "$verb" --conf-dir "${CONFD:-$NETD}" \
		--netns "/var/run/netns/$P" --cid "${GCID:-$CID}" \
		--bin-dirs "${BINS:-$TOP/$BINDIR:$REFDIR}" --cache-dir "$CACHE" \
		--namespace default --name p1 --uid u1 "$@" \
		>"$T_TMP/$verb.out" 2>"$T_TMP/$verb.err"
}

# host-local over SUBNET...: one range set per subnet
ipam() {
	local r="" s
	for s in "$@"; do r="$r${r:+,}[{\"subnet\":\"$s\"}]"; done
	echo "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAMD\",\"ranges\":[$r]}"
}
bridge() { # NAME BRIDGE SUBNET...
	local n=$1 b=$2
	shift 2
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$n\",\"type\":\"bridge\",\"bridge\":\"$b\",\"isGateway\":true,$(ipam "$@")}"
}
macvlan() { # NAME SUBNET
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"macvlan\",\"master\":\"plxgup\",\"mode\":\"bridge\",$(ipam "$2")}"
}
# node_conf PLEXUS-KEYS: the node's conflist, plexus the only plugin
node_conf() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plxg\",\"plugins\":[{\"type\":\"plexus\",\"cniDir\":\"$PCACHE\",$1}]}" \
		>"$NETD/10-plexus.conflist"
}
cached() { echo "$CACHE/results/plxg-${GCID:-$CID}-eth0"; }

setup_ok() {
	gocni setup || { cat "$T_TMP/setup.out" "$T_TMP/setup.err"; fail "go-cni setup"; }
	cat "$T_TMP/setup.out"
	[ -s "$(cached)" ] || fail "libcni cached no result"
}
remove_ok() {
	gocni remove || { cat "$T_TMP/remove.err"; fail "go-cni remove"; }
	expect_eq "$(ip -n "$P" -o link show | awk -F': ' '$2 != "lo"' | wc -l)" 0 \
		"links left in the pod after remove"
}
# picks CIDRS: containerd's and CRI-O's lists checked, written to
# $T_TMP/containerd.ips and $T_TMP/crio.ips
picks() {
	python3 "$PODIP" containerd "$P" "$T_TMP/setup.out" "$1" >"$T_TMP/containerd.ips" ||
		fail "containerd's pick"
	python3 "$PODIP" crio "$P" "$(cached)" "$1" >"$T_TMP/crio.ips" ||
		fail "CRI-O's pick"
}
# kubelet_ips FAMILY LISTFILE: status.podIPs, space separated
kubelet_ips() {
	python3 "$PODIP" kubelet "$1" $(cat "$2") | tr '\n' ' ' | sed 's/ $//'
}
eth0_ip() { # 4|6: the pod's eth0 address of that family
	ip -n "$P" -"$1" -j addr show dev eth0 scope global |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["addr_info"][0]["local"])'
}
if_ip() { # IFNAME: its IPv4 address in the pod
	ip -n "$P" -4 -j addr show dev "$1" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["addr_info"][0]["local"])'
}

STATIC3="\"delegates\":[$(bridge cluster plxgb0 10.72.0.0/24 fd72::/64),$(bridge second plxgb1 10.72.1.0/24),$(macvlan third 10.72.2.0/24)]"

case_built() { [ -x "$DRV" ] || fail "$DRV missing (make)"; }

case_static() {
	fresh
	node_conf "$STATIC3"
	setup_ok
	picks 10.72.0.0/24,fd72::/64
	v4=$(eth0_ip 4) v6=$(eth0_ip 6)
	expect_eq "$(tr '\n' ' ' <"$T_TMP/containerd.ips")" "$v4 $v6 " \
		"containerd: pod IP, then additional IPs"
	expect_eq "$(jget "$T_TMP/setup.out" "j['interfaces']['net1']")" \
		"['$(if_ip net1)']" "go-cni: net1's addresses"
	expect_eq "$(jget "$T_TMP/setup.out" "j['interfaces']['net2']")" \
		"['$(if_ip net2)']" "go-cni: net2's addresses"
	expect_eq "$(head -n1 "$T_TMP/crio.ips")" "$v4" "CRI-O: pod IP"
	expect_eq "$(wc -l <"$T_TMP/crio.ips")" 4 "CRI-O: every address of the result"
	expect_eq "$(kubelet_ips 4 "$T_TMP/containerd.ips")" "$v4 $v6" "kubelet over containerd"
	expect_eq "$(kubelet_ips 4 "$T_TMP/crio.ips")" "$v4 $v6" "kubelet over CRI-O"
	remove_ok
}

# The cluster network IPv6 only, a secondary IPv4 with the pod's default
# route: containerd's ip_pref "ipv4" finds no IPv4 address on eth0 and
# takes its one address; a secondary address filed under eth0 would win.
# CRI-O's list holds the secondary's IPv4 as well, which the kubelet puts
# in status.podIPs (the documented difference; mergedResult false ends it).
V6CLUSTER="\"delegates\":[$(bridge cluster plxgb0 fd72::/64),$(bridge second plxgb1 10.72.1.0/24)]"
case_v6_cluster() { # MERGED(true|false)
	fresh
	node_conf "$V6CLUSTER,\"mergedResult\":$1"
	setup_ok
	picks fd72::/64
	v6=$(eth0_ip 6)
	expect_eq "$(cat "$T_TMP/containerd.ips")" "$v6" "containerd: the pod IP, nothing else"
	expect_eq "$(kubelet_ips 6 "$T_TMP/containerd.ips")" "$v6" "kubelet over containerd"
	if [ "$1" = true ]; then
		expect_eq "$(kubelet_ips 6 "$T_TMP/crio.ips")" "$v6 $(if_ip net1)" \
			"kubelet over CRI-O: the secondary's IPv4 in status.podIPs"
	else
		expect_eq "$(kubelet_ips 6 "$T_TMP/crio.ips")" "$v6" "kubelet over CRI-O"
		expect_eq "$(jget "$T_TMP/setup.out" "sorted(k for k, v in j['interfaces'].items() if v)")" \
			"['eth0', 'lo']" "go-cni: interfaces with addresses"
	fi
	remove_ok
}

# Selection from the pod's annotation (manifestsDir): the cluster network
# from a NAD, two secondaries in the annotation's order, one with an
# interface name of its own, the other taking the pod's default route.
case_annotation() {
	fresh
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '$(bridge cluster plxgb0 10.72.0.0/24)'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: sec-a, namespace: default}
spec:
  config: '$(macvlan sec-a 10.72.2.0/24)'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: sec-b, namespace: default}
spec:
  config: '$(bridge sec-b plxgb1 10.72.1.0/24)'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: '[{"name": "sec-a", "interface": "a0"}, {"name": "sec-b", "default-route": ["10.72.1.1"]}]'
EOF
	node_conf "\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\""
	setup_ok
	expect_eq "$(ip -n "$P" route show default | awk '{print $3, $5}')" \
		"10.72.1.1 net2" "the pod's default route (by the secondary)"
	picks 10.72.0.0/24
	v4=$(eth0_ip 4)
	expect_eq "$(cat "$T_TMP/containerd.ips")" "$v4" "containerd: pod IP"
	expect_eq "$(head -n1 "$T_TMP/crio.ips")" "$v4" "CRI-O: pod IP"
	expect_eq "$(jget "$T_TMP/setup.out" "j['interfaces']['a0']")" \
		"['$(if_ip a0)']" "go-cni: a0's addresses"
	expect_eq "$(kubelet_ips 4 "$T_TMP/crio.ips")" "$v4" "kubelet over CRI-O"
	remove_ok
}

# A secondary whose result gives its address no interface index (here
# host-local called as the network's plugin): go-cni files such an
# address under eth0, so plexus gives it the secondary's interface (else
# containerd's ip_pref "ipv4" takes it as the pod IP here).
case_unset_index() {
	fresh
	node_conf "\"delegates\":[$(bridge cluster plxgb0 fd72::/64),{\"cniVersion\":\"1.0.0\",\"name\":\"bare\",\"type\":\"host-local\",$(ipam 10.72.3.0/24)}]"
	setup_ok
	picks fd72::/64
	expect_eq "$(cat "$T_TMP/containerd.ips")" "$(eth0_ip 6)" "containerd: the pod IP, nothing else"
	bare=$(jget "$(cached)" "[a['address'].split('/')[0] for a in j['result']['ips'] if a['address'].startswith('10.72.3.')][0]")
	expect_eq "$(jget "$T_TMP/setup.out" "j['interfaces']['net1']")" \
		"['$bare']" "go-cni: the secondary's address under net1"
	remove_ok
}

# canned RESULT-FILE: a plugin that answers ADD with that result, and the
# node config directory naming it, for results plexus must never give.
canned() {
	mkdir -p "$T_TMP/canned/bin" "$T_TMP/canned/net.d"
	cp "$1" "$T_TMP/canned/result.json"
	cat >"$T_TMP/canned/bin/plxg-canned" <<EOF
#!/bin/sh
cat >/dev/null
[ "\$CNI_COMMAND" = ADD ] && cat "$T_TMP/canned/result.json"
[ "\$CNI_COMMAND" = VERSION ] && echo '{"cniVersion":"1.0.0","supportedVersions":["1.0.0"]}'
exit 0
EOF
	chmod +x "$T_TMP/canned/bin/plxg-canned"
	echo '{"cniVersion":"1.0.0","name":"plxg","plugins":[{"type":"plxg-canned"}]}' \
		>"$T_TMP/canned/net.d/10-canned.conflist"
}
# mutate EXPR: plexus' cached result (r) changed by a python statement,
# into $T_TMP/bad.json
mutate() {
	python3 -c 'import json,sys
r = json.load(open(sys.argv[1]))["result"]
exec(sys.argv[2])
json.dump(r, open(sys.argv[3], "w"))' "$(cached)" "$1" "$T_TMP/bad.json"
}

# The checks can fail: a secondary's address on eth0's interface index
# becomes containerd's pod IP, and first in the list CRI-O's. The order
# alone (the secondary's address first, indexes right) moves CRI-O's pod
# IP but not containerd's.
case_checks_fail() {
	fresh
	node_conf "$V6CLUSTER"
	setup_ok
	picks fd72::/64
	# the index of eth0 in the merged result, and the secondary's address
	mutate '
eth0 = [i for i, f in enumerate(r["interfaces"]) if f["name"] == "eth0" and f.get("sandbox")][0]
for a in r["ips"]:
    if a["address"].startswith("10.72.1."):
        a["interface"] = eth0'
	canned "$T_TMP/bad.json"
	CONFD=$T_TMP/canned/net.d BINS=$T_TMP/canned/bin:$REFDIR GCID=$CID-bad gocni setup ||
		{ cat "$T_TMP/setup.err"; fail "canned setup"; }
	cat "$T_TMP/setup.out"
	if python3 "$PODIP" containerd "$P" "$T_TMP/setup.out" fd72::/64 >/dev/null 2>"$T_TMP/why"; then
		fail "containerd's check passed a secondary address filed under eth0"
	fi
	cat "$T_TMP/why"
	grep -q "pod IP 10.72.1.* is not on eth0" "$T_TMP/why" || fail "containerd's check: wrong reason"
	CONFD=$T_TMP/canned/net.d BINS=$T_TMP/canned/bin:$REFDIR GCID=$CID-bad gocni remove ||
		fail "canned remove"
	# CRI-O: the secondary's address first
	mutate 'r["ips"].sort(key=lambda a: not a["address"].startswith("10.72.1."))'
	python3 -c 'import json,sys; print(json.dumps({"result": json.load(open(sys.argv[1]))}))' \
		"$T_TMP/bad.json" >"$T_TMP/bad-cache.json"
	if python3 "$PODIP" crio "$P" "$T_TMP/bad-cache.json" fd72::/64 >/dev/null 2>"$T_TMP/why"; then
		fail "CRI-O's check passed a secondary address first"
	fi
	cat "$T_TMP/why"
	grep -q "pod IP (the result's first address) 10.72.1" "$T_TMP/why" || fail "CRI-O's check: wrong reason"
	# containerd goes by the indexes, not the order: the same reordered
	# result still gives eth0's address
	canned "$T_TMP/bad.json"
	CONFD=$T_TMP/canned/net.d BINS=$T_TMP/canned/bin:$REFDIR GCID=$CID-order gocni setup ||
		{ cat "$T_TMP/setup.err"; fail "canned setup (reordered)"; }
	python3 "$PODIP" containerd "$P" "$T_TMP/setup.out" fd72::/64 ||
		fail "containerd's pick changed with the order of the result"
	CONFD=$T_TMP/canned/net.d BINS=$T_TMP/canned/bin:$REFDIR GCID=$CID-order gocni remove ||
		fail "canned remove"
	remove_ok
}

t_case "gocni-driver is built" case_built
[ -x "$DRV" ] || exit 0
t_case "containerd (go-cni) and CRI-O: the pod IP is eth0's, static delegates, dual-stack cluster network" case_static
t_case "IPv6-only cluster network, IPv4 secondary: containerd's pod IP is eth0's; CRI-O + kubelet list the secondary's IPv4 too" case_v6_cluster true
t_case "the same with mergedResult false: only the cluster network's address anywhere" case_v6_cluster false
t_case "selection from the pod's annotation, a secondary taking the default route: the pod IP is eth0's" case_annotation
t_case "a secondary's address without an interface index is not taken for eth0's" case_unset_index
t_case "the checks fail on a secondary address on eth0's index or first in the result; order alone does not move containerd's" case_checks_fail
