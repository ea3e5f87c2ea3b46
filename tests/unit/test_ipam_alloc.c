/* SPDX-License-Identifier: Apache-2.0 */
/* The allocator on the in-memory store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../fakes/cached_store.h"
#include "../fakes/ipam_fixture.h"
#include "../fakes/mem_store.h"
#include "cni_error.h"
#include "ipam_alloc.h"
#include "ipam_block.h"
#include "ipam_conf.h"
#include "ipam_free.h"
#include "ipam_refs.h"
#include "ipam_reserve.h"
#include "store.h"

static struct ipam_owner own(const char *cid, const char *ifname)
{
	return (struct ipam_owner){ .cid = cid,
				    .ifname = ifname,
				    .ns = "ns1",
				    .pod = cid,
				    .uid = "uid" };
}

/* Allocate for cid/eth0 on ctx; return the address as a string. */
static const char *add(struct fx *f, struct ipam_ctx *ctx, const char *cid)
{
	static char s[IPAM_ADDR_STRLEN];
	struct ipam_owner o = own(cid, "eth0");
	struct cni_err err = { 0 };
	struct ipam_addr a;

	if (ipam_alloc(ctx, &f->conf->ranges[0], &o, NULL, &a, &err) < 0)
		fail_msg("alloc %s: %d %s", cid, err.code, err.msg);
	return ipam_addr_fmt(&a, s);
}

static int add_err(struct fx *f, struct ipam_ctx *ctx, const char *cid,
		   const char *want, struct cni_err *err)
{
	struct ipam_owner o = own(cid, "eth0");
	struct ipam_addr w, a;

	if (want)
		assert_int_equal(ipam_addr_parse(want, &w), 0);
	return ipam_alloc(ctx, &f->conf->ranges[0], &o, want ? &w : NULL, &a,
			  err);
}

static void test_ipam_alloc__idempotent_per_container_ifname(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	struct ipam_owner o = own("c1", "net1");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	char first[IPAM_ADDR_STRLEN];

	(void)state;
	snprintf(first, sizeof(first), "%s", add(f, &f->a, "c1"));
	assert_string_equal(first, "10.0.0.2");
	assert_string_equal(add(f, &f->a, "c1"), first);
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.3");
	/* another interface of the same container is another allocation */
	assert_int_equal(
		ipam_alloc(&f->a, &f->conf->ranges[0], &o, NULL, &a, &err), 0);
	assert_true(a.v != 0);
	assert_string_equal(add(f, &f->a, "c1"), first);
	fx_free(f);
}

static void test_ipam_release__exact_and_idempotent(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/24\"}");
	struct cni_err err = { 0 };
	struct ipam_addr a;

	(void)state;
	add(f, &f->a, "c1");
	add(f, &f->a, "c2");
	assert_int_equal(
		ipam_release(&f->a, &f->conf->ranges[0], "c1", "eth1", &err),
		0);
	assert_int_equal(
		ipam_find(&f->a, &f->conf->ranges[0], "c1", "eth0", &a, &err),
		0);
	assert_int_equal(
		ipam_release(&f->a, &f->conf->ranges[0], "c1", "eth0", &err),
		0);
	assert_int_equal(
		ipam_find(&f->a, &f->conf->ranges[0], "c1", "eth0", &a, &err),
		-ENOENT);
	assert_int_equal(
		ipam_release(&f->a, &f->conf->ranges[0], "c1", "eth0", &err),
		0);
	assert_int_equal(
		ipam_find(&f->a, &f->conf->ranges[0], "c2", "eth0", &a, &err),
		0);
	/* the released address is handed out again */
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.1");
	fx_free(f);
}

static void test_ipam_alloc__exhaustion_names_pool(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.9.0.0/29\",\"gateway\":"
			      "\"10.9.0.1\",\"exclude\":[\"10.9.0.6/32\"]}");
	struct cni_err err = { 0 };
	char cid[16];
	int i;

	(void)state;
	/* .0 network, .1 gateway, .6 excluded, .7 broadcast: 4 left */
	for (i = 0; i < 4; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		add(f, i % 2 ? &f->b : &f->a, cid);
	}
	assert_true(add_err(f, &f->a, "c9", NULL, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_POOL_EXHAUSTED);
	assert_non_null(strstr(err.msg, "10.9.0.0_29"));
	assert_int_equal(ipam_has_free(&f->a, &f->conf->ranges[0], &err),
			 -ENOSPC);
	assert_int_equal(err.code, CNI_ERR_NO_ADDRESSES);
	ipam_release(&f->b, &f->conf->ranges[0], "c1", "eth0", NULL);
	assert_int_equal(ipam_has_free(&f->a, &f->conf->ranges[0], &err), 0);
	fx_free(f);
}

static void test_ipam_alloc__static_taken_names_holder(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	struct cni_err err = { 0 };
	size_t before;

	(void)state;
	assert_int_equal(add_err(f, &f->a, "c1", "10.0.0.77", &err), 0);
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.77");
	/* b's first call writes its (empty) reference index, nothing else */
	before = mem_store_count(f->st, NULL) + 1;
	assert_true(add_err(f, &f->b, "c2", "10.0.0.77", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_ADDRESS_TAKEN);
	assert_non_null(strstr(err.msg, "10.0.0.77"));
	assert_non_null(strstr(err.msg, "ns1/c1"));
	assert_non_null(strstr(err.msg, "node node-a"));
	assert_int_equal(mem_store_count(f->st, NULL), before);
	assert_true(add_err(f, &f->b, "c2", "10.0.0.1", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "reserved"));
	/* a static address in another node's block is fine when free */
	assert_int_equal(add_err(f, &f->b, "c3", "10.0.0.5", &err), 0);
	fx_free(f);
}

static void test_ipam_alloc__own_block_then_claim(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	const struct ipam_range *r = &f->conf->ranges[0];
	char cid[16];
	int i;

	(void)state;
	/* node a fills its first block (.1-.7), then claims the next */
	for (i = 0; i < 8; i++) {
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &f->a, cid);
	}
	(void)r;
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 2);
	assert_int_equal(fx_refs_n(f, "node-a"), 2);
	/* node b gets a block of its own, not an address in a's */
	assert_string_equal(add(f, &f->b, "b0"), "10.0.0.16");
	assert_int_equal(fx_refs_n(f, "node-b"), 1);
	fx_free(f);
}

static void rel(struct fx *f, struct ipam_ctx *ctx, const char *cid)
{
	struct cni_err err = { 0 };

	if (ipam_release(ctx, &f->conf->ranges[0], cid, "eth0", &err) < 0)
		fail_msg("release %s: %d %s", cid, err.code, err.msg);
}

/* An own block emptied by DEL goes back to the pool when another own
 * block has room; a node's last block stays. */
static void test_ipam_release__empty_block_goes_back(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "24\",\"blockSize\":29}");
	char cid[16];
	int i;

	(void)state;
	for (i = 0; i < 8; i++) { /* block 0: .1-.7, block 1: .8 */
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &f->a, cid);
	}
	rel(f, &f->a, "a7"); /* block 1 empty, but block 0 is full */
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 2);
	assert_string_equal(add(f, &f->a, "a7"), "10.0.0.8");
	rel(f, &f->a, "a0"); /* room in block 0 now */
	rel(f, &f->a, "a7"); /* block 1 empty: returned */
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	assert_int_equal(fx_refs_n(f, "node-a"), 1);
	/* a's next address comes from its remaining block */
	assert_string_equal(add(f, &f->a, "a8"), "10.0.0.1");
	for (i = 1; i < 7; i++) { /* block 0 down to a8 alone */
		snprintf(cid, sizeof(cid), "a%d", i);
		rel(f, &f->a, cid);
	}
	rel(f, &f->a, "a8"); /* the last block stays, empty */
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	assert_int_equal(fx_refs_n(f, "node-a"), 1);
	fx_free(f);
}

