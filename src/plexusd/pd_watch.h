/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_WATCH_H
#define PLEXUS_PD_WATCH_H

#include <stdbool.h>

#include "pd_cache.h"

struct cni_err;

/* One thread that keeps a pd_cache current: list (pages of 500), then
 * watch from the list's resourceVersion, resume from the last one seen
 * when a stream ends or drops, list again on 410 Gone; failures retried
 * with a backoff (0.2 s doubling to 30 s). The kubeconfig is read again
 * at every (re)connection, so a rotated token is picked up. */
struct pd_watch_params {
	enum pd_cache_kind kind;
	const char *kubeconfig; /* plexusd's credentials (copied) */
	const char *node_name;	/* pods: spec.nodeName (copied) */
	int wake_fd; /* an eventfd written after each change (the loop's) */
};

struct pd_watch_stats {
	bool synced;		/* listed once: the cache can answer */
	unsigned long lists;	/* list requests (every page) */
	unsigned long watches;	/* watch streams opened */
	unsigned long restarts; /* streams that ended by a failure */
	unsigned long relists;	/* 410 Gone: listed again */
	unsigned long events;	/* watch events applied */
	unsigned long errors;	/* failed lists, watches, bad events */
	long long heard_ms;	/* CLOCK_MONOTONIC ms of the last list or event
			     * (bookmarks too); 0 before the first */
};

struct pd_watch;

int pd_watch_start(const struct pd_watch_params *p, struct pd_cache *cache,
		   struct pd_watch **ret, struct cni_err *err);
/* Stop the thread (within about a second, or the request timeout of a
 * list in flight), join it, free w. NULL is fine. */
void pd_watch_stop(struct pd_watch *w);
void pd_watch_stats(struct pd_watch *w, struct pd_watch_stats *ret);

#endif
