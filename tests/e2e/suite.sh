# The end-to-end suite, run by run.sh against the node node.sh started and
# plexus as deploy.sh installs it. Each case prints one TAP line (t_case
# from tests/lib.sh). Pod networks are all inside netns containerd makes
# for the pods; nothing leaves the machine.

D=$W/cni/net.d/plexus.d
# plexus-ipam's store is the node's (ipamNodeConfig in deploy.sh's primary
# config); a NAD carries pool parameters only

# --- helpers ------------------------------------------------------------------

# nad NS NAME CONFIG-JSON
nad() {
	python3 - "$1" "$2" "$3" <<'PY' | k apply -f - >/dev/null
import json, sys
ns, name, conf = sys.argv[1:]
json.loads(conf)  # a NAD with a broken config would be a bug of the suite
print(json.dumps({"apiVersion": "k8s.cni.cncf.io/v1",
                  "kind": "NetworkAttachmentDefinition",
                  "metadata": {"name": name, "namespace": ns},
                  "spec": {"config": conf}}))
PY
}

# pod NS NAME NETWORKS-ANNOTATION: create a busybox pod on the node.
pod() {
	python3 - "$1" "$2" "$3" "$NODE" <<'PY' | k apply -f - >/dev/null
import json, sys
ns, name, nets, node = sys.argv[1:]
md = {"name": name, "namespace": ns}
if nets:
    md["annotations"] = {"k8s.v1.cni.cncf.io/networks": nets}
print(json.dumps({"apiVersion": "v1", "kind": "Pod", "metadata": md,
  "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1,
           "containers": [{"name": "c", "image": "localhost/busybox:1",
                           "imagePullPolicy": "Never",
                           "command": ["sleep", "100000"]}]}}))
PY
}

phase() { k get pod -n "$1" "$2" -o 'jsonpath={.status.phase}' 2>/dev/null; }
running() { [ "$(phase "$1" "$2")" = Running ]; }
wait_running() { wait_for "${3:-90}" "pod $1/$2 Running" running "$1" "$2"; }
gone() { ! k get pod -n "$1" "$2" >/dev/null 2>&1; }
del_pod() {
	k delete pod -n "$1" "$2" --wait=false >/dev/null 2>&1 || true
	wait_for "${3:-60}" "pod $1/$2 deleted" gone "$1" "$2"
}

# sandbox_pid NS NAME: PID of the pod's sandbox (pause) task, from containerd.
sandbox_pid() {
	local ids
	ids=$(ctr_ containers ls -q "labels.\"io.kubernetes.pod.namespace\"==$1,labels.\"io.kubernetes.pod.name\"==$2,labels.\"io.cri-containerd.kind\"==sandbox" | paste -sd' ')
	[ -n "$ids" ] || return 1
	ctr_ tasks ls | awk -v ids="$ids" 'BEGIN {split(ids, a, " "); for (i in a) want[a[i]] = 1}
		($1 in want) && $3 == "RUNNING" && !n++ {print $2}'
}
# in_pod NS NAME CMD...: run CMD (host binary) in the pod's netns.
in_pod() {
	local ns=$1 name=$2 pid
	shift 2
	pid=$(sandbox_pid "$ns" "$name")
	[ -n "$pid" ] || fail "no running sandbox for $ns/$name"
	nsenter -t "$pid" -n "$@"
}
# addrs NS NAME: "ifname address/len" for each IPv4 address in the pod.
addrs() { in_pod "$1" "$2" ip -o -4 addr show | awk '{print $2, $4}'; }
# addr_of NS NAME IF: the interface's IPv4 address without prefix.
addr_of() { addrs "$1" "$2" | awk -v i="$3" '$1 == i {sub("/.*", "", $2); print $2}'; }
# expect_addr NS NAME IF PREFIX: IF has an address starting with PREFIX.
expect_addr() {
	local a
	a=$(addr_of "$1" "$2" "$3")
	case "$a" in "$4"*) ;; *) fail "$1/$2 $3: address '$a', want $4*; has: $(addrs "$1" "$2" | paste -sd,)" ;; esac
}

