#!/bin/bash
# The Multus drop-in rows of docs/multus-compat.md, each through a real
# plexus call with the test plugin (which records each call's stdin and
# CNI_ARGS). Expectations are Multus v4.2's behaviour as read from its
# code (pkg/multus/multus.go, pkg/types/conf.go, pkg/logging): not
# observed against a Multus binary.
. "$(dirname "$0")/../lib.sh"
P=plxm$$ H=plxmh$$ # H: the host side of sel_args_ipam_case's bridge
T_NETNS="$P $H"
TP=$TOP/$(dirname "$BINDIR")/bin/tests
CACHE=$T_TMP/cache STATE=$T_TMP/state DUMP=$T_TMP/dump
t_netns "$P"

fresh() { rm -rf "$CACHE" "$STATE" "$DUMP"; mkdir -p "$STATE" "$DUMP"; }
# run CMD CONF [VAR=VALUE...]: plexus with a CRI runtime's environment
run() {
	local cmd=$1 in=$2
	shift 2
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$TP" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1" \
		"$@" "$TOP/$BINDIR/plexus" <"$in" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
out() { jget "$T_TMP/out.json" "$1"; }
dump() { jget "$DUMP/$1.json" "$2"; }
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
expect_code() { # CODE MSG-SUBSTRING
	[ "$(rc)" = 1 ] || { cat "$T_TMP/out.json"; fail "rc $(rc), want 1"; }
	expect_eq "$(out "j['code']")" "$1" "error code ($(out "j['msg']"))"
	out "j['msg']" | grep -qF -- "$2" || fail "msg '$(out "j['msg']")' lacks '$2'"
}
held() { find "$STATE" -type f | wc -l; }
tp() { # NAME [EXTRA] [VERSION]
	echo "{\"cniVersion\":\"${3:-1.0.0}\",\"name\":\"$1\",\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\"${2:+,$2}}"
}
conf() { # FILE DELEGATES-JSON [EXTRA-KEYS] (cniVersion $VER, none with NOVER=1)
	local v="\"cniVersion\":\"${VER:-1.0.0}\","
	[ "${NOVER:-0}" = 1 ] && v=""
	echo "{${v}\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\"${3:+,$3},\"delegates\":$2}" >"$1"
}

# Row cniVersion: a config without it runs (the CNI library reads it as
# 0.1.0); ADD answers in the default network's version; CHECK, STATUS
# and GC are refused with code 1 as the library refuses them for 0.1.0.
no_version_case() {
	fresh
	NOVER=1 conf "$T_TMP/nv.conf" "[$(tp a '' 0.4.0),$(tp b)]"
	run ADD "$T_TMP/nv.conf"; expect_ok "ADD without cniVersion"
	expect_eq "$(out "j['cniVersion']")" 0.4.0 "result version: the default network's"
	expect_eq "$(held)" 2 "attachments"
	run CHECK "$T_TMP/nv.conf"
	expect_code 1 "the config has none (cniVersion missing)"
	run DEL "$T_TMP/nv.conf"; expect_ok DEL
	expect_eq "$(held)" 0 "attachments after DEL"
}
t_case "multus: a config without cniVersion runs; CHECK refused with code 1" no_version_case

# Row logLevel: an unknown level is a warning on stderr, the call runs.
log_level_case() {
	fresh
	conf "$T_TMP/ll.conf" "[$(tp a)]" '"logLevel":"loud"'
	run ADD "$T_TMP/ll.conf"; expect_ok "ADD with logLevel loud"
	grep -q 'logLevel: "loud" is not one of' "$T_TMP/err.txt" || fail "no warning: $(cat "$T_TMP/err.txt")"
	run DEL "$T_TMP/ll.conf"; expect_ok DEL
}
t_case "multus: an unknown logLevel is a warning, not an error" log_level_case

# Row logOptions: a logFile that would pass maxSize (MB) is renamed
# <name>-<time><ext>, gzipped with compress (the default), and a new one
# started; with compress false the backup stays plain.
log_rotate_case() {
	fresh
	mkdir -p "$T_TMP/logs"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'x' >"$T_TMP/logs/plexus.log"
	conf "$T_TMP/lr.conf" "[$(tp a)]" "\"logFile\":\"$T_TMP/logs/plexus.log\",\"logLevel\":\"verbose\",\"logToStderr\":false,\"logOptions\":{\"maxSize\":1}"
	run ADD "$T_TMP/lr.conf"; expect_ok ADD
	expect_eq "$(find "$T_TMP/logs" -name 'plexus-*.log.gz' | wc -l)" 1 "gzipped backup"
	grep -q 'ADD network "a"' "$T_TMP/logs/plexus.log" || fail "new logFile lacks the ADD line"
	[ "$(stat -c %s "$T_TMP/logs/plexus.log")" -lt 100000 ] || fail "logFile not rotated"
	expect_eq "$(zcat "$T_TMP"/logs/plexus-*.log.gz | wc -c)" $((1024 * 1024)) "backup holds the old file"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'y' >>"$T_TMP/logs/plexus.log"
	conf "$T_TMP/lr2.conf" "[$(tp a)]" "\"logFile\":\"$T_TMP/logs/plexus.log\",\"logLevel\":\"verbose\",\"logToStderr\":false,\"logOptions\":{\"maxSize\":1,\"compress\":false}"
	run DEL "$T_TMP/lr2.conf"; expect_ok DEL
	expect_eq "$(find "$T_TMP/logs" -name 'plexus-*.log' | wc -l)" 1 "plain backup"
}
t_case "multus: logOptions rotates logFile by maxSize, gzip by default" log_rotate_case

# Row CNI_ARGS: every delegate gets IgnoreUnknown=true and the K8S_POD_*
# keys first, then the runtime's items; a runtime that sends nothing still
# gives the delegates IgnoreUnknown.
cni_args_case() {
	fresh
	conf "$T_TMP/ca.conf" "[$(tp a),$(tp b)]"
	run ADD "$T_TMP/ca.conf" "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1;IP=10.1.1.5"
	expect_ok ADD
	expect_eq "$(cat "$DUMP/ADD_a_eth0.args")" \
		"IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1;IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1;IP=10.1.1.5" \
		"default network's CNI_ARGS"
	# plexus' own rule: the runtime's IP= is the default network's
	expect_eq "$(cat "$DUMP/ADD_b_net1.args")" \
		"IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1;IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u1" \
		"other network's CNI_ARGS"
	run DEL "$T_TMP/ca.conf" CNI_ARGS=
	expect_ok "DEL without CNI_ARGS"
	expect_eq "$(cat "$DUMP/DEL_a_eth0.args")" \
		"IgnoreUnknown=true;K8S_POD_NAMESPACE=;K8S_POD_NAME=;K8S_POD_INFRA_CONTAINER_ID=;K8S_POD_UID=" \
		"CNI_ARGS from a runtime that sends none"
}
t_case "multus: delegates get IgnoreUnknown=true and K8S_POD_* in CNI_ARGS" cni_args_case

# Row binDir: binDir is searched before CNI_PATH (its default,
# /opt/cni/bin, is held by test_plexus_conf).
bin_dir_case() {
	fresh
	mkdir -p "$T_TMP/bin"
	printf '#!/bin/sh\necho "$CNI_COMMAND" >>%s/bindir-used\ncat >/dev/null\necho "{\\"cniVersion\\":\\"1.0.0\\"}"\n' "$T_TMP" >"$T_TMP/bin/plexus-testplugin"
	chmod +x "$T_TMP/bin/plexus-testplugin"
	conf "$T_TMP/bd.conf" "[$(tp a)]" "\"binDir\":\"$T_TMP/bin\""
	run ADD "$T_TMP/bd.conf"; expect_ok ADD
	expect_eq "$(cat "$T_TMP/bindir-used")" ADD "the binDir plugin ran"
	expect_eq "$(held)" 0 "the CNI_PATH plugin did not run"
	run DEL "$T_TMP/bd.conf"; expect_ok DEL
}
t_case "multus: binDir is searched before CNI_PATH" bin_dir_case

# Row readinessindicatorfile, run for real with Multus' timing (its
# GetReadinessIndicatorFile: look at once, then each second, 45 s): a
# file that appears after 3 s lets the ADD go on at the next look, and no
# delegate runs before it is there.
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
readiness_case() {
	fresh
	conf "$T_TMP/rd.conf" "[$(tp a)]" "\"readinessindicatorfile\":\"$T_TMP/ready\""
	local t0 ms
	t0=$(date +%s%N)
	(sleep 3; touch "$T_TMP/ready") &
	run ADD "$T_TMP/rd.conf"
	ms=$(ms_since "$t0")
	wait
	expect_ok "ADD once the file appears"
	[ "$ms" -ge 2900 ] && [ "$ms" -le 5500 ] || fail "ADD returned after $ms ms, want 3 to 5 s (a 1 s poll)"
	[ "$DUMP/ADD_a_eth0.json" -nt "$T_TMP/ready" ] || fail "the delegate ran before the file appeared"
	run DEL "$T_TMP/rd.conf"; expect_ok DEL
}
t_case "multus: readinessindicatorfile polled each second" readiness_case

# ... and a file that never appears fails the ADD after 45 s with code
# 999, nothing attached. 45 s of waiting: run once, in the plain build.
readiness_timeout_case() {
	fresh
	conf "$T_TMP/rt45.conf" "[$(tp a)]" "\"readinessindicatorfile\":\"$T_TMP/never\""
	local t0 ms
	t0=$(date +%s%N)
	run ADD "$T_TMP/rt45.conf"
	ms=$(ms_since "$t0")
	expect_code 999 "readinessindicatorfile"
	[ "$ms" -ge 44900 ] && [ "$ms" -le 47500 ] || fail "ADD failed after $ms ms, want 45 s"
	expect_eq "$(find "$DUMP" -type f | wc -l)" 0 "delegates called"
	expect_eq "$(held)" 0 "attachments"
}
if [ "$BINDIR" = build/bin ]; then
	t_case "multus: readinessindicatorfile missing for 45 s: ADD fails with 999" readiness_timeout_case
fi

# Row pod gone at ADD: success with an empty result (Multus v4.2), nothing
# attached.
pod_gone_case() {
	fresh
	mkdir -p "$T_TMP/m"
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$T_TMP/m\",\"clusterNetwork\":\"$T_TMP/cl.conf\"}" >"$T_TMP/pg.conf"
	tp cl >"$T_TMP/cl.conf"
	run ADD "$T_TMP/pg.conf"; expect_ok "ADD of a pod that is gone"
	expect_eq "$(out "sorted(j.items())")" "[('cniVersion', '1.0.0')]" "empty result"
	expect_eq "$(held)" 0 "attachments"
}
t_case "multus: ADD of a pod that no longer exists: empty result, rc 0" pod_gone_case

# Row runtime capabilities: the runtime's runtimeConfig reaches every
# delegate whose plugin declares the capability (Multus' code), not the
# others; with a deviceID, a plugin declaring CNIDeviceInfoFile gets
# Multus' per-attachment path.
caps_case() {
	fresh
	local pm='"capabilities":{"portMappings":true}'
	local dev='"capabilities":{"deviceID":true,"CNIDeviceInfoFile":true}'
	conf "$T_TMP/cp.conf" "[$(tp a "$pm"),$(tp b "$pm"),$(tp c),$(tp d "$dev")]" \
		'"runtimeConfig":{"portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"deviceID":"0000:03:00.1","CNIDeviceInfoFile":"/run/x.json"}'
	run ADD "$T_TMP/cp.conf"; expect_ok ADD
	expect_eq "$(dump ADD_a_eth0 "j['runtimeConfig']['portMappings'][0]['hostPort']")" 8080 "default network"
	expect_eq "$(dump ADD_b_net1 "j['runtimeConfig']['portMappings'][0]['hostPort']")" 8080 "second network"
	expect_eq "$(dump ADD_c_net2 "'runtimeConfig' in j")" False "a network that declares nothing"
	expect_eq "$(dump ADD_d_net3 "j['runtimeConfig']['deviceID']")" 0000:03:00.1 "deviceID"
	expect_eq "$(dump ADD_d_net3 "j['runtimeConfig']['CNIDeviceInfoFile']")" \
		/var/run/k8s.cni.cncf.io/devinfo/cni/d-c1_net3 "Multus' device-info path"
	run DEL "$T_TMP/cp.conf"; expect_ok DEL
	expect_eq "$(dump DEL_b_net1 "j['runtimeConfig']['portMappings'][0]['hostPort']")" 8080 "DEL gets them too"
}
t_case "multus: runtime capabilities to every delegate declaring them; per-attachment CNIDeviceInfoFile" caps_case

# Row retryDeleteOnError (default false): the first failed DEL is
# answered, the next one succeeds and leaves the record for GC, which
# finishes the job once the delegate works again.
retry_del_case() {
	fresh
	touch "$T_TMP/broken"
	VER=1.1.0 conf "$T_TMP/rt.conf" "[$(tp a),$(tp b "\"fail\":[\"DEL\"],\"failWhile\":\"$T_TMP/broken\"")]"
	run ADD "$T_TMP/rt.conf"; expect_ok ADD
	run DEL "$T_TMP/rt.conf"
	expect_code 111 'network "b" (net1)'
	expect_eq "$(jget "$CACHE/c1_eth0.json" "j.get('delFailed')")" True "record marked"
	run DEL "$T_TMP/rt.conf"; expect_ok "second DEL answers success"
	grep -q "recorded in $CACHE/c1_eth0.json for GC" "$T_TMP/err.txt" || fail "the log does not say what is left: $(cat "$T_TMP/err.txt")"
	[ -e "$CACHE/c1_eth0.json" ] || fail "the record of what is left is gone"
	expect_eq "$(held)" 1 "b's attachment still held"
	rm -f "$T_TMP/broken"
	python3 - "$T_TMP/rt.conf" "$T_TMP/gc.conf" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["cni.dev/valid-attachments"] = []
