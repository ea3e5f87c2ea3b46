/* SPDX-License-Identifier: Apache-2.0 */
/* The etcd store: etcd v3 through its JSON gateway over libcurl.
 * put_if/del_if are one txn each, comparing mod_revision (or
 * create_revision == 0 for a create); a version is a key's mod_revision.
 * Several endpoints: a request that cannot connect moves to the next.
 * libcurl is loaded when an etcd store is opened (curl_lazy.h): loading
 * it and its libraries costs about 6 ms, which every exec of plexus-ipam
 * with the file store would otherwise pay. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "curl_lazy.h"
#include "etcd_reply.h"
#include "store.h"

#define ETCD_ENDPOINTS_MAX	8
#define ETCD_PREFIX_DEFAULT	"/plexus-ipam/"
#define ETCD_TIMEOUT_MS_DEFAULT 5000
#define ETCD_PAGE_DEFAULT	500 /* keys per range request */

struct etcd_store {
	struct ipam_store hdr;
	CURL *curl;
	char *endpoints[ETCD_ENDPOINTS_MAX];
	size_t n_endpoints;
	size_t cur; /* the endpoint that answered last */
	char *prefix;
	char *cacert, *cert, *key;
	long timeout_ms;
	long page; /* keys per range request (pageSize) */
};

/* libcurl's functions (curl_lazy.h), set when a store is opened */
static const struct curl_fns *cu;

struct reply {
	char *buf;
	size_t len;
	bool too_big; /* cut at ETCD_REPLY_MAX */
};

#define ETCD_REPLY_LIMIT "the etcd store's reply limit"
#define ETCD_REQUEST_LIMIT \
	"etcd's --max-request-bytes (a server setting, 1.5 MiB by default)"
#define ETCD_GRPC_LIMIT \
	"etcd's gRPC message limit (--max-request-bytes + 512 KiB)"

static struct etcd_store *es_of(struct ipam_store *st)
{
	return (struct etcd_store *)st;
}

static size_t reply_write(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	size_t add = size * n;
	char *nb;

	if (r->len + add > ETCD_REPLY_MAX) {
		r->too_big = true;
		return 0;
	}
	nb = realloc(r->buf, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, add);
	r->buf = nb;
	r->len += add;
	r->buf[r->len] = '\0';
	return add;
}

static void es_setup(struct etcd_store *es, const char *url, const char *body,
		     struct reply *r, struct curl_slist *hdrs)
{
	/* 0 would mean "no timeout" to libcurl: at least 1 ms */
	long t = (long)cni_deadline_left(es->hdr.deadline, es->timeout_ms) ?: 1;
	CURL *c = es->curl;

	cu->easy_reset(c);
	cu->easy_setopt(c, CURLOPT_URL, url);
	cu->easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cu->easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, reply_write);
	cu->easy_setopt(c, CURLOPT_WRITEDATA, r);
	cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, t);
	cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, t < 2000 ? t : 2000);
	cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (es->cacert)
		cu->easy_setopt(c, CURLOPT_CAINFO, es->cacert);
	if (es->cert)
		cu->easy_setopt(c, CURLOPT_SSLCERT, es->cert);
	if (es->key)
		cu->easy_setopt(c, CURLOPT_SSLKEY, es->key);
}

/* An answer that says "this endpoint cannot serve now" (etcd stopping,
 * no leader, overloaded): try the next one. */
static bool http_transient(long code)
{
	return code == 408 || code == 429 || code >= 500;
}

/* A request or reply over a size limit (code 123), what names it. */
static int es_too_large(const struct reply *r, const char *what,
			const char *body, struct cni_err *err)
{
	size_t limit;

	if (r->too_big)
		return cni_err_too_large(err, ETCD_REPLY_LIMIT, ETCD_REPLY_MAX,
					 what, 0);
	etcd_reply_too_large(r->buf, r->len, &limit);
	return cni_err_too_large(err,
				 limit ? ETCD_GRPC_LIMIT : ETCD_REQUEST_LIMIT,
				 limit, what, strlen(body));
}

/* Did the endpoint refuse the request or cut the reply for its size? */
static bool es_big(CURLcode cc, const struct reply *r, long code)
{
	size_t limit;

	if (r->too_big)
		return true;
	return cc == CURLE_OK && code != 200 &&
	       etcd_reply_too_large(r->buf, r->len, &limit);
}

