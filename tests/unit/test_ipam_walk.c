/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_pool_walk: a pool's headers and records read as two key ranges
 * side by side and merged by block (a store with list_range), or each
 * block's records by its prefix (one without): the same blocks and
 * records either way; requests by pages, not by blocks. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fakes/mem_store.h"
#include "cni_error.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_conf.h"
#include "ipam_walk.h"
#include "store.h"

struct fx {
	struct ipam_store *st;
	struct ipam_conf *conf;
	const struct ipam_range *r;
};

static struct fx *fx_new(const char *range)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct cni_err err = { 0 };
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":"
		 "{\"type\":\"plexus-ipam\",\"range\":\"%s\","
		 "\"blockSize\":%d}}",
		 range, strchr(range, ':') ? 122 : 26);
	if (ipam_conf_parse(buf, strlen(buf), &f->conf, &err) < 0)
		fail_msg("conf: %s", err.msg);
	f->st = mem_store_new();
	f->r = &f->conf->ranges[0];
	return f;
}

static void fx_free(struct fx *f)
{
	ipam_store_close(f->st);
	ipam_conf_free(f->conf);
	free(f);
}

static void put(struct fx *f, const char *key, const char *val)
{
	struct cni_err err = { 0 };

	if (ipam_store_put_if(f->st, key, val, strlen(val), 0, NULL, &err) < 0)
		fail_msg("put %s: %s", key, err.msg);
}

/* Block idx holding offsets 0..held-1 (cid "c<idx>-<off>"), the records
 * of the first recs of them stored. */
static void put_block(struct fx *f, ipam_u128 idx, uint32_t held, uint32_t recs)
{
	char key[IPAM_KEY_MAX], cid[64], *val;
	struct ipam_block b;
	uint32_t off;

	assert_int_equal(ipam_block_new(f->r, idx, "node-a", &b), 0);
	for (off = 0; off < held; off++) {
		struct ipam_owner o = { .cid = cid, .ifname = "eth0" };

		snprintf(cid, sizeof(cid), "c%u-%u", (unsigned)idx, off);
		assert_int_equal(ipam_block_add(&b, off, &o, "node-a"), 0);
		if (off >= recs)
			continue;
		val = ipam_block_rec_str(&b, off);
		assert_non_null(val);
		ipam_rec_key(f->r, idx, off, key);
		put(f, key, val);
		free(val);
	}
	ipam_block_key(f->r, idx, key);
	put(f, key, ipam_block_str(&b));
	ipam_block_clear(&b);
}

/* A record of block idx, offset off, whose block has no header: cid's
 * (when put_block's cid of another block at the same offset, taking it
 * there would be seen). */
static void put_orphan(struct fx *f, ipam_u128 idx, uint32_t off,
		       const char *cid)
{
	char key[IPAM_KEY_MAX], *val;
	struct ipam_owner o = { .cid = cid, .ifname = "eth0" };
	struct ipam_block b;

	assert_int_equal(ipam_block_new(f->r, idx, "node-a", &b), 0);
	assert_int_equal(ipam_block_add(&b, off, &o, "node-a"), 0);
	val = ipam_block_rec_str(&b, off);
	ipam_rec_key(f->r, idx, off, key);
	put(f, key, val);
	free(val);
	ipam_block_clear(&b);
}

/* What the walk handed on: per block, its index, held offsets, and
 * those whose record was read (each checked to be its own). */
#define SEEN_MAX 512
struct seen {
	size_t n;
	struct {
		ipam_u128 idx;
		size_t held, read;
	} b[SEEN_MAX];
	struct ipam_store *down_at_st; /* set down at block down_at */
	size_t down_at;
};

static int see(const struct ipam_range *r, const struct ipam_block *b,
	       void *arg, struct cni_err *err)
{
	struct seen *s = arg;
	char cid[64];
	uint32_t off;

	(void)r;
	(void)err;
	assert_true(s->n < SEEN_MAX);
	s->b[s->n].idx = b->idx;
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		(void)rec;
		off = (uint32_t)strtoul(k, NULL, 10);
		s->b[s->n].held++;
		if (ipam_block_rec_missing(b, off))
			continue;
		/* the record read is this block's own */
		snprintf(cid, sizeof(cid), "c%u-%u", (unsigned)b->idx, off);
		assert_true(ipam_block_rec_names(b, off, cid, "eth0"));
		s->b[s->n].read++;
	}
	s->n++;
	if (s->down_at_st && s->n == s->down_at)
		mem_store_set_down(s->down_at_st, true);
	return 0;
}

