/* SPDX-License-Identifier: Apache-2.0 */
/* IPAMClaims listed through the fixture API server
 * (tests/fixtures/apiserver), started once for the group. Run from the
 * repository root (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "ipam_claim.h"

#define FX     "tests/fixtures/apiserver"
#define CLAIMS "/apis/k8s.cni.cncf.io/v1alpha1/"

static char dir[64];

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static int count(const char *prefix)
{
	char cmd[512];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd),
		 "python3 " FX "/fixturectl.py %s count GET %s", dir, prefix);
	p = popen(cmd, "r");
	if (!p || fscanf(p, "%d", &n) != 1)
		n = -1;
	if (p)
		pclose(p);
	return n;
}

static int group_setup(void **state)
{
	(void)state;
	if (access(FX "/start.sh", X_OK))
		return 0;
	strcpy(dir, "/tmp/plexus-claims.XXXXXX");
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

/* Five claims: a/c1..c3, b/c4, b/c5 (c5 with an address). */
static int setup(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	sh("python3 " FX "/fixturectl.py %s reset >/dev/null", dir);
	sh("python3 -c 'import json; print(json.dumps({\"items\": [{"
	   "\"apiVersion\": \"k8s.cni.cncf.io/v1alpha1\", \"kind\": "
	   "\"IPAMClaim\", \"metadata\": {\"namespace\": n, \"name\": c}, "
	   "\"spec\": {\"network\": \"net1\", \"interface\": \"eth0\"}, "
	   "\"status\": {\"ips\": [\"10.1.0.5/24\"] if c == \"c5\" else []}}"
	   " for n, c in [(\"a\", \"c1\"), (\"a\", \"c2\"), (\"a\", \"c3\"), "
	   "(\"b\", \"c4\"), (\"b\", \"c5\")]]}))' >%s/claims.json && "
	   "python3 " FX "/fixturectl.py %s put-object %s/claims.json "
	   ">/dev/null",
	   dir, dir, dir);
	return 0;
}

static struct ipam_claims *open_api(void)
{
	struct ipam_claims *cl = NULL;
	struct cni_err err = { 0 };
	char kc[128];
	json_object *node = json_object_new_object();

	snprintf(kc, sizeof(kc), "%s/kubeconfig", dir);
	json_object_object_add(node, "kubeconfig", json_object_new_string(kc));
	if (ipam_claims_open(node, NULL, &cl, &err) < 0)
		fail_msg("open: %s", err.msg);
	json_object_put(node);
	return cl;
}

struct seen {
	char names[256];
	size_t n_ips;
	int stop_after; /* 0: never */
	int n;
};

/* Each item as plexusctl takes it: through ipam_claim_parse. */
static int on_claim(void *arg, json_object *item)
{
	struct seen *s = arg;
	json_object *meta, *ns, *name;
	struct ipam_claim *c = NULL;
	struct cni_err err = { 0 };

	assert_true(json_object_object_get_ex(item, "metadata", &meta));
	assert_true(json_object_object_get_ex(meta, "namespace", &ns));
	assert_true(json_object_object_get_ex(meta, "name", &name));
	if (ipam_claim_parse(item, json_object_get_string(ns),
			     json_object_get_string(name), &c, &err) < 0)
		fail_msg("parse: %s", err.msg);
	snprintf(s->names + strlen(s->names),
		 sizeof(s->names) - strlen(s->names), "%s%s/%s",
		 *s->names ? " " : "", c->ns, c->name);
	s->n_ips += c->n_ips;
	ipam_claim_free(c);
	if (++s->n == s->stop_after)
		return -42;
	return 0;
}

static void test_ipam_claims_list__pages_and_namespaces(void **state)
{
	struct ipam_claims *cl = open_api();
	struct cni_err err = { 0 };
	struct seen s = { 0 };
	int before = count(CLAIMS "ipamclaims");

	(void)state;
	assert_int_equal(ipam_claims_list(cl, NULL, 2, on_claim, &s, &err), 0);
	assert_string_equal(s.names, "a/c1 a/c2 a/c3 b/c4 b/c5");
	assert_int_equal(s.n_ips, 1);
	assert_int_equal(count(CLAIMS "ipamclaims") - before, 3);
	s = (struct seen){ 0 };
	assert_int_equal(ipam_claims_list(cl, "b", 500, on_claim, &s, &err), 0);
	assert_string_equal(s.names, "b/c4 b/c5");
	s = (struct seen){ 0 };
	assert_int_equal(
		ipam_claims_list(cl, "nobody", 500, on_claim, &s, &err), 0);
	assert_string_equal(s.names, "");
	ipam_claims_free(cl);
}

static void test_ipam_claims_list__stop_and_bad_namespace(void **state)
{
	struct ipam_claims *cl = open_api();
	struct cni_err err = { 0 };
	struct seen s = { .stop_after = 2 };
	int before;

	(void)state;
	assert_int_equal(ipam_claims_list(cl, NULL, 1, on_claim, &s, &err),
			 -42);
	assert_string_equal(s.names, "a/c1 a/c2");
	before = count(CLAIMS);
	assert_true(ipam_claims_list(cl, "Bad_NS", 1, on_claim, &s, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_int_equal(count(CLAIMS), before);
	ipam_claims_free(cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
			test_ipam_claims_list__pages_and_namespaces, setup),
		cmocka_unit_test_setup(
			test_ipam_claims_list__stop_and_bad_namespace, setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
