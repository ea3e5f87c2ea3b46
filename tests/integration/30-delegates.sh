#!/bin/bash
# Native delegates (plexus-bridge, plexus-macvlan) on this kernel, looped
# over spec versions: ADD/CHECK/DEL, failures part-way, DEL idempotence,
# and equivalence with the reference plugins of Debian's
# containernetworking-plugins (same config -> same observable pod state),
# both driven through libcni (build/bin/libcni-driver). Every host-side
# object lives in a "host" test netns (the plugin runs there through
# `ip netns exec`), so the machine's own network is never touched. Needs
# root. Takes about 50 s per build flavour on the 2-core dev machine.
. "$(dirname "$0")/../lib.sh"

VERSIONS="0.3.1 0.4.0 1.0.0 1.1.0"
REF_MAX=1.0.0 # the newest version Debian's reference plugins speak
N=0

[ "$(id -u)" = 0 ] || t_abort "delegates: needs root"

# Cases run in subshells: each removes its own netns on exit.
case_cleanup() {
	for n in $CASE_NETNS; do ip netns del "$n" 2>/dev/null || true; done
}
# new_nets: fresh host and pod netns in $H and $P; host-local dataDir $D.
new_nets() {
	N=$(($(cat "$T_TMP/n" 2>/dev/null || echo 0) + 1))
	echo "$N" >"$T_TMP/n"
	H=pxd-h$$-$N P=pxd-p$$-$N D=$T_TMP/ipam-$N
	[ -n "${CASE_NETNS:-}" ] || trap case_cleanup EXIT
	CASE_NETNS="${CASE_NETNS:-} $H $P"
	for n in "$H" "$P"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	mkdir -p "$D"
}

