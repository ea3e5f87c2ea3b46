/* SPDX-License-Identifier: Apache-2.0 */
/* The netlink helper on libnl-3 / libnl-route-3 (see nl.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/stat.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/link.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/ipvlan.h>

#include "cni_error.h"
#include "nl.h"

struct nl_ctx {
	struct nl_sock *sk;
	int nsfd;     /* the socket's netns */
	dev_t ns_dev; /* identity of that netns */
	ino_t ns_ino;
	char ext[160]; /* the kernel's extended ack text of the last nl_sync */
};

/* libnl error -> errno. libnl folds errno into its own codes. */
static int nl_errno(int nle)
{
	static const struct {
		int nle, eno;
	} map[] = {
		{ NLE_EXIST, EEXIST },
		{ NLE_OBJ_NOTFOUND, ENODEV },
		{ NLE_NODEV, ENODEV },
		{ NLE_PERM, EPERM },
		{ NLE_INVAL, EINVAL },
		{ NLE_BUSY, EBUSY },
		{ NLE_NOMEM, ENOMEM },
		{ NLE_RANGE, ERANGE },
		{ NLE_OPNOTSUPP, EOPNOTSUPP },
		{ NLE_NOADDR, EADDRNOTAVAIL },
		{ NLE_AGAIN, EAGAIN },
		{ NLE_NOACCESS, EACCES },
		{ NLE_AF_NOSUPPORT, EAFNOSUPPORT },
		{ NLE_MSGSIZE, EMSGSIZE },
	};
	int e = nle < 0 ? -nle : nle;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].nle == e)
			return -map[i].eno;
	return -EIO;
}

/* ---- requests that keep the kernel's errno and its extended ack ---- */

struct nl_answer {
	int err; /* the kernel's negative errno, 0: acknowledged */
	char *ext;
	size_t size;
};

/* The NLMSGERR_ATTR_MSG text after an error (NETLINK_EXT_ACK). */
static void answer_ext(const struct nlmsgerr *e, struct nl_answer *a)
{
	const struct nlmsghdr *h =
		(const struct nlmsghdr *)((const char *)e - NLMSG_HDRLEN);
	size_t off = sizeof(*e), len;
	const struct nlattr *at;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (h->nlmsg_len < NLMSG_HDRLEN + off)
		return;
	len = h->nlmsg_len - NLMSG_HDRLEN - off;
	at = (const struct nlattr *)((const char *)e + off);
	while (len >= sizeof(*at) && at->nla_len >= sizeof(*at) &&
	       at->nla_len <= len) {
		size_t step = NLA_ALIGN((size_t)at->nla_len);

		if ((at->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG &&
		    at->nla_len > sizeof(*at)) {
			snprintf(a->ext, a->size, "%.*s",
				 (int)(at->nla_len - sizeof(*at)),
				 (const char *)(at + 1));
			return;
		}
		if (step >= len)
			return;
		len -= step;
		at = (const struct nlattr *)((const char *)at + step);
	}
}

static int on_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nl_answer *a = arg;

	(void)who;
	a->err = e->error;
	if (e->error)
		answer_ext(e, a);
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(void)arg;
	return NL_STOP;
}

/* Send msg (freed) and wait for the kernel's answer: 0, or the kernel's
 * negative errno with its extended ack text (if any) in ctx->ext. */
static int nl_sync(struct nl_ctx *ctx, struct nl_msg *msg)
{
	struct nl_answer a = { 0, ctx->ext, sizeof(ctx->ext) };
	struct nl_cb *orig = nl_socket_get_cb(ctx->sk);
	struct nl_cb *cb = orig ? nl_cb_clone(orig) : NULL;
	int r = -ENOMEM;

	ctx->ext[0] = '\0';
	nl_cb_put(orig);
	if (cb) {
		nl_cb_err(cb, NL_CB_CUSTOM, on_error, &a);
		nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, NULL);
		r = nl_send_auto(ctx->sk, msg);
		if (r >= 0)
			r = nl_recvmsgs(ctx->sk, cb);
		nl_cb_put(cb);
	}
	nlmsg_free(msg);
	if (a.err)
		return a.err;
	return r < 0 ? nl_errno(r) : 0;
}

/* "<strerror>" or "<strerror> (<kernel's text>)", as iproute2 shows both. */
static const char *kernel_reason(const struct nl_ctx *ctx, int r, char *buf,
				 size_t size)
{
	if (ctx->ext[0])
		snprintf(buf, size, "%s (%s)", strerror(-r), ctx->ext);
	else
		snprintf(buf, size, "%s", strerror(-r));
	return buf;
}

/* Set err for a failed libnl call and return the negative errno. */
static int nl_fail(struct cni_err *err, int nle, const char *what,
		   const char *name)
{
	cni_errf(err, CNI_ERR_NETLINK, "%s %s: %s", what, name,
		 nl_geterror(nle < 0 ? -nle : nle));
	return nl_errno(nle);
}

static int ctx_from_fd(int nsfd, struct nl_ctx **ret, struct cni_err *err)
{
	struct nl_ctx *ctx = calloc(1, sizeof(*ctx));
	struct stat st;
	int r;

	if (!ctx)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	ctx->nsfd = nsfd;
	if (fstat(nsfd, &st) < 0) {
		r = -errno;
		free(ctx);
		cni_errf(err, CNI_ERR_NETLINK, "netns fstat: %s", strerror(-r));
		return r;
	}
	ctx->ns_dev = st.st_dev;
	ctx->ns_ino = st.st_ino;
	ctx->sk = nl_socket_alloc();
	if (!ctx->sk) {
		free(ctx);
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	}
	r = nl_connect(ctx->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(ctx->sk);
		free(ctx);
		return nl_fail(err, r, "netlink socket", "connect");
	}
	/* the kernel's own words on a refusal (best effort: old kernels) */
	setsockopt(nl_socket_get_fd(ctx->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &(int){ 1 }, sizeof(int));
	*ret = ctx;
	return 0;
}

static int self_netns_open(struct cni_err *err)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		cni_errf(err, CNI_ERR_NETLINK, "open own netns: %s",
			 strerror(e));
		return -e;
	}
	return fd;
}

int nl_ctx_open(struct nl_ctx **ret, struct cni_err *err)
{
	struct nl_ctx *ctx;
	int fd = self_netns_open(err);
	int r;

	if (fd < 0)
		return fd;
	r = ctx_from_fd(fd, &ctx, err);
	if (r < 0) {
		close(fd);
		return r;
	}
	*ret = ctx;
	return 0;
}

int nl_ctx_open_netns(const char *path, struct nl_ctx **ret,
		      struct cni_err *err)
{
	struct nl_ctx *ctx = NULL;
	int orig, target, r;

	target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0) {
		r = -errno;
		if (r == -ENOENT) {
			cni_errf(err, CNI_ERR_UNKNOWN_CONTAINER,
				 "netns \"%s\" does not exist", path);
			return r;
		}
		cni_errf(err, CNI_ERR_INVALID_ENV, "netns \"%s\": %s", path,
			 strerror(-r));
		return r;
	}
	orig = self_netns_open(err);
	if (orig < 0) {
		close(target);
		return orig;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		close(orig);
		close(target);
		cni_errf(err, CNI_ERR_INVALID_ENV, "enter netns \"%s\": %s",
			 path, strerror(-r));
		return r;
	}
	r = ctx_from_fd(target, &ctx, err);
	/* Back to where the thread came from, on every path. */
	if (setns(orig, CLONE_NEWNET) < 0)
		abort(); /* a thread stranded in a pod's netns must not go on */
	close(orig);
	if (r < 0) {
		close(target);
		return r;
	}
	*ret = ctx;
	return 0;
}

