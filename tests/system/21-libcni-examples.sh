#!/bin/bash
# Every configuration in examples/ that needs no Kubernetes API, run
# through libcni (tests/libcni/driver.go) as containerd runs it: ADD, CHECK,
# DEL, DEL again, in a host netns of its own with the macvlan parent the
# examples name (plxdemo-up), and nothing left afterwards.
. "$(dirname "$0")/../lib.sh"
H=plxeh$$ P=plxep$$
T_NETNS="$H $P"
DRV=$TOP/$BINDIR/libcni-driver

drv() { # VERB CONF
	ip netns exec "$H" "$DRV" "$1" --conf "$2" --netns "/var/run/netns/$P" \
		--ifname eth0 --cid "ex-$$" --cache-dir "$T_TMP/libcni" \
		--path "$TOP/$BINDIR:$REFDIR" \
		--args "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=example;K8S_POD_UID=u-$$" \
		>"$T_TMP/out.json" 2>"$T_TMP/err.txt"
}
pod_links() { ip -n "$P" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v '^lo$' | sort | tr '\n' ' '; }

example_case() { # CONF
	t_netns "$H"; t_netns "$P"
	ip -n "$H" link add plxdemo-up type veth peer name plxdemo-peer
	ip -n "$H" link set plxdemo-up up; ip -n "$H" link set plxdemo-peer up
	rm -rf /run/plexus-demo "$T_TMP/libcni"
	drv add "$1" || { cat "$T_TMP/out.json" "$T_TMP/err.txt"; fail "add"; }
	want=$(python3 -c "import json,sys; c=json.load(open(sys.argv[1])); n=len(c['delegates']); print(' '.join(sorted(['eth0']+['net%d'%i for i in range(1,n)])) + ' ')" "$1")
	expect_eq "$(pod_links)" "$want" "pod links"
	drv check "$1" || { cat "$T_TMP/err.txt"; fail "check"; }
	drv del "$1" || { cat "$T_TMP/err.txt"; fail "del"; }
	expect_eq "$(pod_links)" "" "pod links after DEL"
	# DEL's tombstone (<cid>_<if>.gone, docs/architecture.md) stays by design
	left=$(find /run/plexus-demo -type f ! -name lock ! -name 'last_reserved*' ! -name '*.gone' 2>/dev/null | wc -l)
	expect_eq "$left" 0 "addresses or records left under /run/plexus-demo"
	drv del "$1" || fail "second del"
	rm -rf /run/plexus-demo
}

[ -x "$DRV" ] || t_abort "libcni driver not built ($DRV)"
for c in "$TOP"/examples/*.conf "$TOP"/examples/*.conflist; do
	[ -f "$c" ] || continue
	grep -q '"kubeconfig"\|"manifestsDir"' "$c" && continue
	t_case "examples/$(basename "$c") through libcni: ADD/CHECK/DEL, nothing left" example_case "$c"
done