# plug BIN CMD CONF [IFNAME [CID [NETNS]]]: run a plugin inside $H;
# result in $T_TMP/out.json, exit code in $T_TMP/rc.
plug() {
	_bin=$1 _cmd=$2 _conf=$3 _if=${4:-eth0} _cid=${5:-cid1}
	_nsp=${6-/var/run/netns/$P}
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$_cmd" \
		PLEXUS_SYSFS_ROOT="${SYSFS:-}" PLEXUS_STATE_DIR="${STATE:-}" \
		CNI_CONTAINERID="$_cid" CNI_NETNS="$_nsp" CNI_IFNAME="$_if" \
		CNI_PATH="$TOP/$BINDIR:$REFDIR:$TOP/tests/fakes" "$_bin" <"$_conf" \
		>"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
ours() { _k=$1; shift; plug "$TOP/$BINDIR/plexus-$_k" "$@"; }
ref() { _k=$1; shift; plug "$REFDIR/$_k" "$@"; }
expect_rc() {
	[ "$(rc)" = "$1" ] || fail "exit code $(rc), want $1: $(cat "$T_TMP/out.json" "$T_TMP/err.txt")"
}
expect_code() { # the CNI error code printed on stdout
	expect_rc 1
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" "$1" "error code ($(cat "$T_TMP/out.json"))"
}

# conf VERSION KIND FILE [JSON-EXTRA]: a config with host-local IPAM, a
# route without gateway (with ROUTE_GW=1: via the subnet's first address).
conf() {
	python3 - "$@" "$D" <<'EOF'
import json, os, sys
ver, kind, path, extra, data = sys.argv[1:6]
# host-local speaks up to 1.0.0; tests/fakes/host-local-110 bridges 1.1.0
ipam = "host-local-110" if ver == "1.1.0" else "host-local"
v6 = os.environ.get("IPV6") == "1"
c = {"cniVersion": ver, "name": "net-" + kind, "type": kind,
     "ipam": {"type": ipam, "subnet": "fd00:77::/64" if v6 else "10.77.0.0/24",
              "dataDir": data,
              "routes": [{"dst": "fd00:78::/64" if v6 else "10.78.0.0/16"}]}}
if os.environ.get("ROUTE_GW") == "1":
    c["ipam"]["routes"][0]["gw"] = "fd00:77::1" if v6 else "10.77.0.1"
c.update(json.loads(extra or "{}"))
json.dump(c, open(path, "w"))
EOF
}

# with_prev CONF OUT: CONF plus prevResult from $T_TMP/out.json.
with_prev() {
	python3 - "$1" "$2" "$T_TMP/out.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["prevResult"] = json.load(open(sys.argv[3]))
json.dump(c, open(sys.argv[2], "w"))
EOF
}

allocs() { ls "$D"/*/ 2>/dev/null | grep -c '^10\.' || true; }
has_link() { ip -n "$1" link show "$2" >/dev/null 2>&1; }

# The result must point its IPs at the pod interface, with sandbox set.
check_result() { # VERSION
	python3 - "$T_TMP/out.json" "$1" "/var/run/netns/$P" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["cniVersion"] == sys.argv[2], r
pod = [i for i, f in enumerate(r["interfaces"]) if f.get("sandbox")]
assert len(pod) == 1 and r["interfaces"][pod[0]]["sandbox"] == sys.argv[3], r
assert r["ips"] and all(ip["interface"] == pod[0] for ip in r["ips"]), r
assert r["ips"][0]["address"].startswith("10.77.0."), r
EOF
}

# ---- observable state, normalised (python over `ip -j`) ----
STATE_PY='
import json, subprocess, sys
def ip(ns, *a):
    out = subprocess.run(["ip", "-n", ns, "-j"] + list(a),
                         capture_output=True, text=True).stdout
    return json.loads(out or "[]")
def addrs(ns, dev):
    return sorted((a["family"], a["local"], a["prefixlen"],
                   a.get("broadcast"), a.get("scope"))
                  for l in ip(ns, "addr", "show", "dev", dev)
                  for a in l.get("addr_info", [])
                  if not a["local"].startswith("fe80:"))
def link(ns, dev):
    l = ip(ns, "-d", "link", "show", "dev", dev)[0]
    li = l.get("linkinfo", {})
    return {"mtu": l["mtu"], "kind": li.get("info_kind"),
            "mode": li.get("info_data", {}).get("mode"),
            "flags": sorted(set(l["flags"]) - {"LOWER_UP", "NO-CARRIER", "M-DOWN"}),
            "hairpin": li.get("info_slave_data", {}).get("hairpin"),
            "promisc": l.get("promiscuity", 0) > 0}
def routes(ns):
    return sorted((r.get("dst"), r.get("gateway"), r.get("dev"),
                   r.get("protocol"), r.get("scope"), r.get("prefsrc"),
                   tuple(sorted(set(r.get("flags", [])) - {"linkdown"})))
                  for fam in ("-4", "-6")
                  for r in ip(ns, fam, "route", "show", "table", "main")
                  if not str(r.get("dst")).startswith("fe80:"))
def sysctl(ns, key):
    return subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/sys/" + key],
                          capture_output=True, text=True).stdout.strip()
ns, dev = sys.argv[1], sys.argv[2]
s = {"pod": {"link": link(ns, dev), "addrs": addrs(ns, dev),
             "routes": routes(ns),
             "arp_notify": sysctl(ns, "net/ipv4/conf/%s/arp_notify" % dev),
             "accept_dad": sysctl(ns, "net/ipv6/conf/%s/accept_dad" % dev)}}
if len(sys.argv) > 4:
    h, br = sys.argv[3], sys.argv[4]
    ports = ip(h, "link", "show", "master", br)
    s["bridge"] = {"link": link(h, br), "addrs": addrs(h, br),
                   "ports": [link(h, p["ifname"]) for p in ports]}
    s["ip_forward"] = subprocess.run(["ip", "netns", "exec", h, "cat",
        "/proc/sys/net/ipv4/ip_forward"], capture_output=True,
        text=True).stdout.strip()
print(json.dumps(s, indent=1, sort_keys=True))
'
state() { python3 -c "$STATE_PY" "$@"; }

# The result, with names that are random on the host side dropped.
result_norm() {
	python3 - "$T_TMP/out.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(json.dumps({"n_ifaces": len(r.get("interfaces", [])),
                  "pod": [f["name"] for f in r["interfaces"] if f.get("sandbox")],
                  "ips": r.get("ips"), "routes": r.get("routes"),
                  "dns": r.get("dns")}, sort_keys=True))
EOF
}

# ---- cases ----

bridge_add_check_del() { # VERSION
	v=$1
	new_nets
	conf "$v" plexus-bridge "$T_TMP/c.json" \
		'{"bridge":"pxbr0","isGateway":true,"isDefaultGateway":true,"mtu":1400,"hairpinMode":true}'
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 0
	check_result "$v"
	expect_eq "$(ip -n "$P" -j addr show dev eth0 | jget /dev/stdin 'j[0]["addr_info"][0]["local"]')" \
		"$(jget "$T_TMP/out.json" 'j["ips"][0]["address"].split("/")[0]')" "pod address"
	ip -n "$P" route show default | grep -q 'via 10.77.0.1 dev eth0' || fail "no default route"
	ip -n "$H" -br addr show dev pxbr0 | grep -q '10.77.0.1/24' || fail "no gateway on bridge"
	expect_eq "$(ip -n "$H" -o link show master pxbr0 | wc -l)" 1 "bridge ports"
	expect_eq "$(allocs)" 1 "host-local allocations"
	with_prev "$T_TMP/c.json" "$T_TMP/cp.json"
	ours bridge CHECK "$T_TMP/cp.json"
	if [ "$v" = 0.3.1 ]; then expect_code 1; else expect_rc 0; fi
	# CHECK notices a missing address
	if [ "$v" != 0.3.1 ]; then
		ip -n "$P" addr flush dev eth0
		ours bridge CHECK "$T_TMP/cp.json"
		expect_rc 1
	fi
	ours bridge DEL "$T_TMP/cp.json"
	expect_rc 0
	has_link "$P" eth0 && fail "pod link left after DEL"
	expect_eq "$(ip -n "$H" -o link show master pxbr0 | wc -l)" 0 "bridge ports after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	ours bridge DEL "$T_TMP/cp.json"
	expect_rc 0
}

# A bridge whose last port left has the MAC 00:00:00:00:00:00 until a port
# joins again; isGateway pins the MAC read after the port joined.
bridge_reused_empty() { # VERSION
	v=$1
	new_nets
	conf "$v" plexus-bridge "$T_TMP/l2.json" '{"bridge":"pxbr8","ipam":{}}'
	ours bridge ADD "$T_TMP/l2.json"
	expect_rc 0
	ours bridge DEL "$T_TMP/l2.json"
	expect_rc 0
	expect_eq "$(ip -n "$H" -j link show pxbr8 | jget /dev/stdin 'j[0]["address"]')" \
		00:00:00:00:00:00 "MAC of the empty bridge"
	conf "$v" plexus-bridge "$T_TMP/c.json" '{"bridge":"pxbr8","isGateway":true}'
	ours bridge ADD "$T_TMP/c.json" eth0 cid2
	expect_rc 0
	ip -n "$H" -br addr show dev pxbr8 | grep -q '10.77.0.1/24' || fail "no gateway on the bridge"
	[ "$(ip -n "$H" -j link show pxbr8 | jget /dev/stdin 'j[0]["address"]')" != 00:00:00:00:00:00 ] ||
		fail "bridge MAC still zero"
}

macvlan_add_check_del() { # VERSION
	v=$1
	new_nets
	ip -n "$H" link add up0 type veth peer name up0p
	ip -n "$H" link set up0 up
	conf "$v" plexus-macvlan "$T_TMP/c.json" \
		'{"master":"up0","mode":"vepa","mtu":1300,"capabilities":{"mac":true},"runtimeConfig":{"mac":"02:aa:bb:cc:dd:01"}}'
	ours macvlan ADD "$T_TMP/c.json" net1
	expect_rc 0
	check_result "$v"
	expect_eq "$(jget "$T_TMP/out.json" 'j["interfaces"][0]["mac"]')" 02:aa:bb:cc:dd:01 "mac"
	ip -n "$P" -d link show net1 | grep -q 'macvlan mode vepa' || fail "not a vepa macvlan"
	ip -n "$P" route show | grep -q '10.78.0.0/16 via 10.77.0.1 dev net1' || fail "route missing"
	with_prev "$T_TMP/c.json" "$T_TMP/cp.json"
	ours macvlan CHECK "$T_TMP/cp.json" net1
	if [ "$v" = 0.3.1 ]; then expect_code 1; else expect_rc 0; fi
	ours macvlan DEL "$T_TMP/cp.json" net1
	expect_rc 0
	has_link "$P" net1 && fail "pod link left after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	ours macvlan DEL "$T_TMP/cp.json" net1
	expect_rc 0
}

# No master: the link of the host's default route.
macvlan_default_master() { # VERSION
	v=$1
	new_nets
	ip -n "$H" link add up0 type veth peer name up0p
	ip -n "$H" addr add 192.168.88.2/24 dev up0
	ip -n "$H" link set up0 up
	ip -n "$H" route add default via 192.168.88.1 dev up0
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{}'
	ours macvlan ADD "$T_TMP/c.json" net1
	expect_rc 0
	ip -n "$P" -o link show net1 | grep -q 'net1@if[0-9]' || fail "no net1"
	expect_eq "$(ip -n "$P" -j -d link show net1 | jget /dev/stdin 'j[0]["link_index"]')" \
		"$(ip -n "$H" -j link show up0 | jget /dev/stdin 'j[0]["ifindex"]')" "lower device"
	ours macvlan DEL "$T_TMP/c.json" net1
	expect_rc 0
}

# linkInContainer: the master is a link inside the pod.
macvlan_link_in_container() { # VERSION
	v=$1
	new_nets
	ip -n "$P" link add pmaster type veth peer name pmasterp
	ip -n "$P" link set pmaster up
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"pmaster","linkInContainer":true}'
	ours macvlan ADD "$T_TMP/c.json" net1
	expect_rc 0
	ip -n "$P" -d link show net1 | grep -q 'macvlan mode bridge' || fail "no macvlan in the pod"
	ip -n "$P" -o link show net1 | grep -q 'net1@pmaster' || fail "net1 is not on pmaster"
	with_prev "$T_TMP/c.json" "$T_TMP/cp.json"
	ours macvlan CHECK "$T_TMP/cp.json" net1
	if [ "$v" = 0.3.1 ]; then expect_code 1; else expect_rc 0; fi
	ours macvlan DEL "$T_TMP/cp.json" net1
	expect_rc 0
	has_link "$P" net1 && fail "net1 left after DEL"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	# without linkInContainer the master is not found on the host
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"pmaster"}'
	ours macvlan ADD "$T_TMP/c.json" net1
	expect_code 7
}

del_netns_gone() { # VERSION KIND
	v=$1 k=$2
	new_nets
	extra='{"bridge":"pxbr1"}'
	if [ "$k" = macvlan ]; then
		ip -n "$H" link add up0 type veth peer name up0p
		extra='{"master":"up0"}'
	fi
	conf "$v" "plexus-$k" "$T_TMP/c.json" "$extra"
	ours "$k" ADD "$T_TMP/c.json"
	expect_rc 0
	expect_eq "$(allocs)" 1 "allocations after ADD"
	ip netns del "$P"
	ours "$k" DEL "$T_TMP/c.json"
	expect_rc 0
	expect_eq "$(allocs)" 0 "allocations after DEL"
	# no netns at all (the runtime lost it)
	ours "$k" DEL "$T_TMP/c.json" eth0 cid1 ""
	expect_rc 0
}

# Failures part-way leave no link and no allocation behind.
fail_ipam() { # VERSION
	v=$1
	new_nets
	conf "$v" plexus-bridge "$T_TMP/c.json" \
		'{"bridge":"pxbr2","ipam":{"type":"host-local","subnet":"not-a-subnet"}}'
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 1
	has_link "$H" pxbr2 && fail "bridge left behind"
	has_link "$P" eth0 && fail "pod link left behind"
	expect_eq "$(ip -n "$H" -o link | grep -c veth || true)" 0 "veths on the host"
}

# The bridge is made, then the veth fails (a multicast MAC): both the
# bridge made by this ADD and the allocation go.
fail_after_bridge() { # VERSION
	v=$1
	new_nets
	conf "$v" plexus-bridge "$T_TMP/c.json" \
		'{"bridge":"pxbr7","capabilities":{"mac":true},"runtimeConfig":{"mac":"01:00:5e:00:00:01"}}'
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 1
	has_link "$H" pxbr7 && fail "bridge left behind"
	has_link "$P" eth0 && fail "pod link left behind"
	expect_eq "$(allocs)" 0 "allocations"
	expect_eq "$(ip -n "$H" -o link | grep -c veth || true)" 0 "veths on the host"
}

fail_bridge_not_bridge() { # VERSION
	v=$1
	new_nets
	ip -n "$H" link add pxbr3 type veth peer name pxbr3p
	conf "$v" plexus-bridge "$T_TMP/c.json" '{"bridge":"pxbr3"}'
	ours bridge ADD "$T_TMP/c.json"
	expect_code 7
	grep -q pxbr3 "$T_TMP/out.json" || fail "message does not name the bridge"
	has_link "$P" eth0 && fail "pod link left behind"
	expect_eq "$(allocs)" 0 "allocations"
}

fail_ifname_taken() { # VERSION
	v=$1
	new_nets
	ip -n "$P" link add eth0 type veth peer name eth0p
	conf "$v" plexus-bridge "$T_TMP/c.json" '{"bridge":"pxbr4"}'
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 1
	grep -q eth0 "$T_TMP/out.json" || fail "message does not name eth0"
	expect_eq "$(allocs)" 0 "allocations"
	expect_eq "$(ip -n "$H" -o link | grep -c veth || true)" 0 "veths on the host"
}

fail_macvlan_late() { # VERSION: the link fails after IPAM ran
	v=$1
	new_nets
	ip -n "$H" link add up0 type veth peer name up0p
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"up0","mtu":9000}'
	ours macvlan ADD "$T_TMP/c.json"
	expect_rc 1
	has_link "$P" eth0 && fail "pod link left behind"
	expect_eq "$(allocs)" 0 "allocations"
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"nope0"}'
	ours macvlan ADD "$T_TMP/c.json"
	expect_code 7
	grep -q nope0 "$T_TMP/out.json" || fail "message does not name the master"
	expect_eq "$(allocs)" 0 "allocations"
}

# IPv6 with a gateway, as the reference plugins: ADD returns once duplicate
# address detection is over (nothing tentative). An address someone else
# on the link holds fails DAD: code 121, nothing left. With NOCARRIER=1
# (DAD cannot run): code 11 after 10 s, nothing left.
allocs6() { ls "$D"/*/ 2>/dev/null | grep -c ':' || true; }
macvlan_dad() { # VERSION
	v=$1
	new_nets
	ip -n "$H" link add up0 type veth peer name up0p
	ip -n "$H" link set up0 up
	[ "${NOCARRIER:-}" = 1 ] || ip -n "$H" link set up0p up
	IPV6=1 conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"up0","mode":"bridge"}'
	ours macvlan ADD "$T_TMP/c.json" net1
	if [ "${NOCARRIER:-}" = 1 ]; then
		expect_code 11
		grep -q tentative "$T_TMP/out.json" || fail "message does not say tentative"
		has_link "$P" net1 && fail "pod link left behind"
		expect_eq "$(allocs6)" 0 "allocations"
		return 0
	fi
	expect_rc 0
	a=$(jget "$T_TMP/out.json" 'j["ips"][0]["address"]')
	ip -n "$P" -6 addr show dev net1 | grep -q "${a%/*}" || fail "no $a on net1"
	ip -n "$P" -6 addr show dev net1 | grep tentative && fail "tentative after ADD"
	ours macvlan DEL "$T_TMP/c.json" net1
	expect_rc 0
	# the same address (fresh IPAM data) is now held by up0p on the link
	new_nets
	ip -n "$H" link add up0 type veth peer name up0p
	ip -n "$H" addr add "$a" dev up0p nodad
	ip -n "$H" link set up0 up
	ip -n "$H" link set up0p up
	IPV6=1 conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"up0","mode":"bridge"}'
	ours macvlan ADD "$T_TMP/c.json" net1
	expect_code 121
	grep -q "${a%/*}" "$T_TMP/out.json" || fail "message does not name $a"
	has_link "$P" net1 && fail "pod link left behind"
	expect_eq "$(allocs6)" 0 "allocations"
}

