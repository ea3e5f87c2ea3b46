/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_CACHE_H
#define PLEXUS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

struct cni_env;
struct cni_err;
struct plexus_plan;

/* One container's attachments as recorded at ADD: the plan (with each
 * delegate's config as given) and each attachment's result (NULL until
 * it has one). Read back by DEL, CHECK and GC. */
struct plexus_record {
	struct plexus_plan *plan;
	json_object **results; /* plan->n entries, owned */
	char *netns;
	char *container_id; /* as read from the cache, else NULL */
	char *ifname;
	bool complete;	 /* every attachment was added */
	bool del_failed; /* a DEL failed (retryDeleteOnError false) */
};

/* <dir>/<containerID>_<ifname>.json; the caller frees it. Bytes outside
 * [A-Za-z0-9.-] in either are written %XX (so no two IDs collide and no
 * ID leaves dir). NULL on ENOMEM. */
char *plexus_cache_path(const char *dir, const char *container_id,
			const char *ifname);

/* Write rec atomically (temp, rename; mode 0600), with fsyncs once the
 * record is complete: an incomplete one only has to survive a crash of
 * plexus (a machine crash takes the pod's netns with it, and a torn or
 * missing record makes DEL fall back to the config). Code 5. */
int plexus_cache_write(const char *path, const struct cni_env *env,
		       const struct plexus_record *rec, struct cni_err *err);

/* Read a record. -ENOENT when there is none; a truncated or otherwise
 * unusable file fails with code 6 (the caller falls back to config). */
int plexus_cache_read(const char *path, struct plexus_record **ret,
		      struct cni_err *err);

/* The same from the file's contents buf[0..len); `what` names the source
 * in messages. */
int plexus_cache_parse(const char *buf, size_t len, const char *what,
		       struct plexus_record **ret, struct cni_err *err);

int plexus_cache_remove(const char *path);

/* Is the file locked through fd still the one at lock_path? A DEL
 * unlinks <record>.lock while it holds it; whoever then gets the old
 * file's lock must open the path again instead of taking it for the
 * lock. */
bool plexus_cache_lock_current(int fd, const char *lock_path);

/* Take <record>.lock of cache_path without waiting: 0 and *ret_fd (the
 * caller closes it), -EBUSY when another call holds it, -errno. */
int plexus_cache_lock_try(const char *cache_path, int *ret_fd);

/* A record for plan with no results yet; takes ownership of plan. */
struct plexus_record *plexus_record_new(struct plexus_plan *plan);
void plexus_record_free(struct plexus_record *rec);

#endif
