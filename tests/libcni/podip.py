#!/usr/bin/env python3
"""The pod IP each CRI runtime reports for a CNI result, held against the
addresses the kernel has on the pod's eth0.

  podip.py containerd NETNS REPORT.json CIDR[,CIDR...]
      REPORT is gocni-driver's setup output (containerd's pick). Holds:
      the pod IP is on eth0 in NETNS and inside one of the CIDRs (the
      cluster network's subnets); every additional IP is on eth0 too;
      every address go-cni filed under another interface name is not on
      eth0. Prints the pod IP and the additional IPs, one a line.
  podip.py crio NETNS RESULT.json CIDR[,CIDR...]
      RESULT is the result libcni cached at ADD (what CRI-O's ocicni
      reads back). CRI-O's pod IPs are every address of the result, in
      its order (server/sandbox_network.go networkStart). Holds: the
      first, CRI-O's pod IP, is on eth0 in NETNS and inside a CIDR.
      Prints CRI-O's list, one a line.
  podip.py kubelet 4|6 IP...
      Prints status.podIPs as the kubelet builds it from a runtime's pod
      IP and additional IPs (pkg/kubelet/kubelet_pods.go sortPodIPs):
      the first address of the node's family, then the first of the
      other family. The first line is status.podIP.

Exit 0 when the check holds; otherwise one line per problem on stderr
and exit 1.
"""
import ipaddress
import json
import subprocess
import sys


def eth0_addrs(netns):
    out = subprocess.run(["ip", "-j", "-n", netns, "addr", "show", "dev", "eth0"],
                         check=True, capture_output=True, text=True).stdout
    return {ipaddress.ip_address(a["local"])
            for link in json.loads(out or "[]")
            for a in link.get("addr_info", [])}


def in_cidrs(ip, cidrs):
    return any(ip in ipaddress.ip_network(c, strict=False) for c in cidrs)


def check_pod_ip(what, ip, on_eth0, cidrs, problems):
    a = ipaddress.ip_address(ip)
    if a not in on_eth0:
        problems.append(f"{what} {ip} is not on eth0 (eth0 has "
                        f"{sorted(map(str, on_eth0))})")
    if not in_cidrs(a, cidrs):
        problems.append(f"{what} {ip} is outside the cluster network "
                        f"({','.join(cidrs)})")


def containerd(netns, report_file, cidrs):
    rep = json.load(open(report_file))
    on_eth0 = eth0_addrs(netns)
    problems = []
    check_pod_ip("containerd's pod IP", rep["podIP"], on_eth0, cidrs,
                 problems)
    for ip in rep["additionalIPs"]:
        if ipaddress.ip_address(ip) not in on_eth0:
            problems.append(f"containerd's additional IP {ip} is not on eth0")
    for name, ips in rep["interfaces"].items():
        if name == "eth0":
            continue
        for ip in ips:
            if ipaddress.ip_address(ip) in on_eth0:
                problems.append(f"{ip} is on eth0 but go-cni filed it "
                                f"under {name}")
    print("\n".join([rep["podIP"]] + rep["additionalIPs"]))
    return problems


def crio(netns, result_file, cidrs):
    res = json.load(open(result_file))["result"]
    ips = [i["address"].split("/")[0] for i in res.get("ips", [])]
    if not ips:
        return ["the cached result has no address"]
    problems = []
    check_pod_ip("CRI-O's pod IP (the result's first address)", ips[0],
                 eth0_addrs(netns), cidrs, problems)
    print("\n".join(ips))
    return problems


def kubelet(family, ips):
    fam = {"4": 4, "6": 6}[family]
    first = [ip for ip in ips if ipaddress.ip_address(ip).version == fam][:1]
    other = [ip for ip in ips if ipaddress.ip_address(ip).version != fam][:1]
    print("\n".join(first + other))
    return []


def main(argv):
    if len(argv) >= 4 and argv[0] in ("containerd", "crio"):
        fn = containerd if argv[0] == "containerd" else crio
        problems = fn(argv[1], argv[2], argv[3].split(","))
    elif len(argv) >= 2 and argv[0] == "kubelet":
        problems = kubelet(argv[1], argv[2:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
