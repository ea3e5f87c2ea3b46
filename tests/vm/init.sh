#!/bin/sh
# /init of the test VM (busybox sh; built into the initramfs by run.sh).
# Mounts the pseudo file systems, loads the modules listed in
# /vm/modules ("file.ko [params]" in load order), runs /vm/test.sh with the
# variables of /vm/env, prefixes every line it prints with the marker
# "PLXVM:" and ends with "PLXVM-END rc=N", then powers off.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root
mount -t devtmpfs dev /dev 2>/dev/null
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs -o mode=0755 run /run
mount -t tmpfs -o mode=1777 tmp /tmp
mkdir -p /run/netns /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm
# Only emergencies on the console: the test output stays readable.
echo 1 >/proc/sys/kernel/printk

M=PLXVM:
while read -r ko params; do
	[ -n "$ko" ] || continue
	# shellcheck disable=SC2086
	insmod "/lib/modules/$ko" $params || echo "$M# insmod $ko failed"
done </vm/modules
/sbin/ip link set lo up

set -a
. /vm/env
set +a
{
	sh /vm/test.sh
	echo $? >/run/vm-rc
} 2>&1 | while IFS= read -r line; do echo "$M$line"; done
echo "PLXVM-END rc=$(cat /run/vm-rc 2>/dev/null || echo none)"
sync
poweroff -f
