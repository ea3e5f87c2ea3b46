/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PODROUTE_H
#define PLEXUS_PODROUTE_H

struct cni_err;
struct plexus_record;

/* After every network is attached: the attachment whose selection
 * element asked for "default-route" gets the pod's default route via its
 * gateways (netlink in the pod netns); nothing happens when none asked.
 * On failure the caller rolls the pod back. */
int podroute_apply(const struct plexus_record *rec, const char *netns,
		   struct cni_err *err);

#endif
