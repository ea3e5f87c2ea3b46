#!/usr/bin/env python3
"""Soak: many ADD/DEL cycles over several pods at once, with a delegate that
fails at random and plexus killed with SIGKILL at random moments of its
run (up to the median time the verb took so far), then DEL and GC of
everything. Real kernel objects: each pod's networks are a
reference bridge (host-local) and a macvlan (host-local) plus the test
plugin (fails 1 ADD in failPercent). Afterwards there must be no link in
any pod, no address held by host-local, no attachment held by the test
plugin, and no cache record; at no time may two live pods hold one address.
With --native, plexus-ipam's pools (plexusctl ipam ls, on the soak's
store) must hold nothing of the soak's already after the DELs, before the
final GC (with the store going down: nothing that no cache record kept
for GC names).

Prints the counts and a TAP line per check. Exit 1 when a check fails.
  soak.py --cycles N --pods P --kill-percent K --bindir build/bin [--native | --exec] [--parallel]

--parallel: the node's parallelAttach is true, so every ADD attaches the
three networks at once (a forked process each; a killed plexus leaves
them running, and the DEL after it waits for them on the container lock);
its netns and links are named pasoak-*.

--large-pool (with --native): the storage network's pool is 10.242.0.0/19
in /26 blocks (128 blocks, 8189 addresses), seeded first with
tests/ipamseed/seed.c (build/bin/tests/plexus-ipam-seed) full: every block
owned by one of 16 other node names (node-00 ..), every address held.
Then --free N (default 6) seeded allocations, each in another block, are
DELeted as their node, so the only free addresses are N scattered in
other nodes' blocks: every ADD of the soak's node borrows through the
free-block index (<pool>/f/..), and the pool's first borrow walks the
claimed blocks and sets <pool>/fc. Checks besides the others: the seeded
records (plexusctl ipam ls -o json) are all still there, unchanged, in
blocks of unchanged owners; no soak pod ever got a seeded address; the
pool holds nothing of the soak's after DEL+GC; with N >= pods no ADD
failed with code 120 (pool exhausted), with N < pods some did. Its netns
and links are named lpsoak-*.

--store etcd (with --native): plexus-ipam's store is Debian's etcd, run in
the host netns (where plexus runs) on free ports of its loopback with a
data dir in the soak's temp dir (as tests/lib-etcd.sh does), timeoutMs
1000. A thread stops it every 1.5-3 s for 0.5-1.5 s, by SIGSTOP (requests
time out) or by SIGKILL and a restart (refused), so ADDs and DELs fail
with code 11 mid-run; the runtime's DEL retries back off (50 ms more each
time). plexus runs with retryDeleteOnError true, so a DEL fails until
etcd is back and every check stays as it is; --retry-delete 0 keeps it
false: a DEL failing twice answers 0 and keeps its record for GC, so the
allocations left after the DELs must each be named by such a record, and
(--large-pool) code 120 is not checked: those records hold the few free
addresses until GC. Besides the others: some ADDs failed with code 11.
--store-down 0: etcd stays up. Combines with --large-pool.
"""
import argparse, json, os, re, random, shutil, signal, subprocess, sys, tempfile, threading, time

REF = "/usr/lib/cni"


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def free_port():
    import socket
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


