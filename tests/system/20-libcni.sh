#!/bin/bash
# libcni suite: every network configuration in tests/libcni/confs/ is run
# through libcni (what containerd and CRI-O link) by $BINDIR/libcni-driver,
# in a fresh netns, the way a CRI runtime does: ADD, CHECK, DEL, a second
# DEL, with libcni's result cache, CNI_ARGS as CRI runtimes send them, and
# the plugins found on CNI_PATH=$BINDIR:/usr/lib/cni. Each configuration is
# run twice: containerd-style (DEL and CHECK re-read the configuration file)
# and CRI-O-style (DEL and CHECK use the configuration libcni cached at ADD,
# --cached-config). Files in tests/libcni/confs/fail/ must make ADD fail.
#
# Configurations: tests/libcni/confs/*.conflist and *.conf (a .conf is a
# single plugin, converted to a list by libcni.ConfListFromConf). Optional
# sidecar NAME.expect: lines "IFNAME CIDR" — after ADD the netns has IFNAME
# with an address inside CIDR (use it for interfaces the ADD result does
# not list, e.g. a meta plugin's extra attachments); after DEL the netns
# holds nothing but lo. Every address the ADD result places on a container
# interface is checked as well. fail/NAME.error: lines of text, each of
# which the driver's stderr must contain when ADD fails; then DEL runs (as
# a CRI runtime tears the sandbox down), must succeed when every plugin of
# the list exists, and must leave nothing behind. NAME.args: K=V;K=V
# appended to the CNI_ARGS; NAME.capargs: a JSON object passed as libcni's
# CapabilityArgs (runtimeConfig for plugins declaring the capability), on
# every verb, as CRI runtimes do. Both sidecars take the placeholders.
#
# CNI_ARGS sent: IgnoreUnknown=1;K8S_POD_NAMESPACE=plexus-test;
# K8S_POD_NAME=pod-<cid>;K8S_POD_INFRA_CONTAINER_ID=<cid>;K8S_POD_UID=<uuid>
# (the same on every verb, as containerd and CRI-O send them).
#
# CHECK cases are left out for cniVersion below 0.4.0 (libcni refuses CHECK
# there). Put a meta plugin's own cache (plexus' cniDir) under @DATADIR@
# as well, so that the leftover checks cover it.
#
# Placeholders replaced in every configuration before use:
#   @BRIDGE1@ .. @BRIDGE9@  unique bridge names for this run and file
#                           (plxl<run id><file no><n>, at most 12 bytes);
#                           deleted at exit
#   @DATADIR@   an empty per-file directory for IPAM state (host-local's
#               dataDir): after DEL no file under it may contain the
#               container ID
#   @TMPDIR@    a per-file scratch directory (holds @DATADIR@)
#   @CNIBIN@    the absolute plexus binary directory ($TOP/$BINDIR)
#
# Env: LIBCNI_CONFDIR overrides the configuration folder. Runs as root;
# takes about 3 s with the reference configurations.
. "$(dirname "$0")/../lib.sh"

DRIVER=$TOP/$BINDIR/libcni-driver
NETCHECK=$TOP/tests/libcni/netcheck.py
CONFDIR=${LIBCNI_CONFDIR:-$TOP/tests/libcni/confs}
CNIPATH=$TOP/$BINDIR:$REFDIR
RUNID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)

# render SRC INDEX DIR: write SRC with its placeholders filled to DIR/conf
# and register the bridges it names for deletion.
render() {
	_src=$1 _idx=$2 _dir=$3
	mkdir -p "$_dir/data"
	_sed="s|@DATADIR@|$_dir/data|g;s|@TMPDIR@|$_dir|g;s|@CNIBIN@|$TOP/$BINDIR|g"
	for n in 1 2 3 4 5 6 7 8 9; do
		_br=plxl$RUNID$(printf %02d "$_idx")$n
		if grep -q "@BRIDGE$n@" "$_src"; then
			_sed="$_sed;s|@BRIDGE$n@|$_br|g"
			t_link "$_br"
		fi
	done
	sed "$_sed" "$_src" >"$_dir/conf"
	for x in capargs args; do
		rm -f "$_dir/$x"
		[ -f "${_src%.*}.$x" ] && sed "$_sed" "${_src%.*}.$x" >"$_dir/$x"
	done
	return 0
}