# ipam_recs: "address ns/pod if node" of every allocation plexus-ipam's
# kubernetes store holds, read from the IPAMKey custom resources.
ipam_recs() {
	k get ipamkeys.ipam.plexus.dev -o json | python3 -c '
import ipaddress, json, sys
items = [(o["spec"]["key"], json.loads(o["spec"]["value"]))
         for o in json.load(sys.stdin)["items"]]
# records: <pool>/a/<block>/<off> (block format 2)
recs = {k: v for k, v in items if "/a/" in k}
for k, v in items:
    if "/b/" not in k:
        continue
    # a block: held offsets in its slot table, each record beside it
    net = ipaddress.ip_network(v["cidr"])
    allocs = v.get("allocs") or {}
    t, off = v.get("slots", ""), 0
    while t:  # "." a free offset, 6 characters a held one
        if t[0] != ".":
            allocs[str(off)] = recs.get(k.replace("/b/", "/a/") + "/" + str(off), {})
        t, off = t[1:] if t[0] == "." else t[6:], off + 1
    for off, r in allocs.items():
        print(net[int(off)], "%s/%s" % (r.get("ns"), r.get("pod")), r.get("if"), r.get("node"))'
}
# events NS NAME: "reason: message" of the pod's events.
events() {
	k get events -n "$1" --field-selector "involvedObject.name=$2" \
		-o 'jsonpath={range .items[*]}{.reason}: {.message}{"\n"}{end}'
}
has_event() { events "$1" "$2" | grep -q "^$3: "; }
# the node's links (node.sh): e2e-* bridges and parents, and their ports;
# other links on the machine may come and go during the run
host_links() { node_links; }
# sandboxes: IDs of the pod sandboxes whose task runs (the kubelet keeps
# stopped sandboxes a while, until its garbage collection), but for
# kube-system's (plexusd's pod, on the host's network)
sandboxes() {
	local ids
	ids=$(ctr_ containers ls -q 'labels."io.cri-containerd.kind"==sandbox,labels."io.kubernetes.pod.namespace"!=kube-system')
	ctr_ tasks ls | awk 'NR > 1 && $3 == "RUNNING" {print $1}' | grep -xF "$ids" | sort || true
}
netns_count() { find "$W/containerd/state" -path '*netns*' -type f 2>/dev/null | wc -l; }
audit_lines() { wc -l <"$W/log/audit.log"; }
# audit_count FROM: requests plexus' service account made, in the audit log
# after its line FROM; with a second argument, "N verb resource" lines
audit_count() {
	python3 - "$PLEXUS_USER" "$W/log/audit.log" "$1" "${2:-}" <<'PY'
import collections, json, sys
user, path, start, detail = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
c = collections.Counter()
for i, line in enumerate(open(path)):
    if i < start:
        continue
    e = json.loads(line)
    if e.get("user", {}).get("username") == user:
        o = e.get("objectRef", {})
        c[(e["verb"], o.get("resource", "?") + ("/" + o["subresource"] if o.get("subresource") else ""))] += 1
if detail:
    for (verb, res), n in sorted(c.items()):
        print(n, verb, res)
else:
    print(sum(c.values()))
PY
}
PLEXUS_USER=system:serviceaccount:kube-system:plexus

# --- set-up -------------------------------------------------------------------

c_node_ready() {
	wait_for 90 "node Ready" node_ready
	k get node "$NODE" -o wide
}
t_case "node $NODE Ready (kubelet 1.20 + containerd + runc, CRI)" c_node_ready

# can_i VERB RESOURCE: yes or no for the plexus service account
# (kubectl auth can-i exits 1 on no)
can_i() { k auth can-i "$1" "$2" --as "$PLEXUS_USER" 2>/dev/null || true; }