json.dump(c, open(sys.argv[2], "w"))
PY
	run GC "$T_TMP/gc.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok GC
	expect_eq "$(held)" 0 "GC reclaimed b's attachment"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left after GC"
}
t_case "multus: retryDeleteOnError false: a failed DEL is not failed for ever; GC reclaims" retry_del_case

retry_del_true_case() {
	fresh
	conf "$T_TMP/rtt.conf" "[$(tp a),$(tp b '"fail":["DEL"]')]" '"retryDeleteOnError":true'
	run ADD "$T_TMP/rtt.conf"; expect_ok ADD
	for i in 1 2 3; do
		run DEL "$T_TMP/rtt.conf"
		expect_code 111 'network "b" (net1)'
	done
	[ -e "$CACHE/c1_eth0.json" ] || fail "record removed"
	rm -rf "$CACHE"
}
t_case "multus: retryDeleteOnError true: every failed DEL is answered as failed" retry_del_true_case

# Rows that differ on purpose, each with its switch: mergedResult false
# answers only the default network's result, as its delegate gave it
# (Multus); errorCodes "multus" answers every failure with 999.
switches_case() {
	fresh
	conf "$T_TMP/mr.conf" "[$(tp a '"address":"10.5.0.2/24"' 0.4.0),$(tp b '"address":"10.6.0.2/24"')]"
	run ADD "$T_TMP/mr.conf"; expect_ok ADD
	expect_eq "$(out "[i['address'] for i in j['ips']]")" "['10.5.0.2/24', '10.6.0.2/24']" "merged (default)"
	expect_eq "$(out "j['cniVersion']")" 1.0.0 "merged result's version"
	run DEL "$T_TMP/mr.conf"; expect_ok DEL
	conf "$T_TMP/mr2.conf" "[$(tp a '"address":"10.5.0.2/24"' 0.4.0),$(tp b '"address":"10.6.0.2/24"')]" '"mergedResult":false'
	run ADD "$T_TMP/mr2.conf"; expect_ok ADD
	expect_eq "$(out "[i['address'] for i in j['ips']]")" "['10.5.0.2/24']" "the default network's only"
	expect_eq "$(out "j['cniVersion']")" 0.4.0 "as the delegate gave it"
	run DEL "$T_TMP/mr2.conf"; expect_ok DEL
	conf "$T_TMP/ec.conf" "[$(tp a),$(tp b '"fail":["ADD"]')]" '"errorCodes":"multus"'
	run ADD "$T_TMP/ec.conf"
	expect_code 999 'network "b" (net1)'
	out "j['details']" | grep -q "plexus code 111" || fail "plexus' code not in details: $(cat "$T_TMP/out.json")"
	expect_eq "$(held)" 0 "rolled back"
}
t_case "multus: mergedResult false and errorCodes multus select Multus' answers" switches_case

