/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_TESTS_CACHED_STORE_H
#define PLEXUS_TESTS_CACHED_STORE_H

#include <stddef.h>

struct ipam_store;

/* A store in front of under (not owned) that keeps values in memory as
 * plexusd's block headers do (src/plexusd/pd_hcache.h): a get for update
 * (ipam_store_get_cached) of a key it holds is answered from memory and
 * says so; a key enters at its first get for update; gets and successful
 * puts through it refresh a held key; a delete or a failed put or delete
 * drops it. Writes made on under directly (plexus-ipam's direct path
 * while plexusd is away) leave it stale. */
struct ipam_store *cached_store_new(struct ipam_store *under);
/* Gets for update answered from memory so far. */
size_t cached_store_hits(struct ipam_store *st);

#endif