class Soak:
    def __init__(self, a):
        self.a = a
        self.top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        self.bindir = os.path.join(self.top, a.bindir)
        self.tp = os.path.join(os.path.dirname(self.bindir), "bin", "tests")
        self.tmp = tempfile.mkdtemp(prefix="plexus-soak.")
        if a.store == "etcd":
            self.etcd_url = f"http://127.0.0.1:{free_port()}"
            self.etcd_peer = f"http://127.0.0.1:{free_port()}"
            self.etcd = None
            self.outages = dict(stopped=0, killed=0)
            self.store = {"store": {"type": "etcd", "endpoints": [self.etcd_url],
                                    "prefix": "/soak/", "timeoutMs": 1000,
                                    "lockDir": f"{self.tmp}/locks"}}
        else:
            self.store = {"store": {"type": "file", "path": f"{self.tmp}/pstore"}}
        pre = "pasoak" if a.parallel else "lpsoak" if a.large_pool else "plxsoak"
        self.host = f"{pre}-h{os.getpid()}"
        self.pods = [f"{pre}-p{os.getpid()}-{i}" for i in range(a.pods)]
        self.bridge, self.up, self.pe = pre + "0", pre + "-up", pre + "-pe"
        self.lock = threading.Lock()
        self.live = {}  # pod -> set of addresses
        self.c = dict(cycles=0, add_ok=0, add_failed=0, killed_add=0, killed_del=0,
                      del_retries=0, duplicates=0, seeded_hits=0)
        self.dups = []
        self.codes = {}  # CNI error code of a failed ADD -> count
        self.msgs = {}  # code -> the first such failure's answer
        self.seeded = {}  # address -> (block, owner, holder) of the seed
        self.hits = []
        self.borrowed = set()  # large pool addresses the soak's ADDs got
        self.took = {"ADD": [], "DEL": []}  # seconds of the verb's unkilled runs

    def kill_moment(self, cmd, cap):
        # a random moment inside the verb's run: up to the median time an
        # unkilled run of it took so far (cap before any), so that a kill
        # lands while plexus runs however fast this machine runs it (a
        # fixed window let in-process ADDs finish before most kills: CI saw
        # 0 of ~16 ADD kills land)
        with self.lock:
            t = sorted(self.took[cmd])
        return random.uniform(0, min(cap, t[len(t) // 2]) if t else cap)

    LARGE = "10.242.0.0/19"
    SEED_NODES = 16

    def node_env(self):
        """plexus-ipam's node settings as plexus passes them, for the
        seed and plexusctl."""
        env = dict(os.environ)
        env["PLEXUS_IPAM_NODE_CONFIG"] = json.dumps(self.store)
        return env

    def ipam(self, n, subnet):
        if self.a.native and not self.a.exec:
            if subnet == self.LARGE:
                return {"type": "plexus-ipam", "range": subnet, "blockSize": 26}
            return {"type": "plexus-ipam", "range": subnet}
        return {"type": "host-local", "dataDir": f"{self.tmp}/ipam",
                "ranges": [[{"subnet": subnet}]]}

    def storage_subnet(self):
        return self.LARGE if self.a.large_pool else "10.241.0.0/24"

    def conf(self):
        ipam = self.ipam
        kind = "plexus-" if self.a.native or self.a.exec else ""
        c = {"cniVersion": "1.0.0", "name": "soak", "type": "plexus",
             "cniDir": f"{self.tmp}/cache",
             # the store is a node setting, handed to plexus-ipam by plexus
             "ipamNodeConfig": self.store,
             "delegates": [
                 {"cniVersion": "1.0.0", "name": "cluster", "type": kind + "bridge",
                  "bridge": self.bridge, "isGateway": True, "ipam": ipam("c", "10.240.0.0/24")},
                 {"cniVersion": "1.0.0", "name": "storage", "type": kind + "macvlan",
                  "master": self.up, "mode": "bridge", "ipam": ipam("s", self.storage_subnet())},
                 {"cniVersion": "1.0.0", "name": "flaky", "type": "plexus-testplugin",
                  "stateDir": f"{self.tmp}/state", "failPercent": self.a.fail_percent}]}
        if self.a.parallel:
            c["parallelAttach"] = True
        if self.a.retry_delete:
            c["retryDeleteOnError"] = True
        p = f"{self.tmp}/soak.conf"
        with open(p, "w") as f:
            json.dump(c, f)
        return p

    def in_host(self, argv):
        """argv run in the host netns (where plexus runs: etcd listens on
        its loopback)."""
        return ["ip", "netns", "exec", self.host] + argv

    def etcd_start(self):
        log = open(f"{self.tmp}/etcd.log", "a")
        self.etcd = subprocess.Popen(self.in_host(
            ["etcd", "--name", "bgsoak", "--data-dir", f"{self.tmp}/etcd",
             "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
             "--listen-peer-urls", self.etcd_peer, "--initial-advertise-peer-urls", self.etcd_peer,
             "--initial-cluster", f"bgsoak={self.etcd_peer}"]),
            stdout=log, stderr=log)  # `ip netns exec` execs: this is etcd
        for _ in range(100):
            if subprocess.run(self.in_host(["curl", "-sf", "-X", "POST", f"{self.etcd_url}/v3/kv/range",
                                            "-d", '{"key":"AA=="}']),
                              capture_output=True).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("etcd did not start")

    def etcd_stop(self):
        if self.etcd and self.etcd.poll() is None:
            self.etcd.send_signal(signal.SIGCONT)
            self.etcd.kill()
            self.etcd.wait()

    def store_down(self, stop):
        """Stop etcd now and then until stop is set: SIGSTOP or SIGKILL."""
        while not stop.wait(random.uniform(1.5, 3)):
            down = random.uniform(0.5, 1.5)
            if random.random() < 0.5:
                self.outages["stopped"] += 1
                self.etcd.send_signal(signal.SIGSTOP)
                time.sleep(down)
                self.etcd.send_signal(signal.SIGCONT)
            else:
                self.outages["killed"] += 1
                self.etcd.kill()
                self.etcd.wait()
                time.sleep(down)
                self.etcd_start()

    def setup(self):
        sh("ip", "netns", "add", self.host)
        sh("ip", "-n", self.host, "link", "set", "lo", "up")
        if self.a.store == "etcd":
            self.etcd_start()
        sh("ip", "-n", self.host, "link", "add", self.up, "type", "veth", "peer", "name", self.pe)
        sh("ip", "-n", self.host, "link", "set", self.up, "up")
        sh("ip", "-n", self.host, "link", "set", self.pe, "up")
        for p in self.pods:
            sh("ip", "netns", "add", p)
        os.makedirs(f"{self.tmp}/state")
        self.path = self.conf()
        if self.a.large_pool:
            self.seed()

    def pool_conf(self, name, subnet):
        p = f"{self.tmp}/ipam-{name}.json"
        with open(p, "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": "storage" if name == "s" else "cluster",
                       "type": "macvlan", "ipam": self.ipam(name, subnet)}, f)
        return p

    def pool_json(self, name, subnet):
        r = subprocess.run(self.in_host([f"{self.bindir}/plexusctl", "ipam", "ls", "-o", "json",
                                         "--config", self.pool_conf(name, subnet)]),
                           env=self.node_env(), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"plexusctl ipam ls: {r.stderr.strip()}")
        return json.loads(r.stdout)["pools"][0]

    @staticmethod
    def records(pool):
        """address -> (block, block owner, holder) of every allocation."""
        out = {}
        for b in pool["blocks"]:
            for a in b["addresses"]:
                if a["holder"] is not None:
                    out[a["address"]] = (b["block"], b["node"], a["holder"])
        return out

    def seed(self):
        """Fill the large pool with other nodes' blocks, then free
        --free addresses, one in each of that many blocks, by DEL as their
        node."""
        t0 = time.time()
        conf = self.pool_conf("s", self.LARGE)
        # 2^13 addresses but the network, the broadcast and the gateway
        r = subprocess.run(self.in_host([f"{self.tp}/plexus-ipam-seed", conf,
                                         str(self.SEED_NODES), "8189"]),
                           env=self.node_env(), capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"plexus-ipam-seed: {r.stderr.strip()}")
        seeded = self.records(self.pool_json("s", self.LARGE))
        blocks = {}
        for addr, (blk, owner, h) in seeded.items():
            blocks.setdefault(blk, []).append(addr)
        rnd = random.Random(self.a.seed)
        freed = []
        for blk in rnd.sample(sorted(blocks), self.a.free):
            addr = rnd.choice(blocks[blk])
            h = seeded[addr][2]
            env = self.node_env()
            env.update(CNI_COMMAND="DEL", CNI_CONTAINERID=h["container"],
                       CNI_NETNS="/var/run/netns/none", CNI_IFNAME=h["interface"],
                       CNI_PATH=self.bindir, NODE_NAME=h["node"],
                       CNI_ARGS=f"K8S_POD_NAMESPACE={h['namespace']};K8S_POD_NAME={h['pod']};K8S_POD_UID={h['uid']}")
            with open(conf) as stdin:
                d = subprocess.run(self.in_host([f"{self.bindir}/plexus-ipam"]), env=env, stdin=stdin,
                                   capture_output=True, text=True)
            if d.returncode != 0:
                raise RuntimeError(f"DEL of seeded {addr}: {d.stdout}{d.stderr}")
            freed.append(addr)
            del seeded[addr]
        self.seeded = seeded
        self.seed_blocks = {b: o for b, o, _ in seeded.values()}
        self.freed = freed
        print(f"# soak: seeded {self.LARGE} (/26 blocks) over {self.SEED_NODES} nodes: "
              f"{len(seeded)} allocations held, {len(freed)} free ({', '.join(freed)}) "
              f"in {time.time()-t0:.1f} s ({r.stdout.strip()})")

    def cleanup(self):
        if self.a.store == "etcd":
            self.etcd_stop()
        for n in self.pods + [self.host]:
            sh("ip", "netns", "del", n, check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def plexus(self, cmd, pod, cid, kill_after=None, extra=None):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CNI_COMMAND": cmd,
               "CNI_CONTAINERID": cid, "CNI_NETNS": f"/var/run/netns/{pod}", "CNI_IFNAME": "eth0",
               "CNI_PATH": f"{self.bindir}:{self.tp}:{REF}",
               "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=soak;K8S_POD_NAME={pod}"}
        if self.a.exec:
            env["PLEXUS_EXEC_ALWAYS"] = "1"
        start = time.monotonic()
        with open(extra or self.path) as stdin:
            p = subprocess.Popen(["ip", "netns", "exec", self.host, f"{self.bindir}/plexus"],
                                 env=env, stdin=stdin, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
            if kill_after is not None:
                time.sleep(kill_after)
                p.send_signal(signal.SIGKILL)  # `ip netns exec` execs: this is plexus
            out, _ = p.communicate()
        if p.returncode != -9 and cmd in self.took:
            with self.lock:
                self.took[cmd].append(time.monotonic() - start)
        return p.returncode, out

    def check_unique(self, pod, res):
        # the test plugin reports one fixed address: only host-local's count
        addrs = {ip["address"].split("/")[0] for ip in res.get("ips", [])
                 if not ip["address"].startswith("10.99.")}
        with self.lock:
            for other, held in self.live.items():
                if other != pod and held & addrs:
                    self.c["duplicates"] += 1
                    self.dups.append((pod, other, sorted(held & addrs)))
            self.live[pod] = addrs
            self.borrowed |= {x for x in addrs if x.startswith("10.242.")}
            bad = addrs & self.seeded.keys()
            if bad:
                self.c["seeded_hits"] += 1
                self.hits.append((pod, sorted(bad)))

    def cycle(self, pod, n):
        cid = f"{pod}-{n}"
        kill = random.random() * 100 < self.a.kill_percent
        rc, out = self.plexus("ADD", pod, cid, self.kill_moment("ADD", 0.06) if kill else None)
        with self.lock:
            self.c["cycles"] += 1
            if rc == -9:
                self.c["killed_add"] += 1
            elif rc == 0:
                self.c["add_ok"] += 1
            else:
                self.c["add_failed"] += 1
                try:
                    code = json.loads(out).get("code")
                except ValueError:
                    code = None
                self.codes[code] = self.codes.get(code, 0) + 1
                self.msgs.setdefault(code, out.strip()[:300])
        if rc == 0:
            self.check_unique(pod, json.loads(out))
        # the runtime deletes, retrying until DEL succeeds; from the moment
        # DEL starts the pod's addresses may be released (and handed out
        # again), so the pod stops counting as their holder now
        with self.lock:
            self.live.pop(pod, None)
        for attempt in range(20):
            kill = attempt == 0 and random.random() * 100 < self.a.kill_percent
            rc, _ = self.plexus("DEL", pod, cid, self.kill_moment("DEL", 0.03) if kill else None)
            with self.lock:
                if rc == -9:
                    self.c["killed_del"] += 1
                elif rc != 0:
                    self.c["del_retries"] += 1
            if rc == 0:
                return
            if rc != -9:
                time.sleep(0.05 * attempt)  # the runtime backs off
        raise RuntimeError(f"DEL of {cid} never succeeded")

    def worker(self, pod, cycles, errors):
        try:
            for n in range(cycles):
                self.cycle(pod, n)
        except Exception as e:  # reported as a failed check
            errors.append(f"{pod}: {e}")

    def final_gc(self):
        with open(self.path) as f:
            c = json.load(f)
        c["cniVersion"] = "1.1.0"
        c["cni.dev/valid-attachments"] = []
        p = f"{self.tmp}/gc.conf"
        with open(p, "w") as f:
            json.dump(c, f)
        return self.plexus("GC", self.pods[0], "", extra=p)[0]

    def label(self):
        par = ", parallel ADD" if self.a.parallel else ""
        if self.a.exec:
            return "native delegate binaries exec'ed + host-local" + par
        if self.a.native:
            big = f", large pool ({self.a.free} free)" if self.a.large_pool else ""
            if self.a.store == "etcd":
                big += ", etcd store" + (" going down" if self.a.store_down else "") + \
                    (", retryDeleteOnError" if self.a.retry_delete else "")
            return "native delegates + plexus-ipam in-process" + par + big
        return "reference plugins + host-local" + par

    def leftovers(self):
        links = 0
        self.stray = []
        for p in self.pods:
            out = sh("ip", "-n", p, "-o", "link", "show").stdout
            for l in out.splitlines():
                if ": lo:" not in l:
                    links += 1
                    self.stray.append(f"{p}: {l.split(':')[1].strip()}")
        addrs = sum(1 for d, _, fs in os.walk(f"{self.tmp}/ipam") for f in fs
                    if f[0].isdigit())
        if self.a.native and not self.a.exec:
            addrs += self.ipam_allocations()
        held = len(os.listdir(f"{self.tmp}/state"))
        # records only: DEL's tombstones (<cid>_<if>.gone) stay by design
        cache = len(self.cache_records())
        return links, addrs, held, cache

    def cache_records(self):
        return sorted(f for f in os.listdir(f"{self.tmp}/cache") if not f.endswith(".gone")) \
            if os.path.isdir(f"{self.tmp}/cache") else []

    def ipam_allocations(self):
        """Allocations plexus-ipam still records, as plexusctl ipam ls counts
        them, over both pools (in the large pool: beside the seeded ones)."""
        n = 0
        for name, subnet in (("c", "10.240.0.0/24"), ("s", self.storage_subnet())):
            p = self.pool_conf(name, subnet)
            out = subprocess.run(self.in_host([f"{self.bindir}/plexusctl", "ipam", "ls", "--config", p]),
                                 env=self.node_env(), capture_output=True, text=True).stdout
            if name == "s" and self.a.large_pool:
                n -= len(self.seeded)
            found = False
            for line in out.splitlines():
                m = re.match(r"pool .* allocations (\d+)$", line)
                if m:
                    n += int(m.group(1))
                    found = True
            if not found:  # no summary line: count it as a leak, loudly
                print(f"#   plexusctl ipam ls gave no pool line: {out!r}")
                n += 1
        return n

    def run(self):
        per_pod = max(1, self.a.cycles // len(self.pods))
        errors, threads = [], []
        t0 = time.time()
        stop = threading.Event()
        if self.a.store == "etcd" and self.a.store_down:
            chaos = threading.Thread(target=self.store_down, args=(stop,))
            chaos.start()
        for p in self.pods:
            t = threading.Thread(target=self.worker, args=(p, per_pod, errors))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        stop.set()
        if self.a.store == "etcd" and self.a.store_down:
            chaos.join()
        # every DEL converged: what plexus-ipam still holds now was leaked
        # by a DEL that answered 0 (the GC below would hide it)
        pre_gc = self.ipam_allocations() if self.a.native and not self.a.exec else 0
        pre_cache = self.cache_records()
        # with the store down, a DEL that fails twice answers 0 and keeps
        # its record for GC (retryDeleteOnError false): what is left must
        # be named by such a record
        unrecorded, pre_large = [], []
        if pre_gc and self.a.native and not self.a.exec:
            kept = {f.rsplit("_", 1)[0] for f in pre_cache if f.endswith(".json")}
            for name, subnet in (("c", "10.240.0.0/24"), ("s", self.storage_subnet())):
                for addr, (_, _, h) in self.records(self.pool_json(name, subnet)).items():
                    if addr not in self.seeded and h["container"] not in kept:
                        unrecorded.append((addr, h["container"]))
                    if addr not in self.seeded and name == "s" and self.a.large_pool:
                        pre_large.append(addr)
        gc_rc = self.final_gc()
        links, addrs, held, cache = self.leftovers()
        c = self.c
        large = []
        if self.a.large_pool:
            after = self.records(self.pool_json("s", self.LARGE))
            changed = [(a, v, after.get(a)) for a, v in self.seeded.items() if after.get(a) != v]
            mine = sorted(set(after) - set(self.seeded))
            n120 = self.codes.get(120, 0)
            # a DEL answered 0 with its record kept for GC keeps its
            # address until the GC: then 120 is the expected answer
            strict = not self.a.store_down or self.a.retry_delete
            large = [("the seeded records are all there, unchanged, in blocks of the same owners",
                      not changed, changed[:3]),
                     ("no soak pod ever got a seeded address", c["seeded_hits"] == 0, self.hits[:3]),
                     ("the large pool holds nothing of the soak's", not mine, mine[:5]),
                     ] + ([] if not strict else [
                     (f"code 120 (pool exhausted) {'never' if self.a.free >= len(self.pods) else 'some'}"
                      f" with {self.a.free} free for {len(self.pods)} pods",
                      (n120 == 0) if self.a.free >= len(self.pods) else n120 > 0, self.codes)])
        if self.a.store == "etcd" and self.a.store_down:
            large.append(("some ADDs failed with code 11 while etcd was down",
                          self.codes.get(11, 0) > 0, self.codes))
        print(f"# soak ({self.label()}): {c['cycles']} cycles over {len(self.pods)} pods in {time.time()-t0:.1f} s: "
              f"ADD ok {c['add_ok']}, ADD failed {c['add_failed']}, plexus killed in ADD "
              f"{c['killed_add']} and in DEL {c['killed_del']}, DEL retries {c['del_retries']}")
        print(f"# soak: after DEL+GC: stray links {links}, addresses held {addrs}, "
              f"attachments held {held}, cache records {cache}, duplicates {c['duplicates']}")
        print(f"# soak: after the DELs, before GC: plexus-ipam allocations {pre_gc}, "
              f"cache records {len(pre_cache)}" +
              (f" (large pool: {len(pre_large)} of {self.a.free} free addresses)" if self.a.large_pool else ""))
        print(f"# soak: failed ADDs by code: {dict(sorted(self.codes.items(), key=str))}")
        for code, msg in sorted(self.msgs.items(), key=str):
            print(f"#   first {code}: {msg}")
        if self.a.store == "etcd":
            print(f"# soak: etcd store: stopped (SIGSTOP) {self.outages['stopped']} times, "
                  f"killed and restarted {self.outages['killed']} times")
        if self.a.large_pool:
            fc = os.path.exists(f"{self.tmp}/pstore/10.242.0.0_19/fc") \
                if self.a.store == "file" else "(not looked at in etcd)"
            print(f"# soak: large pool: addresses the soak's ADDs got {sorted(self.borrowed)}; "
                  f"seeded ones among them {c['seeded_hits']}; <pool>/fc set {fc}")
        checks = [("every cycle ran and every DEL converged", not errors, errors[:3]),
                  ("GC succeeded", gc_rc == 0, gc_rc),
                  ("every plexus-ipam allocation left after the DELs is in a cache record kept for GC",
                   not unrecorded, unrecorded[:6])] + ([] if self.a.store_down and not self.a.retry_delete else [
                  ("zero plexus-ipam allocations after the DELs, before GC", pre_gc == 0, pre_gc),
                  ("zero cache records after the DELs, before GC", not pre_cache, pre_cache[:6])]) + [
                  ("zero stray links in the pods", links == 0, self.stray),
                  ("zero addresses held by host-local", addrs == 0, addrs),
                  ("zero attachments held by the test plugin", held == 0, held),
                  ("zero cache records", cache == 0,
                   [f for f in os.listdir(f"{self.tmp}/cache") if not f.endswith(".gone")] if cache else 0),
                  ("zero duplicate addresses at any time", c["duplicates"] == 0, self.dups[:3]),
                  ("some ADDs were killed and some failed (the soak tested something)",
                   c["add_failed"] > 0 and (c["killed_add"] > 0 or self.a.kill_percent == 0), c)] + large
        ok = True
        for name, good, detail in checks:
            print(f"{'ok' if good else 'not ok'} - soak: {name}")
            if not good:
                print(f"#   {detail}")
                ok = False
        return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cycles", type=int, default=1000)
    ap.add_argument("--pods", type=int, default=4)
    ap.add_argument("--kill-percent", type=float, default=10)
    ap.add_argument("--fail-percent", type=int, default=15)
    ap.add_argument("--bindir", default="build/bin")
    ap.add_argument("--native", action="store_true",
                    help="plexus-bridge/-macvlan with plexus-ipam, in-process")
    ap.add_argument("--exec", action="store_true",
                    help="plexus-bridge/-macvlan as separate processes "
                         "(PLEXUS_EXEC_ALWAYS=1), with host-local run from their "
                         "IPAM thread")
    ap.add_argument("--parallel", action="store_true",
                    help="parallelAttach true: the networks of a pod at once")
    ap.add_argument("--large-pool", action="store_true",
                    help="(with --native) the storage network's pool is a seeded "
                         "/19 whose every block other nodes own; see above")
    ap.add_argument("--free", type=int, default=6,
                    help="--large-pool: addresses left free, each in another block")
    ap.add_argument("--store", choices=("file", "etcd"), default="file",
                    help="(with --native) plexus-ipam's store")
    ap.add_argument("--store-down", type=int, default=None,
                    help="--store etcd: 1 (default) stops etcd at random, 0 not")
    ap.add_argument("--retry-delete", type=int, default=None,
                    help="--store etcd going down: 1 (default) retryDeleteOnError "
                         "true, so a DEL fails until the store is back and nothing "
                         "may be left after the DELs; 0: false (a DEL failing "
                         "twice answers 0, its record kept for GC)")
    ap.add_argument("--seed", type=int, default=None, help="random seed")
    a = ap.parse_args()
    if a.large_pool and (not a.native or a.exec):
        ap.error("--large-pool needs --native (plexus-ipam in-process)")
    if a.store == "etcd" and (not a.native or a.exec):
        ap.error("--store etcd needs --native (plexus-ipam in-process)")
    a.store_down = a.store == "etcd" and a.store_down != 0
    a.retry_delete = a.store_down and a.retry_delete != 0
    if a.seed is None:
        a.seed = random.randrange(1 << 30)
    random.seed(a.seed)
    print(f"# soak: random seed {a.seed}")
    s = Soak(a)
    try:
        s.setup()
        return 0 if s.run() else 1
    finally:
        s.cleanup()


if __name__ == "__main__":
    sys.exit(main())
