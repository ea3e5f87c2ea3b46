// SPDX-License-Identifier: Apache-2.0
/* cni_conf: configs and conflists, and the stdin config of each plugin. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"

static struct cni_conflist *parse_ok(const char *s)
{
	struct cni_conflist *cl = NULL;
	struct cni_err err = { 0 };
	int r = cni_conflist_parse_str(s, strlen(s), "t", &cl, &err);

	if (r < 0)
		print_message("parse failed: %s\n", err.msg);
	assert_int_equal(r, 0);
	return cl;
}

/* Parse s (field "delegates[0]"), expect failure with code and every
 * word of want in the message. */
static void parse_fails(const char *s, int code, const char *want)
{
	struct cni_conflist *cl = (struct cni_conflist *)0x1;
	struct cni_err err = { 0 };

	print_message("input %s\n", s);
	assert_true(cni_conflist_parse_str(s, strlen(s), "delegates[0]", &cl,
					   &err) < 0);
	print_message("  -> %d %s\n", err.code, err.msg);
	assert_int_equal(err.code, code);
	assert_non_null(strstr(err.msg, want));
	assert_ptr_equal(cl, (struct cni_conflist *)0x1);
}

static void test_cni_conflist_parse__conf_is_list_of_one(void **state)
{
	struct cni_conflist *cl = parse_ok("{\"cniVersion\":\"0.3.1\",\"name\":"
					   "\"mv\",\"type\":\"macvlan\","
					   "\"master\":\"eth1\"}");

	(void)state;
	assert_false(cl->is_list);
	assert_int_equal(cl->n_plugins, 1);
	assert_ptr_equal(cl->plugins[0], cl->raw);
	assert_string_equal(cl->name, "mv");
	assert_string_equal(cl->cni_version, "0.3.1");
	assert_int_equal(cl->ver, CNI_V031);
	assert_string_equal(cni_conflist_type(cl, 0), "macvlan");
	assert_null(cni_conflist_type(cl, 1));
	cni_conflist_free(cl);
	cni_conflist_free(NULL);
}

static void test_cni_conflist_parse__list(void **state)
{
	struct cni_conflist *cl = parse_ok("{\"cniVersion\":\"1.0.0\",\"name\":"
					   "\"pod\",\"disableCheck\":true,"
					   "\"disableGC\":true,\"plugins\":[{"
					   "\"type\":\"bridge\"},"
					   "{\"type\":\"portmap\"}]}");

	(void)state;
	assert_true(cl->is_list);
	assert_int_equal(cl->n_plugins, 2);
	assert_int_equal(cl->ver, CNI_V100);
	assert_true(cl->disable_check);
	assert_true(cl->disable_gc);
	assert_string_equal(cni_conflist_type(cl, 0), "bridge");
	assert_string_equal(cni_conflist_type(cl, 1), "portmap");
	cni_conflist_free(cl);
}

