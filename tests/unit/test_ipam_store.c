/* SPDX-License-Identifier: Apache-2.0 */
/* Stores: the file store's compare-and-swap semantics, the etcd gateway
 * reply parsers and base64. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <cmocka.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "etcd_reply.h"
#include "store.h"

static int file_setup(void **state)
{
	char tmpl[] = "/tmp/plexus-ipam-unit.XXXXXX", conf[256];
	struct ipam_store *st;
	json_object *c;

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(conf, sizeof(conf), "{\"type\":\"file\",\"path\":\"%s\"}",
		 tmpl);
	c = json_tokener_parse(conf);
	if (ipam_store_open(c, &st, NULL) < 0)
		return -1;
	json_object_put(c);
	*state = st;
	return 0;
}

static int file_teardown(void **state)
{
	struct ipam_store *st = *state;
	char cmd[600];

	/* the store's directory is lock_dir minus "/.locks" */
	snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'",
		 (int)(strlen(st->lock_dir) - strlen("/.locks")), st->lock_dir);
	ipam_store_close(st);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_file_store__put_if_versions(void **state)
{
	struct ipam_store *st = *state;
	struct cni_err err = { 0 };
	uint64_t v1, v2, v;
	size_t len;
	char *val;

	assert_int_equal(ipam_store_get(st, "p/b/01", &val, &len, &v, &err),
			 -ENOENT);
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "one", 3, 0, &v1, &err), 0);
	assert_true(v1 != 0);
	/* create again: the key exists */
	assert_int_equal(ipam_store_put_if(st, "p/b/01", "x", 1, 0, NULL, &err),
			 -ECANCELED);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "two", 3, v1, &v2, &err), 0);
	assert_true(v2 > v1);
	/* a stale version loses */
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "x", 1, v1, NULL, &err),
		-ECANCELED);
	assert_int_equal(ipam_store_get(st, "p/b/01", &val, &len, &v, &err), 0);
	assert_string_equal(val, "two");
	assert_int_equal(len, 3);
	assert_true(v == v2);
	free(val);
	assert_int_equal(ipam_store_del_if(st, "p/b/01", v1, &err), -ECANCELED);
	assert_int_equal(ipam_store_del_if(st, "p/b/01", v2, &err), 0);
	assert_int_equal(ipam_store_del_if(st, "p/b/01", 0, &err), -ENOENT);
}

/* A record over the 1 MiB read limit: code 123 naming the file, not 7;
 * a value just under it reads. */
static void test_file_store__record_over_limit(void **state)
{
	struct ipam_store *st = *state;
	size_t n = CNI_JSON_MAX - 64; /* with the version line */
	struct cni_err err = { 0 };
	char *big = malloc(CNI_JSON_MAX + 2), *val = NULL;
	uint64_t v;

	assert_non_null(big);
	memset(big, 'x', CNI_JSON_MAX + 1);
	assert_int_equal(ipam_store_put_if(st, "p/b/02", big, n, 0, &v, &err),
			 0);
	assert_int_equal(ipam_store_get(st, "p/b/02", &val, &n, &v, &err), 0);
	free(val);
	assert_int_equal(ipam_store_put_if(st, "p/b/02", big, CNI_JSON_MAX + 1,
					   v, &v, &err),
			 0);
	assert_int_equal(ipam_store_get(st, "p/b/02", &val, &n, &v, &err),
			 -EFBIG);
	assert_int_equal(err.code, CNI_ERR_TOO_LARGE);
	assert_non_null(strstr(err.msg, "/p/b/02: more than 1048576 bytes, "
					"over the file store's record limit "
					"of 1048576 bytes"));
	free(big);
}

