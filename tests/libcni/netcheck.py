#!/usr/bin/env python3
"""Checks a container netns against a CNI result and an expectation file.

  netcheck.py present NETNS RESULT.json [EXPECT]
      every address the result puts on a container interface (one whose
      "sandbox" is set) is on that interface in NETNS, and every EXPECT
      line "IFNAME CIDR" has IFNAME in NETNS with an address inside CIDR.
      Fails when there is nothing at all to check.
  netcheck.py gone NETNS RESULT.json
      NETNS holds nothing but lo, and every host-side interface of the
      result is gone, except bridges, which must have no port left.
  netcheck.py ips RESULT.json
      prints the result's addresses, one a line.

Exit 0 when the check holds; otherwise one line per problem on stderr.
"""
import ipaddress
import json
import os
import subprocess
import sys


def ip_json(netns, *args):
    cmd = ["ip", "-j"] + (["-n", netns] if netns else []) + list(args)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout or "[]")


def ns_addrs(netns):
    """{ifname: [ip_interface, ...]} for every link in netns."""
    links = {}
    for link in ip_json(netns, "addr", "show"):
        addrs = links.setdefault(link["ifname"], [])
        for a in link.get("addr_info", []):
            addrs.append(ipaddress.ip_interface(f"{a['local']}/{a['prefixlen']}"))
    return links


def load_result(path):
    with open(path) as f:
        return json.load(f)


def result_container_addrs(res):
    """[(ifname, ip_interface)] for result ips on sandbox interfaces."""
    ifaces = res.get("interfaces") or []
    out = []
    for ip in res.get("ips") or []:
        idx = ip.get("interface")
        if idx is None or idx >= len(ifaces) or not ifaces[idx].get("sandbox"):
            continue
        out.append((ifaces[idx]["name"], ipaddress.ip_interface(ip["address"])))
    return out


def read_expect(path):
    lines = []
    if not path:
        return lines
    with open(path) as f:
        for raw in f:
            raw = raw.split("#", 1)[0].strip()
            if raw:
                name, cidr = raw.split()
                lines.append((name, ipaddress.ip_network(cidr)))
    return lines


def check_present(netns, res_path, expect_path):
    links = ns_addrs(netns)
    problems, checked = [], 0
    for name, addr in result_container_addrs(load_result(res_path)):
        checked += 1
        if addr not in links.get(name, []):
            problems.append(f"result address {addr} not on {name} in {netns}")
    for name, net in read_expect(expect_path):
        checked += 1
        if name not in links:
            problems.append(f"expected interface {name} missing in {netns}")
        elif not any(a.ip in net for a in links[name]):
            problems.append(f"{name} in {netns} has no address in {net}: "
                            f"{[str(a) for a in links[name]]}")
    if checked == 0:
        problems.append("nothing to check: no container address in the "
                        "result and no expectation file")
    return problems


def is_bridge(name):
    return os.path.isdir(f"/sys/class/net/{name}/bridge")


def check_gone(netns, res_path):
    problems = []
    left = [n for n in ns_addrs(netns) if n != "lo"]
    if left:
        problems.append(f"interfaces left in {netns}: {left}")
    for iface in load_result(res_path).get("interfaces") or []:
        name = iface["name"]
        if iface.get("sandbox") or not os.path.exists(f"/sys/class/net/{name}"):
            continue
        if not is_bridge(name):
            problems.append(f"host interface {name} still exists")
        elif os.listdir(f"/sys/class/net/{name}/brif"):
            ports = os.listdir(f"/sys/class/net/{name}/brif")
            problems.append(f"bridge {name} still has ports {ports}")
    return problems


def main(argv):
    if len(argv) >= 4 and argv[1] == "present":
        problems = check_present(argv[2], argv[3], argv[4] if len(argv) > 4 else None)
    elif len(argv) == 4 and argv[1] == "gone":
        problems = check_gone(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "ips":
        for ip in load_result(argv[2]).get("ips") or []:
            print(ip["address"])
        return 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
