/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_ETCD_REPLY_H
#define PLEXUS_IPAM_ETCD_REPLY_H

/* Largest etcd answer taken, by the transport and by the parser alike. */
#define ETCD_REPLY_MAX (64 * 1024 * 1024)

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cni_err;
struct ipam_kv;

/* The etcd v3 JSON gateway's replies, parsed from (buf, len) so a fuzzer
 * can drive them. Keys and values come base64-encoded; int64 fields come
 * as strings. Bad replies fail with code 6. */

/* What a range reply says beyond its keys: more keys past this page (a
 * request with "limit"), and the store revision it was read at. */
struct etcd_range_meta {
	bool more;
	uint64_t rev;
};

/* /v3/kv/range: the "kvs" list; `strip` leading bytes of each key (the
 * store prefix) are dropped. ret_meta may be NULL. */
int etcd_range_reply_parse(const char *buf, size_t len, size_t strip,
			   struct ipam_kv **ret, size_t *ret_n,
			   struct etcd_range_meta *ret_meta,
			   struct cni_err *err);
/* /v3/kv/txn: did the compares hold, and the revision it ran at. */
int etcd_txn_reply_parse(const char *buf, size_t len, bool *ret_ok,
			 uint64_t *ret_rev, struct cni_err *err);

/* Does an etcd error reply (any HTTP status) say the request was over
 * a size limit? etcd's own ("etcdserver: request is too large", over
 * --max-request-bytes, HTTP 400) or gRPC's ("received message larger
 * than max (N vs. M)", over --max-request-bytes plus 512 KiB, HTTP 429).
 * *ret_limit gets M when the reply names it, else 0. */
bool etcd_reply_too_large(const char *buf, size_t len, size_t *ret_limit);

/* Base64 (standard alphabet, padded). The caller frees *ret. */
int etcd_b64_encode(const char *in, size_t len, char **ret);
int etcd_b64_decode(const char *in, size_t len, char **ret, size_t *ret_len);

#endif