# Switching a live node: a pod Multus added (its cache in multusCacheDir:
# <cid> with each delegate's config base64 in "Bytes", libcni's
# results/<net>-<cid>-<if>) is CHECKed and DELeted from that cache, with
# its recorded results as prevResult, and Multus' files are removed.
multus_cache_case() {
	fresh
	local MC=$T_TMP/multus
	mkdir -p "$MC/results"
	tp a >"$T_TMP/da.json"; tp b '"capabilities":{"mac":true}' >"$T_TMP/db.json"
	python3 - "$MC" "$T_TMP/da.json" "$T_TMP/db.json" <<'PY'
import base64, json, sys
mc, a, b = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
d = [{"Conf": json.loads(a), "ConfList": {}, "Name": "a", "Bytes": base64.b64encode(a.encode()).decode()},
     {"Conf": json.loads(b), "ConfList": {}, "Name": "ns1/b", "ifnameRequest": "data0",
      "macRequest": "02:00:00:00:00:42", "Bytes": base64.b64encode(b.encode()).decode()}]
json.dump(d, open(mc + "/c1", "w"))
for net, ifn, addr in (("a", "eth0", "10.7.0.2/24"), ("b", "data0", "10.8.0.2/24")):
    json.dump({"kind": "cniCacheV1", "containerId": "c1", "ifName": ifn, "networkName": net,
               "result": {"cniVersion": "1.0.0", "interfaces": [{"name": ifn, "sandbox": "/x"}],
                          "ips": [{"address": addr, "interface": 0}]}},
              open("%s/results/%s-c1-%s" % (mc, net, ifn), "w"))
PY
	touch "$STATE/a_c1_eth0" "$STATE/b_c1_data0" # what Multus' ADD left
	conf "$T_TMP/mc.conf" "[$(tp a)]" "\"multusCacheDir\":\"$MC\""
	run CHECK "$T_TMP/mc.conf"; expect_ok "CHECK of a pod Multus added"
	expect_eq "$(dump CHECK_b_data0 "j['prevResult']['ips'][0]['address']")" 10.8.0.2/24 "CHECK's prevResult from libcni's cache"
	run DEL "$T_TMP/mc.conf"; expect_ok "DEL of a pod Multus added"
	expect_eq "$(dump DEL_a_eth0 "j['prevResult']['ips'][0]['address']")" 10.7.0.2/24 "DEL's prevResult"
	expect_eq "$(dump DEL_b_data0 "j['runtimeConfig']['mac']")" 02:00:00:00:00:42 "the saved mac request"
	expect_eq "$(held)" 0 "attachments Multus made"
	expect_eq "$(find "$MC" -type f | wc -l)" 0 "Multus' files"
	run DEL "$T_TMP/mc.conf"; expect_ok "DEL again"
}
t_case "multus: CHECK and DEL of a pod Multus added read Multus' cache and remove it" multus_cache_case

