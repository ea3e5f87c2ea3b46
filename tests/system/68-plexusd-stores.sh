#!/bin/bash
# plexusd's warm stores (docs/plexusd.md "Warm stores"): plexus-ipam with
# the etcd store (Debian's etcd, behind a counting relay) and the node
# setting "storeSocket" sends its store operations to plexusd, which runs
# them over its own kept-alive connection: the plugin opens no etcd
# connection of its own (the relay logs one line per closed connection,
# and plexusd's stays open), concurrent allocators through plexusd get
# distinct addresses, DEL frees them. plexusd killed: every call falls
# back to the store itself and works. A peer that is not root and
# malformed request lines are refused, the daemon unharmed. plexusd
# counts its etcd requests and plexus-ipam's reports (allocations, a
# fallback on a timeout while plexusd is stopped, fallbacks while it was
# down, from the spool). Its block headers in memory: used by steady
# ADDs, a stale one (a write while plexusd was stopped) dropped by the
# compare-and-swap it fails. plexus with plexus-ipam in-process through
# plexusd, also for a pod naming an IPAMClaim (the fixture API server).
# About 45 s.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
IPAM="$TOP/$BINDIR/plexus-ipam"
SOCK=$T_TMP/run/store.sock
PD_PID="" PORT="" PD_EXTRA=()
. "$TOP/tests/lib-etcd.sh"

stop_pd() {
	[ -n "$PD_PID" ] || return 0
	kill "$PD_PID" 2>/dev/null || true
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
}
stop_all() {
	stop_pd
	[ -z "${RELAY_PID:-}" ] || kill "$RELAY_PID" 2>/dev/null || true
	etcd_stop
	t_cleanup
}
trap stop_all EXIT
etcd_init "$T_TMP/etcd"
etcd_start || t_abort "etcd did not start"
python3 "$TOP/tests/ipamseed/tcpcount.py" "$T_TMP/relay.port" "$T_TMP/relay.log" \
	127.0.0.1 "${ETCD_URL##*:}" &
RELAY_PID=$!
for _ in $(seq 50); do [ -s "$T_TMP/relay.port" ] && break; sleep 0.1; done
RELAY=http://127.0.0.1:$(cat "$T_TMP/relay.port")

cat >"$T_TMP/node.conf" <<EON
{"store": {"type": "etcd", "endpoints": ["$RELAY"], "lockDir": "$T_TMP/locks"},
 "storeSocket": "$SOCK"}
EON
chmod 600 "$T_TMP/node.conf"
export PLEXUS_IPAM_CONF=$T_TMP/node.conf
NET='{"cniVersion":"1.0.0","name":"warm","type":"bridge","ipam":{"type":"plexus-ipam","range":"10.66.0.0/24"}}'
echo "$NET" >"$T_TMP/net.conf"

ipam() { # CMD CID (the network: $NET_CONF, else net.conf)
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/var/run/netns/x \
		CNI_IFNAME=eth0 NODE_NAME=node-a \
		CNI_ARGS="K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-$2;K8S_POD_UID=uid-$2" \
		"$IPAM" <"${NET_CONF:-$T_TMP/net.conf}"
}
export -f ipam
export IPAM T_TMP

start_pd() {
	trap stop_pd EXIT # each case runs in a subshell: a failed one too
	: >"$T_TMP/pd.log"
	mkdir -p "$T_TMP/pdnet" "$T_TMP/run"
	"$TOP/$BINDIR/plexusd" --no-install --no-kubeconfig \
		--cni-conf-dir "$T_TMP/pdnet" --store-socket "$SOCK" \
		--listen 127.0.0.1:0 --log-level verbose "${PD_EXTRA[@]}" 2>"$T_TMP/pd.log" &
	PD_PID=$!
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$T_TMP/pd.log")
		[ -n "$PORT" ] && [ -S "$SOCK" ] && return 0
		sleep 0.05
	done
	cat "$T_TMP/pd.log"
	fail "plexusd did not start"
}
metric() { # NAME{LABELS}
	curl -sS "http://127.0.0.1:$PORT/metrics" | awk -v m="$1" '$1 == m {print $2}'
}
conns() { sleep 0.2; wc -l <"$T_TMP/relay.log"; }
addr_of() { sed -n 's/.*"address": *"\([^/"]*\)\/24".*/\1/p' "$T_TMP/out.$1"; }
held() { "$TOP/$BINDIR/plexusctl" ipam ls --config "$T_TMP/net.conf" | grep -c ' container ' || true; }

