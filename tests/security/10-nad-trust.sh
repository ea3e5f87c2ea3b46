#!/bin/bash
# Trust boundary (docs/security.md): a NetworkAttachmentDefinition is
# tenant input. Each attack is a real ADD of a pod that selects a tenant's
# NAD from the manifests folder; each must be refused, the pod rolled back,
# and, checked from outside: the tenant's program did not run, the files
# it named were not created, no connection reached the endpoint it named.
. "$(dirname "$0")/../lib.sh"
H=plxsh$$ P=plxsp$$
STORE=$T_TMP/store CACHE=$T_TMP/cache M=$T_TMP/manifests E=$T_TMP/tenant

t_netns "$H"
T_NETNS="$H $P"
ip -n "$H" link add plxup type veth peer name plxupp
ip -n "$H" link set plxup up
ip -n "$H" link set plxupp up
# a listener where the tenant points its endpoints: it must see nothing
ip netns exec "$H" python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    c, a = s.accept(); open(sys.argv[2], "a").write("connection\n"); c.close()
' "$T_TMP/port" "$T_TMP/connections" &
LISTENER=$!
trap 'kill $LISTENER 2>/dev/null; t_cleanup' EXIT
for _ in $(seq 50); do [ -s "$T_TMP/port" ] && break; sleep 0.1; done
PORT=$(cat "$T_TMP/port")