refused_keys() { # VERSION
	v=$1
	new_nets
	for extra in '{"ipMasqBackend":"iptables"}'; do
		conf "$v" plexus-bridge "$T_TMP/c.json" "$extra"
		ours bridge ADD "$T_TMP/c.json"
		expect_code 2
		key=$(echo "$extra" | python3 -c 'import json,sys; print(list(json.load(sys.stdin))[0])')
		grep -q "$key" "$T_TMP/out.json" || fail "message does not name $key"
	done
	# This kernel has no bridge VLAN filtering (the VM suite tests it):
	# code 2 naming the key, on a new bridge and on an existing one,
	# and nothing left behind (bridge, port, pod link, address).
	for extra in '{"bridge":"pxvl","vlan":100,"isGateway":true}' \
		'{"bridge":"pxvl","vlanTrunk":[{"id":5}]}' \
		'{"bridge":"pxvl0","vlan":100,"isGateway":true}'; do
		conf "$v" plexus-bridge "$T_TMP/c.json" "$extra"
		ours bridge ADD "$T_TMP/c.json"
		expect_code 2
		key=$(echo "$extra" | python3 -c 'import json,sys; print(list(json.load(sys.stdin))[1])')
		msg=$(jget "$T_TMP/out.json" 'j["msg"]')
		case $msg in *"\"$key\": "*"no bridge VLAN filtering") ;;
		*) fail "message does not name $key: $msg" ;; esac
		has_link "$H" pxvl && fail "bridge pxvl left behind"
		has_link "$P" eth0 && fail "pod link left behind"
		[ -z "$(ip -n "$H" -o link show type veth)" ] || fail "veth left behind"
		[ -z "$(ip -n "$H" -o addr show scope global)" ] || fail "address left behind"
		expect_eq "$(allocs)" 0 "allocations"
		ip -n "$H" link add pxvl0 type bridge 2>/dev/null || true # existing
	done
	expect_eq "$(ip -n "$H" -o link show master pxvl0 | wc -l)" 0 "ports left on pxvl0"
	for extra in '{"vlan":5000}' '{"vlan":-1}' '{"vlanTrunk":[{"minID":9,"maxID":3}]}' \
		'{"vlan":3,"vlanTrunk":[{"id":4}]}'; do
		conf "$v" plexus-bridge "$T_TMP/c.json" "$extra"
		ours bridge ADD "$T_TMP/c.json"
		expect_code 7
		grep -q '"vlan' "$T_TMP/out.json" || fail "message does not name the key: $(cat "$T_TMP/out.json")"
	done
	conf "$v" plexus-macvlan "$T_TMP/c.json" '{"master":"lo","mode":"bogus"}'
	ours macvlan ADD "$T_TMP/c.json"
	expect_code 7
	expect_eq "$(allocs)" 0 "allocations"
}