case_warm() {
	start_pd
	expect_eq "$(stat -c %a "$SOCK")" 600 "socket mode"
	: >"$T_TMP/relay.log"
	for i in 1 2 3 4 5; do
		ipam ADD "w$i" >"$T_TMP/out.w$i" 2>"$T_TMP/err" || { cat "$T_TMP/out.w$i" "$T_TMP/err"; fail "ADD w$i"; }
		[ -n "$(addr_of "w$i")" ] || fail "ADD w$i: $(cat "$T_TMP/out.w$i")"
	done
	expect_eq "$(conns)" 0 "etcd connections made by the plugin (closed ones)"
	[ "$(metric 'plexusd_store_requests_total{op="put",result="ok"}')" -ge 5 ] ||
		fail "puts served: $(metric 'plexusd_store_requests_total{op="put",result="ok"}')"
	expect_eq "$(for i in 1 2 3 4 5; do addr_of "w$i"; done | sort -u | wc -l)" 5 "distinct addresses"
	# plexusd's own requests to etcd: counted, timed (each one in the
	# histogram), a txn at least per allocation
	local txn range
	txn=$(metric 'plexusd_etcd_requests_total{op="txn",code="200"}')
	range=$(metric 'plexusd_etcd_requests_total{op="range",code="200"}')
	[ "${txn:-0}" -ge 5 ] || fail "etcd txns counted: '$txn'"
	[ "${range:-0}" -ge 1 ] || fail "etcd ranges counted: '$range'"
	expect_eq "$(metric 'plexusd_store_duration_seconds_count{store="etcd",op="txn"}')" "$txn" "txns timed"
	expect_eq "$(metric 'plexusd_store_duration_seconds_bucket{store="etcd",op="txn",le="+Inf"}')" "$txn" "txns in +Inf"
	grep -q "using the store directly" "$T_TMP/pd.log" && fail "a fallback was logged"
	# four allocators at once, through plexusd
	seq 1 16 | xargs -P 4 -I{} bash -c 'ipam ADD "c{}" >"$T_TMP/out.c{}" 2>/dev/null'
	for i in $(seq 1 16); do addr_of "c$i"; done | sort >"$T_TMP/addrs"
	expect_eq "$(wc -l <"$T_TMP/addrs")" 16 "concurrent ADDs answered"
	expect_eq "$(sort -u "$T_TMP/addrs" | wc -l)" 16 "concurrent ADDs: distinct addresses"
	expect_eq "$(conns)" 0 "etcd connections made by the plugins"
	expect_eq "$(held)" 21 "allocations in the pool"
	for i in 1 2 3 4 5; do ipam DEL "w$i" >/dev/null || fail "DEL w$i"; done
	for i in $(seq 1 16); do ipam DEL "c$i" >/dev/null || fail "DEL c$i"; done
	expect_eq "$(held)" 0 "allocations after DEL"
	# plexus-ipam's reports: 21 ADDs, 21 DELs, no fallback
	wait_metric 'plexusd_ipam_allocations_total{result="allocated"}' 21
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 21
	expect_eq "$(metric 'plexusd_ipam_allocations_total{result="alloc_failed"}')" 0 "failed ADDs"
	expect_eq "$(metric 'plexus_ipam_fallbacks_total{reason="timeout"}')" 0 "fallbacks"
	stop_pd
	[ -S "$SOCK" ] && fail "socket left after plexusd stopped"
	true
}

