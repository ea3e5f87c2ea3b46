/* SPDX-License-Identifier: Apache-2.0 */
/* plexusd's modules: the HTTP request parser (every refusal), the
 * server over loopback, metrics, the primary config (pick, build, write,
 * remove), the installer, the kubeconfig, the flags and node file. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_error.h"
#include "cni_json.h"
#include "k8s.h"
#include "pd_http.h"
#include "pd_install.h"
#include "pd_kubeconfig.h"
#include "pd_metrics.h"
#include "pd_netconf.h"
#include "pd_opts.h"
#include "pd_server.h"

/* ---- helpers ---- */

static char *tmpdir(void)
{
	char *d = strdup("/tmp/test_plexusd.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(const char *d)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get_file(const char *dir, const char *name)
{
	char p[512], *buf = NULL;
	size_t len;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (cni_read_file(p, &buf, &len, NULL) < 0)
		return NULL;
	return buf;
}

/* ---- the HTTP parser ---- */

static int parse(const char *s, struct pd_http_req *r)
{
	return pd_http_parse(s, strlen(s), r);
}

static void test_http_parse__get_and_head(void **state)
{
	struct pd_http_req r;

	(void)state;
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &r),
			 0);
	assert_int_equal(r.method, PD_HTTP_GET);
	assert_string_equal(r.path, "/metrics");
	assert_int_equal(r.minor, 1);
	assert_int_equal(parse("HEAD /readyz?x=1 HTTP/1.0\r\n\r\n", &r), 0);
	assert_int_equal(r.method, PD_HTTP_HEAD);
	assert_string_equal(r.path, "/readyz");
	assert_int_equal(r.minor, 0);
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\n"
			       "Content-Length: 0\r\n\r\n",
			       &r),
			 0);
	assert_int_equal(r.method, PD_HTTP_OTHER);
}

static void test_http_parse__incomplete(void **state)
{
	struct pd_http_req r;

	(void)state;
	assert_int_equal(parse("", &r), -EAGAIN);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\n", &r), -EAGAIN);
}

static void test_http_parse__rejects(void **state)
{
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ "GET\r\n\r\n", -400 },
		{ "GET /\r\n\r\n", -400 },
		{ "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", -400 },
		{ "GET x HTTP/1.1\r\nHost: x\r\n\r\n", -400 },
		{ "GET http://a/ HTTP/1.1\r\nHost: x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n\r\n", -400 }, /* 1.1 without Host */
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", -505 },
		{ "GET / HTTP/1.2\r\nHost: x\r\n\r\n", -505 },
		{ "GET / HTTX/1.1\r\nHost: x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1x\r\nHost: x\r\n\r\n", -400 },
		{ "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n: x\r\nHost: x\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: x\nY: z\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: \x01\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
		  -400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n",
		  -400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
		  -400 },
		{ "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
		  "\r\n\r\n",
		  -400 },
		{ "\x7f", -400 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pd_http_req r;
		int got = parse(cases[i].in, &r);

		if (got != cases[i].want)
			fail_msg("case %zu: got %d, want %d", i, got,
				 cases[i].want);
	}
}

static void test_http_parse__nul_byte(void **state)
{
	static const char in[] = "GET /\0x HTTP/1.1\r\nHost: x\r\n\r\n";
	struct pd_http_req r;

	(void)state;
	assert_int_equal(pd_http_parse(in, sizeof(in) - 1, &r), -400);
}

static void test_http_parse__size_limits(void **state)
{
	char *big = malloc(PD_HTTP_HEAD_MAX + 100);
	char path[PD_HTTP_PATH_MAX + 40];
	struct pd_http_req r;

	(void)state;
	memset(big, 'a', PD_HTTP_HEAD_MAX + 100);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(pd_http_parse(big, PD_HTTP_HEAD_MAX - 1, &r), -EAGAIN);
	assert_int_equal(pd_http_parse(big, PD_HTTP_HEAD_MAX, &r), -431);
	assert_int_equal(pd_http_parse(big, PD_HTTP_HEAD_MAX + 100, &r), -431);
	/* a head that ends past the limit is too large too */
	memcpy(big + PD_HTTP_HEAD_MAX + 10, "\r\n\r\n", 4);
	assert_int_equal(pd_http_parse(big, PD_HTTP_HEAD_MAX + 100, &r), -431);
	free(big);
	memset(path, 'p', sizeof(path));
	memcpy(path, "GET /", 5);
	memcpy(path + PD_HTTP_PATH_MAX + 5, " HTTP/1.0\r\n\r\n", 13);
	assert_int_equal(pd_http_parse(path, PD_HTTP_PATH_MAX + 18, &r), -414);
}