static void test_ipam_gc__two_empty_blocks_keep_one(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	struct cni_err err = { 0 };
	size_t n = 0;
	char cid[16];
	int i;

	(void)state;
	for (i = 0; i < 10; i++) { /* blocks 0 and 1 */
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &f->a, cid);
	}
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 2);
	assert_int_equal(ipam_gc(&f->a, &f->conf->ranges[0], NULL, &n, &err),
			 0);
	assert_int_equal(n, 10);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	assert_int_equal(fx_refs_n(f, "node-a"), 1);
	fx_free(f);
}

static void test_ipam_alloc__borrow_when_no_free_block(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "28\",\"blockSize\":29}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct cni_err err = { 0 };
	size_t n = 0;
	char cid[16];
	int i;

	(void)state;
	add(f, &f->a, "a0"); /* a claims block 0 */
	assert_string_equal(add(f, &f->b, "b0"), "10.0.0.8"); /* b: block 1 */
	for (i = 1; i < 7; i++) {
		snprintf(cid, sizeof(cid), "b%d", i);
		add(f, &f->b, cid); /* .9 - .14 */
	}
	/* b's block is full, no block is free: b borrows from a's */
	assert_string_equal(add(f, &f->b, "b7"), "10.0.0.2");
	assert_string_equal(add(f, &f->b, "b7"), "10.0.0.2");
	assert_int_equal(fx_refs_n(f, "node-b"), 2);
	/* GC of b with nothing valid drops b's records, a's stays */
	assert_int_equal(ipam_gc(&f->b, r, NULL, &n, &err), 0);
	assert_int_equal(n, 8);
	assert_int_equal(ipam_find(&f->a, r, "a0", "eth0",
				   &(struct ipam_addr){ 0 }, &err),
			 0);
	assert_int_equal(fx_refs_n(f, "node-b"), 1);
	fx_free(f);
}

static void test_ipam_gc__keeps_valid_attachments(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	json_object *valid = json_tokener_parse("[{\"containerID\":\"c1\","
						"\"ifname\":\"eth0\"}]");
	struct cni_err err = { 0 };
	struct ipam_addr a;
	size_t n = 0;

	(void)state;
	add(f, &f->a, "c1");
	add(f, &f->a, "c2");
	add(f, &f->b, "c3");
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ipam_find(&f->a, r, "c1", "eth0", &a, &err), 0);
	assert_int_equal(ipam_find(&f->a, r, "c2", "eth0", &a, &err), -ENOENT);
	assert_int_equal(ipam_find(&f->b, r, "c3", "eth0", &a, &err), 0);
	json_object_put(valid);
	fx_free(f);
}

/* A fake claim_holds: the answer the test sets, and what it was asked. */
struct holds {
	int answer;
	int calls;
	char last[64];
};

static int fake_holds(void *arg, const char *claim, const struct ipam_addr *a)
{
	struct holds *h = arg;

	(void)a;
	h->calls++;
	snprintf(h->last, sizeof(h->last), "%s", claim);
	return h->answer;
}

/* ADD of cid for claim ns1/k1 on ctx, asking for want (or any). */
static int add_claim(struct fx *f, struct ipam_ctx *ctx, const char *cid,
		     const char *claim, const char *want, struct cni_err *err)
{
	struct ipam_owner o = own(cid, "eth0");
	struct ipam_addr w, a;

	o.claim = claim;
	if (want)
		assert_int_equal(ipam_addr_parse(want, &w), 0);
	return ipam_alloc(ctx, &f->conf->ranges[0], &o, want ? &w : NULL, &a,
			  err);
}

static void test_ipam_release__claim_keeps_address(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct holds h = { .answer = 1 };
	struct cni_err err = { 0 };
	struct ipam_addr a;

	(void)state;
	f->a.claim_holds = f->b.claim_holds = fake_holds;
	f->a.claim_arg = f->b.claim_arg = &h;
	assert_int_equal(add_claim(f, &f->a, "c1", "ns1/k1", NULL, &err), 0);
	assert_int_equal(ipam_find(&f->a, r, "c1", "eth0", &a, &err), 0);
	assert_string_equal(ipam_addr_fmt(&a, (char[IPAM_ADDR_STRLEN]){ 0 }),
			    "10.0.0.2");
	/* DEL: the claim lists it, the record stays without the container */
	assert_int_equal(ipam_release(&f->a, r, "c1", "eth0", &err), 0);
	assert_int_equal(h.calls, 1);
	assert_string_equal(h.last, "ns1/k1");
	assert_int_equal(ipam_find(&f->a, r, "c1", "eth0", &a, &err), -ENOENT);
	/* an ordinary ADD does not get it */
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.3");
	/* nor another claim's pod, nor a pod of no claim asking for it */
	assert_int_equal(add_claim(f, &f->b, "c3", "ns1/k2", "10.0.0.2", &err),
			 -EEXIST);
	assert_int_equal(err.code, CNI_ERR_ADDRESS_TAKEN);
	assert_non_null(strstr(err.msg, "IPAMClaim ns1/k1 (no pod"));
	assert_true(add_err(f, &f->b, "c4", "10.0.0.2", &err) < 0);
	/* the claim's next pod takes it over on another node */
	assert_int_equal(add_claim(f, &f->b, "c5", "ns1/k1", "10.0.0.2", &err),
			 0);
	assert_int_equal(ipam_find(&f->b, r, "c5", "eth0", &a, &err), 0);
	/* while c5 holds it, a third pod of the claim is refused */
	assert_true(add_claim(f, &f->a, "c6", "ns1/k1", "10.0.0.2", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_ADDRESS_TAKEN);
	assert_non_null(strstr(err.msg, "ns1/c5 (container c5"));
	/* the claim is gone: DEL frees the address */
	h.answer = 0;
	assert_int_equal(ipam_release(&f->b, r, "c5", "eth0", &err), 0);
	assert_int_equal(add_err(f, &f->b, "c7", "10.0.0.2", &err), 0);
	fx_free(f);
}

static void test_ipam_release__claim_unknown_keeps(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct holds h = { .answer = -1 };
	struct cni_err err = { 0 };
	size_t before;

	(void)state;
	f->a.claim_holds = fake_holds;
	f->a.claim_arg = &h;
	assert_int_equal(add_claim(f, &f->a, "c1", "ns1/k1", NULL, &err), 0);
	before = mem_store_count(f->st, NULL);
	assert_int_equal(ipam_release(&f->a, r, "c1", "eth0", &err), 0);
	assert_true(add_err(f, &f->a, "c2", "10.0.0.2", &err) < 0);
	/* no claim_holds: a claim's record goes like any other */
	f->a.claim_holds = NULL;
	assert_int_equal(add_claim(f, &f->a, "c3", "ns1/k1", "10.0.0.2", &err),
			 0);
	assert_int_equal(ipam_release(&f->a, r, "c3", "eth0", &err), 0);
	assert_int_equal(add_err(f, &f->a, "c4", "10.0.0.2", &err), 0);
	assert_int_equal(mem_store_count(f->st, NULL), before);
	fx_free(f);
}

static void test_ipam_gc__claims(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	json_object *valid = json_tokener_parse("[]");
	struct holds h = { .answer = 1 };
	struct cni_err err = { 0 };
	struct ipam_addr a;
	size_t n = 9;

	(void)state;
	f->a.claim_holds = fake_holds;
	f->a.claim_arg = &h;
	assert_int_equal(add_claim(f, &f->a, "c1", "ns1/k1", NULL, &err), 0);
	add(f, &f->a, "c2");
	/* the claim holds it: c1 goes, the address stays; c2 is dropped */
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ipam_find(&f->a, r, "c1", "eth0", &a, &err), -ENOENT);
	assert_true(add_err(f, &f->a, "c3", "10.0.0.2", &err) < 0);
	/* cannot tell: kept */
	h.answer = -1;
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_true(add_err(f, &f->a, "c3", "10.0.0.2", &err) < 0);
	/* the claim is gone: freed */
	h.answer = 0;
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(add_err(f, &f->a, "c3", "10.0.0.2", &err), 0);
	json_object_put(valid);
	fx_free(f);
}

