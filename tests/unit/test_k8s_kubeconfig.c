/* SPDX-License-Identifier: Apache-2.0 */
/* kubeconfig and in-cluster config, base64, and API answers: no server. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"

#define KC_HEAD                                                      \
	"apiVersion: v1\nkind: Config\ncurrent-context: c1\n"        \
	"contexts:\n- name: c0\n  context: {cluster: a, user: ua}\n" \
	"- name: c1\n  context:\n    cluster: b\n    user: ub\n"

static struct k8s_config *parse_ok(const char *text, const char *base)
{
	struct cni_err err = { 0 };
	struct k8s_config *c = NULL;

	if (k8s_kubeconfig_parse(text, strlen(text), base, &c, &err))
		fail_msg("k8s_kubeconfig_parse: %s", err.msg);
	return c;
}

static void test_kubeconfig__current_context_files(void **state)
{
	struct k8s_config *c =
		parse_ok(KC_HEAD "clusters:\n- name: a\n  cluster: {server: "
				 "'https://a:1'}\n"
				 "- name: b\n  cluster:\n    server: "
				 "https://10.0.0.1:6443/\n"
				 "    certificate-authority: pki/ca.crt\n"
				 "users:\n- name: ua\n  user: {token: nope}\n"
				 "- name: ub\n  user:\n    client-certificate: "
				 "/abs/c.crt\n"
				 "    client-key: k.key\n    tokenFile: "
				 "/var/t\n",
			 "/etc/kube");

	(void)state;
	assert_string_equal(c->server, "https://10.0.0.1:6443");
	assert_string_equal(c->ca_file, "/etc/kube/pki/ca.crt");
	assert_string_equal(c->cert_file, "/abs/c.crt");
	assert_string_equal(c->key_file, "/etc/kube/k.key");
	assert_string_equal(c->token_file, "/var/t");
	assert_null(c->token);
	assert_null(c->ca_data);
	assert_int_equal(c->timeout_ms, K8S_TIMEOUT_MS);
	assert_int_equal(c->pod_retries, K8S_POD_RETRIES);
	k8s_config_free(c);
}

static void test_kubeconfig__data_fields(void **state)
{
	/* "-----BEGIN X-----\n" and "key\n" in base64 */
	struct k8s_config *c =
		parse_ok("{\"current-context\":\"c1\",\"contexts\":[{\"name\":"
			 "\"c1\","
			 "\"context\":{\"cluster\":\"b\",\"user\":\"ub\"}}],"
			 "\"clusters\":[{\"name\":\"b\",\"cluster\":{"
			 "\"server\":"
			 "\"https://h:443\",\"certificate-authority-data\":"
			 "\"LS0tLS1CRUdJTiBYLS0tLS0K\"}}],"
			 "\"users\":[{\"name\":\"ub\",\"user\":{\"token\":"
			 "\"s3cret\","
			 "\"client-certificate-data\":\"Y2VydAo=\","
			 "\"client-key-data\":\"a2V5Cg==\"}}]}",
			 NULL);

	(void)state;
	assert_int_equal(c->ca_len, 18);
	assert_memory_equal(c->ca_data, "-----BEGIN X-----\n", 18);
	assert_string_equal(c->cert_data, "cert\n");
	assert_int_equal(c->key_len, 4);
	assert_string_equal(c->token, "s3cret");
	k8s_config_free(c);
}

static void test_kubeconfig__no_user_is_anonymous(void **state)
{
	struct k8s_config *c = parse_ok("current-context: x\ncontexts:\n- "
					"name: x\n  context: "
					"{cluster: k}\nclusters:\n- name: k\n  "
					"cluster: "
					"{server: 'https://k'}\n",
					NULL);

	(void)state;
	assert_null(c->token);
	assert_null(c->token_file);
	assert_null(c->cert_file);
	k8s_config_free(c);
}

