/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_NETSTATUS_H
#define PLEXUS_NETSTATUS_H

#include <json-c/json.h>

struct cni_err;
struct plexus_conf;
struct plexus_plan;

/* The k8s.v1.cni.cncf.io/network-status list for plan: one entry per
 * attachment with a result (results[i], any CNI version; NULL skips it):
 * name, interface, ips (no prefix), mac, default, dns, gateway (the IPs'
 * gateways) and device-info when the pod interface has a pciID. Code
 * CNI_ERR_DECODE for a result that does not parse. */
int netstatus_build(const struct plexus_plan *plan, json_object *const *results,
		    json_object **ret, struct cni_err *err);

/* Build it and merge-patch it onto the pod (plan's pod namespace/name)
 * through the source conf names. Nothing is sent (0) without a pod name
 * or when the source cannot write (manifests). */
int netstatus_publish(const struct plexus_conf *conf,
		      const struct plexus_plan *plan,
		      json_object *const *results, struct cni_err *err);

#endif
