/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_TOMBSTONE_H
#define PLEXUS_TOMBSTONE_H

#include <stdbool.h>
#include <time.h>

/* How long a DEL's tombstone answers for its container (s): the kubelet
 * repeats StopPodSandbox within a minute or two of the first. */
#define TOMBSTONE_TTL 600

/* cache_path is the record's (plexus_cache_path). Best effort: a lost
 * tombstone only costs the next DEL a plan. */
void tombstone_set(const char *cache_path);
/* A tombstone younger than ttl seconds is there. */
bool tombstone_fresh(const char *cache_path, time_t ttl);
void tombstone_clear(const char *cache_path);
/* Remove dir's tombstones of ttl seconds or older. */
void tombstone_sweep(const char *dir, time_t ttl);

#endif