wait_metric() { # NAME{LABELS} VALUE: up to 5 s
	for _ in $(seq 50); do
		[ "$(metric "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	curl -sS "http://127.0.0.1:$PORT/metrics" | grep -e ipam -e store_req >&2
	fail "$1: $(metric "$1"), want $2"
}

# plexusd stopped (SIGSTOP): the ADD waits 5 s for an answer, falls back,
# and its report (queued on the socket) is counted once plexusd runs on
case_timeout_reported() {
	rm -f "$SOCK" # left by the killed one: start_pd waits for the new one
	start_pd
	kill -STOP "$PD_PID"
	ipam ADD t1 >"$T_TMP/out.t1" 2>"$T_TMP/err" || { kill -CONT "$PD_PID"; cat "$T_TMP/out.t1" "$T_TMP/err"; fail "ADD with plexusd stopped"; }
	kill -CONT "$PD_PID"
	grep -q "no answer in time; using the store directly" "$T_TMP/err" ||
		{ cat "$T_TMP/err"; fail "no timeout logged"; }
	[ -n "$(addr_of t1)" ] || fail "ADD t1: $(cat "$T_TMP/out.t1")"
	wait_metric 'plexus_ipam_fallbacks_total{reason="timeout"}' 1
	wait_metric 'plexusd_ipam_allocations_total{result="allocated"}' 1
	ipam DEL t1 >/dev/null || fail "DEL t1"
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 1
	expect_eq "$(held)" 0 "allocations after DEL"
	stop_pd
}

case_fallback() {
	start_pd
	kill -9 "$PD_PID"
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
	: >"$T_TMP/relay.log"
	ipam ADD f1 >"$T_TMP/out.f1" 2>"$T_TMP/err" || { cat "$T_TMP/out.f1" "$T_TMP/err"; fail "ADD with plexusd gone"; }
	[ -n "$(addr_of f1)" ] || fail "ADD f1: $(cat "$T_TMP/out.f1")"
	[ "$(conns)" -ge 1 ] || fail "the plugin made no etcd connection of its own"
	ipam DEL f1 >/dev/null || fail "DEL with plexusd gone"
	expect_eq "$(held)" 0 "allocations after DEL"
	# both reports kept for plexusd (counted: case_spooled); not here
	expect_eq "$(grep -c '"fallback":"unreachable"' "$SOCK.reports")" 2 "reports spooled"
	rm -f "$SOCK.reports"
}

# a file store with storeSocket: plexusd does not run it (a node's own
# files), so its operations stay in the plugin, but the outcomes are
# still reported: an allocation, a failed ADD (the /30's one address
# besides its gateway taken) and two releases counted; plexusd served no
# store request
case_file_reported() {
	rm -f "$SOCK"
	start_pd
	cat >"$T_TMP/node-file.conf" <<EON
{"store": {"type": "file", "path": "$T_TMP/filestore"}, "storeSocket": "$SOCK"}
EON
	chmod 600 "$T_TMP/node-file.conf"
	echo '{"cniVersion":"1.0.0","name":"filenet","type":"bridge","ipam":{"type":"plexus-ipam","range":"10.67.0.0/30"}}' >"$T_TMP/net-file.conf"
	fipam() { PLEXUS_IPAM_CONF=$T_TMP/node-file.conf NET_CONF=$T_TMP/net-file.conf ipam "$@"; }
	fipam ADD fs1 >"$T_TMP/out.fs1" 2>"$T_TMP/err" || { cat "$T_TMP/out.fs1" "$T_TMP/err"; fail "ADD fs1"; }
	fipam ADD fs2 >"$T_TMP/out.fs2" 2>/dev/null && fail "ADD fs2 into a full /30 succeeded"
	grep -q '"code": *120' "$T_TMP/out.fs2" || fail "ADD fs2: not code 120: $(cat "$T_TMP/out.fs2")"
	fipam DEL fs1 >/dev/null || fail "DEL fs1"
	fipam DEL fs2 >/dev/null || fail "DEL fs2 (nothing held)"
	wait_metric 'plexusd_ipam_allocations_total{result="allocated"}' 1
	wait_metric 'plexusd_ipam_allocations_total{result="alloc_failed"}' 1
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 2
	expect_eq "$(metric 'plexusd_store_requests_total{op="put",result="ok"}')" 0 "store puts plexusd served"
	expect_eq "$(metric 'plexusd_store_requests_total{op="get",result="ok"}')" 0 "store gets plexusd served"
	[ -d "$T_TMP/filestore" ] || fail "the file store was not written by the plugin"
	grep -rq fs1 "$T_TMP/filestore" && fail "fs1's allocation left in the file store"
	stop_pd
}

# plexusd down (stopped, then killed: no socket, then a dead one):
# each call's report (unreachable, and its outcome) goes to the spool
# beside the store socket; plexusd counts them when it starts again
case_spooled() {
	local spool=$SOCK.reports
	start_pd
	stop_pd
	rm -f "$spool"
	for i in 1 2 3; do ipam ADD "s$i" >"$T_TMP/out.s$i" 2>"$T_TMP/err" || { cat "$T_TMP/err"; fail "ADD s$i"; }; done
	ipam DEL s1 >/dev/null || fail "DEL s1"
	expect_eq "$(stat -c %a "$spool")" 600 "spool mode"
	expect_eq "$(grep -c '"fallback":"unreachable"' "$spool")" 4 "reports spooled"
	start_pd
	wait_metric 'plexus_ipam_fallbacks_total{reason="unreachable"}' 4
	wait_metric 'plexusd_ipam_allocations_total{result="allocated"}' 3
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 1
	expect_eq "$(metric 'plexusd_report_spool_lines_total{result="taken"}')" 4 "spool lines taken"
	[ -e "$spool" ] && fail "spool left after the drain"
	# killed: the socket file stays, a connect is refused
	kill -9 "$PD_PID"
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
	ipam DEL s2 >/dev/null || fail "DEL s2"
	ipam DEL s3 >/dev/null || fail "DEL s3"
	start_pd
	wait_metric 'plexus_ipam_fallbacks_total{reason="unreachable"}' 2
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 2
	expect_eq "$(held)" 0 "allocations after DEL"
	stop_pd
}

# plexus with plexus-bridge and plexus-ipam in-process (its default),
# plexus-ipam's node settings naming storeSocket and plexusdSocket:
# ADD/CHECK/DEL through plexusd's warm stores (counted there, no etcd
# connection of the plugin's own), then with plexusd down (the store
# used directly, the reports spooled). plexus runs in this netns (the
# relay to etcd listens on its loopback); its bridge is pl2b$$.
BR=pl2b$$ PP=pl2-p$$
t_link "$BR"
inproc_conf() { # VERSION
	cat >"$T_TMP/plexus.conf" <<EOC
{"cniVersion":"$1","name":"inproc","type":"plexus","cniDir":"$T_TMP/cache",
 "ipamNodeConfig":{"store":{"type":"etcd","endpoints":["$RELAY"],"lockDir":"$T_TMP/locks"},
  "storeSocket":"$SOCK","plexusdSocket":"$T_TMP/run/plexusd.sock","nodeName":"node-a"},
 "delegates":[{"cniVersion":"$1","name":"inproc","type":"plexus-bridge","bridge":"$BR",
  "ipam":{"type":"plexus-ipam","range":"10.67.0.0/24"}}]}
EOC
}
plexus() { # CMD
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$1" CNI_CONTAINERID=ip1 \
		CNI_NETNS="/var/run/netns/$PP" CNI_IFNAME=eth0 CNI_PATH="$REFDIR" \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-ip1;K8S_POD_UID=uid-ip1" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/plexus.conf" >"$T_TMP/out.ip" 2>"$T_TMP/err"
}
inproc_held() { # (etcd itself, not the relay: its log counts the plugin's)
	echo "{\"store\": {\"type\": \"etcd\", \"endpoints\": [\"$ETCD_URL\"], \"lockDir\": \"$T_TMP/locks\"}}" >"$T_TMP/ctl.conf"
	PLEXUS_IPAM_CONF=$T_TMP/ctl.conf "$TOP/$BINDIR/plexusctl" ipam ls --config "$T_TMP/inproc.net" | grep -c ' container ' || true
}
inproc_round() { # VERSION: ADD, CHECK, DEL; our plugins not on CNI_PATH
	t_netns "$PP"
	inproc_conf "$1"
	plexus ADD || { cat "$T_TMP/out.ip" "$T_TMP/err"; fail "[$1] ADD"; }
	ip -n "$PP" -br addr show eth0 | grep -q ' 10\.67\.0\.' || fail "[$1] eth0 has no 10.67.0.x"
	expect_eq "$(inproc_held)" 1 "[$1] allocations after ADD"
	case $1 in 0.3.*) ;; *) plexus CHECK || { cat "$T_TMP/out.ip" "$T_TMP/err"; fail "[$1] CHECK"; } ;; esac
	plexus DEL || { cat "$T_TMP/out.ip" "$T_TMP/err"; fail "[$1] DEL"; }
	expect_eq "$(inproc_held)" 0 "[$1] allocations after DEL"
	expect_eq "$(ip -n "$PP" -o link show | grep -vc ': lo:' || true)" 0 "[$1] pod links after DEL"
	expect_eq "$(ip -o link show master "$BR" 2>/dev/null | wc -l)" 0 "[$1] veths on the bridge after DEL"
	ip netns del "$PP"
}
case_inproc() {
	echo '{"cniVersion":"1.0.0","name":"inproc","type":"bridge","ipam":{"type":"plexus-ipam","range":"10.67.0.0/24"}}' >"$T_TMP/inproc.net"
	rm -f "$SOCK.reports"
	start_pd
	: >"$T_TMP/relay.log"
	for v in 1.0.0 0.4.0; do inproc_round "$v"; done
	expect_eq "$(conns)" 0 "etcd connections of the plugin's own"
	grep -q "using the store directly" "$T_TMP/err" && fail "a fallback was logged"
	[ "$(metric 'plexusd_store_requests_total{op="put",result="ok"}')" -ge 4 ] ||
		fail "puts through plexusd: $(metric 'plexusd_store_requests_total{op="put",result="ok"}')"
	wait_metric 'plexusd_ipam_allocations_total{result="allocated"}' 2
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 2
	expect_eq "$(metric 'plexus_ipam_fallbacks_total{reason="unreachable"}')" 0 "fallbacks"
	[ -e "$SOCK.reports" ] && fail "a report spooled while plexusd was up"
	# plexusd down: the same, with the store itself
	stop_pd
	: >"$T_TMP/relay.log"
	inproc_round 1.0.0
	grep -q "using the store directly" "$T_TMP/err" || { cat "$T_TMP/err"; fail "no fallback logged"; }
	[ "$(conns)" -ge 1 ] || fail "no etcd connection of the plugin's own"
	# ADD's, CHECK's (its fallback only: it has no outcome) and DEL's
	expect_eq "$(grep -c '"fallback":"unreachable"' "$SOCK.reports")" 3 "the reports spooled"
	expect_eq "$(grep -c '"outcome"' "$SOCK.reports")" 2 "outcomes spooled"
	start_pd
	wait_metric 'plexus_ipam_fallbacks_total{reason="unreachable"}' 3
	wait_metric 'plexusd_ipam_allocations_total{result="released"}' 1
	stop_pd
}