static void test_file_store__list_sorted_skips_dotfiles(void **state)
{
	struct ipam_store *st = *state;
	struct cni_err err = { 0 };
	const char *keys[] = { "p/n/a/0c", "p/n/a/02", "p/n/a/0a", "p/n/b/01" };
	struct ipam_kv *kv;
	char junk[600];
	size_t i, n;
	FILE *f;

	for (i = 0; i < 4; i++)
		assert_int_equal(
			ipam_store_put_if(st, keys[i], "{}", 2, 0, NULL, &err),
			0);
	/* a temp file left by a kill -9 is not a key */
	snprintf(junk, sizeof(junk), "%.*s/p/n/a/.0d.tmp.123",
		 (int)(strlen(st->lock_dir) - strlen("/.locks")), st->lock_dir);
	f = fopen(junk, "w");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	assert_int_equal(ipam_store_list(st, "p/n/a/", false, &kv, &n, &err),
			 0);
	assert_int_equal(n, 3);
	assert_string_equal(kv[0].key, "p/n/a/02");
	assert_string_equal(kv[1].key, "p/n/a/0a");
	assert_string_equal(kv[2].key, "p/n/a/0c");
	assert_string_equal(kv[0].val, "{}");
	assert_true(kv[0].ver != 0);
	ipam_kv_free(kv, n);
	assert_int_equal(ipam_store_list(st, "p/none/", true, &kv, &n, &err),
			 0);
	assert_int_equal(n, 0);
	ipam_kv_free(kv, n);
}

/* What a paged list's callback saw: the keys in order, page sizes. */
struct pages_seen {
	char keys[16][16];
	size_t n, sizes[16], pages, stop_after;
	bool vals;
};

static int page_note(struct ipam_kv *kv, size_t n, void *arg,
		     struct cni_err *err)
{
	struct pages_seen *p = arg;
	size_t i;

	for (i = 0; i < n && p->n < 16; i++) {
		snprintf(p->keys[p->n++], sizeof(p->keys[0]), "%s", kv[i].key);
		p->vals = p->vals || kv[i].val;
	}
	p->sizes[p->pages++] = n;
	if (p->stop_after && p->pages == p->stop_after)
		return cni_errf(err, CNI_ERR_IO, "stop at %s", kv[0].key);
	return 0;
}

static void put_keys(struct ipam_store *st, const char *const *keys, size_t n)
{
	struct cni_err err = { 0 };

	for (size_t i = 0; i < n; i++)
		assert_int_equal(
			ipam_store_put_if(st, keys[i], "{}", 2, 0, NULL, &err),
			0);
}

static void test_file_store__list_pages_in_key_order(void **state)
{
	static const char *const keys[] = { "p/b/06", "p/b/01", "p/b/04",
					    "p/b/02", "p/b/07", "p/b/03",
					    "p/b/05", "p/c/01" };
	struct ipam_store *st = *state;
	struct pages_seen p = { 0 };
	struct cni_err err = { 0 };
	char want[8];
	size_t i;

	put_keys(st, keys, 8);
	assert_int_equal(ipam_store_list_pages(st, "p/b/", false, 3, page_note,
					       &p, &err),
			 0);
	assert_int_equal(p.pages, 3);
	assert_int_equal(p.sizes[0], 3);
	assert_int_equal(p.sizes[1], 3);
	assert_int_equal(p.sizes[2], 1);
	assert_int_equal(p.n, 7);
	for (i = 0; i < 7; i++) {
		snprintf(want, sizeof(want), "p/b/%02zu", i + 1);
		assert_string_equal(p.keys[i], want);
	}
	assert_true(p.vals);
	p = (struct pages_seen){ 0 };
	assert_int_equal(
		ipam_store_list_pages(st, "p/b/", true, 0, page_note, &p, &err),
		0);
	assert_int_equal(p.pages, 1);
	assert_int_equal(p.n, 7);
	assert_false(p.vals);
}

static void test_file_store__list_pages_stops_on_error(void **state)
{
	static const char *const keys[] = { "p/b/01", "p/b/02", "p/b/03",
					    "p/b/04", "p/b/05" };
	struct ipam_store *st = *state;
	struct pages_seen p = { .stop_after = 2 };
	struct cni_err err = { 0 };

	put_keys(st, keys, 5);
	assert_int_equal(ipam_store_list_pages(st, "p/b/", false, 2, page_note,
					       &p, &err),
			 -EIO);
	assert_int_equal(p.pages, 2);
	assert_int_equal(p.n, 4);
	assert_string_equal(err.msg, "stop at p/b/03");
	p = (struct pages_seen){ 0 };
	assert_int_equal(ipam_store_list_pages(st, "p/none/", false, 2,
					       page_note, &p, &err),
			 0);
	assert_int_equal(p.pages, 0);
}

