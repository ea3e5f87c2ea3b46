#!/bin/bash
# parallelAttach: a pod of 4 networks (plexus-bridge and plexus-ipam, then
# plexus-testplugin sleeping 500 ms in each chain) attached one after the
# other and in parallel, in-process and exec'ed: the same result, the
# same interfaces, a complete record. The times and their ratio are
# printed as a comment, never asserted. One failing network rolls every
# other back (no link, no address, no record, no test-plugin state); the
# node's "pod" setting follows the pod's plexus.dev/parallel-attach
# annotation, false ignores it, and a bad value is refused. Needs root.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" = 0 ] || { t_skip "parallelAttach" "needs root"; exit 0; }
H=pah$$ P=pap$$
T_NETNS="$H $P"
STORE=$T_TMP/store CACHE=$T_TMP/cache M=$T_TMP/manifests STATE=$T_TMP/state
ALL="$TOP/$BINDIR:$TOP/$BINDIR/tests:$REFDIR"
SLEEP_MS=500

fresh() {
	t_netns "$H"
	t_netns "$P"
	rm -rf "$STORE" "$CACHE" "$M" "$STATE"
	mkdir -p "$STORE" "$M" "$STATE"
}

# nad NAME N [FAIL [SLEEP-MS]]: plexus-bridge pab<N> on 10.76.N.0/24,
# then the sleeping test plugin (failing ADD when FAIL is set); $SLEEP_ON
# and $FAIL_ON name another command to sleep on or fail (DEL)
nad() {
	local fail="" ms=${4:-$SLEEP_MS}
	[ -z "${3:-}" ] || fail=',"fail":["'"${FAIL_ON:-ADD}"'"]'
	cat <<EOF
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: $1, namespace: $([ "$1" = cluster ] && echo kube-system || echo default)}
spec:
  config: '{"cniVersion":"1.0.0","name":"$1","plugins":[{"type":"plexus-bridge","bridge":"pab$2","ipam":{"type":"plexus-ipam","range":"10.76.$2.0/24","gateway":"10.76.$2.1"}},{"type":"plexus-testplugin","sleepMs":$ms,"sleepOn":"${SLEEP_ON:-ADD}","stateDir":"$STATE"$fail}]}'
EOF
}
# manifests NODE-SETTING [POD-ANNOTATION [FAILING-NETWORK [SLOW-NETWORK]]]:
# the slow one sleeps 6 s under a delegateTimeout of 2 s
manifests() {
	local an="" slow=${4:-}
	[ -z "${2:-}" ] || an=", plexus.dev/parallel-attach: \"$2\""
	{
		nad cluster 0 "$([ "${3:-}" = cluster ] && echo y)"
		for i in 1 2 3; do
			nad "n$i" "$i" "$([ "${3:-}" = "n$i" ] && echo y)" \
				"$([ "$slow" = "n$i" ] && echo 6000)"
		done
		cat <<EOF
---
apiVersion: v1
kind: Pod
metadata:
  name: p1
  namespace: default
  uid: u1
  annotations: {k8s.v1.cni.cncf.io/networks: "n1, n2, n3"$an}
EOF
	} >"$M/all.yaml"
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"plexus\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"manifestsDir\":\"$M\",\"clusterNetwork\":\"cluster\",\"logLevel\":\"verbose\",\"parallelAttach\":$1,\"parallelDetach\":${DETACH:-false},$([ -z "$slow" ] || echo '"delegateTimeout":2,')\"ipamNodeConfig\":{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"}}}" >"$T_TMP/node.conf"
}
# run CMD [VAR=VALUE...]: plexus inside the host netns; elapsed ms in $T_TMP/ms
run() {
	local cmd=$1 t0 t1
	shift
	set +e
	t0=$(date +%s%N)
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$ALL" NODE_NAME=node-a "$@" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	t1=$(date +%s%N)
	set -e
	echo $(((t1 - t0) / 1000000)) >"$T_TMP/ms"
}
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
# the result without what differs run to run (MACs, veth names)
norm_result() { jget "$T_TMP/out.json" "json.dumps({k: ([{kk: vv for kk, vv in i.items() if kk != 'mac'} for i in v] if k == 'interfaces' else v) for k, v in j.items()}, sort_keys=True)" | sed 's/veth[0-9a-f]*/vethX/g'; }
pod_links() { ip -n "$P" -o link show | grep -vc ': lo:' || true; }
held() { find "$STORE" -type f ! -name lock 2>/dev/null | xargs -r grep -l c1 2>/dev/null | wc -l; }
states() { find "$STATE" -type f | wc -l; }
record() { jget "$CACHE/c1_eth0.json" "$1"; }
# went_parallel: plexus logged parallel groups (verbose)
went_parallel() { grep -q 'ADD group 0: 4 network(s) ok' "$T_TMP/err.txt"; }

