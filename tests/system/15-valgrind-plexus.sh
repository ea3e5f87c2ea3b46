#!/bin/bash
# plexus itself under valgrind (memcheck, full leak check) through every
# verb and the main error paths: no invalid access, no leak.
. "$(dirname "$0")/../lib.sh"
P=plxvg$$
T_NETNS=$P
TP=$TOP/build/bin/tests
STATE=$T_TMP/state CACHE=$T_TMP/cache DUMP=$T_TMP/dump
mkdir -p "$STATE" "$DUMP"
t_netns "$P"

vg() { # CMD CONF [VAR=VALUE...]: plexus under valgrind; rc in $T_TMP/rc
	local cmd=$1 in=$2
	shift 2
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" CNI_CONTAINERID=c1 \
		CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/build/bin:$TP:$REFDIR" CNI_ARGS="IgnoreUnknown=1;IP=10.1.1.1" "$@" \
		valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --log-file="$T_TMP/vg.log" \
		"$TOP/build/bin/plexus" <"$in" >"$T_TMP/out.json" 2>/dev/null
	echo $? >"$T_TMP/rc"
	set -e
	# "--pid--" lines are valgrind's notes (it lacks pidfd_open: plexus
	# falls back to polling); "==pid==" lines are errors and leaks
	if [ "$(rc)" = 99 ] || grep -q '^==' "$T_TMP/vg.log"; then
		cat "$T_TMP/vg.log"
		fail "valgrind reported errors for $cmd"
	fi
}
tp() { echo "{\"cniVersion\":\"1.1.0\",\"name\":\"$1\",\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\"${2:+,$2}}"; }
C=$T_TMP/c.conf
echo "{\"cniVersion\":\"1.1.0\",\"name\":\"t\",\"cniDir\":\"$CACHE\",\"logLevel\":\"debug\",\"logFile\":\"$T_TMP/log\",\"runtimeConfig\":{\"mac\":\"02:00:00:00:00:09\"},\"delegates\":[$(tp a),{\"cniVersion\":\"1.1.0\",\"name\":\"chain\",\"plugins\":[$(tp b | sed 's/"cniVersion":"1.1.0","name":"b",//'),$(tp c | sed 's/"cniVersion":"1.1.0","name":"c",//')]}]}" >"$C"

verbs_case() {
	vg ADD "$C"; expect_eq "$(rc)" 0 ADD
	vg CHECK "$C"; expect_eq "$(rc)" 0 CHECK
	vg STATUS "$C" CNI_CONTAINERID= CNI_IFNAME= CNI_NETNS=; expect_eq "$(rc)" 0 STATUS
	python3 -c "import json,sys; c=json.load(open(sys.argv[1])); c['cni.dev/valid-attachments']=[]; json.dump(c,open(sys.argv[2],'w'))" "$C" "$T_TMP/gc.conf"
	vg ADD "$C" CNI_CONTAINERID=c2; expect_eq "$(rc)" 0 "ADD c2"
	vg GC "$T_TMP/gc.conf" CNI_CONTAINERID= CNI_IFNAME= CNI_NETNS=; expect_eq "$(rc)" 0 GC
	vg DEL "$C"; expect_eq "$(rc)" 0 DEL
	vg VERSION "$C"; expect_eq "$(rc)" 0 VERSION
}
t_case "valgrind: plexus ADD, CHECK, STATUS, GC, DEL, VERSION" verbs_case

errors_case() {
	echo "{\"cniVersion\":\"1.1.0\",\"cniDir\":\"$CACHE\",\"delegates\":[$(tp a),$(tp b '"fail":["ADD"]')]}" >"$T_TMP/f.conf"
	vg ADD "$T_TMP/f.conf"; expect_eq "$(rc)" 1 "failed ADD with rollback"
	echo '{"cniVersion":"1.1.0","delegates":[{"type":"../x","cniVersion":"1.1.0"}]}' >"$T_TMP/b.conf"
	vg ADD "$T_TMP/b.conf"; expect_eq "$(rc)" 1 "bad type"
	printf '{"cniVersion":' >"$T_TMP/t.conf"
	vg ADD "$T_TMP/t.conf"; expect_eq "$(rc)" 1 "truncated JSON"
	vg ADD "$C" CNI_IFNAME=waytoolonginterface; expect_eq "$(rc)" 1 "long ifname"
	echo "{\"cniVersion\":\"1.1.0\",\"cniDir\":\"$CACHE\",\"delegates\":[$(tp a '"output":"garbage"')]}" >"$T_TMP/g.conf"
	vg ADD "$T_TMP/g.conf"; expect_eq "$(rc)" 1 "garbage result"
	vg ADD "$C" CNI_CONTAINERID=c3
	head -c 30 "$CACHE/c3_eth0.json" >"$T_TMP/x" && cp "$T_TMP/x" "$CACHE/c3_eth0.json"
	vg DEL "$C" CNI_CONTAINERID=c3; expect_eq "$(rc)" 0 "DEL with a torn record"
	vg CHECK "$C" CNI_CONTAINERID=none; expect_eq "$(rc)" 0 "CHECK without ADD (rc 0, as Multus)"
}
t_case "valgrind: plexus error paths (rollback, bad config, torn cache)" errors_case