# outside_net: netns $O behind host link out0 (192.168.77.0/24); it has
# no route back to the pod subnet, so the pod reaches it only masqueraded.
outside_net() {
	O=pxd-o$$-$N
	CASE_NETNS="$CASE_NETNS $O"
	ip netns add "$O"
	ip -n "$H" link add out0 type veth peer name o0 netns "$O"
	ip -n "$H" addr add 192.168.77.2/24 dev out0
	ip -n "$H" link set out0 up
	ip -n "$O" addr add 192.168.77.1/24 dev o0
	ip -n "$O" link set o0 up
}
# busybox-static is in tests/deps.sh; iputils-ping is not
pod_reaches_outside() { ip netns exec "$P" busybox ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1; }
masq_rules() { ip netns exec "$H" nft list ruleset 2>/dev/null | grep -c 'masquerade' || true; }

# ipMasq through nftables: the pod reaches a network that has no route
# back to it; without ipMasq it does not; DEL removes the rule. The
# reference plugin (iptables) gives the pod the same reach.
masq() { # VERSION
	v=$1 rv=$1
	[ "$v" = 1.1.0 ] && rv=$REF_MAX
	gw='"bridge":"pxbr6","isGateway":true,"isDefaultGateway":true'
	new_nets
	outside_net
	conf "$v" plexus-bridge "$T_TMP/c.json" "{$gw}"
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 0
	pod_reaches_outside && fail "reached the outside without ipMasq"
	new_nets
	outside_net
	conf "$v" plexus-bridge "$T_TMP/c.json" "{$gw,\"ipMasq\":true}"
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 0
	expect_eq "$(masq_rules)" 1 "masquerade rules"
	pod_reaches_outside || fail "pod does not reach the outside with ipMasq"
	ours bridge DEL "$T_TMP/c.json"
	expect_rc 0
	expect_eq "$(masq_rules)" 0 "masquerade rules after DEL"
	ours bridge DEL "$T_TMP/c.json"
	expect_rc 0
	new_nets
	outside_net
	conf "$rv" bridge "$T_TMP/r.json" "{$gw,\"ipMasq\":true}"
	ref bridge ADD "$T_TMP/r.json"
	expect_rc 0
	pod_reaches_outside || fail "reference: pod does not reach the outside"
}

