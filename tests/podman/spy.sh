#!/bin/sh
# spy.sh: a CNI plugin that logs what the runtime sends, then runs the real
# plugin of the same name and passes its answer and exit code on.
#
# Use: copy (not symlink) it into a folder of its own under the name of the
# plugin to watch, e.g. SPYDIR/bridge, and put SPYDIR first in the
# runtime's plugin path (tests/podman/observe.sh does this for podman).
# Runtimes may call plugins with a reduced environment (podman's cleanup
# process keeps only HOME, PATH, TMPDIR, CONTAINERS_CONF), so nothing is
# taken from the environment: the log is SPYDIR/spy.log, and the real
# plugin is the first <dir>/<name> found in the colon-separated folder list
# in SPYDIR/real-path (default /usr/lib/cni), SPYDIR itself skipped.
#
# Each call appends: a header (time, command, pid, parent's command line),
# every CNI_* variable, the rest of the environment's names, stdin, the
# real plugin's stdout and stderr, and its exit code.
dir=$(cd "$(dirname "$0")" && pwd)
name=$(basename "$0")
log=$dir/spy.log
realpath=/usr/lib/cni
[ -f "$dir/real-path" ] && realpath=$(cat "$dir/real-path")
real=""
IFS=:
for d in $realpath; do
	[ "$d" != "$dir" ] && [ -x "$d/$name" ] && { real=$d/$name; break; }
done
unset IFS
if [ -z "$real" ]; then
	echo "{\"cniVersion\":\"0.4.0\",\"code\":5,\"msg\":\"spy: no real $name in $realpath\"}"
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cni-spy.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/in"
"$real" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
rc=$?
{
	echo "=== $(date -u +%H:%M:%S.%N) $name ${CNI_COMMAND:-?} pid=$$"
	echo "parent: $(tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null)"
	env | grep '^CNI_' | sort | sed 's/^/env: /'
	echo "other env names: $(env | grep -v '^CNI_' | sed 's/=.*//' | sort | tr '\n' ' ')"
	echo "--- stdin"
	cat "$tmp/in"; echo
	echo "--- stdout"
	cat "$tmp/out"; echo
	echo "--- stderr"
	cat "$tmp/err"
	echo "--- rc=$rc"
} >>"$log" 2>&1
cat "$tmp/out"
cat "$tmp/err" >&2
exit $rc