/* POST body to path on one endpoint after another. 0 with the reply of
 * an HTTP 200; code 11 when no endpoint answers (or all answer with a
 * transient error); code 123 when the request or the reply is over a
 * size limit (`what` names the key in the message); code 5 for another
 * etcd error reply. */
static int es_post(struct etcd_store *es, const char *path, const char *body,
		   const char *what, struct reply *ret, struct cni_err *err)
{
	struct curl_slist *hdrs;
	char url[512], last[CURL_ERROR_SIZE + 64] = "";
	struct reply r = { 0 };
	size_t i, e;
	bool ok = false;
	long code = 0;
	double t0;
	CURLcode cc;
	int rc;

	if (cni_deadline_passed(es->hdr.deadline)) {
		cni_errf(err, CNI_ERR_TRY_AGAIN,
			 "etcd %s: the call's deadline passed", path);
		return -ETIMEDOUT;
	}
	hdrs = cu->slist_append(NULL, "Content-Type: application/json");
	for (i = 0;
	     i < es->n_endpoints && !cni_deadline_passed(es->hdr.deadline);
	     i++) {
		e = (es->cur + i) % es->n_endpoints;
		snprintf(url, sizeof(url), "%s%s", es->endpoints[e], path);
		free(r.buf);
		r = (struct reply){ 0 };
		es_setup(es, url, body, &r, hdrs);
		t0 = cni_now_msf();
		cc = cu->easy_perform(es->curl);
		code = 0;
		if (cc == CURLE_OK)
			cu->easy_getinfo(es->curl, CURLINFO_RESPONSE_CODE,
					 &code);
		ipam_store_request_done("etcd", strrchr(path, '/') + 1, code,
					(cni_now_msf() - t0) / 1e3);
		if (es_big(cc, &r, code)) { /* the same elsewhere */
			cu->slist_free_all(hdrs);
			rc = es_too_large(&r, what, body, err);
			free(r.buf);
			return rc;
		}
		if (cc == CURLE_OK && !http_transient(code)) {
			es->cur = e;
			ok = true;
			break;
		}
		if (cc == CURLE_OK)
			snprintf(last, sizeof(last), "%s: HTTP %ld",
				 es->endpoints[e], code);
		else
			snprintf(last, sizeof(last), "%s: %s", es->endpoints[e],
				 cu->easy_strerror(cc));
	}
	cu->slist_free_all(hdrs);
	if (!ok) {
		free(r.buf);
		cni_errf(err, CNI_ERR_TRY_AGAIN,
			 "etcd unreachable (%zu endpoints; last: %s)%s",
			 es->n_endpoints, last,
			 cni_deadline_passed(es->hdr.deadline) ? "; the call's "
								 "deadline "
								 "passed"
							       : "");
		return -EHOSTUNREACH;
	}
	if (code != 200) {
		cni_errf(err, CNI_ERR_IO, "etcd %s: HTTP %ld: %.200s", path,
			 code, r.buf ? r.buf : "");
		free(r.buf);
		return -EIO;
	}
	*ret = r;
	return 0;
}

/* What a request is about, for messages: "etcd <op> <prefix><key>". */
static void es_what(const struct etcd_store *es, const char *op,
		    const char *key, char *buf, size_t size)
{
	snprintf(buf, size, "etcd %s %.100s%.300s", op, es->prefix, key);
}

/* b64(prefix + key), or of the prefix's range end when end is set. */
static int es_key(struct etcd_store *es, const char *key, bool end, char **ret)
{
	char *full;
	size_t n;
	int rc;

	if (asprintf(&full, "%s%s", es->prefix, key) < 0)
		return -ENOMEM;
	n = strlen(full);
	if (end)
		full[n - 1]++; /* keys ending in '/': '/' + 1 = '0' */
	rc = etcd_b64_encode(full, n, ret);
	free(full);
	return rc;
}

/* One range request: key (b64) up to end (b64, NULL: key alone), at
 * most limit keys (0: no limit), at revision rev (0: the newest). */
static int es_range_req(struct etcd_store *es, const char *what, const char *k,
			const char *end, bool keys_only, long limit,
			uint64_t rev, struct ipam_kv **ret, size_t *ret_n,
			struct etcd_range_meta *ret_meta, struct cni_err *err)
{
	json_object *req = json_object_new_object();
	struct reply r;
	int rc;

