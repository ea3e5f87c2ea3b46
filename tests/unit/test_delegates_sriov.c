/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-sriov: config parsing and finding a VF in a (stand-in) sysfs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/if_link.h>
#include <cmocka.h>

#include "cni_error.h"
#include "kinds.h"

static void test_sriov_conf_parse__keys(void **state)
{
	json_object *o = json_tokener_parse("{\"deviceID\":\"0000:03:02.1\","
					    "\"vlan\":100,\"vlanQoS\":3,"
					    "\"vlanProto\":\"802.1ad\",\"mac\":"
					    "\"02:00:00:00:00:07\","
					    "\"spoofchk\":\"off\",\"trust\":"
					    "\"on\",\"link_state\":\"enable\","
					    "\"min_tx_rate\":10,\"max_tx_"
					    "rate\":100}");
	struct sriov_conf s;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(sriov_conf_parse(o, &s, &err), 0);
	assert_string_equal(s.device_id, "0000:03:02.1");
	assert_int_equal(s.vlan, 100);
	assert_int_equal(s.qos, 3);
	assert_int_equal(s.vlan_proto, 0x88a8);
	assert_true(s.c.has_mac);
	assert_int_equal(s.c.mac[5], 7);
	assert_int_equal(s.spoofchk, 0);
	assert_int_equal(s.trust, 1);
	assert_int_equal(s.link_state, IFLA_VF_LINK_STATE_ENABLE);
	assert_int_equal(s.min_tx_rate, 10);
	assert_int_equal(s.max_tx_rate, 100);
	json_object_put(o);
}

static void test_sriov_conf_parse__runtime_config_wins(void **state)
{
	json_object *o = json_tokener_parse("{\"deviceID\":\"0000:03:02.1\","
					    "\"mac\":\"02:00:00:00:00:07\","
					    "\"runtimeConfig\":{\"deviceID\":"
					    "\"0000:03:02.2\","
					    "\"mac\":\"02:00:00:00:00:08\"}}");
	struct sriov_conf s;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(sriov_conf_parse(o, &s, &err), 0);
	assert_string_equal(s.device_id, "0000:03:02.2");
	assert_int_equal(s.c.mac[5], 8);
	assert_int_equal(s.vlan, -1); /* unset: the VF's vlan is left alone */
	assert_int_equal(s.spoofchk, -1);
	json_object_put(o);
}

static const struct {
	const char *conf;
	int code;
	const char *names;
} sriov_bad[] = {
	{ "{}", CNI_ERR_INVALID_CONFIG, "deviceID" },
	{ "{\"deviceID\":\"03:02.1\"}", CNI_ERR_INVALID_CONFIG, "03:02.1" },
	{ "{\"deviceID\":\"../../etc/x\"}", CNI_ERR_INVALID_CONFIG,
	  "deviceID" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"vlan\":4095}",
	  CNI_ERR_INVALID_CONFIG, "vlan" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"vlanQoS\":2}",
	  CNI_ERR_INVALID_CONFIG, "vlanQoS" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"vlan\":5,\"vlanQoS\":8}",
	  CNI_ERR_INVALID_CONFIG, "vlanQoS" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"vlan\":0,\"vlanQoS\":1}",
	  CNI_ERR_INVALID_CONFIG, "vlanQoS" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"vlan\":5,\"vlanProto\":\"802.1x\"}",
	  CNI_ERR_INVALID_CONFIG, "vlanProto" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"mac\":\"02:00:00:00:00\"}",
	  CNI_ERR_INVALID_CONFIG, "mac" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"spoofchk\":\"maybe\"}",
	  CNI_ERR_INVALID_CONFIG, "spoofchk" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"link_state\":\"up\"}",
	  CNI_ERR_INVALID_CONFIG, "link_state" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"min_tx_rate\":200,\"max_tx_rate\":"
	  "100}",
	  CNI_ERR_INVALID_CONFIG, "min_tx_rate" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"logLevel\":\"debug\"}",
	  CNI_ERR_UNSUPPORTED_FIELD, "logLevel" },
	{ "{\"deviceID\":\"0000:03:02.1\",\"mtu\":9000}",
	  CNI_ERR_UNSUPPORTED_FIELD, "mtu" },
};

static void test_sriov_conf_parse__bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(sriov_bad) / sizeof(sriov_bad[0]); i++) {
		json_object *o = json_tokener_parse(sriov_bad[i].conf);
		struct sriov_conf s;
		struct cni_err err = { 0 };

		assert_non_null(o);
		assert_true(sriov_conf_parse(o, &s, &err) < 0);
		if (err.code != sriov_bad[i].code ||
		    !strstr(err.msg, sriov_bad[i].names))
			fail_msg("%s: code %d msg \"%s\"", sriov_bad[i].conf,
				 err.code, err.msg);
		json_object_put(o);
	}
}

/* A stand-in tree: PF 0000:00:05.0 (netdev pf0) with VFs 0 and 1. */
static char root[64];

static void mk(const char *rel)
{
	char p[256], cmd[320];

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static void ln(const char *target, const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/bus/pci/devices/%s", root, rel);
	assert_int_equal(symlink(target, p), 0);
}

static int tree_setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/plexus-sriov-unit.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	mk("0000:00:05.0/net/pf0");
	mk("0000:00:05.1/net/vf0");
	mk("0000:00:05.2");
	ln("../0000:00:05.1", "0000:00:05.0/virtfn0");
	ln("../0000:00:05.2", "0000:00:05.0/virtfn1");
	ln("../0000:00:05.0", "0000:00:05.1/physfn");
	ln("../0000:00:05.0", "0000:00:05.2/physfn");
	return 0;
}

static int tree_teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static void test_sriov_vf_locate__tree(void **state)
{
	struct sriov_vf_loc l;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(sriov_vf_locate(root, "0000:00:05.1", true, &l, &err),
			 0);
	assert_string_equal(l.pf_pci, "0000:00:05.0");
	assert_string_equal(l.pf_netdev, "pf0");
	assert_int_equal(l.vf, 0);
	assert_string_equal(l.netdev, "vf0");
	/* VF 1 has no netdev: found for CHECK, refused for ADD */
	assert_int_equal(sriov_vf_locate(root, "0000:00:05.2", false, &l, &err),
			 0);
	assert_int_equal(l.vf, 1);
	assert_string_equal(l.netdev, "");
	assert_true(sriov_vf_locate(root, "0000:00:05.2", true, &l, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	/* the PF is no VF; an unknown device is named */
	assert_true(sriov_vf_locate(root, "0000:00:05.0", true, &l, &err) < 0);
	assert_non_null(strstr(err.msg, "not a VF"));
	assert_true(sriov_vf_locate(root, "0000:00:07.0", true, &l, &err) < 0);
	assert_non_null(strstr(err.msg, "0000:00:07.0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sriov_conf_parse__keys),
		cmocka_unit_test(test_sriov_conf_parse__runtime_config_wins),
		cmocka_unit_test(test_sriov_conf_parse__bad),
		cmocka_unit_test_setup_teardown(test_sriov_vf_locate__tree,
						tree_setup, tree_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
