#!/bin/bash
# tenantPolicy (docs/security.md): the node config locks the tenant's
# namespace to some delegate types, host interfaces and VLAN IDs. Each
# case is a real ADD of a pod that selects the tenant's NAD from the
# manifests folder: a NAD outside the policy is refused at planning (code
# 7 naming the NAD, the key, the value and the policy entry), and, checked
# from outside: no delegate ran (a marker plugin on CNI_PATH stays
# untouched), no link appeared on the host or in the pod, no address is
# held, no record written; plexusctl plan and validate give the same
# verdict. A NAD inside the policy attaches (the policy refuses no more
# than it says).
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
H=plxph$$ P=plxpp$$
STORE=$T_TMP/store CACHE=$T_TMP/cache M=$T_TMP/manifests MK=$T_TMP/marker
CTL=$TOP/$BINDIR/plexusctl

t_netns "$H"
T_NETNS="$H $P"
trap t_cleanup EXIT
# the host's interfaces: one the tenant may use, one it may not, and the
# operator's bridge
for l in plxok plxno; do
	ip -n "$H" link add $l type veth peer name ${l}p
	ip -n "$H" link set $l up
	ip -n "$H" link set ${l}p up
done
ip -n "$H" link add plxprod type bridge
# a plugin on CNI_PATH that leaves a mark when anything runs it, under the
# names the cases use
mkdir -p "$T_TMP/bin"
printf '#!/bin/sh\ntouch %s\necho "{}"\n' "$MK" >"$T_TMP/bin/marker"
chmod +x "$T_TMP/bin/marker"
ln -s marker "$T_TMP/bin/multus"

host_links() { ip -n "$H" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | paste -sd' '; }


NODE_POLICY='"tenantPolicy": {
  "namespaces": {
    "tenant": {"types": ["plexus-macvlan", "plexus-bridge", "plexus-ipam"],
               "interfaces": ["plxok", "plxtb*"], "vlans": [100, "200-209"]}
  },
  "default": {"types": []}
}'
fresh() {
	ip netns del "$P" 2>/dev/null || true
	ip netns add "$P"
	ip -n "$P" link set lo up
	rm -rf "$STORE" "$CACHE" "$M" "$MK"
	mkdir -p "$STORE" "$M"
	HOST_LINKS=$(host_links)
}
# manifests TENANT-CONFIG-JSON: the operator's cluster network (in
# kube-system, named by the node config: not judged by tenantPolicy) and
# the tenant's NAD "net" in its namespace, selected by the pod.
manifests() {
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"plxpb0","ipam":{"type":"plexus-ipam","range":"10.74.0.0/24"}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: net, namespace: tenant}
spec:
  config: '$1'
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: tenant
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: net
EOF
	cat >"$T_TMP/node.conf" <<EOF
{"cniVersion": "1.0.0", "name": "plexus", "type": "plexus", "cniDir": "$CACHE",
 "manifestsDir": "$M", "clusterNetwork": "cluster", "namespaceIsolation": true,
 "ipamNodeConfig": {"store": {"type": "file", "path": "$STORE"}},
 $NODE_POLICY}
