#!/bin/bash
# Which folder may include which: every `#include "x.h"` of a tracked C
# file under src/, ipam/ or delegates/ must name a header of its own
# folder or of a folder below it in this table (docs/architecture.md,
# "Dependencies"). Prints TAP, one line per folder; exit 1 on a violation.
cd "$(dirname "$0")/.." || exit 2
declare -A ALLOW=(
	[src/cni]="src/cni"
	[src/k8s]="src/k8s src/cni"
	[src/select]="src/select src/k8s src/cni"
	[ipam]="ipam src/k8s src/cni"
	[delegates]="delegates ipam src/cni"
	[src/plexus]="src/plexus src/select delegates ipam src/k8s src/cni"
	[src/ctl]="src/ctl src/select delegates ipam src/k8s src/cni"
	[src/plexusd]="src/plexusd ipam src/k8s src/cni"
)
# the folder a header lives in ("" when no folder above has it)
home() {
	for d in "${!ALLOW[@]}"; do
		[ -f "$d/$1" ] && { echo "$d"; return; }
	done
}
rc=0
for dir in src/cni src/k8s src/select ipam delegates src/plexus src/ctl src/plexusd; do
	bad=
	for f in $(git ls-files "$dir/*.c" "$dir/*.h"); do
		[ "$(dirname "$f")" = "$dir" ] || continue
		for h in $(sed -n 's/^#include "\([^"/]*\)".*/\1/p' "$f"); do
			to=$(home "$h")
			[ -n "$to" ] || continue
			case " ${ALLOW[$dir]} " in
			*" $to "*) ;;
			*) bad+="$f includes $to/$h; " ;;
			esac
		done
	done
	if [ -z "$bad" ]; then
		echo "ok - [includes] $dir includes only ${ALLOW[$dir]}"
	else
		echo "not ok - [includes] $dir includes only ${ALLOW[$dir]}"
		echo "#   ${bad%; }"
		rc=1
	fi
done
echo "1..8"
exit $rc
