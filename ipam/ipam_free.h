/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_FREE_H
#define PLEXUS_IPAM_FREE_H

#include <stdbool.h>

#include "ipam_addr.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_block;
struct ipam_store;

/* The free-block index (docs/ipam.md, "Keys and records"): a key
 * <pool>/f/<shard>/<block> ("{}") for each block that has a free address
 * (shard: the block index modulo ipam_free_shards, 2 hex digits), kept
 * on transitions only (a write that fills a block deletes it after, one
 * that gives a full block room creates it before); <pool>/fi says the
 * index was built for the pool (by ipam_free_build or the seed). A hint
 * may be stale (a full or missing block: readers check and delete it) or
 * missing (after a crash or a race: the owner's GC verb restores it). */
void ipam_free_key(const struct ipam_range *r, ipam_u128 idx, char *buf);
/* One shard per 256 blocks of the pool, at least 1, at most 256: a
 * list of one shard stays small however large the pool. */
unsigned ipam_free_shards(const struct ipam_range *r);
void ipam_free_prefix(const struct ipam_range *r, unsigned shard, char *buf);
void ipam_free_mark_key(const struct ipam_range *r, char *buf);

/* <pool>/fc ("{}"): every block of the pool is claimed. Set by the walk
 * that found no unclaimed block, deleted after a block is given back
 * (ipam_block_drop). With it, an ADD whose own blocks are full borrows
 * at once instead of probing and walking the claimed blocks; when
 * borrowing finds nothing it walks anyway (the mark may be stale). 1
 * when set, 0, or a store error. */
int ipam_pool_all_claimed(struct ipam_store *st, const struct ipam_range *r,
			  struct cni_err *err);
void ipam_pool_mark_claimed(struct ipam_store *st, const struct ipam_range *r,
			    bool all);

/* Has b an address to give (not held, not reserved)? */
bool ipam_block_has_room(const struct ipam_range *r,
			 const struct ipam_block *b);
/* Note what b as just read looks like to the index (b->room). */
void ipam_block_note_room(const struct ipam_range *r, struct ipam_block *b);

/* Write b with compare-and-swap on b->ver (0: create), keeping its hint
 * true; b->ver and b->room follow the write. */
int ipam_block_write(struct ipam_store *st, const struct ipam_range *r,
		     struct ipam_block *b, struct cni_err *err);
/* Delete b if still at b->ver, then its hint and <pool>/fc: 0, or
 * del_if's error. */
int ipam_block_drop(struct ipam_store *st, const struct ipam_range *r,
		    const struct ipam_block *b, struct cni_err *err);
/* Create b's hint when b has room and it is missing (GC's repair). */
int ipam_free_ensure(struct ipam_store *st, const struct ipam_range *r,
		     const struct ipam_block *b, struct cni_err *err);

/* One block with a free address, through the index: *ret (loaded, caller
 * clears) or -ENOSPC. Stale hints met on the way are deleted; a pool
 * without <pool>/fi gets its index built first (one read of every block,
 * once). seed picks where in the index to start. */
int ipam_free_find(struct ipam_store *st, const struct ipam_range *r,
		   uint64_t seed, struct ipam_block *ret, struct cni_err *err);

#endif