EOF
}
run() { # CMD
	set +e
	ip netns exec "$H" env -i PATH="$PATH" CNI_COMMAND="$1" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$T_TMP/bin:$TOP/$BINDIR:$REFDIR" NODE_NAME=n1 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=tenant;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
msg() { jget "$T_TMP/out.json" "j.get('msg', '')"; }
held() { find "$STORE" -type f | xargs -r grep -l c1 2>/dev/null | wc -l; }
# refused WANT-IN-MESSAGE: code 7 naming the cause; nothing ran, nothing
# of the pod is left; plexusctl plan and validate say the same
refused() {
	expect_eq "$(rc)" 1 "ADD must fail"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 7 "code"
	msg | grep -qF -- "$1" || fail "message lacks '$1': $(msg)"
	[ ! -e "$MK" ] || fail "a delegate ran"
	expect_eq "$(ip -n "$P" -o link show | grep -v ': lo:' || true)" "" "pod links"
	expect_eq "$(host_links)" "$HOST_LINKS" "host links"
	expect_eq "$(held)" 0 "addresses held"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left"
	# the planner's verdict through plexusctl plan: the same code and msg
	set +e
	"$CTL" plan --config "$T_TMP/node.conf" --pod tenant/p1 -o json >"$T_TMP/plan.json" 2>/dev/null
	expect_eq "$?" 1 "plexusctl plan exit"
	set -e
	expect_eq "$(jget "$T_TMP/plan.json" "j['refused']['code']")" 7 "plan code"
	expect_eq "$(jget "$T_TMP/plan.json" "j['refused']['msg']")" "$(msg)" "plan message"
	# and validate --config names the same NAD, key and rule
	set +e
	"$CTL" validate --config "$T_TMP/node.conf" "$M" >"$T_TMP/v.out" 2>/dev/null
	expect_eq "$?" 1 "plexusctl validate exit"
	set -e
	grep -qF -- "$1" "$T_TMP/v.out" || fail "validate lacks '$1': $(cat "$T_TMP/v.out")"
	# the runtime's DEL after the refused ADD succeeds and changes nothing
	run DEL
	expect_eq "$(rc)" 0 "DEL after the refused ADD"
	[ ! -e "$MK" ] || fail "a delegate ran at DEL"
	expect_eq "$(host_links)" "$HOST_LINKS" "host links after DEL"
}
macvlan() { # MASTER
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"type\":\"plexus-macvlan\",\"master\":\"$1\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.74.9.0/24\"}}"
}

case_allowed() {
	fresh
	manifests "$(macvlan plxok)"
	run ADD
	[ "$(rc)" = 0 ] || fail "ADD inside the policy: $(cat "$T_TMP/out.json")"
	ip -n "$P" link show net1 >/dev/null || fail "no net1 in the pod"
	"$CTL" validate --config "$T_TMP/node.conf" "$M" >"$T_TMP/v.out" 2>&1 ||
		fail "validate refuses what the policy allows: $(cat "$T_TMP/v.out")"
	run DEL
	expect_eq "$(rc)" 0 "DEL"
	expect_eq "$(held)" 0 "addresses held after DEL"
}
case_type() {
	fresh
	manifests '{"cniVersion":"1.0.0","name":"net","type":"marker"}'
	run ADD
	refused 'NAD tenant/net: type "marker": not allowed by tenantPolicy.namespaces.tenant.types'
}
case_ipam_type() {
	fresh
	manifests '{"cniVersion":"1.0.0","name":"net","type":"plexus-macvlan","master":"plxok","ipam":{"type":"marker"}}'
	run ADD
	refused 'NAD tenant/net: ipam.type "marker": not allowed by tenantPolicy.namespaces.tenant.types'
}
case_master() {
	fresh
	manifests "$(macvlan plxno)"
	run ADD
	refused 'NAD tenant/net: master "plxno": not allowed by tenantPolicy.namespaces.tenant.interfaces'
}
case_bridge() {
	fresh
	manifests '{"cniVersion":"1.0.0","name":"net","type":"plexus-bridge","bridge":"plxprod","ipam":{"type":"plexus-ipam","range":"10.74.9.0/24"}}'
	run ADD
	refused 'NAD tenant/net: bridge "plxprod": not allowed by tenantPolicy.namespaces.tenant.interfaces'
	expect_eq "$(ip -n "$H" -o link show master plxprod | wc -l)" 0 "ports on the operator's bridge"
}
case_vlan() {
	fresh
	manifests '{"cniVersion":"1.0.0","name":"net","type":"plexus-bridge","bridge":"plxtb0","vlan":300,"ipam":{"type":"plexus-ipam","range":"10.74.9.0/24"}}'
	run ADD
	refused 'NAD tenant/net: vlan "300": not allowed by tenantPolicy.namespaces.tenant.vlans'
}
case_trunk() {
	fresh
	manifests '{"cniVersion":"1.0.0","name":"net","type":"plexus-bridge","bridge":"plxtb0","vlanTrunk":[{"id":100},{"minID":205,"maxID":215}],"ipam":{"type":"plexus-ipam","range":"10.74.9.0/24"}}'
	run ADD
	refused 'NAD tenant/net: vlanTrunk[1] "205-215": not allowed by tenantPolicy.namespaces.tenant.vlans'
}
# a conflist: every plugin is judged, not only the first
case_conflist_meta() {
	fresh
	manifests "{\"cniVersion\":\"1.0.0\",\"name\":\"net\",\"plugins\":[$(macvlan plxok | sed 's/"cniVersion":"1.0.0","name":"net",//'),{\"type\":\"multus\"}]}"
	run ADD
	refused 'NAD tenant/net: plugins[1].type "multus": a meta plugin (metaPlugins)'
}
# the same NAD in a namespace without an entry: the default entry
case_default_entry() {
	fresh
	manifests "$(macvlan plxok)"
	sed -i 's/namespace: tenant}/namespace: other}/; s/networks: net/networks: other\/net/' "$M/all.yaml"
	sed -i 's/"namespaceIsolation": true/"namespaceIsolation": false/' "$T_TMP/node.conf"
	run ADD
	refused 'NAD other/net: type "plexus-macvlan": not allowed by tenantPolicy.default.types'
}

t_case "tenantPolicy: a NAD inside the policy attaches, validate agrees" case_allowed
t_case "tenantPolicy: a type outside the policy is refused, nothing ran" case_type
t_case "tenantPolicy: an ipam.type outside the policy is refused, nothing ran" case_ipam_type
t_case "tenantPolicy: a master outside the policy is refused, no link made" case_master
t_case "tenantPolicy: the operator's bridge is refused, no port on it" case_bridge
t_case "tenantPolicy: a VLAN outside the policy is refused" case_vlan
t_case "tenantPolicy: a trunk range partly outside the policy is refused" case_trunk
t_case "tenantPolicy: a meta plugin later in a conflist is refused, nothing ran" case_conflist_meta
t_case "tenantPolicy: another namespace gets the default entry" case_default_entry
