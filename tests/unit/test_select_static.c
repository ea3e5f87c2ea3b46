// SPDX-License-Identifier: Apache-2.0
/* select in static mode (no NAD source): attachments from delegates or
 * clusterNetwork/defaultNetworks (resolved in a temporary confDir),
 * interface names, runtimeConfig, systemNamespaces. */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "plan.h"
#include "nadsrc.h"
#include "plexus_conf.h"
#include "select.h"

static char dir[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char sub[128];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/plexus-plan.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	put("10-default.conflist", "{\"cniVersion\":\"1.0.0\",\"name\":\"k8s-"
				   "pod-network\","
				   "\"plugins\":[{\"type\":\"bridge\"},{"
				   "\"type\":\"portmap\"}]}");
	put("20-macvlan.conf", "{\"cniVersion\":\"0.3.1\",\"name\":\"macvlan-"
			       "net\","
			       "\"type\":\"macvlan\"}");
	put("30-broken.conf", "{\"cniVersion\":");
	put("40-ipvlan.json", "{\"cniVersion\":\"1.1.0\",\"name\":\"ipvlan-"
			      "net\","
			      "\"type\":\"ipvlan\"}");
	put("50-notes.txt", "{\"cniVersion\":\"1.0.0\",\"name\":\"txt-net\","
			    "\"type\":\"x\"}");
	put(".60-hidden.conf", "{\"cniVersion\":\"1.0.0\",\"name\":\"hidden\","
			       "\"type\":\"x\"}");
	snprintf(sub, sizeof(sub), "%s/only", dir);
	mkdir(sub, 0700);
	put("only/10-second.conf", "{\"cniVersion\":\"1.0.0\",\"name\":"
				   "\"second\","
				   "\"type\":\"b\"}");
	put("only/05-first.conf", "{\"cniVersion\":\"1.0.0\",\"name\":"
				  "\"first\","
				  "\"type\":\"a\"}");
	put("only/01-readme", "not a config");
	snprintf(sub, sizeof(sub), "%s/empty", dir);
	mkdir(sub, 0700);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static struct plexus_conf *conf_of(const char *body)
{
	char doc[2048];
	json_object *o;
	struct plexus_conf *c;
	struct cni_err err = { 0 };

	snprintf(doc, sizeof(doc),
		 "{\"cniVersion\":\"1.0.0\",\"confDir\":\"%s\",%s}", dir, body);
	o = json_tokener_parse(doc);
	assert_non_null(o);
	if (plexus_conf_parse(o, &c, &err) < 0)
		print_message("conf: %s\n", err.msg);
	json_object_put(o);
	assert_non_null(c);
	return c;
}

static void env_init(struct cni_env *env, const char *ifname, const char *args)
{
	memset(env, 0, sizeof(*env));
	env->cmd = CNI_CMD_ADD;
	env->ifname = (char *)ifname;
	assert_int_equal(cni_args_parse(args, &env->args, &env->n_args, NULL),
			 0);
}

static struct plexus_plan *build_ok(const char *body, const char *ifname)
{
	struct plexus_conf *c = conf_of(body);
	struct plexus_plan *plan = NULL;
	struct cni_env env;
	struct cni_err err = { 0 };
	int r;

	env_init(&env, ifname, "");
	r = select_plan(c, &env, NULL, &plan, &err);
	if (r < 0)
		print_message("plan: %s\n", err.msg);
	assert_int_equal(r, 0);
	cni_kv_free(env.args, env.n_args);
	plexus_conf_free(c);
	return plan;
}

static void build_fails(const char *body, int code, const char *want)
{
	struct plexus_conf *c = conf_of(body);
	struct plexus_plan *plan = (struct plexus_plan *)0x1;
	struct cni_env env;
	struct cni_err err = { 0 };

	env_init(&env, "eth0", "");
	assert_true(select_plan(c, &env, NULL, &plan, &err) < 0);
	print_message("%s -> %d %s\n", body, err.code, err.msg);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, want));
	assert_ptr_equal(plan, (struct plexus_plan *)0x1);
	plexus_conf_free(c);
}

