#!/bin/bash
# network-status through plexusd and the metrics plexus reports
# (docs/plexusd.md, "network-status" and "Metrics plexus reports"),
# against the fixture API server: plexusd runs with the fixture's "node"
# token, plexus with the admin one, so the request log tells whose
# request each is. An ADD or DEL through plexus with plexusd up sends no
# API request of its own and plexusd sends one PATCH; with plexusd killed
# or stopped, plexus writes it directly (a DEL after 1 s at most); a pod
# gone is no failure of DEL; a STATUS for a pod of another uid, or one
# not cached, is never patched by plexusd; malformed and oversized
# STATUS lines are refused, the daemon unharmed; /metrics shows the
# verbs' and delegates' histograms after a few ADD/DEL. About 20 s.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
H=pssh$$ P=pssp$$ BRP=psbr PD_KUBECONFIG=kubeconfig-node
. "$(dirname "$0")/../lib-plexusd.sh"

# requests of USER (admin: plexus, node: plexusd) of METHOD on PATH-PREFIX
by() { # USER METHOD PATH-PREFIX
	ctl requests --path "$3" | python3 -c 'import json,sys
print(len([x for x in json.load(sys.stdin) if x["user"] == sys.argv[1] and sys.argv[2] in ("*", x["method"])]))' "$1" "$2"
}
status_of() { # the pod's network-status: "<entries> <names>"
	ctl api GET /api/v1/namespaces/default/pods/p1 | python3 -c 'import json,sys
a = json.load(sys.stdin)["metadata"].get("annotations", {})
s = json.loads(a.get("k8s.v1.cni.cncf.io/network-status", "null"))
print(len(s), ",".join(e["name"] for e in s)) if s is not None else print("none")'
}
PODP=/api/v1/namespaces/default/pods/p1

case_server() {
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
}

case_via_plexusd() {
	fresh
	run ADD
	expect_ok ADD
	expect_eq "$(by admin '*' /)" 0 "API requests of the plugin at ADD"
	expect_eq "$(by node PATCH $PODP)" 1 "network-status PATCHes by plexusd"
	expect_eq "$(by node '*' $PODP)" 1 "plexusd's requests on the pod at ADD"
	expect_eq "$(status_of)" "2 kube-system/cluster,default/a1" "the pod's network-status"
	ctl requests --path $PODP | python3 -c 'import json,sys
b = json.load(sys.stdin)[0]["body"]
assert b["metadata"]["uid"] == "u1", b
assert b["metadata"]["annotations"]["k8s.v1.cni.cncf.io/network-status"]' ||
		fail "the PATCH does not carry the uid"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="status_patched"}')" 1 "status_patched"
	expect_eq "$(metric 'plexusd_api_requests_total{verb="patch",code="200"}')" 1 "API PATCH 200"
	# its round trip, timed by plexusd
	expect_eq "$(metric 'plexusd_api_duration_seconds_count{verb="patch"}')" 1 "PATCH round trips timed"
	expect_eq "$(metric 'plexusd_api_duration_seconds_bucket{verb="patch",le="+Inf"}')" 1 "PATCH +Inf bucket"
	python3 -c "import sys; s = float(sys.argv[1]); assert 0 < s < 10, s" \
		"$(metric 'plexusd_api_duration_seconds_sum{verb="patch"}')" ||
		fail "PATCH round trip sum not in (0, 10) s"
	grep -q "writing it directly" "$T_TMP/plexus.log" && fail "a fallback was logged"
	ctl clear-requests >/dev/null
	run DEL
	expect_ok DEL
	# DEL's clearing PATCH goes through plexusd too (the empty list)
	expect_eq "$(by admin '*' /)" 0 "API requests of the plugin at DEL"
	expect_eq "$(by node PATCH $PODP)" 1 "DEL's PATCH by plexusd"
	expect_eq "$(by node '*' $PODP)" 1 "plexusd's requests on the pod at DEL"
	expect_eq "$(status_of)" "0 " "cleared at DEL"
	ctl requests --path $PODP | python3 -c 'import json,sys
b = json.load(sys.stdin)[0]["body"]
assert b["metadata"]["uid"] == "u1", b
assert b["metadata"]["annotations"]["k8s.v1.cni.cncf.io/network-status"] == "[]", b' ||
		fail "DEL's PATCH is not the empty list of uid u1"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="status_patched"}')" 2 "status_patched"
	grep -qE "writing it directly|asking the API" "$T_TMP/plexus.log" && fail "a fallback was logged"
	wait_for "the DEL reported" eval '[ "$(metric "plexus_verb_duration_seconds_count{verb=\"DEL\"}")" = 1 ]'
	expect_eq "$(metric 'plexus_fallbacks_total')" 0 "fallbacks"
}