static int walk(struct fx *f, size_t page, struct seen *s, size_t *orphans)
{
	struct cni_err err = { 0 };
	int rc = ipam_pool_walk(f->st, f->r, page, see, s, orphans, &err);

	if (rc < 0)
		assert_true(err.code != 0);
	return rc;
}

/* Records missing for held slots, a page boundary inside a block's
 * records, a block with no records, orphans before, between and after
 * the blocks: each block gets its own records only. */
static void walk_case(bool range)
{
	struct fx *f = fx_new("10.0.0.0/16");
	struct seen s = { 0 };
	size_t orphans = 99;

	if (!range)
		mem_store_no_range(f->st);
	put_orphan(f, 0, 0, "c1-0"); /* before the first block */
	put_block(f, 1, 3, 3);	     /* page 2: its records over two pages */
	put_block(f, 2, 4, 2);	     /* two held slots without a record */
	put_orphan(f, 3, 0, "c4-0"); /* between blocks: block 4's names */
	put_orphan(f, 3, 1, "c4-1");
	put_block(f, 4, 2, 0); /* held, no record at all */
	put_block(f, 5, 0, 0); /* no records: held nothing */
	put_block(f, 6, 5, 5);
	put_orphan(f, 0x20, 0, "c6-0"); /* after the last block */
	assert_int_equal(walk(f, 2, &s, &orphans), 0);
	assert_int_equal(s.n, 5);
	assert_true(s.b[0].idx == 1 && s.b[0].held == 3 && s.b[0].read == 3);
	assert_true(s.b[1].idx == 2 && s.b[1].held == 4 && s.b[1].read == 2);
	assert_true(s.b[2].idx == 4 && s.b[2].held == 2 && s.b[2].read == 0);
	assert_true(s.b[3].idx == 5 && s.b[3].held == 0 && s.b[3].read == 0);
	assert_true(s.b[4].idx == 6 && s.b[4].held == 5 && s.b[4].read == 5);
	/* the orphans are counted where the records are read as a range */
	assert_int_equal(orphans, range ? 4 : 0);
	fx_free(f);
}

static void test_ipam_pool_walk__lockstep(void **state)
{
	(void)state;
	walk_case(true);
}

static void test_ipam_pool_walk__per_block_lists(void **state)
{
	(void)state;
	walk_case(false);
}

/* An orphan's offset is one the next block holds without a record: it
 * stays missing there, not taken. */
static void test_ipam_pool_walk__orphan_not_attached(void **state)
{
	struct fx *f = fx_new("10.0.0.0/16");
	struct seen s = { 0 };
	size_t orphans;

	(void)state;
	put_orphan(f, 7, 0, "c8-0");
	put_block(f, 8, 1, 0);
	/* "00000108" sorts after "00000008" */
	put_orphan(f, 8 + 0x100, 0, "c8-0");
	assert_int_equal(walk(f, 1, &s, &orphans), 0);
	assert_int_equal(s.n, 1);
	assert_true(s.b[0].held == 1 && s.b[0].read == 0);
	assert_int_equal(orphans, 2);
	fx_free(f);
}

