// libcni-driver: runs a CNI network configuration through libcni, the
// library containerd (go-cni) and CRI-O (ocicni) link, so a plugin can be
// tested under exactly what those runtimes send: the conflist split into
// per-plugin configs, prevResult chaining, runtimeConfig for declared
// capabilities, and the on-disk result cache that gives DEL its prevResult
// and CHECK its cached result.
//
// Built offline against Debian's golang-github-appc-cni-dev (libcni 1.1.2)
// in GOPATH mode; see tests/libcni/libcni.mk.
//
// Usage:
//
//	libcni-driver add|check|del|version --conf FILE --netns PATH
//	    --ifname NAME --cid ID [--args K=V;K=V] [--cache-dir DIR]
//	    [--path DIR:DIR] [--capability-args JSON] [--cached-config]
//	    [--timeout SECONDS]
//
// FILE is a conflist, or a single-plugin conf (an object without
// "plugins"), which is converted with libcni.ConfListFromConf as
// containerd does. add prints the result JSON on stdout; version prints
// the VERSION answer of every plugin in the list. On failure the driver
// prints libcni's error message on stderr, the plugin's error object (when
// the plugin returned one) as JSON on stdout, and exits 1. Usage errors
// exit 2.
//
// --cached-config makes check and del use the configuration and CNI_ARGS
// stored in the result cache by add, when there is one (CRI-O's ocicni
// does this on teardown); by default the --conf file is used (containerd).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
)

type options struct {
	conf       string
	netns      string
	ifname     string
	cid        string
	args       string
	cacheDir   string
	path       string
	capArgs    string
	fromCache  bool
	timeoutSec int
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: libcni-driver add|check|del|version --conf FILE "+
		"--netns PATH --ifname NAME --cid ID [--args K=V;K=V] [--cache-dir DIR] "+
		"[--path DIR:DIR] [--capability-args JSON] [--cached-config] [--timeout S]\n")
	os.Exit(2)
}

func parseOptions(argv []string) (string, *options) {
	if len(argv) < 1 {
		usage()
	}
	cmd := argv[0]
	o := &options{}
	fs := flag.NewFlagSet("libcni-driver", flag.ContinueOnError)
	fs.StringVar(&o.conf, "conf", "", "conf or conflist file")
	fs.StringVar(&o.netns, "netns", "", "network namespace path")
	fs.StringVar(&o.ifname, "ifname", "eth0", "interface name in the container")
	fs.StringVar(&o.cid, "cid", "", "container ID")
	fs.StringVar(&o.args, "args", "", "CNI_ARGS as K=V;K=V")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "libcni cache directory (default /var/lib/cni)")
	defPath := os.Getenv("CNI_PATH")
	if defPath == "" {
		defPath = "/usr/lib/cni"
	}
	fs.StringVar(&o.path, "path", defPath, "plugin directories, colon separated")
	fs.StringVar(&o.capArgs, "capability-args", "", "runtimeConfig capability args as a JSON object")
	fs.BoolVar(&o.fromCache, "cached-config", false, "check/del with the config cached by add")
	fs.IntVar(&o.timeoutSec, "timeout", 60, "seconds before the plugin is killed")
	if err := fs.Parse(argv[1:]); err != nil || fs.NArg() != 0 {
		usage()
	}
	if o.conf == "" {
		fmt.Fprintln(os.Stderr, "libcni-driver: --conf is required")
		os.Exit(2)
	}
	switch cmd {
	case "add", "check", "del":
		if o.cid == "" {
			fmt.Fprintln(os.Stderr, "libcni-driver: --cid is required")
			os.Exit(2)
		}
	case "version":
	default:
		usage()
	}
	return cmd, o
}

// loadList reads a conflist, or a conf that it converts to a one-plugin list.
func loadList(file string) (*libcni.NetworkConfigList, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if _, ok := probe["plugins"]; ok {
		return libcni.ConfListFromBytes(data)
	}
	conf, err := libcni.ConfFromBytes(data)
	if err != nil {
		return nil, err
	}
	return libcni.ConfListFromConf(conf)
}

