#!/usr/bin/python3
# Observable state of one side of a differential case, as sorted
# "path=value" lines (the sides: tests/differential/lib.sh):
#   state.py add HOSTNS PODNS IFNAME RESULT [BRIDGE] [MAC]
#       the pod's link, addresses, routes (every table), sysctls; the
#       host's bridge, its ports, forwarding, masquerade and spoof rules;
#       the CNI result (host-side names and random MACs normalised)
#   state.py left HOSTNS PODNS LEASEDIR...
#       what is left after DEL
import glob
import json
import os
import re
import subprocess
import sys


def run(*a):
    return subprocess.run(list(a), capture_output=True, text=True).stdout


def ip(ns, *a):
    return json.loads(run("ip", "-n", ns, "-j", *a) or "[]")


def sysctl(ns, key):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/proc/sys/" + key],
                         capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "absent"


def mac_class(mac, configured, known):
    if not mac:
        return "none"
    mac = mac.lower()
    if configured and mac == configured.lower():
        return "configured"
    for name, m in known.items():
        if m and mac == m.lower():
            return name
    return "random-local" if int(mac.split(":")[0], 16) & 2 else "random-global"


DROP_FLAGS = {"LOWER_UP", "NO-CARRIER", "M-DOWN"}


def link_lines(prefix, l, configured=None, known=None):
    li = l.get("linkinfo", {})
    data = li.get("info_data", {})
    out = ["%s.mtu=%s" % (prefix, l.get("mtu")),
           "%s.kind=%s" % (prefix, li.get("info_kind")),
           "%s.flags=%s" % (prefix, ",".join(sorted(set(l.get("flags", [])) - DROP_FLAGS))),
           "%s.promisc=%s" % (prefix, l.get("promiscuity", 0) > 0),
           "%s.mac=%s" % (prefix, mac_class(l.get("address"), configured, known or {}))]
    if li.get("info_kind") in ("macvlan", "ipvlan"):
        out.append("%s.mode=%s" % (prefix, data.get("mode")))
    if li.get("info_kind") == "bridge":
        for k in ("stp_state", "vlan_filtering", "mcast_snooping"):
            out.append("%s.%s=%s" % (prefix, k, data.get(k)))
    sd = li.get("info_slave_data")
    if sd and li.get("info_slave_kind") == "bridge":
        for k in ("hairpin", "learning", "isolated", "flood", "mcast_flood",
                  "neigh_suppress", "proxy_arp", "guard", "state"):
            out.append("%s.port.%s=%s" % (prefix, k, sd.get(k)))
    return out


def addr_lines(prefix, ns, dev, dad_timing=False):
    """dad_timing: leave "tentative" out (a bridge's own IPv6 address goes
    through DAD whenever the bridge regains carrier; when that is over
    is the kernel's timing, not the plugin's doing)."""
    out = []
    for l in ip(ns, "addr", "show", "dev", dev):
        for a in l.get("addr_info", []):
            if a["local"].startswith("fe80:"):
                continue
            flags = sorted(k for k in ("nodad", "noprefixroute", "deprecated",
                                       "tentative", "dadfailed", "home")
                           if a.get(k) and not (dad_timing and k == "tentative"))
            out.append("%s.addr=%s/%s brd=%s scope=%s flags=%s" % (
                prefix, a["local"], a["prefixlen"], a.get("broadcast"),
                a.get("scope"), ",".join(flags)))
    return out


def route_lines(prefix, ns):
    out = []
    for fam in ("-4", "-6"):
        for r in ip(ns, fam, "route", "show", "table", "all"):
            table = r.get("table", "main")
            dst = str(r.get("dst"))
            if table == "local" or dst.startswith(("fe80:", "ff00:")) or \
                    r.get("type") in ("multicast", "anycast", "local", "broadcast"):
                continue
            nh = r.get("nexthops") or [r]
            for h in nh:
                out.append("%s.route=%s table=%s via=%s dev=%s metric=%s scope=%s proto=%s src=%s flags=%s" % (
                    prefix, dst, table, h.get("gateway"), h.get("dev"),
                    r.get("metric"), r.get("scope"), r.get("protocol"),
                    r.get("prefsrc"),
                    ",".join(sorted(set(h.get("flags", [])) - {"linkdown"}))))
    return out


