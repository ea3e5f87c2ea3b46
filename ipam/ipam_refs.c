/* SPDX-License-Identifier: Apache-2.0 */
/* A node's reference index: which blocks of a pool it has records in,
 * read with one get (ipam_refs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_refs.h"
#include "store.h"

void ipam_refs_key(const struct ipam_range *r, const char *node, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/i/%s", r->pool_id, node);
}

void ipam_refs_clear(struct ipam_refs *x)
{
	if (!x)
		return;
	free(x->idx);
	x->idx = NULL;
	x->n = x->cap = 0;
}

/* The position of idx, or where it would go. */
static size_t refs_pos(const struct ipam_refs *x, ipam_u128 idx)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (x->idx[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool ipam_refs_has(const struct ipam_refs *x, ipam_u128 idx)
{
	size_t i = refs_pos(x, idx);

	return i < x->n && x->idx[i] == idx;
}

static int refs_grow(struct ipam_refs *x, size_t want)
{
	size_t cap = x->cap ? x->cap : 8;
	ipam_u128 *p;

	while (cap < want)
		cap *= 2;
	if (cap == x->cap)
		return 0;
	p = realloc(x->idx, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	x->idx = p;
	x->cap = cap;
	return 0;
}

int ipam_refs_add(struct ipam_refs *x, ipam_u128 idx)
{
	size_t i = refs_pos(x, idx);
	int rc;

	if (i < x->n && x->idx[i] == idx)
		return 0;
	rc = refs_grow(x, x->n + 1);
	if (rc < 0)
		return rc;
	memmove(&x->idx[i + 1], &x->idx[i], (x->n - i) * sizeof(*x->idx));
	x->idx[i] = idx;
	x->n++;
	return 0;
}

bool ipam_refs_del(struct ipam_refs *x, ipam_u128 idx)
{
	size_t i = refs_pos(x, idx);

	if (i >= x->n || x->idx[i] != idx)
		return false;
	memmove(&x->idx[i], &x->idx[i + 1], (x->n - i - 1) * sizeof(*x->idx));
	x->n--;
	return true;
}

static size_t hex_width(const struct ipam_range *r)
{
	return r->net.addr.family == AF_INET ? 8 : 32;
}

/* Is idx a block of r's prefix? (Not only of range_start..range_end: a
 * narrowed range keeps the blocks a node has records in.) */
static bool in_pool(const struct ipam_range *r, ipam_u128 idx)
{
	return idx <= ipam_block_of(r, ipam_prefix_last(&r->net));
}

/* One entry of "blocks": hex of the family's width, inside r, above prev
 * (ascending, no repeats). */
static int refs_entry(const struct ipam_range *r, json_object *e, size_t i,
		      const struct ipam_refs *x, const char *key,
		      struct cni_err *err)
{
	const char *s = json_object_get_string(e);
	ipam_u128 idx;

	if (!json_object_is_type(e, json_type_string) ||
	    strlen(s) != hex_width(r) || ipam_u128_parse_hex(s, &idx) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: blocks[%zu] is not a block "
				"index of %zu hex digits",
				key, i, hex_width(r));
	if (!in_pool(r, idx))
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: blocks[%zu] \"%s\" is outside "
				"pool %s",
				key, i, s, r->pool_id);
	if (x->n && idx <= x->idx[x->n - 1])
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: blocks[%zu] \"%s\" is not in "
				"ascending order (or repeated)",
				key, i, s);
	x->idx[i] = idx;
	return 0;
}

static int refs_from(const struct ipam_range *r, const char *key,
		     json_object *o, struct ipam_refs *x, struct cni_err *err)
{
	json_object *a;
	size_t i, n;
	int rc;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "blocks", &a) ||
	    !json_object_is_type(a, json_type_array))
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: not a reference index "
				"(an object with an array \"blocks\")",
				key);
	n = json_object_array_length(a);
	rc = refs_grow(x, n ? n : 1);
	for (i = 0; rc == 0 && i < n; i++) {
		rc = refs_entry(r, json_object_array_get_idx(a, i), i, x, key,
				err);
		if (rc == 0)
			x->n++;
	}
	return rc;
}

int ipam_refs_parse(const struct ipam_range *r, const char *key,
		    const char *val, size_t len, uint64_t ver,
		    struct ipam_refs *ret, struct cni_err *err)
{
	struct ipam_refs x = { .ver = ver };
	char what[320];
	json_object *o;
	int rc;

	snprintf(what, sizeof(what), "store key %.300s", key);
	rc = cni_json_parse_max(val, len, CNI_JSON_MAX, what, &o, err);
	if (rc < 0)
		return rc;
	snprintf(x.key, sizeof(x.key), "%s", key);
	rc = refs_from(r, key, o, &x, err);
	json_object_put(o);
	if (rc < 0) {
		ipam_refs_clear(&x);
		return rc;
	}
	*ret = x;
	return 0;
}

