# plexus' own binary (json-c, yaml, curl, libnl-3 linked dynamically) runs
# in the VM with the libraries run.sh copied for it. Sourced after
# /vm/lib.sh; the binary comes from tests/vm/bins.txt ($BINDIR/plexus).

case_plexus_version() {
	out=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$TOP/$BINDIR/plexus")
	echo "$out"
	expect_match "$out" '"supportedVersions": *\[[^]]*"1\.0\.0"' "VERSION result"
}

if [ -x "$TOP/$BINDIR/plexus" ]; then
	vm_case "plexus VERSION runs with its shared libraries" case_plexus_version
else
	vm_skip "plexus VERSION" "$TOP/$BINDIR/plexus not built"
fi