POD_SYSCTLS = ("net/ipv4/conf/{}/arp_notify", "net/ipv4/conf/{}/forwarding",
               "net/ipv6/conf/{}/accept_dad", "net/ipv6/conf/{}/disable_ipv6",
               "net/ipv6/conf/{}/accept_ra")


def masq_lines(ns):
    """Masquerade rules as (source, destinations kept) of iptables (the
    reference) or nftables (ours), in one normal form."""
    out = []
    save = run("ip", "netns", "exec", ns, "iptables-save", "-t", "nat") + \
        run("ip", "netns", "exec", ns, "ip6tables-save", "-t", "nat")
    chains = {}
    for line in save.splitlines():
        m = re.match(r"-A (\S+) (.*)", line)
        if m:
            chains.setdefault(m.group(1), []).append(m.group(2))
    for rule in chains.get("POSTROUTING", []):
        m = re.search(r"-s (\S+) .*-j (CNI-\S+)", rule)
        if not m:
            continue
        keep = []
        masq = False
        for r in chains.get(m.group(2), []):
            d = re.search(r"-d (\S+) .*-j ACCEPT", r)
            if d:
                keep.append(d.group(1))
            d = re.search(r"! -d (\S+) .*-j MASQUERADE", r)
            if d:
                keep.append(d.group(1))
                masq = True
        if masq:
            out.append("host.masq=%s except %s" % (m.group(1).replace("/32", "").replace("/128", ""),
                                                   ",".join(sorted(keep))))
    nft = run("ip", "netns", "exec", ns, "nft", "list", "ruleset")
    for line in nft.splitlines():
        if "masquerade" not in line or "saddr" not in line:
            continue
        src = re.search(r"saddr (\S+)", line).group(1)
        keep = re.findall(r"daddr != (\S+)", line)
        out.append("host.masq=%s except %s" % (src, ",".join(sorted(keep))))
    return out


def spoof_lines(ns, podmac):
    nft = run("ip", "netns", "exec", ns, "nft", "list", "ruleset")
    if podmac and podmac.lower() in nft.lower() and "drop" in nft:
        return ["host.macspoofchk=drops frames not from the pod's MAC"]
    return []


def result_lines(path, podns, ifname, known):
    try:
        r = json.load(open(path))
    except (OSError, ValueError):
        return ["result=unreadable"]
    out = []
    names = []
    for f in r.get("interfaces", []):
        name = f.get("name")
        if f.get("sandbox"):
            sb = "pod" if f["sandbox"] == "/var/run/netns/" + podns else f["sandbox"]
        else:
            sb = ""
            if name and name.startswith("veth"):
                name = "vethX"
        names.append(name)
        line = "result.interface=%s mac=%s sandbox=%s" % (
            name, mac_class(f.get("mac"), None, known), sb)
        for k in ("mtu", "socketPath", "pciID"):
            if k in f:
                line += " %s=%s" % (k, f[k])
        out.append(line)
    for i in r.get("ips", []):
        idx = i.get("interface")
        out.append("result.ip=%s gw=%s iface=%s%s" % (
            i.get("address"), i.get("gateway"),
            names[idx] if idx is not None and idx < len(names) else idx,
            " version=%s" % i["version"] if "version" in i else ""))
    for rt in r.get("routes", []) or []:
        out.append("result.route=" + " ".join("%s=%s" % (k, rt[k]) for k in sorted(rt)))
    dns = r.get("dns") or {}
    for k in sorted(dns):
        if dns[k]:
            out.append("result.dns.%s=%s" % (k, dns[k]))
    out.append("result.keys=%s" % ",".join(sorted(k for k in r if k != "cniVersion")))
    return out