# plexusd stopped (SIGSTOP: the socket accepts, nothing answers): DEL
# gives it up after PDCLIENT_DEL_STATUS_MS (1 s; ADD's wait is 5 s) and
# clears the network-status itself, the fallback counted
case_del_stopped() {
	fresh
	run ADD
	expect_ok ADD
	expect_eq "$(status_of)" "2 kube-system/cluster,default/a1" "the pod's network-status"
	ctl clear-requests >/dev/null
	kill -STOP "$PD_PID"
	local t0 ms
	t0=$(date +%s%N)
	run DEL
	ms=$((($(date +%s%N) - t0) / 1000000))
	kill -CONT "$PD_PID"
	expect_ok DEL
	echo "# DEL with plexusd stopped: $ms ms"
	[ "$ms" -ge 1000 ] || fail "DEL took $ms ms: it did not wait for plexusd"
	[ "$ms" -lt 5000 ] || fail "DEL took $ms ms: not the short deadline"
	grep -q "plexusd $SOCK: network-status of pod default/p1: Connection timed out; asking the API" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "the fallback not logged"; }
	expect_eq "$(by admin PATCH $PODP)" 1 "DEL's PATCH by the plugin"
	expect_eq "$(status_of)" "0 " "cleared at DEL"
	wait_for "the DEL reported" eval '[ "$(metric "plexus_verb_duration_seconds_count{verb=\"DEL\"}")" = 1 ]'
	expect_eq "$(metric 'plexus_fallbacks_total')" 1 "fallbacks (DEL's PATCH)"
}

# the pod gone: plexusd's PATCH answered 404 (GONE: no fallback), or the
# pod dropped from plexusd's cache too (UNKNOWN: plexus' own PATCH, 404);
# the DEL succeeds either way
case_del_pod_gone() {
	fresh
	run ADD
	expect_ok ADD
	echo '{"match": "PATCH /api/v1/namespaces/default/pods/p1", "code": 404, "count": 1}' >"$T_TMP/fault.json"
	ctl fault "$T_TMP/fault.json" >/dev/null
	ctl clear-requests >/dev/null
	run DEL
	expect_ok DEL
	expect_eq "$(by admin '*' /)" 0 "API requests of the plugin (GONE)"
	expect_eq "$(by node PATCH $PODP)" 1 "plexusd's PATCH (404)"
	grep -q "the pod is gone: network-status of pod default/p1: plexusd: GONE" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "GONE not logged"; }
	run ADD
	expect_ok ADD
	ctl api DELETE $PODP >/dev/null
	wait_for "the pod gone from the cache" eval '[ "$(ask "POD default p1 u1")" = UNKNOWN ]'
	ctl clear-requests >/dev/null
	run DEL
	expect_ok DEL
	expect_eq "$(by node PATCH /)" 0 "plexusd's PATCHes (not cached)"
	expect_eq "$(by admin PATCH $PODP)" 1 "the plugin's PATCH (404)"
	grep -q "plexusd $SOCK: network-status of pod default/p1: answered UNKNOWN; writing it directly" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "the miss not logged"; }
	expect_eq "$(grep -c "DEL: network-status not cleared, the pod is gone" "$T_TMP/plexus.log")" 2 "DELs of a pod gone"
	expect_eq "$(pod_links)" "" "pod links after DEL"
}

case_stopped_direct() {
	fresh
	kill -9 "$PD_PID"
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
	run ADD
	expect_ok ADD
	expect_eq "$(by admin PATCH $PODP)" 1 "network-status PATCH by the plugin"
	expect_eq "$(by node '*' /)" 0 "requests of plexusd"
	expect_eq "$(status_of)" "2 kube-system/cluster,default/a1" "the pod's network-status"
	run DEL
	expect_ok DEL
}

