#!/bin/sh
# Runs in the plexus image: copies the plugins into the node's CNI bin
# dir, mounted at $HOST_CNI_BIN (default /host/opt/cni/bin). Each file is written beside its final name and
# renamed, so a runtime exec'ing a plugin never sees a half-written file.
set -eu
dst=${HOST_CNI_BIN:-/host/opt/cni/bin}
# the image is complete: each plugin runs here with the libraries shipped
for f in /opt/cni/bin/*; do
	CNI_COMMAND=VERSION "$f" </dev/null >/dev/null
done
for f in /opt/cni/bin/*; do
	n=$(basename "$f")
	cp "$f" "$dst/.$n.tmp"
	chmod 0755 "$dst/.$n.tmp"
	mv -f "$dst/.$n.tmp" "$dst/$n"
	echo "installed $n"
done
