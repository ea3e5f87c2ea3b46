/* SPDX-License-Identifier: Apache-2.0 */
/* A whole pool's blocks, page by page. */
#include <errno.h>
#include <stdbool.h>

#include "cni_error.h"
#include "ipam_block.h"
#include "ipam_conf.h"
#include "ipam_rec.h"
#include "ipam_walk.h"
#include "store.h"

struct walk {
	struct ipam_store *st;
	const struct ipam_range *r;
	ipam_block_fn fn;
	void *arg;
};

/* One page: each block loaded, handed on, cleared. */
static int walk_page(struct ipam_kv *kv, size_t n, void *arg,
		     struct cni_err *err)
{
	struct walk *w = arg;
	struct ipam_block b;
	ipam_u128 idx;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (ipam_key_block_idx(kv[i].key, &idx) < 0)
			continue;
		rc = ipam_block_load(idx, kv[i].key, kv[i].val, kv[i].len,
				     kv[i].ver, &b, err);
		if (rc < 0)
			break;
		rc = ipam_rec_fetch_all(w->st, w->r, &b, err);
		if (rc == 0)
			rc = w->fn(w->r, &b, w->arg, err);
		ipam_block_clear(&b);
	}
	return rc;
}

int ipam_pool_walk(struct ipam_store *st, const struct ipam_range *r,
		   size_t page, ipam_block_fn fn, void *arg,
		   struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX];
	struct walk w = { .st = st, .r = r, .fn = fn, .arg = arg };

	ipam_block_prefix(r, prefix);
	return ipam_store_list_pages(st, prefix, false, page, walk_page, &w,
				     err);
}
