#!/bin/sh
# Installs (as root, with apt-get) every Debian package the build, the
# tests and the demo need; does nothing when all are there already.
set -e
# one package a line, so that parallel changes merge cleanly
PKGS="
make
gcc
pkg-config
libjson-c-dev
libyaml-dev
libcurl4-openssl-dev
libnl-3-dev
libnl-route-3-dev
zlib1g-dev
libcmocka-dev
containernetworking-plugins
iproute2
iputils-ping
nftables
etcd-server
etcd-client
openssl
python3
golang-go
golang-github-appc-cni-dev
golang-github-containerd-go-cni-dev
valgrind
strace
clang
clang-format
libclang-rt-14-dev
qemu-system-x86
busybox-static
kmod
cpio
xz-utils
libnl-utils
podman
runc
util-linux
procps
psmisc
curl
ca-certificates
python3-yaml
"
[ -n "$PLEXUS_EXTRA_PKGS" ] && PKGS="$PKGS $PLEXUS_EXTRA_PKGS"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends $missing >&2
