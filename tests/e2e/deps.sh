#!/bin/bash
# Installs (as root, with apt-get) the Debian packages `make e2e` needs on
# top of tests/deps.sh's; does nothing when all are there already.
set -euo pipefail
PKGS="
containerd
runc
etcd-server
golang-go
golang-github-modern-go-reflect2-dev
rsync
dpkg-dev
podman
busybox-static
openssl
gcc
libc6-dev
iptables
iproute2
util-linux
containernetworking-plugins
python3
python3-yaml
"
missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "e2e deps: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "e2e deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# containerd's package starts its own service where systemd runs; the
# suite starts its own containerd on a private socket and never uses it.
apt-get install -y -q --no-install-recommends $missing >&2
