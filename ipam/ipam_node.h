/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_NODE_H
#define PLEXUS_IPAM_NODE_H

#include <json-c/json.h>

struct cni_err;

/* Node-side plexus-ipam settings: the store definitions and the node
 * name. They come from the node, never from a plugin config (which may be
 * a tenant's NetworkAttachmentDefinition):
 *   $PLEXUS_IPAM_NODE_CONFIG  the settings as JSON text (set by plexus
 *                             from its node config's "ipamNodeConfig",
 *                             or by the runtime's environment);
 *   else the file $PLEXUS_IPAM_CONF, else /etc/plexus/ipam.conf, which
 *   must be a regular file owned by root (or this process' user) and
 *   writable by nobody else. Absent: no settings (the default store).
 * Shape: {"store": {...}, "stores": {"<name>": {...}}, "nodeName": "...",
 *         "callTimeout": <seconds>, "kubeconfig": "<file>",
 *         "storeSocket": "<plexusd's --store-socket>"} (kubeconfig: the
 *         API of IPAMClaims, ipam_claim.h; storeSocket: store.h). */
#define IPAM_NODE_CONF_DEFAULT "/etc/plexus/ipam.conf"
#define IPAM_NODE_CONF_ENV     "PLEXUS_IPAM_CONF"
#define IPAM_NODE_INLINE_ENV   "PLEXUS_IPAM_NODE_CONFIG"

/* A plexus-ipam call run as a binary ends by this bound (node setting
 * "callTimeout", seconds): lock waits, store requests and retries keep
 * it, then code 11. Run in-process, the caller's deadline is used. */
#define IPAM_CALL_TIMEOUT_S_DEFAULT 60

/* The node settings' callTimeout in ms (root may be NULL: the default). */
int ipam_node_call_timeout_ms(json_object *root);

/* Refuse what a plugin config may not set in its "ipam" object: a store
 * definition ("store" other than a name) and "nodeName". Code 7 naming
 * the key and where it belongs, returned as -EPERM (as is an unknown
 * store name from ipam_node_resolve): no ADD ever used such a config. *ret_store_name: "store" when it is a
 * name, else NULL (borrowed from ipam). */
int ipam_node_only_check(json_object *ipam, const char **ret_store_name,
			 struct cni_err *err);

/* Load the node settings and pick the store named store_name (NULL: the
 * node's "store", which may be absent: *ret_store NULL, the default).
 * *ret_root is owned by the caller (NULL when there are no settings);
 * *ret_store and *ret_node are borrowed from it. Code 7 for an untrusted
 * or malformed node file or an unknown store name, 5 for I/O. */
int ipam_node_resolve(const char *store_name, json_object **ret_root,
		      json_object **ret_store, const char **ret_node,
		      struct cni_err *err);

/* Parse node settings from text (what the file or the variable holds);
 * `what` names the source in messages. */
int ipam_node_parse(const char *buf, size_t len, const char *what,
		    json_object **ret, struct cni_err *err);

/* Hand node settings from a trusted config (plexus' node config key
 * "ipamNodeConfig": a file path or the settings object) to plexus-ipam
 * through this process' environment, which the plugins it runs (in
 * process or exec'ed) inherit. Code 7 when malformed; `field` names it. */
int ipam_node_export(json_object *setting, const char *field,
		     struct cni_err *err);

#endif
