// SPDX-License-Identifier: Apache-2.0
/* plexus_conf: the meta plugin's config keys, their types and defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_exec.h"
#include "plexus_conf.h"

#define DELEGATES \
	"\"delegates\":[{\"cniVersion\":\"1.0.0\",\"type\":\"bridge\"}]"

static int parse(const char *s, struct plexus_conf **ret, struct cni_err *err)
{
	json_object *doc = json_tokener_parse(s);
	int r;

	assert_non_null(doc);
	r = plexus_conf_parse(doc, ret, err);
	json_object_put(doc); /* conf keeps its own reference */
	return r;
}

static struct plexus_conf *parse_ok(const char *s)
{
	struct plexus_conf *c = NULL;
	struct cni_err err = { 0 };
	int r = parse(s, &c, &err);

	if (r < 0)
		print_message("failed: %s\n", err.msg);
	assert_int_equal(r, 0);
	return c;
}

static void parse_fails(const char *s, int code, const char *want)
{
	struct plexus_conf *c = (struct plexus_conf *)0x1;
	struct cni_err err = { 0 };

	print_message("input %s\n", s);
	assert_true(parse(s, &c, &err) < 0);
	print_message("  -> %d %s\n", err.code, err.msg);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, want));
	assert_ptr_equal(c, (struct plexus_conf *)0x1);
}

static void test_plexus_conf_parse__defaults(void **state)
{
	struct plexus_conf *c =
		parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES "}");

	(void)state;
	assert_int_equal(c->ver, CNI_V100);
	assert_string_equal(c->cni_version, "1.0.0");
	assert_null(c->name);
	assert_non_null(c->delegates);
	assert_null(c->cluster_network);
	assert_int_equal(c->n_default_networks, 0);
	assert_string_equal(c->conf_dir, "/etc/cni/multus/net.d");
	assert_string_equal(c->cache_dir, PLEXUS_CACHE_DIR_DEFAULT);
	assert_string_equal(c->bin_dir, "/opt/cni/bin"); /* Multus' */
	assert_null(c->kubeconfig);
	assert_null(c->manifests_dir);
	assert_string_equal(c->multus_namespace, "kube-system");
	assert_false(c->namespace_isolation);
	assert_string_equal(c->global_namespaces, "default");
	assert_int_equal(c->n_system_namespaces, 1);
	assert_string_equal(c->system_namespaces[0], "kube-system");
	assert_string_equal(c->checkpoint_file, PLEXUS_CHECKPOINT_DEFAULT);
	assert_null(c->log_file);
	assert_int_equal(c->log_level, CNI_LOG_ERROR);
	assert_true(c->log_to_stderr); /* Multus' default */
	assert_null(c->log_level_unknown);
	assert_int_equal(c->log_options.max_size_mb, 100);
	assert_int_equal(c->log_options.max_age_days, 5);
	assert_int_equal(c->log_options.max_backups, 5);
	assert_true(c->log_options.compress);
	assert_false(c->retry_delete_on_error);
	assert_true(c->merged_result);
	assert_false(c->multus_error_codes);
	assert_string_equal(c->multus_cache_dir, "/var/lib/cni/multus");
	assert_false(c->cni_version_missing);
	assert_null(c->readiness_file);
	assert_int_equal(c->delegate_timeout_ms,
			 CNI_EXEC_TIMEOUT_S_DEFAULT * 1000);
	assert_null(c->runtime_config);
	assert_null(c->prev_result);
	plexus_conf_free(c);
	plexus_conf_free(NULL);
}

