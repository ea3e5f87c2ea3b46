/* SPDX-License-Identifier: Apache-2.0 */
/* The allocator: own blocks first, then claim a block, then borrow. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_fs.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_free.h"
#include "ipam_rec.h"
#include "ipam_refs.h"
#include "store.h"

#define ALLOC_RETRIES	  100
#define CLAIM_PROBES	  16
#define SMALL_POOL_BLOCKS 64

/* Blocks this node has records in (its reference index), loaded; the
 * call's ctx->refs points at refs while they are. */
struct mine {
	struct ipam_block *b;
	size_t n;
	struct ipam_refs refs;
	struct ipam_ctx *ctx;
};

static uint64_t rnd64(struct ipam_ctx *ctx)
{
	uint64_t x = ctx->seed;

	if (!x) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
		    ((uint64_t)getpid() << 40) ^ 0x9e3779b97f4a7c15ULL;
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	ctx->seed = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static void backoff(struct ipam_ctx *ctx, int attempt)
{
	int max_us = 1000 * (attempt < 20 ? attempt + 1 : 20);

	usleep((useconds_t)(rnd64(ctx) % (uint64_t)max_us));
}

/* The call's deadline passed while waiting for `what`: code 11. */
__attribute__((format(printf, 2, 3))) static int
ipam_timeout(struct cni_err *err, const char *what, ...)
{
	char buf[600];
	va_list ap;

	va_start(ap, what);
	vsnprintf(buf, sizeof(buf), what, ap);
	va_end(ap);
	cni_errf(err, CNI_ERR_TRY_AGAIN,
		 "timed out waiting for %s: the call's deadline passed", buf);
	return -ETIMEDOUT;
}

static int node_lock(struct ipam_ctx *ctx, const struct ipam_range *r,
		     int *ret_fd, struct cni_err *err)
{
	char path[512];
	int fd, rc;

	*ret_fd = -1;
	if (!ctx->st->lock_dir[0])
		return 0;
	rc = cni_fs_mkdir_p(ctx->st->lock_dir, 0700);
	if (rc < 0)
		return cni_errf(err, CNI_ERR_IO, "lock dir %s: %s",
				ctx->st->lock_dir, strerror(-rc));
	snprintf(path, sizeof(path), "%s/%s@%s.lock", ctx->st->lock_dir,
		 r->pool_id, ctx->node);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "lock %s: %s", path,
				strerror(errno));
	rc = cni_flock_until(fd, ctx->deadline);
	if (rc < 0) {
		close(fd);
		if (rc == -ETIMEDOUT)
			return ipam_timeout(err,
					    "the node lock %s (another "
					    "call for this pool and node "
					    "holds it)",
					    path);
		return cni_errf(err, CNI_ERR_IO, "flock %s: %s", path,
				strerror(-rc));
	}
	*ret_fd = fd;
	return 0;
}

static void node_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static void mine_clear(struct mine *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		ipam_block_clear(&m->b[i]);
	free(m->b);
	m->b = NULL;
	m->n = 0;
	ipam_refs_clear(&m->refs);
	if (m->ctx)
		m->ctx->refs = NULL;
	m->ctx = NULL;
}

/* Is b this node's own block (not one it borrowed from)? */
static bool own_block(const struct ipam_ctx *ctx, const struct ipam_block *b)
{
	return strcmp(ipam_block_node(b), ctx->node) == 0;
}

/* Block idx's header; cache: a read for update, which plexusd may answer
 * from memory (ret->cached; docs/ipam.md "Block headers in plexusd's
 * memory"). */
static int block_read(struct ipam_ctx *ctx, const struct ipam_range *r,
		      ipam_u128 idx, bool cache, struct ipam_block *ret,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	bool cached = false;
	uint64_t ver;
	size_t len;
	int rc;

	ipam_block_key(r, idx, key);
	rc = cache ? ipam_store_get_cached(ctx->st, key, &val, &len, &ver,
					   &cached, err)
		   : ipam_store_get(ctx->st, key, &val, &len, &ver, err);
	if (rc < 0)
		return rc;
	rc = ipam_block_load(idx, key, val, len, ver, ret, err);
	free(val);
	if (rc == 0) {
		ipam_block_note_room(r, ret);
		ret->cached = cached;
	}
	return rc;
}

static int block_get(struct ipam_ctx *ctx, const struct ipam_range *r,
		     ipam_u128 idx, struct ipam_block *ret, struct cni_err *err)
{
	return block_read(ctx, r, idx, false, ret, err);
}

/* A conclusion drawn from b without writing it must not rest on a header
 * from memory: b read again from the store. 0 when it is the version
 * read (b no longer counts as cached), -ECANCELED when it changed or went
 * (the caller's next round reads everything from the store), or a store
 * error. */
static int block_confirm(struct ipam_ctx *ctx, const struct ipam_range *r,
			 struct ipam_block *b, struct cni_err *err)
{
	struct ipam_block now;
	bool same;
	int rc;

	if (!b->cached)
		return 0;
	rc = block_get(ctx, r, b->idx, &now, err);
	if (rc == -ENOENT)
		return -ECANCELED;
	if (rc < 0)
		return rc;
	same = now.ver == b->ver;
	ipam_block_clear(&now);
	if (!same)
		return -ECANCELED;
	b->cached = false;
	return 0;
}

/* Load block idx of the index into m: 0, or 1 when the entry is to be
 * dropped (the block is gone, or is another node's without records of
 * this node). */