	if (!req)
		return -ENOMEM;
	json_object_object_add(req, "key", json_object_new_string(k));
	if (end)
		json_object_object_add(req, "range_end",
				       json_object_new_string(end));
	if (limit)
		json_object_object_add(req, "limit",
				       json_object_new_int64(limit));
	if (rev)
		json_object_object_add(req, "revision",
				       json_object_new_int64((int64_t)rev));
	if (keys_only)
		json_object_object_add(req, "keys_only",
				       json_object_new_boolean(1));
	rc = es_post(es, "/v3/kv/range", cni_json_str(req), what, &r, err);
	json_object_put(req);
	if (rc < 0)
		return rc;
	rc = etcd_range_reply_parse(r.buf, r.len, strlen(es->prefix), ret,
				    ret_n, ret_meta, err);
	free(r.buf);
	return rc;
}

/* b64 of the key just after key (prefix + key + "\0"): where the next
 * page starts. */
static int es_key_after(struct etcd_store *es, const char *key, char **ret)
{
	char *full;
	int n, rc;

	n = asprintf(&full, "%s%s%c", es->prefix, key, 'x');
	if (n < 0)
		return -ENOMEM;
	full[n - 1] = '\0';
	rc = etcd_b64_encode(full, (size_t)n, ret);
	free(full);
	return rc;
}

/* Every key under a prefix, page keys a request, each page starting
 * after the last key of the one before and read at the first page's
 * revision (one consistent view), until etcd says there is no more: a
 * prefix of any size stays within ETCD_REPLY_MAX per answer. fn gets
 * each page, freed after it. */
static int es_range_paged(struct etcd_store *es, const char *prefix,
			  bool keys_only, long page, ipam_kv_page_fn fn,
			  void *arg, struct cni_err *err)
{
	struct etcd_range_meta m = { .more = true, .rev = 0 };
	char *k = NULL, *end = NULL, what[480];
	struct ipam_kv *kv;
	uint64_t rev = 0;
	size_t n;
	int rc;

	es_what(es, "list of prefix", prefix, what, sizeof(what));
	rc = es_key(es, prefix, false, &k);
	if (rc == 0)
		rc = es_key(es, prefix, true, &end);
	while (rc == 0 && m.more) {
		/* a reply's header revision is etcd's newest, not the one
		 * read at: the first page's is kept */
		rc = es_range_req(es, what, k, end, keys_only, page, rev, &kv,
				  &n, &m, err);
		if (rc < 0)
			break;
		rev = rev ? rev : m.rev;
		if (m.more && n == 0) {
			rc = cni_errf(err, CNI_ERR_DECODE,
				      "etcd range reply: \"more\" without "
				      "keys");
		} else if (m.more) {
			free(k);
			k = NULL;
			rc = es_key_after(es, kv[n - 1].key, &k);
		}
		if (rc == 0 && n)
			rc = fn(kv, n, arg, err);
		ipam_kv_free(kv, n);
	}
	free(k);
	free(end);
	return rc;
}

/* One key. */
static int es_range(struct etcd_store *es, const char *key,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	char *k = NULL, what[480];
	int rc = es_key(es, key, false, &k);

	es_what(es, "get of key", key, what, sizeof(what));
	if (rc == 0)
		rc = es_range_req(es, what, k, NULL, false, 0, 0, ret, ret_n,
				  NULL, err);
	free(k);
	return rc;
}

static int es_get(struct ipam_store *st, const char *key, char **ret_val,
		  size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	struct ipam_kv *kv;
	size_t n;
	int rc;

	rc = es_range(es_of(st), key, &kv, &n, err);
	if (rc < 0)
		return rc;
	if (n == 0) {
		ipam_kv_free(kv, n);
		return -ENOENT;
	}
	if (!kv[0].val && !(kv[0].val = strdup(""))) {
		ipam_kv_free(kv, n);
		return -ENOMEM;
	}
	if (ret_len)
		*ret_len = kv[0].len;
	if (ret_ver)
		*ret_ver = kv[0].ver;
	if (ret_val) {
		*ret_val = kv[0].val;
		kv[0].val = NULL;
	}
	ipam_kv_free(kv, n);
	return 0;
}