void nl_ctx_close(struct nl_ctx *ctx)
{
	if (!ctx)
		return;
	nl_socket_free(ctx->sk);
	close(ctx->nsfd);
	free(ctx);
}

int nl_ctx_netns_fd(const struct nl_ctx *ctx)
{
	return ctx->nsfd;
}

bool nl_ctx_same_netns(const struct nl_ctx *a, const struct nl_ctx *b)
{
	return a->ns_dev == b->ns_dev && a->ns_ino == b->ns_ino;
}

/* ---- links ---- */

static void link_info_fill(struct rtnl_link *l, struct nl_link_info *info)
{
	struct nl_addr *a = rtnl_link_get_addr(l);
	const char *kind = rtnl_link_get_type(l);
	uint16_t ipm;

	memset(info, 0, sizeof(*info));
	info->ifindex = rtnl_link_get_ifindex(l);
	snprintf(info->name, sizeof(info->name), "%s",
		 rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "");
	snprintf(info->kind, sizeof(info->kind), "%s", kind ? kind : "");
	info->flags = rtnl_link_get_flags(l);
	info->mtu = rtnl_link_get_mtu(l);
	info->master = rtnl_link_get_master(l);
	info->link = rtnl_link_get_link(l);
	if (a && nl_addr_get_len(a) == 6) {
		memcpy(info->mac, nl_addr_get_binary_addr(a), 6);
		info->mac_len = 6;
	}
	info->ipvlan_mode = -1;
	if (kind && !strcmp(kind, "macvlan"))
		info->macvlan_mode = rtnl_link_macvlan_get_mode(l);
	if (kind && !strcmp(kind, "ipvlan") &&
	    rtnl_link_ipvlan_get_mode(l, &ipm) == 0)
		info->ipvlan_mode = ipm;
}

int nl_link_get(struct nl_ctx *ctx, const char *name, struct nl_link_info *ret,
		bool err_missing, struct cni_err *err)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(ctx->sk, 0, name, &l);

	if (r < 0) {
		r = nl_errno(r);
		if (r == -ENODEV && !err_missing)
			return r;
		cni_errf(err, CNI_ERR_NETLINK, "link \"%s\": %s", name,
			 r == -ENODEV ? "no such link" : strerror(-r));
		return r;
	}
	link_info_fill(l, ret);
	rtnl_link_put(l);
	return 0;
}

int nl_link_get_index(struct nl_ctx *ctx, int ifindex, struct nl_link_info *ret,
		      struct cni_err *err)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(ctx->sk, ifindex, NULL, &l);

	if (r < 0) {
		r = nl_errno(r);
		cni_errf(err, CNI_ERR_NETLINK, "link index %d: %s", ifindex,
			 r == -ENODEV ? "no such link" : strerror(-r));
		return r;
	}
	link_info_fill(l, ret);
	rtnl_link_put(l);
	return 0;
}

static int link_set_mac(struct rtnl_link *l, const uint8_t *mac)
{
	struct nl_addr *a;

	if (!mac)
		return 0;
	a = nl_addr_build(AF_LLC, mac, 6);
	if (!a)
		return -NLE_NOMEM;
	rtnl_link_set_addr(l, a);
	nl_addr_put(a);
	return 0;
}

/* Send a new link; free it either way. */
static int link_add(struct nl_ctx *ctx, struct rtnl_link *l, const char *what,
		    const char *name, struct cni_err *err)
{
	struct nl_msg *msg = NULL;
	char why[256];
	int r = rtnl_link_build_add_request(l, NLM_F_CREATE | NLM_F_EXCL, &msg);

	rtnl_link_put(l);
	r = r < 0 ? nl_errno(r) : nl_sync(ctx, msg);
	if (r < 0) {
		if (r == -EEXIST)
			cni_errf(err, CNI_ERR_NETLINK,
				 "create %s \"%s\": a link of that name exists",
				 what, name);
		else
			cni_errf(err, CNI_ERR_NETLINK, "create %s \"%s\": %s",
				 what, name,
				 kernel_reason(ctx, r, why, sizeof(why)));
		return r;
	}
	return 0;
}

int nl_veth_create(struct nl_ctx *ctx, const char *name, const char *peer_name,
		   struct nl_ctx *peer_ns, unsigned int mtu,
		   const uint8_t *peer_mac, struct cni_err *err)
{
	struct rtnl_link *l = rtnl_link_veth_alloc(), *peer;

	if (!l)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(l, name);
	rtnl_link_set_name(peer, peer_name);
	if (mtu) {
		rtnl_link_set_mtu(l, mtu);
		rtnl_link_set_mtu(peer, mtu);
	}
	if (peer_ns && !nl_ctx_same_netns(ctx, peer_ns))
		rtnl_link_set_ns_fd(peer, peer_ns->nsfd);
	if (link_set_mac(peer, peer_mac) < 0) {
		rtnl_link_put(peer);
		rtnl_link_put(l);
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	}
	rtnl_link_put(peer);
	return link_add(ctx, l, "veth", name, err);
}

/* RTM_NEWLINK of a bridge by hand: libnl 3.7 cannot put
 * IFLA_BR_VLAN_FILTERING into IFLA_INFO_DATA. */
static int bridge_newlink(struct nl_ctx *ctx, const char *name,
			  unsigned int mtu, bool vlan_filtering)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct nl_msg *msg =
		nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li, *data;
	int r = -NLE_NOMEM;

	if (!msg)
		return r;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, IFLA_IFNAME, name) < 0 ||
	    (mtu && nla_put_u32(msg, IFLA_MTU, mtu) < 0) ||
	    !(li = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
		goto out;
	if (vlan_filtering) {
		data = nla_nest_start(msg, IFLA_INFO_DATA);
		if (!data || nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1) < 0)
			goto out;
		nla_nest_end(msg, data);
	}
	nla_nest_end(msg, li);
	return nl_sync(ctx, msg); /* frees msg */
out:
	nlmsg_free(msg);
	return nl_errno(r);
}

int nl_bridge_create(struct nl_ctx *ctx, const char *name, unsigned int mtu,
		     bool vlan_filtering, struct cni_err *err)
{
	int r = bridge_newlink(ctx, name, mtu, vlan_filtering);
	char why[256];

	if (r < 0) {
		if (r == -EEXIST)
			cni_errf(err, CNI_ERR_NETLINK,
				 "create bridge \"%s\": a link of that name "
				 "exists",
				 name);
		else
			cni_errf(err, CNI_ERR_NETLINK,
				 "create bridge \"%s\": %s", name,
				 kernel_reason(ctx, r, why, sizeof(why)));
		return r;
	}
	return 0;
}

static void link_set_target(struct nl_ctx *ctx, struct rtnl_link *l,
			    struct nl_ctx *target)
{
	if (target && !nl_ctx_same_netns(ctx, target))
		rtnl_link_set_ns_fd(l, target->nsfd);
}

