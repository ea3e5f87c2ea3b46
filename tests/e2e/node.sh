# A one-node Kubernetes cluster from real parts, all on loopback:
# etcd, kube-apiserver (TLS, tokens, RBAC, audit log),
# kube-controller-manager, kube-scheduler, containerd + runc
# (CRI, its CNI dirs the node's), kubelet. Sourced by tests/e2e/run.sh.
#
# node_up starts it under $W; node_down stops it and removes everything it
# made outside $W (and $W itself). node_down is safe to call at any point
# of node_up, and twice.
#
# Needs: W (work dir), KBIN (the Kubernetes binaries), NODE (name).

E2E_NS_LIST="e2e other kube-system"

log() { echo "# $(date +%T) $*" >&2; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.5 s.
wait_for() {
	local t=$1 what=$2 i
	shift 2
	for ((i = 0; i < t * 2; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	log "timed out after ${t}s waiting for $what"
	return 1
}

k() { "$KBIN/kubectl" --kubeconfig "$W/admin.kubeconfig" "$@"; }
ctr_() { ctr -a "$W/containerd/containerd.sock" -n k8s.io "$@"; }

# --- what the host had before: node_down removes only what is new -------

# Paths only the node's parts (kubelet, containerd, libcni) write to
# outside $W; what is new there at teardown is removed. Other programs on
# the machine may make links, netns and files at the same time: node_down
# only touches what is the node's by name (e2e-* links, the pods' veths,
# libcni cache files naming $W).
HOST_PATHS="/var/log/pods /var/log/containers /run/containerd /var/lib/kubelet
/etc/kubernetes /usr/libexec/kubernetes /opt/containerd /var/lib/containerd"
SYSCTLS="kernel.panic kernel.panic_on_oops vm.overcommit_memory"

# the node's links: e2e-* (bridges, the macvlan parent) and their ports
node_links() {
	local b
	for b in $(ip -o link | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^e2e-'); do
		echo "$b"
		ip -o link show master "$b" 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//'
	done | sort -u
}
# libcni's result cache files of this node (they name $W in the config)
cni_cache_files() {
	[ -d /var/lib/cni ] || return 0
	grep -rlF "$W/" /var/lib/cni 2>/dev/null || true
}

# every file and folder under HOST_PATHS, three levels deep
host_paths() {
	local p
	for p in $HOST_PATHS; do
		if [ -e "$p" ]; then find "$p" -maxdepth 3 2>/dev/null; fi
	done | sort
}

host_snapshot() {
	local p
	mkdir -p "$W/before"
	host_paths >"$W/before/paths"
	for p in $SYSCTLS; do echo "$p=$(sysctl -n "$p")"; done >"$W/before/sysctl"
	node_links >"$W/before/links"
	iptables-save 2>/dev/null | grep -c KUBE- >"$W/before/kube-rules" || true
}

# --- certificates and tokens ----------------------------------------------

make_pki() {
	local P=$W/pki
	mkdir -p "$P"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=plexus-e2e-ca \
		-keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver \
		-keyout "$P/apiserver.key" -out "$P/apiserver.csr" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes\n' >"$P/san.ext"
	openssl x509 -req -in "$P/apiserver.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" \
		-CAcreateserial -days 2 -extfile "$P/san.ext" -out "$P/apiserver.crt" 2>/dev/null
	openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
	openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
	ADMIN_TOKEN=$(openssl rand -hex 24)
	NODE_TOKEN=$(openssl rand -hex 24)
	# token,user,uid,"group1,group2"
	cat >"$P/tokens.csv" <<EOT
$ADMIN_TOKEN,e2e-admin,e2e-admin,"system:masters"
$NODE_TOKEN,system:node:$NODE,system:node:$NODE,"system:nodes"
EOT
	chmod 600 "$P"/*.key "$P/tokens.csv"
}

# kubeconfig FILE TOKEN
kubeconfig() {
	cat >"$1" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $W/pki/ca.crt
users:
- name: u
  user:
    token: $2
contexts:
- name: e2e
  context: {cluster: e2e, user: u}
current-context: e2e
EOT
	chmod 600 "$1"
}

# --- etcd and kube-apiserver ----------------------------------------------

start_etcd() {
	local cport pport
	cport=$(free_port)
	pport=$(free_port)
	ETCD_URL=http://127.0.0.1:$cport
	etcd --name e2e --data-dir "$W/etcd" \
		--listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
		--listen-peer-urls "http://127.0.0.1:$pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$pport" \
		--initial-cluster "e2e=http://127.0.0.1:$pport" \
		>"$W/log/etcd.log" 2>&1 &
	echo $! >"$W/pids/etcd"
	wait_for 30 etcd curl -sf "$ETCD_URL/health"
}

start_apiserver() {
	cat >"$W/audit-policy.yaml" <<EOT
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
EOT
	"$KBIN/kube-apiserver" \
		--etcd-servers="$ETCD_URL" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
		--secure-port="$API_PORT" --insecure-port=0 \
		--tls-cert-file="$W/pki/apiserver.crt" \
		--tls-private-key-file="$W/pki/apiserver.key" \
		--client-ca-file="$W/pki/ca.crt" \
		--token-auth-file="$W/pki/tokens.csv" \
		--service-account-key-file="$W/pki/sa.pub" \
		--service-account-signing-key-file="$W/pki/sa.key" \
		--service-account-issuer=https://kubernetes.default.svc \
		--authorization-mode=Node,RBAC \
		--service-cluster-ip-range=10.96.0.0/24 \
		--audit-policy-file="$W/audit-policy.yaml" \
		--audit-log-path="$W/log/audit.log" \
		--audit-log-maxsize=1000 \
		>"$W/log/kube-apiserver.log" 2>&1 &
	echo $! >"$W/pids/kube-apiserver"
	wait_for 90 kube-apiserver k get --raw /readyz
	# the default namespace and RBAC's bootstrap roles come a moment later
	wait_for 60 "bootstrap roles" k get clusterrole system:node
}

# --- containerd -------------------------------------------------------------

containerd_config() {
	local C=$W/containerd
	mkdir -p "$C"
	containerd config default | python3 -c '
import re, sys
W, C = sys.argv[1], sys.argv[2]
s = sys.stdin.read()
def put(key, val, count=1):
    global s
    s, n = re.subn(r"(?m)^(\s*%s = ).*$" % re.escape(key), lambda m: m.group(1) + val, s, count=count)
    assert n, key
put("root", "\"%s/root\"" % C)
put("state", "\"%s/state\"" % C)
s = s.replace("address = \"/run/containerd/containerd.sock\"", "address = \"%s/containerd.sock\"" % C)
put("sandbox_image", "\"localhost/pause:1\"")
put("restrict_oom_score_adj", "true")
put("netns_mounts_under_state_dir", "true")
put("bin_dir", "\"%s/cni/bin\"" % W)
put("conf_dir", "\"%s/cni/net.d\"" % W)
s = s.replace("path = \"/opt/containerd\"", "path = \"%s/opt\"" % C)
sys.stdout.write(s)
' "$W" "$C" >"$C/config.toml"
	grep -q "$C/containerd.sock" "$C/config.toml"
}

start_containerd() {
	containerd --config "$W/containerd/config.toml" \
		>>"$W/log/containerd.log" 2>&1 &
	echo $! >"$W/pids/containerd"
	wait_for 30 containerd ctr_ version
}

# --- kubelet ----------------------------------------------------------------

kubelet_config() {
	KUBELET_PORT=$(free_port)
	cat >"$W/kubelet.yaml" <<EOT
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzPort: 0
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
staticPodPath: $W/manifests
volumePluginDir: $W/kubelet/volume-plugins
evictionHard: {}
imageGCHighThresholdPercent: 100
kubeAPIQPS: 100
kubeAPIBurst: 200
serializeImagePulls: false
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
authorization:
  mode: AlwaysAllow
EOT
	mkdir -p "$W/manifests" "$W/kubelet"
	kubeconfig "$W/kubelet.kubeconfig" "$NODE_TOKEN"
}

start_kubelet() {
	"$KBIN/kubelet" --config="$W/kubelet.yaml" \
		--kubeconfig="$W/kubelet.kubeconfig" \
		--container-runtime=remote \
		--container-runtime-endpoint="unix://$W/containerd/containerd.sock" \
		--runtime-request-timeout=2m \
		--root-dir="$W/kubelet" --cert-dir="$W/kubelet/pki" \
		--hostname-override="$NODE" \
		--pod-infra-container-image=localhost/pause:1 \
		>>"$W/log/kubelet.log" 2>&1 &
	echo $! >"$W/pids/kubelet"
}

node_ready() {
	[ "$(k get node "$NODE" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# --- images (podman, no registry) ----------------------------------------

podman_() {
	CONTAINERS_CONF=$W/podman/containers.conf \
		podman --root "$W/podman/root" --runroot "$W/podman/run" \
		--storage-driver vfs "$@"
}

build_images() {
	local I=$W/images
	mkdir -p "$I/pause" "$I/busybox" "$W/podman"
	cat >"$W/podman/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$W/podman/net.d"
EOT
	# pause: Kubernetes' own, built static
	gcc -Os -static -DVERSION=e2e -o "$I/pause/pause" "$KBIN/pause.c"
	printf 'FROM scratch\nCOPY pause /pause\nENTRYPOINT ["/pause"]\n' >"$I/pause/Containerfile"
	cp /bin/busybox "$I/busybox/busybox"
	printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/bin\n' \
		>"$I/busybox/Containerfile"
	podman_ build -q --network none -t localhost/pause:1 "$I/pause" >/dev/null
	podman_ build -q --network none -t localhost/busybox:1 "$I/busybox" >/dev/null
	podman_ build -q --network none -t localhost/plexus:e2e -f "$TOP/Containerfile" "$TOP" >/dev/null
	local n
	for n in pause:1 busybox:1 plexus:e2e; do
		podman_ save -q -o "$I/${n%%:*}.tar" "localhost/$n"
		ctr_ images import "$I/${n%%:*}.tar" >/dev/null
	done
}

# --- up / down --------------------------------------------------------------

# kube-controller-manager (the DaemonSet, service-account and token
# controllers plexusd's DaemonSet needs) and kube-scheduler (it binds
# DaemonSet pods), no serving ports, no leader election.
start_controllers() {
	kubeconfig "$W/controllers.kubeconfig" "$ADMIN_TOKEN"
	"$KBIN/kube-controller-manager" \
		--kubeconfig="$W/controllers.kubeconfig" \
		--service-account-private-key-file="$W/pki/sa.key" \
		--root-ca-file="$W/pki/ca.crt" \
		--leader-elect=false --port=0 --secure-port=0 \
		>"$W/log/kube-controller-manager.log" 2>&1 &
	echo $! >"$W/pids/kube-controller-manager"
	"$KBIN/kube-scheduler" \
		--kubeconfig="$W/controllers.kubeconfig" \
		--leader-elect=false --port=0 --secure-port=0 \
		>"$W/log/kube-scheduler.log" 2>&1 &
	echo $! >"$W/pids/kube-scheduler"
	# the service-account admission needs each namespace's "default"
	# account (and its token secret) before a pod may be created there
	wait_for 60 "kube-system's default service account token" \
		sa_token_ready kube-system default
}
# sa_token_ready NS NAME: the account exists with its token secret
sa_token_ready() {
	[ -n "$(k get sa -n "$1" "$2" -o 'jsonpath={.secrets[0].name}' 2>/dev/null)" ]
}

node_up() {
	mkdir -p "$W/log" "$W/pids" "$W/cni/bin" "$W/cni/net.d"
	host_snapshot
	make_pki
	API_PORT=$(free_port)
	kubeconfig "$W/admin.kubeconfig" "$ADMIN_TOKEN"
	log "etcd"
	start_etcd
	log "kube-apiserver on 127.0.0.1:$API_PORT"
	start_apiserver
	log "kube-controller-manager and kube-scheduler"
	start_controllers
	log "the cluster's CNI (bridge + host-local), there before plexus"
	cluster_cni
	log "containerd"
	containerd_config
	start_containerd
	log "images (podman build, ctr import)"
	build_images
	log "kubelet as node $NODE"
	kubelet_config
	start_kubelet
}

# stop PIDNAME: TERM, then KILL after 10 s.
stop_proc() {
	local f=$W/pids/$1 pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -f "$f"
}

# Delete every pod sandbox containerd still has (so plexus' DEL runs),
# then kill the shims that remain.
drain_containerd() {
	[ -S "$W/containerd/containerd.sock" ] || return 0
	local s
	for s in $(ctr_ tasks ls -q 2>/dev/null); do
		ctr_ tasks kill -s KILL "$s" >/dev/null 2>&1 || true
	done
	sleep 1
	for s in $(ctr_ tasks ls -q 2>/dev/null); do
		ctr_ tasks delete -f "$s" >/dev/null 2>&1 || true
	done
	for s in $(ctr_ containers ls -q 2>/dev/null); do
		ctr_ containers delete "$s" >/dev/null 2>&1 || true
	done
}

iptables_clean() {
	local t c
	for t in filter nat mangle; do
		for c in INPUT OUTPUT FORWARD PREROUTING POSTROUTING; do
			iptables -t "$t" -S "$c" 2>/dev/null | grep -- '-j KUBE-' |
				sed 's/^-A /-D /' | while read -r rule; do
				# shellcheck disable=SC2086
				iptables -t "$t" $rule 2>/dev/null || true
			done
		done
		for c in $(iptables -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\).*/\1/p'); do
			iptables -t "$t" -F "$c" 2>/dev/null || true
		done
		for c in $(iptables -t "$t" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\).*/\1/p'); do
			iptables -t "$t" -X "$c" 2>/dev/null || true
		done
	done
}

node_down() {
	[ -n "${W:-}" ] && [ -d "$W" ] || return 0
	log "teardown"
	stop_proc kubelet
	# with the kubelet gone, containerd still runs plexus' DEL when a
	# sandbox is stopped; the pods' API objects go with etcd's data dir
	if [ -f "$W/pids/containerd" ]; then
		drain_containerd
	fi
	stop_proc containerd
	for p in $(pgrep -f "containerd-shim.*-address $W/containerd" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null || true
	done
	stop_proc kube-scheduler
	stop_proc kube-controller-manager
	stop_proc kube-apiserver
	stop_proc etcd
	# mounts under the work dir (kubelet's root dir, containerd's rootfs,
	# netns bind mounts), deepest first
	local m
	for m in $(awk -v w="$W" 'index($2, w) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	# links and netns the node made (bridges of delegates stay on the host
	# after their pods, as in production)
	local l
	for l in $(node_links | sort -r); do
		ip link del "$l" 2>/dev/null || true
	done
	for l in $(cni_cache_files); do rm -f "$l"; done
	iptables_clean
	# sysctls the kubelet sets (kernel.panic, ...) back to what they were
	if [ -f "$W/before/sysctl" ]; then
		while IFS== read -r k v; do sysctl -qw "$k=$v" || true; done <"$W/before/sysctl"
	fi
	# paths outside $W that did not exist before (pods' logs in
	# /var/log/pods, libcni's result cache in /var/lib/cni, ...)
	local p
	if [ -f "$W/before/paths" ]; then
		host_paths | comm -13 "$W/before/paths" - | sort -r | while read -r p; do
			rm -rf "$p"
		done
	fi
}

# node_leaks: one line for each thing node_down left behind; nothing
# when the host is as it was.
node_leaks() {
	local p
	for p in $(pgrep -f "$W/" 2>/dev/null); do
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] && continue
		echo "process $p: $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-150)"
	done
	awk -v w="$W" 'index($2, w) == 1 {print "mount " $2}' /proc/self/mounts
	node_links | sed 's/^/link /'
	cni_cache_files | sed 's/^/libcni cache /'
	p=$(iptables-save 2>/dev/null | grep -c KUBE- || true)
	[ "$p" -le "$(cat "$W/before/kube-rules")" ] || echo "iptables: $p KUBE- lines"
	nft list ruleset 2>/dev/null | grep -q KUBE- && echo "nft: KUBE- chains left"
	for p in $SYSCTLS; do echo "$p=$(sysctl -n "$p")"; done | comm -13 "$W/before/sysctl" - | sed 's/^/sysctl /'
	host_paths | comm -13 "$W/before/paths" - | sed 's/^/path /'
	return 0
}
