#!/usr/bin/python3
"""compare.py GOT.json EXPECTED.json [TEXT=TOKEN ...]

Compares plexusctl's JSON output with an expected file after normalising:
every TEXT (a temp dir, the checkout) inside a string becomes TOKEN.
Exit 0 when equal, 1 with a unified diff otherwise. With PLEXUSCTL_REGEN=1
the normalised output is written to EXPECTED instead (then review it).
"""
import difflib
import json
import os
import sys


def norm(v, subst):
    if isinstance(v, str):
        for text, token in subst:
            v = v.replace(text, token)
        return v
    if isinstance(v, list):
        return [norm(x, subst) for x in v]
    if isinstance(v, dict):
        return {k: norm(x, subst) for k, x in v.items()}
    return v


def main():
    got_path, want_path = sys.argv[1], sys.argv[2]
    subst = [a.split("=", 1) for a in sys.argv[3:]]
    subst.sort(key=lambda p: -len(p[0]))  # longest first
    got = norm(json.load(open(got_path)), subst)
    text = json.dumps(got, indent=2, sort_keys=True) + "\n"
    if os.environ.get("PLEXUSCTL_REGEN") == "1":
        open(want_path, "w").write(text)
        return 0
    want = json.load(open(want_path))
    if got == want:
        return 0
    wtext = json.dumps(want, indent=2, sort_keys=True) + "\n"
    sys.stdout.writelines(difflib.unified_diff(
        wtext.splitlines(True), text.splitlines(True), want_path, "got"))
    return 1


sys.exit(main())
