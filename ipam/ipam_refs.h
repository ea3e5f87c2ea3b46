/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_REFS_H
#define PLEXUS_IPAM_REFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipam_addr.h"
#include "ipam_block.h"
#include "ipam_conf.h"

struct cni_err;
struct ipam_store;

/* A node's reference index for one pool: the blocks it has records in,
 * stored at <pool>/i/<node> as {"blocks": ["<hex block index>", ...]}
 * (ascending, no repeats). Written only by its node, under the node lock,
 * with compare-and-swap on ver. */
struct ipam_refs {
	char key[IPAM_KEY_MAX];
	uint64_t ver; /* 0: not stored (yet) */
	ipam_u128 *idx;
	size_t n, cap;
};

void ipam_refs_key(const struct ipam_range *r, const char *node, char *buf);

/* Parse a stored index of r at key: code 6 naming the key when it is not
 * an index (blocks not ascending, outside r's prefix, not hex of the
 * family's width), 123 over CNI_JSON_MAX. */
int ipam_refs_parse(const struct ipam_range *r, const char *key,
		    const char *val, size_t len, uint64_t ver,
		    struct ipam_refs *ret, struct cni_err *err);
/* The value to store: a NUL-terminated string the caller frees. */
int ipam_refs_fmt(const struct ipam_range *r, const struct ipam_refs *x,
		  char **ret, size_t *ret_len);
void ipam_refs_clear(struct ipam_refs *x);

bool ipam_refs_has(const struct ipam_refs *x, ipam_u128 idx);
/* Add idx (kept ascending); 0 when it was there already. */
int ipam_refs_add(struct ipam_refs *x, ipam_u128 idx);
/* Drop idx; whether it was there. */
bool ipam_refs_del(struct ipam_refs *x, ipam_u128 idx);

/* Read node's index of r with one get. When there is none, the old
 * layout's keys (<pool>/n/<node>/<block>) are listed once: with `write`,
 * the index is then created (empty when there were none, so the list is
 * not made again) and the old keys deleted after it. */
int ipam_refs_load(struct ipam_store *st, const struct ipam_range *r,
		   const char *node, bool write, struct ipam_refs *ret,
		   struct cni_err *err);
/* The GC verb's sweep of the old layout: one list of node's old keys
 * (<pool>/n/<node>/); when there are some and node's index exists, each
 * is deleted (with its listed version): a kill -9 between the migration's
 * index write and its deletes left them, and nothing else reads or
 * deletes them. Without an index nothing is deleted (the migration still
 * reads them). *ret_n (may be NULL): how many were deleted. */
int ipam_refs_sweep_legacy(struct ipam_store *st, const struct ipam_range *r,
			   const char *node, size_t *ret_n,
			   struct cni_err *err);
/* Write x with compare-and-swap on x->ver (create when 0); x->ver gets
 * the new version. -ECANCELED: someone else wrote it, reread. Over
 * CNI_JSON_MAX: code 123. */
int ipam_refs_store(struct ipam_store *st, const struct ipam_range *r,
		    struct ipam_refs *x, struct cni_err *err);

#endif
