#!/bin/bash
# IPv4 address conflict detection (issue 16 item 3), in real network
# namespaces: a bridge in a host netns, a pod netns, and a "foreign host"
# netns on the same bridge whose kernel answers ARP for addresses that
# plexus-ipam would hand out next.
# - conflictDetection: the ADD gets another address, the foreign one is
#   reserved with reason conflict (plexusctl ipam ls / show), DEL leaves
#   no interface and no allocation;
# - every candidate taken: code 122 naming the addresses, nothing left;
# - a requested address (IP=) in use: code 122 at once, not reserved;
# - without conflictDetection nothing is probed: the foreign host's
#   address is handed out (so this suite can fail).
# Each probe's cost (plexus' verbose log) is printed as a TAP comment.
# Needs root.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { t_skip "ipam conflict" "needs root"; exit 0; }
H=cf-h$$ P=cf-p$$ F=cf-f$$
T_NETNS="$H $P $F"
STORE=$T_TMP/store CACHE=$T_TMP/cache LOG=$T_TMP/plexus.log
NODECONF="{\"store\":{\"type\":\"file\",\"path\":\"$STORE\"},\"nodeName\":\"node-a\"}"
COSTS=$T_TMP/costs

fresh() { # FOREIGN-ADDRESS...: the netns, the bridge, the foreign host
	for n in $H $P $F; do t_netns "$n"; done
	rm -rf "$STORE" "$CACHE" "$LOG"
	mkdir -p "$STORE"
	echo "$NODECONF" >"$T_TMP/ipam-node.conf"
	ip -n "$H" link add cf0 type bridge
	ip -n "$H" link set cf0 up
	ip -n "$H" link add cff0 type veth peer name eth0 netns "$F"
	ip -n "$H" link set cff0 master cf0 up
	for a in "$@"; do ip -n "$F" addr add "$a/24" dev eth0; done
	ip -n "$F" link set eth0 up
}
# conf CONFLICT-DETECTION [RANGE-START RANGE-END]: plexus with one
# network on cf0 in the node config: $KIND (plexus-bridge, or the
# reference bridge) in version $V
V=1.0.0 KIND=plexus-bridge
conf() {
	local cd=$1 rs=${2:-10.231.0.2} re=${3:-10.231.0.20}
	cat >"$T_TMP/m.json" <<EOC
{"cniVersion":"$V","name":"t","type":"plexus","cniDir":"$CACHE",
 "logFile":"$LOG","logLevel":"verbose",
 "delegates":[{"cniVersion":"$V","name":"lan","type":"$KIND","bridge":"cf0",
  "ipam":{"type":"plexus-ipam","range":"10.231.0.0/24","range_start":"$rs","range_end":"$re",
          "gateway":"10.231.0.1","conflictDetection":$cd}}]}
EOC
}
# px CMD [ARGS]: plexus in $H for the pod $P, interface eth0
px() {
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$1" \
		PLEXUS_IPAM_NODE_CONFIG="$NODECONF" \
		CNI_CONTAINERID=cf-c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR:$REFDIR" ${EXEC:+PLEXUS_EXEC_ALWAYS=1} \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1${2:+;$2}" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/m.json" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
ctl() { # VERB [ARGS]: plexusctl ipam on the network's config
	local verb=$1; shift
	PLEXUS_IPAM_CONF=$T_TMP/ipam-node.conf "$TOP/$BINDIR/plexusctl" ipam "$verb" --config "$T_TMP/m.json.lan" "$@"
}
lan_conf() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["delegates"][0]))' "$T_TMP/m.json" >"$T_TMP/m.json.lan"; }
expect_rc() { [ "$(rc)" = "$1" ] || fail "exit code $(rc), want $1: $(cat "$T_TMP/out.json" "$T_TMP/err.txt")"; }
msg_has() { jget "$T_TMP/out.json" 'j["msg"]' | grep -qF -- "$1" || fail "message lacks '$1': $(cat "$T_TMP/out.json")"; }
pod_addr() { ip -n "$P" -4 -o addr show dev eth0 | awk '{print $4}'; }
costs() { # what the log says each probe cost, to the TAP comments
	sed -n 's/.*ARP probe of \([0-9.]*\): \(.*\) (\([0-9.]*\) ms).*/\1 \2: \3 ms/p' "$LOG" >>"$COSTS" 2>/dev/null || true
}
nothing_left() {
	[ -z "$(ip -n "$P" -o link show | grep -v ': lo:')" ] || fail "pod link left: $(ip -n "$P" -o link show)"
	[ -z "$(ip -n "$H" -o link show type veth | grep -v cff0)" ] || fail "host veth left: $(ip -n "$H" -o link show type veth)"
	[ -z "$(grep -rl '"cid"' "$STORE" 2>/dev/null)" ] || fail "an allocation left: $(cat "$STORE"/*/b/* 2>/dev/null)"
	# a DEL's tombstone (<record>.gone) and lock files may stay
	[ -z "$(ls "$CACHE" 2>/dev/null | grep -Ev '\.(lock|gone)$')" ] || fail "a record left: $(ls "$CACHE")"
}