static json_object *es_compare(const char *k, uint64_t ver, bool exists)
{
	json_object *c = json_object_new_object();
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)ver);
	json_object_object_add(c, "key", json_object_new_string(k));
	if (ver) {
		json_object_object_add(c, "target",
				       json_object_new_string("MOD"));
		json_object_object_add(c, "mod_revision",
				       json_object_new_string(num));
		json_object_object_add(c, "result",
				       json_object_new_string("EQUAL"));
	} else {
		json_object_object_add(c, "target",
				       json_object_new_string("CREATE"));
		json_object_object_add(c, "create_revision",
				       json_object_new_string("0"));
		json_object_object_add(
			c, "result",
			json_object_new_string(exists ? "GREATER" : "EQUAL"));
	}
	return c;
}

/* One txn: if compare then op. */
static int es_txn(struct etcd_store *es, const char *what, json_object *cmp,
		  const char *opname, json_object *op, bool *ret_ok,
		  uint64_t *ret_rev, struct cni_err *err)
{
	json_object *req = json_object_new_object();
	json_object *cmps = json_object_new_array();
	json_object *succ = json_object_new_array();
	json_object *one = json_object_new_object();
	struct reply r;
	int rc;

	json_object_array_add(cmps, cmp);
	json_object_object_add(one, opname, op);
	json_object_array_add(succ, one);
	json_object_object_add(req, "compare", cmps);
	json_object_object_add(req, "success", succ);
	rc = es_post(es, "/v3/kv/txn", cni_json_str(req), what, &r, err);
	json_object_put(req);
	if (rc < 0)
		return rc;
	rc = etcd_txn_reply_parse(r.buf, r.len, ret_ok, ret_rev, err);
	free(r.buf);
	return rc;
}

static int es_conflict(const char *key, struct cni_err *err)
{
	cni_errf(err, CNI_ERR_TRY_AGAIN, "store key %s changed concurrently",
		 key);
	return -ECANCELED;
}

static int es_put_if(struct ipam_store *st, const char *key, const char *val,
		     size_t len, uint64_t ver, uint64_t *ret_ver,
		     struct cni_err *err)
{
	struct etcd_store *es = es_of(st);
	char *k = NULL, *v = NULL, what[480];
	json_object *op;
	uint64_t rev = 0;
	bool ok = false;
	int rc;

	rc = es_key(es, key, false, &k);
	if (rc == 0)
		rc = etcd_b64_encode(val, len, &v);
	if (rc == 0) {
		op = json_object_new_object();
		json_object_object_add(op, "key", json_object_new_string(k));
		json_object_object_add(op, "value", json_object_new_string(v));
		es_what(es, "put of key", key, what, sizeof(what));
		rc = es_txn(es, what, es_compare(k, ver, false), "request_put",
			    op, &ok, &rev, err);
	}
	free(k);
	free(v);
	if (rc == 0 && !ok)
		return es_conflict(key, err);
	if (rc == 0 && ret_ver)
		*ret_ver = rev;
	return rc;
}

/* {"request_put": {key, value}} or {"request_delete_range": {key}} of
 * one store key, or NULL. */
static json_object *es_op(struct etcd_store *es, const char *key,
			  const char *val, size_t len)
{
	json_object *one, *op;
	char *k = NULL, *v = NULL;

	if (es_key(es, key, false, &k) < 0 ||
	    (val && etcd_b64_encode(val, len, &v) < 0)) {
		free(k);
		return NULL;
	}
	one = json_object_new_object();
	op = json_object_new_object();
	json_object_object_add(op, "key", json_object_new_string(k));
	if (val)
		json_object_object_add(op, "value", json_object_new_string(v));
	json_object_object_add(
		one, val ? "request_put" : "request_delete_range", op);
	free(k);
	free(v);
	return one;
}