# The ops in-process from 6 threads at once (tests/integration/dl_threads.c):
# ADD, CHECK, DEL per pod, one shared bridge made by whichever comes first.
threads() { # VERSION KIND
	v=$1 k=$2
	new_nets
	pods=""
	for i in 1 2 3 4 5 6; do
		ip netns add "$P-$i"
		CASE_NETNS="$CASE_NETNS $P-$i"
		pods="$pods /var/run/netns/$P-$i"
	done
	extra='{"bridge":"pxbr9","isGateway":true}'
	if [ "$k" = macvlan ]; then
		ip -n "$H" link add up0 type veth peer name up0p
		extra='{"master":"up0"}'
	fi
	conf "$v" "plexus-$k" "$T_TMP/c.json" "$extra"
	# shellcheck disable=SC2086
	ip netns exec "$H" env CNI_PATH="$TOP/$BINDIR:$REFDIR:$TOP/tests/fakes" \
		"$TOP/$BINDIR/tests/dl-threads" "plexus-$k" "$T_TMP/c.json" $pods
	for i in 1 2 3 4 5 6; do
		has_link "$P-$i" eth0 && fail "eth0 left in pod $i"
	done
	expect_eq "$(allocs)" 0 "allocations"
}

# macspoofchk through nftables: after the pod changes its MAC it no longer
# reaches its gateway; without macspoofchk it does; DEL removes the rule;
# the reference plugin does the same.
gw_reach() { ip netns exec "$P" busybox ping -c 1 -W 1 10.77.0.1 >/dev/null 2>&1; }
spoof() { ip -n "$P" link set eth0 address 02:de:ad:be:ef:01; }
spoofchk() { # VERSION
	v=$1 rv=$1
	[ "$v" = 1.1.0 ] && rv=$REF_MAX
	gw='"bridge":"pxbr10","isGateway":true'
	new_nets
	conf "$v" plexus-bridge "$T_TMP/c.json" "{$gw}"
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 0
	spoof
	gw_reach || fail "without macspoofchk a new MAC should pass"
	new_nets
	conf "$v" plexus-bridge "$T_TMP/c.json" "{$gw,\"macspoofchk\":true}"
	ours bridge ADD "$T_TMP/c.json"
	expect_rc 0
	gw_reach || fail "the pod does not reach its gateway"
	spoof
	gw_reach && fail "a spoofed MAC passed macspoofchk"
	ours bridge DEL "$T_TMP/c.json"
	expect_rc 0
	ip netns exec "$H" nft list ruleset | grep -q drop && fail "drop rule left after DEL"
	ours bridge DEL "$T_TMP/c.json"
	expect_rc 0
	new_nets
	conf "$rv" bridge "$T_TMP/r.json" "{$gw,\"macspoofchk\":true}"
	ref bridge ADD "$T_TMP/r.json"
	expect_rc 0
	gw_reach || fail "reference: the pod does not reach its gateway"
	spoof
	gw_reach && fail "reference: a spoofed MAC passed"
	true
}

