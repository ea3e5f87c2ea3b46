#!/bin/bash
# plexusctl plan and validate. Every annotation form's plan is compared
# with tests/plexusctl/expected/*.json (normalised by compare.py); every
# refusal must carry the code and message that plexus itself returns for
# the same pod and NADs (plexus ADD with manifestsDir, in a throwaway
# netns: it fails before any delegate runs). One plan comes from the
# fixture API server over --kubeconfig. No root needed except for the
# plexus comparisons (ip netns: skipped, and listed, without it). About
# 10 s per build flavour. PLEXUSCTL_REGEN=1 rewrites the expected files
# (review the diff!); tests/run.sh clears it, so only a direct run does.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/python3 ] && PATH=/usr/bin:$PATH
cd "$TOP" || exit 1
CTL=$TOP/$BINDIR/plexusctl
FXD=tests/plexusctl
EXP=$FXD/expected
FX=$TOP/tests/fixtures/apiserver
D=$T_TMP/api
NS=plctl$$
T_NETNS=$NS # cleaned at exit even when a case fails in its subshell

stop_all() {
	"$FX/stop.sh" "$D" >/dev/null 2>&1 || true
	t_cleanup
}
trap stop_all EXIT

# the fixture API server, at top level so that it outlives the cases
PLEXUS_APISERVER_PARENT=$$ "$FX/start.sh" "$D" >"$T_TMP/start.log" 2>&1
START_RC=$?
ROOT=0
if [ "$(id -u)" = 0 ] && ip netns add "$NS" 2>/dev/null; then ROOT=1; fi

# plan ARGS...: plexusctl plan; stdout in $T_TMP/plan.out, rc in $T_TMP/rc
plan() {
	set +e
	"$CTL" plan "$@" >"$T_TMP/plan.out" 2>"$T_TMP/plan.err"
	echo $? >"$T_TMP/rc"
	set -e
}
expect_rc() {
	[ "$(rc)" = "$1" ] || { cat "$T_TMP/plan.out" "$T_TMP/plan.err"; fail "rc $(rc), want $1"; }
}
compare() { # EXPECTED-NAME
	python3 "$FXD/compare.py" "$T_TMP/plan.out" "$EXP/$1.json" \
		"$T_TMP=@TMP@" "$TOP=@TOP@" || fail "plan differs from $EXP/$1.json"
}
node_conf() { # POD-FILE: the node config its case uses
	case $1 in
	*isolation*) echo $FXD/node-isolation.conf ;;
	*policy*) echo $FXD/node-policy.conf ;;
	*) echo $FXD/node.conf ;;
	esac
}
nads_dir() { # POD-FILE: the NAD folder its case uses
	case $1 in *policy*) echo $FXD/nads-policy ;; *) echo $FXD/nads ;; esac
}

# good POD: plan from --nads and a pod file, as table, JSON and YAML
good() {
	local pod=$FXD/pods/$1.yaml conf nads
	conf=$(node_conf "$pod") nads=$(nads_dir "$pod")
	plan --config "$conf" --nads "$nads" --pod "$pod" -o json
	expect_rc 0
	compare "$1"
	cp "$T_TMP/plan.out" "$T_TMP/plan.json"
	plan --config "$conf" --nads "$nads" --pod "$pod" -o yaml
	expect_rc 0
	python3 -c 'import json,sys,yaml
a = yaml.safe_load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(0 if a == b else "YAML differs from JSON")' "$T_TMP/plan.out" "$T_TMP/plan.json"
	plan --config "$conf" --nads "$nads" --pod "$pod"
	expect_rc 0
	awk 'length($0) > 100 { print "line " NR " has " length($0) " columns"; bad = 1 } END { exit bad }' \
		"$T_TMP/plan.out" || fail "table wider than 100 columns"
	grep -q '^#   NETWORK' "$T_TMP/plan.out" || fail "no table header"
}