static int mine_add(struct ipam_ctx *ctx, const struct ipam_range *r,
		    ipam_u128 idx, bool cache, struct mine *m,
		    struct cni_err *err)
{
	struct ipam_block b;
	int rc;

	rc = block_read(ctx, r, idx, cache, &b, err);
	/* the entry leaves the index on what the store says, not memory */
	if (rc == 0 && b.cached && !own_block(ctx, &b) &&
	    !ipam_block_has_node(&b, ctx->node)) {
		ipam_block_clear(&b);
		rc = block_get(ctx, r, idx, &b, err);
	}
	if (rc == -ENOENT)
		return 1;
	if (rc < 0)
		return rc;
	if (!own_block(ctx, &b) && !ipam_block_has_node(&b, ctx->node)) {
		ipam_block_clear(&b);
		return 1;
	}
	m->b[m->n++] = b;
	return 0;
}

/* Load the blocks of this node's index; entries that point at nothing
 * of ours leave it, written back at once (a failure there leaves them
 * for the next read). cache: the headers are read for update (ADD and
 * DEL; plexusd may answer from memory), else from the store. */
static int mine_load(struct ipam_ctx *ctx, const struct ipam_range *r,
		     bool cache, struct mine *m, struct cni_err *err)
{
	struct ipam_refs *x = &m->refs;
	size_t i, kept, n;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = ipam_refs_load(ctx->st, r, ctx->node, true, x, err);
	if (rc < 0)
		return rc;
	m->ctx = ctx;
	ctx->refs = x;
	n = x->n;
	m->b = calloc(n ? n : 1, sizeof(*m->b));
	if (!m->b)
		rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	for (i = 0, kept = 0; rc == 0 && i < n; i++) {
		rc = mine_add(ctx, r, x->idx[i], cache, m, err);
		if (rc == 0)
			x->idx[kept++] = x->idx[i];
		rc = rc == 1 ? 0 : rc;
	}
	if (rc == 0 && kept < n) {
		x->n = kept;
		ipam_refs_store(ctx->st, r, x, NULL);
	}
	if (rc < 0)
		mine_clear(m);
	return rc;
}

/* block_confirm of every block of m but keep (NULL: none): before a
 * conclusion about them that no write of theirs checks (the container
 * holds nothing there, they are full, they hold nothing of it). */
static int mine_confirm(struct ipam_ctx *ctx, const struct ipam_range *r,
			struct mine *m, const struct ipam_block *keep,
			struct cni_err *err)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < m->n; i++)
		if (&m->b[i] != keep)
			rc = block_confirm(ctx, r, &m->b[i], err);
	return rc;
}

static void addr_of(const struct ipam_range *r, ipam_u128 idx, uint32_t off,
		    struct ipam_addr *ret)
{
	ret->family = r->net.addr.family;
	ret->v = ipam_block_base(r, idx) + off;
}

/* Before this node writes into block idx: idx is in its index, stored
 * (-ECANCELED when the index changed under us: reread). */
static int ref_ensure(struct ipam_ctx *ctx, const struct ipam_range *r,
		      ipam_u128 idx, struct cni_err *err)
{
	struct ipam_refs *x = ctx->refs;
	int rc;

	if (!x)
		return cni_errf(err, CNI_ERR_INTERNAL,
				"pool %s: no reference index loaded",
				r->pool_id);
	if (ipam_refs_has(x, idx))
		return 0;
	if (ipam_refs_add(x, idx) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	rc = ipam_refs_store(ctx->st, r, x, err);
	if (rc < 0)
		ipam_refs_del(x, idx);
	return rc;
}

/* Block idx leaves this node's index (a failed write leaves the entry
 * for the next read to drop). */
static void ref_drop(struct ipam_ctx *ctx, const struct ipam_range *r,
		     ipam_u128 idx)
{
	if (ctx->refs && ipam_refs_del(ctx->refs, idx))
		ipam_refs_store(ctx->st, r, ctx->refs, NULL);
}

/* Compare-and-swap b; the free-block index follows (ipam_free.h). */
static int block_put(struct ipam_ctx *ctx, const struct ipam_range *r,
		     struct ipam_block *b, struct cni_err *err)
{
	return ipam_block_write(ctx->st, r, b, err);
}

/* The record at off gets this call's network ("net"), when it has one. */
static int rec_net_set(struct ipam_block *b, uint32_t off, const char *net)
{
	json_object *rec, *s;
	char k[16];

	if (!net || !*net)
		return 0;
	snprintf(k, sizeof(k), "%u", off);
	if (!json_object_object_get_ex(ipam_block_allocs(b), k, &rec))
		return -ENOENT;
	s = json_object_new_string(net);
	if (!s)
		return -ENOMEM;
	json_object_object_add(rec, "net", s);
	return 0;
}

/* Take slot off of b (already ours to write: ref in place) and store it. */
static int block_take(struct ipam_ctx *ctx, const struct ipam_range *r,
		      struct ipam_block *b, uint32_t off,
		      const struct ipam_owner *o, struct ipam_addr *ret,
		      struct cni_err *err)
{
	int rc;

	rc = ipam_block_add(b, off, o, ctx->node);
	if (rc == 0)
		rc = rec_net_set(b, off, ctx->net);
	if (rc == 0)
		rc = block_put(ctx, r, b, err);
	if (rc == 0)
		addr_of(r, b->idx, off, ret);
	return rc;
}

/* A free slot of an own block (its compare-and-swap checks the header
 * read; the other blocks, found not to hold the container, are
 * confirmed); -ENOSPC when every own block is full (confirmed too). */
static int alloc_own(struct ipam_ctx *ctx, const struct ipam_range *r,
		     struct mine *m, const struct ipam_owner *o,
		     struct ipam_addr *ret, struct cni_err *err)
{
	uint32_t off;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		if (!own_block(ctx, &m->b[i]) ||
		    ipam_block_free_slot(r, &m->b[i], &off) < 0)
			continue;
		rc = mine_confirm(ctx, r, m, &m->b[i], err);
		return rc < 0 ? rc
			      : block_take(ctx, r, &m->b[i], off, o, ret, err);
	}
	rc = mine_confirm(ctx, r, m, NULL, err);
	return rc < 0 ? rc : -ENOSPC;
}