/* ---- the server, over loopback ---- */

static int handled;

static void handler(void *ctx, const struct pd_http_req *req,
		    struct pd_reply *r)
{
	(void)ctx;
	handled++;
	r->status = strcmp(req->path, "/ok") ? 404 : 200;
	r->body = strdup("hello\n");
	r->len = 6;
}

static int counted[600];

static void counter(void *ctx, int status)
{
	(void)ctx;
	counted[status < 0 ? -status : status]++;
}

/* send req on a fresh connection, run the server until it closes, return
 * what came back (static) */
static const char *roundtrip(struct pd_server *s, const char *req, size_t len)
{
	static char got[8192];
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port =
					 htons((uint16_t)pd_server_port(s)) };
	struct pollfd fds[8];
	size_t n = 0, off = 0;
	int c = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	fcntl(c, F_SETFL, O_NONBLOCK);
	if (len)
		assert_true(send(c, req, len, MSG_NOSIGNAL) > 0);
	for (int i = 0; i < 200; i++) {
		ssize_t r;

		n = pd_server_fill(s, fds);
		poll(fds, n, 10);
		pd_server_handle(s, fds, n, pd_now_ms());
		r = read(c, got + off, sizeof(got) - 1 - off);
		if (r == 0)
			break;
		if (r > 0)
			off += (size_t)r;
	}
	close(c);
	got[off] = '\0';
	return got;
}

