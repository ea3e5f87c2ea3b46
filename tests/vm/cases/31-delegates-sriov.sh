# plexus-sriov in the VM: VF settings applied on a real SR-IOV PF
# (netdevsim) and restored at DEL; the VF's netdev is a stand-in (netdevsim
# VFs have none): a dummy that a stand-in sysfs tree names as the VF's
# netdev, moved into the pod and back. Sourced after /vm/lib.sh.

PLX=$TOP/$BINDIR/plexus-sriov
HL=/usr/lib/cni/host-local

# fresh: netdevsim device $ID with 2 VFs (PF netdev $PF), a dummy $VFN as
# VF 0's netdev, a sysfs tree at $SYS, pod netns $P, data dir $D.
fresh() {
	n=$(($(cat /tmp/sriov-n 2>/dev/null || echo 0) + 1))
	echo "$n" >/tmp/sriov-n
	ID=$((20 + n)) P=srp$n VFN=vfd$n D=$VM_T/data$n STATE=$VM_T/state$n
	SYS=$VM_T/sys$n
	echo "$ID 1" >/sys/bus/netdevsim/new_device
	dev=/sys/bus/netdevsim/devices/netdevsim$ID
	PF=""
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		for x in "$dev"/net/*; do [ -e "$x" ] && PF=${x##*/}; done
		[ -n "$PF" ] && break
		sleep 0.2
	done
	[ -n "$PF" ] || fail "no netdevsim netdev"
	echo 2 >"$dev/sriov_numvfs"
	ip link add "$VFN" type dummy
	VFMAC=$(cat /sys/class/net/"$VFN"/address)
	s=$SYS/bus/pci/devices
	mkdir -p "$s/0000:00:09.0/net/$PF" "$s/0000:00:09.1/net/$VFN" "$D" "$STATE"
	ln -s ../0000:00:09.1 "$s/0000:00:09.0/virtfn0"
	ln -s ../0000:00:09.0 "$s/0000:00:09.1/physfn"
	vm_netns "$P"
}
gone() {
	ip link del "$VFN" 2>/dev/null || true
	echo 0 >"/sys/bus/netdevsim/devices/netdevsim$ID/sriov_numvfs"
	echo "$ID" >/sys/bus/netdevsim/del_device
}

mkconf() { # FILE VERSION EXTRA
	ipam=""
	[ "$2" = 1.1.0 ] || ipam=",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.66.0.0/24\",\"dataDir\":\"$D\"}"
	printf '{"cniVersion":"%s","name":"sr","type":"plexus-sriov","deviceID":"0000:00:09.1"%s%s}\n' \
		"$2" "$3" "$ipam" >"$1"
}
plug() { # CMD CONF [NETNS-PATH]
	nsp=${3-/var/run/netns/$P}
	if CNI_COMMAND=$1 CNI_CONTAINERID=cid1 CNI_NETNS=$nsp CNI_IFNAME=net1 \
		CNI_PATH=$TOP/$BINDIR:/usr/lib/cni PLEXUS_SYSFS_ROOT=$SYS \
		PLEXUS_STATE_DIR=$STATE "$PLX" <"$2" >"$VM_T/res" 2>"$VM_T/stderr"; then
		echo 0 >"$VM_T/rc"
	else
		echo $? >"$VM_T/rc"
	fi
}
rc() { cat "$VM_T/rc"; }
expect_rc() { [ "$(rc)" = "$1" ] || fail "exit $(rc), want $1: $(cat "$VM_T/res" "$VM_T/stderr")"; }
vf0() { ip link show "$PF" | grep 'vf 0 '; }

SETTINGS=',"mac":"02:00:00:00:09:01","vlan":100,"vlanQoS":3,"spoofchk":"on","trust":"on","link_state":"enable","max_tx_rate":100'

