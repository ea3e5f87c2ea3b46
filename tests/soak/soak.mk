# make soak: 1,000 ADD/DEL cycles (SOAK_CYCLES) through the reference
# plugins, then through the native delegates in-process, then through the
# native delegate binaries exec'ed, then the native delegates with
# parallelAttach (each network in a process of its own), then the native
# delegates with plexus-ipam's storage pool a seeded /19 that other nodes
# own whole, 6 addresses free (every ADD borrows), and with 2 free (ADDs
# fail with code 120 too), then that with the etcd store stopped or
# killed at random (300 cycles: it waits on timeouts); plexus killed at
# random.
soak: deps
	$(MAKE) build
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4 --native
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4 --exec
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4 --native --parallel
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4 --native --large-pool
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-1000} --pods 4 --native --large-pool --free 2
	/usr/bin/python3 tests/soak/soak.py --cycles $${SOAK_CYCLES:-300} --pods 4 --native --large-pool --store etcd
.PHONY: soak
