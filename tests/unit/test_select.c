/* SPDX-License-Identifier: Apache-2.0 */
/* Network selection against a fake NAD source and a temporary confDir;
 * every case also runs plexusctl plan's path and checks it gives the
 * plugin's verdicts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "../fakes/fake_nadsrc.h"
#include "plan.h"
#include "plexus_conf.h"
#include "plexusctl.h"
#include "policy.h"
#include "select.h"

struct fx {
	char dir[64];	  /* temp root */
	char confdir[96]; /* root/net.d */
	char ckpt[96];	  /* root/checkpoint */
	struct plexus_conf conf;
	char *sysns[1];
	struct cni_kv args[3];
	struct cni_env env;
	struct nad_source *src;
	struct plexus_plan *plan;
	struct cni_err err;
};

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void put_conf(struct fx *x, const char *file, const char *text)
{
	char path[200];

	snprintf(path, sizeof(path), "%s/%s", x->confdir, file);
	write_file(path, text);
}

#define BRIDGE(name) \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"" name "\",\"type\":\"bridge\"}"

/* A NAD whose spec.config is the (JSON-escaped) text cfg. */
static void add_nad(struct fx *x, const char *ns, const char *name,
		    const char *cfg, const char *annotations)
{
	json_object *nad = json_object_new_object(),
		    *md = json_object_new_object();
	json_object *spec = json_object_new_object();

	json_object_object_add(md, "name", json_object_new_string(name));
	json_object_object_add(md, "namespace", json_object_new_string(ns));
	if (annotations)
		json_object_object_add(md, "annotations",
				       json_tokener_parse(annotations));
	json_object_object_add(nad, "kind",
			       json_object_new_string("NetworkAttachmentDefinit"
						      "ion"));
	json_object_object_add(nad, "metadata", md);
	if (cfg)
		json_object_object_add(spec, "config",
				       json_object_new_string(cfg));
	json_object_object_add(nad, "spec", spec);
	fake_nadsrc_add(x->src, "nad", ns, name, cni_json_str(nad));
	json_object_put(nad);
}

/* The pod ns1/p1 (uid u1) with these annotations (a JSON object). */
static void add_pod(struct fx *x, const char *annotations)
{
	char buf[4096];

	snprintf(buf, sizeof(buf),
		 "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p1\","
		 "\"namespace\":\"ns1\",\"uid\":\"u1\",\"annotations\":%s}}",
		 annotations);
	fake_nadsrc_add(x->src, "pod", "ns1", "p1", buf);
}