int nl_macvlan_create(struct nl_ctx *ctx, const char *name, int master,
		      uint32_t mode, unsigned int mtu, const uint8_t *mac,
		      struct nl_ctx *target, struct cni_err *err)
{
	struct rtnl_link *l = rtnl_link_macvlan_alloc();

	if (!l)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	rtnl_link_set_name(l, name);
	rtnl_link_set_link(l, master);
	rtnl_link_macvlan_set_mode(l, mode);
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	if (link_set_mac(l, mac) < 0) {
		rtnl_link_put(l);
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	}
	link_set_target(ctx, l, target);
	return link_add(ctx, l, "macvlan", name, err);
}

int nl_ipvlan_create(struct nl_ctx *ctx, const char *name, int master, int mode,
		     unsigned int mtu, struct nl_ctx *target,
		     struct cni_err *err)
{
	struct rtnl_link *l = rtnl_link_ipvlan_alloc();

	if (!l)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	rtnl_link_set_name(l, name);
	rtnl_link_set_link(l, master);
	rtnl_link_ipvlan_set_mode(l, (uint16_t)mode);
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	link_set_target(ctx, l, target);
	return link_add(ctx, l, "ipvlan", name, err);
}

/* Apply `changes` to the link ifindex; frees changes. */
static int link_change(struct nl_ctx *ctx, int ifindex,
		       struct rtnl_link *changes, const char *what,
		       struct cni_err *err)
{
	struct rtnl_link *orig = NULL;
	char name[NL_IFNAMSIZ];
	int r = rtnl_link_get_kernel(ctx->sk, ifindex, NULL, &orig);

	if (r < 0) {
		rtnl_link_put(changes);
		r = nl_errno(r);
		cni_errf(err, CNI_ERR_NETLINK, "%s: link index %d: %s", what,
			 ifindex, r == -ENODEV ? "no such link" : strerror(-r));
		return r;
	}
	snprintf(name, sizeof(name), "%s", rtnl_link_get_name(orig));
	r = rtnl_link_change(ctx->sk, orig, changes, 0);
	rtnl_link_put(orig);
	rtnl_link_put(changes);
	if (r < 0)
		return nl_fail(err, r, what, name);
	return 0;
}

#define CHANGE_BEGIN(var)                          \
	struct rtnl_link *var = rtnl_link_alloc(); \
	if (!var)                                  \
	return cni_errf(err, CNI_ERR_NETLINK, "out of memory")

int nl_link_set_up(struct nl_ctx *ctx, int ifindex, bool up,
		   struct cni_err *err)
{
	CHANGE_BEGIN(c);
	if (up)
		rtnl_link_set_flags(c, IFF_UP);
	else
		rtnl_link_unset_flags(c, IFF_UP);
	return link_change(ctx, ifindex, c, up ? "set up" : "set down", err);
}

int nl_link_set_mtu(struct nl_ctx *ctx, int ifindex, unsigned int mtu,
		    struct cni_err *err)
{
	CHANGE_BEGIN(c);
	rtnl_link_set_mtu(c, mtu);
	return link_change(ctx, ifindex, c, "set mtu of", err);
}

int nl_link_set_name(struct nl_ctx *ctx, int ifindex, const char *name,
		     struct cni_err *err)
{
	CHANGE_BEGIN(c);
	rtnl_link_set_name(c, name);
	return link_change(ctx, ifindex, c, "rename", err);
}

int nl_link_set_master(struct nl_ctx *ctx, int ifindex, int master,
		       struct cni_err *err)
{
	CHANGE_BEGIN(c);
	rtnl_link_set_master(c, master);
	return link_change(ctx, ifindex, c, "set master of", err);
}

int nl_link_set_mac(struct nl_ctx *ctx, int ifindex, const uint8_t mac[6],
		    struct cni_err *err)
{
	CHANGE_BEGIN(c);
	if (link_set_mac(c, mac) < 0) {
		rtnl_link_put(c);
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	}
	return link_change(ctx, ifindex, c, "set mac of", err);
}

int nl_link_set_promisc(struct nl_ctx *ctx, int ifindex, bool on,
			struct cni_err *err)
{
	CHANGE_BEGIN(c);
	if (on)
		rtnl_link_set_flags(c, IFF_PROMISC);
	else
		rtnl_link_unset_flags(c, IFF_PROMISC);
	return link_change(ctx, ifindex, c, "set promisc on", err);
}

int nl_link_move(struct nl_ctx *ctx, int ifindex, struct nl_ctx *target,
		 const char *new_name, struct cni_err *err)
{
	CHANGE_BEGIN(c);
	rtnl_link_set_ns_fd(c, target->nsfd);
	if (new_name)
		rtnl_link_set_name(c, new_name);
	return link_change(ctx, ifindex, c, "move to netns", err);
}

int nl_link_delete(struct nl_ctx *ctx, int ifindex, struct cni_err *err)
{
	struct rtnl_link *l = rtnl_link_alloc();
	int r;

	if (!l)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	rtnl_link_set_ifindex(l, ifindex);
	r = rtnl_link_delete(ctx->sk, l);
	rtnl_link_put(l);
	if (r < 0) {
		r = nl_errno(r);
		if (r == -ENODEV)
			return r;
		cni_errf(err, CNI_ERR_NETLINK, "delete link index %d: %s",
			 ifindex, strerror(-r));
		return r;
	}
	return 0;
}

int nl_link_count_ports(struct nl_ctx *ctx, int master, size_t *ret,
			struct cni_err *err)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	size_t n = 0;
	int r = rtnl_link_alloc_cache(ctx->sk, AF_UNSPEC, &cache);

	if (r < 0)
		return nl_fail(err, r, "list links", "");
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
		if (rtnl_link_get_master((struct rtnl_link *)o) == master)
			n++;
	nl_cache_free(cache);
	*ret = n;
	return 0;
}

int nl_bridge_port_set_hairpin(struct nl_ctx *ctx, int ifindex, bool on,
			       struct cni_err *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE,
				 .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	struct nlattr *pi;
	char name[IF_NAMESIZE] = "?";
	int r = -NLE_NOMEM;

	if (!msg)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		goto out;
	pi = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED);
	if (!pi || nla_put_u8(msg, IFLA_BRPORT_MODE, on ? 1 : 0) < 0)
		goto out;
	nla_nest_end(msg, pi);
	r = nl_send_sync(ctx->sk, msg); /* frees msg */
	msg = NULL;
out:
	nlmsg_free(msg);
	if (r < 0) {
		snprintf(name, sizeof(name), "index %d", ifindex);
		return nl_fail(err, r, "set hairpin on bridge port", name);
	}
	return 0;
}

/* ---- addresses ---- */

static struct nl_addr *prefix_to_nl(const struct nl_prefix *p)
{
	struct nl_addr *a = nl_addr_build(p->family, p->addr,
					  p->family == AF_INET ? 4 : 16);

	if (a)
		nl_addr_set_prefixlen(a, p->len);
	return a;
}

static void prefix_str(const struct nl_prefix *p, char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, n, "%s/%d", a, p->len);
}

/* The IPv4 broadcast address of p. */
static struct nl_addr *prefix_broadcast(const struct nl_prefix *p)
{
	uint32_t a, mask;

	memcpy(&a, p->addr, 4);
	mask = p->len ? htonl(~0u << (32 - p->len)) : 0;
	a |= ~mask;
	return nl_addr_build(AF_INET, &a, 4);
}