# plexusd killed mid-storm: the verbs' reports (RESULT lines) go to the
# spool beside its socket and are counted when it starts again
case_spooled_reports() {
	fresh
	kill -9 "$PD_PID"
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
	for _ in 1 2; do
		run ADD
		expect_ok ADD
		run DEL
		expect_ok DEL
	done
	local spool=$SOCK.reports fb
	[ -f "$spool" ] || fail "no spool at $spool"
	expect_eq "$(stat -c %a "$spool")" 600 "spool mode"
	expect_eq "$(grep -c '^RESULT ADD 0 ' "$spool")" 2 "ADDs spooled"
	expect_eq "$(grep -c '^RESULT DEL 0 ' "$spool")" 2 "DELs spooled"
	fb=$(awk '{n += $5} END {print n}' "$spool")
	[ "$fb" -ge 2 ] || fail "fallbacks spooled: $fb"
	start_pd
	wait_for "the spooled verbs counted" eval '[ "$(metric "plexus_verb_duration_seconds_count{verb=\"DEL\"}")" = 2 ]'
	expect_eq "$(metric 'plexus_verb_duration_seconds_count{verb="ADD"}')" 2 "ADDs counted"
	expect_eq "$(metric 'plexus_fallbacks_total')" "$fb" "fallbacks counted"
	expect_eq "$(metric 'plexusd_report_spool_lines_total{result="taken"}')" 4 "spool lines taken"
	expect_eq "$(metric 'plexusd_report_spool_lines_total{result="malformed"}')" 0 "spool lines refused"
	[ -e "$spool" ] && fail "spool left after the drain"
	# read once: a later drain (every 5 s) counts nothing again
	printf 'RESULT ADD 0 1000 1\nPOD default p1 u1\n' >>"$spool"
	for _ in $(seq 80); do # the next drain: within 5 s
		[ "$(metric 'plexusd_report_spool_lines_total{result="malformed"}')" = 1 ] && break
		sleep 0.1
	done
	expect_eq "$(metric 'plexusd_report_spool_lines_total{result="malformed"}')" 1 "a POD line in the spool refused"
	expect_eq "$(metric 'plexus_verb_duration_seconds_count{verb="ADD"}')" 3 "ADDs counted once each"
	expect_eq "$(metric 'plexus_fallbacks_total')" "$((fb + 1))" "fallbacks counted once each"
}

case_failed_direct() {
	fresh
	# plexusd's PATCH answered 500 three times: plexus writes it itself
	echo '{"match": "PATCH /api/v1/namespaces/default/pods/p1", "code": 500, "count": 3}' >"$T_TMP/fault.json"
	ctl fault "$T_TMP/fault.json" >/dev/null
	run ADD
	expect_ok ADD
	expect_eq "$(by node PATCH $PODP)" 3 "plexusd's PATCHes (500, retried)"
	expect_eq "$(by admin PATCH $PODP)" 1 "then the plugin's"
	expect_eq "$(status_of)" "2 kube-system/cluster,default/a1" "the pod's network-status"
	grep -q "network-status of pod default/p1: answered FAILED .*; writing it directly" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "fallback not logged"; }
	expect_eq "$(metric 'plexusd_api_requests_total{verb="patch",code="500"}')" 3 "API PATCH 500"
	expect_eq "$(metric 'plexusd_api_duration_seconds_count{verb="patch"}')" 3 "PATCH round trips timed, each try"
	run DEL
}

case_uid_refused() {
	fresh
	expect_eq "$(ask 'STATUS default p1 u2 [{"name":"x"}]')" MISMATCH "a pod of another uid"
	expect_eq "$(ask 'STATUS default nope u1 [{"name":"x"}]')" UNKNOWN "a pod not cached"
	expect_eq "$(ask 'STATUS kube-system p1 u1 []')" UNKNOWN "the pod in another namespace"
	expect_eq "$(by node PATCH /)" 0 "PATCHes by plexusd"
	expect_eq "$(status_of)" none "the pod's annotation"
	expect_eq "$(ask 'STATUS default p1 u1 [{"name":"x"}]')" OK "the cached pod"
	expect_eq "$(status_of)" "1 x" "patched"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="status_direct"}')" 3 "status_direct"
}