static void test_server__answers_and_refuses(void **state)
{
	struct cni_err err = { 0 };
	struct pd_server *s = NULL;
	static const char ok[] = "GET /ok HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char bad[] = "GET /ok HTTP/1.1\r\nHost a\r\n\r\n";
	static const char post[] = "DELETE /ok HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char head[] = "HEAD /ok HTTP/1.1\r\nHost: a\r\n\r\n";
	char *big = malloc(3 * PD_HTTP_HEAD_MAX);
	const char *got;

	(void)state;
	assert_int_equal(pd_server_open("127.0.0.1:0", 2, handler, counter,
					NULL, &s, &err),
			 0);
	assert_true(pd_server_port(s) > 0);
	got = roundtrip(s, ok, sizeof(ok) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(got, "Content-Length: 6\r\n"));
	assert_non_null(strstr(got, "\r\n\r\nhello\n"));
	assert_int_equal(handled, 1);
	got = roundtrip(s, bad, sizeof(bad) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 400 Bad Request\r\n"));
	got = roundtrip(s, post, sizeof(post) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 405 "));
	got = roundtrip(s, head, sizeof(head) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
	assert_null(strstr(got, "hello"));
	memset(big, 'a', 3 * PD_HTTP_HEAD_MAX);
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	got = roundtrip(s, big, 3 * PD_HTTP_HEAD_MAX);
	assert_non_null(strstr(got, "HTTP/1.1 431 "));
	assert_int_equal(handled, 2); /* neither bad request reached it */
	assert_int_equal(counted[200], 2);
	assert_int_equal(counted[400], 1);
	assert_int_equal(counted[405], 1);
	assert_int_equal(counted[431], 1);
	free(big);
	/* still serving */
	got = roundtrip(s, ok, sizeof(ok) - 1);
	assert_non_null(strstr(got, "HTTP/1.1 200 OK\r\n"));
	pd_server_close(s);
}

static void test_server__bad_address(void **state)
{
	struct cni_err err = { 0 };
	struct pd_server *s = NULL;
	static const char *const bad[] = { "127.0.0.1", "localhost:80", ":80",
					   "[::1]80", "1.2.3.4:x" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pd_server_open(bad[i], 1, handler, NULL, NULL,
						&s, &err),
				 -EINVAL);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	}
	assert_null(s);
}

/* ---- metrics ---- */

/* the warm stores' requests: the API's by verb and code, etcd's by op
 * and code, each in the histogram; unknown ones ignored */
static void test_metrics__store_requests(void **state)
{
	struct pd_metrics m = { 0 };
	char buf[32768];

	(void)state;
	pd_metrics_store_request("kubernetes", "create", 201, 0.003);
	pd_metrics_store_request("kubernetes", "list", 0, 0.2);
	pd_metrics_store_request("etcd", "txn", 200, 0.0004);
	pd_metrics_store_request("etcd", "txn", 200, 20);
	pd_metrics_store_request("etcd", "range", 503, 0.01);
	pd_metrics_store_request("etcd", "watch", 200, 0.01);
	pd_metrics_store_request("file", "txn", 200, 0.01);
	assert_true(pd_metrics_render(&m, 1, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "\nplexusd_api_requests_total{verb="
				    "\"create\",code=\"201\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_api_requests_total{verb="
				    "\"list\",code=\"none\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_etcd_requests_total{op="
				    "\"txn\",code=\"200\"} 2\n"));
	assert_non_null(strstr(buf, "\nplexusd_etcd_requests_total{op="
				    "\"range\",code=\"503\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_store_duration_seconds_bucket{"
				    "store=\"etcd\",op=\"txn\",le=\"0.001\"}"
				    " 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_store_duration_seconds_bucket{"
				    "store=\"etcd\",op=\"txn\",le=\"10\"} "
				    "1\n"));
	assert_non_null(strstr(buf, "\nplexusd_store_duration_seconds_bucket{"
				    "store=\"etcd\",op=\"txn\",le=\"+Inf\"}"
				    " 2\n"));
	assert_non_null(strstr(buf, "\nplexusd_store_duration_seconds_count{"
				    "store=\"kubernetes\",op=\"list\"} 1\n"));
	assert_null(strstr(buf, "op=\"watch\""));
	assert_null(strstr(buf, "op=\"delete\""));
}

static void test_metrics__render(void **state)
{
	struct pd_metrics m = { .config_writes = 3, .installs = 6 };
	char buf[16384], tiny[64];

	(void)state;
	pd_metrics_http(&m, 200);
	pd_metrics_http(&m, 400);
	pd_metrics_http(&m, 400);
	pd_metrics_http(&m, 299); /* not one of ours: not counted */
	m.errors[PD_ERR_CONFIG] = 1;
	assert_true(pd_metrics_render(&m, 12345, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "# TYPE plexusd_config_writes_total "
				    "counter\nplexusd_config_writes_total "
				    "3\n"));
	assert_non_null(strstr(buf, "\nplexusd_installs_total 6\n"));
	assert_non_null(strstr(buf, "\nplexusd_http_requests_total{code="
				    "\"400\"} 2\n"));
	assert_non_null(strstr(buf, "\nplexusd_http_requests_total{code="
				    "\"200\"} 1\n"));
	assert_non_null(strstr(buf, "\nplexusd_errors_total{kind=\"config\"} "
				    "1\n"));
	assert_non_null(strstr(buf, "\nplexusd_ready 0\n"));
	assert_non_null(strstr(buf, "\nprocess_resident_memory_bytes 12345\n"));
	m.installed = m.kubeconfig = m.config = true;
	assert_true(pd_metrics_ready(&m));
	assert_int_equal(pd_metrics_render(&m, 1, tiny, sizeof(tiny)), -ENOSPC);
	assert_true(pd_metrics_rss() > 0);
}

/* ---- the primary config ---- */

#define BRIDGE                                                                \
	"{\"cniVersion\":\"0.4.0\",\"name\":\"cluster\",\"type\":\"bridge\"," \
	"\"capabilities\":{\"portMappings\":true,\"ips\":false}}"
#define PLEXUS_LIST                                                        \
	"{\"cniVersion\":\"1.0.0\",\"name\":\"p\",\"plugins\":[{\"type\":" \
	"\"plexus\"}]}"

static void test_netconf__candidate(void **state)
{
	(void)state;
	assert_true(pd_netconf_candidate("10-a.conf", "00-plexus.conflist"));
	assert_true(pd_netconf_candidate("10-a.conflist", "00-p.conflist"));
	assert_true(pd_netconf_candidate("10-a.json", "00-p.conflist"));
	assert_false(pd_netconf_candidate("00-p.conflist", "00-p.conflist"));
	assert_false(pd_netconf_candidate(".10-a.conf", "x"));
	assert_false(pd_netconf_candidate("10-a.conf.tmp.XYZ", "x"));
	assert_false(pd_netconf_candidate("README", "x"));
}

static void test_netconf__pick_first_other(void **state)
{
	char *d = tmpdir(), *path = NULL;
	json_object *doc = NULL;
	struct cni_err err = { 0 };
	unsigned refused = 9;

	(void)state;
	assert_int_equal(pd_netconf_pick(d, "00-p.conflist", &path, &doc,
					 &refused, &err),
			 -ENOENT);
	put_file(d, "00-p.conflist", PLEXUS_LIST);
	put_file(d, "20-b.conf", BRIDGE);
	put_file(d, "10-a.conflist",
		 "{\"cniVersion\":\"1.0.0\",\"name\":\"a\",\"plugins\":"
		 "[{\"type\":\"ptp\"}]}");
	put_file(d, "05-notes.txt", "x");
	assert_int_equal(pd_netconf_pick(d, "00-p.conflist", &path, &doc,
					 &refused, &err),
			 0);
	assert_true(strstr(path, "/10-a.conflist") != NULL);
	assert_int_equal(refused, 0);
	free(path);
	json_object_put(doc);
	/* a plexus config sorted first is passed over, never wrapped */
	put_file(d, "01-old-plexus.conf",
		 "{\"cniVersion\":\"0.4.0\",\"name\":\"x\",\"type\":"
		 "\"plexus\"}");
	assert_int_equal(pd_netconf_pick(d, "00-p.conflist", &path, &doc,
					 &refused, &err),
			 0);
	assert_true(strstr(path, "/10-a.conflist") != NULL);
	assert_int_equal(refused, 1);
	free(path);
	json_object_put(doc);
	/* the first candidate broken: an error, no fallback to the next */
	put_file(d, "02-broken.conf", "{\"cniVersion\":");
	path = NULL;
	assert_true(pd_netconf_pick(d, "00-p.conflist", &path, &doc, &refused,
				    &err) < 0);
	assert_null(path);
	assert_non_null(strstr(err.msg, "02-broken.conf"));
	put_file(d, "02-broken.conf", "{\"cniVersion\":\"1.0.0\"}");
	assert_true(pd_netconf_pick(d, "00-p.conflist", &path, &doc, &refused,
				    &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	rm_rf(d);
	free(d);
}

static void test_netconf__build(void **state)
{
	json_object *master = json_tokener_parse(BRIDGE), *extra, *out, *pl;
	json_object *v;
	struct pd_netconf_params p = {
		.network_name = "plexus-net",
		.host_prefix = "/host",
		.kubeconfig = "/host/etc/cni/net.d/plexus.d/k",
		.readiness_file = "/host/run/flannel/subnet.env",
	};
	struct cni_err err = { 0 };
	char *text = NULL;

	(void)state;
	extra = json_tokener_parse("{\"multusNamespace\":\"net\","
				   "\"namespaceIsolation\":true}");
	p.plugin_extra = extra;
	assert_int_equal(pd_netconf_build(master,
					  "/host/etc/cni/net.d/10-b.conf", &p,
					  &text, &err),
			 0);
	out = json_tokener_parse(text);
	assert_non_null(out);
	assert_true(pd_netconf_is_plexus(out));
	json_object_object_get_ex(out, "cniVersion", &v);
	assert_string_equal(json_object_get_string(v), "0.4.0");
	json_object_object_get_ex(out, "name", &v);
	assert_string_equal(json_object_get_string(v), "plexus-net");
	json_object_object_get_ex(out, "plugins", &v);
	assert_int_equal(json_object_array_length(v), 1);
	pl = json_object_array_get_idx(v, 0);
	json_object_object_get_ex(pl, "clusterNetwork", &v);
	assert_string_equal(json_object_get_string(v), "/etc/cni/net.d/"
						       "10-b.conf");
	json_object_object_get_ex(pl, "kubeconfig", &v);
	assert_string_equal(json_object_get_string(v), "/etc/cni/net.d/"
						       "plexus.d/k");
	json_object_object_get_ex(pl, "readinessindicatorfile", &v);
	assert_string_equal(json_object_get_string(v), "/run/flannel/"
						       "subnet.env");
	json_object_object_get_ex(pl, "multusNamespace", &v);
	assert_string_equal(json_object_get_string(v), "net");
	assert_true(json_object_object_get_ex(pl, "capabilities", &v));
	assert_true(json_object_object_get_ex(v, "portMappings", NULL));
	assert_false(json_object_object_get_ex(v, "ips", NULL));
	json_object_put(out);
	free(text);
	json_object_put(master);
	/* an unknown version: 1.0.0; no kubeconfig, no capabilities */
	master = json_tokener_parse("{\"cniVersion\":\"0.2.0\",\"type\":"
				    "\"x\"}");
	p.kubeconfig = NULL;
	p.plugin_extra = NULL;
	assert_int_equal(
		pd_netconf_build(master, "/n/10.conf", &p, &text, &err), 0);
	assert_non_null(strstr(text, "\"cniVersion\": \"1.0.0\""));
	assert_null(strstr(text, "kubeconfig"));
	assert_null(strstr(text, "capabilities"));
	free(text);
	json_object_put(master);
	json_object_put(extra);
}

static void test_netconf__extra_check(void **state)
{
	static const char *const owned[] = {
		"{\"type\":\"x\"}",
		"{\"name\":\"x\"}",
		"{\"cniVersion\":\"1.0.0\"}",
		"{\"clusterNetwork\":\"x\"}",
		"{\"delegates\":[]}",
		"{\"capabilities\":{}}",
		"[]",
	};
	json_object *o;
	struct cni_err err = { 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(owned) / sizeof(owned[0]); i++) {
		o = json_tokener_parse(owned[i]);
		assert_int_equal(pd_netconf_extra_check(o, false, &err),
				 -EINVAL);
		json_object_put(o);
	}
	o = json_tokener_parse("{\"kubeconfig\":\"/"
			       "k\",\"logLevel\":\"debug\"}");
	assert_int_equal(pd_netconf_extra_check(o, true, &err), -EINVAL);
	assert_int_equal(pd_netconf_extra_check(o, false, &err), 0);
	json_object_put(o);
}

static void test_netconf__write_and_remove(void **state)
{
	char *d = tmpdir(), path[512], *got;
	struct cni_err err = { 0 };
	bool w = false, removed = false;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/00-p.conflist", d);
	assert_int_equal(pd_netconf_write(path, PLEXUS_LIST, 0644, &w, &err),
			 0);
	assert_true(w);
	assert_int_equal(pd_netconf_write(path, PLEXUS_LIST, 0644, &w, &err),
			 0);
	assert_false(w); /* identical: not rewritten */
	assert_int_equal(pd_netconf_write(path, PLEXUS_LIST, 0600, &w, &err),
			 0);
	assert_true(w); /* another mode: rewritten */
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	got = get_file(d, "00-p.conflist");
	assert_string_equal(got, PLEXUS_LIST);
	free(got);
	assert_int_equal(pd_netconf_remove(path, &removed, &err), 0);
	assert_true(removed);
	assert_int_equal(pd_netconf_remove(path, &removed, &err), 0);
	assert_false(removed);
	/* never another config */
	put_file(d, "00-p.conflist", BRIDGE);
	assert_int_equal(pd_netconf_remove(path, &removed, &err), -EINVAL);
	assert_false(removed);
	assert_int_equal(access(path, F_OK), 0);
	assert_string_equal(pd_netconf_host_path("/host", "/host/etc/x"), "/etc"
									  "/x");
	assert_string_equal(pd_netconf_host_path("/host", "/hostile/x"), "/host"
									 "ile/"
									 "x");
	assert_string_equal(pd_netconf_host_path("", "/etc/x"), "/etc/x");
	rm_rf(d);
	free(d);
}

/* ---- install ---- */

static void test_install__copy_skip_replace(void **state)
{
	char *src = tmpdir(), *dst = tmpdir(), p[512], *got;
	struct cni_err err = { 0 };
	bool copied = false;
	struct stat st, st2;

	(void)state;
	put_file(src, "plexus", "v1 binary");
	snprintf(p, sizeof(p), "%s/plexus", src);
	assert_int_equal(pd_install_file(p, dst, "plexus", 0755, &copied, &err),
			 0);
	assert_true(copied);
	snprintf(p, sizeof(p), "%s/plexus", dst);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	snprintf(p, sizeof(p), "%s/plexus", src);
	assert_int_equal(pd_install_file(p, dst, "plexus", 0755, &copied, &err),
			 0);
	assert_false(copied);
	/* a new version: a new inode (rename), the old one untouched */
	put_file(src, "plexus", "v2 binary, longer");
	assert_int_equal(pd_install_file(p, dst, "plexus", 0755, &copied, &err),
			 0);
	assert_true(copied);
	snprintf(p, sizeof(p), "%s/plexus", dst);
	assert_int_equal(stat(p, &st2), 0);
	assert_true(st.st_ino != st2.st_ino);
	got = get_file(dst, "plexus");
	assert_string_equal(got, "v2 binary, longer");
	free(got);
	/* same size, other bytes: copied */
	put_file(src, "plexus", "v3 binary, longer");
	snprintf(p, sizeof(p), "%s/plexus", src);
	assert_int_equal(pd_install_file(p, dst, "plexus", 0755, &copied, &err),
			 0);
	assert_true(copied);
	/* a missing source: code 5, nothing left behind */
	snprintf(p, sizeof(p), "%s/nope", src);
	assert_true(pd_install_file(p, dst, "nope", 0755, &copied, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	snprintf(p, sizeof(p), "ls -A '%s' | grep -v '^plexus$' | grep -q .",
		 dst);
	assert_int_not_equal(system(p), 0);
	rm_rf(src);
	rm_rf(dst);
	free(src);
	free(dst);
}

/* ---- kubeconfig ---- */

static void test_kubeconfig__build(void **state)
{
	char *d = tmpdir(), *text = NULL;
	struct cni_err err = { 0 };
	json_object *doc;

	(void)state;
	assert_true(pd_kubeconfig_build(d, "https://a:1", &text, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_IO);
	put_file(d, "ca.crt", "CA!");
	put_file(d, "token", "\n");
	assert_int_equal(pd_kubeconfig_build(d, "https://a:1", &text, &err),
			 -EINVAL);
	assert_null(strstr(err.msg, "CA!"));
	put_file(d, "token", "abc def");
	assert_int_equal(pd_kubeconfig_build(d, "https://a:1", &text, &err),
			 -EINVAL);
	assert_null(strstr(err.msg, "abc"));
	put_file(d, "token", "eyJ.tok-en_1\n");
	assert_int_equal(pd_kubeconfig_build(d, "https://a:1", &text, &err), 0);
	doc = json_tokener_parse(text);
	assert_non_null(doc);
	assert_non_null(strstr(text, "\"token\": \"eyJ.tok-en_1\""));
	assert_non_null(strstr(text, "\"certificate-authority-data\": "
				     "\"Q0Eh\""));
	assert_non_null(strstr(text, "\"server\": \"https://a:1\""));
	json_object_put(doc);
	free(text);
	/* the Kubernetes client reads what plexusd writes; every CA length
	 * (base64 padding) decodes back */
	for (int n = 1; n <= 4; n++) {
		static const char ca[] = "-----BEGIN X";
		struct k8s_config *cfg = NULL;
		char buf[16];

		snprintf(buf, sizeof(buf), "%.*s", n + 8, ca);
		put_file(d, "ca.crt", buf);
		assert_int_equal(
			pd_kubeconfig_build(d, "https://a:1", &text, &err), 0);
		assert_int_equal(
			k8s_kubeconfig_parse(text, strlen(text), d, &cfg, &err),
			0);
		assert_string_equal(cfg->server, "https://a:1");
		assert_string_equal(cfg->token, "eyJ.tok-en_1");
		assert_int_equal(cfg->ca_len, strlen(buf));
		assert_memory_equal(cfg->ca_data, buf, cfg->ca_len);
		k8s_config_free(cfg);
		free(text);
	}
	rm_rf(d);
	free(d);
}

static void test_kubeconfig__server_from_env(void **state)
{
	char *s;

	(void)state;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_null(pd_kubeconfig_server_from_env());
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	s = pd_kubeconfig_server_from_env();
	assert_string_equal(s, "https://10.0.0.1:443");
	free(s);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	s = pd_kubeconfig_server_from_env();
	assert_string_equal(s, "https://[fd00::1]:443");
	free(s);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
}

/* ---- flags and the node file ---- */

static int opts(struct pd_opts *o, struct cni_err *err, ...)
{
	char *argv[16] = { "plexusd" };
	int argc = 1, r;
	va_list ap;

	va_start(ap, err);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	r = pd_opts_parse(argc, argv, o, err);
	return r;
}

static void test_opts__defaults_flags_file(void **state)
{
	char *d = tmpdir(), file[512];
	struct cni_err err = { 0 };
	struct pd_opts o;

	(void)state;
	assert_int_equal(opts(&o, &err, NULL), 0);
	assert_string_equal(o.cni_conf_dir, "/etc/cni/net.d");
	assert_string_equal(o.conf_name, "00-plexus.conflist");
	assert_string_equal(o.listen, PD_LISTEN_DEFAULT);
	assert_int_equal(o.max_connections, 16);
	assert_int_equal(o.max_cached_pods, 10000);
	assert_int_equal(o.max_cached_nads, 50000);
	assert_false(o.once);
	pd_opts_free(&o);
	put_file(d, "node.json",
		 "{\"cni-conf-dir\":\"/file\",\"once\":true,"
		 "\"max-connections\":4,\"conf-name\":\"01-x.conflist\"}");
	snprintf(file, sizeof(file), "%s/node.json", d);
	/* the command line wins over the file */
	assert_int_equal(opts(&o, &err, "--config", file, "--cni-conf-dir",
			      "/flag", NULL),
			 0);
	assert_string_equal(o.cni_conf_dir, "/flag");
	assert_string_equal(o.conf_name, "01-x.conflist");
	assert_true(o.once);
	assert_int_equal(o.max_connections, 4);
	pd_opts_free(&o);
	put_file(d, "node.json", "{\"no-such-key\":\"x\"}");
	assert_int_equal(opts(&o, &err, "--config", file, NULL), -EINVAL);
	assert_non_null(strstr(err.msg, "no-such-key"));
	pd_opts_free(&o);
	put_file(d, "node.json", "{\"once\":\"yes\"}");
	assert_int_equal(opts(&o, &err, "--config", file, NULL), -EINVAL);
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "--bogus", NULL), -EINVAL);
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "--max-connections", "0", NULL),
			 -EINVAL);
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "--max-cached-nads", "1000001", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "1..1000000"));
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "--max-cached-pods", "300", NULL), 0);
	assert_int_equal(o.max_cached_pods, 300);
	assert_int_equal(o.max_cached_claims, 50000);
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "--max-cached-claims", "0", NULL),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "max-cached-claims"));
	pd_opts_free(&o);
	assert_int_equal(opts(&o, &err, "stray", NULL), -EINVAL);
	pd_opts_free(&o);
	rm_rf(d);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_parse__get_and_head),
		cmocka_unit_test(test_http_parse__incomplete),
		cmocka_unit_test(test_http_parse__rejects),
		cmocka_unit_test(test_http_parse__nul_byte),
		cmocka_unit_test(test_http_parse__size_limits),
		cmocka_unit_test(test_server__answers_and_refuses),
		cmocka_unit_test(test_server__bad_address),
		cmocka_unit_test(test_metrics__render),
		cmocka_unit_test(test_metrics__store_requests),
		cmocka_unit_test(test_netconf__candidate),
		cmocka_unit_test(test_netconf__pick_first_other),
		cmocka_unit_test(test_netconf__build),
		cmocka_unit_test(test_netconf__extra_check),
		cmocka_unit_test(test_netconf__write_and_remove),
		cmocka_unit_test(test_install__copy_skip_replace),
		cmocka_unit_test(test_kubeconfig__build),
		cmocka_unit_test(test_kubeconfig__server_from_env),
		cmocka_unit_test(test_opts__defaults_flags_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