/* annotations JSON with one networks annotation value. */
static void add_pod_networks(struct fx *x, const char *value)
{
	json_object *an = json_object_new_object();

	json_object_object_add(an, "k8s.v1.cni.cncf.io/networks",
			       json_object_new_string(value));
	add_pod(x, cni_json_str(an));
	json_object_put(an);
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	assert_non_null(x);
	strcpy(x->dir, "/tmp/plexus-select.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	snprintf(x->confdir, sizeof(x->confdir), "%s/net.d", x->dir);
	snprintf(x->ckpt, sizeof(x->ckpt), "%s/checkpoint", x->dir);
	assert_int_equal(mkdir(x->confdir, 0700), 0);
	x->conf.conf_dir = x->confdir;
	x->conf.multus_namespace = "kube-system";
	x->conf.global_namespaces = "default";
	x->sysns[0] = "kube-system";
	x->conf.system_namespaces = x->sysns;
	x->conf.n_system_namespaces = 1;
	x->conf.checkpoint_file = x->ckpt;
	x->conf.cluster_network = "cluster";
	x->args[0] = (struct cni_kv){ "K8S_POD_NAMESPACE", "ns1" };
	x->args[1] = (struct cni_kv){ "K8S_POD_NAME", "p1" };
	x->args[2] = (struct cni_kv){ "K8S_POD_UID", "u1" };
	x->env.cmd = CNI_CMD_ADD;
	x->env.ifname = "eth0";
	x->env.args = x->args;
	x->env.n_args = 3;
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[128];

	plexus_plan_free(x->plan);
	nad_source_free(x->src);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

/* The verdicts plexusctl plan shows (view) are the plugin's (r, x->err,
 * x->plan): the same refusal, or per attachment the same network,
 * interface, default, deviceID, namespaceIsolation and capabilities. */
static void same_verdicts(const struct fx *x, int r, int ctl, json_object *view)
{
	json_object *v, *list;

	assert_non_null(view);
	if (r) {
		assert_int_equal(ctl, CTL_EXIT_REFUSED);
		assert_true(json_object_object_get_ex(view, "refused", &v));
		assert_int_equal(
			json_object_get_int(json_object_object_get(v, "code")),
			x->err.code);
		assert_string_equal(
			json_object_get_string(json_object_object_get(v, "ms"
									 "g")),
			x->err.msg);
		return;
	}
	assert_int_equal(ctl, CTL_EXIT_OK);
	assert_true(json_object_object_get_ex(view, "parallelAttach", &v));
	assert_int_equal(
		json_object_get_boolean(json_object_object_get(v, "parallel")),
		x->plan->parallel);
	assert_true(json_object_object_get_ex(view, "attachments", &list));
	assert_int_equal(json_object_array_length(list), x->plan->n);
	for (size_t i = 0; i < x->plan->n; i++) {
		const struct plexus_attachment *a = &x->plan->att[i];
		json_object *o = json_object_array_get_idx(list, i), *caps;

#define STR(k) json_object_get_string(json_object_object_get(o, k))
		assert_string_equal(STR("network"), a->network);
		assert_string_equal(STR("interface"), a->ifname);
		assert_string_equal(STR("namespaceIsolation"),
				    plan_isolation_str(a->isolation));
		if (a->device_id)
			assert_string_equal(STR("deviceID"), a->device_id);
		else
			assert_null(json_object_object_get(o, "deviceID"));
#undef STR
		assert_int_equal(
			json_object_get_boolean(json_object_object_get(o, "defa"
									  "ul"
									  "t")),
			a->is_default);
		if (a->policy_routes)
			assert_true(json_object_equal(
				json_object_object_get(
					json_object_object_get(o, "policyRout"
								  "ing"),
					"routes"),
				a->policy_routes));
		caps = json_object_object_get(o, "capabilities");
		if (a->capabilities)
			assert_true(json_object_equal(caps, a->capabilities));
		else
			assert_int_equal(json_object_array_length(caps), 0);
	}
}

/* select as plexus runs it on src, and plexusctl plan on the same
 * inputs first (its source reads are then forgotten). */
static int run_on(struct fx *x, const struct nad_source *src)
{
	struct ctl_pod_info pod = { .ns = "ns1", .name = "p1" };
	json_object *view = NULL;
	int ctl, r;

	plexus_plan_free(x->plan);
	x->plan = NULL;
	ctl = ctl_plan_run(&x->conf, &x->env, src, &pod, &view);
	if (x->src)
		fake_nadsrc_calls_reset(x->src);
	memset(&x->err, 0, sizeof(x->err));
	r = select_plan(&x->conf, &x->env, src, &x->plan, &x->err);
	same_verdicts(x, r, ctl, view);
	json_object_put(view);
	return r;
}

static int run(struct fx *x)
{
	return run_on(x, x->src);
}

static void run_ok(struct fx *x)
{
	int r = run(x);

	if (r)
		fail_msg("select_plan: %d code %d: %s", r, x->err.code,
			 x->err.msg);
}

/* Fails with code, the message holding every given piece, plan empty. */
static void run_fails(struct fx *x, int code, ...)
{
	const char *piece;
	va_list ap;

	assert_int_not_equal(run(x), 0);
	if (x->err.code != code)
		fail_msg("code %d, want %d: %s", x->err.code, code, x->err.msg);
	va_start(ap, code);
	while ((piece = va_arg(ap, const char *)) != NULL)
		if (!strstr(x->err.msg, piece))
			fail_msg("message '%s' lacks '%s'", x->err.msg, piece);
	va_end(ap);
	assert_null(x->plan);
}

static void expect_att(const struct plexus_attachment *a, const char *net,
		       const char *ifname, bool is_def)
{
	assert_string_equal(a->network, net);
	assert_string_equal(a->ifname, ifname);
	assert_int_equal(a->is_default, is_def);
	assert_non_null(a->conf);
}

/* A NAD manifest without metadata.namespace is in "default" (as kubectl
 * puts it): the plan names it so, never "/name". */
static void test_select__nad_without_namespace(void **state)
{
	struct fx *x = *state;

	fake_nadsrc_add(x->src, "nad", "default", "nons",
			"{\"kind\": \"NetworkAttachmentDefinition\", "
			"\"metadata\": {\"name\": \"nons\"}, \"spec\": "
			"{\"config\": \"{\\\"cniVersion\\\": \\\"1.0.0\\\", "
			"\\\"type\\\": \\\"bridge\\\"}\"}}");
	add_pod_networks(x, "default/nons");
	run_ok(x);
	assert_int_equal(x->plan->n, 2);
	assert_string_equal(x->plan->att[1].source, "NetworkAttachmentDefinitio"
						    "n default/nons");
}

static void test_select__comma_annotation(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_nad(x, "ns2", "c", BRIDGE("c"), NULL);
	add_pod_networks(x, "a, b@x, ns2/c");
	run_ok(x);
	assert_int_equal(x->plan->n, 4);
	expect_att(&x->plan->att[0], "kube-system/cluster", "eth0", true);
	expect_att(&x->plan->att[1], "ns1/a", "net1", false);
	expect_att(&x->plan->att[2], "ns1/b", "x", false);
	expect_att(&x->plan->att[3], "ns2/c", "net3", false);
	assert_string_equal(x->plan->att[3].conf->name, "c");
	assert_string_equal(x->plan->att[3].source, "NetworkAttachmentDefinitio"
						    "n ns2/c");
	assert_string_equal(x->plan->pod_namespace, "ns1");
	assert_string_equal(x->plan->pod_name, "p1");
	assert_string_equal(x->plan->pod_uid, "u1");
	assert_int_equal(fake_nadsrc_calls(x->src, "pod"), 1);
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 4);
}

static void test_select__same_nad_fetched_once(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_pod_networks(x, "a,a,a");
	run_ok(x);
	assert_int_equal(x->plan->n, 4);
	expect_att(&x->plan->att[3], "ns1/a", "net3", false);
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 2);
}

static void test_select__no_pod_args(void **state)
{
	struct fx *x = *state;

	x->env.n_args = 0;
	run_ok(x);
	assert_int_equal(x->plan->n, 1);
	expect_att(&x->plan->att[0], "kube-system/cluster", "eth0", true);
	assert_int_equal(fake_nadsrc_calls(x->src, "pod"), 0);
	assert_null(x->plan->pod_name);
}

static void test_select__no_source(void **state)
{
	struct fx *x = *state;

	put_conf(x, "10-c.conf", BRIDGE("cluster"));
	assert_int_equal(run_on(x, NULL), 0);
	assert_int_equal(x->plan->n, 1);
	assert_string_equal(x->plan->att[0].network, "cluster");
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_NA);
}

static void test_select__cluster_network_from_confdir(void **state)
{
	struct fx *x = *state;

	x->conf.cluster_network = "flannel";
	put_conf(x, "00-broken.conf", "{not json");
	put_conf(x, "05-other.conflist",
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"other\","
		 "\"plugins\":[{\"type\":\"bridge\"}]}");
	put_conf(x, "10-flannel.conflist",
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"flannel\","
		 "\"plugins\":[{\"type\":\"flannel\"},{\"type\":\"portmap\"}]"
		 "}");
	add_pod(x, "{}");
	run_ok(x);
	assert_int_equal(x->plan->n, 1);
	expect_att(&x->plan->att[0], "flannel", "eth0", true);
	assert_int_equal(x->plan->att[0].conf->n_plugins, 2);
	assert_non_null(strstr(x->plan->att[0].source, "10-flannel.conflist"));
	/* a NAD lookup was tried first */
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 1);
}