/* A store with list only: list_pages cuts its answer. */
static int listonly_list(struct ipam_store *st, const char *prefix,
			 bool keys_only, struct ipam_kv **ret, size_t *ret_n,
			 struct cni_err *err)
{
	struct ipam_kv *kv = calloc(5, sizeof(*kv));

	(void)st, (void)keys_only, (void)err;
	for (int i = 0; i < 5; i++)
		assert_true(asprintf(&kv[i].key, "%s%d", prefix, i) > 0);
	*ret = kv;
	*ret_n = 5;
	return 0;
}

static void test_ipam_store_list_pages__cut_from_list(void **state)
{
	static const struct ipam_store_ops ops = { .name = "listonly",
						   .list = listonly_list };
	struct ipam_store st = { .ops = &ops };
	struct pages_seen p = { 0 };
	struct cni_err err = { 0 };

	(void)state;
	assert_int_equal(
		ipam_store_list_pages(&st, "x/", true, 2, page_note, &p, &err),
		0);
	assert_int_equal(p.pages, 3);
	assert_int_equal(p.sizes[2], 1);
	assert_string_equal(p.keys[4], "x/4");
}

static void test_file_store__bad_keys_refused(void **state)
{
	struct ipam_store *st = *state;
	struct cni_err err = { 0 };
	const char *bad[] = { "../x", "p/../x", "p/.hidden", "p//x", "p/a b" };
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		assert_true(ipam_store_put_if(st, bad[i], "x", 1, 0, NULL,
					      &err) < 0);
		assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	}
}

static void test_ipam_store_open__unknown_type(void **state)
{
	json_object *c = json_tokener_parse("{\"type\":\"consul\"}");
	struct cni_err err = { 0 };
	struct ipam_store *st;

	(void)state;
	assert_true(ipam_store_open(c, &st, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_INVALID_CONFIG);
	assert_non_null(strstr(err.msg, "consul"));
	json_object_put(c);
	c = json_tokener_parse("{\"type\":\"etcd\",\"endpoints\":[]}");
	assert_true(ipam_store_open(c, &st, &err) < 0);
	assert_non_null(strstr(err.msg, "endpoints"));
	json_object_put(c);
}

/* A record lock held by another process: a write waits until the
 * store's deadline, then fails with code 11 naming the lock. */
static void test_file_store__record_lock_deadline(void **state)
{
	struct ipam_store *st = *state;
	struct cni_err err = { 0 };
	char dir[300], lock[400];
	uint64_t v1;
	int64_t t0;
	int fd;

	snprintf(dir, sizeof(dir), "%.*s",
		 (int)(strlen(st->lock_dir) - strlen("/.locks")), st->lock_dir);
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "one", 3, 0, &v1, &err), 0);
	snprintf(lock, sizeof(lock), "%s/p/b/.01.lock", dir);
	fd = open(lock, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	/* t0 first: the deadline counts from its own start, and under
	 * valgrind the two calls can lie a millisecond or more apart */
	t0 = cni_now_ms();
	st->deadline = cni_deadline_after(100);
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "two", 3, v1, NULL, &err),
		-ETIMEDOUT);
	assert_true(cni_now_ms() - t0 >= 100);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(err.msg, lock));
	close(fd);
	/* the lock is free now: only a loaded machine's fsync takes long */
	st->deadline = cni_deadline_after(10000);
	assert_int_equal(
		ipam_store_put_if(st, "p/b/01", "two", 3, v1, NULL, &err), 0);
	st->deadline = 0;
}

/* An etcd store whose call's deadline has passed sends nothing and
 * fails at once with code 11 (libcurl is loaded, no server is needed). */
