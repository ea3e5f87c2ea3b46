// SPDX-License-Identifier: Apache-2.0
/* pd_store: the warm stores' request handling on a file store, the cache
 * of open stores, and the socket with its threads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "pd_hcache.h"
#include "pd_store.h"
#include "pd_text.h"
#include "store.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_pd_store.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* one request on store number n (a file store of its own under dir) */
static char *ask(struct pd_store_cache *c, int n, const char *fmt, ...)
{
	char body[512], line[1024];
	int op, ok;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line),
		 "{\"store\":{\"type\":\"file\",\"path\":\"%s/s%d\","
		 "\"lockDir\":\"%s/locks\"},%s}",
		 dir, n, dir, body);
	return pd_store_handle(c, line, strlen(line), &op, &ok);
}

static void test_pd_store__ops_on_a_file_store(void **state)
{
	struct pd_store_cache *c = pd_store_cache_new("");
	char *r;

	(void)state;
	r = ask(c, 0, "\"op\":\"get\",\"key\":\"p/b/1\"");
	assert_non_null(strstr(r, "\"rc\":-2"));
	free(r);
	r = ask(c, 0,
		"\"op\":\"put\",\"key\":\"p/b/1\",\"val\":\"v1\",\"ver\":0");
	assert_non_null(strstr(r, "\"rc\":0"));
	free(r);
	/* create again: the version does not match */
	r = ask(c, 0,
		"\"op\":\"put\",\"key\":\"p/b/1\",\"val\":\"v2\",\"ver\":0");
	assert_non_null(strstr(r, "\"rc\":-125")); /* ECANCELED */
	free(r);
	r = ask(c, 0, "\"op\":\"list\",\"key\":\"p/b/\"");
	assert_non_null(strstr(r, "\"key\":\"p/b/1\",\"val\":\"v1\""));
	free(r);
	r = ask(c, 0, "\"op\":\"list\",\"key\":\"p/b/\",\"keysOnly\":true");
	assert_null(strstr(r, "\"val\""));
	free(r);
	r = ask(c, 0, "\"op\":\"del\",\"key\":\"p/b/1\"");
	assert_non_null(strstr(r, "\"rc\":0"));
	free(r);
	/* a put with the writes that go with it (a block's records) */
	r = ask(c, 0,
		"\"op\":\"put\",\"key\":\"p/b/2\",\"val\":\"h\",\"ver\":0,"
		"\"with\":[{\"key\":\"p/a/2/5\",\"val\":\"r\"},"
		"{\"key\":\"p/a/2/6\"}]");
	assert_non_null(strstr(r, "\"rc\":0"));
	assert_non_null(strstr(r, "\"with\":2"));
	free(r);
	r = ask(c, 0, "\"op\":\"get\",\"key\":\"p/a/2/5\"");
	assert_non_null(strstr(r, "\"val\":\"r\""));
	free(r);
	pd_store_cache_free(c);
}

/* the reply's "ver" */
static uint64_t ver_in(const char *reply)
{
	const char *p = strstr(reply, "\"ver\":");

	assert_non_null(p);
	return strtoull(p + 6, NULL, 10);
}

/* another writer of store number n, not through plexusd (plexus-ipam's
 * direct path): a put on the version read */
static void put_direct(int n, const char *key, const char *val)
{
	char conf[512];
	json_object *o;
	struct ipam_store *st;
	struct cni_err err = { 0 };
	uint64_t ver = 0;
	char *old = NULL;

	snprintf(conf, sizeof(conf),
		 "{\"type\":\"file\",\"path\":\"%s/s%d\",\"lockDir\":"
		 "\"%s/locks\"}",
		 dir, n, dir);
	o = json_tokener_parse(conf);
	assert_int_equal(ipam_store_open(o, &st, &err), 0);
	assert_int_equal(ipam_store_get(st, key, &old, NULL, &ver, &err), 0);
	free(old);
	assert_int_equal(
		ipam_store_put_if(st, key, val, strlen(val), ver, NULL, &err),
		0);
	ipam_store_close(st);
	json_object_put(o);
}

/* Block headers in memory: a get for update ("cache": true) is answered
 * from memory once the key is held, and says so; plain gets and puts
 * refresh it; a write not through plexusd leaves it stale until a
 * compare-and-swap on it fails, which drops it; a delete drops it; other
 * keys never enter. */
