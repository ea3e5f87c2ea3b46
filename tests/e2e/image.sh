#!/bin/bash
# Stages the plexus image's root under build/image/ from `make install`
# (the plugins in /opt/cni/bin, plexusctl), with every shared library
# they link, libcurl and its libraries (loaded at run time, so ldd does
# not list it), and busybox; the top-level
# Containerfile copies it. Usage: tests/e2e/image.sh  (from the top dir)
set -euo pipefail
R=build/image
rm -rf "$R"
make -s install DESTDIR="$PWD/$R" CNIBINDIR=/opt/cni/bin PREFIX=/usr/local >/dev/null
# the libraries, at the paths the dynamic loader looks them up
curl=$(ldconfig -p | awk '$1 == "libcurl.so.4" && !n++ {print $NF}')
[ -n "$curl" ] || { echo "image.sh: libcurl.so.4 not found" >&2; exit 1; }
for f in "$R"/opt/cni/bin/* "$R"/usr/local/bin/* "$curl"; do
	ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
done | { cat; echo "$curl"; } | sort -u | while read -r lib; do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done
mkdir -p "$R/bin"
cp /bin/busybox "$R/bin/busybox"
