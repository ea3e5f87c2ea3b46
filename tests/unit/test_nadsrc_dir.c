/* SPDX-License-Identifier: Apache-2.0 */
/* YAML to JSON, and the manifests-folder NAD source. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "nadsrc.h"
#include "yamljson.h"

static json_object **yj(const char *text, size_t *n)
{
	struct cni_err err = { 0 };
	json_object **docs = NULL;

	if (yamljson_parse(text, strlen(text), "t.yaml", &docs, n, &err))
		fail_msg("yamljson_parse: %s", err.msg);
	return docs;
}

static void test_yamljson__scalars(void **state)
{
	size_t n;
	json_object **d = yj("a: 1\nb: -7\nc: 1.5\nd: true\ne: False\n"
			     "f: ~\ng:\nh: null\ni: \"1\"\nj: '0x10'\n"
			     "k: 0x10\nl: 0o17\nm: hello world\nn: 1e3\n"
			     "o: !!str 12\np: 10.0.0.1/24\nq: yes\n"
			     "r: 99999999999999999999\n",
			     &n);

	(void)state;
	assert_int_equal(n, 1);
	assert_string_equal(cni_json_str(d[0]), "{\"a\":1,\"b\":-7,\"c\":1.5,"
						"\"d\":true,\"e\":false,"
						"\"f\":null,\"g\":null,\"h\":"
						"null,\"i\":\"1\",\"j\":"
						"\"0x10\","
						"\"k\":16,\"l\":15,\"m\":"
						"\"hello world\",\"n\":1000.0,"
						"\"o\":\"12\",\"p\":\"10.0.0.1/"
						"24\",\"q\":\"yes\","
						"\"r\":1e+20}");
	yamljson_docs_free(d, n);
}

static void test_yamljson__block_scalars_and_nesting(void **state)
{
	size_t n;
	json_object **d = yj("spec:\n  config: |\n    {\"a\": 1}\n"
			     "  list:\n  - x\n  - {y: [1, 2]}\n",
			     &n);

	(void)state;
	assert_string_equal(cni_json_str(d[0]), "{\"spec\":{\"config\":\"{"
						"\\\"a\\\": 1}\\n\","
						"\"list\":[\"x\",{\"y\":[1,2]}]"
						"}}");
	yamljson_docs_free(d, n);
}

static void test_yamljson__multi_doc_and_json(void **state)
{
	size_t n;
	json_object **d = yj("---\na: 1\n---\n---\n{\"b\": [true]}\n...\n", &n);

	(void)state;
	assert_int_equal(n, 2); /* the empty one is skipped */
	assert_string_equal(cni_json_str(d[1]), "{\"b\":[true]}");
	yamljson_docs_free(d, n);
	d = yj("", &n);
	assert_int_equal(n, 0);
	yamljson_docs_free(d, n);
}

static void test_yamljson__rejects(void **state)
{
	static const char *const bad[][2] = {
		{ "a: &x 1\nb: *x\n", "aliases are not supported" },
		{ "? [a]\n: 1\n", "only scalar mapping keys" },
		{ "a: [1, 2\n", "line " },
		{ "a: b: c\n", "line 1" },
		{ "\"unterminated\n", "t.yaml: line" },
	};
	char deep[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cni_err err = { 0 };
		json_object **docs = NULL;
		size_t n = 0;

		if (yamljson_parse(bad[i][0], strlen(bad[i][0]), "t.yaml",
				   &docs, &n, &err) == 0 ||
		    !strstr(err.msg, bad[i][1]) || err.code != CNI_ERR_DECODE)
			fail_msg("case %zu: code %d msg '%s'", i, err.code,
				 err.msg);
	}
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	deep[200] = '\0';
	{
		struct cni_err err = { 0 };
		json_object **docs = NULL;
		size_t n = 0;

		assert_int_not_equal(
			yamljson_parse(deep, 200, "t.yaml", &docs, &n, &err),
			0);
		assert_non_null(strstr(err.msg, "nested too deeply"));
	}
}

