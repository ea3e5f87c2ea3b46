/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_ALLOC_H
#define PLEXUS_IPAM_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "ipam_addr.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_refs;
struct ipam_store;

/* Who holds an allocation. cid and ifname identify it; the rest is
 * recorded for operators and GC (pod UID, not name: StatefulSets reuse
 * names). Any of ns/pod/uid may be NULL. */
struct ipam_owner {
	const char *cid;
	const char *ifname;
	const char *ns;
	const char *pod;
	const char *uid;
	/* the IPAMClaim ("ns/name") the address is for, or NULL: its record
	 * outlives the container while the claim holds it */
	const char *claim;
};

/* One allocator call: the store, this node, and a random seed. */
struct ipam_ctx {
	struct ipam_store *st;
	const char *node;
	uint64_t seed;
	/* this call's network (the config's "name"), recorded with each
	 * allocation as "net"; GC collects only records of its network
	 * (NULL: records without one) */
	const char *net;
	/* the call's deadline (cni_deadline.h; 0: none): the node lock and
	 * compare-and-swap retries end by it with code 11 */
	int64_t deadline;
	/* Does IPAMClaim `claim` ("ns/name") exist and list a in its
	 * status.ips? 1, 0, or negative when that cannot be told now. NULL:
	 * claims are not looked at, a claim's record goes like any other.
	 * DEL and GC keep a record its claim holds (or may hold), without
	 * its container. */
	int (*claim_holds)(void *arg, const char *claim,
			   const struct ipam_addr *a);
	void *claim_arg;
	/* DEL of a conflict (IPAM_CONFLICT_ENV, set by plexus only): these
	 * addresses (separated by commas) are released and stay reserved
	 * with the reason "conflict"; NULL: none */
	const char *conflict;
	/* the allocator's own: this node's reference index while a call
	 * holds it loaded (NULL otherwise); callers leave it NULL */
	struct ipam_refs *refs;
};

/* The environment variable plexus sets on the DEL that undoes an
 * attachment whose IPv4 address another host on the segment answered
 * for: the addresses, separated by commas. */
#define IPAM_CONFLICT_ENV "PLEXUS_IPAM_CONFLICT"

/* Keys (relative to the store):
 *   <pool>/b/<hex block index>          a block: owner node + allocations
 *   <pool>/i/<node>                     the blocks node has records in
 *                                       (ipam_refs.h)
 *   <pool>/n/<node>/<hex block index>   the same, one key per block: the
 *                                       old layout, read once and moved
 *                                       into <pool>/i/<node> */

/* Allocate one address of range r for owner: `want` (static) or any.
 * Idempotent per cid+ifname. Exhausted: code 120 naming the pool; want
 * taken: code 121 naming the holder; want reserved (by the config, or by
 * an operator: ipam_reserve.h): code 7. A want held
 * by o->claim's record without a container is taken over, on any node. */
int ipam_alloc(struct ipam_ctx *ctx, const struct ipam_range *r,
	       const struct ipam_owner *o, const struct ipam_addr *want,
	       struct ipam_addr *ret, struct cni_err *err);

/* Release what cid+ifname holds in r; nothing held is success. A claim's
 * record stays, without the container, unless ctx->claim_holds says 0.
 * An address in ctx->conflict is reserved as a conflict in the same
 * write. */
int ipam_release(struct ipam_ctx *ctx, const struct ipam_range *r,
		 const char *cid, const char *ifname, struct cni_err *err);

/* Release the allocation at address a if cid+ifname still holds it,
 * whichever node made it (for plexusctl ipam gc). No node lock and no
 * reference index is touched: a node drops its own stale entries. 0,
 * or -ENOENT without err when a is not held by cid+ifname (any more). */
int ipam_release_at(struct ipam_ctx *ctx, const struct ipam_range *r,
		    const struct ipam_addr *a, const char *cid,
		    const char *ifname, struct cni_err *err);

/* As ipam_release_at for the record at a of IPAMClaim claim ("ns/name"),
 * held by cid+ifname or, with cid "", by no container: the record goes,
 * or with `detach` only its container (the claim keeps the address). */
int ipam_claim_release_at(struct ipam_ctx *ctx, const struct ipam_range *r,
			  const struct ipam_addr *a, const char *claim,
			  const char *cid, const char *ifname, bool detach,
			  struct cni_err *err);

/* The address cid+ifname holds in r: 0, or -ENOENT without err. */
int ipam_find(struct ipam_ctx *ctx, const struct ipam_range *r, const char *cid,
	      const char *ifname, struct ipam_addr *ret, struct cni_err *err);

/* Release this node's allocations in r whose containerID+ifname is not in
 * `valid` (a JSON array of {"containerID", "ifname"}); *ret_n counts them. */
int ipam_gc(struct ipam_ctx *ctx, const struct ipam_range *r,
	    json_object *valid, size_t *ret_n, struct cni_err *err);

/* Could an ADD get an address from r now? 0, or -ENOSPC with code 51;
 * store failures keep their errors. */
int ipam_has_free(struct ipam_ctx *ctx, const struct ipam_range *r,
		  struct cni_err *err);

#endif
