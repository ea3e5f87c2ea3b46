#!/bin/bash
# Shows what podman sends to CNI plugins: sets up the podman harness with
# tests/podman/spy.sh in front of every plugin the network configuration
# uses, runs one container on it and prints the spy's log.
# Not a test suite (prints no TAP). Run as root from anywhere:
#   tests/podman/observe.sh [CONFLIST] [-- PODMAN RUN OPTIONS...]
# CONFLIST defaults to tests/podman/confs/10-ref-bridge.conflist; it may use
# the placeholders of tests/podman/lib.sh. BINDIR as for the suites.
# The spy wraps the list's plugin types and IPAM types; SPY_TYPES="a b"
# wraps more (e.g. a meta plugin's delegates, which it finds on CNI_PATH,
# where the spy folder comes first).
set -e
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../lib.sh"
. "$here/lib.sh"
trap 'pm_cleanup; t_cleanup' EXIT

src=$here/confs/10-ref-bridge.conflist
if [ $# -gt 0 ] && [ "$1" != -- ]; then src=$1; shift; fi
[ "${1:-}" = -- ] && shift

spy=$T_TMP/spy
mkdir -p "$spy"
pm_init "$spy"
pm_net "$src" 1
types=$(jget "$PM_NETDIR/conf" "' '.join(sorted({p['type'] for p in j['plugins']} | {p['ipam']['type'] for p in j['plugins'] if p.get('ipam', {}).get('type')}))")
echo "$TOP/$BINDIR:$REFDIR" >"$spy/real-path"
for t in $types ${SPY_TYPES:-}; do cp "$here/spy.sh" "$spy/$t"; done
pm_image
case " $* " in
*" --network"* | *" --net"*) ;;
*) set -- --network "$PM_NET" "$@" ;;
esac
echo "# podman run --rm $* $PM_IMAGE ip -o addr" >&2
pm run --rm "$@" "$PM_IMAGE" ip -o addr >&2 || true
cat "$spy/spy.log"
