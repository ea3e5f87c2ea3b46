#!/bin/bash
# plexus with its own delegates (plexus-bridge, plexus-macvlan) and
# plexus-ipam: run in-process (no fork/exec) and exec'ed
# (PLEXUS_EXEC_ALWAYS=1) on the same configs, every spec version, in real
# network namespaces: the same results and the same pod, and nothing left
# after DEL or after a failed ADD.
. "$(dirname "$0")/../lib.sh"
H=plxnh$$ P=plxnp$$
T_NETNS="$H $P"
IPAM=$T_TMP/ipam STORE=$T_TMP/store CACHE=$T_TMP/cache

fresh() {
	t_netns "$H"
	t_netns "$P"
	ip -n "$H" link add plxup type veth peer name plxupp
	ip -n "$H" link set plxup up
	ip -n "$H" link set plxupp up
	rm -rf "$IPAM" "$STORE" "$CACHE"
	mkdir -p "$IPAM" "$STORE"
}

# run CMD CONF PATH [VAR=VALUE...]: plexus inside the host netns
run() {
	local cmd=$1 conf=$2 path=$3
	shift 3
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$path" NODE_NAME=node-a "$@" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
ALL="$TOP/$BINDIR:$REFDIR"
REF_ONLY="$REFDIR"	# our plugins not on CNI_PATH: only in-process can run them

# the store is a node setting: plexus hands "ipamNodeConfig" to plexus-ipam
pipam() { echo "\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$1\",\"gateway\":\"$2\"}"; }
hlocal() { echo "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$IPAM\",\"ranges\":[[{\"subnet\":\"$1\"}]]}"; }
mkconf() { # VERSION FILE [MASTER]
	local v=$1 rv=$1
	[ "$v" = 1.1.0 ] && rv=1.0.0 # Debian's host-local speaks up to 1.0.0
	cat >"$2" <<EOC
{"cniVersion":"$v","name":"t","type":"plexus","cniDir":"$CACHE","ipamNodeConfig":{"store":{"type":"file","path":"$STORE"}},"delegates":[
 {"cniVersion":"$v","name":"cluster","type":"plexus-bridge","bridge":"plxnb0","isGateway":true,$(pipam 10.70.1.0/24 10.70.1.1)},
 {"cniVersion":"$v","name":"storage","type":"plexus-macvlan","master":"${3:-plxup}","mode":"bridge",$(pipam 10.70.2.0/24 10.70.2.1)},
 {"cniVersion":"$rv","name":"legacy","type":"plexus-bridge","bridge":"plxnb1",$(hlocal 10.70.3.0/24)}]}
EOC
}
# what a result and the pod look like, without what differs run to run
norm_result() { jget "$T_TMP/out.json" "json.dumps({k: ([{kk: vv for kk, vv in i.items() if kk != 'mac'} for i in v] if k == 'interfaces' else v) for k, v in j.items()}, sort_keys=True)" | sed 's/veth[0-9a-f]*/vethX/g'; }
pod_state() {
	ip -n "$P" -j addr show | jget /dev/stdin "json.dumps(sorted((l['ifname'], l['mtu'], [(a['local'], a['prefixlen']) for a in l['addr_info'] if a.get('scope') == 'global']) for l in j if l['ifname'] != 'lo'))"
	ip -n "$P" route show
}
held() { find "$STORE" "$IPAM" -type f ! -name lock ! -name 'last_reserved*' 2>/dev/null | xargs -r grep -l c1 2>/dev/null | wc -l; }
pod_links() { ip -n "$P" -o link show | grep -vc ': lo:' || true; }

both_case() { # VERSION
	local v=$1 c=$T_TMP/n.conf
	fresh
	mkconf "$v" "$c"
	run ADD "$c" "$REF_ONLY"
	expect_ok "in-process ADD (our plugins not on CNI_PATH)"
	norm_result >"$T_TMP/inproc.result"
	pod_state >"$T_TMP/inproc.pod"
	expect_eq "$(jget "$T_TMP/out.json" "' '.join(j['interfaces'][i['interface']]['name'] for i in j['ips'])")" "eth0 net1 net2" "pod interfaces"
	case $v in 0.3.*) ;; *) run CHECK "$c" "$REF_ONLY"; expect_ok "in-process CHECK" ;; esac
	run DEL "$c" "$REF_ONLY"
	expect_ok "in-process DEL"
	expect_eq "$(pod_links)" 0 "links after DEL"
	expect_eq "$(held)" 0 "addresses held after DEL"

	fresh
	run ADD "$c" "$REF_ONLY" PLEXUS_EXEC_ALWAYS=1
	expect_eq "$(rc)" 1 "exec mode without our binaries on CNI_PATH must fail"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 100 "code"
	run ADD "$c" "$ALL" PLEXUS_EXEC_ALWAYS=1
	expect_ok "exec ADD"
	norm_result >"$T_TMP/exec.result"
	pod_state >"$T_TMP/exec.pod"
	diff -u "$T_TMP/exec.result" "$T_TMP/inproc.result" || fail "results differ"
	diff -u "$T_TMP/exec.pod" "$T_TMP/inproc.pod" || fail "pods differ"
	run DEL "$c" "$ALL" PLEXUS_EXEC_ALWAYS=1
	expect_ok "exec DEL"
	expect_eq "$(held)" 0 "addresses held after exec DEL"
}

