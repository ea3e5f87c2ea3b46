// SPDX-License-Identifier: Apache-2.0
/* cache: records written at ADD and read back by DEL/CHECK/GC; damaged
 * records fail with code 6 and never crash. */
#include <errno.h>
#include <fcntl.h>
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

#include "cache.h"
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "plan.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/plexus-cache.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
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

static void add_att(struct plexus_plan *p, const char *network,
		    const char *ifname, const char *conf)
{
	struct plexus_attachment a = { 0 };

	assert_int_equal(cni_conflist_parse_str(conf, strlen(conf), network,
						&a.conf, NULL),
			 0);
	a.network = strdup(network);
	a.source = strdup("delegates");
	a.ifname = strdup(ifname);
	a.is_default = p->n == 0;
	assert_int_equal(plexus_plan_add(p, &a), 0);
}

/* A two-network record; the second attachment has no result yet. */
static struct plexus_record *sample_record(void)
{
	struct plexus_plan *p = plexus_plan_new();
	struct plexus_record *rec;

	add_att(p, "default-net", "eth0",
		"{\"cniVersion\":\"1.0.0\",\"name\":\"default-net\","
		"\"plugins\":"
		"[{\"type\":\"bridge\",\"bridge\":\"cni0\"},{\"type\":"
		"\"portmap\","
		"\"capabilities\":{\"portMappings\":true}}]}");
	add_att(p, "ns1/macvlan-net", "net1",
		"{\"cniVersion\":\"0.3.1\",\"type\":\"macvlan\",\"master\":"
		"\"eth1\"}");
	p->att[0].runtime_config = json_tokener_parse("{\"portMappings\":[{"
						      "\"hostPort\":80,"
						      "\"containerPort\":8080}]"
						      "}");
	p->att[1].cni_args = json_tokener_parse("{\"extra\":\"1\"}");
	p->att[1].device_id = strdup("0000:3b:02.1");
	p->att[1].policy_routes = json_tokener_parse("[{\"dst\":\"10.83.0.0/"
						     "24\",\"gw\":\"10.73.0."
						     "254\"}]");
	p->pod_namespace = strdup("ns1");
	p->pod_name = strdup("web-0");
	p->pod_uid = strdup("7a1e5c1e");
	rec = plexus_record_new(p);
	assert_non_null(rec);
	rec->results[0] = json_tokener_parse("{\"cniVersion\":\"1.0.0\","
					     "\"interfaces\":[{\"name\":"
					     "\"eth0\"}],"
					     "\"ips\":[{\"address\":\"10.1.0.7/"
					     "24\",\"interface\":0}]}");
	rec->complete = false;
	return rec;
}

static const struct cni_env sample_env = {
	.cmd = CNI_CMD_ADD,
	.container_id = "c0ffee",
	.netns = "/var/run/netns/pod",
	.ifname = "eth0",
	.args_raw = "K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web-0",
};

static char *write_sample(const char *name)
{
	struct plexus_record *rec = sample_record();
	char *path = plexus_cache_path(dir, name, "eth0");
	struct cni_err err = { 0 };

	assert_non_null(path);
	assert_int_equal(plexus_cache_write(path, &sample_env, rec, &err), 0);
	plexus_record_free(rec);
	return path;
}