static int addr_build(int ifindex, const struct nl_prefix *p, bool brd,
		      struct rtnl_addr **ret)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *a = prefix_to_nl(p), *b = NULL;
	int r = -NLE_NOMEM;

	if (!ra || !a)
		goto out;
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, p->family);
	r = rtnl_addr_set_local(ra, a);
	if (r < 0)
		goto out;
	rtnl_addr_set_prefixlen(ra, p->len);
	if (brd && p->family == AF_INET && p->len < 31) {
		b = prefix_broadcast(p);
		r = b ? rtnl_addr_set_broadcast(ra, b) : -NLE_NOMEM;
		if (r < 0)
			goto out;
	}
	*ret = ra;
	ra = NULL;
	r = 0;
out:
	nl_addr_put(a);
	nl_addr_put(b);
	rtnl_addr_put(ra);
	return r;
}

int nl_addr_add(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *p,
		struct cni_err *err)
{
	struct rtnl_addr *ra = NULL;
	char s[INET6_ADDRSTRLEN + 8], what[48];
	int r = addr_build(ifindex, p, true, &ra);

	prefix_str(p, s, sizeof(s));
	snprintf(what, sizeof(what), "add address to link index %d:", ifindex);
	struct nl_msg *msg = NULL;
	char why[256];

	if (r == 0) {
		r = rtnl_addr_build_add_request(ra, 0, &msg);
		rtnl_addr_put(ra);
		r = r < 0 ? nl_errno(r) : nl_sync(ctx, msg);
	} else {
		r = nl_errno(r);
	}
	if (r < 0 && r != -EEXIST)
		return cni_errf(err, CNI_ERR_NETLINK, "%s %s: %s", what, s,
				kernel_reason(ctx, r, why, sizeof(why)));
	return 0;
}

int nl_addr_del(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *p,
		struct cni_err *err)
{
	struct rtnl_addr *ra = NULL;
	char s[INET6_ADDRSTRLEN + 8], what[56];
	int r = addr_build(ifindex, p, false, &ra);

	prefix_str(p, s, sizeof(s));
	snprintf(what, sizeof(what),
		 "delete address of link index %d:", ifindex);
	if (r == 0) {
		r = rtnl_addr_delete(ctx->sk, ra, 0);
		rtnl_addr_put(ra);
	}
	if (r < 0)
		return nl_fail(err, r, what, s);
	return 0;
}

static int prefix_from_nl(struct nl_addr *a, struct nl_prefix *p)
{
	unsigned int len;

	if (!a)
		return -1;
	len = nl_addr_get_len(a);
	if ((nl_addr_get_family(a) != AF_INET || len != 4) &&
	    (nl_addr_get_family(a) != AF_INET6 || len != 16))
		return -1;
	memset(p, 0, sizeof(*p));
	p->family = nl_addr_get_family(a);
	memcpy(p->addr, nl_addr_get_binary_addr(a), len);
	p->len = nl_addr_get_prefixlen(a);
	return 0;
}

/* Walk a cache, growing an array of n elements of size sz with one entry
 * per object for which fill() returns 0. */
static int cache_collect(struct nl_cache *cache, size_t sz,
			 int (*fill)(struct nl_object *o, void *arg, void *out),
			 void *arg, void **ret, size_t *ret_n)
{
	size_t n = 0, cap = (size_t)nl_cache_nitems(cache) + 1;
	char *arr = calloc(cap, sz);
	struct nl_object *o;

	if (!arr)
		return -ENOMEM;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
		if (n < cap && fill(o, arg, arr + n * sz) == 0)
			n++;
	*ret = arr;
	*ret_n = n;
	return 0;
}

struct addr_filter {
	int ifindex, family;
};

static int addr_fill(struct nl_object *o, void *arg, void *out)
{
	struct rtnl_addr *ra = (struct rtnl_addr *)o;
	const struct addr_filter *f = arg;

	if (rtnl_addr_get_ifindex(ra) != f->ifindex)
		return -1;
	if (f->family != AF_UNSPEC && rtnl_addr_get_family(ra) != f->family)
		return -1;
	if (prefix_from_nl(rtnl_addr_get_local(ra), out) < 0)
		return -1;
	((struct nl_prefix *)out)->len = rtnl_addr_get_prefixlen(ra);
	return 0;
}

int nl_addr_list(struct nl_ctx *ctx, int ifindex, int family,
		 struct nl_prefix **ret, size_t *ret_n, struct cni_err *err)
{
	struct addr_filter f = { ifindex, family };
	struct nl_cache *cache = NULL;
	void *arr;
	int r = rtnl_addr_alloc_cache(ctx->sk, &cache);

	if (r < 0)
		return nl_fail(err, r, "list addresses", "");
	r = cache_collect(cache, sizeof(struct nl_prefix), addr_fill, &f, &arr,
			  ret_n);
	nl_cache_free(cache);
	if (r < 0)
		return cni_errf(err, CNI_ERR_NETLINK, "out of memory");
	*ret = arr;
	return 0;
}

int nl_addr_dad_state(struct nl_ctx *ctx, int ifindex, struct nl_dad_state *ret,
		      struct cni_err *err)
{
	struct nl_dad_state st = { 0 };
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int r = rtnl_addr_alloc_cache(ctx->sk, &cache);

	if (r < 0)
		return nl_fail(err, r, "list addresses", "");
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;
		unsigned int flags = rtnl_addr_get_flags(ra);

		if (rtnl_addr_get_ifindex(ra) != ifindex ||
		    rtnl_addr_get_family(ra) != AF_INET6)
			continue;
		if (flags & IFA_F_DADFAILED) {
			if (st.failed++ == 0 &&
			    prefix_from_nl(rtnl_addr_get_local(ra),
					   &st.first_failed) == 0)
				st.first_failed.len =
					rtnl_addr_get_prefixlen(ra);
		} else if (flags & IFA_F_TENTATIVE) {
			st.tentative++;
		}
	}
	nl_cache_free(cache);
	*ret = st;
	return 0;
}

/* ---- routes ---- */

/* A main-table route to dst by ifindex (via gw when not NULL); the
 * caller sets what add and delete differ in. NULL on ENOMEM. */
static struct rtnl_route *route_build(int ifindex, const struct nl_prefix *dst,
				      const struct nl_prefix *gw)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = prefix_to_nl(dst),
		       *g = gw ? prefix_to_nl(gw) : NULL;
	bool ok = rt && nh && d && (!gw || g);

	if (ok) {
		rtnl_route_set_family(rt, dst->family);
		rtnl_route_set_table(rt, RT_TABLE_MAIN);
		ok = rtnl_route_set_dst(rt, d) == 0;
	}
	if (ok) {
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (g)
			rtnl_route_nh_set_gateway(nh, g);
		rtnl_route_add_nexthop(rt, nh);
		nh = NULL;
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(d);
	nl_addr_put(g);
	if (!ok) {
		rtnl_route_put(rt);
		return NULL;
	}
	return rt;
}

/* What the user can do about a route the kernel refused. */
static const char *route_hint(int r)
{
	switch (r) {
	case -ENETUNREACH:
		return ": the gateway is on no network of the interface "
		       "(give the interface an address in the gateway's "
		       "subnet, or route to the gateway first)";
	case -EHOSTUNREACH:
		return ": the gateway is not directly reachable";
	case -EEXIST:
		return ": the same route is already there";
	case -ENODEV:
		return ": no such interface";
	default:
		return "";
	}
}