# The same in-process plexus-ipam with a persistent address: the pod's
# annotation names an IPAMClaim (ipam-claim-reference), plexus hands it
# on as PLEXUS_IPAM_CLAIM, plexus-ipam asks plexusd's --socket for the
# claim (its cache: no claim GET to the API) and its --store-socket for
# the pool. Then plexusd down: plexus asks the API for the pod and NAD,
# plexus-ipam the API for the claim and etcd for the pool. Both times
# the claim's address, CHECK, and after DEL the address held by the
# claim only (no container's record), no pod link, no veth left. The
# fixture API server runs beside etcd in this netns; its bridges are
# pt3c$$ and pt3n$$, its pod's netns pt3-p$$.
FX=$TOP/tests/fixtures/apiserver D=$T_TMP/api PDSOCK=$T_TMP/run/plexusd.sock
BRC=pt3c$$ BRN=pt3n$$ PIC=pt3-p$$
t_link "$BRC"
t_link "$BRN"
ICLAIM=/apis/k8s.cni.cncf.io/v1alpha1/namespaces/ns/ipamclaims/ic-claim
api() { python3 "$FX/fixturectl.py" "$D" "$@"; }
claim_served() { # plexusd's answer to CLAIM ns ic-claim starts with OK
	python3 - "$PDSOCK" <<'EOF_ASK' 2>/dev/null | grep -q '^OK '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(b"CLAIM ns ic-claim\n")
print(s.makefile("rb").readline().decode())
EOF_ASK
}
claim_round() { # LABEL CID: ADD, CHECK, DEL of pod-ic's container CID
	local err=$T_TMP/err.ic out=$T_TMP/out.ic
	IC_GETS=""
	t_netns "$PIC"
	for cmd in ADD CHECK DEL; do
		env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND=$cmd CNI_CONTAINERID="$2" \
			CNI_NETNS="/var/run/netns/$PIC" CNI_IFNAME=eth0 CNI_PATH="$REFDIR" \
			CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=pod-ic;K8S_POD_UID=uid-ic;K8S_POD_INFRA_CONTAINER_ID=$2" \
			"$TOP/$BINDIR/plexus" <"$T_TMP/plexus-ic.conf" >"$out" 2>>"$err" ||
			{ cat "$out" "$err"; fail "$1: $cmd"; }
		IC_GETS="$IC_GETS $cmd:$(api count GET "$ICLAIM")"
		case $cmd in
		ADD)
			ip -n "$PIC" -br addr show net1 | grep -q " $IC_ADDR/24" ||
				fail "$1: net1 has not the claim's $IC_ADDR: $(ip -n "$PIC" -br addr show net1)"
			expect_eq "$(ic_ls | grep -c ' container [^-]' || true)" 1 "$1: a container's allocations after ADD"
			;;
		esac
	done
	[ "$(ic_ls | grep -c ' container [^-]' || true)" = 0 ] || { ic_ls; fail "$1: a container's allocation after DEL"; }
	ic_ls | grep -q "claim ns/ic-claim" || { ic_ls; fail "$1: the claim's address not kept"; }
	expect_eq "$(ic_ls | grep -c . || true)" 1 "$1: addresses of the pool after DEL (the claim's)"
	expect_eq "$(claim_ips)" "$IC_ADDR/24" "$1: the claim's status.ips"
	expect_eq "$(ip -n "$PIC" -o link show | grep -vc ': lo:' || true)" 0 "$1: pod links after DEL"
	expect_eq "$(ip -o link show master "$BRN" 2>/dev/null | wc -l)" 0 "$1: veths on $BRN after DEL"
	expect_eq "$(ip -o link show master "$BRC" 2>/dev/null | wc -l)" 0 "$1: veths on $BRC after DEL"
	ip netns del "$PIC"
}
claim_ips() { api api GET "$ICLAIM" | python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin).get("status",{}).get("ips",[])))'; }
ic_ls() { # the claim network's addresses, read from etcd itself
	echo "{\"store\": {\"type\": \"etcd\", \"endpoints\": [\"$ETCD_URL\"], \"lockDir\": \"$T_TMP/locks\"}}" >"$T_TMP/ctl.conf"
	PLEXUS_IPAM_CONF=$T_TMP/ctl.conf "$TOP/$BINDIR/plexusctl" ipam ls --config "$T_TMP/ic.net" | grep -E '^ +10\.68\.0\.[0-9]+ +pod ' || true
}
case_inproc_claim() {
	trap 'stop_pd; "$FX/stop.sh" "$D" >/dev/null 2>&1 || true; ip netns del "$PIC" 2>/dev/null || true' EXIT
	PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$D" >"$T_TMP/api.log" 2>&1 ||
		{ cat "$T_TMP/api.log"; fail "fixture API server"; }
	local cnet nnet
	cnet="{\"cniVersion\":\"1.0.0\",\"name\":\"cluster\",\"type\":\"plexus-bridge\",\"bridge\":\"$BRC\"}"
	nnet="{\"cniVersion\":\"1.0.0\",\"name\":\"claimnet\",\"type\":\"plexus-bridge\",\"bridge\":\"$BRN\",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"10.68.0.0/24\"}}"
	echo '{"cniVersion":"1.0.0","name":"claimnet","type":"bridge","ipam":{"type":"plexus-ipam","range":"10.68.0.0/24"}}' >"$T_TMP/ic.net"
	python3 - "$cnet" "$nnet" >"$T_TMP/ic-objects.json" <<'EOF_OBJ'
import json, sys
nad = lambda ns, name, conf: {"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
    "metadata": {"name": name, "namespace": ns}, "spec": {"config": conf}}
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    nad("kube-system", "cluster", sys.argv[1]), nad("ns", "claimnet", sys.argv[2]),
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod-ic", "namespace": "ns", "uid": "uid-ic",
        "annotations": {"k8s.v1.cni.cncf.io/networks": json.dumps(
            [{"name": "claimnet", "interface": "net1", "ipam-claim-reference": "ic-claim"}])}},
     "spec": {"nodeName": "node-a"}}]}))