case_malformed() {
	fresh
	local big
	big="STATUS default p1 u1 [{\"name\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}]"
	for bad in 'STATUS default p1 u1' 'STATUS default p1 u1 ' \
		'STATUS default p1 u1 {"name":"x"}' 'STATUS default p1 u1 [1]' \
		'STATUS default p1 u1 [{}] x' 'STATUS default p1 u1 [{}' \
		'STATUS default p1 u/1 []' 'STATUS Default p1 u1 []' \
		'RESULT ADD 0 10' 'CALL ADD 0 10 a%zz bridge' 'RESULT PUT 0 1 0'; do
		expect_eq "$(ask "$bad" 2>&1 | head -1)" "ERR malformed request" "reply to '${bad:0:40}'"
	done
	expect_eq "$(ask "$big" 2>&1 | head -1)" "ERR request too long" "a STATUS over 64 KiB"
	kill -0 "$PD_PID" || fail "plexusd died"
	expect_eq "$(by node PATCH /)" 0 "PATCHes by plexusd"
	expect_eq "$(ask 'STATUS default p1 u1 []' 'POD default p1 u1' | cut -c1-2 | tr '\n' ' ')" "OK OK " "then served"
}

case_metrics() {
	fresh
	for _ in 1 2 3; do
		run ADD
		expect_ok ADD
		run DEL
		expect_ok DEL
	done
	run CHECK
	wait_for "3 ADD, 3 DEL reported" eval '[ "$(metric "plexus_verb_duration_seconds_count{verb=\"DEL\"}")" = 3 ]'
	expect_eq "$(metric 'plexus_verb_duration_seconds_count{verb="ADD"}')" 3 "ADDs"
	expect_eq "$(metric 'plexus_verb_duration_seconds_bucket{verb="ADD",le="+Inf"}')" 3 "ADD +Inf bucket"
	expect_eq "$(metric 'plexus_delegate_duration_seconds_count{verb="ADD",network="default/a1",type="bridge"}')" 3 "a1's bridge ADDs"
	expect_eq "$(metric 'plexus_delegate_duration_seconds_count{verb="DEL",network="kube-system/cluster",type="bridge"}')" 3 "cluster's bridge DELs"
	expect_eq "$(metric 'plexus_delegate_failures_total{verb="ADD",network="default/a1",type="bridge"}')" 0 "failures"
	expect_eq "$(metric 'plexus_fallbacks_total')" 0 "fallbacks"
	# an unrecorded CHECK fails nothing; a failing ADD is counted by code
	run ADD
	run ADD
	[ "$(rc)" != 0 ] || fail "a second ADD should be refused"
	wait_for "the failed ADD counted" eval '[ -n "$(metric "plexus_errors_total{verb=\"ADD\",code=\"4\"}")" ]'
	run DEL
	ip netns exec "$H" curl -sS "http://127.0.0.1:$PORT/metrics" >"$T_TMP/metrics.txt"
	grep -q '^# TYPE plexus_delegate_duration_seconds histogram' "$T_TMP/metrics.txt" || fail "no histogram TYPE"
	grep -q '^plexusd_cache_age_seconds{cache="pods"} ' "$T_TMP/metrics.txt" || fail "no cache age"
	# label values from a tenant are escaped; past 64 label sets, "_other"
	{
		printf 'CALL ADD 0 1000 we%%22ird%%5Cnet bridge\n'
		for i in $(seq 70); do printf 'CALL ADD 0 1000 n%d bridge\n' "$i"; done
	} | python3 -c 'import socket,sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.stdin.buffer.read()); s.close()' "$SOCK"
	wait_for "the overflow series" eval '[ -n "$(metric "plexus_delegate_duration_seconds_count{verb=\"ADD\",network=\"_other\",type=\"_other\"}")" ]'
	ip netns exec "$H" curl -sS "http://127.0.0.1:$PORT/metrics" >"$T_TMP/metrics.txt"
	grep -qF 'plexus_delegate_duration_seconds_count{verb="ADD",network="we\"ird\\net",type="bridge"} 1' \
		"$T_TMP/metrics.txt" || fail "escaped label"
	expect_eq "$(grep -c '^plexus_delegate_duration_seconds_count' "$T_TMP/metrics.txt")" 65 "series (the cap of 64, and _other)"
}

