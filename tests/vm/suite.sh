#!/bin/bash
# The VM suite: fetch (cached), netdevsim (cached, may be skipped), then
# one VM boot running every tests/vm/cases/*.sh. Prints TAP lines; timings
# go to stderr. Run from anywhere: paths are taken from the repo root.
# Env: BINDIR (default build/bin), PLEXUS_VM_BINS (more programs, space
# separated, like tests/vm/bins.txt lines), PLEXUS_VM_NETDEVSIM=0 (do not
# build netdevsim), PLEXUS_VM_CACHE, PLEXUS_VM_TIMEOUT, PLEXUS_VM_KEEP.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 2
: "${BINDIR:=build/bin}"
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

t0=$(now)
if ! "$HERE/fetch.sh"; then
	echo "not ok - vm: kernel fetched (tests/vm/fetch.sh failed)"
	exit 1
fi
echo "vm: fetch $(since "$t0")s" >&2
if [ "${PLEXUS_VM_NETDEVSIM:-1}" != 0 ]; then
	t0=$(now)
	"$HERE/netdevsim.sh" || echo "# netdevsim.sh failed; its cases are skipped"
	echo "vm: netdevsim $(since "$t0")s" >&2
fi

args=()
while read -r b; do
	case "$b" in "" | "#"*) continue ;; esac
	b=${b//\$BINDIR/$BINDIR}
	if [ -f "$b" ]; then
		args+=(--bin "$b")
	else
		echo "vm: $b not found, not put in the VM" >&2
	fi
done < <(cat "$HERE/bins.txt"; for b in ${PLEXUS_VM_BINS:-}; do echo "$b"; done)

exec "$HERE/run.sh" "${args[@]}" \
	--file "$HERE/lib-vm.sh:/vm/lib.sh" --file "$HERE/cases:/vm/cases" \
	--env "BINDIR=$BINDIR" --env "TOP=/plexus" \
	--script "$HERE/runner.sh"
