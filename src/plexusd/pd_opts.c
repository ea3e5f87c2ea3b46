// SPDX-License-Identifier: Apache-2.0
/* plexusd's flags and node config file, from one table. */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_json.h"
#include "pd_opts.h"

enum kind { STR, BOOL, LONG };

static const struct opt {
	const char *name;
	enum kind kind;
	size_t off;
	const char *def;
	const char *help;
	long min, max; /* LONG: its range (0, 0: 1..256) */
} opts[] = {
#define O(n, k, f, d, h)                                      \
	{                                                     \
		n, k, offsetof(struct pd_opts, f), d, h, 0, 0 \
	}
#define N(n, f, d, lo, hi, h)                                      \
	{                                                          \
		n, LONG, offsetof(struct pd_opts, f), d, h, lo, hi \
	}
	O("config", STR, config, NULL, "node config file (JSON object)"),
	O("source-dir", STR, source_dir, NULL,
	  "where plexus' binaries are (default: plexusd's own dir)"),
	O("cni-bin-dir", STR, cni_bin_dir, "/opt/cni/bin",
	  "the CNI bin dir to install into"),
	O("ctl-dir", STR, ctl_dir, NULL, "also install plexusctl there"),
	O("no-install", BOOL, no_install, NULL, "do not install binaries"),
	O("cni-conf-dir", STR, cni_conf_dir, "/etc/cni/net.d",
	  "the CNI conf dir"),
	O("conf-name", STR, conf_name, "00-plexus.conflist",
	  "the primary config's file name"),
	O("network-name", STR, network_name, "plexus-cni-network",
	  "the primary config's network name"),
	O("host-prefix", STR, host_prefix, "",
	  "where the host's / is mounted: cut from paths in written files"),
	O("plugin-conf", STR, plugin_conf, NULL,
	  "JSON object of plexus keys for the generated config"),
	O("readiness-indicator-file", STR, readiness_file, NULL,
	  "write the config only once this file exists; passed to plexus"),
	O("token-dir", STR, token_dir,
	  "/var/run/secrets/kubernetes.io/serviceaccount",
	  "the service account's projected token dir"),
	O("kubeconfig-out", STR, kubeconfig, NULL,
	  "the plugin's kubeconfig (default <cni-conf-dir>/plexus.d/"
	  "plexus.kubeconfig)"),
	O("no-kubeconfig", BOOL, no_kubeconfig, NULL,
	  "write no kubeconfig (static or manifestsDir selection)"),
	O("api-server", STR, api_server, NULL,
	  "API server URL (default from KUBERNETES_SERVICE_HOST/PORT)"),
	O("listen", STR, listen, PD_LISTEN_DEFAULT,
	  "health and metrics address host:port, or none"),
	O("max-connections", LONG, max_connections, "16",
	  "HTTP connections at once (1..256)"),
	O("cleanup-on-exit", BOOL, cleanup_on_exit, NULL,
	  "remove the primary config and kubeconfig on SIGTERM/SIGINT"),
	O("uninstall", BOOL, uninstall, NULL,
	  "remove the primary config and kubeconfig, then exit"),
	O("once", BOOL, once, NULL,
	  "install and write once, then exit (0: ready)"),
	O("log-file", STR, log_file, NULL, "log file (default stderr)"),
	O("log-level", STR, log_level, "error", "error, verbose or debug"),
	O("socket", STR, socket, "none",
	  "the unix socket plexus asks first (watch caches), or none"),
	O("store-socket", STR, store_socket, "none",
	  "the unix socket plexus-ipam sends its etcd and Kubernetes store "
	  "operations to (warm stores), or none"),
	O("node-name", STR, node_name, NULL,
	  "this node's name: its pods are cached (default $NODE_NAME)"),
	O("api-kubeconfig", STR, api_kubeconfig, NULL,
	  "the caches' API credentials (default the written kubeconfig)"),
	N("max-cached-pods", max_cached_pods, "10000", 1, 1000000,
	  "pods cached at most; beyond, lookups of the others are misses"),
	N("max-cached-nads", max_cached_nads, "50000", 1, 1000000,
	  "NADs cached at most; beyond, lookups of the others are misses"),
	N("max-cached-claims", max_cached_claims, "50000", 1, 1000000,
	  "IPAMClaims cached at most; beyond, lookups of the others are "
	  "misses"),
	O("help", BOOL, help, NULL, "this text"),
#undef N
#undef O
};
#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static int set_str(struct pd_opts *o, const struct opt *d, const char *v)
{
	char **p = (char **)((char *)o + d->off);
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*p);
	*p = s;
	return 0;
}

static int set(struct pd_opts *o, const struct opt *d, const char *v,
	       struct cni_err *err)
{
	char *end;
	long n;

