#!/bin/bash
# A short soak in make check (make soak runs the long one): ADD/DEL cycles
# over 4 pods at once, random delegate failures, plexus killed at random.
cd "$(dirname "$0")/../.." || exit 1
/usr/bin/python3 tests/soak/soak.py --cycles "${SOAK_CYCLES:-160}" --pods 4 \
	--bindir "${BINDIR:-build/bin}"
exit 0
