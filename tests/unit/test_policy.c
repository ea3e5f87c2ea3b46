/* SPDX-License-Identifier: Apache-2.0 */
/* The node's rules for NADs (src/select/policy.c): metaPlugins and
 * tenantPolicy, each key allowed and refused, and the node side's parse
 * errors. SR-IOV PFs come from a stand-in sysfs (PLEXUS_SYSFS_ROOT). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "policy.h"

static char sysroot[64];

/* The node config's policy keys (a JSON object's members, or "" for
 * none), judged on NAD ns/nad with config conf. Returns the code (0:
 * allowed); the message in err. */
static int judge(const char *node, const char *ns, const char *conf,
		 const char *device_id, bool by_pod, struct cni_err *err)
{
	char doc[4096];
	struct tenant_policy *p = NULL;
	struct cni_conflist *cl = NULL;
	json_object *d;
	int r;

	snprintf(doc, sizeof(doc), "{%s}", node);
	d = json_tokener_parse(doc);
	assert_non_null(d);
	assert_int_equal(tenant_policy_parse(d, &p, err), 0);
	json_object_put(d);
	assert_int_equal(
		cni_conflist_parse_str(conf, strlen(conf), "c", &cl, err), 0);
	memset(err, 0, sizeof(*err));
	r = tenant_policy_check(p, ns, "nad", cl, device_id, by_pod, err);
	cni_conflist_free(cl);
	tenant_policy_free(p);
	assert_true(r == 0 || err->code == CNI_ERR_INVALID_CONFIG);
	return r ? err->code : 0;
}

static void refused(const char *node, const char *ns, const char *conf,
		    const char *device_id, const char *want)
{
	struct cni_err err = { 0 };

	assert_int_equal(judge(node, ns, conf, device_id, true, &err), 7);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, want);
}

static void allowed(const char *node, const char *ns, const char *conf,
		    const char *device_id)
{
	struct cni_err err = { 0 };

	if (judge(node, ns, conf, device_id, true, &err))
		fail_msg("refused: %s", err.msg);
}

#define CONF(body) "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"," body "}"
#define LIST(p1, p2)                                                           \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[" p1 "," p2 "]" \
	"}"
#define POLICY(entry)                                                        \
	"\"tenantPolicy\":{\"namespaces\":{\"team\":" entry "},\"default\":" \
	"{\"types\":[]}}"

static void test_tenant_policy_check__meta_default(void **state)
{
	struct cni_err err = { 0 };

	(void)state;
	refused("", "team", CONF("\"type\":\"plexus\""), NULL,
		"NAD team/nad: type \"plexus\": a meta plugin (metaPlugins)");
	refused("", "team",
		CONF("\"type\":\"bridge\",\"ipam\":{\"type\":\"plexus\"}"),
		NULL, "ipam.type \"plexus\"");
	refused("", "team", CONF("\"type\":\"multus\""), NULL, "multus");
	refused("", "team",
		LIST("{\"type\":\"bridge\"}", "{\"type\":\"multus-shim\"}"),
		NULL, "plugins[1].type \"multus-shim\"");
	allowed("", "team", CONF("\"type\":\"bridge\",\"master\":\"x\""), NULL);
	/* the node's own networks: the meta rule still holds */
	assert_int_equal(judge("", "kube-system", CONF("\"type\":\"plexus\""),
			       NULL, false, &err),
			 7);
	/* NULL policy: the same defaults */
	{
		struct cni_conflist *cl = NULL;
		const char *c = CONF("\"type\":\"multus\"");

		assert_int_equal(
			cni_conflist_parse_str(c, strlen(c), "c", &cl, &err),
			0);
		assert_int_equal(tenant_policy_check(NULL, "a", "b", cl, NULL,
						     true, &err),
				 -EINVAL);
		cni_conflist_free(cl);
	}
}

