/* SPDX-License-Identifier: Apache-2.0 */
/* The Kubernetes client against the fixture API server
 * (tests/fixtures/apiserver), started once for the group. Run from the
 * repository root (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "annot.h"
#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "nadsrc.h"

#define FX "tests/fixtures/apiserver"

static char dir[64];
static char path_buf[256];

static const char *in_dir(const char *file)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", dir, file);
	return path_buf;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int count(const char *method, const char *prefix)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd),
		 "python3 " FX "/fixturectl.py %s count %s %s", dir, method,
		 prefix);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static void fault(const char *json)
{
	sh("python3 " FX "/fixturectl.py %s fault '%s' >/dev/null", dir, json);
}

static int group_setup(void **state)
{
	(void)state;
	if (access(FX "/start.sh", X_OK))
		return 0;
	strcpy(dir, "/tmp/plexus-k8s.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	sh("PLEXUS_APISERVER_PARENT=%d " FX "/start.sh %s >/dev/null",
	   (int)getpid(), dir);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (!dir[0])
		return 0;
	sh(FX "/stop.sh %s", dir);
	sh("rm -rf '%s'", dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	sh("python3 " FX "/fixturectl.py %s reset >/dev/null", dir);
	return 0;
}

/* A config for the fixture from its kubeconfig, with short waits. */
static struct k8s_config *cfg_load(const char *file)
{
	struct cni_err err = { 0 };
	struct k8s_config *c = NULL;

	if (k8s_kubeconfig_load(in_dir(file), &c, &err))
		fail_msg("%s: %s", file, err.msg);
	c->retry_delay_ms = 50;
	c->pod_retries = 2;
	c->timeout_ms = 2000;
	return c;
}

static struct k8s_client *client(const struct k8s_config *c)
{
	struct cni_err err = { 0 };
	struct k8s_client *k = NULL;

	if (k8s_client_new(c, &k, &err))
		fail_msg("k8s_client_new: %s", err.msg);
	return k;
}

static void test_get_pod_and_nad(void **state)
{
	static const char *const kcs[] = { "kubeconfig", "kubeconfig-data",
					   "kubeconfig-tokenfile",
					   "kubeconfig-readonly" };

	(void)state;
	for (size_t i = 0; i < sizeof(kcs) / sizeof(kcs[0]); i++) {
		struct k8s_config *c = cfg_load(kcs[i]);
		struct k8s_client *k = client(c);
		struct cni_err err = { 0 };
		json_object *o = NULL;

		if (k8s_pod_get(k, "default", "web-0", &o, &err))
			fail_msg("%s: %s", kcs[i], err.msg);
		assert_non_null(strstr(cni_json_str(o), ANNOT_NETWORKS));
		json_object_put(o);
		assert_int_equal(
			k8s_nad_get(k, "default", "macvlan-net", &o, &err), 0);
		assert_non_null(strstr(cni_json_str(o), "plexus-m0"));
		json_object_put(o);
		assert_int_equal(k8s_client_requests(k), 2);
		k8s_client_free(k);
		k8s_config_free(c);
	}
	assert_int_equal(count("GET", "/api/v1/namespaces/default/pods/web-0"),
			 4);
	assert_int_equal(count("GET", "/apis/k8s.cni.cncf.io/v1/namespaces/"
				      "default/network-attachment-definitions/"
				      "macvlan-net"),
			 4);
}

