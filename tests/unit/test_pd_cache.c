/* SPDX-License-Identifier: Apache-2.0 */
/* plexusd's warm caches and socket: the request parser (table), watch
 * events applied to a cache (every type, 410, refusals that change
 * nothing), what a cached object keeps, and the socket served from a
 * cache over a real unix socket (served, mismatch, unknown after the
 * wait, not ready, malformed and oversized refused, mode 0600); STATUS
 * and the reports: parsed strictly, the pod checked against the cache,
 * answered when the patch is done, reports never answered. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "pd_cache.h"
#include "pd_claims.h"
#include "pd_list.h"
#include "pd_server.h"
#include "pd_sock.h"

static void test_pd_sock_parse__table(void **state)
{
	static const struct {
		const char *line;
		int r;
	} t[] = {
		{ "POD default p1 0f1e-2d3c", 0 },
		{ "NAD kube-system cluster.net", 0 },
		{ "CLAIM tenant-a vm-a.net1", 0 },
		{ "CLAIM tenant-a", -EINVAL },
		{ "CLAIM tenant-a vm-a u1", -EINVAL },
		{ "CLAIM tenant-a vm-a ", -EINVAL },
		{ "CLAIM Tenant-a vm-a", -EINVAL },
		{ "CLAIM tenant-a vm_a", -EINVAL },
		{ "CLAIM tenant.a vm-a", -EINVAL },
		{ "claim tenant-a vm-a", -EINVAL },
		{ "CLAIMS tenant-a vm-a", -EINVAL },
		{ "POD default p1", -EINVAL },
		{ "NAD default n1 extra", -EINVAL },
		{ "POD default p1 u1 ", -EINVAL },
		{ " POD default p1 u1", -EINVAL },
		{ "POD  default p1 u1", -EINVAL },
		{ "POD Default p1 u1", -EINVAL },
		{ "POD default P1 u1", -EINVAL },
		{ "POD default p1 u/1", -EINVAL },
		{ "GET default p1 u1", -EINVAL },
		{ "pod default p1 u1", -EINVAL },
		{ "NAD default", -EINVAL },
		{ "", -EINVAL },
		{ "POD default p1 "
		  "012345678901234567890123456789012345678901234567890123456789"
		  "0"
		  "12345",
		  -EINVAL },
	};
	struct pd_sock_req r;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = pd_sock_parse(t[i].line, strlen(t[i].line), &r);

		if (got != t[i].r)
			fail_msg("\"%s\": got %d, want %d", t[i].line, got,
				 t[i].r);
	}
	assert_int_equal(pd_sock_parse("POD ns1 p.1 U-1", 15, &r), 0);
	assert_int_equal(r.verb, PD_SOCK_POD);
	assert_string_equal(r.ns, "ns1");
	assert_string_equal(r.name, "p.1");
	assert_string_equal(r.uid, "U-1");
	/* a NUL inside the line is refused, not cut */
	assert_int_equal(pd_sock_parse("NAD a b\0c", 9, &r), -EINVAL);
	assert_int_equal(pd_sock_parse("CLAIM ns c1", 11, &r), 0);
	assert_int_equal(r.verb, PD_SOCK_CLAIM);
	assert_string_equal(r.ns, "ns");
	assert_string_equal(r.name, "c1");
	assert_string_equal(r.uid, "");
}

