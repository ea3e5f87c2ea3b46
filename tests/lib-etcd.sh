# Starting Debian's etcd on 127.0.0.1 for tests and benchmarks.
# etcd_init DIR: pick free ports, set ETCD_URL; data and pid file in DIR.
# etcd_start / etcd_stop: start (waits until it answers) and stop it; the
# pid lives in a file so subshells may restart it and an EXIT trap finds
# the current one. Call etcd_stop from your EXIT trap. ETCD_EXTRA_ARGS,
# when set, adds flags to etcd_start (e.g. "--max-request-bytes 4096").
etcd_free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
etcd_init() {
	ETCD_DIR=$1
	ETCD_PORT=$(etcd_free_port)
	ETCD_PEER=$(etcd_free_port)
	ETCD_URL=http://127.0.0.1:$ETCD_PORT
	ETCD_PIDFILE=$ETCD_DIR/etcd.pid
	mkdir -p "$ETCD_DIR"
}
etcd_start() {
	etcd --name plexus-test --data-dir "$ETCD_DIR/data" \
		--listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
		--listen-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER" \
		--initial-cluster "plexus-test=http://127.0.0.1:$ETCD_PEER" \
		${ETCD_EXTRA_ARGS:-} >>"$ETCD_DIR/etcd.log" 2>&1 &
	echo $! >"$ETCD_PIDFILE"
	for _ in $(seq 100); do
		curl -sf -X POST "$ETCD_URL/v3/kv/range" -d '{"key":"AA=="}' \
			>/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd did not start:" >&2
	tail -5 "$ETCD_DIR/etcd.log" >&2
	return 1
}
etcd_stop() {
	[ -n "${ETCD_PIDFILE:-}" ] && [ -s "$ETCD_PIDFILE" ] || return 0
	_p=$(cat "$ETCD_PIDFILE")
	kill "$_p" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$_p" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$_p" 2>/dev/null || true
	: >"$ETCD_PIDFILE"
}
