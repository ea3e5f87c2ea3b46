# In-VM cases proving the harness: the kernel features plexus' delegates
# need and this machine's own kernel lacks. Sourced after /vm/lib.sh.

case_dummy() {
	ip link add kdum0 type dummy
	ip link set kdum0 up
	expect_match "$(ip -d link show kdum0)" '^ +dummy ' "ip -d link show kdum0"
	ip link del kdum0
	[ ! -e /sys/class/net/kdum0 ] || fail "kdum0 still there"
}

# ipvlan_pair MODE: two ipvlan slaves of one dummy, each moved into its own
# netns with an address; the mode shows in ip -d and they reach each other.
ipvlan_pair() {
	mode=$1
	lower=kipv-$mode
	ip link add "$lower" type dummy
	ip link set "$lower" up
	for i in 1 2; do
		ns=$lower-$i
		vm_netns "$ns"
		ip link add link "$lower" name "ipv$i" type ipvlan mode "$mode"
		ip link set "ipv$i" netns "$ns"
		ip -n "$ns" addr add "10.10.0.$i/24" dev "ipv$i"
		ip -n "$ns" link set "ipv$i" up
	done
	expect_match "$(ip -n "$lower-1" -d link show ipv1)" "ipvlan +mode $mode " \
		"ip -d link show ipv1"
	expect_match "$(ip -n "$lower-1" -o -4 addr show dev ipv1)" \
		'inet 10\.10\.0\.1/24 ' "address of ipv1"
	ip netns exec "$lower-1" ping -c 1 -W 3 10.10.0.2
	ip link del "$lower"
	# the slaves went with their lower device
	[ -z "$(ip -n "$lower-1" -o link show ipv1 2>/dev/null)" ] ||
		fail "ipv1 outlived $lower"
}
case_ipvlan_l2() { ipvlan_pair l2; }
case_ipvlan_l3() { ipvlan_pair l3; }

case_vlan() {
	ip link add kvl type dummy
	ip link set kvl up
	ip link add link kvl name kvl.100 type vlan id 100
	ip link set kvl.100 up
	expect_match "$(ip -d link show kvl.100)" 'vlan protocol 802\.1Q id 100 ' \
		"ip -d link show kvl.100"
	expect_match "$(cat /proc/net/vlan/config)" '^kvl\.100 +\| 100 +\| kvl$' \
		"/proc/net/vlan/config"
	ip link del kvl
	[ ! -e /sys/class/net/kvl.100 ] || fail "kvl.100 outlived its lower device"
}

case_macvlan() {
	ip link add kmv type dummy
	ip link set kmv up
	vm_netns kmv-ns
	ip link add link kmv name mv0 type macvlan mode bridge
	ip link set mv0 netns kmv-ns
	ip -n kmv-ns addr add 10.20.0.2/24 dev mv0
	ip -n kmv-ns link set mv0 up
	expect_match "$(ip -n kmv-ns -d link show mv0)" 'macvlan +mode bridge ' \
		"ip -d link show mv0"
	expect_match "$(ip -n kmv-ns -o -4 addr show dev mv0)" 'inet 10\.20\.0\.2/24 ' \
		"address of mv0"
	ip link del kmv
}

# netdevsim device 7 with 2 VFs; VF settings made on the PF show in ip link.
case_netdevsim_vfs() {
	echo "7 1" >/sys/bus/netdevsim/new_device
	dev=/sys/bus/netdevsim/devices/netdevsim7
	pf=""
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		for n in "$dev"/net/*; do [ -e "$n" ] && pf=${n##*/}; done
		[ -n "$pf" ] && break
		sleep 0.2
	done
	[ -n "$pf" ] || fail "no netdev under $dev/net"
	max=$(cat /sys/kernel/debug/netdevsim/netdevsim7/max_vfs)
	[ "$max" -ge 2 ] || fail "max_vfs $max < 2"
	echo 2 >"$dev/sriov_numvfs"
	expect_eq "$(cat "$dev/sriov_numvfs")" 2 "sriov_numvfs"
	ip link set "$pf" vf 0 mac 02:00:00:00:07:01
	ip link set "$pf" vf 0 vlan 10
	# netdevsim starts with spoof checking off: turn it on first so that
	# "off" below is the effect of our request, not the default.
	ip link set "$pf" vf 0 spoofchk on
	expect_match "$(ip link show "$pf")" 'vf 0 .*spoof checking on' "vf 0 spoofchk on"
	ip link set "$pf" vf 0 spoofchk off
	ip link set "$pf" vf 0 trust on
	out=$(ip link show "$pf")
	echo "$out"
	expect_match "$out" 'vf 0 .*link/ether 02:00:00:00:07:01' "vf 0 mac"
	expect_match "$out" 'vf 0 .*vlan 10' "vf 0 vlan"
	expect_match "$out" 'vf 0 .*spoof checking off' "vf 0 spoofchk"
	expect_match "$out" 'vf 0 .*trust on' "vf 0 trust"
	expect_match "$out" 'vf 1 .*trust off' "vf 1 untouched"
	echo 0 >"$dev/sriov_numvfs"
	echo 7 >/sys/bus/netdevsim/del_device
}

# A libnl-3 program (dynamically linked, copied with its libraries by
# run.sh) lists the links of a netns.
case_libnl_in_netns() {
	vm_netns klnl
	ip -n klnl link add klnl0 type dummy
	out=$(ip netns exec klnl /usr/bin/nl-link-list)
	echo "$out"
	expect_match "$out" '^lo ' "nl-link-list: lo"
	expect_match "$out" '^klnl0 ' "nl-link-list: klnl0"
	[ "$(echo "$out" | wc -l)" = 2 ] || fail "links from outside the netns listed"
}

vm_case "dummy link" case_dummy
vm_case "ipvlan l2 in netns: mode, address, ping" case_ipvlan_l2
vm_case "ipvlan l3 in netns: mode, address, ping" case_ipvlan_l3
vm_case "vlan id 100 on a dummy" case_vlan
vm_case "macvlan bridge in netns" case_macvlan
if [ -n "${VM_NETDEVSIM_SKIP:-}" ]; then
	vm_skip "netdevsim SR-IOV VF settings" "$VM_NETDEVSIM_SKIP"
else
	vm_case "netdevsim SR-IOV VF mac/vlan/spoofchk/trust" case_netdevsim_vfs
fi
if [ -x /usr/bin/nl-link-list ]; then
	vm_case "libnl-3 program lists links in a netns" case_libnl_in_netns
else
	vm_skip "libnl-3 program" "/usr/bin/nl-link-list not included (libnl-utils)"
fi
