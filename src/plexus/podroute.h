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

struct plexus_policy_routing;

/* Then policyRouting: each attachment that plan_policy_table gives a
 * table gets its routes there and rules from its result's addresses. On
 * failure the caller rolls the pod back. */
int podroute_policy_apply(const struct plexus_policy_routing *pr,
			  const struct plexus_record *rec, const char *netns,
			  struct cni_err *err);
/* DEL: the rules of every table the plan could use (the tables go with
 * the links); a gone netns is no error. */
int podroute_policy_del(const struct plexus_policy_routing *pr,
			const struct plexus_record *rec, const char *netns,
			struct cni_err *err);
/* CHECK: every rule is there. */
int podroute_policy_check(const struct plexus_policy_routing *pr,
			  const struct plexus_record *rec, const char *netns,
			  struct cni_err *err);

#endif
