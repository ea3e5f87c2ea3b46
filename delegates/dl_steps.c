/* SPDX-License-Identifier: Apache-2.0 */
/* Steps shared by the native delegates: undo lists, IPAM calls, pod
 * interface configuration and checks, the common DEL. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cni_error.h"
#include "cni_json.h"
#include "dl.h"

void dl_undo_push(struct dl_undos *u, void (*fn)(void *arg), void *arg)
{
	if (u->n >= DL_UNDO_MAX)
		abort(); /* a programming error: raise DL_UNDO_MAX */
	u->u[u->n].fn = fn;
	u->u[u->n].arg = arg;
	u->n++;
}

void dl_undo_run(struct dl_undos *u)
{
	while (u->n > 0) {
		u->n--;
		u->u[u->n].fn(u->u[u->n].arg);
	}
}

int dl_pod_open(const struct delegate_req *req, struct nl_ctx **ret,
		struct cni_err *err)
{
	return nl_ctx_open_netns(req->env->netns, ret, err);
}

int dl_pod_ifname_free(struct nl_ctx *pod, const char *ifname,
		       struct cni_err *err)
{
	struct nl_link_info l;
	int r = nl_link_get(pod, ifname, &l, false, err);

	if (r == 0)
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"CNI_IFNAME: \"%s\" already exists in the pod",
				ifname);
	return r == -ENODEV ? 0 : r;
}

/* ---- pod interface ---- */

/* The gateway of the first IP of res in family, if any. */
static bool ip_gateway(const struct cni_result *res, int family,
		       struct nl_prefix *ret)
{
	for (size_t i = 0; i < res->n_ips; i++) {
		struct nl_prefix g;

		if (res->ips[i].gateway &&
		    dl_ip_parse(res->ips[i].gateway, &g) == 0 &&
		    g.family == family) {
			*ret = g;
			return true;
		}
	}
	return false;
}

static int route_gw(const struct cni_result *res, const struct cni_route *rt,
		    int family, struct nl_prefix *gw)
{
	if (rt->gw)
		return dl_ip_parse(rt->gw, gw) == 0 ? 1 : -EINVAL;
	return ip_gateway(res, family, gw) ? 1 : 0;
}

