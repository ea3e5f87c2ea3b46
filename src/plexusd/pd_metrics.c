// SPDX-License-Identifier: Apache-2.0
/* plexusd's metrics in the Prometheus text exposition format (0.0.4). */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pd_metrics.h"
#include "pd_text.h"

static const int http_codes[PD_HTTP_NCODES] = PD_HTTP_CODES;
static const char *const err_kinds[PD_ERR_KINDS] = {
	[PD_ERR_INSTALL] = "install",
	[PD_ERR_CONFIG] = "config",
	[PD_ERR_KUBECONFIG] = "kubeconfig",
	[PD_ERR_HTTP] = "http",
};

static const long api_codes[PD_API_NCODES] = PD_API_CODES;
static const char *const api_verbs[PD_API_VERBS] = {
	[PD_API_LIST] = "list",	    [PD_API_WATCH] = "watch",
	[PD_API_PATCH] = "patch",   [PD_API_GET] = "get",
	[PD_API_CREATE] = "create", [PD_API_UPDATE] = "update",
	[PD_API_DELETE] = "delete", [PD_API_VERSION] = "version",
};
/* the last column: any other status */
static atomic_ulong api_requests[PD_API_VERBS][PD_API_NCODES + 1];

void pd_api_count(enum pd_api_verb v, long code)
{
	int i = 0;

	while (i < PD_API_NCODES && api_codes[i] != code)
		i++;
	atomic_fetch_add(&api_requests[v][i], 1);
}

/* --- the warm stores' requests (etcd, the API) --- */

#define N_BUCKETS 13
static const double buckets[N_BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025,
					   0.05,  0.1,	  0.25,	 0.5,  1,
					   2.5,	  5,	  10 };
/* (store, op): etcd's two, then the API's four and list */
#define N_STORE_OPS 7
static const char *const store_ops[N_STORE_OPS][2] = {
	{ "etcd", "range" },	    { "etcd", "txn" },
	{ "kubernetes", "get" },    { "kubernetes", "create" },
	{ "kubernetes", "update" }, { "kubernetes", "delete" },
	{ "kubernetes", "list" },
};
static const enum pd_api_verb store_verbs[N_STORE_OPS] = {
	PD_API_VERBS,  PD_API_VERBS,  PD_API_GET,  PD_API_CREATE,
	PD_API_UPDATE, PD_API_DELETE, PD_API_LIST,
};
/* a histogram of round trips, filled from any thread */
struct hist {
	atomic_ulong le[N_BUCKETS + 1]; /* the last: +Inf only */
	atomic_ullong sum_us;
};
static struct hist store_hist[N_STORE_OPS];
/* plexusd's own requests by verb (pd_api_observe): patch, get */
static struct hist api_hist[PD_API_VERBS];
static atomic_ulong etcd_requests[2][PD_API_NCODES + 1];

static int code_index(long code)
{
	int i = 0;

	while (i < PD_API_NCODES && api_codes[i] != code)
		i++;
	return i;
}

static void hist_observe(struct hist *h, double secs)
{
	int b = 0;

	while (b < N_BUCKETS && secs > buckets[b])
		b++;
	atomic_fetch_add(&h->le[b], 1);
	atomic_fetch_add(&h->sum_us,
			 secs > 0 ? (unsigned long long)(secs * 1e6) : 0);
}

void pd_metrics_store_request(const char *store, const char *op, long code,
			      double secs)
{
	int k = 0;

	while (k < N_STORE_OPS &&
	       (strcmp(store_ops[k][0], store) || strcmp(store_ops[k][1], op)))
		k++;
	if (k == N_STORE_OPS)
		return;
	if (store_verbs[k] != PD_API_VERBS)
		pd_api_count(store_verbs[k], code);
	else
		atomic_fetch_add(&etcd_requests[k][code_index(code)], 1);
	hist_observe(&store_hist[k], secs);
}

void pd_api_observe(enum pd_api_verb v, long code, double secs)
{
	pd_api_count(v, code);
	hist_observe(&api_hist[v], secs);
}

static void code_label(int i, char *buf, size_t size)
{
	if (i == PD_API_NCODES)
		snprintf(buf, size, "other");
	else if (api_codes[i] == 0)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%ld", api_codes[i]);
}

