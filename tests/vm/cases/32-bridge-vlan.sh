# plexus-bridge VLAN filtering in the VM (this machine's kernel has no
# bridge VLAN filtering): vlan, preserveDefaultVlan, vlanTrunk, the VLAN
# gateway interface of isGateway, bad values, and the same state as the
# reference bridge plugin (Debian's 1.1.1, which has vlan but not
# vlanTrunk/preserveDefaultVlan). Up to 1.0.0 the plugins run through
# libcni (libcni-driver, what containerd links); 1.1.0 runs plexus-bridge
# directly without IPAM (host-local, the reference plugins and this
# libcni speak up to 1.0.0). Bridges, ports and gateways live in the VM's
# root netns and are deleted by each case.

PLX=$TOP/$BINDIR/plexus-bridge
DRV=$TOP/build/bin/libcni-driver # one Go build, no sanitizer flavour
REF=/usr/lib/cni/bridge
BR=/sbin/bridge

# fresh: a new pod netns $P, bridge name $B, host-local data $D.
fresh() {
	n=$(($(cat /tmp/brv-n 2>/dev/null || echo 0) + 1))
	echo "$n" >/tmp/brv-n
	P=brvp$n B=brv$n D=$VM_T/data$n
	vm_netns "$P"
	mkdir -p "$D"
}

# mkconf FILE TYPE VERSION EXTRA: bridge $B, host-local unless 1.1.0.
mkconf() {
	ipam=""
	[ "$3" = 1.1.0 ] || ipam=",\"ipam\":{\"type\":\"host-local\",\"subnet\":\"10.88.0.0/24\",\"dataDir\":\"$D\"}"
	printf '{"cniVersion":"%s","name":"brv","type":"%s","bridge":"%s"%s%s}\n' \
		"$3" "$2" "$B" "$4" "$ipam" >"$1"
}

# run VERSION BIN CMD CONF: through libcni up to 1.0.0, else (or with
# DIRECT=1) directly. Output in $VM_T/res, exit code in $VM_T/rc.
run() {
	v=$1 bin=$2 cmd=$3 conf=$4
	if [ "$v" = 1.1.0 ] || [ "${DIRECT:-}" = 1 ]; then
		if [ "$cmd" = CHECK ]; then # prevResult: the ADD's result
			{ sed 's/}$//' "$conf"; printf ',"prevResult":'; cat "$VM_T/added"; printf '}\n'; } >"$VM_T/prev.json"
			conf=$VM_T/prev.json
		fi
		set -- env CNI_COMMAND="$cmd" CNI_CONTAINERID=cid1 \
			CNI_NETNS="/var/run/netns/$P" CNI_IFNAME=eth0 \
			CNI_PATH="$TOP/$BINDIR:/usr/lib/cni" "$bin"
	else
		case $cmd in ADD) c=add ;; CHECK) c=check ;; *) c=del ;; esac
		set -- "$DRV" "$c" --conf "$conf" \
			--netns "/var/run/netns/$P" --ifname eth0 --cid cid1 \
			--cache-dir "$VM_T/cache" --path "$(dirname "$bin"):/usr/lib/cni"
	fi
	# not a bare command: the case runs under set -e
	if "$@" <"$conf" >"$VM_T/res" 2>"$VM_T/stderr"; then
		echo 0 >"$VM_T/rc"
	else
		echo $? >"$VM_T/rc"
	fi
	[ "$cmd" != ADD ] || [ "$(rc)" != 0 ] || cp "$VM_T/res" "$VM_T/added"
}
rc() { cat "$VM_T/rc"; }
expect_rc() { [ "$(rc)" = "$1" ] || fail "exit $(rc), want $1: $(cat "$VM_T/res" "$VM_T/stderr")"; }
allocs() { ls "$D"/brv 2>/dev/null | grep -c '^10\.' || true; }

# The bridge ports: the pod's host veth, and a gateway's peer (a veth
# whose other end "<bridge>.<vlan>" is in this netns).
pod_port() { ip -o link show master "$B" | grep -v "@$B\\." | awk -F': ' '{print $2}' | cut -d@ -f1 | head -n 1; }
gw_port() { ip -o link show master "$B" | grep "@$B\\." | awk -F': ' '{print $2}' | cut -d@ -f1; }
# VLANs of a link as "vid flags" lines, the flags as bridge(8) prints them.
vlans() { "$BR" vlan show dev "$1" | sed 1d | sed "s/^$1//" | awk 'NF {$1=$1; print}'; }
filtering() { ip -d link show "$B" | grep -oE 'vlan_filtering [01]'; }
# cleanup: the bridge and any gateway of ours.
cleanup() {
	ip link del "$B.100" 2>/dev/null || true
	ip link del "$B" 2>/dev/null || true
}

