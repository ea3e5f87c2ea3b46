// SPDX-License-Identifier: Apache-2.0
/* conflict: which attachments are probed, which asked for their address,
 * and a result without IPv4 addresses (nothing probed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "conflict.h"
#include "plan.h"

static void att_of(struct plexus_attachment *a, const char *conf)
{
	*a = (struct plexus_attachment){ .network = "n", .ifname = "eth0" };
	assert_int_equal(
		cni_conflist_parse_str(conf, strlen(conf), "t", &a->conf, NULL),
		0);
}

static void test_conflict_enabled__table(void **state)
{
	static const struct {
		const char *conf;
		bool want;
	} t[] = {
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":"
		  "\"bridge\","
		  "\"ipam\":{\"type\":\"plexus-ipam\",\"conflictDetection\":"
		  "true}}",
		  true },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":"
		  "\"bridge\","
		  "\"ipam\":{\"type\":\"plexus-ipam\",\"conflictDetection\":"
		  "false}}",
		  false },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":"
		  "\"bridge\","
		  "\"ipam\":{\"type\":\"plexus-ipam\",\"conflictDetection\":"
		  "\"true\"}}",
		  false },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":"
		  "\"bridge\","
		  "\"ipam\":{\"type\":\"host-local\",\"conflictDetection\":"
		  "true}}",
		  false },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{"
		  "\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus-ipam\","
		  "\"conflictDetection\":true}},{\"type\":\"tuning\"}]}",
		  true },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":"
		  "\"bridge\"}",
		  false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct plexus_attachment a;

		att_of(&a, t[i].conf);
		if (conflict_enabled(&a) != t[i].want)
			fail_msg("case %zu: not %d", i, t[i].want);
		cni_conflist_free(a.conf);
	}
}

static void test_conflict_requested__sources(void **state)
{
	const char *plain = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
			    "\"type\":\"bridge\"}";
	const char *args_ips = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
			       "\"type\":\"bridge\",\"args\":{\"cni\":{"
			       "\"ips\":[\"10.1.0.5\"]}}}";
	struct plexus_attachment a;

	(void)state;
	att_of(&a, plain);
	assert_false(conflict_requested(&a, NULL));
	assert_false(conflict_requested(&a, "IgnoreUnknown=1;K8S_POD_NAME=p"));
	assert_false(conflict_requested(&a, "IP="));
	assert_true(conflict_requested(&a, "IgnoreUnknown=1;IP=10.1.0.5"));
	a.args_ip = "10.1.0.5";
	assert_true(conflict_requested(&a, NULL));
	a.args_ip = NULL;
	a.ipam_claim = "vm-a.net1";
	assert_true(conflict_requested(&a, NULL));
	a.ipam_claim = NULL;
	a.runtime_config = json_tokener_parse("{\"ips\":[\"10.1.0.5/24\"]}");
	assert_true(conflict_requested(&a, NULL));
	json_object_put(a.runtime_config);
	cni_conflist_free(a.conf);
	att_of(&a, args_ips);
	assert_true(conflict_requested(&a, NULL));
	cni_conflist_free(a.conf);
}

/* Only IPv4 addresses are probed: a result with none probes nothing and
 * never opens the netns. */
static void test_conflict_probe__no_ipv4(void **state)
{
	const char *plain = "{\"cniVersion\":\"1.0.0\",\"name\":\"n\","
			    "\"type\":\"bridge\"}";
	json_object *res = json_tokener_parse("{\"ips\":[{\"address\":\"fd00::"
					      "5/64\"},{\"address\":7}]}");
	struct plexus_attachment a;
	struct cni_err err = { 0 };
	char *addrs = NULL, who[64];

	(void)state;
	att_of(&a, plain);
	assert_int_equal(conflict_probe("/nonexistent/cf-netns", &a, res,
					&addrs, who, sizeof(who), &err),
			 0);
	assert_null(addrs);
	assert_int_equal(err.code, 0);
	json_object_put(res);
	res = json_tokener_parse("{\"ips\":[{\"address\":\"10.1.0.5/24\"}]}");
	assert_true(conflict_probe("/nonexistent/cf-netns", &a, res, &addrs,
				   who, sizeof(who), &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "network \"n\" (eth0)"));
	json_object_put(res);
	cni_conflist_free(a.conf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflict_enabled__table),
		cmocka_unit_test(test_conflict_requested__sources),
		cmocka_unit_test(test_conflict_probe__no_ipv4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