EOF_OBJ
	api put-object "$T_TMP/ic-objects.json" >/dev/null || fail "objects"
	printf '{"apiVersion":"k8s.cni.cncf.io/v1alpha1","kind":"IPAMClaim","metadata":{"name":"ic-claim","namespace":"ns"},"spec":{"network":"claimnet","interface":"net1"}}' |
		api api POST "${ICLAIM%/*}" - >/dev/null || fail "the claim"
	cat >"$T_TMP/plexus-ic.conf" <<EOC
{"cniVersion":"1.0.0","name":"plexus-k8s","type":"plexus","cniDir":"$T_TMP/cache-ic","confDir":"$T_TMP/netd-ic",
 "kubeconfig":"$D/kubeconfig","clusterNetwork":"cluster","plexusdSocket":"$PDSOCK",
 "ipamNodeConfig":{"store":{"type":"etcd","endpoints":["$RELAY"],"lockDir":"$T_TMP/locks"},
  "storeSocket":"$SOCK","plexusdSocket":"$PDSOCK","kubeconfig":"$D/kubeconfig","nodeName":"node-a"}}
EOC
	mkdir -p "$T_TMP/netd-ic"
	PD_EXTRA=(--socket "$PDSOCK" --api-kubeconfig "$D/kubeconfig" --node-name node-a)
	start_pd
	wait_for_claim
	: >"$T_TMP/err.ic"
	api clear-requests >/dev/null
	IC_ADDR=10.68.0.2
	claim_round "through plexusd" ic1
	# cumulative after each verb: the ADD's claim from plexusd's cache;
	# DEL asks the API whether the claim still lists the address (a
	# stale "no" would free it: never the cache, docs/plexusd.md)
	expect_eq "$IC_GETS" " ADD:0 CHECK:0 DEL:1" "through plexusd: claim GETs to the API after each verb"
	expect_eq "$(api count PUT "$ICLAIM/status")" 1 "through plexusd: claim status PUTs (the first ADD)"
	grep -q "asking the API\|using the store directly" "$T_TMP/err.ic" &&
		fail "a fallback was logged: $(cat "$T_TMP/err.ic")"
	# plexusd down: the same claim, another container, the same address
	stop_pd
	PD_EXTRA=()
	: >"$T_TMP/err.ic"
	api clear-requests >/dev/null
	claim_round "plexusd down" ic2
	grep -q "IPAMClaim ns/ic-claim: .*; asking the API" "$T_TMP/err.ic" ||
		fail "no claim fallback logged: $(cat "$T_TMP/err.ic")"
	grep -q "using the store directly" "$T_TMP/err.ic" ||
		fail "no store fallback logged: $(cat "$T_TMP/err.ic")"
	expect_eq "$IC_GETS" " ADD:1 CHECK:1 DEL:2" "plexusd down: claim GETs to the API after each verb"
	expect_eq "$(api count PUT "$ICLAIM/status")" 0 "plexusd down: claim status PUTs"
	rm -f "$SOCK.reports" "$PDSOCK.reports"
}
wait_for_claim() {
	for _ in $(seq 100); do claim_served && return 0; sleep 0.05; done
	cat "$T_TMP/pd.log"
	fail "plexusd does not serve the claim"
}