static void test_ipam_alloc__v6_64_random_blocks(void **state)
{
	struct fx *f = fx_new("{\"range\":\"fd00:0:0:7::/64\"}");
	struct ipam_addr first, a;
	struct cni_err err = { 0 };
	char cid[16];
	int i;

	(void)state;
	assert_int_equal(ipam_addr_parse(add(f, &f->a, "c0"), &first), 0);
	for (i = 1; i < 130; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		assert_int_equal(ipam_addr_parse(add(f, &f->a, cid), &a), 0);
		assert_true(ipam_prefix_contains(&f->conf->ranges[0].net, &a));
	}
	/* 130 addresses: 3 blocks of 64 (one address of the first block is
	 * the network only when the block is the first of the pool) */
	assert_int_equal(mem_store_count(f->st, "fd00:0:0:7::_64/b/"), 3);
	(void)first;
	(void)err;
	fx_free(f);
}

static void test_ipam_alloc__slash8_cost_independent(void **state)
{
	struct fx *big = fx_new("{\"range\":\"10.0.0.0/8\"}");
	struct fx *small = fx_new("{\"range\":\"10.0.0.0/24\"}");
	size_t cb, cs;
	char cid[16];
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		add(big, &big->a, cid);
		if (i < 250)
			add(small, &small->a, cid);
	}
	cb = mem_store_calls(big->st);
	cs = mem_store_calls(small->st);
	/* store calls per allocation do not grow with the pool's size */
	if (cb > cs * 3 / 2)
		fail_msg("/8: %zu store calls, /24: %zu", cb, cs);
	assert_int_equal(mem_store_count(big->st, "10.0.0.0_8/b/"), 4);
	fx_free(big);
	fx_free(small);
}

static void test_ipam_alloc__conflicts_are_retried(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/24\"}");

	(void)state;
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.1");
	mem_store_fail_puts(f->st, 5);
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	fx_free(f);
}

static void test_ipam_alloc__store_down_try_again(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/24\"}");
	struct cni_err err = { 0 };

	(void)state;
	mem_store_set_down(f->st, true);
	assert_true(add_err(f, &f->a, "c1", NULL, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	err.code = 0;
	assert_true(ipam_has_free(&f->a, &f->conf->ranges[0], &err) < 0);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	mem_store_set_down(f->st, false);
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.1");
	fx_free(f);
}

static void test_ipam_alloc__two_nodes_no_duplicates(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "24\",\"blockSize\":28}");
	char cid[16], seen[256] = { 0 };
	struct cni_err err = { 0 };
	struct ipam_addr a;
	int i, n = 0;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(cid, sizeof(cid), "c%d", i);
		if (add_err(f, i % 3 ? &f->a : &f->b, cid, NULL, &err) < 0) {
			assert_int_equal(err.code, CNI_ERR_POOL_EXHAUSTED);
			break;
		}
		assert_int_equal(ipam_find(i % 3 ? &f->a : &f->b,
					   &f->conf->ranges[0], cid, "eth0", &a,
					   &err),
				 0);
		assert_int_equal(seen[a.v & 0xff], 0);
		seen[a.v & 0xff] = 1;
		n++;
	}
	assert_int_equal(n, 254);
	fx_free(f);
}

/* Networks sharing a pool (same range, no network_name): GC of one
 * network collects only its own records, never another network's live
 * addresses (which would then be handed out twice). Two and three. */
static void gc_shared_pool(size_t nets)
{
	static const char *const names[] = { "net-a", "net-b", "net-c" };
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct ipam_ctx ctx[3];
	struct cni_err err = { 0 };
	char cid[32], seen[3][4][IPAM_ADDR_STRLEN];
	struct ipam_addr a;
	size_t i, j, n;

	for (i = 0; i < nets; i++) {
		ctx[i] = f->a;
		ctx[i].net = names[i];
		for (j = 0; j < 4; j++) {
			snprintf(cid, sizeof(cid), "c%zu-%zu", i, j);
			snprintf(seen[i][j], IPAM_ADDR_STRLEN, "%s",
				 add(f, &ctx[i], cid));
		}
	}
	/* GC of each network but the last, none of its attachments valid */
	for (i = 0; i + 1 < nets; i++) {
		assert_int_equal(ipam_gc(&ctx[i], r, NULL, &n, &err), 0);
		assert_int_equal(n, 4);
	}
	/* the last network's records are all still there */
	for (j = 0; j < 4; j++) {
		snprintf(cid, sizeof(cid), "c%zu-%zu", nets - 1, j);
		assert_int_equal(
			ipam_find(&ctx[nets - 1], r, cid, "eth0", &a, &err), 0);
		assert_string_equal(
			ipam_addr_fmt(&a, (char[IPAM_ADDR_STRLEN]){ 0 }),
			seen[nets - 1][j]);
	}
	/* and no new allocation gets one of them */
	for (j = 0; j < 8; j++) {
		const char *s;

		snprintf(cid, sizeof(cid), "new-%zu", j);
		s = add(f, &ctx[0], cid);
		for (i = 0; i < 4; i++)
			assert_string_not_equal(s, seen[nets - 1][i]);
	}
	/* a GC without a network touches none of the named records */
	assert_int_equal(ipam_gc(&f->a, r, NULL, &n, &err), 0);
	assert_int_equal(n, 0);
	fx_free(f);
}

static void test_ipam_gc__shared_pool_two_networks(void **state)
{
	(void)state;
	gc_shared_pool(2);
}

static void test_ipam_gc__shared_pool_three_networks(void **state)
{
	(void)state;
	gc_shared_pool(3);
}

/* The shortest config: the first host address is the gateway, never
 * handed out; a /30 has one address left. A static request for the
 * gateway is refused naming it. */
static void test_ipam_alloc__gateway_never_handed_out(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.9.0.0/30\"}");
	struct cni_err err = { 0 };
	struct ipam_addr gw;

	(void)state;
	assert_true(f->conf->ranges[0].has_gw);
	assert_int_equal(ipam_addr_parse("10.9.0.1", &gw), 0);
	assert_true(f->conf->ranges[0].gw.v == gw.v);
	assert_string_equal(add(f, &f->a, "c1"), "10.9.0.2");
	assert_true(add_err(f, &f->b, "c2", NULL, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_POOL_EXHAUSTED);
	assert_true(add_err(f, &f->a, "c3", "10.9.0.1", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "10.9.0.1"));
	fx_free(f);
}