int ipam_refs_fmt(const struct ipam_range *r, const struct ipam_refs *x,
		  char **ret, size_t *ret_len)
{
	size_t w = hex_width(r), size = 16 + x->n * (w + 3), n;
	char *buf = malloc(size), hex[33];

	if (!buf)
		return -ENOMEM;
	n = (size_t)snprintf(buf, size, "{\"blocks\":[");
	for (size_t i = 0; i < x->n; i++)
		n += (size_t)snprintf(
			buf + n, size - n, "%s\"%s\"", i ? "," : "",
			ipam_u128_hex(x->idx[i], r->net.addr.family, hex));
	n += (size_t)snprintf(buf + n, size - n, "]}");
	*ret = buf;
	*ret_len = n;
	return 0;
}

int ipam_refs_store(struct ipam_store *st, const struct ipam_range *r,
		    struct ipam_refs *x, struct cni_err *err)
{
	char *val;
	size_t len;
	int rc;

	rc = ipam_refs_fmt(r, x, &val, &len);
	if (rc < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (len > CNI_JSON_MAX)
		rc = cni_err_too_large(err, "the reference index limit",
				       CNI_JSON_MAX, x->key, len);
	else
		rc = ipam_store_put_if(st, x->key, val, len, x->ver, &x->ver,
				       err);
	free(val);
	return rc;
}

/* The old layout's reference keys of node (<pool>/n/<node>/<block>) into
 * x; *ret_kv keeps them for their deletion. */
static int refs_legacy_list(struct ipam_store *st, const struct ipam_range *r,
			    const char *node, struct ipam_refs *x,
			    struct ipam_kv **ret_kv, size_t *ret_n,
			    struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX];
	ipam_u128 idx;
	int rc;

	ipam_ref_prefix(r, node, prefix);
	rc = ipam_store_list(st, prefix, true, ret_kv, ret_n, err);
	if (rc == -ENOENT) {
		*ret_kv = NULL;
		*ret_n = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < *ret_n; i++)
		if (ipam_key_block_idx((*ret_kv)[i].key, &idx) == 0 &&
		    in_pool(r, idx))
			rc = ipam_refs_add(x, idx);
	if (rc < 0)
		ipam_kv_free(*ret_kv, *ret_n);
	return rc == -ENOMEM ? cni_errf(err, CNI_ERR_IO, "out of memory") : rc;
}

/* No index yet: read the old keys, create the index from them (empty
 * too), then delete them (a kill -9 in between leaves old keys nothing
 * reads, never a record without a reference). */
static int refs_migrate(struct ipam_store *st, const struct ipam_range *r,
			const char *node, bool write, struct ipam_refs *x,
			struct cni_err *err)
{
	struct ipam_kv *kv;
	size_t n;
	int rc;

	rc = refs_legacy_list(st, r, node, x, &kv, &n, err);
	if (rc < 0)
		return rc;
	if (write)
		rc = ipam_refs_store(st, r, x, err);
	for (size_t i = 0; write && rc == 0 && i < n; i++)
		ipam_store_del_if(st, kv[i].key, 0, NULL);
	ipam_kv_free(kv, n);
	return rc;
}

int ipam_refs_sweep_legacy(struct ipam_store *st, const struct ipam_range *r,
			   const char *node, size_t *ret_n, struct cni_err *err)
{
	char prefix[IPAM_KEY_MAX], key[IPAM_KEY_MAX];
	struct ipam_kv *kv = NULL;
	size_t n = 0, gone = 0;
	int rc;

	ipam_ref_prefix(r, node, prefix);
	rc = ipam_store_list(st, prefix, true, &kv, &n, err);
	if (rc == -ENOENT)
		rc = 0;
	if (rc == 0 && n) {
		ipam_refs_key(r, node, key);
		rc = ipam_store_get(st, key, NULL, NULL, NULL, err);
	}
	/* another writer may delete one first: -ENOENT, -ECANCELED */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (ipam_store_del_if(st, kv[i].key, kv[i].ver, NULL) == 0)
			gone++;
	ipam_kv_free(kv, n);
	if (rc == -ENOENT) /* no index: the migration reads them */
		rc = 0;
	if (rc == 0 && ret_n)
		*ret_n = gone;
	return rc;
}

int ipam_refs_load(struct ipam_store *st, const struct ipam_range *r,
		   const char *node, bool write, struct ipam_refs *ret,
		   struct cni_err *err)
{
	struct ipam_refs x = { 0 };
	char *val;
	size_t len;
	uint64_t ver;
	int rc;

	ipam_refs_key(r, node, x.key);
	rc = ipam_store_get(st, x.key, &val, &len, &ver, err);
	if (rc == 0) {
		rc = ipam_refs_parse(r, x.key, val, len, ver, ret, err);
		free(val);
		return rc;
	}
	if (rc != -ENOENT)
		return rc;
	rc = refs_migrate(st, r, node, write, &x, err);
	if (rc < 0) {
		ipam_refs_clear(&x);
		return rc;
	}
	*ret = x;
	return 0;
}
