/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_NL_H
#define PLEXUS_NL_H

/* The netlink helper: the only code in plexus that includes libnl. Every
 * request goes through a struct nl_ctx, a route socket bound to one
 * network namespace. Failures return a negative errno and set err (code
 * CNI_ERR_NETLINK unless a request names a better one), the message naming
 * the link. No function keeps state outside its arguments. */

#include <stdbool.h>
#include <stdint.h>

struct cni_err;
struct nl_ctx;

#define NL_WUR	    __attribute__((warn_unused_result))
#define NL_IFNAMSIZ 16

/* An address with its prefix length; family AF_INET or AF_INET6. */
struct nl_prefix {
	int family;
	uint8_t addr[16];
	int len;
};

/* What a link looks like to plexus. mac_len is 0 when it has none. */
struct nl_link_info {
	int ifindex;
	char name[NL_IFNAMSIZ];
	char kind[32];	    /* "veth", "bridge", "macvlan", ... or "" */
	unsigned int flags; /* IFF_* */
	unsigned int mtu;
	int master; /* ifindex of the master, 0: none */
	int link;   /* IFLA_LINK (lower device or veth peer), 0: none */
	uint8_t mac[6];
	int mac_len;
	uint32_t macvlan_mode; /* MACVLAN_MODE_*, when kind is macvlan */
	int ipvlan_mode;       /* IPVLAN_MODE_*, when kind is ipvlan; else -1 */
};

/* A route as read back: dst (len 0 for default), gateway (family 0 when
 * none), oif. */
struct nl_route_info {
	struct nl_prefix dst;
	struct nl_prefix gw;
	int oif;
	uint32_t table;
	uint32_t priority;
};

/* Open a route socket in the calling thread's netns. */
int nl_ctx_open(struct nl_ctx **ret, struct cni_err *err) NL_WUR;
/* Open a route socket inside the netns at path (a bind-mounted netns file
 * or /proc/PID/ns/net): the thread enters it, opens the socket and always
 * returns to its original netns. A missing path gives -ENOENT with code
 * CNI_ERR_UNKNOWN_CONTAINER. */
int nl_ctx_open_netns(const char *path, struct nl_ctx **ret,
		      struct cni_err *err) NL_WUR;
void nl_ctx_close(struct nl_ctx *ctx);
/* An fd of the context's netns (owned by ctx), to move links into it. */
int nl_ctx_netns_fd(const struct nl_ctx *ctx);
/* Do two contexts talk to the same netns? */
bool nl_ctx_same_netns(const struct nl_ctx *a, const struct nl_ctx *b);

/* Look a link up by name or by index. A missing link gives -ENODEV; err
 * is set only when err_missing is true (or on other failures). */
int nl_link_get(struct nl_ctx *ctx, const char *name, struct nl_link_info *ret,
		bool err_missing, struct cni_err *err) NL_WUR;
int nl_link_get_index(struct nl_ctx *ctx, int ifindex, struct nl_link_info *ret,
		      struct cni_err *err) NL_WUR;

/* Create a veth pair: name in ctx's netns, peer_name in peer_ns (NULL:
 * the same netns). mtu 0: the kernel's default; peer_mac NULL: random. */
int nl_veth_create(struct nl_ctx *ctx, const char *name, const char *peer_name,
		   struct nl_ctx *peer_ns, unsigned int mtu,
		   const uint8_t *peer_mac, struct cni_err *err) NL_WUR;
/* Create a bridge (down). mtu 0: default. vlan_filtering: with
 * IFLA_BR_VLAN_FILTERING on (-EOPNOTSUPP where the kernel has none). */
int nl_bridge_create(struct nl_ctx *ctx, const char *name, unsigned int mtu,
		     bool vlan_filtering, struct cni_err *err) NL_WUR;
/* Create a macvlan (mode MACVLAN_MODE_*) / ipvlan (mode IPVLAN_MODE_*) on
 * the master ifindex of ctx's netns, created directly inside target (NULL:
 * ctx's netns) under name. */
int nl_macvlan_create(struct nl_ctx *ctx, const char *name, int master,
		      uint32_t mode, unsigned int mtu, const uint8_t *mac,
		      struct nl_ctx *target, struct cni_err *err) NL_WUR;
int nl_ipvlan_create(struct nl_ctx *ctx, const char *name, int master, int mode,
		     unsigned int mtu, struct nl_ctx *target,
		     struct cni_err *err) NL_WUR;

