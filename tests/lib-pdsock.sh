# plexusd's process and socket for a suite that runs it: stop_pd (the
# plexusd of $PD_PID), wait_for, ask (request lines on $SOCK). Sourced
# by tests/lib-plexusd.sh and the suites that start plexusd themselves;
# plexusd's log is $T_TMP/pd.log.
stop_pd() {
	[ -n "$PD_PID" ] || return 0
	kill "$PD_PID" 2>/dev/null || true
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
}
wait_for() { # DESCRIPTION COMMAND...: up to 5 s
	local what=$1; shift
	for _ in $(seq 100); do "$@" && return 0; sleep 0.05; done
	cat "$T_TMP/pd.log" 2>/dev/null
	fail "timed out waiting for: $what"
}
# ask LINE...: send request lines on one connection, print the replies
ask() {
	python3 - "$SOCK" "$@" <<'EOF_ASK'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(3)
s.connect(sys.argv[1])
f = s.makefile("rwb")
for line in sys.argv[2:]:
    f.write(line.encode() + b"\n")
    f.flush()
    print(f.readline().decode().rstrip("\n"))
EOF_ASK
}
