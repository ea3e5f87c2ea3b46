/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-bridge: a veth pair from the pod to a Linux bridge on the host,
 * with the keys of the reference bridge plugin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "kinds.h"

#define PLUGIN "plexus-bridge"

static const struct dl_refused bridge_refused[] = {
	{ "disableContainerInterface", DL_REFUSE_UNLESS_FALSE, NULL },
	{ "portIsolation", DL_REFUSE_UNLESS_FALSE, NULL },
};

static int get_flag(json_object *conf, const char *key, bool *ret,
		    struct cni_err *err)
{
	int r = cni_json_get_bool(conf, key, key, ret, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		cni_err_prefix(err, PLUGIN);
	return r;
}

/* ipMasqBackend: only nftables is there. */
static int masq_backend_check(json_object *conf, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(conf, "ipMasqBackend", "ipMasqBackend", &s,
				    err);

	if (r == -ENOENT || (r == 0 && !strcmp(s, "nftables")))
		return 0;
	if (r < 0)
		return r;
	return cni_errf(err, CNI_ERR_UNSUPPORTED_FIELD,
			PLUGIN ": \"ipMasqBackend\": \"%.32s\" is not "
			       "supported: only \"nftables\"",
			s);
}

int bridge_conf_parse(json_object *conf, struct bridge_conf *ret,
		      struct cni_err *err)
{
	struct bridge_conf b = { .bridge = "cni0" };
	int r = dl_conf_refuse(
		conf, PLUGIN, bridge_refused,
		sizeof(bridge_refused) / sizeof(bridge_refused[0]), err);

	if (r == 0)
		r = dl_conf_common(conf, PLUGIN, true, &b.c, err);
	if (r == 0) {
		r = dl_conf_ifname(conf, "bridge", PLUGIN, &b.bridge, err);
		r = r == -ENOENT ? 0 : r;
	}
	if (r == 0)
		r = get_flag(conf, "isGateway", &b.is_gw, err);
	if (r == 0)
		r = get_flag(conf, "isDefaultGateway", &b.is_default_gw, err);
	if (r == 0)
		r = get_flag(conf, "forceAddress", &b.force_address, err);
	if (r == 0)
		r = get_flag(conf, "hairpinMode", &b.hairpin, err);
	if (r == 0)
		r = get_flag(conf, "promiscMode", &b.promisc, err);
	if (r == 0)
		r = get_flag(conf, "ipMasq", &b.ip_masq, err);
	if (r == 0)
		r = get_flag(conf, "macspoofchk", &b.spoofchk, err);
	if (r == 0)
		r = get_flag(conf, "enabledad", &b.dad, err);
	if (r == 0)
		r = masq_backend_check(conf, err);
	if (r == 0)
		r = bridge_vlans_parse(conf, &b.v, err);
	if (r < 0)
		return r;
	if (b.hairpin && b.promisc)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"hairpinMode\" and \"promiscMode\" "
				       "cannot both be true");
	if (b.is_default_gw)
		b.is_gw = true;
	*ret = b;
	return 0;
}

/* ---- gateways (isGateway / isDefaultGateway) ---- */