static void test_plexus_cache_write__read_round_trip(void **state)
{
	struct plexus_record *want = sample_record(), *got;
	char *path = write_sample("roundtrip");
	const struct plexus_plan *p;
	struct stat st;

	(void)state;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(plexus_cache_read(path, &got, NULL), 0);
	p = got->plan;
	assert_int_equal(p->n, 2);
	assert_false(got->complete);
	assert_string_equal(got->container_id, "c0ffee");
	assert_string_equal(got->netns, "/var/run/netns/pod");
	assert_string_equal(got->ifname, "eth0");
	assert_string_equal(p->pod_namespace, "ns1");
	assert_string_equal(p->pod_name, "web-0");
	assert_string_equal(p->pod_uid, "7a1e5c1e");
	for (size_t i = 0; i < 2; i++) {
		const struct plexus_attachment *a = &p->att[i];
		const struct plexus_attachment *w = &want->plan->att[i];

		assert_string_equal(a->network, w->network);
		assert_string_equal(a->ifname, w->ifname);
		assert_string_equal(a->source, w->source);
		assert_int_equal(a->is_default, w->is_default);
		assert_true(json_object_equal(a->conf->raw, w->conf->raw));
		assert_int_equal(a->conf->n_plugins, w->conf->n_plugins);
		assert_true(json_object_equal(a->runtime_config,
					      w->runtime_config));
		assert_true(json_object_equal(a->cni_args, w->cni_args));
		assert_true(
			json_object_equal(a->policy_routes, w->policy_routes));
		assert_true(
			json_object_equal(got->results[i], want->results[i]));
	}
	assert_null(p->att[0].device_id);
	assert_string_equal(p->att[1].device_id, "0000:3b:02.1");
	assert_null(got->results[1]);
	plexus_record_free(got);
	plexus_record_free(want);
	assert_int_equal(plexus_cache_remove(path), 0);
	assert_int_equal(plexus_cache_remove(path), 0); /* already gone */
	assert_int_equal(plexus_cache_read(path, &got, NULL), -ENOENT);
	free(path);
}

static void test_plexus_cache_write__complete_flag_and_new_dir(void **state)
{
	struct plexus_record *rec = sample_record(), *got;
	char sub[128], *path;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/new/deeper", dir);
	path = plexus_cache_path(sub, "c1", "eth0");
	rec->complete = true;
	assert_int_equal(plexus_cache_write(path, &sample_env, rec, NULL), 0);
	assert_int_equal(plexus_cache_read(path, &got, NULL), 0);
	assert_true(got->complete);
	plexus_record_free(got);
	plexus_record_free(rec);
	free(path);
}

static char *read_all(const char *path, size_t *len)
{
	char *buf;

	assert_int_equal(cni_read_file(path, &buf, len, NULL), 0);
	return buf;
}

static void put_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static void read_fails(const char *path, const char *want)
{
	struct plexus_record *rec = (struct plexus_record *)0x1;
	struct cni_err err = { 0 };
	int r = plexus_cache_read(path, &rec, &err);

	print_message("  -> %d code %d %s\n", r, err.code, err.msg);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, CNI_ERR_DECODE);
	assert_non_null(strstr(err.msg, path));
	if (want)
		assert_non_null(strstr(err.msg, want));
	assert_ptr_equal(rec, (struct plexus_record *)0x1);
}

/* A record cut short anywhere (a crash, a full disk): code 6. */
static void test_plexus_cache_read__truncated_is_decode_error(void **state)
{
	char *path = write_sample("trunc"), *buf;
	size_t len;

	(void)state;
	buf = read_all(path, &len);
	for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 37) {
		put_file(path, buf, cut);
		print_message("cut at %zu of %zu\n", cut, len);
		read_fails(path, NULL);
	}
	free(buf);
	free(path);
}