add_check_del() { # VERSION
	v=$1
	fresh
	mkconf "$VM_T/c.json" plexus-bridge "$v" ',"vlan":100'
	run "$v" "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	expect_eq "$(filtering)" "vlan_filtering 1" "bridge VLAN filtering"
	port=$(pod_port)
	[ -n "$port" ] || fail "no pod port on $B"
	expect_eq "$(vlans "$port" | tr '\n' ';')" "1 Egress Untagged;100 PVID Egress Untagged;" "port VLANs"
	if [ "$v" != 0.3.1 ]; then
		run "$v" "$PLX" CHECK "$VM_T/c.json"
		expect_rc 0
		"$BR" vlan del dev "$port" vid 100
		run "$v" "$PLX" CHECK "$VM_T/c.json"
		expect_rc 1
		expect_match "$(cat "$VM_T/res" "$VM_T/stderr")" "VLAN 100" "CHECK names the VLAN"
	fi
	run "$v" "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	[ -z "$(ip -n "$P" -o link show eth0 2>/dev/null)" ] || fail "eth0 left after DEL"
	[ -z "$(ip -o link show master "$B")" ] || fail "port left after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	run "$v" "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	cleanup
}

no_default_vlan() { # VERSION
	v=$1
	fresh
	mkconf "$VM_T/c.json" plexus-bridge "$v" ',"vlan":100,"preserveDefaultVlan":false'
	run "$v" "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	expect_eq "$(vlans "$(pod_port)" | tr '\n' ';')" "100 PVID Egress Untagged;" "port VLANs"
	[ "$v" = 0.3.1 ] || { run "$v" "$PLX" CHECK "$VM_T/c.json"; expect_rc 0; }
	run "$v" "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	cleanup
}

trunk() { # VERSION
	v=$1
	fresh
	mkconf "$VM_T/c.json" plexus-bridge "$v" \
		',"preserveDefaultVlan":false,"vlanTrunk":[{"id":5},{"minID":10,"maxID":12},{"id":11}]'
	run "$v" "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	expect_eq "$(filtering)" "vlan_filtering 1" "bridge VLAN filtering"
	expect_eq "$(vlans "$(pod_port)" | tr '\n' ';')" "5;10;11;12;" "port VLANs (tagged)"
	if [ "$v" != 0.3.1 ]; then
		run "$v" "$PLX" CHECK "$VM_T/c.json"
		expect_rc 0
		"$BR" vlan add dev "$(pod_port)" vid 7
		run "$v" "$PLX" CHECK "$VM_T/c.json"
		expect_rc 1
		expect_match "$(cat "$VM_T/res" "$VM_T/stderr")" "VLAN 7" "CHECK names the stray VLAN"
	fi
	run "$v" "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	[ -z "$(ip -o link show master "$B")" ] || fail "port left after DEL"
	cleanup
}

# isGateway with vlan: the address on "<bridge>.100", whose peer is a
# bridge port in VLAN 100; the pod reaches it through the bridge.
gateway() { # VERSION
	v=$1
	fresh
	mkconf "$VM_T/c.json" plexus-bridge "$v" ',"vlan":100,"isGateway":true,"preserveDefaultVlan":false'
	run "$v" "$PLX" ADD "$VM_T/c.json"
	expect_rc 0
	expect_match "$(ip -o -4 addr show dev "$B.100")" 'inet 10\.88\.0\.1/24' "gateway address"
	[ -z "$(ip -o -4 addr show dev "$B")" ] || fail "address on the bridge itself"
	expect_match "$(cat "$VM_T/res")" "\"name\": *\"$B\\.100\"" "gateway in the result"
	expect_eq "$(vlans "$(gw_port)" | tr '\n' ';')" "100 PVID Egress Untagged;" "gateway port VLANs"
	ip netns exec "$P" ping -c 1 -W 2 10.88.0.1 >/dev/null || fail "pod does not reach its gateway"
	run "$v" "$PLX" DEL "$VM_T/c.json"
	expect_rc 0
	cleanup
}

# Bad values fail before anything is made; a failure part-way (the
# gateway's name too long, after bridge, port and IPAM) leaves nothing.
bad() { # VERSION
	v=$1
	fresh
	veths=$(ip -o link show type veth | wc -l)
	for x in '"vlan":5000' '"vlanTrunk":[{"minID":9,"maxID":3}]' '"vlanTrunk":[{"id":0}]' \
		'"vlan":3,"vlanTrunk":[{"id":4}]'; do
		mkconf "$VM_T/c.json" plexus-bridge "$v" ",$x"
		DIRECT=1 # a config error: libcni adds nothing to see (faster)
		run "$v" "$PLX" ADD "$VM_T/c.json"
		DIRECT=0
		expect_rc 1
		expect_match "$(cat "$VM_T/res")" '"code": *7' "error code for $x"
		expect_match "$(cat "$VM_T/res")" '\\"vlan' "message names the key for $x"
		[ -z "$(ip -o link show "$B" 2>/dev/null)" ] || fail "bridge made for $x"
	done
	B=brvlongname$n
	mkconf "$VM_T/c.json" plexus-bridge "$v" ',"vlan":1000,"isGateway":true'
	run "$v" "$PLX" ADD "$VM_T/c.json"
	expect_rc 1
	expect_match "$(cat "$VM_T/res")" 'longer than 15' "gateway name error"
	[ -z "$(ip -o link show "$B" 2>/dev/null)" ] || fail "bridge left behind"
	[ -z "$(ip -n "$P" -o link show eth0 2>/dev/null)" ] || fail "eth0 left behind"
	expect_eq "$(ip -o link show type veth | wc -l)" "$veths" "veths after the failure"
	expect_eq "$(allocs)" 0 "allocations"
}