c_deploy() {
	plexus_deploy
	local f c
	# the primary config plexusd generated around the cluster's network
	c=$W/cni/net.d/00-plexus.conflist
	[ -f "$c" ] || fail "plexusd wrote no $c"
	expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"][0]["clusterNetwork"])' "$c")" \
		"$W/cni/net.d/10-cluster.conflist" "clusterNetwork of the generated config"
	expect_eq "$(stat -c %a "$D/plexus.kubeconfig")" 600 "mode of the plugin's kubeconfig"
	expect_eq "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plugins"][0]["plexusdSocket"])' "$c")" \
		"$W/run-plexus/plexusd.sock" "plexusdSocket of the generated config"
	[ -S "$W/run-plexus/plexusd.sock" ] || fail "no plexusd socket on the host"
	expect_eq "$(stat -c %a "$W/run-plexus/plexusd.sock")" 600 "mode of plexusd's socket"
	grep -q "server: https://127.0.0.1:$API_PORT\|\"server\": *\"https://127.0.0.1:$API_PORT\"" "$D/plexus.kubeconfig" ||
		fail "the plugin's kubeconfig does not name the API server"
	for f in plexus plexus-ipam plexus-bridge plexus-macvlan; do
		cmp "$TOP/build/image/opt/cni/bin/$f" "$W/cni/bin/$f" ||
			fail "$f in the node's CNI bin dir differs from the build"
	done
	k get sa -n kube-system plexus >/dev/null
	expect_eq "$(can_i patch pods)" yes "plexus may patch pods"
	expect_eq "$(can_i get network-attachment-definitions.k8s.cni.cncf.io)" yes "plexus may get NADs"
	expect_eq "$(can_i create ipamkeys.ipam.plexus.dev)" yes "plexus may create IPAMKeys"
	expect_eq "$(can_i list secrets)" no "plexus may list secrets"
}
t_case "deploy: kubectl apply -f crd/ and the plexusd DaemonSet: plugins installed, the plugin's kubeconfig and 00-plexus.conflist written" c_deploy

c_nads() {
	# the macvlan networks' parent: one end of a veth pair (this kernel
	# has no dummy links)
	ip link add e2e-mv0 type veth peer name e2e-mv0p
	ip link set e2e-mv0p up
	ip link set e2e-mv0 up
	nad e2e nbr "{\"cniVersion\":\"1.0.0\",\"name\":\"nbr\",\"type\":\"plexus-bridge\",\"bridge\":\"e2e-nbr\",\"capabilities\":{\"mac\":true},\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.56.1.0/24\"}}"
	nad e2e nmv "{\"cniVersion\":\"1.0.0\",\"name\":\"nmv\",\"type\":\"plexus-macvlan\",\"master\":\"e2e-mv0\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.56.2.0/24\",\"gateway\":\"10.56.2.1\"}}"
	nad e2e rbr "{\"cniVersion\":\"1.0.0\",\"name\":\"rbr\",\"type\":\"bridge\",\"bridge\":\"e2e-rbr\",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$W/host-local\",\"ranges\":[[{\"subnet\":\"10.56.3.0/24\"}]]}}"
	nad e2e rmv "{\"cniVersion\":\"1.0.0\",\"name\":\"rmv\",\"plugins\":[{\"type\":\"macvlan\",\"master\":\"e2e-mv0\",\"mode\":\"bridge\",\"capabilities\":{\"ips\":true},\"ipam\":{\"type\":\"static\"}}]}"
	nad other private "{\"cniVersion\":\"1.0.0\",\"name\":\"private\",\"type\":\"plexus-bridge\",\"bridge\":\"e2e-opriv\",\"ipam\":{\"type\":\"static\",\"addresses\":[{\"address\":\"10.56.9.2/24\"}]}}"
	expect_eq "$(k get net-attach-def -n e2e -o name | wc -l)" 4 "NADs in e2e"
}
t_case "NADs: plexus-bridge and plexus-macvlan on plexus-ipam (kubernetes store), Debian's bridge + host-local and macvlan + static" c_nads

# --- pods with annotations ------------------------------------------------------

PB_JSON='[{"name":"nbr","interface":"br1","mac":"02:e2:e0:00:00:01"},{"name":"rmv","interface":"sm1","ips":["10.56.5.10/24"]},{"name":"nmv","namespace":"e2e","interface":"mv1","default-route":["10.56.2.1"]}]'

