#!/bin/bash
# plexusd's warm caches and the socket plexus asks first (docs/plexusd.md,
# "Caches" and "The socket"): plexusd lists and watches the fixture API
# server's pods of this node and NADs; plexus' ADD is then served from
# the socket (the server's request log shows no pod or NAD GET); a NAD
# changed through the API is seen; a dropped watch resumes from its
# resourceVersion; an expired one (410) relists; lists come in pages; a
# pod not cached yet is waited for, then fetched by plexusd (and, when
# the API has it not yet either, by plexus); plexusd
# killed or silent → plexus falls back to the API and works (ADD's
# lookups, DEL's network-status); a peer that
# is not root and malformed or oversized requests are refused, the
# daemon unharmed; 1,000 pods and 5,000 NADs cached within a memory
# bound. The server, plexusd and plexus live in one netns. About 40 s.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
H=plch$$ P=plcp$$ BRP=plcbr PD_KUBECONFIG=kubeconfig
. "$(dirname "$0")/../lib-plexusd.sh"
case_server() {
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
}

case_served() {
	fresh
	expect_eq "$(stat -c %a "$SOCK")" 600 "socket mode"
	add_del 10.68.1.
	expect_eq "$(pod_gets)" 0 "pod GETs (served by plexusd)"
	expect_eq "$(nad_gets)" 0 "NAD GETs (served by plexusd)"
	expect_eq "$(count PATCH /api/v1/namespaces/default/pods/p1)" 2 "network-status PATCHes (ADD, DEL)"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="served"}')" 3 "served (pod, 2 NADs)"
	expect_eq "$(metric 'plexusd_cache_objects{cache="pods"}')" 1 "pods cached"
	# another node's pod is not cached
	ctl put-object '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"other","namespace":"default","uid":"u9"},"spec":{"nodeName":"node2"}}' >/dev/null
	expect_eq "$(ask 'POD default other u9')" UNKNOWN "another node's pod"
	expect_eq "$(ask 'POD default p1 u2')" MISMATCH "a pod of another uid"
}

case_nad_change_seen() {
	fresh
	ctl api PATCH /apis/k8s.cni.cncf.io/v1/namespaces/default/network-attachment-definitions/a1 \
		"{\"spec\":{\"config\":$(bridge_c a1 plcbr1 10.68.5.0/24 | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().strip()))')}}" \
		--content-type application/merge-patch+json >/dev/null
	wait_for "the changed NAD" eval 'served_config default a1 | grep -q 10.68.5.0'
	add_del 10.68.5.
	expect_eq "$(nad_gets)" 0 "NAD GETs"
	grep -q "asking the API" "$T_TMP/plexus.log" 2>/dev/null && fail "a fallback was logged"
	true
}

case_resume() {
	fresh
	expect_eq "$(ctl watch-drop | python3 -c 'import json,sys; print(json.load(sys.stdin)["dropped"])')" 2 "watches dropped"
	nad default a2 "$(bridge_c a2 plcbr2 10.68.2.0/24)"
	wait_for "a NAD made after the drop" eval 'ask "NAD default a2" | grep -q "^OK"'
	wait_for "restarts counted" eval '[ "$(metric "plexusd_watch_restarts_total{cache=\"nads\"}")" -ge 1 ]'
	expect_eq "$(metric 'plexusd_watch_relists_total{cache="nads"}')" 0 "relists"
	# resumed: watch streams with a resourceVersion, no list
	expect_eq "$(lists "$NADS")" "0 True" "NAD lists after the drop; watches from a resourceVersion"
	pod a2
	wait_for "the pod's new annotation" eval 'ask "POD default p1 u1" | grep -q "networks\":\"a2"'
	expect_eq "$(lists /api/v1/pods)" "0 True" "pod lists after the drop; watches from a resourceVersion"
	add_del 10.68.2.
	expect_eq "$(nad_gets)" 0 "NAD GETs"
}

