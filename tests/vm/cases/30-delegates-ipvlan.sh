# plexus-ipvlan in the VM (this machine's kernel has no ipvlan): ADD/CHECK/
# DEL per spec version, a bad master, DEL with the netns gone, and the same
# pod state and result as the reference ipvlan plugin for modes l2, l3,
# l3s, both driven through libcni (build/bin/libcni-driver). Sourced
# after /vm/lib.sh (busybox sh). The lower devices are dummies in the VM's
# root netns. 1.1.0 runs without IPAM and without the reference plugin
# (host-local and ipvlan from Debian speak up to 1.0.0).

PLX=$TOP/$BINDIR/plexus-ipvlan
REF=/usr/lib/cni/ipvlan
HL=/usr/lib/cni/host-local

# fresh: a new dummy lower $L (up) and pod netns $P; host-local data $D.
fresh() {
	n=$(($(cat /tmp/ipv-n 2>/dev/null || echo 0) + 1))
	echo "$n" >/tmp/ipv-n
	L=ipl$n P=ipp$n D=$VM_T/data$n
	ip link add "$L" type dummy
	ip link set "$L" up
	vm_netns "$P"
	mkdir -p "$D"
}

# mkconf FILE TYPE VERSION MODE MASTER: config with host-local (not 1.1.0).
mkconf() {
	ipam=""
	[ "$3" = 1.1.0 ] || ipam=",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.88.0.0/24\",\"dataDir\":\"$D\",\"routes\":[{\"dst\":\"10.89.0.0/16\"}]}"
	printf '{"cniVersion":"%s","name":"ipv","type":"%s","master":"%s","mode":"%s","mtu":1400%s}\n' \
		"$3" "$2" "$5" "$4" "$ipam" >"$1"
}

# plug BIN CMD CONF [NETNS-PATH]: output in $VM_T/res, exit code in $VM_T/rc.
plug() {
	nsp=${4-/var/run/netns/$P}
	if CNI_COMMAND=$2 CNI_CONTAINERID=cid1 CNI_NETNS=$nsp CNI_IFNAME=eth0 \
		CNI_PATH=$TOP/$BINDIR:/usr/lib/cni "$1" <"$3" >"$VM_T/res" 2>"$VM_T/stderr"; then
		echo 0 >"$VM_T/rc"
	else
		echo $? >"$VM_T/rc"
	fi
}
rc() { cat "$VM_T/rc"; }
expect_rc() { [ "$(rc)" = "$1" ] || fail "exit $(rc), want $1: $(cat "$VM_T/res" "$VM_T/stderr")"; }
allocs() { ls "$D"/ipv 2>/dev/null | grep -c '^10\.' || true; }

# with_prev CONF OUT: CONF with the last result as prevResult.
with_prev() {
	{ sed 's/}$//' "$1"; printf ',"prevResult":'; cat "$VM_T/res"; printf '}\n'; } >"$2"
}

# What the pod shows: link mode and MTU, addresses, routes, sysctls.
pod_state() {
	ip -n "$P" -d -o link show eth0 | grep -oE 'mtu [0-9]+|ipvlan +mode [a-z0-9]+ [a-z]+'
	ip -n "$P" -o addr show dev eth0 | awk '$4 !~ /^fe80/ {print $3, $4, $5, $6, $7, $8}'
	ip -n "$P" route show | sort
	for k in ipv4/conf/eth0/arp_notify ipv6/conf/eth0/accept_dad; do
		echo "$k=$(ip netns exec "$P" cat /proc/sys/net/$k)"
	done
}

