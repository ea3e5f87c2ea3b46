/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_IPAM_STORE_H
#define PLEXUS_IPAM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct cni_err;

/* A key-value store with versions. Keys are '/'-separated segments of
 * [A-Za-z0-9._:-]. A version is non-zero for a stored key; version 0 in
 * put_if means "create: the key must not exist". Errors:
 *   -ENOENT      get/del_if: no such key (err not set)
 *   -ECANCELED   put_if/del_if: the version did not match (code 11)
 *   -EHOSTUNREACH the store cannot be reached (code 11)
 *   other        code 5 (I/O) or 6 (bad reply) */
struct ipam_kv {
	char *key; /* full key */
	char *val; /* NUL-terminated, NULL with keys_only */
	size_t len;
	uint64_t ver;
};

struct ipam_store;

/* A write that rides on a compare-and-swap (ipam_store_put_if_with): val
 * NULL deletes key (a missing key is no error), else val is put whatever
 * is there. */
struct ipam_kv_op {
	const char *key;
	const char *val;
	size_t len;
};

/* Keys a page of a paged list when neither the caller nor the store's
 * pageSize says. */
#define IPAM_STORE_PAGE 500

/* One page of a paged list: kv[0..n), freed after the call (the callback
 * may take a key's or value's string by setting it NULL). 0 goes on to
 * the next page; a negative value ends the list, which returns it. */
typedef int (*ipam_kv_page_fn)(struct ipam_kv *kv, size_t n, void *arg,
			       struct cni_err *err);

struct ipam_store_ops {
	const char *name;
	/* conf is the "store" object (may be NULL for defaults). */
	int (*open)(json_object *conf, struct ipam_store **ret,
		    struct cni_err *err);
	void (*close)(struct ipam_store *st);
	int (*get)(struct ipam_store *st, const char *key, char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err);
	/* get that may be answered from a cache of values (plexusd's block
	 * headers): *ret_cached says it was. Optional: NULL is get. */
	int (*get_cached)(struct ipam_store *st, const char *key,
			  char **ret_val, size_t *ret_len, uint64_t *ret_ver,
			  bool *ret_cached, struct cni_err *err);
	int (*put_if)(struct ipam_store *st, const char *key, const char *val,
		      size_t len, uint64_t ver, uint64_t *ret_ver,
		      struct cni_err *err);
	int (*del_if)(struct ipam_store *st, const char *key, uint64_t ver,
		      struct cni_err *err);
	/* put_if of key and, only when it succeeds, the writes of with[0..n),
	 * in one request. Optional: NULL does them one by one
	 * (ipam_store_put_if_with). */
	int (*put_if_with)(struct ipam_store *st, const char *key,
			   const char *val, size_t len, uint64_t ver,
			   uint64_t *ret_ver, const struct ipam_kv_op *with,
			   size_t n, struct cni_err *err);
	/* Keys starting with prefix (which ends in '/'), sorted by key.
	 * Optional: NULL gathers the pages of list_pages. */
	int (*list)(struct ipam_store *st, const char *prefix, bool keys_only,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err);
	/* The same keys page by page (page: keys a page, 0: the store's
	 * pageSize), each page sorted. Optional: NULL cuts list's answer
	 * into pages. */
	int (*list_pages)(struct ipam_store *st, const char *prefix,
			  bool keys_only, size_t page, ipam_kv_page_fn fn,
			  void *arg, struct cni_err *err);
	/* One page of a key range: ipam_store_list_range. Optional: NULL
	 * where the store has no such request (the file and kubernetes
	 * stores). */
	int (*list_range)(struct ipam_store *st, const char *from, bool after,
			  const char *to, bool keys_only, size_t page,
			  uint64_t *rev, struct ipam_kv **ret, size_t *ret_n,
			  bool *ret_more, struct cni_err *err);
};

/* Every store starts with this header. */
struct ipam_store {
	const struct ipam_store_ops *ops;
	char lock_dir[256]; /* where node-local locks live */
	/* the call's deadline (cni_deadline.h; 0: none), set by the caller
	 * after open: lock waits and requests end by it with code 11
	 * (-ETIMEDOUT) */
	int64_t deadline;
	/* storeSocket of a store plexusd does not run (file), set by
	 * ipam_store_open_node: ipam_store_report's line goes there; ""
	 * none */
	char report_sock[108];
};

extern const struct ipam_store_ops file_store;
extern const struct ipam_store_ops etcd_store;
extern const struct ipam_store_ops kubernetes_store;

/* Open the store named by conf's "type" (default "file"). Code 7 for an
 * unknown type. */
int ipam_store_open(json_object *conf, struct ipam_store **ret,
		    struct cni_err *err);
void ipam_store_close(struct ipam_store *st);

/* The store as plexus-ipam opens it: through plexusd's warm stores when
 * the node settings (node_root) name a "storeSocket" and conf is an etcd
 * or kubernetes store (ipam/via_plexusd.c: every operation falls back to
 * the store itself when plexusd does not answer), else ipam_store_open. */
int ipam_store_open_node(json_object *node_root, json_object *conf,
			 struct ipam_store **ret, struct cni_err *err);