c_pod_comma() {
	pod e2e pa "nbr,nmv@macv1,rbr"
	wait_running e2e pa
	expect_addr e2e pa eth0 10.244.0.
	expect_addr e2e pa net1 10.56.1.
	expect_addr e2e pa macv1 10.56.2.
	expect_addr e2e pa net3 10.56.3.
	expect_eq "$(addrs e2e pa | grep -vc '^lo ')" 4 "interfaces with an address"
}
t_case "pod with the comma form (nbr,nmv@macv1,rbr) Running with eth0, net1, macv1, net3 addressed" c_pod_comma

c_pod_json() {
	pod e2e pb "$PB_JSON"
	wait_running e2e pb
	expect_addr e2e pb eth0 10.244.0.
	expect_addr e2e pb br1 10.56.1.
	expect_eq "$(addr_of e2e pb sm1)" 10.56.5.10 "static address from ips"
	expect_addr e2e pb mv1 10.56.2.
	expect_eq "$(in_pod e2e pb ip -o link show br1 | sed -n 's/.*link\/ether \([^ ]*\).*/\1/p')" 02:e2:e0:00:00:01 "mac of br1"
	local r
	r=$(in_pod e2e pb ip -4 route show default)
	[ "$(echo "$r" | wc -l)" = 1 ] || fail "default routes: $r"
	case "$r" in "default via 10.56.2.1 dev mv1"*) ;; *) fail "default route: '$r'" ;; esac
}
t_case "pod with the JSON form: interface, mac, ips (static IPAM), default-route; checked inside its netns" c_pod_json

c_ping() {
	local b
	b=$(addr_of e2e pb br1)
	in_pod e2e pa busybox ping -c 2 -W 2 -I net1 "$b"
	b=$(addr_of e2e pb mv1)
	in_pod e2e pa busybox ping -c 2 -W 2 -I macv1 "$b"
}
t_case "pods reach each other over secondary networks (plexus-bridge and plexus-macvlan, ping)" c_ping

c_status() {
	k get pod -n e2e pb -o json >"$T_TMP/pb.json"
	python3 - "$T_TMP/pb.json" "$(addr_of e2e pb eth0)" "$(addr_of e2e pb br1)" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
eth0, br1 = sys.argv[2], sys.argv[3]
st = json.loads(p["metadata"]["annotations"]["k8s.v1.cni.cncf.io/network-status"])
assert [e["interface"] for e in st] == ["eth0", "br1", "sm1", "mv1"], st
for e in st:
    for key in ("name", "interface", "ips", "mac", "default", "dns"):
        assert key in e, (key, e)
assert st[0]["name"] == "cluster" and st[0]["default"] is True, st[0]
assert st[0]["ips"] == [eth0], (st[0], eth0)
assert [e["name"] for e in st[1:]] == ["e2e/nbr", "e2e/rmv", "e2e/nmv"], st
assert not any(e["default"] for e in st[1:]), st
assert st[1]["ips"] == [br1] and st[1]["mac"] == "02:e2:e0:00:00:01", st[1]
assert st[2]["ips"] == ["10.56.5.10"], st[2]
assert p["status"]["podIP"] == eth0, (p["status"].get("podIP"), eth0)
PY
}
t_case "network-status read back with kubectl has the spec's fields; status.podIP is the cluster network's address" c_status

# pd_metrics FILE: plexusd's /metrics (the DaemonSet's probe port) into
# FILE; pd_metric FILE NAME{LABELS}: that line's value in it
pd_metrics() {
	local port
	port=$(k get ds -n kube-system plexusd -o 'jsonpath={.spec.template.spec.containers[0].livenessProbe.httpGet.port}')
	curl -sf "http://127.0.0.1:$port/metrics" >"$1"
}
pd_metric() { awk -v m="$2" '$1 == m {print $2}' "$1"; }

