#!/bin/bash
# Bad input and faults: every one gets the spec's error JSON with the right
# code and a message naming the field, exit 1, nothing created in the pod.
# Also DEL's promises (idempotent, netns gone, cache missing or corrupt),
# CHECK without ADD (rc 0, as Multus), delegate timeouts and broken delegate output, STATUS
# and GC.
. "$(dirname "$0")/../lib.sh"
P=plxq$$
T_NETNS=$P
TP=$TOP/$(dirname "$BINDIR")/bin/tests
CACHE=$T_TMP/cache STATE=$T_TMP/state DUMP=$T_TMP/dump
mkdir -p "$STATE" "$DUMP"
t_netns "$P"

# raw CMD STDIN-FILE [VAR=VALUE...]: plexus with exactly these variables
raw() {
	local cmd=$1 in=$2
	shift 2
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" ${cmd:+CNI_COMMAND=$cmd} "$@" \
		"$TOP/$BINDIR/plexus" <"$in" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
STD="CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 CNI_PATH=$TOP/$BINDIR:$TP:$REFDIR"
run() { # CMD CONF [VAR=VALUE...] — the standard environment, overridable
	local cmd=$1 in=$2
	shift 2
	# shellcheck disable=SC2086
	raw "$cmd" "$in" $STD "$@"
}
out() { jget "$T_TMP/out.json" "$1"; }
expect_code() { # CODE MSG-SUBSTRING
	[ "$(rc)" = 1 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "rc $(rc), want 1"; }
	expect_eq "$(out "j['code']")" "$1" "error code ($(out "j['msg']"))"
	out "j['msg']" | grep -qF -- "$2" || fail "msg '$(out "j['msg']")' lacks '$2'"
	expect_eq "$(out "sorted(k for k in j if k != 'details')")" \
		"['cniVersion', 'code', 'msg']" "error keys"
}
expect_ok() { [ "$(rc)" = 0 ] || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "$1: rc $(rc)"; }; }
pod_clean() { expect_eq "$(ip -n "$P" -o link | grep -vc ': lo:' || true)" 0 "links in pod"; }
held() { find "$STATE" -type f | wc -l; }

tp() { echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"plexus-testplugin\",\"stateDir\":\"$STATE\",\"dumpDir\":\"$DUMP\"${2:+,$2}}"; }
conf() { # FILE DELEGATES-JSON [EXTRA-KEYS]
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"t\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\"${3:+,$3},\"delegates\":$2}" >"$1"
}
C=$T_TMP/good.conf
conf "$C" "[$(tp a),$(tp b),$(tp c)]"

bad() { # NAME CODE MSG STDIN-CONTENT [VAR=VALUE...]
	local name=$1 code=$2 msg=$3 content=$4
	shift 4
	printf '%s' "$content" >"$T_TMP/in.json"
	t_case "bad input: $name -> code $code" bad_case "$code" "$msg" "$@"
}
bad_case() {
	local code=$1 msg=$2
	shift 2
	run ADD "$T_TMP/in.json" "$@"
	expect_code "$code" "$msg"
	pod_clean
	expect_eq "$(held)" 0 "attachments held"
}

