/* SPDX-License-Identifier: Apache-2.0 */
/* The kubernetes store: one IPAMKey custom resource per key (see
 * kube_obj.h), through the Kubernetes client (src/k8s.h, whose libcurl
 * part is a module loaded only when this store is opened). A version is
 * the object's resourceVersion: put_if is a PUT carrying it (409 Conflict
 * -> -ECANCELED), a create is a POST (409 AlreadyExists -> -ECANCELED),
 * del_if is a DELETE with a resourceVersion precondition, list is a GET
 * with the prefix's label selector, in pages; a list of keys only asks
 * for metadata only (KUBE_ACCEPT_META). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "kube_obj.h"
#include "store.h"

extern char **environ;

#define KUBE_RETRIES  2	  /* extra tries on 429 and 5xx */
#define KUBE_RETRY_MS 100 /* times the try number */
#define KUBE_PAGE     500 /* objects per list request (pageSize) */
#define KUBE_LOCK_DIR "/run/plexus-ipam"

struct kube_store {
	struct ipam_store hdr;
	struct k8s_config *cfg;
	struct k8s_client *c;
	int page;
	bool meta_refused; /* the server answered 406 to KUBE_ACCEPT_META */
};

static struct kube_store *ks_of(struct ipam_store *st)
{
	return (struct kube_store *)st;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static bool transient(long st)
{
	return st == 429 || st >= 500;
}

/* The message of a Status body, else "". */
static const char *status_msg(json_object *doc)
{
	json_object *m;

	if (doc && json_object_object_get_ex(doc, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		return json_object_get_string(m);
	return "";
}

/* An answer the store cannot use: code 11 when the server is overloaded
 * or failing or keeps answering a create with Conflict (try again
 * later), 111 when it refused the credentials, 5 otherwise; the message
 * has the Status' own message. */
static int ks_fail(long st, json_object *doc, const char *what,
		   struct cni_err *err)
{
	const char *msg = status_msg(doc), *why;
	int code = CNI_ERR_IO, rc = -EIO;

	if (st == 401)
		why = "Unauthorized: the API server refused the token or "
		      "certificate";
	else if (st == 403)
		why = "Forbidden: the account may not do this (check the "
		      "plexus-ipam ClusterRole)";
	else if (st == 409)
		why = "Conflict on create (not AlreadyExists), try again later";
	else if (st == 404)
		why = "Not Found (is the " KUBE_KIND " CRD, crd/ipam.yaml, "
		      "installed?)";
	else
		why = transient(st) ? "the API server cannot serve now"
				    : "unexpected answer";
	if (st == 401 || st == 403) {
		code = CNI_ERR_KUBERNETES;
		rc = -EACCES;
	} else if (st == 409) {
		code = CNI_ERR_TRY_AGAIN;
		rc = -EAGAIN;
	} else if (transient(st)) {
		code = CNI_ERR_TRY_AGAIN;
		rc = -EHOSTUNREACH;
	}
	cni_errf(err, code, "kubernetes store: %s: HTTP %ld %s%s%.300s", what,
		 st, why, *msg ? ": " : "", msg);
	return rc;
}

/* The API server refused a write for its size: 413 (its request body
 * limit) or etcd's "request is too large" behind it (an older server
 * answers that with 500: not worth a retry). */
static bool ks_refused_large(long st, json_object *doc)
{
	return st == 413 || (st >= 400 && strstr(status_msg(doc), "request is "
								  "too large"));
}

/* That refusal as code 123: the limit (its value when the Status says
 * "limit is N"), the key and the bytes sent. */
static int ks_fail_large(long st, json_object *doc, const char *key,
			 size_t sent, struct cni_err *err)
{
	const char *p = strstr(status_msg(doc), "limit is ");
	char what[400];
	size_t limit = 0;

	if (st == 413 && p)
		limit = strtoul(p + 9, NULL, 10);
	snprintf(what, sizeof(what), "kubernetes store: write of key %.300s",
		 key);
	return cni_err_too_large(err,
				 st == 413 ? "the API server's request body "
					     "limit (3 MiB by default)"
					   : "etcd's --max-request-bytes "
					     "behind "
					     "the API server (1.5 MiB by "
					     "default)",
				 limit, what, sent);
}

/* A 409 to a create that is not AlreadyExists: the server could not
 * apply it now (a conflict inside the server); trying again is right. */
static bool create_conflict(const char *method, long st, json_object *doc)
{
	json_object *r;

	return st == 409 && strcmp(method, "POST") == 0 &&
	       !(doc && json_object_object_get_ex(doc, "reason", &r) &&
		 strcmp(json_object_get_string(r), "AlreadyExists") == 0);
}

/* the API verb of a request, for ipam_store_request_done */
static const char *api_op(const char *method, const char *path)
{
	if (!strcmp(method, "GET"))
		return strchr(path, '?') ? "list" : "get";
	return !strcmp(method, "POST")	? "create"
	       : !strcmp(method, "PUT") ? "update"
					: "delete";
}

/* One request, tried again on 429/5xx (and a create's 409 Conflict). 0
 * with the final status and body (which may still be one of those:
 * ks_fail explains it), or -EHOSTUNREACH (code 11) when the server could
 * not be reached. accept NULL: application/json. */
static int ks_call(struct kube_store *ks, const char *method, const char *path,
		   const char *accept, json_object *body, long *ret_st,
		   json_object **ret_doc, struct cni_err *err)
{
	const char *b = body ? cni_json_str(body) : NULL;
	json_object *doc;
	long st;
	int i, rc;

	k8s_client_set_deadline(ks->c, ks->hdr.deadline);
	for (i = 0;; i++) {
		double t0 = cni_now_msf();

		doc = NULL;
		st = 0;
		rc = k8s_request_accept(ks->c, method, path, accept, NULL, b,
					&st, &doc, err);
		ipam_store_request_done("kubernetes", api_op(method, path),
					rc == 0 ? st : 0,
					(cni_now_msf() - t0) / 1e3);
		if (rc == -EFBIG) /* the same again would be as large */
			return rc;
		/* no time for another try: this answer stands */
		if (cni_deadline_passed(ks->hdr.deadline))
			i = KUBE_RETRIES;
		if (rc == 0 && i == KUBE_RETRIES)
			break;
		if (rc == 0 &&
		    ((!transient(st) && !create_conflict(method, st, doc)) ||
		     ks_refused_large(st, doc)))
			break;
		json_object_put(doc);
		if (rc < 0 && i == KUBE_RETRIES) {
			if (err) {
				cni_err_prefix(err, "kubernetes store: cannot "
						    "reach the API server");
				err->code = CNI_ERR_TRY_AGAIN;
			}
			return -EHOSTUNREACH;
		}
		sleep_ms(KUBE_RETRY_MS * (i + 1));
	}
	*ret_st = st;
	*ret_doc = doc;
	return 0;
}

static int ks_conflict(const char *key, struct cni_err *err)
{
	cni_errf(err, CNI_ERR_TRY_AGAIN, "store key %s changed concurrently",
		 key);
	return -ECANCELED;
}

static int ks_key_check(const char *key, struct cni_err *err)
{
	if (kube_key_valid(key) == 0)
		return 0;
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"store key \"%s\": bad "
			"segment or more than %d levels",
			key, KUBE_DEPTH_MAX);
}

static void obj_path(const char *key, char *buf, size_t size)
{
	char name[KUBE_NAME_MAX];

	kube_obj_name(key, name);
	snprintf(buf, size, KUBE_API_PATH "/%s", name);
}

/* The value of a fetched object, checked to be key's. */
static int ks_value(json_object *doc, const char *key, char **ret_val,
		    size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	const char *k, *v;
	size_t len;
	uint64_t ver;
	int rc;

	rc = kube_obj_parse(doc, &k, &v, &len, &ver, err);
	if (rc < 0)
		return rc;
	if (strcmp(k, key) != 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: the "
				"object for key %s holds key %s",
				key, k);
	if (ret_val && !(*ret_val = strndup(v, len)))
		return -ENOMEM;
	if (ret_len)
		*ret_len = len;
	if (ret_ver)
		*ret_ver = ver;
	return 0;
}

static int ks_get(struct ipam_store *st, const char *key, char **ret_val,
		  size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	json_object *doc = NULL;
	char path[512];
	long code;
	int rc;

	rc = ks_key_check(key, err);
	if (rc < 0)
		return rc;
	obj_path(key, path, sizeof(path));
	rc = ks_call(ks_of(st), "GET", path, NULL, NULL, &code, &doc, err);
	if (rc == 0 && code == 404)
		rc = -ENOENT;
	else if (rc == 0 && code == 200)
		rc = ks_value(doc, key, ret_val, ret_len, ret_ver, err);
	else if (rc == 0)
		rc = ks_fail(code, doc, path, err);
	json_object_put(doc);
	return rc;
}

/* The resourceVersion of a written object. */
static int ks_written(json_object *doc, const char *key, uint64_t *ret_ver,
		      struct cni_err *err)
{
	uint64_t ver;
	int rc = ks_value(doc, key, NULL, NULL, &ver, err);

	if (rc == 0 && ret_ver)
		*ret_ver = ver;
	return rc;
}

static int ks_put_if(struct ipam_store *st, const char *key, const char *val,
		     size_t len, uint64_t ver, uint64_t *ret_ver,
		     struct cni_err *err)
{
	json_object *obj, *doc = NULL;
	char path[512];
	size_t sent;
	long code;
	int rc;

	rc = ks_key_check(key, err);
	if (rc < 0)
		return rc;
	obj = kube_obj_new(key, val, len, ver);
	if (!obj)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	sent = strlen(cni_json_str(obj));
	if (ver)
		obj_path(key, path, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s", KUBE_API_PATH);
	rc = ks_call(ks_of(st), ver ? "PUT" : "POST", path, NULL, obj, &code,
		     &doc, err);
	json_object_put(obj);
	if (rc == 0 && (code == 200 || code == 201))
		rc = ks_written(doc, key, ret_ver, err);
	else if (rc == 0 && ks_refused_large(code, doc))
		rc = ks_fail_large(code, doc, key, sent, err);
	else if (rc == 0 && create_conflict("POST", code, doc) && !ver)
		rc = ks_fail(code, doc, path, err);
	else if (rc == 0 && (code == 409 || (ver && code == 404)))
		rc = ks_conflict(key, err);
	else if (rc == 0)
		rc = ks_fail(code, doc, path, err);
	json_object_put(doc);
	return rc;
}

static int ks_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		     struct cni_err *err)
{
	json_object *opts = NULL, *doc = NULL;
	char path[512], body[160];
	long code;
	int rc;

	rc = ks_key_check(key, err);
	if (rc < 0)
		return rc;
	obj_path(key, path, sizeof(path));
	if (ver) {
		snprintf(body, sizeof(body),
			 "{\"apiVersion\":\"v1\",\"kind\":"
			 "\"DeleteOptions\",\"preconditions\":{"
			 "\"resourceVersion\":\"%" PRIu64 "\"}}",
			 ver);
		opts = json_tokener_parse(body);
		if (!opts)
			return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	rc = ks_call(ks_of(st), "DELETE", path, NULL, opts, &code, &doc, err);
	json_object_put(opts);
	if (rc == 0 && code == 404)
		rc = -ENOENT;
	else if (rc == 0 && code == 409)
		rc = ks_conflict(key, err);
	else if (rc == 0 && code != 200 && code != 202)
		rc = ks_fail(code, doc, path, err);
	json_object_put(doc);
	return rc;
}

struct kv_list {
	struct ipam_kv *kv;
	size_t n, cap;
};

/* Key, value and version of one item: of a metadata-only item (meta)
 * the key and version only (-ENODATA: it does not name its key). */
static int ks_item(json_object *item, bool meta, const char **ret_key,
		   const char **ret_val, size_t *ret_len, uint64_t *ret_ver,
		   struct cni_err *err)
{
	*ret_val = NULL;
	*ret_len = 0;
	if (meta)
		return kube_meta_parse(item, ret_key, ret_ver, err);
	return kube_obj_parse(item, ret_key, ret_val, ret_len, ret_ver, err);
}

static int kv_push(struct kv_list *l, const char *k, const char *v, size_t len,
		   uint64_t ver)
{
	struct ipam_kv *nkv, *kv;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		nkv = realloc(l->kv, l->cap * sizeof(*nkv));
		if (!nkv)
			return -ENOMEM;
		l->kv = nkv;
	}
	kv = &l->kv[l->n];
	*kv = (struct ipam_kv){ .key = strdup(k), .len = len, .ver = ver };
	if (v)
		kv->val = strndup(v, len);
	l->n++;
	return !kv->key || (v && !kv->val) ? -ENOMEM : 0;
}

/* Add the items of one page that are under prefix (a label match with
 * another prefix would need a hash collision; skipped all the same);
 * values unless keys_only. meta: the page is a metadata-only list. */
static int ks_take_items(json_object *items, const char *prefix, bool meta,
			 bool keys_only, struct kv_list *l, struct cni_err *err)
{
	size_t i, plen = strlen(prefix), len;
	const char *k, *v;
	uint64_t ver;
	int rc;

	for (i = 0; i < json_object_array_length(items); i++) {
		rc = ks_item(json_object_array_get_idx(items, i), meta, &k, &v,
			     &len, &ver, err);
		if (rc < 0)
			return rc;
		if (strncmp(k, prefix, plen) != 0)
			continue;
		rc = kv_push(l, k, keys_only ? NULL : v, keys_only ? 0 : len,
			     ver);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* GET of a list page: of metadata only (meta) unless this server
 * refused it once (406 Not Acceptable, remembered for the store's
 * life), else of whole objects. */
static int ks_list_get(struct kube_store *ks, const char *path, bool meta,
		       long *ret_st, json_object **ret_doc, struct cni_err *err)
{
	int rc;

	if (meta && !ks->meta_refused) {
		rc = ks_call(ks, "GET", path, KUBE_ACCEPT_META, NULL, ret_st,
			     ret_doc, err);
		if (rc < 0 || *ret_st != 406)
			return rc;
		json_object_put(*ret_doc);
		*ret_doc = NULL;
		ks->meta_refused = true;
	}
	return ks_call(ks, "GET", path, NULL, NULL, ret_st, ret_doc, err);
}

/* The items of a page's answer into l; next gets the next page's token
 * ("" after the last). */
static int ks_page_doc(json_object *doc, const char *path, const char *prefix,
		       bool keys_only, struct kv_list *l, char *next,
		       size_t next_size, struct cni_err *err)
{
	json_object *items, *md, *c;
	bool meta;
	int rc = 0;

	if (!doc) /* a body that does not parse fails in k8s_request */
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: %s: HTTP 200 with an empty "
				"answer",
				path);
	meta = keys_only && kube_list_is_meta(doc);
	/* kube-apiserver writes an empty metadata list's items as null */
	if (!json_object_object_get_ex(doc, "items", &items) ||
	    (!json_object_is_type(items, json_type_array) && !(meta && !items)))
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: %s: the answer has no "
				"\"items\" list",
				path);
	/* a server may answer whole objects all the same */
	if (items)
		rc = ks_take_items(items, prefix, meta, keys_only, l, err);
	if (rc == 0 && json_object_object_get_ex(doc, "metadata", &md) &&
	    json_object_object_get_ex(md, "continue", &c) &&
	    json_object_is_type(c, json_type_string))
		snprintf(next, next_size, "%s", json_object_get_string(c));
	return rc;
}

/* One page from cont ("": the first): 0 with next set to the next
 * page's token ("" when this was the last). meta: ask for metadata only
 * (keys_only lists). */
static int ks_list_page(struct kube_store *ks, const char *sel,
			const char *prefix, bool keys_only, bool meta,
			int limit, const char *cont, char *next,
			size_t next_size, struct kv_list *l,
			struct cni_err *err)
{
	char path[KUBE_CONT_MAX * 3 + 256], esc[KUBE_CONT_MAX * 3] = "";
	json_object *doc = NULL;
	long code;
	int rc;

	*next = '\0';
	if (*cont)
		kube_query_escape(cont, esc, sizeof(esc));
	snprintf(path, sizeof(path), "%s?labelSelector=%s&limit=%d%s%s",
		 KUBE_API_PATH, sel, limit, *esc ? "&continue=" : "", esc);
	rc = ks_list_get(ks, path, meta, &code, &doc, err);
	if (rc < 0)
		return rc;
	if (code != 200)
		rc = ks_fail(code, doc, path, err);
	else
		rc = ks_page_doc(doc, path, prefix, keys_only, l, next,
				 next_size, err);
	json_object_put(doc);
	return rc;
}

/* fn on the page in l (sorted), then l emptied. */
static int ks_page_out(struct kv_list *l, ipam_kv_page_fn fn, void *arg,
		       struct cni_err *err)
{
	int rc = 0;

	ipam_kv_sort(l->kv, l->n);
	if (l->n)
		rc = fn(l->kv, l->n, arg, err);
	ipam_kv_free(l->kv, l->n);
	*l = (struct kv_list){ 0 };
	return rc;
}

static void kv_list_clear(struct kv_list *l)
{
	ipam_kv_free(l->kv, l->n);
	*l = (struct kv_list){ 0 };
}

static int ks_list_pages(struct ipam_store *st, const char *prefix,
			 bool keys_only, size_t page, ipam_kv_page_fn fn,
			 void *arg, struct cni_err *err)
{
	char lkey[KUBE_LABEL_KEY_MAX], lval[KUBE_LABEL_VAL_MAX];
	char sel[KUBE_LABEL_KEY_MAX + KUBE_LABEL_VAL_MAX + 4];
	char cont[KUBE_CONT_MAX] = "", next[KUBE_CONT_MAX];
	struct kv_list l = { 0 };
	bool meta = keys_only;
	int rc, pages = 0;
	int limit = page ? (int)(page < 10000 ? page : 10000) : ks_of(st)->page;

	if (kube_prefix_label(prefix, lkey, lval) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"store prefix "
				"\"%s\": must end in '/', at most %d levels",
				prefix, KUBE_DEPTH_MAX);
	snprintf(sel, sizeof(sel), "%s%%3D%s", lkey, lval);
	for (;;) {
		rc = ks_list_page(ks_of(st), sel, prefix, keys_only, meta,
				  limit, cont, next, sizeof(next), &l, err);
		/* a page over the answer limit (pageSize counts objects, a
		 * block's object may weigh 100 KB): the same page again in
		 * halves, the rest of the list at that size */
		if (rc == -EFBIG && limit > 1) {
			kv_list_clear(&l);
			limit /= 2;
			continue;
		}
		/* objects written before the key annotation: the same page
		 * again whole, the rest of the list too */
		if (rc == -ENODATA && meta) {
			kv_list_clear(&l);
			meta = false;
			continue;
		}
		if (rc == 0)
			rc = ks_page_out(&l, fn, arg, err);
		if (rc < 0 || !*next || ++pages >= 100000)
			break;
		memcpy(cont, next, sizeof(cont));
	}
	ipam_kv_free(l.kv, l.n);
	if (rc == -ENODATA) /* metadata only, not asked for */
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: list of %s: an item without "
				"spec and without annotation %s",
				prefix, KUBE_KEY_ANNOTATION);
	return rc == -ENOMEM ? cni_errf(err, CNI_ERR_IO, "out of memory") : rc;
}

static void ks_close(struct ipam_store *st)
{
	struct kube_store *ks = ks_of(st);

	if (!ks)
		return;
	k8s_client_free(ks->c);
	k8s_config_free(ks->cfg);
	free(ks);
}

/* A string option: absent is fine (keeps *val). */
static int opt_str(json_object *conf, const char *key, const char *field,
		   const char **val, struct cni_err *err)
{
	int rc = cni_json_get_string(conf, key, field, val, err);

	return rc == -ENOENT ? 0 : rc;
}

static int ks_configure(struct kube_store *ks, json_object *conf,
			struct cni_err *err)
{
	const char *kc = "", *lock = KUBE_LOCK_DIR;
	int64_t page = KUBE_PAGE;
	int rc = 0;

