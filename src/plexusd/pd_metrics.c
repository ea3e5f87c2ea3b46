// SPDX-License-Identifier: Apache-2.0
/* plexusd's metrics in the Prometheus text exposition format (0.0.4). */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
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
	[PD_API_LIST] = "list",
	[PD_API_WATCH] = "watch",
	[PD_API_PATCH] = "patch",
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
	api_metrics(&o);
	if (m->caches_on)
		cache_metrics(&o, m);
	gauge(&o, "plexusd_ready", "1 when /readyz answers 200.",
	      pd_metrics_ready(m) ? 1 : 0);
	gauge(&o, "process_resident_memory_bytes",
	      "Resident memory size in bytes.", rss);
	return o.err ? o.err : (int)o.len;
}
