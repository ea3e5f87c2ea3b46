# Runs inside the test VM (tests/bench/vm.sh): plexus-ipvlan against the
# reference ipvlan, and plexus-bridge against the reference bridge as the
# yardstick of what emulation does to the ratios (the same row is measured
# on the host by delegates.sh). busybox sh; prints the table as plain lines.
B=$TOP/$BINDIR
REF=/usr/lib/cni
N=${B_ITER:-20}
W=/tmp/vmbench
mkdir -p "$W"
/sbin/ip link add plxl0 type dummy
/sbin/ip link set plxl0 up
for ns in bp bq; do /sbin/ip netns add "$ns"; done

conf() { # FILE NAME TYPE KEYS [SUBNET]: with SUBNET, host-local IPAM
	ipam=""
	[ -n "$5" ] && ipam=$(printf ',"ipam":{"type":"host-local","dataDir":"%s","ranges":[[{"subnet":"%s"}]]}' "$W/ipam-$2" "$5")
	printf '{"cniVersion":"1.0.0","name":"%s","type":"%s",%s%s}\n' "$2" "$3" "$4" "$ipam" >"$1"
}
row() { # LABEL KIND KEYS [SUBNET] (both contenders: own data and pods)
	conf "$W/p.conf" "p$2" "plexus-$2" "$3" "$4"
	conf "$W/r.conf" "r$2" "$2" "$3" "$4"
	"$B/tests/cnibench" -n "$N" -p "$B:$REF" -s /var/run/netns/bp \
		"plexus=ADD:$B/plexus-$2:$W/p.conf:eth0,DEL:$B/plexus-$2:$W/p.conf:eth0" \
		"reference=ADD:$REF/$2:$W/r.conf:eth0:/var/run/netns/bq,DEL:$REF/$2:$W/r.conf:eth0:/var/run/netns/bq" >"$W/out" ||
		true # failed steps are left out of the times and counted below
	for step in 1:ADD 2:DEL; do
		p=$(sed -n "s|^plexus/$step .*median_ms=\([0-9.]*\).*|\1|p" "$W/out")
		r=$(sed -n "s|^reference/$step .*median_ms=\([0-9.]*\).*|\1|p" "$W/out")
		printf 'VMBENCH %-40s %-4s %10s %10s %8s\n' "$1" "${step#*:}" "$p ms" "$r ms" \
			"$(awk -v p="$p" -v r="$r" 'BEGIN { printf "%.2fx", r / p }')"
	done
	grep -q 'failures=[1-9]' "$W/out" && echo "VMBENCH   failures: $(grep -o '^[a-z]* .*failures=[0-9]*' "$W/out" | sed 's/ .*failures=/=/' | tr '\n' ' ')"
	true
}
# (no row without IPAM: the reference ipvlan 1.1.1 refuses that config)
row "ipvlan l2, host-local" ipvlan '"master":"plxl0","mode":"l2"' 10.230.0.0/16
row "bridge, host-local (yardstick)" bridge '"bridge":"plxvb0","isGateway":true' 10.232.0.0/16
echo "ok - vm bench ran"
