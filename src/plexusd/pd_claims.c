// SPDX-License-Identifier: Apache-2.0
/* plexusd's IPAMClaims cache (pd_claims.h): the pods and NADs caches'
 * machinery (pd_cache, pd_watch) on a third resource, started lazily
 * from the event loop by the first CLAIM request. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_log.h"
#include "pd_cache.h"
#include "pd_claims.h"

struct pd_claims {
	char *kubeconfig;
	int wake_fd;
	struct pd_cache *cache;
	struct pd_watch *watch; /* NULL until the first lookup */
	bool start_failed;	/* logged once; tried again at each lookup */
};

int pd_claims_new(const char *kubeconfig, int wake_fd, size_t max,
		  struct pd_claims **ret, struct cni_err *err)
{
	struct pd_claims *cl = calloc(1, sizeof(*cl));

	if (!cl || !(cl->kubeconfig = strdup(kubeconfig)) ||
	    pd_cache_new(PD_CACHE_CLAIMS, &cl->cache) < 0) {
		pd_claims_free(cl);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	cl->wake_fd = wake_fd;
	pd_cache_set_max(cl->cache, max);
	*ret = cl;
	return 0;
}

void pd_claims_free(struct pd_claims *cl)
{
	if (!cl)
		return;
	pd_watch_stop(cl->watch); /* before its cache goes */
	pd_cache_free(cl->cache);
	free(cl->kubeconfig);
	free(cl);
}

static int claims_start(struct pd_claims *cl)
{
	struct pd_watch_params p = { .kind = PD_CACHE_CLAIMS,
				     .kubeconfig = cl->kubeconfig,
				     .wake_fd = cl->wake_fd };
	struct cni_err err = { 0 };

	if (pd_watch_start(&p, cl->cache, &cl->watch, &err) < 0) {
		if (!cl->start_failed)
			cni_log(CNI_LOG_ERROR, "IPAMClaims cache: %s", err.msg);
		cl->start_failed = true;
		return -EAGAIN;
	}
	cni_log(CNI_LOG_VERBOSE, "IPAMClaims cache: started by the first "
				 "CLAIM request");
	return 0;
}

int pd_claims_get(struct pd_claims *cl, const char *ns, const char *name,
		  char **ret_json)
{
	struct pd_watch_stats st;

	if (!cl->watch && claims_start(cl) < 0)
		return -EAGAIN;
	pd_watch_stats(cl->watch, &st);
	if (!st.synced)
		return -EAGAIN;
	return pd_cache_get(cl->cache, ns, name, NULL, ret_json);
}

bool pd_claims_stats(struct pd_claims *cl, struct pd_watch_stats *ret,
		     size_t *ret_objects)
{
	*ret = (struct pd_watch_stats){ 0 };
	*ret_objects = 0;
	if (!cl || !cl->watch)
		return false;
	pd_watch_stats(cl->watch, ret);
	*ret_objects = pd_cache_size(cl->cache);
	return true;
}

int pd_claims_metrics(struct pd_claims *cl, char *buf, size_t size)
{
	struct pd_watch_stats st;
	size_t objects;
	bool started = pd_claims_stats(cl, &st, &objects);
	int n = snprintf(buf, size,
			 "# HELP plexusd_claims_cache_started 1 once a CLAIM "
			 "request "
			 "started the IPAMClaims cache.\n"
			 "# TYPE plexusd_claims_cache_started gauge\n"
			 "plexusd_claims_cache_started %d\n"
			 "# HELP plexusd_claims_cache_synced 1 once the "
			 "IPAMClaims were "
			 "listed.\n"
			 "# TYPE plexusd_claims_cache_synced gauge\n"
			 "plexusd_claims_cache_synced %d\n"
			 "# HELP plexusd_claims_cache_objects IPAMClaims "
			 "cached.\n"
			 "# TYPE plexusd_claims_cache_objects gauge\n"
			 "plexusd_claims_cache_objects %zu\n"
			 "# HELP plexusd_claims_watch_lists_total IPAMClaims "
			 "list "
			 "requests (pages).\n"
			 "# TYPE plexusd_claims_watch_lists_total counter\n"
			 "plexusd_claims_watch_lists_total %lu\n"
			 "# HELP plexusd_claims_watch_errors_total IPAMClaims "
			 "lists and "
			 "watches failed (a 404: no CRD), events not applied.\n"
			 "# TYPE plexusd_claims_watch_errors_total counter\n"
			 "plexusd_claims_watch_errors_total %lu\n",
			 started, st.synced, objects, st.lists, st.errors);

	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}