case_refusals() {
	start_pd
	# not root: the connection is closed unanswered, and counted
	python3 - "$SOCK" <<'EOF' || fail "a non-root peer was answered"
import os, socket, sys
os.setgid(65534); os.setuid(65534)
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except PermissionError:
    sys.exit(0)  # 0600 root: not even a connect
s.settimeout(3)
s.sendall(b'{"op":"get","store":{"type":"etcd"},"key":"k"}\n')
sys.exit(1 if s.recv(100) else 0)
EOF
	# malformed lines: each answered with an error, the next still served
	python3 - "$SOCK" "$RELAY" <<'EOF' >"$T_TMP/replies" || fail "malformed requests"
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
f = s.makefile("rwb")
store = {"type": "etcd", "endpoints": [sys.argv[2]]}
for line in [b"not json", b"[]", b'{"op":"zap","store":{},"key":"k"}',
             b'{"op":"put","store":{},"key":"k"}',
             b'{"op":"get","store":{"type":"etcd"},"key":"k","timeoutMs":0}',
             json.dumps({"op": "get", "store": store, "key": "no/such/key"}).encode()]:
    f.write(line + b"\n"); f.flush()
    print(json.loads(f.readline())["rc"])
EOF
	expect_eq "$(tr '\n' ' ' <"$T_TMP/replies")" "-22 -22 -22 -22 -22 -2 " "replies' rc (the last: no such key)"
	expect_eq "$(metric 'plexusd_store_requests_total{op="malformed",result="error"}')" 5 "malformed counted"
	ipam ADD r1 >"$T_TMP/out.r1" || fail "ADD after refusals"
	ipam DEL r1 >/dev/null || fail "DEL after refusals"
	kill -0 "$PD_PID" || fail "plexusd died"
	stop_pd
}

