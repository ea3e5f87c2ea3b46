/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_SELECT_H
#define PLEXUS_SELECT_H

#include <json-c/json.h>

struct cni_conflist;
struct cni_env;
struct cni_err;
struct nad_source;
struct plexus_conf;
struct plexus_plan;

/* The plan for one pod: the only code that turns (node config, CNI
 * request, NAD source or none) into attachments. From conf, the pod's
 * CNI_ARGS (K8S_POD_NAMESPACE, K8S_POD_NAME, K8S_POD_UID), its
 * annotations and the NADs of src: the default network first (the pod's
 * v1.multus-cni.io/default-network, else clusterNetwork, else
 * delegates[0]) with CNI_IFNAME, then the other delegates, then
 * defaultNetworks (not for pods in systemNamespaces), then the
 * k8s.v1.cni.cncf.io/networks elements, each named net<position> unless
 * it names an interface. src NULL is static mode: no pod lookups, the
 * networks of the node config only. Each attachment carries the
 * verdicts (namespaceIsolation, capabilities, deviceID) the dry run
 * prints. Pure: reads config files, the device checkpoint and src only.
 * Errors name the pod and the cause: CNI_ERR_SELECTION (110) for what
 * the pod asked (also two attachments on one interface name),
 * CNI_ERR_INVALID_CONFIG (7) for bad configs, CNI_ERR_KUBERNETES (111)
 * from the API; -ESRCH (code 110) when the pod itself is not found. */
int select_plan(const struct plexus_conf *conf, const struct cni_env *env,
		const struct nad_source *src, struct plexus_plan **ret,
		struct cni_err *err);

/* Resolve a network by name as Multus' clusterNetwork: a config in
 * conf_dir whose "name" is name, else (name starting with '/') a
 * directory's first config file or a file. Code 7 when none matches. */
int select_conf_local(const char *conf_dir, const char *name,
		      struct cni_conflist **ret, char **ret_source,
		      struct cni_err *err);

/* auxiliaryCNIChainName as Multus v4.2.4 builds it: a conflist named
 * name, of version, whose plugins are Multus' passthru (SELECT_AUX_PASSTHRU,
 * which plexus answers itself) then each ".conf" file, sorted, of the
 * directory name beside cluster_network (a path: its Go filepath.Dir).
 * *ret NULL when there is no such file (Multus then adds no chain); code
 * 7 naming the file for one that does not parse. */
#define SELECT_AUX_PASSTHRU "passthru"
int select_aux_chain(const char *cluster_network, const char *name,
		     const char *version, struct cni_conflist **ret,
		     char **ret_source, struct cni_err *err);

/* The conflist of a NetworkAttachmentDefinition: spec.config (conf or
 * conflist; a missing "name" takes the NAD's), or when that is empty the
 * config in conf_dir named like the NAD. Code 7 on a bad config. */
int select_nad_conf(json_object *nad, const char *conf_dir,
		    struct cni_conflist **ret, char **ret_source,
		    struct cni_err *err);

#endif