static void test_pd_sock_parse__status_and_reports(void **state)
{
	static const struct {
		const char *line;
		int r;
	} t[] = {
		{ "STATUS default p1 u1 []", 0 },
		{ "STATUS default p1 u1 [{\"name\":\"a b\",\"ips\":[]},{}]",
		  0 },
		{ "STATUS default p1 u1", -EINVAL },
		{ "STATUS default p1 u1 ", -EINVAL },
		{ "STATUS default p1 []", -EINVAL },
		{ "STATUS default p1 u1 {}", -EINVAL },
		{ "STATUS default p1 u1 [1]", -EINVAL },
		{ "STATUS default p1 u1 [{}] ", -EINVAL },
		{ "STATUS default p1 u1  [{}]", -EINVAL },
		{ "STATUS default p1 u1 [{}]\t", -EINVAL },
		{ "STATUS default p1 u1 [{}][]", -EINVAL },
		{ "STATUS default p1 u1 [{}]x", -EINVAL },
		{ "STATUS default p1 u1 [{}", -EINVAL },
		{ "STATUS default p1 u/1 []", -EINVAL },
		{ "STATUS Default p1 u1 []", -EINVAL },
		{ "RESULT ADD 0 1500 0", 0 },
		{ "RESULT CHECK 999 3600000000 999", 0 },
		{ "RESULT DEL 1000 1 0", -EINVAL },
		{ "RESULT DEL 1 3600000001 0", -EINVAL },
		{ "RESULT DEL 01 1 0", -EINVAL },
		{ "RESULT DEL -1 1 0", -EINVAL },
		{ "RESULT DEL 1 1 1000", -EINVAL },
		{ "RESULT GC 0 1 0", -EINVAL },
		{ "RESULT ADD 0 1", -EINVAL },
		{ "RESULT ADD 0 1 0 x", -EINVAL },
		{ "CALL ADD 0 10 default/a1 bridge", 0 },
		{ "CALL DEL 7 10 we%22ird%5C%20net macvlan", 0 },
		{ "CALL ADD 0 10 a%zz bridge", -EINVAL },
		{ "CALL ADD 0 10 a%0a bridge", -EINVAL },
		{ "CALL ADD 0 10 a%7F bridge", -EINVAL },
		{ "CALL ADD 0 10 a\x01 bridge", -EINVAL },
		{ "CALL ADD 0 10 a% bridge", -EINVAL },
		{ "CALL ADD 0 10 a", -EINVAL },
		{ "CALL ADD 0 10 a b c", -EINVAL },
	};
	struct pd_sock_req r;
	static char line[PD_SOCK_STATUS_MAX + 16];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = pd_sock_parse(t[i].line, strlen(t[i].line), &r);

		if (got != t[i].r)
			fail_msg("\"%s\": got %d, want %d", t[i].line, got,
				 t[i].r);
	}
	assert_int_equal(
		pd_sock_parse("CALL DEL 7 10 we%22ird%5C%20net x", 33, &r), 0);
	assert_int_equal(r.verb, PD_SOCK_CALL);
	assert_int_equal(r.cni_verb, PD_VERB_DEL);
	assert_int_equal(r.code, 7);
	assert_int_equal(r.us, 10);
	assert_string_equal(r.network, "we\"ird\\ net");
	assert_string_equal(r.type, "x");
	assert_int_equal(pd_sock_parse("STATUS ns p u [{}]", 18, &r), 0);
	assert_int_equal(r.body_len, 4);
	assert_memory_equal(r.body, "[{}]", 4);
	/* STATUS up to PD_SOCK_STATUS_MAX - 1 bytes, other lines 511 */
	snprintf(line, sizeof(line), "STATUS ns p u [{\"a\":\"");
	memset(line + strlen(line), 'x', sizeof(line) - strlen(line) - 1);
	strcpy(line + PD_SOCK_STATUS_MAX - 1 - 4, "\"}]");
	assert_int_equal(pd_sock_parse(line, PD_SOCK_STATUS_MAX - 2, &r), 0);
	strcpy(line + PD_SOCK_STATUS_MAX - 4, "\"}]");
	assert_int_equal(pd_sock_parse(line, PD_SOCK_STATUS_MAX - 1, &r),
			 -EINVAL);
	snprintf(line, sizeof(line), "CALL ADD 0 1 ");
	memset(line + 13, 'n', 600);
	strcpy(line + 13 + 100, " t");
	assert_int_equal(pd_sock_parse(line, strlen(line), &r), 0);
	memset(line + 13, 'n', 600);
	strcpy(line + 13 + 129, " t");
	assert_int_equal(pd_sock_parse(line, strlen(line), &r), -EINVAL);
}

static int ev(struct pd_cache *c, const char *line)
{
	struct cni_err err = { 0 };

	return pd_cache_event(c, line, strlen(line), &err);
}

#define POD_EV(type, uid, rv, ann)                                             \
	"{\"type\":\"" type "\",\"object\":{\"metadata\":{\"namespace\":"      \
	"\"default\",\"name\":\"p1\",\"uid\":\"" uid "\",\"resourceVersion\":" \
	"\"" rv "\",\"labels\":{\"l\":\"x\"},\"annotations\":" ann "},"        \
	"\"spec\":{\"nodeName\":\"n1\",\"containers\":[]}}}"

static void test_pd_cache_get__exact_text(void **state)
{
	struct pd_cache *c;
	char *json = NULL;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_PODS, &c), 0);
	assert_int_equal(ev(c, POD_EV("ADDED", "u1", "5", "{\"a\":\"1\"}")), 0);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u1", &json), 0);
	assert_string_equal(json, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
				  "\"metadata\":{\"namespace\":\"default\","
				  "\"name\":\"p1\",\"uid\":\"u1\","
				  "\"resourceVersion\":\"5\","
				  "\"annotations\":{\"a\":\"1\"}}}");
	free(json);
	pd_cache_free(c);
}

/* a fetched pod: cut down as the cache cuts it, served only for its
 * uid, and only as the pod asked for */
static void test_pd_cache_pod_cut__uid_and_text(void **state)
{
	const char *text = POD_EV("ADDED", "u1", "5", "{\"a\":\"1\"}");
	json_object *line = json_tokener_parse(text), *pod;
	struct pd_cache *c;
	char *cached = NULL, *json = NULL;

	(void)state;
	assert_non_null(line);
	assert_true(json_object_object_get_ex(line, "object", &pod));
	assert_int_equal(pd_cache_new(PD_CACHE_PODS, &c), 0);
	assert_int_equal(ev(c, text), 0);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u1", &cached), 0);
	assert_int_equal(pd_cache_pod_cut(pod, "default", "p1", "u1", &json),
			 0);
	assert_string_equal(json, cached);
	assert_int_equal(pd_cache_pod_cut(pod, "default", "p1", "u2", &json),
			 -ESTALE);
	assert_int_equal(pd_cache_pod_cut(pod, "default", "p2", "u1", &json),
			 -EINVAL);
	assert_int_equal(pd_cache_pod_cut(pod, "other", "p1", "u1", &json),
			 -EINVAL);
	assert_string_equal(json, cached); /* untouched on failure */
	free(json);
	free(cached);
	json_object_put(line);
	pd_cache_free(c);
}

#define CLAIM_EV(type, uid, rv, status)                                      \
	"{\"type\":\"" type "\",\"object\":{\"apiVersion\":"                 \
	"\"k8s.cni.cncf.io/v1alpha1\",\"kind\":\"IPAMClaim\",\"metadata\":{" \
	"\"namespace\":\"ns\",\"name\":\"vm-a.net1\",\"uid\":\"" uid "\","   \
	"\"resourceVersion\":\"" rv "\",\"labels\":{\"l\":\"x\"},"           \
	"\"annotations\":{\"a\":\"1\"},\"managedFields\":[{}]},\"spec\":{"   \
	"\"network\":\"storage\",\"interface\":\"net1\",\"ipRequests\":[]"   \
	"}" status "}}"