static void test_nad_missing_is_not_retried(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(k8s_nad_get(k, "default", "ghost", &o, &err), -ENOENT);
	assert_int_equal(err.code, CNI_ERR_SELECTION);
	assert_non_null(strstr(err.msg, "GET NetworkAttachmentDefinition "
					"default/ghost: HTTP 404"));
	assert_int_equal(k8s_client_requests(k), 1);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_pod_404_retried(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(k8s_pod_get(k, "default", "ghost", &o, &err), -ENOENT);
	assert_int_equal(k8s_client_requests(k), 3); /* 1 + 2 retries */
	/* a pod that shows up 0.3 s later is found */
	sh("python3 " FX "/fixturectl.py %s put-object --delay 0.3 "
	   "'{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
	   "{\"name\":\"late\",\"namespace\":\"default\"}}' >/dev/null",
	   dir);
	/* up to 5 s of retries: the fixture's 0.3 s is a timer in a Python
	 * process, late on a loaded machine under valgrind */
	c->pod_retries = 50;
	c->retry_delay_ms = 100;
	k8s_client_free(k);
	k = client(c);
	assert_int_equal(k8s_pod_get(k, "default", "late", &o, &err), 0);
	assert_true(k8s_client_requests(k) >= 2);
	json_object_put(o);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_refused_token(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	free(c->token);
	c->token = strdup("wrong-secret-token");
	k = client(c);
	assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err), -EACCES);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "HTTP 401 Unauthorized"));
	assert_null(strstr(err.msg, "wrong-secret-token"));
	assert_int_equal(k8s_client_requests(k), 1);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_token_file_reread(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct cni_err err = { 0 };
	struct k8s_client *k;
	json_object *o = NULL;
	char tf[128];

	(void)state;
	snprintf(tf, sizeof(tf), "%s/rotating-token", dir);
	free(c->token);
	c->token = NULL;
	c->token_file = strdup(tf);
	sh("printf 'stale\\n' > %s", tf);
	k = client(c);
	assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err), -EACCES);
	k8s_client_free(k);
	sh("cp %s/token %s", dir, tf); /* rotated */
	k = client(c);
	assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	json_object_put(o);
	k8s_client_free(k);
	sh("rm %s", tf);
	assert_int_not_equal(k8s_client_new(c, &k, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	sh(": > %s", tf);
	assert_int_not_equal(k8s_client_new(c, &k, &err), 0);
	assert_non_null(strstr(err.msg, "empty or not a token"));
	k8s_config_free(c);
}

static void test_untrusted_server(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	/* another CA than the one that signed the server */
	sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	   "-nodes -keyout %s/other.key -out %s/other.crt -days 1 "
	   "-subj /CN=other 2>/dev/null",
	   dir, dir);
	free(c->ca_file);
	c->ca_file = strdup(in_dir("other.crt"));
	k = client(c);
	assert_int_not_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "GET pod default/web-0: https://"));
	assert_non_null(strstr(err.msg, "certificate"));
	assert_int_equal(count("*", "/api/"), 0); /* nothing got through */
	k8s_client_free(k);
	/* right CA, wrong name: "localhost" is in the cert, 127.0.0.2 not */
	free(c->ca_file);
	c->ca_file = strdup(in_dir("ca.crt"));
	{
		char *s = strstr(c->server, "127.0.0.1");

		assert_non_null(s);
		s[8] = '2';
	}
	k = client(c);
	assert_int_not_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_server_errors_and_stall(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL;
	struct timespec t0, t1;

	(void)state;
	fault("{\"match\": \"GET /apis/\", \"code\": 500}");
	assert_int_equal(k8s_nad_get(k, "default", "macvlan-net", &o, &err), 0);
	json_object_put(o);
	assert_int_equal(k8s_client_requests(k), 2);
	fault("{\"match\": \"GET /apis/\", \"code\": 503, \"count\": 5, "
	      "\"message\": \"etcd down\"}");
	assert_int_equal(k8s_nad_get(k, "default", "macvlan-net", &o, &err),
			 -EIO);
	assert_non_null(strstr(err.msg, "HTTP 503 server error: etcd down"));
	assert_int_equal(k8s_client_requests(k), 5); /* 1 + 2 retries */
	sh("python3 " FX "/fixturectl.py %s clear-faults >/dev/null", dir);
	fault("{\"match\": \"GET /api/\", \"stall_seconds\": 3, \"count\": 3}");
	c->timeout_ms = 400;
	k8s_client_free(k);
	k = client(c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_not_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "imeout"));
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	k8s_client_free(k);
	k8s_config_free(c);
}

#define BIG_POD                                                             \
	"import json; print(json.dumps({\"apiVersion\": \"v1\", \"kind\": " \
	"\"Pod\", \"metadata\": {\"name\": \"big\", \"namespace\": "        \
	"\"default\", \"annotations\": {\"x\": \"y\" * (5 << 20)}}}))"

/* An answer over K8S_RESPONSE_MAX: code 123 naming the request and the
 * limit, cut at the limit ("more than"), and not asked again. */
