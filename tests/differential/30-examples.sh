#!/bin/bash
# Every host-local IPAM config in docs/, examples/ and tests/libcni/confs
# switches to plexus-ipam by its "type" alone: each is run through
# Debian's host-local and through plexus-ipam with only "type" changed
# (plus a dataDir; the test store is the node's, in the environment), ADD, CHECK, DEL; the results must agree
# (the same network, prefix, gateway and routes, an address that is
# neither the network, the broadcast nor the gateway).
. "$(dirname "$0")/../lib.sh"

# every host-local ipam object, one JSON per line: "<where>\t<json>"
python3 - "$TOP" >"$T_TMP/found.tsv" <<'EOF'
import glob, json, os, re, sys
import yaml
top = sys.argv[1]
def walk(o, where, out):
    if isinstance(o, dict):
        if o.get("type") == "host-local":
            out.append((where, o))
        for k, v in o.items():
            if k == "config" and isinstance(v, str):
                try:
                    walk(json.loads(v), where, out)
                except ValueError:
                    pass
            else:
                walk(v, where, out)
    elif isinstance(o, list):
        for v in o:
            walk(v, where, out)
def docs(path):
    text = open(path).read()
    if path.endswith(".md"):
        for m in re.finditer(r"```(\w*)\n(.*?)```", text, re.S):
            yield m.group(2)
    else:
        yield text
out = []
files = sorted(glob.glob(top + "/docs/*.md") + glob.glob(top + "/examples/**/*", recursive=True)
               + glob.glob(top + "/tests/libcni/confs/**/*.conf*", recursive=True))
for f in files:
    if not os.path.isfile(f) or f.endswith(".sh"):
        continue
    rel = os.path.relpath(f, top)
    for i, block in enumerate(docs(f)):
        block = re.sub(r"@[A-Z0-9_]+@", "x", block)
        try:
            ds = [json.loads(block)]
        except ValueError:
            try:
                ds = list(yaml.safe_load_all(block))
            except yaml.YAMLError:
                continue
        for d in ds:
            walk(d, "%s#%d" % (rel, i), out)
for where, o in out:
    print(where + "\t" + json.dumps(o))
EOF

n=$(wc -l <"$T_TMP/found.tsv")
[ "$n" -gt 0 ] || t_abort "host-local examples: none found"

# run SIDE IPAMJSON CMD CID
run() {
	local side=$1 bin=$REFDIR/host-local
	[ "$side" = ours ] && bin=$TOP/$BINDIR/plexus-ipam
	python3 - "$1" "$2" "$T_TMP/$1" >"$T_TMP/$1.json" <<'EOF'
import json, sys
side, ipam, data = sys.argv[1:4]
i = json.loads(ipam)
i["dataDir"] = data + "/hl"
if side == "ours":
    i["type"] = "plexus-ipam"
print(json.dumps({"cniVersion": "1.0.0", "name": "example", "type": "bridge", "ipam": i}))
EOF
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$3" CNI_CONTAINERID="$4" CNI_NETNS=/var/run/netns/none \
		PLEXUS_IPAM_NODE_CONFIG="{\"store\":{\"type\":\"file\",\"path\":\"$T_TMP/$1/store\"}}" \
		CNI_IFNAME=eth0 CNI_PATH="$REFDIR" NODE_NAME=node-ex "$bin" \
		<"$T_TMP/$1.json" >"$T_TMP/out-$1.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}
# which address comes is allocation order (random blocks in large pools,
# docs/ipam.md): each is named by its network and checked to be a host
# address other than the gateway
norm() {
	python3 - "$T_TMP/out-$1.json" <<'EOF2'
import ipaddress, json, sys
j = json.load(open(sys.argv[1]))
ips = []
for i in j.get("ips", []):
    a = ipaddress.ip_interface(i["address"])
    n = a.network
    ok = a.ip != n.network_address and str(a.ip) != i.get("gateway") and \
        (a.version == 6 or a.ip != n.broadcast_address)
    ips.append([str(n), i.get("gateway"), "eligible" if ok else "RESERVED " + str(a.ip)])
print(json.dumps({"ips": ips, "routes": j.get("routes")}, sort_keys=True))
EOF2
}
example_case() { # IPAMJSON
	local side
	for side in ref ours; do
		rm -rf "${T_TMP:?}/$side"
		run "$side" "$1" ADD c1
		expect_eq "$(rc)" 0 "$side ADD: $(cat "$T_TMP/out-$side.json")"
		norm "$side" >"$T_TMP/n-$side"
		run "$side" "$1" CHECK c1
		expect_eq "$(rc)" 0 "$side CHECK"
		run "$side" "$1" DEL c1
		expect_eq "$(rc)" 0 "$side DEL"
	done
	diff -u "$T_TMP/n-ref" "$T_TMP/n-ours" || fail "results differ"
}
while IFS=$'\t' read -r where json; do
	t_case "[1.0.0] host-local example $where switches to plexus-ipam by its type" example_case "$json"
done <"$T_TMP/found.tsv"
