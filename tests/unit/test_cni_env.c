// SPDX-License-Identifier: Apache-2.0
/* cni_env: the CNI_* environment, CNI_ARGS and interface names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_env.h"
#include "cni_ids.h"
#include "cni_error.h"

#define FULL_ENV(cmd)                                                    \
	{                                                                \
		"CNI_COMMAND=" cmd, "CNI_CONTAINERID=c0ffee",            \
			"CNI_NETNS=/run/netns/p", "CNI_IFNAME=eth0",     \
			"CNI_PATH=/opt/cni/bin:/usr/lib/cni",            \
			"CNI_ARGS=K8S_POD_NAME=web-0;K8S_POD_NAMESPACE=" \
			"default",                                       \
			NULL                                             \
	}

static void test_cni_env_load__every_command(void **state)
{
	static const struct {
		const char *name;
		enum cni_cmd cmd;
	} cases[] = {
		{ "ADD", CNI_CMD_ADD },	      { "DEL", CNI_CMD_DEL },
		{ "CHECK", CNI_CMD_CHECK },   { "VERSION", CNI_CMD_VERSION },
		{ "STATUS", CNI_CMD_STATUS }, { "GC", CNI_CMD_GC },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char cmd[32];
		char *envp[] = FULL_ENV("");
		struct cni_env env;
		struct cni_err err = { 0 };

		snprintf(cmd, sizeof(cmd), "CNI_COMMAND=%s", cases[i].name);
		envp[0] = cmd;
		assert_int_equal(cni_env_load(&env, envp, &err), 0);
		assert_int_equal(env.cmd, cases[i].cmd);
		assert_string_equal(env.container_id, "c0ffee");
		assert_string_equal(env.netns, "/run/netns/p");
		assert_string_equal(env.ifname, "eth0");
		assert_string_equal(env.path, "/opt/cni/bin:/usr/lib/cni");
		assert_int_equal(env.n_args, 2);
		assert_string_equal(cni_cmd_str(env.cmd), cases[i].name);
		assert_int_equal(cni_cmd_parse(cases[i].name), cases[i].cmd);
		cni_env_free(&env);
	}
}

/* unset and empty are the same: "not set" */
static void test_cni_env_load__command_missing(void **state)
{
	static char *const envs[][5] = {
		{ "CNI_CONTAINERID=x", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
		  NULL },
		{ "CNI_COMMAND=", "CNI_CONTAINERID=x", "CNI_NETNS=/n",
		  "CNI_IFNAME=eth0", NULL },
	};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct cni_env env;
		struct cni_err err = { 0 };

		assert_int_equal(cni_env_load(&env, envs[i], &err), -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
		assert_non_null(strstr(err.msg, "CNI_COMMAND"));
		assert_non_null(strstr(err.msg, "not set"));
	}
}

static void test_cni_env_load__command_unknown(void **state)
{
	static const char *const bad[] = { "CNI_COMMAND=FOO", "CNI_COMMAND=add",
					   "CNI_COMMAND=ADD ",
					   "CNI_COMMAND=NONE" };
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *envp[] = FULL_ENV("");
		struct cni_env env;
		struct cni_err err = { 0 };

		envp[0] = (char *)bad[i];
		assert_int_equal(cni_env_load(&env, envp, &err), -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
		assert_non_null(strstr(err.msg, "CNI_COMMAND"));
		assert_non_null(strstr(err.msg, "unknown"));
	}
}

