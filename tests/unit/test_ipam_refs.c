/* SPDX-License-Identifier: Apache-2.0 */
/* A node's reference index (<pool>/i/<node>): its parser, the old
 * layout's keys moved into it, and what the allocator reads per call. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fakes/ipam_fixture.h"
#include "../fakes/mem_store.h"
#include "cni_error.h"
#include "cni_json.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_conf.h"
#include "ipam_refs.h"
#include "store.h"

/* Block idx of node-a with cid's record at off, stored. */
static void put_block(struct fx *f, ipam_u128 idx, uint32_t off,
		      const char *cid)
{
	struct ipam_owner o = { .cid = cid, .ifname = "eth0" };
	char key[IPAM_KEY_MAX];
	struct ipam_block b;

	assert_int_equal(ipam_block_new(f->r, idx, "node-a", &b), 0);
	assert_int_equal(ipam_block_add(&b, off, &o, "node-a"), 0);
	ipam_block_key(f->r, idx, key);
	fx_put(f, key, ipam_block_str(&b));
	ipam_block_clear(&b);
}

static void test_ipam_refs_parse__table(void **state)
{
	static const struct {
		const char *val, *msg; /* msg NULL: good */
		size_t n;
	} t[] = {
		{ "{\"blocks\":[]}", NULL, 0 },
		{ "{\"blocks\":[\"00000000\",\"0000001f\"],\"x\":1}", NULL, 2 },
		{ "[]", "not a reference index", 0 },
		{ "{}", "not a reference index", 0 },
		{ "{\"blocks\":{}}", "not a reference index", 0 },
		{ "{\"blocks\":[1]}", "blocks[0] is not a block index", 0 },
		{ "{\"blocks\":[\"1\"]}", "of 8 hex digits", 0 },
		{ "{\"blocks\":[\"0000000G\"]}", "blocks[0] is not", 0 },
		{ "{\"blocks\":[\"00000020\"]}", "outside pool", 0 },
		{ "{\"blocks\":[\"00000002\",\"00000001\"]}", "blocks[1]", 0 },
		{ "{\"blocks\":[\"00000002\",\"00000002\"]}", "repeated", 0 },
		{ "{\"blocks\":[", "", 0 },
	};
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct cni_err err = { 0 };
		struct ipam_refs x;
		int rc = ipam_refs_parse(f->r, "p/i/node-a", t[i].val,
					 strlen(t[i].val), 7, &x, &err);

		if (!t[i].msg) {
			assert_int_equal(rc, 0);
			assert_int_equal(x.n, t[i].n);
			assert_int_equal(x.ver, 7);
			ipam_refs_clear(&x);
			continue;
		}
		assert_true(rc < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
		assert_non_null(strstr(err.msg, "p/i/node-a"));
		assert_non_null(strstr(err.msg, t[i].msg));
	}
	fx_free(f);
}

/* A range narrowed by range_start keeps the blocks of its prefix before
 * it: a node's records there stay findable. */
static void test_ipam_refs_parse__narrowed_range(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"range_start\":"
			      "\"10.0.0.128\",\"blockSize\":29}");
	const char *v = "{\"blocks\":[\"00000000\",\"0000001f\"]}";
	struct cni_err err = { 0 };
	struct ipam_refs x;

	(void)state;
	assert_int_equal(ipam_refs_parse(f->r, "k", v, strlen(v), 1, &x, &err),
			 0);
	assert_int_equal(x.n, 2);
	ipam_refs_clear(&x);
	fx_free(f);
}

/* A pool written before the index: the old keys are listed once, the
 * index written, then the old keys deleted; a dangling one is dropped. */