int ipam_store_get(struct ipam_store *st, const char *key, char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err);
/* A get "for update": the value and version may come from plexusd's
 * cache of block headers (docs/plexusd.md "Block headers in memory"),
 * *ret_cached then true; such a value may be stale, so it only serves a
 * compare-and-swap (whose failure drops the cached entry: the retry
 * reads fresh), never a conclusion reached without a write. Every store
 * but the one through plexusd answers a plain get (*ret_cached false). */
int ipam_store_get_cached(struct ipam_store *st, const char *key,
			  char **ret_val, size_t *ret_len, uint64_t *ret_ver,
			  bool *ret_cached, struct cni_err *err);
int ipam_store_put_if(struct ipam_store *st, const char *key, const char *val,
		      size_t len, uint64_t ver, uint64_t *ret_ver,
		      struct cni_err *err);
int ipam_store_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		      struct cni_err *err);
/* put_if of key with the writes of with[0..n): one transaction where the
 * store has one and n <= IPAM_STORE_WITH_MAX (etcd: the writes happen
 * only when the compare does);
 * else one by one, the deletes before the put_if and the puts after it
 * (a put over an existing key reads its version and writes on it). */
/* Put val at key whatever is there: a create, or a put_if on the
 * version just read when the key exists (a few tries). */
int ipam_store_put_any(struct ipam_store *st, const char *key, const char *val,
		       size_t len, struct cni_err *err);
#define IPAM_STORE_WITH_MAX 64
int ipam_store_put_if_with(struct ipam_store *st, const char *key,
			   const char *val, size_t len, uint64_t ver,
			   uint64_t *ret_ver, const struct ipam_kv_op *with,
			   size_t n, struct cni_err *err);
int ipam_store_list(struct ipam_store *st, const char *prefix, bool keys_only,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err);
/* The keys of prefix page by page, fn called on each page; never more
 * than one page's keys and values in memory. Pages come in key order
 * from the etcd store (one view: every page read at the first page's
 * revision) and the file store (one directory read: a key written after
 * it is missed, one deleted after it skipped); the kubernetes store
 * lists with limit/continue (one view: the first page's
 * resourceVersion) and gives pages in the API server's order, the
 * objects' names, which follow the keys' order where keys differ only
 * in [a-z0-9] (block keys of a pool) -- each page sorted. page: keys a
 * page (0: the store's pageSize, 500 by default). */
int ipam_store_list_pages(struct ipam_store *st, const char *prefix,
			  bool keys_only, size_t page, ipam_kv_page_fn fn,
			  void *arg, struct cni_err *err);
/* One request: the keys from `from` (or, with after, the first key past
 * it) up to `to` (excluded), sorted, at most page of them (0: the
 * store's pageSize), in one view: *rev 0 reads the newest and sets *rev
 * to the view it read (etcd: the revision), a non-zero *rev reads at
 * that one again, so a range read page by page -- or two ranges read
 * side by side -- is one consistent view while etcd keeps that revision
 * (a compaction past it fails the next page with code 5). *ret_more: keys
 * past the page's last remain in the range. -EOPNOTSUPP (err not set)
 * where the store has no list_range (ipam_store_has_range). */
int ipam_store_list_range(struct ipam_store *st, const char *from, bool after,
			  const char *to, bool keys_only, size_t page,
			  uint64_t *rev, struct ipam_kv **ret, size_t *ret_n,
			  bool *ret_more, struct cni_err *err);
bool ipam_store_has_range(const struct ipam_store *st);
void ipam_kv_free(struct ipam_kv *kv, size_t n);
/* Sort kv[0..n) by key. */
void ipam_kv_sort(struct ipam_kv *kv, size_t n);

/* Told of each request a store sends its server, once answered or
 * failed: store "etcd" or "kubernetes"; op etcd's "range" or "txn", the
 * API's "get", "list", "create", "update" or "delete"; code the HTTP
 * status (0: no answer); secs its duration. Each try and each endpoint
 * is one request. One hook a process, set before any store opens
 * (plexusd counts its warm stores' requests); none by default. Called
 * from the thread that runs the operation. */
typedef void (*ipam_store_request_fn)(const char *store, const char *op,
				      long code, double secs);
void ipam_store_set_request_hook(ipam_store_request_fn fn);
/* For the stores: tell the hook, if any. */
void ipam_store_request_done(const char *store, const char *op, long code,
			     double secs);

/* After a call on a store opened by ipam_store_open_node with a
 * storeSocket: tell plexusd the call's outcome ("allocated",
 * "alloc_failed", "released", "release_failed"; NULL: none) and, when a
 * store that goes through plexusd fell back to the store itself, why: one
 * line on the store socket, a non-blocking connect and send, never read
 * back, kept in the spool when not taken, other failures ignored. A
 * store plexusd does not run (file) reports its outcome only. Nothing
 * without a storeSocket. */
void ipam_store_report(struct ipam_store *st, const char *outcome);

/* Is s made of [A-Za-z0-9._:-] only and non-empty, not starting with '.'?
 * (what a store accepts as one segment of a key) */
bool ipam_key_safe(const char *s);

#endif
