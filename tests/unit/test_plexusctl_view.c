/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl plan's view of a plan, and its YAML and table printers. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "plan.h"
#include "plexus_conf.h"
#include "plexusctl.h"
#include "yamljson.h"

static json_object *js(const char *text)
{
	json_object *o = json_tokener_parse(text);

	assert_non_null(o);
	return o;
}

static struct cni_conflist *conflist(const char *text)
{
	struct cni_conflist *cl = NULL;
	struct cni_err err = { 0 };

	if (cni_conflist_parse_str(text, strlen(text), "t", &cl, &err))
		fail_msg("%s", err.msg);
	return cl;
}

/* default eth0 from a conf, then ns2/br (bridge+portmap) as data0 with
 * ips, mac, portMappings, cni-args and a device */
static struct plexus_plan *two_att_plan(void)
{
	struct plexus_plan *p = plexus_plan_new();
	struct plexus_attachment a = { 0 };

	a.network = strdup("cluster");
	a.source = strdup("delegates[0]");
	a.ifname = strdup("eth0");
	a.is_default = true;
	a.conf = conflist("{\"cniVersion\":\"1.0.0\",\"name\":\"cluster\","
			  "\"type\":\"bridge\"}");
	assert_int_equal(plexus_plan_add(p, &a), 0);
	a.network = strdup("ns2/br");
	a.source = strdup("NetworkAttachmentDefinition ns2/br");
	a.ifname = strdup("data0");
	a.conf = conflist("{\"cniVersion\":\"0.4.0\",\"name\":\"br\","
			  "\"plugins\":["
			  "{\"type\":\"bridge\",\"capabilities\":{\"ips\":true,"
			  "\"mac\":true},\"args\":{\"cni\":{\"a\":\"nad\"}}},"
			  "{\"type\":\"portmap\",\"capabilities\":"
			  "{\"portMappings\":true}}]}");
	a.runtime_config = js("{\"ips\":[\"10.0.0.5/"
			      "24\"],\"mac\":\"02:00:00:00:00:05\","
			      "\"portMappings\":[{\"hostPort\":80,"
			      "\"containerPort\":8080}],"
			      "\"deviceID\":\"0000:3b:02.4\"}");
	a.cni_args = js("{\"a\":\"pod\",\"b\":\"true\"}");
	a.device_id = strdup("0000:3b:02.4");
	a.default_route = js("[\"10.0.0.1\"]");
	/* the verdicts as select records them */
	a.isolation = PLAN_ISOLATION_OFF;
	a.capabilities = js("[{\"capability\":\"ips\",\"plugins\":"
			    "[\"bridge\"]},{\"capability\":\"mac\","
			    "\"plugins\":[\"bridge\"]},{\"capability\":"
			    "\"portMappings\",\"plugins\":[\"portmap\"]},"
			    "{\"capability\":\"deviceID\",\"plugins\":[]}]");
	assert_int_equal(plexus_plan_add(p, &a), 0);
	return p;
}

static void test_ctl_plan_view__attachments(void **state)
{
	struct plexus_plan *p = two_att_plan();
	struct ctl_pod_info info = { "ns2",	     "p1", "u1",
				     "manifests /m", NULL, NULL };
	struct cni_err err = { 0 };
	json_object *v = NULL, *a;

	(void)state;
	assert_int_equal(ctl_plan_view(p, &info, &v, &err), 0);
	assert_string_equal(cni_json_str(json_object_object_get(v, "pod")),
			    "{\"namespace\":\"ns2\",\"name\":\"p1\",\"uid\":"
			    "\"u1\"}");
	a = json_object_array_get_idx(json_object_object_get(v, "attachments"),
				      1);
	assert_string_equal(
		json_object_get_string(json_object_object_get(a, "interface")),
		"data0");
	assert_false(json_object_get_boolean(json_object_object_get(a, "defaul"
								       "t")));
	assert_string_equal(cni_json_str(json_object_object_get(a, "plugins")),
			    "[\"bridge\",\"portmap\"]");
	/* as recorded: deviceID is declared by no plugin, shown with none */
	assert_string_equal(cni_json_str(json_object_object_get(a, "capabilitie"
								   "s")),
			    "[{\"capability\":\"ips\",\"plugins\":[\"bridge\"]}"
			    ","
			    "{\"capability\":\"mac\",\"plugins\":[\"bridge\"]},"
			    "{\"capability\":\"portMappings\",\"plugins\":["
			    "\"portmap\"]},"
			    "{\"capability\":\"deviceID\",\"plugins\":[]}]");
	/* each plugin's stdin: its runtimeConfig keys, args.cni merged over
	 * the NAD's own, deviceID, the list's name and version */
	assert_string_equal(
		cni_json_str(json_object_object_get(
			json_object_array_get_idx(
				json_object_object_get(a, "delegates"), 0),
			"stdin")),
		"{\"type\":\"bridge\",\"capabilities\":{\"ips\":true,\"mac\":"
		"true},"
		"\"args\":{\"cni\":{\"a\":\"pod\",\"b\":\"true\"}},\"name\":"
		"\"br\","
		"\"cniVersion\":\"0.4.0\",\"runtimeConfig\":{\"ips\":[\"10.0.0."
		"5/24\"],"
		"\"mac\":\"02:00:00:00:00:05\"},\"deviceID\":\"0000:3b:02."
		"4\"}");
	assert_string_equal(
		json_object_get_string(json_object_object_get(a, "namespaceIsol"
								 "ation")),
		"off");
	json_object_put(v);
	plexus_plan_free(p);
}

static char *emit_yaml(json_object *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(ctl_yaml_emit(o, f), 0);
	fclose(f);
	return buf;
}

