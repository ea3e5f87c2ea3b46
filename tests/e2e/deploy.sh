# plexus deployed on the e2e node as a user would, as far as that goes
# without the node daemon (plexusd, issue 14): the cluster's own CNI (a
# bridge + host-local conflist) is there first; then `kubectl apply -f
# crd/`, a service-account token through TokenRequest, a kubeconfig for
# the plugin, the binaries copied into the node's CNI bin dir by a pod of
# the plexus image, and the primary config written around the cluster's
# network. Sourced by run.sh; uses node.sh's helpers.

# The "cluster CNI" that was on the node before plexus: Debian's reference
# plugins in the node's bin dir and a bridge + host-local conflist.
cluster_cni() {
	cp /usr/lib/cni/* "$W/cni/bin/"
	mkdir -p "$W/host-local"
	cat >"$W/cni/net.d/10-cluster.conflist" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "cluster",
  "plugins": [
    {"type": "bridge", "bridge": "e2e-cni0", "isGateway": true, "ipMasq": false,
     "ipam": {"type": "host-local", "dataDir": "$W/host-local",
              "ranges": [[{"subnet": "10.244.0.0/24"}]]}}
  ]
}
EOT
}

# TokenRequest for kube-system/plexus, one hour.
plexus_token() {
	echo '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":3600}}' \
		>"$W/tokenrequest.json"
	k create --raw /api/v1/namespaces/kube-system/serviceaccounts/plexus/token \
		-f "$W/tokenrequest.json" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["status"]["token"])'
}

install_pod() {
	cat <<EOT
apiVersion: v1
kind: Pod
metadata:
  name: plexus-install
  namespace: kube-system
spec:
  nodeName: $NODE
  hostNetwork: true
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: install
    image: localhost/plexus:e2e
    imagePullPolicy: Never
    volumeMounts:
    - {name: cnibin, mountPath: /host/opt/cni/bin}
  volumes:
  - name: cnibin
    hostPath: {path: $W/cni/bin, type: Directory}
EOT
}

install_done() { [ "$(pod_phase kube-system plexus-install)" = Succeeded ]; }
pod_phase() { k get pod -n "$1" "$2" -o 'jsonpath={.status.phase}' 2>/dev/null; }

plexus_deploy() {
	local D=$W/cni/net.d/plexus.d
	k apply -f "$TOP/crd/" >/dev/null
	k wait --for condition=established --timeout=60s \
		crd/network-attachment-definitions.k8s.cni.cncf.io crd/ipamkeys.ipam.plexus.dev >/dev/null
	k create namespace e2e >/dev/null
	k create namespace other >/dev/null
	mkdir -p "$D" "$W/plexus-cache" "$W/ipam-locks"
	plexus_token >"$D/token"
	chmod 600 "$D/token"
	cat >"$D/plexus.kubeconfig" <<EOT
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $W/pki/ca.crt
users:
- name: plexus
  user:
    tokenFile: $D/token
contexts:
- name: plexus
  context: {cluster: e2e, user: plexus}
current-context: plexus
EOT
	install_pod | k apply -f - >/dev/null
	wait_for 120 "plexus-install pod Succeeded" install_done
	# the primary config, as plexusd will write it: written aside and
	# renamed, so containerd never reads half a file
	cat >"$W/cni/net.d/00-plexus.conf.new" <<EOT
{
  "cniVersion": "1.0.0",
  "name": "plexus",
  "type": "plexus",
  "kubeconfig": "$D/plexus.kubeconfig",
  "clusterNetwork": "$W/cni/net.d/10-cluster.conflist",
  "multusNamespace": "kube-system",
  "confDir": "$W/cni/multus.d",
  "cniDir": "$W/plexus-cache",
  "namespaceIsolation": true,
  "globalNamespaces": "default",
  "logFile": "$W/log/plexus.log",
  "logLevel": "verbose",
  "ipamNodeConfig": {"store": {"type": "kubernetes",
                               "kubeconfig": "$D/plexus.kubeconfig",
                               "lockDir": "$W/ipam-locks"}}
}
EOT
	mv "$W/cni/net.d/00-plexus.conf.new" "$W/cni/net.d/00-plexus.conf"
}