static void test_plexus_conf_parse__every_key(void **state)
{
	struct plexus_conf *c = parse_ok(
		"{\"cniVersion\":\"0.4.0\",\"name\":\"multus\",\"type\":"
		"\"plexus\","
		"\"clusterNetwork\":\"k8s-pod-network\",\"defaultNetworks\":"
		"[\"a\",\"b\"],\"confDir\":\"/c\",\"cniDir\":\"/cache\","
		"\"binDir\":\"/bin\",\"kubeconfig\":\"/k\",\"manifestsDir\":\"/"
		"m\","
		"\"multusNamespace\":\"mns\",\"namespaceIsolation\":true,"
		"\"globalNamespaces\":\"default,shared\",\"systemNamespaces\":["
		"],"
		"\"deviceCheckpointFile\":\"/cp\",\"logFile\":\"/log\","
		"\"logLevel\":\"debug\",\"logToStderr\":true,"
		"\"readinessindicatorfile\":\"/ready\",\"delegateTimeout\":5,"
		"\"runtimeConfig\":{\"mac\":\"x\"},\"prevResult\":{"
		"\"cniVersion\":"
		"\"0.4.0\"}}");

	(void)state;
	assert_string_equal(c->name, "multus");
	assert_null(c->delegates);
	assert_string_equal(c->cluster_network, "k8s-pod-network");
	assert_int_equal(c->n_default_networks, 2);
	assert_string_equal(c->default_networks[1], "b");
	assert_string_equal(c->conf_dir, "/c");
	assert_string_equal(c->cache_dir, "/cache");
	assert_string_equal(c->bin_dir, "/bin");
	assert_string_equal(c->kubeconfig, "/k");
	assert_string_equal(c->manifests_dir, "/m");
	assert_string_equal(c->multus_namespace, "mns");
	assert_true(c->namespace_isolation);
	assert_string_equal(c->global_namespaces, "default,shared");
	assert_int_equal(c->n_system_namespaces, 0);
	assert_string_equal(c->checkpoint_file, "/cp");
	assert_string_equal(c->log_file, "/log");
	assert_int_equal(c->log_level, CNI_LOG_DEBUG);
	assert_true(c->log_to_stderr);
	assert_string_equal(c->readiness_file, "/ready");
	assert_int_equal(c->delegate_timeout_ms, 5000);
	assert_non_null(c->runtime_config);
	assert_non_null(c->prev_result);
	plexus_conf_free(c);
}

/* Every key given the wrong type: code 7 and the key in the message. */
static void test_plexus_conf_parse__wrong_type_names_key(void **state)
{
	static const struct {
		const char *key, *bad;
	} cases[] = {
		{ "name", "1" },
		{ "clusterNetwork", "[]" },
		{ "defaultNetworks", "\"a,b\"" },
		{ "confDir", "true" },
		{ "cniDir", "{}" },
		{ "binDir", "1" },
		{ "kubeconfig", "1" },
		{ "manifestsDir", "1" },
		{ "multusNamespace", "1" },
		{ "namespaceIsolation", "\"true\"" },
		{ "globalNamespaces", "[\"default\"]" },
		{ "systemNamespaces", "\"kube-system\"" },
		{ "deviceCheckpointFile", "1" },
		{ "logFile", "1" },
		{ "logLevel", "3" },
		{ "logToStderr", "1" },
		{ "readinessindicatorfile", "1" },
		{ "delegateTimeout", "\"10\"" },
		{ "delegateTimeout", "1.5" },
		{ "runtimeConfig", "[]" },
		{ "prevResult", "\"x\"" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[256], want[64];

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"%s\":%s}",
			 cases[i].key, cases[i].bad);
		snprintf(want, sizeof(want), "%s:", cases[i].key);
		parse_fails(doc, CNI_ERR_INVALID_CONFIG, want);
	}
}

static void test_plexus_conf_parse__list_elements(void **state)
{
	(void)state;
	parse_fails("{\"cniVersion\":\"1.0.0\",\"clusterNetwork\":\"a\","
		    "\"defaultNetworks\":[\"x\",2]}",
		    CNI_ERR_INVALID_CONFIG, "defaultNetworks[1]");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"clusterNetwork\":\"a\","
		    "\"systemNamespaces\":[\"\"]}",
		    CNI_ERR_INVALID_CONFIG, "systemNamespaces[0]");
}

