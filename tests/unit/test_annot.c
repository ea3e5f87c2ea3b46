/* SPDX-License-Identifier: Apache-2.0 */
/* The networks annotation parser: every form, every rejection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "annot.h"
#include "k8s.h"
#include "cni_error.h"
#include "cni_json.h"

#define WHAT "pod ns1/p1: annotation " ANNOT_NETWORKS

static struct annot_list *parse_ok(const char *s)
{
	struct cni_err err = { 0 };
	struct annot_list *l = NULL;
	int r = annot_networks_parse(s, strlen(s), WHAT, &l, &err);

	if (r)
		print_error("unexpected error: %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_non_null(l);
	return l;
}

static void expect_elem(const struct annot_elem *e, const char *ns,
			const char *name, const char *ifname)
{
	assert_string_equal(e->name, name);
	if (ns)
		assert_string_equal(e->namespace, ns);
	else
		assert_null(e->namespace);
	if (ifname)
		assert_string_equal(e->ifname, ifname);
	else
		assert_null(e->ifname);
}

static void test_parse__empty_and_blank(void **state)
{
	static const char *const vals[] = { "", " ", "\t\n  " };

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		struct annot_list *l = parse_ok(vals[i]);

		assert_int_equal(l->n, 0);
		annot_list_free(l);
	}
}

static void test_parse__comma_forms(void **state)
{
	struct annot_list *l = parse_ok("a, ns2/b ,c@eth5,\tns3/d@net-x , e-1");

	(void)state;
	assert_int_equal(l->n, 5);
	expect_elem(&l->elems[0], NULL, "a", NULL);
	expect_elem(&l->elems[1], "ns2", "b", NULL);
	expect_elem(&l->elems[2], NULL, "c", "eth5");
	expect_elem(&l->elems[3], "ns3", "d", "net-x");
	expect_elem(&l->elems[4], NULL, "e-1", NULL);
	assert_null(l->elems[0].ips);
	assert_null(l->elems[0].mac);
	annot_list_free(l);
}

static void test_parse__comma_spaces_inside_parts(void **state)
{
	/* Multus trims each part around '/' and '@' too. */
	struct annot_list *l = parse_ok(" ns2 / b @ eth1 ");

	(void)state;
	assert_int_equal(l->n, 1);
	expect_elem(&l->elems[0], "ns2", "b", "eth1");
	annot_list_free(l);
}

static void test_parse__comma_same_network_twice(void **state)
{
	struct annot_list *l = parse_ok("a,a,a@x");

	(void)state;
	assert_int_equal(l->n, 3);
	annot_list_free(l);
}

static void test_parse__json_minimal(void **state)
{
	struct annot_list *l = parse_ok("[{\"name\":\"a\"},"
					" {\"name\":\"b\",\"namespace\":\"n\","
					"\"interface\":\"eth9\"}]");

	(void)state;
	assert_int_equal(l->n, 2);
	expect_elem(&l->elems[0], NULL, "a", NULL);
	expect_elem(&l->elems[1], "n", "b", "eth9");
	annot_list_free(l);
}

static void test_parse__json_every_key(void **state)
{
	struct annot_list *l = parse_ok(
		"  [ {\"name\":\"sriov-a\",\"namespace\":\"ns1\","
		"\"interface\":\"data0\",\"ips\":[\"10.1.1.5/24\","
		"\"fd00::5/64\",\"10.2.0.1\"],\"mac\":\"02:00:00:aa:bb:cc\","
		"\"infiniband-guid\":\"c2:11:22:33:44:55:66:77\","
		"\"default-route\":[\"10.1.1.1\"],"
		"\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,"
		"\"protocol\":\"tcp\"}],"
		"\"bandwidth\":{\"ingressRate\":1000,\"ingressBurst\":10},"
		"\"cni-args\":{\"foo\":\"bar\",\"n\":1},"
		"\"unknown-key\":{\"x\":[1,2]}} ]\n");
	const struct annot_elem *e;

	(void)state;
	assert_int_equal(l->n, 1);
	e = &l->elems[0];
	expect_elem(e, "ns1", "sriov-a", "data0");
	assert_int_equal(json_object_array_length(e->ips), 3);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(e->ips, 1)),
		"fd00::5/64");
	assert_string_equal(e->mac, "02:00:00:aa:bb:cc");
	assert_string_equal(e->infiniband_guid, "c2:11:22:33:44:55:66:77");
	assert_int_equal(json_object_array_length(e->default_route), 1);
	assert_int_equal(json_object_array_length(e->port_mappings), 1);
	assert_true(json_object_is_type(e->bandwidth, json_type_object));
	assert_string_equal(cni_json_str(e->cni_args), "{\"foo\":\"bar\",\"n\":"
						       "1}");
	assert_null(e->ipam_claim);
	annot_list_free(l);
}

