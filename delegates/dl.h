/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_DL_H
#define PLEXUS_DL_H

/* Shared steps of the native delegates (delegates/ only): config checks,
 * IPAM calls, pod interface setup and checks, undo lists. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "delegate.h"
#include "nl.h"

struct cni_err;

/* ---- undo: register right after each acquire; run in reverse ---- */
#define DL_UNDO_MAX 8
struct dl_undos {
	struct {
		void (*fn)(void *arg);
		void *arg;
	} u[DL_UNDO_MAX];
	size_t n;
};
void dl_undo_push(struct dl_undos *u, void (*fn)(void *arg), void *arg);
void dl_undo_run(struct dl_undos *u);

/* ---- config ---- */

/* A reference-plugin key plexus does not implement: refused (code 2)
 * when present with any value but its harmless default. */
enum dl_refuse_unless {
	DL_REFUSE_ALWAYS, /* refused whenever present */
	DL_REFUSE_UNLESS_FALSE,
	DL_REFUSE_UNLESS_TRUE,
	DL_REFUSE_UNLESS_ZERO,
};
struct dl_refused {
	const char *key;
	enum dl_refuse_unless unless;
	const char *why; /* appended to the message */
};
int dl_conf_refuse(json_object *conf, const char *plugin,
		   const struct dl_refused *keys, size_t n,
		   struct cni_err *err);

/* Keys every delegate reads the same way. */
struct dl_common {
	const char *ipam_type; /* NULL: no IPAM (L2 only) */
	unsigned int mtu;      /* 0: unset */
	bool has_mac;	       /* runtimeConfig.mac or args.cni.mac */
	uint8_t mac[6];
};
/* Read ipam.type, mtu (0..65535), runtimeConfig.mac / args.cni.mac
 * (when allow_mac; else refused with code 2). Pointers borrow conf. */
int dl_conf_common(json_object *conf, const char *plugin, bool allow_mac,
		   struct dl_common *ret, struct cni_err *err);
/* An interface-name key (e.g. "master", "bridge"); code 7 when bad. */
int dl_conf_ifname(json_object *conf, const char *key, const char *plugin,
		   const char **ret, struct cni_err *err);

/* "aa:bb:cc:dd:ee:ff" <-> bytes; parse fails with -EINVAL (no err). */
int dl_mac_parse(const char *s, uint8_t mac[6]);
void dl_mac_format(const uint8_t mac[6], char buf[18]);
/* "10.1.0.5/24" (CIDR) and "10.1.0.1" (host address, full length). */
int dl_prefix_parse(const char *s, struct nl_prefix *ret);
int dl_ip_parse(const char *s, struct nl_prefix *ret);
void dl_prefix_format(const struct nl_prefix *p, bool with_len, char *buf,
		      size_t n);
/* Does the subnet of a contain the address of b? */
bool dl_prefix_contains(const struct nl_prefix *a, const struct nl_prefix *b);

/* ---- IPAM ---- */

/* Run the IPAM plugin of the config (conf.ipam.type) with cmd and the
 * request's env and stdin. ADD: *ret is its parsed result. */
int dl_ipam_exec(const struct delegate_req *req, const char *type,
		 enum cni_cmd cmd, struct cni_result **ret,
		 struct cni_err *err);

/* The same call started before the delegate's netlink work and finished
 * after it: an IPAM plugin that is a child process runs from a thread
 * meanwhile, so its start-up overlaps with the link setup (the reference
 * plugins run it in turn). Through other exec ops (in-process plugins)
 * the call runs inside dl_ipam_start. A started call is finished, or
 * undone, exactly once; the struct must not move while it runs. */
struct dl_ipam_call {
	struct delegate_req req; /* its conf: the thread's copy */
	json_object *orig_conf, *conf;
	const char *type;
	enum cni_cmd cmd;
	pthread_t thread;
	bool started, running;
	int r;
	struct cni_result *res;
	struct cni_err err;
};
void dl_ipam_start(struct dl_ipam_call *c, const struct delegate_req *req,
		   const char *type, enum cni_cmd cmd);
/* Wait for the call; ADD: *ret (may be NULL) takes its result. */
int dl_ipam_finish(struct dl_ipam_call *c, struct cni_result **ret,
		   struct cni_err *err);
/* An undo step (arg: the call): wait for it, and release what an ADD
 * that succeeded allocated (IPAM DEL). */
void dl_ipam_undo(void *arg);

