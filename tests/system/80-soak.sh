#!/bin/bash
# A short soak in make check (make soak runs the long one): ADD/DEL cycles
# over 4 pods at once, random delegate failures, plexus killed at random;
# once through the reference plugins + host-local, once through plexus'
# native delegates + plexus-ipam run in-process, once through the native
# delegate binaries exec'ed (their host-local call runs from a thread).
cd "$(dirname "$0")/../.." || exit 1
/usr/bin/python3 tests/soak/soak.py --cycles "${SOAK_CYCLES:-160}" --pods 4 \
	--bindir "${BINDIR:-build/bin}"
/usr/bin/python3 tests/soak/soak.py --cycles "${SOAK_CYCLES:-160}" --pods 4 \
	--bindir "${BINDIR:-build/bin}" --native | sed 's/^\(ok\|not ok\) - soak:/\1 - soak (native):/'
/usr/bin/python3 tests/soak/soak.py --cycles "${SOAK_CYCLES:-160}" --pods 4 \
	--bindir "${BINDIR:-build/bin}" --exec | sed 's/^\(ok\|not ok\) - soak:/\1 - soak (native exec):/'
exit 0
