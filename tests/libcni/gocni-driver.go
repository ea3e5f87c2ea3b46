// gocni-driver: sets a pod's network up and down through go-cni, the
// library containerd's CRI plugin calls, configured the way that plugin
// configures it on Linux, and prints the pod IP containerd would report.
//
// Built offline against Debian's golang-github-containerd-go-cni-dev
// (go-cni 1.1.7, over libcni 1.1.2) in GOPATH mode; see
// tests/libcni/libcni.mk.
//
// What is containerd's here (read in containerd v1.7.34
// pkg/cri/server/service_linux.go and sandbox_run.go, and v2.x
// internal/cri/server/ of the same names; the code below is our own):
//
//   - go-cni is made with a minimum of 2 networks, the node's config
//     directory, at most N config files (containerd's max_conf_num,
//     default 1) and the plugin directories, and loaded with the
//     loopback network first and then the directory's files in name
//     order; the first file's network gets eth0, the next eth1 ...
//   - Setup runs with the CNI_ARGS labels K8S_POD_NAMESPACE,
//     K8S_POD_NAME, K8S_POD_INFRA_CONTAINER_ID, K8S_POD_UID and
//     IgnoreUnknown=1, and the pod's annotations as the capability
//     "io.kubernetes.cri.pod-annotations".
//   - go-cni files every address of every result under the name of the
//     interface its "interface" index points at, or under eth0 when the
//     address has no index.
//   - containerd takes the addresses filed under eth0 (its defaultIfName)
//     and nothing else; none is an error. Of those, with ip_pref "ipv4"
//     (the default) the first IPv4 one is the pod IP, the ones before it
//     and all after it the additional IPs; "ipv6" the same for IPv6;
//     "cni" the first one. A single address is the pod IP whatever its
//     family.
//
// Usage:
//
//	gocni-driver setup|remove --conf-dir DIR --netns PATH --cid ID
//	    [--bin-dirs DIR:DIR] [--max-conf-num N] [--namespace NS]
//	    [--name POD] [--uid UID] [--annotations JSON]
//	    [--ip-pref ipv4|ipv6|cni] [--serial] [--cache-dir DIR]
//
// setup prints one JSON object: "podIP", "additionalIPs" (the CRI
// sandbox status' ip and additional_ips) and "interfaces" (go-cni's
// name -> addresses map, to see where each address was filed). On
// failure the driver prints the error on stderr and exits 1; usage
// errors exit 2. libcni keeps its result cache in /var/lib/cni, as under
// containerd, unless --cache-dir names another directory (go-cni gives
// libcni no cache directory, so the driver changes libcni's default).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"time"

	gocni "github.com/containerd/go-cni"
	"github.com/containernetworking/cni/libcni"
)

// containerd's names for these (internal/cri/server/helpers.go,
// internal/cri/annotations/annotations.go).
const (
	defaultIfName     = "eth0"
	podAnnotationsCap = "io.kubernetes.cri.pod-annotations"
)

type options struct {
	confDir    string
	binDirs    string
	netns      string
	cid        string
	namespace  string
	name       string
	uid        string
	annots     string
	ipPref     string
	cacheDir   string
	maxConfNum int
	serial     bool
}

type report struct {
	PodIP         string              `json:"podIP"`
	AdditionalIPs []string            `json:"additionalIPs"`
	Interfaces    map[string][]string `json:"interfaces"`
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: gocni-driver setup|remove --conf-dir DIR "+
		"--netns PATH --cid ID [--bin-dirs DIR:DIR] [--max-conf-num N] "+
		"[--namespace NS] [--name POD] [--uid UID] [--annotations JSON] "+
		"[--ip-pref ipv4|ipv6|cni] [--serial] [--cache-dir DIR]")
	os.Exit(2)
}

func parseOptions(argv []string) (string, *options) {
	if len(argv) < 1 || (argv[0] != "setup" && argv[0] != "remove") {
		usage()
	}
	o := &options{}
	fs := flag.NewFlagSet("gocni-driver", flag.ContinueOnError)
	fs.StringVar(&o.confDir, "conf-dir", "", "the node's CNI config directory")
	fs.StringVar(&o.binDirs, "bin-dirs", "/usr/lib/cni", "plugin directories, colon separated")
	fs.StringVar(&o.netns, "netns", "", "network namespace path")
	fs.StringVar(&o.cid, "cid", "", "sandbox (container) ID")
	fs.StringVar(&o.namespace, "namespace", "default", "pod namespace")
	fs.StringVar(&o.name, "name", "pod", "pod name")
	fs.StringVar(&o.uid, "uid", "", "pod UID")
	fs.StringVar(&o.annots, "annotations", "", "pod annotations as a JSON object")
	fs.StringVar(&o.ipPref, "ip-pref", "ipv4", "containerd's ip_pref: ipv4, ipv6 or cni")
	fs.IntVar(&o.maxConfNum, "max-conf-num", 1, "containerd's max_conf_num")
	fs.BoolVar(&o.serial, "serial", false, "attach the networks one after another")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "libcni's result cache (default /var/lib/cni)")
	if err := fs.Parse(argv[1:]); err != nil || fs.NArg() != 0 {
		usage()
	}
	if o.confDir == "" || o.netns == "" || o.cid == "" {
		fmt.Fprintln(os.Stderr, "gocni-driver: --conf-dir, --netns and --cid are required")
		os.Exit(2)
	}
	return argv[0], o
}

