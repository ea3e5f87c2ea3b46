#!/bin/bash
# Deadlines in-process (issue 13 item 6): delegateTimeout bounds the
# delegates plexus runs in its own process and their plexus-ipam calls;
# plexus-ipam run as a binary has its own bound (the node settings'
# callTimeout). A lock held by another process (flock(1)) makes the call
# wait until its deadline, then fail with code 11 naming the lock, and the
# pod is rolled back: no link, no record, no allocation left. Every
# host-side object lives in a test netns. Needs root.
. "$(dirname "$0")/../lib.sh"

[ "$(id -u)" = 0 ] || { t_skip "deadlines" "needs root"; exit 0; }
H=pxdl-h$$ P=pxdl-p$$
T_NETNS="$H $P"
STORE=$T_TMP/store CACHE=$T_TMP/cache LOCKS=$T_TMP/locks
POOL=10.77.0.0_24
LOCK=$LOCKS/$POOL@node-a.lock
NODE_IPAM="{\"store\": {\"type\": \"file\", \"path\": \"$STORE\", \"lockDir\": \"$LOCKS\"}, \"nodeName\": \"node-a\", \"callTimeout\": 1}"

fresh() {
	for n in $H $P; do t_netns "$n"; done
	rm -rf "$STORE" "$CACHE" "$LOCKS"
	mkdir -p "$STORE" "$LOCKS"
}
cat >"$T_TMP/node.conf" <<EOC
{"cniVersion": "1.0.0", "name": "dl", "type": "plexus", "cniDir": "$CACHE",
 "delegateTimeout": 2, "ipamNodeConfig": $NODE_IPAM,
 "delegates": [{"cniVersion": "1.0.0", "name": "br", "type": "plexus-bridge", "bridge": "pxdlbr0",
   "ipam": {"type": "plexus-ipam", "range": "10.77.0.0/24"}}]}
EOC
cat >"$T_TMP/ipam.conf" <<EOC
{"cniVersion": "1.0.0", "name": "br", "ipam": {"type": "plexus-ipam", "range": "10.77.0.0/24"}}
EOC
# run BIN CMD CONF: a plugin inside $H for container c1; out.json, rc.
run() {
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$2" \
		PLEXUS_IPAM_NODE_CONFIG="$NODE_IPAM" \
		CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$TOP/$BINDIR" CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=p1;K8S_POD_UID=u1" \
		"$TOP/$BINDIR/$1" <"$3" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# hold SECONDS: another process holds the node lock of the pool for that
# long (flock(1) in the background); returns once it holds it.
hold() {
	flock "$LOCK" sleep "$1" &
	HOLDER=$!
	for _ in $(seq 100); do
		flock -n "$LOCK" true 2>/dev/null || return 0
		sleep 0.02
	done
	fail "flock(1) did not take $LOCK"
}
nothing_left() {
	expect_eq "$(ip -n "$P" -o link show | grep -cv ': lo:')" 0 "links in the pod netns"
	expect_eq "$(ip -n "$H" -o link show type veth | wc -l)" 0 "veths on the host side"
	[ ! -e "$CACHE/c1_eth0.json" ] || fail "record left: $(cat "$CACHE/c1_eth0.json")"
	! grep -rqs '"cid": *"c1"' "$STORE" || fail "allocation left: $(grep -rs c1 "$STORE")"
}

case_inproc_lock_timeout() {
	fresh
	hold 3
	t0=$(now_ms)
	run plexus ADD "$T_TMP/node.conf"
	dt=$(($(now_ms) - t0))
	wait "$HOLDER"
	expect_eq "$(rc)" 1 "ADD rc: $(cat "$T_TMP/out.json")"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 11 "code"
	jget "$T_TMP/out.json" "j['msg']" | grep -q "timed out waiting for the node lock $LOCK" ||
		fail "msg: $(cat "$T_TMP/out.json")"
	# the ADD's wait ends at delegateTimeout (2 s); its rollback's DEL
	# waits for the same lock, which the holder lets go at 3 s
	[ "$dt" -ge 1900 ] && [ "$dt" -lt 4500 ] || fail "ADD took $dt ms"
	echo "# ADD failed after $dt ms"
	nothing_left
	# the lock free, the same config attaches and detaches
	run plexus ADD "$T_TMP/node.conf"
	expect_eq "$(rc)" 0 "ADD without the holder: $(cat "$T_TMP/out.json")"
	grep -rqs '"cid": *"c1"' "$STORE" || fail "no allocation after ADD"
	run plexus DEL "$T_TMP/node.conf"
	expect_eq "$(rc)" 0 "DEL: $(cat "$T_TMP/out.json")"
	nothing_left
}

# The same with the lock held for longer than both waits: the rollback's
# DEL times out too and says so in details; no link and no allocation is
# left (the failed ADD allocated nothing, its delegate undid its links),
# and the record stays, incomplete, for the runtime's DEL, which succeeds
# once the lock is free and removes it.
case_inproc_lock_held_throughout() {
	fresh
	hold 6
	t0=$(now_ms)
	run plexus ADD "$T_TMP/node.conf"
	dt=$(($(now_ms) - t0))
	expect_eq "$(rc)" 1 "ADD rc: $(cat "$T_TMP/out.json")"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 11 "code"
	[ "$dt" -lt 5500 ] || fail "ADD took $dt ms"
	jget "$T_TMP/out.json" "j['details']" | grep -q "rollback: .*timed out waiting for the node lock" ||
		fail "details: $(cat "$T_TMP/out.json")"
	echo "# ADD failed after $dt ms"
	expect_eq "$(jget "$CACHE/c1_eth0.json" "j['complete']")" False "record kept for DEL"
	rm -f "$T_TMP/keep" && mv "$CACHE/c1_eth0.json" "$T_TMP/keep"
	nothing_left
	mv "$T_TMP/keep" "$CACHE/c1_eth0.json"
	wait "$HOLDER"
	run plexus DEL "$T_TMP/node.conf"
	expect_eq "$(rc)" 0 "DEL: $(cat "$T_TMP/out.json")"
	nothing_left
}

# plexus-ipam exec'ed alone: the node settings' callTimeout (1 s here).
case_binary_call_timeout() {
	fresh
	hold 3
	t0=$(now_ms)
	run plexus-ipam ADD "$T_TMP/ipam.conf"
	dt=$(($(now_ms) - t0))
	expect_eq "$(rc)" 1 "plexus-ipam ADD rc: $(cat "$T_TMP/out.json")"
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 11 "code"
	jget "$T_TMP/out.json" "j['msg']" | grep -q "node lock $LOCK" || fail "msg: $(cat "$T_TMP/out.json")"
	[ "$dt" -ge 900 ] && [ "$dt" -lt 2500 ] || fail "plexus-ipam ADD took $dt ms"
	echo "# plexus-ipam ADD failed after $dt ms"
	wait "$HOLDER"
	! grep -rqs '"cid": *"c1"' "$STORE" || fail "allocation left"
}

t_case "[1.0.0] ADD in-process, the IPAM node lock held by another process: code 11 at delegateTimeout, rolled back, nothing left" case_inproc_lock_timeout
t_case "[1.0.0] ADD in-process, the lock held past the rollback too: code 11, nothing left" case_inproc_lock_held_throughout
t_case "[1.0.0] plexus-ipam as a binary: callTimeout bounds the lock wait (code 11)" case_binary_call_timeout