# plexus ADD for POD-FILE's pod with manifestsDir: code and msg into
# $T_TMP/plugin.code / plugin.msg
plugin_add() {
	local pod=$1 m=$T_TMP/m conf ns name uid
	rm -rf "$m" "$T_TMP/cache"
	mkdir -p "$m"
	cp "$(nads_dir "$pod")"/*.yaml "$pod" "$m/"
	python3 -c 'import json,sys
c = json.load(open(sys.argv[1])); c["manifestsDir"] = sys.argv[2]; c["cniDir"] = sys.argv[3]
json.dump(c, open(sys.argv[4], "w"))' "$(node_conf "$pod")" "$m" "$T_TMP/cache" "$T_TMP/plugin.conf"
	read -r ns name uid < <(python3 -c 'import sys,yaml
m = yaml.safe_load(open(sys.argv[1]))["metadata"]
print(m.get("namespace", "default"), m["name"], m.get("uid", ""))' "$pod")
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND=ADD CNI_CONTAINERID=c-plctl \
		CNI_NETNS=/var/run/netns/$NS CNI_IFNAME=eth0 CNI_PATH=/nonexistent \
		CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=$ns;K8S_POD_NAME=$name;K8S_POD_UID=$uid" \
		"$TOP/$BINDIR/plexus" <"$T_TMP/plugin.conf" >"$T_TMP/plugin.json" 2>"$T_TMP/plugin.err"
	echo $? >"$T_TMP/plugin.rc"
	set -e
	[ "$(cat "$T_TMP/plugin.rc")" = 1 ] || { cat "$T_TMP/plugin.json"; fail "plexus ADD: rc $(cat "$T_TMP/plugin.rc")"; }
	jget "$T_TMP/plugin.json" "j['code']" >"$T_TMP/plugin.code"
	jget "$T_TMP/plugin.json" "j['msg']" >"$T_TMP/plugin.msg"
	echo "$ns/$name" >"$T_TMP/plugin.pod"
}

# refused_plan POD CODE: plexusctl refuses as the expected file says
refused_plan() {
	local pod=$FXD/pods/$1.yaml
	plan --config "$(node_conf "$pod")" --nads "$(nads_dir "$pod")" --pod "$pod" -o json
	expect_rc 1
	compare "$1"
	expect_eq "$(jget "$T_TMP/plan.out" "j['refused']['code']")" "$2" "code"
}
# refused_plugin POD: with the plugin's own inputs (its config, the pod by
# NAMESPACE/NAME) plexusctl says what plexus ADD says
refused_plugin() {
	local pod=$FXD/pods/$1.yaml
	plugin_add "$pod"
	plan --config "$T_TMP/plugin.conf" --pod "$(cat "$T_TMP/plugin.pod")" -o json
	expect_rc 1
	expect_eq "$(jget "$T_TMP/plan.out" "j['refused']['code']")" \
		"$(cat "$T_TMP/plugin.code")" "code against plexus ADD"
	expect_eq "$(jget "$T_TMP/plan.out" "j['refused']['msg']")" \
		"$(cat "$T_TMP/plugin.msg")" "message against plexus ADD"
	plan --config "$T_TMP/plugin.conf" --pod "$(cat "$T_TMP/plugin.pod")"
	expect_rc 1
	grep -qxF -- "$(cat "$T_TMP/plugin.msg")" "$T_TMP/plan.out" || fail "table lacks the message"
}

case_kubeconfig() {
	[ "$START_RC" = 0 ] || { cat "$T_TMP/start.log"; fail "start.sh: $START_RC"; }
	echo '{"cniVersion": "1.0.0", "name": "plexus", "type": "plexus", "clusterNetwork": "default-net"}' \
		>"$T_TMP/k8s.conf"
	plan --config "$T_TMP/k8s.conf" --kubeconfig "$D/kubeconfig" --pod default/web-0 -o json
	expect_rc 0
	compare k8s-web-0
	# the same through the node config's own kubeconfig
	echo "{\"cniVersion\": \"1.0.0\", \"name\": \"plexus\", \"type\": \"plexus\", \"clusterNetwork\": \"default-net\", \"kubeconfig\": \"$D/kubeconfig\"}" \
		>"$T_TMP/k8s2.conf"
	plan --config "$T_TMP/k8s2.conf" --pod default/web-0 -o json
	expect_rc 0
	python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))
sys.exit(0 if [x["interface"] for x in a["attachments"]] == ["eth0", "net1", "data0"] else 1)' \
		"$T_TMP/plan.out" || fail "interfaces via the config's kubeconfig"
	plan --config "$T_TMP/k8s.conf" --kubeconfig "$D/kubeconfig" --pod default/nosuch -o json
	expect_rc 1
	expect_eq "$(jget "$T_TMP/plan.out" "j['refused']['code']")" 110 "missing pod code"
	jget "$T_TMP/plan.out" "j['refused']['msg']" | grep -q "pod default/nosuch" || fail "missing pod msg"
}


case_bad_input() {
	local p=$FXD/pods/comma.yaml c=$FXD/node.conf
	plan --pod $p --nads $FXD/nads; expect_rc 2                  # no --config
	plan --config $c --nads $FXD/nads; expect_rc 2               # no --pod
	plan --config $c --nads $FXD/nads --kubeconfig x --pod $p; expect_rc 2
	plan --config $c --nads $FXD/nads --pod $p -o xml; expect_rc 2
	plan --config /nonexistent.conf --nads $FXD/nads --pod $p; expect_rc 2
	grep -q '/nonexistent.conf' "$T_TMP/plan.err" || fail "unreadable config not named"
	plan --config $c --nads $FXD/nads --pod /nonexistent/pod.yaml; expect_rc 2
	plan --config $c --nads $FXD/nads --pod "Not A Pod"; expect_rc 2
	# a NAD manifest given as the pod
	plan --config $c --nads $FXD/nads --pod examples/nads/bridge.yaml; expect_rc 2
	grep -q 'kind: "NetworkAttachmentDefinition" is not Pod' "$T_TMP/plan.err" || fail "not-a-pod message"
	plan --config $c --nads /nonexistent --pod $p; expect_rc 2
	plan --config $c --pod default/p-comma; expect_rc 2            # NS/NAME without a source
	# an empty NAD folder: a warning, and the plugin's refusal
	mkdir -p "$T_TMP/empty"
	plan --config $c --nads "$T_TMP/empty" --pod $p -o json; expect_rc 1
	grep -q 'holds no' "$T_TMP/plan.err" || fail "no warning for an empty folder"
	jget "$T_TMP/plan.out" "j['refused']['msg']" | grep -q 'kube-system/cluster\|no network named' || fail "empty folder msg"
	# not a node config at all: usage errors
	plan --config $FXD/nads/nads.yaml --nads $FXD/nads --pod $p; expect_rc 2
	echo '[1]' >"$T_TMP/arr.json"
	plan --config "$T_TMP/arr.json" --nads $FXD/nads --pod $p; expect_rc 2
	grep -q 'not a plexus config' "$T_TMP/plan.err" || fail "not-a-plexus-config message"
	# a node config that plexus refuses: its message, exit 1
	echo '{"cniVersion": "1.0.0", "type": "plexus", "logLevel": "loud", "clusterNetwork": "x"}' >"$T_TMP/bad.conf"
	plan --config "$T_TMP/bad.conf" --nads $FXD/nads --pod $p -o json; expect_rc 1
	expect_eq "$(jget "$T_TMP/plan.out" "j['refused']['code']")" 7 "bad config code"
	# a static node config (no source): the pod's annotations are not read
	plan --config examples/static-3net.conf --pod $p -o json; expect_rc 0
	grep -q 'does not read' "$T_TMP/plan.err" || fail "no note for a static config"
	expect_eq "$(jget "$T_TMP/plan.out" "[a['interface'] for a in j['attachments']]")" \
		"['eth0', 'net1', 'net2']" "static plan"
	local r
	r=0; "$CTL" >/dev/null 2>&1 || r=$?
	expect_eq $r 2 "no command"
	r=0; "$CTL" nosuch >/dev/null 2>&1 || r=$?
	expect_eq $r 2 "unknown command"
	"$CTL" help | grep -q '^  validate' || fail "usage lists validate"
}

case_ifname_option() {
	plan --config $FXD/node.conf --nads $FXD/nads --pod $FXD/pods/override.yaml --ifname ens3 -o json
	expect_rc 0
	expect_eq "$(jget "$T_TMP/plan.out" "j['attachments'][0]['interface']")" ens3 "default interface"
	plan --config $FXD/node.conf --nads $FXD/nads --pod $FXD/pods/override.yaml --ifname "bad/name"
	expect_rc 2
}

# the plexus-ipam preview: what it shows is what plexus-ipam then gives,
# and the plan writes nothing to the store
case_ipam_preview() {
	local m=$T_TMP/pi st=$T_TMP/pi-store ipam
	ipam='"type": "plexus-ipam", "range": "10.93.0.0/24", "gateway": "10.93.0.1"'
	# store and node name are node settings (the NADs may not set them)
	export PLEXUS_IPAM_NODE_CONFIG='{"nodeName": "node-a", "store": {"type": "file", "path": "'$st'"}}'
	rm -rf "$m" "$st"
	mkdir -p "$m"
	cat >"$m/all.yaml" <<YAML
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: cluster, namespace: kube-system}
spec:
  config: '{"cniVersion": "1.0.0", "name": "cluster", "type": "bridge", "ipam": {$ipam}}'
---
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata: {name: st, namespace: default}
spec:
  config: '{"cniVersion": "1.0.0", "name": "st", "type": "macvlan", "capabilities": {"ips": true}, "ipam": {$ipam}}'
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: default
  annotations:
    k8s.v1.cni.cncf.io/networks: '[{"name": "st", "ips": ["10.93.0.2/24"]}, {"name": "st"}]'
YAML
	echo '{"cniVersion": "1.0.0", "name": "plexus", "type": "plexus", "clusterNetwork": "cluster"}' >"$T_TMP/pi.conf"
	pv() { python3 -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(" ".join(str(e.get("address")) for a in j["attachments"] for d in a["delegates"] for e in d.get("ipamPreview", [])))' "$T_TMP/plan.out"; }
	# an empty store: the requested address is free, the others unknown
	plan --config "$T_TMP/pi.conf" --nads "$m" --pod default/p -o json
	expect_rc 0
	expect_eq "$(pv)" "None 10.93.0.2 None" "preview on an empty store"
	[ ! -e "$st" ] || fail "the plan created the store"
	# plexus-ipam itself takes an address for another pod
	ipam_add() { # CID: the address plexus-ipam hands out
		echo "{\"cniVersion\": \"1.0.0\", \"name\": \"cluster\", \"type\": \"bridge\", \"ipam\": {$ipam}}" |
		CNI_COMMAND=ADD CNI_CONTAINERID=$1 CNI_NETNS=/nonexistent CNI_IFNAME=eth0 \
			CNI_PATH=/nonexistent CNI_ARGS="K8S_POD_NAMESPACE=default;K8S_POD_NAME=$1" \
			"$TOP/$BINDIR/plexus-ipam" >"$T_TMP/ipam.json"
		jget "$T_TMP/ipam.json" "j['ips'][0]['address'].split('/')[0]"
	}
	expect_eq "$(ipam_add other)" 10.93.0.2 "plexus-ipam's first address"
	snap=$(find "$st" -type f ! -name '*.lock' -exec md5sum {} + | sort)
	plan --config "$T_TMP/pi.conf" --nads "$m" --pod default/p -o json
	expect_rc 0
	expect_eq "$(pv)" "10.93.0.3 10.93.0.2 10.93.0.4" "preview after one allocation"
	jget "$T_TMP/plan.out" "j['attachments'][1]['delegates'][0]['ipamPreview'][0]['how']" |
		grep -q 'held by default/other' || fail "the holder is not named"
	expect_eq "$(find "$st" -type f ! -name '*.lock' -exec md5sum {} + | sort)" "$snap" "store after plan"
	plan --config "$T_TMP/pi.conf" --nads "$m" --pod default/p
	grep -q '^    plexus-ipam      10.93.0.3 (the next free address' "$T_TMP/plan.out" || fail "table line"
	# what the preview said is what plexus-ipam gives next
	expect_eq "$(ipam_add pod-p)" 10.93.0.3 "plexus-ipam's next address"
	# an operator's reservations: the requested one fails, the next free
	# skips them, as plexus-ipam does
	echo "{\"cniVersion\": \"1.0.0\", \"name\": \"cluster\", \"type\": \"bridge\", \"ipam\": {$ipam}}" >"$T_TMP/pi-net.json"
	"$CTL" ipam reserve --config "$T_TMP/pi-net.json" --force 10.93.0.2 >/dev/null || fail "reserve 10.93.0.2"
	"$CTL" ipam reserve --config "$T_TMP/pi-net.json" 10.93.0.4 >/dev/null || fail "reserve 10.93.0.4"
	plan --config "$T_TMP/pi.conf" --nads "$m" --pod default/p -o json
	expect_rc 0
	expect_eq "$(pv)" "10.93.0.5 10.93.0.2 10.93.0.6" "preview with reservations"
	jget "$T_TMP/plan.out" "j['attachments'][1]['delegates'][0]['ipamPreview'][0]['how']" |
		grep -q 'reserved by an operator (plexusctl ipam reserve): ADD fails' || fail "the reservation is not named"
	expect_eq "$(ipam_add pod-q)" 10.93.0.5 "plexus-ipam's next address skips the reserved"
}

# validate
vrun() {
	set +e
	"$CTL" validate "$@" >"$T_TMP/v.out" 2>"$T_TMP/v.err"
	echo $? >"$T_TMP/rc"
	set -e
}
case_validate_examples() {
	vrun examples
	[ "$(rc)" = 0 ] || { cat "$T_TMP/v.out"; fail "rc $(rc)"; }
	grep -q ' 6 document' "$T_TMP/v.err" || { cat "$T_TMP/v.err"; fail "documents counted"; }
	vrun --cni-path "$REFDIR" examples/static-3net.conf examples/nads/bridge.yaml \
		examples/nads/macvlan.yaml examples/nads/ipvlan.yaml
	[ "$(rc)" = 0 ] || { cat "$T_TMP/v.out"; fail "examples with --cni-path: rc $(rc)"; }
	vrun $FXD/nads $FXD/net.d $FXD/node.conf $FXD/node-isolation.conf \
		$FXD/pods/comma.yaml $FXD/pods/json.yaml $FXD/pods/override.yaml
	[ "$(rc)" = 0 ] || { cat "$T_TMP/v.out"; fail "fixtures: rc $(rc)"; }
	# the pods the plugin refuses for their annotation alone (a duplicate
	# interface name is select's rule over the whole plan: plan shows it)
	vrun $FXD/pods/bad-annotation.yaml $FXD/pods/bad-json.yaml
	expect_eq "$(rc)" 1 "bad pods"
	expect_eq "$(wc -l <"$T_TMP/v.out")" 2 "bad pod problems"
}
case_validate_broken() {
	vrun --cni-path "$REFDIR" $FXD/broken
	expect_eq "$(rc)" 1 "rc"
	diff -u $FXD/broken.expected "$T_TMP/v.out" || fail "problems differ from $FXD/broken.expected"
	# one broken file among good ones: only its problems, still 1
	vrun examples $FXD/broken/node-loglevel.conf
	expect_eq "$(rc)" 1 "rc"
	expect_eq "$(wc -l <"$T_TMP/v.out")" 1 "problem lines"
}
# validate judges NADs with the planner's rules: the defaults (no meta
# plugin) without --config, the node config's tenantPolicy with it
case_validate_policy() {
	vrun $FXD/nads-policy
	expect_eq "$(rc)" 1 "rc without --config"
	expect_eq "$(cat "$T_TMP/v.out")" "$FXD/nads-policy/nads.yaml: documents[3].spec.config: NAD team/evil-meta: plugins[1].ipam.type \"plexus\": a meta plugin (metaPlugins) never runs as a NAD's delegate" "problems without --config"
	vrun --config $FXD/node-policy.conf $FXD/nads-policy
	expect_eq "$(rc)" 1 "rc with --config"
	expect_eq "$(wc -l <"$T_TMP/v.out")" 2 "problem lines with --config"
	grep -qF 'documents[2].spec.config: NAD team/wrong-master: master "eth0": not allowed by tenantPolicy.namespaces.team.interfaces' "$T_TMP/v.out" ||
		fail "the policy's problem: $(cat "$T_TMP/v.out")"
	# the node's own cluster network is not judged by tenantPolicy (its
	# bridge plctl0 is not in the team entry, nor is the default entry's)
	grep -q 'kube-system/cluster' "$T_TMP/v.out" && fail "the cluster network judged"
	vrun --config /nonexistent.conf $FXD/nads-policy
	expect_eq "$(rc)" 2 "unreadable --config"
	echo '{"cniVersion": "1.0.0", "name": "b", "type": "bridge"}' >"$T_TMP/bridge.conf"
	vrun --config "$T_TMP/bridge.conf" $FXD/nads-policy
	expect_eq "$(rc)" 2 "not a node config"
	grep -q 'not a plexus config' "$T_TMP/v.err" || fail "not-a-node-config message"
}
case_validate_usage() {
	vrun; expect_eq "$(rc)" 2 "no argument"
	vrun /nonexistent.yaml; expect_eq "$(rc)" 2 "missing file"
	vrun --bogus examples; expect_eq "$(rc)" 2 "bad option"
	mkdir -p "$T_TMP/nothing"
	vrun "$T_TMP/nothing"; expect_eq "$(rc)" 2 "folder without manifests"
}

for p in comma json ifname nsprefix override isolation-ok override-isolation policy-ok; do
	t_case "plexusctl: plan $p (JSON as expected, YAML = JSON, table <= 100 columns)" good $p
done
# refusal WHAT POD CODE: the plan's refusal, then the same verdict as plexus
# ADD (needs root for the throwaway netns: a skip without it)
refusal() {
	t_case "plexusctl: refusal: $1: plan as expected" refused_plan "$2" "$3"
	if [ "$ROOT" = 1 ]; then
		t_case "plexusctl: refusal: $1 = plexus" refused_plugin "$2"
	else
		t_skip "plexusctl: refusal: $1 = plexus" "not root: no netns for plexus ADD"
	fi
}
refusal "malformed comma annotation" bad-annotation 110
refusal "malformed JSON annotation" bad-json 110
refusal "missing NAD" missing-nad 110
refusal "namespaceIsolation" isolation 110
refusal "duplicate interface name" dup-ifname 110
refusal "explicit name equal to a generated one" dup-generated 110
refusal "capability no plugin declares" capability 110
refusal "default-network naming another interface" override-ifname 110
refusal "a meta plugin in a NAD (metaPlugins)" policy-meta 7
refusal "a master outside tenantPolicy" policy-master 7
t_case "plexusctl: plan from the fixture API server (--kubeconfig, config's kubeconfig, missing pod)" case_kubeconfig
t_case "plexusctl: bad input: usage errors exit 2, refusals 1, never a crash" case_bad_input
t_case "plexusctl: --ifname" case_ifname_option
t_case "plexusctl: plexus-ipam preview = what plexus-ipam hands out; the store untouched" case_ipam_preview
t_case "plexusctl: validate examples/ and the test fixtures" case_validate_examples
t_case "plexusctl: validate broken manifests: every problem as FILE: FIELD: message" case_validate_broken
t_case "plexusctl: validate --config: metaPlugins and tenantPolicy as the planner judges" case_validate_policy
t_case "plexusctl: validate usage errors" case_validate_usage
