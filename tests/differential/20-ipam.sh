#!/bin/bash
# Differential suite, IPAM alone: plexus-ipam given host-local's config
# (only "type" changed; the store is a node setting) against Debian's host-local, the
# same sequence of calls on each: ADD until the pool is exhausted, CHECK,
# DEL and ADD again, DEL twice, CHECK after DEL. Compared: which
# addresses are handed out (the eligible set: what is reserved follows),
# how exhaustion ends, the result's shape (keys, prefix, gateway, routes,
# dns). Allocation order may differ (docs/ipam.md): sets are compared,
# not sequences. Then Whereabouts-form configs against Whereabouts'
# documented rules (there is no Whereabouts binary to run).
. "$(dirname "$0")/../lib.sh"

VER=1.0.0 # Debian's host-local speaks up to 1.0.0

# call SIDE CMD CONF CID: the IPAM plugin alone (CNI_ARGS from $ARGS); rc
# in $T_TMP/rc.
call() {
	local side=$1 cmd=$2 conf=$3 cid=$4 bin=$REFDIR/host-local
	[ "$side" = ours ] && bin=$TOP/$BINDIR/plexus-ipam
	set +e
	env -i PATH="$PATH" "${T_SAN_ENV[@]}" CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" \
		PLEXUS_IPAM_NODE_CONFIG="{\"store\":{\"type\":\"file\",\"path\":\"$T_TMP/ours/store\"}}" \
		CNI_NETNS=/var/run/netns/none CNI_IFNAME=eth0 CNI_PATH="$REFDIR" \
		NODE_NAME=node-diff CNI_ARGS="${ARGS:-}" "$bin" <"$conf" >"$T_TMP/out.json" 2>"$T_TMP/err.txt"
	echo $? >"$T_TMP/rc"
	set -e
}

# mk SIDE IPAM-JSON OUT: the config; ours gets type plexus-ipam (its store
# is the node's: call passes it in the environment).
mk() {
	python3 - "$1" "$2" "$3" "$T_TMP/$1" <<'EOF'
import json, sys
side, ipam, out, data = sys.argv[1:5]
i = json.loads(ipam)
if side == "ours":
    i["type"] = "plexus-ipam"
else:
    i["type"] = "host-local"
i["dataDir"] = data + "/hl"
json.dump({"cniVersion": "1.0.0", "name": "ipamdiff", "type": "bridge",
           "ipam": i}, open(out, "w"))
EOF
}

# validate CONF: plexusctl validate's exit code and output in $T_TMP/val.
validate() {
	set +e
	"$TOP/$BINDIR/plexusctl" validate --cni-path "$TOP/$BINDIR:$REFDIR" "$1" >"$T_TMP/val" 2>&1
	echo $? >"$T_TMP/valrc"
	set -e
}

# shape FILE: the result without the chosen addresses.
shape() {
	jget "$1" 'json.dumps({"keys": sorted(j), "ips": [{"prefix": i["address"].split("/")[1], "v6": ":" in i["address"], "gateway": i.get("gateway"), "keys": sorted(i)} for i in j.get("ips", [])], "routes": j.get("routes"), "dns": j.get("dns")}, sort_keys=True)'
}

# sequence SIDE IPAM-JSON: the observations, one per line, on stdout.
sequence() {
	local side=$1 c=$T_TMP/$1.json n=0 addrs="" a a2=""
	rm -rf "${T_TMP:?}/$side"
	mkdir -p "$T_TMP/$side"
	mk "$side" "$2" "$c"
	while [ $n -lt 40 ]; do
		n=$((n + 1))
		call "$side" ADD "$c" "c$n"
		[ "$(rc)" = 0 ] || break
		[ $n = 1 ] && echo "shape: $(shape "$T_TMP/out.json")"
		a=$(jget "$T_TMP/out.json" '" ".join(i["address"] for i in j["ips"])')
		[ $n = 2 ] && a2=$a
		addrs="$addrs $a"
	done
	echo "handed out: $(echo "$addrs" | tr ' ' '\n' | sed '/^$/d' | sort -V | tr '\n' ' ')"
	echo "exhausted after $((n - 1)): rc $(rc)"
	call "$side" CHECK "$c" c1
	echo "CHECK of a holder: rc $(rc)"
	call "$side" DEL "$c" c2
	echo "DEL: rc $(rc)"
	call "$side" ADD "$c" c-new
	# each address is the one freed or one never handed out (which one
	# of several free addresses comes is allocation order)
	echo "ADD after DEL: rc $(rc), addresses the freed or never handed out: $(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print("yes" if all(i["address"] in sys.argv[2].split() or i["address"] not in sys.argv[3].split() for i in j["ips"]) else "no")' "$T_TMP/out.json" "$a2" "$addrs")"
	call "$side" DEL "$c" c1
	call "$side" DEL "$c" c1
	echo "second DEL: rc $(rc)"
	call "$side" CHECK "$c" c1
	echo "CHECK after DEL: rc $(rc)"
}

ipam_case() { # IPAM-JSON
	sequence ref "$1" >"$T_TMP/seq-ref"
	# both sides failing alike would compare equal: the reference must work
	! grep -q '^exhausted after 0:' "$T_TMP/seq-ref" || fail "host-local handed out nothing: $(cat "$T_TMP/err.txt")"
	sequence ours "$1" >"$T_TMP/seq-ours"
	diff -u "$T_TMP/seq-ref" "$T_TMP/seq-ours" || fail "plexus-ipam differs from host-local"
	# the plugin took it: so must plexusctl validate
	validate "$T_TMP/ours.json"
	expect_eq "$(cat "$T_TMP/valrc")" 0 "plexusctl validate of a config the plugin took: $(cat "$T_TMP/val")"
}

R='"routes":[{"dst":"10.90.0.0/16"}]'
t_case "[$VER] IPAM host-local form: one /29, defaults (gateway .1 and broadcast reserved)" \
	ipam_case "{\"ranges\":[[{\"subnet\":\"10.80.0.0/29\"}]],$R}"
t_case "[$VER] IPAM host-local form: rangeStart, rangeEnd, gateway inside them" \
	ipam_case '{"ranges":[[{"subnet":"10.80.1.0/28","rangeStart":"10.80.1.4","rangeEnd":"10.80.1.10","gateway":"10.80.1.5"}]]}'
t_case "[$VER] IPAM host-local form: gateway at the end, .1 handed out" \
	ipam_case '{"ranges":[[{"subnet":"10.80.2.0/29","gateway":"10.80.2.6"}]]}'
t_case "[$VER] IPAM host-local form: two ranges in one set, the second when the first is full" \
	ipam_case '{"ranges":[[{"subnet":"10.80.3.0/30"},{"subnet":"10.80.4.0/30"}]]}'
t_case "[$VER] IPAM host-local form: dual stack, two sets (IPv6 last address eligible)" \
	ipam_case "{\"ranges\":[[{\"subnet\":\"10.80.5.0/29\"}],[{\"subnet\":\"fd00:80::/125\"}]],$R}"
t_case "[$VER] IPAM host-local form: legacy top-level subnet" \
	ipam_case '{"subnet":"10.80.6.0/29","rangeStart":"10.80.6.3"}'
# Requested addresses: CNI_ARGS IP=, args.cni.ips and runtimeConfig.ips,
# as host-local takes them; the same outcome on both sides (host-local
# answers every refusal with its generic 999; ours: 121 for an address
# someone holds, 7 for the rest, each naming the address).
requested() { # SIDE: one line per call
	local side=$1 c=$T_TMP/$1.json r
	rm -rf "${T_TMP:?}/$side"
	mkdir -p "$T_TMP/$side"
	mk "$side" '{"ranges":[[{"subnet":"10.80.8.0/24"}]]}' "$c"
	r() { # WHAT CID ARGS [CONF]
		ARGS=$3 call "$side" ADD "${4:-$c}" "$2"
		if [ "$(rc)" = 0 ]; then
			echo "$1: $(jget "$T_TMP/out.json" '" ".join(i["address"] for i in j["ips"])')"
		else
			echo "$1: refused"
			if [ "$side" = ours ]; then
				echo "code $(jget "$T_TMP/out.json" 'j["code"]'): $(jget "$T_TMP/out.json" 'j["msg"]')" >>"$T_TMP/req-codes"
			fi
		fi
	}
	r "IP= free" q1 "IgnoreUnknown=1;IP=10.80.8.9"
	r "IP= held by another container" q2 "IgnoreUnknown=1;IP=10.80.8.9"
	r "IP= the gateway" q3 "IgnoreUnknown=1;IP=10.80.8.1"
	r "IP= outside the range" q4 "IgnoreUnknown=1;IP=10.80.9.9"
	python3 - "$c" "$T_TMP/$side/a.json" <<'EOF2'
import json, sys
c = json.load(open(sys.argv[1]))
c["args"] = {"cni": {"ips": ["10.80.8.11"]}}
json.dump(c, open(sys.argv[2], "w"))
c["runtimeConfig"] = {"ips": ["10.80.8.12/24"]}
json.dump(c, open(sys.argv[2] + ".two", "w"))
c["args"] = {"cni": {"ips": ["10.80.8.13"]}}
c["runtimeConfig"] = {"ips": ["10.80.8.13/24"]}
json.dump(c, open(sys.argv[2] + ".same", "w"))
EOF2
	r "args.cni.ips" q5 "" "$T_TMP/$side/a.json"
	r "args.cni.ips and runtimeConfig.ips, two addresses for one set" q6 "" "$T_TMP/$side/a.json.two"
	r "args.cni.ips and runtimeConfig.ips, the same address" q7 "" "$T_TMP/$side/a.json.same"
	call "$side" DEL "$c" q1
	r "IP= freed by DEL, asked for again" q8 "IgnoreUnknown=1;IP=10.80.8.9"
}
req_case() {
	rm -f "$T_TMP/req-codes"
	requested ref >"$T_TMP/req-ref"
	requested ours >"$T_TMP/req-ours"
	diff -u "$T_TMP/req-ref" "$T_TMP/req-ours" || fail "plexus-ipam differs from host-local"
	grep -q '^code 121: 10.80.8.9 .*taken' "$T_TMP/req-codes" || fail "held: $(cat "$T_TMP/req-codes")"
	grep -q '^code 7: 10.80.8.1 is reserved' "$T_TMP/req-codes" || fail "gateway: $(cat "$T_TMP/req-codes")"
	grep -q '^code 7: CNI_ARGS IP: 10.80.9.9 is in no range' "$T_TMP/req-codes" || fail "outside: $(cat "$T_TMP/req-codes")"
	grep -q '^code 7: runtimeConfig.ips\[0\]: 10.80.8.12/24: a second address' "$T_TMP/req-codes" || fail "two: $(cat "$T_TMP/req-codes")"
}
t_case "[$VER] IPAM host-local form: requested addresses (CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips)" req_case
echo "# not compared here: [1.1.0] IPAM GC against host-local: Debian's host-local (1.1.1) predates GC; plexus-ipam's GC: tests/system/40-ipam.sh"

# Bad input: each refused with code 7 naming the key, nothing allocated.
bad_case() {
	local ipam key
	rm -rf "$T_TMP/ours"
	while IFS='|' read -r key ipam; do
		mk ours "$ipam" "$T_TMP/bad.json"
		call ours ADD "$T_TMP/bad.json" cb
		expect_eq "$(rc)" 1 "$key: exit code"
		expect_eq "$(jget "$T_TMP/out.json" 'j["code"]')" 7 "$key: code"
		jget "$T_TMP/out.json" 'j["msg"]' | grep -qF "$key" || fail "message lacks $key: $(cat "$T_TMP/out.json")"
		[ -z "$(find "$T_TMP/ours/store" -path '*/b/*' -type f 2>/dev/null)" ] || fail "$key: something allocated"
		# the plugin refused it: so must plexusctl validate, naming the key
		validate "$T_TMP/bad.json"
		expect_eq "$(cat "$T_TMP/valrc")" 1 "$key: plexusctl validate exit code"
		grep -qF "$key" "$T_TMP/val" || fail "$key: plexusctl validate does not name it: $(cat "$T_TMP/val")"
	done <<'EOF'
ipam.ranges[0][0].gateway|{"ranges":[[{"subnet":"10.80.7.0/24","gateway":"10.80.8.1"}]]}
ipam.ranges[0][0].rangeStart|{"ranges":[[{"subnet":"10.80.7.0/24","rangeStart":"10.80.7.9","rangeEnd":"10.80.7.3"}]]}
ipam.ranges[1][0]|{"ranges":[[{"subnet":"10.80.7.0/24"}],[{"subnet":"10.80.7.128/25"}]]}
ipam.ranges[0][1].subnet|{"ranges":[[{"subnet":"10.80.7.0/24"},{"subnet":"fd00:81::/64"}]]}
ipam.ranges|{"ranges":[]}
EOF
}
t_case "[$VER] IPAM host-local form, bad input: code 7 naming the key, nothing allocated" bad_case

# ---- Whereabouts' documented rules (README: range, range_start/end, the
# "first-last/len" form, exclude, network_name), with plexus' gateway rule
# on top (the first host address is the gateway unless "gateway" or
# "noGateway" says otherwise; docs/ipam.md says why) ----
wb_all() { # IPAM-JSON: every address handed out until exhaustion
	local c=$T_TMP/wb.json n=0 addrs=""
	rm -rf "$T_TMP/ours"
	mk ours "$1" "$c"
	while [ $n -lt 40 ]; do
		n=$((n + 1))
		call ours ADD "$c" "w$n"
		[ "$(rc)" = 0 ] || break
		addrs="$addrs $(jget "$T_TMP/out.json" 'j["ips"][0]["address"].split("/")[0]')"
	done
	echo "$addrs" | tr ' ' '\n' | sed '/^$/d' | sort -V | tr '\n' ' '
}
wb_case() { # IPAM-JSON WANT
	expect_eq "$(wb_all "$1")" "$2" "handed out"
	validate "$T_TMP/wb.json"
	expect_eq "$(cat "$T_TMP/valrc")" 0 "plexusctl validate of a config the plugin took: $(cat "$T_TMP/val")"
}
t_case "[$VER] IPAM Whereabouts form: range /29 (network, broadcast, gateway .1 reserved)" \
	wb_case '{"range":"10.82.0.0/29"}' "10.82.0.2 10.82.0.3 10.82.0.4 10.82.0.5 10.82.0.6 "
t_case "[$VER] IPAM Whereabouts form: noGateway hands out .1, as Whereabouts" \
	wb_case '{"range":"10.82.0.0/29","noGateway":true}' "10.82.0.1 10.82.0.2 10.82.0.3 10.82.0.4 10.82.0.5 10.82.0.6 "
t_case "[$VER] IPAM Whereabouts form: first-last/len form" \
	wb_case '{"range":"10.82.1.3-10.82.1.6/29"}' "10.82.1.3 10.82.1.4 10.82.1.5 10.82.1.6 "
t_case "[$VER] IPAM Whereabouts form: range_start, range_end, exclude (CIDR and bare address)" \
	wb_case '{"range":"10.82.2.0/28","range_start":"10.82.2.2","range_end":"10.82.2.12","exclude":["10.82.2.4/31","10.82.2.9"]}' \
	"10.82.2.2 10.82.2.3 10.82.2.6 10.82.2.7 10.82.2.8 10.82.2.10 10.82.2.11 10.82.2.12 "
# network_name: the same CIDR in two networks is two pools
netname_case() {
	local a b
	rm -rf "$T_TMP/ours"
	mk ours '{"range":"10.82.3.0/29","network_name":"red"}' "$T_TMP/r.json"
	mk ours '{"range":"10.82.3.0/29","network_name":"blue"}' "$T_TMP/b.json"
	call ours ADD "$T_TMP/r.json" n1
	a=$(jget "$T_TMP/out.json" 'j["ips"][0]["address"]')
	call ours ADD "$T_TMP/b.json" n2
	b=$(jget "$T_TMP/out.json" 'j["ips"][0]["address"]')
	expect_eq "$a $b" "10.82.3.2/29 10.82.3.2/29" "one address in two networks"
}
t_case "[$VER] IPAM Whereabouts form: network_name keeps two networks on one CIDR apart" netname_case