static void test_select__cluster_network_path(void **state)
{
	struct fx *x = *state;
	char path[200];

	put_conf(x, "20-b.conf", BRIDGE("second"));
	put_conf(x, "10-a.conf", BRIDGE("first"));
	add_pod(x, "{}");
	x->conf.cluster_network = x->confdir; /* a directory: first file */
	run_ok(x);
	assert_string_equal(x->plan->att[0].network, "first");
	snprintf(path, sizeof(path), "%s/20-b.conf", x->confdir);
	x->conf.cluster_network = path;
	run_ok(x);
	assert_string_equal(x->plan->att[0].network, "second");
	assert_string_equal(x->plan->att[0].source, path);
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 0);
}

static void test_select__cluster_network_missing(void **state)
{
	struct fx *x = *state;

	x->conf.cluster_network = "nope";
	add_pod(x, "{}");
	run_fails(x, CNI_ERR_INVALID_CONFIG, "pod ns1/p1",
		  "clusterNetwork \"nope\"", "no network named \"nope\"", NULL);
}

static void test_select__no_default_network(void **state)
{
	struct fx *x = *state;

	x->conf.cluster_network = NULL;
	add_pod(x, "{}");
	run_fails(x, CNI_ERR_INVALID_CONFIG, "no default network", NULL);
}

static void test_select__delegates(void **state)
{
	struct fx *x = *state;
	json_object *d =
		json_tokener_parse("[" BRIDGE("d0") "," BRIDGE("d1") "]");

	x->conf.cluster_network = NULL;
	x->conf.delegates = d;
	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_pod_networks(x, "a");
	run_ok(x);
	assert_int_equal(x->plan->n, 3);
	expect_att(&x->plan->att[0], "d0", "eth0", true);
	expect_att(&x->plan->att[1], "d1", "net1", false);
	expect_att(&x->plan->att[2], "ns1/a", "net2", false);
	assert_string_equal(x->plan->att[1].source, "delegates[1]");
	json_object_put(d);
}

static void test_select__default_networks(void **state)
{
	struct fx *x = *state;
	char *dn[] = { "extra", "local" };

	x->conf.default_networks = dn;
	x->conf.n_default_networks = 2;
	add_nad(x, "kube-system", "extra", BRIDGE("extra"), NULL);
	put_conf(x, "local.conf", BRIDGE("local"));
	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_pod_networks(x, "a");
	run_ok(x);
	assert_int_equal(x->plan->n, 4);
	expect_att(&x->plan->att[1], "kube-system/extra", "net1", false);
	expect_att(&x->plan->att[2], "local", "net2", false);
	expect_att(&x->plan->att[3], "ns1/a", "net3", false);
}

static void test_select__system_namespace_skips_default_networks(void **state)
{
	struct fx *x = *state;
	char *dn[] = { "extra" };

	x->conf.default_networks = dn;
	x->conf.n_default_networks = 1;
	add_nad(x, "kube-system", "extra", BRIDGE("extra"), NULL);
	x->sysns[0] = "ns1";
	add_pod(x, "{}");
	run_ok(x);
	assert_int_equal(x->plan->n, 1);
}

static void test_select__default_network_override(void **state)
{
	struct fx *x = *state;

	add_nad(x, "kube-system", "alt", BRIDGE("alt"), NULL);
	add_nad(x, "ns1", "mine", BRIDGE("mine"), NULL);
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"alt\"}");
	run_ok(x);
	assert_int_equal(x->plan->n, 1);
	expect_att(&x->plan->att[0], "kube-system/alt", "eth0", true);
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 1);
}

static void test_select__default_network_override_own_ns(void **state)
{
	struct fx *x = *state;

	x->conf.namespace_isolation = true;
	add_nad(x, "ns1", "mine", BRIDGE("mine"), NULL);
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"ns1/mine\"}");
	run_ok(x);
	expect_att(&x->plan->att[0], "ns1/mine", "eth0", true);
}

static void test_select__default_network_override_rejects(void **state)
{
	struct fx *x = *state;

	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"a,b\"}");
	run_fails(x, CNI_ERR_SELECTION, "pod ns1/p1",
		  "v1.multus-cni.io/default-network",
		  "must name exactly one network", NULL);
}

static void test_select__default_network_override_ifname(void **state)
{
	struct fx *x = *state;

	add_nad(x, "kube-system", "alt", BRIDGE("alt"), NULL);
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"alt@eth7\"}");
	run_fails(x, CNI_ERR_SELECTION, "is CNI_IFNAME (eth0)", NULL);
}

static void test_select__runtime_config_from_runtime(void **state)
{
	struct fx *x = *state;
	json_object *rc = json_tokener_parse("{\"portMappings\":[{\"hostPort\":"
					     "1,\"containerPort\":2}]}");

	x->conf.runtime_config = rc;
	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_pod_networks(x, "a");
	run_ok(x);
	assert_string_equal(cni_json_str(x->plan->att[0].runtime_config),
			    cni_json_str(rc));
	/* every network gets the runtime's, as in Multus' code */
	assert_string_equal(cni_json_str(x->plan->att[1].runtime_config),
			    cni_json_str(rc));
	json_object_put(rc);
}

#define CAPS_NAD                                                           \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"caps\",\"plugins\":["        \
	"{\"type\":\"bridge\",\"capabilities\":{\"ips\":true,"             \
	"\"mac\":true,\"infinibandGUID\":true}},"                          \
	"{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}," \
	"{\"type\":\"bandwidth\",\"capabilities\":{\"bandwidth\":true}}]}"