add_del() { # NODE-SETTING ANNOTATION TAG [VAR=VALUE...]: ADD, check, DEL
	local node=$1 an=$2 tag=$3
	shift 3
	fresh
	manifests "$node" "$an"
	run ADD "$@"
	expect_ok "ADD ($tag)"
	cp "$T_TMP/ms" "$T_TMP/$tag.ms"
	norm_result >"$T_TMP/$tag.result"
	cp "$T_TMP/err.txt" "$T_TMP/$tag.log"
	expect_eq "$(jget "$T_TMP/out.json" "' '.join(i['name'] for i in j['interfaces'] if i.get('sandbox'))")" "eth0 net1 net2 net3" "pod interfaces in the result ($tag)"
	expect_eq "$(pod_links)" 4 "links in the pod ($tag)"
	expect_eq "$(record "j['complete']")" True "record complete ($tag)"
	expect_eq "$(record "len([a for a in j['attachments'] if a.get('result')])")" 4 "results in the record ($tag)"
	expect_eq "$(states)" 4 "test-plugin attachments ($tag)"
	run DEL "$@"
	expect_ok "DEL ($tag)"
	expect_eq "$(pod_links)" 0 "links after DEL ($tag)"
	expect_eq "$(held)" 0 "addresses held after DEL ($tag)"
	expect_eq "$(states)" 0 "test-plugin attachments after DEL ($tag)"
}

same_case() { # [VAR=VALUE...]
	local s p
	add_del false "" seq "$@"
	grep -q 'ADD group' "$T_TMP/seq.log" && fail "sequential mode logged groups"
	add_del true "" par "$@"
	grep -q 'ADD group 0: 4 network(s) ok' "$T_TMP/par.log" ||
		fail "no parallel group logged: $(grep -m3 ADD "$T_TMP/par.log")"
	diff -u "$T_TMP/seq.result" "$T_TMP/par.result" || fail "results differ"
	s=$(cat "$T_TMP/seq.ms") p=$(cat "$T_TMP/par.ms")
	echo "# ${BINDIR} ${1:-in-process}: ADD sequential ${s} ms, parallel ${p} ms, ratio $(awk "BEGIN{printf \"%.2f\", $s/$p}") (4 networks, ${SLEEP_MS} ms each)" >&3
}
exec 3>&1
t_case "parallelAttach true, in-process: the same result, links and record as sequential ADD" same_case
t_case "parallelAttach true, exec'ed (PLEXUS_EXEC_ALWAYS=1): the same as sequential" same_case PLEXUS_EXEC_ALWAYS=1

rollback_case() { # FAILING-NETWORK [VAR=VALUE...]
	local bad=$1
	shift
	fresh
	manifests true "" "$bad"
	run ADD "$@"
	expect_eq "$(rc)" 1 "ADD must fail"
	jget "$T_TMP/out.json" "j['msg']" | grep -q "network \"[a-z/-]*$bad\"" ||
		fail "msg does not name $bad: $(jget "$T_TMP/out.json" "j['msg']")"
	expect_eq "$(pod_links)" 0 "links in the pod after the rollback"
	expect_eq "$(held)" 0 "addresses held after the rollback"
	expect_eq "$(states)" 0 "test-plugin attachments after the rollback"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left: $(cat "$CACHE/c1_eth0.json")"
	grep -q 'rollback' "$T_TMP/err.txt" && grep 'rollback' "$T_TMP/err.txt" | head -3
	run DEL "$@"
	expect_ok "DEL after the failed ADD"
}
t_case "parallel ADD, n2 fails: every network rolled back, nothing left" rollback_case n2
t_case "parallel ADD, the cluster network fails: every network rolled back" rollback_case cluster
t_case "parallel ADD exec'ed, n3 fails: every network rolled back" rollback_case n3 PLEXUS_EXEC_ALWAYS=1