# Row a selection element's mac / ips: besides runtimeConfig, appended
# to that delegate's CNI_ARGS as MAC= and IP= (ips comma-joined) at ADD
# only, as Multus' DelegateAdd does; the runtime's IP= of the default
# network is replaced, not repeated. A value that would smuggle other
# CNI_ARGS keys is refused, naming the field, and nothing runs.
sel_args_manifests() { # ELEMENT-EXTRA
	rm -rf "$T_TMP/sm"; mkdir -p "$T_TMP/sm"
	cat >"$T_TMP/sm/all.yaml" <<EOY
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: caps, namespace: default}
spec:
  config: '$(tp caps '"capabilities":{"ips":true,"mac":true}')'
---
apiVersion: v1
kind: Pod
metadata:
  name: web-0
  namespace: default
  uid: u1
  annotations:
    k8s.v1.cni.cncf.io/networks: '[{"name": "caps"$1}]'
EOY
	conf "$T_TMP/sa.conf" "[$(tp a)]" "\"manifestsDir\":\"$T_TMP/sm\""
}
sel_args_case() {
	fresh
	sel_args_manifests ', "mac": "02:00:00:00:00:42", "ips": ["10.9.0.5/24", "fd00:9::5/64"]'
	run ADD "$T_TMP/sa.conf" "CNI_ARGS=IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1;IP=10.1.1.5"
	expect_ok ADD
	expect_eq "$(cat "$DUMP/ADD_caps_net1.args")" \
		"IgnoreUnknown=true;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=;K8S_POD_UID=u1;IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=u1;MAC=02:00:00:00:00:42;IP=10.9.0.5/24,fd00:9::5/64" \
		"the element's network: MAC= and IP= last"
	expect_eq "$(dump ADD_caps_net1 "j['runtimeConfig']['ips']")" "['10.9.0.5/24', 'fd00:9::5/64']" "runtimeConfig too"
	case "$(cat "$DUMP/ADD_a_eth0.args")" in
	*MAC=* | *IP=10.9*) fail "the default network got the element's: $(cat "$DUMP/ADD_a_eth0.args")" ;;
	*";IP=10.1.1.5") ;;
	*) fail "the default network lost the runtime's IP=: $(cat "$DUMP/ADD_a_eth0.args")" ;;
	esac
	run DEL "$T_TMP/sa.conf"; expect_ok DEL
	case "$(cat "$DUMP/DEL_caps_net1.args")" in
	*MAC=* | *IP=*) fail "DEL got MAC=/IP=: $(cat "$DUMP/DEL_caps_net1.args")" ;;
	esac
	# tenant text that would add keys never reaches a delegate
	fresh
	sel_args_manifests ', "mac": "02:00:00:00:00:42;K8S_POD_NAMESPACE=kube-system"'
	run ADD "$T_TMP/sa.conf"
	expect_code 110 '"mac"'
	expect_eq "$(find "$DUMP" -type f | wc -l)" 0 "delegates called"
	fresh
	sel_args_manifests ', "ips": ["10.9.0.5/24;IgnoreUnknown=false"]'
	run ADD "$T_TMP/sa.conf"
	expect_code 110 '"ips"'
	expect_eq "$(find "$DUMP" -type f | wc -l)" 0 "delegates called"
}
t_case "multus: a selection element's mac and ips also go to its delegate's CNI_ARGS as MAC= and IP=" sel_args_case