static void test_select_static__delegates_ifnames(void **state)
{
	static const char *const ifnames[] = { "eth0", "ens3" };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		struct plexus_plan *p = build_ok("\"delegates\":[{"
						 "\"cniVersion\":\"1.0.0\","
						 "\"name\":\"a\","
						 "\"type\":\"bridge\"},{"
						 "\"cniVersion\":\"0.3.1\","
						 "\"type\":\"macvlan\"},{"
						 "\"cniVersion\":\"1.0.0\","
						 "\"name\":\"c\",\"plugins\":[{"
						 "\"type\":\"x\"}]}]",
						 ifnames[k]);

		assert_int_equal(p->n, 3);
		assert_string_equal(p->att[0].ifname, ifnames[k]);
		assert_string_equal(p->att[1].ifname, "net1");
		assert_string_equal(p->att[2].ifname, "net2");
		assert_true(p->att[0].is_default);
		assert_false(p->att[1].is_default);
		assert_false(p->att[2].is_default);
		assert_string_equal(p->att[0].network, "a");
		assert_string_equal(p->att[1].network, "delegates[1]");
		assert_string_equal(p->att[1].source, "delegates[1]");
		assert_string_equal(cni_conflist_type(p->att[2].conf, 0), "x");
		assert_null(p->att[0].runtime_config);
		plexus_plan_free(p);
	}
	plexus_plan_free(NULL);
}

static void test_select_static__bad_delegate_named(void **state)
{
	(void)state;
	build_fails("\"delegates\":[{\"cniVersion\":\"1.0.0\",\"type\":\"a\"},"
		    "{\"cniVersion\":\"1.0.0\",\"type\":\"../x\"}]",
		    CNI_ERR_INVALID_CONFIG, "delegates[1]");
	build_fails("\"delegates\":[{\"cniVersion\":\"9.0.0\",\"type\":\"a\"}]",
		    CNI_ERR_INCOMPATIBLE_VERSION, "delegates[0].cniVersion");
}

static void test_select_static__cluster_network_by_name(void **state)
{
	struct plexus_plan *p = build_ok("\"clusterNetwork\":\"k8s-pod-"
					 "network\",\"defaultNetworks\":"
					 "[\"macvlan-net\",\"ipvlan-net\"]",
					 "eth0");
	char want[160];

	(void)state;
	assert_int_equal(p->n, 3);
	assert_string_equal(p->att[0].network, "k8s-pod-network");
	assert_string_equal(p->att[0].ifname, "eth0");
	assert_true(p->att[0].is_default);
	assert_int_equal(p->att[0].conf->n_plugins, 2);
	snprintf(want, sizeof(want), "%s/10-default.conflist", dir);
	assert_string_equal(p->att[0].source, want);
	assert_string_equal(p->att[1].network, "macvlan-net");
	assert_string_equal(p->att[1].ifname, "net1");
	assert_false(p->att[1].is_default);
	assert_string_equal(p->att[2].network, "ipvlan-net");
	assert_string_equal(p->att[2].ifname, "net2");
	plexus_plan_free(p);
}

static void test_select_static__cluster_network_by_path(void **state)
{
	char body[512];
	struct plexus_plan *p;

	(void)state;
	/* a file path, even one whose name would not be scanned */
	snprintf(body, sizeof(body),
		 "\"clusterNetwork\":\"%s/50-notes.txt\",\"defaultNetworks\":"
		 "[\"%s/only\"]",
		 dir, dir);
	p = build_ok(body, "eth0");
	assert_int_equal(p->n, 2);
	assert_string_equal(p->att[0].network, "txt-net");
	/* a directory: its first config file in name order */
	assert_string_equal(p->att[1].network, "first");
	assert_string_equal(p->att[1].ifname, "net1");
	plexus_plan_free(p);
}

/* auxiliaryCNIChainName (Multus v4.2.4): after every other network, a
 * chain named so, on net<position>: Multus' passthru, then each ".conf"
 * file of the directory of that name beside the clusterNetwork file, in
 * name order (other extensions are not read). */
