/* SPDX-License-Identifier: Apache-2.0 */
/* A whole pool's blocks, page by page, each with its records.
 *
 * Where the store reads a key range a page at a time (list_range: etcd),
 * the headers (<pool>/b/...) and the records (<pool>/a/<block>/<off>)
 * are two ranges read side by side at one revision and merged by block:
 * about blocks/page + records/page requests for a pool. Block keys end
 * in the index as fixed-width lowercase hex (ipam_block_key), and a
 * record key is <pool>/a/<that hex>/<off>: hex digits sort after '/', so
 * the records come block by block in the blocks' order, a block's all
 * together. The records' range is read a window at a time (a page's
 * worth of blocks, recs_window): etcd counts a whole range at every
 * request. Elsewhere (file and kubernetes stores) each block's records
 * are one list of their own (ipam_rec_fetch_all). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* A range read a page at a time: kv[i] is the next key. Keys before
 * `to` are read; the range may grow (a larger `to`) between pages. */
struct cursor {
	char *from; /* where the next page starts */
	bool after; /* just past from */
	char *to;   /* the end of the range as read so far */
	size_t page;
	uint64_t *rev; /* the walk's one view */
	struct ipam_kv *kv;
	size_t n, i;
	bool read, more;
};

static void cur_clear(struct cursor *c)
{
	ipam_kv_free(c->kv, c->n);
	free(c->from);
	free(c->to);
	*c = (struct cursor){ 0 };
}

/* The next key before `to` (NULL: the cursor's own end; else the range
 * grows to it): *ret, or NULL when there is none; a page is read when
 * the one in hand is used up. */
static int cur_peek(struct ipam_store *st, struct cursor *c, const char *to,
		    struct ipam_kv **ret, struct cni_err *err)
{
	char *s;
	int rc;

	while (c->i == c->n) {
		if (c->read && !c->more) {
			/* every key before c->to read: go on from there */
			if (!to || strcmp(to, c->to) <= 0) {
				*ret = NULL;
				return 0;
			}
			s = c->from;
			c->from = c->to;
			c->after = false;
			c->to = s;
			c->to[0] = '\0';
		} else if (c->n) { /* the next page: past this one's last */
			free(c->from);
			c->from = c->kv[c->n - 1].key;
			c->kv[c->n - 1].key = NULL;
			c->after = true;
		}
		if (to && strcmp(to, c->to) > 0) {
			if (!(s = strdup(to)))
				return cni_errf(err, CNI_ERR_IO,
						"out of memory");
			free(c->to);
			c->to = s;
		}
		ipam_kv_free(c->kv, c->n);
		c->kv = NULL;
		c->n = c->i = 0;
		rc = ipam_store_list_range(st, c->from, c->after, c->to, false,
					   c->page, c->rev, &c->kv, &c->n,
					   &c->more, err);
		if (rc < 0)
			return rc;
		c->read = true;
		c->more = c->more && c->n;
	}
	*ret = &c->kv[c->i];
	return 0;
}

/* About how many offsets a stored header holds: the slot table's hashes
 * ("slots", ipam_block.h), without parsing the header; 0 when it has
 * none (a format-1 block: its records are in it). Only sizes the records'
 * range (below): a wrong guess costs a request, never a record. */
static size_t held_guess(const char *val)
{
	const char *p = val ? strstr(val, "\"slots\"") : NULL;
	size_t n = 0;

	if (!p)
		return 0;
	for (p += 7; *p == ' ' || *p == ':' || *p == '\t' || *p == '\n'; p++)
		;
	if (*p++ != '"')
		return 0;
	for (; *p && *p != '"'; p++)
		n += *p != '.';
	return n / IPAM_SLOT_HASH_LEN;
}

/* How record key k (under recs, "<pool>/a/") sorts against the records
 * of block hex: < 0 before them (a block with no header, or a key that
 * names no block), 0 one of them, > 0 after. */
static int rec_cmp(const char *k, size_t plen, const char *hex)
{
	const char *s = k + plen, *e = strchr(s, '/');
	size_t n, i, hl = strlen(hex);
	int c;

	if (!e)
		return -1;
	n = (size_t)(e - s);
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return -1; /* no block's: passed over */
	c = strncmp(s, hex, n < hl ? n : hl);
	if (c)
		return c;
	return n == hl ? 0 : n < hl ? -1 : 1;
}

struct merge {
	struct ipam_store *st;
	const struct ipam_range *r;
	struct cursor hdrs, recs;
	size_t plen;	      /* strlen("<pool>/a/") */
	const char *recs_end; /* "<pool>/a0" */
	/* keys a page (0: the store's pageSize, which the walk does not
	 * know: windows are sized for 500, etcd's default; a store of
	 * another pageSize reads a window in pages of its own) */
	size_t page;
	size_t orphans;
};

/* Where the records' range may end for the next page: past the records
 * of the headers in hand from the current one (hdrs.kv[hdrs.i - 1]) on,
 * as many blocks as hold about a page of records (at least the current
 * one). etcd counts every key of a range request's range, whatever its
 * limit: a range up to the pool's end would cost each page a walk over
 * the rest of the pool's records (0.5 s a page at 550,000). */
