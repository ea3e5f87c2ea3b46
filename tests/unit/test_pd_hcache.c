// SPDX-License-Identifier: Apache-2.0
/* pd_hcache: plexusd's block headers in memory: bounds, age, what a set
 * without add does, stores kept apart, the counters, and many threads at
 * once (run under SANITIZE=1). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "pd_hcache.h"
#include "pd_text.h"

static bool has(struct pd_hcache *h, const char *store, const char *key,
		const char *want)
{
	char *v = NULL;
	size_t len = 0;
	uint64_t ver = 0;
	bool ok;

	if (pd_hcache_get(h, store, key, &v, &len, &ver) < 0)
		return false;
	ok = !want || (len == strlen(want) && !strcmp(v, want));
	free(v);
	return ok;
}

static void test_pd_hcache__set_get_drop(void **state)
{
	struct pd_hcache *h = pd_hcache_new(PD_HCACHE_AGE_MS);
	char buf[2048];
	struct pd_text o = { .buf = buf, .size = sizeof(buf) };
	char *v;
	size_t len;
	uint64_t ver;

	(void)state;
	/* a set without add does not make an entry */
	pd_hcache_set(h, "s1", "p/b/0", "x", 1, 3, false);
	assert_false(has(h, "s1", "p/b/0", NULL));
	pd_hcache_set(h, "s1", "p/b/0", "x", 1, 3, true);
	assert_int_equal(pd_hcache_get(h, "s1", "p/b/0", &v, &len, &ver), 0);
	assert_string_equal(v, "x");
	assert_int_equal(ver, 3);
	free(v);
	/* another store's key of the same name is another entry */
	assert_false(has(h, "s2", "p/b/0", NULL));
	/* a set of a held key replaces it, even without add */
	pd_hcache_set(h, "s1", "p/b/0", "yy", 2, 5, false);
	assert_true(has(h, "s1", "p/b/0", "yy"));
	pd_hcache_drop(h, "s1", "p/b/0", true);
	assert_false(has(h, "s1", "p/b/0", NULL));
	pd_hcache_drop(h, "s1", "p/b/0", true); /* gone: not counted */
	pd_hcache_set(h, "s1", "p/b/1", "z", 1, 1, true);
	pd_hcache_drop(h, "s1", "p/b/1", false); /* a delete */
	assert_int_equal(pd_hcache_entries(h, NULL), 0);
	pd_hcache_metrics(h, &o);
	assert_int_equal(o.err, 0);
	/* hits: x, yy; misses: the set without add, s2, after each drop */
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result=\"hit\"} "
				    "2\n"));
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result=\"miss\"}"
				    " 3\n"));
	assert_non_null(strstr(buf, "plexusd_store_cache_total{result="
				    "\"invalidated\"} 1\n"));
	assert_non_null(strstr(buf, "plexusd_store_cache_entries 0\n"));
	pd_hcache_free(h);
}

/* at most PD_HCACHE_ENTRIES entries and PD_HCACHE_BYTES bytes, the least
 * recently used going first; a value over a quarter of the bytes never
 * enters */
static void test_pd_hcache__bounds(void **state)
{
	struct pd_hcache *h = pd_hcache_new(PD_HCACHE_AGE_MS);
	size_t big = PD_HCACHE_BYTES / 5, bytes;
	char key[32], *v = malloc(PD_HCACHE_BYTES / 2);

	(void)state;
	memset(v, 'a', PD_HCACHE_BYTES / 2);
	for (int i = 0; i < PD_HCACHE_ENTRIES + 88; i++) {
		snprintf(key, sizeof(key), "p/b/%d", i);
		pd_hcache_set(h, "s", key, "{}", 2, 1, true);
		/* p/b/0 kept in use: p/b/1 and on are the oldest */
		assert_true(has(h, "s", "p/b/0", NULL));
	}
	assert_int_equal(pd_hcache_entries(h, NULL), PD_HCACHE_ENTRIES);
	assert_true(has(h, "s", "p/b/0", NULL));
	assert_false(has(h, "s", "p/b/1", NULL));
	snprintf(key, sizeof(key), "p/b/%d", PD_HCACHE_ENTRIES + 87);
	assert_true(has(h, "s", key, NULL));
	pd_hcache_free(h);

	h = pd_hcache_new(PD_HCACHE_AGE_MS);
	for (int i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "p/b/%d", i);
		pd_hcache_set(h, "s", key, v, big, 1, true);
		pd_hcache_entries(h, &bytes);
		assert_true(bytes <= PD_HCACHE_BYTES);
	}
	assert_true(pd_hcache_entries(h, NULL) <= 4);
	assert_true(has(h, "s", "p/b/9", NULL));
	pd_hcache_set(h, "s", "huge", v, PD_HCACHE_BYTES / 2, 1, true);
	assert_false(has(h, "s", "huge", NULL));
	pd_hcache_free(h);
	free(v);
}

/* an entry older than the age bound is not served (and is refreshed by
 * the next set) */
static void test_pd_hcache__age(void **state)
{
	struct pd_hcache *h = pd_hcache_new(0);

	(void)state;
	pd_hcache_set(h, "s", "k", "v", 1, 1, true);
	assert_false(has(h, "s", "k", NULL));
	pd_hcache_free(h);
	h = pd_hcache_new(100);
	pd_hcache_set(h, "s", "k", "v", 1, 1, true);
	assert_true(has(h, "s", "k", "v"));
	usleep(150 * 1000);
	assert_false(has(h, "s", "k", NULL));
	pd_hcache_set(h, "s", "k", "w", 1, 2, false); /* held: refreshed */
	assert_true(has(h, "s", "k", "w"));
	pd_hcache_free(h);
}

static void *hammer(void *arg)
{
	struct pd_hcache *h = arg;
	unsigned seed = (unsigned)(uintptr_t)pthread_self();
	char key[16], val[64], *v;
	size_t len;
	uint64_t ver;

	for (int i = 0; i < 20000; i++) {
		int k = rand_r(&seed) % 8, op = rand_r(&seed) % 4;

		snprintf(key, sizeof(key), "p/b/%d", k);
		snprintf(val, sizeof(val), "value of %d at %d", k, i);
		if (op == 0)
			pd_hcache_set(h, "s", key, val, strlen(val),
				      (uint64_t)i, true);
		else if (op == 1)
			pd_hcache_drop(h, "s", key, true);
		else if (pd_hcache_get(h, "s", key, &v, &len, &ver) == 0) {
			if (strlen(v) != len || strncmp(v, "value of ", 9))
				abort();
			free(v);
		}
	}
	return NULL;
}

/* the warm stores' threads share it */
static void test_pd_hcache__threads(void **state)
{
	struct pd_hcache *h = pd_hcache_new(PD_HCACHE_AGE_MS);
	pthread_t th[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, h), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_true(pd_hcache_entries(h, NULL) <= 8);
	pd_hcache_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pd_hcache__set_get_drop),
		cmocka_unit_test(test_pd_hcache__bounds),
		cmocka_unit_test(test_pd_hcache__age),
		cmocka_unit_test(test_pd_hcache__threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
