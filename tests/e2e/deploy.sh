# plexus deployed on the e2e node as a user deploys it: the cluster's own
# CNI (a bridge + host-local conflist) is there first; then `kubectl apply
# -f crd/` and the plexusd DaemonSet (crd/plexusd/), whose pod installs
# the plugins into the node's CNI bin dir, writes the plugin's kubeconfig
# from its service account and the primary config 00-plexus.conflist
# around the cluster's network. Sourced by run.sh; uses node.sh's helpers.

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

# plexus_daemonset: crd/plexusd/plexusd-daemonset.yaml with what an
# operator sets for a cluster (docs/plexusd.md): the image's name, the
# node's CNI dirs (this node keeps them under $W), the API server the
# plugin's kubeconfig names (no kube-proxy here, so not the service IP),
# the health port, and the plexus keys of the generated config from a
# ConfigMap. Everything else is the file as shipped.
plexus_daemonset() {
	k create --dry-run=client -o json -f "$TOP/crd/plexusd/plexusd-daemonset.yaml" \
		>"$W/plexusd-ds.json"
	python3 - "$W" "$API_PORT" "$PD_PORT" <<'PY'
import json, sys
w, api, port = sys.argv[1:]
ds = json.load(open(w + "/plexusd-ds.json"))
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
c["image"] = "localhost/plexus:e2e"
c["imagePullPolicy"] = "Never"
args = [a for a in c["command"] if not a.startswith("--listen=")]
args += ["--listen=127.0.0.1:" + port,
         "--api-server=https://127.0.0.1:" + api,
         "--plugin-conf=/etc/plexus/plugin.json"]
c["command"] = args
for p in (c["livenessProbe"], c["readinessProbe"]):
    p["httpGet"]["port"] = int(port)
# the node's dirs, mounted under /host at their host paths (what
# --host-prefix cuts from the paths written into the config)
paths = {"/opt/cni/bin": w + "/cni/bin", "/etc/cni/net.d": w + "/cni/net.d",
         "/run/plexus": w + "/run-plexus"}
moved = {}
for v in spec["volumes"]:
    if "hostPath" in v:
        moved[v["name"]] = paths[v["hostPath"]["path"]]
        v["hostPath"]["path"] = moved[v["name"]]
for m in c["volumeMounts"]:
    if m["mountPath"].startswith("/host/"):
        m["mountPath"] = "/host" + moved[m["name"]]
    elif m["name"] == "run-plexus":
        # the socket's dir at the same path as on the host: plexusd writes
        # its path into the config for plexus, which runs on the host
        m["mountPath"] = moved[m["name"]]
args = [{"--cni-bin-dir=/host/opt/cni/bin": "--cni-bin-dir=/host" + paths["/opt/cni/bin"],
         "--cni-conf-dir=/host/etc/cni/net.d": "--cni-conf-dir=/host" + paths["/etc/cni/net.d"],
         "--socket=/run/plexus/plexusd.sock": "--socket=" + paths["/run/plexus"] + "/plexusd.sock",
         "--store-socket=/run/plexus/plexusd-store.sock": "--store-socket=" + paths["/run/plexus"] + "/plexusd-store.sock"}.get(a, a)
        for a in c["command"]]
assert args != c["command"]
c["command"] = args
spec["volumes"].append({"name": "plugin-conf",
                        "configMap": {"name": "plexus-plugin-conf"}})
c["volumeMounts"].append({"name": "plugin-conf", "mountPath": "/etc/plexus",
                          "readOnly": True})
print(json.dumps(ds))
PY
}

# the plexus keys of the primary config plexusd writes (--plugin-conf):
# paths as the host sees them, since the plugin runs on the host
plugin_conf() {
	cat <<EOT
{
  "multusNamespace": "kube-system",
  "confDir": "$W/cni/multus.d",
  "cniDir": "$W/plexus-cache",
  "namespaceIsolation": true,
  "globalNamespaces": "default",
  "logFile": "$W/log/plexus.log",
  "logLevel": "verbose",
  "ipamNodeConfig": {"store": {"type": "kubernetes",
                               "kubeconfig": "$W/cni/net.d/plexus.d/plexus.kubeconfig",
                               "lockDir": "$W/ipam-locks"},
                     "storeSocket": "$W/run-plexus/plexusd-store.sock"}
}
EOT
}

pod_phase() { k get pod -n "$1" "$2" -o 'jsonpath={.status.phase}' 2>/dev/null; }
# plexusd_pod: the name of the DaemonSet's pod on this node
plexusd_pod() {
	k get pod -n kube-system -l app=plexusd -o 'jsonpath={.items[0].metadata.name}' 2>/dev/null
}
plexusd_ready() {
	[ "$(k get pod -n kube-system -l app=plexusd \
		-o 'jsonpath={.items[0].status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

plexus_deploy() {
	k apply -f "$TOP/crd/" >/dev/null
	k wait --for condition=established --timeout=60s \
		crd/network-attachment-definitions.k8s.cni.cncf.io crd/ipamkeys.ipam.plexus.dev >/dev/null
	k create namespace e2e >/dev/null
	k create namespace other >/dev/null
	mkdir -p "$W/plexus-cache" "$W/ipam-locks" "$W/run-plexus"
	wait_for 60 "plexus' service account token" sa_token_ready kube-system plexus
	wait_for 60 "e2e's default service account" sa_token_ready e2e default
	wait_for 60 "other's default service account" sa_token_ready other default
	PD_PORT=$(free_port)
	plugin_conf >"$W/plugin.json"
	k create configmap -n kube-system plexus-plugin-conf \
		--from-file=plugin.json="$W/plugin.json" >/dev/null
	plexus_daemonset | k apply -f - >/dev/null
	wait_for 180 "plexusd's pod Ready" plexusd_ready
}