# a stand-in for plexusd that cannot open the store: every line answered
# with rc -ESRCH and "direct"; the lines it got are counted in FILE
case_cannot_open() {
	mkdir -p "$T_TMP/run"
	python3 - "$SOCK" "$T_TMP/lines" <<'EOF' &
import json, os, socket, sys
path, out = sys.argv[1:]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX)
s.bind(path); s.listen(4); s.settimeout(20)
while True:
    try:
        c, _ = s.accept()
    except socket.timeout:
        break
    f = c.makefile("rwb")
    for line in f:
        with open(out, "ab") as o:
            o.write(line)
        try:
            f.write(json.dumps({"rc": -3, "direct": True, "code": 5, "msg": "cannot open"}).encode() + b"\n")
            f.flush()
        except OSError:  # a report's peer does not wait for the answer
            break
    c.close()
EOF
	local fake=$!
	for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
	: >"$T_TMP/relay.log"
	: >"$T_TMP/lines"
	ipam ADD o1 >"$T_TMP/out.o1" 2>"$T_TMP/err" || { kill $fake; cat "$T_TMP/out.o1" "$T_TMP/err"; fail "ADD"; }
	[ -n "$(addr_of o1)" ] || { kill $fake; fail "ADD o1: $(cat "$T_TMP/out.o1")"; }
	expect_eq "$(grep -vc '"report"' "$T_TMP/lines")" 1 "requests sent before going direct for the call"
	# then the report: the outcome and why it went direct
	for _ in $(seq 50); do grep -q '"report"' "$T_TMP/lines" && break; sleep 0.1; done
	expect_eq "$(grep '"report"' "$T_TMP/lines")" \
		'{"op":"report","outcome":"allocated","fallback":"cannot_open"}' "the report"
	[ "$(conns)" -ge 1 ] || { kill $fake; fail "the plugin made no etcd connection of its own"; }
	ipam DEL o1 >/dev/null || { kill $fake; fail "DEL"; }
	kill $fake 2>/dev/null || true
	wait $fake 2>/dev/null || true
	rm -f "$SOCK"
	expect_eq "$(held)" 0 "allocations after DEL"
}