/* (Un)reserve [lo, hi] of range 0 (one block) into res; returns rc. */
static int resv(struct fx *f, const char *lo, const char *hi, bool un,
		bool force, bool dry, struct ipam_resv_addr *res,
		struct cni_err *err)
{
	struct ipam_resv_opts o = { .unreserve = un,
				    .force = force,
				    .dry_run = dry,
				    .at = "2026-01-02T03:04:05Z" };
	struct ipam_addr a, b;

	assert_int_equal(ipam_addr_parse(lo, &a), 0);
	assert_int_equal(ipam_addr_parse(hi, &b), 0);
	return ipam_reserve_span(f->st, &f->conf->ranges[0], a.v, b.v, &o, res,
				 err);
}

/* A reserved address is never handed out: not by ADD, not on request
 * (code 7 naming it reserved by an operator); the block plexusctl made
 * for it has no owner until a node borrowing from it takes it. */
static void test_ipam_alloc__operator_reserved_never_handed_out(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "29\",\"blockSize\":29}");
	struct ipam_resv_addr res[2];
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(
		resv(f, "10.0.0.1", "10.0.0.2", false, false, false, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_CHANGED);
	assert_int_equal(res[1].state, IPAM_RESV_CHANGED);
	assert_non_null(strstr(fx_val(f, "10.0.0.0_29/b/00000000"), "\"node\":"
								    "\"\""));
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.3");
	assert_non_null(strstr(fx_val(f, "10.0.0.0_29/b/00000000"), "\"node\":"
								    "\"node-"
								    "a\""));
	assert_true(add_err(f, &f->b, "c2", "10.0.0.2", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "10.0.0.2"));
	assert_non_null(strstr(err.msg, "reserved by an operator"));
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.4");
	assert_string_equal(add(f, &f->b, "c4"), "10.0.0.5");
	assert_string_equal(add(f, &f->a, "c5"), "10.0.0.6");
	assert_true(add_err(f, &f->a, "c6", NULL, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_POOL_EXHAUSTED);
	assert_int_equal(ipam_has_free(&f->a, &f->conf->ranges[0], &err),
			 -ENOSPC);
	fx_free(f);
}

/* A DEL with the address in ctx->conflict (plexus' conflict undo) frees
 * the record and keeps the address reserved with the reason "conflict":
 * the next ADD gets another, a request for it is code 7 saying so; an
 * address not in the list is released as usual. */
static void test_ipam_release__conflict_reserves(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "29\",\"blockSize\":29}");
	struct cni_err err = { 0 };

	(void)state;
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.1");
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	f->a.conflict = "10.0.0.9,10.0.0.1";
	assert_int_equal(
		ipam_release(&f->a, &f->conf->ranges[0], "c1", "eth0", &err),
		0);
	f->a.conflict = "10.0.0.1";
	assert_int_equal(
		ipam_release(&f->a, &f->conf->ranges[0], "c2", "eth0", &err),
		0);
	f->a.conflict = NULL;
	assert_non_null(strstr(fx_val(f, "10.0.0.0_29/b/00000000"), "\"reason\""
								    ":\"conflic"
								    "t\""));
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.2");
	assert_string_equal(add(f, &f->a, "c4"), "10.0.0.3");
	assert_true(add_err(f, &f->b, "c5", "10.0.0.1", &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "10.0.0.1"));
	assert_non_null(strstr(err.msg, "reserved as a conflict"));
	fx_free(f);
}

/* Reserving a held address needs force; then the holder keeps it, and
 * after its release the address stays out of allocation (and its block
 * stays, not empty) until unreserved. */