# ---- equivalence: the same config through the reference plugin and ours ----
# Both contenders are driven through libcni (build/bin/libcni-driver, the
# library containerd and CRI-O link), as a runtime would: ADD, CHECK with
# libcni's cached result, DEL with the cached result as prevResult, a
# second DEL. The driver (Go, nothing to sanitize) is taken from $BINDIR,
# else build/bin; `make` (so `make check`) builds it, and a missing driver
# fails the cases.
DRIVER=$TOP/$BINDIR/libcni-driver
[ -x "$DRIVER" ] || DRIVER=$TOP/build/bin/libcni-driver

# lc VERB CONF IFNAME: CONF through libcni in $H for pod $P (libcni cache
# per netns pair); output in $T_TMP/out.json, err.txt, rc as plug does.
lc() {
	[ -x "$DRIVER" ] || fail "$DRIVER is missing: make builds it"
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" "$DRIVER" "$1" --conf "$2" \
		--netns "/var/run/netns/$P" --ifname "$3" --cid cid1 \
		--cache-dir "$T_TMP/cache-$N" --path "$TOP/$BINDIR:$REFDIR:$TOP/tests/fakes" \
		>"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
# Debian's libcni (1.1.2) stops at 1.0.0: a 1.1.0 result is "unsupported".
# So 1.1.0 runs the plugins directly, ours at 1.1.0, the reference at
# 1.0.0, CHECK and DEL with the ADD result as prevResult (what libcni does).
via() { if [ "$1" = 1.1.0 ]; then echo direct; else echo libcni; fi; }
equiv_name() { # VERSION
	case $1 in
	0.3.1) echo "through libcni (which refuses CHECK below 0.4.0)" ;;
	1.1.0) echo "run directly (Debian's libcni 1.1.2 stops at 1.0.0)" ;;
	*) echo "through libcni" ;;
	esac
}
# op VERB CONF IFNAME: lc, or (direct) the plugin named by the conf's type.
op() {
	if [ "$VIA" = libcni ]; then lc "$1" "$2" "$3"; return 0; fi
	_ot=$(jget "$2" 'j["type"]') _ob=$REFDIR _oc=$2
	case $_ot in plexus-*) _ob=$TOP/$BINDIR ;; esac
	[ "$1" = add ] || _oc=$2.prev
	plug "$_ob/$_ot" "${1^^}" "$_oc" "$3"
	[ "$1" != add ] || [ "$(rc)" != 0 ] || with_prev "$2" "$2.prev"
}

# What DEL must not leave: links in the pod, veths (the bridge ports) in
# the host, host-local leases, libcni's cached result. Prints what is
# left of the host (bridges and their addresses) to compare.
LEFT_PY='
import glob, json, os, subprocess, sys
pod, host, data, cache = sys.argv[1:5]
keep = sys.argv[5:]
def ip(ns, *a):
    out = subprocess.run(["ip", "-n", ns, "-j"] + list(a),
                         capture_output=True, text=True).stdout
    return json.loads(out or "[]")
def kind(l): return l.get("linkinfo", {}).get("info_kind")
left = ["pod link " + l["ifname"] for l in ip(pod, "-d", "link", "show")
        if l["ifname"] != "lo"]
hl = ip(host, "-d", "link", "show")
left += ["host veth " + l["ifname"] for l in hl
         if kind(l) == "veth" and l["ifname"] not in keep]
left += ["lease " + f for f in glob.glob(data + "/*/*")
         if not os.path.basename(f).startswith(("last_reserved_ip", "lock"))]
left += ["cached result " + f for f in glob.glob(cache + "/results/*")]
if left:
    sys.exit("left after DEL: " + ", ".join(left))
br = [l["ifname"] for l in hl if kind(l) == "bridge"]
print(json.dumps({b: {"ports": len(ip(host, "link", "show", "master", b)),
    "addrs": sorted(a["local"] + "/" + str(a["prefixlen"])
                    for x in ip(host, "addr", "show", "dev", b)
                    for a in x.get("addr_info", [])
                    if not a["local"].startswith("fe80:"))}
    for b in br}, sort_keys=True))
'
# lifecycle WHO CONF IFNAME [HOST BRIDGE]: ADD (result and state kept as
# $T_TMP/res-WHO, st-WHO), CHECK, DEL, what is left ($T_TMP/left-WHO), DEL.
lifecycle() {
	_who=$1 _c=$2 _if=$3; shift 3
	op add "$_c" "$_if"
	expect_rc 0
	result_norm >"$T_TMP/res-$_who"
	state "$P" "$_if" "$@" >"$T_TMP/st-$_who"
	op check "$_c" "$_if"
	if [ "$(jget "$_c" 'j["cniVersion"]')" = 0.3.1 ]; then
		# libcni refuses CHECK itself, without running the plugin
		expect_rc 1
		grep -q 'does not support the CHECK command' "$T_TMP/err.txt" ||
			fail "CHECK at 0.3.1: $(cat "$T_TMP/err.txt")"
	elif [ "$_who" = ref ] && [ "${ROUTE_GW:-}" != 1 ]; then
		# Debian's reference plugins (1.1.1) fail CHECK when a result
		# route has no gateway: containernetworking/plugins#886, fixed
		# in 1.3.0. Should Debian's fail no more, drop this branch.
		expect_rc 1
		jget "$T_TMP/out.json" 'j["msg"]' | grep -q 'GW:<nil>} not found in routing table' ||
			fail "reference CHECK, route without gw: $(cat "$T_TMP/out.json")"
	else
		expect_rc 0
	fi
	op del "$_c" "$_if"
	expect_rc 0
	python3 -c "$LEFT_PY" "$P" "$H" "$D" "$T_TMP/cache-$N" up0 up0p \
		>"$T_TMP/left-$_who" || fail "$_who"
	op del "$_c" "$_if"
	expect_rc 0
}
same() { # WHAT: ref and ours agree
	for f in st res left; do
		diff -u "$T_TMP/$f-ref" "$T_TMP/$f-ours" || fail "$1: $f differs"
	done
}

