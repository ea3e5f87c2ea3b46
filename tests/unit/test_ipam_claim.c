/* SPDX-License-Identifier: Apache-2.0 */
/* IPAMClaim objects as the API answers them (ipam_claim.h): what is
 * taken, what is refused and how the refusal names the field. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "ipam_claim.h"

#define HEAD                                                                \
	"{\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\",\"kind\":"            \
	"\"IPAMClaim\",\"metadata\":{\"name\":\"c1\",\"namespace\":\"ns\"," \
	"\"resourceVersion\":\"7\"},"

static int parse(const char *text, struct ipam_claim **ret, struct cni_err *err)
{
	json_object *doc = json_tokener_parse(text);
	int rc;

	assert_non_null(doc);
	rc = ipam_claim_parse(doc, "ns", "c1", ret, err);
	json_object_put(doc);
	return rc;
}

static void test_ipam_claim_parse__full(void **state)
{
	struct ipam_claim *c = NULL;
	struct cni_err err = { 0 };
	char s[IPAM_ADDR_STRLEN];

	(void)state;
	assert_int_equal(parse(HEAD "\"spec\":{\"network\":\"net1\","
				    "\"interface\":\"eth1\"},\"status\":{"
				    "\"ips\":[\"10.1.0.2/24\",\"fd00::2\"]}}",
			       &c, &err),
			 0);
	assert_string_equal(c->network, "net1");
	assert_string_equal(c->interface, "eth1");
	assert_int_equal(c->n_ips, 2);
	assert_string_equal(ipam_addr_fmt(&c->ips[0], s), "10.1.0.2");
	assert_string_equal(ipam_addr_fmt(&c->ips[1], s), "fd00::2");
	/* the object outlives the caller's reference */
	assert_string_equal(c->ns, "ns");
	ipam_claim_free(c);
	ipam_claim_free(NULL);
}

static void test_ipam_claim_parse__no_status(void **state)
{
	struct ipam_claim *c = NULL;
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(parse(HEAD "\"spec\":{\"network\":\"n\","
				    "\"interface\":\"net1\"}}",
			       &c, &err),
			 0);
	assert_int_equal(c->n_ips, 0);
	ipam_claim_free(c);
}

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "[]", "IPAMClaim ns/c1: not a JSON object" },
	{ "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}", "IPAMClaim ns/c1: the "
						      "API answered kind "
						      "\"Pod\"" },
	{ HEAD "\"spec\":{\"interface\":\"a\"}}", "IPAMClaim ns/c1: "
						  "spec.network missing" },
	{ HEAD "\"spec\":{\"network\":1,\"interface\":\"a\"}}", "IPAMClaim "
								"ns/c1: "
								"spec."
								"network" },
	{ HEAD "\"spec\":{\"network\":\"n\"}}", "IPAMClaim ns/c1: "
						"spec.interface missing" },
	{ HEAD "\"spec\":[]}", "IPAMClaim ns/c1: spec" },
	{ HEAD "\"x\":1}", "IPAMClaim ns/c1: spec missing" },
	{ HEAD "\"spec\":{\"network\":\"n\",\"interface\":\"a\"},"
	       "\"status\":{\"ips\":\"10.0.0.1\"}}",
	  "IPAMClaim ns/c1: status.ips" },
	{ HEAD "\"spec\":{\"network\":\"n\",\"interface\":\"a\"},"
	       "\"status\":{\"ips\":[\"10.0.0.1\",7]}}",
	  "IPAMClaim ns/c1: status.ips[1]: \"7\" is not an address" },
	{ HEAD "\"spec\":{\"network\":\"n\",\"interface\":\"a\"},"
	       "\"status\":{\"ips\":[\"10.0.0.300/24\"]}}",
	  "status.ips[0]: \"10.0.0.300/24\" is not an address" },
	{ HEAD "\"spec\":{\"network\":\"n\",\"interface\":\"a\"},"
	       "\"status\":{\"ips\":[\"1.0.0.1\",\"1.0.0.2\",\"1.0.0.3\","
	       "\"1.0.0.4\",\"1.0.0.5\",\"1.0.0.6\",\"1.0.0.7\",\"1.0.0.8\","
	       "\"1.0.0.9\",\"1.0.0.10\",\"1.0.0.11\",\"1.0.0.12\","
	       "\"1.0.0.13\",\"1.0.0.14\",\"1.0.0.15\",\"1.0.0.16\","
	       "\"1.0.0.17\"]}}",
	  "status.ips: 17 addresses, at most 16" },
	{ "{\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\",\"kind\":\"IPAMClaim\","
	  "\"metadata\":{\"name\":\"c2\",\"namespace\":\"ns\","
	  "\"resourceVersion\":\"1\"},\"spec\":{\"network\":\"n\","
	  "\"interface\":\"a\"}}",
	  "IPAMClaim ns/c1: the API answered ns/c2" },
	{ "{\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\",\"kind\":\"IPAMClaim\","
	  "\"metadata\":{\"name\":\"c1\",\"namespace\":\"ns\"},\"spec\":{"
	  "\"network\":\"n\",\"interface\":\"a\"}}",
	  "metadata.resourceVersion missing" },
};

static void test_ipam_claim_parse__refusals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ipam_claim *c = NULL;
		struct cni_err err = { 0 };

		if (parse(bad[i].text, &c, &err) == 0)
			fail_msg("accepted: %s", bad[i].text);
		assert_null(c);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("%s: message \"%s\", want \"%s\"", bad[i].text,
				 err.msg, bad[i].msg);
	}
}