/* One txn: if key is at ver, put it and do the writes of with. */
static int es_put_if_with(struct ipam_store *st, const char *key,
			  const char *val, size_t len, uint64_t ver,
			  uint64_t *ret_ver, const struct ipam_kv_op *with,
			  size_t n, struct cni_err *err)
{
	struct etcd_store *es = es_of(st);
	json_object *req = json_object_new_object(), *cmps, *succ, *one;
	char *k = NULL, what[480];
	uint64_t rev = 0;
	struct reply r;
	bool ok = false;
	size_t i;
	int rc;

	rc = es_key(es, key, false, &k);
	if (rc < 0) {
		json_object_put(req);
		return rc;
	}
	cmps = json_object_new_array();
	succ = json_object_new_array();
	json_object_array_add(cmps, es_compare(k, ver, false));
	free(k);
	json_object_object_add(req, "compare", cmps);
	json_object_object_add(req, "success", succ);
	for (i = 0; i <= n && rc == 0; i++) {
		one = i == 0 ? es_op(es, key, val, len)
			     : es_op(es, with[i - 1].key, with[i - 1].val,
				     with[i - 1].len);
		if (!one)
			rc = cni_errf(err, CNI_ERR_IO, "out of memory");
		else
			json_object_array_add(succ, one);
	}
	es_what(es, "put of key", key, what, sizeof(what));
	if (rc == 0)
		rc = es_post(es, "/v3/kv/txn", cni_json_str(req), what, &r,
			     err);
	json_object_put(req);
	if (rc < 0)
		return rc;
	rc = etcd_txn_reply_parse(r.buf, r.len, &ok, &rev, err);
	free(r.buf);
	if (rc == 0 && !ok)
		return es_conflict(key, err);
	if (rc == 0 && ret_ver)
		*ret_ver = rev;
	return rc;
}

static int es_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		     struct cni_err *err)
{
	struct etcd_store *es = es_of(st);
	json_object *op;
	uint64_t rev;
	bool ok = false;
	char *k, what[480];
	int rc;

	rc = es_key(es, key, false, &k);
	if (rc < 0)
		return rc;
	op = json_object_new_object();
	json_object_object_add(op, "key", json_object_new_string(k));
	es_what(es, "delete of key", key, what, sizeof(what));
	rc = es_txn(es, what, es_compare(k, ver, true), "request_delete_range",
		    op, &ok, &rev, err);
	free(k);
	if (rc < 0 || ok)
		return rc;
	rc = es_get(st, key, NULL, NULL, NULL, err);
	if (rc == 0)
		return es_conflict(key, err);
	return rc;
}

static int es_list_pages(struct ipam_store *st, const char *prefix,
			 bool keys_only, size_t page, ipam_kv_page_fn fn,
			 void *arg, struct cni_err *err)
{
	struct etcd_store *es = es_of(st);

	if (!*prefix || prefix[strlen(prefix) - 1] != '/')
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"store list prefix \"%s\" must end in '/'",
				prefix);
	return es_range_paged(es, prefix, keys_only,
			      page ? (long)(page < 10000 ? page : 10000)
				   : es->page,
			      fn, arg, err);
}

/* One range request of [from, to) (or from the key after from), read at
 * *rev (0: the newest, then set to the revision read). */
static int es_list_range(struct ipam_store *st, const char *from, bool after,
			 const char *to, bool keys_only, size_t page,
			 uint64_t *rev, struct ipam_kv **ret, size_t *ret_n,
			 bool *ret_more, struct cni_err *err)
{
	struct etcd_store *es = es_of(st);
	struct etcd_range_meta m = { 0 };
	char *k = NULL, *end = NULL, what[480];
	int rc;

	es_what(es, "list of range from", from, what, sizeof(what));
	rc = after ? es_key_after(es, from, &k) : es_key(es, from, false, &k);
	if (rc == 0)
		rc = es_key(es, to, false, &end);
	if (rc == 0)
		rc = es_range_req(es, what, k, end, keys_only,
				  page ? (long)(page < 10000 ? page : 10000)
				       : es->page,
				  *rev, ret, ret_n, &m, err);
	free(k);
	free(end);
	if (rc == -ENOMEM)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (rc < 0)
		return rc;
	if (m.more && *ret_n == 0) {
		ipam_kv_free(*ret, *ret_n);
		return cni_errf(err, CNI_ERR_DECODE,
				"etcd range reply: \"more\" without keys");
	}
	if (!*rev)
		*rev = m.rev;
	*ret_more = m.more;
	return 0;
}

static void es_close(struct ipam_store *st)
{
	struct etcd_store *es = es_of(st);
	size_t i;

	if (!es)
		return;
	if (es->curl)
		cu->easy_cleanup(es->curl);
	for (i = 0; i < es->n_endpoints; i++)
		free(es->endpoints[i]);
	free(es->prefix);
	free(es->cacert);
	free(es->cert);
	free(es->key);
	free(es);
}

static int es_str_opt(json_object *conf, const char *key, char **ret,
		      struct cni_err *err)
{
	char field[64];
	const char *s;
	int rc;

