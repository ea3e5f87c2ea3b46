/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_PLUGIN_H
#define PLEXUS_IPAM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_env;
struct cni_err;

/* One plexus-ipam call (ADD, DEL, CHECK, GC, STATUS; not VERSION) for
 * env with buf as its stdin config. On success *ret is the ADD result in
 * the config's cniVersion (NULL for the other verbs; the caller owns it).
 * No process-global state: the meta plugin runs it in-process.
 * deadline (cni_deadline.h): the call ends by it (lock waits, store
 * requests, retries; then code 11); 0: the node settings' callTimeout
 * from now (ipam_node.h), the bound of the plugin run as a binary. */
int ipam_plugin_run(const struct cni_env *env, const char *buf, size_t len,
		    int64_t deadline, json_object **ret, struct cni_err *err);

#endif
