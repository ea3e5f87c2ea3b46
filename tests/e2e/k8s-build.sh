#!/bin/bash
# Builds kube-apiserver, kubelet and kubectl from Debian's `kubernetes`
# source package (the one kubernetes-client is built from) and caches them
# under $E2E_CACHE/k8s-<version>/bin. Prints that bin folder on stdout.
# Only the first run builds; later runs find the cache and return at once.
#
# The source comes through a private apt folder whose deb-src entries are
# derived at run time from the machine's own apt sources: the machine's apt
# set-up is never changed and no mirror is named here.
set -euo pipefail
CACHE=${E2E_CACHE:-/var/cache/plexus-e2e}
WHAT=${E2E_K8S_WHAT:-"cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kubectl"}
APTD=$CACHE/apt
mkdir -p "$APTD/sources" "$APTD/lists/partial" "$CACHE/src"

log() { echo "k8s-build: $*" >&2; }

# deb-src twins of every deb entry the machine has (deb822 and one-line).
derive_sources() {
	rm -f "$APTD/sources/"*
	local f n=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		sed -E 's/^Types:.*/Types: deb-src/' "$f" >"$APTD/sources/e2e-$n.sources"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -e "$f" ] || continue
		n=$((n + 1))
		sed -nE 's/^[[:space:]]*deb[[:space:]]+/deb-src /p' "$f" \
			>"$APTD/sources/e2e-$n.list"
	done
	[ "$n" -gt 0 ] || { log "no apt sources found in /etc/apt"; exit 1; }
}

apt_private() {
	apt-get -q -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APTD/sources" \
		-o Dir::State::Lists="$APTD/lists" "$@"
}

# The version the private lists offer; the cache is keyed by it.
src_version() {
	apt-cache -o Dir::Etc::SourceList=/dev/null \
		-o Dir::Etc::SourceParts="$APTD/sources" \
		-o Dir::State::Lists="$APTD/lists" showsrc kubernetes 2>/dev/null |
		sed -n 's/^Version: //p' | sort -V | tail -1
}

derive_sources
ver=$(src_version || true)
if [ -z "$ver" ]; then
	apt_private update >&2
	ver=$(src_version)
fi
[ -n "$ver" ] || { log "no kubernetes source package in apt's deb-src lists"; exit 1; }
out=$CACHE/k8s-$ver/bin
bins=""
for w in $WHAT; do bins="$bins ${w#cmd/}"; done
have=1
for b in $bins; do [ -x "$out/$b" ] || have=0; done
srcdir=$CACHE/src/kubernetes-$ver
# the pause image's source (build/pause/linux/pause.c) is kept beside them
if [ "$have" = 1 ] && [ ! -f "$out/pause.c" ] && [ -f "$srcdir/build/pause/linux/pause.c" ]; then
	cp "$srcdir/build/pause/linux/pause.c" "$out/pause.c"
fi
[ -f "$out/pause.c" ] || have=0
if [ "$have" = 1 ]; then
	echo "$out"
	exit 0
fi

start=$(date +%s)
if [ ! -d "$srcdir/vendor" ]; then
	log "fetching source kubernetes $ver"
	rm -rf "$srcdir" "$CACHE/dl"
	mkdir -p "$CACHE/dl"
	(cd "$CACHE/dl" && apt_private source --download-only "kubernetes=$ver" >&2)
	dsc=$(ls "$CACHE/dl"/kubernetes_*.dsc | head -1)
	dpkg-source --no-check -x "$dsc" "$srcdir.tmp" >&2
	mv "$srcdir.tmp" "$srcdir"
	# dpkg-source leaves a copy of the upstream tarball beside the tree
	rm -rf "$CACHE/dl" "$CACHE/src/"*.tar.* "$CACHE/src/"*.dsc

fi

# reflect2 1.0.1 (vendored) faults in map iteration under Go >= 1.18 and
# takes kube-apiserver down seconds after start; Debian's 1.0.2 does not.
r2=/usr/share/gocode/src/github.com/modern-go/reflect2
[ -d "$r2" ] || { log "$r2 missing (golang-github-modern-go-reflect2-dev)"; exit 1; }
if ! cmp -s "$r2/reflect2.go" "$srcdir/vendor/github.com/modern-go/reflect2/reflect2.go"; then
	log "replacing vendored reflect2 with Debian's 1.0.2"
	rm -rf "$srcdir/vendor/github.com/modern-go/reflect2"
	cp -r "$r2" "$srcdir/vendor/github.com/modern-go/reflect2"
fi

# GOPATH mode with Kubernetes' own Makefile, as Debian's packaging builds.
mkdir -p "$srcdir/.go/src/k8s.io" "$CACHE/home"
[ -e "$srcdir/.go/src/k8s.io/kubernetes" ] ||
	ln -s ../../.. "$srcdir/.go/src/k8s.io/kubernetes"
# An earlier run killed in the generator step leaves empty tools behind.
find "$srcdir/_output/bin" -maxdepth 1 -type f -empty -delete 2>/dev/null || true
log "building $WHAT (first run only: about 10 min on 2 cores)"
(cd "$srcdir/.go/src/k8s.io/kubernetes" &&
	GOPATH=$srcdir/.go GO111MODULE=off CGO_ENABLED=0 HOME=$CACHE/home \
	GOFLAGS= make WHAT="$WHAT" >&2)
mkdir -p "$out.tmp"
for b in $bins; do cp "$srcdir/_output/bin/$b" "$out.tmp/"; done
cp "$srcdir/build/pause/linux/pause.c" "$out.tmp/pause.c"
rm -rf "$out" && mv "$out.tmp" "$out"
log "built in $(($(date +%s) - start)) s"
echo "$out"