c_ipam_records() {
	ipam_recs >"$T_TMP/recs"
	grep -q "^$(addr_of e2e pa net1) e2e/pa net1 " "$T_TMP/recs" || fail "no record for pa net1: $(cat "$T_TMP/recs")"
	grep -q "^$(addr_of e2e pb br1) e2e/pb br1 " "$T_TMP/recs" || fail "no record for pb br1"
	grep -q "^$(addr_of e2e pa macv1) e2e/pa macv1 " "$T_TMP/recs" || fail "no record for pa macv1"
	expect_eq "$(wc -l <"$T_TMP/recs")" 4 "allocations"
	# their store operations went through plexusd's warm stores
	# (storeSocket in the node settings; plexusd reads the kubeconfig
	# they name through --host-prefix)
	local m="$T_TMP/pd.metrics" puts patches
	pd_metrics "$m"
	puts=$(pd_metric "$m" 'plexusd_store_requests_total{op="put",result="ok"}')
	[ "${puts:-0}" -ge 4 ] || fail "IPAM writes through plexusd: ${puts:-none}"
	# plexusd's network-status PATCHes to the real kube-apiserver, timed
	# by plexusd: at least one per pod ADD so far (pa, pb)
	patches=$(pd_metric "$m" 'plexusd_api_duration_seconds_count{verb="patch"}')
	[ "${patches:-0}" -ge 2 ] || fail "network-status PATCHes timed by plexusd: ${patches:-none}"
	! grep -q "using the store directly\|asking the store" "$W/log/plexus.log" ||
		fail "plexus-ipam fell back: $(grep -m1 "using the store directly\|asking the store" "$W/log/plexus.log")"
}
t_case "plexus-ipam's IPAMKey resources (kubectl) hold one record per pod interface on its networks, written through plexusd's warm stores" c_ipam_records

# --- refusals -----------------------------------------------------------------

back_as_before() { # LINKS SANDBOXES NETNS
	[ "$(host_links)" = "$1" ] && [ "$(sandboxes)" = "$2" ] && [ "$(netns_count)" = "$3" ]
}
# refused NS NAME ANNOT PATTERN
refused() {
	local links_before sb_before ns_before
	links_before=$(host_links)
	sb_before=$(sandboxes)
	ns_before=$(netns_count)
	pod "$1" "$2" "$3"
	wait_for 60 "FailedCreatePodSandBox for $1/$2" has_event "$1" "$2" FailedCreatePodSandBox
	events "$1" "$2" | grep FailedCreatePodSandBox | head -1 >"$T_TMP/ev"
	grep -q -- "$4" "$T_TMP/ev" || fail "event without plexus' message /$4/: $(cat "$T_TMP/ev")"
	[ "$(phase "$1" "$2")" = Pending ] || fail "phase $(phase "$1" "$2")"
	del_pod "$1" "$2"
	# a sandbox retry in flight when the pod went (plexus answers an ADD
	# for a pod that is gone with an empty success, as Multus v4.2) is
	# torn down by the kubelet moments later: wait for it
	wait_for 60 "the node back as before $1/$2" back_as_before \
		"$links_before" "$sb_before" "$ns_before" || true
	expect_eq "$(host_links)" "$links_before" "host links"
	expect_eq "$(sandboxes)" "$sb_before" "sandboxes"
	expect_eq "$(netns_count)" "$ns_before" "netns"
	! ipam_recs | grep -q " $1/$2 " || fail "IPAM record left for $1/$2"
	cat "$T_TMP/ev"
}
c_refuse_missing() { refused e2e pmissing "nbr,doesnotexist" "e2e/doesnotexist"; }
t_case "a pod asking for a missing NAD: FailedCreatePodSandBox with plexus' message, nothing left on the node" c_refuse_missing
c_refuse_isolation() { refused e2e pisol "other/private" "namespaceIsolation"; }
t_case "a pod asking for another namespace's NAD (namespaceIsolation): refused with plexus' message, nothing left" c_refuse_isolation
# a tenant's NAD naming its own IPAM store (a kubeconfig of its choosing):
# refused before any connection or file (docs/security.md)
c_refuse_store() {
	nad e2e nsteal "{\"cniVersion\":\"1.0.0\",\"name\":\"nsteal\",\"type\":\"plexus-macvlan\",\"master\":\"e2e-mv0\",\"mode\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.56.8.0/24\",\"store\":{\"type\":\"kubernetes\",\"kubeconfig\":\"/var/lib/kubelet/kubeconfig\"}}}"
	refused e2e psteal "nsteal" "ipam.store"
	k delete net-attach-def -n e2e nsteal >/dev/null
}
t_case "a NAD naming its own IPAM store (node-only key): refused with plexus' message, nothing left" c_refuse_store

