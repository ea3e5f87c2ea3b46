/* SPDX-License-Identifier: Apache-2.0 */
/* Store lookup by type and the thin wrappers over the ops table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "store.h"

static const struct ipam_store_ops *const stores[] = {
	&file_store,
	&etcd_store,
	&kubernetes_store,
};

int ipam_store_open(json_object *conf, struct ipam_store **ret,
		    struct cni_err *err)
{
	const char *type = "file";
	size_t i;
	int rc;

	if (conf) {
		rc = cni_json_get_string(conf, "type", "ipam.store.type", &type,
					 err);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	for (i = 0; i < sizeof(stores) / sizeof(stores[0]); i++)
		if (strcmp(stores[i]->name, type) == 0)
			return stores[i]->open(conf, ret, err);
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"ipam.store.type: unknown store \"%s\" (file, etcd, "
			"kubernetes)",
			type);
}

void ipam_store_close(struct ipam_store *st)
{
	if (st)
		st->ops->close(st);
}

int ipam_store_get(struct ipam_store *st, const char *key, char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	return st->ops->get(st, key, ret_val, ret_len, ret_ver, err);
}

int ipam_store_get_cached(struct ipam_store *st, const char *key,
			  char **ret_val, size_t *ret_len, uint64_t *ret_ver,
			  bool *ret_cached, struct cni_err *err)
{
	*ret_cached = false;
	if (!st->ops->get_cached)
		return st->ops->get(st, key, ret_val, ret_len, ret_ver, err);
	return st->ops->get_cached(st, key, ret_val, ret_len, ret_ver,
				   ret_cached, err);
}

int ipam_store_put_if(struct ipam_store *st, const char *key, const char *val,
		      size_t len, uint64_t ver, uint64_t *ret_ver,
		      struct cni_err *err)
{
	return st->ops->put_if(st, key, val, len, ver, ret_ver, err);
}

int ipam_store_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		      struct cni_err *err)
{
	return st->ops->del_if(st, key, ver, err);
}

#define PUT_ANY_TRIES 4

int ipam_store_put_any(struct ipam_store *st, const char *key, const char *val,
		       size_t len, struct cni_err *err)
{
	uint64_t ver = 0;
	int i, rc = -ECANCELED;
	char *old;

	for (i = 0; i < PUT_ANY_TRIES && rc == -ECANCELED; i++) {
		rc = st->ops->put_if(st, key, val, len, ver, NULL, err);
		if (rc != -ECANCELED)
			break;
		rc = st->ops->get(st, key, &old, NULL, &ver, err);
		if (rc == 0)
			free(old);
		if (rc == -ENOENT)
			ver = 0;
		rc = rc == 0 || rc == -ENOENT ? -ECANCELED : rc;
	}
	return rc;
}

int ipam_store_put_if_with(struct ipam_store *st, const char *key,
			   const char *val, size_t len, uint64_t ver,
			   uint64_t *ret_ver, const struct ipam_kv_op *with,
			   size_t n, struct cni_err *err)
{
	size_t i;
	int rc = 0;

	/* etcd refuses a txn of more than 128 operations (its
	 * --max-txn-ops): more writes than a /26 block's go one by one */
	if (n && n <= IPAM_STORE_WITH_MAX && st->ops->put_if_with)
		return st->ops->put_if_with(st, key, val, len, ver, ret_ver,
					    with, n, err);
	for (i = 0; i < n && rc == 0; i++) {
		if (!with[i].val)
			rc = st->ops->del_if(st, with[i].key, 0, err);
		rc = rc == -ENOENT ? 0 : rc;
	}
	if (rc == 0)
		rc = st->ops->put_if(st, key, val, len, ver, ret_ver, err);
	for (i = 0; i < n && rc == 0; i++)
		if (with[i].val)
			rc = ipam_store_put_any(st, with[i].key, with[i].val,
						with[i].len, err);
	return rc;
}

struct kv_all {
	struct ipam_kv *kv;
	size_t n;
};