/* Appended beside routes to the same destination on other interfaces
 * (NLM_F_APPEND), as the reference plugins add them: a pod's default
 * route via net1 goes in next to eth0's. The very same route again is
 * EEXIST, an error. */
static int route_add_in(struct nl_ctx *ctx, int ifindex,
			const struct nl_prefix *dst, const struct nl_prefix *gw,
			uint32_t table, struct cni_err *err)
{
	struct rtnl_route *rt = route_build(ifindex, dst, gw);
	char s[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN + 8], why[256];
	struct nl_msg *msg = NULL;
	int r = -ENOMEM;

	prefix_str(dst, s, sizeof(s));
	ctx->ext[0] = '\0';
	if (rt) {
		rtnl_route_set_table(rt, table);
		rtnl_route_set_protocol(rt, RTPROT_BOOT);
		rtnl_route_set_scope(rt, gw || table == RT_TABLE_MAIN
						 ? RT_SCOPE_UNIVERSE
						 : RT_SCOPE_LINK);
		rtnl_route_set_type(rt, RTN_UNICAST);
		r = rtnl_route_build_add_request(
			rt, NLM_F_CREATE | NLM_F_APPEND, &msg);
		rtnl_route_put(rt);
		r = r < 0 ? nl_errno(r) : nl_sync(ctx, msg);
	}
	if (r == -EEXIST && table != RT_TABLE_MAIN)
		return 0; /* a table of plexus' own: an ADD tried again */
	if (r < 0) {
		if (gw)
			inet_ntop(gw->family, gw->addr, g, sizeof(g));
		return cni_errf(
			err, CNI_ERR_NETLINK, "add route %s%s%s%s: %s%s", s,
			gw ? " via " : "", gw ? g : "",
			table == RT_TABLE_MAIN ? "" : " (own table)",
			kernel_reason(ctx, r, why, sizeof(why)), route_hint(r));
	}
	return 0;
}

int nl_route_add(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *dst,
		 const struct nl_prefix *gw, struct cni_err *err)
{
	return route_add_in(ctx, ifindex, dst, gw, RT_TABLE_MAIN, err);
}

int nl_route_add_table(struct nl_ctx *ctx, int ifindex,
		       const struct nl_prefix *dst, const struct nl_prefix *gw,
		       uint32_t table, struct cni_err *err)
{
	return route_add_in(ctx, ifindex, dst, gw, table, err);
}

int nl_route_del(struct nl_ctx *ctx, const struct nl_route_info *ri,
		 struct cni_err *err)
{
	struct rtnl_route *rt =
		route_build(ri->oif, &ri->dst, ri->gw.family ? &ri->gw : NULL);
	char s[INET6_ADDRSTRLEN + 8];
	int r = -NLE_NOMEM;

	prefix_str(&ri->dst, s, sizeof(s));
	if (rt) {
		if (ri->table)
			rtnl_route_set_table(rt, ri->table);
		rtnl_route_set_priority(rt, ri->priority);
		/* match any protocol and scope, as `ip route del` does
		 * (libnl would otherwise ask for RTPROT_STATIC) */
		rtnl_route_set_protocol(rt, RTPROT_UNSPEC);
		rtnl_route_set_scope(rt, RT_SCOPE_NOWHERE);
		r = rtnl_route_delete(ctx->sk, rt, 0);
		if (r < 0 && (nl_errno(r) == -ESRCH || nl_errno(r) == -ENODEV))
			r = 0;
		rtnl_route_put(rt);
	}
	if (r < 0)
		return nl_fail(err, r, "delete route", s);
	return 0;
}

/* Nexthop i of rt as ri, when rt is a unicast route of table (and of
 * family unless AF_UNSPEC): 0, else -1. */
static int route_fill(struct rtnl_route *rt, int family, uint32_t table, int i,
		      struct nl_route_info *ri)
{
	struct rtnl_nexthop *nh;

	if (rtnl_route_get_table(rt) != table ||
	    rtnl_route_get_type(rt) != RTN_UNICAST)
		return -1;
	if (family != AF_UNSPEC && rtnl_route_get_family(rt) != family)
		return -1;
	memset(ri, 0, sizeof(*ri));
	if (prefix_from_nl(rtnl_route_get_dst(rt), &ri->dst) < 0) {
		ri->dst.family = rtnl_route_get_family(rt);
		ri->dst.len = 0;
	}
	ri->table = rtnl_route_get_table(rt);
	ri->priority = rtnl_route_get_priority(rt);
	if (i < rtnl_route_get_nnexthops(rt)) {
		nh = rtnl_route_nexthop_n(rt, i);
		ri->oif = rtnl_route_nh_get_ifindex(nh);
		if (prefix_from_nl(rtnl_route_nh_get_gateway(nh), &ri->gw) < 0)
			memset(&ri->gw, 0, sizeof(ri->gw));
	}
	return 0;
}

struct route_dump {
	int family;
	uint32_t table;
	struct nl_route_info *arr;
	size_t n, cap;
	int err;
};

/* One route of the dump: one entry per nexthop (an IPv6 multipath route
 * holds the routes of several interfaces). */
static void route_take(struct nl_object *o, void *arg)
{
	struct rtnl_route *rt = (struct rtnl_route *)o;
	struct route_dump *d = arg;
	int n = rtnl_route_get_nnexthops(rt);

	for (int i = 0; i < (n ? n : 1) && !d->err; i++) {
		struct nl_route_info ri, *a;

		if (route_fill(rt, d->family, d->table, i, &ri) < 0)
			continue;
		if (d->n == d->cap) {
			a = realloc(d->arr, (d->cap * 2 + 16) * sizeof(*a));
			if (!a) {
				d->err = -ENOMEM;
				return;
			}
			d->arr = a;
			d->cap = d->cap * 2 + 16;
		}
		d->arr[d->n++] = ri;
	}
}

static int route_msg(struct nl_msg *msg, void *arg)
{
	nl_msg_parse(msg, route_take, arg);
	return NL_OK;
}

/* A dump read message by message, not through a libnl cache: the cache
 * keeps one of several routes to one destination (its identity has no
 * interface), so a default route via net1 beside eth0's would hide. */
int nl_route_list(struct nl_ctx *ctx, int family, struct nl_route_info **ret,
		  size_t *ret_n, struct cni_err *err)
{
	return nl_route_list_table(ctx, family, RT_TABLE_MAIN, ret, ret_n, err);
}

int nl_route_list_table(struct nl_ctx *ctx, int family, uint32_t table,
			struct nl_route_info **ret, size_t *ret_n,
			struct cni_err *err)
{
	struct route_dump d = { .family = family, .table = table };
	struct rtmsg rtm = { .rtm_family = (unsigned char)family };
	struct nl_cb *orig = nl_socket_get_cb(ctx->sk);
	struct nl_cb *cb = orig ? nl_cb_clone(orig) : NULL;
	int r = -NLE_NOMEM;

	nl_cb_put(orig);
	if (cb) {
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, route_msg, &d);
		r = nl_send_simple(ctx->sk, RTM_GETROUTE, NLM_F_DUMP, &rtm,
				   sizeof(rtm));
		if (r >= 0)
			r = nl_recvmsgs(ctx->sk, cb);
		nl_cb_put(cb);
	}
	if (r >= 0 && d.err)
		r = -NLE_NOMEM;
	if (r < 0) {
		free(d.arr);
		return nl_fail(err, r, "list routes", "");
	}
	*ret = d.arr;
	*ret_n = d.n;
	return 0;
}

