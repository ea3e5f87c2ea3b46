// SPDX-License-Identifier: Apache-2.0
/* cni_result: parsing every version, rendering every version, merging. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"

static const char *const full_110 =
	"{\"cniVersion\":\"1.1.0\","
	"\"interfaces\":[{\"name\":\"cni0\",\"mac\":\"7e:00:00:00:00:01\"},"
	"{\"name\":\"eth0\",\"mac\":\"0a:58:0a:16:00:05\",\"mtu\":9000,"
	"\"sandbox\":\"/var/run/netns/p\",\"socketPath\":\"/run/v.sock\","
	"\"pciID\":\"0000:3b:02.1\"}],"
	"\"ips\":[{\"address\":\"10.22.0.5/16\",\"gateway\":\"10.22.0.1\","
	"\"interface\":1},{\"address\":\"fd00::5/64\",\"interface\":1}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.22.0.1\",\"mtu\":1500,"
	"\"advmss\":1460,\"priority\":100,\"table\":254,\"scope\":0}],"
	"\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"cluster."
	"local\","
	"\"search\":[\"svc.cluster.local\"],\"options\":[\"ndots:5\"]}}";

static struct cni_result *parse_ok(const char *s)
{
	struct cni_result *res = NULL;
	struct cni_err err = { 0 };
	int r = cni_result_parse_str(s, strlen(s), &res, &err);

	if (r < 0)
		print_message("parse failed: %s\n", err.msg);
	assert_int_equal(r, 0);
	return res;
}

static void parse_fails(const char *s, int code, const char *want)
{
	struct cni_result *res = (struct cni_result *)0x1;
	struct cni_err err = { 0 };

	print_message("input %s\n", s);
	assert_true(cni_result_parse_str(s, strlen(s), &res, &err) < 0);
	print_message("  -> %d %s\n", err.code, err.msg);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, want));
	assert_ptr_equal(res, (struct cni_result *)0x1);
}

static void test_cni_result_parse__every_version(void **state)
{
	static const struct {
		const char *doc;
		enum cni_ver ver;
	} cases[] = {
		{ "{\"cniVersion\":\"0.3.0\",\"interfaces\":[{\"name\":"
		  "\"eth0\"}],"
		  "\"ips\":[{\"version\":\"4\",\"address\":\"10.0.0.2/24\","
		  "\"interface\":0}],\"dns\":{}}",
		  CNI_V030 },
		{ "{\"cniVersion\":\"0.3.1\",\"ips\":[{\"version\":\"6\","
		  "\"address\":\"fd00::2/64\"}]}",
		  CNI_V031 },
		{ "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"e\"}],"
		  "\"ips\":[{\"version\":\"4\",\"address\":\"1.2.3.4/32\","
		  "\"interface\":0}],\"routes\":[{\"dst\":\"0.0.0.0/0\"}]}",
		  CNI_V040 },
		{ "{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],"
		  "\"ips\":[{\"address\":\"1.2.3.4/32\",\"interface\":0}]}",
		  CNI_V100 },
		{ NULL, CNI_V110 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_result *res =
			parse_ok(cases[i].doc ? cases[i].doc : full_110);

		assert_int_equal(res->ver, cases[i].ver);
		assert_true(res->n_ips >= 1);
		assert_non_null(strchr(res->ips[0].address, '/'));
		cni_result_free(res);
	}
	cni_result_free(NULL);
}

static void test_cni_result_parse__fields(void **state)
{
	struct cni_result *res = parse_ok(full_110);

	(void)state;
	assert_int_equal(res->n_ifaces, 2);
	assert_string_equal(res->ifaces[1].name, "eth0");
	assert_int_equal(res->ifaces[1].mtu, 9000);
	assert_int_equal(res->ifaces[0].mtu, 0);
	assert_null(res->ifaces[0].sandbox);
	assert_string_equal(res->ifaces[1].pci_id, "0000:3b:02.1");
	assert_int_equal(res->n_ips, 2);
	assert_int_equal(res->ips[0].interface, 1);
	assert_string_equal(res->ips[0].gateway, "10.22.0.1");
	assert_null(res->ips[1].gateway);
	assert_int_equal(res->n_routes, 1);
	assert_int_equal(res->routes[0].table, 254);
	assert_int_equal(res->routes[0].scope, 0);
	assert_int_equal(res->dns.n_nameservers, 1);
	assert_string_equal(res->dns.domain, "cluster.local");
	cni_result_free(res);
}

static void test_cni_result_parse__version_errors(void **state)
{
	(void)state;
	parse_fails("{\"cniVersion\":\"0.2.0\"}", CNI_ERR_INCOMPATIBLE_VERSION,
		    "\"0.2.0\"");
	parse_fails("{\"ips\":[]}", CNI_ERR_DECODE, "cniVersion missing");
	parse_fails("{\"cniVersion\":1.0}", CNI_ERR_DECODE, "cniVersion");
	parse_fails("[]", CNI_ERR_DECODE, "not a JSON object");
	parse_fails("{\"cniVersion\":\"1.0.0\"", CNI_ERR_DECODE, "result");
}

static void test_cni_result_parse__member_errors(void **state)
{
	static const struct {
		const char *body, *want;
	} cases[] = {
		{ "\"interfaces\":{}", "interfaces: not a list" },
		{ "\"interfaces\":[1]", "interfaces[0] is not an object" },
		{ "\"interfaces\":[{\"mac\":\"x\"}]", "interfaces[0].name "
						      "missing" },
		{ "\"interfaces\":[{\"name\":\"e\",\"mtu\":1.5}]", "interfaces["
								   "0].mtu" },
		{ "\"interfaces\":[{\"name\":\"e\",\"mtu\":-5}]", "interfaces["
								  "0].mtu: -5 "
								  "out of "
								  "range" },
		{ "\"ips\":[{\"address\":\"10.0.0.1\"}]", "ips[0].address: "
							  "missing or not in "
							  "CIDR form" },
		{ "\"ips\":[{\"gateway\":\"10.0.0.1\"}]", "ips[0].address" },
		{ "\"ips\":[{\"address\":5}]", "ips[0].address" },
		{ "\"ips\":[{\"address\":\"1.1.1.1/32\",\"interface\":\"0\"}]",
		  "ips[0].interface" },
		{ "\"routes\":[{\"gw\":\"1.1.1.1\"}]", "routes[0].dst "
						       "missing" },
		{ "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":\"main\"}]",
		  "routes[0].table" },
		{ "\"dns\":[]", "result: dns" },
		{ "\"dns\":{\"nameservers\":[\"1.1.1.1\",2]}", "dns."
							       "nameservers[1]:"
							       " not a "
							       "string" },
		{ "\"dns\":{\"search\":\"a\"}", "dns.search" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[256];

		snprintf(doc, sizeof(doc), "{\"cniVersion\":\"1.0.0\",%s}",
			 cases[i].body);
		parse_fails(doc, CNI_ERR_DECODE, cases[i].want);
	}
}

static void test_cni_result_parse__interface_index_out_of_range(void **state)
{
	static const char *const bad[] = {
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],"
		"\"ips\":[{\"address\":\"1.1.1.1/32\",\"interface\":1}]}",
		"{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"1.1.1.1/"
		"32\","
		"\"interface\":0}]}",
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],"
		"\"ips\":[{\"address\":\"1.1.1.1/32\",\"interface\":-2}]}",
		"{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"e\"}],"
		"\"ips\":[{\"address\":\"1.1.1.1/"
		"32\",\"interface\":4294967296}]}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		parse_fails(bad[i], CNI_ERR_DECODE, "ips[0].interface");
}

static const char *member_str(json_object *o, const char *list, size_t i,
			      const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(
		    json_object_array_get_idx(json_object_object_get(o, list),
					      i),
		    key, &v))
		return NULL;
	return json_object_get_string(v);
}

/* 1.1.0-only keys and ips[].version by target version. */
static void test_cni_result_to_json__conversion_rules(void **state)
{
	static const char *const if_keys[] = { "mtu", "socketPath", "pciID" };
	static const char *const rt_keys[] = { "mtu", "advmss", "priority",
					       "table", "scope" };
	struct cni_result *res = parse_ok(full_110);

	(void)state;
	for (int v = 0; v < CNI_V_COUNT; v++) {
		json_object *o = cni_result_to_json(res, (enum cni_ver)v);
		bool has110 = v >= CNI_V110;

		print_message("to %s: %s\n", cni_version_str((enum cni_ver)v),
			      cni_json_str(o));
		assert_string_equal(
			json_object_get_string(json_object_object_get(o, "cniVe"
									 "rsio"
									 "n")),
			cni_version_str((enum cni_ver)v));
		for (size_t k = 0; k < 3; k++)
			assert_int_equal(member_str(o, "interfaces", 1,
						    if_keys[k]) != NULL,
					 has110);
		for (size_t k = 0; k < 5; k++)
			assert_int_equal(
				member_str(o, "routes", 0, rt_keys[k]) != NULL,
				has110);
		if (v < CNI_V100) {
			assert_string_equal(member_str(o, "ips", 0, "version"),
					    "4");
			assert_string_equal(member_str(o, "ips", 1, "version"),
					    "6");
		} else {
			assert_null(member_str(o, "ips", 0, "version"));
		}
		/* what every version keeps */
		assert_string_equal(member_str(o, "interfaces", 1, "sandbox"),
				    "/var/run/netns/p");
		assert_string_equal(member_str(o, "ips", 0, "interface"), "1");
		assert_string_equal(member_str(o, "routes", 0, "gw"), "10.22.0."
								      "1");
		json_object_put(o);
	}
	cni_result_free(res);
}