static void recs_window(struct merge *m, const struct ipam_block *b, char *buf)
{
	size_t i = m->hdrs.i - 1, sum = held_guess(m->hdrs.kv[i].val), h;
	size_t page = m->page ? m->page : IPAM_STORE_PAGE;
	char cur[IPAM_KEY_MAX];
	ipam_u128 idx;

	while (i + 1 < m->hdrs.n &&
	       sum + (h = held_guess(m->hdrs.kv[i + 1].val)) <= page) {
		sum += h;
		i++;
	}
	while (ipam_key_block_idx(m->hdrs.kv[i].key, &idx) < 0)
		i--; /* the current one is a block */
	ipam_rec_prefix(m->r, idx, buf);
	buf[strlen(buf) - 1] = '0'; /* "<pool>/a/<hex>0": past its records */
	ipam_rec_prefix(m->r, b->idx, cur);
	cur[strlen(cur) - 1] = '0';
	if (strcmp(buf, cur) < 0) /* a header key of another width */
		strcpy(buf, cur);
}

/* Records of b off the records range into b; those before b's (no block
 * of theirs in the walk) counted and passed over. */
static int merge_recs(struct merge *m, struct ipam_block *b,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX], blk[IPAM_KEY_MAX], win[IPAM_KEY_MAX],
		end[IPAM_KEY_MAX], *hex;
	struct ipam_kv *kv;
	int rc, c;

	ipam_rec_prefix(m->r, b->idx, key); /* "<pool>/a/<hex>/" */
	ipam_block_key(m->r, b->idx, blk);
	hex = strrchr(blk, '/') + 1;
	snprintf(end, sizeof(end), "%.*s0", (int)strlen(key) - 1, key);
	for (;;) {
		/* the range read so far ends past b's records: b has them
		 * all; else it grows to a page's worth from b on */
		if (m->recs.i == m->recs.n && m->recs.read && !m->recs.more &&
		    strcmp(m->recs.to, end) >= 0)
			return 0;
		if (m->recs.i == m->recs.n)
			recs_window(m, b, win);
		rc = cur_peek(m->st, &m->recs,
			      m->recs.i == m->recs.n ? win : NULL, &kv, err);
		if (rc < 0 || !kv)
			return rc;
		c = rec_cmp(kv->key, m->plen, hex);
		if (c > 0)
			return 0;
		if (c < 0)
			m->orphans++;
		else if ((rc = ipam_rec_take(b, kv, err)) < 0)
			return rc;
		m->recs.i++;
	}
}

static int merge_walk(struct merge *m, ipam_block_fn fn, void *arg,
		      struct cni_err *err)
{
	char key[IPAM_KEY_MAX];
	struct ipam_block b;
	struct ipam_kv *kv;
	ipam_u128 idx;
	int rc;

	for (;;) {
		rc = cur_peek(m->st, &m->hdrs, NULL, &kv, err);
		if (rc < 0 || !kv)
			break;
		m->hdrs.i++;
		if (ipam_key_block_idx(kv->key, &idx) < 0)
			continue;
		rc = ipam_block_load(idx, kv->key, kv->val, kv->len, kv->ver,
				     &b, err);
		if (rc < 0)
			break;
		ipam_block_key(m->r, idx, key);
		/* a key not as ipam_block_key writes it (another width)
		 * sorts elsewhere: its records by its index's prefix */
		if (strcmp(key, kv->key) == 0)
			rc = merge_recs(m, &b, err);
		else
			rc = ipam_rec_fetch_all(m->st, m->r, &b, err);
		if (rc == 0)
			rc = fn(m->r, &b, arg, err);
		ipam_block_clear(&b);
		if (rc < 0)
			break;
	}
	/* records past the last block: none of theirs */
	while (rc == 0 &&
	       (rc = cur_peek(m->st, &m->recs, m->recs_end, &kv, err)) == 0 &&
	       kv) {
		m->orphans++;
		m->recs.i++;
	}
	return rc;
}

int ipam_pool_walk(struct ipam_store *st, const struct ipam_range *r,
		   size_t page, ipam_block_fn fn, void *arg,
		   size_t *ret_orphans, struct cni_err *err)
{
	char hdrs[IPAM_KEY_MAX], hend[IPAM_KEY_MAX], recs[IPAM_KEY_MAX],
		rend[IPAM_KEY_MAX];
	struct walk w = { .st = st, .r = r, .fn = fn, .arg = arg };
	struct merge m = { .st = st, .r = r };
	uint64_t rev = 0;
	int rc;

	if (ret_orphans)
		*ret_orphans = 0;
	ipam_block_prefix(r, hdrs);
	if (!ipam_store_has_range(st))
		return ipam_store_list_pages(st, hdrs, false, page, walk_page,
					     &w, err);
	/* "<pool>/b/" up to "<pool>/b0", "<pool>/a/" up to "<pool>/a0" */
	snprintf(hend, sizeof(hend), "%.*s0", (int)strlen(hdrs) - 1, hdrs);
	snprintf(recs, sizeof(recs), "%.*sa/", (int)strlen(hdrs) - 2, hdrs);
	snprintf(rend, sizeof(rend), "%.*s0", (int)strlen(recs) - 1, recs);
	m.plen = strlen(recs);
	m.recs_end = rend;
	m.page = page;
	/* the records' range grows block by block (recs_window) */
	m.hdrs = (struct cursor){ .from = strdup(hdrs),
				  .to = strdup(hend),
				  .page = page,
				  .rev = &rev };
	m.recs = (struct cursor){ .from = strdup(recs),
				  .to = strdup(recs),
				  .page = page,
				  .rev = &rev };
	if (!m.hdrs.from || !m.hdrs.to || !m.recs.from || !m.recs.to)
		rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	else
		rc = merge_walk(&m, fn, arg, err);
	cur_clear(&m.hdrs);
	cur_clear(&m.recs);
	if (rc == 0 && ret_orphans)
		*ret_orphans = m.orphans;
	return rc;
}
