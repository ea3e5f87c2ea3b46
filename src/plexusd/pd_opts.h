/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_OPTS_H
#define PLEXUS_PD_OPTS_H

#include <stdbool.h>
#include <stdio.h>

struct cni_err;

/* plexusd's settings: every one a command-line flag (--name) and a key
 * of the node config file (--config FILE: a JSON object, same names;
 * the command line wins). All node side: docs/plexusd.md. */
struct pd_opts {
	char *config;		/* --config */
	char *source_dir;	/* --source-dir: where the binaries are */
	char *cni_bin_dir;	/* --cni-bin-dir */
	char *ctl_dir;		/* --ctl-dir: plexusctl goes there */
	bool no_install;	/* --no-install */
	char *cni_conf_dir;	/* --cni-conf-dir */
	char *conf_name;	/* --conf-name */
	char *network_name;	/* --network-name */
	char *host_prefix;	/* --host-prefix */
	char *plugin_conf;	/* --plugin-conf: JSON object file */
	char *readiness_file;	/* --readiness-indicator-file */
	char *token_dir;	/* --token-dir */
	char *kubeconfig;	/* --kubeconfig-out */
	bool no_kubeconfig;	/* --no-kubeconfig */
	char *api_server;	/* --api-server */
	char *listen;		/* --listen host:port | none */
	long max_connections;	/* --max-connections */
	bool cleanup_on_exit;	/* --cleanup-on-exit */
	bool uninstall;		/* --uninstall */
	bool once;		/* --once */
	char *log_file;		/* --log-file */
	char *log_level;	/* --log-level */
	char *socket;		/* --socket: plexus asks it first | none */
	char *store_socket;	/* --store-socket: warm IPAM stores | none */
	char *node_name;	/* --node-name (default $NODE_NAME) */
	char *api_kubeconfig;	/* --api-kubeconfig: the caches' credentials */
	long max_cached_pods;	/* --max-cached-pods */
	long max_cached_nads;	/* --max-cached-nads */
	long max_cached_claims; /* --max-cached-claims */
	bool help;		/* --help */
};

#define PD_LISTEN_DEFAULT "127.0.0.1:9658"

/* Defaults, then the file named by --config, then argv. Code 7 naming
 * the flag or key. *ret is set on failure too (free it). */
int pd_opts_parse(int argc, char **argv, struct pd_opts *ret,
		  struct cni_err *err);
void pd_opts_free(struct pd_opts *o);
void pd_opts_usage(FILE *out);

#endif