# --- delete -------------------------------------------------------------------

c_delete() {
	local a b
	a=$(addr_of e2e pa net1)
	b=$(addr_of e2e pb br1)
	pod e2e pc "nbr"
	wait_running e2e pc
	local links_with
	links_with=$(host_links | wc -l)
	del_pod e2e pc
	ipam_recs >"$T_TMP/recs"
	! grep -q " e2e/pc " "$T_TMP/recs" || fail "pc's address still held: $(cat "$T_TMP/recs")"
	grep -q "^$a e2e/pa " "$T_TMP/recs" || fail "pa's address lost"
	grep -q "^$b e2e/pb " "$T_TMP/recs" || fail "pb's address lost"
	expect_eq "$(host_links | wc -l)" "$((links_with - 2))" "host links after delete (pc's veths on e2e-cni0 and e2e-nbr)"
}
t_case "deleting a pod frees its addresses (IPAMKeys) and its links; other pods keep theirs" c_delete

# --- faults -------------------------------------------------------------------

# pod_nets NS NAME: the pod's interfaces and addresses (to compare).
pod_nets() { addrs "$1" "$2" | sort; }

# the kubelet renews its node lease every 10 s
lease_renewed() { k get lease -n kube-node-lease "$NODE" -o 'jsonpath={.spec.renewTime}'; }
lease_newer() { [ "$(lease_renewed)" != "$1" ]; }

c_restart_kubelet() {
	local before lease
	before=$(pod_nets e2e pa)
	lease=$(lease_renewed)
	stop_proc kubelet
	start_kubelet
	# the node stays Ready in the API while its kubelet is down for less
	# than the node controller's grace period (40 s): wait for the new
	# kubelet's lease renewal, then for its status (a kubelet that just
	# started may report NotReady until its runtime and PLEG checks pass)
	wait_for 90 "kubelet's lease renewed after restart" lease_newer "$lease"
	wait_for 60 "node Ready after the kubelet's restart" node_ready || fail "node not Ready"
	sleep 5
	running e2e pa && running e2e pb || fail "pods not Running"
	expect_eq "$(pod_nets e2e pa)" "$before" "pa's networks"
	pod e2e pk "nbr"
	wait_running e2e pk
	expect_addr e2e pk net1 10.56.1.
}
t_case "fault: kubelet restarted; pods stay Running with their networks, a new pod attaches" c_restart_kubelet

c_restart_containerd() {
	local before sb
	before=$(pod_nets e2e pb)
	sb=$(sandboxes)
	stop_proc containerd
	start_containerd
	wait_for 90 "node Ready after containerd restart" node_ready
	sleep 5
	running e2e pa && running e2e pb && running e2e pk || fail "pods not Running"
	expect_eq "$(sandboxes)" "$sb" "sandboxes (none recreated)"
	expect_eq "$(pod_nets e2e pb)" "$before" "pb's networks"
	in_pod e2e pa busybox ping -c 1 -W 2 -I net1 "$(addr_of e2e pb br1)"
}
t_case "fault: containerd restarted with pods running; pods Running, same sandboxes and networks" c_restart_containerd

