// SPDX-License-Identifier: Apache-2.0
/* The meta plugin's work on a pod's links, through the delegates'
 * netlink helper: the links as one group, so that DEL removes them in one
 * netlink request (the kernel then waits for one RCU grace period, about
 * 20 ms here, instead of one per link), and the pod's default route. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "dl.h"
#include "nl.h"
#include "podlinks.h"

/* Only links a DEL deletes anyway: never a VF or another physical
 * device (the kernel refuses a whole group delete if one can't go). */
static bool deletable_kind(const char *kind)
{
	return !strcmp(kind, "veth") || !strcmp(kind, "macvlan") ||
	       !strcmp(kind, "ipvlan");
}

int podlinks_tag(const char *netns, const char *const *ifnames, size_t n,
		 struct cni_err *err)
{
	struct nl_ctx *ctx = NULL;
	int r = nl_ctx_open_netns(netns, &ctx, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		struct nl_link_info info;

		if (nl_link_get(ctx, ifnames[i], &info, false, NULL) < 0 ||
		    !deletable_kind(info.kind))
			continue;
		r = nl_link_set_group(ctx, info.ifindex, PODLINKS_GROUP, err);
	}
	nl_ctx_close(ctx);
	return r;
}

int podlinks_teardown(const char *netns, struct cni_err *err)
{
	struct nl_ctx *ctx = NULL;
	int r = nl_ctx_open_netns(netns, &ctx, err);

	if (r == 0)
		r = nl_link_delete_group(ctx, PODLINKS_GROUP, err);
	nl_ctx_close(ctx);
	return r;
}

/* Replace the pod's default routes of gw's family by one via gw on
 * ifindex. */
static int default_via(struct nl_ctx *ctx, int ifindex, const char *gw_str,
		       struct cni_err *err)
{
	struct nl_prefix gw, dst = { 0 };
	struct nl_route_info *rts = NULL;
	size_t n = 0;
	int r;

	if (dl_ip_parse(gw_str, &gw) < 0)
		return cni_errf(err, CNI_ERR_SELECTION,
				"default-route: \"%s\" is not an IP address",
				gw_str);
	dst.family = gw.family;
	r = nl_route_list(ctx, gw.family, &rts, &n, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (rts[i].dst.len == 0)
			r = nl_route_del(ctx, &rts[i], err);
	free(rts);
	if (r == 0)
		r = nl_route_add(ctx, ifindex, &dst, &gw, err);
	return r;
}

int podlinks_default_route(const char *netns, const char *ifname,
			   const char *const *gws, size_t n,
			   struct cni_err *err)
{
	struct nl_link_info info;
	struct nl_ctx *ctx = NULL;
	int r = nl_ctx_open_netns(netns, &ctx, err);

	if (r == 0)
		r = nl_link_get(ctx, ifname, &info, true, err);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = default_via(ctx, info.ifindex, gws[i], err);
	nl_ctx_close(ctx);
	return r;
}

/* The main table's routes by ifindex, copied into table (the kernel's
 * connected route included). */
static int copy_routes(struct nl_ctx *ctx, int ifindex, unsigned table,
		       bool *has_default, struct cni_err *err)
{
	struct nl_route_info *rts = NULL;
	size_t n = 0;
	int r = nl_route_list(ctx, AF_UNSPEC, &rts, &n, err);

	for (size_t i = 0; r == 0 && i < n; i++) {
		if (rts[i].oif != ifindex)
			continue;
		if (rts[i].dst.len == 0)
			has_default[rts[i].dst.family == AF_INET6] = true;
		r = nl_route_add_table(ctx, ifindex, &rts[i].dst,
				       rts[i].gw.family ? &rts[i].gw : NULL,
				       table, err);
	}
	free(rts);
	return r;
}

static int table_default(struct nl_ctx *ctx, int ifindex, unsigned table,
			 const char *gw_str, bool *has_default,
			 struct cni_err *err)
{
	struct nl_prefix gw, dst = { 0 };