rollback_case() { # VERSION: in-process ADD fails at the macvlan (bad master)
	local v=$1 c=$T_TMP/rb.conf
	fresh
	mkconf "$v" "$c" no-such-master
	run ADD "$c" "$REF_ONLY"
	expect_eq "$(rc)" 1 "ADD must fail"
	jget "$T_TMP/out.json" "j['msg']" | grep -q 'network "storage" (net1): plexus-macvlan' ||
		fail "msg: $(jget "$T_TMP/out.json" "j['msg']")"
	expect_eq "$(pod_links)" 0 "links in the pod after the rollback"
	expect_eq "$(held)" 0 "addresses held after the rollback"
	# the bridge itself stays, as after any DEL (the reference plugin's
	# behaviour too); it has no port left
	expect_eq "$(ls "/sys/class/net" >/dev/null; ip netns exec "$H" ls /sys/class/net/plxnb0/brif | wc -l)" 0 "ports on the bridge"
}

for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	t_case "[$v] native delegates + plexus-ipam: in-process and exec give the same result and pod" both_case "$v"
	t_case "[$v] native delegates in-process: a failed ADD leaves no link and no address" rollback_case "$v"
done

group_case() { # VERSION: batched teardown through one link group
	local v=$1 c=$T_TMP/g.conf
	fresh
	mkconf "$v" "$c"
	run ADD "$c" "$REF_ONLY"
	expect_ok ADD
	grp() { ip -n "$P" -j -d link show "$1" | jget /dev/stdin "j[0].get('group')"; }
	expect_eq "$(grp eth0) $(grp net1)" "1347180593 1347180593" "native pod links in plexus' group (0x504c5831)"
	expect_eq "$(grp net2)" "1347180593" "native bridge on host-local in the group too"
	# one link taken out of the group: DEL still removes it, link by link
	ip -n "$P" link set net1 group default
	run DEL "$c" "$REF_ONLY"
	expect_ok DEL
	expect_eq "$(pod_links)" 0 "links after the batched DEL"
	expect_eq "$(held)" 0 "addresses held after the batched DEL"
	expect_eq "$(ip netns exec "$H" ls /sys/class/net/plxnb0/brif | wc -l)" 0 "host veth ends gone with their pod ends"
	run ADD "$c" "$ALL" PLEXUS_EXEC_ALWAYS=1
	expect_ok "exec ADD"
	expect_eq "$(grp eth0)" "default" "exec mode leaves groups alone"
	run DEL "$c" "$ALL" PLEXUS_EXEC_ALWAYS=1
	expect_ok "exec DEL"
	expect_eq "$(pod_links)" 0 "links after exec DEL"
}
for v in 0.4.0 1.0.0; do
	t_case "[$v] DEL of native attachments: pod links in one link group, deleted in one request" group_case "$v"
done

# syncs: fsync/fdatasync/syncfs calls (strace -f, children included)
# of the last run, "name=count ..." sorted
syncs() { awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ {print $NF "=" $4}' "$T_TMP/st" | sort | tr '\n' ' ' | sed 's/ $//'; }
# total of them
nsyncs() { awk '$NF ~ /^(fsync|fdatasync|syncfs)$/ {n += $4} END {print n + 0}' "$T_TMP/st"; }
sync_case() { # EXEC(0|1): one durable commit per pod ADD and DEL
	local c=$T_TMP/s.conf mode=$1 xenv=() n
	[ "$mode" = 1 ] && xenv=(PLEXUS_EXEC_ALWAYS=1)
	fresh
	mkconf 1.0.0 "$c"
	for verb in ADD DEL ADD DEL; do
		strace -f -c -o "$T_TMP/st" -e trace=fsync,fdatasync,syncfs \
			ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" ASAN_OPTIONS=detect_leaks=0 \
			CNI_COMMAND=$verb CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
			CNI_PATH="$ALL" NODE_NAME=node-a "${xenv[@]}" \
			CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
			"$TOP/$BINDIR/plexus" <"$c" >"$T_TMP/out.json" 2>"$T_TMP/err.txt" ||
			{ cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$verb failed"; }
		n=$(nsyncs)
		echo "# figure: syncMode pod, exec=$mode, 3-network pod $verb: $(syncs)" >>"$T_TMP/figures"
		[ "$n" -le 2 ] || fail "$verb: $n sync calls ($(syncs)), at most 2 per pod"
		[ "$n" -ge 1 ] || fail "$verb: made nothing durable"
	done
	expect_eq "$(held)" 0 "addresses held after DEL"
	# syncMode "write": every store write fsync'ed on its own (the count
	# this replaces: 2 per block write, 2 for the record)
	sed 's/"cniDir"/"syncMode":"write","cniDir"/' "$c" >"$T_TMP/w.conf"
	strace -f -c -o "$T_TMP/st" -e trace=fsync,fdatasync,syncfs \
		ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" ASAN_OPTIONS=detect_leaks=0 \
		CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$ALL" NODE_NAME=node-a "${xenv[@]}" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/w.conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt" ||
		fail "syncMode write ADD failed"
	echo "# figure: syncMode write, exec=$mode, 3-network pod ADD: $(syncs)" >>"$T_TMP/figures"
	[ "$(nsyncs)" -ge 6 ] || fail "syncMode write: $(syncs), expected every write fsync'ed"
	run DEL "$T_TMP/w.conf" "$ALL" "${xenv[@]}"
	expect_ok "syncMode write DEL"
	expect_eq "$(held)" 0 "addresses held after DEL"
}
t_case "syncMode pod: a 3-network pod's ADD and DEL make their writes durable with at most 2 sync calls (in-process)" sync_case 0
t_case "syncMode pod: the same with every plugin exec'ed" sync_case 1
[ ! -f "$T_TMP/figures" ] || cat "$T_TMP/figures"