/* ---- pod interface ---- */

/* Bring ifindex up, add the result's addresses and routes (a route
 * without gw uses the gateway of the first IP of its family). */
int dl_iface_configure(struct nl_ctx *pod, int ifindex,
		       const struct cni_result *ipam, struct cni_err *err);
/* As the reference plugins do to a new pod interface: arp_notify on (a
 * gratuitous ARP when it comes up or changes address) and, with
 * no_dad, IPv6 duplicate address detection off (skipped where the pod has
 * no IPv6). Call before dl_iface_configure. */
int dl_iface_sysctls(struct nl_ctx *pod, const char *ifname, bool no_dad,
		     struct cni_err *err);
/* Append an interface to res; *ret_idx is its index. */
int dl_result_add_iface(struct cni_result *res, const char *name,
			const struct nl_link_info *link, const char *sandbox,
			size_t *ret_idx);
/* Point every IP of res at interface idx. */
void dl_result_ips_to(struct cni_result *res, size_t idx);

/* The parsed prevResult of a CHECK (required: code 7 when missing). */
int dl_prev_result(const struct delegate_req *req, struct cni_result **ret,
		   struct cni_err *err);
/* Check the pod interface CNI_IFNAME against prev: it exists (with kind,
 * unless NULL),
 * its MAC, its addresses and the routes. *ret (may be NULL) its info. */
int dl_check_pod_iface(struct nl_ctx *pod, const char *ifname, const char *kind,
		       const struct cni_result *prev, struct nl_link_info *ret,
		       struct cni_err *err);

/* The common DEL: IPAM DEL (when the config has IPAM), then the pod's
 * CNI_IFNAME link deleted; a missing netns or link is success. Every
 * step runs; the first failure is reported. */
int dl_del_pod_link(const struct delegate_req *req, struct cni_err *err);

/* The link the default route of family leaves through (ctx's netns). */
int dl_default_route_link(struct nl_ctx *ctx, int family,
			  struct nl_link_info *ret, struct cni_err *err);

/* A link on a lower device (macvlan, ipvlan): what differs per kind. */
struct dl_lower {
	const char *plugin, *kind;
	const struct dl_common *c;
	const char *master; /* NULL: the default route's link */
	bool link_in_container;
	int (*create)(struct nl_ctx *ctx, const char *name, int master,
		      struct nl_ctx *target, const void *arg,
		      struct cni_err *err);
	/* CHECK: does the pod link match the config (mode ...)? */
	int (*verify)(const struct nl_link_info *l, const void *arg,
		      struct cni_err *err);
	const void *arg;
};
int dl_lower_add(const struct delegate_req *req, const struct dl_lower *l,
		 struct cni_result **ret, struct cni_err *err);
int dl_lower_check(const struct delegate_req *req, const struct dl_lower *l,
		   struct cni_err *err);

/* An undo runs when the call's deadline may have passed: it gets a
 * short deadline of its own, so it still removes what the ADD made. */
#define DL_UNDO_GRACE_MS 10000

/* Masquerade traffic from addr (its subnet and multicast excepted) with an
 * nftables rule tagged with the attachment; DEL removes the rules of that
 * tag in family (none there is success). Runs `nft` in the caller's netns.
 * The nft lock's wait and the nft child end by deadline (cni_deadline.h,
 * 0: none): then the child is killed and the call fails with code 11. */
int dl_masq_add(const char *container_id, const char *ifname,
		const struct nl_prefix *addr, int64_t deadline,
		struct cni_err *err);
int dl_masq_del(const char *container_id, const char *ifname, int family,
		int64_t deadline, struct cni_err *err);
/* macspoofchk: drop frames entering the bridge from host_port (the pod's
 * veth end) whose source MAC is not mac; DEL removes that rule. */
int dl_spoofchk_add(const char *container_id, const char *ifname,
		    const char *host_port, const uint8_t mac[6],
		    int64_t deadline, struct cni_err *err);
int dl_spoofchk_del(const char *container_id, const char *ifname,
		    int64_t deadline, struct cni_err *err);

/* Open the request's pod netns (CNI_NETNS). */
int dl_pod_open(const struct delegate_req *req, struct nl_ctx **ret,
		struct cni_err *err);
/* 0 when the pod has no link named ifname (code 4 naming it when it has). */
int dl_pod_ifname_free(struct nl_ctx *pod, const char *ifname,
		       struct cni_err *err);

#endif
