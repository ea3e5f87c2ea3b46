#!/bin/bash
# Boots the cached Debian kernel (tests/vm/fetch.sh) under qemu (TCG, never
# KVM) with an initramfs made here, runs one busybox sh script in it and
# prints the TAP lines the script printed.
# Usage: tests/vm/run.sh [--bin FILE[:DEST]]... [--file SRC:DEST]...
#                        [--env NAME=VALUE]... --script TESTSCRIPT
#   --bin   a program and the libraries ldd lists for it (plus the dynamic
#           loader); DEST defaults to FILE when absolute, /plexus/FILE else
#   --file  a file or folder copied to DEST
#   --env   a variable exported to the script
# In the VM: busybox applets, the host's ip as /sbin/ip (busybox prefers its
# own ip: call /sbin/ip), modules dummy (numdummies=0) 8021q ipvlan macvlan
# veth bridge and netdevsim when tests/vm/netdevsim.sh built it (else
# VM_NETDEVSIM_SKIP holds the reason); /proc /sys /sys/kernel/debug /dev
# /run /tmp mounted, /var/run -> /run.
# Output: every line the script printed; TAP lines as they are, anything
# else as "# ..." comments; then one TAP line of its own saying whether the
# guest ran the script to its end. Timings go to stderr.
# Exit: 0 when the guest finished and no "not ok" line was seen; 1 when a
# case failed or no TAP line came out; 2 on timeout, crash or bad usage.
# Env: PLEXUS_VM_CACHE, PLEXUS_VM_TIMEOUT (s, default 180),
#      PLEXUS_VM_KEEP=1 keeps the temp folder (console log, initramfs).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PLEXUS_VM_CACHE:-/var/cache/plexus-vm}
TIMEOUT=${PLEXUS_VM_TIMEOUT:-180}
MODULES="dummy 8021q ipvlan macvlan veth bridge"

BINS=() FILES=() ENVS=() SCRIPT=""
usage() { sed -n '5,10p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) BINS+=("$2"); shift 2 ;;
	--file) FILES+=("$2"); shift 2 ;;
	--env) ENVS+=("$2"); shift 2 ;;
	--script) SCRIPT=$2; shift 2 ;;
	*) usage ;;
	esac
done
[ -n "$SCRIPT" ] && [ -f "$SCRIPT" ] || usage