/* The first index >= x whose block can hold an address, or > last. */
static ipam_u128 live_from(const struct ipam_range *r, ipam_u128 x)
{
	ipam_u128 hi = ipam_block_last(r), y;

	while (x <= hi) {
		y = ipam_block_next_live(r, x);
		if (y == x)
			return x;
		x = y;
	}
	return x;
}

static int probe_random(struct ipam_ctx *ctx, const struct ipam_range *r,
			ipam_u128 *ret, struct cni_err *err)
{
	ipam_u128 lo = ipam_block_first(r), n = ipam_block_last(r) - lo + 1;
	char key[IPAM_KEY_MAX], *val;
	int i, rc;

	for (i = 0; n > SMALL_POOL_BLOCKS && i < CLAIM_PROBES; i++) {
		ipam_u128 x = ((ipam_u128)rnd64(ctx) << 64) | rnd64(ctx);
		ipam_u128 idx = lo + x % n;

		if (ipam_block_next_live(r, idx) != idx)
			continue;
		ipam_block_key(r, idx, key);
		rc = ipam_store_get(ctx->st, key, &val, NULL, NULL, err);
		if (rc == -ENOENT) {
			*ret = idx;
			return 0;
		}
		if (rc < 0)
			return rc;
		free(val);
	}
	return -ENOSPC;
}

/* A block nobody has claimed: random probes in a large pool, then a walk
 * over the claimed keys (cost grows with claimed blocks, not pool size). */
static int find_unclaimed(struct ipam_ctx *ctx, const struct ipam_range *r,
			  ipam_u128 *ret, struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX];
	struct ipam_kv *kv;
	ipam_u128 cand, c;
	size_t i, n;
	int rc;

	rc = probe_random(ctx, r, ret, err);
	if (rc != -ENOSPC)
		return rc;
	ipam_block_prefix(r, prefix);
	rc = ipam_store_list(ctx->st, prefix, true, &kv, &n, err);
	if (rc < 0)
		return rc;
	cand = live_from(r, ipam_block_first(r));
	for (i = 0; i < n; i++) {
		if (ipam_key_block_idx(kv[i].key, &c) < 0 || c < cand)
			continue;
		if (c > cand)
			break;
		cand = live_from(r, cand + 1);
	}
	ipam_kv_free(kv, n);
	/* every block claimed: the next ADDs borrow without this walk; a
	 * gap found: a stale mark goes */
	ipam_pool_mark_claimed(ctx->st, r, cand > ipam_block_last(r));
	if (cand > ipam_block_last(r))
		return -ENOSPC;
	*ret = cand;
	return 0;
}

static int alloc_claim(struct ipam_ctx *ctx, const struct ipam_range *r,
		       const struct ipam_owner *o, struct ipam_addr *ret,
		       struct cni_err *err)
{
	struct ipam_block b;
	ipam_u128 idx;
	uint32_t off;
	int rc;

	rc = find_unclaimed(ctx, r, &idx, err);
	if (rc == 0)
		rc = ref_ensure(ctx, r, idx, err);
	if (rc < 0)
		return rc;
	rc = ipam_block_new(r, idx, ctx->node, &b);
	if (rc < 0)
		return rc;
	rc = ipam_block_free_slot(r, &b, &off);
	if (rc == 0)
		rc = block_take(ctx, r, &b, off, o, ret, err);
	ipam_block_clear(&b);
	return rc;
}

/* Every block is claimed: take a free slot in another node's block,
 * found through the free-block index (ipam_free.h), not by reading the
 * pool. A block plexusctl made for reservations has no owner: this node
 * takes it (the compare-and-swap of block_take decides). */
static int alloc_borrow(struct ipam_ctx *ctx, const struct ipam_range *r,
			const struct ipam_owner *o, struct ipam_addr *ret,
			struct cni_err *err)
{
	struct ipam_block b;
	uint32_t off;
	int rc;

	rc = ipam_free_find(ctx->st, r, rnd64(ctx), &b, err);
	if (rc < 0)
		return rc;
	rc = ipam_block_free_slot(r, &b, &off);
	if (rc == 0)
		rc = ref_ensure(ctx, r, b.idx, err);
	if (rc == 0 && !*ipam_block_node(&b))
		ipam_block_set_node(&b, ctx->node);
	if (rc == 0)
		rc = block_take(ctx, r, &b, off, o, ret, err);
	ipam_block_clear(&b);
	return rc;
}

/* Is the record at off o's claim's, without a container (o may take it)?
 * Also when the record is missing but the slot holds the claim's hash (a
 * crash between a DEL's header and its record). */