	if (conf) {
		rc = opt_str(conf, "kubeconfig", "ipam.store.kubeconfig", &kc,
			     err);
		rc = rc
			     ?: opt_str(conf, "lockDir", "ipam.store.lockDir",
					&lock, err);
		rc = rc
			     ?: cni_json_get_int(conf, "pageSize",
						 "ipam.store.pageSize", &page,
						 err);
		if (rc == -ENOENT)
			rc = 0;
	}
	if (rc == 0 && (page < 1 || page > 10000))
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "ipam.store.pageSize:"
			      " %lld not in 1..10000",
			      (long long)page);
	if (rc < 0)
		return rc;
	ks->page = (int)page;
	snprintf(ks->hdr.lock_dir, sizeof(ks->hdr.lock_dir), "%s", lock);
	if (*kc)
		rc = k8s_kubeconfig_load(kc, &ks->cfg, err);
	else
		rc = k8s_config_in_cluster(environ, NULL, &ks->cfg, err);
	if (rc < 0)
		cni_err_prefix(err, "kubernetes store");
	return rc;
}

static int ks_open(json_object *conf, struct ipam_store **ret,
		   struct cni_err *err)
{
	struct kube_store *ks = calloc(1, sizeof(*ks));
	int rc;

	if (!ks)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	ks->hdr.ops = &kubernetes_store;
	rc = ks_configure(ks, conf, err);
	if (rc == 0) {
		rc = k8s_client_new(ks->cfg, &ks->c, err);
		if (rc < 0)
			cni_err_prefix(err, "kubernetes store");
	}
	if (rc < 0) {
		ks_close(&ks->hdr);
		return rc;
	}
	*ret = &ks->hdr;
	return 0;
}

const struct ipam_store_ops kubernetes_store = {
	.name = "kubernetes",
	.open = ks_open,
	.close = ks_close,
	.get = ks_get,
	.put_if = ks_put_if,
	.del_if = ks_del_if,
	.list_pages = ks_list_pages,
};