static void test_tenant_policy_check__meta_configured(void **state)
{
	const char *node = "\"metaPlugins\":[\"danm\"]";

	(void)state;
	refused(node, "team", CONF("\"type\":\"danm\""), NULL, "metaPlugins");
	/* plexus whatever the list says; multus only when listed */
	refused(node, "team", CONF("\"type\":\"plexus\""), NULL, "plexus");
	allowed(node, "team", CONF("\"type\":\"multus\""), NULL);
}

static void test_tenant_policy_check__types(void **state)
{
	const char *node = POLICY("{\"types\":[\"macvlan\",\"plexus-*\","
				  "\"host-local\"]}");
	struct cni_err err = { 0 };

	(void)state;
	allowed(node, "team", CONF("\"type\":\"macvlan\""), NULL);
	allowed(node, "team",
		CONF("\"type\":\"plexus-bridge\",\"ipam\":{\"type\":"
		     "\"plexus-ipam\"}"),
		NULL);
	refused(node, "team", CONF("\"type\":\"bridge\""), NULL,
		"NAD team/nad: type \"bridge\": not allowed by "
		"tenantPolicy.namespaces.team.types");
	refused(node, "team",
		CONF("\"type\":\"macvlan\",\"ipam\":{\"type\":\"dhcp\"}"), NULL,
		"ipam.type \"dhcp\": not allowed");
	refused(node, "team",
		LIST("{\"type\":\"macvlan\"}", "{\"type\":\"tuning\"}"), NULL,
		"plugins[1].type \"tuning\"");
	/* another namespace: the default entry (no type at all) */
	refused(node, "other", CONF("\"type\":\"macvlan\""), NULL,
		"not allowed by tenantPolicy.default.types");
	/* a network the node config names is not judged by tenantPolicy */
	assert_int_equal(judge(node, "other", CONF("\"type\":\"macvlan\""),
			       NULL, false, &err),
			 0);
	/* no default entry: other namespaces are not limited */
	allowed("\"tenantPolicy\":{\"namespaces\":{\"team\":{\"types\":[]}}}",
		"other", CONF("\"type\":\"bridge\""), NULL);
	/* an empty entry limits nothing */
	allowed("\"tenantPolicy\":{\"default\":{}}", "x",
		CONF("\"type\":\"bridge\",\"vlan\":9,\"master\":\"y\""), NULL);
}

static void test_tenant_policy_check__interfaces(void **state)
{
	const char *node = POLICY("{\"interfaces\":[\"eth1\",\"br-team*\"]}");

	(void)state;
	allowed(node, "team", CONF("\"type\":\"macvlan\",\"master\":\"eth1\""),
		NULL);
	refused(node, "team", CONF("\"type\":\"macvlan\",\"master\":\"eth0\""),
		NULL,
		"NAD team/nad: master \"eth0\": not allowed by "
		"tenantPolicy.namespaces.team.interfaces");
	refused(node, "team", CONF("\"type\":\"ipvlan\""), NULL,
		"master \"\": missing");
	refused(node, "team", CONF("\"type\":\"vlan\",\"master\":\"bond0\""),
		NULL, "master \"bond0\"");
	allowed(node, "team",
		CONF("\"type\":\"bridge\",\"bridge\":\"br-team-a\""), NULL);
	refused(node, "team",
		CONF("\"type\":\"plexus-bridge\",\"bridge\":\"br-prod\""), NULL,
		"bridge \"br-prod\"");
	/* the bridge plugins' default bridge */
	refused(node, "team", CONF("\"type\":\"bridge\""), NULL,
		"bridge \"cni0\"");
	refused(node, "team",
		LIST("{\"type\":\"macvlan\",\"master\":\"eth1\"}", "{\"type\":"
								   "\"host-"
								   "device\","
								   "\"device\":"
								   "\"eth9\"}"),
		NULL, "plugins[1].device \"eth9\"");
	refused(node, "team",
		CONF("\"type\":\"host-device\",\"pciBusID\":"
		     "\"0000:00:05.1\""),
		NULL, "device \"\": missing");
	refused(node, "team", CONF("\"type\":\"x\",\"pfName\":\"ens9\""), NULL,
		"pfName \"ens9\"");
	refused(node, "team", CONF("\"type\":\"macvlan\",\"master\":7"), NULL,
		"must be a string");
}