/* The first address of the subnet of p, as a host address string. */
static char *first_host(const struct nl_prefix *p)
{
	struct nl_prefix g = *p;
	char buf[64];
	int i;

	for (i = g.len; i < (g.family == AF_INET ? 32 : 128); i++)
		g.addr[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	for (i = (g.family == AF_INET ? 4 : 16) - 1; i >= 0; i--)
		if (++g.addr[i] != 0)
			break;
	dl_prefix_format(&g, false, buf, sizeof(buf));
	return strdup(buf);
}

static bool has_default_route(const struct cni_result *res, int family)
{
	for (size_t i = 0; i < res->n_routes; i++) {
		struct nl_prefix d;

		if (res->routes[i].gw &&
		    dl_prefix_parse(res->routes[i].dst, &d) == 0 &&
		    d.family == family && d.len == 0)
			return true;
	}
	return false;
}

static int add_default_route(struct cni_result *res, int family, const char *gw)
{
	struct cni_route *grown, *rt;

	grown = realloc(res->routes, (res->n_routes + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	res->routes = grown;
	rt = &grown[res->n_routes++];
	memset(rt, 0, sizeof(*rt));
	rt->mtu = rt->advmss = rt->priority = rt->table = rt->scope = -1;
	rt->dst = strdup(family == AF_INET ? "0.0.0.0/0" : "::/0");
	rt->gw = strdup(gw);
	return rt->dst && rt->gw ? 0 : -ENOMEM;
}

/* Fill missing gateways with the subnet's first address and, with
 * isDefaultGateway, add a default route per family unless IPAM gave one. */
static int gateways_calc(const struct bridge_conf *b, struct cni_result *res,
			 struct cni_err *err)
{
	for (size_t i = 0; i < res->n_ips; i++) {
		struct cni_ipc *ip = &res->ips[i];
		struct nl_prefix p;

		if (dl_prefix_parse(ip->address, &p) < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"ipam: ips[%zu].address \"%s\"", i,
					ip->address);
		if (!ip->gateway && !(ip->gateway = first_host(&p)))
			return -ENOMEM;
		if (b->is_default_gw && !has_default_route(res, p.family) &&
		    add_default_route(res, p.family, ip->gateway) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Put gw (with the subnet length of addr) on br (the bridge, or the VLAN
 * gateway interface). Another address in the way is replaced with
 * forceAddress, else an error. */
static int gateway_ensure(struct nl_ctx *host, const struct nl_link_info *br,
			  const struct nl_prefix *gw, bool force,
			  struct cni_err *err)
{
	struct nl_prefix *have = NULL;
	size_t n = 0;
	char want[64], old[64];
	int r = nl_addr_list(host, br->ifindex, gw->family, &have, &n, err);

	dl_prefix_format(gw, true, want, sizeof(want));
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (have[i].len == gw->len &&
		    !memcmp(have[i].addr, gw->addr, 16))
			goto out; /* there already */
		if (gw->family == AF_INET6 &&
		    !dl_prefix_contains(&have[i], gw) &&
		    !dl_prefix_contains(gw, &have[i]))
			continue;
		dl_prefix_format(&have[i], true, old, sizeof(old));
		if (!force)
			r = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				     PLUGIN ": \"%s\" already has address "
					    "%s, not %s (see \"forceAddress\")",
				     br->name, old, want);
		else
			r = nl_addr_del(host, br->ifindex, &have[i], err);
	}
	if (r == 0)
		r = nl_addr_add(host, br->ifindex, gw, err);
	/* Pin the bridge's MAC, or it follows its lowest-numbered port. */
	if (r == 0 && br->mac_len == 6 && memcmp(br->mac, "\0\0\0\0\0\0", 6))
		r = nl_link_set_mac(host, br->ifindex, br->mac, err);
out:
	free(have);
	return r;
}

static int gateways_apply(const struct bridge_conf *b, struct nl_ctx *host,
			  const struct nl_link_info *br,
			  const struct cni_result *res, struct cni_err *err)
{
	bool v4 = false, v6 = false;
	int r = 0;

	for (size_t i = 0; r == 0 && i < res->n_ips; i++) {
		struct nl_prefix addr, gw;

		if (dl_prefix_parse(res->ips[i].address, &addr) < 0 ||
		    dl_ip_parse(res->ips[i].gateway, &gw) < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"ipam: ips[%zu] gateway \"%s\"", i,
					res->ips[i].gateway);
		gw.len = addr.len;
		r = gateway_ensure(host, br, &gw, b->force_address, err);
		v4 |= gw.family == AF_INET;
		v6 |= gw.family == AF_INET6;
	}
	if (r == 0 && v4)
		r = nl_sysctl_set(host, "net/ipv4/ip_forward", "1", err);
	if (r == 0 && v6)
		r = nl_sysctl_set(host, "net/ipv6/conf/all/forwarding", "1",
				  err);
	return r;
}

/* ---- ADD ---- */

struct bridge_add {
	const struct delegate_req *req;
	struct bridge_conf b;
	struct nl_ctx *host, *pod;
	struct cni_result *res;
	struct nl_link_info br, hveth, pveth;
	struct nl_link_info gw, gw_port; /* VLAN gateway interface, its peer */
	uint8_t br_mac0[6]; /* the bridge's MAC before this ADD's port */
	bool br_created, has_gw;
	struct dl_ipam_call ipam;
	struct dl_undos undo;
};

static void undo_link(void *arg)
{
	struct bridge_add *a = arg;

	if (nl_link_delete(a->host, a->hveth.ifindex, NULL) < 0)
		return; /* gone already, or nothing more to try */
}

/* The bridge this ADD created, unless another ADD has put a port on it
 * meanwhile. */
static void undo_bridge(void *arg)
{
	struct bridge_add *a = arg;
	size_t ports = 1;

	if (nl_link_count_ports(a->host, a->br.ifindex, &ports, NULL) < 0 ||
	    ports > 0 || nl_link_delete(a->host, a->br.ifindex, NULL) < 0)
		return; /* gone already, or nothing more to try */
}

static void undo_masq(void *arg)
{
	struct bridge_add *a = arg;
	int64_t d = cni_deadline_after(DL_UNDO_GRACE_MS);

	dl_masq_del(a->req->env->container_id, a->req->env->ifname, AF_INET, d,
		    NULL);
	dl_masq_del(a->req->env->container_id, a->req->env->ifname, AF_INET6, d,
		    NULL);
}

static int masq_setup(struct bridge_add *a, struct cni_err *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < a->res->n_ips; i++) {
		struct nl_prefix p;

		if (dl_prefix_parse(a->res->ips[i].address, &p) < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"ipam: ips[%zu].address \"%s\"", i,
					a->res->ips[i].address);
		if (i == 0) /* removes every rule of ours: register once */
			dl_undo_push(&a->undo, undo_masq, a);
		r = dl_masq_add(a->req->env->container_id, a->req->env->ifname,
				&p, a->req->deadline, err);
	}
	return r;
}

static void undo_spoofchk(void *arg)
{
	struct bridge_add *a = arg;

	dl_spoofchk_del(a->req->env->container_id, a->req->env->ifname,
			cni_deadline_after(DL_UNDO_GRACE_MS), NULL);
}

static int spoofchk_setup(struct bridge_add *a, struct cni_err *err)
{
	dl_undo_push(&a->undo, undo_spoofchk, a); /* removes by tag: safe */
	return dl_spoofchk_add(a->req->env->container_id, a->req->env->ifname,
			       a->hveth.name, a->pveth.mac, a->req->deadline,
			       err);
}

/* IPv6 router advertisements off on the bridge (accept_ra 0), as the
 * reference plugin does; best effort, as there (no IPv6: nothing to do). */
static void bridge_no_ra(struct nl_ctx *host, const char *name)
{
	char key[96];

	snprintf(key, sizeof(key), "net/ipv6/conf/%s/accept_ra", name);
	if (nl_sysctl_set(host, key, "0", NULL) < 0)
		return; /* no IPv6 on this node: nothing to turn off */
}

static int bridge_ensure(struct bridge_add *a, struct cni_err *err)
{
	const char *name = a->b.bridge;
	int r = nl_link_get(a->host, name, &a->br, false, err);

	if (r == -ENODEV) {
		bool filtering = bridge_vlans_filtering(&a->b.v);

		r = nl_bridge_create(a->host, name, a->b.c.mtu, filtering, err);
		if (filtering)
			r = bridge_vlans_unsupported(&a->b.v, r, err);
		a->br_created = r == 0;
		if (r == -EEXIST) /* lost a race with another ADD */
			r = 0;
		if (r == 0)
			r = nl_link_get(a->host, name, &a->br, true, err);
		if (r == 0 && a->br_created)
			dl_undo_push(&a->undo, undo_bridge, a);
	}
	if (r < 0)
		return r;
	if (strcmp(a->br.kind, "bridge"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"bridge\": \"%s\" is a \"%s\" link, "
				       "not a bridge",
				name, a->br.kind[0] ? a->br.kind : "plain");
	if (a->b.promisc)
		r = nl_link_set_promisc(a->host, a->br.ifindex, true, err);
	if (r == 0)
		r = nl_link_set_up(a->host, a->br.ifindex, true, err);
	if (r == 0) /* the bridge's routes are ours, as the reference says */
		bridge_no_ra(a->host, name);
	return r;
}

static int veth_name(char buf[NL_IFNAMSIZ])
{
	uint32_t rnd;

	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -errno;
	snprintf(buf, NL_IFNAMSIZ, "veth%08x", rnd);
	return 0;
}

static int veth_setup(struct bridge_add *a, struct cni_err *err)
{
	const char *ifname = a->req->env->ifname;
	char host[NL_IFNAMSIZ];
	int r, tries = 0;

	do {
		r = veth_name(host);
		if (r == 0)
			r = nl_veth_create(
				a->host, host, ifname, a->pod, a->b.c.mtu,
				a->b.c.has_mac ? a->b.c.mac : NULL, err);
	} while (r == -EEXIST && ++tries < 3 &&
		 nl_link_get(a->pod, ifname, &a->pveth, false, NULL) ==
			 -ENODEV);
	if (r < 0)
		return r;
	r = nl_link_get(a->host, host, &a->hveth, true, err);
	if (r < 0)
		return r; /* cannot undo what we cannot find */
	dl_undo_push(&a->undo, undo_link, a);
	r = nl_link_get(a->pod, ifname, &a->pveth, true, err);
	if (r == 0)
		r = nl_link_set_master(a->host, a->hveth.ifindex, a->br.ifindex,
				       err);
	if (r == 0 && a->b.hairpin)
		r = nl_bridge_port_set_hairpin(a->host, a->hveth.ifindex, true,
					       err);
	if (r == 0)
		r = bridge_vlans_port_apply(a->host, a->hveth.ifindex, &a->b.v,
					    err);
	if (r == 0)
		r = nl_link_set_up(a->host, a->hveth.ifindex, true, err);
	return r;
}

static int bridge_result(struct bridge_add *a, struct cni_err *err)
{
	size_t idx;
	int r;

	r = nl_link_get_index(a->host, a->br.ifindex, &a->br, err);
	if (r < 0)
		return r;
	cni_result_ifaces_clear(a->res);
	if (dl_result_add_iface(a->res, a->br.name, &a->br, NULL, &idx) < 0 ||
	    dl_result_add_iface(a->res, a->hveth.name, &a->hveth, NULL, &idx) <
		    0 ||
	    dl_result_add_iface(a->res, a->pveth.name, &a->pveth,
				a->req->env->netns, &idx) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	dl_result_ips_to(a->res, idx);
	if (!a->has_gw)
		return 0;
	r = nl_link_get_index(a->host, a->gw.ifindex, &a->gw, err);
	if (r == 0 &&
	    dl_result_add_iface(a->res, a->gw.name, &a->gw, NULL, &idx) < 0)
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	return r;
}

/* The VLAN gateway this ADD made, unless a port other than the pod's
 * and its own has joined its VLAN meanwhile (any bridge: cautious). */
static void undo_gw(void *arg)
{
	struct bridge_add *a = arg;
	struct nl_bridge_vlan *v = NULL;
	size_t n = 0;
	bool used = false;

	if (nl_bridge_vlan_list(a->host, 0, &v, &n, NULL) < 0)
		return; /* nothing more to try */
	for (size_t i = 0; i < n; i++)
		used |= v[i].ifindex != a->hveth.ifindex &&
			v[i].ifindex != a->gw_port.ifindex &&
			v[i].ifindex != a->br.ifindex &&
			a->b.v.vlan >= v[i].vid && a->b.v.vlan <= v[i].vid_end;
	free(v);
	if (used || nl_link_delete(a->host, a->gw.ifindex, NULL) < 0)
		return; /* in use, gone already, or nothing more to try */
}

/* The found or new gateway's peer: a bridge port in the VLAN. */
static int vlan_gw_port(struct bridge_add *a, const char *port,
			struct cni_err *err)
{
	int r = nl_link_get(a->host, port, &a->gw_port, true, err);

	if (r == 0)
		r = nl_link_set_master(a->host, a->gw_port.ifindex,
				       a->br.ifindex, err);
	if (r == 0)
		r = bridge_vlans_port_apply(a->host, a->gw_port.ifindex,
					    &a->b.v, err);
	if (r == 0)
		r = nl_link_set_up(a->host, a->gw_port.ifindex, true, err);
	if (r == 0)
		r = nl_link_set_up(a->host, a->gw.ifindex, true, err);
	return r;
}

/* isGateway with vlan: as the reference, the gateway addresses go on
 * "<bridge>.<vlan>", one end of a veth pair whose other end is a port of
 * the bridge with the VLAN as PVID, untagged; made when missing. */
static int vlan_gw_ensure(struct bridge_add *a, struct cni_err *err)
{
	char name[40], port[NL_IFNAMSIZ];
	int r;

	snprintf(name, sizeof(name), "%s.%d", a->br.name, a->b.v.vlan);
	if (strlen(name) >= NL_IFNAMSIZ)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				PLUGIN ": \"bridge\" and \"vlan\": the VLAN "
				       "gateway \"%s\" is longer than %d "
				       "characters",
				name, NL_IFNAMSIZ - 1);
	r = nl_link_get(a->host, name, &a->gw, false, err);
	a->has_gw = r == 0;
	if (r != -ENODEV)
		return r;
	r = veth_name(port);
	if (r == 0)
		r = nl_veth_create(a->host, port, name, NULL, a->br.mtu, NULL,
				   err);
	if (r == -EEXIST && /* lost a race with another ADD */
	    nl_link_get(a->host, name, &a->gw, false, NULL) == 0) {
		a->has_gw = true;
		return 0;
	}
	if (r == 0)
		r = nl_link_get(a->host, name, &a->gw, true, err);
	if (r < 0)
		return r; /* cannot undo what we cannot find */
	a->has_gw = true;
	dl_undo_push(&a->undo, undo_gw, a);
	return vlan_gw_port(a, port, err);
}

static int gateways_setup(struct bridge_add *a, struct cni_err *err)
{
	int r = 0;

	if (a->b.v.vlan && a->res->n_ips)
		r = vlan_gw_ensure(a, err);
	if (r == 0)
		r = gateways_apply(&a->b, a->host, a->has_gw ? &a->gw : &a->br,
				   a->res, err);
	return r;
}

/* The IPAM result (an empty one without IPAM) and the gateways it gives. */
static int bridge_ipam_result(struct bridge_add *a, struct cni_err *err)
{
	int r = 0;

	if (a->b.c.ipam_type)
		r = dl_ipam_finish(&a->ipam, &a->res, err);
	else if (!(a->res = cni_result_new()))
		r = -ENOMEM;
	if (r == 0 && a->b.is_gw)
		r = gateways_calc(&a->b, a->res, err);
	return r;
}

static int bridge_add_steps(struct bridge_add *a, struct cni_err *err)
{
	int r;

	r = nl_ctx_open(&a->host, err);
	if (r == 0)
		r = dl_pod_open(a->req, &a->pod, err);
	if (r == 0)
		r = dl_pod_ifname_free(a->pod, a->req->env->ifname, err);
	if (r < 0)
		return r;
	if (a->b.c.ipam_type) { /* runs while the links are made */
		dl_ipam_start(&a->ipam, a->req, a->b.c.ipam_type, CNI_CMD_ADD);
		dl_undo_push(&a->undo, dl_ipam_undo, &a->ipam);
	}
	r = bridge_ensure(a, err);
	if (r == 0 && a->br.mac_len == 6)
		memcpy(a->br_mac0, a->br.mac, 6);
	if (r == 0)
		r = veth_setup(a, err);
	if (r == 0) /* DAD off unless enabledad, as the reference */
		r = dl_iface_sysctls(a->pod, a->req->env->ifname, !a->b.dad,
				     err);
	if (r == 0)
		r = bridge_ipam_result(a, err);
	if (r == 0)
		r = dl_iface_configure(a->pod, a->pveth.ifindex, a->res, err);
	/* Read the bridge again: its MAC changes when its first port joins.
	 * A gateway pins the MAC it had before (as the reference plugin
	 * does), so it stays as ports come and go; then read it again. */
	if (r == 0)
		r = nl_link_get_index(a->host, a->br.ifindex, &a->br, err);
	if (r == 0 && a->b.is_gw) {
		if (memcmp(a->br_mac0, "\0\0\0\0\0\0", 6))
			memcpy(a->br.mac, a->br_mac0, 6);
		r = gateways_setup(a, err);
		if (r == 0)
			r = nl_link_get_index(a->host, a->br.ifindex, &a->br,
					      err);
	}
	if (r == 0 && a->b.ip_masq)
		r = masq_setup(a, err);
	if (r == 0)
		r = nl_link_get_index(a->pod, a->pveth.ifindex, &a->pveth, err);
	if (r == 0 && a->b.spoofchk)
		r = spoofchk_setup(a, err);
	if (r == 0)
		r = bridge_result(a, err);
	return r;
}

static int bridge_add(const struct delegate_req *req, struct cni_result **ret,
		      struct cni_err *err)
{
	struct bridge_add a = { .req = req };
	int r = bridge_conf_parse(req->conf, &a.b, err);

	if (r == 0)
		r = bridge_add_steps(&a, err);
	if (r < 0) {
		dl_undo_run(&a.undo);
		cni_result_free(a.res);
	} else {
		*ret = a.res;
	}
	nl_ctx_close(a.pod);
	nl_ctx_close(a.host);
	return r;
}

/* ---- CHECK, DEL ---- */

static int bridge_check_host(const struct bridge_conf *b,
			     const struct nl_link_info *pveth,
			     struct cni_err *err)
{
	struct nl_link_info br, hveth;
	struct nl_ctx *host = NULL;
	int r = nl_ctx_open(&host, err);

	if (r == 0)
		r = nl_link_get(host, b->bridge, &br, true, err);
	if (r == 0 && strcmp(br.kind, "bridge"))
		r = cni_errf(err, CNI_ERR_NETLINK,
			     "CHECK: \"%s\" is not a bridge", b->bridge);
	if (r == 0)
		r = nl_link_get_index(host, pveth->link, &hveth, err);
	if (r == 0 && hveth.master != br.ifindex)
		r = cni_errf(err, CNI_ERR_NETLINK,
			     "CHECK: the host end %s of %s is not a port of "
			     "bridge %s",
			     hveth.name, pveth->name, b->bridge);
	if (r == 0)
		r = bridge_vlans_port_check(host, hveth.ifindex, hveth.name,
					    &b->v, err);
	nl_ctx_close(host);
	return r;
}

static int bridge_check(const struct delegate_req *req, struct cni_err *err)
{
	struct bridge_conf b;
	struct cni_result *prev = NULL;
	struct nl_ctx *pod = NULL;
	struct nl_link_info pveth;
	int r = bridge_conf_parse(req->conf, &b, err);

	if (r == 0)
		r = dl_prev_result(req, &prev, err);
	if (r == 0 && b.c.ipam_type)
		r = dl_ipam_exec(req, b.c.ipam_type, CNI_CMD_CHECK, NULL, err);
	if (r == 0)
		r = dl_pod_open(req, &pod, err);
	if (r == 0)
		r = dl_check_pod_iface(pod, req->env->ifname, "veth", prev,
				       &pveth, err);
	if (r == 0)
		r = bridge_check_host(&b, &pveth, err);
	nl_ctx_close(pod);
	cni_result_free(prev);
	return r;
}

static int bridge_del(const struct delegate_req *req, struct cni_err *err)
{
	struct bridge_conf b;
	struct cni_err e2 = { 0 };
	int r = bridge_conf_parse(req->conf, &b, err), r2 = 0;

	if (r < 0)
		return r;
	r = dl_del_pod_link(req, err);
	if (b.ip_masq) {
		struct cni_err *e = r < 0 ? &e2 : err;

		r2 = dl_masq_del(req->env->container_id, req->env->ifname,
				 AF_INET, req->deadline, e);
		if (r2 == 0)
			r2 = dl_masq_del(req->env->container_id,
					 req->env->ifname, AF_INET6,
					 req->deadline, e);
	}
	if (b.spoofchk && r2 == 0)
		r2 = dl_spoofchk_del(req->env->container_id, req->env->ifname,
				     req->deadline, r < 0 ? &e2 : err);
	if (r < 0 && r2 < 0)
		cni_err_add_details(err, "also: %s", e2.msg);
	return r < 0 ? r : r2;
}

static int bridge_conf_check(json_object *conf, struct cni_err *err)
{
	struct bridge_conf c;

	return bridge_conf_parse(conf, &c, err);
}

const struct delegate_ops bridge_delegate = {
	.name = PLUGIN,
	.add = bridge_add,
	.check = bridge_check,
	.del = bridge_del,
	.conf_check = bridge_conf_check,
};