/* Render for v, parse back, render again: the same document. */
static void test_cni_result_to_json__round_trip_every_version(void **state)
{
	struct cni_result *res = parse_ok(full_110);

	(void)state;
	for (int v = 0; v < CNI_V_COUNT; v++) {
		json_object *a = cni_result_to_json(res, (enum cni_ver)v), *b;
		const char *s = cni_json_str(a);
		struct cni_result *back = parse_ok(s);

		assert_int_equal(back->ver, v);
		b = cni_result_to_json(back, (enum cni_ver)v);
		assert_true(json_object_equal(a, b));
		json_object_put(a);
		json_object_put(b);
		cni_result_free(back);
	}
	cni_result_free(res);
}

static void test_cni_result_append__remaps_and_unions_dns(void **state)
{
	struct cni_result *dst = parse_ok(full_110);
	struct cni_result *src = parse_ok(
		"{\"cniVersion\":\"0.3.1\",\"interfaces\":[{\"name\":\"x\"},"
		"{\"name\":\"net1\"}],\"ips\":[{\"version\":\"4\",\"address\":"
		"\"192.168.1.5/24\",\"interface\":1},{\"version\":\"4\","
		"\"address\":\"192.168.2.5/24\"}],\"routes\":[{\"dst\":"
		"\"192.168.0.0/16\"}],\"dns\":{\"nameservers\":[\"1.1.1.1\","
		"\"10.96.0.10\"],\"domain\":\"other\",\"search\":[\"a\"],"
		"\"options\":[\"ndots:5\",\"rotate\"]}}");

	(void)state;
	assert_int_equal(cni_result_append(dst, src), 0);
	assert_int_equal(dst->n_ifaces, 4);
	assert_string_equal(dst->ifaces[3].name, "net1");
	assert_int_equal(dst->n_ips, 4);
	assert_int_equal(dst->ips[1].interface, 1);  /* dst's own unchanged */
	assert_int_equal(dst->ips[2].interface, 3);  /* 1 + 2 interfaces */
	assert_int_equal(dst->ips[3].interface, -1); /* unset stays unset */
	assert_int_equal(dst->n_routes, 2);
	assert_string_equal(dst->routes[1].dst, "192.168.0.0/16");
	assert_int_equal(dst->routes[1].table, -1);
	/* DNS: union in order, the first domain wins */
	assert_int_equal(dst->dns.n_nameservers, 2);
	assert_string_equal(dst->dns.nameservers[0], "10.96.0.10");
	assert_string_equal(dst->dns.nameservers[1], "1.1.1.1");
	assert_string_equal(dst->dns.domain, "cluster.local");
	assert_int_equal(dst->dns.n_search, 2);
	assert_int_equal(dst->dns.n_options, 2);
	assert_string_equal(dst->dns.options[1], "rotate");
	cni_result_free(src);
	cni_result_free(dst);
}

