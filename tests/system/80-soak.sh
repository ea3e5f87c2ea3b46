#!/bin/bash
# A short soak in make check (make soak runs the long one): ADD/DEL cycles
# over 4 pods at once, random delegate failures, plexus killed at random;
# once through the reference plugins + host-local, once through plexus'
# native delegates + plexus-ipam run in-process, once through the native
# delegate binaries exec'ed (their host-local call runs from a thread),
# once (100 cycles, SOAK_LARGE_CYCLES) with plexus-ipam's storage pool a
# seeded /19 whose every block other nodes own and 6 addresses free:
# every ADD borrows through the free-block index (soak.py --large-pool).
# Exit 1 when any run failed or died (a run that raises prints no TAP line:
# the runner sees the exit status).
cd "$(dirname "$0")/../.." || exit 1
rc=0
soak() { # NAME [ARGS...]
	local name=$1
	shift
	/usr/bin/python3 tests/soak/soak.py --cycles "${CYCLES:-${SOAK_CYCLES:-160}}" --pods 4 \
		--bindir "${BINDIR:-build/bin}" "$@" |
		sed "s/^\(ok\|not ok\) - soak:/\1 - soak$name:/"
	local st=("${PIPESTATUS[@]}")
	[ "${st[0]}" = 0 ] && [ "${st[1]}" = 0 ] || {
		echo "# soak$name: soak.py exited ${st[0]}"
		rc=1
	}
}
soak ""
soak " (native)" --native
soak " (native exec)" --exec
CYCLES=${SOAK_LARGE_CYCLES:-100} soak " (native, large pool)" --native --large-pool
exit $rc