static void test_select__json_element_maps_capabilities(void **state)
{
	struct fx *x = *state;
	const struct plexus_attachment *a;

	add_nad(x, "ns1", "caps", CAPS_NAD, NULL);
	add_pod_networks(x, "[{\"name\":\"caps\",\"interface\":\"data0\","
			    "\"ips\":[\"10.9.0.5/"
			    "24\"],\"mac\":\"02:00:00:00:00:01\","
			    "\"infiniband-guid\":\"00:11:22:33:44:55:66:77\","
			    "\"portMappings\":[{\"hostPort\":80,"
			    "\"containerPort\":8080}],"
			    "\"bandwidth\":{\"ingressRate\":1},"
			    "\"cni-args\":{\"k\":\"v\"},"
			    "\"default-route\":[\"10.9.0.1\"]}]");
	run_ok(x);
	assert_int_equal(x->plan->n, 2);
	a = &x->plan->att[1];
	expect_att(a, "ns1/caps", "data0", false);
	assert_string_equal(cni_json_str(a->runtime_config),
			    "{\"ips\":[\"10.9.0.5/"
			    "24\"],\"mac\":\"02:00:00:00:00:01\","
			    "\"portMappings\":[{\"hostPort\":80,"
			    "\"containerPort\":8080}],"
			    "\"bandwidth\":{\"ingressRate\":1},"
			    "\"infinibandGUID\":\"00:11:22:33:44:55:66:77\"}");
	assert_string_equal(cni_json_str(a->cni_args), "{\"k\":\"v\"}");
	assert_string_equal(cni_json_str(a->default_route), "[\"10.9.0.1\"]");
	assert_null(x->plan->att[0].default_route);
	/* and MAC= / IP= for the delegate's CNI_ARGS at ADD, as Multus */
	assert_string_equal(a->args_mac, "02:00:00:00:00:01");
	assert_string_equal(a->args_ip, "10.9.0.5/24");
	assert_null(x->plan->att[0].args_ip);
	assert_null(x->plan->att[0].args_mac);
	/* the capability verdict: which plugins take each key */
	assert_string_equal(cni_json_str(a->capabilities),
			    "[{\"capability\":\"ips\",\"plugins\":[\"bridge\"]}"
			    ","
			    "{\"capability\":\"mac\",\"plugins\":[\"bridge\"]},"
			    "{\"capability\":\"portMappings\",\"plugins\":["
			    "\"portmap\"]},"
			    "{\"capability\":\"bandwidth\",\"plugins\":["
			    "\"bandwidth\"]},"
			    "{\"capability\":\"infinibandGUID\",\"plugins\":"
			    "[\"bridge\"]}]");
	assert_null(x->plan->att[0].capabilities);
}

static void test_select__capability_not_declared(void **state)
{
	static const char *const asks[][2] = {
		{ "\"ips\":[\"10.0.0.1/24\"]", "\"ips\"" },
		{ "\"mac\":\"02:00:00:00:00:01\"", "\"mac\"" },
		{ "\"portMappings\":[]", "\"portMappings\"" },
		{ "\"bandwidth\":{}", "\"bandwidth\"" },
		{ "\"infiniband-guid\":\"00:11:22:33:44:55:66:77\"", "\"infinib"
								     "andGUID"
								     "\"" },
	};
	struct fx *x = *state;

	add_nad(x, "ns1", "plain", BRIDGE("plain"), NULL);
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		char ann[256];

		snprintf(ann, sizeof(ann), "[{\"name\":\"plain\",%s}]",
			 asks[i][0]);
		nad_source_free(x->src);
		x->src = fake_nadsrc_new();
		add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
		add_nad(x, "ns1", "plain", BRIDGE("plain"), NULL);
		add_pod_networks(x, ann);
		run_fails(x, CNI_ERR_SELECTION, "pod ns1/p1",
			  "network ns1/plain", asks[i][1],
			  "no plugin of the network declares", NULL);
	}
}

static void test_select__two_default_routes(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_pod_networks(x, "[{\"name\":\"a\",\"default-route\":[\"1.1.1.1\"]},"
			    "{\"name\":\"b\",\"default-route\":[\"2.2.2.2\"]}"
			    "]");
	run_fails(x, CNI_ERR_SELECTION,
		  "networks ns1/a and ns1/b both ask "
		  "for the default route",
		  NULL);
}

static void test_select__interface_clash(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_pod_networks(x, "a@eth0");
	run_fails(x, CNI_ERR_SELECTION, "pod ns1/p1",
		  "interface \"eth0\" already used by network "
		  "kube-system/cluster (asked for again by network ns1/a)",
		  NULL);
	/* an explicit name equal to a generated one */
	nad_source_free(x->src);
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_pod_networks(x, "a, b@net1");
	run_fails(x, CNI_ERR_SELECTION, "interface \"net1\"", NULL);
}

static void test_select__nad_missing(void **state)
{
	struct fx *x = *state;

	add_pod_networks(x, "ghost");
	run_fails(x, CNI_ERR_SELECTION, "pod ns1/p1",
		  "NetworkAttachmentDefinition ns1/ghost not found", NULL);
}

static void test_select__nad_config_not_json(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "bad", "{\"cniVersion\": ", NULL);
	add_pod_networks(x, "bad");
	run_fails(x, CNI_ERR_INVALID_CONFIG, "pod ns1/p1", "network ns1/bad",
		  "NetworkAttachmentDefinition ns1/bad spec.config", NULL);
}

static void test_select__nad_config_invalid(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "notype", "{\"cniVersion\":\"1.0.0\"}", NULL);
	add_pod_networks(x, "notype");
	run_fails(x, CNI_ERR_INVALID_CONFIG, "pod ns1/p1", "network ns1/notype",
		  NULL);
}

static void test_select__nad_name_defaults(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "anon",
		"{\"cniVersion\":\"1.0.0\","
		"\"type\":\"macvlan\"}",
		NULL);
	add_pod_networks(x, "anon");
	run_ok(x);
	assert_string_equal(x->plan->att[1].conf->name, "anon");
}

static void test_select__nad_empty_config_uses_confdir(void **state)
{
	struct fx *x = *state;

	put_conf(x, "50-side.conflist",
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"side\","
		 "\"plugins\":[{\"type\":\"macvlan\"}]}");
	add_nad(x, "ns1", "side", "", NULL);
	add_nad(x, "ns1", "nofile", NULL, NULL);
	add_pod_networks(x, "side");
	run_ok(x);
	assert_string_equal(cni_conflist_type(x->plan->att[1].conf, 0), "macvla"
									"n");
	assert_non_null(strstr(x->plan->att[1].source, "50-side.conflist"));
	nad_source_free(x->src);
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
	add_nad(x, "ns1", "nofile", NULL, NULL);
	add_pod_networks(x, "nofile");
	run_fails(x, CNI_ERR_INVALID_CONFIG, "spec.config is empty",
		  "no network named \"nofile\"", NULL);
}

