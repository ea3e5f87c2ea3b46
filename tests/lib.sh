# Shared helpers for shell suites. Each case prints one TAP line:
# "ok - NAME", "not ok - NAME" or "ok - NAME # SKIP REASON" (t_skip);
# tests/run.sh counts them. At exit the suite prints its plan ("1..N",
# N = cases run) and exits 1 when a case failed, so the runner sees the
# verdict in the exit status too.
# BINDIR: the plexus build to test (build/bin or build/san/bin).
# Debian's own tools first (a python3 shim elsewhere on PATH costs ~150 ms
# a call, and the suites call it often).
export PATH="/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
: "${BINDIR:=build/bin}"
: "${REFDIR:=/usr/lib/cni}"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
export TOP
T_TMP=$(mktemp -d /tmp/plexus-test.XXXXXX)
T_NETNS=""
T_LINKS=""
T_COUNT=0
T_FAILED=0
# The sanitizer options tests/run.sh exported, for callers of "env -i":
# env -i PATH="$PATH" "${T_SAN_ENV[@]}" ...
T_SAN_ENV=()
for _v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	[ -z "${!_v:-}" ] || T_SAN_ENV+=("$_v=${!_v}")
done

# t_cleanup: the EXIT trap (a suite that sets its own calls it last).
t_cleanup() {
	for l in $T_LINKS; do ip link del "$l" 2>/dev/null || true; done
	for n in $T_NETNS; do ip netns del "$n" 2>/dev/null || true; done
	rm -rf "$T_TMP"
	echo "1..$T_COUNT"
	[ "$T_FAILED" = 0 ] || exit 1
}
trap t_cleanup EXIT

# t_netns NAME: a fresh netns, removed at exit.
t_netns() {
	ip netns del "$1" 2>/dev/null || true
	ip netns add "$1"
	ip -n "$1" link set lo up
	T_NETNS="$T_NETNS $1"
}
# t_link NAME: remember a host link to delete at exit.
t_link() { T_LINKS="$T_LINKS $1"; }

# t_case NAME FUNC [ARGS...]: run FUNC in a subshell with errexit; print
# the TAP line; on failure show its output indented. The subshell must not
# be an if/||/&& operand: bash ignores set -e inside those.
t_case() {
	_name=$1; shift
	_out="$T_TMP/case.out"
	case $- in *e*) _e=1; set +e ;; *) _e=0 ;; esac
	( set -e; "$@" ) >"$_out" 2>&1
	_rc=$?
	[ "$_e" = 0 ] || set -e
	T_COUNT=$((T_COUNT + 1))
	_san=$(t_san_take)
	if [ "$_rc" = 0 ] && [ -z "$_san" ]; then
		echo "ok - $_name"
	else
		T_FAILED=$((T_FAILED + 1))
		echo "not ok - $_name"
		sed 's/^/#   /' "$_out" | tail -40
		[ -z "$_san" ] || printf '%s\n' "$_san" | sed 's/^/#   sanitizer: /'
	fi
}

# t_skip NAME REASON: a case this machine cannot run (counted as skipped;
# tests/run.sh fails it under CI=true).
t_skip() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok - $1 # SKIP $2"
}

# t_abort NAME: a suite cannot go on (a service did not start, a tool is
# missing): one failed case, then exit (the EXIT trap prints the plan).
t_abort() {
	T_COUNT=$((T_COUNT + 1)) T_FAILED=$((T_FAILED + 1))
	echo "not ok - $1"
	exit 1
}

# t_san_take: the sanitizer reports written since the last call (the
# runner's PLEXUS_SAN_DIR), one line each, moved aside as owned by the case.
t_san_take() {
	[ -n "${PLEXUS_SAN_DIR:-}" ] && [ -d "$PLEXUS_SAN_DIR" ] || return 0
	local f
	for f in "$PLEXUS_SAN_DIR"/*; do
		[ -f "$f" ] || continue
		echo "$(basename "$f"): $(grep -Em1 'ERROR:|runtime error:|SUMMARY:' "$f" || head -n1 "$f")"
		mkdir -p "$PLEXUS_SAN_DIR/seen"
		mv "$f" "$PLEXUS_SAN_DIR/seen/"
	done
}

# fail MSG: abort the current case.
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect_eq GOT WANT WHAT
expect_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }

# cni CMD CONFFILE [NETNS [IFNAME [CID [ARGS]]]]: run plexus; stdout to
# $T_TMP/out.json, exit code to $T_TMP/rc.
cni() {
	_cmd=$1 _conf=$2 _ns=${3:-} _if=${4:-eth0} _cid=${5:-cid-$$} _args=${6:-}
	_nsp=""
	[ -n "$_ns" ] && _nsp=/var/run/netns/$_ns
	set +e
	CNI_COMMAND=$_cmd CNI_CONTAINERID=$_cid CNI_NETNS=$_nsp \
	CNI_IFNAME=$_if CNI_PATH="$TOP/$BINDIR:$REFDIR" CNI_ARGS=$_args \
		"$TOP/$BINDIR/plexus" <"$_conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
rc() { cat "$T_TMP/rc"; }
# jq-free JSON query through python3: jget FILE EXPR (python expression on j)
jget() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
