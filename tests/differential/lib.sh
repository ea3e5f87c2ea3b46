# Shared part of the differential suites (sourced after tests/lib.sh).
# One case runs one configuration through several sides, each in its own
# host and pod netns with its own links and IPAM data:
#   ref      Debian's reference plugin (bridge, macvlan) + host-local
#   ours-hl  plexus-<kind> exec'ed + host-local
#   ours-pi  plexus-<kind> exec'ed + plexus-ipam (host-local's form)
#   meta-pi  plexus (the meta plugin) running plexus-<kind> and
#            plexus-ipam in-process (ours not on CNI_PATH)
# and compares what tests/differential/state.py sees after ADD, CHECK,
# DEL and a second DEL. A difference fails the case unless docs/
# delegates.md lists it under "Known differences" (case glob, line glob,
# reason); every difference found goes to build/differential-found.txt.

DIFF=$TOP/tests/differential
REF_MAX=1.0.0 # Debian's reference plugins speak up to 1.0.0
FOUND=$TOP/build/differential-found.txt
KNOWN=$T_TMP/known.tsv
SIDES=${DIFF_SIDES:-ref ours-hl ours-pi meta-pi}

# docs/delegates.md's table of known differences as "case<TAB>line<TAB>why".
python3 - "$TOP/docs/delegates.md" >"$KNOWN" <<'EOF'
import re, sys
on = False
for line in open(sys.argv[1]):
    if line.startswith("## "):
        on = line.strip() == "## Known differences from the reference plugins"
        continue
    m = re.match(r"\| `([^`]*)` \| `([^`]*)` \| (.*) \|\s*$", line) if on else None
    if m:
        print("\t".join(m.groups()))
EOF

# side_nets SIDE: fresh host netns $H and pod netns $P for SIDE; a lower
# veth pair pxup0/pxup0p (both up, carrier) in $H for macvlan.
side_nets() {
	H=pxdf-h$$-$1 P=pxdf-p$$-$1
	for n in "$H" "$P"; do
		ip netns del "$n" 2>/dev/null || true
		ip netns add "$n"
		ip -n "$n" link set lo up
	done
	ip -n "$H" link add pxup0 type veth peer name pxup0p
	ip -n "$H" link set pxup0 up
	ip -n "$H" link set pxup0p up
	SD=$T_TMP/side-$1
	rm -rf "$SD"
	mkdir -p "$SD/hl" "$SD/store" "$SD/cache"
}
side_gone() { ip netns del "$H" 2>/dev/null || true; ip netns del "$P" 2>/dev/null || true; }

# mkconf SIDE KIND VERSION FAMILY EXTRA OUT: the case's config for SIDE.
mkconf() {
	python3 - "$@" "$SD" "$REF_MAX" <<'EOF'
import json, os, sys
side, kind, ver, fam, extra, out, sd, refmax = sys.argv[1:9]
sets = {"4": [[{"subnet": "10.77.0.0/24"}]],
        "6": [[{"subnet": "fd00:77::/64"}]],
        "46": [[{"subnet": "10.77.0.0/24"}], [{"subnet": "fd00:77::/64"}]]}[fam]
routes = {"4": [{"dst": "10.78.0.0/16"}], "6": [{"dst": "fd00:78::/64"}],
          "46": [{"dst": "10.78.0.0/16"}, {"dst": "fd00:78::/64"}]}[fam]
ipam = {"ranges": sets, "routes": routes}
e = json.loads(extra or "{}")
ipam.update(e.pop("ipam", {}))
if side == "ref":
    v, typ = (refmax if ver == "1.1.0" else ver), kind
else:
    v, typ = ver, "plexus-" + kind
if side in ("ref", "ours-hl"):
    ipam["type"] = "host-local-110" if v == "1.1.0" else "host-local"
    ipam["dataDir"] = sd + "/hl"
else:
    ipam["type"] = "plexus-ipam"
c = {"cniVersion": v, "name": "diffnet", "type": typ, "ipam": ipam}
c.update(e)
if side == "meta-pi":
    c = {"cniVersion": v, "name": "diffmeta", "type": "plexus",
         "cniDir": sd + "/cache", "delegates": [c]}
json.dump(c, open(out, "w"))
EOF
}