static void test_ipam_reserve_span__held_needs_force(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "24\",\"blockSize\":28}");
	struct ipam_resv_addr res[1];
	struct cni_err err = { 0 };
	char before[4096];

	(void)state;
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.1");
	snprintf(before, sizeof(before), "%s",
		 fx_val(f, "10.0.0.0_24/b/00000000"));
	assert_true(resv(f, "10.0.0.1", "10.0.0.1", false, false, false, res,
			 &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_int_equal(res[0].state, IPAM_RESV_HELD);
	assert_non_null(strstr(res[0].holder, "ns1/c1"));
	assert_string_equal(fx_val(f, "10.0.0.0_24/b/00000000"), before);
	assert_int_equal(
		resv(f, "10.0.0.1", "10.0.0.1", false, true, false, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_HELD);
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.1"); /* idempotent */
	rel(f, &f->a, "c1");
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	assert_int_equal(
		resv(f, "10.0.0.1", "10.0.0.1", false, false, false, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_SAME);
	assert_string_equal(res[0].at, "2026-01-02T03:04:05Z");
	assert_int_equal(
		resv(f, "10.0.0.1", "10.0.0.1", true, false, false, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_CHANGED);
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.1");
	fx_free(f);
}

/* dry_run writes nothing; a block made only for reservations goes when
 * its last one does; the config's reserved addresses are left alone. */
static void test_ipam_reserve_span__dry_run_and_ownerless_block(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\",\"blockSize\":28}");
	struct ipam_resv_addr res[3];
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(
		resv(f, "10.0.0.0", "10.0.0.2", false, false, true, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_CONFIG);
	assert_int_equal(res[1].state, IPAM_RESV_CONFIG);
	assert_int_equal(res[2].state, IPAM_RESV_CHANGED);
	assert_int_equal(mem_store_count(f->st, NULL), 0);
	assert_int_equal(
		resv(f, "10.0.0.0", "10.0.0.2", false, false, false, res, &err),
		0);
	/* the block, and its free-block hint: it has room */
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/f/"), 1);
	assert_int_equal(
		resv(f, "10.0.0.2", "10.0.0.2", true, false, true, res, &err),
		0);
	assert_int_equal(mem_store_count(f->st, NULL), 2);
	assert_int_equal(
		resv(f, "10.0.0.2", "10.0.0.2", true, false, false, res, &err),
		0);
	assert_int_equal(res[0].state, IPAM_RESV_CHANGED);
	assert_int_equal(mem_store_count(f->st, NULL), 0);
	/* a span over two blocks is refused */
	assert_true(resv(f, "10.0.0.15", "10.0.0.16", false, false, false, res,
			 &err) < 0);
	fx_free(f);
}

/* 10.0.0.0/28 in /29 blocks, no gateway: two blocks of 7 addresses
 * (.1-.7, .8-.14); a takes block 0 with a0.., b block 1 with b0... */
static struct fx *fx_two_blocks(int a_n, int b_n)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "28\",\"blockSize\":29}");
	char cid[16];
	int i;

	for (i = 0; i < a_n; i++) {
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &f->a, cid);
	}
	for (i = 0; i < b_n; i++) {
		snprintf(cid, sizeof(cid), "b%d", i);
		add(f, &f->b, cid);
	}
	return f;
}

/* The hint of a block comes with it, goes when an ADD fills it, and
 * comes back before the DEL that gives it room. */
static void test_ipam_free__hint_follows_transitions(void **state)
{
	struct fx *f = fx_two_blocks(1, 0);
	const struct ipam_range *r = &f->conf->ranges[0];
	struct cni_err err = { 0 };
	char cid[16];
	int i;

	(void)state;
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	for (i = 1; i < 6; i++) {
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &f->a, cid);
	}
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000")); /* one left */
	add(f, &f->a, "a6");
	assert_false(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	assert_int_equal(ipam_release(&f->a, r, "a3", "eth0", &err), 0);
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	/* a steady-state ADD into a block with room does not touch it */
	assert_int_equal(ipam_release(&f->a, r, "a4", "eth0", &err), 0);
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	fx_free(f);
}

/* Borrowing goes through the index: a stale hint (a full block) is
 * checked, deleted, and the next one taken. */
static void test_ipam_free__borrow_skips_stale_hint(void **state)
{
	struct fx *f = fx_two_blocks(1, 7);
	struct cni_err err = { 0 };
	char *val, cid[16];
	int i;

	(void)state;
	/* a stale hint for b's full block */
	assert_int_equal(ipam_store_put_if(f->st, "10.0.0.0_28/f/00/00000001",
					   "{}", 2, 0, NULL, &err),
			 0);
	assert_int_equal(ipam_store_put_if(f->st, "10.0.0.0_28/fi", "{}", 2, 0,
					   NULL, &err),
			 0);
	assert_string_equal(add(f, &f->b, "b7"), "10.0.0.2");
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	/* its record beside a's block, its slot tagged with its node */
	assert_int_equal(ipam_store_get(f->st, "10.0.0.0_28/a/00000000/2", &val,
					NULL, NULL, &err),
			 0);
	assert_non_null(strstr(val, "\"b7\""));
	free(val);
	assert_int_equal(ipam_store_get(f->st, "10.0.0.0_28/b/00000000", &val,
					NULL, NULL, &err),
			 0);
	assert_non_null(strstr(val, "\"by\":{\"2\":\"node-b\"}"));
	free(val);
	for (i = 8; i < 13; i++) {
		snprintf(cid, sizeof(cid), "b%d", i);
		add(f, &f->b, cid); /* .3 - .7 */
	}
	assert_int_equal(add_err(f, &f->b, "b13", NULL, &err), -ENOSPC);
	assert_int_equal(err.code, CNI_ERR_POOL_EXHAUSTED);
	/* the filled block's hint went with its last write, the stale one
	 * when the search met it */
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_28/f/"), 0);
	fx_free(f);
}

/* A pool without the index (written before it, or a hint lost): the
 * first borrow or STATUS builds it once from the blocks, then marks it
 * built; a hint lost after that is back after the owner's GC verb. */
static void test_ipam_free__built_once_and_repaired_by_gc(void **state)
{
	struct fx *f = fx_two_blocks(1, 7);
	const struct ipam_range *r = &f->conf->ranges[0];
	json_object *valid = json_tokener_parse("[{\"containerID\":\"a0\","
						"\"ifname\":\"eth0\"}]");
	struct cni_err err = { 0 };
	size_t n = 0;

	(void)state;
	assert_int_equal(
		ipam_store_del_if(f->st, "10.0.0.0_28/f/00/00000000", 0, &err),
		0);
	assert_false(fx_has(f, "10.0.0.0_28/fi"));
	assert_int_equal(ipam_has_free(&f->b, r, &err), 0);
	assert_true(fx_has(f, "10.0.0.0_28/fi"));
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	/* built: a lost hint is not looked for by reading the pool */
	assert_int_equal(
		ipam_store_del_if(f->st, "10.0.0.0_28/f/00/00000000", 0, &err),
		0);
	assert_int_equal(ipam_has_free(&f->b, r, &err), -ENOSPC);
	assert_int_equal(err.code, CNI_ERR_NO_ADDRESSES);
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	assert_true(fx_has(f, "10.0.0.0_28/f/00/00000000"));
	assert_int_equal(ipam_has_free(&f->b, r, &err), 0);
	json_object_put(valid);
	fx_free(f);
}

/* STATUS of a full pool: stale hints go, code 51. */
static void test_ipam_free__status_full_pool_drops_stale(void **state)
{
	struct fx *f = fx_two_blocks(7, 7);
	const struct ipam_range *r = &f->conf->ranges[0];
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_28/f/"), 0);
	assert_int_equal(ipam_store_put_if(f->st, "10.0.0.0_28/f/00/00000000",
					   "{}", 2, 0, NULL, &err),
			 0);
	assert_int_equal(ipam_has_free(&f->a, r, &err), -ENOSPC);
	assert_int_equal(err.code, CNI_ERR_NO_ADDRESSES);
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_28/f/"), 0);
	fx_free(f);
}

/* <pool>/fc: the walk that finds every block claimed sets it, so later
 * ADDs borrow without walking; a stale one (a block unclaimed again)
 * costs a borrow attempt, then the walk claims the block and drops it. */
static void test_ipam_free__all_claimed_mark(void **state)
{
	struct fx *f = fx_two_blocks(1, 7), *g = fx_two_blocks(0, 7);
	struct cni_err err = { 0 };

	(void)state;
	assert_string_equal(add(f, &f->b, "b7"), "10.0.0.2");
	assert_true(fx_has(f, "10.0.0.0_28/fc"));
	assert_string_equal(add(f, &f->b, "b8"), "10.0.0.3");
	/* a stale mark: b filled block 0, block 1 is free */
	assert_int_equal(ipam_store_put_if(g->st, "10.0.0.0_28/fc", "{}", 2, 0,
					   NULL, &err),
			 0);
	assert_string_equal(add(g, &g->a, "a0"), "10.0.0.8");
	assert_false(fx_has(g, "10.0.0.0_28/fc"));
	fx_free(f);
	fx_free(g);
}

/* Hints are spread over one shard per 256 blocks: a /16 of /29 blocks
 * (8192) has 32, block 33's hint is in shard 01; a /24 has one. */
static void test_ipam_free__shards(void **state)
{
	struct fx *f = fx_new("{\"noGateway\":true,\"range\":\"10.0.0.0/"
			      "16\",\"blockSize\":29}");
	struct fx *g = fx_new("{\"range\":\"10.0.0.0/24\"}");
	char key[IPAM_KEY_MAX];

	(void)state;
	assert_int_equal(ipam_free_shards(&f->conf->ranges[0]), 32);
	ipam_free_key(&f->conf->ranges[0], 33, key);
	assert_string_equal(key, "10.0.0.0_16/f/01/00000021");
	assert_int_equal(ipam_free_shards(&g->conf->ranges[0]), 1);
	ipam_free_prefix(&g->conf->ranges[0], 0, key);
	assert_string_equal(key, "10.0.0.0_24/f/00/");
	fx_free(f);
	fx_free(g);
}

/* A stored block whose "reserved" is not an object does not load. */
static void test_ipam_block_load__bad_reserved(void **state)
{
	static const char bad[] = "{\"node\":\"n\",\"allocs\":{},"
				  "\"reserved\":[1]}";
	struct cni_err err = { 0 };
	struct ipam_block b;

	(void)state;
	assert_true(ipam_block_load(0, "k", bad, strlen(bad), 1, &b, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
}

/* --- block format 2: a header of slot hashes, one record key each --- */

/* Is off held in the block stored at key? */
static bool slot_held(struct fx *f, const char *key, uint32_t off)
{
	const char *val = fx_val(f, key);
	struct ipam_block b;
	bool held;

	assert_int_equal(ipam_block_load(0, key, val, strlen(val), 1, &b, NULL),
			 0);
	held = ipam_block_slot_hash(&b, off) != NULL;
	ipam_block_clear(&b);
	return held;
}

/* A format-1 block (records inline) is read as before, and written as
 * a header plus one record key each at its first write. */
static void test_ipam_block__v1_converted_at_first_write(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct ipam_refs x = { 0 };
	struct cni_err err = { 0 };

	(void)state;
	fx_put(f, "10.0.0.0_24/b/00000000",
	       "{\"cidr\":\"10.0.0.0/24\",\"node\":\"node-a\",\"allocs\":"
	       "{\"2\":{\"cid\":\"c1\",\"if\":\"eth0\",\"ns\":\"ns1\","
	       "\"pod\":\"p1\",\"node\":\"node-a\"}}}");
	ipam_refs_key(r, "node-a", x.key);
	assert_int_equal(ipam_refs_add(&x, 0), 0);
	assert_int_equal(ipam_refs_store(f->st, r, &x, &err), 0);
	ipam_refs_clear(&x);
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.2"); /* idempotent */
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.3");
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/b/00000000"), "\"v\":2"));
	assert_null(strstr(fx_val(f, "10.0.0.0_24/b/00000000"), "allocs"));
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/2"), "\"pod\":"
								      "\"p1"
								      "\""));
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/3"), "\"cid\":"
								      "\"c2"
								      "\""));
	assert_int_equal(ipam_release(&f->a, r, "c1", "eth0", &err), 0);
	assert_string_equal(fx_val(f, "10.0.0.0_24/a/00000000/2"), "");
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.2");
	fx_free(f);
}