static void test_cni_conflist_parse__version_errors(void **state)
{
	static const struct {
		const char *in;
		int code;
		const char *want;
	} cases[] = {
		{ "{\"type\":\"x\"}", CNI_ERR_INVALID_CONFIG,
		  "delegates[0].cniVersion: missing" },
		{ "{\"cniVersion\":1,\"type\":\"x\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "delegates[0].cniVersion" },
		{ "{\"cniVersion\":\"0.2.0\",\"type\":\"x\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "\"0.2.0\"" },
		{ "{\"cniVersion\":\"2.0.0\",\"plugins\":[{\"type\":\"x\"}]}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "delegates[0].cniVersion" },
		{ "{\"cniVersion\":\"\",\"type\":\"x\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "unsupported" },
		{ "{\"cniVersions\":[\"0.1.0\",\"2.0.0\"],\"type\":\"x\"}",
		  CNI_ERR_INCOMPATIBLE_VERSION, "delegates[0].cniVersions" },
		{ "{\"cniVersions\":[\"1.0.0\",1],\"type\":\"x\"}",
		  CNI_ERR_INVALID_CONFIG, "delegates[0].cniVersions[1]" },
		{ "{\"cniVersions\":\"1.0.0\",\"type\":\"x\"}",
		  CNI_ERR_INVALID_CONFIG, "delegates[0].cniVersions" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		parse_fails(cases[i].in, cases[i].code, cases[i].want);
}

static void test_cni_conflist_parse__cni_versions_picks_highest(void **state)
{
	static const struct {
		const char *in;
		enum cni_ver want;
	} cases[] = {
		{ "{\"cniVersions\":[\"0.4.0\",\"1.0.0\",\"9.9.9\"],"
		  "\"plugins\":[{\"type\":\"x\"}]}",
		  CNI_V100 },
		{ "{\"cniVersions\":[\"1.1.0\",\"0.3.1\"],\"type\":\"x\"}",
		  CNI_V110 },
		/* cniVersions wins over cniVersion */
		{ "{\"cniVersion\":\"0.3.0\",\"cniVersions\":[\"0.4.0\"],"
		  "\"type\":\"x\"}",
		  CNI_V040 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_conflist *cl = parse_ok(cases[i].in);

		assert_int_equal(cl->ver, cases[i].want);
		assert_string_equal(cl->cni_version,
				    cni_version_str(cases[i].want));
		cni_conflist_free(cl);
	}
}

static void test_cni_conflist_parse__plugin_errors(void **state)
{
	static const struct {
		const char *plugins, *want;
	} cases[] = {
		{ "[]", "delegates[0].plugins: the list is empty" },
		{ "{}", "delegates[0].plugins" },
		{ "[{\"type\":\"a\"},3]", "delegates[0].plugins[1]: must be an "
					  "object" },
		{ "[{\"bridge\":\"cni0\"}]", "delegates[0].plugins[0]: "
					     "\"type\" missing" },
		{ "[{\"type\":7}]", "delegates[0].plugins[0].type" },
		{ "[{\"type\":\"\"}]", "delegates[0].plugins[0]: \"type\" is "
				       "empty" },
		{ "[{\"type\":\"../../bin/sh\"}]", "\"../../bin/sh\"" },
		{ "[{\"type\":\"/usr/bin/x\"}]", "not a plain plugin name" },
		{ "[{\"type\":\"..\"}]", "delegates[0].plugins[0]" },
		{ "[{\"type\":\".\"}]", "delegates[0].plugins[0]" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char doc[256];

		snprintf(doc, sizeof(doc),
			 "{\"cniVersion\":\"1.0.0\",\"plugins\":%s}",
			 cases[i].plugins);
		parse_fails(doc, CNI_ERR_INVALID_CONFIG, cases[i].want);
	}
}

static void test_cni_conflist_parse__conf_type_errors(void **state)
{
	(void)state;
	parse_fails("{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}",
		    CNI_ERR_INVALID_CONFIG, "delegates[0]: \"type\" missing");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"type\":\"a/b\"}",
		    CNI_ERR_INVALID_CONFIG, "\"a/b\"");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"type\":\"x\",\"name\":5}",
		    CNI_ERR_INVALID_CONFIG, "delegates[0].name");
	parse_fails("{\"cniVersion\":\"1.0.0\",\"type\":\"x\","
		    "\"disableCheck\":\"yes\"}",
		    CNI_ERR_INVALID_CONFIG, "delegates[0].disableCheck");
	parse_fails("[1]", CNI_ERR_INVALID_CONFIG, "must be a JSON object");
	parse_fails("{\"cniVersion\":", CNI_ERR_DECODE, "delegates[0]");
}

static void test_cni_type_check__names(void **state)
{
	static const struct {
		const char *type;
		int ok;
	} cases[] = {
		{ "bridge", 1 }, { "plexus-ipam", 1 },
		{ "a.b", 1 },	 { "..a", 1 },
		{ "", 0 },	 { ".", 0 },
		{ "..", 0 },	 { "a/b", 0 },
		{ "/x", 0 },	 { NULL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_err err = { 0 };
		int r = cni_type_check(cases[i].type, "f", &err);

		print_message("type %s\n",
			      cases[i].type ? cases[i].type : "NULL");
		assert_int_equal(r, cases[i].ok ? 0 : -EINVAL);
		if (!cases[i].ok)
			assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	}
}

static void
test_cni_conflist_plugin_conf__injects_name_and_version(void **state)
{
	struct cni_conflist *cl = parse_ok("{\"cniVersions\":[\"1.0.0\",\"0.4."
					   "0\"],\"name\":\"pod\","
					   "\"plugins\":[{\"type\":\"bridge\"},"
					   "{\"type\":\"tuning\","
					   "\"name\":\"other\",\"cniVersion\":"
					   "\"0.3.0\",\"mtu\":1400}]}");
	json_object *conf, *raw_copy = cni_json_copy(cl->raw);
	const char *s;
	int64_t mtu;

	(void)state;
	assert_int_equal(
		cni_conflist_plugin_conf(cl, 1, NULL, NULL, &conf, NULL), 0);
	assert_int_equal(cni_json_get_string(conf, "name", "", &s, NULL), 0);
	assert_string_equal(s, "pod");
	assert_int_equal(cni_json_get_string(conf, "cniVersion", "", &s, NULL),
			 0);
	assert_string_equal(s, "1.0.0");
	assert_int_equal(cni_json_get_string(conf, "type", "", &s, NULL), 0);
	assert_string_equal(s, "tuning");
	assert_int_equal(cni_json_get_int(conf, "mtu", "", &mtu, NULL), 0);
	assert_int_equal(mtu, 1400);
	assert_false(json_object_object_get_ex(conf, "cniVersions", NULL));
	assert_false(json_object_object_get_ex(conf, "prevResult", NULL));
	assert_false(json_object_object_get_ex(conf, "runtimeConfig", NULL));
	/* the list as written is untouched */
	assert_true(json_object_equal(cl->raw, raw_copy));
	json_object_put(conf);
	assert_int_equal(
		cni_conflist_plugin_conf(cl, 2, NULL, NULL, &conf, NULL),
		-EINVAL);
	json_object_put(raw_copy);
	cni_conflist_free(cl);
}

static const char *const prev_110 =
	"{\"cniVersion\":\"1.1.0\",\"interfaces\":[{\"name\":\"eth0\","
	"\"mtu\":9000,\"pciID\":\"0000:00:01.0\"}],\"ips\":[{\"address\":"
	"\"10.0.0.5/24\",\"interface\":0},{\"address\":\"fd00::5/64\"}],"
	"\"routes\":[{\"dst\":\"0.0.0.0/0\",\"table\":100}]}";

static json_object *plugin_prev(const char *list_version, const char *prev)
{
	char doc[128];
	struct cni_conflist *cl;
	json_object *p = json_tokener_parse(prev), *conf, *out;

	snprintf(doc, sizeof(doc),
		 "{\"cniVersion\":\"%s\",\"plugins\":[{\"type\":\"x\"}]}",
		 list_version);
	cl = parse_ok(doc);
	assert_int_equal(cni_conflist_plugin_conf(cl, 0, p, NULL, &conf, NULL),
			 0);
	assert_true(json_object_object_get_ex(conf, "prevResult", &out));
	out = json_object_get(out);
	json_object_put(conf);
	json_object_put(p);
	cni_conflist_free(cl);
	return out;
}

static void test_cni_conflist_plugin_conf__prev_result_to_040(void **state)
{
	json_object *prev = plugin_prev("0.4.0", prev_110), *ips, *ifs, *v;

	(void)state;
	assert_string_equal(
		json_object_get_string(json_object_object_get(prev, "cniVersio"
								    "n")),
		"0.4.0");
	ips = json_object_object_get(prev, "ips");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(ips, 0), "versio"
								       "n")),
			    "4");
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(ips, 1), "versio"
								       "n")),
			    "6");
	ifs = json_object_array_get_idx(json_object_object_get(prev, "interface"
								     "s"),
					0);
	assert_false(json_object_object_get_ex(ifs, "mtu", &v));
	assert_false(json_object_object_get_ex(ifs, "pciID", &v));
	assert_false(json_object_object_get_ex(
		json_object_array_get_idx(json_object_object_get(prev, "route"
								       "s"),
					  0),
		"table", &v));
	json_object_put(prev);
}