static void test_pd_store__header_cache(void **state)
{
	struct pd_store_cache *c = pd_store_cache_new("");
	struct pd_hcache *h = pd_hcache_new(PD_HCACHE_AGE_MS);
	char buf[2048], req[256];
	struct pd_text o = { .buf = buf, .size = sizeof(buf) };
	uint64_t ver;
	char *r;

	(void)state;
	pd_store_cache_share(c, h);
	r = ask(c, 1,
		"\"op\":\"put\",\"key\":\"p/b/0\",\"val\":\"v1\","
		"\"ver\":0");
	free(r);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\"");
	assert_int_equal(pd_hcache_entries(h, NULL), 0); /* not for update */
	free(r);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v1\""));
	assert_null(strstr(r, "cached"));
	free(r);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v1\""));
	assert_non_null(strstr(r, "\"cached\":true"));
	ver = ver_in(r);
	free(r);
	/* another store's key of the same name is not this one */
	r = ask(c, 2, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"rc\":-2"));
	free(r);
	put_direct(1, "p/b/0", "v2");
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v1\"")); /* stale */
	assert_non_null(strstr(r, "\"cached\":true"));
	free(r);
	snprintf(req, sizeof(req),
		 "\"op\":\"put\",\"key\":\"p/b/0\",\"val\":\"v3\","
		 "\"ver\":%llu",
		 (unsigned long long)ver);
	r = ask(c, 1, "%s", req);
	assert_non_null(strstr(r, "\"rc\":-125")); /* ECANCELED: dropped */
	free(r);
	assert_int_equal(pd_hcache_entries(h, NULL), 0);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v2\""));
	assert_null(strstr(r, "cached"));
	free(r);
	/* a plain get refreshes a held key */
	put_direct(1, "p/b/0", "v4");
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\"");
	assert_non_null(strstr(r, "\"val\":\"v4\""));
	free(r);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v4\""));
	assert_non_null(strstr(r, "\"cached\":true"));
	ver = ver_in(r);
	free(r);
	/* so does a put through plexusd, with the version it made */
	snprintf(req, sizeof(req),
		 "\"op\":\"put\",\"key\":\"p/b/0\",\"val\":\"v5\","
		 "\"ver\":%llu",
		 (unsigned long long)ver);
	r = ask(c, 1, "%s", req);
	assert_non_null(strstr(r, "\"rc\":0"));
	ver = ver_in(r);
	free(r);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"val\":\"v5\""));
	assert_non_null(strstr(r, "\"cached\":true"));
	assert_int_equal(ver_in(r), ver);
	free(r);
	r = ask(c, 1, "\"op\":\"del\",\"key\":\"p/b/0\"");
	assert_non_null(strstr(r, "\"rc\":0"));
	free(r);
	assert_int_equal(pd_hcache_entries(h, NULL), 0);
	r = ask(c, 1, "\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
	assert_non_null(strstr(r, "\"rc\":-2"));
	free(r);
	/* without a shared cache (the default), every get asks the store */
	pd_store_cache_share(c, NULL);
	r = ask(c, 1,
		"\"op\":\"put\",\"key\":\"p/b/0\",\"val\":\"v6\","
		"\"ver\":0");
	free(r);
	for (int i = 0; i < 2; i++) {
		r = ask(c, 1,
			"\"op\":\"get\",\"key\":\"p/b/0\",\"cache\":true");
		assert_non_null(strstr(r, "\"val\":\"v6\""));
		assert_null(strstr(r, "cached"));
		free(r);
	}
	pd_hcache_metrics(h, &o);
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result="
				    "\"invalidated\"} 1\n"));
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result=\"hit\"} "
				    "4\n"));
	pd_store_cache_free(c);
	pd_hcache_free(h);
}

static void test_pd_store__malformed(void **state)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"op\":\"zap\",\"store\":{},\"key\":\"k\"}",
		"{\"op\":\"get\",\"key\":\"k\"}",
		"{\"op\":\"get\",\"store\":{}}",
		"{\"op\":\"put\",\"store\":{},\"key\":\"k\"}",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\",\"ver\":\"1\"}",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\",\"timeoutMs\":0}",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\",\"keysOnly\":1}",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\",\"with\":[]}",
		"{\"op\":\"get\",\"store\":{},\"key\":\"k\",\"cache\":1}",
		"{\"op\":\"put\",\"store\":{},\"key\":\"k\",\"val\":\"v\","
		"\"cache\":true}",
		"{\"op\":\"list\",\"store\":{},\"key\":\"k/\",\"cache\":true}",
		"{\"op\":\"put\",\"store\":{},\"key\":\"k\",\"val\":\"v\","
		"\"with\":{}}",
		"{\"op\":\"put\",\"store\":{},\"key\":\"k\",\"val\":\"v\","
		"\"with\":[{\"val\":\"v\"}]}",
		"{\"op\":\"put\",\"store\":{},\"key\":\"k\",\"val\":\"v\","
		"\"with\":[{\"key\":\"a\",\"val\":1}]}",
	};
	struct pd_store_cache *c = pd_store_cache_new("");

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int op, ok;
		char *r = pd_store_handle(c, bad[i], strlen(bad[i]), &op, &ok);

		assert_false(ok);
		assert_non_null(strstr(r, "\"msg\""));
		free(r);
	}
	pd_store_cache_free(c);
}