static void test_parse__json_nulls_and_empty_strings(void **state)
{
	/* As Go's decoder: null is "absent"; an empty namespace or
	 * interface means the default. */
	struct annot_list *l = parse_ok("[{\"name\":\"a\",\"namespace\":\"\","
					"\"interface\":\"\","
					"\"ips\":null,\"mac\":null,\"cni-"
					"args\":null}]");

	(void)state;
	expect_elem(&l->elems[0], NULL, "a", NULL);
	assert_null(l->elems[0].ips);
	assert_null(l->elems[0].cni_args);
	annot_list_free(l);
}

static void test_parse__json_empty_list(void **state)
{
	struct annot_list *l = parse_ok("[]");

	(void)state;
	assert_int_equal(l->n, 0);
	annot_list_free(l);
}

static void test_parse__json_ipam_claim(void **state)
{
	struct annot_list *l = parse_ok("[{\"name\":\"a\",\"ipam-claim-"
					"reference\":\"c1\"}]");

	(void)state;
	assert_string_equal(l->elems[0].ipam_claim, "c1");
	annot_list_free(l);
}

static void test_parse__mac_forms(void **state)
{
	static const char *const ok[] = {
		"02:00:00:AA:bb:cc",
		"02-00-00-aa-bb-cc",
		"00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01",
		"02:00:00:aa:bb:cc:dd:ee",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char buf[256];
		struct annot_list *l;

		snprintf(buf, sizeof(buf), "[{\"name\":\"a\",\"mac\":\"%s\"}]",
			 ok[i]);
		l = parse_ok(buf);
		assert_string_equal(l->elems[0].mac, ok[i]);
		annot_list_free(l);
	}
}

static void test_parse__not_nul_terminated(void **state)
{
	/* The parser reads exactly len bytes. */
	const char buf[] = { 'a', ',', 'b', 'X', 'Y' };
	struct annot_list *l = NULL;

	(void)state;
	assert_int_equal(annot_networks_parse(buf, 3, WHAT, &l, NULL), 0);
	assert_int_equal(l->n, 2);
	expect_elem(&l->elems[1], NULL, "b", NULL);
	annot_list_free(l);
}

static void test_dns1123(void **state)
{
	char long_label[70], long_sub[300];

	(void)state;
	assert_true(k8s_name_is_label("a"));
	assert_true(k8s_name_is_label("0a-b9"));
	assert_false(k8s_name_is_label(""));
	assert_false(k8s_name_is_label(NULL));
	assert_false(k8s_name_is_label("-a"));
	assert_false(k8s_name_is_label("a-"));
	assert_false(k8s_name_is_label("A"));
	assert_false(k8s_name_is_label("a.b"));
	assert_false(k8s_name_is_label("a_b"));
	memset(long_label, 'a', 63);
	long_label[63] = '\0';
	assert_true(k8s_name_is_label(long_label));
	long_label[63] = 'a';
	long_label[64] = '\0';
	assert_false(k8s_name_is_label(long_label));
	assert_true(k8s_name_is_subdomain("a.b-c.d"));
	assert_true(k8s_name_is_subdomain("pod-7f9c"));
	assert_false(k8s_name_is_subdomain("a..b"));
	assert_false(k8s_name_is_subdomain(".a"));
	assert_false(k8s_name_is_subdomain("a."));
	assert_false(k8s_name_is_subdomain("a/b"));
	assert_false(k8s_name_is_subdomain(long_label));
	for (size_t i = 0; i < 254; i++)
		long_sub[i] = i % 2 ? '.' : 'a';
	long_sub[253] = '\0';
	assert_true(k8s_name_is_subdomain(long_sub));
	long_sub[253] = 'a';
	long_sub[254] = '\0';
	assert_false(k8s_name_is_subdomain(long_sub));
}