static void test_plexus_conf_parse__version(void **state)
{
	struct plexus_conf *c = parse_ok("{" DELEGATES "}");

	(void)state;
	/* Multus runs a config without cniVersion */
	assert_true(c->cni_version_missing);
	assert_null(c->cni_version);
	assert_int_equal(c->ver, CNI_V030);
	plexus_conf_free(c);
	parse_fails("{\"cniVersion\":1," DELEGATES "}",
		    CNI_ERR_INCOMPATIBLE_VERSION, "cniVersion");
	parse_fails("{\"cniVersion\":\"0.2.0\"," DELEGATES "}",
		    CNI_ERR_INCOMPATIBLE_VERSION, "\"0.2.0\"");
	parse_fails("[]", CNI_ERR_INVALID_CONFIG, "must be a JSON object");
}

static void test_plexus_conf_parse__log_level_values(void **state)
{
	static const struct {
		const char *name;
		enum cni_log_level lvl;
	} ok[] = { { "panic", CNI_LOG_PANIC },
		   { "error", CNI_LOG_ERROR },
		   { "verbose", CNI_LOG_VERBOSE },
		   { "debug", CNI_LOG_DEBUG } };
	struct plexus_conf *c;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char doc[160];

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logLevel\":"
			 "\"%s\"}",
			 ok[i].name);
		c = parse_ok(doc);
		assert_int_equal(c->log_level, ok[i].lvl);
		plexus_conf_free(c);
	}
	/* unknown: a warning in Multus, the level stays at its default;
	 * Multus reads the level case-insensitively */
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logLevel\":"
		     "\"info\"}");
	assert_int_equal(c->log_level, CNI_LOG_ERROR);
	assert_string_equal(c->log_level_unknown, "info");
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logLevel\":"
		     "\"DEBUG\"}");
	assert_int_equal(c->log_level, CNI_LOG_DEBUG);
	assert_null(c->log_level_unknown);
	plexus_conf_free(c);
}

static void test_plexus_conf_parse__multus_log_keys(void **state)
{
	struct plexus_conf *c =
		parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logToStderr"
			 "\":false,"
			 "\"retryDeleteOnError\":true,\"logOptions\":{"
			 "\"maxSize\":1,"
			 "\"maxAge\":0,\"maxBackups\":2,\"compress\":false}}");

	(void)state;
	assert_false(c->log_to_stderr);
	assert_true(c->retry_delete_on_error);
	assert_int_equal(c->log_options.max_size_mb, 1);
	assert_int_equal(c->log_options.max_age_days, 0);
	assert_int_equal(c->log_options.max_backups, 2);
	assert_false(c->log_options.compress);
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"mergedResult\":"
		     "false,"
		     "\"errorCodes\":"
		     "\"multus\"}");
	assert_false(c->merged_result);
	assert_true(c->multus_error_codes);
	plexus_conf_free(c);
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"errorCodes\":"
		    "\"cni\"}",
		    CNI_ERR_INVALID_CONFIG, "errorCodes: \"cni\"");
	/* syncMode: "pod" (the default) or "write" */
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES "}");
	assert_true(c->sync_per_pod);
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"syncMode\":"
		     "\"write\"}");
	assert_false(c->sync_per_pod);
	plexus_conf_free(c);
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"syncMode\":"
		    "\"never\"}",
		    CNI_ERR_INVALID_CONFIG, "syncMode: \"never\" is not pod");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"syncMode\":1}",
		    CNI_ERR_INVALID_CONFIG, "syncMode");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"mergedResult\":"
		    "0}",
		    CNI_ERR_INVALID_CONFIG, "mergedResult");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logOptions\":{"
		    "\"maxSize\":-1}}",
		    CNI_ERR_INVALID_CONFIG, "logOptions.maxSize");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logOptions\":{"
		    "\"compress\":1}}",
		    CNI_ERR_INVALID_CONFIG, "logOptions.compress");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"logOptions\":[]"
		    "}",
		    CNI_ERR_INVALID_CONFIG, "logOptions");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"retryDeleteOnErr"
		    "or\":\"yes\"}",
		    CNI_ERR_INVALID_CONFIG, "retryDeleteOnError");
}