add_check_del() { # VERSION
	v=$1
	fresh
	before=$(vf0)
	echo "before: $before"
	mkconf "$VM_T/c.json" "$v" "$SETTINGS"
	plug ADD "$VM_T/c.json"
	expect_rc 0
	cat "$VM_T/res"
	out=$(vf0)
	echo "after ADD: $out"
	expect_match "$out" 'link/ether 02:00:00:00:09:01' "vf 0 mac"
	expect_match "$out" 'vlan 100, qos 3' "vf 0 vlan/qos"
	expect_match "$out" 'spoof checking on' "vf 0 spoofchk"
	expect_match "$out" 'link-state enable' "vf 0 link_state"
	expect_match "$out" 'trust on' "vf 0 trust"
	expect_match "$out" 'max_tx_rate 100Mbps' "vf 0 max_tx_rate"
	expect_match "$(ip link show "$PF" | grep 'vf 1 ')" 'trust off' "vf 1 untouched"
	expect_match "$(ip -n "$P" link show net1)" 'link/ether 02:00:00:00:09:01' "pod netdev mac"
	[ -z "$(ip -o link show "$VFN" 2>/dev/null)" ] || fail "$VFN still on the host"
	if [ "$v" != 1.1.0 ]; then
		expect_match "$(ip -n "$P" -o -4 addr show dev net1)" 'inet 10\.66\.0\.' "pod address"
	fi
	{ sed 's/}$//' "$VM_T/c.json"; printf ',"prevResult":'; cat "$VM_T/res"; printf '}\n'; } >"$VM_T/cp.json"
	plug CHECK "$VM_T/cp.json"
	if [ "$v" = 0.3.1 ]; then expect_rc 1; else
		expect_rc 0
		ip link set "$PF" vf 0 vlan 200
		plug CHECK "$VM_T/cp.json"
		expect_rc 1
		expect_match "$(cat "$VM_T/res")" 'vlan' "CHECK names vlan"
	fi
	plug DEL "$VM_T/cp.json"
	expect_rc 0
	expect_eq "$(vf0)" "$before" "vf 0 restored"
	expect_eq "$(cat /sys/class/net/"$VFN"/address)" "$VFMAC" "$VFN MAC restored"
	[ -z "$(ls "$STATE")" ] || fail "state file left"
	[ -z "$(ls "$D"/sr 2>/dev/null | grep '^10\.')" ] || fail "allocation left"
	plug DEL "$VM_T/cp.json"
	expect_rc 0
	gone
}

# VF 5 does not exist on this PF: nothing changed, nothing kept.
bad_vf() { # VERSION
	v=$1
	fresh
	before=$(ip link show "$PF")
	ln -sfn ../0000:00:09.1 "$SYS/bus/pci/devices/0000:00:09.0/virtfn5"
	rm "$SYS/bus/pci/devices/0000:00:09.0/virtfn0"
	mkconf "$VM_T/c.json" "$v" "$SETTINGS"
	plug ADD "$VM_T/c.json"
	expect_rc 1
	expect_match "$(cat "$VM_T/res")" '"code": *7,' "error code"
	expect_eq "$(ip link show "$PF")" "$before" "PF unchanged"
	[ -n "$(ip -o link show "$VFN")" ] || fail "$VFN gone from the host"
	[ -z "$(ls "$STATE")" ] || fail "state file left"
	[ -z "$(ls "$D"/sr 2>/dev/null | grep '^10\.')" ] || fail "allocation left"
	gone
}

if [ -n "${VM_NETDEVSIM_SKIP:-}" ]; then
	vm_skip "plexus-sriov VF settings" "$VM_NETDEVSIM_SKIP"
elif [ ! -x "$PLX" ] || [ ! -x "$HL" ]; then
	vm_skip "plexus-sriov" "$PLX or $HL not in the VM"
else
	for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
		vm_case "[$v] plexus-sriov ADD/CHECK/DEL on netdevsim VF settings" add_check_del "$v"
		vm_case "[$v] plexus-sriov VF missing on the PF leaves nothing" bad_vf "$v"
	done
fi
