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
#include "store.h"

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

void ipam_rec_key(const struct ipam_range *r, ipam_u128 idx, uint32_t off,
		  char *buf)
{
	char hex[33];

	snprintf(buf, IPAM_KEY_MAX, "%s/a/%s/%u", r->pool_id,
		 ipam_u128_hex(idx, r->net.addr.family, hex), off);
}

void ipam_rec_prefix(const struct ipam_range *r, ipam_u128 idx, char *buf)
{
	char hex[33];

	snprintf(buf, IPAM_KEY_MAX, "%s/a/%s/", r->pool_id,
		 ipam_u128_hex(idx, r->net.addr.family, hex));
}

/* FNV-1a, 64 bits, over s and its NUL. */
static uint64_t fnv1a(uint64_t h, const char *s)
{
	do {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	} while (*s++);
	return h;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
			     "xyz0123456789-_";

void ipam_slot_hash(const char *cid, const char *ifname, const char *claim,
		    char buf[IPAM_SLOT_HASH_LEN + 1])
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int i;

	if (cid) {
		h = fnv1a(h, cid);
		h = fnv1a(h, ifname ? ifname : "");
	} else {
		h = fnv1a(h, "claim:");
		h = fnv1a(h, claim ? claim : "");
	}
	for (i = 0; i < IPAM_SLOT_HASH_LEN; i++, h >>= 6)
		buf[i] = b64url[h & 63];
	buf[IPAM_SLOT_HASH_LEN] = '\0';
}

