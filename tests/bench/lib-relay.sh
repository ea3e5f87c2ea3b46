# Debian's etcd behind the counting relay (tests/ipamseed/tcpcount.py),
# for the benches that count what a plugin call costs on the wire
# (ipam-scale.sh, ipam-fill.sh). Source it after setting TOP.
#   relay_start DIR: etcd in DIR/etcd (tests/lib-etcd.sh: ETCD_URL,
#     ETCD_PORT), then the relay in front of it: RELAY (its http URL),
#     RELAY_LOG (one line per closed connection: bytes sent, bytes
#     received, requests), RELAY_PID. Fails when the relay never says
#     its port.
#   relay_stop: stops the relay and etcd; call it from the EXIT trap.
. "$TOP/tests/lib-etcd.sh"
relay_start() {
	etcd_init "$1/etcd"
	# the default 2 GiB quota holds a /12 of full /26 blocks; history is
	# not compacted during the run
	etcd_start >/dev/null
	RELAY_LOG=$1/relay.log
	python3 "$TOP/tests/ipamseed/tcpcount.py" "$1/relay.port" "$RELAY_LOG" 127.0.0.1 "$ETCD_PORT" &
	RELAY_PID=$!
	for _ in $(seq 50); do [ -s "$1/relay.port" ] && break; sleep 0.1; done
	[ -s "$1/relay.port" ] || {
		echo "the counting relay did not start" >&2
		return 1
	}
	RELAY=http://127.0.0.1:$(cat "$1/relay.port")
}
relay_stop() {
	[ -z "${RELAY_PID:-}" ] || kill "$RELAY_PID" 2>/dev/null || true
	RELAY_PID=
	etcd_stop
}
