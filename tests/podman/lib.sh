# Podman harness (source after tests/lib.sh). Drives Debian's podman 4.3
# with its CNI backend against network configurations of our own, with
# nothing changed in /etc: a containers.conf of its own (CONTAINERS_CONF),
# storage in temp folders with the vfs driver (no mounts), runc, and a
# busybox-static image imported as localhost/plexus-busybox:test.
#
#   pm_init [PLUGINDIR...]   set up $PM_DIR; PLUGINDIRs go in front of
#                            $TOP/$BINDIR and /usr/lib/cni in
#                            cni_plugin_dirs
#   pm_image                 import the busybox image (once)
#   pm_net SRC IDX           render SRC (placeholders, see below) into the
#                            network config folder; sets PM_NET (its name)
#                            and PM_NETDIR (its scratch folder)
#   pm ARGS...               podman with the harness' conf and storage
#   pm_cleanup               remove containers, storage, podman's empty
#                            global folders it created; called at exit
#
# Placeholders in network configurations:
#   @BRIDGE1@ .. @BRIDGE9@   unique bridge names (plxp<run id><idx><n>),
#                            deleted at exit
#   @DATADIR@   an empty folder for IPAM state (host-local's dataDir) and
#               a meta plugin's cache (plexus' cniDir): after a container
#               is gone no file under it may name the container
#   @TMPDIR@    the configuration's scratch folder (holds @DATADIR@)
#   @CNIBIN@    the absolute plexus binary folder ($TOP/$BINDIR)
PM_IMAGE=localhost/plexus-busybox:test
PM_RUNID=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)
PM_DIR=""
PM_BRIDGES=""
# podman creates these global folders when missing; pm_cleanup removes
# the ones it created if they are empty again.
PM_GLOBAL_DIRS="/var/lib/cni/results /var/lib/cni /run/runc"
PM_GLOBAL_NEW=""

pm_init() {
	PM_DIR=$T_TMP/podman
	mkdir -p "$PM_DIR/net.d" "$PM_DIR/root" "$PM_DIR/runroot" "$PM_DIR/tmp" \
		"$PM_DIR/nets"
	for d in $PM_GLOBAL_DIRS; do
		[ -e "$d" ] || PM_GLOBAL_NEW="$PM_GLOBAL_NEW $d"
	done
	_dirs=""
	for d in "$@" "$TOP/$BINDIR" "$REFDIR"; do _dirs="$_dirs\"$d\", "; done
	cat >"$PM_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=20000:20000"]

[network]
network_backend = "cni"
cni_plugin_dirs = [${_dirs%, }]
network_config_dir = "$PM_DIR/net.d"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
tmp_dir = "$PM_DIR/tmp"
image_copy_tmp_dir = "$PM_DIR/tmp"
EOF
	export CONTAINERS_CONF=$PM_DIR/containers.conf
}

pm() {
	podman --root "$PM_DIR/root" --runroot "$PM_DIR/runroot" \
		--storage-driver vfs "$@"
}

pm_image() {
	_r=$PM_DIR/rootfs
	mkdir -p "$_r/bin"
	cp /bin/busybox "$_r/bin/busybox"
	for a in $("$_r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$_r/bin/$a"
	done
	tar -C "$_r" -cf "$PM_DIR/rootfs.tar" .
	pm import --change 'ENV PATH=/bin' "$PM_DIR/rootfs.tar" "$PM_IMAGE" >/dev/null
}

pm_net() { # SRC IDX
	_src=$1 _idx=$2
	PM_NETDIR=$PM_DIR/nets/$_idx
	mkdir -p "$PM_NETDIR/data"
	_sed="s|@DATADIR@|$PM_NETDIR/data|g;s|@TMPDIR@|$PM_NETDIR|g;s|@CNIBIN@|$TOP/$BINDIR|g"
	for n in 1 2 3 4 5 6 7 8 9; do
		_br=plxp$PM_RUNID$(printf %02d "$_idx")$n
		if grep -q "@BRIDGE$n@" "$_src"; then
			_sed="$_sed;s|@BRIDGE$n@|$_br|g"
			t_link "$_br"
			PM_BRIDGES="$PM_BRIDGES $_br"
		fi
	done
	sed "$_sed" "$_src" >"$PM_NETDIR/conf"
	PM_NET=$(jget "$PM_NETDIR/conf" "j['name']")
	cp "$PM_NETDIR/conf" "$PM_DIR/net.d/$_idx-$PM_NET.conflist"
}

# pm_mounts: mounts under the harness folder (there must be none).
pm_mounts() { [ -n "$PM_DIR" ] && awk -v d="$PM_DIR" 'index($2, d) == 1 {print $2}' /proc/mounts; }

pm_cleanup() {
	[ -n "$PM_DIR" ] && [ -d "$PM_DIR/root" ] || return 0
	pm rm -af -t 0 >/dev/null 2>&1 || true
	pm rmi -af >/dev/null 2>&1 || true
	for m in $(pm_mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
	for d in $PM_GLOBAL_NEW; do rmdir "$d" 2>/dev/null || true; done
	rm -rf "$PM_DIR"
}
