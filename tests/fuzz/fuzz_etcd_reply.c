/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer: the etcd v3 JSON gateway's range and txn replies, and its
 * error replies told apart for size (etcd_reply_too_large). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cni_error.h"
#include "etcd_reply.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cni_err err = { 0 };
	struct ipam_kv *kvs = NULL;
	uint64_t rev = 0;
	bool ok = false;
	size_t n = 0, limit;

	if (etcd_range_reply_parse((const char *)data, size, 0, &kvs, &n, NULL,
				   &err) == 0)
		ipam_kv_free(kvs, n);
	etcd_txn_reply_parse((const char *)data, size, &ok, &rev, &err);
	etcd_reply_too_large((const char *)data, size, &limit);
	return 0;
}