annotation_case() { # NODE-SETTING ANNOTATION WANT(parallel|sequential)
	fresh
	manifests "$1" "$2"
	run ADD
	expect_ok "ADD"
	if [ "$3" = parallel ]; then
		went_parallel || fail "not parallel: $(grep -m3 'ADD' "$T_TMP/err.txt")"
	else
		grep -q 'ADD group' "$T_TMP/err.txt" && fail "parallel, want sequential"
	fi
	run DEL
	expect_ok "DEL"
	expect_eq "$(held)" 0 "addresses held after DEL"
}
t_case "parallelAttach \"pod\": the annotation \"true\" attaches in parallel" annotation_case '"pod"' true parallel
t_case "parallelAttach \"pod\": no annotation attaches one after the other" annotation_case '"pod"' "" sequential
t_case "parallelAttach \"pod\": the annotation \"false\" attaches one after the other" annotation_case '"pod"' false sequential
t_case "parallelAttach false: the annotation \"true\" has no effect" annotation_case false true sequential

refused_case() { # NODE-SETTING ANNOTATION
	fresh
	manifests "$1" "$2"
	run ADD
	expect_eq "$(rc)" 1 "ADD must fail"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 110 "code"
	jget "$T_TMP/out.json" "j['msg']" | grep -q 'annotation plexus.dev/parallel-attach: "yes" is not "true" or "false"' ||
		fail "msg: $(jget "$T_TMP/out.json" "j['msg']")"
	expect_eq "$(pod_links)" 0 "links in the pod"
	expect_eq "$(states)" 0 "test-plugin attachments"
}
t_case "a bad plexus.dev/parallel-attach value is refused (node \"pod\")" refused_case '"pod"' yes
t_case "a bad plexus.dev/parallel-attach value is refused (node false)" refused_case false yes

bad_node_case() {
	fresh
	manifests '"always"'
	run ADD
	expect_eq "$(rc)" 1 "ADD must fail"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 7 "code"
	jget "$T_TMP/out.json" "j['msg']" | grep -q '^parallelAttach: "always" is not true, false or "pod"' ||
		fail "msg: $(jget "$T_TMP/out.json" "j['msg']")"
}
t_case "node config parallelAttach \"always\" is refused (code 7)" bad_node_case

deadline_case() { # [VAR=VALUE...]: n2's test plugin outlives delegateTimeout
	local ms
	fresh
	manifests true "" "" n2
	run ADD "$@"
	expect_eq "$(rc)" 1 "ADD must fail"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 102 "code (delegate timed out)"
	# n2's, or (a loaded machine, the sanitizer build) an earlier one's
	# first and n2's among the details
	jget "$T_TMP/out.json" "j['msg'] + ' ' + j.get('details', '')" |
		grep -q 'network "default/n2" (net2): plexus-testplugin: ADD timed out after 2000 ms' ||
		fail "msg: $(cat "$T_TMP/out.json")"
	# the group's own time (the rollback after it is not counted: exec'ed
	# sanitizer builds take long to delete)
	ms=$(sed -n 's/.*ADD group 0: 4 network(s) failed (\([0-9]*\)\..*/\1/p' "$T_TMP/err.txt")
	[ -n "$ms" ] || fail "no group line: $(grep -m3 ADD "$T_TMP/err.txt")"
	[ "$ms" -lt 5500 ] || fail "the group took $ms ms: the 2 s deadline was not kept"
	expect_eq "$(pod_links)" 0 "links in the pod after the rollback"
	expect_eq "$(held)" 0 "addresses held after the rollback"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left"
}
t_case "parallel ADD keeps delegateTimeout: a delegate past it fails its network (102), all rolled back" deadline_case
t_case "parallel ADD exec'ed keeps delegateTimeout (102), all rolled back" deadline_case PLEXUS_EXEC_ALWAYS=1