static bool claim_free_for(const struct ipam_block *b, uint32_t off,
			   const struct ipam_owner *o)
{
	char h[IPAM_SLOT_HASH_LEN + 1];
	bool attached;
	const char *claim = ipam_block_claim(b, off, &attached);

	if (o->claim && ipam_block_rec_missing(b, off)) {
		ipam_slot_hash(NULL, NULL, o->claim, h);
		return strcmp(ipam_block_slot_hash(b, off), h) == 0;
	}
	return o->claim && claim && !attached && strcmp(claim, o->claim) == 0;
}

/* A request for an address reserved at `at`: code 7 saying by whom. */
static int reserved_refuse(const struct ipam_block *b, uint32_t off,
			   const struct ipam_range *r,
			   const struct ipam_addr *want, const char *at,
			   struct cni_err *err)
{
	char a[IPAM_ADDR_STRLEN];

	if (ipam_block_reserve_reason(b, off))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s in pool %s is reserved as a conflict "
				"(another host on the segment answered ARP "
				"for it, since %s; plexusctl ipam unreserve "
				"frees it)",
				ipam_addr_fmt(want, a), r->pool_id,
				*at ? at : "?");
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"%s in pool %s is reserved by an operator "
			"(plexusctl ipam reserve, since %s)",
			ipam_addr_fmt(want, a), r->pool_id, *at ? at : "?");
}

static int alloc_static(struct ipam_ctx *ctx, const struct ipam_range *r,
			const struct ipam_owner *o,
			const struct ipam_addr *want, struct ipam_addr *ret,
			struct cni_err *err)
{
	char a[IPAM_ADDR_STRLEN], holder[512];
	ipam_u128 idx = ipam_block_of(r, want->v);
	const char *at;
	struct ipam_block b = { 0 };
	uint32_t off;
	int rc;

	if (ipam_range_reserved(r, want->v))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s is reserved in pool %s (network, "
				"broadcast, "
				"gateway, excluded or outside the range)",
				ipam_addr_fmt(want, a), r->pool_id);
	off = (uint32_t)(want->v - ipam_block_base(r, idx));
	rc = block_get(ctx, r, idx, &b, err);
	if (rc == -ENOENT)
		rc = ipam_block_new(r, idx, ctx->node, &b);
	if (rc == 0)
		rc = ipam_rec_fetch(ctx->st, r, &b, off, err);
	if (rc < 0) {
		ipam_block_clear(&b);
		return rc;
	}
	if (ipam_block_reserved(&b, off, &at)) {
		rc = reserved_refuse(&b, off, r, want, at, err);
		ipam_block_clear(&b);
		return rc;
	}
	if (!claim_free_for(&b, off, o) &&
	    ipam_block_holder(&b, off, holder, sizeof(holder))) {
		ipam_block_clear(&b);
		return cni_errf(err, CNI_ERR_ADDRESS_TAKEN,
				"%s in pool %s is taken by %s",
				ipam_addr_fmt(want, a), r->pool_id, holder);
	}
	rc = ref_ensure(ctx, r, idx, err);
	if (rc == 0)
		rc = block_take(ctx, r, &b, off, o, ret, err);
	ipam_block_clear(&b);
	return rc;
}

/* No own block has room: claim a block, else borrow. A pool marked all
 * claimed (<pool>/fc) borrows first and claims (walking the claimed
 * blocks) only when borrowing finds nothing, for the mark may be stale. */
static int alloc_elsewhere(struct ipam_ctx *ctx, const struct ipam_range *r,
			   const struct ipam_owner *o, struct ipam_addr *ret,
			   struct cni_err *err)
{
	int full, rc = -ENOSPC;

	full = ipam_pool_all_claimed(ctx->st, r, err);
	if (full < 0)
		return full;
	if (!full)
		rc = alloc_claim(ctx, r, o, ret, err);
	if (rc == -ENOSPC)
		rc = alloc_borrow(ctx, r, o, ret, err);
	if (rc != -ENOSPC || !full)
		return rc;
	rc = alloc_claim(ctx, r, o, ret, err);
	if (rc == 0)
		ipam_pool_mark_claimed(ctx->st, r, false); /* it was stale */
	return rc;
}