/* A crash between the header's write and its record's leaves a slot
 * without a record: the retried ADD writes the record, DEL clears the
 * slot, and GC frees the slot of a container that is not valid. */
static void test_ipam_rec__slot_without_record_repaired(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct cni_err err = { 0 };
	json_object *valid;
	size_t n = 0;

	(void)state;
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.2");
	fx_del(f, "10.0.0.0_24/a/00000000/2");
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.2");
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/2"), "\"cid\":"
								      "\"c1"
								      "\""));
	fx_del(f, "10.0.0.0_24/a/00000000/2");
	assert_int_equal(ipam_release(&f->a, r, "c1", "eth0", &err), 0);
	assert_false(slot_held(f, "10.0.0.0_24/b/00000000", 2));
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	assert_string_equal(add(f, &f->a, "c3"), "10.0.0.3");
	fx_del(f, "10.0.0.0_24/a/00000000/3");
	/* another node's GC leaves it; this node's frees it */
	assert_int_equal(ipam_gc(&f->b, r, NULL, &n, &err), 0);
	assert_true(slot_held(f, "10.0.0.0_24/b/00000000", 3));
	valid = json_object_new_array();
	assert_int_equal(ipam_gc(&f->a, r, valid, &n, &err), 0);
	json_object_put(valid);
	assert_false(slot_held(f, "10.0.0.0_24/b/00000000", 3));
	fx_free(f);
}

/* Two attachments whose (container, interface) have the same slot hash
 * (h36909 and h1310916 on eth0, found by search): the second ADD reads
 * the first's record, sees it is not its own and takes an address of
 * its own; a second ADD of either finds its own, and DEL of either
 * releases its own address only. */
static void test_ipam_rec__hash_collision(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	char h1[IPAM_SLOT_HASH_LEN + 1], h2[IPAM_SLOT_HASH_LEN + 1];
	struct cni_err err = { 0 };

	(void)state;
	ipam_slot_hash("h36909", "eth0", NULL, h1);
	ipam_slot_hash("h1310916", "eth0", NULL, h2);
	assert_string_equal(h1, h2);
	assert_string_equal(add(f, &f->a, "h36909"), "10.0.0.2");
	assert_string_equal(add(f, &f->a, "h1310916"), "10.0.0.3");
	/* again: the first slot with the hash is not its own, the next is */
	assert_string_equal(add(f, &f->a, "h1310916"), "10.0.0.3");
	assert_int_equal(ipam_release(&f->a, r, "h1310916", "eth0", &err), 0);
	assert_true(slot_held(f, "10.0.0.0_24/b/00000000", 2));
	assert_false(slot_held(f, "10.0.0.0_24/b/00000000", 3));
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/2"), "\"cid\":"
								      "\"h36909"
								      "\""));
	assert_string_equal(add(f, &f->a, "h36909"), "10.0.0.2");
	assert_int_equal(ipam_release(&f->a, r, "h36909", "eth0", &err), 0);
	assert_false(slot_held(f, "10.0.0.0_24/b/00000000", 2));
	fx_free(f);
}

/* A claim's address whose header was given to the claim but whose
 * record still is the pod's (a crash between the two writes of a DEL on
 * a store without transactions): the claim's next pod takes it and
 * writes its record. */
static void test_ipam_rec__claim_slot_with_stale_record(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct holds h = { .answer = 1 };
	struct cni_err err = { 0 };
	char pod_rec[4096];

	(void)state;
	f->a.claim_holds = f->b.claim_holds = fake_holds;
	f->a.claim_arg = f->b.claim_arg = &h;
	assert_int_equal(add_claim(f, &f->a, "c1", "ns1/k1", NULL, &err), 0);
	snprintf(pod_rec, sizeof(pod_rec), "%s",
		 fx_val(f, "10.0.0.0_24/a/00000000/2"));
	assert_int_equal(ipam_release(&f->a, r, "c1", "eth0", &err), 0);
	fx_put(f, "10.0.0.0_24/a/00000000/2", pod_rec); /* the stale one */
	assert_int_equal(add_claim(f, &f->b, "c5", "ns1/k1", "10.0.0.2", &err),
			 0);
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/2"), "\"cid\":"
								      "\"c5"
								      "\""));
	fx_free(f);
}

/* A record whose hash is not its slot's is stale: ignored (the ADD that
 * holds the slot writes its own); one that is no record is code 6
 * naming its key, and nothing is written. */
static void test_ipam_rec__stale_ignored_bad_refused(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	struct cni_err err = { 0 };
	char before[4096];

	(void)state;
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.2");
	fx_put(f, "10.0.0.0_24/a/00000000/2",
	       "{\"cid\":\"other\",\"if\":\"eth0\"}");
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.2");
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/2"), "\"cid\":"
								      "\"c1"
								      "\""));
	fx_put(f, "10.0.0.0_24/a/00000000/2", "[1]");
	snprintf(before, sizeof(before), "%s",
		 fx_val(f, "10.0.0.0_24/b/00000000"));
	assert_true(add_err(f, &f->a, "c1", NULL, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "10.0.0.0_24/a/00000000/2"));
	assert_string_equal(fx_val(f, "10.0.0.0_24/b/00000000"), before);
	fx_free(f);
}