static void test_plexus_conf_parse__delegate_timeout_bounds(void **state)
{
	static const struct {
		const char *val;
		int ms; /* 0: rejected */
	} cases[] = {
		{ "0", 0 },	     { "-5", 0 },   { "1", 1000 },
		{ "3600", 3600000 }, { "3601", 0 }, { "99999999999", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[160];
		struct plexus_conf *c;

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"delegateTim"
			 "eout\":%s}",
			 cases[i].val);
		if (!cases[i].ms) {
			parse_fails(doc, CNI_ERR_INVALID_CONFIG,
				    "delegateTimeout");
			continue;
		}
		c = parse_ok(doc);
		assert_int_equal(c->delegate_timeout_ms, cases[i].ms);
		plexus_conf_free(c);
	}
}

static void test_plexus_conf_parse__parallel_attach(void **state)
{
	static const struct {
		const char *val; /* NULL: the key left out */
		int want;	 /* -1: refused */
	} cases[] = {
		{ NULL, PLEXUS_PARALLEL_OFF },
		{ "false", PLEXUS_PARALLEL_OFF },
		{ "true", PLEXUS_PARALLEL_ALL },
		{ "\"pod\"", PLEXUS_PARALLEL_POD },
		{ "\"Pod\"", -1 },
		{ "\"true\"", -1 },
		{ "\"\"", -1 },
		{ "1", -1 },
		{ "null", -1 },
		{ "{\"pod\":true}", -1 },
		{ "[\"pod\"]", -1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[200];
		struct plexus_conf *c;

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\"," DELEGATES "%s%s}",
			 cases[i].val ? ",\"parallelAttach\":" : "",
			 cases[i].val ? cases[i].val : "");
		if (cases[i].want < 0) {
			parse_fails(doc, CNI_ERR_INVALID_CONFIG,
				    "parallelAttach: ");
			continue;
		}
		c = parse_ok(doc);
		assert_int_equal(c->parallel_attach, cases[i].want);
		plexus_conf_free(c);
	}
}

static void test_plexus_conf_parse__policy_routing_iif(void **state)
{
	static const struct {
		const char *val; /* NULL: the key left out */
		int on, iif;	 /* -1: refused */
		unsigned prio;
	} cases[] = {
		{ NULL, 0, 0, 1000 },
		{ "true", 1, 0, 1000 },
		{ "{}", 1, 0, 1000 },
		{ "{\"iifRules\":true}", 1, 1, 1000 },
		{ "{\"iifRules\":false,\"rulePriority\":32765}", 1, 0, 32765 },
		{ "{\"iifRules\":true,\"rulePriority\":32764}", 1, 1, 32764 },
		{ "{\"iifRules\":true,\"rulePriority\":32765}", -1, -1, 0 },
		{ "{\"iifRules\":\"yes\"}", -1, -1, 0 },
		{ "{\"enabled\":false,\"iifRules\":true}", 0, 1, 1000 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[200];
		struct plexus_conf *c;

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\"," DELEGATES "%s%s}",
			 cases[i].val ? ",\"policyRouting\":" : "",
			 cases[i].val ? cases[i].val : "");
		if (cases[i].on < 0) {
			parse_fails(doc, CNI_ERR_INVALID_CONFIG,
				    "policyRouting.");
			continue;
		}
		c = parse_ok(doc);
		assert_int_equal(c->policy_routing.on, cases[i].on);
		assert_int_equal(c->policy_routing.iif, cases[i].iif);
		assert_int_equal(c->policy_routing.priority, cases[i].prio);
		assert_int_equal(PLEXUS_PR_IIF_PRIORITY(&c->policy_routing),
				 cases[i].prio + 1);
		plexus_conf_free(c);
	}
}