static int mine_find(const struct mine *m, const char *cid, const char *ifname,
		     size_t *ret_i, uint32_t *ret_off)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (ipam_block_find(&m->b[i], cid, ifname, ret_off) == 0) {
			*ret_i = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* The offset cid+ifname holds in m, its record read: a slot with its hash
 * whose record names another attachment (the same hash) is passed over.
 * 0, -ENOENT, or a store error. */
static int mine_find_rec(struct ipam_ctx *ctx, const struct ipam_range *r,
			 struct mine *m, const char *cid, const char *ifname,
			 size_t *ret_i, uint32_t *ret_off, struct cni_err *err)
{
	struct ipam_block *b;
	uint32_t off;
	long after;
	size_t i;
	int rc;

	for (i = 0; i < m->n; i++) {
		b = &m->b[i];
		for (after = -1;
		     ipam_block_find_next(b, cid, ifname, after, &off) == 0;
		     after = off) {
			rc = ipam_rec_fetch(ctx->st, r, b, off, err);
			if (rc < 0)
				return rc;
			if (ipam_block_rec_names(b, off, cid, ifname)) {
				*ret_i = i;
				*ret_off = off;
				return 0;
			}
		}
	}
	return -ENOENT;
}

/* o already holds off of b (mine_find_rec read its record): the record
 * is written when missing (an ADD that died between the block's write
 * and its record's). */
static int alloc_again(struct ipam_ctx *ctx, const struct ipam_range *r,
		       struct ipam_block *b, uint32_t off,
		       const struct ipam_owner *o, struct ipam_addr *ret,
		       struct cni_err *err)
{
	if (ipam_block_rec_missing(b, off))
		return block_take(ctx, r, b, off, o, ret, err);
	addr_of(r, b->idx, off, ret);
	return 0;
}

static int alloc_once(struct ipam_ctx *ctx, const struct ipam_range *r,
		      struct mine *m, const struct ipam_owner *o,
		      const struct ipam_addr *want, struct ipam_addr *ret,
		      struct cni_err *err)
{
	char a[IPAM_ADDR_STRLEN];
	uint32_t off;
	size_t i;
	int rc;

	rc = mine_find_rec(ctx, r, m, o->cid, o->ifname, &i, &off, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	/* found with its record: the answer is given without a write, so
	 * not from a header in memory */
	if (rc == 0 && !ipam_block_rec_missing(&m->b[i], off))
		rc = block_confirm(ctx, r, &m->b[i], err);
	if (rc == 0) {
		rc = alloc_again(ctx, r, &m->b[i], off, o, ret, err);
		if (rc < 0)
			return rc;
		if (want && want->v != ret->v)
			return cni_errf(err, CNI_ERR_ADDRESS_TAKEN,
					"container %s interface %s already "
					"holds %s in pool %s",
					o->cid, o->ifname,
					ipam_addr_fmt(ret, a), r->pool_id);
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	/* alloc_static reads its block again from the store: no write
	 * checks m's headers, which found the container nowhere */
	if (want) {
		rc = mine_confirm(ctx, r, m, NULL, err);
		return rc < 0 ? rc : alloc_static(ctx, r, o, want, ret, err);
	}
	rc = alloc_own(ctx, r, m, o, ret, err);
	if (rc == -ENOSPC)
		rc = alloc_elsewhere(ctx, r, o, ret, err);
	if (rc == -ENOSPC)
		return cni_errf(err, CNI_ERR_POOL_EXHAUSTED,
				"pool %s is exhausted: no free address",
				r->pool_id);
	return rc;
}

/* Another compare-and-swap round? Not past the deadline. */
static bool retry_more(const struct ipam_ctx *ctx, int attempt)
{
	return attempt + 1 < ALLOC_RETRIES &&
	       !cni_deadline_passed(ctx->deadline);
}

static int contention(const struct ipam_range *r, struct cni_err *err)
{
	return cni_errf(err, CNI_ERR_TRY_AGAIN,
			"pool %s: too many concurrent changes, try again",
			r->pool_id);
}

int ipam_alloc(struct ipam_ctx *ctx, const struct ipam_range *r,
	       const struct ipam_owner *o, const struct ipam_addr *want,
	       struct ipam_addr *ret, struct cni_err *err)
{
	struct ipam_addr got;
	struct mine m;
	int fd, rc, attempt;

	rc = node_lock(ctx, r, &fd, err);
	if (rc < 0)
		return rc;
	/* the first round reads the headers for update, a retry (after a
	 * failed compare-and-swap) from the store */
	for (attempt = 0; attempt < ALLOC_RETRIES; attempt++) {
		rc = mine_load(ctx, r, attempt == 0, &m, err);
		if (rc < 0)
			break;
		rc = alloc_once(ctx, r, &m, o, want, &got, err);
		mine_clear(&m);
		if (rc != -ECANCELED || !retry_more(ctx, attempt))
			break;
		backoff(ctx, attempt);
	}
	node_unlock(fd);
	if (rc == -ECANCELED)
		return contention(r, err);
	if (rc == 0)
		*ret = got;
	return rc;
}

/* After b lost records: drop our ref when b is another node's block and
 * holds nothing of ours any more. */
static void ref_drop_if_unused(struct ipam_ctx *ctx, const struct ipam_range *r,
			       const struct ipam_block *b)
{
	if (own_block(ctx, b) || ipam_block_has_node(b, ctx->node))
		return;
	ref_drop(ctx, r, b->idx);
}

/* Another own block of m than the empty b with a free address, that is
 * not empty itself or comes first in the pool (of several empty blocks
 * the first stays)? */
static bool own_room_elsewhere(const struct ipam_ctx *ctx,
			       const struct ipam_range *r, const struct mine *m,
			       const struct ipam_block *b)
{
	uint32_t off;

	for (size_t i = 0; i < m->n; i++) {
		const struct ipam_block *o = &m->b[i];

		if (o != b && own_block(ctx, o) &&
		    ipam_block_free_slot(r, o, &off) == 0 &&
		    (!ipam_block_empty(o) || o->idx < b->idx))
			return true;
	}
	return false;
}

/* Delete the empty block b from the store, if it is still the version
 * just written: a node writing into it meanwhile makes this fail, and b
 * stays. Index entries for it are dropped by their nodes when they next
 * read them (mine_load). */
static bool block_drop(struct ipam_ctx *ctx, const struct ipam_range *r,
		       const struct ipam_block *b)
{
	return ipam_block_drop(ctx->st, r, b, NULL) == 0;
}

/* After b lost records: an own block left empty goes back to the pool
 * when another own block still has room (so a node's next ADD needs no
 * claim, and a node with few pods keeps its one block instead of
 * claiming and returning it at every ADD and DEL); then this node's ref
 * goes. */
static bool block_return_if_empty(struct ipam_ctx *ctx,
				  const struct ipam_range *r,
				  const struct mine *m,
				  const struct ipam_block *b)
{
	if (!own_block(ctx, b) || !ipam_block_empty(b) ||
	    !own_room_elsewhere(ctx, r, m, b))
		return false;
	if (!block_drop(ctx, r, b))
		return false;
	ref_drop(ctx, r, b->idx);
	return true;
}

/* Does the record at off of b stay for its IPAMClaim? While the claim
 * lists the address, and when that cannot be told (GC frees it later). */
static bool claim_keeps(struct ipam_ctx *ctx, const struct ipam_range *r,
			const struct ipam_block *b, uint32_t off)
{
	const char *claim = ipam_block_claim(b, off, NULL);
	struct ipam_addr a;

	if (!claim || !ctx->claim_holds)
		return false;
	addr_of(r, b->idx, off, &a);
	return ctx->claim_holds(ctx->claim_arg, claim, &a) != 0;
}

/* Is a in ctx->conflict (addresses separated by commas)? */
static bool in_conflict(const struct ipam_ctx *ctx, const struct ipam_addr *a)
{
	const char *p = ctx->conflict;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		char one[64];
		struct ipam_addr x;

		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (ipam_addr_parse(one, &x) == 0 &&
			    x.family == a->family && x.v == a->v)
				return true;
		}
		p += n + (p[n] ? 1 : 0);
	}
	return false;
}

/* The record at off goes; with its address in ctx->conflict, the address
 * stays out of use, reserved with the reason "conflict". */
static int release_rec(struct ipam_ctx *ctx, const struct ipam_range *r,
		       struct ipam_block *b, uint32_t off)
{
	struct ipam_addr a;
	char at[32];
	time_t now = time(NULL);
	struct tm tm;

	addr_of(r, b->idx, off, &a);
	ipam_block_remove(b, off);
	if (!in_conflict(ctx, &a))
		return 0;
	strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	return ipam_block_reserve_why(b, off, at, IPAM_RESV_CONFLICT);
}

static int release_once(struct ipam_ctx *ctx, const struct ipam_range *r,
			const char *cid, const char *ifname, bool cache,
			struct cni_err *err)
{
	struct ipam_block *b;
	struct mine m;
	uint32_t off;
	size_t i;
	int rc;

	rc = mine_load(ctx, r, cache, &m, err);
	if (rc < 0)
		return rc;
	rc = mine_find_rec(ctx, r, &m, cid, ifname, &i, &off, err);
	/* nothing to release: an answer without a write, so not from
	 * headers in memory */
	if (rc == -ENOENT) {
		rc = mine_confirm(ctx, r, &m, NULL, err);
		mine_clear(&m);
		return rc;
	}
	if (rc < 0) {
		mine_clear(&m);
		return rc;
	}
	b = &m.b[i];
	if (claim_keeps(ctx, r, b, off))
		ipam_block_detach(b, off);
	else if ((rc = release_rec(ctx, r, b, off)) < 0) {
		mine_clear(&m);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	rc = block_put(ctx, r, b, err);
	if (rc == 0)
		ref_drop_if_unused(ctx, r, b);
	/* whether another own block has room is read from the store (a
	 * header changed since: b stays) */
	if (rc == 0 && own_block(ctx, b) && ipam_block_empty(b) &&
	    mine_confirm(ctx, r, &m, b, NULL) == 0)
		block_return_if_empty(ctx, r, &m, b);
	mine_clear(&m);
	return rc;
}

int ipam_release(struct ipam_ctx *ctx, const struct ipam_range *r,
		 const char *cid, const char *ifname, struct cni_err *err)
{
	int fd, rc, attempt;

	rc = node_lock(ctx, r, &fd, err);
	if (rc < 0)
		return rc;
	for (attempt = 0; attempt < ALLOC_RETRIES; attempt++) {
		rc = release_once(ctx, r, cid, ifname, attempt == 0, err);
		if (rc != -ECANCELED || !retry_more(ctx, attempt))
			break;
		backoff(ctx, attempt);
	}
	node_unlock(fd);
	return rc == -ECANCELED ? contention(r, err) : rc;
}

/* Does the record at a (offset off of b) match what the caller read:
 * held by cid+ifname (cid "": by no container), of IPAMClaim claim when
 * claim is not NULL? */
static bool rec_is(const struct ipam_block *b, uint32_t off,
		   const struct ipam_range *r, const struct ipam_addr *a,
		   const char *cid, const char *ifname, const char *claim)
{
	const char *cl = ipam_block_claim(b, off, NULL);
	bool attached = false;
	uint32_t held;

	if (claim && (!cl || strcmp(cl, claim) != 0))
		return false;
	if (!*cid) {
		ipam_block_claim(b, off, &attached);
		return cl && !attached;
	}
	return ipam_block_find(b, cid, ifname, &held) == 0 && held == off &&
	       ipam_block_base(r, b->idx) + off == a->v;
}

static int release_at_once(struct ipam_ctx *ctx, const struct ipam_range *r,
			   const struct ipam_addr *a, const char *cid,
			   const char *ifname, const char *claim, bool detach,
			   struct cni_err *err)
{
	ipam_u128 idx = ipam_block_of(r, a->v);
	struct ipam_block b;
	uint32_t off;
	int rc;

	rc = block_get(ctx, r, idx, &b, err);
	if (rc < 0)
		return rc;
	off = (uint32_t)(a->v - ipam_block_base(r, idx));
	rc = ipam_rec_fetch(ctx->st, r, &b, off, err);
	if (rc < 0 || !rec_is(&b, off, r, a, cid, ifname, claim)) {
		ipam_block_clear(&b);
		return rc < 0 ? rc : -ENOENT;
	}
	if (detach)
		ipam_block_detach(&b, off);
	else
		ipam_block_remove(&b, off);
	rc = block_put(ctx, r, &b, err);
	if (rc == 0 && ipam_block_empty(&b))
		block_drop(ctx, r, &b);
	ipam_block_clear(&b);
	return rc;
}

static int release_at_retry(struct ipam_ctx *ctx, const struct ipam_range *r,
			    const struct ipam_addr *a, const char *cid,
			    const char *ifname, const char *claim, bool detach,
			    struct cni_err *err)
{
	int rc, attempt;

	for (attempt = 0; attempt < ALLOC_RETRIES; attempt++) {
		rc = release_at_once(ctx, r, a, cid, ifname, claim, detach,
				     err);
		if (rc != -ECANCELED || !retry_more(ctx, attempt))
			break;
		backoff(ctx, attempt);
	}
	return rc == -ECANCELED ? contention(r, err) : rc;
}

int ipam_release_at(struct ipam_ctx *ctx, const struct ipam_range *r,
		    const struct ipam_addr *a, const char *cid,
		    const char *ifname, struct cni_err *err)
{
	return release_at_retry(ctx, r, a, cid, ifname, NULL, false, err);
}

int ipam_claim_release_at(struct ipam_ctx *ctx, const struct ipam_range *r,
			  const struct ipam_addr *a, const char *claim,
			  const char *cid, const char *ifname, bool detach,
			  struct cni_err *err)
{
	return release_at_retry(ctx, r, a, cid, ifname, claim, detach, err);
}

int ipam_find(struct ipam_ctx *ctx, const struct ipam_range *r, const char *cid,
	      const char *ifname, struct ipam_addr *ret, struct cni_err *err)
{
	struct mine m;
	uint32_t off;
	size_t i;
	int fd, rc;

	rc = node_lock(ctx, r, &fd, err);
	if (rc < 0)
		return rc;
	rc = mine_load(ctx, r, false, &m, err);
	node_unlock(fd);
	if (rc < 0)
		return rc;
	rc = mine_find(&m, cid, ifname, &i, &off);
	if (rc == 0)
		addr_of(r, m.b[i].idx, off, ret);
	mine_clear(&m);
	return rc;
}

static bool gc_valid(json_object *valid, const char *cid, const char *ifname)
{
	size_t i, n = valid ? json_object_array_length(valid) : 0;

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(valid, i), *c, *f;

		if (json_object_object_get_ex(e, "containerID", &c) &&
		    json_object_object_get_ex(e, "ifname", &f) &&
		    strcmp(json_object_get_string(c), cid) == 0 &&
		    strcmp(json_object_get_string(f), ifname) == 0)
			return true;
	}
	return false;
}

/* Is h the slot hash of an attachment in valid? */
static bool gc_valid_hash(json_object *valid, const char *h)
{
	size_t i, n = valid ? json_object_array_length(valid) : 0;
	char x[IPAM_SLOT_HASH_LEN + 1];

	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(valid, i), *c, *f;

		if (!json_object_object_get_ex(e, "containerID", &c) ||
		    !json_object_object_get_ex(e, "ifname", &f))
			continue;
		ipam_slot_hash(json_object_get_string(c),
			       json_object_get_string(f), NULL, x);
		if (strcmp(x, h) == 0)
			return true;
	}
	return false;
}

