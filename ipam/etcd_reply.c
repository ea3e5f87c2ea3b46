/* SPDX-License-Identifier: Apache-2.0 */
/* Parsing the etcd v3 JSON gateway's replies; base64. No curl here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "etcd_reply.h"
#include "store.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789+/";

int etcd_b64_encode(const char *in, size_t len, char **ret)
{
	const unsigned char *p = (const unsigned char *)in;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o;
	size_t i;

	if (!out)
		return -ENOMEM;
	for (i = 0, o = out; i + 2 < len; i += 3) {
		*o++ = b64[p[i] >> 2];
		*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64[p[i + 2] & 63];
	}
	if (i < len) {
		*o++ = b64[p[i] >> 2];
		if (i + 1 < len) {
			*o++ = b64[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = b64[(p[i + 1] & 15) << 2];
		} else {
			*o++ = b64[(p[i] & 3) << 4];
			*o++ = '=';
		}
		*o++ = '=';
	}
	*o = '\0';
	*ret = out;
	return 0;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;

	return p ? (int)(p - b64) : -1;
}

int etcd_b64_decode(const char *in, size_t len, char **ret, size_t *ret_len)
{
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0, v;
	char *out;

	while (len && in[len - 1] == '=')
		len--;
	out = malloc(len * 3 / 4 + 1);
	if (!out)
		return -ENOMEM;
	for (i = 0; i < len; i++) {
		v = b64_val(in[i]);
		if (v < 0) {
			free(out);
			return -EINVAL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

/* An int64 the gateway renders as a string (or, leniently, a number). */
static uint64_t num_get(json_object *obj, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 10);
	if (json_object_is_type(v, json_type_int))
		return (uint64_t)json_object_get_int64(v);
	return 0;
}

static int b64_field(json_object *kv, const char *key, char **ret,
		     size_t *ret_len)
{
	json_object *v;
	const char *s = "";

	if (json_object_object_get_ex(kv, key, &v)) {
		if (!json_object_is_type(v, json_type_string))
			return -EINVAL;
		s = json_object_get_string(v);
	}
	return etcd_b64_decode(s, strlen(s), ret, ret_len);
}

static int range_kv(json_object *e, size_t strip, struct ipam_kv *kv)
{
	char *key;
	size_t klen;

	if (!json_object_is_type(e, json_type_object) ||
	    b64_field(e, "key", &key, &klen) < 0)
		return -EINVAL;
	if (klen < strip || memchr(key, '\0', klen)) {
		free(key);
		return -EINVAL;
	}
	memmove(key, key + strip, klen - strip + 1);
	kv->key = key;
	kv->ver = num_get(e, "mod_revision");
	if (json_object_object_get_ex(e, "value", NULL) &&
	    b64_field(e, "value", &kv->val, &kv->len) < 0)
		return -EINVAL;
	return 0;
}

/* "more" (a bool; absent when false) and header.revision. */
static void range_meta(json_object *o, struct etcd_range_meta *ret)
{
	json_object *m, *h;

	ret->more = json_object_object_get_ex(o, "more", &m) &&
		    json_object_get_boolean(m);
	ret->rev = json_object_object_get_ex(o, "header", &h) &&
				   json_object_is_type(h, json_type_object)
			   ? num_get(h, "revision")
			   : 0;
}

int etcd_range_reply_parse(const char *buf, size_t len, size_t strip,
			   struct ipam_kv **ret, size_t *ret_n,
			   struct etcd_range_meta *ret_meta,
			   struct cni_err *err)
{
	json_object *o, *kvs = NULL;
	struct ipam_kv *kv;
	size_t i, n = 0;
	int rc;

	rc = cni_json_parse_max(buf, len, ETCD_REPLY_MAX, "etcd range reply",
				&o, err);
	if (rc < 0)
		return rc;
	if (!json_object_is_type(o, json_type_object) ||
	    (json_object_object_get_ex(o, "kvs", &kvs) &&
	     !json_object_is_type(kvs, json_type_array))) {
		json_object_put(o);
		return cni_errf(err, CNI_ERR_DECODE,
				"etcd range reply: not a range response");
	}
	if (kvs)
		n = json_object_array_length(kvs);
	kv = calloc(n ? n : 1, sizeof(*kv));
	for (i = 0, rc = kv ? 0 : -ENOMEM; rc == 0 && i < n; i++)
		rc = range_kv(json_object_array_get_idx(kvs, i), strip, &kv[i]);
	if (ret_meta)
		range_meta(o, ret_meta);
	json_object_put(o);
	if (rc < 0) {
		ipam_kv_free(kv, n);
		return rc == -ENOMEM ? rc
				     : cni_errf(err, CNI_ERR_DECODE,
						"etcd range reply: kvs[%zu] is "
						"malformed",
						i - 1);
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

int etcd_txn_reply_parse(const char *buf, size_t len, bool *ret_ok,
			 uint64_t *ret_rev, struct cni_err *err)
{
	json_object *o, *h, *s;
	int rc;

	rc = cni_json_parse_max(buf, len, ETCD_REPLY_MAX, "etcd txn reply", &o,
				err);
	if (rc < 0)
		return rc;
	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "header", &h) ||
	    !json_object_is_type(h, json_type_object)) {
		json_object_put(o);
		return cni_errf(err, CNI_ERR_DECODE,
				"etcd txn reply: no header");
	}
	*ret_ok = json_object_object_get_ex(o, "succeeded", &s) &&
		  json_object_get_boolean(s);
	*ret_rev = num_get(h, "revision");
	json_object_put(o);
	return 0;
}

/* "... (N vs. M)": M, else 0. */
static size_t limit_of(const char *msg)
{
	const char *p = strstr(msg, " vs. ");
	char *end;
	unsigned long long v;

	if (!p || p[5] < '0' || p[5] > '9')
		return 0;
	errno = 0;
	v = strtoull(p + 5, &end, 10);
	return errno || *end != ')' ? 0 : (size_t)v;
}

bool etcd_reply_too_large(const char *buf, size_t len, size_t *ret_limit)
{
	json_object *o = NULL, *m;
	const char *msg;
	bool big = false;

	*ret_limit = 0;
	if (!buf || cni_json_parse_max(buf, len, ETCD_REPLY_MAX, "etcd reply",
				       &o, NULL) < 0)
		return false;
	if (json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, "message", &m) &&
	    json_object_is_type(m, json_type_string)) {
		msg = json_object_get_string(m);
		if (strstr(msg, "request is too large"))
			big = true;
		else if (strstr(msg, "received message larger than max")) {
			big = true;
			*ret_limit = limit_of(msg);
		}
	}
	json_object_put(o);
	return big;
}
