#!/bin/bash
# plexusd against direct mode on the fixture API server (issue 14's bench
# rows): the same 3-network pods (the cluster network and two NADs, every
# delegate plexus-testplugin, which does nothing: what is measured is
# plexus' control plane) added and deleted by plexus asking the API
# itself, and asking plexusd's caches first.
#  - a 100-pod storm (4 calls at a time): wall time, and API requests per
#    pod ADD and DEL by the fixture's request log, plexus' own and
#    plexusd's (its network-status PATCHes; plexusd runs with the
#    fixture's node token, its lists and watches left out);
#  - one pod's ADD+DEL alternating call by call (tests/bench/cnibench.c):
#    plexus with plexusd, plexus without, plexus with the same three
#    networks in its own config (`delegates`: no API, no plexusd) and the
#    three delegates called directly: the meta overhead with plexusd, and
#    what it is made of (plexus itself: its exec, config, record and
#    sync; the control plane: the socket, and the network-status PATCH,
#    whose round trip plexusd times (plexusd_api_duration_seconds) and
#    whose server time the fixture logs);
#  - plexusd's RSS with those caches, and its peak RSS (VmHWM) once
#    B_BIG_PODS pods (1000) and B_BIG_NADS NADs (5000) more are cached
#    (B_BIG_PODS=0 skips it).
# Process starts dominate the times (exec-bound: plexus, 3 delegates per
# call); the request counts do not depend on the machine.
#   B_PODS  storm size (default 100)   B_ITER  cnibench iterations (200)
#   B_BIG_PODS, B_BIG_NADS  the cache size of the RSS row (1000, 5000)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
TB=$BIN/tests
FX=$TOP/tests/fixtures/apiserver
NPODS=${B_PODS:-100}
N=${B_ITER:-200}
BIG_PODS=${B_BIG_PODS:-1000} BIG_NADS=${B_BIG_NADS:-5000}
W=$(mktemp -d /tmp/plexus-bench-pd.XXXXXX)
H=plxbpd-h$$ P=plxbpd-p$$
D=$W/api SOCK=$W/run/plexusd.sock
PD_PID=""
. "$TOP/tests/lib-pdsock.sh"
cleanup() {
	[ -z "$PD_PID" ] || { kill "$PD_PID" 2>/dev/null; wait "$PD_PID" 2>/dev/null; } || true
	ip netns exec "$H" "$FX/stop.sh" "$D" >/dev/null 2>&1 || true
	for n in "$H" "$P"; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$H"; ip netns add "$P"
ip -n "$H" link set lo up
PLEXUS_APISERVER_PARENT=$$ ip netns exec "$H" "$FX/start.sh" "$D" >"$W/start.log" 2>&1
ctl() { ip netns exec "$H" python3 "$FX/fixturectl.py" "$D" "$@"; }

noop() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"plexus-testplugin\"}"; }
for i in 1 2 3; do noop "noop$i" >"$W/noop$i.conf"; done
python3 - "$NPODS" "$(noop cluster)" "$(noop n1)" "$(noop n2)" >"$W/objects.json" <<'EOF'
import json, sys
n, cluster, n1, n2 = int(sys.argv[1]), *sys.argv[2:]
def nad(ns, name, conf):
    return {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
            "metadata": {"name": name, "namespace": ns}, "spec": {"config": conf}}
items = [nad("kube-system", "cluster", cluster), nad("default", "n1", n1), nad("default", "n2", n2)]
items += [{"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"p{i}", "namespace": "default", "uid": f"u{i}",
                        "annotations": {"k8s.v1.cni.cncf.io/networks": "n1,n2"}},
           "spec": {"nodeName": "node1"}} for i in range(n)]
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
EOF
ctl put-object "$W/objects.json" >/dev/null

conf() { # FILE [plexusdSocket]
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus-k8s\",\"type\":\"plexus\",\"cniDir\":\"$W/cache\",\"confDir\":\"$W/net.d\",\"binDir\":\"$TB\",\"kubeconfig\":\"$D/kubeconfig\",\"clusterNetwork\":\"cluster\"${2:+,\"plexusdSocket\":\"$2\"}}" >"$1"
}
mkdir -p "$W/net.d"
conf "$W/direct.conf"
# the same three networks, plexus alone: no API, no plexusd
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus-static\",\"type\":\"plexus\",\"cniDir\":\"$W/cache-static\",\"binDir\":\"$TB\",\"delegates\":[$(noop cluster),$(noop n1),$(noop n2)]}" >"$W/static.conf"
conf "$W/pd.conf" "$SOCK"