bad "malformed JSON" 6 "invalid JSON" '{"cniVersion": "1.0.0",'
bad "empty stdin" 6 "empty input" ''
bad "unsupported cniVersion" 1 'cniVersion: unsupported CNI version "9.9.9"' '{"cniVersion":"9.9.9","delegates":[{}]}'
bad "non-string cniVersion" 1 "cniVersion: must be a string" '{"cniVersion":1.0,"delegates":[{}]}'
bad "missing cniVersion" 7 "cniVersion: missing" '{"delegates":[{}]}'
bad "delegates not a list" 7 "delegates: must be a list" '{"cniVersion":"1.0.0","delegates":{"type":"x"}}'
bad "delegates empty" 7 "delegates: the list is empty" '{"cniVersion":"1.0.0","delegates":[]}'
bad "no delegates, no clusterNetwork" 7 "delegates: missing" '{"cniVersion":"1.0.0"}'
bad "delegate without type" 7 'delegates[1]: "type" missing' "{\"cniVersion\":\"1.0.0\",\"cniDir\":\"$CACHE\",\"delegates\":[$(tp a),{\"cniVersion\":\"1.0.0\",\"name\":\"x\"}]}"
bad "type escaping CNI_PATH (..)" 7 'delegates[0]: "type" "../../../bin/sh" is not a plain plugin name' '{"cniVersion":"1.0.0","delegates":[{"cniVersion":"1.0.0","type":"../../../bin/sh"}]}'
bad "type with a slash" 7 '"type" "/bin/true" is not a plain plugin name' '{"cniVersion":"1.0.0","delegates":[{"cniVersion":"1.0.0","type":"/bin/true"}]}'
bad "missing delegate binary (after one attached)" 100 'plugin "no-such-plugin" not found in CNI_PATH' "{\"cniVersion\":\"1.0.0\",\"cniDir\":\"$CACHE\",\"delegates\":[$(tp a),{\"cniVersion\":\"1.0.0\",\"name\":\"x\",\"type\":\"no-such-plugin\"}]}"
bad "delegate with unsupported version" 1 'delegates[0].cniVersion: unsupported CNI version "0.2.0"' '{"cniVersion":"1.0.0","delegates":[{"cniVersion":"0.2.0","type":"bridge"}]}'
bad "missing CNI_COMMAND" 4 "CNI_COMMAND: not set" "$(cat "$C")" CNI_COMMAND=
bad "unknown CNI_COMMAND" 4 'CNI_COMMAND: unknown command "FROB"' "$(cat "$C")" CNI_COMMAND=FROB
bad "missing CNI_CONTAINERID" 4 "CNI_CONTAINERID: required for ADD" "$(cat "$C")" CNI_CONTAINERID=
bad "missing CNI_NETNS" 4 "CNI_NETNS: required for ADD" "$(cat "$C")" CNI_NETNS=
bad "netns path that does not exist" 4 'CNI_NETNS: "/var/run/netns/plexus-no-such-ns"' "$(cat "$C")" CNI_NETNS=/var/run/netns/plexus-no-such-ns
bad "CNI_IFNAME over 15 bytes" 4 'CNI_IFNAME: interface name "eth0123456789abc" is longer than 15 bytes' "$(cat "$C")" CNI_IFNAME=eth0123456789abc
bad "CNI_IFNAME with a slash" 4 "CNI_IFNAME: interface name \"a/b\" contains" "$(cat "$C")" CNI_IFNAME=a/b
bad "CNI_ARGS not K=V" 4 'CNI_ARGS: item "novalue" is not KEY=VALUE' "$(cat "$C")" "CNI_ARGS=IgnoreUnknown=1;novalue"

big_case() {
	python3 -c "import sys; sys.stdout.write('{\"cniVersion\":\"1.0.0\",\"pad\":\"' + 'x'*(10*1024*1024) + '\"}')" >"$T_TMP/big.json"
	run ADD "$T_TMP/big.json"
	expect_code 7 "stdin: larger than the 1048576-byte limit"
	pod_clean
}
t_case "bad input: a 10 MiB config -> code 7" big_case
deep_case() {
	python3 -c "import sys; sys.stdout.write('['*100000 + ']'*100000)" >"$T_TMP/deep.json"
	run ADD "$T_TMP/deep.json"
	expect_code 6 "nesting too deep"
	pod_clean
}
t_case "bad input: JSON nested 100,000 deep -> code 6" deep_case

fault_conf() { conf "$T_TMP/f.conf" "[$(tp a),$(tp b "$1")]" "${2:-}"; }
timeout_case() {
	fault_conf '"sleepMs":5000' '"delegateTimeout":1'
	run ADD "$T_TMP/f.conf"
	expect_code 102 'network "b" (net1): plexus-testplugin: ADD timed out after 1000 ms'
	expect_eq "$(held)" 0 "attachments held after the timeout's rollback"
}
t_case "delegate timeout -> code 102, earlier networks rolled back" timeout_case
garbage_case() {
	fault_conf '"output":"garbage"'
	run ADD "$T_TMP/f.conf"
	expect_code 103 "plexus-testplugin: ADD printed invalid JSON"
	expect_eq "$(held)" 0 "attachments held"
}
t_case "delegate printing broken JSON -> code 103, rolled back" garbage_case
huge_case() {
	fault_conf '"output":"huge"'
	run ADD "$T_TMP/f.conf"
	expect_code 103 "output larger than 1048576 bytes"
	expect_eq "$(held)" 0 "attachments held"
}
t_case "delegate printing 3 MiB -> code 103, rolled back" huge_case
empty_case() {
	fault_conf '"output":"empty"'
	run ADD "$T_TMP/f.conf"
	expect_code 103 "returned no result"
	expect_eq "$(held)" 0 "attachments held"
}
t_case "delegate printing nothing on ADD -> code 103" empty_case
passthrough_case() {
	fault_conf '"fail":["ADD"],"failCode":7'
	run ADD "$T_TMP/f.conf"
	expect_code 7 'network "b" (net1): plexus-testplugin: testplugin: ADD fails as configured'
}
t_case "a delegate's own error code and message are passed on, naming it" passthrough_case

# a delegate found on CNI_PATH that the kernel will not run: the exec's
# own error, naming the plugin, and the network before it rolled back
noexec_case() {
	mkdir -p "$T_TMP/badbin"
	printf 'not a program\n' >"$T_TMP/badbin/plexus-broken"
	chmod 0755 "$T_TMP/badbin/plexus-broken"
	conf "$T_TMP/f.conf" "[$(tp a),{\"cniVersion\":\"1.0.0\",\"name\":\"b\",\"type\":\"plexus-broken\"}]"
	run ADD "$T_TMP/f.conf" CNI_PATH="$T_TMP/badbin:$TP"
	expect_code 5 'network "b" (net1): plexus-broken: cannot start: Exec format error'
	expect_eq "$(held)" 0 "attachments held"
	pod_clean
}
t_case "a delegate that cannot be executed -> code 5 naming it, rolled back" noexec_case