# dplug SIDE CMD CONF IFNAME: the side's plugin in $H; rc in $SD/rc.
dplug() {
	local side=$1 cmd=$2 conf=$3 ifn=$4 bin path
	case $side in
	ref) bin=$REFDIR/$(jget "$conf" 'j["type"]') ;;
	meta-pi) bin=$TOP/$BINDIR/plexus ;;
	*) bin=$TOP/$BINDIR/$(jget "$conf" 'j["type"]') ;;
	esac
	path="$TOP/$BINDIR:$REFDIR:$TOP/tests/fakes"
	[ "$side" = meta-pi ] && path="$REFDIR:$TOP/tests/fakes"
	set +e
	ip netns exec "$H" env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" \
		PLEXUS_IPAM_NODE_CONFIG="{\"store\":{\"type\":\"file\",\"path\":\"$SD/store\"}}" \
		CNI_CONTAINERID=cid-diff CNI_NETNS="/var/run/netns/$P" CNI_IFNAME="$ifn" \
		CNI_PATH="$path" NODE_NAME=node-diff \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pd;K8S_POD_UID=u1" \
		"$bin" <"$conf" >"$SD/out.json" 2>"$SD/err.txt"
	echo $? >"$SD/rc"
	set -e
}
drc() { cat "$SD/rc"; }

# with_prev CONF OUT: CONF plus the ADD result as prevResult.
dprev() {
	python3 - "$1" "$2" "$SD/add.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["prevResult"] = json.load(open(sys.argv[3]))
json.dump(c, open(sys.argv[2], "w"))
EOF
}

# run_side SIDE KIND VERSION FAMILY EXTRA IFNAME BRIDGE MAC SETUP: the
# whole lifecycle; state lines in $T_TMP/st-SIDE.
run_side() {
	local side=$1 kind=$2 ver=$3 fam=$4 extra=$5 ifn=$6 br=$7 mac=$8 setup=$9
	local c st=$T_TMP/st-$side
	side_nets "$side"
	[ -z "$setup" ] || eval "$setup"
	c=$SD/conf.json
	mkconf "$side" "$kind" "$ver" "$fam" "$extra" "$c"
	dplug "$side" ADD "$c" "$ifn"
	cp "$SD/out.json" "$SD/add.json"
	if [ "$(drc)" = 0 ]; then
		verdicts "$side" "$c" ok "" "$setup"
	else
		verdicts "$side" "$c" failed "$(jget "$SD/out.json" 'j.get("code")' 2>/dev/null)" "$setup"
	fi
	{
		if [ "$(drc)" = 0 ]; then
			echo "add=ok"
		else
			echo "add=failed code=$(jget "$SD/out.json" 'j.get("code")' 2>/dev/null)"
		fi
	} >"$st"
	if [ "$(drc)" != 0 ]; then
		sed 's/^/# add: /' "$SD/out.json" "$SD/err.txt" >&2
		python3 "$DIFF/state.py" left "$H" "$P" "$SD/hl" "$SD/store" >>"$st"
		side_gone
		return 0
	fi
	python3 "$DIFF/state.py" add "$H" "$P" "$ifn" "$SD/add.json" "$br" "$mac" >>"$st"
	local cc=$c
	[ "$side" = meta-pi ] || { dprev "$c" "$SD/prev.json"; cc=$SD/prev.json; }
	case $(jget "$c" 'j["cniVersion"]') in
	0.3.*) echo "check=n/a (before 0.4.0)" >>"$st" ;;
	*)
		dplug "$side" CHECK "$cc" "$ifn"
		if [ "$(drc)" = 0 ]; then echo "check=ok" >>"$st"
		else echo "check=failed: $(jget "$SD/out.json" 'j.get("msg")' 2>/dev/null | head -c 120)" >>"$st"; fi
		;;
	esac
	dplug "$side" DEL "$cc" "$ifn"
	echo "del=$([ "$(drc)" = 0 ] && echo ok || echo "failed: $(cat "$SD/out.json")")" >>"$st"
	python3 "$DIFF/state.py" left "$H" "$P" "$SD/hl" "$SD/store" >>"$st"
	dplug "$side" DEL "$cc" "$ifn"
	echo "del2=$([ "$(drc)" = 0 ] && echo ok || echo failed)" >>"$st"
	side_gone
}