static const char *rec_str(json_object *rec, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(rec, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* The hash a record's slot holds. */
static void rec_hash(json_object *rec, char buf[IPAM_SLOT_HASH_LEN + 1])
{
	const char *cid = rec_str(rec, "cid");

	if (!*cid && *rec_str(rec, "claim"))
		ipam_slot_hash(NULL, NULL, rec_str(rec, "claim"), buf);
	else
		ipam_slot_hash(cid, rec_str(rec, "if"), NULL, buf);
}

static void rec_hash_set(json_object *rec)
{
	char h[IPAM_SLOT_HASH_LEN + 1];

	rec_hash(rec, h);
	json_object_object_add(rec, "#h", json_object_new_string(h));
}

static void block_init(struct ipam_block *ret, ipam_u128 idx, uint64_t ver,
		       json_object *o)
{
	ret->idx = idx;
	ret->ver = ver;
	ret->room = false;
	ret->v1 = false;
	ret->cached = false;
	ret->obj = o;
	ret->gone = NULL;
	ret->hdr = NULL;
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
	block_init(ret, idx, 0, o);
	return 0;
}

/* Is k an offset as a key of allocs writes it (decimal, no leading 0)? */
static bool off_valid(const char *k)
{
	size_t n = strspn(k, "0123456789");

	return n && !k[n] && n <= 10 && (k[0] != '0' || n == 1) &&
	       strtoul(k, NULL, 10) <= IPAM_BLOCK_OFF_MAX;
}

/* Format 1: records inline; each gets its hash and is written out at the
 * block's first write. */
static bool load_v1(json_object *o)
{
	json_object *a;

	if (!json_object_object_get_ex(o, "allocs", &a) ||
	    !json_object_is_type(a, json_type_object))
		return false;
	json_object_object_foreach (a, k, rec) {
		if (!off_valid(k) ||
		    !json_object_is_type(rec, json_type_object))
			return false;
		rec_hash_set(rec);
		json_object_object_add(rec, "#p", json_object_new_boolean(1));
	}
	return true;
}

/* A held slot (hash h, IPAM_SLOT_HASH_LEN characters) of node into
 * allocs as a stub. */
static void slot_add(json_object *allocs, size_t off, const char *h,
		     const char *node)
{
	json_object *e = json_object_new_object();
	char k[24];

	json_object_object_add(e, "node", json_object_new_string(node));
	json_object_object_add(
		e, "#h", json_object_new_string_len(h, IPAM_SLOT_HASH_LEN));
	json_object_object_add(e, "#s", json_object_new_boolean(1));
	snprintf(k, sizeof(k), "%zu", off);
	json_object_object_add(allocs, k, e);
}

/* The slot table: IPAM_SLOT_HASH_LEN base64url characters per held
 * offset, "." per free one, from offset 0 up to the last held one. */
static bool slots_parse(const char *p, const char *owner, json_object *allocs)
{
	size_t off, n;

	for (off = 0; *p; off++) {
		if (*p == '.') {
			p++;
			continue;
		}
		n = strspn(p, b64url);
		if (n < IPAM_SLOT_HASH_LEN || off > IPAM_BLOCK_OFF_MAX)
			return false;
		slot_add(allocs, off, p, owner);
		p += IPAM_SLOT_HASH_LEN;
	}
	return !off || p[-1] != '.';
}

/* "by": {"<off>": node} of the held offsets a borrower holds. */
static bool by_parse(json_object *o, json_object *allocs)
{
	json_object *by, *e;

	if (!json_object_object_get_ex(o, "by", &by))
		return true;
	if (!json_object_is_type(by, json_type_object))
		return false;
	json_object_object_foreach (by, k, v) {
		if (!json_object_is_type(v, json_type_string) ||
		    !ipam_key_safe(json_object_get_string(v)) ||
		    !json_object_object_get_ex(allocs, k, &e))
			return false;
		json_object_object_add(e, "node", json_object_get(v));
	}
	json_object_object_del(o, "by");
	return true;
}

/* Format 2: the slot table becomes allocs of stubs. */
static bool load_v2(json_object *o)
{
	json_object *v, *s, *n, *allocs;

	if (!json_object_object_get_ex(o, "v", &v) ||
	    !json_object_is_type(v, json_type_int) ||
	    json_object_get_int(v) != 2 ||
	    !json_object_object_get_ex(o, "slots", &s) ||
	    !json_object_is_type(s, json_type_string) ||
	    !json_object_object_get_ex(o, "node", &n) ||
	    !json_object_is_type(n, json_type_string))
		return false;
	allocs = json_object_new_object();
	json_object_object_add(o, "allocs", allocs);
	if (!slots_parse(json_object_get_string(s), json_object_get_string(n),
			 allocs) ||
	    !by_parse(o, allocs))
		return false;
	json_object_object_del(o, "slots");
	json_object_object_del(o, "v");
	return true;
}

int ipam_block_load(ipam_u128 idx, const char *key, const char *val, size_t len,
		    uint64_t ver, struct ipam_block *ret, struct cni_err *err)
{
	json_object *o, *n, *r = NULL;
	char what[320];
	bool v1, ok;
	int rc;

	snprintf(what, sizeof(what), "store key %.300s", key);
	/* a value over the limit is code 123, naming the key, not 7 */
	rc = cni_json_parse_max(val, len, CNI_JSON_MAX, what, &o, err);
	if (rc < 0)
		return rc;
	ok = json_object_is_type(o, json_type_object) &&
	     json_object_object_get_ex(o, "node", &n) &&
	     json_object_is_type(n, json_type_string) &&
	     (!json_object_object_get_ex(o, "reserved", &r) ||
	      json_object_is_type(r, json_type_object));
	v1 = ok && json_object_object_get_ex(o, "allocs", NULL);
	if (!ok || !(v1 ? load_v1(o) : load_v2(o))) {
		json_object_put(o);
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: not a block record", key);
	}
	block_init(ret, idx, ver, o);
	ret->v1 = v1;
	return 0;
}

void ipam_block_clear(struct ipam_block *b)
{
	if (!b)
		return;
	json_object_put(b->obj);
	json_object_put(b->gone);
	json_object_put(b->hdr);
	b->obj = NULL;
	b->gone = NULL;
	b->hdr = NULL;
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

static int off_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, c = *(const uint32_t *)y;

	return a < c ? -1 : a > c;
}

/* The held offsets of b, ascending (malloc'd, *ret_n of them). */
static uint32_t *held_offsets(const struct ipam_block *b, size_t *ret_n)
{
	json_object *allocs = ipam_block_allocs(b);
	size_t n = 0, max = (size_t)json_object_object_length(allocs);
	uint32_t *v = calloc(max ? max : 1, sizeof(*v));

	if (!v)
		return NULL;
	json_object_object_foreach (allocs, k, rec) {
		(void)rec;
		v[n++] = (uint32_t)strtoul(k, NULL, 10);
	}
	qsort(v, n, sizeof(*v), off_cmp);
	*ret_n = n;
	return v;
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

/* b's slot table (slots_parse) and, into by, its borrowers. */
static char *slots_fmt(const struct ipam_block *b, json_object *by)
{
	const char *owner = ipam_block_node(b);
	size_t i, n = 0, len, at = 0;
	uint32_t *offs = held_offsets(b, &n), next = 0;
	char *s, k[16];

	if (!offs)
		return NULL;
	len = (n ? offs[n - 1] + 1 : 0) + n * IPAM_SLOT_HASH_LEN + 1;
	s = malloc(len);
	for (i = 0; s && i < n; i++) {
		json_object *rec = rec_at(b, offs[i]);
		const char *node = rec_str(rec, "node");

		for (; next < offs[i]; next++)
			s[at++] = '.';
		memcpy(s + at, rec_str(rec, "#h"), IPAM_SLOT_HASH_LEN);
		at += IPAM_SLOT_HASH_LEN;
		next = offs[i] + 1;
		if (*node && strcmp(node, owner) != 0 && ipam_key_safe(node)) {
			snprintf(k, sizeof(k), "%u", offs[i]);
			json_object_object_add(by, k,
					       json_object_new_string(node));
		}
	}
	if (s)
		s[at] = '\0';
	free(offs);
	return s;
}

const char *ipam_block_str(struct ipam_block *b)
{
	json_object *h = json_object_new_object(), *c, *r;
	json_object *by = json_object_new_object();
	char *slots = h && by ? slots_fmt(b, by) : NULL;

	if (!slots) {
		json_object_put(h);
		json_object_put(by);
		return "";
	}
	json_object_object_add(h, "v", json_object_new_int(2));
	if (json_object_object_get_ex(b->obj, "cidr", &c))
		json_object_object_add(h, "cidr", json_object_get(c));
	json_object_object_add(h, "node",
			       json_object_new_string(ipam_block_node(b)));
	json_object_object_add(h, "slots", json_object_new_string(slots));
	free(slots);
	if (json_object_object_length(by))
		json_object_object_add(h, "by", by);
	else
		json_object_put(by);
	r = ipam_block_reservations(b);
	if (r)
		json_object_object_add(h, "reserved", json_object_get(r));
	json_object_put(b->hdr);
	b->hdr = h;
	return json_object_to_json_string_ext(
		h, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

bool ipam_block_rec_missing(const struct ipam_block *b, uint32_t off)
{
	json_object *rec = rec_at(b, off);

	return rec && json_object_object_get_ex(rec, "#s", NULL);
}

bool ipam_block_rec_names(const struct ipam_block *b, uint32_t off,
			  const char *cid, const char *ifname)
{
	json_object *rec = rec_at(b, off);

	if (!rec)
		return false;
	if (json_object_object_get_ex(rec, "#s", NULL))
		return true;
	return strcmp(rec_str(rec, "cid"), cid) == 0 &&
	       strcmp(rec_str(rec, "if"), ifname) == 0;
}

const char *ipam_block_rec_state(const struct ipam_block *b, uint32_t off)
{
	json_object *rec = rec_at(b, off);

	if (!rec || !json_object_object_get_ex(rec, "#s", NULL))
		return NULL;
	return json_object_object_get_ex(rec, "#stale", NULL) ? "(stale record)"
							      : "(no record)";
}

const char *ipam_block_slot_hash(const struct ipam_block *b, uint32_t off)
{
	json_object *rec = rec_at(b, off);

	return rec ? rec_str(rec, "#h") : NULL;
}

/* Is rec an object of strings only (a record as stored)? */
static bool rec_valid(json_object *rec)
{
	if (!json_object_is_type(rec, json_type_object))
		return false;
	json_object_object_foreach (rec, k, v) {
		if (k[0] == '#' || !json_object_is_type(v, json_type_string))
			return false;
	}
	return true;
}

int ipam_block_rec_load(struct ipam_block *b, uint32_t off, const char *key,
			const char *val, size_t len, struct cni_err *err)
{
	char h[IPAM_SLOT_HASH_LEN + 1], what[320], k[16];
	const char *slot = ipam_block_slot_hash(b, off);
	json_object *rec;
	int rc;

	snprintf(what, sizeof(what), "store key %.300s", key);
	rc = cni_json_parse_max(val, len, CNI_JSON_MAX, what, &rec, err);
	if (rc < 0)
		return rc;
	if (!rec_valid(rec)) {
		json_object_put(rec);
		return cni_errf(err, CNI_ERR_DECODE,
				"store key %s: not an allocation record", key);
	}
	rec_hash(rec, h);
	if (!slot || strcmp(slot, h) != 0) {
		json_object_put(rec);
		if (ipam_block_rec_missing(b, off)) /* for ls to say so */
			json_object_object_add(rec_at(b, off), "#stale",
					       json_object_new_boolean(1));
		return 0;
	}
	json_object_object_add(rec, "#h", json_object_new_string(h));
	snprintf(k, sizeof(k), "%u", off);
	json_object_object_add(ipam_block_allocs(b), k, rec);
	return 1;
}

char *ipam_block_rec_str(const struct ipam_block *b, uint32_t off)
{
	json_object *rec = rec_at(b, off), *c;
	char *s;

	if (!rec || !(c = json_object_new_object()))
		return NULL;
	json_object_object_foreach (rec, k, v) {
		if (k[0] != '#')
			json_object_object_add(c, k, json_object_get(v));
	}
	s = strdup(json_object_to_json_string_ext(
		c, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(c);
	return s;
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

int ipam_block_find_next(const struct ipam_block *b, const char *cid,
			 const char *ifname, long after, uint32_t *ret_off)
{
	char h[IPAM_SLOT_HASH_LEN + 1];
	long best = -1, off;

	if (!*cid)
		return -ENOENT;
	ipam_slot_hash(cid, ifname, NULL, h);
	json_object_object_foreach (ipam_block_allocs(b), k, rec) {
		off = strtol(k, NULL, 10);
		if (off > after && (best < 0 || off < best) &&
		    strcmp(rec_str(rec, "#h"), h) == 0)
			best = off;
	}
	if (best < 0)
		return -ENOENT;
	*ret_off = (uint32_t)best;
	return 0;
}

int ipam_block_find(const struct ipam_block *b, const char *cid,
		    const char *ifname, uint32_t *ret_off)
{
	return ipam_block_find_next(b, cid, ifname, -1, ret_off);
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
	rec_hash_set(rec);
	json_object_object_add(rec, "#p", json_object_new_boolean(1));
	snprintf(k, sizeof(k), "%u", off);
	json_object_object_add(ipam_block_allocs(b), k, rec);
	return 0;
}

void ipam_block_remove(struct ipam_block *b, uint32_t off)
{
	char k[16];

	snprintf(k, sizeof(k), "%u", off);
	if (!json_object_object_get_ex(ipam_block_allocs(b), k, NULL))
		return;
	json_object_object_del(ipam_block_allocs(b), k);
	if (!b->gone)
		b->gone = json_object_new_array();
	json_object_array_add(b->gone, json_object_new_int64(off));
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

bool ipam_block_holder(const struct ipam_block *b, uint32_t off, char *buf,
		       size_t size)
{
	json_object *rec = rec_at(b, off);
	const char *claim;

	if (!rec)
		return false;
	if (json_object_object_get_ex(rec, "#s", NULL)) {
		snprintf(buf, size,
			 "a container (no record in the store: slot hash %s, "
			 "node %s)",
			 rec_str(rec, "#h"), rec_str(rec, "node"));
		return true;
	}
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

	if (!rec || json_object_object_get_ex(rec, "#s", NULL))
		return;
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		json_object_object_del(rec, gone[i]);
	rec_hash_set(rec);
	json_object_object_add(rec, "#p", json_object_new_boolean(1));
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
