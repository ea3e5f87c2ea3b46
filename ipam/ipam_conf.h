/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_CONF_H
#define PLEXUS_IPAM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "ipam_addr.h"

struct cni_err;

#define IPAM_POOL_ID_MAX	 160
#define IPAM_BLOCK_HOST_BITS_MAX 10
#define IPAM_BLOCK_LEN4_DEFAULT	 26
#define IPAM_BLOCK_LEN6_DEFAULT	 122

/* One range (a pool): a CIDR, the usable window [start, end] inside it,
 * the gateway and excluded prefixes, and the block length. */
struct ipam_range {
	struct ipam_prefix net;
	ipam_u128 start, end;
	bool has_gw;
	struct ipam_addr gw;
	struct ipam_prefix *excl;
	size_t n_excl;
	int block_len;
	char pool_id[IPAM_POOL_ID_MAX]; /* key-safe, e.g. "net1.10.0.0.0_8" */
	size_t set; /* range set: one address per set, its ranges in order */
};

/* The plexus-ipam part of a plugin config (Whereabouts-compatible keys)
 * plus what the call needs from the rest of the config. */
struct ipam_conf {
	json_object *root; /* the whole stdin config (owned) */
	const char *cni_version;
	const char *name; /* network name */
	struct ipam_range *ranges;
	size_t n_ranges;
	/* ranges[].set < n_sets; the ranges of one set adjoin */
	size_t n_sets;
	json_object *routes;	/* borrowed from root, may be NULL */
	json_object *dns;	/* borrowed from root, may be NULL */
	json_object *node_root; /* node-side settings (owned), or NULL */
	json_object *store;	/* from node_root: {"type": ...} or NULL */
	const char *node;	/* node_root's nodeName, or NULL */
	/* requested: CNI_ARGS IP=, args.cni.ips, runtimeConfig.ips */
	struct ipam_addr *static_ips;
	size_t n_static;
	/* conflictDetection: plexus probes the IPv4 addresses handed out
	 * (ARP) and undoes an attachment another host answers for */
	bool conflict_detection;
};

/* Parse the config from buf[0..len). Code 7 naming the field for bad
 * ranges (malformed, overlapping, range_start/range_end/gateway outside
 * the range, bad blockSize, bad runtimeConfig.ips) and for node-only keys
 * (a store definition, nodeName). The store and node name come from the
 * node's settings (ipam_node.h), the config may only name a store. */
int ipam_conf_parse(const char *buf, size_t len, struct ipam_conf **ret,
		    struct cni_err *err);

/* CNI_ARGS' IP= (one address, or several separated by commas: one per
 * range set) put before the config's requested addresses. */
int ipam_conf_request_env(struct ipam_conf *c, const char *ip,
			  struct cni_err *err);
/* Request address s (an address or "addr/len"): code 7 naming `field`
 * when it is not an address, in no range, or a second one in a range
 * set; the same address again counts once. */
int ipam_conf_request(struct ipam_conf *c, const char *s, const char *field,
		      struct cni_err *err);
void ipam_conf_free(struct ipam_conf *conf);

/* Parse one range object ({"range", "range_start", "range_end", "exclude",
 * "gateway", "blockSize"}); `field` names it in messages. */
int ipam_range_parse(json_object *obj, const char *field,
		     const char *network_name, int block4, int block6,
		     struct ipam_range *ret, struct cni_err *err);
void ipam_range_clear(struct ipam_range *r);

/* Append *r (taken over, cleared on failure) as a range of set r->set;
 * code 7 naming `field` when it overlaps a range already there. */
int ipam_conf_range_add(struct ipam_conf *c, struct ipam_range *r,
			const char *field, struct cni_err *err);

/* Is address a (of r's family, inside r.net) never handed out? network,
 * IPv4 broadcast, gateway, outside [start, end], excluded. */
bool ipam_range_reserved(const struct ipam_range *r, ipam_u128 a);

/* The range that contains a, or NULL. */
const struct ipam_range *ipam_conf_range_of(const struct ipam_conf *conf,
					    const struct ipam_addr *a);

/* The node identity: conf->node, else $NODE_NAME, else the hostname;
 * checked to be key-safe. Code 7 (bad name) or 5. */
int ipam_node_name(const struct ipam_conf *conf, char *buf, size_t size,
		   struct cni_err *err);

#endif
