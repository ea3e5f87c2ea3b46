/* SPDX-License-Identifier: Apache-2.0 */
/* In-memory ipam store: versions from one counter, like etcd revisions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "mem_store.h"
#include "store.h"

struct mem_store {
	struct ipam_store hdr;
	struct ipam_kv *kv;
	size_t n;
	uint64_t rev;
	bool down;
	int fail_puts;
	size_t calls, lists;
};

static struct mem_store *ms_of(struct ipam_store *st)
{
	return (struct mem_store *)st;
}

static int ms_enter(struct mem_store *ms, struct cni_err *err)
{
	ms->calls++;
	if (!ms->down)
		return 0;
	cni_errf(err, CNI_ERR_TRY_AGAIN, "mem store: unreachable");
	return -EHOSTUNREACH;
}

static struct ipam_kv *ms_find(struct mem_store *ms, const char *key)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		if (strcmp(ms->kv[i].key, key) == 0)
			return &ms->kv[i];
	return NULL;
}

static int ms_get(struct ipam_store *st, const char *key, char **ret_val,
		  size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	struct mem_store *ms = ms_of(st);
	struct ipam_kv *kv;
	int rc = ms_enter(ms, err);

	if (rc < 0)
		return rc;
	kv = ms_find(ms, key);
	if (!kv)
		return -ENOENT;
	if (ret_val && !(*ret_val = strdup(kv->val)))
		return -ENOMEM;
	if (ret_len)
		*ret_len = kv->len;
	if (ret_ver)
		*ret_ver = kv->ver;
	return 0;
}

static int ms_conflict(struct cni_err *err)
{
	cni_errf(err, CNI_ERR_TRY_AGAIN, "mem store: version conflict");
	return -ECANCELED;
}

static int ms_put_if(struct ipam_store *st, const char *key, const char *val,
		     size_t len, uint64_t ver, uint64_t *ret_ver,
		     struct cni_err *err)
{
	struct mem_store *ms = ms_of(st);
	struct ipam_kv *kv, *nkv;
	int rc = ms_enter(ms, err);
	char *v;

	if (rc < 0)
		return rc;
	if (ver && ms->fail_puts > 0) {
		ms->fail_puts--;
		return ms_conflict(err);
	}
	kv = ms_find(ms, key);
	if ((kv ? kv->ver : 0) != ver)
		return ms_conflict(err);
	v = strndup(val, len);
	if (!v)
		return -ENOMEM;
	if (!kv) {
		nkv = realloc(ms->kv, (ms->n + 1) * sizeof(*nkv));
		if (!nkv) {
			free(v);
			return -ENOMEM;
		}
		ms->kv = nkv;
		kv = &ms->kv[ms->n++];
		kv->key = strdup(key);
		kv->val = NULL;
	}
	free(kv->val);
	kv->val = v;
	kv->len = len;
	kv->ver = ++ms->rev;
	if (ret_ver)
		*ret_ver = kv->ver;
	return 0;
}

static int ms_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		     struct cni_err *err)
{
	struct mem_store *ms = ms_of(st);
	struct ipam_kv *kv;
	int rc = ms_enter(ms, err);

	if (rc < 0)
		return rc;
	kv = ms_find(ms, key);
	if (!kv)
		return -ENOENT;
	if (ver && kv->ver != ver)
		return ms_conflict(err);
	free(kv->key);
	free(kv->val);
	*kv = ms->kv[--ms->n];
	ms->rev++;
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ipam_kv *)a)->key,
		      ((const struct ipam_kv *)b)->key);
}

static int ms_list(struct ipam_store *st, const char *prefix, bool keys_only,
		   struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	struct mem_store *ms = ms_of(st);
	struct ipam_kv *out;
	size_t i, n = 0;
	int rc = ms_enter(ms, err);

	if (rc < 0)
		return rc;
	ms->lists++;
	out = calloc(ms->n + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < ms->n; i++) {
		if (strncmp(ms->kv[i].key, prefix, strlen(prefix)) != 0)
			continue;
		out[n].key = strdup(ms->kv[i].key);
		out[n].ver = ms->kv[i].ver;
		if (!keys_only) {
			out[n].val = strdup(ms->kv[i].val);
			out[n].len = ms->kv[i].len;
		}
		n++;
	}
	qsort(out, n, sizeof(*out), kv_cmp);
	*ret = out;
	*ret_n = n;
	return 0;
}

/* One page of [from, to) (or past from): like etcd's range with a
 * limit; the store has no history, so *rev is only set. */