/* A page onto the end of the whole list (its strings taken). */
static int kv_gather(struct ipam_kv *kv, size_t n, void *arg,
		     struct cni_err *err)
{
	struct kv_all *all = arg;
	struct ipam_kv *nkv;

	if (n == 0)
		return 0;
	nkv = realloc(all->kv, (all->n + n) * sizeof(*nkv));
	if (!nkv)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	all->kv = nkv;
	memcpy(all->kv + all->n, kv, n * sizeof(*kv));
	memset(kv, 0, n * sizeof(*kv));
	all->n += n;
	return 0;
}

int ipam_store_list(struct ipam_store *st, const char *prefix, bool keys_only,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	struct kv_all all = { 0 };
	int rc;

	if (st->ops->list)
		return st->ops->list(st, prefix, keys_only, ret, ret_n, err);
	rc = st->ops->list_pages(st, prefix, keys_only, 0, kv_gather, &all,
				 err);
	if (rc == 0 && !all.kv && !(all.kv = calloc(1, sizeof(*all.kv))))
		rc = cni_errf(err, CNI_ERR_IO, "out of memory");
	if (rc < 0) {
		ipam_kv_free(all.kv, all.n);
		return rc;
	}
	ipam_kv_sort(all.kv, all.n);
	*ret = all.kv;
	*ret_n = all.n;
	return 0;
}

/* A store without list_pages: its whole list, handed out in pages. */
static int list_cut(struct ipam_store *st, const char *prefix, bool keys_only,
		    size_t page, ipam_kv_page_fn fn, void *arg,
		    struct cni_err *err)
{
	struct ipam_kv *kv;
	size_t n, i, m;
	int rc;

	rc = st->ops->list(st, prefix, keys_only, &kv, &n, err);
	if (rc < 0)
		return rc;
	if (!page)
		page = IPAM_STORE_PAGE;
	for (i = 0; rc == 0 && i < n; i += m) {
		m = n - i < page ? n - i : page;
		rc = fn(kv + i, m, arg, err);
	}
	ipam_kv_free(kv, n);
	return rc;
}

int ipam_store_list_pages(struct ipam_store *st, const char *prefix,
			  bool keys_only, size_t page, ipam_kv_page_fn fn,
			  void *arg, struct cni_err *err)
{
	if (!st->ops->list_pages)
		return list_cut(st, prefix, keys_only, page, fn, arg, err);
	return st->ops->list_pages(st, prefix, keys_only, page, fn, arg, err);
}

int ipam_store_list_range(struct ipam_store *st, const char *from, bool after,
			  const char *to, bool keys_only, size_t page,
			  uint64_t *rev, struct ipam_kv **ret, size_t *ret_n,
			  bool *ret_more, struct cni_err *err)
{
	if (!st->ops->list_range)
		return -EOPNOTSUPP;
	return st->ops->list_range(st, from, after, to, keys_only, page, rev,
				   ret, ret_n, ret_more, err);
}

bool ipam_store_has_range(const struct ipam_store *st)
{
	return st->ops->list_range != NULL;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ipam_kv *)a)->key,
		      ((const struct ipam_kv *)b)->key);
}

void ipam_kv_sort(struct ipam_kv *kv, size_t n)
{
	if (n > 1)
		qsort(kv, n, sizeof(*kv), kv_cmp);
}

void ipam_kv_free(struct ipam_kv *kv, size_t n)
{
	size_t i;

	if (!kv)
		return;
	for (i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].val);
	}
	free(kv);
}

static ipam_store_request_fn request_hook;

void ipam_store_set_request_hook(ipam_store_request_fn fn)
{
	request_hook = fn;
}

void ipam_store_request_done(const char *store, const char *op, long code,
			     double secs)
{
	if (request_hook)
		request_hook(store, op, code, secs);
}

bool ipam_key_safe(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '.')
		return false;
	for (p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == ':' || c == '-'))
			return false;
	}
	return true;
}