case_relist_410() {
	fresh
	ctl compact >/dev/null
	nad default a3 "$(bridge_c a3 plcbr3 10.68.3.0/24)"
	wait_for "relists after 410" eval '[ "$(metric "plexusd_watch_relists_total{cache=\"nads\"}")" -ge 1 ]'
	wait_for "a NAD made while expired" eval 'ask "NAD default a3" | grep -q "^OK"'
	[ "$(lists "$NADS" | cut -d' ' -f1)" -ge 1 ] || fail "no list after the 410"
	pod a3
	wait_for "the pod's new annotation" eval 'ask "POD default p1 u1" | grep -q "networks\":\"a3"'
	ctl clear-requests >/dev/null
	add_del 10.68.3.
	expect_eq "$(nad_gets)" 0 "NAD GETs"
	expect_eq "$(pod_gets)" 0 "pod GETs"
}

case_pages() {
	stop_pd
	ctl reset >/dev/null
	# 600 NADs: two pages of 500 (limit + continue)
	python3 -c 'import json
print(json.dumps({"kind": "List", "items": [{"apiVersion": "k8s.cni.cncf.io/v1",
  "kind": "NetworkAttachmentDefinition",
  "metadata": {"name": "n%03d" % i, "namespace": "many"},
  "spec": {"config": "{}"}} for i in range(600)]}))' >"$T_TMP/many.json"
	ctl put-object "$T_TMP/many.json" >/dev/null
	ctl clear-requests >/dev/null
	rm -rf "$T_TMP/run"
	start_pd
	[ "$(metric 'plexusd_cache_objects{cache="nads"}')" -ge 600 ] || fail "NADs cached: $(metric 'plexusd_cache_objects{cache="nads"}')"
	expect_eq "$(metric 'plexusd_watch_lists_total{cache="nads"}')" 2 "NAD list pages"
	ctl requests --path "$NADS" >"$T_TMP/reqs.json"
	expect_eq "$(python3 -c 'import json,sys
r = [x for x in json.load(open(sys.argv[1])) if x["params"].get("watch") != "1"]
print(len(r), [x["params"].get("limit") for x in r], "continue" in r[1]["params"])' "$T_TMP/reqs.json")" \
		"2 ['500', '500'] True" "list requests"
	expect_eq "$(ask 'NAD many n599' | cut -c1-2)" OK "the last NAD of page 2"
}

case_pod_late() {
	fresh
	# the pod reappears under a new uid 0.5 s from now: plexusd waits
	# 100 ms, answers UNKNOWN, plexus asks the API (which waits for it)
	ctl api DELETE /api/v1/namespaces/default/pods/p1 >/dev/null
	python3 -c 'import json,sys
p = json.load(open(sys.argv[1])); p["metadata"]["uid"] = "u1"
print(json.dumps(p))' "$T_TMP/pod.json" >"$T_TMP/pod2.json"
	wait_for "the pod gone from the cache" eval '[ "$(ask "POD default p1 u1")" = UNKNOWN ]'
	ctl clear-requests >/dev/null
	ctl put-object "$T_TMP/pod2.json" --delay 0.5 >/dev/null
	add_del 10.68.1.
	[ "$(pod_gets)" -ge 1 ] || fail "the pod was not fetched directly"
	expect_eq "$(nad_gets)" 0 "NAD GETs (still served by plexusd)"
	grep -q "plexusd $SOCK: pod default/p1: answered UNKNOWN; asking the API" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "the miss not logged"; }
	[ "$(metric 'plexusd_socket_requests_total{result="unknown"}')" -ge 2 ] ||
		fail "unknown not counted"
}