static void test_answer_over_limit(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	c->timeout_ms = 20000; /* 5 MiB from the fixture, under ASan too */
	k = client(c);
	sh("python3 " FX "/fixturectl.py %s put-object - >/dev/null <<'EOF'\n"
	   "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": "
	   "{\"name\": \"big\", \"namespace\": \"default\"}}\nEOF",
	   dir);
	assert_int_equal(k8s_pod_get(k, "default", "big", &o, &err), 0);
	json_object_put(o);
	o = NULL;
	sh("python3 -c '%s' | python3 " FX "/fixturectl.py %s put-object - "
	   ">/dev/null",
	   BIG_POD, dir);
	if (k8s_pod_get(k, "default", "big", &o, &err) != -EFBIG)
		fail_msg("not -EFBIG: %s (code %d)", err.msg, err.code);
	assert_null(o);
	assert_int_equal(err.code, CNI_ERR_TOO_LARGE);
	assert_string_equal(err.msg, "GET pod default/big: more than 4194304 "
				     "bytes, over the Kubernetes client's "
				     "answer limit of 4194304 bytes");
	assert_int_equal(k8s_client_requests(k), 2); /* not asked again */
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_unreachable(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	free(c->server);
	c->server = strdup("https://127.0.0.1:1");
	k = client(c);
	assert_int_not_equal(k8s_nad_get(k, "a", "b", &o, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
	assert_non_null(strstr(err.msg, "https://127.0.0.1:1"));
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_bad_names_send_nothing(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(k8s_pod_get(k, "default", "../x", &o, &err), -EINVAL);
	assert_int_equal(k8s_nad_get(k, "De", "x", &o, &err), -EINVAL);
	assert_int_equal(
		k8s_pod_patch_network_status(k, "a", "b?c", NULL, "[]", &err),
		-EINVAL);
	assert_int_equal(k8s_client_requests(k), 0);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_patch_network_status(void **state)
{
	static const char status[] = "[{\"name\":\"ns/"
				     "a\",\"interface\":\"eth0\",\"default\":"
				     "true}]";
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL, *md, *an, *v;

	(void)state;
	if (k8s_pod_patch_network_status(k, "default", "web-0", NULL, status,
					 &err))
		fail_msg("patch: %s", err.msg);
	assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	assert_true(json_object_object_get_ex(o, "metadata", &md));
	assert_true(json_object_object_get_ex(md, "annotations", &an));
	assert_true(json_object_object_get_ex(an, ANNOT_NETWORK_STATUS, &v));
	assert_string_equal(json_object_get_string(v), status);
	/* the other annotations are untouched */
	assert_true(json_object_object_get_ex(an, ANNOT_NETWORKS, NULL));
	json_object_put(o);
	assert_int_equal(count("PATCH", "/api/v1/namespaces/default/pods/"
					"web-0"),
			 1);
	k8s_client_free(k);
	k8s_config_free(c);
	/* the read-only account may not */
	c = cfg_load("kubeconfig-readonly");
	k = client(c);
	assert_int_equal(k8s_pod_patch_network_status(k, "default", "web-0",
						      NULL, status, &err),
			 -EACCES);
	assert_non_null(strstr(err.msg, "HTTP 403 Forbidden"));
	k8s_client_free(k);
	k8s_config_free(c);
}

/* With a uid the patch lands only on the pod of that UID: the API server
 * refuses it (422, not retried) for a pod recreated under the same name. */
static void test_patch_network_status__uid_guard(void **state)
{
	static const char uid[] = "7d4e5c1a-3b2f-4e8d-9a61-2c5b8f0e4a10";
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	json_object *o = NULL, *md, *an, *v;

	(void)state;
	if (k8s_pod_patch_network_status(k, "default", "web-0", uid, "[]",
					 &err))
		fail_msg("patch: %s", err.msg);
	assert_int_equal(k8s_pod_patch_network_status(k, "default", "web-0",
						      "another-uid", "[{}]",
						      &err),
			 -EIO);
	assert_non_null(strstr(err.msg, "HTTP 422"));
	assert_int_equal(k8s_client_requests(k), 2);
	assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err), 0);
	assert_true(json_object_object_get_ex(o, "metadata", &md));
	assert_true(json_object_object_get_ex(md, "annotations", &an));
	assert_true(json_object_object_get_ex(an, ANNOT_NETWORK_STATUS, &v));
	assert_string_equal(json_object_get_string(v), "[]");
	json_object_put(o);
	k8s_client_free(k);
	k8s_config_free(c);
}

static void test_nadsrc_k8s(void **state)
{
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(nadsrc_k8s_open(in_dir("kubeconfig"), 0, &src, &err),
			 0);
	assert_string_equal(src->ops->kind, "kubernetes");
	assert_int_equal(
		src->ops->get_nad(src->ctx, "ns2", "bridge-net", &o, &err), 0);
	json_object_put(o);
	assert_int_equal(src->ops->put_network_status(src->ctx, "default",
						      "web-0", NULL, "[]",
						      &err),
			 0);
	assert_int_equal(nad_source_requests(src), 2);
	/* without NAD_SOURCE_WAIT_POD a missing pod is not waited for */
	assert_int_equal(
		src->ops->get_pod(src->ctx, "default", "ghost", &o, &err),
		-ENOENT);
	assert_int_equal(nad_source_requests(src), 3);
	nad_source_free(src);
	assert_int_equal(nadsrc_k8s_open(in_dir("kubeconfig"),
					 NAD_SOURCE_WAIT_POD, &src, &err),
			 0);
	assert_int_equal(
		src->ops->get_pod(src->ctx, "default", "ghost", &o, &err),
		-ENOENT);
	assert_int_equal(nad_source_requests(src), 1 + K8S_POD_RETRIES);
	nad_source_free(src);
	assert_int_not_equal(nadsrc_k8s_open("/nonexistent", 0, &src, &err), 0);
	assert_int_equal(err.code, CNI_ERR_KUBERNETES);
}

#define T(f) cmocka_unit_test_setup(f, setup)

/* ---- a watch stream (plexusd's caches) ---- */

struct lines {
	char text[8192];
	int n;
	int stop_after; /* on_line refuses the line after that many */
	int asked;	/* stop_now's calls */
};

static int on_line(void *ctx, char *line, size_t len)
{
	struct lines *l = ctx;

	assert_int_equal(strlen(line), len);
	assert_null(strchr(line, '\n'));
	if (l->stop_after && l->n >= l->stop_after)
		return 1;
	l->n++;
	strncat(l->text, line, sizeof(l->text) - strlen(l->text) - 2);
	strcat(l->text, "\n");
	return 0;
}

static void test_watch__lines_end_410_status(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	struct lines l = { 0 };
	long st = 0;

	(void)state;
	/* from "0": an ADDED line per object, then the server's timeout */
	assert_int_equal(k8s_watch(k, "/api/v1/pods?watch=1&timeoutSeconds=1",
				   10, on_line, NULL, &l, &st, &err),
			 0);
	assert_int_equal(st, 200);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.text, "{\"type\": \"ADDED\""));
	assert_non_null(strstr(l.text, "web-0"));
	/* a refusal by the reader ends the stream */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	assert_int_equal(k8s_watch(k,
				   "/apis/k8s.cni.cncf.io/v1/"
				   "network-attachment-definitions?watch=1"
				   "&timeoutSeconds=5",
				   10, on_line, NULL, &l, &st, &err),
			 -ECANCELED);
	assert_int_equal(l.n, 1);
	/* an expired resourceVersion: 200 and one ERROR line with 410 */
	sh("python3 " FX "/fixturectl.py %s compact >/dev/null", dir);
	memset(&l, 0, sizeof(l));
	assert_int_equal(k8s_watch(k, "/api/v1/pods?watch=1&resourceVersion=1",
				   10, on_line, NULL, &l, &st, &err),
			 0);
	assert_int_equal(l.n, 1);
	assert_non_null(strstr(l.text, "\"ERROR\""));
	assert_non_null(strstr(l.text, "\"code\": 410"));
	/* another status: its body is not handed over as lines */
	fault("{\"match\": \"GET /api/v1/pods\", \"code\": 403}");
	memset(&l, 0, sizeof(l));
	assert_int_equal(k8s_watch(k, "/api/v1/pods?watch=1", 10, on_line, NULL,
				   &l, &st, &err),
			 0);
	assert_int_equal(st, 403);
	assert_int_equal(l.n, 0);
	k8s_client_free(k);
	k8s_config_free(c);
}

static bool stop_now(void *ctx)
{
	return ++((struct lines *)ctx)->asked > 1;
}

static void test_watch__stop(void **state)
{
	struct k8s_config *c = cfg_load("kubeconfig");
	struct k8s_client *k = client(c);
	struct cni_err err = { 0 };
	struct lines l = { 0 };
	time_t t0 = time(NULL);
	long st = 0;

	(void)state;
	assert_int_equal(k8s_watch(k, "/api/v1/pods?watch=1&timeoutSeconds=30",
				   60, on_line, stop_now, &l, &st, &err),
			 -ECANCELED);
	assert_true(time(NULL) - t0 < 10);
	/* the client still serves plain requests afterwards */
	{
		json_object *o = NULL;

		assert_int_equal(k8s_pod_get(k, "default", "web-0", &o, &err),
				 0);
		json_object_put(o);
	}
	k8s_client_free(k);
	k8s_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get_pod_and_nad),
		T(test_nad_missing_is_not_retried),
		T(test_pod_404_retried),
		T(test_refused_token),
		T(test_token_file_reread),
		T(test_untrusted_server),
		T(test_server_errors_and_stall),
		T(test_answer_over_limit),
		T(test_unreachable),
		T(test_bad_names_send_nothing),
		T(test_patch_network_status),
		T(test_patch_network_status__uid_guard),
		T(test_nadsrc_k8s),
		T(test_watch__lines_end_410_status),
		T(test_watch__stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