/* a claim keeps namespace, name, uid, resourceVersion, spec.network,
 * spec.interface and its whole status; a recreated one (new uid)
 * replaces it, and after DELETED nothing is served */
static void test_pd_cache_event__claims(void **state)
{
	struct pd_cache *c;
	char *json = NULL;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_CLAIMS, &c), 0);
	assert_int_equal(ev(c, CLAIM_EV("ADDED", "u1", "5",
					",\"status\":{\"ips\":[\"10.1.0.2/"
					"24\"],"
					"\"conditions\":[{\"type\":\"x\"}]}")),
			 0);
	assert_int_equal(pd_cache_get(c, "ns", "vm-a.net1", NULL, &json), 0);
	assert_string_equal(json, "{\"apiVersion\":\"k8s.cni.cncf.io/"
				  "v1alpha1\","
				  "\"kind\":\"IPAMClaim\",\"metadata\":{"
				  "\"namespace\":"
				  "\"ns\",\"name\":\"vm-a.net1\",\"uid\":"
				  "\"u1\","
				  "\"resourceVersion\":\"5\"},\"spec\":{"
				  "\"network\":"
				  "\"storage\",\"interface\":\"net1\"},"
				  "\"status\":{"
				  "\"ips\":[\"10.1.0.2/"
				  "24\"],\"conditions\":[{\"type\":"
				  "\"x\"}]}}");
	free(json);
	assert_int_equal(ev(c, CLAIM_EV("DELETED", "u1", "6", "")), 0);
	assert_int_equal(pd_cache_get(c, "ns", "vm-a.net1", NULL, &json),
			 -ENOENT);
	assert_int_equal(ev(c, CLAIM_EV("ADDED", "u2", "7", "")), 0);
	assert_int_equal(pd_cache_get(c, "ns", "vm-a.net1", NULL, &json), 0);
	assert_non_null(strstr(json, "\"uid\":\"u2\""));
	assert_null(strstr(json, "status"));
	free(json);
	pd_cache_free(c);
}

static int nad_ev(struct pd_cache *c, const char *type, int i)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "{\"type\":\"%s\",\"object\":{\"metadata\":{\"namespace\":"
		 "\"ns%d\",\"name\":\"n%d\",\"resourceVersion\":\"%d\"},"
		 "\"spec\":{\"config\":\"{}\"}}}",
		 type, i % 7, i, i + 1);
	return ev(c, line);
}

/* many keys: the table grows, and deletes keep every other key found */
static void test_pd_cache_event__many_added_deleted(void **state)
{
	struct pd_cache *c;
	char ns[16], name[16], *json;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_NADS, &c), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(nad_ev(c, "ADDED", i), 0);
	for (int i = 0; i < 1000; i += 3)
		assert_int_equal(nad_ev(c, "DELETED", i), 0);
	assert_int_equal(pd_cache_size(c), 1000 - 334);
	for (int i = 0; i < 1000; i++) {
		snprintf(ns, sizeof(ns), "ns%d", i % 7);
		snprintf(name, sizeof(name), "n%d", i);
		json = NULL;
		assert_int_equal(pd_cache_get(c, ns, name, NULL, &json),
				 i % 3 ? 0 : -ENOENT);
		free(json);
	}
	pd_cache_free(c);
}

static int nad_get(struct pd_cache *c, int i)
{
	char ns[16], name[16], *json = NULL;
	int r;

	snprintf(ns, sizeof(ns), "ns%d", i % 7);
	snprintf(name, sizeof(name), "n%d", i);
	r = pd_cache_get(c, ns, name, NULL, &json);
	free(json);
	return r;
}

/* over its bound a cache keeps what it has, drops new keys (counted),
 * never serves them; a deletion makes room; a list over the bound
 * keeps max objects and marks the cache full until a list fits */
static void test_pd_cache_set_max__drops_new_keys(void **state)
{
	struct cni_err err = { 0 };
	struct pd_cache *c;
	json_object *items = json_object_new_array();
	bool full = true;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_NADS, &c), 0);
	pd_cache_set_max(c, 3);
	for (int i = 0; i < 5; i++)
		assert_int_equal(nad_ev(c, "ADDED", i), 0);
	assert_int_equal(pd_cache_size(c), 3);
	assert_int_equal(pd_cache_dropped(c, &full), 2);
	assert_true(full);
	assert_int_equal(nad_get(c, 2), 0);
	assert_int_equal(nad_get(c, 3), -ENOENT);
	assert_int_equal(nad_get(c, 4), -ENOENT);
	/* a cached key is still updated when full */
	assert_int_equal(nad_ev(c, "MODIFIED", 1), 0);
	assert_int_equal(pd_cache_dropped(c, NULL), 2);
	/* a MODIFIED of a dropped key stays dropped */
	assert_int_equal(nad_ev(c, "MODIFIED", 4), 0);
	assert_int_equal(nad_get(c, 4), -ENOENT);
	assert_int_equal(pd_cache_dropped(c, NULL), 3);
	assert_int_equal(nad_ev(c, "DELETED", 0), 0);
	assert_int_equal(nad_ev(c, "ADDED", 4), 0);
	assert_int_equal(nad_get(c, 4), 0);
	for (int i = 0; i < 4; i++) {
		char o[160];

		snprintf(o, sizeof(o),
			 "{\"metadata\":{\"namespace\":\"a\",\"name\":"
			 "\"x%d\"}}",
			 i);
		json_object_array_add(items, json_tokener_parse(o));
	}
	assert_int_equal(pd_cache_relist(c, items, "9", &err), 0);
	assert_int_equal(pd_cache_size(c), 3);
	assert_int_equal(pd_cache_dropped(c, &full), 4);
	assert_true(full);
	json_object_array_del_idx(items, 0, 2);
	assert_int_equal(pd_cache_relist(c, items, "10", &err), 0);
	assert_int_equal(pd_cache_dropped(c, &full), 4);
	assert_false(full);
	json_object_put(items);
	pd_cache_free(c);
}