# the pods' watch held back (its next connection stalled 8 s, then
# dropped): a pod made meanwhile is in the API, not in the cache; plexusd
# waits, fetches it (one GET) and serves it; plexus asks nothing of the
# API; another uid is MISMATCH, a missing pod UNKNOWN
case_pod_fetched() {
	fresh
	ctl api DELETE /api/v1/namespaces/default/pods/p1 >/dev/null
	wait_for "the pod gone from the cache" eval \
		'[ "$(metric "plexusd_cache_objects{cache=\"pods\"}")" = 0 ]'
	# stalled 8 s: the ADD and DEL below take 4 to 5 s on a loaded machine
	ctl fault '{"match": "GET /api/v1/pods", "stall_seconds": 8}' >/dev/null
	ctl watch-drop >/dev/null
	sleep 0.3
	python3 -c 'import json,sys
p = json.load(open(sys.argv[1])); p["metadata"]["uid"] = "u1"
print(json.dumps(p))' "$T_TMP/pod.json" >"$T_TMP/pod2.json"
	ctl put-object "$T_TMP/pod2.json" >/dev/null
	# (the fetcher's connection is open since start: no warm-up here)
	ctl clear-requests >/dev/null
	add_del 10.68.1.
	expect_eq "$(pod_gets)" 1 "pod GETs (plexusd's fetch, none from plexus)"
	expect_eq "$(nad_gets)" 0 "NAD GETs (served by plexusd)"
	expect_eq "$(metric 'plexusd_pod_fetches_total{result="served"}')" 1 "fetch served"
	expect_eq "$(metric 'plexusd_api_requests_total{verb="get",code="200"}')" 1 "API GET 200"
	expect_eq "$(metric 'plexusd_api_duration_seconds_count{verb="get"}')" 1 "the GET's round trip timed"
	! grep -q "asking the API" "$T_TMP/plexus.log" ||
		{ cat "$T_TMP/plexus.log"; fail "plexus asked the API"; }
	expect_eq "$(metric 'plexusd_cache_objects{cache="pods"}')" 0 "not put in the cache"
	expect_eq "$(ask 'POD default p1 u7')" MISMATCH "a fetched pod of another uid"
	expect_eq "$(ask 'POD default nosuch u1')" UNKNOWN "a missing pod"
	expect_eq "$(metric 'plexusd_pod_fetches_total{result="mismatch"}')" 1 "fetch mismatch"
	expect_eq "$(metric 'plexusd_pod_fetches_total{result="not_found"}')" 1 "fetch not found"
	ctl clear-faults >/dev/null
	for _ in $(seq 100); do # the stall's end: up to 8 s
		[ "$(metric 'plexusd_cache_objects{cache="pods"}')" = 1 ] && break
		sleep 0.1
	done
	expect_eq "$(metric 'plexusd_cache_objects{cache="pods"}')" 1 "the watch delivers it"
}

# the first fetch after start: plexusd opened the fetcher's connection
# at start (one GET /version), so the first late pod's GET is sent on a
# kept connection; the times of five restarts' first and second fetches
# are printed (a 404 each: a pod that does not exist, after the 100 ms
# wait)
fetch_ms() { # Nth "pod fetch" line's time
	sed -n 's/.*pod fetch: .* in \([0-9.]*\) ms.*/\1/p' "$T_TMP/pd.log" | sed -n "${1}p"
}
case_first_fetch_warm() {
	local first="" second="" i
	for i in 1 2 3 4 5; do
		fresh
		expect_eq "$(ask 'POD default nosuch u1')" UNKNOWN "[$i] a missing pod"
		expect_eq "$(ask 'POD default nosuch u1')" UNKNOWN "[$i] again"
		wait_for "[$i] two fetches logged" eval '[ -n "$(fetch_ms 2)" ]'
		grep 'pod fetch: ' "$T_TMP/pd.log" | head -1 | grep -q 'a new client' &&
			fail "[$i] the first fetch made its client: $(grep 'pod fetch' "$T_TMP/pd.log")"
		first="$first $(fetch_ms 1)" second="$second $(fetch_ms 2)"
	done
	echo "# the first late pod's fetch after start (ms):$first; the second:$second" >&3
	expect_eq "$(metric 'plexusd_pod_fetches_total{result="not_found"}')" 2 "fetches not found"
	expect_eq "$(metric 'plexusd_api_requests_total{verb="version",code="200"}')" 1 "the warm-up GET /version"
	expect_eq "$(ctl requests --path /version | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0 \
		"GET /version after the warm-up (the requests were cleared after it)"
}