	snprintf(field, sizeof(field), "ipam.store.%s", key);
	rc = cni_json_get_string(conf, key, field, &s, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int es_endpoints(struct etcd_store *es, json_object *conf,
			struct cni_err *err)
{
	json_object *arr, *e;
	size_t i, n;
	int rc;

	rc = cni_json_get_array(conf, "endpoints", "ipam.store.endpoints", &arr,
				err);
	if (rc == -ENOENT || (rc == 0 && json_object_array_length(arr) == 0))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.store.endpoints: missing or empty");
	if (rc < 0)
		return rc;
	n = json_object_array_length(arr);
	if (n > ETCD_ENDPOINTS_MAX)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.store.endpoints: more than %d",
				ETCD_ENDPOINTS_MAX);
	for (i = 0; i < n; i++) {
		const char *s;

		e = json_object_array_get_idx(arr, i);
		s = json_object_get_string(e);
		if (!json_object_is_type(e, json_type_string) ||
		    (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"ipam.store.endpoints[%zu]: \"%s\" is "
					"not an http(s) URL",
					i, s ? s : "");
		es->endpoints[i] =
			strndup(s, strlen(s) - (s[strlen(s) - 1] == '/'));
		if (!es->endpoints[i])
			return -ENOMEM;
		es->n_endpoints++;
	}
	return 0;
}

/* pageSize: keys per range request, 1..10000 (default 500). */
static int es_page_opt(json_object *conf, long *ret, struct cni_err *err)
{
	int64_t page = ETCD_PAGE_DEFAULT;
	int rc = cni_json_get_int(conf, "pageSize", "ipam.store.pageSize",
				  &page, err);

	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (page < 1 || page > 10000)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.store.pageSize: %lld not in 1..10000",
				(long long)page);
	*ret = (long)page;
	return 0;
}

static int es_configure(struct etcd_store *es, json_object *conf,
			struct cni_err *err)
{
	const char *lock = "/run/plexus-ipam";
	int64_t t = ETCD_TIMEOUT_MS_DEFAULT;
	int rc;

	rc = es_endpoints(es, conf, err);
	if (rc == 0)
		rc = es_str_opt(conf, "prefix", &es->prefix, err);
	if (rc == 0 && !es->prefix &&
	    !(es->prefix = strdup(ETCD_PREFIX_DEFAULT)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = es_str_opt(conf, "cacert", &es->cacert, err);
	if (rc == 0)
		rc = es_str_opt(conf, "cert", &es->cert, err);
	if (rc == 0)
		rc = es_str_opt(conf, "key", &es->key, err);
	if (rc == 0)
		rc = cni_json_get_int(conf, "timeoutMs", "ipam.store.timeoutMs",
				      &t, err);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && (t < 100 || t > 600000))
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.store.timeoutMs: %lld not in 100..600000",
			      (long long)t);
	es->timeout_ms = (long)t;
	if (rc == 0)
		rc = es_page_opt(conf, &es->page, err);
	if (rc == 0)
		rc = cni_json_get_string(conf, "lockDir", "ipam.store.lockDir",
					 &lock, err);
	if (rc == -ENOENT)
		rc = 0;
	snprintf(es->hdr.lock_dir, sizeof(es->hdr.lock_dir), "%s", lock);
	return rc;
}

static int es_open(json_object *conf, struct ipam_store **ret,
		   struct cni_err *err)
{
	struct etcd_store *es;
	int rc;

	if (!conf)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.store: etcd needs \"endpoints\"");
	es = calloc(1, sizeof(*es));
	if (!es)
		return -ENOMEM;
	es->hdr.ops = &etcd_store;
	rc = es_configure(es, conf, err);
	if (rc == 0)
		rc = curl_lazy(CNI_ERR_IO, "etcd store", &cu, err);
	if (rc == 0 && cu->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		rc = cni_errf(err, CNI_ERR_IO, "curl_global_init failed");
	if (rc == 0 && !(es->curl = cu->easy_init()))
		rc = cni_errf(err, CNI_ERR_IO, "curl_easy_init failed");
	if (rc < 0) {
		es_close(&es->hdr);
		return rc;
	}
	*ret = &es->hdr;
	return 0;
}

const struct ipam_store_ops etcd_store = {
	.name = "etcd",
	.open = es_open,
	.close = es_close,
	.get = es_get,
	.put_if = es_put_if,
	.del_if = es_del_if,
	.put_if_with = es_put_if_with,
	.list_pages = es_list_pages,
	.list_range = es_list_range,
};