static const char *rec_get(json_object *rec, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(rec, key, &v))
		return "";
	return json_object_get_string(v);
}

/* What GC does with a record of this node and network whose container
 * is not valid: drop it, or, when its claim holds it (or may), keep it
 * for the claim without the container (GC_DETACH; GC_KEEP when it has
 * none already). */
enum gc_act { GC_KEEP, GC_DROP, GC_DETACH };

static enum gc_act gc_decide(struct ipam_ctx *ctx, const struct ipam_range *r,
			     const struct ipam_block *b, uint32_t off)
{
	bool attached;
	const char *claim = ipam_block_claim(b, off, &attached);
	struct ipam_addr a;
	int h;

	if (!claim || !ctx->claim_holds)
		return GC_DROP;
	addr_of(r, b->idx, off, &a);
	h = ctx->claim_holds(ctx->claim_arg, claim, &a);
	if (h == 0)
		return GC_DROP;
	return attached ? GC_DETACH : GC_KEEP;
}

/* Drop (or give to their claims) this node's stale records in b: how
 * many changed, or -ENOMEM; *ret_dropped counts the dropped ones. */
static int gc_block(struct ipam_ctx *ctx, const struct ipam_range *r,
		    struct ipam_block *b, json_object *valid,
		    size_t *ret_dropped)
{
	json_object *allocs = ipam_block_allocs(b);
	size_t n = 0, i, max = (size_t)json_object_object_length(allocs);
	uint32_t *offs = calloc(max ? max : 1, sizeof(*offs));
	enum gc_act *act = calloc(max ? max : 1, sizeof(*act));

	if (!offs || !act) {
		free(offs);
		free(act);
		return -ENOMEM;
	}
	json_object_object_foreach (allocs, k, rec) {
		uint32_t off = (uint32_t)strtoul(k, NULL, 10);

		/* a slot of this node without its record: an ADD or DEL
		 * that died half-way (no ADD of it succeeded); this node's
		 * lock is held, so none is under way */
		if (n < max && ipam_block_rec_missing(b, off) &&
		    strcmp(rec_get(rec, "node"), ctx->node) == 0 &&
		    !gc_valid_hash(valid, rec_get(rec, "#h"))) {
			offs[n++] = off;
			continue;
		}
		if (n < max && strcmp(rec_get(rec, "node"), ctx->node) == 0 &&
		    strcmp(rec_get(rec, "net"), ctx->net ? ctx->net : "") ==
			    0 &&
		    !gc_valid(valid, rec_get(rec, "cid"), rec_get(rec, "if")))
			offs[n++] = off;
	}
	for (i = 0; i < n; i++)
		act[i] = gc_decide(ctx, r, b, offs[i]);
	for (i = 0, max = 0, *ret_dropped = 0; i < n; i++) {
		if (act[i] == GC_DROP)
			ipam_block_remove(b, offs[i]);
		else if (act[i] == GC_DETACH)
			ipam_block_detach(b, offs[i]);
		*ret_dropped += act[i] == GC_DROP;
		max += act[i] != GC_KEEP;
	}
	free(offs);
	free(act);
	return (int)max;
}

