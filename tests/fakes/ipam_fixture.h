/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_TESTS_IPAM_FIXTURE_H
#define PLEXUS_TESTS_IPAM_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "ipam_alloc.h"
#include "ipam_conf.h"

/* The allocator's unit tests' fixture (test_ipam_alloc, test_ipam_refs):
 * one network's plexus-ipam config on the in-memory store
 * (mem_store.h), and two nodes' contexts on it. A failed step fails
 * the test (cmocka's fail_msg). */
struct fx {
	struct ipam_store *st;
	struct ipam_conf *conf;
	const struct ipam_range *r; /* conf's first range */
	struct ipam_ctx a, b;	    /* node-a (seed 1), node-b (seed 2) */
};

/* ipam: the "ipam" object of a network config, as JSON text. */
struct fx *fx_new(const char *ipam);
void fx_free(struct fx *f);
/* How many blocks node's reference index names in r (read only). */
size_t fx_refs_n(struct fx *f, const char *node);
/* Store val under key, created or overwritten; delete key. */
void fx_put(struct fx *f, const char *key, const char *val);
void fx_del(struct fx *f, const char *key);
/* The value stored under key: a copy to free, or NULL when missing. */
char *fx_get(struct fx *f, const char *key);
/* The same in a static buffer (the next call overwrites it), "" when
 * missing. */
const char *fx_val(struct fx *f, const char *key);
bool fx_has(struct fx *f, const char *key);

#endif