/* A VF 0000:00:05.1 of PF pf0 (0000:00:05.0) and one of PF ens2. */
static int sysfs_setup(void **state)
{
	char cmd[512];

	(void)state;
	snprintf(sysroot, sizeof(sysroot), "/tmp/plexus-policy.XXXXXX");
	if (!mkdtemp(sysroot))
		return -1;
	snprintf(cmd, sizeof(cmd),
		 "cd %s && mkdir -p bus/pci/devices && cd bus/pci/devices && "
		 "mkdir -p 0000:00:05.0/net/pf0 0000:00:05.1 0000:00:06.0/net/"
		 "ens2 0000:00:06.1 && ln -s ../0000:00:05.0 0000:00:05.1/"
		 "physfn && ln -s ../0000:00:06.0 0000:00:06.1/physfn",
		 sysroot);
	if (system(cmd))
		return -1;
	return setenv("PLEXUS_SYSFS_ROOT", sysroot, 1);
}

static int sysfs_teardown(void **state)
{
	char cmd[128];

	(void)state;
	unsetenv("PLEXUS_SYSFS_ROOT");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sysroot);
	return system(cmd);
}

static void test_tenant_policy_check__sriov_pf(void **state)
{
	const char *node = POLICY("{\"interfaces\":[\"pf0\"]}");

	(void)state;
	allowed(node, "team",
		CONF("\"type\":\"sriov\",\"deviceID\":\"0000:00:05.1\""), NULL);
	refused(node, "team",
		CONF("\"type\":\"plexus-sriov\",\"deviceID\":\"0000:00:06.1\""),
		NULL,
		"deviceID \"0000:00:06.1\": its PF ens2 is not allowed by "
		"tenantPolicy.namespaces.team.interfaces");
	/* the device plugin's deviceID (resourceName) wins over the NAD's */
	allowed(node, "team",
		CONF("\"type\":\"sriov\",\"deviceID\":\"0000:00:06.1\""),
		"0000:00:05.1");
	refused(node, "team", CONF("\"type\":\"sriov\""), "0000:00:06.1",
		"its PF ens2");
	/* unknown device, not a PCI address, a path, no deviceID */
	refused(node, "team",
		CONF("\"type\":\"sriov\",\"deviceID\":\"0000:00:07.1\""), NULL,
		"its PF cannot be found");
	refused(node, "team",
		CONF("\"type\":\"sriov\",\"deviceID\":\"../../../x\""), NULL,
		"its PF cannot be found");
	refused(node, "team", CONF("\"type\":\"sriov\""), NULL,
		"deviceID \"\": missing");
	/* the PF itself (not a VF) */
	refused(node, "team",
		CONF("\"type\":\"sriov\",\"deviceID\":\"0000:00:05.0\""), NULL,
		"its PF cannot be found");
}

