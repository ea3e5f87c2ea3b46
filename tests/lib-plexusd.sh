# Shared by the plexusd suites (66-plexusd-cache, 67-plexusd-status):
# the fixture API server in netns $H, plexusd against it (start_pd), a
# pod netns $P, a plexus config and the helpers the cases use. The
# suite sets H, P, BRP (its bridges' name prefix) and PD_KUBECONFIG (the
# fixture kubeconfig plexusd runs with) before sourcing this file.
T_NETNS="$H $P"
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api IPAM=$T_TMP/ipam CACHE=$T_TMP/cache NETD=$T_TMP/net.d
SOCK=$T_TMP/run/plexusd.sock PDNET=$T_TMP/pdnet
POD_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1;K8S_POD_INFRA_CONTAINER_ID=c1"
PD_PID="" PORT=""
PD_EXTRA=()     # more flags for start_pd
PLEXUS_EXTRA="" # more plexus keys for conf: ,"key":value...

. "$TOP/tests/lib-pdsock.sh"
stop_all() {
	stop_pd
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

nad() { # NS NAME CONFIG-JSON
	python3 -c 'import json,sys
print(json.dumps({"apiVersion": "k8s.cni.cncf.io/v1",
  "kind": "NetworkAttachmentDefinition",
  "metadata": {"name": sys.argv[2], "namespace": sys.argv[1]},
  "spec": {"config": sys.argv[3]}}))' "$@" >"$T_TMP/obj.json"
	ctl put-object "$T_TMP/obj.json" >/dev/null
}
pod() { # NETWORKS: default/p1 on node1, uid u1
	python3 -c 'import json,sys
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": {
  "name": "p1", "namespace": "default", "uid": "u1",
  "annotations": {"k8s.v1.cni.cncf.io/networks": sys.argv[1]}},
  "spec": {"nodeName": "node1"}}))' "$1" >"$T_TMP/pod.json"
	ctl put-object "$T_TMP/pod.json" >/dev/null
}
bridge_c() { # NAME BRIDGE SUBNET
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"bridge\",\"bridge\":\"$2\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$3\"}]]}}"
}

# start_pd: plexusd in $H against the fixture, caches on, no install;
# waits for its port and for both caches to be listed
start_pd() {
	trap stop_pd EXIT # each case runs in a subshell
	: >"$T_TMP/pd.log"
	mkdir -p "$PDNET"
	ip netns exec "$H" "$TOP/$BINDIR/plexusd" --no-install \
		--cni-conf-dir "$PDNET" --no-kubeconfig \
		--api-kubeconfig "$D/$PD_KUBECONFIG" --socket "$SOCK" \
		--node-name node1 --listen 127.0.0.1:0 --log-level verbose \
		"${PD_EXTRA[@]}" 2>"$T_TMP/pd.log" &
	PD_PID=$!
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$T_TMP/pd.log")
		[ -n "$PORT" ] && break
		sleep 0.05
	done
	[ -n "$PORT" ] || { cat "$T_TMP/pd.log"; fail "plexusd did not listen"; }
	wait_for "caches synced" synced
	# the late pods' fetcher opens its connection at start (GET
	# /version): done before a case clears the request log
	wait_for "the fetcher's connection" eval \
		'[ -n "$(metric "plexusd_api_requests_total{verb=\"version\",code=\"200\"}")" ]'
}
metric() { # NAME{LABELS}
	ip netns exec "$H" curl -sS "http://127.0.0.1:$PORT/metrics" |
		awk -v m="$1" '$1 == m {print $2}'
}
synced() {
	[ "$(metric 'plexusd_cache_synced{cache="pods"}')" = 1 ] &&
		[ "$(metric 'plexusd_cache_synced{cache="nads"}')" = 1 ]
}
served_config() { # NS NAME: the NAD's spec.config as plexusd serves it
	ask "NAD $1 $2" | sed -n 's/^OK //p' |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["spec"]["config"])'
}

# fresh_api: plexusd stopped, the API reset to the two NADs (cluster,
# a1), a new pod netns and empty dirs; no pod yet
fresh_api() {
	stop_pd
	ctl reset >/dev/null
	t_netns "$P"
	rm -rf "$IPAM" "$CACHE" "$NETD" "$T_TMP/run" "$T_TMP/plexus.log"
	mkdir -p "$IPAM" "$NETD"
	nad kube-system cluster "$(bridge_c cluster ${BRP}0 10.68.0.0/24)"
	nad default a1 "$(bridge_c a1 ${BRP}1 10.68.1.0/24)"
}
fresh() {
	fresh_api
	pod a1
	start_pd
	ctl clear-requests >/dev/null
}
conf() {
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus-k8s\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"confDir\":\"$NETD\",\"kubeconfig\":\"$D/kubeconfig\",\"clusterNetwork\":\"cluster\",\"plexusdSocket\":\"$SOCK\",\"logFile\":\"$T_TMP/plexus.log\",\"logLevel\":\"verbose\"$PLEXUS_EXTRA}" >"$T_TMP/plexus.conf"
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
rc() { cat "$T_TMP/rc"; }
expect_ok() {
	[ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }
}
pod_links() { ip -n "$P" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v '^lo$' | sort | tr '\n' ' '; }
NADS=/apis/k8s.cni.cncf.io/v1/network-attachment-definitions
# lists PATH: "<lists of PATH> <every watch of PATH has a resourceVersion>"
lists() {
	ctl requests --path "$1" | python3 -c 'import json,sys
r = json.load(sys.stdin)
w = [x for x in r if x["params"].get("watch") == "1"]
print(len(r) - len(w), all(int(x["params"].get("resourceVersion") or 0) > 0 for x in w))'
}
# GETs of one pod or NAD (not the lists and watches of plexusd)
pod_gets() { count GET /api/v1/namespaces/; }
nad_gets() { count GET /apis/k8s.cni.cncf.io/v1/namespaces/; }
add_del() { # SUBNET-OF-net1: ADD, check net1's address, DEL
	run ADD
	expect_ok ADD
	expect_eq "$(pod_links)" "eth0 net1 " "pod links"
	ip -n "$P" -br addr show net1 | grep -q " $1" || fail "net1 not in $1"
	run DEL
	expect_ok DEL
}