static void test_pd_cache_event__lifecycle(void **state)
{
	struct pd_cache *c;
	char rv[64], *json = NULL;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_PODS, &c), 0);
	assert_int_equal(ev(c, POD_EV("ADDED", "u1", "5", "{\"a\":\"1\"}")), 0);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u1", &json), 0);
	assert_non_null(strstr(json, "\"a\":\"1\""));
	/* only what selection reads: no labels, no spec */
	assert_null(strstr(json, "labels"));
	assert_null(strstr(json, "nodeName"));
	assert_non_null(strstr(json, "\"kind\":\"Pod\""));
	free(json);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u2", &json),
			 -ESTALE);
	assert_int_equal(ev(c, POD_EV("MODIFIED", "u1", "6", "{\"a\":\"2\"}")),
			 0);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u1", &json), 0);
	assert_non_null(strstr(json, "\"a\":\"2\""));
	free(json);
	assert_int_equal(ev(c, "{\"type\":\"BOOKMARK\",\"object\":{"
			       "\"metadata\":{"
			       "\"resourceVersion\":\"8\"}}}"),
			 0);
	pd_cache_rv(c, rv, sizeof(rv));
	assert_string_equal(rv, "8");
	/* refused: nothing changes */
	assert_int_equal(ev(c, "not json"), -EINVAL);
	assert_int_equal(ev(c, "{\"type\":\"ADDED\"}"), -EINVAL);
	assert_int_equal(ev(c, POD_EV("TOUCHED", "u1", "9", "{}")), -EINVAL);
	assert_int_equal(ev(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{"
			       "\"namespace\":\"Bad_NS\",\"name\":\"p\","
			       "\"resourceVersion\":\"9\"}}}"),
			 -EINVAL);
	assert_int_equal(ev(c, "{\"type\":\"ERROR\",\"object\":{\"code\":500,"
			       "\"message\":\"boom\"}}"),
			 -EINVAL);
	pd_cache_rv(c, rv, sizeof(rv));
	assert_string_equal(rv, "8");
	assert_int_equal(pd_cache_size(c), 1);
	/* 410: relist */
	assert_int_equal(ev(c, "{\"type\":\"ERROR\",\"object\":{\"kind\":"
			       "\"Status\",\"code\":410,\"reason\":"
			       "\"Expired\"}}"),
			 -ESTALE);
	assert_int_equal(ev(c, POD_EV("DELETED", "u1", "10", "{}")), 0);
	assert_int_equal(pd_cache_get(c, "default", "p1", "u1", &json),
			 -ENOENT);
	assert_int_equal(pd_cache_size(c), 0);
	pd_cache_free(c);
}

static void test_pd_cache_relist__replaces_keeps_nad_config(void **state)
{
	struct cni_err err = { 0 };
	struct pd_cache *c;
	json_object *items;
	char rv[64], *json = NULL;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_NADS, &c), 0);
	assert_int_equal(ev(c, "{\"type\":\"ADDED\",\"object\":{\"metadata\":{"
			       "\"namespace\":\"a\",\"name\":\"old\","
			       "\"resourceVersion\":\"3\"}}}"),
			 0);
	items = json_tokener_parse("[{\"metadata\":{\"namespace\":\"ns2\","
				   "\"name\":\"n1\","
				   "\"annotations\":{\"k8s.v1.cni.cncf.io/"
				   "resourceName\":\"r\"}},"
				   "\"spec\":{\"config\":\"{\\\"type\\\":"
				   "\\\"bridge\\\"}\","
				   "\"other\":1}}]");
	assert_non_null(items);
	assert_int_equal(pd_cache_relist(c, items, "42", &err), 0);
	assert_int_equal(pd_cache_size(c), 1);
	assert_int_equal(pd_cache_get(c, "a", "old", NULL, &json), -ENOENT);
	assert_int_equal(pd_cache_get(c, "ns2", "n1", NULL, &json), 0);
	assert_non_null(strstr(json, "\"config\":\"{\\\"type\\\""));
	assert_non_null(strstr(json, "resourceName"));
	assert_null(strstr(json, "other"));
	free(json);
	pd_cache_rv(c, rv, sizeof(rv));
	assert_string_equal(rv, "42");
	json_object_put(items);
	/* an item without a name: refused, the cache kept */
	items = json_tokener_parse("[{\"metadata\":{\"namespace\":\"x\"}}]");
	assert_true(pd_cache_relist(c, items, "50", &err) < 0);
	assert_int_equal(pd_cache_size(c), 1);
	json_object_put(items);
	pd_cache_free(c);
}

/* ---- a list answer read an item at a time ---- */

struct items_seen {
	int n;
	char text[4][96];
};

static int collect(void *ctx, const char *item, size_t n, struct cni_err *err)
{
	struct items_seen *is = ctx;

	(void)err;
	if (is->n < 4)
		snprintf(is->text[is->n], sizeof(is->text[0]), "%.*s", (int)n,
			 item);
	is->n++;
	return 0;
}