static void test_ipam_claim_ref__names(void **state)
{
	struct cni_err err = { 0 };
	char buf[320];

	(void)state;
	assert_int_equal(
		ipam_claim_ref("ns", "vm-a.disk", "f", buf, sizeof(buf), &err),
		0);
	assert_string_equal(buf, "ns/vm-a.disk");
	assert_true(ipam_claim_ref(NULL, "a", "f", buf, sizeof(buf), &err) < 0);
	assert_non_null(strstr(err.msg, "K8S_POD_NAMESPACE"));
	assert_true(ipam_claim_ref("ns", "A", "f", buf, sizeof(buf), &err) < 0);
	assert_non_null(strstr(err.msg, "f: \"A\" is not an object name"));
	assert_true(ipam_claim_ref("n/s", "a", "f", buf, sizeof(buf), &err) <
		    0);
	assert_true(ipam_claim_ref("ns", "a/b", "f", buf, sizeof(buf), &err) <
		    0);
}

/* plexusd's answer to "CLAIM ns c1": only a claim of that name is taken */
static void test_ipam_claim_reply_parse__table(void **state)
{
	static const struct {
		const char *line;
		int rc;
	} t[] = {
		{ "OK " HEAD "\"spec\":{\"network\":\"n\",\"interface\":"
		  "\"a\"},\"status\":{\"ips\":[\"10.0.0.2/24\"]}}",
		  0 },
		{ "UNKNOWN", 1 },
		{ "NOTREADY", 1 },
		{ "ERR malformed request", 1 },
		{ "OK", 1 },
		{ "OK ", 1 },
		{ "ok {}", 1 },
		{ "", 1 },
		{ "OK {", -EPROTO },
		{ "OK []", -EPROTO },
		{ "OK {} trailing", -EPROTO },
		{ "OK " HEAD "\"spec\":{\"network\":\"n\"}}", -EPROTO },
		{ "OK {\"apiVersion\":\"k8s.cni.cncf.io/v1alpha1\",\"kind\":"
		  "\"IPAMClaim\",\"metadata\":{\"name\":\"c2\",\"namespace\":"
		  "\"ns\",\"resourceVersion\":\"1\"},\"spec\":{\"network\":"
		  "\"n\",\"interface\":\"a\"}}",
		  -EPROTO },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ipam_claim *c = NULL;
		int rc = ipam_claim_reply_parse(t[i].line, strlen(t[i].line),
						"ns", "c1", &c);

		if (rc != t[i].rc)
			fail_msg("\"%s\": got %d, want %d", t[i].line, rc,
				 t[i].rc);
		if (rc == 0) {
			assert_int_equal(c->n_ips, 1);
			ipam_claim_free(c);
		} else {
			assert_null(c);
		}
	}
}

/* no plexusd, or one that never answers: 1 (ask the API), in time */
static void test_ipam_claim_via_plexusd__away(void **state)
{
	char dir[] = "/tmp/test_claim_via.XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ipam_claim *c = NULL;
	int64_t t0;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pd.sock", dir);
	assert_int_equal(ipam_claim_via_plexusd(path, 0, "ns", "c1", &c), 1);
	/* listening, never accepting nor answering */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	t0 = cni_now_ms();
	assert_int_equal(ipam_claim_via_plexusd(path, 0, "ns", "c1", &c), 1);
	assert_true(cni_now_ms() - t0 < IPAM_CLAIM_PLEXUSD_MS + 100);
	/* the call's own deadline is earlier: kept */
	t0 = cni_now_ms();
	assert_int_equal(ipam_claim_via_plexusd(path, cni_deadline_after(20),
						"ns", "c1", &c),
			 1);
	assert_true(cni_now_ms() - t0 < 100);
	assert_null(c);
	close(fd);
	unlink(path);
	rmdir(dir);
}

#define SLOW_OK "OK " HEAD "\"spec\":{\"network\":\"n\",\"interface\":\"a\"}}\n"

/* an answer that takes a while (within the deadline) is taken */
static void test_ipam_claim_via_plexusd__slow_answer(void **state)
{
	static const char ok[] = SLOW_OK;
	char dir[] = "/tmp/test_claim_via.XXXXXX", path[64], req[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct ipam_claim *c = NULL;
	int fd, st;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pd.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* plexusd, slow: the request, 60 ms, the claim */
		int cfd = accept(fd, NULL, NULL);
		ssize_t n = recv(cfd, req, sizeof(req) - 1, 0);

		usleep(60 * 1000);
		req[n > 0 ? n : 0] = '\0';
		if (strcmp(req, "CLAIM ns c1\n") ||
		    send(cfd, ok, strlen(ok), 0) != (ssize_t)strlen(ok))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(ipam_claim_via_plexusd(path, 0, "ns", "c1", &c), 0);
	assert_string_equal(c->interface, "a");
	ipam_claim_free(c);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	close(fd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipam_claim_parse__full),
		cmocka_unit_test(test_ipam_claim_parse__no_status),
		cmocka_unit_test(test_ipam_claim_parse__refusals),
		cmocka_unit_test(test_ipam_claim_ref__names),
		cmocka_unit_test(test_ipam_claim_reply_parse__table),
		cmocka_unit_test(test_ipam_claim_via_plexusd__away),
		cmocka_unit_test(test_ipam_claim_via_plexusd__slow_answer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
