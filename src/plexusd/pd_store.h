/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_STORE_H
#define PLEXUS_PD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_err;
struct pd_store;

/* plexusd's warm IPAM stores (docs/plexusd.md "Warm stores"): a unix
 * socket (mode 0600, root peers only) served by a fixed set of threads,
 * each keeping its own open etcd and Kubernetes stores (and so their
 * kept-alive connections) across requests. plexus-ipam sends each store
 * operation there (ipam/via_plexusd.c): one JSON line a request, one a
 * reply; the compare-and-swap stays the store's own. The protocol:
 *   {"op": "get"|"put"|"del"|"list", "store": {the node's store object},
 *    "key": K, "val": V, "ver": N, "keysOnly": B, "timeoutMs": T,
 *    "with": [{"key": K, "val": V}, ...], "cache": true} ("with", put
 *    only: the writes that go with the compare-and-swap,
 *    ipam_store_put_if_with; an entry without "val" is a delete;
 *    "cache", get only: a get for update, which may be answered from
 *    the block headers in memory, pd_hcache.h)
 *   {"op": "report", "outcome": O, "fallback": F} (plexus-ipam after a
 *    call, fire-and-forget: at least one of the two; O one of
 *    PD_STORE_OUTCOMES' names, F of PD_STORE_REASONS'; answered {"rc": 0},
 *    counted, nothing else)
 *   {"rc": 0, "val": V, "ver": N, "with": n (a put with "with": its
 *    writes were done), "cached": true (a get answered from memory)} | {"rc": 0, "kvs": [{"key", "val",
 *    "ver"}]} | {"rc": -errno, "code": C, "msg": M}
 * A request line is at most PD_STORE_REQ_MAX bytes, a reply at most
 * PD_STORE_REPLY_MAX ("rc": -EMSGSIZE: the client asks the store
 * itself). */
#define PD_STORE_REQ_MAX   (4 << 20)
#define PD_STORE_REPLY_MAX (64 << 20)
#define PD_STORE_THREADS   4

/* Listen on path (made 0600; an old socket file is replaced) and start
 * the threads. host_prefix ("" for none): where the host's / is in
 * plexusd's view (--host-prefix): the files a store definition names
 * (kubeconfig, cacert, cert, key: host paths, as the plugin sees them)
 * are read under it. Code 5 when the socket cannot be made. */
int pd_store_open(const char *path, const char *host_prefix,
		  struct pd_store **ret, struct cni_err *err);
/* Stop the threads, close every store and the socket, remove it. */
void pd_store_close(struct pd_store *s);

/* Prometheus text of its counters into buf (NUL-terminated; the end of
 * the metrics page): plexusd_store_requests_total{op,result},
 * plexusd_store_refused_total and the block headers' in memory
 * (pd_hcache_metrics). The length, or -ENOSPC. */
int pd_store_metrics(const struct pd_store *s, char *buf, size_t size);

/* A report's outcome (allocated, alloc_failed, released,
 * release_failed) and fallback reason (timeout, unreachable, malformed,
 * io, cannot_open): rendered as plexusd_ipam_allocations_total{result}
 * and plexus_ipam_fallbacks_total{reason}. */
#define PD_STORE_OUTCOMES 4
#define PD_STORE_REASONS  5

/* A request line parsed (pd_store.c checks every member's type and the
 * bounds: op one of the five, "store" an object, "key" a string, "ver" an
 * integer, "timeoutMs" 1..60000, "val" present for put, "cache" a
 * boolean and only on a get; a report: only "outcome" and "fallback",
 * known values, at least one). */
struct pd_store_req {
	int op;		       /* 0 get, 1 put, 2 del, 3 list, 4 report */
	int outcome, fallback; /* report: an index, or -1 when absent */
	json_object *store;
	const char *key, *val;
	size_t val_len;
	uint64_t ver;
	bool keys_only;
	int64_t timeout_ms;
	json_object *with; /* put: the writes that go with it, or NULL */
	bool cache;	   /* get: for update, may come from memory */
};
/* 0 with *ret borrowing from *ret_doc (the caller puts it), or a
 * negative errno with err naming the member. */
int pd_store_parse(const char *line, size_t len, json_object **ret_doc,
		   struct pd_store_req *ret, struct cni_err *err);

/* A report line (len bytes, no '\n') from the spool (pd_spool.h):
 * counted as one sent on the socket; 0, or -EINVAL when it is not a
 * well-formed report (any other op included). */
int pd_store_report_take(const char *line, size_t len);

/* One request line (len bytes, no '\n') run against the stores of
 * *cache (opened as needed, kept; at most PD_STORE_CACHE of them, the
 * oldest closed first): the reply line (no '\n'), malloc'ed. Exposed for
 * the unit tests and the fuzzer. *ret_op is the op's index (0 get, 1
 * put, 2 del, 3 list, 4 report, 5 malformed) and *ret_ok whether rc was 0. */
#define PD_STORE_CACHE 8
struct pd_store_cache;
struct pd_hcache;
struct pd_store_cache *pd_store_cache_new(const char *host_prefix);
/* The block headers in memory c's requests use (shared by the threads;
 * NULL, the default: none, every get asks the store). */
void pd_store_cache_share(struct pd_store_cache *c, struct pd_hcache *h);
void pd_store_cache_free(struct pd_store_cache *c);
char *pd_store_handle(struct pd_store_cache *c, const char *line, size_t len,
		      int *ret_op, int *ret_ok);

#endif
