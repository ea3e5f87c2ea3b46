#!/bin/bash
# The VM suite (tests/vm/): boots Debian's cloud kernel under qemu (TCG) to
# test what this machine's kernel lacks (ipvlan, 802.1q, dummy, netdevsim
# SR-IOV VF settings) and runs every tests/vm/cases/*.sh inside it.
# Budget: under 5 min from an empty cache (downloads, netdevsim build),
# about 10 s warm. Leaves nothing behind: qemu runs under timeout and a trap.
exec bash "$(dirname "$0")/../vm/suite.sh"