static void test_ipam_refs__old_layout_moves_once(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	size_t lists;
	char *v;

	(void)state;
	put_block(f, 1, 2, "c1");
	fx_put(f, "10.0.0.0_24/n/node-a/00000001", "{}");
	fx_put(f, "10.0.0.0_24/n/node-a/00000005", "{}"); /* no such block */
	assert_int_equal(ipam_find(&f->a, f->r, "c1", "eth0", &a, &err), 0);
	assert_int_equal((uint32_t)a.v, 0x0a00000a);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/n/"), 0);
	v = fx_get(f, "10.0.0.0_24/i/node-a");
	assert_non_null(v);
	assert_string_equal(v, "{\"blocks\":[\"00000001\"]}");
	free(v);
	/* from now on: no list while the node's own block has room */
	lists = mem_store_lists(f->st);
	assert_int_equal(ipam_alloc(&f->a, f->r,
				    &(struct ipam_owner){ .cid = "c2",
							  .ifname = "eth0" },
				    NULL, &a, &err),
			 0);
	assert_true((uint32_t)a.v >= 0x0a000008 && (uint32_t)a.v < 0x0a000010);
	assert_int_equal(ipam_release(&f->a, f->r, "c1", "eth0", &err), 0);
	assert_int_equal(ipam_find(&f->a, f->r, "c2", "eth0", &a, &err), 0);
	assert_int_equal(mem_store_lists(f->st), lists);
	fx_free(f);
}

/* A node that never allocated lists the old keys once (its first call
 * writes an empty index), not at every STATUS. */
static void test_ipam_refs__fresh_node_lists_once(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/16\",\"blockSize\":26}");
	struct cni_err err = { 0 };
	size_t lists;
	char *v;

	(void)state;
	assert_int_equal(ipam_has_free(&f->a, f->r, &err), 0);
	lists = mem_store_lists(f->st);
	assert_true(lists <= 1);
	v = fx_get(f, "10.0.0.0_16/i/node-a");
	assert_non_null(v);
	assert_string_equal(v, "{\"blocks\":[]}");
	free(v);
	for (int i = 0; i < 5; i++)
		assert_int_equal(ipam_has_free(&f->a, f->r, &err), 0);
	assert_int_equal(mem_store_lists(f->st), lists);
	assert_int_equal(mem_store_count(f->st, NULL), 1);
	fx_free(f);
}

/* A node claiming a second block adds it to its index with a
 * compare-and-swap; a lost one rereads and tries again. */
static void test_ipam_refs__lost_cas_retried(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "24\",\"blockSize\":29}");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	char cid[16];

	(void)state;
	for (int i = 0; i < 8; i++) { /* block 0: .1-.7, then block 1 */
		snprintf(cid, sizeof(cid), "c%d", i);
		if (i == 7)
			mem_store_fail_puts(f->st, 1);
		assert_int_equal(
			ipam_alloc(&f->a, f->r,
				   &(struct ipam_owner){ .cid = cid,
							 .ifname = "eth0" },
				   NULL, &a, &err),
			0);
	}
	assert_int_equal((uint32_t)a.v, 0x0a000008);
	assert_int_equal(fx_refs_n(f, "node-a"), 2);
	fx_free(f);
}

/* A malformed index is refused naming its key; nothing is written. */
static void test_ipam_refs__malformed_refused(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	size_t calls;
	char *v;

	(void)state;
	fx_put(f, "10.0.0.0_24/i/node-a", "{\"blocks\":[\"zz\"]}");
	calls = mem_store_calls(f->st);
	assert_true(ipam_alloc(&f->a, f->r,
			       &(struct ipam_owner){ .cid = "c1",
						     .ifname = "eth0" },
			       NULL, &a, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "10.0.0.0_24/i/node-a"));
	assert_int_equal(mem_store_calls(f->st), calls + 1); /* the get */
	assert_int_equal(mem_store_count(f->st, NULL), 1);
	v = fx_get(f, "10.0.0.0_24/i/node-a");
	assert_string_equal(v, "{\"blocks\":[\"zz\"]}");
	free(v);
	fx_free(f);
}