# block headers in plexusd's memory (docs/plexusd.md "Block headers in
# memory"): steady ADDs are answered from memory; a write made while
# plexusd is stopped (the plugin's direct path) leaves the header stale,
# the next ADD through plexusd fails its compare-and-swap on it, which
# drops it, and retries from the store: distinct addresses, all freed
case_header_cache() {
	rm -f "$SOCK"
	start_pd
	for i in 1 2 3; do
		ipam ADD "h$i" >"$T_TMP/out.h$i" 2>"$T_TMP/err" || { cat "$T_TMP/out.h$i" "$T_TMP/err"; fail "ADD h$i"; }
	done
	[ "$(metric 'plexusd_store_cache_total{result="hit"}')" -ge 1 ] ||
		fail "no header answered from memory: $(metric 'plexusd_store_cache_total{result="hit"}')"
	[ "$(metric plexusd_store_cache_entries)" -ge 1 ] || fail "no header held"
	kill -STOP "$PD_PID"
	ipam ADD h4 >"$T_TMP/out.h4" 2>"$T_TMP/err" || { kill -CONT "$PD_PID"; cat "$T_TMP/err"; fail "ADD h4 with plexusd stopped"; }
	kill -CONT "$PD_PID"
	ipam ADD h5 >"$T_TMP/out.h5" 2>"$T_TMP/err" || { cat "$T_TMP/out.h5" "$T_TMP/err"; fail "ADD h5"; }
	grep -q "using the store directly" "$T_TMP/err" && fail "ADD h5 fell back"
	expect_eq "$(metric 'plexusd_store_cache_total{result="invalidated"}')" 1 "stale header dropped by the failed swap"
	expect_eq "$(for i in 1 2 3 4 5; do addr_of "h$i"; done | sort -u | wc -l)" 5 "distinct addresses"
	# h4's ADD again through plexusd answers the address it holds
	ipam ADD h4 >"$T_TMP/out.h4b" 2>/dev/null || fail "ADD h4 again"
	expect_eq "$(addr_of h4b)" "$(addr_of h4)" "h4 again"
	for i in 1 2 3 4 5; do ipam DEL "h$i" >/dev/null || fail "DEL h$i"; done
	expect_eq "$(held)" 0 "allocations after DEL"
	stop_pd
}

t_case "through plexusd: no etcd connection of the plugin's own, concurrent ADDs distinct, DEL frees" case_warm
t_case "plexusd killed: plexus-ipam falls back to the store itself" case_fallback
t_case "a file store with storeSocket: run by the plugin itself, its allocations still reported (allocated, alloc_failed, released)" case_file_reported
t_case "plexusd stopped: plexus-ipam falls back on a timeout and reports it (plexus_ipam_fallbacks_total{reason=timeout})" case_timeout_reported
t_case "block headers in memory: steady ADDs answered from it; a write while plexusd is stopped makes the next swap fail, which drops it; distinct addresses" case_header_cache
t_case "plexusd down: plexus-ipam's reports spooled, counted when it starts again" case_spooled
t_case "[1.0.0, 0.4.0] ADD/CHECK/DEL with plexus-ipam in-process under plexus, storeSocket and plexusdSocket set: through plexusd, then with plexusd down" case_inproc
t_case "ADD/CHECK/DEL with plexus-ipam in-process naming an IPAMClaim: through plexusd (claim from its cache), then with plexusd down; the claim's address both times, kept by the claim after DEL, nothing else left" case_inproc_claim
t_case "a peer that is not root and malformed requests refused, the daemon unharmed" case_refusals
t_case "plexusd cannot open the store (answers direct): the plugin uses it itself for the rest of the call" case_cannot_open
