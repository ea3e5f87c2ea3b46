# tests/vm: a qemu VM with Debian's cloud kernel for what this machine's
# kernel lacks (ipvlan, 802.1q, dummy, netdevsim). See tests/vm/README.md.
#   make check-vm   deps, build, fetch the kernel (cached), run the VM cases
#   make vm-fetch   only fetch the kernel and build netdevsim (cached)
.PHONY: check-vm vm-fetch
check-vm: deps
	$(MAKE) build
	tests/vm/suite.sh

vm-fetch:
	tests/vm/fetch.sh
	tests/vm/netdevsim.sh