/* Which variable each command needs: drop one at a time. */
static void test_cni_env_load__missing_variable_per_command(void **state)
{
	static const struct {
		const char *cmd, *drop;
		int fails;
	} cases[] = {
		{ "ADD", "CNI_CONTAINERID", 1 },
		{ "ADD", "CNI_NETNS", 1 },
		{ "ADD", "CNI_IFNAME", 1 },
		{ "ADD", "CNI_PATH", 0 },
		{ "CHECK", "CNI_CONTAINERID", 1 },
		{ "CHECK", "CNI_NETNS", 1 },
		{ "CHECK", "CNI_IFNAME", 1 },
		{ "DEL", "CNI_CONTAINERID", 1 },
		{ "DEL", "CNI_NETNS", 0 },
		{ "DEL", "CNI_IFNAME", 1 },
		{ "VERSION", "CNI_CONTAINERID", 0 },
		{ "VERSION", "CNI_NETNS", 0 },
		{ "VERSION", "CNI_IFNAME", 0 },
		{ "STATUS", "CNI_CONTAINERID", 0 },
		{ "STATUS", "CNI_NETNS", 0 },
		{ "STATUS", "CNI_IFNAME", 0 },
		{ "GC", "CNI_CONTAINERID", 0 },
		{ "GC", "CNI_NETNS", 0 },
		{ "GC", "CNI_IFNAME", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *full[] = FULL_ENV(""), *envp[8], cmd[32];
		size_t n = 0, dl = strlen(cases[i].drop);
		struct cni_env env;
		struct cni_err err = { 0 };
		int r;

		snprintf(cmd, sizeof(cmd), "CNI_COMMAND=%s", cases[i].cmd);
		full[0] = cmd;
		for (size_t j = 0; full[j]; j++)
			if (strncmp(full[j], cases[i].drop, dl) != 0 ||
			    full[j][dl] != '=')
				envp[n++] = full[j];
		envp[n] = NULL;
		r = cni_env_load(&env, envp, &err);
		if (!cases[i].fails) {
			assert_int_equal(r, 0);
			cni_env_free(&env);
			continue;
		}
		print_message("%s without %s\n", cases[i].cmd, cases[i].drop);
		assert_int_equal(r, -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
		assert_non_null(strstr(err.msg, cases[i].drop));
		assert_non_null(strstr(err.msg, cases[i].cmd));
	}
}

static void test_cni_env_load__only_command_for_version(void **state)
{
	char *envp[] = { "CNI_COMMAND=VERSION", NULL };
	struct cni_env env;

	(void)state;
	assert_int_equal(cni_env_load(&env, envp, NULL), 0);
	assert_null(env.container_id);
	assert_null(env.netns);
	assert_null(env.ifname);
	assert_int_equal(env.n_args, 0);
	cni_env_free(&env);
	cni_env_free(NULL);
}

static void test_cni_env_load__empty_value_is_missing(void **state)
{
	char *envp[] = FULL_ENV("ADD");
	struct cni_env env;
	struct cni_err err = { 0 };

	(void)state;
	envp[2] = "CNI_NETNS=";
	assert_int_equal(cni_env_load(&env, envp, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "CNI_NETNS"));
}

static void test_cni_env_load__ifname_rules(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} cases[] = {
		{ "eth0", 1 },
		{ "123456789012345", 1 },  /* 15 bytes */
		{ "1234567890123456", 0 }, /* 16 bytes */
		{ "a/b", 0 },
		{ "a b", 0 },
		{ "a\tb", 0 },
		{ "eth0\n", 0 },
		{ "a:b", 0 },
		{ ".", 0 },
		{ "..", 0 },
		{ "...", 1 },
		{ "net1.100", 1 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *envp[] = FULL_ENV("ADD"), ifname[64];
		struct cni_env env;
		struct cni_err err = { 0 };
		int r;

		snprintf(ifname, sizeof(ifname), "CNI_IFNAME=%s",
			 cases[i].name);
		envp[3] = ifname;
		r = cni_env_load(&env, envp, &err);
		print_message("ifname \"%s\"\n", cases[i].name);
		if (cases[i].ok) {
			assert_int_equal(r, 0);
			assert_string_equal(env.ifname, cases[i].name);
			cni_env_free(&env);
		} else {
			assert_int_equal(r, -EINVAL);
			assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
			assert_non_null(strstr(err.msg, "CNI_IFNAME"));
		}
	}
}

/* CNI_CONTAINERID as the spec says: alphanumerics, '_', '.', '-',
 * starting with an alphanumeric; code 4 naming the variable. */
static void test_cni_env_load__container_id_rules(void **state)
{
	static const struct {
		const char *id;
		int ok;
	} cases[] = {
		{ "c1", 1 },	      { "0123abcdef", 1 }, { "a_b.c-d", 1 },
		{ "../../etc/x", 0 }, { ".hidden", 0 },	   { "-x", 0 },
		{ "_x", 0 },	      { "a/b", 0 },	   { "a b", 0 },
		{ "a\nb", 0 },	      { "a;b", 0 },	   { "caf\xc3\xa9", 0 },
	};
	char longid[256];

	(void)state;
	for (size_t i = 0; i <= sizeof(cases) / sizeof(cases[0]); i++) {
		char *envp[] = FULL_ENV("DEL"), id[300];
		const char *want = i < sizeof(cases) / sizeof(cases[0])
					   ? cases[i].id
					   : NULL;
		struct cni_env env;
		struct cni_err err = { 0 };
		int ok = want ? cases[i].ok : 0, r;

		if (!want) { /* one byte over the limit */
			memset(longid, 'a', CNI_CONTAINER_ID_MAX + 1);
			longid[CNI_CONTAINER_ID_MAX + 1] = '\0';
			want = longid;
		}
		snprintf(id, sizeof(id), "CNI_CONTAINERID=%s", want);
		envp[1] = id;
		r = cni_env_load(&env, envp, &err);
		print_message("container ID \"%s\"\n", want);
		if (ok) {
			assert_int_equal(r, 0);
			cni_env_free(&env);
		} else {
			assert_true(r < 0);
			assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
			assert_non_null(strstr(err.msg, "CNI_CONTAINERID"));
			assert_null(strchr(err.msg, '\n'));
		}
	}
	assert_true(cni_container_id_ok("abc"));
	assert_false(cni_container_id_ok(""));
	assert_false(cni_container_id_ok(NULL));
}

static void test_cni_ifname_check__uses_given_code_and_field(void **state)
{
	struct cni_err err = { 0 };

	(void)state;
	assert_true(cni_ifname_check("", "delegates[2].interface",
				     CNI_ERR_INVALID_CONFIG, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "delegates[2].interface"));
	assert_true(cni_ifname_check(NULL, "x", CNI_ERR_INVALID_ENV, NULL) < 0);
}

static void test_cni_args_parse__valid(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *k0, *v0, *k1, *v1;
	} cases[] = {
		{ "", 0, NULL, NULL, NULL, NULL },
		{ ";", 0, NULL, NULL, NULL, NULL },
		{ "K=V", 1, "K", "V", NULL, NULL },
		{ "K=V;", 1, "K", "V", NULL, NULL },
		{ "K=", 1, "K", "", NULL, NULL },
		{ "A=b=c", 1, "A", "b=c", NULL, NULL },
		{ "K=V;;L=W", 2, "K", "V", "L", "W" },
		{ "IgnoreUnknown=1;K8S_POD_NAME=web-0", 2, "IgnoreUnknown", "1",
		  "K8S_POD_NAME", "web-0" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct cni_kv *kv = NULL;
		size_t n = 99;

		print_message("CNI_ARGS \"%s\"\n", cases[i].in);
		assert_int_equal(cni_args_parse(cases[i].in, &kv, &n, NULL), 0);
		assert_int_equal(n, cases[i].n);
		if (n > 0) {
			assert_string_equal(kv[0].key, cases[i].k0);
			assert_string_equal(kv[0].val, cases[i].v0);
		}
		if (n > 1) {
			assert_string_equal(kv[1].key, cases[i].k1);
			assert_string_equal(kv[1].val, cases[i].v1);
		}
		cni_kv_free(kv, n);
	}
}

static void test_cni_args_parse__invalid(void **state)
{
	static const char *const bad[] = { "=V", "K", "K=V;X", "A=1;=2" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_kv *kv = (struct cni_kv *)0x1;
		size_t n = 77;
		struct cni_err err = { 0 };

		print_message("CNI_ARGS \"%s\"\n", bad[i]);
		assert_int_equal(cni_args_parse(bad[i], &kv, &n, &err),
				 -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
		assert_non_null(strstr(err.msg, "CNI_ARGS"));
		/* outputs untouched on failure */
		assert_ptr_equal(kv, (struct cni_kv *)0x1);
		assert_int_equal(n, 77);
	}
}

static void test_cni_env_load__bad_args_fail(void **state)
{
	char *envp[] = FULL_ENV("ADD");
	struct cni_env env;
	struct cni_err err = { 0 };

	(void)state;
	envp[5] = "CNI_ARGS=IgnoreUnknown";
	assert_int_equal(cni_env_load(&env, envp, &err), -EINVAL);
	assert_int_equal(err.code, CNI_ERR_INVALID_ENV);
	assert_non_null(strstr(err.msg, "IgnoreUnknown"));
}

static void test_cni_env_arg__lookup(void **state)
{
	char *envp[] = FULL_ENV("ADD");
	struct cni_env env;

	(void)state;
	envp[5] = "CNI_ARGS=K8S_POD_NAME=web-0;EMPTY=;X=a=b";
	assert_int_equal(cni_env_load(&env, envp, NULL), 0);
	assert_string_equal(cni_env_arg(&env, "K8S_POD_NAME"), "web-0");
	assert_string_equal(cni_env_arg(&env, "EMPTY"), "");
	assert_string_equal(cni_env_arg(&env, "X"), "a=b");
	assert_null(cni_env_arg(&env, "K8S_POD"));
	assert_null(cni_env_arg(&env, "k8s_pod_name"));
	assert_null(cni_env_arg(NULL, "X"));
	cni_env_free(&env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cni_env_load__every_command),
		cmocka_unit_test(test_cni_env_load__command_missing),
		cmocka_unit_test(test_cni_env_load__command_unknown),
		cmocka_unit_test(
			test_cni_env_load__missing_variable_per_command),
		cmocka_unit_test(test_cni_env_load__only_command_for_version),
		cmocka_unit_test(test_cni_env_load__empty_value_is_missing),
		cmocka_unit_test(test_cni_env_load__ifname_rules),
		cmocka_unit_test(test_cni_env_load__container_id_rules),
		cmocka_unit_test(
			test_cni_ifname_check__uses_given_code_and_field),
		cmocka_unit_test(test_cni_args_parse__valid),
		cmocka_unit_test(test_cni_args_parse__invalid),
		cmocka_unit_test(test_cni_env_load__bad_args_fail),
		cmocka_unit_test(test_cni_env_arg__lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