# state: what both plugins leave: bridge filtering and own VLANs, the pod
# port's VLANs, the gateway interface (addresses, state, peer's VLANs),
# the result's interface names, the pod's addresses and routes.
state() {
	filtering
	echo "bridge: $(vlans "$B" | tr '\n' ';') $(ip -o addr show dev "$B" | awk '$4 !~ /^fe80/ {print $3, $4}')"
	echo "port: $(vlans "$(pod_port)" | tr '\n' ';')"
	if ip link show "$B.100" >/dev/null 2>&1; then
		echo "gw: $(ip -o link show "$B.100" | grep -oE 'state [A-Z]+|mtu [0-9]+' | tr '\n' ' ')"
		ip -o addr show dev "$B.100" | awk '$4 !~ /^fe80/ {print "gw:", $3, $4}'
		echo "gw port: $(vlans "$(gw_port)" | tr '\n' ';')"
	fi
	grep -oE '"name": *"[^"]*"' "$VM_T/res" | sed 's/veth[0-9a-f]*/vethX/' | tr -d ' '
	ip -n "$P" -o link show eth0 | grep -oE 'mtu [0-9]+|state [A-Z]+'
	ip -n "$P" -o addr show dev eth0 | awk '$4 !~ /^fe80/ {print $3, $4}'
	ip -n "$P" route show | sort
}

# equiv VERSION EXTRA [existing]: with "existing", the bridge is made
# (without VLAN filtering) before each plugin runs; both leave it so.
equiv() {
	v=$1 x=$2 pre=${3:-}
	fresh
	[ -z "$pre" ] || ip link add "$B" type bridge
	mkconf "$VM_T/r.json" bridge "$v" "$x"
	run "$v" "$REF" ADD "$VM_T/r.json"
	expect_rc 0
	state >"$VM_T/st-ref"
	run "$v" "$REF" DEL "$VM_T/r.json"
	expect_rc 0
	cleanup
	ip netns del "$P"
	vm_netns "$P"
	D=$D-ours # host-local hands out the next address after a release
	mkdir -p "$D"
	[ -z "$pre" ] || ip link add "$B" type bridge
	mkconf "$VM_T/o.json" plexus-bridge "$v" "$x"
	run "$v" "$PLX" ADD "$VM_T/o.json"
	expect_rc 0
	state >"$VM_T/st-ours"
	run "$v" "$PLX" DEL "$VM_T/o.json"
	expect_rc 0
	cleanup
	cat "$VM_T/st-ref"
	expect_match "$(cat "$VM_T/st-ref")" 'port: .*100 PVID' "state read"
	[ -z "$pre" ] || expect_match "$(cat "$VM_T/st-ours")" 'vlan_filtering 0' "existing bridge untouched"
	diff "$VM_T/st-ref" "$VM_T/st-ours" || fail "state differs from the reference"
}

if [ ! -x "$PLX" ] || [ ! -x "$BR" ]; then
	vm_skip "plexus-bridge vlan" "$PLX or $BR not in the VM"
else
	for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
		if [ "$v" != 1.1.0 ] && [ ! -x "$DRV" ]; then
			vm_skip "[$v] plexus-bridge vlan" "$DRV not in the VM"
			continue
		fi
		vm_case "[$v] plexus-bridge vlan ADD/CHECK/DEL" add_check_del "$v"
		vm_case "[$v] plexus-bridge vlan, preserveDefaultVlan false" no_default_vlan "$v"
		vm_case "[$v] plexus-bridge vlanTrunk ADD/CHECK/DEL" trunk "$v"
		[ "$v" = 1.1.0 ] && continue # no IPAM: no gateway, no reference
		vm_case "[$v] plexus-bridge vlan isGateway: gateway interface <bridge>.<vlan>" gateway "$v"
		vm_case "[$v] plexus-bridge bad vlan values leave nothing" bad "$v"
		if [ ! -x "$REF" ]; then
			vm_skip "[$v] plexus-bridge vlan same state as reference bridge" "$REF not in the VM"
			continue
		fi
		vm_case "[$v] plexus-bridge vlan same state as reference bridge (libcni)" equiv "$v" ',"vlan":100'
		vm_case "[$v] plexus-bridge vlan isGateway same state as reference bridge (libcni)" \
			equiv "$v" ',"vlan":100,"isGateway":true,"isDefaultGateway":true'
		[ "$v" = 1.0.0 ] || continue # one version is enough for this one
		vm_case "[$v] plexus-bridge vlan on an existing bridge without filtering same state as reference (libcni)" \
			equiv "$v" ',"vlan":100' existing
	done
fi
