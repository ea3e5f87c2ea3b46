#!/bin/bash
# The same attacks as 10-nad-trust.sh with the tenant's NAD and the pod
# served by the fixture API server (tests/fixtures/apiserver): each ADD
# is refused, the pod rolled back, nothing of the tenant's choosing run,
# written or contacted.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
H=plxah$$ P=plxap$$
T_NETNS="$H $P"
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api STORE=$T_TMP/store CACHE=$T_TMP/cache E=$T_TMP/tenant

t_netns "$H"
ip -n "$H" link add plxaup type veth peer name plxaupp
ip -n "$H" link set plxaup up
ip -n "$H" link set plxaupp up
PLEXUS_APISERVER_PARENT=$$ ip netns exec "$H" "$FX/start.sh" "$D" >"$T_TMP/start.log" 2>&1
START_RC=$?
ip netns exec "$H" python3 -c '
import socket, sys, os
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("connection\n"); c.close()
' "$T_TMP/port" "$T_TMP/connections" &
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; ip netns exec "$H" "$FX/stop.sh" "$D" >/dev/null 2>&1; t_cleanup' EXIT
for _ in $(seq 50); do [ -s "$T_TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$T_TMP/port")

ctl() { ip netns exec "$H" python3 "$FX/fixturectl.py" "$D" "$@"; }
put() { # NS NAME KIND-JSON-BODY: a NAD or (NAME=pod) the pod
	python3 -c 'import json,sys
ns, name, cfg = sys.argv[1:4]
if name == "p1":
    o = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name,
         "namespace": ns, "uid": "u1",
         "annotations": {"k8s.v1.cni.cncf.io/networks": cfg}}}
else:
    o = {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
         "metadata": {"name": name, "namespace": ns}, "spec": {"config": cfg}}
print(json.dumps(o))' "$@" >"$T_TMP/obj.json"
	ctl put-object "$T_TMP/obj.json" >/dev/null
}
fresh() { # TENANT-CONFIG
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
	ctl reset >/dev/null
	ip netns del "$P" 2>/dev/null || true
	ip netns add "$P"
	rm -rf "$STORE" "$CACHE" "$E"
	mkdir -p "$STORE" "$E/bin"
	printf '#!/bin/sh\ntouch %s/ran\necho "{}"\n' "$E" >"$E/bin/evil"
	chmod +x "$E/bin/evil"
	put kube-system cluster '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"plxab0","ipam":{"type":"plexus-ipam","range":"10.74.0.0/24"}}'
	put tenant evil "$1"
	put tenant p1 evil
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"kubeconfig\":\"$D/kubeconfig\",\"clusterNetwork\":\"cluster\",\"namespaceIsolation\":true,\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
run() { # CMD
	set +e
	ip netns exec "$H" env -i PATH="$PATH" CNI_COMMAND="$1" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$REFDIR" NODE_NAME=n1 \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=tenant;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
msg() { jget "$T_TMP/out.json" "j.get('msg', '') + ' ' + j.get('details', '')"; }
refused() { # WANT-IN-MESSAGE
	run ADD
	expect_eq "$(rc)" 1 "ADD must fail"
	msg | grep -q -- "$1" || fail "message lacks '$1': $(msg)"
	expect_eq "$(ip -n "$P" -o link show | grep -v ': lo:' || true)" "" "pod links after the rollback"
	expect_eq "$(find "$STORE" -type f | xargs -r grep -l c1 2>/dev/null | wc -l)" 0 "addresses held"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left"
	run DEL
	expect_eq "$(rc)" 0 "DEL after the refused ADD"
	[ ! -e "$E/ran" ] || fail "the tenant's program ran"
	[ ! -s "$T_TMP/connections" ] || fail "a connection reached the tenant's endpoint"
	expect_eq "$(ls "$E" | sort | paste -sd' ')" "bin" "files in the tenant's folder"
}
tenant_ipam() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"plexus-macvlan\",\"master\":\"plxaup\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.74.9.0/24\",$1}}"
}
case_store() {
	fresh "$(tenant_ipam "\"store\":{\"type\":\"etcd\",\"endpoints\":[\"http://127.0.0.1:$PORT\"],\"lockDir\":\"$E/locks\"}")"
	refused 'ipam.store: a store definition'
}
case_kubeconfig() {
	fresh "$(tenant_ipam "\"store\":{\"type\":\"kubernetes\",\"kubeconfig\":\"$D/kubeconfig\",\"lockDir\":\"$E/locks\"}")"
	refused 'ipam.store: a store definition'
}
case_node_name() {
	fresh "$(tenant_ipam "\"nodeName\":\"another-node\"")"
	refused 'ipam.nodeName: a node-only setting'
}
case_nested() {
	fresh "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"plexus\",\"binDir\":\"$E/bin\",\"logFile\":\"$E/log\",\"cniDir\":\"$E/cache\",\"kubeconfig\":\"$D/kubeconfig\",\"delegates\":[{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"type\":\"evil\"}]}"
	refused 'NAD tenant/evil: type "plexus": a meta plugin (metaPlugins)'
}
t_case "security (API NAD): ipam.store with an etcd endpoint is refused, nothing contacted" case_store
t_case "security (API NAD): ipam.store with the node's kubeconfig is refused" case_kubeconfig
t_case "security (API NAD): ipam.nodeName is refused" case_node_name
t_case "security (API NAD): type plexus (binDir, logFile, cniDir, kubeconfig) is refused, nothing ran" case_nested