static void test_pd_list_scan__table(void **state)
{
	static const struct {
		const char *text;
		int rc, items;
		const char *first, *continue_;
	} cases[] = {
		{ "{\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"7\","
		  "\"continue\":\"c1\"},\"items\":[{\"a\":\"]}\\\"[{\"},"
		  " {\"b\":[1,{\"c\":2}]} ,{}]}",
		  0, 3, "{\"a\":\"]}\\\"[{\"}", "c1" },
		/* metadata after the items, whitespace, other values */
		{ " {\"items\" : [ ] , \"apiVersion\":\"v1\", \"x\":true,"
		  "\"n\":-1.5e3,\"metadata\":{}}\n",
		  0, 0, "", NULL },
		{ "{\"items\":[{\"a\":1}]}", 0, 1, "{\"a\":1}", NULL },
		{ "{\"metadata\":{}}", -EINVAL, 0, "", NULL },
		{ "{\"items\":{}}", -EINVAL, 0, "", NULL },
		{ "{\"items\":[{\"a\":1} {\"b\":1}]}", -EINVAL, 1, "", NULL },
		{ "{\"items\":[{\"a\":\"1}]}", -EINVAL, 0, "", NULL },
		{ "{\"items\":[]} x", -EINVAL, 0, "", NULL },
		{ "{\"items\":[]", -EINVAL, 0, "", NULL },
		{ "{\"items\":[],\"metadata\":{bad}}", -EINVAL, 0, "", NULL },
		{ "[]", -EINVAL, 0, "", NULL },
		{ "", -EINVAL, 0, "", NULL },
		{ "{items:[]}", -EINVAL, 0, "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct items_seen is = { 0 };
		struct cni_err err = { 0 };
		json_object *md = NULL, *v;
		int r = pd_list_scan(cases[i].text, strlen(cases[i].text),
				     collect, &is, &md, &err);

		print_message("case %zu: %s\n", i, cases[i].text);
		assert_int_equal(r, cases[i].rc);
		assert_int_equal(is.n, cases[i].items);
		if (r < 0) {
			assert_null(md);
			assert_int_equal(err.code, CNI_ERR_KUBERNETES);
			continue;
		}
		if (is.n)
			assert_string_equal(is.text[0], cases[i].first);
		if (cases[i].continue_) {
			assert_true(
				json_object_object_get_ex(md, "continue", &v));
			assert_string_equal(json_object_get_string(v),
					    cases[i].continue_);
		}
		json_object_put(md);
	}
}

static int stop_at_second(void *ctx, const char *item, size_t n,
			  struct cni_err *err)
{
	(void)item, (void)n, (void)err;
	return ++*(int *)ctx == 2 ? -E2BIG : 0;
}

static void test_pd_list_scan__item_refusal_stops(void **state)
{
	static const char text[] = "{\"items\":[{},{},{}],\"metadata\":{}}";
	struct cni_err err = { 0 };
	json_object *md = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(
		pd_list_scan(text, strlen(text), stop_at_second, &n, &md, &err),
		-E2BIG);
	assert_int_equal(n, 2);
	assert_null(md);
}

#define LNAD(name, rv, conf)                                        \
	"{\"metadata\":{\"namespace\":\"a\",\"name\":\"" name "\"," \
	"\"resourceVersion\":\"" rv "\"},\"spec\":{\"config\":\"" conf "\"}}"

static int list_texts(struct pd_cache *c, const char *const *items,
		      const char *rv, bool commit)
{
	struct pd_cache_list *l = NULL;
	struct cni_err err = { 0 };
	int r;

	assert_int_equal(pd_cache_list_new(c, &l), 0);
	for (r = 0; *items && r == 0; items++)
		r = pd_cache_list_item(l, *items, strlen(*items), &err);
	if (r == 0 && commit)
		pd_cache_list_commit(l, rv);
	else
		pd_cache_list_free(l);
	return r;
}

static void nad_has(struct pd_cache *c, const char *name, const char *text)
{
	char *json = NULL;

	assert_int_equal(pd_cache_get(c, "a", name, NULL, &json), 0);
	assert_non_null(strstr(json, text));
	free(json);
}

/* a relist shares the unchanged objects with the old table: each one
 * freed exactly once whatever happens (ASan and valgrind watch) */
static void test_pd_cache_list__relist_shares_unchanged(void **state)
{
	struct pd_cache *c;
	char *json = NULL;

	(void)state;
	assert_int_equal(pd_cache_new(PD_CACHE_NADS, &c), 0);
	assert_int_equal(
		list_texts(c,
			   (const char *const[]){ LNAD("x", "1", "cx"),
						  LNAD("y", "2", "cy"),
						  LNAD("z", "3", "cz"), NULL },
			   "3", true),
		0);
	/* x the same (twice), y changed, z gone, w new */
	assert_int_equal(
		list_texts(c,
			   (const char *const[]){ LNAD("x", "1", "cx"),
						  LNAD("y", "4", "cy2"),
						  LNAD("x", "1", "cx"),
						  LNAD("w", "5", "cw"), NULL },
			   "5", true),
		0);
	assert_int_equal(pd_cache_size(c), 3);
	nad_has(c, "x", "cx");
	nad_has(c, "y", "cy2");
	nad_has(c, "w", "cw");
	assert_int_equal(pd_cache_get(c, "a", "z", NULL, &json), -ENOENT);
	/* a list abandoned (a failure, or a refused item) leaves the cache
	 * whole, its shared objects with it */
	assert_int_equal(
		list_texts(c,
			   (const char *const[]){ LNAD("x", "1", "cx"),
						  LNAD("w", "6", "cw2"), NULL },
			   "6", false),
		0);
	assert_true(
		list_texts(c,
			   (const char *const[]){ LNAD("x", "1", "cx"),
						  "{\"metadata\":{}}", NULL },
			   "6", true) < 0);
	assert_true(list_texts(c,
			       (const char *const[]){ LNAD("y", "4", "cy2"),
						      "not json", NULL },
			       "6", true) < 0);
	assert_int_equal(pd_cache_size(c), 3);
	nad_has(c, "x", "cx");
	nad_has(c, "w", "cw");
	/* a relist changing x after a copy of it: the new text wins */
	assert_int_equal(
		list_texts(c,
			   (const char *const[]){ LNAD("x", "1", "cx"),
						  LNAD("x", "7", "cx3"), NULL },
			   "7", true),
		0);
	assert_int_equal(pd_cache_size(c), 1);
	nad_has(c, "x", "cx3");
	pd_cache_free(c);
}

/* ---- the socket, served from a real cache ---- */

struct srv {
	struct pd_cache *pods, *claims;
	bool synced;
	unsigned counts[PD_SOCK_RESULTS];
	unsigned long long status_id; /* the STATUS queued */
	char status_body[64];
	unsigned reports;
	unsigned long long fetch_id; /* the fetch queued */
	int fetch_rc;		     /* what the fetch hook answers */
};

static int status_hook(void *ctx, unsigned long long id,
		       const struct pd_sock_req *req)
{
	struct srv *s = ctx;

	s->status_id = id;
	snprintf(s->status_body, sizeof(s->status_body), "%.*s",
		 (int)req->body_len, req->body);
	return 0;
}

static int fetch_hook(void *ctx, unsigned long long id,
		      const struct pd_sock_req *req)
{
	struct srv *s = ctx;

	(void)req;
	s->fetch_id = id;
	return s->fetch_rc;
}

static void report_hook(void *ctx, const struct pd_sock_req *req)
{
	(void)req;
	((struct srv *)ctx)->reports++;
}

static int lookup(void *ctx, const struct pd_sock_req *req, char **ret)
{
	struct srv *s = ctx;

	if (!s->synced)
		return -EAGAIN;
	if (req->verb == PD_SOCK_CLAIM)
		return s->claims ? pd_cache_get(s->claims, req->ns, req->name,
						NULL, ret)
				 : -ENOENT;
	if (req->verb == PD_SOCK_NAD)
		return -ENOENT;
	return pd_cache_get(s->pods, req->ns, req->name, req->uid, ret);
}

static void count(void *ctx, enum pd_sock_result res)
{
	((struct srv *)ctx)->counts[res]++;
}

/* run the server side for up to ms */
static void pump(struct pd_sock *s, int ms)
{
	struct pollfd fds[1 + PD_SOCK_MAX_CONNS];
	long long end = pd_now_ms() + ms;

	while (pd_now_ms() < end) {
		size_t n = pd_sock_fill(s, fds);
		int t = pd_sock_timeout(s, pd_now_ms());

		poll(fds, n, t < 0 || t > 10 ? 10 : t);
		pd_sock_handle(s, fds, n, pd_now_ms());
	}
}

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* send req, run the server for ms, the reply's first line (or "") */
static char *exchange(struct pd_sock *s, int fd, const char *req, int ms)
{
	static char buf[4096];
	ssize_t n;

	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
			 (ssize_t)strlen(req));
	pump(s, ms);
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	if (strchr(buf, '\n'))
		*strchr(buf, '\n') = '\0';
	return buf;
}

