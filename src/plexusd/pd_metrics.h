/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_METRICS_H
#define PLEXUS_PD_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "pd_sock.h"
#include "pd_spool.h"
#include "pd_watch.h"

/* plexusd's counters and readiness, owned by the event loop (one
 * thread), rendered in the Prometheus text exposition format. */
enum pd_err_kind {
	PD_ERR_INSTALL,
	PD_ERR_CONFIG,
	PD_ERR_KUBECONFIG,
	PD_ERR_HTTP,
	PD_ERR_KINDS,
};

/* the statuses plexusd answers, in the order pd_metrics counts them */
#define PD_HTTP_CODES                                       \
	{                                                   \
		200, 400, 404, 405, 408, 414, 431, 503, 505 \
	}
#define PD_HTTP_NCODES 9

/* a late pod's fetch (docs/plexusd.md, "A late pod"), by result */
enum pd_fetch_result {
	PD_FETCH_SERVED,     /* its uid the one asked for: OK */
	PD_FETCH_MISMATCH,   /* another uid */
	PD_FETCH_NOT_FOUND,  /* 404 */
	PD_FETCH_OTHER_NODE, /* a pod of another node: UNKNOWN */
	PD_FETCH_FAILED,     /* any other answer, or none */
	PD_FETCH_BUSY,	     /* not queued: the fetcher had enough waiting */
	PD_FETCH_LATE,	     /* done after plexus stopped waiting */
	PD_FETCH_RESULTS,
};

struct pd_metrics {
	unsigned long config_writes;	/* the primary config (re)written */
	unsigned long config_removals;	/* removed (no default network, exit) */
	unsigned long config_refusals;	/* a plexus config not wrapped */
	unsigned long installs;		/* binaries copied */
	unsigned long installs_skipped; /* binaries already identical */
	unsigned long kubeconfig_writes; /* the plugin's kubeconfig written */
	unsigned long inotify_events;
	unsigned long http_requests[PD_HTTP_NCODES];
	unsigned long http_refused_busy; /* over the connection limit */
	unsigned long errors[PD_ERR_KINDS];
	bool installed;	 /* every binary in place */
	bool kubeconfig; /* the kubeconfig written (or not asked for) */
	bool config;	 /* the primary config written */
	bool caches_on;	 /* --socket: the caches must sync for /readyz */
	struct pd_watch_stats cache[2]; /* pods, NADs (a snapshot) */
	size_t cache_objects[2];
	unsigned long cache_dropped[2]; /* objects over the bound */
	bool cache_full[2]; /* the last list, or an event since, dropped */
	long long cache_age_ms[2]; /* since the last event or list: -1 never */
	unsigned long sock[PD_SOCK_RESULTS];	 /* socket answers by result */
	unsigned long fetches[PD_FETCH_RESULTS]; /* late pods fetched */
	unsigned long spool[PD_SPOOL_RESULTS];	 /* spooled report lines */
};

/* API requests plexusd sends, counted from any thread (atomics) and
 * rendered as plexusd_api_requests_total{verb,code}: code the HTTP
 * status (one of PD_API_CODES, else "other"), "none" when no answer came
 * (a transport failure). The warm stores' kubernetes store counts its
 * requests here too (pd_metrics_store_request). */
enum pd_api_verb {
	PD_API_LIST,
	PD_API_WATCH,
	PD_API_PATCH,
	PD_API_GET,	/* a late pod's, the kubernetes store's */
	PD_API_CREATE,	/* the kubernetes store's */
	PD_API_UPDATE,	/* the kubernetes store's */
	PD_API_DELETE,	/* the kubernetes store's */
	PD_API_VERSION, /* the pod fetcher's warm-up (GET /version) */
	PD_API_VERBS,
};
#define PD_API_CODES                                                          \
	{                                                                     \
		0, 200, 201, 400, 401, 403, 404, 409, 410, 422, 429, 500, 503 \
	}
#define PD_API_NCODES 13
void pd_api_count(enum pd_api_verb v, long code);
/* pd_api_count, and the request's round trip (secs) into the histogram
 * plexusd_api_duration_seconds{verb}: plexusd's own patches and gets. */
void pd_api_observe(enum pd_api_verb v, long code, double secs);

/* The warm stores' requests to etcd and the API (the hook of
 * ipam_store_set_request_hook; any thread): the API's in
 * plexusd_api_requests_total, etcd's in
 * plexusd_etcd_requests_total{op,code}, both in the histogram
 * plexusd_store_duration_seconds{store,op}. */
void pd_metrics_store_request(const char *store, const char *op, long code,
			      double secs);

/* ready: /readyz answers 200 */
bool pd_metrics_ready(const struct pd_metrics *m);
/* count one answer of status (unknown statuses are not counted) */
void pd_metrics_http(struct pd_metrics *m, int status);
/* The process' resident set in bytes (/proc/self/statm), -1 if unknown. */
long pd_metrics_rss(void);
/* Render into buf (NUL-terminated). Returns the length, or -ENOSPC. */
int pd_metrics_render(const struct pd_metrics *m, long rss, char *buf,
		      size_t size);

#endif