# drv VERB DIR NETNS CID [EXTRA...]: run the driver; stdout, stderr and the
# exit code land in DIR/VERB.out, DIR/VERB.err, DIR/VERB.rc.
drv() {
	_verb=$1 _d=$2 _ns=$3 _cid=$4; shift 4
	_args="IgnoreUnknown=1;K8S_POD_NAMESPACE=plexus-test;K8S_POD_NAME=pod-$_cid"
	_args="$_args;K8S_POD_INFRA_CONTAINER_ID=$_cid;K8S_POD_UID=$(uuid_of "$_cid")"
	[ -f "$_d/args" ] && _args="$_args;$(tr -d '\n' <"$_d/args")"
	[ -f "$_d/capargs" ] && set -- "$@" --capability-args "$(cat "$_d/capargs")"
	set +e
	"$DRIVER" "$_verb" --conf "$_d/conf" --netns "/var/run/netns/$_ns" \
		--ifname eth0 --cid "$_cid" --cache-dir "$_d/cache" --path "$CNIPATH" \
		--args "$_args" "$@" >"$_d/$_verb.out" 2>"$_d/$_verb.err"
	echo $? >"$_d/$_verb.rc"
	set -e
}
# uuid_of CID: a stable pod UID per container ID, as a CRI runtime keeps.
uuid_of() {
	[ -f "$T_TMP/uid-$1" ] || cat /proc/sys/kernel/random/uuid >"$T_TMP/uid-$1"
	cat "$T_TMP/uid-$1"
}
show() { cat "$1.out" "$1.err" >&2; }
rc_of() { cat "$1.rc"; }

conf_field() { jget "$1" "j.get('$2', '')"; }
cache_file() { # DIR CID
	echo "$1/cache/results/$(conf_field "$1/conf" name)-$2-eth0"
}

case_driver_built() { [ -x "$DRIVER" ] || fail "$DRIVER missing (make)"; }

case_version() { # DIR
	drv version "$1" none none
	[ "$(rc_of "$1/version")" = 0 ] || { show "$1/version"; fail "version failed"; }
	want=$(conf_field "$1/conf" cniVersion)
	python3 - "$1/version.out" "$want" <<'EOF'
import json, sys
plugins = json.load(open(sys.argv[1]))
assert plugins, "no plugin answered"
for p in plugins:
    assert sys.argv[2] in p["supportedVersions"], f"{p['type']}: {p} lacks {sys.argv[2]}"
EOF
}

case_add() { # DIR NETNS CID
	drv add "$1" "$2" "$3"
	[ "$(rc_of "$1/add")" = 0 ] || { show "$1/add"; fail "ADD failed"; }
	cp "$1/add.out" "$1/result.json" || fail "no result"
	expect_eq "$(jget "$1/result.json" "j['cniVersion']")" \
		"$(conf_field "$1/conf" cniVersion)" "result cniVersion"
	[ -s "$(cache_file "$1" "$3")" ] || fail "libcni cached no result"
}

case_present() { # DIR NETNS SRC
	_exp=${3%.*}.expect
	[ -f "$_exp" ] || _exp=""
	ip -n "$2" -o addr >&2
	python3 "$NETCHECK" present "$2" "$1/result.json" $_exp
}

case_check() { # DIR NETNS CID
	drv check "$1" "$2" "$3" $MODE_FLAG
	[ "$(rc_of "$1/check")" = 0 ] || { show "$1/check"; fail "CHECK failed"; }
}

case_del() { # DIR NETNS CID
	drv del "$1" "$2" "$3" $MODE_FLAG
	[ "$(rc_of "$1/del")" = 0 ] || { show "$1/del"; fail "DEL failed"; }
	[ ! -e "$(cache_file "$1" "$3")" ] || fail "cache entry left after DEL"
}

case_gone() { # DIR NETNS CID
	python3 "$NETCHECK" gone "$2" "$1/result.json" || fail "DEL left state"
	left=$(grep -rl -- "$3" "$1/data" 2>/dev/null || true)
	[ -z "$left" ] || fail "IPAM state still names $3: $left"
}

case_del_again() { # DIR NETNS CID
	drv del "$1" "$2" "$3" $MODE_FLAG
	[ "$(rc_of "$1/del")" = 0 ] || { show "$1/del"; fail "second DEL failed"; }
}

case_check_after_del() { # DIR NETNS CID
	drv check "$1" "$2" "$3" $MODE_FLAG
	[ "$(rc_of "$1/check")" != 0 ] || fail "CHECK succeeded on a deleted attachment"
}
# plexus, as Multus v4.2: a CHECK with nothing recorded checks nothing
case_check_after_del_plexus() { # DIR NETNS CID
	drv check "$1" "$2" "$3" $MODE_FLAG
	[ "$(rc_of "$1/check")" = 0 ] || { show "$1/check"; fail "CHECK of nothing failed"; }
}

case_add_fails() { # DIR NETNS CID ERRFILE
	drv add "$1" "$2" "$3"
	[ "$(rc_of "$1/add")" != 0 ] || { show "$1/add"; fail "ADD succeeded"; }
	while IFS= read -r want; do
		[ -n "$want" ] || continue
		grep -qF -- "$want" "$1/add.err" || { show "$1/add"; fail "stderr lacks: $want"; }
	done <"$4"
}

