/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_RESERVE_H
#define PLEXUS_IPAM_RESERVE_H

#include <stdbool.h>

#include "ipam_addr.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_store;

/* Operator reservations (plexusctl ipam reserve / unreserve): addresses
 * kept out of allocation at run time, recorded in their block's record
 * ("reserved", ipam_block.h), which every ADD reads anyway. */

enum ipam_resv_state {
	IPAM_RESV_CHANGED, /* reserved (unreserved) by this call */
	IPAM_RESV_HELD,	   /* a record holds it: reserved for after its
			    * release (force), or the refusal (no force) */
	IPAM_RESV_SAME,	   /* already reserved (not reserved): left as is */
	IPAM_RESV_CONFIG,  /* never handed out by the config: left alone */
};

struct ipam_resv_addr {
	struct ipam_addr a;
	enum ipam_resv_state state;
	char holder[400]; /* who holds it (ipam_block_holder), or "" */
	char at[40];	  /* when it was reserved (before this call), or "" */
};

struct ipam_resv_opts {
	bool unreserve, force, dry_run;
	const char *at; /* the time recorded, RFC 3339 UTC */
};

/* (Un)reserve the addresses [lo, hi] of range r, all in one block, with
 * one compare-and-swap of the block (reread and redone when it loses,
 * then code 11). ret[0 .. hi - lo] gets each address' state, also when
 * refused. Reserving an address a record holds (a pod, or an IPAMClaim
 * without a pod) is refused without o->force: code 7 naming the address
 * and its holder, that address IPAM_RESV_HELD, nothing written. A block
 * nobody claimed is created without an owner node; such a block that
 * unreserve leaves empty is deleted. o->dry_run: nothing written. */
int ipam_reserve_span(struct ipam_store *st, const struct ipam_range *r,
		      ipam_u128 lo, ipam_u128 hi,
		      const struct ipam_resv_opts *o,
		      struct ipam_resv_addr *ret, struct cni_err *err);

#endif