# The same request reaching plexus-ipam twice (IP= and runtimeConfig.ips,
# issue 16's requested addresses) is one address, not a conflict: a
# bridge network with plexus-ipam gets the pod's address, held once.
sel_args_ipam_case() {
	local ST=$T_TMP/ipstore
	t_netns "$H"
	fresh
	rm -rf "$ST"; mkdir -p "$ST"
	local ipam="\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.73.1.0/24\"}"
	local nad="{\"cniVersion\":\"1.0.0\",\"name\":\"sel\",\"type\":\"plexus-bridge\",\"bridge\":\"plxmb0\",\"capabilities\":{\"ips\":true},$ipam}"
	sel_args_manifests ', "ips": ["10.73.1.7/24"]'
	sed -i "s|config: '.*'|config: '$nad'|" "$T_TMP/sm/all.yaml"
	conf "$T_TMP/sa.conf" "[$(tp a)]" "\"manifestsDir\":\"$T_TMP/sm\",\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$ST\"}}"
	run ADD "$T_TMP/sa.conf" ip netns exec "$H" env NODE_NAME=n1
	expect_ok ADD
	expect_eq "$(ip -n "$P" -4 -o addr show dev net1 | awk '{print $4}')" 10.73.1.7/24 "the pod's address on net1"
	expect_eq "$(grep -rl c1 "$ST" | wc -l)" 1 "addresses held for the pod"
	run DEL "$T_TMP/sa.conf" ip netns exec "$H" env NODE_NAME=n1
	expect_ok DEL
	expect_eq "$(grep -rl c1 "$ST" | wc -l)" 0 "addresses held after DEL"
}
t_case "multus: a pod's ips as IP= and runtimeConfig reach plexus-ipam as one request" sel_args_ipam_case