// parseArgs splits "K=V;K=V" into libcni's ordered pairs.
func parseArgs(s string) ([][2]string, error) {
	var out [][2]string
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ";") {
		if kv == "" {
			continue
		}
		i := strings.IndexByte(kv, '=')
		if i <= 0 {
			return nil, fmt.Errorf("bad --args element %q (want K=V)", kv)
		}
		out = append(out, [2]string{kv[:i], kv[i+1:]})
	}
	return out, nil
}

func runtimeConf(o *options) (*libcni.RuntimeConf, error) {
	args, err := parseArgs(o.args)
	if err != nil {
		return nil, err
	}
	rt := &libcni.RuntimeConf{
		ContainerID: o.cid,
		NetNS:       o.netns,
		IfName:      o.ifname,
		Args:        args,
	}
	if o.capArgs != "" {
		caps := map[string]interface{}{}
		if err := json.Unmarshal([]byte(o.capArgs), &caps); err != nil {
			return nil, fmt.Errorf("--capability-args: %w", err)
		}
		rt.CapabilityArgs = caps
	}
	return rt, nil
}

// fromCache swaps in the config and runtime args that add cached, if any.
func fromCache(cni *libcni.CNIConfig, list *libcni.NetworkConfigList,
	rt *libcni.RuntimeConf) (*libcni.NetworkConfigList, *libcni.RuntimeConf, error) {
	data, cachedRt, err := cni.GetNetworkListCachedConfig(list, rt)
	if err != nil {
		return nil, nil, err
	}
	if data == nil {
		return list, rt, nil
	}
	cached, err := libcni.ConfListFromBytes(data)
	if err != nil {
		return nil, nil, fmt.Errorf("cached config: %w", err)
	}
	return cached, cachedRt, nil
}

func versions(ctx context.Context, cni *libcni.CNIConfig, list *libcni.NetworkConfigList) error {
	type answer struct {
		Type              string   `json:"type"`
		CNIVersion        string   `json:"cniVersion"`
		SupportedVersions []string `json:"supportedVersions"`
	}
	var out []answer
	for _, p := range list.Plugins {
		info, err := cni.GetVersionInfo(ctx, p.Network.Type)
		if err != nil {
			return fmt.Errorf("plugin type=%q failed (version): %w", p.Network.Type, err)
		}
		var buf bytes.Buffer
		a := answer{Type: p.Network.Type}
		if err := info.Encode(&buf); err != nil {
			return err
		}
		if err := json.Unmarshal(buf.Bytes(), &a); err != nil {
			return err
		}
		out = append(out, a)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func run(cmd string, o *options) error {
	list, err := loadList(o.conf)
	if err != nil {
		return err
	}
	rt, err := runtimeConf(o)
	if err != nil {
		return err
	}
	dirs := filepath.SplitList(o.path)
	cni := libcni.NewCNIConfigWithCacheDir(dirs, o.cacheDir, nil)
	ctx, cancel := context.WithTimeout(context.Background(),
		time.Duration(o.timeoutSec)*time.Second)
	defer cancel()

	if o.fromCache && (cmd == "check" || cmd == "del") {
		if list, rt, err = fromCache(cni, list, rt); err != nil {
			return err
		}
	}
	switch cmd {
	case "add":
		res, err := cni.AddNetworkList(ctx, list, rt)
		if err != nil {
			return err
		}
		if err := res.Print(); err != nil {
			return err
		}
		fmt.Println()
		return nil
	case "check":
		return cni.CheckNetworkList(ctx, list, rt)
	case "del":
		return cni.DelNetworkList(ctx, list, rt)
	default:
		return versions(ctx, cni, list)
	}
}

func main() {
	cmd, o := parseOptions(os.Args[1:])
	err := run(cmd, o)
	if err == nil {
		return
	}
	fmt.Fprintf(os.Stderr, "libcni-driver %s: %v\n", cmd, err)
	var perr *types.Error
	if errors.As(err, &perr) {
		b, jerr := json.Marshal(perr)
		if jerr == nil {
			fmt.Println(string(b))
		}
	}
	os.Exit(1)
}
