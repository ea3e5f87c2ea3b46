#!/bin/bash
# Differential suite: the native delegates (plexus-bridge, plexus-macvlan)
# and plexus-ipam against Debian's reference plugins (bridge, macvlan,
# host-local), option by option, IPv4, IPv6 and dual stack, and the
# result of every spec version: see tests/differential/lib.sh for the
# sides and what is compared. Options of Debian's version (1.1.1) that
# need what this kernel lacks (bridge "vlan": VLAN filtering; ipvlan)
# are skipped here. Needs root.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || { t_skip "differential delegates" "needs root"; exit 0; }

BR='"bridge":"pxdfbr"'
GW='"isGateway":true'
DGW='"isGateway":true,"isDefaultGateway":true'
b() { dcase "[$2] bridge $1" bridge "$2" "$3" "$4" eth0 pxdfbr "" "${5:-}"; }
m() { dcase "[$2] macvlan $1" macvlan "$2" "$3" "$4" net1 "" "${5:-}"; }
# every side for the spec versions; the option matrix without the meta
# plugin (the same delegate code in-process), to keep the suite near 4 min

# the result and the pod at every spec version
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	b "(isGateway, isDefaultGateway) IPv4" "$v" 4 "{$BR,$DGW}"
	m "(bridge mode) IPv4" "$v" 4 '{"master":"pxup0","mode":"bridge"}'
done
# bridge options one by one (IPv4), then the families
SIDES="ref ours-hl ours-pi"
b "(L2 only) IPv4" 1.0.0 4 "{$BR}"
b "(isGateway) IPv4" 1.0.0 4 "{$BR,$GW}"
b "(isDefaultGateway alone) IPv4" 1.0.0 4 "{$BR,\"isDefaultGateway\":true}"
b "(ipMasq) IPv4" 1.0.0 4 "{$BR,$GW,\"ipMasq\":true}"
b "(ipMasq) IPv6" 1.0.0 6 "{$BR,$GW,\"ipMasq\":true}"
b "(hairpinMode) IPv4" 1.0.0 4 "{$BR,$GW,\"hairpinMode\":true}"
b "(hairpinMode) IPv6" 1.0.0 6 "{$BR,$GW,\"hairpinMode\":true}"
b "(promiscMode) IPv4" 1.0.0 4 "{$BR,\"promiscMode\":true}"
b "(mtu 1400) IPv4" 1.0.0 4 "{$BR,$GW,\"mtu\":1400}"
b "(macspoofchk) IPv4" 1.0.0 4 "{$BR,$GW,\"macspoofchk\":true}"
b "(enabledad false) IPv6" 1.0.0 6 "{$BR,$GW,\"enabledad\":false}"
b "(enabledad true) IPv6" 1.0.0 6 "{$BR,$GW,\"enabledad\":true}"
b "(mac from runtimeConfig) IPv4" 1.0.0 4 "{$BR,\"capabilities\":{\"mac\":true},\"runtimeConfig\":{\"mac\":\"02:aa:bb:cc:dd:02\"}}"
b "(existing bridge with another address, isGateway) IPv4" 1.0.0 4 "{$BR,$GW}" \
	'ip -n "$H" link add pxdfbr type bridge; ip -n "$H" addr add 10.77.0.99/24 dev pxdfbr'
b "(existing bridge with another address, forceAddress) IPv4" 1.0.0 4 "{$BR,$GW,\"forceAddress\":true}" \
	'ip -n "$H" link add pxdfbr type bridge; ip -n "$H" addr add 10.77.0.99/24 dev pxdfbr'
b "(isGateway, isDefaultGateway) IPv6" 1.0.0 6 "{$BR,$DGW}"
b "(isGateway, isDefaultGateway) dual stack" 1.0.0 46 "{$BR,$DGW}"
b "(L2 only) dual stack" 1.0.0 46 "{$BR}"
b "(route via the gateway) IPv4" 1.0.0 4 "{$BR,$GW,\"ipam\":{\"routes\":[{\"dst\":\"10.78.0.0/16\",\"gw\":\"10.77.0.1\"}]}}"
echo "# not compared here: [1.0.0] bridge (vlan): this kernel has no bridge VLAN filtering (tests/vm/cases/32-bridge-vlan.sh)"
# macvlan options
for mode in private vepa passthru; do
	m "($mode mode) IPv4" 1.0.0 4 "{\"master\":\"pxup0\",\"mode\":\"$mode\"}"
done
m "(mtu 1280) IPv4" 1.0.0 4 '{"master":"pxup0","mtu":1280}'
m "(mac from runtimeConfig) IPv4" 1.0.0 4 '{"master":"pxup0","capabilities":{"mac":true},"runtimeConfig":{"mac":"02:aa:bb:cc:dd:03"}}'
# bad input: both refuse; plexusctl validate and plan must refuse too
m "(unknown mode: refused) IPv4" 1.0.0 4 '{"master":"pxup0","mode":"bogus"}'
b "(mtu not a number: refused) IPv4" 1.0.0 4 "{$BR,\"mtu\":\"big\"}"
m "(IPv6)" 1.0.0 6 '{"master":"pxup0"}'
m "(dual stack)" 1.0.0 46 '{"master":"pxup0"}'
SIDES="ref ours-hl ours-pi meta-pi"
# Multus' macvlan-conf: a default route via net1 beside eth0's default
m "(Multus macvlan-conf: default route via the gateway beside eth0's) IPv4" 1.0.0 4 \
	'{"master":"pxup0","ipam":{"ranges":[[{"subnet":"192.168.1.0/24","rangeStart":"192.168.1.200","rangeEnd":"192.168.1.216","gateway":"192.168.1.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}}' \
	'ip -n "$P" link add eth0 type veth peer name eth0p; ip -n "$P" addr add 10.0.5.2/24 dev eth0; ip -n "$P" link set eth0 up; ip -n "$P" link set eth0p up; ip -n "$P" route add default via 10.0.5.1'
echo "# not compared here: [1.0.0] macvlan (linkInContainer): Debian's macvlan (1.1.1) has no linkInContainer"
echo "# not compared here: [1.0.0] ipvlan (every mode): this kernel has no ipvlan (tests/vm/cases/30-delegates-ipvlan.sh compares it in the VM)"
