// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the request parser of plexusd's warm stores (pd_store_parse),
 * what a local peer sends on --store-socket. Checks what the threads rely
 * on: a parsed request has one of the four ops, a store object and a key,
 * or is a report with a known outcome or fallback reason (or both),
 * a value for put, a timeout in 1..60000, "cache" (a get for update,
 * answered from plexusd's block headers in memory) on a get only; a
 * refusal sets a message; the parse of the same bytes gives the same
 * answer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "pd_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int parse(const uint8_t *data, size_t size, struct pd_store_req *q)
{
	struct cni_err err = { 0 };
	json_object *doc = NULL;
	int r = pd_store_parse((const char *)data, size, &doc, q, &err);

	if (r < 0 && !err.msg[0])
		abort();
	if (r == 0 && q->op == 4) { /* a report: known values, one at least */
		if (q->outcome < -1 || q->outcome >= PD_STORE_OUTCOMES ||
		    q->fallback < -1 || q->fallback >= PD_STORE_REASONS ||
		    (q->outcome < 0 && q->fallback < 0))
			abort();
	} else if (r == 0) {
		if (q->op < 0 || q->op > 3 || !q->store || !q->key ||
		    (q->op == 1 && !q->val) || q->timeout_ms < 1 ||
		    q->timeout_ms > 60000)
			abort();
		if (!json_object_is_type(q->store, json_type_object))
			abort();
		if (q->cache && q->op != 0)
			abort();
	}
	json_object_put(doc);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_store_req a, b;

	if ((parse(data, size, &a) == 0) != (parse(data, size, &b) == 0) ||
	    a.cache != b.cache)
		abort();
	return 0;
}