def add(host, pod, ifname, result, bridge=None, mac=None):
    lines = []
    pl = ip(pod, "-d", "link", "show", "dev", ifname)
    podmac = pl[0].get("address") if pl else None
    known = {"pod": podmac}
    if bridge:
        bl = ip(host, "-d", "link", "show", "dev", bridge)
        if bl:
            known["bridge"] = bl[0].get("address")
    if pl:
        lines += link_lines("pod.link", pl[0], mac, {"bridge": known.get("bridge")})
    else:
        lines.append("pod.link=missing")
    lines += addr_lines("pod", pod, ifname)
    lines += route_lines("pod", pod)
    for k in POD_SYSCTLS:
        lines.append("pod.sysctl.%s=%s" % (k.format("IF"), sysctl(pod, k.format(ifname))))
    if bridge:
        bl = ip(host, "-d", "link", "show", "dev", bridge)
        if bl:
            ports = ip(host, "-d", "link", "show", "master", bridge)
            pmacs = {p.get("address") for p in ports}
            lines += link_lines("host.bridge", bl[0], None,
                                {"port": next(iter(pmacs)) if len(pmacs) == 1 else None})
            lines += addr_lines("host.bridge", host, bridge, True)
            for k in ("accept_dad", "accept_ra", "disable_ipv6"):
                lines.append("host.bridge.sysctl.%s=%s" % (k, sysctl(
                    host, "net/ipv6/conf/%s/%s" % (bridge, k))))
            lines.append("host.bridge.ports=%d" % len(ports))
            for p in ports:
                lines += link_lines("host.port", p)
                lines.append("host.port.sysctl.accept_dad=%s" % sysctl(
                    host, "net/ipv6/conf/%s/accept_dad" % p["ifname"]))
        else:
            lines.append("host.bridge=missing")
    for k in ("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding"):
        lines.append("host.sysctl.%s=%s" % (k, sysctl(host, k)))
    lines += masq_lines(host)
    lines += spoof_lines(host, podmac)
    lines += result_lines(result, pod, ifname, known)
    return lines


def left(host, pod, *dirs):
    lines = []
    for l in ip(pod, "-d", "link", "show"):
        if l["ifname"] != "lo":
            lines.append("left.pod.link=%s" % l["ifname"])
    for l in ip(host, "-d", "link", "show"):
        kind = l.get("linkinfo", {}).get("info_kind")
        name = l["ifname"]
        if name == "lo" or name.startswith("pxup"):
            continue
        if kind == "veth":
            name = "vethX"
        lines.append("left.host.link=%s kind=%s" % (name, kind))
        if kind == "bridge":
            lines += [x.replace("host.bridge", "left.host.bridge")
                      for x in addr_lines("host.bridge", host, l["ifname"], True)]
    lines += [x.replace("host.", "left.host.") for x in masq_lines(host)]
    nft = run("ip", "netns", "exec", host, "nft", "list", "tables")
    for t in nft.splitlines():
        if t.strip() and not re.match(r"table ip6? (nat|filter|mangle)$", t.strip()):
            lines.append("left.host.nft=" + t.strip())
    for d in dirs:
        n = 0
        for f in glob.glob(d + "/**", recursive=True):
            b = os.path.basename(f)
            if os.path.isfile(f) and not b.startswith(("last_reserved_ip", "lock", ".")):
                try:
                    body = open(f).read()
                except OSError:
                    continue
                if "/b/" in f and '"cid"' not in body and \
                        not re.search(r'"slots":"\.*[A-Za-z0-9_-]', body):
                    continue  # a plexus-ipam block with no allocation
                if "/a/" in f:
                    continue  # a block's records: counted with the block
                if "/n/" in f or "/i/" in f or "/.locks" in f:
                    continue  # a node's references, locks
                if "/f/" in f or b in ("fi", "fc"):
                    continue  # the free-block index and its marks
                n += 1
        lines.append("left.leases=%d" % n)
    return lines


def v6_tokens(result):
    """The result's IPv6 addresses, to be named by position: plexus-ipam
    picks IPv6 addresses at random inside its block, host-local the next
    one; which address is an allocation-order matter (docs/ipam.md), not
    a difference in the pod."""
    try:
        ips = json.load(open(result)).get("ips", [])
    except (OSError, ValueError, AttributeError):
        return {}
    out = {}
    for i in ips:
        a = i.get("address", "").split("/")[0]
        if ":" in a:
            out[a] = "ADDR6_%d" % len(out)
    return out


def tokenise(lines, tokens):
    if not tokens:
        return lines
    pat = re.compile(r"(?<![0-9a-f:])(" + "|".join(re.escape(a) for a in tokens) + r")(?![0-9a-f:])")
    return [pat.sub(lambda m: tokens[m.group(1)], x) for x in lines]


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "add":
        a = sys.argv[2:] + [None] * (7 - len(sys.argv[2:]))
        lines = tokenise(add(*a[:6]), v6_tokens(a[3]))
    else:
        lines = left(*sys.argv[2:])
    print("\n".join(sorted(set(lines))))
