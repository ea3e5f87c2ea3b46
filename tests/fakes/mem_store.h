/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_TESTS_MEM_STORE_H
#define PLEXUS_TESTS_MEM_STORE_H

#include <stdbool.h>
#include <stddef.h>

struct ipam_store;

/* An in-memory ipam store for unit tests (no node lock). */
struct ipam_store *mem_store_new(void);
/* While down, every call fails as an unreachable store (code 11). */
void mem_store_set_down(struct ipam_store *st, bool down);
/* The next n updating put_if calls (version != 0) fail with a version
 * conflict, as when another writer got there first. */
void mem_store_fail_puts(struct ipam_store *st, int n);
/* Number of keys; with prefix, only those under it. */
size_t mem_store_count(struct ipam_store *st, const char *prefix);
/* Calls of each kind so far. */
size_t mem_store_calls(struct ipam_store *st);
/* List calls so far (each list and each page of a key range). */
size_t mem_store_lists(struct ipam_store *st);
/* The store reads no key ranges from now on (no list_range, as the file
 * and kubernetes stores). */
void mem_store_no_range(struct ipam_store *st);

#endif