/* A header's slot table that does not parse is code 6. */
static void test_ipam_block_load__bad_slots(void **state)
{
	static const char *const bad[] = {
		"{\"v\":2,\"node\":\"n\",\"slots\":\"x\"}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"..AAAAA\"}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"..AAAAA+\"}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"..AAAAAA.\"}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"AAAAAA\",\"by\":{\"1\":"
		"\"m\"}}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"AAAAAA\",\"by\":{\"0\":"
		"\"a b\"}}",
		"{\"v\":2,\"node\":\"n\",\"slots\":\"AAAAAA\",\"by\":[]}",
		"{\"v\":3,\"node\":\"n\",\"slots\":\"\"}",
		"{\"v\":\"2\",\"node\":\"n\",\"slots\":\"\"}",
		"{\"v\":2,\"node\":\"n\",\"slots\":{}}",
		"{\"node\":\"n\",\"allocs\":{\"2\":[]}}",
		"{\"node\":\"n\",\"allocs\":{\"02\":{}}}",
	};
	static const char good[] = "{\"v\":2,\"node\":\"n\",\"slots\":"
				   "\"..abc-_9......Zz0123\",\"by\":{\"9\":"
				   "\"m\"}}";
	struct ipam_block b;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_err err = { 0 };

		assert_true(ipam_block_load(0, "k", bad[i], strlen(bad[i]), 1,
					    &b, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
	}
	assert_int_equal(
		ipam_block_load(0, "k", good, strlen(good), 1, &b, NULL), 0);
	assert_true(ipam_block_has_node(&b, "m"));
	assert_string_equal(ipam_block_slot_hash(&b, 2), "abc-_9");
	assert_string_equal(ipam_block_slot_hash(&b, 9), "Zz0123");
	assert_null(ipam_block_slot_hash(&b, 3));
	assert_string_equal(ipam_block_str(&b), good);
	ipam_block_clear(&b);
}

/* An offset past the largest block (IPAM_BLOCK_OFF_MAX), in a format 1
 * key or a format 2 slot table, is code 6: nothing is
 * sized by it (a format 1 key of 2^31-1 once asked for a 2 GiB slot
 * table). The largest offset itself loads and formats. */
static void test_ipam_block_load__offset_past_largest_block(void **state)
{
	char v1[128], v2[IPAM_BLOCK_OFF_MAX + 64];
	const char *bad[3];
	struct ipam_block b;
	size_t at;

	(void)state;
	snprintf(v1, sizeof(v1), "{\"node\":\"n\",\"allocs\":{\"%u\":{}}}",
		 IPAM_BLOCK_OFF_MAX + 1);
	at = (size_t)snprintf(v2, sizeof(v2),
			      "{\"v\":2,\"node\":\"n\",\"slots\":\"");
	memset(v2 + at, '.', IPAM_BLOCK_OFF_MAX + 1);
	snprintf(v2 + at + IPAM_BLOCK_OFF_MAX + 1,
		 sizeof(v2) - at - IPAM_BLOCK_OFF_MAX - 1, "AAAAAA\"}");
	bad[0] = v1;
	bad[1] = "{\"node\":\"n\",\"allocs\":{\"2147483647\":{}}}";
	bad[2] = v2;
	for (size_t i = 0; i < 3; i++) {
		struct cni_err err = { 0 };

		assert_true(ipam_block_load(0, "k", bad[i], strlen(bad[i]), 1,
					    &b, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
	}
	snprintf(v1, sizeof(v1), "{\"node\":\"n\",\"allocs\":{\"%u\":{}}}",
		 IPAM_BLOCK_OFF_MAX);
	assert_int_equal(ipam_block_load(0, "k", v1, strlen(v1), 1, &b, NULL),
			 0);
	assert_true(strlen(ipam_block_str(&b)) < IPAM_BLOCK_OFF_MAX + 128);
	ipam_block_clear(&b);
}

/* A full /26 block's header stays under 500 bytes (the first block of a
 * pool of 64: taken in order). */
static void test_ipam_block__full_header_small(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/20\",\"gateway\":"
			      "\"10.0.0.1\",\"blockSize\":26}");
	char cid[48];

	(void)state;
	for (int i = 0; i < 62; i++) {
		snprintf(cid, sizeof(cid),
			 "0123456789abcdef0123456789abcdef%04d", i);
		add(f, &f->a, cid);
	}
	for (uint32_t off = 2; off < 64; off++)
		assert_true(slot_held(f, "10.0.0.0_20/b/00000000", off));
	assert_true(strlen(fx_val(f, "10.0.0.0_20/b/00000000")) <= 500);
	fx_free(f);
}

/* --- block headers from plexusd's memory (tests/fakes/cached_store.h):
 * f->a writes on the store directly (plexus-ipam's direct path while
 * plexusd is away), leaving the cache of the returned ctx stale --- */

static struct ipam_ctx via_cache(struct fx *f, struct ipam_store **ret)
{
	*ret = cached_store_new(f->st);
	return (struct ipam_ctx){ .st = *ret, .node = "node-a", .seed = 3 };
}

/* An ADD that finds its allocation answers without a write: never from
 * a header in memory. A format-1 block (records inline in the header, so
 * no record is read to check it) holds c1 at .2 and is cached; the
 * direct path frees c1 and gives .2 to c2; the ADD of c1 again must not
 * answer .2 (a duplicate) but allocate anew, written. */
static void test_ipam_cache__found_allocation_read_fresh(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct ipam_refs x = { 0 };
	struct cni_err err = { 0 };
	struct ipam_store *cs;
	struct ipam_ctx pc = via_cache(f, &cs);
	struct ipam_addr a;

	(void)state;
	fx_put(f, "10.0.0.0_24/b/00000000",
	       "{\"cidr\":\"10.0.0.0/24\",\"node\":\"node-a\",\"allocs\":"
	       "{\"2\":{\"cid\":\"c1\",\"if\":\"eth0\",\"ns\":\"ns1\","
	       "\"pod\":\"p1\",\"node\":\"node-a\"}}}");
	ipam_refs_key(r, "node-a", x.key);
	assert_int_equal(ipam_refs_add(&x, 0), 0);
	assert_int_equal(ipam_refs_store(f->st, r, &x, &err), 0);
	ipam_refs_clear(&x);
	assert_string_equal(add(f, &pc, "c1"), "10.0.0.2"); /* now cached */
	rel(f, &f->a, "c1");
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.2");
	assert_string_equal(add(f, &pc, "c1"), "10.0.0.3");
	assert_true(cached_store_hits(cs) >= 1); /* the stale one was served */
	assert_int_equal(ipam_find(&f->a, r, "c1", "eth0", &a, &err), 0);
	assert_int_equal(a.v & 0xff, 3);
	assert_int_equal(ipam_find(&f->a, r, "c2", "eth0", &a, &err), 0);
	assert_int_equal(a.v & 0xff, 2);
	ipam_store_close(cs);
	fx_free(f);
}

/* A DEL that finds nothing to release answers without a write: the
 * headers it looked in are read again. The direct path gave c1 .3 after
 * the cache read the block; the DEL through the cache frees it. */
static void test_ipam_cache__del_of_nothing_read_fresh(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	struct ipam_store *cs;
	struct ipam_ctx pc = via_cache(f, &cs);

	(void)state;
	/* a new block's header enters at its first read for update */
	assert_string_equal(add(f, &pc, "c0"), "10.0.0.2");
	assert_string_equal(add(f, &pc, "c8"), "10.0.0.3");
	assert_string_equal(add(f, &f->a, "c1"), "10.0.0.4");
	assert_true(slot_held(f, "10.0.0.0_24/b/00000000", 4));
	rel(f, &pc, "c1");
	assert_false(slot_held(f, "10.0.0.0_24/b/00000000", 4));
	assert_true(slot_held(f, "10.0.0.0_24/b/00000000", 3));
	assert_true(cached_store_hits(cs) >= 1);
	/* nothing held, nothing changed: the DEL answers after one check */
	rel(f, &pc, "c9");
	ipam_store_close(cs);
	fx_free(f);
}

/* A stale header's compare-and-swap fails and drops it: the retry reads
 * the store, the address the direct path took stays its own. Steady ADDs
 * are answered from memory; CHECK (ipam_find), STATUS (ipam_has_free)
 * and GC never are. */
static void test_ipam_cache__failed_swap_drops_entry(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"gateway\":"
			      "\"10.0.0.1\"}");
	const struct ipam_range *r = &f->conf->ranges[0];
	struct cni_err err = { 0 };
	struct ipam_store *cs;
	struct ipam_ctx pc = via_cache(f, &cs);
	struct ipam_addr a;
	json_object *valid;
	size_t n = 0, hits;

	(void)state;
	assert_string_equal(add(f, &pc, "c0"), "10.0.0.2"); /* created */
	assert_string_equal(add(f, &pc, "c1"), "10.0.0.3"); /* miss */
	assert_string_equal(add(f, &pc, "c6"), "10.0.0.4"); /* hit */
	assert_int_equal(cached_store_hits(cs), 1);
	assert_string_equal(add(f, &f->a, "c2"), "10.0.0.5");
	assert_string_equal(add(f, &pc, "c3"), "10.0.0.6"); /* stale: retried */
	assert_int_equal(cached_store_hits(cs), 2);
	assert_non_null(strstr(fx_val(f, "10.0.0.0_24/a/00000000/5"), "\"cid\":"
								      "\"c2"
								      "\""));
	assert_string_equal(add(f, &pc, "c4"), "10.0.0.7"); /* dropped: miss */
	assert_int_equal(cached_store_hits(cs), 2);
	assert_string_equal(add(f, &pc, "c5"), "10.0.0.8"); /* hit again */
	hits = cached_store_hits(cs);
	assert_int_equal(hits, 3);
	assert_int_equal(ipam_find(&pc, r, "c2", "eth0", &a, &err), 0);
	assert_int_equal(ipam_has_free(&pc, r, &err), 0);
	valid = json_tokener_parse(
		"[{\"containerID\":\"c0\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c1\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c2\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c3\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c4\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c5\",\"ifname\":\"eth0\"},"
		"{\"containerID\":\"c6\",\"ifname\":\"eth0\"}]");
	assert_int_equal(ipam_gc(&pc, r, valid, &n, &err), 0);
	json_object_put(valid);
	assert_int_equal(n, 0);
	assert_int_equal(cached_store_hits(cs), hits);
	ipam_store_close(cs);
	fx_free(f);
}

/* A block that looks full in memory is read again before the ADD claims
 * another: the direct path freed .2 of the cached full block (.2-.7,
 * the gateway .1). */
static void test_ipam_cache__full_block_read_fresh(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/24\",\"blockSize\":29}");
	struct ipam_store *cs;
	struct ipam_ctx pc = via_cache(f, &cs);
	char cid[16];

	(void)state;
	for (int i = 0; i < 6; i++) {
		snprintf(cid, sizeof(cid), "a%d", i);
		add(f, &pc, cid);
	}
	assert_int_equal(cached_store_hits(cs), 4); /* created, miss, hits */
	rel(f, &f->a, "a0");
	assert_string_equal(add(f, &pc, "x"), "10.0.0.2");
	assert_int_equal(mem_store_count(f->st, "10.0.0.0_24/b/"), 1);
	ipam_store_close(cs);
	fx_free(f);
}