static const struct {
	const char *text, *msg;
} kc_rejects[] = {
	{ "", "not one YAML mapping" },
	{ "- a\n", "not one YAML mapping" },
	{ "a: [\n", "kubeconfig: line" },
	{ "clusters: []\n", "no current-context" },
	{ KC_HEAD, "cluster \"b\" not found" },
	{ "current-context: zz\ncontexts: []\n", "context \"zz\" not found" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b'}\n",
	  "user \"ub\" not found" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {}\n", "the cluster has no "
							   "server" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'http://b'}\n",
	  "server \"http://b\" is not https://" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b', "
		  "insecure-skip-tls-verify: true}\n",
	  "insecure-skip-tls-verify is refused" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b', "
		  "certificate-authority-data: 'not*base64'}\n",
	  "certificate-authority-data is not valid base64" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b'}\n"
		  "users:\n- name: ub\n  user: {exec: {command: aws}}\n",
	  "exec and auth-provider credentials are not supported" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b'}\n"
		  "users:\n- name: ub\n  user: {client-certificate: c.crt}\n",
	  "needs its key" },
	{ KC_HEAD "clusters:\n- name: b\n  cluster: {server: 'https://b'}\n"
		  "users:\n- name: ub\n  user: {token: topsecret, "
		  "client-key-data: '!!'}\n",
	  "client-key-data is not valid base64" },
};

static void test_kubeconfig__rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(kc_rejects) / sizeof(kc_rejects[0]);
	     i++) {
		struct cni_err err = { 0 };
		struct k8s_config *c = NULL;
		int r = k8s_kubeconfig_parse(kc_rejects[i].text,
					     strlen(kc_rejects[i].text), NULL,
					     &c, &err);

		if (r == 0 || err.code != CNI_ERR_KUBERNETES ||
		    !strstr(err.msg, kc_rejects[i].msg))
			fail_msg("case %zu: r=%d code=%d msg '%s'", i, r,
				 err.code, err.msg);
		/* never a secret in a message */
		assert_null(strstr(err.msg, "topsecret"));
		assert_null(c);
	}
}

static void test_kubeconfig__load_missing_file(void **state)
{
	struct cni_err err = { 0 };
	struct k8s_config *c = NULL;

	(void)state;
	assert_int_not_equal(
		k8s_kubeconfig_load("/nonexistent/kubeconfig", &c, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "/nonexistent/kubeconfig"));
}

static void test_in_cluster(void **state)
{
	char *env4[] = { "KUBERNETES_SERVICE_HOST=10.96.0.1",
			 "KUBERNETES_SERVICE_PORT=443", NULL };
	char *env6[] = { "KUBERNETES_SERVICE_PORT=6443",
			 "KUBERNETES_SERVICE_HOST=fd00::1", NULL };
	char *none[] = { "KUBERNETES_SERVICE_HOST=", NULL };
	struct cni_err err = { 0 };
	struct k8s_config *c = NULL;

	(void)state;
	assert_int_equal(k8s_config_in_cluster(env4, NULL, &c, &err), 0);
	assert_string_equal(c->server, "https://10.96.0.1:443");
	assert_string_equal(c->token_file, K8S_SA_DIR "/token");
	assert_string_equal(c->ca_file, K8S_SA_DIR "/ca.crt");
	k8s_config_free(c);
	assert_int_equal(k8s_config_in_cluster(env6, "/sa", &c, &err), 0);
	assert_string_equal(c->server, "https://[fd00::1]:6443");
	assert_string_equal(c->token_file, "/sa/token");
	k8s_config_free(c);
	c = NULL;
	assert_int_not_equal(k8s_config_in_cluster(none, NULL, &c, &err), 0);
	assert_non_null(strstr(err.msg, "not in a cluster"));
	assert_null(c);
	k8s_config_free(NULL);
}