// namespaceOpts: what containerd's cniNamespaceOpts gives every verb.
func namespaceOpts(o *options) ([]gocni.NamespaceOpts, error) {
	annots := map[string]string{}
	if o.annots != "" {
		if err := json.Unmarshal([]byte(o.annots), &annots); err != nil {
			return nil, fmt.Errorf("--annotations: %w", err)
		}
	}
	labels := map[string]string{
		"K8S_POD_NAMESPACE":          o.namespace,
		"K8S_POD_NAME":               o.name,
		"K8S_POD_INFRA_CONTAINER_ID": o.cid,
		"K8S_POD_UID":                o.uid,
		"IgnoreUnknown":              "1",
	}
	return []gocni.NamespaceOpts{
		gocni.WithLabels(labels),
		gocni.WithCapability(podAnnotationsCap, annots),
	}, nil
}

func load(o *options) (gocni.CNI, error) {
	if o.cacheDir != "" {
		libcni.CacheDir = o.cacheDir
	}
	c, err := gocni.New(gocni.WithMinNetworkCount(2),
		gocni.WithPluginConfDir(o.confDir),
		gocni.WithPluginMaxConfNum(o.maxConfNum),
		gocni.WithPluginDir(filepath.SplitList(o.binDirs)))
	if err != nil {
		return nil, err
	}
	if err := c.Load(gocni.WithLoNetwork, gocni.WithDefaultConf); err != nil {
		return nil, err
	}
	return c, nil
}

// pickPodIPs follows containerd's rule for the addresses of eth0: the
// first of the preferred family is the pod IP, every other address an
// additional IP, in their order; no address of that family (or "cni"):
// the first address.
func pickPodIPs(ips []net.IP, pref string) (string, []string) {
	all := make([]string, len(ips))
	for i, ip := range ips {
		all[i] = ip.String()
	}
	if len(ips) == 1 {
		return all[0], nil
	}
	want := func(ip net.IP) bool { return ip.To4() != nil }
	switch pref {
	case "cni":
		return all[0], all[1:]
	case "ipv6":
		want = func(ip net.IP) bool { return ip.To4() == nil }
	default: // "ipv4", and containerd's fallback for an unknown value
	}
	for i, ip := range ips {
		if want(ip) {
			rest := append([]string{}, all[:i]...)
			return all[i], append(rest, all[i+1:]...)
		}
	}
	return all[0], all[1:]
}

func setup(ctx context.Context, c gocni.CNI, o *options, opts []gocni.NamespaceOpts) error {
	var res *gocni.Result
	var err error
	if o.serial {
		res, err = c.SetupSerially(ctx, o.cid, o.netns, opts...)
	} else {
		res, err = c.Setup(ctx, o.cid, o.netns, opts...)
	}
	if err != nil {
		return err
	}
	rep := report{Interfaces: map[string][]string{}}
	names := make([]string, 0, len(res.Interfaces))
	for name := range res.Interfaces {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		addrs := []string{}
		for _, ipc := range res.Interfaces[name].IPConfigs {
			addrs = append(addrs, ipc.IP.String())
		}
		rep.Interfaces[name] = addrs
	}
	eth0, ok := res.Interfaces[defaultIfName]
	if !ok || len(eth0.IPConfigs) == 0 {
		return fmt.Errorf("failed to find network info for sandbox %q "+
			"(no address on %s)", o.cid, defaultIfName)
	}
	ips := make([]net.IP, len(eth0.IPConfigs))
	for i, ipc := range eth0.IPConfigs {
		ips[i] = ipc.IP
	}
	rep.PodIP, rep.AdditionalIPs = pickPodIPs(ips, o.ipPref)
	if rep.AdditionalIPs == nil {
		rep.AdditionalIPs = []string{}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func run(cmd string, o *options) error {
	c, err := load(o)
	if err != nil {
		return err
	}
	opts, err := namespaceOpts(o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if cmd == "remove" {
		return c.Remove(ctx, o.cid, o.netns, opts...)
	}
	return setup(ctx, c, o, opts)
}

func main() {
	cmd, o := parseOptions(os.Args[1:])
	if err := run(cmd, o); err != nil {
		fmt.Fprintf(os.Stderr, "gocni-driver %s: %v\n", cmd, err)
		os.Exit(1)
	}
}
