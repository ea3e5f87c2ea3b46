#!/bin/bash
# The Debian packages `make e2e` needs on top of tests/deps.sh's, which
# installs them with its own (as root, with apt-get; nothing when all are
# there already). containerd's package starts its own service where
# systemd runs; the suite starts its own containerd on a private socket
# and never uses it.
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
PLEXUS_EXTRA_PKGS="$PKGS" exec "$(dirname "$0")/../deps.sh"