int nl_link_set_up(struct nl_ctx *ctx, int ifindex, bool up,
		   struct cni_err *err) NL_WUR;
int nl_link_set_mtu(struct nl_ctx *ctx, int ifindex, unsigned int mtu,
		    struct cni_err *err) NL_WUR;
int nl_link_set_name(struct nl_ctx *ctx, int ifindex, const char *name,
		     struct cni_err *err) NL_WUR;
/* master 0: release from its master. */
int nl_link_set_master(struct nl_ctx *ctx, int ifindex, int master,
		       struct cni_err *err) NL_WUR;
int nl_link_set_mac(struct nl_ctx *ctx, int ifindex, const uint8_t mac[6],
		    struct cni_err *err) NL_WUR;
int nl_link_set_promisc(struct nl_ctx *ctx, int ifindex, bool on,
			struct cni_err *err) NL_WUR;
/* Move a link into target's netns, renamed to new_name (NULL: keep). */
int nl_link_move(struct nl_ctx *ctx, int ifindex, struct nl_ctx *target,
		 const char *new_name, struct cni_err *err) NL_WUR;
/* Delete a link; -ENODEV (err not set) when it is gone already. */
int nl_link_delete(struct nl_ctx *ctx, int ifindex, struct cni_err *err) NL_WUR;
/* How many links have master as their master. */
/* A link group: set one link's, or delete every link of a group in one
 * request (one RCU grace period for all of them instead of one each). A
 * group with no link is no error. */
int nl_link_set_group(struct nl_ctx *ctx, int ifindex, uint32_t group,
		      struct cni_err *err) NL_WUR;
int nl_link_delete_group(struct nl_ctx *ctx, uint32_t group,
			 struct cni_err *err) NL_WUR;
int nl_link_count_ports(struct nl_ctx *ctx, int master, size_t *ret,
			struct cni_err *err) NL_WUR;
/* Set IFLA_BRPORT_MODE (hairpin) on a bridge port. */
int nl_bridge_port_set_hairpin(struct nl_ctx *ctx, int ifindex, bool on,
			       struct cni_err *err) NL_WUR;

/* Bridge port VLANs: vid..vid_end (vid_end <= vid: vid alone) on the
 * port ifindex, through its master bridge. A kernel without bridge VLAN
 * filtering gives -EOPNOTSUPP. A range cannot be the PVID. */
int nl_bridge_vlan_add(struct nl_ctx *ctx, int ifindex, uint16_t vid,
		       uint16_t vid_end, bool pvid, bool untagged,
		       struct cni_err *err) NL_WUR;
int nl_bridge_vlan_del(struct nl_ctx *ctx, int ifindex, uint16_t vid,
		       uint16_t vid_end, struct cni_err *err) NL_WUR;
/* One VLAN range of a bridge port (or of the bridge itself), as listed. */
struct nl_bridge_vlan {
	int ifindex;
	uint16_t vid, vid_end; /* equal for one VLAN */
	bool pvid, untagged;
};
/* The VLANs of ifindex (0: of every bridge port); the caller frees *ret.
 * None (or no VLAN filtering in the kernel): *ret_n 0. */
int nl_bridge_vlan_list(struct nl_ctx *ctx, int ifindex,
			struct nl_bridge_vlan **ret, size_t *ret_n,
			struct cni_err *err) NL_WUR;

/* Add an address (IPv4 gets the broadcast address of its prefix, as
 * iproute2's "brd +"); an existing equal address is not an error. */
int nl_addr_add(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *p,
		struct cni_err *err) NL_WUR;
int nl_addr_del(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *p,
		struct cni_err *err) NL_WUR;
/* Addresses of ifindex in family (AF_UNSPEC: all); the caller frees
 * *ret. Link-local IPv6 addresses are included. */
int nl_addr_list(struct nl_ctx *ctx, int ifindex, int family,
		 struct nl_prefix **ret, size_t *ret_n,
		 struct cni_err *err) NL_WUR;
/* IPv6 duplicate address detection on ifindex: how many addresses are
 * still tentative, how many failed it, and the first that failed. */
struct nl_dad_state {
	size_t tentative, failed;
	struct nl_prefix first_failed;
};
int nl_addr_dad_state(struct nl_ctx *ctx, int ifindex, struct nl_dad_state *ret,
		      struct cni_err *err) NL_WUR;