/* An index entry leaves on what the store says: node a borrowed in b's
 * block and released through the cache (its header held without a's
 * records, the entry gone); the direct path borrows there again; the ADD
 * of the same container through the cache finds it, the entry kept. */
static void test_ipam_cache__index_entry_kept(void **state)
{
	struct fx *f = fx_new("{\"range\":\"10.0.0.0/28\",\"blockSize\":29}");
	struct ipam_store *cs;
	struct ipam_ctx pc = via_cache(f, &cs);
	char cid[16], first[IPAM_ADDR_STRLEN];

	(void)state;
	for (int i = 0; i < 8; i++) { /* b claims both blocks */
		snprintf(cid, sizeof(cid), "b%d", i);
		add(f, &f->b, cid);
	}
	add(f, &pc, "a0"); /* borrowed */
	add(f, &pc, "a1"); /* the header now held */
	rel(f, &pc, "a0");
	rel(f, &pc, "a1");
	assert_int_equal(fx_refs_n(f, "node-a"), 0);
	snprintf(first, sizeof(first), "%s", add(f, &f->a, "a2"));
	assert_int_equal(fx_refs_n(f, "node-a"), 1);
	assert_string_equal(add(f, &pc, "a2"), first);
	assert_int_equal(fx_refs_n(f, "node-a"), 1);
	ipam_store_close(cs);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
			test_ipam_alloc__idempotent_per_container_ifname),
		cmocka_unit_test(test_ipam_release__exact_and_idempotent),
		cmocka_unit_test(test_ipam_alloc__exhaustion_names_pool),
		cmocka_unit_test(test_ipam_alloc__static_taken_names_holder),
		cmocka_unit_test(test_ipam_alloc__own_block_then_claim),
		cmocka_unit_test(test_ipam_release__empty_block_goes_back),
		cmocka_unit_test(test_ipam_gc__two_empty_blocks_keep_one),
		cmocka_unit_test(test_ipam_alloc__borrow_when_no_free_block),
		cmocka_unit_test(test_ipam_gc__keeps_valid_attachments),
		cmocka_unit_test(test_ipam_release__claim_keeps_address),
		cmocka_unit_test(test_ipam_release__claim_unknown_keeps),
		cmocka_unit_test(test_ipam_gc__claims),
		cmocka_unit_test(test_ipam_alloc__v6_64_random_blocks),
		cmocka_unit_test(test_ipam_alloc__slash8_cost_independent),
		cmocka_unit_test(test_ipam_alloc__conflicts_are_retried),
		cmocka_unit_test(test_ipam_alloc__store_down_try_again),
		cmocka_unit_test(test_ipam_gc__shared_pool_two_networks),
		cmocka_unit_test(test_ipam_gc__shared_pool_three_networks),
		cmocka_unit_test(test_ipam_alloc__two_nodes_no_duplicates),
		cmocka_unit_test(test_ipam_alloc__gateway_never_handed_out),
		cmocka_unit_test(
			test_ipam_alloc__operator_reserved_never_handed_out),
		cmocka_unit_test(test_ipam_release__conflict_reserves),
		cmocka_unit_test(test_ipam_reserve_span__held_needs_force),
		cmocka_unit_test(
			test_ipam_reserve_span__dry_run_and_ownerless_block),
		cmocka_unit_test(test_ipam_block_load__bad_reserved),
		cmocka_unit_test(test_ipam_block__v1_converted_at_first_write),
		cmocka_unit_test(test_ipam_rec__hash_collision),
		cmocka_unit_test(test_ipam_rec__slot_without_record_repaired),
		cmocka_unit_test(test_ipam_rec__stale_ignored_bad_refused),
		cmocka_unit_test(test_ipam_rec__claim_slot_with_stale_record),
		cmocka_unit_test(test_ipam_block_load__bad_slots),
		cmocka_unit_test(
			test_ipam_block_load__offset_past_largest_block),
		cmocka_unit_test(test_ipam_block__full_header_small),
		cmocka_unit_test(test_ipam_free__hint_follows_transitions),
		cmocka_unit_test(test_ipam_free__borrow_skips_stale_hint),
		cmocka_unit_test(test_ipam_free__built_once_and_repaired_by_gc),
		cmocka_unit_test(test_ipam_free__status_full_pool_drops_stale),
		cmocka_unit_test(test_ipam_free__all_claimed_mark),
		cmocka_unit_test(test_ipam_free__shards),
		cmocka_unit_test(test_ipam_cache__found_allocation_read_fresh),
		cmocka_unit_test(test_ipam_cache__del_of_nothing_read_fresh),
		cmocka_unit_test(test_ipam_cache__failed_swap_drops_entry),
		cmocka_unit_test(test_ipam_cache__full_block_read_fresh),
		cmocka_unit_test(test_ipam_cache__index_entry_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
