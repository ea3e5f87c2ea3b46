#!/bin/bash
# Fetches and caches the Debian cloud kernel the VM tests boot (it has the
# ipvlan, 8021q, dummy, macvlan modules this machine's kernel lacks).
#   tests/vm/fetch.sh        fetch if needed; prints nothing on stdout
# Cache: $PLEXUS_VM_CACHE (default /var/cache/plexus-vm), outside the repo.
# The first fetch resolves the concrete package behind the
# linux-image-cloud-amd64 metapackage and pins its version in
# $PLEXUS_VM_CACHE/kernel.env; later runs (and tests/vm/netdevsim.sh) use
# that one version without asking apt again.
# kernel.env: KVER (uname -r of the guest), KPKG, KPKGVER, KROOT (the
# dpkg -x folder: KROOT/boot/vmlinuz-KVER, KROOT/lib/modules/KVER).
set -euo pipefail
CACHE=${PLEXUS_VM_CACHE:-/var/cache/plexus-vm}
ENVF=$CACHE/kernel.env
META=linux-image-cloud-amd64

log() { echo "vm-fetch: $*" >&2; }
die() { log "$*"; exit 1; }

# A valid cache: kernel.env names a folder whose stamp exists.
cached() {
	[ -f "$ENVF" ] || return 1
	# shellcheck disable=SC1090
	. "$ENVF"
	[ -f "$KROOT/.complete" ]
}
cached && exit 0

[ "$(id -u)" = 0 ] || die "needs root to fetch into $CACHE (or set PLEXUS_VM_CACHE)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9 # another fetch may be running; it may have done the work
cached && exit 0
command -v depmod >/dev/null || die "depmod missing (package kmod; run tests/deps.sh)"

UPDATED=0
apt_update() { # once per run, only when a look-up or download failed
	[ "$UPDATED" = 0 ] || return 1
	UPDATED=1
	log "apt lists missing or stale: apt-get update"
	apt-get update -q >&2
}

# resolve: print "PKG VERSION" of the image package behind the metapackage.
resolve() {
	local pkg ver
	pkg=$(apt-cache depends "$META" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1)
	[ -n "$pkg" ] || return 1
	ver=$(apt-cache policy "$pkg" 2>/dev/null |
		sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 1
	echo "$pkg $ver"
}

dl=$(mktemp -d "$CACHE/.dl.XXXXXX")
trap 'rm -rf "$dl"' EXIT
chmod 0755 "$dl"
chown _apt "$dl" 2>/dev/null || true # lets apt download sandboxed
download() { ( cd "$dl" && apt-get download -q "$1" >&2 ); }

pkg="" ver=""
if [ -n "${KPKG:-}" ] && [ -n "${KPKGVER:-}" ]; then
	# pinned earlier but the folder is incomplete: the same one again
	if download "$KPKG=$KPKGVER" || { apt_update && download "$KPKG=$KPKGVER"; }; then
		pkg=$KPKG ver=$KPKGVER
	else
		log "pinned $KPKG=$KPKGVER no longer available; resolving again"
	fi
fi
if [ -z "$pkg" ]; then
	if ! res=$(resolve); then
		apt_update || true
		res=$(resolve) || die "cannot resolve $META with apt-cache"
	fi
	read -r pkg ver <<<"$res"
	download "$pkg=$ver" || { apt_update && download "$pkg=$ver"; } ||
		die "apt-get download $pkg=$ver failed"
fi
kver=${pkg#linux-image-}
dir=$CACHE/$kver-$ver
log "kernel $pkg=$ver"

rm -rf "$dir"
mkdir -p "$dir"
dpkg -x "$dl"/"$pkg"_*.deb "$dir/root"
[ -f "$dir/root/boot/vmlinuz-$kver" ] || die "no vmlinuz-$kver in $pkg"
depmod -b "$dir/root" "$kver"
touch "$dir/root/.complete"
cat >"$ENVF.tmp" <<EOF
KVER=$kver
KPKG=$pkg
KPKGVER=$ver
KROOT=$dir/root
EOF
mv "$ENVF.tmp" "$ENVF"
# Drop kernels pinned before (only folders this script makes).
for old in "$CACHE"/*-cloud-amd64-*; do
	[ -d "$old" ] && [ "$old" != "$dir" ] && rm -rf "$old"
done
log "cached in $dir"
