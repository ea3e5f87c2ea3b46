/* SPDX-License-Identifier: Apache-2.0 */
/* Blocks: geometry, keys, and the JSON value that records allocations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_block.h"

int ipam_block_host_bits(const struct ipam_range *r)
{
	return ipam_addr_bits(r->net.addr.family) - r->block_len;
}

ipam_u128 ipam_block_base(const struct ipam_range *r, ipam_u128 idx)
{
	return r->net.addr.v + (idx << ipam_block_host_bits(r));
}

ipam_u128 ipam_block_of(const struct ipam_range *r, ipam_u128 a)
{
	return (a - r->net.addr.v) >> ipam_block_host_bits(r);
}

ipam_u128 ipam_block_first(const struct ipam_range *r)
{
	return ipam_block_of(r, r->start);
}

ipam_u128 ipam_block_last(const struct ipam_range *r)
{
	return ipam_block_of(r, r->end);
}

static bool block_has_slot(const struct ipam_range *r, ipam_u128 idx)
{
	ipam_u128 base = ipam_block_base(r, idx);
	uint32_t off, size = 1u << ipam_block_host_bits(r);

	for (off = 0; off < size; off++)
		if (!ipam_range_reserved(r, base + off))
			return true;
	return false;
}

ipam_u128 ipam_block_next_live(const struct ipam_range *r, ipam_u128 idx)
{
	struct ipam_prefix blk = { { r->net.addr.family, 0 }, r->block_len };
	size_t i;

	blk.addr.v = ipam_block_base(r, idx);
	for (i = 0; i < r->n_excl; i++) {
		const struct ipam_prefix *e = &r->excl[i];

		if (e->len <= blk.len && ipam_prefix_contains(e, &blk.addr)) {
			ipam_u128 last = ipam_prefix_last(e);

			if (last >= ipam_prefix_last(&r->net))
				return ipam_block_last(r) + 1;
			return ipam_block_of(r, last) + 1;
		}
	}
	return block_has_slot(r, idx) ? idx : idx + 1;
}

void ipam_block_key(const struct ipam_range *r, ipam_u128 idx, char *buf)
{
	char hex[33];

	snprintf(buf, IPAM_KEY_MAX, "%s/b/%s", r->pool_id,
		 ipam_u128_hex(idx, r->net.addr.family, hex));
}

void ipam_block_prefix(const struct ipam_range *r, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/b/", r->pool_id);
}

void ipam_ref_key(const struct ipam_range *r, const char *node, ipam_u128 idx,
		  char *buf)
{
	char hex[33];

	snprintf(buf, IPAM_KEY_MAX, "%s/n/%s/%s", r->pool_id, node,
		 ipam_u128_hex(idx, r->net.addr.family, hex));
}

void ipam_ref_prefix(const struct ipam_range *r, const char *node, char *buf)
{
	snprintf(buf, IPAM_KEY_MAX, "%s/n/%s/", r->pool_id, node);
}

int ipam_key_block_idx(const char *key, ipam_u128 *ret)
{
	const char *s = strrchr(key, '/');

	return ipam_u128_parse_hex(s ? s + 1 : key, ret);
}

int ipam_block_new(const struct ipam_range *r, ipam_u128 idx, const char *node,
		   struct ipam_block *ret)
{
	struct ipam_prefix p = { { r->net.addr.family, 0 }, r->block_len };
	char cidr[IPAM_PREFIX_STRLEN];
	json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	p.addr.v = ipam_block_base(r, idx);
	json_object_object_add(
		o, "cidr", json_object_new_string(ipam_prefix_fmt(&p, cidr)));
	json_object_object_add(o, "node", json_object_new_string(node));
	json_object_object_add(o, "allocs", json_object_new_object());
	ret->idx = idx;
	ret->ver = 0;
	ret->room = false;
	ret->obj = o;
	return 0;
}

int ipam_block_load(ipam_u128 idx, const char *key, const char *val, size_t len,
		    uint64_t ver, struct ipam_block *ret, struct cni_err *err)
{
	json_object *o, *a, *n, *r = NULL;
	char what[320];
	int rc;

	snprintf(what, sizeof(what), "store key %.300s", key);
	/* a value over the limit is code 123, naming the key, not 7 */
	rc = cni_json_parse_max(val, len, CNI_JSON_MAX, what, &o, err);
	if (rc < 0)
		return rc;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "allocs", &a) ||
	    !json_object_is_type(a, json_type_object) ||
	    !json_object_object_get_ex(o, "node", &n) ||
	    !json_object_is_type(n, json_type_string) ||
	    (json_object_object_get_ex(o, "reserved", &r) &&
	     !json_object_is_type(r, json_type_object))) {
		json_object_put(o);
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: not a block record", key);
	}
	ret->idx = idx;
	ret->ver = ver;
	ret->room = false;
	ret->obj = o;
	return 0;
}