static int ms_list_range(struct ipam_store *st, const char *from, bool after,
			 const char *to, bool keys_only, size_t page,
			 uint64_t *rev, struct ipam_kv **ret, size_t *ret_n,
			 bool *ret_more, struct cni_err *err)
{
	struct mem_store *ms = ms_of(st);
	struct ipam_kv *out;
	size_t i, n = 0, m = 0;
	int rc = ms_enter(ms, err), c;

	if (rc < 0)
		return rc;
	ms->lists++;
	page = page ? page : IPAM_STORE_PAGE;
	out = calloc(ms->n + 1, sizeof(*out));
	if (!out)
		return -ENOMEM;
	for (i = 0; i < ms->n; i++) {
		c = strcmp(ms->kv[i].key, from);
		if (c < 0 || (c == 0 && after) ||
		    strcmp(ms->kv[i].key, to) >= 0)
			continue;
		out[n].key = strdup(ms->kv[i].key);
		out[n].ver = ms->kv[i].ver;
		if (!keys_only) {
			out[n].val = strdup(ms->kv[i].val);
			out[n].len = ms->kv[i].len;
		}
		n++;
	}
	qsort(out, n, sizeof(*out), kv_cmp);
	if (n > page) {
		m = n - page;
		for (i = page; i < n; i++) {
			free(out[i].key);
			free(out[i].val);
		}
		n = page;
	}
	if (!*rev)
		*rev = ms->rev;
	*ret = out;
	*ret_n = n;
	*ret_more = m > 0;
	return 0;
}

static void ms_close(struct ipam_store *st)
{
	struct mem_store *ms = ms_of(st);

	if (!ms)
		return;
	ipam_kv_free(ms->kv, ms->n);
	free(ms);
}

static const struct ipam_store_ops mem_store = {
	.name = "mem",
	.close = ms_close,
	.get = ms_get,
	.put_if = ms_put_if,
	.del_if = ms_del_if,
	.list = ms_list,
	.list_range = ms_list_range,
};

/* The same without list_range, as the file and kubernetes stores. */
static const struct ipam_store_ops mem_store_plain = {
	.name = "mem",
	.close = ms_close,
	.get = ms_get,
	.put_if = ms_put_if,
	.del_if = ms_del_if,
	.list = ms_list,
};

struct ipam_store *mem_store_new(void)
{
	struct mem_store *ms = calloc(1, sizeof(*ms));

	if (ms)
		ms->hdr.ops = &mem_store;
	return ms ? &ms->hdr : NULL;
}

void mem_store_set_down(struct ipam_store *st, bool down)
{
	ms_of(st)->down = down;
}

void mem_store_fail_puts(struct ipam_store *st, int n)
{
	ms_of(st)->fail_puts = n;
}

size_t mem_store_count(struct ipam_store *st, const char *prefix)
{
	struct mem_store *ms = ms_of(st);
	size_t i, n = 0;

	for (i = 0; i < ms->n; i++)
		if (!prefix ||
		    strncmp(ms->kv[i].key, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

size_t mem_store_calls(struct ipam_store *st)
{
	return ms_of(st)->calls;
}

size_t mem_store_lists(struct ipam_store *st)
{
	return ms_of(st)->lists;
}

void mem_store_no_range(struct ipam_store *st)
{
	st->ops = &mem_store_plain;
}
