#!/bin/bash
# Native delegates against the reference plugins, called the same way (a
# separate process per call, alternating call by call in one run, through
# tests/bench/cnibench.c): one pod interface ADD followed by its DEL,
# without IPAM (the delegate's own work alone), with host-local for both,
# and as each side is deployed: plexus-ipam (file store) under ours,
# host-local under the reference. Everything happens inside throw-away
# netns. Not a pass/fail test.
#   B_ITER   iterations (default 200)
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$TOP/build/bin
REF=/usr/lib/cni
N=${B_ITER:-200}
W=$(mktemp -d /tmp/plexus-bench-dl.XXXXXX)
H=plxdb-h$$ P=plxdb-p$$
cleanup() { ip netns del "$H" 2>/dev/null || true; ip netns del "$P" 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
ip netns add "$H"; ip netns add "$P"
ip -n "$H" link add plxup type veth peer name plxupp
ip -n "$H" link set plxup up

# plexus-ipam's stores are node settings, defined in this node file
export PLEXUS_IPAM_CONF=$W/ipam-node.conf
# conf NAME TYPE KEYS [SUBNET [IPAM]]: a config; with SUBNET, IPAM
# (host-local, or plexus-ipam with a file store).
conf() {
	ipam=""
	if [ "${5:-}" = plexus-ipam ]; then
		ipam=",\"ipam\":{\"type\":\"plexus-ipam\",\"range\":\"$4\",\"store\":\"$1\"}"
		python3 - "$PLEXUS_IPAM_CONF" "$1" "$W/ipam-$1" <<'PY'
import json, os, sys
p, name, path = sys.argv[1:]
j = json.load(open(p)) if os.path.exists(p) else {"stores": {}}
j["stores"][name] = {"type": "file", "path": path}
json.dump(j, open(p, "w"))
PY
	elif [ -n "${4:-}" ]; then
		ipam=",\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$W/ipam-$1\",\"ranges\":[[{\"subnet\":\"$4\"}]]}"
	fi
	echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$1\",\"type\":\"$2\",$3$ipam}" >"$W/$1.conf"
}
br='"bridge":"plxdb0","isGateway":true'
mv='"master":"plxup","mode":"bridge"'
# pair ROW KIND KEYS SUBNET LABEL [IPAM]: plexus-KIND and KIND on the same
# config; IPAM (plexus-ipam) replaces host-local under ours only.
# (a bridge per row: its gateway address follows the row's subnet)
pair() {
	set -- "$1" "$2" "${3//plxdb0/plxdb$1}" "${@:4}"
	conf "p$1" "plexus-$2" "$3" "${4:-}" "${6:-}"
	conf "r$1" "$2" "$3" "${4:-}"
	ip netns exec "$H" "$BIN/tests/cnibench" -n "$N" -p "$BIN:$REF" \
		-s "/var/run/netns/$P" \
		"plexus=ADD:$BIN/plexus-$2:$W/p$1.conf:eth0,DEL:$BIN/plexus-$2:$W/p$1.conf:eth0" \
		"reference=ADD:$REF/$2:$W/r$1.conf:eth0,DEL:$REF/$2:$W/r$1.conf:eth0" >"$W/out" ||
		true # failed steps are excluded from the times and counted below
	for step in "1:ADD" "2:DEL"; do
		p=$(sed -n "s|^plexus/$step .*median_ms=\([0-9.]*\).*|\1|p" "$W/out")
		r=$(sed -n "s|^reference/$step .*median_ms=\([0-9.]*\).*|\1|p" "$W/out")
		printf '%-40s %-4s %10s %10s %8s\n' "$5" "${step#*:}" "$p ms" "$r ms" \
			"$(python3 -c "import sys; p, r = sys.argv[1:]; print(f'{float(r)/float(p):.2f}x' if p and r else '-')" "$p" "$r")"
	done
	pf=$(sed -n 's/^plexus .*failures=\([0-9]*\).*/\1/p' "$W/out")
	rf=$(sed -n 's/^reference .*failures=\([0-9]*\).*/\1/p' "$W/out")
	[ "$pf$rf" = 00 ] || echo "  failures: plexus $pf, reference $rf"
}

echo "native delegates vs reference plugins: $N iterations each, alternating call by call; ADD, then DEL, of one pod interface (median per successful call)"
printf '%-40s %-4s %10s %10s %8s\n' "row" "verb" "plexus" "reference" "speed-up"
pair 1 bridge "$br" "" "bridge, no IPAM"
pair 2 bridge "$br" 10.210.0.0/16 "bridge, host-local"
pair 3 macvlan "$mv" "" "macvlan, no IPAM"
pair 4 macvlan "$mv" 10.211.0.0/16 "macvlan, host-local"
pair 5 bridge "$br" 10.212.0.0/16 "bridge, plexus-ipam vs host-local" plexus-ipam
pair 6 macvlan "$mv" 10.213.0.0/16 "macvlan, plexus-ipam vs host-local" plexus-ipam