static void test_cni_result_append__into_empty(void **state)
{
	struct cni_result *dst = cni_result_new();
	struct cni_result *src = parse_ok(full_110);
	json_object *a, *b;

	(void)state;
	assert_non_null(dst);
	assert_int_equal(cni_result_append(dst, src), 0);
	a = cni_result_to_json(dst, CNI_V110);
	b = cni_result_to_json(src, CNI_V110);
	assert_true(json_object_equal(a, b));
	json_object_put(a);
	json_object_put(b);
	cni_result_free(src);
	cni_result_free(dst);
}

static void test_cni_result_ips_claim__unset_index(void **state)
{
	/* net1 listed with a sandbox (after a host-side one of that name):
	 * the unset index points there, the set one is kept */
	struct cni_result *res = parse_ok("{\"cniVersion\":\"1.0.0\","
					  "\"interfaces\":[{\"name\":\"net1\"},"
					  "{\"name\":\"net1\",\"sandbox\":\"/"
					  "p\"}],\"ips\":[{\"address\":"
					  "\"10.9.0.5/"
					  "24\"},{\"address\":\"10.9.1.5/"
					  "24\",\"interface\":0}]}");
	/* no interfaces at all: {net1, sandbox} added for it */
	struct cni_result *bare = parse_ok("{\"cniVersion\":\"1.0.0\",\"ips\":["
					   "{\"address\":"
					   "\"10.9.2.5/"
					   "24\"},{\"address\":\"fd09::5/"
					   "64\"}]}");
	/* every index set: nothing changes */
	struct cni_result *full = parse_ok(full_110);

	(void)state;
	assert_int_equal(cni_result_ips_claim(res, "net1", "/q"), 0);
	assert_int_equal(res->n_ifaces, 2);
	assert_int_equal(res->ips[0].interface, 1);
	assert_int_equal(res->ips[1].interface, 0);
	assert_int_equal(cni_result_ips_claim(bare, "net2", "/p"), 0);
	assert_int_equal(bare->n_ifaces, 1);
	assert_string_equal(bare->ifaces[0].name, "net2");
	assert_string_equal(bare->ifaces[0].sandbox, "/p");
	assert_null(bare->ifaces[0].mac);
	assert_int_equal(bare->ips[0].interface, 0);
	assert_int_equal(bare->ips[1].interface, 0);
	assert_int_equal(cni_result_ips_claim(full, "net3", "/p"), 0);
	assert_int_equal(full->n_ifaces, 2);
	assert_int_equal(full->ips[0].interface, 1);
	cni_result_free(res);
	cni_result_free(bare);
	cni_result_free(full);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_result_parse__every_version),
		cmocka_unit_test(test_cni_result_parse__fields),
		cmocka_unit_test(test_cni_result_parse__version_errors),
		cmocka_unit_test(test_cni_result_parse__member_errors),
		cmocka_unit_test(
			test_cni_result_parse__interface_index_out_of_range),
		cmocka_unit_test(test_cni_result_to_json__conversion_rules),
		cmocka_unit_test(
			test_cni_result_to_json__round_trip_every_version),
		cmocka_unit_test(test_cni_result_append__remaps_and_unions_dns),
		cmocka_unit_test(test_cni_result_append__into_empty),
		cmocka_unit_test(test_cni_result_ips_claim__unset_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