/* a socket served from a fresh cache of kind (PD_CACHE_PODS or
 * PD_CACHE_CLAIMS) in a temporary directory; sub: the socket's
 * directory under it ("" for the directory itself), and one client
 * connected to it (fd) */
struct sockfix {
	char dir[32], path[128];
	struct srv sv;
	struct pd_sock *s;
	int fd;
};

static void sock_up(struct sockfix *f, enum pd_cache_kind kind, const char *sub,
		    bool synced)
{
	struct cni_err err = { 0 };
	struct pd_cache **c =
		kind == PD_CACHE_CLAIMS ? &f->sv.claims : &f->sv.pods;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/test_pd_sock.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s%s/pd.sock", f->dir, sub);
	f->sv.synced = synced;
	assert_int_equal(pd_cache_new(kind, c), 0);
	assert_int_equal(
		pd_sock_open(f->path, lookup, count, &f->sv, &f->s, &err), 0);
	f->fd = client(f->path);
}

/* closes the client and the socket; the socket file is gone */
static void sock_down(struct sockfix *f, const char *sub)
{
	char path[160];

	close(f->fd);
	pd_sock_close(f->s);
	assert_int_equal(access(f->path, F_OK), -1);
	pd_cache_free(f->sv.pods);
	pd_cache_free(f->sv.claims);
	if (*sub) {
		snprintf(path, sizeof(path), "%s%s", f->dir, sub);
		rmdir(path);
	}
	assert_int_equal(rmdir(f->dir), 0);
}