static int gc_once(struct ipam_ctx *ctx, const struct ipam_range *r,
		   json_object *valid, size_t *count, struct cni_err *err)
{
	struct mine m;
	size_t i, dropped;
	int rc, n;

	rc = mine_load(ctx, r, false, &m, err);
	for (i = 0; rc == 0 && i < m.n; i++) {
		rc = ipam_rec_fetch_all(ctx->st, r, &m.b[i], err);
		if (rc < 0)
			break;
		n = gc_block(ctx, r, &m.b[i], valid, &dropped);
		if (n <= 0) {
			rc = n;
			continue;
		}
		rc = block_put(ctx, r, &m.b[i], err);
		if (rc == 0)
			*count += dropped;
		if (rc == 0)
			ref_drop_if_unused(ctx, r, &m.b[i]);
	}
	/* returned blocks leave m (own_room_elsewhere must not count them) */
	for (i = m.n; rc == 0 && i-- > 0;) {
		if (!block_return_if_empty(ctx, r, &m, &m.b[i]))
			continue;
		ipam_block_clear(&m.b[i]);
		m.b[i] = m.b[--m.n];
	}
	/* a hint lost to a crash or a race comes back here */
	for (i = 0; rc == 0 && i < m.n; i++)
		if (own_block(ctx, &m.b[i]))
			rc = ipam_free_ensure(ctx->st, r, &m.b[i], err);
	mine_clear(&m);
	return rc;
}