# For 1.1.0 ours runs at 1.1.0, the reference (which stops at 1.0.0) at
# 1.0.0.
equiv_bridge() { # VERSION EXTRA-KEYS
	v=$1 rv=$1
	[ "$v" = 1.1.0 ] && rv=$REF_MAX
	VIA=$(via "$v")
	extra="{\"bridge\":\"pxbr5\",\"mtu\":1450,$2}"
	new_nets
	conf "$rv" bridge "$T_TMP/r.json" "$extra"
	lifecycle ref "$T_TMP/r.json" eth0 "$H" pxbr5
	new_nets
	conf "$v" plexus-bridge "$T_TMP/o.json" "$extra"
	lifecycle ours "$T_TMP/o.json" eth0 "$H" pxbr5
	same "pod/host state"
}

equiv_macvlan() { # VERSION MODE
	v=$1 rv=$1 mode=$2
	[ "$v" = 1.1.0 ] && rv=$REF_MAX
	VIA=$(via "$v")
	extra="{\"master\":\"up0\",\"mode\":\"$mode\",\"mtu\":1280}"
	for who in ref ours; do
		new_nets
		ip -n "$H" link add up0 type veth peer name up0p
		ip -n "$H" link set up0 up
		# a lower with carrier: else IPv6 DAD never ends, and the
		# reference waits 10 s for it
		ip -n "$H" link set up0p up
		if [ $who = ref ]; then
			conf "$rv" macvlan "$T_TMP/c-$who.json" "$extra"
		else
			conf "$v" plexus-macvlan "$T_TMP/c-$who.json" "$extra"
		fi
		lifecycle $who "$T_TMP/c-$who.json" net1
	done
	same "pod state"
}

# ---- plexus-sriov with a stand-in sysfs tree ----
# sriov_tree: PF 0000:00:05.0 (netdev pf0, a veth) with VF 0 at
# 0000:00:05.1 whose netdev is vf0 (a veth end in $H). This kernel has no
# SR-IOV: VF settings are tested in the VM (tests/vm/cases).
sriov_tree() {
	SYSFS=$T_TMP/sys-$N STATE=$T_TMP/state-$N
	s=$SYSFS/bus/pci/devices
	mkdir -p "$s/0000:00:05.0/net/pf0" "$s/0000:00:05.1/net/vf0" "$STATE"
	ln -s ../0000:00:05.1 "$s/0000:00:05.0/virtfn0"
	ln -s ../0000:00:05.0 "$s/0000:00:05.1/physfn"
	ip -n "$H" link add pf0 type veth peer name pf0p
	ip -n "$H" link add vf0 type veth peer name vf0p
	VFMAC=$(ip -n "$H" -j link show vf0 | jget /dev/stdin 'j[0]["address"]')
}

sriov_add_check_del() { # VERSION
	v=$1
	new_nets
	sriov_tree
	conf "$v" plexus-sriov "$T_TMP/c.json" '{"deviceID":"0000:00:05.1"}'
	ours sriov ADD "$T_TMP/c.json" net1
	expect_rc 0
	check_result "$v"
	has_link "$H" vf0 && fail "vf0 still on the host"
	ip -n "$P" -br addr show dev net1 | grep -q '10\.77\.0\.' || fail "no address on net1"
	expect_eq "$(jget "$T_TMP/out.json" 'j["interfaces"][0]["mac"]')" "$VFMAC" "mac in result"
	if [ "$v" = 1.1.0 ]; then
		expect_eq "$(jget "$T_TMP/out.json" 'j["interfaces"][0]["pciID"]')" 0000:00:05.1 "pciID"
	fi
	expect_eq "$(ls "$STATE" | wc -l)" 1 "state files"
	with_prev "$T_TMP/c.json" "$T_TMP/cp.json"
	ours sriov CHECK "$T_TMP/cp.json" net1
	if [ "$v" = 0.3.1 ]; then expect_code 1; else expect_rc 0; fi
	ours sriov DEL "$T_TMP/cp.json" net1
	expect_rc 0
	has_link "$H" vf0 || fail "vf0 not back on the host under its name"
	expect_eq "$(ip -n "$H" -j link show vf0 | jget /dev/stdin 'j[0]["address"]')" "$VFMAC" "vf0 MAC after DEL"
	has_link "$P" net1 && fail "net1 left in the pod"
	expect_eq "$(allocs)" 0 "allocations after DEL"
	expect_eq "$(ls "$STATE" | wc -l)" 0 "state files after DEL"
	ours sriov DEL "$T_TMP/cp.json" net1
	expect_rc 0
}