c_delete_mid_add() {
	local links_before ns_before
	links_before=$(host_links)
	ns_before=$(netns_count)
	# plexus-ipam serialises one node's allocations in a pool with an
	# flock in lockDir: holding them all stalls the next ADD inside the
	# sandbox's creation, while the pod is deleted
	ls "$W"/ipam-locks/* >/dev/null || fail "no lock files in $W/ipam-locks"
	python3 -c '
import fcntl, sys, time
fs = [open(f, "a") for f in sys.argv[2:]]
for f in fs:
    fcntl.flock(f, fcntl.LOCK_EX)
open(sys.argv[1], "w").close()
time.sleep(20)' "$T_TMP/held" "$W"/ipam-locks/* &
	local holder=$!
	wait_for 10 "locks held" [ -e "$T_TMP/held" ]
	pod e2e pdel "nbr,nmv"
	wait_for 30 "plexus attaching pdel" plexus_running
	k delete pod -n e2e pdel --wait=false >/dev/null
	sleep 2
	plexus_running || fail "plexus no longer waiting when the pod was deleted"
	kill "$holder" 2>/dev/null || true
	wait "$holder" 2>/dev/null || true
	wait_for 90 "pdel gone" gone e2e pdel
	# a DEL that met the held ADD was told to try again (code 11); the
	# kubelet's next StopPodSandbox frees the address and removes the
	# sandbox's links and netns, which can come after the pod object is
	# gone: wait for all of it, say how long, then check each
	local t0=$SECONDS
	wait_for 120 "pdel cleaned up" pdel_cleaned "$links_before" "$ns_before" ||
		true
	echo "# pdel cleaned up $((SECONDS - t0)) s after the pod was gone"
	no_recs_of e2e/pdel || fail "pdel's address still held 120 s after the pod was gone"
	expect_eq "$(host_links)" "$links_before" "host links"
	[ -z "$(sandbox_pid e2e pdel || true)" ] || fail "pdel's sandbox still running"
	expect_eq "$(netns_count)" "$ns_before" "pod netns"
	running e2e pa && running e2e pb || fail "other pods disturbed"
}
no_recs_of() { ! ipam_recs | grep -q " $1 "; }
# pdel_cleaned LINKS NETNS: pdel's address, links, sandbox and netns gone
pdel_cleaned() {
	no_recs_of e2e/pdel && [ "$(host_links)" = "$1" ] &&
		[ -z "$(sandbox_pid e2e pdel || true)" ] && [ "$(netns_count)" = "$2" ]
}
plexus_running() { ps -eo args | grep -q "^$W/cni/bin/plexus\( \|$\)"; }
t_case "fault: pod deleted while plexus is attaching it (ADD held on the IPAM lock); nothing leaked" c_delete_mid_add

# --- storm --------------------------------------------------------------------

STORM=${E2E_STORM:-50}
storm_all_running() {
	[ "$(k get pods -n e2e -o 'jsonpath={range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}' |
		grep -c '^s[0-9]* Running$')" = "$STORM" ]
}
# plexusd_back OLD: the DaemonSet's pod is a new one, and Ready
plexusd_back() {
	local p
	p=$(plexusd_pod)
	[ -n "$p" ] && [ "$p" != "$1" ] && plexusd_ready
}
c_storm() {
	local i t0 t1 a0 a1 n pd0 conf
	pd0=$(plexusd_pod)
	conf=$(cat "$W/cni/net.d/00-plexus.conflist")
	a0=$(audit_lines)
	t0=$(date +%s.%N)
	for ((i = 0; i < STORM; i++)); do
		pod e2e "s$i" "nbr,nmv,rbr" &
		((i % 10 == 9)) && wait
		# half-way: plexusd's pod is deleted (the DaemonSet makes a new
		# one); ADDs in flight must not notice
		((i == STORM / 2)) && k delete pod -n kube-system "$pd0" --wait=false >/dev/null
	done
	wait
	wait_for 600 "$STORM storm pods Running" storm_all_running
	t1=$(date +%s.%N)
	wait_for 180 "plexusd's new pod Ready" plexusd_back "$pd0" || fail "plexusd not back after its pod was deleted"
	expect_eq "$(cat "$W/cni/net.d/00-plexus.conflist")" "$conf" "the primary config after plexusd's restart"
	sleep 2
	n=$(audit_count "$a0")
	echo "# storm: $STORM pods x 3 networks Running in $(python3 -c "print('%.1f' % ($t1 - $t0))") s; plexus made $n API requests ($(python3 -c "print('%.2f' % ($n / $STORM))") per pod, kube-apiserver audit log)"
	audit_count "$a0" by-verb | sed 's/^/# storm:   /' 
	# plexusd's cache serves the pods and NADs (but for the ADDs while
	# its pod is replaced, which fall back to the API)
	n=$(audit_count "$a0" by-verb | awk '$2 == "get" && $3 == "network-attachment-definitions" {print $1}')
	[ "${n:-0}" -lt $((STORM * 3)) ] || fail "$n NAD GETs for $STORM pods x 3: plexusd's cache served none"
	ipam_recs >"$T_TMP/recs"
	expect_eq "$(grep -c ' e2e/s[0-9]* ' "$T_TMP/recs")" "$((STORM * 2))" "IPAM records of the storm"
	expect_eq "$(awk '{print $1}' "$T_TMP/recs" | sort | uniq -d | wc -l)" 0 "duplicate addresses"
	for ((i = 0; i < STORM; i += 7)); do
		expect_addr e2e "s$i" net3 10.56.3.
	done
}
t_case "storm: $STORM pods with 3 networks each reach Running while plexusd's pod is deleted and recreated; API requests per pod from the audit log" c_storm
grep '^# storm' "$T_TMP/case.out" || true

c_storm_delete() {
	local i a0 t0
	a0=$(audit_lines)
	t0=$(date +%s)
	for ((i = 0; i < STORM; i++)); do echo "s$i"; done |
		xargs "$KBIN/kubectl" --kubeconfig "$W/admin.kubeconfig" delete pod -n e2e --wait=false >/dev/null
	for ((i = 0; i < STORM; i++)); do
		wait_for 300 "s$i gone" gone e2e "s$i"
	done
	sleep 2
	echo "# storm delete: $STORM pods gone in $(($(date +%s) - t0)) s; plexus made $(audit_count "$a0") API requests"
	audit_count "$a0" by-verb | sed 's/^/# storm delete:   /' 
	! ipam_recs | grep -q ' e2e/s[0-9]* ' || fail "storm addresses still held"
}
t_case "storm pods deleted: every address freed" c_storm_delete
grep '^# storm' "$T_TMP/case.out" || true

c_final() {
	for p in pa pb pk; do running e2e "$p" || fail "$p not Running"; done
	expect_addr e2e pa net1 10.56.1.
	expect_addr e2e pb mv1 10.56.2.
	ipam_recs >"$T_TMP/recs"
	expect_eq "$(wc -l <"$T_TMP/recs")" 5 "allocations (pa x2, pb x2, pk)"
	for p in pa pb pk; do del_pod e2e "$p"; done
	sleep 1
	expect_eq "$(ipam_recs | wc -l)" 0 "allocations after every pod is gone"
	expect_eq "$(sandboxes | wc -l)" 0 "sandboxes"
	expect_eq "$(netns_count)" 0 "pod netns"
	local v
	v=$(node_links | grep -v '^e2e-' || true)
	[ -z "$v" ] || fail "bridge ports left: $v"
	# a figure: the real kube-apiserver's PATCH as plexusd times it
	# (the first one also opens plexusd's connection)
	local m="$T_TMP/pd.metrics" h='plexusd_api_duration_seconds' pn ps
	pd_metrics "$m"
	pn=$(pd_metric "$m" "${h}_count{verb=\"patch\"}")
	ps=$(pd_metric "$m" "${h}_sum{verb=\"patch\"}")
	within() { pd_metric "$m" "${h}_bucket{verb=\"patch\",le=\"$1\"}"; }
	echo "# figure: network-status PATCH to kube-apiserver through plexusd: $pn timed, mean $(python3 -c "print(f'{1000 * ${ps:-0} / max(${pn:-0}, 1):.2f}')") ms round trip, $(within 0.005) within 5 ms, $(within 0.01) within 10 ms, $(within 0.025) within 25 ms ($h)" >>"$T_TMP/figures"
}
t_case "after the faults every remaining pod is Running with its networks; all deleted, nothing held or leaked" c_final
[ -f "$T_TMP/figures" ] && cat "$T_TMP/figures"
true