log() { echo "vm: $*" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
verdict() { # ok|not ok, reason: the harness' own TAP line
	echo "$1 - vm: guest ran the script to its end${2:+ ($2)}"
}

KENV=$CACHE/kernel.env
[ -f "$KENV" ] || { verdict "not ok" "no kernel: run tests/vm/fetch.sh"; exit 2; }
# shellcheck disable=SC1090
. "$KENV"
VMLINUZ=$KROOT/boot/vmlinuz-$KVER
for t in qemu-system-x86_64 busybox modprobe cpio gzip timeout; do
	command -v "$t" >/dev/null ||
		{ verdict "not ok" "$t missing: run tests/deps.sh"; exit 2; }
done

TMP=$(mktemp -d /tmp/plexus-vm.XXXXXX)
QPID=""
cleanup() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill "$QPID" 2>/dev/null || true # timeout passes it on to qemu
		wait "$QPID" 2>/dev/null || true
	fi
	if [ -s "$TMP/qemu.pid" ]; then
		kill -9 "$(cat "$TMP/qemu.pid")" 2>/dev/null || true
	fi
	if [ "${PLEXUS_VM_KEEP:-0}" = 1 ]; then
		log "kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 2' INT TERM HUP

ROOT=$TMP/root
t0=$(now)

# copy_lib PATH: a library (or the loader) at the same path in the guest.
copy_lib() {
	[ -e "$ROOT$1" ] && return 0
	mkdir -p "$ROOT$(dirname "$1")"
	cp -L "$1" "$ROOT$1"
}

# add_bin SRC DEST: the program and everything ldd lists for it.
add_bin() {
	local src=$1 dest=$2 line lib
	mkdir -p "$ROOT$(dirname "$dest")"
	rm -f "$ROOT$dest"
	cp -L "$src" "$ROOT$dest"
	chmod 0755 "$ROOT$dest"
	ldd "$src" >"$TMP/ldd" 2>&1 || return 0 # static: nothing more to copy
	while IFS= read -r line; do
		case "$line" in
		*"not found"*) log "warning: $src: $line" ;;
		*"=> /"*) lib=${line#*=> }; copy_lib "${lib%% (*}" ;;
		*/*) lib=${line#"${line%%[! 	]*}"}; copy_lib "${lib%% (*}" ;;
		esac
	done <"$TMP/ldd"
}

mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,lib/modules,lib64,etc,proc,sys,dev,run,tmp,root,vm,var}
ln -s /run "$ROOT/var/run"
cp /usr/bin/busybox "$ROOT/bin/busybox"
busybox --list-full | while read -r a; do
	[ -e "$ROOT/$a" ] || ln -s /bin/busybox "$ROOT/$a"
done
add_bin "$(readlink -f /usr/sbin/ip)" /sbin/ip
mknod -m 0600 "$ROOT/dev/console" c 5 1 2>/dev/null || true
mknod -m 0666 "$ROOT/dev/null" c 1 3 2>/dev/null || true
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ROOT/etc/passwd"
printf 'root:x:0:\n' >"$ROOT/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ROOT/etc/hosts"
[ -d /etc/libnl ] && cp -r /etc/libnl "$ROOT/etc/libnl"

for b in ${BINS[@]+"${BINS[@]}"}; do
	src=${b%%:*} dest=${b#*:}
	[ "$dest" != "$b" ] || case "$src" in /*) dest=$src ;; *) dest=/plexus/$src ;; esac
	[ -f "$src" ] || { log "--bin $src: no such file"; exit 2; }
	add_bin "$src" "$dest"
done
for f in ${FILES[@]+"${FILES[@]}"}; do
	src=${f%%:*} dest=${f#*:}
	[ -e "$src" ] && [ "$dest" != "$f" ] || { log "--file $f: bad"; exit 2; }
	mkdir -p "$ROOT$(dirname "$dest")"
	cp -rL "$src" "$ROOT$dest"
done
cp "$HERE/init.sh" "$ROOT/init"
chmod 0755 "$ROOT/init"
cp "$SCRIPT" "$ROOT/vm/test.sh"

# Modules, in the order modprobe would load them (configs ignored).
mods=$MODULES
nko=$KROOT/lib/modules/$KVER/extra/netdevsim.ko
if [ -f "$nko" ]; then
	mods="$mods netdevsim"
else
	why="not built (tests/vm/netdevsim.sh)"
	for f in "$CACHE/netdevsim.skip" "$CACHE/netdevsim.skip.now"; do
		[ -f "$f" ] && why=$(cat "$f")
	done
	ENVS+=("VM_NETDEVSIM_SKIP=$why")
fi
: >"$ROOT/vm/modules"
declare -A SEEN=()
for m in $mods; do
	modprobe -C /dev/null -d "$KROOT" -S "$KVER" --show-depends "$m" >"$TMP/dep" ||
		{ log "module $m not found for $KVER"; exit 2; }
	while read -r cmd ko _; do
		[ "$cmd" = insmod ] || continue
		base=$(basename "$ko")
		[ -z "${SEEN[$base]:-}" ] || continue
		SEEN[$base]=1
		cp "$ko" "$ROOT/lib/modules/$base"
		params=""
		[ "$base" = dummy.ko ] && params="numdummies=0"
		echo "$base $params" >>"$ROOT/vm/modules"
	done <"$TMP/dep"
done

ENVS+=("KVER=$KVER")
: >"$ROOT/vm/env"
for e in "${ENVS[@]}"; do
	printf "%s='%s'\n" "${e%%=*}" "$(printf %s "${e#*=}" | sed "s/'/'\\\\''/g")" >>"$ROOT/vm/env"
done

( cd "$ROOT" && find . | LC_ALL=C sort | cpio -o -H newc --quiet ) | gzip -1 >"$TMP/initrd.gz"
log "initramfs $(( $(stat -c %s "$TMP/initrd.gz") / 1024 )) KiB built in $(since "$t0")s"

t1=$(now)
timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -nographic -no-reboot \
	-m 512 -net none -pidfile "$TMP/qemu.pid" \
	-kernel "$VMLINUZ" -initrd "$TMP/initrd.gz" \
	-append 'console=ttyS0 panic=-1 quiet' </dev/null >"$TMP/console" 2>&1 &
QPID=$!
rc=0
wait "$QPID" || rc=$?
QPID=""
log "boot+tests ${KVER} $(since "$t1")s (qemu exit $rc)"

tr -d '\r' <"$TMP/console" | sed "s/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g" >"$TMP/console.txt"
sed -n 's/^.*PLXVM:\(.*\)$/\1/p' "$TMP/console.txt" | while IFS= read -r l; do
	case "$l" in
	"ok - "* | "not ok - "* | "#"*) echo "$l" ;;
	*) echo "# $l" ;;
	esac
done | tee "$TMP/tap"
end=$(sed -n 's/^.*PLXVM-END rc=\(.*\)$/\1/p' "$TMP/console.txt")
if [ "$rc" = 124 ] || [ -z "$end" ]; then
	what="no end marker"
	[ "$rc" = 124 ] && what="timed out after ${TIMEOUT}s"
	verdict "not ok" "$what"
	echo "# last console lines:"
	tail -n 25 "$TMP/console.txt" | sed 's/^/#   /'
	exit 2
fi
verdict ok "script rc=$end"
grep -q '^not ok ' "$TMP/tap" && exit 1
grep -q '^ok ' "$TMP/tap" || { echo "# the script printed no TAP line"; exit 1; }
exit 0
