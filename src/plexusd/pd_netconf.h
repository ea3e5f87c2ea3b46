/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_NETCONF_H
#define PLEXUS_PD_NETCONF_H

#include <stdbool.h>
#include <sys/types.h>
#include <json-c/json.h>

struct cni_err;

/* The primary CNI config plexusd writes into the conf dir, like Multus'
 * `multusConfigFile: auto`: a conflist whose one plugin is plexus, its
 * clusterNetwork the node's current default network config. */
struct pd_netconf_params {
	const char *network_name;   /* the conflist's "name" */
	const char *host_prefix;    /* stripped from paths written ("" none) */
	const char *kubeconfig;	    /* plexusd's kubeconfig, NULL: none */
	const char *readiness_file; /* NULL: none */
	const char *socket;	    /* plexusdSocket, NULL: none */
	json_object *plugin_extra;  /* node keys for plexus' entry, or NULL */
};

/* A file name the runtime would load (.conf, .conflist, .json, not
 * hidden) and not own_name. */
bool pd_netconf_candidate(const char *name, const char *own_name);
/* doc is a plexus config: its "type" or one of its plugins' is plexus. */
bool pd_netconf_is_plexus(json_object *doc);

/* The default network: the first candidate of conf_dir in byte order
 * whose config is not plexus' (each plexus config passed over is counted
 * in *ret_refused). 0 with *ret_path and *ret_doc (caller frees);
 * -ENOENT when there is none; code 6/7 naming the file when the first
 * candidate does not parse or is no network config (the caller keeps
 * what it has: a file half written now is whole at its close). */
int pd_netconf_pick(const char *conf_dir, const char *own_name, char **ret_path,
		    json_object **ret_doc, unsigned *ret_refused,
		    struct cni_err *err);

/* The config text (pretty JSON, trailing newline) wrapping master (read
 * from master_path). cniVersion: master's when plexus supports it, else
 * 1.0.0; capabilities: every capability master's plugins declare. */
int pd_netconf_build(json_object *master, const char *master_path,
		     const struct pd_netconf_params *p, char **ret_text,
		     struct cni_err *err);

/* Refuse node keys plexusd sets itself (type, name, cniVersion,
 * clusterNetwork, delegates, capabilities; kubeconfig when owned). */
int pd_netconf_extra_check(json_object *extra, bool kubeconfig_owned,
			   struct cni_err *err);

/* path as the host sees it: path without host_prefix. */
const char *pd_netconf_host_path(const char *host_prefix, const char *path);

/* Write text to path with mode atomically (temp + fsync + rename; the
 * temp file has mode before it holds a byte) unless path holds it
 * already with that mode (*ret_written false). Code 5 on failure. */
int pd_netconf_write(const char *path, const char *text, mode_t mode,
		     bool *ret_written, struct cni_err *err);
/* Remove path when it is a plexus config (never another file):
 * *ret_removed. Missing: 0. */
int pd_netconf_remove(const char *path, bool *ret_removed, struct cni_err *err);

#endif