	switch (d->kind) {
	case STR:
		return set_str(o, d, v) ? cni_errf(err, CNI_ERR_IO, "oom") : 0;
	case BOOL:
		*(bool *)((char *)o + d->off) = true;
		return 0;
	case LONG:
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno || *end || end == v || n < (d->max ? d->min : 1) ||
		    n > (d->max ? d->max : 256))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: \"%s\" is not a number in "
					"%ld..%ld",
					d->name, v, d->max ? d->min : 1,
					d->max ? d->max : 256);
		*(long *)((char *)o + d->off) = n;
		return 0;
	}
	return 0;
}

static const struct opt *find(const char *name)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (!strcmp(opts[i].name, name))
			return &opts[i];
	return NULL;
}

static int file_key(struct pd_opts *o, const char *k, json_object *v,
		    struct cni_err *err)
{
	const struct opt *d = find(k);

	if (!d || !strcmp(k, "config") || !strcmp(k, "help"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: unknown key \"%s\"", o->config, k);
	if (d->kind == BOOL) {
		if (!json_object_is_type(v, json_type_boolean))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: \"%s\" must be a boolean",
					o->config, k);
		*(bool *)((char *)o + d->off) = json_object_get_boolean(v);
		return 0;
	}
	if (d->kind == LONG && json_object_is_type(v, json_type_int))
		return set(o, d, json_object_get_string(v), err);
	if (!json_object_is_type(v, json_type_string))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" must be a string", o->config, k);
	return set(o, d, json_object_get_string(v), err);
}

static int load_file(struct pd_opts *o, struct cni_err *err)
{
	json_object *doc = NULL;
	char *buf = NULL;
	size_t len;
	int r = cni_read_file(o->config, &buf, &len, err);

	if (r == 0)
		r = cni_json_parse(buf, len, o->config, &doc, err);
	free(buf);
	if (r == 0 && !json_object_is_type(doc, json_type_object))
		r = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			     "%s: not a JSON object", o->config);
	if (r == 0) {
		json_object_object_foreach (doc, k, v) {
			r = file_key(o, k, v, err);
			if (r < 0)
				break;
		}
	}
	json_object_put(doc);
	return r;
}

static int parse_argv(int argc, char **argv, struct pd_opts *o,
		      struct cni_err *err)
{
	struct option lo[N_OPTS + 1];
	int c, idx;

	memset(lo, 0, sizeof(lo));
	for (size_t i = 0; i < N_OPTS; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg =
			opts[i].kind == BOOL ? no_argument : required_argument;
		lo[i].val = 0;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", lo, &idx)) != -1) {
		if (c != 0)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"unknown flag or missing value: %s",
					argv[optind - 1]);
		if (set(o, &opts[idx], optarg, err) < 0)
			return -EINVAL;
	}
	if (optind < argc)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"unexpected argument \"%s\"", argv[optind]);
	return 0;
}

static int defaults(struct pd_opts *o)
{
	for (size_t i = 0; i < N_OPTS; i++) {
		if (!opts[i].def)
			continue;
		if (opts[i].kind == LONG)
			*(long *)((char *)o + opts[i].off) =
				strtol(opts[i].def, NULL, 10);
		else if (set_str(o, &opts[i], opts[i].def) < 0)
			return -ENOMEM;
	}
	return 0;
}

int pd_opts_parse(int argc, char **argv, struct pd_opts *ret,
		  struct cni_err *err)
{
	struct pd_opts *o = ret;
	int r;

	memset(o, 0, sizeof(*o));
	if (defaults(o) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	/* the config file first, so that the command line wins */
	r = parse_argv(argc, argv, o, err);
	if (r < 0 || !o->config || o->help)
		return r;
	r = load_file(o, err);
	if (r < 0)
		return r;
	return parse_argv(argc, argv, o, err);
}

void pd_opts_free(struct pd_opts *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].kind == STR)
			free(*(char **)((char *)o + opts[i].off));
	memset(o, 0, sizeof(*o));
}

void pd_opts_usage(FILE *out)
{
	fprintf(out, "usage: plexusd [flags]\n"
		     "The plexus node daemon: installs plexus, writes the "
		     "primary CNI config and the plugin's kubeconfig, serves "
		     "/healthz, /readyz, /metrics.\n");
	for (size_t i = 0; i < N_OPTS; i++)
		fprintf(out, "  --%s%s\n      %s%s%s%s\n", opts[i].name,
			opts[i].kind == BOOL ? "" : " VALUE", opts[i].help,
			opts[i].def ? " [" : "", opts[i].def ? opts[i].def : "",
			opts[i].def ? "]" : "");
}
