/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CONF_H
#define PLEXUS_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "cni_log.h"
#include "cni_version.h"

struct cni_err;
struct tenant_policy;

#define PLEXUS_CONF_DIR_DEFAULT	 "/etc/cni/multus/net.d"
#define PLEXUS_CACHE_DIR_DEFAULT "/var/lib/plexus"
#define PLEXUS_MULTUS_NS_DEFAULT "kube-system"
#define PLEXUS_BIN_DIR_DEFAULT	 "/opt/cni/bin"
#define PLEXUS_CHECKPOINT_DEFAULT \
	"/var/lib/kubelet/device-plugins/kubelet_internal_checkpoint"

#define PLEXUS_PR_TABLE_BASE_DEFAULT 1000
#define PLEXUS_PR_PRIORITY_DEFAULT   1000

/* "policyRouting": each secondary attachment's routes in a table of its
 * own (table_base + its index in the plan), with rules from its
 * addresses to that table at priority; with iif, also a rule "iif its
 * interface" to that table at priority + 1 (PLEXUS_PR_IIF_PRIORITY). */
struct plexus_policy_routing {
	bool on; /* for every attachment (a NAD's annotation may differ) */
	unsigned table_base;
	unsigned priority;
	bool iif; /* "iifRules" */
};

#define PLEXUS_PR_IIF_PRIORITY(pr) ((pr)->priority + 1)

/* "parallelAttach": who attaches a pod's independent networks at once. */
enum plexus_parallel {
	PLEXUS_PARALLEL_OFF = 0, /* false (default): one after the other */
	PLEXUS_PARALLEL_ALL,	 /* true: every pod */
	PLEXUS_PARALLEL_POD,	 /* "pod": a pod that asks with the annotation
				  * plexus.dev/parallel-attach: "true" */
};

/* The meta plugin's own config (Multus' keys plus a few of ours), as
 * docs/configuration.md lists them. Strings are owned; `delegates` is
 * borrowed from raw. */
struct plexus_conf {
	json_object *raw;
	char *cni_version;	  /* NULL when the config has none */
	enum cni_ver ver;	  /* CNI_V030 when cniVersion is missing */
	bool cni_version_missing; /* see docs/multus-compat.md */
	char *name;
	json_object *delegates;	 /* "delegates": array or NULL */
	char *cluster_network;	 /* "clusterNetwork" */
	char **default_networks; /* "defaultNetworks" */
	size_t n_default_networks;
	char *conf_dir;		  /* "confDir" */
	char *cache_dir;	  /* "cniDir" */
	char *bin_dir;		  /* "binDir" */
	char *kubeconfig;	  /* "kubeconfig" */
	char *manifests_dir;	  /* "manifestsDir": NADs from files */
	char *plexusd_socket;	  /* "plexusdSocket": asked first at ADD, DEL */
	char *multus_namespace;	  /* "multusNamespace" */
	bool namespace_isolation; /* "namespaceIsolation" */
	char *global_namespaces;  /* "globalNamespaces" (comma string) */
	char **system_namespaces; /* "systemNamespaces" */
	size_t n_system_namespaces;
	char *checkpoint_file;	      /* "deviceCheckpointFile" */
	char *log_file;		      /* "logFile" */
	enum cni_log_level log_level; /* "logLevel" */
	bool log_to_stderr;	      /* "logToStderr" (default true) */
	char *log_level_unknown;      /* a "logLevel" we do not know */
	struct plexus_log_options {   /* "logOptions": rotation of logFile */
		int max_size_mb;      /* "maxSize" (MB), default 100 */
		int max_age_days;     /* "maxAge", default 5; 0: any age */
		int max_backups;      /* "maxBackups", default 5; 0: all */
		bool compress;	      /* "compress", default true */
	} log_options;
	bool retry_delete_on_error; /* "retryDeleteOnError" */
	bool merged_result;	    /* "mergedResult" (default true) */
	bool multus_error_codes;    /* "errorCodes": "multus" */
	char *multus_cache_dir;	    /* "multusCacheDir": Multus' cniDir */
	char *aux_chain_name;	 /* "auxiliaryCNIChainName": plugins from that
			       * directory beside clusterNetwork's file */
	char *readiness_file;	 /* "readinessindicatorfile" */
	int delegate_timeout_ms; /* "delegateTimeout" (seconds) */
	bool in_process;	 /* "inProcess": own plugins in-process */
	bool sync_per_pod;	 /* "syncMode": "pod" (default), one commit per
			    * call, or "write", every write fsync'ed */
	struct plexus_policy_routing policy_routing; /* "policyRouting" */
	enum plexus_parallel parallel_attach;	     /* "parallelAttach" */
	bool parallel_detach; /* "parallelDetach": DEL by plan_waves groups,
			       * last first, a group's members at once */
	json_object *runtime_config;  /* "runtimeConfig" from the runtime */
	json_object *prev_result;     /* "prevResult" (CHECK/DEL) */
	struct tenant_policy *policy; /* "metaPlugins", "tenantPolicy";
				       * NULL: the defaults (policy.h) */
};

/* Parse the meta plugin's stdin config. Code 7 naming the key. */
int plexus_conf_parse(json_object *doc, struct plexus_conf **ret,
		      struct cni_err *err);
void plexus_conf_free(struct plexus_conf *conf);

#endif