add_check_del() { # VERSION MODE
	v=$1 mode=$2
	fresh
	mkconf "$VM_T/c.json" plexus-ipvlan "$v" "$mode" "$L"
	plug "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	cat "$VM_T/res"
	expect_match "$(cat "$VM_T/res")" "\"sandbox\": *\"/var/run/netns/$P\"" "result sandbox"
	expect_match "$(ip -n "$P" -d link show eth0)" "ipvlan +mode $mode " "ipvlan mode"
	if [ "$v" != 1.1.0 ]; then
		expect_match "$(ip -n "$P" -o -4 addr show dev eth0)" 'inet 10\.88\.0\.[0-9]+/24' "pod address"
		expect_match "$(ip -n "$P" route show)" '^10\.89\.0\.0/16 via 10\.88\.0\.1 dev eth0' "route"
		expect_eq "$(allocs)" 1 "allocations"
	fi
	with_prev "$VM_T/c.json" "$VM_T/cp.json"
	plug "$PLX" CHECK "$VM_T/cp.json"
	if [ "$v" = 0.3.1 ]; then
		expect_rc 1
		expect_match "$(cat "$VM_T/res")" '"code": *1,' "CHECK refused for 0.3.1"
	else
		expect_rc 0
	fi
	if [ "$v" != 1.1.0 ] && [ "$v" != 0.3.1 ]; then
		ip -n "$P" addr flush dev eth0
		plug "$PLX" CHECK "$VM_T/cp.json"
		expect_rc 1
	fi
	plug "$PLX" DEL "$VM_T/cp.json"
	expect_rc 0
	[ -z "$(ip -n "$P" -o link show eth0 2>/dev/null)" ] || fail "eth0 left after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	plug "$PLX" DEL "$VM_T/cp.json"
	expect_rc 0
	ip link del "$L"
}

bad_master() { # VERSION
	fresh
	mkconf "$VM_T/c.json" plexus-ipvlan "$1" l2 nope0
	plug "$PLX" ADD "$VM_T/c.json"
	expect_rc 1
	expect_match "$(cat "$VM_T/res")" '"code": *7,' "error code"
	expect_match "$(cat "$VM_T/res")" 'nope0' "message names the master"
	expect_eq "$(allocs)" 0 "allocations"
	ip link del "$L"
}

del_netns_gone() { # VERSION
	fresh
	mkconf "$VM_T/c.json" plexus-ipvlan "$1" l2 "$L"
	plug "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	ip netns del "$P"
	plug "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	expect_eq "$(allocs)" 0 "allocations after DEL"
	plug "$PLX" DEL "$VM_T/c.json" ""
	expect_rc 0
	ip link del "$L"
}

# linkInContainer: the lower device is a dummy inside the pod.
in_container() { # VERSION
	fresh
	ip -n "$P" link add plow type dummy
	ip -n "$P" link set plow up
	mkconf "$VM_T/c.json" plexus-ipvlan "$1" l2 plow
	sed -i 's/}$/,"linkInContainer":true}/' "$VM_T/c.json"
	plug "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	expect_match "$(ip -n "$P" -d link show eth0)" 'eth0@plow' "eth0 on plow"
	expect_match "$(ip -n "$P" -d link show eth0)" 'ipvlan +mode l2 ' "ipvlan mode"
	plug "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	[ -z "$(ip -n "$P" -o link show eth0 2>/dev/null)" ] || fail "eth0 left after DEL"
	ip link del "$L"
}

# Equivalence, both plugins driven through libcni (libcni-driver, what
# containerd and CRI-O link): ADD (pod state and result compared), CHECK
# with libcni's cached result (libcni itself refuses CHECK below 0.4.0),
# DEL with the cached result as prevResult, nothing left, a second DEL.
DRV=$TOP/build/bin/libcni-driver

# lc VERB CONF: CONF through libcni for pod $P; output in $VM_T/res,
# $VM_T/stderr, exit code in $VM_T/rc.
lc() {
	if "$DRV" "$1" --conf "$2" --netns "/var/run/netns/$P" --ifname eth0 \
		--cid cid1 --cache-dir "$VM_T/cache-$P" --path "$TOP/$BINDIR:/usr/lib/cni" \
		>"$VM_T/res" 2>"$VM_T/stderr"; then
		echo 0 >"$VM_T/rc"
	else
		echo $? >"$VM_T/rc"
	fi
}