static void test_tenant_policy_check__vlans(void **state)
{
	const char *node = POLICY("{\"vlans\":[100,\"200-209\",\"210-219\","
				  "\"300\"]}");

	(void)state;
	allowed(node, "team", CONF("\"type\":\"bridge\",\"vlan\":100"), NULL);
	allowed(node, "team", CONF("\"type\":\"bridge\",\"vlan\":0"), NULL);
	refused(node, "team", CONF("\"type\":\"sriov\",\"vlan\":101"), NULL,
		"NAD team/nad: vlan \"101\": not allowed by "
		"tenantPolicy.namespaces.team.vlans");
	allowed(node, "team", CONF("\"type\":\"vlan\",\"vlanId\":300"), NULL);
	refused(node, "team", CONF("\"type\":\"vlan\",\"vlanId\":0"), NULL,
		"vlanId \"0\"");
	refused(node, "team", CONF("\"type\":\"bridge\",\"vlan\":\"100\""),
		NULL, "must be a number");
	/* trunks: every ID of a range inside (touching ranges join) */
	allowed(node, "team",
		CONF("\"type\":\"bridge\",\"vlanTrunk\":[{\"id\":100},"
		     "{\"minID\":200,\"maxID\":219}]"),
		NULL);
	refused(node, "team",
		CONF("\"type\":\"bridge\",\"vlanTrunk\":[{\"minID\":205,"
		     "\"maxID\":220}]"),
		NULL, "vlanTrunk[0] \"205-220\": not allowed");
	refused(node, "team",
		LIST("{\"type\":\"bridge\"}", "{\"type\":\"bridge\","
					      "\"vlanTrunk\":[{\"id\":100},"
					      "{\"id\":5}]}"),
		NULL, "plugins[1].vlanTrunk[1] \"5\"");
	refused(node, "team",
		CONF("\"type\":\"bridge\",\"vlanTrunk\":[{\"minID\":1}]"), NULL,
		"needs \"id\" or");
	refused(node, "team", CONF("\"type\":\"bridge\",\"vlanTrunk\":{}"),
		NULL, "vlanTrunk \"?\": must be a list");
}

static void parse_fails(const char *node, const char *want)
{
	struct tenant_policy *p = NULL;
	struct cni_err err = { 0 };
	json_object *d = json_tokener_parse(node);

	assert_non_null(d);
	assert_int_equal(tenant_policy_parse(d, &p, &err), -EINVAL);
	assert_null(p);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" lacks \"%s\"", err.msg, want);
	json_object_put(d);
}

static void test_tenant_policy_parse__errors(void **state)
{
	(void)state;
	parse_fails("{\"metaPlugins\":\"plexus\"}", "metaPlugins: must be");
	parse_fails("{\"metaPlugins\":[\"\"]}", "metaPlugins[0]");
	parse_fails("{\"tenantPolicy\":[]}", "tenantPolicy: must be an object");
	parse_fails("{\"tenantPolicy\":{\"namespace\":{}}}", "unknown key "
							     "\"namespace\"");
	parse_fails("{\"tenantPolicy\":{\"namespaces\":{\"a\":{\"type\":[]}}}}",
		    "tenantPolicy.namespaces.a: unknown key \"type\"");
	parse_fails("{\"tenantPolicy\":{\"namespaces\":[]}}", "tenantPolicy."
							      "namespaces: "
							      "must be an "
							      "object");
	parse_fails("{\"tenantPolicy\":{\"default\":{\"vlans\":[0]}}}", "tenant"
									"Policy"
									".defau"
									"lt."
									"vlans["
									"0]");
	parse_fails("{\"tenantPolicy\":{\"default\":{\"vlans\":[\"9-3\"]}}}",
		    "vlans[0]");
	parse_fails("{\"tenantPolicy\":{\"default\":{\"vlans\":[\"5-\"]}}}",
		    "vlans[0]");
	parse_fails("{\"tenantPolicy\":{\"default\":{\"vlans\":[4095]}}}", "vla"
									   "ns["
									   "0"
									   "]");
	parse_fails("{\"tenantPolicy\":{\"default\":{\"interfaces\":[1]}}}",
		    "tenantPolicy.default.interfaces[0]");
	parse_fails("{\"tenantPolicy\":{\"default\":3}}", "tenantPolicy."
							  "default: must be an "
							  "object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tenant_policy_check__meta_default),
		cmocka_unit_test(test_tenant_policy_check__meta_configured),
		cmocka_unit_test(test_tenant_policy_check__types),
		cmocka_unit_test(test_tenant_policy_check__interfaces),
		cmocka_unit_test_setup_teardown(
			test_tenant_policy_check__sriov_pf, sysfs_setup,
			sysfs_teardown),
		cmocka_unit_test(test_tenant_policy_check__vlans),
		cmocka_unit_test(test_tenant_policy_parse__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
