#!/bin/bash
# Builds netdevsim (Debian does not ship it) as an out-of-tree module for
# the kernel tests/vm/fetch.sh pinned, from Debian's linux-source-X.Y and
# linux-headers-KVER of exactly the same package version, and installs it
# as KROOT/lib/modules/KVER/extra/netdevsim.ko (then depmod again).
# Cached: a second run does nothing. When the matching source, headers or
# compiler are not available it writes the reason to
# $PLEXUS_VM_CACHE/netdevsim.skip, prints it and exits 0: the VM tests
# then report the netdevsim cases as skipped.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PLEXUS_VM_CACHE:-/var/cache/plexus-vm}
"$HERE/fetch.sh"
# shellcheck disable=SC1091
. "$CACHE/kernel.env"
KO=$KROOT/lib/modules/$KVER/extra/netdevsim.ko
SKIP=$CACHE/netdevsim.skip

log() { echo "vm-netdevsim: $*" >&2; }
# skip REASON: netdevsim cannot be had for this kernel (a package or the
# compiler it needs is missing): remembered for this kernel version.
skip() {
	log "skipped: $*"
	echo "$KPKGVER: $*" >"$SKIP"
	exit 0
}
# skip_now REASON: this run has no module (a failed build): not remembered,
# the next run tries again. The VM cases then report a skip, which CI fails.
skip_now() {
	log "skipped: $*"
	echo "$KPKGVER: $*" >"$SKIP.now"
	exit 0
}

rm -f "$SKIP.now"
[ -f "$KO" ] && exit 0
# A skip decided for this very kernel version stands (delete it to retry).
if [ -f "$SKIP" ] && grep -q "^$KPKGVER: " "$SKIP"; then
	log "skipped earlier: $(cat "$SKIP")"
	exit 0
fi
exec 9>"$CACHE/.lock"
flock 9
[ -f "$KO" ] && exit 0
rm -f "$SKIP"

ver=$KPKGVER
mm=$(echo "$ver" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p') # 6.1
abi=${KVER%-cloud-amd64}                                   # 6.1.0-56
pkgs="linux-source-$mm linux-headers-$KVER linux-headers-$abi-common linux-kbuild-$mm"
listed() {
	for p in $pkgs; do
		apt-cache show "$p=$ver" >/dev/null 2>&1 || { echo "$p=$ver"; return 1; }
	done
}
if ! miss=$(listed); then
	log "$miss not in the apt lists: apt-get update"
	apt-get update -q >&2 || true
	miss=$(listed) ||
		skip "$miss not available (source or headers for this exact ABI missing)"
fi
command -v make >/dev/null || skip "make missing"

work=$CACHE/netdevsim-$ver
dl=$(mktemp -d "$CACHE/.dl.XXXXXX")
trap 'rm -rf "$dl"' EXIT
chmod 0755 "$dl"
chown _apt "$dl" 2>/dev/null || true
args=""
for p in $pkgs; do args="$args $p=$ver"; done
# shellcheck disable=SC2086
if ! ( cd "$dl" && apt-get download -q $args >&2 ); then
	log "apt-get download$args failed; not built (tried again next run)"
	exit 0
fi

for old in "$CACHE"/netdevsim-*; do
	[ -d "$old" ] && rm -rf "$old"
done
mkdir -p "$work/hdr"
for p in linux-headers-$KVER linux-headers-$abi-common linux-kbuild-$mm; do
	dpkg -x "$dl/${p}_"*.deb "$work/hdr"
done
hdr=$work/hdr/usr/src/linux-headers-$KVER
# The flavour Makefile includes the common one by absolute /usr/src path.
echo "include $work/hdr/usr/src/linux-headers-$abi-common/Makefile" >"$hdr/Makefile"
cc=$(sed -n 's/^CC = .*(CROSS_COMPILE)\([^ ]*\)$/\1/p' "$hdr/.kernelvariables")
[ -z "$cc" ] || command -v "$cc" >/dev/null ||
	skip "compiler $cc the headers ask for is missing"

# Only drivers/net/netdevsim out of the 139 MB source package.
dpkg-deb --fsys-tarfile "$dl"/linux-source-"$mm"_*.deb |
	tar -xO "./usr/src/linux-source-$mm.tar.xz" |
	tar -xJ -C "$work" "linux-source-$mm/drivers/net/netdevsim"
src=$work/linux-source-$mm/drivers/net/netdevsim
rm -rf "$dl"

log "building netdevsim for $KVER"
make -C "$hdr" M="$src" CONFIG_NETDEVSIM=m -j"$(nproc)" modules >"$work/build.log" 2>&1 ||
	{ tail -20 "$work/build.log" >&2; skip_now "build failed (log: $work/build.log)"; }
mkdir -p "$(dirname "$KO")"
strip --strip-debug -o "$KO.tmp" "$src/netdevsim.ko"
mv "$KO.tmp" "$KO"
depmod -b "$KROOT" "$KVER"
rm -rf "$work" # the module is installed; sources and headers not needed
log "installed $KO"