# types_found DIR: true when every plugin type of the list is on CNIPATH
# (else libcni itself fails any DEL before a plugin runs).
types_found() {
	for t in $(jget "$1/conf" "' '.join(p['type'] for p in j['plugins']) if 'plugins' in j else j['type']"); do
		found=""
		for d in ${CNIPATH//:/ }; do [ -x "$d/$t" ] && found=1; done
		[ -n "$found" ] || return 1
	done
}

case_del_after_fail() { # DIR NETNS CID
	drv del "$1" "$2" "$3"
	[ "$(rc_of "$1/del")" = 0 ] || { show "$1/del"; fail "DEL after the failed ADD failed"; }
}

case_fail_clean() { # DIR NETNS CID
	left=$(ip -n "$2" -o link | awk -F': ' '$2 != "lo" {print $2}')
	[ -z "$left" ] || fail "left in netns: $left"
	[ ! -e "$(cache_file "$1" "$3")" ] || fail "cache entry after failed ADD"
	left=$(grep -rl -- "$3" "$1/data" 2>/dev/null || true)
	[ -z "$left" ] || fail "IPAM state names $3: $left"
}

run_pass() { # SRC IDX MODE
	_src=$1 _idx=$2 MODE=$3
	_base=$(basename "$_src")
	_d=$T_TMP/$_idx-$MODE
	_ns=plxl$RUNID$_idx${MODE:0:1}
	_cid=plxl-$RUNID-$_idx-$MODE
	MODE_FLAG=""
	[ "$MODE" = crio ] && MODE_FLAG=--cached-config
	render "$_src" "$_idx" "$_d"
	t_netns "$_ns"
	n="$_base [$MODE]"
	t_case "$n: ADD succeeds, libcni caches the result" case_add "$_d" "$_ns" "$_cid"
	t_case "$n: the ADD result's addresses are in the netns" case_present "$_d" "$_ns" "$_src"
	# libcni refuses CHECK below 0.4.0 and sends no prevResult on DEL
	_check=1
	case $(conf_field "$_d/conf" cniVersion) in 0.1.* | 0.2.* | 0.3.*) _check="" ;; esac
	[ -z "$_check" ] || t_case "$n: CHECK succeeds" case_check "$_d" "$_ns" "$_cid"
	t_case "$n: DEL succeeds, libcni drops the cache entry" case_del "$_d" "$_ns" "$_cid"
	t_case "$n: DEL left no interface, bridge port or allocation" case_gone "$_d" "$_ns" "$_cid"
	t_case "$n: a second DEL succeeds" case_del_again "$_d" "$_ns" "$_cid"
	case "$_base" in
	*plexus*) [ -z "$_check" ] || t_case "$n: CHECK after DEL succeeds, nothing recorded (as Multus)" case_check_after_del_plexus "$_d" "$_ns" "$_cid" ;;
	*) [ -z "$_check" ] || t_case "$n: CHECK after DEL fails" case_check_after_del "$_d" "$_ns" "$_cid" ;;
	esac
	ip netns del "$_ns" 2>/dev/null || true
}

run_fail() { # SRC IDX
	_src=$1 _idx=$2
	_d=$T_TMP/$_idx-fail
	_ns=plxl$RUNID${_idx}f
	_cid=plxl-$RUNID-$_idx-fail
	_err=${_src%.*}.error
	render "$_src" "$_idx" "$_d"
	t_netns "$_ns"
	n="fail/$(basename "$_src")"
	t_case "$n: ADD fails with the plugin's message" case_add_fails "$_d" "$_ns" "$_cid" "$_err"
	# a CRI runtime tears the sandbox down after a failed ADD
	if types_found "$_d"; then
		t_case "$n: the runtime's DEL after the failed ADD succeeds" \
			case_del_after_fail "$_d" "$_ns" "$_cid"
	else
		drv del "$_d" "$_ns" "$_cid"
	fi
	t_case "$n: nothing left after the failed ADD and DEL" case_fail_clean "$_d" "$_ns" "$_cid"
	ip netns del "$_ns" 2>/dev/null || true
}

t_case "libcni-driver is built" case_driver_built
[ -x "$DRIVER" ] || exit 0

idx=0
for src in "$CONFDIR"/*.conflist "$CONFDIR"/*.conf; do
	[ -f "$src" ] || continue
	idx=$((idx + 1))
	_d=$T_TMP/$idx-version
	render "$src" "$idx" "$_d"
	t_case "$(basename "$src"): VERSION of every plugin lists the conf's cniVersion" \
		case_version "$_d"
	run_pass "$src" "$idx" containerd
	run_pass "$src" "$idx" crio
done
for src in "$CONFDIR"/fail/*.conflist "$CONFDIR"/fail/*.conf; do
	[ -f "$src" ] || continue
	idx=$((idx + 1))
	run_fail "$src" "$idx"
done