void ipam_block_clear(struct ipam_block *b)
{
	if (!b)
		return;
	json_object_put(b->obj);
	b->obj = NULL;
}

const char *ipam_block_node(const struct ipam_block *b)
{
	json_object *n;

	json_object_object_get_ex(b->obj, "node", &n);
	return json_object_get_string(n);
}

json_object *ipam_block_allocs(const struct ipam_block *b)
{
	json_object *a;

	json_object_object_get_ex(b->obj, "allocs", &a);
	return a;
}

const char *ipam_block_str(const struct ipam_block *b)
{
	return json_object_to_json_string_ext(
		b->obj,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

int ipam_block_free_slot(const struct ipam_range *r, const struct ipam_block *b,
			 uint32_t *ret_off)
{
	json_object *allocs = ipam_block_allocs(b);
	ipam_u128 base = ipam_block_base(r, b->idx);
	uint32_t off, size = 1u << ipam_block_host_bits(r);
	char k[16];

	for (off = 0; off < size; off++) {
		if (ipam_range_reserved(r, base + off))
			continue;
		snprintf(k, sizeof(k), "%u", off);
		if (json_object_object_get_ex(allocs, k, NULL) ||
		    ipam_block_reserved(b, off, NULL))
			continue;
		*ret_off = off;
		return 0;
	}
	return -ENOSPC;
}

static const char *rec_str(json_object *rec, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(rec, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int ipam_block_find(const struct ipam_block *b, const char *cid,
		    const char *ifname, uint32_t *ret_off)
{
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		if (*cid && strcmp(rec_str(rec, "cid"), cid) == 0 &&
		    strcmp(rec_str(rec, "if"), ifname) == 0) {
			*ret_off = (uint32_t)strtoul(k, NULL, 10);
			return 0;
		}
	}
	return -ENOENT;
}

static void rec_set(json_object *rec, const char *key, const char *val)
{
	if (val && *val)
		json_object_object_add(rec, key, json_object_new_string(val));
}

int ipam_block_add(struct ipam_block *b, uint32_t off,
		   const struct ipam_owner *o, const char *node)
{
	json_object *rec = json_object_new_object();
	char k[16];

	if (!rec)
		return -ENOMEM;
	rec_set(rec, "cid", o->cid);
	rec_set(rec, "if", o->ifname);
	rec_set(rec, "ns", o->ns);
	rec_set(rec, "pod", o->pod);
	rec_set(rec, "uid", o->uid);
	rec_set(rec, "node", node);
	rec_set(rec, "claim", o->claim);
	snprintf(k, sizeof(k), "%u", off);
	json_object_object_add(ipam_block_allocs(b), k, rec);
	return 0;
}

void ipam_block_remove(struct ipam_block *b, uint32_t off)
{
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	json_object_object_del(ipam_block_allocs(b), k);
}

bool ipam_block_empty(const struct ipam_block *b)
{
	json_object *r = ipam_block_reservations(b);

	return json_object_object_length(ipam_block_allocs(b)) == 0 &&
	       (!r || json_object_object_length(r) == 0);
}

void ipam_block_set_node(struct ipam_block *b, const char *node)
{
	json_object_object_add(b->obj, "node", json_object_new_string(node));
}

bool ipam_block_has_node(const struct ipam_block *b, const char *node)
{
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		(void)k;
		if (strcmp(rec_str(rec, "node"), node) == 0)
			return true;
	}
	return false;
}

static json_object *rec_at(const struct ipam_block *b, uint32_t off)
{
	json_object *rec;
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	if (!json_object_object_get_ex(ipam_block_allocs(b), k, &rec))
		return NULL;
	return rec;
}

bool ipam_block_holder(const struct ipam_block *b, uint32_t off, char *buf,
		       size_t size)
{
	json_object *rec = rec_at(b, off);
	const char *claim;

	if (!rec)
		return false;
	claim = rec_str(rec, "claim");
	if (*claim && !*rec_str(rec, "cid"))
		snprintf(buf, size, "IPAMClaim %s (no pod, last node %s)",
			 claim, rec_str(rec, "node"));
	else
		snprintf(buf, size,
			 "%s/%s (container %s, interface %s, node %s%s%s)",
			 rec_str(rec, "ns"), rec_str(rec, "pod"),
			 rec_str(rec, "cid"), rec_str(rec, "if"),
			 rec_str(rec, "node"), *claim ? ", IPAMClaim " : "",
			 claim);
	return true;
}

const char *ipam_block_claim(const struct ipam_block *b, uint32_t off,
			     bool *ret_attached)
{
	json_object *rec = rec_at(b, off);

	if (!rec || !*rec_str(rec, "claim"))
		return NULL;
	if (ret_attached)
		*ret_attached = *rec_str(rec, "cid") != '\0';
	return rec_str(rec, "claim");
}

void ipam_block_detach(struct ipam_block *b, uint32_t off)
{
	static const char *const gone[] = { "cid", "if", "pod", "uid" };
	json_object *rec = rec_at(b, off);

	for (size_t i = 0; rec && i < sizeof(gone) / sizeof(gone[0]); i++)
		json_object_object_del(rec, gone[i]);
}

json_object *ipam_block_reservations(const struct ipam_block *b)
{
	json_object *r;

	if (!json_object_object_get_ex(b->obj, "reserved", &r) ||
	    !json_object_is_type(r, json_type_object))
		return NULL;
	return r;
}

bool ipam_block_reserved(const struct ipam_block *b, uint32_t off,
			 const char **ret_at)
{
	json_object *r = ipam_block_reservations(b), *e;
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	if (!r || !json_object_object_get_ex(r, k, &e))
		return false;
	if (ret_at)
		*ret_at = rec_str(e, "at");
	return true;
}

int ipam_block_reserve(struct ipam_block *b, uint32_t off, const char *at)
{
	return ipam_block_reserve_why(b, off, at, NULL);
}

const char *ipam_block_reserve_reason(const struct ipam_block *b, uint32_t off)
{
	json_object *r = ipam_block_reservations(b), *e;
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	if (!r || !json_object_object_get_ex(r, k, &e) ||
	    !json_object_object_get_ex(e, "reason", NULL))
		return NULL;
	return rec_str(e, "reason");
}

int ipam_block_reserve_why(struct ipam_block *b, uint32_t off, const char *at,
			   const char *reason)
{
	json_object *r = ipam_block_reservations(b), *e;
	char k[16];

	if (!r) {
		r = json_object_new_object();
		if (!r)
			return -ENOMEM;
		json_object_object_add(b->obj, "reserved", r);
	}
	e = json_object_new_object();
	if (!e)
		return -ENOMEM;
	rec_set(e, "at", at);
	if (reason)
		rec_set(e, "reason", reason);
	snprintf(k, sizeof(k), "%u", off);
	json_object_object_add(r, k, e);
	return 0;
}

void ipam_block_unreserve(struct ipam_block *b, uint32_t off)
{
	json_object *r = ipam_block_reservations(b);
	char k[16];

	if (!r)
		return;
	snprintf(k, sizeof(k), "%u", off);
	json_object_object_del(r, k);
	if (json_object_object_length(r) == 0)
		json_object_object_del(b->obj, "reserved");
}