int ipam_gc(struct ipam_ctx *ctx, const struct ipam_range *r,
	    json_object *valid, size_t *ret_n, struct cni_err *err)
{
	size_t count = 0;
	int fd, rc, attempt;

	rc = node_lock(ctx, r, &fd, err);
	if (rc < 0)
		return rc;
	for (attempt = 0; attempt < ALLOC_RETRIES; attempt++) {
		rc = gc_once(ctx, r, valid, &count, err);
		if (rc != -ECANCELED || !retry_more(ctx, attempt))
			break;
		backoff(ctx, attempt);
	}
	node_unlock(fd);
	if (rc == -ECANCELED)
		return contention(r, err);
	if (rc == 0 && ret_n)
		*ret_n = count;
	return rc;
}

/* No own block has room: an unclaimed block, or one in the free-block
 * index (its candidates are checked, stale ones deleted); in the order
 * of alloc_elsewhere. */
static int free_anywhere(struct ipam_ctx *ctx, const struct ipam_range *r,
			 struct cni_err *err)
{
	struct ipam_block b;
	ipam_u128 idx;
	int full, rc = -ENOSPC;

	full = ipam_pool_all_claimed(ctx->st, r, err);
	if (full < 0)
		return full;
	if (!full)
		rc = find_unclaimed(ctx, r, &idx, err);
	if (rc != -ENOSPC)
		return rc;
	rc = ipam_free_find(ctx->st, r, rnd64(ctx), &b, err);
	if (rc == 0)
		ipam_block_clear(&b);
	if (rc != -ENOSPC || !full)
		return rc;
	rc = find_unclaimed(ctx, r, &idx, err);
	if (rc == 0)
		ipam_pool_mark_claimed(ctx->st, r, false); /* it was stale */
	return rc;
}

int ipam_has_free(struct ipam_ctx *ctx, const struct ipam_range *r,
		  struct cni_err *err)
{
	struct mine m;
	uint32_t off;
	size_t i;
	int fd, rc;

	rc = node_lock(ctx, r, &fd, err);
	if (rc < 0)
		return rc;
	rc = mine_load(ctx, r, false, &m, err);
	for (i = 0; rc == 0 && i < m.n; i++)
		if (own_block(ctx, &m.b[i]) &&
		    ipam_block_free_slot(r, &m.b[i], &off) == 0)
			break;
	if (rc == 0 && i == m.n)
		rc = free_anywhere(ctx, r, err);
	mine_clear(&m);
	node_unlock(fd);
	if (rc == -ENOSPC)
		return cni_errf(err, CNI_ERR_NO_ADDRESSES,
				"pool %s has no free address", r->pool_id);
	return rc;
}
