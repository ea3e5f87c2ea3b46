#!/bin/bash
# A selection element's "default-route": after every network is attached,
# the pod's default route leaves by that network's interface via the
# gateway it names (the cluster network's default route is replaced); an
# unusable gateway fails the ADD and the pod is rolled back. NADs and the
# pod come from a manifests folder; delegates are plexus' own.
. "$(dirname "$0")/../lib.sh"
H=plxdh$$ P=plxdp$$
T_NETNS="$H $P"
STORE=$T_TMP/store CACHE=$T_TMP/cache M=$T_TMP/manifests

fresh() {
	t_netns "$H"
	t_netns "$P"
	ip -n "$H" link add plxup type veth peer name plxupp
	ip -n "$H" link set plxup up
	ip -n "$H" link set plxupp up
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
pipam() { # RANGE GATEWAY [with-default-route]
	local routes=""
	[ -n "${3:-}" ] && routes=',"routes":[{"dst":"0.0.0.0/0"}]'
	echo "\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$1\",\"gateway\":\"$2\"$routes}"
}
manifests() { # GATEWAY-REQUESTED
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"plxdb0","isGateway":true,$(pipam 10.71.0.0/24 10.71.0.1 yes)}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: storage, namespace: default}
spec:
  config: '{"cniVersion":"1.0.0","name":"storage","type":"plexus-macvlan","master":"plxup","mode":"bridge",$(pipam 10.71.1.0/24 10.71.1.1)}'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: '[{"name": "storage", "default-route": ["$1"]}]'
EOF
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\",\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
held() { find "$STORE" -type f | xargs -r grep -l c1 2>/dev/null | wc -l; }

applied_case() {
	fresh
	manifests 10.71.1.1
	run ADD
	[ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "ADD rc $(rc)"; }
	expect_eq "$(ip -n "$P" route show default | awk '{print $1, $2, $3, $4, $5}')" \
		"default via 10.71.1.1 dev net1" "pod default route (the cluster network's replaced)"
	run DEL
	expect_eq "$(rc)" 0 DEL
	expect_eq "$(held)" 0 "addresses held"
}
t_case "default-route: the pod's default route leaves by the element's interface" applied_case

unreachable_case() {
	fresh
	manifests 192.0.2.1 # not on any of the pod's networks
	run ADD
	expect_eq "$(rc)" 1 "ADD must fail"
	jget "$T_TMP/out.json" "j['msg']" | grep -q 'network "default/storage" (net1)' ||
		fail "msg: $(jget "$T_TMP/out.json" "j['msg']")"
	expect_eq "$(ip -n "$P" -o link show | grep -vc ': lo:' || true)" 0 "links after the rollback"
	expect_eq "$(held)" 0 "addresses after the rollback"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left after the rollback"
}
t_case "default-route: a gateway the pod cannot reach fails the ADD, nothing left" unreachable_case
