/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_REC_H
#define PLEXUS_IPAM_REC_H

#include <stdint.h>

#include "store.h"

struct cni_err;
struct ipam_block;
struct ipam_range;
struct ipam_store;

/* The records of a block (<pool>/a/<block>/<off>, ipam_block.h). */

/* Read the record of off into b when off is held and its record not read
 * yet: one get. A missing record, or one whose hash is not the slot's,
 * leaves the stub (ipam_block_rec_missing). Code 6 naming the key for a
 * record that does not parse. */
int ipam_rec_fetch(struct ipam_store *st, const struct ipam_range *r,
		   struct ipam_block *b, uint32_t off, struct cni_err *err);
/* The same for every held offset: one list of the block's records when
 * one is not read yet. */
int ipam_rec_fetch_all(struct ipam_store *st, const struct ipam_range *r,
		       struct ipam_block *b, struct cni_err *err);
/* One listed record of b (key <pool>/a/<block>/<off>, with its value)
 * into b, as ipam_rec_fetch_all takes each key it lists: taken when its
 * offset is held and not read yet, else ignored; code 6 naming the key
 * for a record that does not parse. */
int ipam_rec_take(struct ipam_block *b, const struct ipam_kv *kv,
		  struct cni_err *err);

/* Before ipam_block_write's header: a block read in format 1 gets all
 * its records written (the header then drops them). */
int ipam_rec_write_before(struct ipam_store *st, const struct ipam_range *r,
			  struct ipam_block *b, struct cni_err *err);
/* The record writes that go with b's header (ipam_store_put_if_with):
 * the deletes of released offsets' records, the puts of taken or changed
 * ones. */
struct ipam_rec_ops {
	struct ipam_kv_op *v;
	size_t n;
};
int ipam_rec_ops_make(const struct ipam_range *r, const struct ipam_block *b,
		      struct ipam_rec_ops *ret);
/* One more delete (of key) in w, with the header's write. */
int ipam_rec_ops_del(struct ipam_rec_ops *w, const char *key);
/* Free w; with b (the header and w written), b has nothing left to
 * write. */
void ipam_rec_ops_done(struct ipam_block *b, struct ipam_rec_ops *w);

/* Before an empty block is deleted: records left under its prefix (a
 * crash's) go, each with the version listed (a record written since,
 * by a writer that took its slot, stays). */
void ipam_rec_drop_all(struct ipam_store *st, const struct ipam_range *r,
		       const struct ipam_block *b);

#endif
