/* SPDX-License-Identifier: Apache-2.0 */
/* The free-block index: one small key per block with a free address, so
 * borrowing and STATUS find room without reading every block. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "ipam_block.h"
#include "ipam_free.h"
#include "ipam_rec.h"
#include "store.h"

#define HINT_TOUCHES 3
#define SHARD_BLOCKS 256
#define SHARDS_MAX   256

unsigned ipam_free_shards(const struct ipam_range *r)
{
	ipam_u128 n = ipam_block_last(r) - ipam_block_first(r) + 1;
	unsigned s = 1;

	while (s < SHARDS_MAX && (ipam_u128)s * SHARD_BLOCKS < n)
		s <<= 1;
	return s;
}

void ipam_free_key(const struct ipam_range *r, ipam_u128 idx, char *buf)
{
	unsigned shard = (unsigned)(idx % ipam_free_shards(r));
	char hex[33];

	snprintf(buf, IPAM_KEY_MAX, "%s/f/%02x/%s", r->pool_id, shard,
		 ipam_u128_hex(idx, r->net.addr.family, hex));
}

void ipam_free_prefix(const struct ipam_range *r, unsigned shard, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/f/%02x/", r->pool_id, shard);
}

void ipam_free_mark_key(const struct ipam_range *r, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/fi", r->pool_id);
}

static void claimed_key(const struct ipam_range *r, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/fc", r->pool_id);
}

int ipam_pool_all_claimed(struct ipam_store *st, const struct ipam_range *r,
			  struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	int rc;

	claimed_key(r, key);
	rc = ipam_store_get(st, key, &val, NULL, NULL, err);
	if (rc == 0)
		free(val);
	return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
}

void ipam_pool_mark_claimed(struct ipam_store *st, const struct ipam_range *r,
			    bool all)
{
	char key[IPAM_KEY_MAX];

	claimed_key(r, key);
	if (all)
		ipam_store_put_if(st, key, "{}", 2, 0, NULL, NULL);
	else
		ipam_store_del_if(st, key, 0, NULL);
}

bool ipam_block_has_room(const struct ipam_range *r, const struct ipam_block *b)
{
	uint32_t off;

	return ipam_block_free_slot(r, b, &off) == 0;
}

void ipam_block_note_room(const struct ipam_range *r, struct ipam_block *b)
{
	b->room = ipam_block_has_room(r, b);
}

/* Create the hint of idx, or give an existing one a new version: a
 * reader that found the block full just before (and deletes the hint
 * with the version it listed) then fails its delete. */
static int hint_touch(struct ipam_store *st, const struct ipam_range *r,
		      ipam_u128 idx, struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	uint64_t ver = 0;
	int i, rc;

	ipam_free_key(r, idx, key);
	for (i = 0; i < HINT_TOUCHES; i++) {
		rc = ipam_store_put_if(st, key, "{}", 2, ver, NULL, err);
		if (rc != -ECANCELED)
			return rc;
		rc = ipam_store_get(st, key, &val, NULL, &ver, err);
		if (rc == -ENOENT) {
			ver = 0;
			continue;
		}
		if (rc < 0)
			return rc;
		free(val);
	}
	return 0; /* others keep changing it: it exists */
}

static void hint_drop(struct ipam_store *st, const struct ipam_range *r,
		      ipam_u128 idx, uint64_t ver)
{
	char key[IPAM_KEY_MAX];

	ipam_free_key(r, idx, key);
	ipam_store_del_if(st, key, ver, NULL);
}

int ipam_free_ensure(struct ipam_store *st, const struct ipam_range *r,
		     const struct ipam_block *b, struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	int rc;

	if (!ipam_block_has_room(r, b))
		return 0;
	ipam_free_key(r, b->idx, key);
	rc = ipam_store_put_if(st, key, "{}", 2, 0, NULL, err);
	return rc == -ECANCELED ? 0 : rc;
}

/* The record writes that go with b's header, and the delete of its
 * hint when this write fills it (filled): on etcd in the header's
 * transaction; elsewhere before the header, so a crash or a lost
 * compare-and-swap leaves a block with room without its hint (costs
 * availability until GC or its next transition, never a duplicate) */
static int ops_make(const struct ipam_range *r, const struct ipam_block *b,
		    bool filled, struct ipam_rec_ops *w)
{
	char key[IPAM_KEY_MAX];

	if (ipam_rec_ops_make(r, b, w) < 0)
		return -ENOMEM;
	if (!filled)
		return 0;
	ipam_free_key(r, b->idx, key);
	if (ipam_rec_ops_del(w, key) == 0)
		return 0;
	ipam_rec_ops_done(NULL, w);
	return -ENOMEM;
}

int ipam_block_write(struct ipam_store *st, const struct ipam_range *r,
		     struct ipam_block *b, struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	const char *val = ipam_block_str(b);
	bool room = ipam_block_has_room(r, b), created = b->ver == 0;
	struct ipam_rec_ops w;
	int rc;

	if (!*val) /* ipam_block_str ran out of memory */
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	/* a format-1 block's records are written out first: a crash
	 * leaves the format-1 block, written out again next time */
	rc = ipam_rec_write_before(st, r, b, err);
	if (rc == 0 && ops_make(r, b, !created && b->room && !room, &w) < 0)
		rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	if (rc < 0)
		return rc;

	/* an existing full block gets room: the hint comes first, so a
	 * crash leaves a stale hint (checked by readers), never none */
	if (!created && !b->room && room) {
		rc = hint_touch(st, r, b->idx, err);
		if (rc < 0) {
			ipam_rec_ops_done(NULL, &w);
			return rc;
		}
	}
	/* the header with its records' writes: one transaction on etcd;
	 * elsewhere the deletes before it and the puts after it, so a
	 * crash leaves at worst a slot without its record, which the
	 * retried ADD, the DEL or the GC verb repairs */
	ipam_block_key(r, b->idx, key);
	rc = ipam_store_put_if_with(st, key, val, strlen(val), b->ver, &b->ver,
				    w.v, w.n, err);
	ipam_rec_ops_done(rc == 0 ? b : NULL, &w);
	if (rc < 0)
		return rc;
	/* a new block's hint after it exists (a reader finding a hint to a
	 * missing block deletes it); a crash in between: GC restores it */
	if (created && room)
		ipam_free_ensure(st, r, b, NULL);
	b->room = room;
	return 0;
}