static void test_plexus_conf_parse__parallel_detach(void **state)
{
	struct plexus_conf *c;

	(void)state;
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES "}");
	assert_false(c->parallel_detach);
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"parallelDetach"
		     "\":true}");
	assert_true(c->parallel_detach);
	assert_int_equal(c->parallel_attach, PLEXUS_PARALLEL_OFF);
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"parallelDetach"
		     "\":false}");
	assert_false(c->parallel_detach);
	plexus_conf_free(c);
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"parallelDetach\""
		    ":\"true\"}",
		    CNI_ERR_INVALID_CONFIG, "parallelDetach");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"parallelDetach\""
		    ":1}",
		    CNI_ERR_INVALID_CONFIG, "parallelDetach");
}

static void test_plexus_conf_parse__delegates_shape(void **state)
{
	(void)state;
	parse_fails("{\"cniVersion\":\"1.0.0\",\"delegates\":{\"type\":\"x\"}}",
		    CNI_ERR_INVALID_CONFIG, "delegates: must be a list");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"delegates\":[]}",
		    CNI_ERR_INVALID_CONFIG, "delegates: the list is empty");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"delegates\":null}",
		    CNI_ERR_INVALID_CONFIG, "delegates");
}

/* metaPlugins and tenantPolicy: parsed with the rest (a policy always,
 * the defaults without the keys); a bad one fails the config with 7. */
static void test_plexus_conf_parse__nad_rules(void **state)
{
	struct plexus_conf *c;

	(void)state;
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES "}");
	assert_non_null(c->policy);
	plexus_conf_free(c);
	c = parse_ok("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"metaPlugins\":["
		     "\"danm\"],"
		     "\"tenantPolicy\":"
		     "{\"default\":{\"types\":[]}}}");
	assert_non_null(c->policy);
	plexus_conf_free(c);
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"tenantPolicy\":{"
		    "\"default\":{"
		    "\"vlan\":[1]}}}",
		    CNI_ERR_INVALID_CONFIG,
		    "tenantPolicy.default: unknown key \"vlan\"");
	parse_fails("{\"cniVersion\":\"1.0.0\"," DELEGATES ",\"metaPlugins\":{}"
		    "}",
		    CNI_ERR_INVALID_CONFIG, "metaPlugins: must be a list");
}

static void test_plexus_conf_parse__no_network_source(void **state)
{
	(void)state;
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}",
		    CNI_ERR_INVALID_CONFIG, "clusterNetwork");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"defaultNetworks\":[\"a\"]}",
		    CNI_ERR_INVALID_CONFIG, "delegates: missing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plexus_conf_parse__defaults),
		cmocka_unit_test(test_plexus_conf_parse__every_key),
		cmocka_unit_test(test_plexus_conf_parse__wrong_type_names_key),
		cmocka_unit_test(test_plexus_conf_parse__list_elements),
		cmocka_unit_test(test_plexus_conf_parse__version),
		cmocka_unit_test(test_plexus_conf_parse__log_level_values),
		cmocka_unit_test(test_plexus_conf_parse__multus_log_keys),
		cmocka_unit_test(
			test_plexus_conf_parse__delegate_timeout_bounds),
		cmocka_unit_test(test_plexus_conf_parse__delegates_shape),
		cmocka_unit_test(test_plexus_conf_parse__parallel_attach),
		cmocka_unit_test(test_plexus_conf_parse__policy_routing_iif),
		cmocka_unit_test(test_plexus_conf_parse__parallel_detach),
		cmocka_unit_test(test_plexus_conf_parse__no_network_source),
		cmocka_unit_test(test_plexus_conf_parse__nad_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