# The next address is a foreign host's: the pod gets the one after it.
skips_foreign() {
	fresh 10.231.0.2
	conf true
	lan_conf
	px ADD
	costs
	expect_rc 0
	expect_eq "$(pod_addr)" 10.231.0.3/24 "the pod's address"
	expect_eq "$(jget "$T_TMP/out.json" 'j["ips"][0]["address"]')" 10.231.0.3/24 "the result's address"
	grep -q 'ARP probe of 10.231.0.2: answered' "$LOG" || fail "no probe of .2 answered in the log: $(cat "$LOG")"
	ctl ls >"$T_TMP/ls.txt"
	grep -Eq '10\.231\.0\.2 +reserved as a conflict' "$T_TMP/ls.txt" || fail ".2 not reserved as a conflict: $(cat "$T_TMP/ls.txt")"
	grep -Eq '10\.231\.0\.3 +pod default/p1' "$T_TMP/ls.txt" || fail ".3 not held by the pod: $(cat "$T_TMP/ls.txt")"
	ctl show -o json 10.231.0.2 >"$T_TMP/show.json"
	expect_eq "$(jget "$T_TMP/show.json" 'j["reason"]')" conflict "show's reason"
	expect_eq "$(jget "$T_TMP/show.json" 'j["state"]')" "reserved as a conflict" "show's state"
	ip netns exec "$P" busybox ping -c 1 -W 2 10.231.0.2 >/dev/null 2>&1 || fail "the pod does not reach the foreign host"
	px DEL
	expect_rc 0
	nothing_left
	# the conflict stays reserved after DEL; a second ADD skips it again
	ctl ls | grep -Eq '10\.231\.0\.2 +reserved as a conflict' || fail "reservation gone after DEL"
}

# Every candidate address answers: 1 + 3 tries, then code 122.
all_taken() {
	fresh 10.231.0.2 10.231.0.3 10.231.0.4 10.231.0.5
	conf true 10.231.0.2 10.231.0.5
	lan_conf
	px ADD
	costs
	expect_rc 1
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 122 "code"
	for a in 2 3 4 5; do msg_has "10.231.0.$a (MAC"; done
	msg_has 'network "lan" (eth0)'
	nothing_left
	expect_eq "$(ctl ls | grep -Ec 'reserved as a conflict')" 4 "addresses reserved as conflicts"
	px DEL
	expect_rc 0
	nothing_left
}

# A requested address in use: refused at once, not reserved.
requested() {
	fresh 10.231.0.7
	conf true
	lan_conf
	px ADD "IP=10.231.0.7"
	costs
	expect_rc 1
	expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 122 "code"
	msg_has "requested address"
	msg_has 10.231.0.7
	expect_eq "$(grep -c 'ARP probe of' "$LOG")" 1 "probes (no retry)"
	nothing_left
	expect_eq "$(ctl show -o json 10.231.0.7 | jget /dev/stdin 'j["state"]')" free "the requested address afterwards"
}

# Without conflictDetection no probe: the foreign host's address is
# handed out (what the other cases prevent).
off() {
	fresh 10.231.0.2
	conf false
	px ADD
	expect_rc 0
	expect_eq "$(pod_addr)" 10.231.0.2/24 "the pod's address (duplicate)"
	! grep -q 'ARP probe' "$LOG" || fail "probed without conflictDetection"
	px DEL
	expect_rc 0
	nothing_left
}

with() { # VERSION KIND EXEC FUNC: FUNC with that network
	V=$1 KIND=$2 EXEC=$3
	shift 3
	"$@"
}

: >"$COSTS"
for v in 0.3.1 0.4.0 1.0.0 1.1.0; do
	t_case "[$v] ADD/DEL conflictDetection: a foreign host's address is skipped and reserved as a conflict (ls, show), nothing left after DEL" with "$v" plexus-bridge "" skips_foreign
done
# exec'ed: PLEXUS_IPAM_CONFLICT reaches plexus-ipam under the reference
# bridge (Debian's speaks up to 1.0.0) and under plexus-bridge's binary
t_case "[1.0.0] ADD/DEL conflictDetection, the reference bridge exec'ed: the same" with 1.0.0 bridge 1 skips_foreign
t_case "[1.0.0] ADD/DEL conflictDetection, plexus-bridge exec'ed (PLEXUS_EXEC_ALWAYS): the same" with 1.0.0 plexus-bridge 1 skips_foreign
t_case "[1.0.0] ADD conflictDetection: every candidate answers ARP: code 122 naming them, all reserved, nothing left" all_taken
t_case "[1.0.0] ADD conflictDetection: a requested address (IP=) in use fails at once with 122, not reserved, nothing left" requested
t_case "[1.0.0] ADD/DEL without conflictDetection: no probe, the foreign address is handed out" off
sed 's/^/# probe cost: /' "$COSTS"