sriov_bad() { # VERSION
	v=$1
	new_nets
	sriov_tree
	# VF settings, but this PF (a veth) has no VFs: refused, nothing kept
	conf "$v" plexus-sriov "$T_TMP/c.json" '{"deviceID":"0000:00:05.1","vlan":10}'
	ours sriov ADD "$T_TMP/c.json"
	expect_code 7
	has_link "$H" vf0 || fail "vf0 gone from the host"
	expect_eq "$(allocs)" 0 "allocations"
	expect_eq "$(ls "$STATE" | wc -l)" 0 "state files"
	conf "$v" plexus-sriov "$T_TMP/c.json" '{"deviceID":"0000:00:09.0"}'
	ours sriov ADD "$T_TMP/c.json"
	expect_code 7
	grep -q '0000:00:09.0' "$T_TMP/out.json" || fail "message does not name the deviceID"
	conf "$v" plexus-sriov "$T_TMP/c.json" '{"deviceID":"0000:00:05.1","vlan":5000}'
	ours sriov ADD "$T_TMP/c.json"
	expect_code 7
	grep -q 'vlan' "$T_TMP/out.json" || fail "message does not name vlan"
	# the VF is in use: its netdev is not in the host
	ip -n "$H" link set vf0 netns "$P"
	conf "$v" plexus-sriov "$T_TMP/c.json" '{"deviceID":"0000:00:05.1"}'
	ours sriov ADD "$T_TMP/c.json" net1
	expect_code 7
	expect_eq "$(allocs)" 0 "allocations"
}

sriov_del_netns_gone() { # VERSION
	v=$1
	new_nets
	sriov_tree
	conf "$v" plexus-sriov "$T_TMP/c.json" \
		'{"deviceID":"0000:00:09.9","runtimeConfig":{"deviceID":"0000:00:05.1"}}'
	ours sriov ADD "$T_TMP/c.json"
	expect_rc 0
	ip netns del "$P"
	ours sriov DEL "$T_TMP/c.json"
	expect_rc 0
	expect_eq "$(allocs)" 0 "allocations after DEL"
	expect_eq "$(ls "$STATE" | wc -l)" 0 "state files after DEL"
}

for v in $VERSIONS; do
	how=$(equiv_name "$v")
	t_case "[$v] plexus-bridge ADD/CHECK/DEL" bridge_add_check_del "$v"
	t_case "[$v] plexus-macvlan ADD/CHECK/DEL" macvlan_add_check_del "$v"
	t_case "[$v] plexus-bridge reuses a bridge its last port left" bridge_reused_empty "$v"
	t_case "[$v] plexus-macvlan linkInContainer" macvlan_link_in_container "$v"
	t_case "[$v] plexus-macvlan master defaults to the default route's link" macvlan_default_master "$v"
	t_case "[$v] plexus-bridge ops in-process from 6 threads at once" threads "$v" bridge
	t_case "[$v] plexus-macvlan ops in-process from 6 threads at once" threads "$v" macvlan
	t_case "[$v] plexus-bridge DEL with the netns gone" del_netns_gone "$v" bridge
	t_case "[$v] plexus-macvlan DEL with the netns gone" del_netns_gone "$v" macvlan
	t_case "[$v] plexus-bridge IPAM failure leaves nothing" fail_ipam "$v"
	t_case "[$v] plexus-bridge bridge name taken by a veth" fail_bridge_not_bridge "$v"
	t_case "[$v] plexus-bridge failure after the bridge was made undoes all" fail_after_bridge "$v"
	t_case "[$v] plexus-bridge CNI_IFNAME already in the pod" fail_ifname_taken "$v"
	t_case "[$v] plexus-macvlan failure after IPAM releases it" fail_macvlan_late "$v"
	IPV6=1 t_case "[$v] plexus-macvlan IPv6: ADD waits out DAD; a duplicate address is code 121" macvlan_dad "$v"
	t_case "[$v] refused keys and bad mode" refused_keys "$v"
	t_case "[$v] plexus-bridge ipMasq (nftables) masquerades, DEL removes it" masq "$v"
	t_case "[$v] plexus-bridge macspoofchk (nftables) drops a spoofed MAC, as the reference" spoofchk "$v"
	ROUTE_GW=1 t_case "[$v] plexus-bridge (gateway, hairpin) same state as reference bridge, $how" \
		equiv_bridge "$v" '"isGateway":true,"isDefaultGateway":true,"hairpinMode":true'
	t_case "[$v] plexus-bridge (L2, promisc, route without gw) same state as reference bridge, $how" \
		equiv_bridge "$v" '"promiscMode":true'
	t_case "[$v] plexus-bridge (gateway only, route without gw) same state as reference bridge, $how" \
		equiv_bridge "$v" '"isGateway":true'
	IPV6=1 ROUTE_GW=1 t_case "[$v] plexus-bridge (IPv6 gateway) same state as reference bridge, $how" \
		equiv_bridge "$v" '"isGateway":true,"isDefaultGateway":true'
	IPV6=1 t_case "[$v] plexus-macvlan (IPv6, route without gw) same pod state as reference macvlan, $how" \
		equiv_macvlan "$v" bridge
	t_case "[$v] plexus-sriov ADD/CHECK/DEL (stand-in sysfs)" sriov_add_check_del "$v"
	t_case "[$v] plexus-sriov bad VF settings, deviceID, vlan, VF in use" sriov_bad "$v"
	t_case "[$v] plexus-sriov DEL with the netns gone" sriov_del_netns_gone "$v"
	for mode in bridge private vepa passthru; do
		ROUTE_GW=1 t_case "[$v] plexus-macvlan ($mode) same pod state as reference macvlan, $how" \
			equiv_macvlan "$v" "$mode"
	done
done
NOCARRIER=1 t_case "[1.0.0] plexus-macvlan IPv6 without carrier: code 11 after 10 s, nothing left" macvlan_dad 1.0.0
