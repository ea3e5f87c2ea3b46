// SPDX-License-Identifier: Apache-2.0
/* plexusd's block headers in memory (pd_hcache.h): an array of at most
 * PD_HCACHE_ENTRIES entries under one mutex, found by a hash of store
 * and key then compared; a few hundred entries, each looked up around a
 * request to etcd or the API, so a scan is cheap enough. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cni_deadline.h"
#include "pd_hcache.h"
#include "pd_text.h"

struct entry {
	uint64_t hash;
	char *store, *key, *val;
	size_t len, size; /* size: the bytes counted against the bound */
	uint64_t ver;
	int64_t at;    /* cni_now_ms when the store last confirmed it */
	uint64_t used; /* the use counter when last looked up or set */
};

struct pd_hcache {
	pthread_mutex_t mu;
	struct entry e[PD_HCACHE_ENTRIES];
	size_t n, bytes;
	uint64_t use;
	int64_t max_age_ms;
	unsigned long hit, miss, invalidated;
};

struct pd_hcache *pd_hcache_new(int64_t max_age_ms)
{
	struct pd_hcache *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (pthread_mutex_init(&h->mu, NULL) != 0) {
		free(h);
		return NULL;
	}
	h->max_age_ms = max_age_ms;
	return h;
}

static void entry_free(struct entry *e)
{
	free(e->store);
	free(e->key);
	free(e->val);
}

void pd_hcache_free(struct pd_hcache *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		entry_free(&h->e[i]);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

static uint64_t fnv(uint64_t x, const char *s)
{
	for (; *s; s++)
		x = (x ^ (unsigned char)*s) * 0x100000001b3ULL;
	return x;
}

static uint64_t hash_of(const char *store, const char *key)
{
	return fnv(fnv(0xcbf29ce484222325ULL, store) * 0x100000001b3ULL, key);
}

/* under h->mu */
static struct entry *find(struct pd_hcache *h, uint64_t hash, const char *store,
			  const char *key)
{
	for (size_t i = 0; i < h->n; i++) {
		struct entry *e = &h->e[i];

		if (e->hash == hash && !strcmp(e->key, key) &&
		    !strcmp(e->store, store))
			return e;
	}
	return NULL;
}

/* under h->mu: entry e leaves (the last one takes its place) */
static void remove_at(struct pd_hcache *h, struct entry *e)
{
	h->bytes -= e->size;
	entry_free(e);
	*e = h->e[--h->n];
}

/* under h->mu: the least recently used entry goes */
static void evict_one(struct pd_hcache *h)
{
	struct entry *old = &h->e[0];

	for (size_t i = 1; i < h->n; i++)
		if (h->e[i].used < old->used)
			old = &h->e[i];
	remove_at(h, old);
}

int pd_hcache_get(struct pd_hcache *h, const char *store, const char *key,
		  char **ret_val, size_t *ret_len, uint64_t *ret_ver)
{
	uint64_t hash = hash_of(store, key);
	struct entry *e;
	int r = -ENOENT;

	pthread_mutex_lock(&h->mu);
	e = find(h, hash, store, key);
	if (e && cni_now_ms() - e->at < h->max_age_ms) {
		char *v = malloc(e->len + 1);

		if (v) {
			memcpy(v, e->val, e->len);
			v[e->len] = '\0';
			*ret_val = v;
			*ret_len = e->len;
			*ret_ver = e->ver;
			e->used = ++h->use;
			r = 0;
		}
	}
	if (r == 0)
		h->hit++;
	else
		h->miss++;
	pthread_mutex_unlock(&h->mu);
	return r;
}

void pd_hcache_set(struct pd_hcache *h, const char *store, const char *key,
		   const char *val, size_t len, uint64_t ver, bool add)
{
	uint64_t hash = hash_of(store, key);
	size_t size = strlen(store) + strlen(key) + len + sizeof(struct entry);
	struct entry *e, n = { 0 };

	if (size > PD_HCACHE_BYTES / 4)
		return;
	pthread_mutex_lock(&h->mu);
	e = find(h, hash, store, key);
	if (!e && !add) {
		pthread_mutex_unlock(&h->mu);
		return;
	}
	if (e)
		remove_at(h, e);
	n = (struct entry){ .hash = hash,
			    .store = strdup(store),
			    .key = strdup(key),
			    .val = malloc(len + 1),
			    .len = len,
			    .size = size,
			    .ver = ver,
			    .at = cni_now_ms(),
			    .used = ++h->use };
	if (!n.store || !n.key || !n.val) {
		entry_free(&n);
		pthread_mutex_unlock(&h->mu);
		return;
	}
	memcpy(n.val, val, len);
	n.val[len] = '\0';
	while (h->n &&
	       (h->n == PD_HCACHE_ENTRIES || h->bytes + size > PD_HCACHE_BYTES))
		evict_one(h);
	h->e[h->n++] = n;
	h->bytes += size;
	pthread_mutex_unlock(&h->mu);
}

void pd_hcache_drop(struct pd_hcache *h, const char *store, const char *key,
		    bool failed)
{
	uint64_t hash = hash_of(store, key);
	struct entry *e;

	pthread_mutex_lock(&h->mu);
	e = find(h, hash, store, key);
	if (e) {
		remove_at(h, e);
		h->invalidated += failed;
	}
	pthread_mutex_unlock(&h->mu);
}

size_t pd_hcache_entries(struct pd_hcache *h, size_t *ret_bytes)
{
	size_t n;

	pthread_mutex_lock(&h->mu);
	n = h->n;
	if (ret_bytes)
		*ret_bytes = h->bytes;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void pd_hcache_metrics(struct pd_hcache *h, struct pd_text *o)
{
	unsigned long hit, miss, inv;
	size_t n;

	pthread_mutex_lock(&h->mu);
	hit = h->hit;
	miss = h->miss;
	inv = h->invalidated;
	n = h->n;
	pthread_mutex_unlock(&h->mu);
	pd_text_put(o,
		    "# HELP plexusd_store_cache_total gets for update of "
		    "block headers answered from memory (hit) or the store "
		    "(miss), and cached headers dropped by a failed "
		    "compare-and-swap or error (invalidated).\n"
		    "# TYPE plexusd_store_cache_total counter\n"
		    "plexusd_store_cache_total{result=\"hit\"} %lu\n"
		    "plexusd_store_cache_total{result=\"miss\"} %lu\n"
		    "plexusd_store_cache_total{result=\"invalidated\"} %lu\n"
		    "# HELP plexusd_store_cache_entries block headers held "
		    "in memory.\n"
		    "# TYPE plexusd_store_cache_entries gauge\n"
		    "plexusd_store_cache_entries %zu\n",
		    hit, miss, inv, n);
}