/* ---- policy rules ---- */

int nl_rule_add(struct nl_ctx *ctx, const struct nl_prefix *src, uint32_t table,
		uint32_t prio, struct cni_err *err)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	struct nl_addr *a = prefix_to_nl(src);
	char s[INET6_ADDRSTRLEN + 8];
	int r = -NLE_NOMEM;

	prefix_str(src, s, sizeof(s));
	if (rule && a) {
		rtnl_rule_set_family(rule, src->family);
		rtnl_rule_set_src(rule, a);
		rtnl_rule_set_table(rule, table);
		rtnl_rule_set_prio(rule, prio);
		rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
		r = rtnl_rule_add(ctx->sk, rule, NLM_F_CREATE | NLM_F_EXCL);
		if (r < 0 && nl_errno(r) == -EEXIST)
			r = 0; /* the same rule: an ADD tried again */
	}
	nl_addr_put(a);
	rtnl_rule_put(rule);
	if (r < 0)
		return nl_fail(err, r, "add rule from", s);
	return 0;
}

/* "iif ifname lookup table" at priority prio in family (the same rule
 * again is no error). */
int nl_rule_add_iif(struct nl_ctx *ctx, int family, const char *ifname,
		    uint32_t table, uint32_t prio, struct cni_err *err)
{
	struct rtnl_rule *rule = rtnl_rule_alloc();
	int r = -NLE_NOMEM;

	if (rule) {
		rtnl_rule_set_family(rule, family);
		r = rtnl_rule_set_iif(rule, ifname);
	}
	if (rule && r >= 0) {
		rtnl_rule_set_table(rule, table);
		rtnl_rule_set_prio(rule, prio);
		rtnl_rule_set_action(rule, FR_ACT_TO_TBL);
		r = rtnl_rule_add(ctx->sk, rule, NLM_F_CREATE | NLM_F_EXCL);
		if (r < 0 && nl_errno(r) == -EEXIST)
			r = 0; /* the same rule: an ADD tried again */
	}
	rtnl_rule_put(rule);
	if (r < 0)
		return nl_fail(err, r, "add rule iif", ifname);
	return 0;
}

/* Which rules of a table rules_walk counts: from src, or iif in family
 * (both NULL: every rule). */
struct rule_match {
	const struct nl_prefix *src;
	const char *iif;
	int family;
};

static bool rule_matches(struct rtnl_rule *rule, const struct rule_match *m)
{
	struct nl_prefix p;
	const char *iif;

	if (m->iif) {
		iif = rtnl_rule_get_iif(rule);
		return rtnl_rule_get_family(rule) == m->family && iif &&
		       strcmp(iif, m->iif) == 0;
	}
	return !m->src || (prefix_from_nl(rtnl_rule_get_src(rule), &p) == 0 &&
			   p.family == m->src->family &&
			   !memcmp(p.addr, m->src->addr, sizeof(p.addr)));
}

/* Each rule (both families) whose table is table: deleted when del, else
 * counted in *ret_n when it matches m. */
static int rules_walk(struct nl_ctx *ctx, uint32_t table,
		      const struct rule_match *m, bool del, size_t *ret_n)
{
	struct nl_cache *cache = NULL;
	struct nl_object *o;
	int r = rtnl_rule_alloc_cache(ctx->sk, AF_UNSPEC, &cache);

	*ret_n = 0;
	for (o = r < 0 ? NULL : nl_cache_get_first(cache); o && r >= 0;
	     o = nl_cache_get_next(o)) {
		struct rtnl_rule *rule = (struct rtnl_rule *)o;

		if (rtnl_rule_get_table(rule) != table)
			continue;
		if (del) {
			r = rtnl_rule_delete(ctx->sk, rule, 0);
			if (r < 0 && nl_errno(r) == -ENOENT)
				r = 0;
			continue;
		}
		if (rule_matches(rule, m))
			(*ret_n)++;
	}
	nl_cache_free(cache);
	return r < 0 ? r : 0;
}

int nl_rule_del_table(struct nl_ctx *ctx, uint32_t table, struct cni_err *err)
{
	struct rule_match m = { 0 };
	size_t n;
	int r = rules_walk(ctx, table, &m, true, &n);

	return r < 0 ? nl_fail(err, r, "delete the rules of a table", "") : 0;
}

int nl_rule_count(struct nl_ctx *ctx, const struct nl_prefix *src,
		  uint32_t table, size_t *ret_n, struct cni_err *err)
{
	struct rule_match m = { .src = src };
	int r = rules_walk(ctx, table, &m, false, ret_n);

	return r < 0 ? nl_fail(err, r, "list rules", "") : 0;
}

int nl_rule_count_iif(struct nl_ctx *ctx, int family, const char *ifname,
		      uint32_t table, size_t *ret_n, struct cni_err *err)
{
	struct rule_match m = { .iif = ifname, .family = family };
	int r = rules_walk(ctx, table, &m, false, ret_n);

	return r < 0 ? nl_fail(err, r, "list rules", "") : 0;
}

/* ---- sysctl ---- */

static int sysctl_write(const char *key, const char *value, struct cni_err *err)
{
	char path[256];
	size_t len = strlen(value);
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, len) != (ssize_t)len)
		r = -errno;
	if (fd >= 0)
		close(fd);
	if (r < 0)
		cni_errf(err, CNI_ERR_NETLINK, "sysctl %s=%s: %s", key, value,
			 strerror(-r));
	return r;
}

int nl_sysctl_set(struct nl_ctx *ctx, const char *key, const char *value,
		  struct cni_err *err)
{
	int orig, r;

	orig = self_netns_open(err);
	if (orig < 0)
		return orig;
	if (setns(ctx->nsfd, CLONE_NEWNET) < 0) {
		r = -errno;
		close(orig);
		cni_errf(err, CNI_ERR_NETLINK, "sysctl %s: enter netns: %s",
			 key, strerror(-r));
		return r;
	}
	r = sysctl_write(key, value, err);
	if (setns(orig, CLONE_NEWNET) < 0)
		abort(); /* a thread stranded in another netns must not go on */
	close(orig);
	return r;
}

/* A copy of the socket's callbacks; nl_socket_get_cb returns a reference
 * of its own, dropped here. */
static struct nl_cb *sock_cb_clone(struct nl_sock *sk)
{
	struct nl_cb *own = nl_socket_get_cb(sk);
	struct nl_cb *cb = own ? nl_cb_clone(own) : NULL;

	nl_cb_put(own);
	return cb;
}

/* ---- SR-IOV VF settings (on the PF) ---- */