# 2 NADs of fresh + 5: a bound of 3 keeps 3, drops 4; a NAD created
# while full is dropped too; plexus asks the API for what is not cached
case_bound() {
	fresh_api
	for i in 1 2 3 4 5; do nad many "m$i" '{}'; done
	pod a1
	PD_EXTRA=(--max-cached-nads 3)
	start_pd
	PD_EXTRA=()
	expect_eq "$(metric 'plexusd_cache_objects{cache="nads"}')" 3 "NADs cached"
	local dropped
	dropped=$(metric 'plexusd_cache_dropped_total{cache="nads"}')
	# 4 list items (the fixture's watch may replay them as events too)
	[ "$dropped" -ge 4 ] || fail "NADs dropped: $dropped"
	expect_eq "$(metric 'plexusd_cache_full{cache="nads"}')" 1 "nads full"
	expect_eq "$(metric 'plexusd_cache_full{cache="pods"}')" 0 "pods full"
	expect_eq "$(metric 'plexusd_cache_synced{cache="nads"}')" 1 "synced (degraded, still ready)"
	grep -q "NADs cache full: over max-cached-nads 3, [0-9]* dropped" "$T_TMP/pd.log" ||
		{ cat "$T_TMP/pd.log"; fail "not logged"; }
	# every NAD the API has (the fixture seeds some too): 3 served
	local ok=0 unknown=0 total=0 r n
	ctl api GET "$NADS" >"$T_TMP/all.json"
	while read -r n; do
		total=$((total + 1))
		r=$(ask "NAD $n" | cut -c1-2)
		case $r in OK) ok=$((ok + 1)) ;; UN) unknown=$((unknown + 1)) ;; esac
	done < <(python3 -c 'import json,sys
for i in json.load(open(sys.argv[1]))["items"]:
    print(i["metadata"]["namespace"], i["metadata"]["name"])' "$T_TMP/all.json")
	expect_eq "$ok $unknown" "3 $((total - 3))" "NADs served, unknown (of $total)"
	nad many m6 '{}'
	wait_for "m6 dropped" eval '[ "$(metric "plexusd_cache_dropped_total{cache=\"nads\"}")" -gt "$dropped" ]'
	expect_eq "$(ask 'NAD many m6')" UNKNOWN "a NAD created while full"
	ctl clear-requests >/dev/null
	add_del 10.68.1.
}

# issue 14 item 7, plexusd's memory: 1,000 pods of this node and 5,000
# NADs added through the watch (the fixture keeps 1,000 events of
# history, so the watch falls behind, gets a 410 and lists them in
# pages too), then listed again after a compaction. Bounded: the growth
# of plexusd's peak RSS over its RSS with nothing cached, which is what
# plexusd allocates (the libraries' pages, ~10 MiB of libcurl and
# OpenSSL, come before). Measured (Debian 12, x86_64, 2 cores): 2.0 to
# 2.3 MiB (13.7 to 13.9 MiB peak); the bound is 2.3 MiB + 25%, 2.9 MiB.
# It was 3.8 to 4.9 MiB (17.3 MiB peak) while each list page was parsed
# whole and a relist held the old table and the new one whole. The peak itself is held to
# issue 14's 16 MiB (it depends on the distribution's libcurl too).
# The full load, not a smaller one: about 5 s here.
BIG_PODS=1000 BIG_NADS=5000 GROWTH_MAX_KB=2944 PEAK_MAX_KB=16384
cached_at_least() { # PODS NADS [NAD-LISTS]: up to 30 s
	for _ in $(seq 300); do
		[ "$(metric 'plexusd_cache_objects{cache="pods"}')" -ge "$1" ] &&
			[ "$(metric 'plexusd_cache_objects{cache="nads"}')" -ge "$2" ] &&
			[ "$(metric 'plexusd_watch_lists_total{cache="nads"}')" -ge "${3:-0}" ] && return 0
		sleep 0.1
	done
	fail "cached: pods $(metric 'plexusd_cache_objects{cache="pods"}'), NADs $(metric 'plexusd_cache_objects{cache="nads"}')"
}