/* Every rejection: the value, and a piece the message must hold. */
static const struct {
	const char *val;
	const char *msg;
} rejects[] = {
	/* comma form */
	{ "a,,b", "element 1: empty" },
	{ "a,", "element 1: empty" },
	{ ",a", "element 0: empty" },
	{ "ns/a/b", "element 0: \"ns/a/b\" has more than one '/'" },
	{ "a@x@y", "more than one '@'" },
	{ "A", "element 0: name \"A\" is not a DNS-1123 label" },
	{ "a_b", "name \"a_b\" is not a DNS-1123 label" },
	{ "-a", "name \"-a\"" },
	{ "a-", "name \"a-\"" },
	{ "a.b", "name \"a.b\"" },
	{ "x, Ns/a", "element 1: namespace \"Ns\"" },
	{ "/a", "namespace \"\"" },
	{ "ns/", "name \"\"" },
	{ "ns/@eth1", "name \"\"" },
	{ "a@", "element 0: interface: interface name is empty" },
	{ "a@0123456789abcdef", "longer than 15 bytes" },
	{ "a@et h0", "name \"" },
	{ "b, a@eth1:1", "element 1: interface: interface name \"eth1:1\"" },
	{ "a@..", "interface name \"..\" is not allowed" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "is not a DNS-1123 label" },
	/* JSON form */
	{ "[", "invalid JSON" },
	{ "[{\"name\":\"a\"}", "invalid JSON" },
	{ "[{\"name\":\"a\"}] x", "invalid JSON" },
	{ "{\"name\":\"a\"}", "the JSON form must be a list" },
	{ "\"a\"", "the JSON form must be a list" },
	{ "[\"a\"]", "element 0: not an object" },
	{ "[{}]", "element 0: \"name\" is missing" },
	{ "[{\"name\":\"\"}]", "element 0: \"name\" is missing" },
	{ "[{\"name\":1}]", "element 0: \"name\" must be a string" },
	{ "[{\"name\":\"a\"},{\"name\":\"B\"}]", "element 1: name \"B\" is not "
						 "a DNS-1123 label" },
	{ "[{\"name\":\"a\",\"namespace\":\"n_s\"}]", "namespace \"n_s\"" },
	{ "[{\"name\":\"a\",\"namespace\":[]}]", "\"namespace\" must be a "
						 "string" },
	{ "[{\"name\":\"a\",\"interface\":\"a/b\"}]", "interface name \"a/b\" "
						      "contains" },
	{ "[{\"name\":\"a\",\"interface\":\"0123456789abcdef\"}]", "longer "
								   "than 15 "
								   "bytes" },
	{ "[{\"name\":\"a\",\"interface\":5}]", "\"interface\" must be a "
						"string" },
	{ "[{\"name\":\"a\",\"ips\":\"10.0.0.1\"}]", "\"ips\" must be a list" },
	{ "[{\"name\":\"a\",\"ips\":[1]}]", "\"ips\" must be a list of "
					    "strings" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.300/24\"]}]", "\"ips\": "
							    "\"10.0.0.300/24\" "
							    "is not an IP "
							    "address" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/33\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"ips\":[\"fd00::1/129\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/-1\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/2x\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"ips\":[\"host\"]}]", "is not an IP" },
	{ "[{\"name\":\"a\",\"mac\":\"02:00:00:aa:bb\"}]", "\"mac\": "
							   "\"02:00:00:aa:bb\" "
							   "is not a MAC "
							   "address" },
	{ "[{\"name\":\"a\",\"mac\":\"02:00:00:aa:bb:cg\"}]", "not a MAC" },
	{ "[{\"name\":\"a\",\"mac\":\"02:00-00:aa:bb:cc\"}]", "not a MAC" },
	{ "[{\"name\":\"a\",\"mac\":\"0200.00aa.bbcc\"}]", "not a MAC" },
	{ "[{\"name\":\"a\",\"mac\":7}]", "\"mac\" must be a string" },
	{ "[{\"name\":\"a\",\"infiniband-guid\":\"c2:11:22:33\"}]", "\"infiniba"
								    "nd-guid\":"
								    " \"c2:11:"
								    "22:33\" "
								    "is not a "
								    "GUID" },
	{ "[{\"name\":\"a\",\"infiniband-guid\":true}]", "\"infiniband-guid\" "
							 "must be a string" },
	{ "[{\"name\":\"a\",\"default-route\":[\"10.0.0.1/24\"]}]", "\"default-"
								    "route\": "
								    "\"10.0.0."
								    "1/24\" is "
								    "not an IP "
								    "address" },
	{ "[{\"name\":\"a\",\"default-route\":\"10.0.0.1\"}]", "\"default-"
							       "route\" must "
							       "be a list" },
	{ "[{\"name\":\"a\",\"portMappings\":{}}]", "\"portMappings\" must be "
						    "a list" },
	{ "[{\"name\":\"a\",\"portMappings\":[1]}]", "\"portMappings\" must be "
						     "a list of objects" },
	{ "[{\"name\":\"a\",\"bandwidth\":[]}]", "\"bandwidth\" must be an "
						 "object" },
	{ "[{\"name\":\"a\",\"cni-args\":\"x=y\"}]", "\"cni-args\" must be an "
						     "object" },
	{ "[{\"name\":\"a\",\"ipam-claim-reference\":1}]", "\"ipam-claim-"
							   "reference\" must "
							   "be a string" },
	{ "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/24\"],"
	  "\"ipam-claim-reference\":\"c\"}]",
	  "\"ipam-claim-reference\" and \"ips\" exclude each other" },
	{ "[{\"name\":\"a\",\"ipam-claim-reference\":\"../x\"}]", "\"ipam-"
								  "claim-"
								  "reference\":"
								  " \"../x\" "
								  "is not an "
								  "object "
								  "name" },
	{ "[{\"name\":\"a\",\"ipam-claim-reference\":\"ns/c\"}]", "\"ipam-"
								  "claim-"
								  "reference\":"
								  " \"ns/c\" "
								  "is not an "
								  "object "
								  "name" },
};