# verdicts SIDE CONF ADD CODE SETUP: plexusctl validate (and, for the meta plugin's
# config, plexusctl plan) must give the plugin's verdict on CONF: an ADD
# that succeeded is valid and plannable; an ADD refused with code 7 (a
# config error) is a problem for validate and a refusal for plan. Other
# codes, and any refusal in a case that prepared the host first (SETUP),
# come from the host's state, which neither can see. A disagreement
# goes to $T_TMP/verdicts-bad; dcase fails on it after every side ran.
verdicts() {
	local side=$1 conf=$2 add=$3 code=$4 setup=$5 want v p=""
	[ "$side" = ref ] && return 0
	case $add in
	ok) want=0 ;;
	*) [ "$code" = 7 ] && [ -z "$setup" ] || return 0; want=1 ;;
	esac
	set +e
	"$TOP/$BINDIR/plexusctl" validate --cni-path "$TOP/$BINDIR:$REFDIR:$TOP/tests/fakes" \
		"$conf" >"$SD/validate.txt" 2>&1
	v=$?
	if [ "$side" = meta-pi ]; then
		printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: pd, namespace: default, uid: u1}\n' >"$SD/pod.yaml"
		"$TOP/$BINDIR/plexusctl" plan --config "$conf" --pod "$SD/pod.yaml" >"$SD/plan.txt" 2>&1
		p=$?
	fi
	set -e
	[ "$v" = "$want" ] || echo "$side: plexusctl validate exit $v, the plugin's ADD $add (code ${code:-none}): $(head -c 300 "$SD/validate.txt")" >>"$T_TMP/verdicts-bad"
	[ -z "$p" ] || [ "$p" = "$want" ] || echo "$side: plexusctl plan exit $p, the plugin's ADD $add (code ${code:-none}): $(head -c 300 "$SD/plan.txt")" >>"$T_TMP/verdicts-bad"
	return 0
}

# known CASE LINE: the reason when docs/delegates.md lists it, else fails.
known() {
	python3 - "$KNOWN" "$1" "$2" <<'EOF'
import fnmatch, sys
for row in open(sys.argv[1]):
    c, l, why = row.rstrip("\n").split("\t")
    if fnmatch.fnmatchcase(sys.argv[2], c) and fnmatch.fnmatchcase(sys.argv[3], l):
        print(why)
        sys.exit(0)
sys.exit(1)
EOF
}

# compare CASE: ref against each of our sides; unknown differences fail.
compare() {
	local case=$1 side bad=0 line why
	for side in $SIDES; do
		[ "$side" = ref ] && continue
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			if why=$(known "$case" "$line"); then
				echo "$case	$side	$line	known: $why" >>"$FOUND"
			else
				echo "$case	$side	$line	UNKNOWN" >>"$FOUND"
				echo "difference ($side vs ref): $line" >&2
				bad=1
			fi
		done < <(diff "$T_TMP/st-ref" "$T_TMP/st-$side" | sed -n 's/^\([<>]\) /\1 /p' |
			sed 's/^< /ref only: /; s/^> /ours only: /')
	done
	[ "$bad" = 0 ] || fail "differences from the reference not listed in docs/delegates.md"
}

# dcase NAME KIND VERSION FAMILY EXTRA [IFNAME [BRIDGE [MAC [SETUP]]]]
dcase_body() {
	local name=$1 kind=$2 ver=$3 fam=$4 extra=$5 ifn=${6:-eth0} br=${7:-} mac=${8:-} setup=${9:-}
	local side
	rm -f "$T_TMP/verdicts-bad"
	for side in $SIDES; do
		run_side "$side" "$kind" "$ver" "$fam" "$extra" "$ifn" "$br" "$mac" "$setup"
	done
	compare "$name"
	[ ! -s "$T_TMP/verdicts-bad" ] || fail "plexusctl disagrees with the plugin: $(cat "$T_TMP/verdicts-bad")"
}
dcase() { t_case "$1" dcase_body "$@"; }