static void test_select__isolation(void **state)
{
	struct fx *x = *state;

	x->conf.namespace_isolation = true;
	x->conf.global_namespaces = "default, shared";
	add_nad(x, "ns1", "own", BRIDGE("own"), NULL);
	add_nad(x, "shared", "g", BRIDGE("g"), NULL);
	add_nad(x, "default", "d", BRIDGE("d"), NULL);
	add_nad(x, "ns2", "other", BRIDGE("other"), NULL);
	add_pod_networks(x, "own, shared/g, default/d");
	run_ok(x);
	assert_int_equal(x->plan->n, 4);
	/* the verdicts, recorded for the dry run */
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_EXEMPT);
	assert_int_equal(x->plan->att[1].isolation, PLAN_ISOLATION_OWN);
	assert_int_equal(x->plan->att[2].isolation, PLAN_ISOLATION_GLOBAL);
	assert_int_equal(x->plan->att[3].isolation, PLAN_ISOLATION_GLOBAL);
	nad_source_free(x->src);
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
	add_nad(x, "ns2", "other", BRIDGE("other"), NULL);
	add_pod_networks(x, "ns2/other");
	run_fails(x, CNI_ERR_SELECTION, "pod ns1/p1", "namespaceIsolation",
		  "ns2/other", NULL);
	/* never fetched */
	assert_int_equal(fake_nadsrc_calls(x->src, "nad"), 1);
	/* without isolation it is fine */
	x->conf.namespace_isolation = false;
	run_ok(x);
	assert_int_equal(x->plan->att[1].isolation, PLAN_ISOLATION_OFF);
}

/* The default-network annotation's NAD in multusNamespace is exempt
 * from namespaceIsolation, as in Multus (bare name or written out);
 * elsewhere the pod's namespace and the global ones only; the same NAD
 * asked for by k8s.v1.cni.cncf.io/networks is still refused. */
static void test_select__default_network_override_isolation(void **state)
{
	struct fx *x = *state;

	x->conf.namespace_isolation = true;
	add_nad(x, "kube-system", "alt", BRIDGE("alt"), NULL);
	add_nad(x, "ns2", "other", BRIDGE("other"), NULL);
	add_nad(x, "default", "g", BRIDGE("g"), NULL);
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"alt\"}");
	run_ok(x);
	assert_int_equal(x->plan->n, 1);
	expect_att(&x->plan->att[0], "kube-system/alt", "eth0", true);
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_DEFAULT_NET);
	assert_string_equal(plan_isolation_str(x->plan->att[0].isolation),
			    "exempt: the default-network annotation's NAD in "
			    "multusNamespace");
	add_pod(x, "{\"v1.multus-cni.io/default-network\":"
		   "\"kube-system/alt\"}");
	run_ok(x);
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_DEFAULT_NET);
	/* multusNamespace is the node's choice */
	x->conf.multus_namespace = "ns2";
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"other\"}");
	run_ok(x);
	expect_att(&x->plan->att[0], "ns2/other", "eth0", true);
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_DEFAULT_NET);
	x->conf.multus_namespace = "kube-system";
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"default/g\"}");
	run_ok(x);
	assert_int_equal(x->plan->att[0].isolation, PLAN_ISOLATION_GLOBAL);
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"ns2/other\"}");
	run_fails(x, CNI_ERR_SELECTION, "namespaceIsolation", "ns2/other",
		  NULL);
	add_pod(x, "{\"k8s.v1.cni.cncf.io/networks\":\"kube-system/alt\"}");
	run_fails(x, CNI_ERR_SELECTION, "namespaceIsolation", "kube-system/alt",
		  NULL);
}

/* No NAD runs a meta plugin: the pod's nor the node's (clusterNetwork);
 * code 7 naming the pod, the NAD, the key and the rule, at planning. */
static void test_select__meta_plugin_refused(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "evil",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"evil\",\"plugins\":["
		"{\"type\":\"bridge\"},{\"type\":\"tuning\",\"ipam\":"
		"{\"type\":\"plexus\"}}]}",
		NULL);
	add_pod_networks(x, "evil");
	run_fails(x, CNI_ERR_INVALID_CONFIG,
		  "pod ns1/p1: NAD ns1/evil: plugins[1].ipam.type \"plexus\": "
		  "a meta plugin (metaPlugins)",
		  NULL);
	nad_source_free(x->src);
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"c\",\"type\":"
		"\"multus\"}",
		NULL);
	add_pod(x, "{}");
	run_fails(x, CNI_ERR_INVALID_CONFIG,
		  "NAD kube-system/cluster: type \"multus\"", NULL);
}

static void policy_set(struct fx *x, const char *json)
{
	json_object *d = json_tokener_parse(json);
	struct cni_err err = { 0 };

	assert_non_null(d);
	assert_int_equal(tenant_policy_parse(d, &x->conf.policy, &err), 0);
	json_object_put(d);
}

/* tenantPolicy judges the NADs a pod's annotations select, by the NAD's
 * namespace; the node's own networks are not judged by it. */