static void test_parse__rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		struct cni_err err = { 0 };
		struct annot_list *l = NULL;
		int r = annot_networks_parse(
			rejects[i].val, strlen(rejects[i].val), WHAT, &l, &err);

		if (r == 0 || !strstr(err.msg, rejects[i].msg) ||
		    strncmp(err.msg, WHAT ": ", strlen(WHAT ": ")) ||
		    err.code != CNI_ERR_SELECTION)
			fail_msg("value %zu '%s': r=%d code=%d msg '%s', want "
				 "'%s'",
				 i, rejects[i].val, r, err.code, err.msg,
				 rejects[i].msg);
		assert_null(l);
	}
}

static void test_parse__nul_byte(void **state)
{
	struct cni_err err = { 0 };
	struct annot_list *l = NULL;

	(void)state;
	assert_int_not_equal(annot_networks_parse("a\0b", 3, WHAT, &l, &err),
			     0);
	assert_int_equal(err.code, CNI_ERR_SELECTION);
	assert_non_null(strstr(err.msg, "NUL byte"));
	assert_null(l);
}

static void test_parse__too_many(void **state)
{
	char buf[ANNOT_ELEMS_MAX * 2 + 8];
	struct cni_err err = { 0 };
	struct annot_list *l = NULL;
	size_t n = 0;

	(void)state;
	for (int i = 0; i <= ANNOT_ELEMS_MAX; i++) {
		buf[n++] = 'a';
		buf[n++] = ',';
	}
	buf[--n] = '\0';
	assert_int_not_equal(annot_networks_parse(buf, n, WHAT, &l, &err), 0);
	assert_non_null(strstr(err.msg, "more than 256 networks"));
	n -= 2; /* exactly the limit is fine */
	assert_int_equal(annot_networks_parse(buf, n, WHAT, &l, &err), 0);
	assert_int_equal(l->n, ANNOT_ELEMS_MAX);
	annot_list_free(l);
}