case_memory() {
	fresh
	local base lists hwm
	base=$(pd_vm VmRSS)
	pd_big_objects "$BIG_PODS" "$BIG_NADS" '{"cniVersion":"1.0.0","name":"big","type":"bridge"}' >"$T_TMP/big.json"
	ctl put-object "$T_TMP/big.json" >/dev/null
	cached_at_least $((BIG_PODS + 1)) $((BIG_NADS + 2))
	lists=$(metric 'plexusd_watch_lists_total{cache="nads"}')
	ctl compact >/dev/null
	# a relist: 11 pages of 500
	cached_at_least $((BIG_PODS + 1)) $((BIG_NADS + 2)) $((lists + 11))
	expect_eq "$(ask "NAD ns49 big$((BIG_NADS - 1))" | cut -c1-2)" OK "the last NAD, served"
	hwm=$(pd_vm VmHWM)
	echo "# plexusd: RSS $base kB with nothing cached, peak $hwm kB with $((BIG_PODS + 1)) pods, $((BIG_NADS + 2)) NADs (growth $((hwm - base)) kB)"
	[ $((hwm - base)) -le "$GROWTH_MAX_KB" ] ||
		fail "peak RSS grew by $((hwm - base)) kB (bound $GROWTH_MAX_KB kB)"
	[ "$hwm" -le "$PEAK_MAX_KB" ] || fail "peak RSS $hwm kB (bound $PEAK_MAX_KB kB)"
}

case_killed_fallback() {
	fresh
	kill -9 "$PD_PID"
	wait "$PD_PID" 2>/dev/null || true
	PD_PID=""
	add_del 10.68.1.
	expect_eq "$(pod_gets)" 1 "pod GETs (direct)"
	expect_eq "$(nad_gets)" 2 "NAD GETs (direct)"
	grep -q "plexusd $SOCK: pod default/p1: .*asking the API" "$T_TMP/plexus.log" ||
		{ cat "$T_TMP/plexus.log"; fail "fallback not logged"; }
	# a plexusd that never answers: the ADD waits at most its deadline
	rm -f "$SOCK"
	python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
time.sleep(30)' "$SOCK" &
	local mute=$!
	sleep 0.3
	ctl clear-requests >/dev/null
	local t0 t1
	t0=$(date +%s%N)
	add_del 10.68.1.
	t1=$(date +%s%N)
	kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null || true
	expect_eq "$(pod_gets)" 1 "pod GETs (direct after a silent plexusd)"
	grep -q "plexusd $SOCK: pod default/p1: Connection timed out; asking the API" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "timeout not logged"; }
	# the ADD's lookup timed out, and the DEL's network-status (its
	# own wait, at most 1 s): two timeouts logged, then written directly
	expect_eq "$(grep -c 'Connection timed out' "$T_TMP/plexus.log")" 2 "timeouts logged"
	grep -q "plexusd $SOCK: network-status of pod default/p1: Connection timed out; asking the API" \
		"$T_TMP/plexus.log" || { cat "$T_TMP/plexus.log"; fail "DEL's timeout not logged"; }
	# the silent socket stays open 30 s: an ADD that waited for it
	# would take that long
	[ $(((t1 - t0) / 1000000)) -lt 10000 ] || fail "ADD+DEL took $(((t1 - t0) / 1000000)) ms"
}