static void test_etcd_store__deadline_passed(void **state)
{
	json_object *c = json_tokener_parse("{\"type\":\"etcd\",\"endpoints\":["
					    "\"http://127.0.0.1:1\"]}");
	struct cni_err err = { 0 };
	struct ipam_store *st;
	struct ipam_kv *kv;
	int64_t t0;
	size_t n;

	(void)state;
	assert_int_equal(ipam_store_open(c, &st, &err), 0);
	json_object_put(c);
	st->deadline = cni_now_ms() - 1;
	t0 = cni_now_ms();
	assert_int_equal(ipam_store_list(st, "p/", true, &kv, &n, &err),
			 -ETIMEDOUT);
	assert_int_equal(err.code, CNI_ERR_TRY_AGAIN);
	assert_non_null(strstr(err.msg, "deadline"));
	assert_true(cni_now_ms() - t0 < 100);
	ipam_store_close(st);
}

static void test_etcd_b64__roundtrip(void **state)
{
	const char *in[] = { "",       "f",
			     "fo",     "foo",
			     "foob",   "fooba",
			     "foobar", "/plexus-ipam/10.0.0.0_8/b/0000000a" };
	const char *want[] = { "",	   "Zg==",     "Zm8=",	   "Zm9v",
			       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy", NULL };
	char *enc, *dec;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(etcd_b64_encode(in[i], strlen(in[i]), &enc),
				 0);
		if (want[i])
			assert_string_equal(enc, want[i]);
		assert_int_equal(etcd_b64_decode(enc, strlen(enc), &dec, &len),
				 0);
		assert_int_equal(len, strlen(in[i]));
		assert_memory_equal(dec, in[i], len);
		free(enc);
		free(dec);
	}
	assert_int_equal(etcd_b64_decode("Zm9v!", 5, &dec, &len), -EINVAL);
}

static void test_etcd_range_reply_parse__kvs(void **state)
{
	/* key "/px/a/b" = L3B4L2EvYg==, value "{}" = e30= */
	const char *r = "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":"
			"\"L3B4L2EvYg==\",\"create_revision\":\"3\","
			"\"mod_revision\":\"7\",\"version\":\"2\",\"value\":"
			"\"e30=\"}],\"count\":\"1\"}";
	struct cni_err err = { 0 };
	struct ipam_kv *kv;
	size_t n;

	(void)state;
	assert_int_equal(
		etcd_range_reply_parse(r, strlen(r), 4, &kv, &n, NULL, &err),
		0);
	assert_int_equal(n, 1);
	assert_string_equal(kv[0].key, "a/b");
	assert_string_equal(kv[0].val, "{}");
	assert_int_equal(kv[0].len, 2);
	assert_int_equal(kv[0].ver, 7);
	ipam_kv_free(kv, n);
	/* no kvs: an empty range */
	r = "{\"header\":{\"revision\":\"9\"}}";
	assert_int_equal(
		etcd_range_reply_parse(r, strlen(r), 4, &kv, &n, NULL, &err),
		0);
	assert_int_equal(n, 0);
	ipam_kv_free(kv, n);
}

/* A page of a limited range: "more" and the revision it was read at (the
 * next pages are read at that revision); "more" is absent when false. */
static void test_etcd_range_reply_parse__page_meta(void **state)
{
	const char *page = "{\"header\":{\"revision\":\"12\"},\"kvs\":[{"
			   "\"key\":\"L3B4L2EvYg==\",\"mod_revision\":\"7\"}],"
			   "\"more\":true,\"count\":\"3\"}";
	const char *last = "{\"header\":{\"revision\":\"12\"},\"kvs\":[{"
			   "\"key\":\"L3B4L2EvYg==\",\"mod_revision\":\"7\"}],"
			   "\"count\":\"1\"}";
	struct etcd_range_meta m = { .more = false, .rev = 0 };
	struct cni_err err = { 0 };
	struct ipam_kv *kv;
	size_t n;

	(void)state;
	assert_int_equal(etcd_range_reply_parse(page, strlen(page), 4, &kv, &n,
						&m, &err),
			 0);
	assert_true(m.more);
	assert_int_equal(m.rev, 12);
	assert_int_equal(n, 1);
	ipam_kv_free(kv, n);
	assert_int_equal(etcd_range_reply_parse(last, strlen(last), 4, &kv, &n,
						&m, &err),
			 0);
	assert_false(m.more);
	ipam_kv_free(kv, n);
}