static void test_parse__too_many_json(void **state)
{
	char buf[ANNOT_ELEMS_MAX * 16 + 32];
	struct cni_err err = { 0 };
	struct annot_list *l = NULL;
	size_t n = 0;

	(void)state;
	buf[n++] = '[';
	for (int i = 0; i <= ANNOT_ELEMS_MAX; i++)
		n += (size_t)sprintf(buf + n, "%s{\"name\":\"a\"}",
				     i ? "," : "");
	buf[n++] = ']';
	assert_int_not_equal(annot_networks_parse(buf, n, WHAT, &l, &err), 0);
	assert_non_null(strstr(err.msg, "more than 256 networks"));
}

static void test_free__null(void **state)
{
	(void)state;
	annot_list_free(NULL);
}

static void test_status_patch__forms(void **state)
{
	static const struct {
		const char *uid, *want;
	} cases[] = {
		{ NULL, "{\"metadata\":{\"annotations\":{"
			"\"" ANNOT_NETWORK_STATUS "\":\"[]\"}}}" },
		{ "", "{\"metadata\":{\"annotations\":{\"" ANNOT_NETWORK_STATUS
		      "\":\"[]\"}}}" },
		{ "u-1", "{\"metadata\":{\"uid\":\"u-1\",\"annotations\":{"
			 "\"" ANNOT_NETWORK_STATUS "\":\"[]\"}}}" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *p = k8s_status_patch("[]", cases[i].uid);

		assert_non_null(p);
		assert_string_equal(
			json_object_to_json_string_ext(
				p, JSON_C_TO_STRING_PLAIN |
					   JSON_C_TO_STRING_NOSLASHESCAPE),
			cases[i].want);
		json_object_put(p);
	}
}

/* The status list goes in as a string, quotes escaped, not as JSON. */
static void test_status_patch__value_is_text(void **state)
{
	static const char st[] = "[{\"name\":\"ns/a\",\"default\":true}]";
	json_object *p = k8s_status_patch(st, NULL), *md, *an, *v;

	(void)state;
	assert_true(json_object_object_get_ex(p, "metadata", &md));
	assert_true(json_object_object_get_ex(md, "annotations", &an));
	assert_true(json_object_object_get_ex(an, ANNOT_NETWORK_STATUS, &v));
	assert_true(json_object_is_type(v, json_type_string));
	assert_string_equal(json_object_get_string(v), st);
	json_object_put(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse__empty_and_blank),
		cmocka_unit_test(test_parse__comma_forms),
		cmocka_unit_test(test_parse__comma_spaces_inside_parts),
		cmocka_unit_test(test_parse__comma_same_network_twice),
		cmocka_unit_test(test_parse__json_minimal),
		cmocka_unit_test(test_parse__json_every_key),
		cmocka_unit_test(test_parse__json_nulls_and_empty_strings),
		cmocka_unit_test(test_parse__json_empty_list),
		cmocka_unit_test(test_parse__json_ipam_claim),
		cmocka_unit_test(test_parse__mac_forms),
		cmocka_unit_test(test_parse__not_nul_terminated),
		cmocka_unit_test(test_dns1123),
		cmocka_unit_test(test_parse__rejects),
		cmocka_unit_test(test_parse__nul_byte),
		cmocka_unit_test(test_parse__too_many),
		cmocka_unit_test(test_parse__too_many_json),
		cmocka_unit_test(test_free__null),
		cmocka_unit_test(test_status_patch__forms),
		cmocka_unit_test(test_status_patch__value_is_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
