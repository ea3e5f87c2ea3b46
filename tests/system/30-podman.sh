#!/bin/bash
# podman suite: Debian's podman 4.3 with its CNI backend runs a busybox
# container on every network configuration in tests/podman/confs/ and the
# suite checks what the container saw and what was left afterwards. The
# harness (tests/podman/lib.sh) changes nothing in /etc: its own
# containers.conf, vfs storage in a temp folder (no mounts), runc, and
# cni_plugin_dirs = [$TOP/$BINDIR, /usr/lib/cni].
#
# Configurations: tests/podman/confs/*.conflist (placeholders: see
# tests/podman/lib.sh — @BRIDGE1@..@BRIDGE9@, @DATADIR@, @TMPDIR@,
# @CNIBIN@); the network name is the file's "name". Sidecar NAME.expect:
# lines "IFNAME CIDR", each an interface the container must see with an
# address inside CIDR (default: eth0 with some global address).
# tests/podman/confs/fail/*.conflist must make `podman run` fail with the
# every line of the sidecar NAME.error on its stderr. Sidecar NAME.netopts:
# appended to the network name in --network (e.g. ":ip=10.1.2.3").
# Sidecar NAME.runopts: more `podman run` options (e.g. "-p 8080:80").
# Sidecar NAME.check: a python3 script run after the container exited, with
# the configuration's data folder as its argument; it fails the run case by
# exiting non-zero.
#
# After every run: no container left, no port left on the
# configuration's bridges, no file under @DATADIR@ naming the container,
# no libcni cache entry for it, no netns left, no mount under the harness.
# Env: PODMAN_CONFDIR overrides the folder. About 5 s with the reference
# configurations (one podman run is 0.2-0.3 s).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/podman/lib.sh"
trap 'pm_cleanup; t_cleanup' EXIT

CONFDIR=${PODMAN_CONFDIR:-$TOP/tests/podman/confs}
NETNS_BEFORE=$(ls /run/netns 2>/dev/null | sort)

# prun DIR ARGS...: podman run --rm on the current network, the container
# ID in DIR/cid, output in DIR/run.out / run.err, exit code in DIR/run.rc.
prun() {
	_d=$1; shift
	rm -f "$_d/cid"
	set +e
	pm run --rm --cidfile "$_d/cid" --network "$PM_NET$PM_NETOPTS" "$@" \
		>"$_d/run.out" 2>"$_d/run.err"
	echo $? >"$_d/run.rc"
	set -e
}

case_setup() {
	command -v podman >/dev/null || fail "podman not installed (tests/deps.sh)"
	pm_image
	pm image exists "$PM_IMAGE" || fail "image not imported"
}

case_run() { # DIR SRC
	# shellcheck disable=SC2046
	prun "$1" $(cat "${2%.conflist}.runopts" 2>/dev/null) "$PM_IMAGE" ip -o addr
	cat "$1/run.out" "$1/run.err" >&2
	expect_eq "$(cat "$1/run.rc")" 0 "podman run exit code"
	if [ -f "${2%.conflist}.check" ]; then
		python3 "${2%.conflist}.check" "$1/data" || fail "${2%.conflist}.check"
	fi
	_exp=${2%.conflist}.expect
	[ -f "$_exp" ] || { echo "eth0 0.0.0.0/0"; echo "eth0 ::/0"; } >"$1/any"
	[ -f "$_exp" ] || _exp=$1/any
	python3 - "$1/run.out" "$_exp" "$([ -f "${2%.conflist}.expect" ] && echo all || echo any)" <<'EOF'
import ipaddress, sys
seen = {}
for line in open(sys.argv[1]):
    f = line.split()
    scope = f[f.index("scope") + 1] if "scope" in f[:-1] else ""
    if len(f) >= 4 and f[2] in ("inet", "inet6") and scope == "global":
        seen.setdefault(f[1], []).append(ipaddress.ip_interface(f[3]))
want = []
for line in open(sys.argv[2]):
    line = line.split("#", 1)[0].strip()
    if line:
        name, cidr = line.split()
        want.append((name, ipaddress.ip_network(cidr)))
ok = [any(a.ip in net for a in seen.get(name, [])) for name, net in want]
if not want or not (all(ok) if sys.argv[3] == "all" else any(ok)):
    sys.exit(f"container saw {seen}; wanted {want} ({sys.argv[3]})")
EOF
}

