// SPDX-License-Identifier: Apache-2.0
/* The meta plugin's work on a pod's links, through the delegates'
 * netlink helper: the links as one group, so that DEL removes them in one
 * netlink request (the kernel then waits for one RCU grace period, about
 * 20 ms here, instead of one per link), and the pod's default route. */
#include <stdlib.h>
#include <string.h>

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