static void test_etcd_range_reply_parse__bad(void **state)
{
	const char *bad[] = {
		"",
		"[]",
		"{\"kvs\":{}}",
		"{\"kvs\":[1]}",
		"{\"kvs\":[{\"key\":\"!!\"}]}",
		"{\"kvs\":[{\"key\":7}]}",
		"{\"kvs\":[{\"key\":\"L3B4\",\"value\":\"*\"}]}",
		/* key shorter than the prefix */
		"{\"kvs\":[{\"key\":\"Lw==\"}]}",
	};
	struct cni_err err = { 0 };
	struct ipam_kv *kv;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.code = 0;
		assert_true(etcd_range_reply_parse(bad[i], strlen(bad[i]), 4,
						   &kv, &n, NULL, &err) < 0);
		assert_int_equal(err.code, CNI_ERR_DECODE);
	}
}

static void test_etcd_txn_reply_parse__succeeded_or_not(void **state)
{
	const char *ok = "{\"header\":{\"revision\":\"42\"},\"succeeded\":true,"
			 "\"responses\":[{\"response_put\":{}}]}";
	const char *no = "{\"header\":{\"revision\":\"43\"}}";
	struct cni_err err = { 0 };
	uint64_t rev;
	bool res;

	(void)state;
	assert_int_equal(etcd_txn_reply_parse(ok, strlen(ok), &res, &rev, &err),
			 0);
	assert_true(res);
	assert_int_equal(rev, 42);
	assert_int_equal(etcd_txn_reply_parse(no, strlen(no), &res, &rev, &err),
			 0);
	assert_false(res);
	assert_true(etcd_txn_reply_parse("{}", 2, &res, &rev, &err) < 0);
	assert_int_equal(err.code, CNI_ERR_DECODE);
}

/* etcd's refusals for size (HTTP 400 over --max-request-bytes, 429 over
 * the gRPC message limit, which names it) are told from other errors. */
static void test_etcd_reply_too_large__refusals(void **state)
{
	static const struct {
		const char *body;
		bool big;
		size_t limit;
	} cases[] = {
		{ "{\"error\":\"etcdserver: request is too large\","
		  "\"message\":\"etcdserver: request is too large\","
		  "\"code\":3}",
		  true, 0 },
		{ "{\"error\":\"x\",\"message\":\"grpc: received message "
		  "larger than max (700015 vs. 528384)\",\"code\":8}",
		  true, 528384 },
		{ "{\"message\":\"grpc: received message larger than max "
		  "(1 vs. x)\"}",
		  true, 0 },
		{ "{\"message\":\"etcdserver: too many requests\","
		  "\"code\":8}",
		  false, 0 },
		{ "{\"message\":3}", false, 0 },
		{ "[\"request is too large\"]", false, 0 },
		{ "request is too large", false, 0 },
		{ "", false, 0 },
	};
	size_t limit;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *b = cases[i].body;

		print_message("%s\n", b);
		assert_int_equal(etcd_reply_too_large(b, strlen(b), &limit),
				 cases[i].big);
		assert_int_equal(limit, cases[i].limit);
	}
	assert_false(etcd_reply_too_large(NULL, 0, &limit));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_file_store__put_if_versions, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__list_sorted_skips_dotfiles, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__record_over_limit, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__bad_keys_refused, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__record_lock_deadline, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__list_pages_in_key_order, file_setup,
			file_teardown),
		cmocka_unit_test_setup_teardown(
			test_file_store__list_pages_stops_on_error, file_setup,
			file_teardown),
		cmocka_unit_test(test_ipam_store_list_pages__cut_from_list),
		cmocka_unit_test(test_ipam_store_open__unknown_type),
		cmocka_unit_test(test_etcd_b64__roundtrip),
		cmocka_unit_test(test_etcd_range_reply_parse__kvs),
		cmocka_unit_test(test_etcd_range_reply_parse__page_meta),
		cmocka_unit_test(test_etcd_store__deadline_passed),
		cmocka_unit_test(test_etcd_range_reply_parse__bad),
		cmocka_unit_test(test_etcd_txn_reply_parse__succeeded_or_not),
		cmocka_unit_test(test_etcd_reply_too_large__refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