plan_case() { # plexusctl plan: the same verdict, the groups
	fresh
	manifests '"pod"' true
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json"
	expect_eq "$(jget "$T_TMP/plan.json" "j['parallelAttach']")" "{'parallel': True, 'groups': [[0, 1, 2, 3]]}" "plan JSON"
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 >"$T_TMP/plan.txt"
	grep -qx 'parallel ADD: yes, groups \[0 1 2 3\]' "$T_TMP/plan.txt" || fail "plan table: $(head -4 "$T_TMP/plan.txt")"
	manifests '"pod"' false
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json"
	expect_eq "$(jget "$T_TMP/plan.json" "j['parallelAttach']")" "{'parallel': False}" "plan JSON, annotation false"
	manifests '"pod"' yes
	set +e
	"$TOP/$BINDIR/plexusctl" plan --config "$T_TMP/node.conf" --pod default/p1 -o json >"$T_TMP/plan.json"
	set -e
	expect_eq "$(jget "$T_TMP/plan.json" "j['refused']['code']")" 110 "plan refuses a bad annotation"
}
t_case "plexusctl plan shows parallel ADD and its groups, and refuses a bad annotation" plan_case

# parallelDetach: DEL by plan_waves groups, last first, a group's members
# at once; the test plugin sleeps on DEL
del_once() { # DETACH [VAR=VALUE...]: ADD, then a timed DEL; all gone
	local tag=del-$1
	DETACH=$1
	shift
	fresh
	SLEEP_ON=DEL DETACH=$DETACH manifests true
	run ADD "$@"
	expect_ok "ADD ($tag)"
	run DEL "$@"
	expect_ok "DEL ($tag)"
	cp "$T_TMP/ms" "$T_TMP/$tag.ms"
	cp "$T_TMP/err.txt" "$T_TMP/$tag.log"
	expect_eq "$(pod_links)" 0 "links after DEL ($tag)"
	expect_eq "$(ip -n "$P" -o addr show | grep -vc ' lo ' || true)" 0 "addresses in the pod after DEL ($tag)"
	expect_eq "$(held)" 0 "addresses held after DEL ($tag)"
	expect_eq "$(states)" 0 "test-plugin attachments after DEL ($tag)"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left ($tag)"
}
del_case() { # [VAR=VALUE...]
	local s p
	del_once false "$@"
	grep -q 'DEL group' "$T_TMP/del-false.log" && fail "sequential DEL logged groups"
	del_once true "$@"
	grep -q 'DEL group 0: 4 network(s)' "$T_TMP/del-true.log" ||
		fail "no parallel DEL group logged: $(grep -m3 DEL "$T_TMP/del-true.log")"
	s=$(cat "$T_TMP/del-false.ms") p=$(cat "$T_TMP/del-true.ms")
	echo "# ${BINDIR} ${1:-in-process}: DEL sequential ${s} ms, parallel ${p} ms, ratio $(awk "BEGIN{printf \"%.2f\", $s/$p}") (4 networks, ${SLEEP_MS} ms each)" >&3
}
t_case "parallelDetach true, in-process: everything deleted as by a sequential DEL" del_case
t_case "parallelDetach true, exec'ed (PLEXUS_EXEC_ALWAYS=1): everything deleted" del_case PLEXUS_EXEC_ALWAYS=1

del_fail_case() { # [VAR=VALUE...]: n2's test plugin fails DEL
	fresh
	FAIL_ON=DEL DETACH=true manifests true "" n2
	run ADD "$@"
	expect_ok "ADD"
	run DEL "$@"
	expect_eq "$(rc)" 1 "DEL must fail"
	jget "$T_TMP/out.json" "j['msg']" | grep -q 'network "default/n2"' ||
		fail "msg does not name n2: $(cat "$T_TMP/out.json")"
	grep -q 'DEL group 0: 4 network(s)' "$T_TMP/err.txt" || fail "not parallel: $(grep -m3 DEL "$T_TMP/err.txt")"
	# n2's bridge link went too (a chain's DEL goes on past a failure);
	# only n2's test-plugin attachment is left
	expect_eq "$(pod_links)" 0 "links after the failed DEL"
	expect_eq "$(held)" 0 "addresses held after the failed DEL"
	expect_eq "$(find "$STATE" -type f | grep -vc n2 || true)" 0 "other test-plugin attachments after the failed DEL"
	expect_eq "$(states)" 1 "n2's test-plugin attachment"
}
t_case "parallelDetach, n2 fails DEL: the others deleted, n2's error reported" del_fail_case
t_case "parallelDetach exec'ed, n2 fails DEL: the others deleted, n2's error reported" del_fail_case PLEXUS_EXEC_ALWAYS=1
