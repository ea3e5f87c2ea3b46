/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_NETSTATUS_H
#define PLEXUS_NETSTATUS_H

#include <json-c/json.h>

struct cni_err;
struct nad_source;
struct plexus_plan;

/* The k8s.v1.cni.cncf.io/network-status list for plan: one entry per
 * attachment with a result (results[i], any CNI version; NULL skips it):
 * name, interface, ips (no prefix), mac, default, dns, gateway (the IPs'
 * gateways) and device-info when the pod interface has a pciID. Code
 * CNI_ERR_DECODE for a result that does not parse. */
int netstatus_build(const struct plexus_plan *plan, json_object *const *results,
		    json_object **ret, struct cni_err *err);

/* Build it and merge-patch it onto the pod (plan's pod namespace/name;
 * with plan's pod UID only onto the pod of that UID) through src, the
 * request's open source. Nothing is sent (0) without a pod name, without
 * a source, or when the source cannot write (manifests). */
int netstatus_publish(const struct nad_source *src,
		      const struct plexus_plan *plan,
		      json_object *const *results, struct cni_err *err);

/* What DEL leaves in the annotation: the empty list, as Multus wrote it
 * at DEL through the network-attachment-definition-client. */
#define NETSTATUS_CLEARED "[]"

/* The same with NETSTATUS_CLEARED: one merge patch, no read. A pod that
 * is gone gives -ENOENT (code CNI_ERR_SELECTION); one of the same name
 * but another UID is refused by the API server (an error, nothing
 * written). */
int netstatus_clear(const struct nad_source *src,
		    const struct plexus_plan *plan, struct cni_err *err);

#endif