static void test_plexus_cache_read__damaged_records(void **state)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{ "{\"kind\":\"other\",\"version\":1,\"attachments\":[]}",
		  "not a plexus cache record" },
		{ "{\"kind\":\"plexus-cache\",\"version\":2,\"attachments\":[]"
		  "}",
		  "not a plexus cache record of version 1" },
		{ "{\"version\":1,\"attachments\":[]}", "not a plexus cache" },
		{ "{\"kind\":null,\"version\":1,\"attachments\":[]}", "not a "
								      "plexus "
								      "cache" },
		{ "{\"kind\":[1],\"version\":1,\"attachments\":[]}", "not a "
								     "plexus "
								     "cache" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1}", "attachments "
							       "missing" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":{}"
		  "}",
		  "attachments missing" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":[1]"
		  "}",
		  "attachments[0]: incomplete" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":"
		  "[{\"network\":\"a\",\"ifname\":\"eth0\"}]}",
		  "attachments[0]: incomplete" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":"
		  "[{\"network\":\"a\",\"ifname\":\"../x\",\"conf\":{}}]}",
		  "attachments[0]" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":"
		  "[{\"network\":\"a\",\"ifname\":\"eth0\",\"conf\":"
		  "{\"cniVersion\":\"7.0.0\",\"type\":\"x\"}}]}",
		  "attachments[0].cniVersion" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":"
		  "[{\"network\":\"a\",\"ifname\":\"eth0\",\"conf\":"
		  "{\"cniVersion\":\"1.0.0\"}}]}",
		  "attachments[0]: \"type\" missing" },
		{ "{\"kind\":\"plexus-cache\",\"version\":1,\"attachments\":"
		  "[{\"network\":\"a\",\"ifname\":\"eth0\",\"conf\":"
		  "{\"cniVersion\":\"1.0.0\",\"type\":\"x\"},"
		  "\"policyRoutes\":[{\"dst\":\"10.0.0.1/8\",\"gw\":\"10.1."
		  "0.1\"}]}]}",
		  "attachments[0].policyRoutes: route 0: dst \"10.0.0.1/8\" "
		  "has host bits set" },
		{ "[]", "not a plexus cache" },
	};
	char *path = plexus_cache_path(dir, "damaged", "eth0");

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("record %s\n", cases[i].doc);
		put_file(path, cases[i].doc, strlen(cases[i].doc));
		read_fails(path, cases[i].want);
	}
	free(path);
}

static void test_plexus_cache_parse__same_as_read(void **state)
{
	char *path = write_sample("parse"), *buf;
	struct plexus_record *a, *b;
	size_t len;

	(void)state;
	buf = read_all(path, &len);
	assert_int_equal(plexus_cache_parse(buf, len, "mem", &a, NULL), 0);
	assert_int_equal(plexus_cache_read(path, &b, NULL), 0);
	assert_int_equal(a->plan->n, b->plan->n);
	assert_true(json_object_equal(a->results[0], b->results[0]));
	plexus_record_free(a);
	plexus_record_free(b);
	free(buf);
	free(path);
}

static void test_plexus_cache_path__sanitises_container_id(void **state)
{
	static const struct {
		const char *id, *ifname, *want;
	} cases[] = {
		{ "3f2a9c0d1e", "eth0", "3f2a9c0d1e_eth0.json" },
		{ "../../etc/passwd", "eth0",
		  "..%2F..%2Fetc%2Fpasswd_eth0.json" },
		{ "a b;c|d", "net1", "a%20b%3Bc%7Cd_net1.json" },
		{ "", "eth0", "_eth0.json" },
		{ "\xc3\xa9t\xc3\xa9", "eth0", "%C3%A9t%C3%A9_eth0.json" },
		{ "pod:1/x", "net1.100", "pod%3A1%2Fx_net1.100.json" },
		{ "A-Z_0.9", "e", "A-Z%5F0.9_e.json" },
		/* these two collided when '_' stood for every odd byte */
		{ "a_b", "eth0", "a%5Fb_eth0.json" },
		{ "a", "b_eth0", "a_b%5Feth0.json" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *path = plexus_cache_path("/var/lib/plexus", cases[i].id,
					       cases[i].ifname);
		char want[128];

		snprintf(want, sizeof(want), "/var/lib/plexus/%s",
			 cases[i].want);
		assert_string_equal(path, want);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plexus_cache_write__read_round_trip),
		cmocka_unit_test(
			test_plexus_cache_write__complete_flag_and_new_dir),
		cmocka_unit_test(
			test_plexus_cache_read__truncated_is_decode_error),
		cmocka_unit_test(test_plexus_cache_read__damaged_records),
		cmocka_unit_test(test_plexus_cache_parse__same_as_read),
		cmocka_unit_test(
			test_plexus_cache_path__sanitises_container_id),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