static void test_ipam_pool_walk__empty_pool(void **state)
{
	struct fx *f = fx_new("10.0.0.0/16");
	struct seen s = { 0 };
	size_t orphans = 99;

	(void)state;
	put(f, "other/b/00000001", "{}"); /* another pool's */
	assert_int_equal(walk(f, 0, &s, &orphans), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(orphans, 0);
	assert_int_equal(mem_store_lists(f->st), 2); /* b/ and a/, once */
	fx_free(f);
}

/* 300 blocks of 2 records at page 100: 3 pages of headers, 6 of records
 * (each a range of 50 blocks' records) and one for any record past the
 * last block, not a list a block. */
static void test_ipam_pool_walk__requests_by_pages(void **state)
{
	struct fx *f = fx_new("10.0.0.0/16");
	struct seen s = { 0 };
	size_t orphans, i, lists;

	(void)state;
	for (i = 0; i < 300; i++)
		put_block(f, (ipam_u128)i, 2, 2);
	assert_int_equal(walk(f, 100, &s, &orphans), 0);
	lists = mem_store_lists(f->st);
	assert_int_equal(s.n, 300);
	for (i = 0; i < 300; i++)
		assert_true(s.b[i].read == 2);
	assert_int_equal(orphans, 0);
	assert_true(lists >= 9 && lists <= 11);
	/* without list_range: a list a block */
	memset(&s, 0, sizeof(s));
	mem_store_no_range(f->st);
	assert_int_equal(walk(f, 100, &s, NULL), 0);
	assert_true(mem_store_lists(f->st) - lists >= 300);
	fx_free(f);
}

/* IPv6: 32 hex digits a block index, the same merge. */
static void test_ipam_pool_walk__ipv6(void **state)
{
	struct fx *f = fx_new("fd00::/112");
	struct seen s = { 0 };
	size_t orphans;

	(void)state;
	put_block(f, 0x3, 2, 2);
	put_orphan(f, 0x1f, 1, "c32-1");
	put_block(f, 0x20, 3, 1);
	assert_int_equal(walk(f, 1, &s, &orphans), 0);
	assert_int_equal(s.n, 2);
	assert_true(s.b[0].idx == 3 && s.b[0].read == 2);
	assert_true(s.b[1].idx == 0x20 && s.b[1].held == 3 && s.b[1].read == 1);
	assert_int_equal(orphans, 1);
	fx_free(f);
}

/* The store goes away mid-walk: the walk ends with its error, the
 * blocks before handed on, nothing kept (the sanitizer build checks). */
static void test_ipam_pool_walk__store_error_mid_walk(void **state)
{
	struct fx *f = fx_new("10.0.0.0/16");
	struct cni_err err = { 0 };
	struct seen s = { 0 };
	size_t i, orphans = 99;
	int rc;

	(void)state;
	for (i = 0; i < 40; i++)
		put_block(f, (ipam_u128)i, 3, 3);
	s.down_at_st = f->st;
	s.down_at = 25;
	rc = ipam_pool_walk(f->st, f->r, 10, see, &s, &orphans, &err);
	assert_int_equal(rc, -EHOSTUNREACH);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	/* what was read before is handed on: block 25 too (its records in
	 * the page in hand), not block 26 (its last record on the next) */
	assert_int_equal(s.n, 26);
	assert_int_equal(orphans, 0); /* not set on an error */
	fx_free(f);
}

/* A record that does not parse ends the walk with code 6 naming it. */
static void test_ipam_pool_walk__bad_record(void **state)
{
	struct fx *f = fx_new("10.0.0.0/16");
	char key[IPAM_KEY_MAX], msg[sizeof(((struct cni_err *)0)->msg)];
	struct cni_err err = { 0 };
	struct seen s = { 0 };
	int rc;

	(void)state;
	put_block(f, 1, 2, 2);
	put_block(f, 2, 2, 1);
	ipam_rec_key(f->r, 2, 1, key);
	put(f, key, "{not json");
	rc = ipam_pool_walk(f->st, f->r, 0, see, &s, NULL, &err);
	assert_true(rc < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	assert_non_null(strstr(msg, key));
	assert_int_equal(s.n, 1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipam_pool_walk__lockstep),
		cmocka_unit_test(test_ipam_pool_walk__per_block_lists),
		cmocka_unit_test(test_ipam_pool_walk__orphan_not_attached),
		cmocka_unit_test(test_ipam_pool_walk__empty_pool),
		cmocka_unit_test(test_ipam_pool_walk__requests_by_pages),
		cmocka_unit_test(test_ipam_pool_walk__ipv6),
		cmocka_unit_test(test_ipam_pool_walk__store_error_mid_walk),
		cmocka_unit_test(test_ipam_pool_walk__bad_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
