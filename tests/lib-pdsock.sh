# plexusd's process and socket for a suite that runs it: stop_pd (the
# plexusd of $PD_PID), wait_for, ask (request lines on $SOCK), pd_vm
# (its memory) and pd_big_objects (a large cache's objects). Sourced by
# tests/lib-plexusd.sh, the suites that start plexusd themselves and
# tests/bench/plexusd.sh; plexusd's log is $T_TMP/pd.log.
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
# pd_vm KEY: the value in kB of KEY (VmRSS, VmHWM: its peak) in the
# /proc status of the plexusd of $PD_PID
pd_vm() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$PD_PID/status"; }
# pd_big_objects PODS NADS CONF: a List for the fixture API server of
# NADS NADs (big<i> in ns<i % 50>, each with CONF) and PODS pods of node1
# (big<i>, uid bu<i>, each naming NADs big<i> and big<i+1>)
pd_big_objects() {
	python3 - "$@" <<'EOF_BIG'
import json, sys
pods, nads, conf = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
items = [{"apiVersion": "k8s.cni.cncf.io/v1", "kind": "NetworkAttachmentDefinition",
          "metadata": {"name": f"big{i}", "namespace": f"ns{i % 50}"},
          "spec": {"config": conf}} for i in range(nads)]
items += [{"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": f"big{i}", "namespace": f"ns{i % 50}", "uid": f"bu{i}",
                        "annotations": {"k8s.v1.cni.cncf.io/networks": f"big{i},big{i + 1}"}},
           "spec": {"nodeName": "node1"}} for i in range(pods)]
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
EOF_BIG
}