static void test_ctl_yaml_emit__round_trip(void **state)
{
	const char *text = "{\"s\":\"plain text\",\"t\":\"true\",\"n\":\"12\","
			   "\"f\":\"1.5e3\",\"nul\":\"null\",\"tilde\":\"~\","
			   "\"e\":\"\",\"yes\":\"yes\",\"hex\":\"0x1f\","
			   "\"colon\":\"a: b\",\"dash\":\"- "
			   "x\",\"nl\":\"a\\nb\","
			   "\"i\":42,\"d\":-1.5,\"b\":false,\"z\":null,"
			   "\"o\":{},\"l\":[],\"ll\":[[1,\"2\"],{\"k\":\"v\"}],"
			   "\"12\":\"key that looks like a number\"}";
	json_object *in = js(text), **docs = NULL;
	struct cni_err err = { 0 };
	char *y = emit_yaml(in);
	size_t n = 0;

	(void)state;
	assert_int_equal(yamljson_parse(y, strlen(y), "y", &docs, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(cni_json_str(docs[0]), cni_json_str(in));
	assert_non_null(strstr(y, "s: plain text\n"));
	assert_non_null(strstr(y, "t: \"true\"\n"));
	yamljson_docs_free(docs, n);
	json_object_put(in);
	free(y);
}

static char *table_of(json_object *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ctl_table_print(v, f);
	fclose(f);
	return buf;
}

static void test_ctl_table_print__fits_and_refusal(void **state)
{
	struct plexus_plan *p = two_att_plan();
	struct ctl_pod_info info = { "ns2",	     "p1", NULL,
				     "manifests /m", NULL, NULL };
	struct cni_err err = { 0 }, refusal = { 0 };
	json_object *v = NULL;
	char *t, *line;

	(void)state;
	/* long values wrap under 100 columns */
	json_object_object_add(p->att[1].runtime_config, "bandwidth",
			       js("{\"ingressRate\":1000000000,"
				  "\"ingressBurst\":100000000,"
				  "\"egressRate\":1000000000,\"egressBurst\":"
				  "100000000}"));
	assert_int_equal(ctl_plan_view(p, &info, &v, &err), 0);
	t = table_of(v);
	assert_non_null(strstr(t, "data0"));
	assert_non_null(strstr(t, "bridge (runtimeConfig: ips, mac), portmap "
				  "(runtimeConfig: portMappings)"));
	for (char *s = t; (line = strsep(&s, "\n")) != NULL;)
		if (strlen(line) > CTL_TABLE_WIDTH)
			fail_msg("%zu columns: %s", strlen(line), line);
	free(t);
	json_object_put(v);
	cni_errf(&refusal, 110, "pod ns2/p1: the reason");
	v = ctl_refusal_view(&info, &refusal);
	assert_string_equal(cni_json_str(json_object_object_get(v, "refused")),
			    "{\"code\":110,\"msg\":\"pod ns2/p1: the "
			    "reason\"}");
	t = table_of(v);
	assert_non_null(strstr(t, "CNI error 110:\npod ns2/p1: the reason\n"));
	free(t);
	json_object_put(v);
	plexus_plan_free(p);
}

/* policyRouting of an attachment with a table: table, rule priority and
 * the NAD's routes, in the tree and in the table output; none for the
 * default network. */
static void test_ctl_plan_view__policy_routes(void **state)
{
	struct plexus_policy_routing pr = { true, 1000, 1000, false };
	struct plexus_plan *p = two_att_plan();
	struct ctl_pod_info info = { "ns2",	     "p1", NULL,
				     "manifests /m", NULL, &pr };
	struct cni_err err = { 0 };
	json_object *v = NULL, *list;
	char *t;

	(void)state;
	p->att[1].policy_routes = js("[{\"dst\":\"10.83.0.0/"
				     "24\",\"gw\":\"10.73.0.254\"}]");
	assert_int_equal(ctl_plan_view(p, &info, &v, &err), 0);
	list = json_object_object_get(v, "attachments");
	assert_null(json_object_object_get(json_object_array_get_idx(list, 0),
					   "policyRouting"));
	assert_string_equal(cni_json_str(json_object_object_get(
				    json_object_array_get_idx(list, 1), "policy"
									"Routin"
									"g")),
			    "{\"table\":1001,\"rulePriority\":1000,\"routes\":["
			    "{\"dst\":"
			    "\"10.83.0.0/24\",\"gw\":\"10.73.0.254\"}]}");
	t = table_of(v);
	assert_non_null(strstr(t, "policy-routing   table 1001, rule priority "
				  "1000; routes 10.83.0.0/24 via "
				  "10.73.0.254\n"));
	free(t);
	json_object_put(v);
	plexus_plan_free(p);
}

static void test_ctl_format_parse__names(void **state)
{
	enum ctl_format f;

	(void)state;
	assert_int_equal(ctl_format_parse("yaml", &f), 0);
	assert_int_equal(f, CTL_OUT_YAML);
	assert_int_equal(ctl_format_parse("json", &f), 0);
	assert_int_equal(f, CTL_OUT_JSON);
	assert_int_equal(ctl_format_parse("table", &f), 0);
	assert_int_equal(f, CTL_OUT_TABLE);
	assert_int_not_equal(ctl_format_parse("xml", &f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctl_plan_view__attachments),
		cmocka_unit_test(test_ctl_yaml_emit__round_trip),
		cmocka_unit_test(test_ctl_table_print__fits_and_refusal),
		cmocka_unit_test(test_ctl_plan_view__policy_routes),
		cmocka_unit_test(test_ctl_format_parse__names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
