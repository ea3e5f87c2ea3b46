/* SPDX-License-Identifier: Apache-2.0 */
/* The kubernetes store's pure part: SHA-256, object names, prefix
 * labels, objects to and from key/value/version; and its config errors
 * (no server needed). The store against the fixture API server is
 * tests/system/45-ipam-k8s.sh. */
#include <errno.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "kube_obj.h"
#include "store.h"

/* Digests from Python's hashlib. */
static void test_kube_sha256__vectors(void **state)
{
	char a[201], hex[65];

	(void)state;
	kube_sha256_hex("", 0, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
	memset(a, 'a', sizeof(a) - 1);
	a[200] = '\0';
	kube_sha256_hex(a, 55, hex); /* padding fits the last block */
	assert_string_equal(hex, "9f4390f8d30c2dd92ec9f095b65e2b9a"
				 "e9b0a925a5258e241c9f1e910f734318");
	kube_sha256_hex(a, 56, hex); /* padding needs one more block */
	assert_string_equal(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f"
				 "590ce20f1bde7090ef7970686ec6738a");
	kube_sha256_hex(a, 64, hex);
	assert_string_equal(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209"
				 "f439851db43d0ba5997337df154668eb");
	kube_sha256_hex(a, 200, hex);
	assert_string_equal(hex, "c2a908d98f5df987ade41b5fce213067"
				 "efbcc21ef2240212a41e54b5e7c28ae5");
}

/* Kubernetes' rule for object names (IsDNS1123Subdomain): at most 253
 * characters matching this; it does not limit the parts between dots. */
static bool k8s_name_valid(const char *s)
{
	regex_t re;
	bool ok;

	assert_int_equal(regcomp(&re,
				 "^[a-z0-9]([-a-z0-9]*[a-z0-9])?"
				 "([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	ok = strlen(s) <= 253 && regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void test_kube_obj_name__valid_and_distinct(void **state)
{
	static const char *const keys[] = {
		"10.50.0.0_24/b/00000000",
		"10.50.0.0_24/n/Worker-3/00000000",
		"10.50.0.0_24/n/worker-3/00000000", /* differs by case only */
		"::_0/b/00000000000000000000000000000000",
		"net.fd00:1::_64/n/node:1/0000000000000000000000000000ffff",
	};
	char names[5][KUBE_NAME_MAX], big[600];
	size_t i, j;

	(void)state;
	assert_false(k8s_name_valid("ipam-A"));
	assert_false(k8s_name_valid("ipam-a-"));
	kube_obj_name(keys[0], names[0]);
	assert_string_equal(names[0], "ipam-10-50-0-0-24-b-00000000-"
				      "ed4a1b8d40007fdc2870103dab8f8fb3ec644ed"
				      "b");
	for (i = 0; i < 5; i++) {
		kube_obj_name(keys[i], names[i]);
		assert_true(k8s_name_valid(names[i]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(names[i], names[j]);
	}
	/* A long key: readable part cut, the hash keeps it apart. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kube_obj_name(big, names[0]);
	big[sizeof(big) - 2] = 'y';
	kube_obj_name(big, names[1]);
	assert_int_equal(strlen(names[0]),
			 5 + KUBE_READABLE_MAX + 1 + KUBE_HASH_HEX);
	assert_true(strlen(names[0]) <= 253);
	assert_true(k8s_name_valid(names[0]));
	assert_string_not_equal(names[0], names[1]);
}

static const char *label_in(json_object *obj, const char *lkey)
{
	json_object *md, *l, *v;

	if (!json_object_object_get_ex(obj, "metadata", &md) ||
	    !json_object_object_get_ex(md, "labels", &l) ||
	    !json_object_object_get_ex(l, lkey, &v))
		return NULL;
	return json_object_get_string(v);
}

/* A prefix's selector matches the objects of the keys under it only. */
static void test_kube_prefix_label__matches_object_labels(void **state)
{
	char lkey[KUBE_LABEL_KEY_MAX], lval[KUBE_LABEL_VAL_MAX];
	json_object *o = kube_obj_new("p1/n/node-a/0001", "{}", 2, 0);
	json_object *other = kube_obj_new("p1/n/node-ab/0001", "{}", 2, 0);

	(void)state;
	assert_non_null(o);
	assert_int_equal(kube_prefix_label("p1/n/node-a/", lkey, lval), 0);
	assert_string_equal(lkey, "ipam.plexus.dev/p3");
	assert_int_equal(strlen(lval), KUBE_HASH_HEX);
	assert_string_equal(label_in(o, lkey), lval);
	assert_string_not_equal(label_in(other, lkey), lval);
	assert_int_equal(kube_prefix_label("p1/", lkey, lval), 0);
	assert_string_equal(lkey, "ipam.plexus.dev/p1");
	assert_string_equal(label_in(o, lkey), lval);
	assert_string_equal(label_in(other, lkey), lval);
	assert_null(label_in(o, "ipam.plexus.dev/p4"));
	assert_int_equal(kube_prefix_label("p1/n", lkey, lval), -EINVAL);
	assert_int_equal(kube_prefix_label("a/b/c/d/e/f/g/h/i/", lkey, lval),
			 -EINVAL);
	json_object_put(o);
	json_object_put(other);
}

static void test_kube_obj__roundtrip(void **state)
{
	const char *val = "{\"cidr\":\"10.0.0.0/26\",\"x\":\"\\\"q\\\"\"}";
	json_object *o = kube_obj_new("pool/b/0001", val, strlen(val), 0);
	json_object *md, *rv;
	struct cni_err err = { 0 };
	const char *k, *v;
	size_t len;
	uint64_t ver;

	(void)state;
	assert_string_equal(
		json_object_get_string(json_object_object_get(o, "apiVersion")),
		"ipam.plexus.dev/v1alpha1");
	assert_string_equal(
		json_object_get_string(json_object_object_get(o, "kind")), "IPA"
									   "MKe"
									   "y");
	/* A create carries no resourceVersion: nothing to parse yet. */
	md = json_object_object_get(o, "metadata");
	assert_false(json_object_object_get_ex(md, "resourceVersion", &rv));
	assert_true(kube_obj_parse(o, &k, &v, &len, &ver, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	json_object_put(o);
	o = kube_obj_new("pool/b/0001", val, strlen(val),
			 18446744073709551615ULL);
	/* Through text, as the server sends it back. */
	md = json_tokener_parse(json_object_to_json_string(o));
	assert_int_equal(kube_obj_parse(md, &k, &v, &len, &ver, &err), 0);
	assert_string_equal(k, "pool/b/0001");
	assert_string_equal(v, val);
	assert_int_equal(len, strlen(val));
	assert_true(ver == 18446744073709551615ULL);
	json_object_put(md);
	json_object_put(o);
}

static void test_kube_obj_parse__bad(void **state)
{
	static const char *const bad[] = {
		"{\"metadata\":{\"resourceVersion\":\"5\"}}",
		"{\"metadata\":{\"resourceVersion\":\"5\"},"
		"\"spec\":{\"key\":\"k\"}}",
		"{\"metadata\":{\"resourceVersion\":\"x5\"},"
		"\"spec\":{\"key\":\"k\",\"value\":\"v\"}}",
		"{\"metadata\":{\"resourceVersion\":\"0\"},"
		"\"spec\":{\"key\":\"k\",\"value\":\"v\"}}",
		"{\"metadata\":{\"resourceVersion\":5},"
		"\"spec\":{\"key\":\"k\",\"value\":\"v\"}}",
		"{\"spec\":{\"key\":\"k\",\"value\":{}}}",
	};
	struct cni_err err = { 0 };
	const char *k, *v;
	json_object *o;
	uint64_t ver = 7;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o = json_tokener_parse(bad[i]);
		err.code = 0;
		assert_true(kube_obj_parse(o, &k, &v, &len, &ver, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
		json_object_put(o);
	}
	assert_int_equal(ver, 7);
}

/* What kube-apiserver answers for KUBE_ACCEPT_META: each item only the
 * object's metadata. The key and version are there (the annotation),
 * the value is not. */
static void test_kube_meta_parse__from_object(void **state)
{
	const char *val = "{\"cidr\":\"10.0.0.0/26\",\"allocs\":{}}";
	json_object *o = kube_obj_new("pool/b/0001", val, strlen(val), 42);
	json_object *item = json_object_new_object(), *md, *an;
	struct cni_err err = { 0 };
	const char *k;
	uint64_t ver;

	(void)state;
	md = json_object_object_get(o, "metadata");
	an = json_object_object_get(md, "annotations");
	assert_string_equal(
		json_object_get_string(json_object_object_get(an, "ipam.plexus."
								  "dev/key")),
		"pool/b/0001");
	json_object_object_add(item, "kind",
			       json_object_new_string("PartialObjectMetadata"));
	json_object_object_add(item, "metadata", json_object_get(md));
	assert_null(strstr(json_object_to_json_string(item), "cidr"));
	assert_int_equal(kube_meta_parse(item, &k, &ver, &err), 0);
	assert_string_equal(k, "pool/b/0001");
	assert_int_equal(ver, 42);
	json_object_put(item);
	json_object_put(o);
}

static void test_kube_meta_parse__bad(void **state)
{
	char name[KUBE_NAME_MAX], buf[600];
	static const struct {
		const char *name, *ann, *rv;
		int rc;
	} t[] = {
		{ NULL, NULL, "5", -ENODATA },	    /* written before it */
		{ NULL, "7", "5", -ENODATA },	    /* not a string */
		{ "x", "\"p/b/1\"", "5", -EINVAL }, /* not the name */
		{ NULL, "\"p/b/1\"", "\"x\"", -EINVAL },
		{ NULL, "\"p/b/1\"", "\"0\"", -EINVAL },
		{ NULL, "\"p/b/1\"", "\"5\"", 0 },
	};
	struct cni_err err;
	const char *k;
	json_object *o;
	uint64_t ver;

	(void)state;
	kube_obj_name("p/b/1", name);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(buf, sizeof(buf),
			 "{\"metadata\":{\"name\":\"%s\",\"resourceVersion\":"
			 "%s%s%s%s}}",
			 t[i].name ? t[i].name : name, t[i].rv,
			 t[i].ann ? ",\"annotations\":{\"ipam.plexus.dev/key\":"
				  : "",
			 t[i].ann ? t[i].ann : "", t[i].ann ? "}" : "");
		o = json_tokener_parse(buf);
		assert_non_null(o);
		err = (struct cni_err){ 0 };
		if (t[i].rc == 0) {
			assert_int_equal(kube_meta_parse(o, &k, &ver, &err), 0);
			assert_string_equal(k, "p/b/1");
			assert_int_equal(ver, 5);
		} else if (t[i].rc == -ENODATA) {
			assert_int_equal(kube_meta_parse(o, &k, &ver, &err),
					 -ENODATA);
			assert_int_equal(err.code, 0);
		} else {
			assert_true(kube_meta_parse(o, &k, &ver, &err) < 0);
			assert_int_equal(err.code, CNI_ERR_DECODE);
		}
		json_object_put(o);
	}
}

static void test_kube_list_is_meta__kinds(void **state)
{
	static const struct {
		const char *doc;
		bool meta;
	} t[] = {
		{ "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
		  "\"meta.k8s.io/v1\",\"items\":[]}",
		  true },
		{ "{\"kind\":\"IPAMKeyList\",\"apiVersion\":"
		  "\"ipam.plexus.dev/v1alpha1\",\"items\":[]}",
		  false },
		{ "{\"kind\":\"PartialObjectMetadataList\",\"apiVersion\":"
		  "\"meta.k8s.io/v2\"}",
		  false },
		{ "{\"kind\":7,\"apiVersion\":\"meta.k8s.io/v1\"}", false },
		{ "{}", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_object *o = json_tokener_parse(t[i].doc);

		assert_int_equal(kube_list_is_meta(o), t[i].meta);
		json_object_put(o);
	}
}

static void test_kube_rv_parse__numbers(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(kube_rv_parse("42", &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(kube_rv_parse("18446744073709551615", &v), 0);
	assert_int_equal(kube_rv_parse("18446744073709551616", &v), -EINVAL);
	assert_int_equal(kube_rv_parse("", &v), -EINVAL);
	assert_int_equal(kube_rv_parse("0", &v), -EINVAL);
	assert_int_equal(kube_rv_parse("-1", &v), -EINVAL);
	assert_int_equal(kube_rv_parse(NULL, &v), -EINVAL);
}

static void test_kube_key_valid__segments_and_depth(void **state)
{
	(void)state;
	assert_int_equal(kube_key_valid("10.0.0.0_8/n/node:1/00000001"), 0);
	assert_int_equal(kube_key_valid("a/b/c/d/e/f/g/h/i"), 0);
	assert_int_equal(kube_key_valid("a/b/c/d/e/f/g/h/i/j"), -EINVAL);
	assert_int_equal(kube_key_valid("a//b"), -EINVAL);
	assert_int_equal(kube_key_valid("a/.b"), -EINVAL);
	assert_int_equal(kube_key_valid("a/b c"), -EINVAL);
	assert_int_equal(kube_key_valid(""), -EINVAL);
}

/* No kubeconfig and no in-cluster environment: a clear error at open. */
static void test_kube_store_open__config_errors(void **state)
{
	struct cni_err err = { 0 };
	struct ipam_store *st = NULL;
	json_object *c;

	(void)state;
	c = json_tokener_parse("{\"type\":\"kubernetes\",\"kubeconfig\":"
			       "\"/nonexistent/kubeconfig\"}");
	assert_true(ipam_store_open(c, &st, &err) < 0);
	assert_null(st);
	assert_non_null(strstr(err.msg, "kubernetes store"));
	assert_non_null(strstr(err.msg, "/nonexistent/kubeconfig"));
	json_object_put(c);
	c = json_tokener_parse("{\"type\":\"kubernetes\",\"kubeconfig\":7}");
	err.code = 0;
	assert_true(ipam_store_open(c, &st, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	json_object_put(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kube_sha256__vectors),
		cmocka_unit_test(test_kube_obj_name__valid_and_distinct),
		cmocka_unit_test(test_kube_prefix_label__matches_object_labels),
		cmocka_unit_test(test_kube_obj__roundtrip),
		cmocka_unit_test(test_kube_obj_parse__bad),
		cmocka_unit_test(test_kube_meta_parse__from_object),
		cmocka_unit_test(test_kube_meta_parse__bad),
		cmocka_unit_test(test_kube_list_is_meta__kinds),
		cmocka_unit_test(test_kube_rv_parse__numbers),
		cmocka_unit_test(test_kube_key_valid__segments_and_depth),
		cmocka_unit_test(test_kube_store_open__config_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