static void etcd_metrics(struct pd_text *o)
{
	pd_text_put(o, "# HELP plexusd_etcd_requests_total Requests the warm "
		       "stores sent to etcd, by op and HTTP status (none: no "
		       "answer).\n"
		       "# TYPE plexusd_etcd_requests_total counter\n");
	for (int k = 0; k < 2; k++)
		for (int i = 0; i <= PD_API_NCODES; i++) {
			unsigned long n = atomic_load(&etcd_requests[k][i]);
			char code[8];

			if (!n)
				continue;
			code_label(i, code, sizeof(code));
			pd_text_put(o,
				    "plexusd_etcd_requests_total{op=\"%s\","
				    "code=\"%s\"} %lu\n",
				    store_ops[k][1], code, n);
		}
}

/* One histogram as name{labels,le}, from one load of each bucket:
 * nothing before its first request. */
static void hist_render(struct pd_text *o, const char *name, const char *labels,
			struct hist *h)
{
	unsigned long long le[N_BUCKETS], n = 0;

	for (int b = 0; b <= N_BUCKETS; b++) {
		unsigned long long x = atomic_load(&h->le[b]);

		if (b < N_BUCKETS)
			le[b] = x;
		n += x;
	}
	if (n)
		pd_text_hist(o, name, labels, buckets, le, N_BUCKETS, n,
			     (double)atomic_load(&h->sum_us) / 1e6);
}

static void store_hist_one(struct pd_text *o, int k)
{
	char labels[64];

	snprintf(labels, sizeof(labels), "store=\"%s\",op=\"%s\"",
		 store_ops[k][0], store_ops[k][1]);
	hist_render(o, "plexusd_store_duration_seconds", labels,
		    &store_hist[k]);
}

static void api_hist_metrics(struct pd_text *o)
{
	pd_text_put(o, "# HELP plexusd_api_duration_seconds plexusd's own "
		       "requests to the API (network-status patch, a late "
		       "pod's get), each try, answered or not.\n"
		       "# TYPE plexusd_api_duration_seconds histogram\n");
	for (int v = 0; v < PD_API_VERBS; v++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "verb=\"%s\"", api_verbs[v]);
		hist_render(o, "plexusd_api_duration_seconds", labels,
			    &api_hist[v]);
	}
}

static void store_request_metrics(struct pd_text *o)
{
	etcd_metrics(o);
	pd_text_put(o, "# HELP plexusd_store_duration_seconds The warm "
		       "stores' round trips to etcd and the API, each "
		       "request.\n"
		       "# TYPE plexusd_store_duration_seconds histogram\n");
	for (int k = 0; k < N_STORE_OPS; k++)
		store_hist_one(o, k);
}

bool pd_metrics_ready(const struct pd_metrics *m)
{
	return m->installed && m->kubeconfig && m->config &&
	       (!m->caches_on || (m->cache[0].synced && m->cache[1].synced));
}

void pd_metrics_http(struct pd_metrics *m, int status)
{
	for (int i = 0; i < PD_HTTP_NCODES; i++)
		if (http_codes[i] == status)
			m->http_requests[i]++;
}

long pd_metrics_rss(void)
{
	long pages = -1, rss = -1;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = -1;
	fclose(f);
	return rss < 0 ? -1 : rss * sysconf(_SC_PAGESIZE);
}

static void counter(struct pd_text *o, const char *name, const char *help,
		    unsigned long v)
{
	pd_text_put(o, "# HELP %s %s\n# TYPE %s counter\n%s %lu\n", name, help,
		    name, name, v);
}

static void gauge(struct pd_text *o, const char *name, const char *help, long v)
{
	pd_text_put(o, "# HELP %s %s\n# TYPE %s gauge\n%s %ld\n", name, help,
		    name, name, v);
}

static const char *const sock_results[PD_SOCK_RESULTS] = {
	[PD_SOCK_SERVED] = "served",
	[PD_SOCK_UNKNOWN] = "unknown",
	[PD_SOCK_MISMATCH] = "mismatch",
	[PD_SOCK_NOTREADY] = "notready",
	[PD_SOCK_MALFORMED] = "malformed",
	[PD_SOCK_NOT_ROOT] = "not_root",
	[PD_SOCK_BUSY] = "busy",
	[PD_SOCK_STATUS_PATCHED] = "status_patched",
	[PD_SOCK_STATUS_DIRECT] = "status_direct",
	[PD_SOCK_REPORTED] = "reported",
};
static const char *const fetch_results[PD_FETCH_RESULTS] = {
	[PD_FETCH_SERVED] = "served",
	[PD_FETCH_MISMATCH] = "mismatch",
	[PD_FETCH_NOT_FOUND] = "not_found",
	[PD_FETCH_FAILED] = "failed",
	[PD_FETCH_OTHER_NODE] = "other_node",
	[PD_FETCH_BUSY] = "busy",
	[PD_FETCH_LATE] = "late",
};
static const char *const caches[2] = { "pods", "nads" };