# lifecycle WHO CONF VERSION ROUTE-GW: state and result in $VM_T/st-WHO,
# res-WHO (what varies with the netns dropped: MAC, sandbox path).
lifecycle() {
	lc add "$2"
	expect_rc 0
	sed -e '/"mac"/d' -e '/"sandbox"/d' "$VM_T/res" >"$VM_T/res-$1"
	pod_state >"$VM_T/st-$1"
	lc check "$2"
	if [ "$3" = 0.3.1 ]; then
		expect_rc 1
		expect_match "$(cat "$VM_T/stderr")" 'does not support the CHECK command' "libcni CHECK at 0.3.1"
	elif [ "$1" = ref ] && [ -z "$4" ]; then
		# Debian's reference plugins (1.1.1) fail CHECK when a result route
		# has no gateway: containernetworking/plugins#886, fixed in 1.3.0
		expect_rc 1
		expect_match "$(cat "$VM_T/stderr")" 'GW:<nil>} not found in routing table' "reference CHECK bug"
	else
		expect_rc 0
	fi
	lc del "$2"
	expect_rc 0
	expect_eq "$(ip -n "$P" -o link show | grep -cv ': lo:')" 0 "pod links after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	expect_eq "$(ls "$VM_T/cache-$P/results" 2>/dev/null | wc -l)" 0 "libcni cached results after DEL"
	lc del "$2"
	expect_rc 0
}

equiv() { # VERSION MODE [ROUTE-GW]
	v=$1 mode=$2 gw=${3:-}
	[ -x "$DRV" ] || fail "$DRV is not in the VM (tests/vm/bins.txt; make builds it)"
	for who in ref ours; do
		fresh
		t=ipvlan
		[ $who = ours ] && t=plexus-ipvlan
		mkconf "$VM_T/c-$who.json" "$t" "$v" "$mode" "$L"
		[ -z "$gw" ] || sed -i "s|\"dst\":\"10.89.0.0/16\"|&,\"gw\":\"$gw\"|" "$VM_T/c-$who.json"
		lifecycle $who "$VM_T/c-$who.json" "$v" "$gw"
		ip link del "$L"
	done
	cat "$VM_T/st-ref"
	[ -s "$VM_T/st-ref" ] || fail "no state read"
	expect_match "$(cat "$VM_T/st-ours")" 'arp_notify=1' "arp_notify read"
	[ -z "$gw" ] || expect_match "$(cat "$VM_T/st-ours")" "10.89.0.0/16 via $gw" "route via gw"
	diff "$VM_T/st-ref" "$VM_T/st-ours" || fail "pod state differs"
	diff "$VM_T/res-ref" "$VM_T/res-ours" || fail "result differs"
}

if [ ! -x "$PLX" ] || [ ! -x "$HL" ] || [ ! -x "$REF" ]; then
	vm_skip "plexus-ipvlan" "$PLX, $HL or $REF not in the VM"
else
	for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
		vm_case "[$v] plexus-ipvlan ADD/CHECK/DEL" add_check_del "$v" l3
		vm_case "[$v] plexus-ipvlan bad master leaves nothing" bad_master "$v"
		vm_case "[$v] plexus-ipvlan DEL with the netns gone" del_netns_gone "$v"
		vm_case "[$v] plexus-ipvlan linkInContainer" in_container "$v"
		# the reference plugin speaks up to 1.0.0
		[ "$v" = 1.1.0 ] && continue
		how="ADD/CHECK/DEL through libcni"
		[ "$v" = 0.3.1 ] && how="$how (which refuses CHECK below 0.4.0)"
		vm_case "[$v] plexus-ipvlan (l2, route without gw) same pod state as reference ipvlan, $how" \
			equiv "$v" l2
		for mode in l3 l3s; do
			vm_case "[$v] plexus-ipvlan ($mode) same pod state as reference ipvlan, $how" \
				equiv "$v" "$mode" 10.88.0.1
		done
	done
fi