static void test_base64(void **state)
{
	static const struct {
		const char *in, *out;
	} ok[] = {
		{ "", "" },
		{ "YQ==", "a" },
		{ "YQ", "a" },
		{ "YWI=", "ab" },
		{ "YWJj", "abc" },
		{ "YW\nJj\n", "abc" },
		{ "aGVsbG8gd29ybGQ=", "hello world" },
	};
	static const char *const bad[] = { "Y", "YQ=x",
					   "Y*==", "YR==", "YQ===" };

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *out = NULL;
		size_t n = 0;

		assert_int_equal(
			k8s_base64_decode(ok[i].in, strlen(ok[i].in), &out, &n),
			0);
		assert_int_equal(n, strlen(ok[i].out));
		assert_string_equal(out, ok[i].out);
		free(out);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *out = NULL;
		size_t n = 0;

		if (k8s_base64_decode(bad[i], strlen(bad[i]), &out, &n) !=
		    -EINVAL)
			fail_msg("'%s' decoded", bad[i]);
	}
}

/* The parser takes what the client accepts (K8S_RESPONSE_MAX), not the
 * 1 MiB limit of configs: a 2 MiB list page parses; past the limit the
 * error says so. */
static void big_answer_parses(void)
{
	size_t n = 2 * 1024 * 1024, i;
	char *buf = malloc(K8S_RESPONSE_MAX + 16);
	struct cni_err err = { 0 };
	json_object *o = NULL;

	assert_non_null(buf);
	memcpy(buf, "{\"items\":\"", 10);
	for (i = 10; i < n - 2; i++)
		buf[i] = 'x';
	memcpy(buf + n - 2, "\"}", 2);
	assert_int_equal(k8s_response_parse(200, buf, n, "GET big", &o, &err),
			 0);
	json_object_put(o);
	o = NULL;
	n = K8S_RESPONSE_MAX + 2;
	for (i = 10; i < n - 2; i++)
		buf[i] = 'x';
	memcpy(buf + n - 2, "\"}", 2);
	assert_int_equal(k8s_response_parse(200, buf, n, "GET big", &o, &err),
			 -EFBIG);
	assert_int_equal(err.code, CNI_ERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "GET big: 4194306 bytes, over the "
					"JSON parse limit of 4194304 bytes"));
	free(buf);
}

static void test_response_parse(void **state)
{
	static const char status_body[] = "{\"kind\":\"Status\",\"message\":"
					  "\"pods \\\"x\\\" is "
					  "forbidden\",\"code\":403}";
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(
		k8s_response_parse(200, "{\"a\":1}", 7, "GET x", &o, &err), 0);
	assert_string_equal(cni_json_str(o), "{\"a\":1}");
	json_object_put(o);
	o = NULL;
	assert_int_equal(k8s_response_parse(200, "[1]", 3, "GET x", &o, &err),
			 -EPROTO);
	assert_non_null(strstr(err.msg, "GET x: the answer is not a JSON"));
	assert_int_equal(k8s_response_parse(200, "{", 1, "GET x", &o, &err),
			 -EPROTO);
	/* the cause is named: a broken list never reads as "no items" */
	assert_non_null(strstr(err.msg, "not a JSON object: invalid JSON"));
	big_answer_parses();
	assert_int_equal(k8s_response_parse(403, status_body,
					    strlen(status_body), "GET pod a/b",
					    &o, &err),
			 -EACCES);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "GET pod a/b: HTTP 403 Forbidden"));
	assert_non_null(strstr(err.msg, ": pods \"x\" is forbidden"));
	assert_int_equal(k8s_response_parse(401, "", 0, "w", &o, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "refused the token"));
	assert_int_equal(k8s_response_parse(404, "nope", 4, "w", &o, &err),
			 -ENOENT);
	assert_int_equal(err.code, CNI_ERR_SELECTION);
	assert_int_equal(k8s_response_parse(409, "", 0, "w", &o, &err),
			 -EAGAIN);
	assert_int_equal(k8s_response_parse(503, "", 0, "w", &o, &err), -EIO);
	assert_non_null(strstr(err.msg, "HTTP 503 server error"));
	assert_null(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubeconfig__current_context_files),
		cmocka_unit_test(test_kubeconfig__data_fields),
		cmocka_unit_test(test_kubeconfig__no_user_is_anonymous),
		cmocka_unit_test(test_kubeconfig__rejects),
		cmocka_unit_test(test_kubeconfig__load_missing_file),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_response_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