add_ok() { run ADD "$C"; expect_ok ADD; }
del_twice_case() {
	add_ok
	run DEL "$C"; expect_ok DEL
	run DEL "$C"; expect_ok "second DEL"
	expect_eq "$(held)" 0 "held"
}
t_case "DEL is idempotent" del_twice_case
del_no_add_case() { run DEL "$C" CNI_CONTAINERID=never-added; expect_ok DEL; }
t_case "DEL without an ADD succeeds" del_no_add_case
del_netns_gone_case() {
	t_netns plxgone$$
	run ADD "$C" CNI_NETNS=/var/run/netns/plxgone$$
	expect_ok ADD
	ip netns del plxgone$$
	run DEL "$C" CNI_NETNS=/var/run/netns/plxgone$$
	expect_ok "DEL with the netns gone"
	expect_eq "$(held)" 0 "held after DEL"
}
t_case "DEL succeeds when the netns is gone, and still releases" del_netns_gone_case
del_no_netns_case() { add_ok; run DEL "$C" CNI_NETNS=; expect_ok DEL; expect_eq "$(held)" 0 held; }
t_case "DEL without CNI_NETNS releases everything" del_no_netns_case
del_corrupt_case() {
	add_ok
	head -c 40 "$CACHE/c1_eth0.json" >"$T_TMP/trunc" && mv "$T_TMP/trunc" "$CACHE/c1_eth0.json"
	run DEL "$C"
	expect_ok "DEL with a truncated cache"
	expect_eq "$(held)" 0 "held (fell back to the config)"
	grep -q "using the config instead" "$T_TMP/err.txt" || fail "no log of the fallback"
}
t_case "DEL with a truncated cache falls back to the config (multus #948)" del_corrupt_case
del_missing_cache_case() {
	add_ok
	rm -f "$CACHE/c1_eth0.json"
	run DEL "$C"; expect_ok DEL
	expect_eq "$(held)" 0 "held"
}
t_case "DEL with the cache missing falls back to the config" del_missing_cache_case
del_uses_cache_case() {
	add_ok
	conf "$T_TMP/changed.conf" "[$(tp z)]"
	run DEL "$T_TMP/changed.conf"; expect_ok DEL
	expect_eq "$(held)" 0 "the recorded networks were deleted, not the new config's"
}
t_case "DEL deletes what ADD recorded even after the config changed" del_uses_cache_case
del_failure_case() {
	conf "$T_TMP/df.conf" "[$(tp a),$(tp b '"fail":["DEL"]'),$(tp c '"fail":["DEL"],"failCode":5')]"
	run ADD "$T_TMP/df.conf"; expect_ok ADD
	run DEL "$T_TMP/df.conf"
	expect_code 5 '2 of 3 networks failed to delete'
	[ ! -e "$STATE/a_c1_eth0" ] || fail "DEL stopped at the first failure"
	[ -e "$CACHE/c1_eth0.json" ] || fail "cache removed although DEL failed"
	out "j['details']" | grep -q '"b" (net1)' || fail "second failure not in details"
	rm -f "$STATE"/*; rm -rf "$CACHE"
}
t_case "DEL keeps going past failures and reports them all" del_failure_case
check_no_add_case() { # as Multus v4.2: nothing to check, rc 0
	run CHECK "$C" CNI_CONTAINERID=never-added
	expect_eq "$(rc)" 0 "CHECK without ADD ($(cat "$T_TMP/out.json"))"
	expect_eq "$(cat "$T_TMP/out.json")" "" "CHECK prints nothing"
}
t_case "CHECK without ADD -> rc 0, as Multus v4.2" check_no_add_case
check_fail_case() {
	conf "$T_TMP/cf.conf" "[$(tp a),$(tp b '"fail":["CHECK"],"failCode":3')]"
	run ADD "$T_TMP/cf.conf"; expect_ok ADD
	run CHECK "$T_TMP/cf.conf"
	expect_code 3 'network "b" (net1)'
	run DEL "$T_TMP/cf.conf"; expect_ok DEL
}
t_case "CHECK reports the failing network" check_fail_case
dup_ifname_case() {
	conf "$T_TMP/dup.conf" "[$(tp a),$(tp b)]"
	run ADD "$T_TMP/dup.conf" CNI_IFNAME=net1
	expect_code 110 'interface "net1" already used by network'
	expect_eq "$(held)" 0 "held"
}
t_case "two attachments on one interface name -> code 110, nothing attached" dup_ifname_case