# Row cniDir (GC): Multus' cache of containers the runtime no longer
# lists is swept as plexus' own records are: the container's delegates
# are DELeted from it (the default network's interface name taken from
# libcni's result file) and its files removed; a listed container's files
# stay; a result file whose container is gone and has no <cid> file goes.
multus_gc_case() {
	fresh
	local MC=$T_TMP/multus
	rm -rf "$MC"; mkdir -p "$MC/results"
	tp a >"$T_TMP/da.json"; tp b >"$T_TMP/db.json"
	python3 - "$MC" "$T_TMP/da.json" "$T_TMP/db.json" <<'PY'
import base64, json, sys
mc, a, b = sys.argv[1], open(sys.argv[2]).read(), open(sys.argv[3]).read()
def deleg(raw, name):
    return {"Conf": json.loads(raw), "ConfList": {}, "Name": name,
            "Bytes": base64.b64encode(raw.encode()).decode()}
def res(cid, net, ifn):
    json.dump({"kind": "cniCacheV1", "containerId": cid, "ifName": ifn, "networkName": net,
               "result": {"cniVersion": "1.0.0"}},
              open("%s/results/%s-%s-%s" % (mc, net, cid, ifn), "w"))
for cid, ifn in (("gone1", "ens0"), ("live2", "eth0")):
    json.dump([deleg(a, "a"), deleg(b, "ns1/b")], open("%s/%s" % (mc, cid), "w"))
    res(cid, "a", ifn); res(cid, "b", "net1")
res("orphan3", "a", "eth0")
PY
	touch "$STATE/a_gone1_ens0" "$STATE/b_gone1_net1" "$STATE/a_live2_eth0" "$STATE/b_live2_net1"
	VER=1.1.0 conf "$T_TMP/mg.conf" "[$(tp a)]" "\"multusCacheDir\":\"$MC\",\"cni.dev/valid-attachments\":[{\"containerID\":\"live2\",\"ifname\":\"eth0\"}]"
	run GC "$T_TMP/mg.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok GC
	expect_eq "$(dump DEL_a_ens0 "j['name']")" a "the gone container's default network DELeted on its interface"
	expect_eq "$(dump DEL_b_net1 "j['name']")" b "and its second network"
	expect_eq "$(ls "$STATE" | sort | tr '\n' ' ')" "a_live2_eth0 b_live2_net1 " "what is held"
	expect_eq "$(cd "$MC" && find . -type f | sort | tr '\n' ' ')" \
		"./live2 ./results/a-live2-eth0 ./results/b-live2-net1 " "Multus' files left"
	# a DEL that fails keeps the files for the next GC
	touch "$T_TMP/broken"
	VER=1.1.0 conf "$T_TMP/mg2.conf" "[$(tp a)]" "\"multusCacheDir\":\"$MC\",\"cni.dev/valid-attachments\":[]"
	python3 - "$MC/live2" "$T_TMP/broken" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
c = json.loads(base64.b64decode(d[1]["Bytes"])); c["fail"] = ["DEL"]; c["failWhile"] = sys.argv[2]
raw = json.dumps(c); d[1]["Bytes"] = base64.b64encode(raw.encode()).decode()
json.dump(d, open(sys.argv[1], "w"))
PY
	run GC "$T_TMP/mg2.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok "GC with a failing DEL"
	[ -e "$MC/live2" ] || fail "the files of a container whose DEL failed were removed"
	grep -q "GC: Multus' container live2" "$T_TMP/err.txt" || fail "the failure is not logged: $(cat "$T_TMP/err.txt")"
	rm -f "$T_TMP/broken"
	run GC "$T_TMP/mg2.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok "GC once the delegate works"
	expect_eq "$(find "$MC" -type f | wc -l)" 0 "Multus' files"
	expect_eq "$(held)" 0 "attachments held"
}
t_case "multus: GC sweeps Multus' cache of containers that are gone" multus_gc_case