	if (dl_ip_parse(gw_str, &gw) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"policy routing: gateway \"%s\" is not an IP "
				"address",
				gw_str);
	if (has_default[gw.family == AF_INET6])
		return 0;
	has_default[gw.family == AF_INET6] = true;
	dst.family = gw.family;
	return nl_route_add_table(ctx, ifindex, &dst, &gw, table, err);
}

/* One route of the NAD's plexus.dev/policy-routes (checked at
 * planning) into table. */
static int table_route(struct nl_ctx *ctx, int ifindex, unsigned table,
		       const struct podlinks_route *rt, struct cni_err *err)
{
	struct nl_prefix dst, gw;

	if (dl_prefix_parse(rt->dst, &dst) < 0 || dl_ip_parse(rt->gw, &gw) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"policy routing: route %s via %s: not a CIDR "
				"and an address",
				rt->dst, rt->gw);
	return nl_route_add_table(ctx, ifindex, &dst, &gw, table, err);
}

static int addr_rule(struct nl_ctx *ctx, const char *addr, unsigned table,
		     unsigned prio, struct cni_err *err)
{
	struct nl_prefix a;

	if (dl_ip_parse(addr, &a) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"policy routing: \"%s\" is not an IP address",
				addr);
	a.len = a.family == AF_INET ? 32 : 128;
	return nl_rule_add(ctx, &a, table, prio, err);
}

/* The families (bit 0 IPv4, bit 1 IPv6) of addrs. */
static unsigned addr_families(const char *const *addrs, size_t n)
{
	unsigned fams = 0;
	struct nl_prefix a;

	for (size_t i = 0; i < n; i++)
		if (dl_ip_parse(addrs[i], &a) == 0)
			fams |= a.family == AF_INET6 ? 2 : 1;
	return fams;
}

/* "iif ifname lookup table" at prio in each family of addrs. */
static int iif_rules(struct nl_ctx *ctx, const char *ifname, unsigned table,
		     unsigned prio, const char *const *addrs, size_t n_addrs,
		     struct cni_err *err)
{
	unsigned fams = addr_families(addrs, n_addrs);
	int r = 0;

	if (fams & 1)
		r = nl_rule_add_iif(ctx, AF_INET, ifname, table, prio, err);
	if (r == 0 && (fams & 2))
		r = nl_rule_add_iif(ctx, AF_INET6, ifname, table, prio, err);
	return r;
}

int podlinks_policy_add(const char *netns, const char *ifname, unsigned table,
			unsigned prio, unsigned iif_prio,
			const char *const *addrs, size_t n_addrs,
			const char *const *gws, size_t n_gws,
			const struct podlinks_route *routes, size_t n_routes,
			struct cni_err *err)
{
	bool has_default[2] = { false, false };
	struct nl_link_info info;
	struct nl_ctx *ctx = NULL;
	int r = nl_ctx_open_netns(netns, &ctx, err);

	if (r == 0)
		r = nl_link_get(ctx, ifname, &info, true, err);
	if (r == 0)
		r = copy_routes(ctx, info.ifindex, table, has_default, err);
	for (size_t i = 0; r == 0 && i < n_gws; i++)
		r = table_default(ctx, info.ifindex, table, gws[i], has_default,
				  err);
	for (size_t i = 0; r == 0 && i < n_routes; i++)
		r = table_route(ctx, info.ifindex, table, &routes[i], err);
	for (size_t i = 0; r == 0 && i < n_addrs; i++)
		r = addr_rule(ctx, addrs[i], table, prio, err);
	if (r == 0 && iif_prio)
		r = iif_rules(ctx, ifname, table, iif_prio, addrs, n_addrs,
			      err);
	nl_ctx_close(ctx);
	return r;
}

int podlinks_policy_del(const char *netns, const unsigned *tables, size_t n,
			struct cni_err *err)
{
	struct nl_ctx *ctx = NULL;
	int r = n ? nl_ctx_open_netns(netns, &ctx, err) : 0;