static void test_select__tenant_policy(void **state)
{
	struct fx *x = *state;

	policy_set(x, "{\"tenantPolicy\":{\"namespaces\":{\"ns1\":{\"types\":"
		      "[\"macvlan\"],\"interfaces\":[\"eth1\"],\"vlans\":[]}},"
		      "\"default\":{\"types\":[]}}}");
	add_nad(x, "ns1", "ok",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"ok\",\"type\":"
		"\"macvlan\",\"master\":\"eth1\"}",
		NULL);
	add_nad(x, "ns1", "bad",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"bad\",\"type\":"
		"\"macvlan\",\"master\":\"eth0\"}",
		NULL);
	add_nad(x, "kube-system", "alt", BRIDGE("alt"), NULL);
	/* the cluster network (a bridge, kube-system) is the node's own */
	add_pod_networks(x, "ok");
	run_ok(x);
	assert_int_equal(x->plan->n, 2);
	add_pod_networks(x, "ok, bad");
	run_fails(x, CNI_ERR_INVALID_CONFIG,
		  "pod ns1/p1: NAD ns1/bad: master \"eth0\": not allowed by "
		  "tenantPolicy.namespaces.ns1.interfaces",
		  NULL);
	/* the pod's default-network NAD is the pod's choice: judged by its
	 * namespace's entry (here the default one) */
	add_pod(x, "{\"v1.multus-cni.io/default-network\":\"alt\"}");
	run_fails(x, CNI_ERR_INVALID_CONFIG,
		  "NAD kube-system/alt: type \"bridge\": not allowed by "
		  "tenantPolicy.default.types",
		  NULL);
	tenant_policy_free(x->conf.policy);
	x->conf.policy = NULL;
}

static void test_select__bad_annotation(void **state)
{
	struct fx *x = *state;

	add_pod_networks(x, "a,B");
	run_fails(x, CNI_ERR_SELECTION,
		  "pod ns1/p1: annotation k8s.v1.cni.cncf.io/networks: "
		  "element 1: name \"B\"",
		  NULL);
}

static void test_select__pod_uid_mismatch(void **state)
{
	struct fx *x = *state;

	x->args[2].val = "u2";
	add_pod(x, "{}");
	run_fails(x, CNI_ERR_SELECTION, "K8S_POD_UID u2 differs", NULL);
}

static void test_select__pod_get_fails(void **state)
{
	struct fx *x = *state;

	fake_nadsrc_fail(x->src, "pod", CNI_ERR_KUBERNETES, -EACCES);
	assert_int_equal(run(x), -EACCES);
	assert_int_equal(x->err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(x->err.msg, "pod ns1/p1: fake pod failure"));
	assert_null(x->plan);
}

static void test_select__bad_pod_args(void **state)
{
	struct fx *x = *state;

	x->args[1].val = "../../x";
	run_fails(x, CNI_ERR_INVALID_ENV, "not a valid namespace/name", NULL);
	assert_int_equal(fake_nadsrc_calls(x->src, "pod"), 0);
}

#define SRIOV_ANN "{\"k8s.v1.cni.cncf.io/resourceName\":\"intel.com/vf\"}"
#define SRIOV_CONF                                                         \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"sriov\",\"type\":\"sriov\"," \
	"\"capabilities\":{\"deviceID\":true}}"

static void test_select__device_ids(void **state)
{
	struct fx *x = *state;

	write_file(x->ckpt, "{\"Data\":{\"PodDeviceEntries\":["
			    "{\"PodUID\":\"u1\",\"ContainerName\":\"c\","
			    "\"ResourceName\":\"intel.com/vf\","
			    "\"DeviceIDs\":{\"0\":[\"0000:03:02.3\",\"0000:03:"
			    "02.1\"]}},"
			    "{\"PodUID\":\"other\",\"ContainerName\":\"c\","
			    "\"ResourceName\":\"intel.com/vf\","
			    "\"DeviceIDs\":{\"0\":[\"0000:03:02.0\"]}}],"
			    "\"RegisteredDevices\":{}},\"Checksum\":1}");
	add_nad(x, "ns1", "sriov", SRIOV_CONF, SRIOV_ANN);
	add_pod_networks(x, "sriov, sriov");
	run_ok(x);
	assert_int_equal(x->plan->n, 3);
	assert_string_equal(x->plan->att[1].device_id, "0000:03:02.1");
	assert_string_equal(x->plan->att[2].device_id, "0000:03:02.3");
	assert_string_equal(cni_json_str(x->plan->att[1].runtime_config),
			    "{\"deviceID\":\"0000:03:02.1\"}");
	assert_null(x->plan->att[0].device_id);
}

static void test_select__device_ids_old_format_and_exhausted(void **state)
{
	struct fx *x = *state;

	write_file(x->ckpt, "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":"
			    "\"u1\","
			    "\"ResourceName\":\"intel.com/vf\","
			    "\"DeviceIDs\":[\"0000:05:00.1\"]}]}}");
	add_nad(x, "ns1", "sriov", SRIOV_CONF, SRIOV_ANN);
	add_pod_networks(x, "sriov");
	run_ok(x);
	assert_string_equal(x->plan->att[1].device_id, "0000:05:00.1");
	nad_source_free(x->src);
	x->src = fake_nadsrc_new();
	add_nad(x, "kube-system", "cluster", BRIDGE("cluster"), NULL);
	add_nad(x, "ns1", "sriov", SRIOV_CONF, SRIOV_ANN);
	add_pod_networks(x, "sriov, sriov@x");
	run_fails(x, CNI_ERR_SELECTION, "network ns1/sriov",
		  "no device of resource intel.com/vf left", NULL);
}

static void test_select__device_checkpoint_missing_or_bad(void **state)
{
	struct fx *x = *state;

	add_nad(x, "ns1", "sriov", SRIOV_CONF, SRIOV_ANN);
	add_pod_networks(x, "sriov");
	run_fails(x, CNI_ERR_SELECTION, "no device of resource", NULL);
	write_file(x->ckpt, "{\"Data\":{\"PodDeviceEntries\":{}}}");
	run_fails(x, CNI_ERR_DECODE, "pod ns1/p1", x->ckpt, NULL);
}