fresh() {
	ip netns del "$P" 2>/dev/null || true
	ip netns add "$P"
	ip -n "$P" link set lo up
	rm -rf "$STORE" "$CACHE" "$M" "$E"
	mkdir -p "$STORE" "$M" "$E/bin"
	# the tenant's program: it leaves a mark if anything runs it
	printf '#!/bin/sh\ntouch %s/ran\necho "{}"\n' "$E" >"$E/bin/evil"
	chmod +x "$E/bin/evil"
	printf 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:%s"}}]\nusers: [{name: u, user: {tokenFile: /var/run/secrets/other-pod/token}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n' "$PORT" >"$E/stolen.kubeconfig"
}
run() { # CMD [ENV...] (and $EXTRA_ENV)
	local cmd=$1; shift
	set +e
	ip netns exec "$H" env -i PATH="$PATH" CNI_COMMAND="$cmd" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$REFDIR" NODE_NAME=n1 "$@" ${EXTRA_ENV:+"$EXTRA_ENV"} \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=tenant;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
# manifests TENANT-CONFIG-JSON: the cluster network (the operator's) and
# the tenant's NAD "evil" in its own namespace, selected by the pod.
manifests() {
	cat >"$M/all.yaml" <<EOF
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion":"1.0.0","name":"cluster","type":"plexus-bridge","bridge":"plxsb0","ipam":{"type":"plexus-ipam","range":"10.73.0.0/24"}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: evil, namespace: tenant}
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
    k8s.v1.cni.cncf.io/networks: evil
EOF
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\",\"namespaceIsolation\":true,\"logFile\":\"$T_TMP/plexus.log\",\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
msg() { jget "$T_TMP/out.json" "j.get('msg', '') + ' ' + j.get('details', '')"; }
# refused WANT-IN-MESSAGE: the ADD failed naming the cause, and nothing
# of the pod, nothing of the tenant's choosing is left or was touched.
refused() {
	expect_eq "$(rc)" 1 "ADD must fail"
	msg | grep -q -- "$1" || fail "message lacks '$1': $(msg)"
	expect_eq "$(ip -n "$P" -o link show | grep -v ': lo:' || true)" "" "pod links after the rollback"
	expect_eq "$(find "$STORE" -type f | xargs -r grep -l c1 2>/dev/null | wc -l)" 0 "addresses held"
	[ ! -e "$E/ran" ] || fail "the tenant's program ran"
	[ ! -s "$T_TMP/connections" ] || fail "a connection reached the tenant's endpoint"
	expect_eq "$(ls "$E" | sort | paste -sd' ')" "bin stolen.kubeconfig" "files in the tenant's folder"
	[ ! -e "$CACHE/c1_eth0.json" ] || { ls -la "$CACHE"; fail "record left"; }
	# the runtime's DEL after the failed ADD succeeds and changes nothing
	run DEL
	[ "$(rc)" = 0 ] || fail "DEL after the refused ADD: $(cat "$T_TMP/out.json")"
	[ ! -e "$E/ran" ] || fail "the tenant's program ran at DEL"
	[ ! -s "$T_TMP/connections" ] || fail "a connection at DEL"
	expect_eq "$(ls "$E" | sort | paste -sd' ')" "bin stolen.kubeconfig" "files in the tenant's folder after DEL"
}
tenant_ipam() { # IPAM-EXTRA: a tenant NAD on plexus-ipam with extra keys
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"plexus-macvlan\",\"master\":\"plxup\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.73.9.0/24\",$1}}"
}

case_store_etcd() {
	fresh
	manifests "$(tenant_ipam "\"store\":{\"type\":\"etcd\",\"endpoints\":[\"http://127.0.0.1:$PORT\"],\"lockDir\":\"$E/locks\"}")"
	run ADD
	msg | grep -q 'node-only setting.*/etc/plexus/ipam.conf' || fail "where it belongs not said: $(msg)"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 7 "code"
	refused 'ipam.store: a store definition'
}
case_store_kubeconfig() {
	fresh
	manifests "$(tenant_ipam "\"store\":{\"type\":\"kubernetes\",\"kubeconfig\":\"$E/stolen.kubeconfig\",\"lockDir\":\"$E/locks\"}")"
	run ADD
	refused 'ipam.store: a store definition'
}
case_store_file_path() {
	fresh
	manifests "$(tenant_ipam "\"store\":{\"type\":\"file\",\"path\":\"$E/store\",\"lockDir\":\"$E/locks\"}")"
	run ADD
	refused 'ipam.store: a store definition'
}
case_node_name() {
	fresh
	manifests "$(tenant_ipam "\"nodeName\":\"another-node\"")"
	run ADD
	refused 'ipam.nodeName: a node-only setting'
}
case_store_socket() {
	fresh
	manifests "$(tenant_ipam "\"storeSocket\":\"$E/evil.sock\"")"
	run ADD
	refused 'ipam.storeSocket: a node-only setting'
}
case_store_unknown_name() {
	fresh
	manifests "$(tenant_ipam "\"store\":\"etcd-of-another-cluster\"")"
	run ADD
	refused 'is not a store defined'
}
nested_conf() { # a NAD that is a plexus config pointing at the tenant's files
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"plexus\",\"binDir\":\"$E/bin\",\"logFile\":\"$E/log\",\"cniDir\":\"$E/cache\",\"confDir\":\"$E/conf\",\"kubeconfig\":\"$E/stolen.kubeconfig\",\"delegates\":[{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"type\":\"evil\"}]}"
}
# the planner refuses a meta plugin as a NAD's delegate (metaPlugins)
case_nested_plexus() {
	fresh
	manifests "$(nested_conf)"
	run ADD
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 7 "code"
	refused 'NAD tenant/evil: type "plexus": a meta plugin (metaPlugins)'
}
case_nested_plexus_exec() {
	fresh
	manifests "$(nested_conf)"
	run ADD PLEXUS_EXEC_ALWAYS=1
	refused 'NAD tenant/evil: type "plexus": a meta plugin (metaPlugins)'
}
case_plexus_as_ipam() {
	fresh
	manifests "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"macvlan\",\"master\":\"plxup\",\"mode\":\"bridge\",\"ipam\":$(nested_conf)}"
	run ADD
	refused 'NAD tenant/evil: ipam.type "plexus": a meta plugin (metaPlugins)'
}
# Defence in depth: plexus installed on CNI_PATH under another name (the
# planner cannot know it) is still refused at run time by its mark, as a
# delegate and, exec'ed, as the IPAM plugin of a reference plugin (the
# mark passes through the reference plugin's environment).
alias_path() {
	mkdir -p "$T_TMP/alias"
	ln -sf "$TOP/$BINDIR/plexus" "$T_TMP/alias/plxalias"
	echo "CNI_PATH=$T_TMP/alias:$TOP/$BINDIR:$REFDIR"
}
case_nested_alias() {
	fresh
	manifests "$(nested_conf | sed 's/"type":"plexus"/"type":"plxalias"/')"
	EXTRA_ENV=$(alias_path) # for the DEL too
	run ADD
	refused 'plexus called by plexus'
}
case_alias_as_ipam() {
	fresh
	manifests "{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"type\":\"macvlan\",\"master\":\"plxup\",\"mode\":\"bridge\",\"ipam\":$(nested_conf | sed 's/"type":"plexus"/"type":"plxalias"/')}"
	EXTRA_ENV=$(alias_path) # for the DEL too
	run ADD
	refused 'plexus called by plexus'
}
# a tenant string with a newline in the log stays on one line
case_log_newline() {
	fresh
	manifests "$(tenant_ipam "\"store\":\"bad\\nFAKE [error] plexus: forged line\"")"
	run ADD
	refused 'is not a store defined'
	grep -q '^FAKE' "$T_TMP/plexus.log" && fail "a forged line in the log"
	grep -qF 'bad\nFAKE' "$T_TMP/plexus.log" || fail "escaped text missing: $(cat "$T_TMP/plexus.log")"
}

t_case "security: a NAD's ipam.store (etcd endpoint) is refused, nothing contacted" case_store_etcd
t_case "security: a NAD's ipam.store kubeconfig (a stolen token) is refused" case_store_kubeconfig
t_case "security: a NAD's ipam.store file path and lockDir are refused, nothing created" case_store_file_path
t_case "security: a NAD's ipam.nodeName (another node's allocator) is refused" case_node_name
t_case "security: a NAD's ipam.storeSocket (its store operations sent elsewhere) is refused" case_store_socket
t_case "security: a NAD naming a store the node does not define is refused" case_store_unknown_name
t_case "security: a NAD of type plexus (binDir, logFile, cniDir) is refused, nothing ran" case_nested_plexus
t_case "security: the same with every plugin exec'ed" case_nested_plexus_exec
t_case "security: plexus as the IPAM plugin of a reference plugin is refused" case_plexus_as_ipam
t_case "security: plexus under another name on CNI_PATH is refused by its mark at run time" case_nested_alias
t_case "security: the same as the IPAM plugin of a reference plugin (exec'ed)" case_alias_as_ipam
t_case "security: a newline in a NAD's value does not split a log line" case_log_newline