	if (r == -ENOENT) /* the pod's netns is gone, and its rules */
		return 0;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = nl_rule_del_table(ctx, tables[i], err);
	nl_ctx_close(ctx);
	return r;
}

/* Is rt in rts (table's routes) by ifindex? */
static bool route_in(const struct nl_route_info *rts, size_t n, int ifindex,
		     const struct nl_prefix *dst, const struct nl_prefix *gw)
{
	size_t alen;

	for (size_t i = 0; i < n; i++) {
		alen = dst->family == AF_INET ? 4 : 16;
		if (rts[i].oif == ifindex && rts[i].dst.family == dst->family &&
		    rts[i].dst.len == dst->len &&
		    !memcmp(rts[i].dst.addr, dst->addr, alen) &&
		    rts[i].gw.family == gw->family &&
		    !memcmp(rts[i].gw.addr, gw->addr, alen))
			return true;
	}
	return false;
}

/* Each of routes in table by ifname. */
static int check_routes(struct nl_ctx *ctx, const char *ifname, unsigned table,
			const struct podlinks_route *routes, size_t n_routes,
			struct cni_err *err)
{
	struct nl_route_info *rts = NULL;
	struct nl_link_info info;
	size_t n = 0;
	int r = n_routes ? nl_link_get(ctx, ifname, &info, true, err) : 0;

	if (r == 0 && n_routes)
		r = nl_route_list_table(ctx, AF_UNSPEC, table, &rts, &n, err);
	for (size_t i = 0; r == 0 && i < n_routes; i++) {
		struct nl_prefix dst, gw;

		if (dl_prefix_parse(routes[i].dst, &dst) < 0 ||
		    dl_ip_parse(routes[i].gw, &gw) < 0 ||
		    !route_in(rts, n, info.ifindex, &dst, &gw))
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "%s: no route to %s via %s in table %u "
				     "(plexus.dev/policy-routes)",
				     ifname, routes[i].dst, routes[i].gw,
				     table);
	}
	free(rts);
	return r;
}

/* CHECK: the iif rule of each family of addrs. */
static int check_iif(struct nl_ctx *ctx, const char *ifname, unsigned table,
		     const char *const *addrs, size_t n_addrs,
		     struct cni_err *err)
{
	unsigned fams = addr_families(addrs, n_addrs);
	int r = 0;

	for (unsigned f = 1; r == 0 && f <= 2; f++) {
		int family = f == 1 ? AF_INET : AF_INET6;
		size_t n = 0;

		if (!(fams & f))
			continue;
		r = nl_rule_count_iif(ctx, family, ifname, table, &n, err);
		if (r == 0 && n == 0)
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "%s: no %s rule iif %s to table %u "
				     "(policyRouting.iifRules)",
				     ifname, f == 1 ? "IPv4" : "IPv6", ifname,
				     table);
	}
	return r;
}

int podlinks_policy_check(const char *netns, const char *ifname, unsigned table,
			  bool iif, const char *const *addrs, size_t n_addrs,
			  const struct podlinks_route *routes, size_t n_routes,
			  struct cni_err *err)
{
	struct nl_ctx *ctx = NULL;
	int r = nl_ctx_open_netns(netns, &ctx, err);

	for (size_t i = 0; r == 0 && i < n_addrs; i++) {
		struct nl_prefix a;
		size_t n = 0;

		if (dl_ip_parse(addrs[i], &a) < 0)
			continue;
		r = nl_rule_count(ctx, &a, table, &n, err);
		if (r == 0 && n == 0)
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "%s: no rule from %s to table %u "
				     "(policyRouting)",
				     ifname, addrs[i], table);
	}
	if (r == 0 && iif)
		r = check_iif(ctx, ifname, table, addrs, n_addrs, err);
	if (r == 0)
		r = check_routes(ctx, ifname, table, routes, n_routes, err);
	nl_ctx_close(ctx);
	return r;
}