static void test_select_static__aux_chain(void **state)
{
	char body[512], sub[128];
	struct plexus_plan *p;
	const struct plexus_attachment *a;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/chain", dir);
	mkdir(sub, 0700);
	put("chain/20-tune.conf", "{\"type\":\"tuning\",\"sysctl\":{}}");
	put("chain/10-first.conf", "{\"name\":\"x\",\"type\":\"sbr\"}");
	put("chain/30-other.json", "{\"type\":\"skipped\"}");
	snprintf(body, sizeof(body),
		 "\"clusterNetwork\":\"%s/10-default.conflist\","
		 "\"defaultNetworks\":[\"macvlan-net\"],"
		 "\"auxiliaryCNIChainName\":\"chain\"",
		 dir);
	p = build_ok(body, "eth0");
	assert_int_equal(p->n, 3);
	a = &p->att[2];
	assert_true(a->aux_chain);
	assert_false(a->is_default);
	assert_false(p->att[0].aux_chain);
	assert_string_equal(a->network, "chain");
	assert_string_equal(a->ifname, "net2");
	assert_string_equal(a->conf->cni_version, "1.0.0");
	assert_int_equal(a->conf->n_plugins, 3);
	assert_string_equal(cni_conflist_type(a->conf, 0), "passthru");
	assert_string_equal(cni_conflist_type(a->conf, 1), "sbr");
	assert_string_equal(cni_conflist_type(a->conf, 2), "tuning");
	plexus_plan_free(p);
	/* no such directory: no chain, as Multus */
	snprintf(body, sizeof(body),
		 "\"clusterNetwork\":\"%s/10-default.conflist\","
		 "\"auxiliaryCNIChainName\":\"nochain\"",
		 dir);
	p = build_ok(body, "eth0");
	assert_int_equal(p->n, 1);
	plexus_plan_free(p);
	/* a plugin file without "type": refused, naming the file */
	snprintf(sub, sizeof(sub), "%s/badchain", dir);
	mkdir(sub, 0700);
	put("badchain/1.conf", "{\"sysctl\":{}}");
	snprintf(body, sizeof(body),
		 "\"clusterNetwork\":\"%s/10-default.conflist\","
		 "\"auxiliaryCNIChainName\":\"badchain\"",
		 dir);
	build_fails(body, CNI_ERR_INVALID_CONFIG, "badchain");
	/* a clusterNetwork that is a name, not a path: ADD refused */
	build_fails("\"clusterNetwork\":\"macvlan-net\","
		    "\"auxiliaryCNIChainName\":\"chain\"",
		    CNI_ERR_INVALID_CONFIG, "must be a file path");
}