/* Thousands of entries work; an index over CNI_JSON_MAX is code 123. */
static void test_ipam_refs__large_index(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/8\",\"blockSize\":26}");
	struct fx *g = fx_new("{\"range\":\"fd00::/64\",\"blockSize\":120}");
	struct ipam_refs x = { 0 };
	struct cni_err err = { 0 };
	struct ipam_addr a;
	ipam_u128 i;

	(void)state;
	ipam_refs_key(f->r, "node-a", x.key);
	for (i = 0; i < 5000; i++)
		assert_int_equal(ipam_refs_add(&x, i * 7), 0);
	assert_int_equal(ipam_refs_store(f->st, f->r, &x, &err), 0);
	ipam_refs_clear(&x);
	put_block(f, 7 * 4999, 5, "c0");
	assert_int_equal(ipam_find(&f->a, f->r, "c0", "eth0", &a, &err), 0);
	/* the 4999 entries without a block are gone */
	assert_int_equal(fx_refs_n(f, "node-a"), 1);

	ipam_refs_key(g->r, "node-a", x.key);
	for (i = 0; i < 40000; i++)
		assert_int_equal(ipam_refs_add(&x, i), 0);
	assert_int_equal(ipam_refs_store(g->st, g->r, &x, &err), -EFBIG);
	assert_int_equal(err.code, CNI_ERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "fd00::_64/i/node-a"));
	ipam_refs_clear(&x);
	fx_free(g);
	fx_free(f);
}

/* The GC verb's sweep: an index and old keys a kill -9 in the migration
 * left (after the index write, before the deletes): the old keys of this
 * node go, in one list; records, the index and other nodes' keys stay. */
static void test_ipam_refs_sweep_legacy__index_deletes_leftovers(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	const char *idx = "{\"blocks\":[\"00000001\"]}";
	struct cni_err err = { 0 };
	char *block = NULL, *v;
	size_t n = 99;

	(void)state;
	put_block(f, 1, 2, "c1");
	fx_put(f, "10.0.0.0_24/i/node-a", idx);
	fx_put(f, "10.0.0.0_24/n/node-a/00000001", "{}");
	fx_put(f, "10.0.0.0_24/n/node-a/00000005", "{}");
	fx_put(f, "10.0.0.0_24/n/node-b/00000002", "{}");
	block = fx_get(f, "10.0.0.0_24/b/00000001");
	assert_int_equal(
		ipam_refs_sweep_legacy(f->st, f->r, "node-a", &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(mem_store_lists(f->st), 1);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/n/node-a/"), 0);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/n/node-b/"), 1);
	v = fx_get(f, "10.0.0.0_24/b/00000001");
	assert_string_equal(v, block);
	free(v);
	v = fx_get(f, "10.0.0.0_24/i/node-a");
	assert_string_equal(v, idx);
	free(v);
	free(block);
	fx_free(f);
}

/* Without an index the old keys are the node's references (the
 * migration reads them): nothing is deleted. With none there is no
 * more than the one list. */
static void test_ipam_refs_sweep_legacy__no_index_keeps(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	size_t n = 99;

	(void)state;
	put_block(f, 1, 2, "c1");
	fx_put(f, "10.0.0.0_24/n/node-a/00000001", "{}");
	assert_int_equal(
		ipam_refs_sweep_legacy(f->st, f->r, "node-a", &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/n/node-a/"), 1);
	assert_int_equal(mem_store_count(f->st, NULL), 2);
	/* the migration still finds the record through them */
	assert_int_equal(ipam_find(&f->a, f->r, "c1", "eth0", &a, &err), 0);
	assert_int_equal((uint32_t)a.v, 0x0a00000a);

	/* index written, no old keys: one list and nothing else */
	n = mem_store_calls(f->st);
	assert_int_equal(
		ipam_refs_sweep_legacy(f->st, f->r, "node-a", NULL, &err), 0);
	assert_int_equal(mem_store_calls(f->st), n + 1);
	assert_int_equal(mem_store_count(f->st, NULL), 2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipam_refs_parse__table),
		cmocka_unit_test(test_ipam_refs_parse__narrowed_range),
		cmocka_unit_test(test_ipam_refs__old_layout_moves_once),
		cmocka_unit_test(test_ipam_refs__fresh_node_lists_once),
		cmocka_unit_test(test_ipam_refs__lost_cas_retried),
		cmocka_unit_test(test_ipam_refs__malformed_refused),
		cmocka_unit_test(test_ipam_refs__large_index),
		cmocka_unit_test(
			test_ipam_refs_sweep_legacy__index_deletes_leftovers),
		cmocka_unit_test(test_ipam_refs_sweep_legacy__no_index_keeps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