/* examples/nads (NADs and a pod) through the manifests source. */
static void test_select__examples(void **state)
{
	struct fx *x = *state;
	struct nad_source *src = NULL;
	const struct plexus_attachment *a;
	json_object *rc;

	if (access("examples/nads/pod-multi-net.yaml", R_OK))
		skip();
	put_conf(x, "10-cluster.conf", BRIDGE("cluster"));
	write_file(x->ckpt, "{\"Data\":{\"PodDeviceEntries\":[{\"PodUID\":"
			    "\"u1\","
			    "\"ResourceName\":\"intel.com/sriov_netdevice\","
			    "\"DeviceIDs\":{\"0\":[\"0000:3b:02.4\"]}}]}}");
	x->args[0].val = "default";
	x->args[1].val = "multi-net";
	assert_int_equal(nadsrc_dir_open("examples/nads", &src, &x->err), 0);
	assert_int_equal(run_on(x, src), 0);
	nad_source_free(src);
	assert_int_equal(x->plan->n, 5);
	expect_att(&x->plan->att[0], "cluster", "eth0", true);
	expect_att(&x->plan->att[1], "default/macvlan-net", "net1", false);
	assert_string_equal(x->plan->att[1].conf->name, "macvlan-net");
	expect_att(&x->plan->att[2], "default/ipvlan-net", "storage", false);
	a = &x->plan->att[3];
	expect_att(a, "default/bridge-net", "br1", false);
	assert_int_equal(a->conf->n_plugins, 3);
	assert_true(json_object_object_get_ex(a->runtime_config, "ips", &rc));
	assert_true(json_object_object_get_ex(a->runtime_config, "mac", &rc));
	assert_true(json_object_object_get_ex(a->runtime_config, "portMappings",
					      &rc));
	a = &x->plan->att[4];
	expect_att(a, "default/sriov-net", "net4", false);
	assert_string_equal(a->device_id, "0000:3b:02.4");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

#define ROUTES_ANNOT(v) "{\"plexus.dev/policy-routes\": \"" v "\"}"
#define ROUTE_83                                                     \
	"[{\\\"dst\\\":\\\"10.83.0.0/24\\\",\\\"gw\\\":\\\"10.73.0." \
	"254\\\"}]"

static void pr_on(struct fx *x)
{
	x->conf.policy_routing.on = true;
	x->conf.policy_routing.table_base = 1000;
	x->conf.policy_routing.priority = 1000;
}

/* A NAD's plexus.dev/policy-routes: checked, canonical, in the plan and
 * in plexusctl plan's policyRouting (same_verdicts); an empty list is no
 * list. */
static void test_select__policy_routes(void **state)
{
	struct fx *x = *state;

	pr_on(x);
	add_nad(x, "ns1", "red", BRIDGE("red"), ROUTES_ANNOT(ROUTE_83));
	add_nad(x, "ns1", "blue", BRIDGE("blue"), ROUTES_ANNOT("[]"));
	add_pod_networks(x, "red, blue");
	run_ok(x);
	assert_int_equal(x->plan->n, 3);
	assert_string_equal(cni_json_str(x->plan->att[1].policy_routes),
			    "[{\"dst\":\"10.83.0.0/24\",\"gw\":\"10.73.0."
			    "254\"}]");
	assert_null(x->plan->att[2].policy_routes);
}

/* Refused at planning, code 7, naming the NAD and the key: bad routes,
 * and routes where the network has no table of its own. */
static void test_select__policy_routes_refused(void **state)
{
	static const struct {
		bool node_on;
		const char *annot, *piece;
	} cases[] = {
		{ true, ROUTES_ANNOT("[{"), "invalid JSON" },
		{ true,
		  ROUTES_ANNOT("[{\\\"dst\\\":\\\"10.83.0.1/24\\\","
			       "\\\"gw\\\":\\\"10.73.0.254\\\"}]"),
		  "route 0: dst \"10.83.0.1/24\" has host bits set" },
		{ false, ROUTES_ANNOT(ROUTE_83), "policy routing is off" },
		{ true,
		  "{\"plexus.dev/policy-routing\": \"false\", "
		  "\"plexus.dev/policy-routes\": \"" ROUTE_83 "\"}",
		  "policy routing is off" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *x;

		teardown(state);
		setup(state);
		x = *state;
		if (cases[i].node_on)
			pr_on(x);
		add_nad(x, "ns1", "red", BRIDGE("red"), cases[i].annot);
		add_pod_networks(x, "red");
		run_fails(x, CNI_ERR_INVALID_CONFIG,
			  "pod ns1/p1: network ns1/red: annotation "
			  "plexus.dev/policy-routes: ",
			  cases[i].piece, NULL);
	}
}

/* The pod with networks a, b and, unless NULL, the JSON value of
 * plexus.dev/parallel-attach. */
static void add_pod_parallel(struct fx *x, const char *value)
{
	char ann[512];

	snprintf(ann, sizeof(ann),
		 "{\"k8s.v1.cni.cncf.io/networks\": \"a, b\"%s%s}",
		 value ? ", \"plexus.dev/parallel-attach\": " : "",
		 value ? value : "");
	add_pod(x, ann);
}

/* parallelAttach decides; under "pod" the annotation chooses, strictly. */
static void test_select__parallel_attach(void **state)
{
	static const struct {
		enum plexus_parallel node;
		const char *annot; /* the JSON value, NULL: none */
		int want;	   /* 1 parallel, 0 not, -1 refused */
	} cases[] = {
		{ PLEXUS_PARALLEL_OFF, NULL, 0 },
		{ PLEXUS_PARALLEL_OFF, "\"true\"", 0 },
		{ PLEXUS_PARALLEL_ALL, NULL, 1 },
		{ PLEXUS_PARALLEL_ALL, "\"false\"", 1 },
		{ PLEXUS_PARALLEL_POD, NULL, 0 },
		{ PLEXUS_PARALLEL_POD, "\"true\"", 1 },
		{ PLEXUS_PARALLEL_POD, "\"false\"", 0 },
		{ PLEXUS_PARALLEL_POD, "\"yes\"", -1 },
		{ PLEXUS_PARALLEL_POD, "\"True\"", -1 },
		{ PLEXUS_PARALLEL_POD, "\"\"", -1 },
		{ PLEXUS_PARALLEL_POD, "true", -1 },
		{ PLEXUS_PARALLEL_OFF, "\"1\"", -1 },
		{ PLEXUS_PARALLEL_ALL, "\"true \"", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fx *x;

		teardown(state);
		setup(state);
		x = *state;
		x->conf.parallel_attach = cases[i].node;
		add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
		add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
		add_pod_parallel(x, cases[i].annot);
		print_message("case %zu: %s\n", i,
			      cases[i].annot ? cases[i].annot : "(none)");
		if (cases[i].want < 0) {
			run_fails(x, CNI_ERR_SELECTION,
				  "pod ns1/p1: annotation "
				  "plexus.dev/parallel-attach: ",
				  "is not \"true\" or \"false\"", NULL);
			continue;
		}
		run_ok(x);
		assert_int_equal(x->plan->parallel, cases[i].want);
	}
}

/* plexusctl plan's groups for x's pod are `want` (json-c's spaced form). */
static void groups_shown(struct fx *x, const char *want)
{
	struct ctl_pod_info pod = { .ns = "ns1", .name = "p1" };
	json_object *view = NULL, *pa, *g;

	assert_int_equal(ctl_plan_run(&x->conf, &x->env, x->src, &pod, &view),
			 CTL_EXIT_OK);
	assert_true(json_object_object_get_ex(view, "parallelAttach", &pa));
	assert_true(json_object_object_get_ex(pa, "groups", &g));
	assert_string_equal(
		json_object_to_json_string_ext(g, JSON_C_TO_STRING_SPACED),
		want);
	json_object_put(view);
}

#define LINKED(name, key, ifname)                                             \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"" name "\",\"plugins\":[{"      \
	"\"type\":\"macvlan\",\"linkInContainer\":true,\"" key "\":\"" ifname \
	"\"}]}"

/* plan_waves: an attachment naming an earlier one's pod interface in
 * "master" or "link" runs in a later group; the rest in group 0. */
static void test_select__parallel_waves(void **state)
{
	struct fx *x = *state;
	size_t wave[8] = { 0 };

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "v1", LINKED("v1", "master", "net1"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_nad(x, "ns1", "v2", LINKED("v2", "link", "net2"), NULL);
	add_nad(x, "ns1", "h", LINKED("h", "master", "eth9"), NULL);
	add_pod_networks(x, "a, v1, b, v2, h");
	run_ok(x);
	assert_int_equal(x->plan->n, 6);
	/* eth0 cluster, net1 a, net2 v1 (on net1), net3 b, net4 v2 (on
	 * net2), net5 h (eth9: not a pod interface of this plan) */
	assert_int_equal(plan_waves(x->plan, wave), 3);
	assert_int_equal(wave[0], 0);
	assert_int_equal(wave[1], 0);
	assert_int_equal(wave[2], 1);
	assert_int_equal(wave[3], 0);
	assert_int_equal(wave[4], 2);
	assert_int_equal(wave[5], 0);
	assert_true(plan_depends(x->plan, 2, 1));
	x->conf.parallel_attach = PLEXUS_PARALLEL_ALL;
	groups_shown(x, "[ [ 0, 1, 3, 5 ], [ 2 ], [ 4 ] ]");
	assert_true(plan_depends(x->plan, 4, 2));
	assert_false(plan_depends(x->plan, 4, 1));
	assert_false(plan_depends(x->plan, 1, 2)); /* only on earlier ones */
	assert_false(plan_depends(x->plan, 5, 0));
}

/* Without any dependency every attachment is in group 0. */
static void test_select__parallel_waves_independent(void **state)
{
	struct fx *x = *state;
	size_t wave[4] = { 9, 9, 9, 9 };

	add_nad(x, "ns1", "a", BRIDGE("a"), NULL);
	add_nad(x, "ns1", "b", BRIDGE("b"), NULL);
	add_nad(x, "ns1", "c", BRIDGE("c"), NULL);
	add_pod_networks(x, "a, b, c");
	run_ok(x);
	assert_int_equal(plan_waves(x->plan, wave), 1);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(wave[i], 0);
}

/* The default network keeps the main table: its routes are refused. */
static void test_select__policy_routes_default_network(void **state)
{
	struct fx *x = *state;

	pr_on(x);
	add_nad(x, "ns1", "red", BRIDGE("red"), ROUTES_ANNOT(ROUTE_83));
	add_pod(x, "{\"v1.multus-cni.io/default-network\": \"ns1/red\"}");
	run_fails(x, CNI_ERR_INVALID_CONFIG,
		  "annotation plexus.dev/policy-routes: it is the pod's "
		  "default network",
		  NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_select__comma_annotation),
		T(test_select__nad_without_namespace),
		T(test_select__same_nad_fetched_once),
		T(test_select__no_pod_args),
		T(test_select__no_source),
		T(test_select__cluster_network_from_confdir),
		T(test_select__cluster_network_path),
		T(test_select__cluster_network_missing),
		T(test_select__no_default_network),
		T(test_select__delegates),
		T(test_select__default_networks),
		T(test_select__system_namespace_skips_default_networks),
		T(test_select__default_network_override),
		T(test_select__default_network_override_own_ns),
		T(test_select__default_network_override_rejects),
		T(test_select__default_network_override_ifname),
		T(test_select__default_network_override_isolation),
		T(test_select__meta_plugin_refused),
		T(test_select__tenant_policy),
		T(test_select__runtime_config_from_runtime),
		T(test_select__json_element_maps_capabilities),
		T(test_select__capability_not_declared),
		T(test_select__two_default_routes),
		T(test_select__policy_routes),
		T(test_select__policy_routes_refused),
		T(test_select__policy_routes_default_network),
		T(test_select__parallel_attach),
		T(test_select__parallel_waves),
		T(test_select__parallel_waves_independent),
		T(test_select__interface_clash),
		T(test_select__nad_missing),
		T(test_select__nad_config_not_json),
		T(test_select__nad_config_invalid),
		T(test_select__nad_name_defaults),
		T(test_select__nad_empty_config_uses_confdir),
		T(test_select__isolation),
		T(test_select__bad_annotation),
		T(test_select__pod_uid_mismatch),
		T(test_select__pod_get_fails),
		T(test_select__bad_pod_args),
		T(test_select__device_ids),
		T(test_select__device_ids_old_format_and_exhausted),
		T(test_select__device_checkpoint_missing_or_bad),
		T(test_select__examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