static void vf_parse_one(struct nlattr *vfi, struct nl_vf_info *v)
{
	struct nlattr *tb[IFLA_VF_MAX + 1], *vl;
	int rem;

	if (nla_parse_nested(tb, IFLA_VF_MAX, vfi, NULL) < 0)
		return;
	if (tb[IFLA_VF_MAC]) {
		struct ifla_vf_mac *m = nla_data(tb[IFLA_VF_MAC]);

		v->vf = (int)m->vf;
		memcpy(v->mac, m->mac, 6);
	}
	if (tb[IFLA_VF_VLAN]) {
		struct ifla_vf_vlan *x = nla_data(tb[IFLA_VF_VLAN]);

		v->vlan = (int)x->vlan;
		v->qos = (int)x->qos;
	}
	if (tb[IFLA_VF_VLAN_LIST])
		nla_for_each_nested(vl, tb[IFLA_VF_VLAN_LIST], rem)
		{
			struct ifla_vf_vlan_info *x = nla_data(vl);

			if (nla_type(vl) == IFLA_VF_VLAN_INFO && x->vlan) {
				v->vlan = (int)x->vlan;
				v->qos = (int)x->qos;
				v->vlan_proto = ntohs(x->vlan_proto);
			}
		}
	if (tb[IFLA_VF_SPOOFCHK])
		v->spoofchk = (int)((struct ifla_vf_spoofchk *)nla_data(
					    tb[IFLA_VF_SPOOFCHK]))
				      ->setting;
	if (tb[IFLA_VF_TRUST])
		v->trust = (int)((struct ifla_vf_trust *)nla_data(
					 tb[IFLA_VF_TRUST]))
				   ->setting;
	if (tb[IFLA_VF_LINK_STATE])
		v->link_state = (int)((struct ifla_vf_link_state *)nla_data(
					      tb[IFLA_VF_LINK_STATE]))
					->link_state;
	if (tb[IFLA_VF_RATE]) {
		struct ifla_vf_rate *x = nla_data(tb[IFLA_VF_RATE]);

		v->min_tx_rate = x->min_tx_rate;
		v->max_tx_rate = x->max_tx_rate;
	}
}

/* Find VF vf in an RTM_NEWLINK message; 0 when found. */
static int vf_find(struct nlmsghdr *h, int vf, struct nl_vf_info *ret)
{
	struct nlattr *tb[IFLA_MAX + 1], *vfi;
	int rem;

	if (nlmsg_parse(h, sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_VFINFO_LIST])
		return -ENOENT;
	nla_for_each_nested(vfi, tb[IFLA_VFINFO_LIST], rem)
	{
		struct nl_vf_info v = { .vf = -1,
					.vlan_proto = 0x8100,
					.spoofchk = -1,
					.trust = -1,
					.link_state = -1 };

		if (nla_type(vfi) != IFLA_VF_INFO)
			continue;
		vf_parse_one(vfi, &v);
		if (v.vf == vf) {
			*ret = v;
			return 0;
		}
	}
	return -ENOENT;
}

struct vf_query {
	int vf;
	struct nl_vf_info *ret;
	bool found;
};

static int vf_valid(struct nl_msg *msg, void *arg)
{
	struct vf_query *q = arg;

	if (vf_find(nlmsg_hdr(msg), q->vf, q->ret) == 0)
		q->found = true;
	return NL_OK;
}

/* One RTM_GETLINK of ifindex with VF info, read through the socket's own
 * receive path (so its sequence numbers stay in step), then its ACK. */
static int vf_getlink(struct nl_ctx *ctx, int ifindex, struct vf_query *q)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	struct nl_cb *cb;
	int r = -NLE_NOMEM;

	if (!msg)
		return r;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_VF) == 0)
		r = nl_send_auto(ctx->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	cb = sock_cb_clone(ctx->sk);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, vf_valid, q);
	nl_socket_enable_msg_peek(ctx->sk); /* a PF with many VFs is large */
	r = nl_recvmsgs(ctx->sk, cb);
	nl_cb_put(cb);
	if (r >= 0)
		r = nl_wait_for_ack(ctx->sk);
	return r < 0 ? r : 0;
}

int nl_vf_get(struct nl_ctx *ctx, int pf_ifindex, int vf,
	      struct nl_vf_info *ret, struct cni_err *err)
{
	struct vf_query q = { .vf = vf, .ret = ret };
	char what[48];
	int r = vf_getlink(ctx, pf_ifindex, &q);

	snprintf(what, sizeof(what), "index %d", pf_ifindex);
	if (r < 0)
		return nl_fail(err, r, "read VFs of PF", what);
	if (!q.found) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "the PF (link %s) reports no VF %d", what, vf);
		return -ENOENT;
	}
	return 0;
}

static int vf_put(struct nl_msg *msg, const struct nl_vf_info *w,
		  unsigned int f)
{
	uint32_t vf = (uint32_t)w->vf;
	int r = 0;

	if (f & NL_VF_MAC) {
		struct ifla_vf_mac m = { .vf = vf };

		memcpy(m.mac, w->mac, 6);
		r |= nla_put(msg, IFLA_VF_MAC, sizeof(m), &m);
	}
	if ((f & NL_VF_VLAN) && w->vlan_proto == 0x88a8) {
		struct ifla_vf_vlan_info x = { .vf = vf,
					       .vlan = (uint32_t)w->vlan,
					       .qos = (uint32_t)w->qos,
					       .vlan_proto = htons(0x88a8) };
		struct nlattr *l = nla_nest_start(msg, IFLA_VF_VLAN_LIST);

		r |= !l || nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(x), &x);
		if (l)
			nla_nest_end(msg, l);
	} else if (f & NL_VF_VLAN) {
		struct ifla_vf_vlan x = { .vf = vf,
					  .vlan = (uint32_t)w->vlan,
					  .qos = (uint32_t)w->qos };

		r |= nla_put(msg, IFLA_VF_VLAN, sizeof(x), &x);
	}
	if (f & NL_VF_SPOOFCHK) {
		struct ifla_vf_spoofchk x = { vf, (uint32_t)w->spoofchk };

		r |= nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(x), &x);
	}
	if (f & NL_VF_TRUST) {
		struct ifla_vf_trust x = { vf, (uint32_t)w->trust };

		r |= nla_put(msg, IFLA_VF_TRUST, sizeof(x), &x);
	}
	if (f & NL_VF_LINK_STATE) {
		struct ifla_vf_link_state x = { vf, (uint32_t)w->link_state };

		r |= nla_put(msg, IFLA_VF_LINK_STATE, sizeof(x), &x);
	}
	if (f & NL_VF_RATE) {
		struct ifla_vf_rate x = { vf, w->min_tx_rate, w->max_tx_rate };

		r |= nla_put(msg, IFLA_VF_RATE, sizeof(x), &x);
	}
	return r ? -NLE_NOMEM : 0;
}

int nl_vf_set(struct nl_ctx *ctx, int pf_ifindex, const struct nl_vf_info *want,
	      unsigned int fields, struct cni_err *err)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = pf_ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
	struct nlattr *list, *info;
	char what[64];
	int r = -NLE_NOMEM;

	snprintf(what, sizeof(what), "%d on PF index %d", want->vf, pf_ifindex);
	if (!msg)
		return nl_fail(err, r, "set VF", what);
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		goto out;
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = list ? nla_nest_start(msg, IFLA_VF_INFO) : NULL;
	if (!info || vf_put(msg, want, fields) < 0)
		goto out;
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	r = nl_send_sync(ctx->sk, msg); /* frees msg */
	msg = NULL;
out:
	nlmsg_free(msg);
	if (r < 0)
		return nl_fail(err, r, "set VF", what);
	return 0;
}

/* ---- link groups (batched teardown) ---- */

/* RTM_SETLINK or RTM_DELLINK carrying only IFLA_GROUP: with ifindex 0 the
 * kernel deletes every link of the group, in one request. */