/* --- the folder source --- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char *dir = strdup("/tmp/plexus-nadsrc.XXXXXX");

	assert_non_null(mkdtemp(dir));
	*state = dir;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (char *)*state);
	assert_int_equal(system(cmd), 0);
	free(*state);
	return 0;
}

static void test_dir__finds_pods_and_nads(void **state)
{
	const char *dir = *state;
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	write_file(dir, "nads.yaml",
		   "apiVersion: k8s.cni.cncf.io/v1\n"
		   "kind: NetworkAttachmentDefinition\n"
		   "metadata:\n  name: br\n  namespace: ns1\n"
		   "spec:\n  config: "
		   "'{\"cniVersion\":\"1.0.0\",\"type\":\"bridge\"}'\n"
		   "---\n"
		   "apiVersion: k8s.cni.cncf.io/v1\n"
		   "kind: NetworkAttachmentDefinition\n"
		   "metadata:\n  name: nons\n"
		   "---\nkind: ConfigMap\nmetadata:\n  name: br\n  namespace: "
		   "ns1\n");
	write_file(dir, "pods.json",
		   "{\"kind\":\"List\",\"items\":[{\"kind\":\"Pod\","
		   "\"metadata\":{\"name\":\"p1\",\"namespace\":\"ns1\"}}]}");
	write_file(dir, "README.md", "not: [a manifest");
	assert_int_equal(nadsrc_dir_open(dir, &src, &err), 0);
	assert_string_equal(src->ops->kind, "manifests");
	assert_null(src->ops->put_network_status);
	assert_int_equal(src->ops->get_nad(src->ctx, "ns1", "br", &o, &err), 0);
	assert_non_null(strstr(cni_json_str(o), "\"config\""));
	json_object_put(o);
	assert_int_equal(
		src->ops->get_nad(src->ctx, "default", "nons", &o, &err), 0);
	json_object_put(o);
	assert_int_equal(src->ops->get_pod(src->ctx, "ns1", "p1", &o, &err), 0);
	json_object_put(o);
	assert_int_equal(src->ops->get_pod(src->ctx, "ns1", "br", &o, &err),
			 -ENOENT);
	assert_int_equal(err.code, CNI_ERR_SELECTION);
	assert_non_null(strstr(err.msg, "pod ns1/br not found in"));
	assert_int_equal(src->ops->get_nad(src->ctx, "ns2", "br", &o, &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "NetworkAttachmentDefinition ns2/br "
					"not found"));
	nad_source_free(src);
}

static void test_dir__bad_file_fails(void **state)
{
	const char *dir = *state;
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	write_file(dir, "bad.yaml", "kind: [Pod\n");
	assert_int_equal(nadsrc_dir_open(dir, &src, &err), 0);
	assert_int_not_equal(src->ops->get_nad(src->ctx, "a", "b", &o, &err),
			     0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, "bad.yaml: line"));
	nad_source_free(src);
}

static void test_dir__missing_dir(void **state)
{
	struct nad_source *src = NULL;
	struct cni_err err = { 0 };
	json_object *o = NULL;

	(void)state;
	assert_int_equal(nadsrc_dir_open("/nonexistent/plexus", &src, &err), 0);
	assert_int_not_equal(src->ops->get_pod(src->ctx, "a", "b", &o, &err),
			     0);
	assert_int_equal(err.code, CNI_ERR_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/plexus"));
	nad_source_free(src);
	nad_source_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yamljson__scalars),
		cmocka_unit_test(test_yamljson__block_scalars_and_nesting),
		cmocka_unit_test(test_yamljson__multi_doc_and_json),
		cmocka_unit_test(test_yamljson__rejects),
		cmocka_unit_test_setup_teardown(test_dir__finds_pods_and_nads,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dir__bad_file_fails, setup,
						teardown),
		cmocka_unit_test(test_dir__missing_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