case_not_root() {
	fresh
	# no capability: the 0600 socket refuses the connect itself
	local py=/usr/bin/python3
	[ -x "$py" ] || py=$(command -v python3)
	# the dirs searchable by all: the socket's own mode is what refuses
	chmod 0711 "$T_TMP" "$(dirname "$SOCK")"
	ip netns exec "$H" setpriv --reuid 65534 --regid 65534 --clear-groups \
		"$py" -c 'import socket,sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except PermissionError:
    print("EACCES")' "$SOCK" >"$T_TMP/nr.txt" 2>&1 || true
	expect_eq "$(cat "$T_TMP/nr.txt")" EACCES "non-root connect"
	# past the mode (CAP_DAC_OVERRIDE): SO_PEERCRED refuses uid 65534
	ip netns exec "$H" setpriv --reuid 65534 --regid 65534 --clear-groups \
		--inh-caps +dac_override --ambient-caps +dac_override \
		"$py" -c 'import socket,sys
s = socket.socket(socket.AF_UNIX); s.settimeout(3); s.connect(sys.argv[1])
try:
    s.sendall(b"POD default p1 u1\n")
except BrokenPipeError:
    pass    # refused at accept: the answer may already be there
print(s.makefile("rb").readline().decode().strip())' "$SOCK" >"$T_TMP/nr.txt" 2>&1 || true
	expect_eq "$(cat "$T_TMP/nr.txt")" "ERR peer is not root" "non-root peer"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="not_root"}')" 1 "not_root counted"
	expect_eq "$(metric 'plexusd_socket_requests_total{result="served"}')" 0 "nothing served"
	expect_eq "$(ask 'POD default p1 u1' | cut -c1-2)" OK "root still served"
}

case_malformed() {
	fresh
	local big
	big=$(head -c 700 /dev/zero | tr '\0' a)
	for bad in "GET / HTTP/1.1" "POD default p1" "POD Default p1 u1" \
		"NAD default a1 extra" "POD default p1 u1 " "POD  default p1 u1" \
		"POD default p1 u/1" "$big"; do
		expect_eq "$(ask "$bad" 2>&1 | head -1)" \
			"$([ "$bad" = "$big" ] && echo 'ERR request too long' || echo 'ERR malformed request')" \
			"reply to '${bad:0:40}'"
	done
	expect_eq "$(metric 'plexusd_socket_requests_total{result="malformed"}')" 8 "malformed counted"
	kill -0 "$PD_PID" || fail "plexusd died"
	expect_eq "$(ask 'POD default p1 u1' 'NAD default a1' | cut -c1-2 | tr '\n' ' ')" "OK OK " "then served"
	add_del 10.68.1.
	expect_eq "$(pod_gets)" 0 "pod GETs"
}

exec 3>&1 # the figures, into the log
t_case "plexusd cache: fixture API server is up" case_server
t_case "plexusd cache: [1.0.0] ADD served from the socket (no pod or NAD GET), 0600; other node's pod unknown; another uid never served" case_served
t_case "plexusd cache: a NAD changed through the API is seen by the next ADD" case_nad_change_seen
t_case "plexusd cache: a dropped watch resumes from its resourceVersion (no relist)" case_resume
t_case "plexusd cache: an expired resourceVersion (410) relists" case_relist_410
t_case "plexusd cache: lists in pages of 500 (600 NADs: limit and continue)" case_pages
t_case "plexusd cache: a pod not cached yet: waited for, answered unknown, fetched by plexus; its NADs still served" case_pod_late
t_case "plexusd cache: a pod whose watch event is late: fetched by plexusd (one GET, none from plexus); another uid MISMATCH; a missing pod UNKNOWN" case_pod_fetched
t_case "plexusd cache: the first late pod's fetch after start uses the connection opened at start (GET /version), timed" case_first_fetch_warm
t_case "plexusd cache: plexusd killed or silent: ADD falls back to the API, logged, within the deadline" case_killed_fallback
t_case "plexusd cache: over --max-cached-nads new NADs are dropped, counted, logged, never served; ADD fetches them itself" case_bound
t_case "plexusd cache: 1,000 pods and 5,000 NADs cached and listed again: peak RSS within 2.9 MiB of the RSS with none, at most 16 MiB" case_memory
t_case "plexusd cache: a peer that is not root is refused (mode 0600, SO_PEERCRED)" case_not_root
t_case "plexusd cache: malformed and oversized requests refused, daemon unharmed" case_malformed