/* a store plexusd cannot open: the client is told to use it itself */
static void test_pd_store__cannot_open(void **state)
{
	static const char *const req[] = {
		"{\"op\":\"get\",\"store\":{\"type\":\"nope\"},\"key\":\"k\"}",
		"{\"op\":\"get\",\"store\":{\"type\":\"kubernetes\","
		"\"kubeconfig\":\"/nonexistent/kc\"},\"key\":\"k\"}",
	};
	struct pd_store_cache *c = pd_store_cache_new("");

	(void)state;
	for (size_t i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		int op, ok;
		char *r = pd_store_handle(c, req[i], strlen(req[i]), &op, &ok);

		assert_false(ok);
		assert_non_null(strstr(r, "\"rc\":-3,\"direct\":true"));
		free(r);
	}
	pd_store_cache_free(c);
}

/* --host-prefix: the kubeconfig a store names (a host path) is read under
 * it; without it, plexusd cannot open that store */
static void test_pd_store__host_prefix(void **state)
{
	static const char kc[] =
		"apiVersion: v1\nkind: Config\ncurrent-context: c\n"
		"clusters:\n- name: k\n  cluster:\n    server: "
		"https://127.0.0.1:1\n"
		"contexts:\n- name: c\n  context:\n    cluster: k\n    user: "
		"u\n"
		"users:\n- name: u\n  user:\n    token: t\n";
	static const char req[] = "{\"op\":\"get\",\"store\":{\"type\":"
				  "\"kubernetes\","
				  "\"kubeconfig\":\"/etc/plexus-test/"
				  "kc\",\"timeoutMs\":100},"
				  "\"key\":\"k\",\"timeoutMs\":500}";
	char host[128], path[192];
	struct pd_store_cache *c;
	int op, ok;
	char *r;
	FILE *f;

	(void)state;
	snprintf(host, sizeof(host), "%s/host", dir);
	snprintf(path, sizeof(path), "mkdir -p %s/etc/plexus-test", host);
	assert_int_equal(system(path), 0);
	snprintf(path, sizeof(path), "%s/etc/plexus-test/kc", host);
	assert_non_null(f = fopen(path, "w"));
	fputs(kc, f);
	fclose(f);
	c = pd_store_cache_new(host);
	r = pd_store_handle(c, req, strlen(req), &op, &ok);
	assert_null(strstr(r, "\"direct\"")); /* opened; the API is away */
	assert_false(ok);
	free(r);
	pd_store_cache_free(c);
	c = pd_store_cache_new("");
	r = pd_store_handle(c, req, strlen(req), &op, &ok);
	assert_non_null(strstr(r, "\"direct\":true"));
	free(r);
	pd_store_cache_free(c);
}

/* more stores than the cache holds: the oldest is closed, and opened
 * again when asked for */
static void test_pd_store__cache_bound(void **state)
{
	struct pd_store_cache *c = pd_store_cache_new("");

	(void)state;
	for (int n = 0; n < PD_STORE_CACHE + 3; n++) {
		char *r =
			ask(c, n, "\"op\":\"put\",\"key\":\"k\",\"val\":\"x\"");

		assert_non_null(strstr(r, "\"rc\":0"));
		free(r);
	}
	for (int n = 0; n < PD_STORE_CACHE + 3; n++) {
		char *r = ask(c, n, "\"op\":\"get\",\"key\":\"k\"");

		assert_non_null(strstr(r, "\"val\":\"x\""));
		free(r);
	}
	pd_store_cache_free(c);
}

/* plexus-ipam's reports: counted by outcome and fallback reason,
 * answered rc 0; unknown values, other members, none of the two refused
 * (and not counted) */