static void test_cni_conflist_plugin_conf__prev_result_to_100(void **state)
{
	json_object *prev = plugin_prev("1.0.0", "{\"cniVersion\":\"0.3.1\","
						 "\"ips\":[{\"version\":\"4\","
						 "\"address\":\"10.0.0.5/"
						 "24\"}]}");
	json_object *ip;

	(void)state;
	assert_string_equal(
		json_object_get_string(json_object_object_get(prev, "cniVersio"
								    "n")),
		"1.0.0");
	ip = json_object_array_get_idx(json_object_object_get(prev, "ips"), 0);
	assert_false(json_object_object_get_ex(ip, "version", NULL));
	assert_string_equal(
		json_object_get_string(json_object_object_get(ip, "address")),
		"10.0.0.5/24");
	json_object_put(prev);
}

static void test_cni_conflist_plugin_conf__bad_prev_result(void **state)
{
	struct cni_conflist *cl = parse_ok("{\"cniVersion\":\"1.0.0\",\"type\":"
					   "\"x\"}");
	json_object *p = json_tokener_parse("{\"cniVersion\":\"1.0.0\","
					    "\"ips\":[{\"address\":\"10.0.0."
					    "1\"}]}");
	json_object *conf = (json_object *)0x1;
	struct cni_err err = { 0 };

	(void)state;
	assert_true(cni_conflist_plugin_conf(cl, 0, p, NULL, &conf, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_ptr_equal(conf, (json_object *)0x1);
	json_object_put(p);
	cni_conflist_free(cl);
}

static void test_cni_conflist_plugin_conf__runtime_config_filtered(void **state)
{
	struct cni_conflist *cl = parse_ok("{\"cniVersion\":\"1.0.0\","
					   "\"plugins\":[{\"type\":\"bridge\"},"
					   "{\"type\":\"portmap\","
					   "\"capabilities\":{\"portMappings\":"
					   "true,"
					   "\"mac\":false,\"bandwidth\":"
					   "\"yes\"}}]}");
	json_object *rt = json_tokener_parse("{\"portMappings\":[{\"hostPort\":"
					     "80}],\"mac\":\"02:00:00:00:00:"
					     "01\","
					     "\"bandwidth\":{},\"ips\":[]}");
	json_object *conf, *got;

	(void)state;
	assert_int_equal(cni_conflist_plugin_conf(cl, 0, NULL, rt, &conf, NULL),
			 0);
	assert_false(json_object_object_get_ex(conf, "runtimeConfig", NULL));
	json_object_put(conf);
	assert_int_equal(cni_conflist_plugin_conf(cl, 1, NULL, rt, &conf, NULL),
			 0);
	assert_true(json_object_object_get_ex(conf, "runtimeConfig", &got));
	assert_int_equal(json_object_object_length(got), 1);
	assert_true(json_object_equal(json_object_object_get(got, "portMapping"
								  "s"),
				      json_object_object_get(rt, "portMapping"
								 "s")));
	json_object_put(conf);
	json_object_put(rt);
	cni_conflist_free(cl);
}

static void test_cni_plugin_has_capability__forms(void **state)
{
	static const struct {
		const char *plugin;
		int want;
	} cases[] = {
		{ "{\"capabilities\":{\"mac\":true}}", 1 },
		{ "{\"capabilities\":{\"mac\":false}}", 0 },
		{ "{\"capabilities\":{\"mac\":1}}", 0 },
		{ "{\"capabilities\":{\"ips\":true}}", 0 },
		{ "{\"capabilities\":[\"mac\"]}", 0 },
		{ "{}", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *p = json_tokener_parse(cases[i].plugin);

		assert_int_equal(cni_plugin_has_capability(p, "mac"),
				 cases[i].want);
		json_object_put(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_conflist_parse__conf_is_list_of_one),
		cmocka_unit_test(test_cni_conflist_parse__list),
		cmocka_unit_test(test_cni_conflist_parse__version_errors),
		cmocka_unit_test(
			test_cni_conflist_parse__cni_versions_picks_highest),
		cmocka_unit_test(test_cni_conflist_parse__plugin_errors),
		cmocka_unit_test(test_cni_conflist_parse__conf_type_errors),
		cmocka_unit_test(test_cni_type_check__names),
		cmocka_unit_test(
			test_cni_conflist_plugin_conf__injects_name_and_version),
		cmocka_unit_test(
			test_cni_conflist_plugin_conf__prev_result_to_040),
		cmocka_unit_test(
			test_cni_conflist_plugin_conf__prev_result_to_100),
		cmocka_unit_test(
			test_cni_conflist_plugin_conf__bad_prev_result),
		cmocka_unit_test(
			test_cni_conflist_plugin_conf__runtime_config_filtered),
		cmocka_unit_test(test_cni_plugin_has_capability__forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