int ipam_block_drop(struct ipam_store *st, const struct ipam_range *r,
		    const struct ipam_block *b, struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	int rc;

	ipam_rec_drop_all(st, r, b);
	ipam_block_key(r, b->idx, key);
	rc = ipam_store_del_if(st, key, b->ver, err);
	if (rc == 0)
		hint_drop(st, r, b->idx, 0);
	if (rc == 0)
		ipam_pool_mark_claimed(st, r, false);
	return rc;
}

/* Load the block a hint names; a hint to a full or missing block goes
 * (with the version listed: a writer that touched it since keeps it). */
static int hint_check(struct ipam_store *st, const struct ipam_range *r,
		      const struct ipam_kv *hint, struct ipam_block *ret,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	ipam_u128 idx;
	uint64_t ver;
	size_t len;
	int rc;

	if (ipam_key_block_idx(hint->key, &idx) < 0)
		return -ENOSPC;
	ipam_block_key(r, idx, key);
	rc = ipam_store_get(st, key, &val, &len, &ver, err);
	if (rc == -ENOENT) {
		hint_drop(st, r, idx, hint->ver);
		return -ENOSPC;
	}
	if (rc < 0)
		return rc;
	rc = ipam_block_load(idx, key, val, len, ver, ret, err);
	free(val);
	if (rc < 0)
		return rc;
	ipam_block_note_room(r, ret);
	if (ret->room)
		return 0;
	ipam_block_clear(ret);
	hint_drop(st, r, idx, hint->ver);
	return -ENOSPC;
}

static int shard_search(struct ipam_store *st, const struct ipam_range *r,
			unsigned shard, uint64_t seed, struct ipam_block *ret,
			struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX];
	struct ipam_kv *kv;
	size_t i, n, start;
	int rc;

	ipam_free_prefix(r, shard, prefix);
	rc = ipam_store_list(st, prefix, true, &kv, &n, err);
	if (rc < 0)
		return rc;
	start = n ? (size_t)(seed % n) : 0;
	for (i = 0, rc = -ENOSPC; i < n && rc == -ENOSPC; i++)
		rc = hint_check(st, r, &kv[(start + i) % n], ret, err);
	ipam_kv_free(kv, n);
	return rc;
}

/* The shards from a random one on, each listed keys only, until a hint
 * names a block with room. */
static int free_search(struct ipam_store *st, const struct ipam_range *r,
		       uint64_t seed, struct ipam_block *ret,
		       struct cni_err *err)
{
	unsigned i, n = ipam_free_shards(r), first = (unsigned)(seed % n);
	int rc = -ENOSPC;

	for (i = 0; i < n && rc == -ENOSPC; i++)
		rc = shard_search(st, r, (first + i) % n, seed >> 8, ret, err);
	return rc;
}

/* A pool written before the index (or by plexus-ipam built before it):
 * read every block once, create the hints of those with room, then
 * <pool>/fi. Writers keep the index from then on. */
static int free_build(struct ipam_store *st, const struct ipam_range *r,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	struct ipam_block b;
	struct ipam_kv *kv;
	ipam_u128 idx;
	size_t i, n;
	int rc;

	ipam_block_prefix(r, key);
	rc = ipam_store_list(st, key, false, &kv, &n, err);
	if (rc < 0)
		return rc;
	for (i = 0; rc == 0 && i < n; i++) {
		if (ipam_key_block_idx(kv[i].key, &idx) < 0 ||
		    ipam_block_load(idx, kv[i].key, kv[i].val, kv[i].len,
				    kv[i].ver, &b, NULL) < 0)
			continue;
		rc = ipam_free_ensure(st, r, &b, err);
		ipam_block_clear(&b);
	}
	ipam_kv_free(kv, n);
	if (rc < 0)
		return rc;
	ipam_free_mark_key(r, key);
	rc = ipam_store_put_if(st, key, "{}", 2, 0, NULL, err);
	return rc == -ECANCELED ? 0 : rc;
}

static int free_built(struct ipam_store *st, const struct ipam_range *r,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	int rc;

	ipam_free_mark_key(r, key);
	rc = ipam_store_get(st, key, &val, NULL, NULL, err);
	if (rc == 0)
		free(val);
	return rc == -ENOENT ? 0 : rc < 0 ? rc : 1;
}

int ipam_free_find(struct ipam_store *st, const struct ipam_range *r,
		   uint64_t seed, struct ipam_block *ret, struct cni_err *err)
{
	int rc;

	rc = free_search(st, r, seed, ret, err);
	if (rc != -ENOSPC)
		return rc;
	rc = free_built(st, r, err);
	if (rc != 0)
		return rc < 0 ? rc : -ENOSPC;
	rc = free_build(st, r, err);
	if (rc < 0)
		return rc;
	return free_search(st, r, seed, ret, err);
}