/* one counter per cache, from the stats field at off */
static void per_cache(struct pd_text *o, const struct pd_metrics *m,
		      const char *name, const char *help, size_t off)
{
	pd_text_put(o, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (int i = 0; i < 2; i++)
		pd_text_put(
			o, "%s{cache=\"%s\"} %lu\n", name, caches[i],
			*(const unsigned long *)((const char *)&m->cache[i] +
						 off));
}

/* the bound on cached objects (--max-cached-pods, --max-cached-nads) */
static void bound_metrics(struct pd_text *o, const struct pd_metrics *m)
{
	pd_text_put(o, "# HELP plexusd_cache_dropped_total List items and "
		       "events of objects not cached, over the cache's bound "
		       "(their lookups miss).\n"
		       "# TYPE plexusd_cache_dropped_total counter\n");
	for (int i = 0; i < 2; i++)
		pd_text_put(o,
			    "plexusd_cache_dropped_total{cache=\"%s\"} %lu\n",
			    caches[i], m->cache_dropped[i]);
	pd_text_put(o, "# HELP plexusd_cache_full 1 when the last list, or an "
		       "event since, was over the cache's bound (degraded).\n"
		       "# TYPE plexusd_cache_full gauge\n");
	for (int i = 0; i < 2; i++)
		pd_text_put(o, "plexusd_cache_full{cache=\"%s\"} %d\n",
			    caches[i], m->cache_full[i] ? 1 : 0);
}

static void cache_metrics(struct pd_text *o, const struct pd_metrics *m)
{
	pd_text_put(o, "# HELP plexusd_socket_requests_total Socket requests, "
		       "by result (served from the cache, or a miss).\n"
		       "# TYPE plexusd_socket_requests_total counter\n");
	for (int i = 0; i < PD_SOCK_RESULTS; i++)
		pd_text_put(o,
			    "plexusd_socket_requests_total{result=\"%s\"} "
			    "%lu\n",
			    sock_results[i], m->sock[i]);
	pd_text_put(o, "# HELP plexusd_pod_fetches_total Pods not cached "
		       "after the wait, fetched from the API, by result.\n"
		       "# TYPE plexusd_pod_fetches_total counter\n");
	for (int i = 0; i < PD_FETCH_RESULTS; i++)
		pd_text_put(o, "plexusd_pod_fetches_total{result=\"%s\"} %lu\n",
			    fetch_results[i], m->fetches[i]);
	pd_text_put(o, "# HELP plexusd_cache_objects Objects in each cache.\n"
		       "# TYPE plexusd_cache_objects gauge\n");
	for (int i = 0; i < 2; i++)
		pd_text_put(o, "plexusd_cache_objects{cache=\"%s\"} %zu\n",
			    caches[i], m->cache_objects[i]);
	pd_text_put(o, "# HELP plexusd_cache_age_seconds Time since the cache "
		       "last heard from the API (an event, a bookmark or a "
		       "list); -1 before its first list.\n"
		       "# TYPE plexusd_cache_age_seconds gauge\n");
	for (int i = 0; i < 2; i++)
		pd_text_put(o, "plexusd_cache_age_seconds{cache=\"%s\"} %.3f\n",
			    caches[i],
			    m->cache_age_ms[i] < 0
				    ? -1.0
				    : (double)m->cache_age_ms[i] / 1e3);
	pd_text_put(o, "# HELP plexusd_cache_synced 1 once the cache was "
		       "listed.\n"
		       "# TYPE plexusd_cache_synced gauge\n");
	for (int i = 0; i < 2; i++)
		pd_text_put(o, "plexusd_cache_synced{cache=\"%s\"} %d\n",
			    caches[i], m->cache[i].synced ? 1 : 0);
	bound_metrics(o, m);
	per_cache(o, m, "plexusd_watch_lists_total", "List requests (pages).",
		  offsetof(struct pd_watch_stats, lists));
	per_cache(o, m, "plexusd_watch_streams_total", "Watch streams opened.",
		  offsetof(struct pd_watch_stats, watches));
	per_cache(o, m, "plexusd_watch_restarts_total",
		  "Watch streams ended by a failure (resumed).",
		  offsetof(struct pd_watch_stats, restarts));
	per_cache(o, m, "plexusd_watch_relists_total",
		  "Relists after 410 Gone.",
		  offsetof(struct pd_watch_stats, relists));
	per_cache(o, m, "plexusd_watch_events_total", "Watch events applied.",
		  offsetof(struct pd_watch_stats, events));
	per_cache(o, m, "plexusd_watch_errors_total",
		  "Failed lists and watches, events not applied.",
		  offsetof(struct pd_watch_stats, errors));
}

static void api_metrics(struct pd_text *o)
{
	pd_text_put(o, "# HELP plexusd_api_requests_total API requests plexusd "
		       "sent, "
		       "by verb and HTTP status (none: no answer).\n"
		       "# TYPE plexusd_api_requests_total counter\n");
	for (int v = 0; v < PD_API_VERBS; v++) {
		for (int i = 0; i <= PD_API_NCODES; i++) {
			unsigned long n = atomic_load(&api_requests[v][i]);
			char code[8];

			if (!n)
				continue;
			if (i == PD_API_NCODES)
				snprintf(code, sizeof(code), "other");
			else if (api_codes[i] == 0)
				snprintf(code, sizeof(code), "none");
			else
				snprintf(code, sizeof(code), "%ld",
					 api_codes[i]);
			pd_text_put(o,
				    "plexusd_api_requests_total{verb=\"%s\","
				    "code=\"%"
				    "s\"}"
				    " %lu\n",
				    api_verbs[v], code, n);
		}
	}
}

static void labelled(struct pd_text *o, const struct pd_metrics *m)
{
	pd_text_put(o, "# HELP plexusd_http_requests_total HTTP requests "
		       "answered, "
		       "by status.\n# TYPE plexusd_http_requests_total "
		       "counter\n");
	for (int i = 0; i < PD_HTTP_NCODES; i++)
		pd_text_put(o, "plexusd_http_requests_total{code=\"%d\"} %lu\n",
			    http_codes[i], m->http_requests[i]);
	pd_text_put(o, "# HELP plexusd_errors_total Failed operations, by "
		       "kind.\n"
		       "# TYPE plexusd_errors_total counter\n");
	for (int i = 0; i < PD_ERR_KINDS; i++)
		pd_text_put(o, "plexusd_errors_total{kind=\"%s\"} %lu\n",
			    err_kinds[i], m->errors[i]);
}

/* the reports read from the spool (pd_spool.h) */
static void spool_metrics(struct pd_text *o, const struct pd_metrics *m)
{
	static const char *const results[] = { "taken", "malformed",
					       "dropped" };

	pd_text_put(o, "# HELP plexusd_report_spool_lines_total Report lines "
		       "read from the spool (kept while plexusd was away), by "
		       "result; a dropped line is a report the spool had no "
		       "room for.\n"
		       "# TYPE plexusd_report_spool_lines_total counter\n");
	for (int i = 0; i < 3; i++)
		pd_text_put(o,
			    "plexusd_report_spool_lines_total{result=\"%s\"} "
			    "%lu\n",
			    results[i], m->spool[i]);
}

int pd_metrics_render(const struct pd_metrics *m, long rss, char *buf,
		      size_t size)
{
	struct pd_text o = { .buf = buf, .size = size };

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	counter(&o, "plexusd_config_writes_total",
		"Times the primary CNI config was written.", m->config_writes);
	counter(&o, "plexusd_config_removals_total",
		"Times the primary CNI config was removed.",
		m->config_removals);
	counter(&o, "plexusd_config_refusals_total",
		"Plexus configs found in the conf dir and not wrapped.",
		m->config_refusals);
	counter(&o, "plexusd_installs_total",
		"Binaries copied into the CNI bin dir.", m->installs);
	counter(&o, "plexusd_installs_skipped_total",
		"Binaries already identical in the CNI bin dir.",
		m->installs_skipped);
	counter(&o, "plexusd_kubeconfig_writes_total",
		"Times the plugin's kubeconfig was written.",
		m->kubeconfig_writes);
	counter(&o, "plexusd_inotify_events_total",
		"inotify events read (conf dir and token dir).",
		m->inotify_events);
	counter(&o, "plexusd_http_refused_busy_total",
		"Connections refused over the connection limit.",
		m->http_refused_busy);
	labelled(&o, m);
	spool_metrics(&o, m);
	api_metrics(&o);
	store_request_metrics(&o);
	api_hist_metrics(&o);
	if (m->caches_on)
		cache_metrics(&o, m);
	gauge(&o, "plexusd_ready", "1 when /readyz answers 200.",
	      pd_metrics_ready(m) ? 1 : 0);
	gauge(&o, "process_resident_memory_bytes",
	      "Resident memory size in bytes.", rss);
	return o.err ? o.err : (int)o.len;
}