# Row auxiliaryCNIChainName (Multus v4.2.4): after the pod's networks, a
# chain on net<position> of Multus' passthru (answered by plexus: no
# passthru binary is on CNI_PATH here) and the node's ".conf" plugin files
# from the directory of that name beside the clusterNetwork file, each
# given the list's name and the passthru's empty result as prevResult;
# DEL runs it from the record. With delegates (no clusterNetwork path)
# an ADD is refused, as Multus refuses it.
aux_chain_case() {
	fresh
	local ND=$T_TMP/netd
	rm -rf "$ND"; mkdir -p "$ND/cni-chain-config"
	tp cl >"$ND/00-cluster.conf"
	tp ignored >"$ND/cni-chain-config/10-tp.conf"
	echo '{"type":"plexus-testplugin"}' >"$ND/cni-chain-config/20-skipped.json"
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"clusterNetwork\":\"$ND/00-cluster.conf\",\"defaultNetworks\":[\"$ND/00-cluster.conf\"],\"auxiliaryCNIChainName\":\"cni-chain-config\"}" >"$T_TMP/ax.conf"
	run ADD "$T_TMP/ax.conf"; expect_ok "ADD with the chain"
	expect_eq "$(dump ADD_cni-chain-config_net2 "j['prevResult']")" "{'cniVersion': '1.0.0', 'dns': {}}" "the passthru's result as prevResult"
	expect_eq "$(dump ADD_cni-chain-config_net2 "j['name']")" cni-chain-config "the list's name"
	expect_eq "$(ls "$DUMP" | grep -c '^ADD_.*json$')" 3 "ADD calls (cluster, defaultNetworks, the chain's one file)"
	expect_eq "$(held)" 3 "attachments"
	# the record keeps the chain's passthru plexus' own: no binary wanted
	run CHECK "$T_TMP/ax.conf"; expect_ok "CHECK from the record"
	expect_eq "$(dump CHECK_cni-chain-config_net2 "j['prevResult']")" "{'cniVersion': '1.0.0', 'dns': {}}" "CHECK's prevResult"
	run DEL "$T_TMP/ax.conf"; expect_ok DEL
	expect_eq "$(dump DEL_cni-chain-config_net2 "j['name']")" cni-chain-config "the chain DELeted"
	expect_eq "$(held)" 0 "attachments after DEL"
	conf "$T_TMP/ax2.conf" "[$(tp a)]" '"auxiliaryCNIChainName":"cni-chain-config"'
	run ADD "$T_TMP/ax2.conf"
	expect_code 7 "clusterNetwork must be a file path"
	expect_eq "$(held)" 0 "attachments after the refusal"
	run DEL "$T_TMP/ax2.conf"; expect_ok "DEL goes on without the chain"
}
t_case "multus: auxiliaryCNIChainName runs the node's chain from the directory beside clusterNetwork" aux_chain_case