static int group_request(struct nl_ctx *ctx, int type, int ifindex,
			 uint32_t group)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
	int r = -NLE_NOMEM;

	if (!msg)
		return r;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    nla_put_u32(msg, IFLA_GROUP, group) < 0) {
		nlmsg_free(msg);
		return r;
	}
	return nl_send_sync(ctx->sk, msg); /* frees msg */
}

int nl_link_set_group(struct nl_ctx *ctx, int ifindex, uint32_t group,
		      struct cni_err *err)
{
	char name[32];
	int r = group_request(ctx, RTM_SETLINK, ifindex, group);

	if (r < 0) {
		snprintf(name, sizeof(name), "index %d", ifindex);
		return nl_fail(err, r, "set link group of", name);
	}
	return 0;
}

int nl_link_delete_group(struct nl_ctx *ctx, uint32_t group,
			 struct cni_err *err)
{
	char name[32];
	int r = group_request(ctx, RTM_DELLINK, 0, group);

	if (r < 0 && nl_errno(r) != -ENODEV) {
		snprintf(name, sizeof(name), "%u", group);
		return nl_fail(err, r, "delete link group", name);
	}
	return 0;
}

/* ---- bridge port VLANs (AF_BRIDGE, IFLA_AF_SPEC) ---- */

/* RTM_SETLINK (add) or RTM_DELLINK (delete) of vid..vid_end on a port,
 * sent to its master bridge; a range goes as a RANGE_BEGIN/END pair. */
static int brvlan_request(struct nl_ctx *ctx, int type, int ifindex,
			  uint16_t vid, uint16_t vid_end, uint16_t flags)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE,
				 .ifi_index = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(type, 0);
	struct bridge_vlan_info vi = { .flags = flags, .vid = vid };
	struct bridge_vlan_info ve = { .flags = flags, .vid = vid_end };
	struct nlattr *af;
	int r = -NLE_NOMEM;

	if (!msg)
		return r;
	if (vid_end > vid) {
		vi.flags |= BRIDGE_VLAN_INFO_RANGE_BEGIN;
		ve.flags |= BRIDGE_VLAN_INFO_RANGE_END;
	}
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(af = nla_nest_start(msg, IFLA_AF_SPEC)) ||
	    nla_put_u16(msg, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_MASTER) < 0 ||
	    nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) < 0 ||
	    (vid_end > vid &&
	     nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(ve), &ve) < 0)) {
		nlmsg_free(msg);
		return r;
	}
	nla_nest_end(msg, af);
	return nl_send_sync(ctx->sk, msg); /* frees msg */
}

static int brvlan_fail(struct cni_err *err, int nle, const char *what,
		       int ifindex, uint16_t vid, uint16_t vid_end)
{
	char name[64];

	if (vid_end > vid)
		snprintf(name, sizeof(name), "%u-%u on port index %d", vid,
			 vid_end, ifindex);
	else
		snprintf(name, sizeof(name), "%u on port index %d", vid,
			 ifindex);
	return nl_fail(err, nle, what, name);
}

int nl_bridge_vlan_add(struct nl_ctx *ctx, int ifindex, uint16_t vid,
		       uint16_t vid_end, bool pvid, bool untagged,
		       struct cni_err *err)
{
	uint16_t flags = (pvid ? BRIDGE_VLAN_INFO_PVID : 0) |
			 (untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
	int r = brvlan_request(ctx, RTM_SETLINK, ifindex, vid,
			       vid_end > vid ? vid_end : vid, flags);

	return r < 0 ? brvlan_fail(err, r, "add bridge VLAN", ifindex, vid,
				   vid_end)
		     : 0;
}

int nl_bridge_vlan_del(struct nl_ctx *ctx, int ifindex, uint16_t vid,
		       uint16_t vid_end, struct cni_err *err)
{
	int r = brvlan_request(ctx, RTM_DELLINK, ifindex, vid,
			       vid_end > vid ? vid_end : vid, 0);

	return r < 0 ? brvlan_fail(err, r, "delete bridge VLAN", ifindex, vid,
				   vid_end)
		     : 0;
}

struct brvlan_dump {
	int ifindex; /* 0: every port */
	struct nl_bridge_vlan *v;
	size_t n, cap;
	uint16_t begin; /* of an open RANGE_BEGIN, 0: none */
	int nomem;
};

static void brvlan_push(struct brvlan_dump *d, int ifindex,
			const struct bridge_vlan_info *vi, uint16_t begin)
{
	struct nl_bridge_vlan *grown;

	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 16;

		grown = realloc(d->v, cap * sizeof(*grown));
		if (!grown) {
			d->nomem = 1;
			return;
		}
		d->v = grown;
		d->cap = cap;
	}
	d->v[d->n++] = (struct nl_bridge_vlan){
		.ifindex = ifindex,
		.vid = begin ? begin : vi->vid,
		.vid_end = vi->vid,
		.pvid = vi->flags & BRIDGE_VLAN_INFO_PVID,
		.untagged = vi->flags & BRIDGE_VLAN_INFO_UNTAGGED,
	};
}

static int brvlan_valid(struct nl_msg *msg, void *arg)
{
	struct brvlan_dump *d = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi = nlmsg_data(h);
	struct nlattr *tb[IFLA_MAX + 1], *a;
	int rem;

	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0 ||
	    !tb[IFLA_AF_SPEC] || (d->ifindex && ifi->ifi_index != d->ifindex))
		return NL_OK;
	nla_for_each_nested(a, tb[IFLA_AF_SPEC], rem)
	{
		const struct bridge_vlan_info *vi = nla_data(a);

		if (nla_type(a) != IFLA_BRIDGE_VLAN_INFO ||
		    nla_len(a) < (int)sizeof(*vi))
			continue;
		if (vi->flags & BRIDGE_VLAN_INFO_RANGE_BEGIN) {
			d->begin = vi->vid;
			continue;
		}
		brvlan_push(d, ifi->ifi_index, vi,
			    vi->flags & BRIDGE_VLAN_INFO_RANGE_END ? d->begin
								   : 0);
		d->begin = 0;
	}
	return NL_OK;
}

static int brvlan_dump(struct nl_ctx *ctx, struct brvlan_dump *d)
{
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_DUMP);
	struct nl_cb *cb;
	int r = -NLE_NOMEM;

	if (!msg)
		return r;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) == 0 &&
	    nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN_COMPRESSED) ==
		    0)
		r = nl_send_auto(ctx->sk, msg);
	nlmsg_free(msg);
	if (r < 0)
		return r;
	cb = sock_cb_clone(ctx->sk);
	if (!cb)
		return -NLE_NOMEM;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, brvlan_valid, d);
	nl_socket_enable_msg_peek(ctx->sk);
	r = nl_recvmsgs(ctx->sk, cb);
	nl_cb_put(cb);
	return r < 0 ? r : d->nomem ? -NLE_NOMEM : 0;
}

int nl_bridge_vlan_list(struct nl_ctx *ctx, int ifindex,
			struct nl_bridge_vlan **ret, size_t *ret_n,
			struct cni_err *err)
{
	struct brvlan_dump d = { .ifindex = ifindex };
	char name[32];
	int r = brvlan_dump(ctx, &d);

	if (r < 0) {
		free(d.v);
		snprintf(name, sizeof(name), "of index %d", ifindex);
		return nl_fail(err, r, "list bridge VLANs", name);
	}
	*ret = d.v;
	*ret_n = d.n;
	return 0;
}