start_pd() {
	mkdir -p "$W/pdnet" "$W/run"
	ip netns exec "$H" "$BIN/plexusd" --no-install --cni-conf-dir "$W/pdnet" \
		--no-kubeconfig --api-kubeconfig "$D/kubeconfig-node" --socket "$SOCK" \
		--node-name node1 --listen 127.0.0.1:0 --log-level verbose 2>"$W/pd.log" &
	PD_PID=$!
	for _ in $(seq 200); do
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$W/pd.log")
		[ -n "$PORT" ] && [ "$(metric 'plexusd_cache_synced{cache="pods"}')$(metric 'plexusd_cache_synced{cache="nads"}')" = 11 ] && return 0
		sleep 0.05
	done
	cat "$W/pd.log"; echo "plexusd did not sync" >&2; exit 1
}
metric() { ip netns exec "$H" curl -sS "http://127.0.0.1:$PORT/metrics" 2>/dev/null | awk -v m="$1" '$1 == m {print $2}'; }

one() { # VERB CONF I
	ip netns exec "$H" env -i PATH="$PATH" CNI_COMMAND="$1" CNI_CONTAINERID="c$3" \
		CNI_NETNS="/var/run/netns/$P" CNI_IFNAME=eth0 CNI_PATH="$TB" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p$3;K8S_POD_UID=u$3;K8S_POD_INFRA_CONTAINER_ID=c$3" \
		"$BIN/plexus" <"$2" >/dev/null 2>>"$W/errors" || echo "$1 c$3" >>"$W/failed"
}
export -f one
export H P TB BIN W
# storm VERB CONF: NPODS calls, 4 at a time; prints "<ms> <requests of
# plexus> <requests of plexusd>" (plexusd's lists and watches left out)
storm() {
	ctl clear-requests >/dev/null
	local t0 t1
	t0=$(date +%s%N)
	seq 0 $((NPODS - 1)) | xargs -P 4 -I{} bash -c 'one "$@"' _ "$1" "$2" {}
	t1=$(date +%s%N)
	echo "$(((t1 - t0) / 1000000)) $(ctl requests | python3 -c 'import json,sys
r = [x for x in json.load(sys.stdin) if not (x["method"] == "GET" and x["params"].get("watch") == "1")
     and not (x["method"] == "GET" and x["path"] in ("/api/v1/pods", "/apis/k8s.cni.cncf.io/v1/network-attachment-definitions"))]
print(len([x for x in r if x["user"] != "node"]), len([x for x in r if x["user"] == "node"]))')"
}
: >"$W/failed"
read -r dat dar _ < <(storm ADD "$W/direct.conf")
read -r ddt ddr _ < <(storm DEL "$W/direct.conf")
rm -rf "$W/cache"
start_pd
read -r pat par pad < <(storm ADD "$W/pd.conf")
read -r pdt pdr pdd < <(storm DEL "$W/pd.conf")
rss=$(metric process_resident_memory_bytes)
fails=$(wc -l <"$W/failed")

echo
echo "plexusd vs direct: $NPODS-pod storm on the fixture API server, 3 networks a pod (no-op delegates), 4 calls at a time; $(nproc) cores"
printf '%-58s %12s %12s %10s\n' "row" "plexusd" "direct" "result"
row() { printf '%-58s %12s %12s %10s\n' "$@"; }
per() { python3 -c "print(f'{$1/$NPODS:.2f}')"; }
row "storm ADD, wall time" "$pat ms" "$dat ms" "$(python3 -c "print(f'{$dat/$pat:.2f}x')")"
row "storm DEL, wall time" "$pdt ms" "$ddt ms" "$(python3 -c "print(f'{$ddt/$pdt:.2f}x')")"
row "API requests per pod ADD (plexus' own)" "$(per "$par")" "$(per "$dar")" "-"
row "API requests per pod DEL (plexus' own)" "$(per "$pdr")" "$(per "$ddr")" "-"
row "API requests per pod ADD (plexusd's: network-status)" "$(per "$pad")" "-" "-"
row "API requests per pod DEL (plexusd's)" "$(per "$pdd")" "-" "-"
row "plexusd RSS with $NPODS pods, 3 NADs cached" "$(python3 -c "print(f'{${rss:-0}/1048576:.2f}')") MiB" "-" "-"
echo "failed calls: $fails"

# one pod, alternating call by call: with plexusd, without, plexus
# alone, the delegates
ctl clear-requests >/dev/null
ps0=$(metric 'plexusd_api_duration_seconds_sum{verb="patch"}')
pc0=$(metric 'plexusd_api_duration_seconds_count{verb="patch"}')
CNIBENCH_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p0;K8S_POD_UID=u0;K8S_POD_INFRA_CONTAINER_ID=c0" \
	ip netns exec "$H" "$TB/cnibench" -n "$N" -p "$TB" -s "/var/run/netns/$P" \
	"plexusd=ADD:$BIN/plexus:$W/pd.conf:eth0,DEL:$BIN/plexus:$W/pd.conf:eth0" \
	"api=ADD:$BIN/plexus:$W/direct.conf:eth0,DEL:$BIN/plexus:$W/direct.conf:eth0" \
	"static=ADD:$BIN/plexus:$W/static.conf:eth0,DEL:$BIN/plexus:$W/static.conf:eth0" \
	"delegates=ADD:$TB/plexus-testplugin:$W/noop1.conf:eth0,ADD:$TB/plexus-testplugin:$W/noop2.conf:net1,ADD:$TB/plexus-testplugin:$W/noop3.conf:net2,DEL:$TB/plexus-testplugin:$W/noop3.conf:net2,DEL:$TB/plexus-testplugin:$W/noop2.conf:net1,DEL:$TB/plexus-testplugin:$W/noop1.conf:eth0" \
	>"$W/out" || true