/* Add a route to dst via gw (NULL: on-link) out of ifindex in the main
 * table; an equal existing route is not an error. */
int nl_route_add(struct nl_ctx *ctx, int ifindex, const struct nl_prefix *dst,
		 const struct nl_prefix *gw, struct cni_err *err) NL_WUR;
/* Routes of the main table in family (AF_UNSPEC: all); the caller frees. */
/* Delete the route ri describes (as nl_route_list gave it); a route that
 * is already gone is no error. */
/* The same in routing table table (a device route without gw gets scope
 * link there; the same route again is no error). */
int nl_route_add_table(struct nl_ctx *ctx, int ifindex,
		       const struct nl_prefix *dst, const struct nl_prefix *gw,
		       uint32_t table, struct cni_err *err) NL_WUR;
/* Policy rules: "from src lookup table" at priority prio (the same rule
 * again is no error); delete every rule that points at table (both
 * families); count the rules from src (an address) to table. */
int nl_rule_add(struct nl_ctx *ctx, const struct nl_prefix *src, uint32_t table,
		uint32_t prio, struct cni_err *err) NL_WUR;
int nl_rule_del_table(struct nl_ctx *ctx, uint32_t table,
		      struct cni_err *err) NL_WUR;
int nl_rule_count(struct nl_ctx *ctx, const struct nl_prefix *src,
		  uint32_t table, size_t *ret_n, struct cni_err *err) NL_WUR;
/* The same for "iif ifname lookup table" in family (AF_INET, AF_INET6):
 * traffic received on ifname and not for the netns itself (the local
 * table, priority 0, comes first). */
int nl_rule_add_iif(struct nl_ctx *ctx, int family, const char *ifname,
		    uint32_t table, uint32_t prio, struct cni_err *err) NL_WUR;
int nl_rule_count_iif(struct nl_ctx *ctx, int family, const char *ifname,
		      uint32_t table, size_t *ret_n,
		      struct cni_err *err) NL_WUR;
int nl_route_del(struct nl_ctx *ctx, const struct nl_route_info *ri,
		 struct cni_err *err) NL_WUR;
int nl_route_list(struct nl_ctx *ctx, int family, struct nl_route_info **ret,
		  size_t *ret_n, struct cni_err *err) NL_WUR;
/* The same of routing table table. */
int nl_route_list_table(struct nl_ctx *ctx, int family, uint32_t table,
			struct nl_route_info **ret, size_t *ret_n,
			struct cni_err *err) NL_WUR;

/* SR-IOV: the settings of one VF as the PF reports and takes them. */
struct nl_vf_info {
	int vf;
	uint8_t mac[6];
	int vlan; /* 0: none */
	int qos;
	uint16_t vlan_proto; /* ETH_P_8021Q or ETH_P_8021AD (host order) */
	int spoofchk;	     /* 0/1; -1: not reported */
	int trust;	     /* 0/1; -1: not reported */
	int link_state;	     /* IFLA_VF_LINK_STATE_*; -1: not reported */
	uint32_t min_tx_rate, max_tx_rate; /* Mbps */
};
enum nl_vf_field {
	NL_VF_MAC = 1 << 0,
	NL_VF_VLAN = 1 << 1, /* vlan, qos, vlan_proto */
	NL_VF_SPOOFCHK = 1 << 2,
	NL_VF_TRUST = 1 << 3,
	NL_VF_LINK_STATE = 1 << 4,
	NL_VF_RATE = 1 << 5, /* min_tx_rate, max_tx_rate */
};
/* Read VF vf of the PF pf_ifindex; -ENOENT (err set) when the PF does
 * not report that VF. */
int nl_vf_get(struct nl_ctx *ctx, int pf_ifindex, int vf,
	      struct nl_vf_info *ret, struct cni_err *err) NL_WUR;
/* Apply the fields (enum nl_vf_field) of want->vf on the PF. */
int nl_vf_set(struct nl_ctx *ctx, int pf_ifindex, const struct nl_vf_info *want,
	      unsigned int fields, struct cni_err *err) NL_WUR;

/* Set a sysctl below /proc/sys of ctx's netns (e.g.
 * "net/ipv4/ip_forward"). */
int nl_sysctl_set(struct nl_ctx *ctx, const char *key, const char *value,
		  struct cni_err *err) NL_WUR;

#endif
