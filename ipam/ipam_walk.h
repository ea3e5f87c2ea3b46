/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_WALK_H
#define PLEXUS_IPAM_WALK_H

#include <stddef.h>

struct cni_err;
struct ipam_block;
struct ipam_range;
struct ipam_store;

/* What ipam_pool_walk calls on each block: 0 goes on, a negative value
 * ends the walk, which returns it. b is cleared after the call. */
typedef int (*ipam_block_fn)(const struct ipam_range *r,
			     const struct ipam_block *b, void *arg,
			     struct cni_err *err);

/* Every stored block of range r, read page by page (page: blocks a page,
 * 0: the store's pageSize), each loaded, handed to fn and freed before
 * the next page is read: at most one page of a pool in memory. Blocks
 * come in the order of ipam_store_list_pages (key order, which is
 * address order, but for the kubernetes store across pages). A key that
 * is no block index is skipped; a block that does not parse ends the
 * walk with code 6 naming its key. How the operator verbs (plexusctl
 * ipam ls, gc) read a whole pool: the one place that knows how a pool's
 * blocks are listed and loaded for them. */
int ipam_pool_walk(struct ipam_store *st, const struct ipam_range *r,
		   size_t page, ipam_block_fn fn, void *arg,
		   struct cni_err *err);

#endif