field() { sed -n "s|^$1 .*$2=\([0-9.]*\).*|\1|p" "$W/out"; }
pm=$(field plexusd median_ms) am=$(field api median_ms) dm=$(field delegates median_ms)
sm=$(field static median_ms)
d() { python3 -c "print(f'{$1-$2:.2f}')"; }
row "3-net pod ADD+DEL, meta overhead vs delegates (median)" "+$(d "$pm" "$dm") ms" "+$(d "$am" "$dm") ms" "goal 1 ms"
echo "  (medians: with plexusd $pm ms, asking the API $am ms, plexus alone (delegates in its config) $sm ms, delegates alone $dm ms; failures plexusd=$(field plexusd failures) api=$(field api failures) static=$(field static failures) delegates=$(field delegates failures))"
# what the overhead is made of: plexus itself (two execs of it, config,
# record, sync) is plexus alone minus the delegates; the control plane
# (socket lookups, network-status, reports) is the rest; of that, the
# fixture's own time answering the network-status PATCHes (ADD's list,
# DEL's []), by its request log of the cnibench run
read -r npatch patch_ms < <(ctl requests | python3 -c 'import json,sys
ms = sorted(x["ms"] for x in json.load(sys.stdin) if x["method"] == "PATCH" and x["user"] == "node")
print(len(ms), f"{ms[len(ms) // 2]:.2f}" if ms else "0")')
row "  of it: plexus itself (exec, config, record, sync)" "+$(d "$sm" "$dm") ms" "+$(d "$sm" "$dm") ms" "-"
row "  of it: control plane (socket or API, network-status)" "+$(d "$pm" "$sm") ms" "+$(d "$am" "$sm") ms" "-"
# the PATCHes' round trips as plexusd times them (its histogram's sum
# and count over the cnibench run: a mean)
ps1=$(metric 'plexusd_api_duration_seconds_sum{verb="patch"}')
pc1=$(metric 'plexusd_api_duration_seconds_count{verb="patch"}')
rtt=$(python3 -c "n = ${pc1:-0} - ${pc0:-0}; print(f'{2000 * (${ps1:-0} - ${ps0:-0}) / n:.2f}' if n > 0 else '0')")
row "  of which 2 PATCHes' round trips, timed by plexusd (mean x2)" "$rtt ms" "-" "-"
row "  of which the API server's own time in them (median x2)" "$(python3 -c "print(f'{2*$patch_ms:.2f}')") ms" "-" "-"
row "  of which the socket and plexusd (the rest)" "+$(python3 -c "print(f'{$pm-$sm-$rtt:.2f}')") ms" "-" "-"
echo "  (plexusd's network-status PATCHes in that run: $npatch, the fixture's median $patch_ms ms each; plexus ADD/DEL medians with plexusd $(field plexusd/1:ADD median_ms)/$(field plexusd/2:DEL median_ms) ms, alone $(field static/1:ADD median_ms)/$(field static/2:DEL median_ms) ms)"

# peak RSS with BIG_PODS pods of this node and BIG_NADS NADs cached
if [ "$BIG_PODS" -gt 0 ]; then
	pd_big_objects "$BIG_PODS" "$BIG_NADS" "$(noop big)" >"$W/big.json"
	ctl put-object "$W/big.json" >/dev/null
	for _ in $(seq 600); do
		[ "$(metric 'plexusd_cache_objects{cache="pods"}')" -ge $((NPODS + BIG_PODS)) ] &&
			[ "$(metric 'plexusd_cache_objects{cache="nads"}')" -ge $((3 + BIG_NADS)) ] && break
		sleep 0.1
	done
	hwm=$(pd_vm VmHWM)
	row "plexusd peak RSS, $((NPODS + BIG_PODS)) pods / $((3 + BIG_NADS)) NADs cached" "$(python3 -c "print(f'{$hwm/1024:.2f}')") MiB" "-" "goal 16"
	echo "  (now $(python3 -c "print(f'{$(metric process_resident_memory_bytes)/1048576:.2f}')") MiB; cached pods $(metric 'plexusd_cache_objects{cache="pods"}'), NADs $(metric 'plexusd_cache_objects{cache="nads"}'))"
fi
