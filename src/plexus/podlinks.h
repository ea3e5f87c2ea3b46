/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PODLINKS_H
#define PLEXUS_PODLINKS_H

#include <stdbool.h>
#include <stddef.h>

struct cni_err;

/* The link group plexus puts a pod's virtual links in (ASCII "PLX1"). */
#define PODLINKS_GROUP 0x504c5831u

/* Put the pod's links named in ifnames (veth, macvlan and ipvlan only)
 * into PODLINKS_GROUP, in the netns at path netns. */
int podlinks_tag(const char *netns, const char *const *ifnames, size_t n,
		 struct cni_err *err);
/* Delete every link of PODLINKS_GROUP in that netns in one request;
 * the delegates' DEL then finds them gone and releases the rest. */
int podlinks_teardown(const char *netns, struct cni_err *err);

/* The pod's default route (per address family) via each of gws on
 * ifname, replacing the default routes the delegates set: the selection
 * element's "default-route". Code 110 for a gateway that is not an
 * address. */
int podlinks_default_route(const char *netns, const char *ifname,
			   const char *const *gws, size_t n,
			   struct cni_err *err);

/* A route of a NAD's plexus.dev/policy-routes: dst (a CIDR) via gw. */
struct podlinks_route {
	const char *dst, *gw;
};

/* Policy routing of one attachment on ifname: every main-table route
 * by ifname copied into table, a default route via each of gws (one per
 * family at most) there, then each of routes, a rule "from addr lookup
 * table" at prio for each of addrs and, when iif_prio is not 0, a rule
 * "iif ifname lookup table" at iif_prio for each family of addrs. */
int podlinks_policy_add(const char *netns, const char *ifname, unsigned table,
			unsigned prio, unsigned iif_prio,
			const char *const *addrs, size_t n_addrs,
			const char *const *gws, size_t n_gws,
			const struct podlinks_route *routes, size_t n_routes,
			struct cni_err *err);
/* Delete every rule that points at one of tables (n of them); a gone
 * netns has none. */
int podlinks_policy_del(const char *netns, const unsigned *tables, size_t n,
			struct cni_err *err);
/* CHECK: each of addrs has its rule to table, with iif the rule "iif
 * ifname" of each family of addrs, and each of routes is in table by
 * ifname (code 130 naming the missing one). */
int podlinks_policy_check(const char *netns, const char *ifname, unsigned table,
			  bool iif, const char *const *addrs, size_t n_addrs,
			  const struct podlinks_route *routes, size_t n_routes,
			  struct cni_err *err);

#endif