static int iface_routes(struct nl_ctx *pod, int ifindex,
			const struct cni_result *res, struct cni_err *err)
{
	for (size_t i = 0; i < res->n_routes; i++) {
		const struct cni_route *rt = &res->routes[i];
		struct nl_prefix dst, gw;
		int r, has_gw;

		if (dl_prefix_parse(rt->dst, &dst) < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"routes[%zu].dst: \"%s\" is not a CIDR",
					i, rt->dst ? rt->dst : "");
		has_gw = route_gw(res, rt, dst.family, &gw);
		if (has_gw < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"routes[%zu].gw: \"%s\" is not an IP",
					i, rt->gw);
		r = nl_route_add(pod, ifindex, &dst, has_gw ? &gw : NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int dad_failed(const struct nl_dad_state *st, struct cni_err *err)
{
	char a[64];

	dl_prefix_format(&st->first_failed, true, a, sizeof(a));
	return cni_errf(err, CNI_ERR_ADDRESS_TAKEN,
			"address %s is in use on the pod's link (IPv6 "
			"duplicate address detection failed)",
			a);
}

/* As the reference plugins do when an IPv6 gateway is given: wait until
 * no IPv6 address of ifindex is tentative (duplicate address detection
 * over), polling, before the routes go in, so that the pod starts with
 * addresses it can use. An address that failed DAD is an error at once;
 * one still tentative after DL_SETTLE_MS (the link has no carrier, say)
 * is code 11. */
#define DL_SETTLE_MS	  10000
#define DL_SETTLE_POLL_MS 20
static int iface_settle(struct nl_ctx *pod, int ifindex, struct cni_err *err)
{
	struct nl_dad_state st;

	for (int waited = 0;; waited += DL_SETTLE_POLL_MS) {
		int r = nl_addr_dad_state(pod, ifindex, &st, err);

		if (r < 0)
			return r;
		if (st.failed)
			return dad_failed(&st, err);
		if (!st.tentative)
			return 0;
		if (waited >= DL_SETTLE_MS)
			break;
		nanosleep(&(struct timespec){ 0, DL_SETTLE_POLL_MS * 1000000L },
			  NULL);
	}
	return cni_errf(err, CNI_ERR_TRY_AGAIN,
			"%zu IPv6 address(es) still tentative after %d s (no "
			"carrier on the link?)",
			st.tentative, DL_SETTLE_MS / 1000);
}

int dl_iface_configure(struct nl_ctx *pod, int ifindex,
		       const struct cni_result *res, struct cni_err *err)
{
	struct nl_prefix gw6;
	int r = nl_link_set_up(pod, ifindex, true, err);

	for (size_t i = 0; r == 0 && i < res->n_ips; i++) {
		struct nl_prefix p;

		if (dl_prefix_parse(res->ips[i].address, &p) < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"ips[%zu].address: \"%s\" is not a "
					"CIDR",
					i, res->ips[i].address);
		r = nl_addr_add(pod, ifindex, &p, err);
	}
	if (r == 0 && ip_gateway(res, AF_INET6, &gw6))
		r = iface_settle(pod, ifindex, err);
	if (r == 0)
		r = iface_routes(pod, ifindex, res, err);
	return r;
}

int dl_iface_sysctls(struct nl_ctx *pod, const char *ifname, bool no_dad,
		     struct cni_err *err)
{
	char key[96];
	int r;

	snprintf(key, sizeof(key), "net/ipv4/conf/%s/arp_notify", ifname);
	r = nl_sysctl_set(pod, key, "1", err);
	if (r < 0 || !no_dad)
		return r;
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_dad", ifname);
	r = nl_sysctl_set(pod, key, "0", err);
	if (r == -ENOENT) { /* no IPv6 in the pod */
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;
	}
	return r;
}

int dl_result_add_iface(struct cni_result *res, const char *name,
			const struct nl_link_info *link, const char *sandbox,
			size_t *ret_idx)
{
	struct cni_iface *grown, *f;
	char mac[18];

	grown = realloc(res->ifaces, (res->n_ifaces + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	res->ifaces = grown;
	f = &grown[res->n_ifaces];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	if (link->mac_len == 6) {
		dl_mac_format(link->mac, mac);
		f->mac = strdup(mac);
	}
	if (sandbox)
		f->sandbox = strdup(sandbox);
	res->n_ifaces++;
	if (!f->name || (link->mac_len == 6 && !f->mac) ||
	    (sandbox && !f->sandbox))
		return -ENOMEM;
	*ret_idx = res->n_ifaces - 1;
	return 0;
}

void dl_result_ips_to(struct cni_result *res, size_t idx)
{
	for (size_t i = 0; i < res->n_ips; i++)
		res->ips[i].interface = (int)idx;
}

/* ---- CHECK ---- */

int dl_prev_result(const struct delegate_req *req, struct cni_result **ret,
		   struct cni_err *err)
{
	json_object *prev, *copy;
	int r;

	if (!json_object_object_get_ex(req->conf, "prevResult", &prev) ||
	    !json_object_is_type(prev, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"CHECK: \"prevResult\" missing");
	copy = cni_json_copy(prev);
	if (!copy)
		return -ENOMEM;
	if (!json_object_object_get_ex(copy, "cniVersion", NULL))
		json_object_object_add(
			copy, "cniVersion",
			json_object_new_string(cni_version_str(req->ver)));
	r = cni_result_parse(copy, ret, err);
	if (r < 0)
		cni_err_prefix(err, "prevResult");
	json_object_put(copy);
	return r;
}

static int check_addrs(struct nl_ctx *pod, const struct nl_link_info *l,
		       const struct cni_result *prev, size_t idx,
		       struct cni_err *err)
{
	struct nl_prefix *have = NULL, want;
	size_t n = 0;
	int r = nl_addr_list(pod, l->ifindex, AF_UNSPEC, &have, &n, err);

	for (size_t i = 0; r == 0 && i < prev->n_ips; i++) {
		bool found = false;

		if (prev->ips[i].interface != (int)idx)
			continue;
		if (dl_prefix_parse(prev->ips[i].address, &want) < 0) {
			r = cni_errf(err, CNI_ERR_DECODE,
				     "prevResult: ips[%zu].address \"%s\"", i,
				     prev->ips[i].address);
			break;
		}
		for (size_t j = 0; j < n && !found; j++)
			found = have[j].family == want.family &&
				have[j].len == want.len &&
				!memcmp(have[j].addr, want.addr, 16);
		if (!found)
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "CHECK: %s has no address %s", l->name,
				     prev->ips[i].address);
	}
	free(have);
	return r;
}

static bool route_match(const struct nl_route_info *ri, int oif,
			const struct nl_prefix *dst, const struct nl_prefix *gw)
{
	if (ri->oif != oif || ri->dst.family != dst->family ||
	    ri->dst.len != dst->len || !dl_prefix_contains(&ri->dst, dst))
		return false;
	if (!gw)
		return true;
	return ri->gw.family == gw->family &&
	       !memcmp(ri->gw.addr, gw->addr, 16);
}

/* Every route of prev on this interface (ADD put them there, beside
 * any route to the same destination on another interface). */
static int check_routes(struct nl_ctx *pod, const struct nl_link_info *l,
			const struct cni_result *prev, struct cni_err *err)
{
	struct nl_route_info *rts = NULL;
	size_t n = 0;
	int r = nl_route_list(pod, AF_UNSPEC, &rts, &n, err);

	for (size_t i = 0; r == 0 && i < prev->n_routes; i++) {
		struct nl_prefix dst, gw;
		bool found = false;
		int has_gw;

		if (dl_prefix_parse(prev->routes[i].dst, &dst) < 0) {
			r = cni_errf(err, CNI_ERR_DECODE,
				     "prevResult: routes[%zu].dst \"%s\"", i,
				     prev->routes[i].dst);
			break;
		}
		has_gw = prev->routes[i].gw &&
			 dl_ip_parse(prev->routes[i].gw, &gw) == 0;
		for (size_t j = 0; j < n && !found; j++)
			found = route_match(&rts[j], l->ifindex, &dst,
					    has_gw ? &gw : NULL);
		if (!found)
			r = cni_errf(err, CNI_ERR_NETLINK,
				     "CHECK: no route to %s%s%s on %s",
				     prev->routes[i].dst, has_gw ? " via " : "",
				     has_gw ? prev->routes[i].gw : "", l->name);
	}
	free(rts);
	return r;
}

static int prev_pod_iface(const struct cni_result *prev, const char *ifname,
			  size_t *ret, struct cni_err *err)
{
	for (size_t i = 0; i < prev->n_ifaces; i++)
		if (prev->ifaces[i].sandbox && *prev->ifaces[i].sandbox &&
		    prev->ifaces[i].name &&
		    !strcmp(prev->ifaces[i].name, ifname)) {
			*ret = i;
			return 0;
		}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"CHECK: prevResult has no pod interface \"%s\"",
			ifname);
}

int dl_check_pod_iface(struct nl_ctx *pod, const char *ifname, const char *kind,
		       const struct cni_result *prev, struct nl_link_info *ret,
		       struct cni_err *err)
{
	struct nl_link_info l;
	size_t idx = 0;
	char mac[18];
	int r = prev_pod_iface(prev, ifname, &idx, err);

	if (r == 0)
		r = nl_link_get(pod, ifname, &l, true, err);
	if (r < 0)
		return r;
	if (kind && strcmp(l.kind, kind))
		return cni_errf(err, CNI_ERR_NETLINK,
				"CHECK: %s is a \"%s\" link, not \"%s\"",
				ifname, l.kind, kind);
	dl_mac_format(l.mac, mac);
	if (prev->ifaces[idx].mac && strcasecmp(prev->ifaces[idx].mac, mac))
		return cni_errf(err, CNI_ERR_NETLINK,
				"CHECK: %s has MAC %s, prevResult says %s",
				ifname, mac, prev->ifaces[idx].mac);
	r = check_addrs(pod, &l, prev, idx, err);
	if (r == 0)
		r = check_routes(pod, &l, prev, err);
	if (r == 0 && ret)
		*ret = l;
	return r;
}

/* ---- DEL ---- */

static int del_link(const struct delegate_req *req, struct cni_err *err)
{
	struct nl_ctx *pod = NULL;
	struct nl_link_info l;
	int r;

	if (!req->env->netns || !*req->env->netns)
		return 0;
	r = dl_pod_open(req, &pod, err);
	if (r == -ENOENT) { /* the pod is gone: nothing to delete */
		if (err)
			memset(err, 0, sizeof(*err));
		return 0;
	}
	if (r < 0)
		return r;
	r = nl_link_get(pod, req->env->ifname, &l, false, err);
	if (r == 0)
		r = nl_link_delete(pod, l.ifindex, err);
	nl_ctx_close(pod);
	return r == -ENODEV ? 0 : r;
}

int dl_del_pod_link(const struct delegate_req *req, struct cni_err *err)
{
	struct dl_common c;
	struct dl_ipam_call ipam;
	struct cni_err e2 = { 0 };
	int r = dl_conf_common(req->conf, "DEL", true, &c, err), r2;

	if (r < 0)
		return r;
	if (c.ipam_type) /* runs while the link is deleted */
		dl_ipam_start(&ipam, req, c.ipam_type, CNI_CMD_DEL);
	r2 = del_link(req, &e2);
	if (c.ipam_type)
		r = dl_ipam_finish(&ipam, NULL, err);
	if (r == 0 && r2 < 0 && err)
		*err = e2;
	else if (r < 0 && r2 < 0)
		cni_err_add_details(err, "also: %s", e2.msg);
	return r < 0 ? r : r2;
}

int dl_default_route_link(struct nl_ctx *ctx, int family,
			  struct nl_link_info *ret, struct cni_err *err)
{
	struct nl_route_info *rts = NULL;
	size_t n = 0;
	int oif = 0, r = nl_route_list(ctx, family, &rts, &n, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n && !oif; i++)
		if (rts[i].dst.len == 0 && rts[i].oif > 0)
			oif = rts[i].oif;
	free(rts);
	if (!oif)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"no default route to take \"master\" from");
	return nl_link_get_index(ctx, oif, ret, err);
}
