/* SPDX-License-Identifier: Apache-2.0 */
/* The kubernetes store's pure part: object names, prefix labels, and
 * objects to and from a key's value and version (no I/O). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "kube_obj.h"
#include "store.h"

/* --- SHA-256 (FIPS 180-4) --- */

struct sha256 {
	uint32_t h[8];
	uint8_t blk[64];
	size_t fill;
	uint64_t total;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8], t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++)
		w[i] = w[i - 16] + w[i - 7] +
		       (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			w[i - 15] >> 3) +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(v, s->h, sizeof(v));
	for (i = 0; i < 64; i++) {
		t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
		     ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
		t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
		     ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha_update(struct sha256 *s, const uint8_t *p, size_t len)
{
	size_t n;

	s->total += len;
	while (len) {
		n = 64 - s->fill < len ? 64 - s->fill : len;
		memcpy(s->blk + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == 64) {
			sha_block(s, s->blk);
			s->fill = 0;
		}
	}
}

void kube_sha256_hex(const void *data, size_t len, char out[65])
{
	struct sha256 s = { .h = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				   0xa54ff53a, 0x510e527f, 0x9b05688c,
				   0x1f83d9ab, 0x5be0cd19 } };
	uint8_t pad[72] = { 0x80 };
	uint64_t bits;
	size_t npad;
	int i;

	sha_update(&s, data, len);
	bits = s.total * 8;
	npad = (s.fill < 56 ? 56 : 120) - s.fill;
	for (i = 0; i < 8; i++)
		pad[npad + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha_update(&s, pad, npad + 8);
	for (i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08" PRIx32, s.h[i]);
}

/* --- names and labels --- */

void kube_obj_name(const char *key, char buf[KUBE_NAME_MAX])
{
	char hash[65];
	size_t i, n = strlen(key);

	kube_sha256_hex(key, n, hash);
	memcpy(buf, "ipam-", 5);
	if (n > KUBE_READABLE_MAX)
		n = KUBE_READABLE_MAX;
	for (i = 0; i < n; i++) {
		char c = key[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf[5 + i] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
				     ? c
				     : '-';
	}
	snprintf(buf + 5 + n, KUBE_NAME_MAX - 5 - n, "-%.*s", KUBE_HASH_HEX,
		 hash);
}

static void label_of(const char *prefix, size_t len, int depth,
		     char lkey[KUBE_LABEL_KEY_MAX],
		     char lval[KUBE_LABEL_VAL_MAX])
{
	char hash[65];

	kube_sha256_hex(prefix, len, hash);
	snprintf(lkey, KUBE_LABEL_KEY_MAX, KUBE_LABEL_PREFIX "%d", depth);
	snprintf(lval, KUBE_LABEL_VAL_MAX, "%.*s", KUBE_HASH_HEX, hash);
}

int kube_prefix_label(const char *prefix, char lkey[KUBE_LABEL_KEY_MAX],
		      char lval[KUBE_LABEL_VAL_MAX])
{
	size_t len = strlen(prefix);
	int depth = 0;
	const char *p;

	if (!len || prefix[len - 1] != '/')
		return -EINVAL;
	for (p = prefix; *p; p++)
		depth += *p == '/';
	if (depth > KUBE_DEPTH_MAX)
		return -EINVAL;
	label_of(prefix, len, depth, lkey, lval);
	return 0;
}

int kube_key_valid(const char *key)
{
	char seg[256];
	const char *p = key, *q;
	size_t n;
	int depth = 0;

	for (;;) {
		q = strchr(p, '/');
		n = q ? (size_t)(q - p) : strlen(p);
		if (n >= sizeof(seg))
			return -EINVAL;
		memcpy(seg, p, n);
		seg[n] = '\0';
		if (!ipam_key_safe(seg))
			return -EINVAL;
		if (!q)
			return 0;
		if (++depth > KUBE_DEPTH_MAX)
			return -EINVAL;
		p = q + 1;
	}
}

/* --- objects --- */

static int add_str(json_object *o, const char *k, const char *v, size_t len)
{
	json_object *s = json_object_new_string_len(v, (int)len);

	if (!s || json_object_object_add(o, k, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

static json_object *labels_new(const char *key)
{
	json_object *l = json_object_new_object();
	char lkey[KUBE_LABEL_KEY_MAX], lval[KUBE_LABEL_VAL_MAX];
	const char *p;
	int depth = 0;

	for (p = key; l && (p = strchr(p, '/')); p++) {
		label_of(key, (size_t)(p - key) + 1, ++depth, lkey, lval);
		if (add_str(l, lkey, lval, strlen(lval))) {
			json_object_put(l);
			return NULL;
		}
	}
	return l;
}

static int add_obj(json_object *o, const char *k, json_object **v)
{
	if (json_object_object_add(o, k, *v))
		return -ENOMEM;
	*v = NULL; /* owned by o now */
	return 0;
}

json_object *kube_obj_new(const char *key, const char *val, size_t len,
			  uint64_t ver)
{
	json_object *o = json_object_new_object(), *md, *spec, *l, *an;
	const char *av = KUBE_GROUP "/" KUBE_VERSION;
	char name[KUBE_NAME_MAX], rv[24];
	int rc;

	md = json_object_new_object();
	spec = json_object_new_object();
	l = labels_new(key);
	an = json_object_new_object();
	kube_obj_name(key, name);
	snprintf(rv, sizeof(rv), "%" PRIu64, ver);
	rc = (!o || !md || !spec || !l || !an) ? -ENOMEM : 0;
	rc = rc ?: add_str(md, "name", name, strlen(name));
	if (rc == 0 && ver)
		rc = add_str(md, "resourceVersion", rv, strlen(rv));
	rc = rc ?: add_obj(md, "labels", &l);
	rc = rc ?: add_str(an, KUBE_KEY_ANNOTATION, key, strlen(key));
	rc = rc ?: add_obj(md, "annotations", &an);
	rc = rc ?: add_str(spec, "key", key, strlen(key));
	rc = rc ?: add_str(spec, "value", val, len);
	rc = rc ?: add_str(o, "apiVersion", av, strlen(av));
	rc = rc ?: add_str(o, "kind", KUBE_KIND, strlen(KUBE_KIND));
	rc = rc ?: add_obj(o, "metadata", &md);
	rc = rc ?: add_obj(o, "spec", &spec);
	json_object_put(l);
	json_object_put(an);
	json_object_put(md);
	json_object_put(spec);
	if (rc) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int kube_rv_parse(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	const char *p;

	if (!s || !*s || strlen(s) > 20)
		return -EINVAL;
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!v)
		return -EINVAL;
	*ret = v;
	return 0;
}

static const char *str_at(json_object *o, const char *k1, const char *k2)
{
	json_object *a, *b;

	if (!json_object_object_get_ex(o, k1, &a) ||
	    !json_object_object_get_ex(a, k2, &b) ||
	    !json_object_is_type(b, json_type_string))
		return NULL;
	return json_object_get_string(b);
}

int kube_obj_parse(json_object *obj, const char **ret_key, const char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	const char *key = str_at(obj, "spec", "key");
	const char *val = str_at(obj, "spec", "value");
	const char *rv = str_at(obj, "metadata", "resourceVersion");
	const char *name = str_at(obj, "metadata", "name");
	json_object *spec, *v;
	uint64_t ver;

	if (!key || !val)
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: " KUBE_KIND " %s: no "
				"spec.key or "
				"spec.value",
				name ? name : "(no name)");
	if (kube_rv_parse(rv, &ver) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: " KUBE_KIND " %s: "
				"resourceVersion"
				" \"%s\" is not "
				"a number",
				name ? name : "(no name)", rv ? rv : "");
	json_object_object_get_ex(obj, "spec", &spec);
	json_object_object_get_ex(spec, "value", &v);
	*ret_key = key;
	*ret_val = val;
	*ret_len = (size_t)json_object_get_string_len(v);
	*ret_ver = ver;
	return 0;
}

static bool str_is(json_object *o, const char *k, const char *want)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), want) == 0;
}

bool kube_list_is_meta(json_object *doc)
{
	return str_is(doc, "kind", "PartialObjectMetadataList") &&
	       str_is(doc, "apiVersion", "meta.k8s.io/v1");
}

/* metadata.annotations[KUBE_KEY_ANNOTATION], else NULL */
static const char *annotated_key(json_object *obj)
{
	json_object *md, *an, *k;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an) ||
	    !json_object_object_get_ex(an, KUBE_KEY_ANNOTATION, &k) ||
	    !json_object_is_type(k, json_type_string))
		return NULL;
	return json_object_get_string(k);
}

int kube_meta_parse(json_object *obj, const char **ret_key, uint64_t *ret_ver,
		    struct cni_err *err)
{
	const char *key = annotated_key(obj);
	const char *rv = str_at(obj, "metadata", "resourceVersion");
	const char *name = str_at(obj, "metadata", "name");
	char want[KUBE_NAME_MAX];
	uint64_t ver;

	if (!key)
		return -ENODATA;
	kube_obj_name(key, want);
	if (!name || strcmp(name, want) != 0 || kube_key_valid(key) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: " KUBE_KIND " %s: "
				"annotation %s \"%.300s\" is not its key",
				name ? name : "(no name)", KUBE_KEY_ANNOTATION,
				key);
	if (kube_rv_parse(rv, &ver) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"kubernetes store: " KUBE_KIND " %s: "
				"resourceVersion \"%s\" is not a number",
				name, rv ? rv : "");
	*ret_key = key;
	*ret_ver = ver;
	return 0;
}

void kube_query_escape(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s && n + 4 < size; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c)) {
			buf[n++] = (char)c;
		} else {
			buf[n++] = '%';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
		}
	}
	buf[n] = '\0';
}
