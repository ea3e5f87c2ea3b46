/* SPDX-License-Identifier: Apache-2.0 */
/* A caching store for unit tests (cached_store.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cached_store.h"
#include "cni_error.h"
#include "store.h"

#define CS_MAX 64

struct cs_entry {
	char *key, *val;
	size_t len;
	uint64_t ver;
};

struct cached_store {
	struct ipam_store hdr;
	struct ipam_store *under;
	struct cs_entry e[CS_MAX];
	size_t n, hits;
};

static struct cached_store *cs_of(struct ipam_store *st)
{
	return (struct cached_store *)st;
}

static struct cs_entry *cs_find(struct cached_store *cs, const char *key)
{
	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->e[i].key, key))
			return &cs->e[i];
	return NULL;
}

static void cs_drop(struct cached_store *cs, const char *key)
{
	struct cs_entry *e = cs_find(cs, key);

	if (!e)
		return;
	free(e->key);
	free(e->val);
	*e = cs->e[--cs->n];
}

static void cs_set(struct cached_store *cs, const char *key, const char *val,
		   size_t len, uint64_t ver, bool add)
{
	struct cs_entry *e = cs_find(cs, key);
	char *v;

	if (!e && (!add || cs->n == CS_MAX))
		return;
	if (!(v = strndup(val, len)))
		return;
	if (!e) {
		e = &cs->e[cs->n++];
		e->key = strdup(key);
	} else {
		free(e->val);
	}
	e->val = v;
	e->len = len;
	e->ver = ver;
}

static int cs_get(struct ipam_store *st, const char *key, char **ret_val,
		  size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	struct cached_store *cs = cs_of(st);
	char *val;
	size_t len;
	uint64_t ver;
	int rc = ipam_store_get(cs->under, key, &val, &len, &ver, err);

	if (rc < 0) {
		cs_drop(cs, key);
		return rc;
	}
	cs_set(cs, key, val, len, ver, false);
	if (ret_len)
		*ret_len = len;
	if (ret_ver)
		*ret_ver = ver;
	if (ret_val)
		*ret_val = val;
	else
		free(val);
	return 0;
}

static int cs_get_cached(struct ipam_store *st, const char *key, char **ret_val,
			 size_t *ret_len, uint64_t *ret_ver, bool *ret_cached,
			 struct cni_err *err)
{
	struct cached_store *cs = cs_of(st);
	struct cs_entry *e = cs_find(cs, key);
	char *val;
	size_t len;
	uint64_t ver;
	int rc;

	if (e) {
		if (!(*ret_val = strndup(e->val, e->len)))
			return -ENOMEM;
		*ret_len = e->len;
		*ret_ver = e->ver;
		*ret_cached = true;
		cs->hits++;
		return 0;
	}
	rc = ipam_store_get(cs->under, key, &val, &len, &ver, err);
	if (rc < 0)
		return rc;
	cs_set(cs, key, val, len, ver, true);
	*ret_val = val;
	*ret_len = len;
	*ret_ver = ver;
	return 0;
}

static int cs_put_if(struct ipam_store *st, const char *key, const char *val,
		     size_t len, uint64_t ver, uint64_t *ret_ver,
		     struct cni_err *err)
{
	struct cached_store *cs = cs_of(st);
	uint64_t nv = 0;
	int rc = ipam_store_put_if(cs->under, key, val, len, ver, &nv, err);

	if (rc < 0) {
		cs_drop(cs, key);
		return rc;
	}
	cs_set(cs, key, val, len, nv, false);
	if (ret_ver)
		*ret_ver = nv;
	return 0;
}

static int cs_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		     struct cni_err *err)
{
	struct cached_store *cs = cs_of(st);

	cs_drop(cs, key);
	return ipam_store_del_if(cs->under, key, ver, err);
}

static int cs_list(struct ipam_store *st, const char *prefix, bool keys_only,
		   struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	return ipam_store_list(cs_of(st)->under, prefix, keys_only, ret, ret_n,
			       err);
}

static void cs_close(struct ipam_store *st)
{
	struct cached_store *cs = cs_of(st);

	while (cs->n)
		cs_drop(cs, cs->e[0].key);
	free(cs);
}

static const struct ipam_store_ops cached_store = {
	.name = "cached",
	.close = cs_close,
	.get = cs_get,
	.get_cached = cs_get_cached,
	.put_if = cs_put_if,
	.del_if = cs_del_if,
	.list = cs_list,
};

struct ipam_store *cached_store_new(struct ipam_store *under)
{
	struct cached_store *cs = calloc(1, sizeof(*cs));

	if (!cs)
		return NULL;
	cs->hdr.ops = &cached_store;
	cs->under = under;
	return &cs->hdr;
}

size_t cached_store_hits(struct ipam_store *st)
{
	return cs_of(st)->hits;
}