static void test_plexus_conf_parse__aux_chain_name(void **state)
{
	static const char *const bad[] = { "../etc", "a/b", ".hidden", "-x" };
	char doc[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct plexus_conf *c = NULL;
		struct cni_err err = { 0 };
		json_object *o;

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\",\"clusterNetwork\":"
			 "\"/x/y.conf\",\"auxiliaryCNIChainName\":\"%s\"}",
			 bad[i]);
		o = json_tokener_parse(doc);
		assert_true(plexus_conf_parse(o, &c, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
		assert_non_null(strstr(err.msg, "auxiliaryCNIChainName"));
		assert_null(c);
		json_object_put(o);
	}
}

static void test_select_static__cluster_network_wins(void **state)
{
	struct plexus_plan *p = build_ok("\"clusterNetwork\":\"macvlan-net\","
					 "\"delegates\":[{\"cniVersion\":"
					 "\"1.0.0\",\"name\":\"d\",\"type\":"
					 "\"x\"}]",
					 "eth0");

	(void)state;
	assert_int_equal(p->n, 1);
	assert_string_equal(p->att[0].network, "macvlan-net");
	plexus_plan_free(p);
}

static void test_select_static__unresolved_names_field(void **state)
{
	char body[512];

	(void)state;
	build_fails("\"clusterNetwork\":\"no-such-net\"",
		    CNI_ERR_INVALID_CONFIG,
		    "clusterNetwork \"no-such-net\": no network named "
		    "\"no-such-net\"");
	/* an unparsable file is not a match for its name either */
	build_fails("\"clusterNetwork\":\"k8s-pod-network\","
		    "\"defaultNetworks\":"
		    "[\"macvlan-net\",\"txt-net\"]",
		    CNI_ERR_INVALID_CONFIG, "defaultNetworks \"txt-net\"");
	build_fails("\"clusterNetwork\":\"hidden\"", CNI_ERR_INVALID_CONFIG,
		    "clusterNetwork");
	build_fails("\"clusterNetwork\":\"/nonexistent/x.conf\"",
		    CNI_ERR_INVALID_CONFIG,
		    "clusterNetwork \"/nonexistent/x.conf\"");
	snprintf(body, sizeof(body), "\"clusterNetwork\":\"%s/empty\"", dir);
	build_fails(body, CNI_ERR_INVALID_CONFIG,
		    "no config file in the directory");
	snprintf(body, sizeof(body), "\"clusterNetwork\":\"%s/30-broken.conf\"",
		 dir);
	build_fails(body, CNI_ERR_DECODE, "30-broken.conf");
}

static void test_select_static__runtime_config_every_network(void **state)
{
	struct plexus_plan *p = build_ok("\"clusterNetwork\":\"k8s-pod-"
					 "network\",\"defaultNetworks\":"
					 "[\"macvlan-net\"],\"runtimeConfig\":{"
					 "\"portMappings\":"
					 "[{\"hostPort\":80,\"containerPort\":"
					 "8080}]}",
					 "eth0");
	json_object *pm;

	(void)state;
	assert_non_null(p->att[0].runtime_config);
	assert_true(json_object_object_get_ex(p->att[0].runtime_config,
					      "portMappings", &pm));
	assert_int_equal(json_object_array_length(pm), 1);
	/* every network, as Multus' code (each plugin then gets only the
	 * keys it declares) */
	assert_true(json_object_object_get_ex(p->att[1].runtime_config,
					      "portMappings", &pm));
	plexus_plan_free(p);
}

static void test_select_static__pod_from_cni_args(void **state)
{
	struct plexus_conf *c = conf_of("\"clusterNetwork\":\"macvlan-net\"");
	struct plexus_plan *p;
	struct cni_env env;

	(void)state;
	env_init(&env, "eth0",
		 "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0;"
		 "K8S_POD_UID=7a1e");
	assert_int_equal(select_plan(c, &env, NULL, &p, NULL), 0);
	assert_string_equal(p->pod_namespace, "ns1");
	assert_string_equal(p->pod_name, "web-0");
	assert_string_equal(p->pod_uid, "7a1e");
	plexus_plan_free(p);
	cni_kv_free(env.args, env.n_args);
	plexus_conf_free(c);
}

/* A source the config names but that cannot be read (opened by the
 * request, read on first use) fails the plan, naming it. */
static void test_select_static__source_unreadable(void **state)
{
	struct plexus_conf *c = conf_of("\"clusterNetwork\":\"x\","
					"\"manifestsDir\":\"/"
					"nonexistent-plexus\"");
	struct plexus_plan *p = NULL;
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	struct cni_env env;

	(void)state;
	env_init(&env, "eth0", "K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=p1");
	assert_int_equal(nad_source_open(c, 0, &src, &err), 0);
	assert_true(select_plan(c, &env, src, &p, &err) < 0);
	assert_null(p);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent-plexus"));
	nad_source_free(src);
	cni_kv_free(env.args, env.n_args);
	plexus_conf_free(c);
}

/* The rules of select hold without a source too: defaultNetworks stay
 * with delegates, and pods in systemNamespaces do not get them. */
static void test_select_static__default_networks_and_system_ns(void **state)
{
	static const char body[] = "\"delegates\":[{\"cniVersion\":\"1.0.0\","
				   "\"name\":\"a\","
				   "\"type\":\"bridge\"}],\"defaultNetworks\":["
				   "\"macvlan-net\"]";
	struct plexus_conf *c = conf_of(body);
	struct plexus_plan *p = build_ok(body, "eth0");
	struct cni_env env;

	(void)state;
	assert_int_equal(p->n, 2);
	assert_string_equal(p->att[1].network, "macvlan-net");
	assert_string_equal(p->att[1].ifname, "net1");
	plexus_plan_free(p);
	env_init(&env, "eth0",
		 "K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns");
	assert_int_equal(select_plan(c, &env, NULL, &p, NULL), 0);
	assert_int_equal(p->n, 1);
	assert_string_equal(p->att[0].network, "a");
	plexus_plan_free(p);
	cni_kv_free(env.args, env.n_args);
	plexus_conf_free(c);
}

/* Two attachments on one interface name: the selection error. */
static void test_select_static__duplicate_ifname(void **state)
{
	struct plexus_conf *c = conf_of("\"delegates\":[{\"cniVersion\":"
					"\"1.0.0\",\"name\":\"a\",\"type\":"
					"\"x\"},{\"cniVersion\":\"1.0.0\","
					"\"name\":\"b\",\"type\":\"x\"}]");
	struct plexus_plan *p = NULL;
	struct cni_err err = { 0 };
	struct cni_env env;

	(void)state;
	env_init(&env, "net1", "");
	assert_true(select_plan(c, &env, NULL, &p, &err) < 0);
	assert_null(p);
	assert_int_equal(err.code, CNI_ERR_SELECTION);
	assert_non_null(strstr(err.msg, "interface \"net1\" already used"));
	cni_kv_free(env.args, env.n_args);
	plexus_conf_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_static__delegates_ifnames),
		cmocka_unit_test(test_select_static__bad_delegate_named),
		cmocka_unit_test(test_select_static__cluster_network_by_name),
		cmocka_unit_test(test_select_static__cluster_network_by_path),
		cmocka_unit_test(test_select_static__aux_chain),
		cmocka_unit_test(test_plexus_conf_parse__aux_chain_name),
		cmocka_unit_test(test_select_static__cluster_network_wins),
		cmocka_unit_test(test_select_static__unresolved_names_field),
		cmocka_unit_test(
			test_select_static__runtime_config_every_network),
		cmocka_unit_test(test_select_static__pod_from_cni_args),
		cmocka_unit_test(test_select_static__source_unreadable),
		cmocka_unit_test(
			test_select_static__default_networks_and_system_ns),
		cmocka_unit_test(test_select_static__duplicate_ifname),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