# case_inspect DIR SRC NAME: a detached container; podman's view of the
# CNI result (inspect) names an IPv4 address in an expected eth0 subnet that
# the container really has; then podman rm -f tears it down.
case_inspect() {
	rm -f "$1/cid"
	pm run -d --name "$3" --cidfile "$1/cid" --network "$PM_NET$PM_NETOPTS" "$PM_IMAGE" \
		sleep 60 >/dev/null || fail "podman run -d failed"
	ip=$(pm inspect "$3" --format "{{(index .NetworkSettings.Networks \"$PM_NET\").IPAddress}}")
	seen=$(pm exec "$3" ip -o -4 addr show eth0)
	pm rm -f -t 0 "$3" >/dev/null
	echo "inspect: '$ip'; container: $seen" >&2
	[ -n "$ip" ] || fail "podman inspect shows no IPv4 address"
	case "$seen" in *" inet $ip/"*) ;; *) fail "container lacks $ip" ;; esac
	_exp=${2%.conflist}.expect
	[ -f "$_exp" ] || return 0
	python3 - "$ip" "$_exp" <<'EOF2'
import ipaddress, sys
ip = ipaddress.ip_address(sys.argv[1])
nets = [ipaddress.ip_network(l.split()[1]) for l in open(sys.argv[2])
        if l.split("#", 1)[0].strip() and l.split()[0] == "eth0"]
if nets and not any(ip in n for n in nets):
    sys.exit(f"{ip} is in none of {nets}")
EOF2
}

case_run_fails() { # DIR ERRFILE
	prun "$1" "$PM_IMAGE" ip -o addr
	[ "$(cat "$1/run.rc")" != 0 ] || { cat "$1/run.out" >&2; fail "podman run succeeded"; }
	while IFS= read -r want; do
		[ -n "$want" ] || continue
		grep -qF -- "$want" "$1/run.err" || { cat "$1/run.err" >&2; fail "stderr lacks: $want"; }
	done <"$2"
}

case_nothing_left() { # DIR
	left=$(pm ps -aq) || fail "podman ps failed"
	[ -z "$left" ] || fail "containers left: $left"
	for br in $PM_BRIDGES; do
		[ -d "/sys/class/net/$br/brif" ] || continue
		ports=$(ls "/sys/class/net/$br/brif")
		[ -z "$ports" ] || fail "bridge $br still has ports: $ports"
	done
	if [ -s "$1/cid" ]; then
		cid=$(cat "$1/cid")
		left=$(grep -rl -- "$cid" "$PM_NETDIR/data" 2>/dev/null || true)
		[ -z "$left" ] || fail "IPAM state still names the container: $left"
		left=$(find /var/lib/cni/results -name "*$cid*" 2>/dev/null)
		[ -z "$left" ] || fail "libcni cache entry left: $left"
	fi
	expect_eq "$(ls /run/netns 2>/dev/null | grep '^netns-' | sort)" \
		"$(echo "$NETNS_BEFORE" | grep '^netns-' || true)" "podman netns"
	expect_eq "$(pm_mounts)" "" "mounts under the harness"
}

pm_init "$TOP/$BINDIR/tests"
t_case "podman harness: busybox image imported" case_setup

idx=0
for src in "$CONFDIR"/*.conflist; do
	[ -f "$src" ] || continue
	idx=$((idx + 1))
	pm_net "$src" "$idx"
	PM_NETOPTS=$(cat "${src%.conflist}.netopts" 2>/dev/null || true)
	n=$(basename "$src")
	t_case "$n: podman run sees the expected addresses" case_run "$PM_NETDIR" "$src"
	t_case "$n: nothing left after the container exits" case_nothing_left "$PM_NETDIR"
	t_case "$n: podman inspect reports an address the container has" \
		case_inspect "$PM_NETDIR" "$src" "plxp-$PM_RUNID-$idx"
	t_case "$n: nothing left after podman rm -f" case_nothing_left "$PM_NETDIR"
done
for src in "$CONFDIR"/fail/*.conflist; do
	[ -f "$src" ] || continue
	idx=$((idx + 1))
	pm_net "$src" "$idx"
	PM_NETOPTS=$(cat "${src%.conflist}.netopts" 2>/dev/null || true)
	n=fail/$(basename "$src")
	t_case "$n: podman run fails with the plugin's message" \
		case_run_fails "$PM_NETDIR" "${src%.conflist}.error"
	t_case "$n: nothing left after the failed run" case_nothing_left "$PM_NETDIR"
done
