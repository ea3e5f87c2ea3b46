/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_CLAIMS_H
#define PLEXUS_PD_CLAIMS_H

#include <stdbool.h>

#include "pd_watch.h"

struct cni_err;

/* plexusd's IPAMClaims cache (docs/plexusd.md, "IPAMClaims"): a pd_cache
 * of every namespace's claims kept by a pd_watch thread that starts on
 * the first lookup, so a node whose pods never name a claim never lists
 * them. */
struct pd_claims;

/* kubeconfig: plexusd's API credentials (copied); wake_fd: the loop's
 * eventfd; max: claims kept at most (--max-cached-claims; beyond, new
 * ones are dropped and their lookups miss). Nothing is started yet. */
int pd_claims_new(const char *kubeconfig, int wake_fd, size_t max,
		  struct pd_claims **ret, struct cni_err *err);
/* Stop the thread (if started), free everything. NULL is fine. */
void pd_claims_free(struct pd_claims *cl);
/* The claim ns/name as JSON text (malloc'ed), as pd_cache_get: 0;
 * -ENOENT not cached (the caller must not take it for "no such claim":
 * a claim made a moment ago may not have arrived yet); -EAGAIN not
 * listed yet (the first call starts the watch); -ENOMEM. */
int pd_claims_get(struct pd_claims *cl, const char *ns, const char *name,
		  char **ret_json);
/* Started yet, its watch's figures (zero before), its object count. */
bool pd_claims_stats(struct pd_claims *cl, struct pd_watch_stats *ret,
		     size_t *ret_objects);
/* Its lines of /metrics (plexusd_claims_*, docs/plexusd.md) into buf:
 * their length, or -ENOSPC. */
int pd_claims_metrics(struct pd_claims *cl, char *buf, size_t size);

#endif
