/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_POLICY_H
#define PLEXUS_POLICY_H

#include <stdbool.h>
#include <json-c/json.h>

struct cni_conflist;
struct cni_err;

/* The node's rules for NADs (tenant input): "metaPlugins" (types no NAD
 * may run; plexus always) and "tenantPolicy" (per NAD namespace: allowed
 * types, host interfaces, VLAN IDs), as docs/configuration.md writes
 * them. NULL everywhere below means the default: meta plugins refused,
 * nothing else limited. */
struct tenant_policy;

/* Parse "metaPlugins" and "tenantPolicy" of plexus' node config doc.
 * Code 7 naming the key. *ret is NULL-free on success. */
int tenant_policy_parse(json_object *doc, struct tenant_policy **ret,
			struct cni_err *err);
void tenant_policy_free(struct tenant_policy *p);

/* Judge NAD ns/name's conflist cl as plexus would run it: every plugin's
 * "type" and "ipam.type" against metaPlugins; when by_pod (a pod's
 * annotation selected the NAD, not the node config), also against the
 * tenantPolicy entry of ns: types, host interfaces ("master", "bridge",
 * "device", "pfName", the SR-IOV PF of device_id or "deviceID", read
 * under $PLEXUS_SYSFS_ROOT or /sys) and VLAN IDs ("vlan", "vlanId",
 * "vlanTrunk"). device_id (NULL: none) is the deviceID plexus adds from
 * the NAD's resourceName. Code 7 naming the NAD, the key, the value and
 * the rule that refused it. */
int tenant_policy_check(const struct tenant_policy *p, const char *ns,
			const char *name, const struct cni_conflist *cl,
			const char *device_id, bool by_pod,
			struct cni_err *err);

#endif
