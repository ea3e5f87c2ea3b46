/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUSD_PD_HCACHE_H
#define PLEXUSD_PD_HCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pd_text;

/* plexusd's block headers in memory (docs/plexusd.md "Block headers in
 * memory"): values with their versions, by store (the store object's
 * text) and key, shared by the warm stores' threads (one mutex). Only a
 * key asked for "for update" (a get with "cache": true) enters; plexusd's
 * own gets and successful puts of a key in it refresh it; a delete, and a
 * put or delete that fails (a version mismatch or any error), drop it.
 * No watch keeps it current: a stale entry can only make the next
 * compare-and-swap on its key fail, which drops it. Bounded: at most
 * PD_HCACHE_ENTRIES entries and PD_HCACHE_BYTES bytes of keys and values
 * (the least recently used go first); an entry older than max_age_ms
 * since the store last confirmed it is not served. */
#define PD_HCACHE_ENTRIES 512
#define PD_HCACHE_BYTES	  (1 << 20)
#define PD_HCACHE_AGE_MS  30000

struct pd_hcache;

struct pd_hcache *pd_hcache_new(int64_t max_age_ms);
void pd_hcache_free(struct pd_hcache *h);

/* The entry of store+key, when young enough: 0 with a copy of its value
 * (malloc'ed, NUL-terminated) and version, counted a hit; else -ENOENT,
 * counted a miss (an old entry stays until refreshed or evicted). */
int pd_hcache_get(struct pd_hcache *h, const char *store, const char *key,
		  char **ret_val, size_t *ret_len, uint64_t *ret_ver);
/* The store confirmed val at version ver for store+key: the entry is
 * set (and its age restarts) when add or it exists. Of two threads the
 * last to set wins, even with an older read: stale, it costs one failed
 * compare-and-swap. */
void pd_hcache_set(struct pd_hcache *h, const char *store, const char *key,
		   const char *val, size_t len, uint64_t ver, bool add);
/* store+key's entry goes (failed: counted invalidated). */
void pd_hcache_drop(struct pd_hcache *h, const char *store, const char *key,
		    bool failed);

/* plexusd_store_cache_total{result} and plexusd_store_cache_entries. */
void pd_hcache_metrics(struct pd_hcache *h, struct pd_text *o);
/* Entries held and bytes of them (the tests). */
size_t pd_hcache_entries(struct pd_hcache *h, size_t *ret_bytes);

#endif