static void test_pd_store__reports(void **state)
{
	static const char *const good[] = {
		"{\"op\":\"report\",\"outcome\":\"allocated\"}",
		"{\"op\":\"report\",\"outcome\":\"allocated\","
		"\"fallback\":\"timeout\"}",
		"{\"op\":\"report\",\"fallback\":\"cannot_open\"}",
		"{\"fallback\":\"io\",\"op\":\"report\","
		"\"outcome\":\"release_failed\"}",
	};
	static const char *const bad[] = {
		"{\"op\":\"report\"}",
		"{\"op\":\"report\",\"outcome\":\"stolen\"}",
		"{\"op\":\"report\",\"outcome\":1}",
		"{\"op\":\"report\",\"fallback\":\"Timeout\"}",
		"{\"op\":\"report\",\"outcome\":\"allocated\",\"key\":\"k\"}",
		"{\"op\":\"report\",\"outcome\":\"allocated\","
		"\"fallback\":null}",
		"[\"report\"]",
	};
	struct pd_store_cache *c = pd_store_cache_new("");
	struct cni_err err = { 0 };
	struct pd_store *s = NULL;
	char path[128], buf[8192];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int op, ok;
		char *r =
			pd_store_handle(c, good[i], strlen(good[i]), &op, &ok);

		assert_true(ok);
		assert_int_equal(op, 4);
		assert_string_equal(r, "{\"rc\":0}");
		free(r);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int op, ok;
		char *r = pd_store_handle(c, bad[i], strlen(bad[i]), &op, &ok);

		assert_false(ok);
		assert_int_equal(op, 5);
		assert_non_null(strstr(r, "\"msg\""));
		free(r);
	}
	pd_store_cache_free(c);
	snprintf(path, sizeof(path), "%s/r.sock", dir);
	assert_int_equal(pd_store_open(path, "", &s, &err), 0);
	assert_true(pd_store_metrics(s, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\nplexusd_ipam_allocations_total{result="
				    "\"allocated\"} 2\n"));
	assert_non_null(strstr(buf, "\nplexusd_ipam_allocations_total{result="
				    "\"release_failed\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_ipam_allocations_total{result="
				    "\"released\"} 0\n"));
	assert_non_null(strstr(buf, "\nplexus_ipam_fallbacks_total{reason="
				    "\"timeout\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexus_ipam_fallbacks_total{reason="
				    "\"cannot_open\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexus_ipam_fallbacks_total{reason="
				    "\"unreachable\"} 0\n"));
	pd_store_close(s);
}

static void test_pd_store__socket(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct cni_err err = { 0 };
	struct pd_store *s = NULL;
	char line[512], buf[4096] = "";
	struct stat st;
	size_t have = 0;
	int fd;

	(void)state;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/s.sock", dir);
	assert_int_equal(pd_store_open(a.sun_path, "", &s, &err), 0);
	assert_int_equal(stat(a.sun_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	snprintf(line, sizeof(line),
		 "{\"op\":\"put\",\"store\":{\"type\":\"file\",\"path\":"
		 "\"%s/st\"},\"key\":\"k\",\"val\":\"x\"}\nbad\n",
		 dir);
	assert_int_equal(write(fd, line, strlen(line)), (ssize_t)strlen(line));
	while (!strchr(buf, '\n') || !strchr(strchr(buf, '\n') + 1, '\n')) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - have - 1);

		assert_true(n > 0);
		have += (size_t)n;
		buf[have] = '\0';
	}
	assert_non_null(strstr(buf, "{\"rc\":0"));
	assert_non_null(strstr(buf, "invalid JSON"));
	close(fd);
	assert_int_equal(pd_store_metrics(s, buf, sizeof(buf)) > 0, 1);
	assert_non_null(strstr(buf, "plexusd_store_requests_total{op=\"put\","
				    "result=\"ok\"} 1"));
	assert_non_null(strstr(buf, "plexusd_store_requests_total{op="
				    "\"malformed\",result=\"error\"} "
				    "1"));
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result=\"miss\"}"
				    " 0\n"));
	assert_non_null(strstr(buf, "plexusd_store_cache_entries 0\n"));
	assert_int_equal(pd_store_metrics(s, buf, 10), -ENOSPC);
	pd_store_close(s);
	assert_int_equal(stat(a.sun_path, &st), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_pd_store__ops_on_a_file_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__header_cache,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__cannot_open,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__host_prefix,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__cache_bound,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__reports, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_pd_store__socket, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
