/* SPDX-License-Identifier: Apache-2.0 */
/* A block's records: one key per held offset, beside the block. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "ipam_block.h"
#include "ipam_rec.h"
#include "store.h"

int ipam_rec_fetch(struct ipam_store *st, const struct ipam_range *r,
		   struct ipam_block *b, uint32_t off, struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	size_t len;
	int rc;

	if (!ipam_block_rec_missing(b, off))
		return 0;
	ipam_rec_key(r, b->idx, off, key);
	rc = ipam_store_get(st, key, &val, &len, NULL, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	rc = ipam_block_rec_load(b, off, key, val, len, err);
	free(val);
	return rc < 0 ? rc : 0;
}

static bool any_missing(const struct ipam_block *b)
{
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		(void)k;
		if (json_object_object_get_ex(rec, "#s", NULL))
			return true;
	}
	return false;
}

/* The offset in the last segment of a record key, or -1. */
static long key_off(const char *key)
{
	const char *s = strrchr(key, '/');
	char *end;
	unsigned long v;

	s = s ? s + 1 : key;
	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	return *end || v > IPAM_BLOCK_OFF_MAX ? -1 : (long)v;
}

int ipam_rec_take(struct ipam_block *b, const struct ipam_kv *kv,
		  struct cni_err *err)
{
	long off = key_off(kv->key);
	int rc;

	if (off < 0 || !kv->val || !ipam_block_rec_missing(b, (uint32_t)off))
		return 0;
	rc = ipam_block_rec_load(b, (uint32_t)off, kv->key, kv->val, kv->len,
				 err);
	return rc < 0 ? rc : 0;
}

int ipam_rec_fetch_all(struct ipam_store *st, const struct ipam_range *r,
		       struct ipam_block *b, struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX];
	struct ipam_kv *kv;
	size_t i, n;
	int rc;

	if (!any_missing(b))
		return 0;
	ipam_rec_prefix(r, b->idx, prefix);
	rc = ipam_store_list(st, prefix, false, &kv, &n, err);
	if (rc < 0)
		return rc;
	for (i = 0; rc == 0 && i < n; i++)
		rc = ipam_rec_take(b, &kv[i], err);
	ipam_kv_free(kv, n);
	return rc;
}

/* Write the records marked to be written ("#p"). */
static int recs_put(struct ipam_store *st, const struct ipam_range *r,
		    struct ipam_block *b, struct cni_err *err)
{
	char key[IPAM_KEY_MAX], *val;
	uint32_t off;
	int rc;

	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		if (!json_object_object_get_ex(rec, "#p", NULL))
			continue;
		off = (uint32_t)strtoul(k, NULL, 10);
		val = ipam_block_rec_str(b, off);
		if (!val)
			return cni_errf(err, CNI_ERR_IO, "out of memory");
		ipam_rec_key(r, b->idx, off, key);
		rc = ipam_store_put_any(st, key, val, strlen(val), err);
		free(val);
		if (rc < 0)
			return rc;
		json_object_object_del(rec, "#p");
	}
	return 0;
}

int ipam_rec_write_before(struct ipam_store *st, const struct ipam_range *r,
			  struct ipam_block *b, struct cni_err *err)
{
	return b->v1 ? recs_put(st, r, b, err) : 0;
}

/* One more write onto w (key and val taken; val NULL: a delete). */
static int ops_push(struct ipam_rec_ops *w, char *key, char *val)
{
	struct ipam_kv_op *nv;

	if (!key) {
		free(val);
		return -ENOMEM;
	}
	nv = realloc(w->v, (w->n + 1) * sizeof(*nv));
	if (!nv) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	w->v = nv;
	w->v[w->n++] = (struct ipam_kv_op){ key, val, val ? strlen(val) : 0 };
	return 0;
}

int ipam_rec_ops_del(struct ipam_rec_ops *w, const char *key)
{
	return ops_push(w, strdup(key), NULL);
}

int ipam_rec_ops_make(const struct ipam_range *r, const struct ipam_block *b,
		      struct ipam_rec_ops *ret)
{
	size_t i, n = b->gone ? json_object_array_length(b->gone) : 0;
	char key[IPAM_KEY_MAX];
	uint32_t off;
	int rc = 0;

	*ret = (struct ipam_rec_ops){ 0 };
	for (i = 0; i < n && rc == 0; i++) {
		off = (uint32_t)json_object_get_int64(
			json_object_array_get_idx(b->gone, i));
		ipam_rec_key(r, b->idx, off, key);
		rc = ops_push(ret, strdup(key), NULL);
	}
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		if (rc < 0 || !json_object_object_get_ex(rec, "#p", NULL))
			continue;
		off = (uint32_t)strtoul(k, NULL, 10);
		ipam_rec_key(r, b->idx, off, key);
		rc = ops_push(ret, strdup(key), ipam_block_rec_str(b, off));
		if (rc == 0 && !ret->v[ret->n - 1].val)
			rc = -ENOMEM;
	}
	if (rc < 0)
		ipam_rec_ops_done(NULL, ret);
	return rc;
}

void ipam_rec_ops_done(struct ipam_block *b, struct ipam_rec_ops *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free((char *)w->v[i].key);
		free((char *)w->v[i].val);
	}
	free(w->v);
	*w = (struct ipam_rec_ops){ 0 };
	if (!b)
		return;
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		(void)k;
		json_object_object_del(rec, "#p");
	}
	json_object_put(b->gone);
	b->gone = NULL;
	b->v1 = false;
}

void ipam_rec_drop_all(struct ipam_store *st, const struct ipam_range *r,
		       const struct ipam_block *b)
{
	char prefix[IPAM_KEY_MAX];
	struct ipam_kv *kv;
	size_t i, n;

	ipam_rec_prefix(r, b->idx, prefix);
	if (ipam_store_list(st, prefix, true, &kv, &n, NULL) < 0)
		return;
	for (i = 0; i < n; i++) {
		long off = key_off(kv[i].key);

		if (off >= 0 && !ipam_block_slot_hash(b, (uint32_t)off))
			ipam_store_del_if(st, kv[i].key, kv[i].ver, NULL);
	}
	ipam_kv_free(kv, n);
}