# the reported series at their cap with the longest labels (128 bytes,
# each escaped to two): /metrics is then over 256 KiB, the buffer plexusd
# rendered into at first, and still answers 200 with every series
case_metrics_longest() {
	fresh
	python3 -c 'import socket,sys
lines = []
for i in range(70):
    lab = ("%03d" % i) + "\\" * 125
    lines.append("CALL %s 4 1000 %s %s\n" % (("ADD", "DEL", "CHECK")[i % 3], lab, lab))
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall("".join(lines).encode()); s.close()' "$SOCK"
	wait_for "the overflow series" eval '[ -n "$(metric "plexus_delegate_failures_total{verb=\"ADD\",network=\"_other\",type=\"_other\"}")" ]'
	local code
	code=$(ip netns exec "$H" curl -sS -o "$T_TMP/metrics.txt" -w '%{http_code}' "http://127.0.0.1:$PORT/metrics")
	expect_eq "$code" 200 "/metrics status"
	[ "$(stat -c %s "$T_TMP/metrics.txt")" -gt 262144 ] ||
		fail "/metrics is $(stat -c %s "$T_TMP/metrics.txt") bytes, not over 256 KiB"
	expect_eq "$(grep -c '^plexus_delegate_duration_seconds_count' "$T_TMP/metrics.txt")" 67 "series (the cap of 64, and _other of each verb)"
	grep -q '^plexusd_ready [01]$' "$T_TMP/metrics.txt" || fail "plexusd's own metrics are missing"
	grep -q '^plexus_fallbacks_total 0' "$T_TMP/metrics.txt" || fail "the last metric is missing"
}

# parallelAttach: cluster, a1 and a2 are ADDed at once, a forked process
# each; their delegate calls still reach plexusd's report (attach_par
# carries them back over its result pipe)
case_parallel_calls() {
	fresh
	nad default a2 "$(bridge_c a2 ${BRP}2 10.68.2.0/24)"
	pod a1,a2
	wait_for "the pod's new networks cached" eval 'ask "POD default p1 u1" | grep -q a2'
	PLEXUS_EXTRA=',"parallelAttach":true'
	run ADD
	PLEXUS_EXTRA=""
	expect_ok ADD
	expect_eq "$(pod_links)" "eth0 net1 net2 " "pod links"
	grep -q "ADD group [0-9]*: 3 network(s)" "$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "not one parallel group"; }
	run DEL
	expect_ok DEL
	wait_for "the DEL reported" eval '[ "$(metric "plexus_verb_duration_seconds_count{verb=\"DEL\"}")" = 1 ]'
	for n in default/a1 default/a2 kube-system/cluster; do
		expect_eq "$(metric "plexus_delegate_duration_seconds_count{verb=\"ADD\",network=\"$n\",type=\"bridge\"}")" 1 "$n's bridge ADD"
		expect_eq "$(metric "plexus_delegate_duration_seconds_count{verb=\"DEL\",network=\"$n\",type=\"bridge\"}")" 1 "$n's bridge DEL"
	done
}

case_clean_exit() {
	fresh
	run ADD
	expect_ok ADD
	run DEL
	expect_ok DEL
	ask 'STATUS default p1 u1 []' >/dev/null
	kill "$PD_PID"
	local rc=0
	wait "$PD_PID" || rc=$?
	PD_PID=""
	expect_eq "$rc" 0 "plexusd's exit status after SIGTERM"
	if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T_TMP/pd.log"; then
		fail "a sanitizer report in plexusd's log"
	fi
}

t_case "plexusd status: fixture API server is up" case_server
t_case "plexusd status: [1.0.0] ADD and DEL: network-status PATCHed by plexusd (its token, the pod's uid; [] at DEL), no API request by the plugin" case_via_plexusd
t_case "plexusd status: DEL with plexusd stopped (SIGSTOP): cleared by plexus after the 1 s deadline, a fallback" case_del_stopped
t_case "plexusd status: DEL of a pod gone (plexusd's 404: GONE; not cached: plexus' own 404): DEL succeeds" case_del_pod_gone
t_case "plexusd status: plexusd killed: plexus writes network-status directly" case_stopped_direct
t_case "plexusd status: plexusd killed mid-storm: the verbs' reports spooled, counted when it starts again (plexus_fallbacks_total)" case_spooled_reports
t_case "plexusd status: plexusd's PATCH fails: plexus writes it directly, logged" case_failed_direct
t_case "plexusd status: a pod of another uid, or not cached, is never patched by plexusd" case_uid_refused
t_case "plexusd status: malformed and oversized STATUS and report lines refused, daemon unharmed" case_malformed
t_case "plexusd status: /metrics: verb and delegate histograms, errors by code, escaping, the 64-series cap" case_metrics
t_case "plexusd status: /metrics with the 64 series at the longest labels (over 256 KiB) answers 200, complete" case_metrics_longest
t_case "plexusd status: parallelAttach: the delegate calls of a forked group are reported (each network's histogram)" case_parallel_calls
t_case "plexusd status: plexusd exits 0 on SIGTERM, its status thread joined (no sanitizer report)" case_clean_exit
