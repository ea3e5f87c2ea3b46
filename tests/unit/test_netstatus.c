/* SPDX-License-Identifier: Apache-2.0 */
/* network-status from a plan and its results. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "../fakes/fake_nadsrc.h"
#include "netstatus.h"
#include "plan.h"

static void plan_add(struct plexus_plan *p, const char *net, const char *ifname,
		     bool def)
{
	struct plexus_attachment a = { 0 };

	a.network = strdup(net);
	a.ifname = strdup(ifname);
	a.is_default = def;
	assert_int_equal(plexus_plan_add(p, &a), 0);
}

#define RES_DEFAULT                                                         \
	"{\"cniVersion\":\"1.0.0\",\"interfaces\":["                        \
	"{\"name\":\"br0\",\"mac\":\"aa:aa:aa:aa:aa:aa\"},"                 \
	"{\"name\":\"veth1\",\"mac\":\"bb:bb:bb:bb:bb:bb\"},"               \
	"{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\","                 \
	"\"sandbox\":\"/var/run/netns/p\"}],"                               \
	"\"ips\":[{\"address\":\"10.1.0.5/24\",\"gateway\":\"10.1.0.1\","   \
	"\"interface\":2},{\"address\":\"fd00::5/64\",\"interface\":2},"    \
	"{\"address\":\"192.168.0.1/24\",\"interface\":0}],"                \
	"\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"domain\":\"cluster\"," \
	"\"search\":[\"svc\"],\"options\":[\"ndots:5\"]}}"

#define RES_SRIOV                                                           \
	"{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"net1\","     \
	"\"sandbox\":\"/var/run/netns/p\",\"mac\":\"02:00:00:00:00:02\"}]," \
	"\"ips\":[{\"version\":\"4\",\"address\":\"10.2.0.7/16\","          \
	"\"interface\":0}]}"

#define RES_PCI                                                          \
	"{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"data0\"," \
	"\"sandbox\":\"/x\",\"pciID\":\"0000:03:02.1\"}],\"ips\":[]}"

static void test_build__entries(void **state)
{
	struct plexus_plan *p = plexus_plan_new();
	json_object *res[4], *out = NULL;
	struct cni_err err = { 0 };

	(void)state;
	plan_add(p, "kube-system/cluster", "eth0", true);
	plan_add(p, "ns1/sriov", "net1", false);
	plan_add(p, "ns1/skipped", "net2", false);
	plan_add(p, "ns1/pci", "data0", false);
	res[0] = json_tokener_parse(RES_DEFAULT);
	res[1] = json_tokener_parse(RES_SRIOV);
	res[2] = NULL;
	res[3] = json_tokener_parse(RES_PCI);
	assert_int_equal(netstatus_build(p, res, &out, &err), 0);
	assert_string_equal(cni_json_str(out),
			    "[{\"name\":\"kube-system/"
			    "cluster\",\"interface\":\"eth0\","
			    "\"ips\":[\"10.1.0.5\",\"fd00::5\"],\"gateway\":["
			    "\"10.1.0.1\"],"
			    "\"mac\":\"02:00:00:00:00:01\",\"default\":true,"
			    "\"dns\":{\"nameservers\":[\"10.96.0.10\"],"
			    "\"domain\":"
			    "\"cluster\",\"search\":[\"svc\"],\"options\":["
			    "\"ndots:5\"]}},"
			    "{\"name\":\"ns1/sriov\",\"interface\":\"net1\","
			    "\"ips\":[\"10.2.0.7\"],\"mac\":\"02:00:00:00:00:"
			    "02\","
			    "\"default\":false,\"dns\":{}},"
			    "{\"name\":\"ns1/"
			    "pci\",\"interface\":\"data0\",\"ips\":[],"
			    "\"default\":false,\"dns\":{},\"device-info\":{"
			    "\"type\":\"pci\","
			    "\"version\":\"1.1.0\",\"pci\":{\"pci-address\":"
			    "\"0000:03:02.1\"}}}]");
	json_object_put(out);
	for (int i = 0; i < 4; i++)
		json_object_put(res[i]);
	plexus_plan_free(p);
}

static void test_build__bad_result(void **state)
{
	struct plexus_plan *p = plexus_plan_new();
	json_object *res[1], *out = NULL;
	struct cni_err err = { 0 };

	(void)state;
	plan_add(p, "n", "eth0", true);
	res[0] = json_tokener_parse("{\"cniVersion\":\"1.0.0\",\"ips\":7}");
	assert_int_not_equal(netstatus_build(p, res, &out, &err), 0);
	assert_non_null(strstr(err.msg, "network-status: network n"));
	assert_null(out);
	json_object_put(res[0]);
	plexus_plan_free(p);
}

static void test_publish__needs_pod_and_writer(void **state)
{
	struct plexus_plan *p = plexus_plan_new();
	struct nad_source *src = fake_nadsrc_new();
	struct cni_err err = { 0 };
	json_object *res[1];

	(void)state;
	plan_add(p, "n", "eth0", true);
	res[0] = json_tokener_parse(RES_SRIOV);
	/* no source (static mode) or no pod: nothing to do */
	assert_int_equal(netstatus_publish(NULL, p, res, &err), 0);
	assert_int_equal(netstatus_publish(src, p, res, &err), 0);
	assert_null(fake_nadsrc_status(src));
	/* the pod: written through the request's source */
	p->pod_namespace = strdup("ns1");
	p->pod_name = strdup("p1");
	assert_int_equal(netstatus_publish(src, p, res, &err), 0);
	assert_non_null(strstr(fake_nadsrc_status(src), "\"name\":\"n\""));
	/* a source that fails is an error for the caller to log */
	fake_nadsrc_fail(src, "status", CNI_ERR_KUBERNETES, -EIO);
	assert_int_not_equal(netstatus_publish(src, p, res, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	json_object_put(res[0]);
	plexus_plan_free(p);
	nad_source_free(src);
}

static void test_clear__needs_pod_and_writer(void **state)
{
	struct plexus_plan *p = plexus_plan_new();
	struct nad_source *src = fake_nadsrc_new();
	struct cni_err err = { 0 };

	(void)state;
	assert_string_equal(NETSTATUS_CLEARED, "[]");
	/* no pod name: nothing sent */
	assert_int_equal(netstatus_clear(src, p, &err), 0);
	assert_null(fake_nadsrc_status(src));
	p->pod_namespace = strdup("ns1");
	p->pod_name = strdup("p1");
	assert_int_equal(netstatus_clear(NULL, p, &err), 0);
	assert_int_equal(netstatus_clear(src, p, &err), 0);
	assert_string_equal(fake_nadsrc_status(src), NETSTATUS_CLEARED);
	fake_nadsrc_fail(src, "status", CNI_ERR_KUBERNETES, -EIO);
	assert_int_not_equal(netstatus_clear(src, p, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	plexus_plan_free(p);
	nad_source_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build__entries),
		cmocka_unit_test(test_build__bad_result),
		cmocka_unit_test(test_publish__needs_pod_and_writer),
		cmocka_unit_test(test_clear__needs_pod_and_writer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