static void test_pd_sock__served_from_cache(void **state)
{
	struct sockfix f;
	struct srv *sv = &f.sv;
	struct pd_sock *s;
	char big[700];
	struct stat st;
	int fd;

	(void)state;
	sock_up(&f, PD_CACHE_PODS, "/run", false);
	s = f.s;
	fd = f.fd;
	assert_int_equal(stat(f.path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_string_equal(exchange(s, fd, "POD default p1 u1\n", 50), "NOTREA"
									"DY");
	sv->synced = true;
	/* not cached: waited for PD_SOCK_WAIT_MS, then unknown */
	assert_string_equal(exchange(s, fd, "POD default p1 u1\n", 30), "");
	pump(s, PD_SOCK_WAIT_MS);
	{
		char buf[64];
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

		assert_true(n > 0);
		buf[n] = '\0';
		assert_string_equal(buf, "UNKNOWN\n");
	}
	assert_int_equal(ev(sv->pods, POD_EV("ADDED", "u1", "5", "{}")), 0);
	assert_memory_equal(exchange(s, fd, "POD default p1 u1\n", 30), "OK {",
			    4);
	assert_string_equal(exchange(s, fd, "POD default p1 u2\n", 30), "MISMAT"
									"CH");
	assert_string_equal(exchange(s, fd, "NAD default n1\n", 30), "UNKNOWN");
	/* a pod that arrives during the wait is served */
	assert_string_equal(exchange(s, fd, "POD default p2 u1\n", 20), "");
	assert_int_equal(ev(sv->pods, "{\"type\":\"ADDED\",\"object\":{"
				      "\"metadata\":{"
				      "\"namespace\":\"default\",\"name\":"
				      "\"p2\","
				      "\"uid\":\"u1\",\"resourceVersion\":"
				      "\"6\"}"
				      "}}"),
			 0);
	pd_sock_changed(s, pd_now_ms());
	assert_memory_equal(exchange(s, fd, "", 20), "OK {", 4);
	assert_string_equal(exchange(s, fd, "POD default p1\n", 30), "ERR "
								     "malformed"
								     " reques"
								     "t");
	close(fd);
	fd = client(f.path);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_string_equal(exchange(s, fd, big, 30), "ERR request too long");
	close(fd);
	assert_int_equal(sv->counts[PD_SOCK_SERVED], 2);
	assert_int_equal(sv->counts[PD_SOCK_MALFORMED], 2);
	assert_int_equal(sv->counts[PD_SOCK_MISMATCH], 1);
	assert_int_equal(sv->counts[PD_SOCK_UNKNOWN], 2);
	assert_int_equal(sv->counts[PD_SOCK_NOTREADY], 1);
	/* still serving */
	f.fd = client(f.path);
	assert_memory_equal(exchange(s, f.fd, "POD default p1 u1\n", 30),
			    "OK {", 4);
	sock_down(&f, "/run");
}

/* CLAIM: answered at once (a miss is not waited for), never parked */
static void test_pd_sock__claim(void **state)
{
	struct sockfix f;
	struct pd_sock *s;
	int fd;

	(void)state;
	sock_up(&f, PD_CACHE_CLAIMS, "", false);
	s = f.s;
	fd = f.fd;
	assert_string_equal(exchange(s, fd, "CLAIM ns vm-a.net1\n", 20), "NOTRE"
									 "ADY");
	f.sv.synced = true;
	assert_string_equal(exchange(s, fd, "CLAIM ns vm-a.net1\n", 20), "UNKNO"
									 "WN");
	assert_int_equal(ev(f.sv.claims, CLAIM_EV("ADDED", "u1", "5", "")), 0);
	assert_memory_equal(exchange(s, fd, "CLAIM ns vm-a.net1\n", 20),
			    "OK {\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\"",
			    42);
	assert_string_equal(exchange(s, fd, "CLAIM ns vm-a.net1 u1\n", 20),
			    "ERR malformed request");
	assert_int_equal(f.sv.counts[PD_SOCK_SERVED], 1);
	assert_int_equal(f.sv.counts[PD_SOCK_UNKNOWN], 1);
	sock_down(&f, "");
}

/* the claims cache starts at the first lookup (NOTREADY until listed;
 * here its kubeconfig is missing, so it never lists) and stops */
static void test_pd_claims__lazy_start(void **state)
{
	struct pd_claims *cl = NULL;
	struct cni_err err = { 0 };
	char buf[2048], *json = NULL;

	(void)state;
	assert_int_equal(
		pd_claims_new("/nonexistent/kubeconfig", -1, 100, &cl, &err),
		0);
	assert_true(pd_claims_metrics(cl, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\nplexusd_claims_cache_started 0\n"));
	assert_int_equal(pd_claims_get(cl, "ns", "c1", &json), -EAGAIN);
	assert_int_equal(pd_claims_get(cl, "ns", "c1", &json), -EAGAIN);
	assert_null(json);
	assert_true(pd_claims_metrics(cl, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\nplexusd_claims_cache_started 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_claims_cache_synced 0\n"));
	assert_int_equal(pd_claims_metrics(cl, buf, 64), -ENOSPC);
	pd_claims_free(cl);
	pd_claims_free(NULL);
}

static void test_pd_sock__status(void **state)
{
	static char big[4096];
	struct sockfix f;
	struct srv *sv = &f.sv;
	struct pd_sock *s;
	int fd;

	(void)state;
	sock_up(&f, PD_CACHE_PODS, "", true);
	s = f.s;
	fd = f.fd;
	assert_int_equal(ev(sv->pods, POD_EV("ADDED", "u1", "5", "{}")), 0);
	/* without hooks: BUSY, plexus writes it */
	assert_string_equal(exchange(s, fd, "STATUS default p1 u1 []\n", 30),
			    "BUSY");
	pd_sock_set_hooks(s, status_hook, report_hook);
	assert_string_equal(exchange(s, fd, "STATUS default p1 u2 []\n", 30),
			    "MISMATCH");
	assert_string_equal(exchange(s, fd, "STATUS default p9 u1 []\n", 30),
			    "UNKNOWN");
	assert_int_equal(sv->status_id, 0);
	/* the cached pod: queued, answered when done; nothing read before */
	assert_string_equal(exchange(s, fd,
				     "STATUS default p1 u1 [{\"a\":1}]\n"
				     "POD default p1 u1\n",
				     30),
			    "");
	assert_true(sv->status_id != 0);
	assert_string_equal(sv->status_body, "[{\"a\":1}]");
	pd_sock_status_done(s, sv->status_id + 1, "OK", pd_now_ms());
	assert_string_equal(exchange(s, fd, "", 20), "");
	pd_sock_status_done(s, sv->status_id, "GONE HTTP 404", pd_now_ms());
	{
		char buf[256];
		ssize_t n;

		pump(s, 20);
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_memory_equal(buf, "GONE HTTP 404\nOK {", 18);
	}
	/* reports: taken, never answered; then a request is */
	assert_string_equal(exchange(s, fd,
				     "RESULT ADD 0 10 0\n"
				     "CALL ADD 0 10 a bridge\n",
				     30),
			    "");
	assert_int_equal(sv->reports, 2);
	/* a STATUS line over the small buffer grows it, then shrinks */
	memset(big, ' ', sizeof(big));
	memcpy(big, "STATUS default p1 u1 [", 22);
	strcpy(big + sizeof(big) - 3, "]\n");
	assert_string_equal(exchange(s, fd, big, 30), "");
	assert_int_equal(strlen(sv->status_body), 63);
	pd_sock_status_done(s, sv->status_id, "OK", pd_now_ms());
	assert_string_equal(exchange(s, fd, "", 20), "OK");
	assert_memory_equal(exchange(s, fd, "POD default p1 u1\n", 30), "OK {",
			    4);
	assert_int_equal(sv->counts[PD_SOCK_STATUS_PATCHED], 1);
	assert_int_equal(sv->counts[PD_SOCK_STATUS_DIRECT], 4);
	assert_int_equal(sv->counts[PD_SOCK_REPORTED], 2);
	assert_int_equal(sv->counts[PD_SOCK_MALFORMED], 0);
	sock_down(&f, "");
}

/* a pod not cached after the wait is fetched: answered for its uid
 * only; a fetch not queued, or one that found nothing, is UNKNOWN */
static void test_pd_sock__fetch(void **state)
{
	struct sockfix f;
	struct srv *sv = &f.sv;
	struct pd_sock *s;
	json_object *line =
		json_tokener_parse(POD_EV("ADDED", "u1", "5", "{}"));
	json_object *pod;
	int fd;

	(void)state;
	assert_true(json_object_object_get_ex(line, "object", &pod));
	sock_up(&f, PD_CACHE_PODS, "", true);
	s = f.s;
	fd = f.fd;
	pd_sock_set_fetch(s, fetch_hook);
	/* after the wait: queued, the answer waits for it */
	assert_string_equal(exchange(s, fd, "POD default p1 u1\n", 150), "");
	assert_true(sv->fetch_id != 0);
	assert_int_equal(pd_sock_fetch_done(s, sv->fetch_id + 1, pod, 0),
			 -ECONNRESET);
	assert_int_equal(pd_sock_fetch_done(s, sv->fetch_id, pod, pd_now_ms()),
			 0);
	assert_memory_equal(exchange(s, fd, "", 20), "OK {", 4);
	exchange(s, fd, "POD default p1 u2\n", 150);
	assert_int_equal(pd_sock_fetch_done(s, sv->fetch_id, pod, pd_now_ms()),
			 -ESTALE);
	assert_string_equal(exchange(s, fd, "", 20), "MISMATCH");
	exchange(s, fd, "POD default p1 u1\n", 150);
	assert_int_equal(pd_sock_fetch_done(s, sv->fetch_id, NULL, pd_now_ms()),
			 -ENOENT);
	assert_string_equal(exchange(s, fd, "", 20), "UNKNOWN");
	sv->fetch_rc = -EBUSY;
	assert_string_equal(exchange(s, fd, "POD default p1 u1\n", 150), "UNKNO"
									 "WN");
	assert_int_equal(sv->counts[PD_SOCK_SERVED], 1);
	assert_int_equal(sv->counts[PD_SOCK_MISMATCH], 1);
	assert_int_equal(sv->counts[PD_SOCK_UNKNOWN], 2);
	sock_down(&f, "");
	json_object_put(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pd_sock_parse__table),
		cmocka_unit_test(test_pd_sock_parse__status_and_reports),
		cmocka_unit_test(test_pd_sock__status),
		cmocka_unit_test(test_pd_sock__fetch),
		cmocka_unit_test(test_pd_cache_get__exact_text),
		cmocka_unit_test(test_pd_cache_pod_cut__uid_and_text),
		cmocka_unit_test(test_pd_cache_event__claims),
		cmocka_unit_test(test_pd_sock__claim),
		cmocka_unit_test(test_pd_claims__lazy_start),
		cmocka_unit_test(test_pd_cache_event__many_added_deleted),
		cmocka_unit_test(test_pd_cache_event__lifecycle),
		cmocka_unit_test(test_pd_cache_set_max__drops_new_keys),
		cmocka_unit_test(
			test_pd_cache_relist__replaces_keeps_nad_config),
		cmocka_unit_test(test_pd_sock__served_from_cache),
		cmocka_unit_test(test_pd_list_scan__table),
		cmocka_unit_test(test_pd_list_scan__item_refusal_stops),
		cmocka_unit_test(test_pd_cache_list__relist_shares_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
