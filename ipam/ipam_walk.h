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

/* Every stored block of range r with its records, read page by page
 * (page: keys a page, 0: the store's pageSize), each block loaded,
 * handed to fn and freed before the next: at most a page of headers and
 * a page of records in memory. Where the store reads key ranges
 * (ipam_store_has_range: etcd) the headers and the records are two
 * ranges read side by side in one view and merged by block: about
 * blocks/page + records/page requests. A record whose block has no
 * header (a crash's leftover) is no block's: counted in *ret_orphans
 * (may be NULL; 0 for other stores, which read each block's records by
 * its prefix: a request a block). Blocks come in the order of the
 * store's lists (key order, which is address order, but for the
 * kubernetes store across pages). A key that is no block index is
 * skipped; a block or record that does not parse ends the walk with
 * code 6 naming its key. How the operator verbs (plexusctl ipam ls, gc)
 * read a whole pool: the one place that knows how a pool's blocks are
 * listed and loaded for them. */
int ipam_pool_walk(struct ipam_store *st, const struct ipam_range *r,
		   size_t page, ipam_block_fn fn, void *arg,
		   size_t *ret_orphans, struct cni_err *err);

#endif
