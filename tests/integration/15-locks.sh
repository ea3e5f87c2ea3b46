#!/bin/bash
# The per-container lock holds: calls for one container and interface run
# one at a time, also when a DEL unlinks the lock file while others wait
# on it (a waiter that then gets the old file opens the path again).
# A probe delegate notes every time two calls run at once.
. "$(dirname "$0")/../lib.sh"
P=plxlk$$
t_netns "$P"
PB=$T_TMP/bin CACHE=$T_TMP/cache
mkdir -p "$PB" "$T_TMP/state"
# plexus-probe: a delegate that holds a mkdir "mutex" while it runs; when
# it is already held, two plexus calls overlap
cat >"$PB/plexus-probe" <<EOF
#!/bin/sh
if [ "\$CNI_COMMAND" != GC ] && ! mkdir "$T_TMP/busy" 2>/dev/null; then echo "\$CNI_COMMAND" >>"$T_TMP/overlaps"; fi
[ "\$CNI_COMMAND" = GC ] || sleep 0.6
[ "\$CNI_COMMAND" = GC ] || rmdir "$T_TMP/busy" 2>/dev/null
exec "$TOP/$BINDIR/tests/plexus-testplugin"
EOF
chmod +x "$PB/plexus-probe"
echo "{\"cniVersion\":\"1.0.0\",\"name\":\"lk\",\"type\":\"plexus\",\"cniDir\":\"$CACHE\",\"delegates\":[{\"cniVersion\":\"1.0.0\",\"name\":\"probe\",\"type\":\"plexus-probe\",\"stateDir\":\"$T_TMP/state\"}]}" >"$T_TMP/node.conf"

call() { # CMD TAG: one plexus call in the background, its rc in rc.TAG
	(r=0; CNI_COMMAND=$1 CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$PB:$TOP/$BINDIR" "$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" \
		>"$T_TMP/out.$2" 2>&1 || r=$?; echo $r >"$T_TMP/rc.$2") &
}

case_overlapping_calls() {
	rm -f "$T_TMP/overlaps" "$T_TMP"/rc.*
	# ADD holds the lock; DEL and a second ADD wait; DEL unlinks the lock
	# file while that ADD waits on it; a late ADD opens the path anew
	call ADD a; sleep 0.15
	call DEL b; sleep 0.15
	call ADD c
	for _ in $(seq 100); do [ -s "$T_TMP/rc.b" ] && break; sleep 0.05; done
	sleep 0.1
	call ADD d
	wait
	[ ! -s "$T_TMP/overlaps" ] || fail "calls overlapped: $(paste -sd' ' "$T_TMP/overlaps")"
	expect_eq "$(cat "$T_TMP/rc.a")" 0 "ADD: $(cat "$T_TMP/out.a")"
	expect_eq "$(cat "$T_TMP/rc.b")" 0 "DEL"
	for t in a b c d; do [ -s "$T_TMP/rc.$t" ] || fail "call $t did not end"; done
	CNI_COMMAND=DEL CNI_CONTAINERID=c1 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$PB:$TOP/$BINDIR" "$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >/dev/null
}
# A second ADD for an attached container and interface is refused and
# leaves the first ADD's attachment and record as they were.
case_second_add() {
	rm -f "$T_TMP/overlaps"
	one() { CNI_COMMAND=$1 CNI_CONTAINERID=c2 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$PB:$TOP/$BINDIR" "$TOP/$BINDIR/plexus" <"$T_TMP/node.conf" >"$T_TMP/out.json"; }
	one ADD || fail "first ADD: $(cat "$T_TMP/out.json")"
	before=$(md5sum "$CACHE/c2_eth0.json" "$T_TMP"/state/* | sort)
	if one ADD; then fail "second ADD passed"; fi
	expect_eq "$(jget "$T_TMP/out.json" "j['code']")" 4 "code"
	jget "$T_TMP/out.json" "j['msg']" | grep -q 'container "c2" interface "eth0": already attached' ||
		fail "msg: $(cat "$T_TMP/out.json")"
	expect_eq "$(md5sum "$CACHE/c2_eth0.json" "$T_TMP"/state/* | sort)" "$before" "record and attachment after the refused ADD"
	one CHECK || fail "CHECK after the refused ADD: $(cat "$T_TMP/out.json")"
	one DEL || fail "DEL"
}
# GC while an ADD runs: the ADD's record is busy (its lock held), GC
# skips it instead of deleting what the ADD is building; a later GC that
# finds it idle and not valid deletes it.
case_gc_during_add() {
	rm -f "$T_TMP/overlaps"
	sed 's/"cniVersion":"1.0.0"/"cniVersion":"1.1.0"/g; s/"delegates"/"cni.dev\/valid-attachments":[],"delegates"/' \
		"$T_TMP/node.conf" >"$T_TMP/gc.conf"
	gc() { CNI_COMMAND=GC CNI_PATH="$PB:$TOP/$BINDIR" "$TOP/$BINDIR/plexus" <"$T_TMP/gc.conf" >"$T_TMP/gc.out" 2>&1; }
	(CNI_COMMAND=ADD CNI_CONTAINERID=c3 CNI_NETNS=/var/run/netns/$P CNI_IFNAME=eth0 \
		CNI_PATH="$PB:$TOP/$BINDIR" "$TOP/$BINDIR/plexus" <"$T_TMP/gc.conf" >"$T_TMP/add.out" 2>&1;
	 echo $? >"$T_TMP/add.rc") &
	for _ in $(seq 100); do [ -e "$CACHE/c3_eth0.json" ] && break; sleep 0.02; done
	gc || fail "GC during the ADD: $(cat "$T_TMP/gc.out")"
	wait
	expect_eq "$(cat "$T_TMP/add.rc")" 0 "ADD: $(cat "$T_TMP/add.out")"
	[ -e "$CACHE/c3_eth0.json" ] || fail "GC deleted the record of an ADD in flight: $(cat "$T_TMP/gc.out") / $(ls "$CACHE")"
	jget "$CACHE/c3_eth0.json" "j.get('complete')" | grep -q True || fail "record not complete"
	gc || fail "GC after the ADD: $(cat "$T_TMP/gc.out")"
	[ ! -e "$CACHE/c3_eth0.json" ] || fail "GC left a stale record"
}
t_case "GC during an ADD skips the busy record; a later GC collects it" case_gc_during_add
t_case "second ADD of an attached container+interface: code 4, the first untouched" case_second_add
t_case "locks: ADD, DEL, ADD, ADD on one container never overlap (lock file unlinked while waited on)" case_overlapping_calls
