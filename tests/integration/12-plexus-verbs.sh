#!/bin/bash
# STATUS, GC, clusterNetwork/defaultNetworks from confDir, logging, VERSION.
. "$(dirname "$0")/../lib.sh"
P=plxv$$
T_NETNS=$P
TP=$TOP/$(dirname "$BINDIR")/bin/tests
CACHE=$T_TMP/cache STATE=$T_TMP/state DUMP=$T_TMP/dump CONFD=$T_TMP/net.d
mkdir -p "$STATE" "$DUMP" "$CONFD"
t_netns "$P"

run() { # CMD CONF [VAR=VALUE...]
	local cmd=$1 in=$2
	shift 2
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" CNI_CONTAINERID=c1 \
		CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$TP:$REFDIR" "$@" \
		"$TOP/$BINDIR/plexus" <"$in" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
out() { jget "$T_TMP/out.json" "$1"; }
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
expect_code() {
	[ "$(rc)" = 1 ] || fail "rc $(rc), want 1"
	expect_eq "$(out "j['code']")" "$1" "code ($(out "j['msg']"))"
	out "j['msg']" | grep -qF -- "$2" || fail "msg '$(out "j['msg']")' lacks '$2'"
}
tp() { echo "{\"cniVersion\":\"${3:-1.1.0}\",\"name\":\"$1\",\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\"${2:+,$2}}"; }
conf() { # FILE DELEGATES-JSON [EXTRA-KEYS]
	echo "{\"cniVersion\":\"1.1.0\",\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\"${3:+,$3},\"delegates\":$2}" >"$1"
}
C=$T_TMP/c.conf
conf "$C" "[$(tp a),$(tp b),$(tp old '' 1.0.0)]"

version_case() {
	echo '{"cniVersion":"0.4.0"}' >"$T_TMP/v.json"
	run VERSION "$T_TMP/v.json" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok VERSION
	expect_eq "$(out "j['cniVersion']")" 0.4.0 cniVersion
	expect_eq "$(out "j['supportedVersions']")" "['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0']" supportedVersions
	run VERSION /dev/null CNI_NETNS=dummy CNI_IFNAME=dummy CNI_PATH=dummy
	expect_ok "VERSION with empty stdin (as podman sends it)"
}
t_case "VERSION lists every supported version" version_case

status_case() {
	run STATUS "$C" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok STATUS
	[ -e "$DUMP/STATUS_a_-.json" ] && [ -e "$DUMP/STATUS_b_-.json" ] || fail "1.1.0 delegates got no STATUS"
	[ ! -e "$DUMP/STATUS_old_-.json" ] || fail "a 1.0.0 delegate got STATUS"
	conf "$T_TMP/s.conf" "[$(tp a),$(tp b '"fail":["STATUS"],"failCode":51')]"
	run STATUS "$T_TMP/s.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_code 51 'network "b"'
	conf "$T_TMP/r.conf" "[$(tp a)]" "\"readinessindicatorfile\":\"$T_TMP/ready\""
	run STATUS "$T_TMP/r.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_code 50 "readinessindicatorfile"
	touch "$T_TMP/ready"
	run STATUS "$T_TMP/r.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok "STATUS once ready"
}
t_case "[1.1.0] STATUS asks every 1.1.0 delegate; 50 when not ready" status_case

gc_conf() { # FILE VALID-JSON
	python3 - "$C" "$1" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["cni.dev/valid-attachments"] = json.loads(sys.argv[3])
json.dump(c, open(sys.argv[2], "w"))
PY
}
gc_case() {
	rm -rf "$CACHE" "$STATE"/* "$DUMP"/*
	run ADD "$C" CNI_CONTAINERID=keep; expect_ok "ADD keep"
	run ADD "$C" CNI_CONTAINERID=gone; expect_ok "ADD gone"
	gc_conf "$T_TMP/gc.conf" '[{"containerID":"keep","ifname":"eth0"}]'
	run GC "$T_TMP/gc.conf" CNI_CONTAINERID= CNI_NETNS= CNI_IFNAME=
	expect_ok GC
	d=$DUMP/GC_b_-.json
	expect_eq "$(jget "$d" "j['cni.dev/valid-attachments']")" "[{'containerID': 'keep', 'ifname': 'net1'}]" "valid list translated for net1"
	expect_eq "$(jget "$d" "j['cni.dev/attachments'] == j['cni.dev/valid-attachments']")" True "both keys"
	[ -e "$CACHE/keep_eth0.json" ] || fail "valid record removed"
	[ ! -e "$CACHE/gone_eth0.json" ] || fail "stale record kept"
	expect_eq "$(ls "$STATE" | sort | tr '\n' ' ')" "a_keep_eth0 b_keep_net1 old_keep_net2 " "attachments left"
	run DEL "$C" CNI_CONTAINERID=keep; expect_ok DEL
	gc_conf "$T_TMP/gc2.conf" '{"x":1}'
	run GC "$T_TMP/gc2.conf"
	expect_code 7 "cni.dev/valid-attachments"
}
t_case "[1.1.0] GC: delegates get their own valid attachments, stale pods are deleted" gc_case

cluster_case() {
	rm -rf "$CACHE" "$STATE"/*
	tp cluster '"address":"10.1.0.2/24"' >"$CONFD/10-cluster.conf"
	tp extra '"address":"10.2.0.2/24"' >"$CONFD/20-extra.conf"
	echo '{"cniVersion":"1.0.0","name":"extra2","plugins":[{"type":"plexus-testplugin","stateDir":"'"$STATE"'"}]}' >"$CONFD/30-extra2.conflist"
	echo '{"cniVersion":"1.1.0","name":"t","type":"plexus","cniDir":"'"$CACHE"'","confDir":"'"$CONFD"'","clusterNetwork":"cluster","defaultNetworks":["extra","'"$CONFD"'/30-extra2.conflist"]}' >"$T_TMP/cl.conf"
	run ADD "$T_TMP/cl.conf"; expect_ok ADD
	expect_eq "$(out "' '.join(i['name'] for i in j['interfaces'])")" "eth0 net1 net2" "interfaces"
	expect_eq "$(out "j['ips'][0]['address']")" 10.1.0.2/24 "default network first"
	run DEL "$T_TMP/cl.conf"; expect_ok DEL
	expect_eq "$(ls "$STATE" | wc -l)" 0 held
	echo '{"cniVersion":"1.1.0","confDir":"'"$CONFD"'","clusterNetwork":"nope"}' >"$T_TMP/cl2.conf"
	run ADD "$T_TMP/cl2.conf"
	expect_code 7 "clusterNetwork \"nope\": no network named \"nope\" in $CONFD"
	echo '{"cniVersion":"1.1.0","confDir":"'"$CONFD"'","clusterNetwork":"cluster","defaultNetworks":["missing"]}' >"$T_TMP/cl3.conf"
	run ADD "$T_TMP/cl3.conf"
	expect_code 7 "defaultNetworks \"missing\": no network named \"missing\""
	echo '{"cniVersion":"1.1.0","cniDir":"'"$CACHE"'","clusterNetwork":"'"$CONFD"'"}' >"$T_TMP/cl4.conf"
	run ADD "$T_TMP/cl4.conf"; expect_ok "clusterNetwork as a directory"
	expect_eq "$(out "j['ips'][0]['address']")" 10.1.0.2/24 "the directory's first file"
	run DEL "$T_TMP/cl4.conf"; expect_ok DEL
}
t_case "clusterNetwork by name, file or directory; defaultNetworks after it" cluster_case

log_case() {
	conf "$T_TMP/l.conf" "[$(tp a)]" "\"logFile\":\"$T_TMP/plexus.log\",\"logLevel\":\"verbose\""
	run ADD "$T_TMP/l.conf"; expect_ok ADD
	grep -q 'ADD network "a" plugin plexus-testplugin ifname eth0: ok' "$T_TMP/plexus.log" || fail "no verbose line in logFile"
	# logToStderr defaults to true, as in Multus: stderr too
	grep -q 'ADD network "a" plugin plexus-testplugin ifname eth0: ok' "$T_TMP/err.txt" || fail "no verbose line on stderr (logToStderr default true)"
	expect_eq "$(stat -c %a "$T_TMP/plexus.log")" 600 "log mode"
	run DEL "$T_TMP/l.conf"; expect_ok DEL
	expect_eq "$(out "j")" "" "DEL prints nothing" 2>/dev/null || true
	conf "$T_TMP/l2.conf" "[$(tp a)]" "\"logFile\":\"$T_TMP/plexus.log\",\"logLevel\":\"verbose\",\"logToStderr\":false"
	run ADD "$T_TMP/l2.conf"; expect_ok ADD
	[ ! -s "$T_TMP/err.txt" ] || fail "stderr used although logToStderr is false"
	run DEL "$T_TMP/l2.conf"; expect_ok DEL
}
t_case "logFile and logLevel: verbose lines go to the file and stderr (logToStderr), not to stdout" log_case
