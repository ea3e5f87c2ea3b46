// SPDX-License-Identifier: Apache-2.0
/* plexusd: the plexus node daemon. One poll() loop over inotify (the CNI
 * conf dir and the service account's token dir), a signalfd, the
 * health/metrics server and, with --socket, the socket plexus asks first
 * and an eventfd the two watch threads (pd_watch.c) write when a cache
 * changed. It installs plexus' binaries, writes the plugin's kubeconfig
 * and the primary CNI config, and keeps both current; with --socket it
 * also writes pods' network-status for plexus (pd_status.c) and keeps
 * what plexus reports of its verbs (pd_verbs.c). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_fs.h"
#include "cni_json.h"
#include "cni_log.h"
#include "curl_lazy.h"
#include "k8s.h"
#include "pd_claims.h"
#include "pd_install.h"
#include "pd_kubeconfig.h"
#include "pd_metrics.h"
#include "pd_netconf.h"
#include "pd_opts.h"
#include "pd_server.h"
#include "pd_sock.h"
#include "pd_status.h"
#include "pd_spool.h"
#include "pd_store.h"
#include "pd_verbs.h"
#include "store.h"
#include "pd_watch.h"

#define DEBOUNCE_MS	100
#define RETRY_MS	1000
#define TOKEN_RESYNC_MS 60000
/* /metrics is rendered into METRICS_BUF bytes, and again into twice as
 * many while it does not fit, up to METRICS_BUF_MAX: the reported series
 * at their cap with the longest labels take about 630 KiB
 * (test_pd_verbs) */
#define METRICS_BUF	262144
#define METRICS_BUF_MAX (8 << 20)
#define CONF_DIR_EVENTS                                             \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | \
	 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)
#define TOKEN_DIR_EVENTS                                        \
	(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | \
	 IN_DELETE_SELF | IN_MOVE_SELF)

struct pd {
	struct pd_opts o;
	struct pd_metrics m;
	json_object *extra; /* --plugin-conf */
	char *server_url;
	char *own_path; /* <conf dir>/<conf name> */
	int ifd, wd_conf, wd_token, sfd;
	struct pd_server *srv;
	struct pd_sock *sock;	/* --socket */
	struct pd_store *store; /* --store-socket */
	struct pd_cache *cache[2];
	struct pd_watch *watch[2];
	struct pd_claims *claims; /* --socket: IPAMClaims, started lazily */
	struct pd_status *status; /* --socket: the network-status writer */
	struct pd_status *fetch;  /* --socket: the late pods' fetcher */
	struct pd_verbs *verbs;	  /* --socket: what plexus reports */
	char *api_kubeconfig;
	int efd; /* the watch threads wake the loop */
	const struct curl_fns *curl;
	bool curl_inited;
	bool conf_dirty, kube_dirty;
	long long debounce_at, retry_at, resync_at, spool_at;
	char last_err[PD_ERR_KINDS][CNI_ERR_MSG_MAX];
	bool stop;
};

/* count the error; log it when it differs from the last of its kind */
static void report(struct pd *d, enum pd_err_kind k, const struct cni_err *e)
{
	d->m.errors[k]++;
	if (strcmp(d->last_err[k], e->msg)) {
		cni_log(CNI_LOG_ERROR, "%s", e->msg);
		snprintf(d->last_err[k], sizeof(d->last_err[k]), "%s", e->msg);
	}
}

static void clear_err(struct pd *d, enum pd_err_kind k)
{
	d->last_err[k][0] = '\0';
}

static int install_one(struct pd *d, const char *name, const char *dst_dir,
		       struct cni_err *err)
{
	char src[PATH_MAX + 64];
	bool copied = false;
	int r;

	snprintf(src, sizeof(src), "%s/%s", d->o.source_dir, name);
	r = pd_install_file(src, dst_dir, name, 0755, &copied, err);
	if (r < 0)
		return r;
	if (copied) {
		d->m.installs++;
		cni_log(CNI_LOG_VERBOSE, "installed %s/%s", dst_dir, name);
	} else {
		d->m.installs_skipped++;
	}
	return 0;
}

static void install_all(struct pd *d)
{
	struct cni_err err = { 0 };
	int r = 0;

	if (d->o.no_install || d->m.installed) {
		d->m.installed = true;
		return;
	}
	for (int i = 0; pd_install_plugins[i] && r == 0; i++)
		r = install_one(d, pd_install_plugins[i], d->o.cni_bin_dir,
				&err);
	if (r == 0 && d->o.ctl_dir)
		r = install_one(d, "plexusctl", d->o.ctl_dir, &err);
	if (r < 0) {
		report(d, PD_ERR_INSTALL, &err);
		return;
	}
	clear_err(d, PD_ERR_INSTALL);
	d->m.installed = true;
}

static void watch_token_dir(struct pd *d)
{
	if (d->o.no_kubeconfig || d->wd_token >= 0)
		return;
	d->wd_token = inotify_add_watch(d->ifd, d->o.token_dir,
					TOKEN_DIR_EVENTS | IN_ONLYDIR);
}

static void kubeconfig_sync(struct pd *d)
{
	struct cni_err err = { 0 };
	char *text = NULL;
	bool written = false;
	int r;

	if (d->o.no_kubeconfig) {
		d->m.kubeconfig = true;
		return;
	}
	watch_token_dir(d);
	r = pd_kubeconfig_build(d->o.token_dir, d->server_url, &text, &err);
	if (r == 0)
		r = pd_netconf_write(d->o.kubeconfig, text, 0600, &written,
				     &err);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	if (r < 0) {
		report(d, PD_ERR_KUBECONFIG, &err);
		return;
	}
	clear_err(d, PD_ERR_KUBECONFIG);
	if (written) {
		d->m.kubeconfig_writes++;
		cni_log(CNI_LOG_VERBOSE, "wrote %s", d->o.kubeconfig);
	}
	d->m.kubeconfig = true;
}

/* no default network: the primary config goes (plexus could not attach
 * a pod without one) */
static void config_drop(struct pd *d)
{
	struct cni_err err = { 0 };
	bool removed = false;

	d->m.config = false;
	if (pd_netconf_remove(d->own_path, &removed, &err) < 0) {
		report(d, PD_ERR_CONFIG, &err);
		return;
	}
	if (removed) {
		d->m.config_removals++;
		cni_log(CNI_LOG_ERROR, "no default network in %s: removed %s",
			d->o.cni_conf_dir, d->own_path);
	}
}

static void config_write(struct pd *d, json_object *master, const char *path)
{
	struct pd_netconf_params p = {
		.network_name = d->o.network_name,
		.host_prefix = d->o.host_prefix,
		.kubeconfig = d->o.no_kubeconfig ? NULL : d->o.kubeconfig,
		.readiness_file = d->o.readiness_file,
		.socket = d->m.caches_on ? d->o.socket : NULL,
		.plugin_extra = d->extra,
	};
	struct cni_err err = { 0 };
	char *text = NULL;
	bool written = false;
	int r = pd_netconf_build(master, path, &p, &text, &err);

	if (r == 0)
		r = pd_netconf_write(d->own_path, text, 0644, &written, &err);
	free(text);
	if (r < 0) {
		report(d, PD_ERR_CONFIG, &err);
		return;
	}
	clear_err(d, PD_ERR_CONFIG);
	if (written) {
		d->m.config_writes++;
		cni_log(CNI_LOG_VERBOSE, "wrote %s wrapping %s", d->own_path,
			path);
	}
	d->m.config = true;
}

static void config_sync(struct pd *d)
{
	struct cni_err err = { 0 };
	json_object *master = NULL;
	char *path = NULL;
	unsigned refused = 0;
	int r;

	if (!d->m.installed || !d->m.kubeconfig)
		return;
	if (d->o.readiness_file && access(d->o.readiness_file, F_OK) < 0)
		return; /* polled every RETRY_MS */
	r = pd_netconf_pick(d->o.cni_conf_dir, d->o.conf_name, &path, &master,
			    &refused, &err);
	if (refused)
		cni_log(CNI_LOG_VERBOSE,
			"%u plexus config(s) in %s passed over: plexus never "
			"wraps itself",
			refused, d->o.cni_conf_dir);
	d->m.config_refusals += refused;
	if (r == -ENOENT)
		config_drop(d);
	else if (r < 0)
		report(d, PD_ERR_CONFIG, &err); /* keep what is written */
	else
		config_write(d, master, path);
	json_object_put(master);
	free(path);
}

static void sync_all(struct pd *d)
{
	install_all(d);
	kubeconfig_sync(d);
	config_sync(d);
}

static void watch_conf_dir(struct pd *d)
{
	if (d->wd_conf >= 0)
		return;
	cni_fs_mkdir_p(d->o.cni_conf_dir, 0755);
	d->wd_conf = inotify_add_watch(d->ifd, d->o.cni_conf_dir,
				       CONF_DIR_EVENTS | IN_ONLYDIR);
	if (d->wd_conf >= 0)
		d->conf_dirty = true; /* what changed while unwatched */
}

static void inotify_event(struct pd *d, const struct inotify_event *ev)
{
	d->m.inotify_events++;
	if (ev->mask & IN_Q_OVERFLOW) {
		d->conf_dirty = d->kube_dirty = true;
	} else if (ev->wd == d->wd_conf) {
		if (ev->mask & IN_IGNORED)
			d->wd_conf =
				-1; /* the dir went: watched again on retry */
		if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF) ||
		    (ev->len && pd_netconf_candidate(ev->name, "")))
			d->conf_dirty = true;
	} else if (ev->wd == d->wd_token) {
		if (ev->mask & IN_IGNORED)
			d->wd_token = -1;
		/* projected tokens rotate by a "..data" symlink swap: an
		 * IN_MOVED_TO of ..data; any event is a reason to look */
		d->kube_dirty = true;
	}
}

static void inotify_read(struct pd *d, long long now)
{
	char buf[8192]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(d->ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (void *)p;

			inotify_event(d, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if ((d->conf_dirty || d->kube_dirty) && !d->debounce_at)
		d->debounce_at = now + DEBOUNCE_MS;
}

static void signal_read(struct pd *d)
{
	struct signalfd_siginfo si;

	while (read(d->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			d->conf_dirty = d->kube_dirty = true;
			d->debounce_at = pd_now_ms();
		} else {
			cni_log(CNI_LOG_VERBOSE, "signal %u: exiting",
				si.ssi_signo);
			d->stop = true;
		}
	}
}

/* --- the caches and the socket --- */

/* a cache that turned full is logged once (until a list fits again) */
static void cache_bound(struct pd *d, int i)
{
	static const char *const what[2] = { "pods", "NADs" };
	long max = i ? d->o.max_cached_nads : d->o.max_cached_pods;
	bool full = false;

	d->m.cache_dropped[i] = pd_cache_dropped(d->cache[i], &full);
	if (full && !d->m.cache_full[i])
		cni_log(CNI_LOG_ERROR,
			"%s cache full: over max-cached-%s %ld, %lu dropped "
			"so far; lookups of what is not cached go to the API",
			what[i], i ? "nads" : "pods", max,
			d->m.cache_dropped[i]);
	d->m.cache_full[i] = full;
}

static void caches_snapshot(struct pd *d)
{
	long long now = pd_now_ms();

	for (int i = 0; i < 2 && d->watch[i]; i++) {
		pd_watch_stats(d->watch[i], &d->m.cache[i]);
		d->m.cache_objects[i] = pd_cache_size(d->cache[i]);
		cache_bound(d, i);
		d->m.cache_age_ms[i] = d->m.cache[i].heard_ms
					       ? now - d->m.cache[i].heard_ms
					       : -1;
	}
}

static int sock_lookup(void *ctx, const struct pd_sock_req *req,
		       char **ret_json)
{
	struct pd *d = ctx;
	int i = req->verb == PD_SOCK_POD ? PD_CACHE_PODS : PD_CACHE_NADS;
	struct pd_watch_stats st;

	if (req->verb == PD_SOCK_CLAIM)
		return pd_claims_get(d->claims, req->ns, req->name, ret_json);
	pd_watch_stats(d->watch[i], &st);
	if (!st.synced)
		return -EAGAIN;
	return pd_cache_get(d->cache[i], req->ns, req->name,
			    req->verb == PD_SOCK_POD ? req->uid : NULL,
			    ret_json);
}

static void sock_count(void *ctx, enum pd_sock_result res)
{
	struct pd *d = ctx;

	d->m.sock[res]++;
	if (res == PD_SOCK_NOT_ROOT || res == PD_SOCK_MALFORMED)
		cni_log(CNI_LOG_ERROR, "socket: %s refused",
			res == PD_SOCK_NOT_ROOT ? "a peer that is not root"
						: "a malformed request");
}

/* STATUS: the socket checked the pod against the cache */
static int sock_status(void *ctx, unsigned long long id,
		       const struct pd_sock_req *req)
{
	struct pd *d = ctx;

	return pd_status_submit(d->status, id, req->ns, req->name, req->uid,
				req->body, req->body_len);
}

/* POD: not cached after the wait; fetch it */
static int sock_fetch(void *ctx, unsigned long long id,
		      const struct pd_sock_req *req)
{
	struct pd *d = ctx;
	int r = pd_status_fetch(d->fetch, id, req->ns, req->name, req->uid);

	if (r < 0)
		d->m.fetches[PD_FETCH_BUSY]++;
	return r;
}

static void sock_report(void *ctx, const struct pd_sock_req *req)
{
	pd_verbs_take(((struct pd *)ctx)->verbs, req);
}

/* the patches done: answer them ("GONE why", "FAILED why": one line) */
static void statuses_done(struct pd *d, long long now)
{
	unsigned long long id;
	enum pd_status_rc rc;
	char msg[256], line[300];

	while (pd_status_take(d->status, &id, &rc, msg, sizeof(msg)) == 1) {
		for (char *c = msg; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		if (rc != PD_STATUS_OK)
			cni_log(CNI_LOG_VERBOSE, "network-status: %s", msg);
		snprintf(line, sizeof(line), "%s%s%.250s",
			 rc == PD_STATUS_OK	? "OK"
			 : rc == PD_STATUS_GONE ? "GONE"
						: "FAILED",
			 rc == PD_STATUS_OK ? "" : " ", msg);
		pd_sock_status_done(d->sock, id, line, now);
	}
}

/* a fetched pod of another node is not served (the cache holds this
 * node's pods only): plexus asks the API itself, as before */
static bool on_node(const struct pd *d, json_object *pod)
{
	json_object *spec = NULL;
	const char *node = NULL;

	return json_object_object_get_ex(pod, "spec", &spec) &&
	       cni_json_get_string(spec, "nodeName", NULL, &node, NULL) == 0 &&
	       !strcmp(node, d->o.node_name);
}

static enum pd_fetch_result fetch_result(enum pd_status_rc rc, bool other,
					 int r)
{
	if (r == -ECONNRESET)
		return PD_FETCH_LATE;
	if (rc == PD_STATUS_GONE)
		return PD_FETCH_NOT_FOUND;
	if (other)
		return PD_FETCH_OTHER_NODE;
	if (rc != PD_STATUS_OK)
		return PD_FETCH_FAILED;
	return r == 0	      ? PD_FETCH_SERVED
	       : r == -ESTALE ? PD_FETCH_MISMATCH
			      : PD_FETCH_FAILED;
}

/* the fetches done: answer them (OK, MISMATCH or UNKNOWN) */
static void fetches_done(struct pd *d, long long now)
{
	unsigned long long id;
	enum pd_status_rc rc;
	json_object *pod;
	char msg[256];

	while (pd_status_take_pod(d->fetch, &id, &rc, &pod, msg, sizeof(msg)) ==
	       1) {
		bool other = pod && !on_node(d, pod);
		int r = pd_sock_fetch_done(d->sock, id, other ? NULL : pod,
					   now);

		cni_log(CNI_LOG_VERBOSE, "pod fetch: %s", msg);
		d->m.fetches[fetch_result(rc, other, r)]++;
		json_object_put(pod);
	}
}

/* libcurl loaded without gnutls' implicit init: gnutls is in the process
 * only because libcurl's librtmp and libldap link it, and its library
 * constructor (ASN.1 trees, the p11-kit modules: ~0.7 MiB of RSS, issue
 * 14 item 7) is work plexusd never uses; a libcurl built on gnutls still
 * initialises it (curl_global_init calls gnutls_global_init). Set only
 * around the load, before any thread, so nothing inherits it. */
static int curl_load(struct pd *d, const char *who, struct cni_err *err)
{
	static const char env[] = "GNUTLS_NO_IMPLICIT_INIT";
	bool set = !getenv(env) && setenv(env, "1", 0) == 0;
	int r = curl_lazy(CNI_ERR_KUBERNETES, who, &d->curl, err);

	if (set)
		unsetenv(env);
	return r;
}

/* libcurl loaded and initialised once, before any thread uses it */
static int curl_start(struct pd *d, const char *who, struct cni_err *err)
{
	int r;

	if (d->curl_inited)
		return 0;
	r = curl_load(d, who, err);
	if (r < 0)
		return r;
	if (d->curl->global_init(CURL_GLOBAL_DEFAULT))
		return cni_errf(err, CNI_ERR_KUBERNETES,
				"cannot initialise libcurl");
	d->curl_inited = true;
	return 0;
}

/* --store-socket: the warm stores' threads */
static int store_start(struct pd *d, struct cni_err *err)
{
	int r;

	r = curl_start(d, "plexusd stores", err);
	/* the stores' requests counted, before any thread opens one */
	ipam_store_set_request_hook(pd_metrics_store_request);
	if (r == 0)
		r = pd_store_open(d->o.store_socket, d->o.host_prefix,
				  &d->store, err);
	if (r == 0)
		cni_log(CNI_LOG_VERBOSE, "store socket %s", d->o.store_socket);
	return r;
}

static int caches_start(struct pd *d, struct cni_err *err)
{
	struct pd_watch_params p = { .kubeconfig = d->api_kubeconfig,
				     .node_name = d->o.node_name };
	int r;

	/* libcurl loaded and initialised here, once, before the threads
	 * (their clients' init and cleanup then only count) */
	r = curl_start(d, "plexusd caches", err);
	if (r < 0)
		return r;
	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->efd < 0)
		return cni_errf(err, CNI_ERR_IO, "eventfd: %s",
				strerror(errno));
	p.wake_fd = d->efd;
	r = pd_sock_open(d->o.socket, sock_lookup, sock_count, d, &d->sock,
			 err);
	if (r == 0 && pd_verbs_new(&d->verbs) < 0)
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	if (r == 0)
		r = pd_status_start(d->api_kubeconfig, d->efd, &d->status, err);
	if (r == 0)
		r = pd_status_start_fetcher(d->api_kubeconfig, d->efd,
					    &d->fetch, err);
	if (r == 0) {
		pd_sock_set_hooks(d->sock, sock_status, sock_report);
		pd_sock_set_fetch(d->sock, sock_fetch);
	}
	if (r == 0)
		r = pd_claims_new(d->api_kubeconfig, d->efd,
				  (size_t)d->o.max_cached_claims, &d->claims,
				  err);
	for (int i = 0; i < 2 && r == 0; i++) {
		p.kind = i;
		r = pd_cache_new(i, &d->cache[i]);
		if (r < 0)
			return cni_errf(err, CNI_ERR_IO, "out of memory");
		pd_cache_set_max(d->cache[i],
				 (size_t)(i ? d->o.max_cached_nads
					    : d->o.max_cached_pods));
		r = pd_watch_start(&p, d->cache[i], &d->watch[i], err);
	}
	if (r == 0)
		cni_log(CNI_LOG_VERBOSE,
			"socket %s; caching the pods of node %s and all NADs",
			d->o.socket, d->o.node_name);
	return r;
}

static void efd_read(struct pd *d, long long now)
{
	uint64_t n;

	if (read(d->efd, &n, sizeof(n)) != sizeof(n) || !d->sock)
		return;
	caches_snapshot(d);
	pd_sock_changed(d->sock, now);
	if (d->status)
		statuses_done(d, now);
	if (d->fetch)
		fetches_done(d, now);
}

static void reply_text(struct pd_reply *r, int status, const char *text)
{
	r->status = status;
	r->body = strdup(text);
	r->len = r->body ? strlen(r->body) : 0;
}

/* Every metric into a new buffer of size bytes (*ret: the caller's to
 * free, NULL when it could not be allocated): its length, -ENOSPC when
 * it does not fit (*ret freed), -ENOMEM. */
static int metrics_render(struct pd *d, size_t size, char **ret)
{
	char *buf = malloc(size);
	int n, k;

	*ret = NULL;
	if (!buf)
		return -ENOMEM;
	n = pd_metrics_render(&d->m, pd_metrics_rss(), buf, size);
	if (n >= 0 && d->store) {
		k = pd_store_metrics(d->store, buf + n, size - (size_t)n);
		n = k < 0 ? k : n + k;
	}
	if (n >= 0 && d->claims) {
		k = pd_claims_metrics(d->claims, buf + n, size - (size_t)n);
		n = k < 0 ? k : n + k;
	}
	if (n >= 0 && d->verbs) {
		size_t len = (size_t)n;

		n = pd_verbs_render(d->verbs, buf, size, &len);
		n = n < 0 ? n : (int)len;
	}
	if (n == -ENOSPC) {
		free(buf);
		return n;
	}
	*ret = buf;
	return n;
}

static void http_handle(void *ctx, const struct pd_http_req *req,
			struct pd_reply *r)
{
	struct pd *d = ctx;
	char *buf;
	int n;

	caches_snapshot(d);
	if (!strcmp(req->path, "/healthz")) {
		reply_text(r, 200, "ok\n");
	} else if (!strcmp(req->path, "/readyz")) {
		char why[160];

		snprintf(why, sizeof(why), "not ready:%s%s%s%s\n",
			 d->m.installed ? "" : " install",
			 d->m.kubeconfig ? "" : " kubeconfig",
			 d->m.config ? "" : " config",
			 !d->m.caches_on || (d->m.cache[0].synced &&
					     d->m.cache[1].synced)
				 ? ""
				 : " caches");
		reply_text(r, pd_metrics_ready(&d->m) ? 200 : 503,
			   pd_metrics_ready(&d->m) ? "ready\n" : why);
	} else if (!strcmp(req->path, "/metrics")) {
		size_t size = METRICS_BUF;

		/* too small: try again with twice the room */
		while ((n = metrics_render(d, size, &buf)) == -ENOSPC &&
		       size < METRICS_BUF_MAX)
			size *= 2;
		r->status = n < 0 ? 503 : 200;
		r->content_type = "text/plain; version=0.0.4; charset=utf-8";
		r->body = buf;
		r->len = n < 0 ? 0 : (size_t)n;
	} else {
		reply_text(r, 404, "not found\n");
	}
}

static void http_count(void *ctx, int status)
{
	struct pd *d = ctx;

	if (status < 0) {
		d->m.http_refused_busy++;
		status = -status;
	}
	if (status >= 400 && status != 404 && status != 503)
		d->m.errors[PD_ERR_HTTP]++;
	pd_metrics_http(&d->m, status);
}

/* the reports plexus and plexus-ipam spooled while plexusd was away,
 * beside each of its sockets (cni_spool.h) */
static void spool_drain(struct pd *d, const char *socket)
{
	char path[4096];
	int r;

	if (!strcmp(socket, "none") ||
	    cni_spool_path(socket, path, sizeof(path)) < 0)
		return;
	r = pd_spool_drain(path, pd_spool_take, d->verbs, d->m.spool);
	if (r < 0)
		cni_log(CNI_LOG_ERROR, "report spool %s: %s", path,
			strerror(-r));
	else if (r > 0)
		cni_log(CNI_LOG_VERBOSE, "report spool %s: %d bytes read", path,
			r);
}

static void spool_drain_all(struct pd *d, long long now)
{
	d->spool_at = now + CNI_SPOOL_DRAIN_MS;
	if (d->m.caches_on)
		spool_drain(d, d->o.socket);
	if (strcmp(d->o.store_socket, d->o.socket))
		spool_drain(d, d->o.store_socket);
}

static void timers(struct pd *d, long long now)
{
	if (now >= d->spool_at)
		spool_drain_all(d, now);
	if (d->debounce_at && now >= d->debounce_at) {
		d->debounce_at = 0;
		if (d->kube_dirty) {
			d->kube_dirty = false;
			kubeconfig_sync(d);
		}
		if (d->conf_dirty || !d->m.config) {
			d->conf_dirty = false;
			config_sync(d);
		}
	}
	if (now >= d->retry_at) {
		d->retry_at = now + RETRY_MS;
		watch_conf_dir(d);
		if (!pd_metrics_ready(&d->m) || d->conf_dirty)
			sync_all(d);
		d->conf_dirty = false;
	}
	if (now >= d->resync_at) { /* a safety net under inotify */
		d->resync_at = now + TOKEN_RESYNC_MS;
		kubeconfig_sync(d);
		config_sync(d);
	}
}

static int next_timeout(const struct pd *d, long long now)
{
	long long t = d->resync_at < d->spool_at ? d->resync_at : d->spool_at;

	if (d->debounce_at && d->debounce_at < t)
		t = d->debounce_at;
	if ((!pd_metrics_ready(&d->m) || d->wd_conf < 0) && d->retry_at < t)
		t = d->retry_at;
	if (d->srv) {
		int s = pd_server_timeout(d->srv, now);

		if (s >= 0 && now + s < t)
			t = now + s;
	}
	if (d->sock) {
		int s = pd_sock_timeout(d->sock, now);

		if (s >= 0 && now + s < t)
			t = now + s;
	}
	return t <= now ? 0 : (int)(t - now);
}

/* fds: inotify, signalfd, eventfd (-1 without caches), the socket's,
 * the HTTP server's */
static int loop(struct pd *d)
{
	size_t ns = d->sock ? pd_sock_nfds(d->sock) : 0, nh;
	size_t max = 3 + ns + (d->srv ? pd_server_nfds(d->srv) : 0);
	struct pollfd *fds = calloc(max, sizeof(*fds));

	if (!fds)
		return -ENOMEM;
	while (!d->stop) {
		long long now = pd_now_ms();

		timers(d, now);
		fds[0] = (struct pollfd){ .fd = d->ifd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		fds[2] = (struct pollfd){ .fd = d->efd, .events = POLLIN };
		if (d->sock)
			pd_sock_fill(d->sock, fds + 3);
		nh = d->srv ? pd_server_fill(d->srv, fds + 3 + ns) : 0;
		if (poll(fds, 3 + ns + nh, next_timeout(d, now)) < 0) {
			if (errno == EINTR)
				continue;
			free(fds);
			return -errno;
		}
		now = pd_now_ms();
		if (fds[0].revents)
			inotify_read(d, now);
		if (fds[1].revents)
			signal_read(d);
		if (fds[2].revents)
			efd_read(d, now);
		if (d->sock)
			pd_sock_handle(d->sock, fds + 3, ns, now);
		if (d->srv)
			pd_server_handle(d->srv, fds + 3 + ns, nh, now);
	}
	free(fds);
	return 0;
}

static int remove_files(struct pd *d)
{
	struct cni_err err = { 0 };
	bool removed = false;
	int rc = 0;

	if (pd_netconf_remove(d->own_path, &removed, &err) < 0) {
		cni_log(CNI_LOG_ERROR, "%s", err.msg);
		rc = 1;
	} else if (removed) {
		cni_log(CNI_LOG_VERBOSE, "removed %s", d->own_path);
	}
	if (!d->o.no_kubeconfig && unlink(d->o.kubeconfig) < 0 &&
	    errno != ENOENT) {
		cni_log(CNI_LOG_ERROR, "%s: %s", d->o.kubeconfig,
			strerror(errno));
		rc = 1;
	}
	return rc;
}

static int need_abs(const char *flag, const char *v, struct cni_err *err)
{
	if (v && v[0] != '/')
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--%s: \"%s\" is not an absolute path", flag,
				v);
	return 0;
}

static int resolve_defaults(struct pd *d, struct cni_err *err)
{
	struct pd_opts *o = &d->o;
	char exe[PATH_MAX];
	ssize_t n;

	if (!o->source_dir) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return cni_errf(err, CNI_ERR_IO, "/proc/self/exe: %s",
					strerror(errno));
		exe[n] = '\0';
		o->source_dir = strdup(dirname(exe));
	}
	if (!o->kubeconfig &&
	    asprintf(&o->kubeconfig, "%s/plexus.d/plexus.kubeconfig",
		     o->cni_conf_dir) < 0)
		o->kubeconfig = NULL;
	if (asprintf(&d->own_path, "%s/%s", o->cni_conf_dir, o->conf_name) <
		    0 ||
	    !o->source_dir || !o->kubeconfig)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	return 0;
}

/* path lies under prefix (a dir of it or below) */
static bool under(const char *prefix, const char *path)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	return !strncmp(path, prefix, n) && path[n] == '/';
}

static int check_opts(const struct pd_opts *o, struct cni_err *err)
{
	const char *dot = strrchr(o->conf_name, '.');

	if (need_abs("source-dir", o->source_dir, err) ||
	    need_abs("cni-bin-dir", o->cni_bin_dir, err) ||
	    need_abs("ctl-dir", o->ctl_dir, err) ||
	    need_abs("cni-conf-dir", o->cni_conf_dir, err) ||
	    need_abs("token-dir", o->token_dir, err) ||
	    need_abs("kubeconfig-out", o->kubeconfig, err) ||
	    need_abs("readiness-indicator-file", o->readiness_file, err) ||
	    (o->host_prefix[0] && need_abs("host-prefix", o->host_prefix, err)))
		return -EINVAL;
	if (o->host_prefix[0] &&
	    (!under(o->host_prefix, o->cni_conf_dir) ||
	     !under(o->host_prefix, o->kubeconfig) ||
	     (o->readiness_file && !under(o->host_prefix, o->readiness_file))))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--host-prefix \"%s\": --cni-conf-dir, "
				"--kubeconfig-out and "
				"--readiness-indicator-file "
				"must be under it (their host paths go into "
				"the config)",
				o->host_prefix);
	if (strchr(o->conf_name, '/') || o->conf_name[0] == '.' || !dot ||
	    strcmp(dot, ".conflist"))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--conf-name: \"%s\" is not a file name ending "
				"in .conflist",
				o->conf_name);
	if (!o->network_name[0])
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--network-name: empty");
	return 0;
}

static int load_extra(struct pd *d, struct cni_err *err)
{
	char *buf = NULL;
	size_t len;
	int r;

	if (!d->o.plugin_conf)
		return 0;
	r = cni_read_file(d->o.plugin_conf, &buf, &len, err);
	if (r == 0)
		r = cni_json_parse(buf, len, d->o.plugin_conf, &d->extra, err);
	free(buf);
	if (r == 0)
		r = pd_netconf_extra_check(d->extra, !d->o.no_kubeconfig, err);
	return r;
}

/* --socket asks for the caches: a node name and API credentials */
static int setup_caches(struct pd *d, struct cni_err *err)
{
	const char *env = getenv("NODE_NAME");

	if (!d->o.node_name && env && (d->o.node_name = strdup(env)) == NULL)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (!d->o.node_name || !k8s_name_is_subdomain(d->o.node_name))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--socket needs --node-name (or NODE_NAME): "
				"\"%.253s\" is not a node name",
				d->o.node_name ? d->o.node_name : "");
	if (need_abs("socket", d->o.socket, err) ||
	    need_abs("api-kubeconfig", d->o.api_kubeconfig, err))
		return -EINVAL;
	if (!d->o.api_kubeconfig && d->o.no_kubeconfig)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--socket with --no-kubeconfig needs "
				"--api-kubeconfig");
	d->api_kubeconfig = strdup(d->o.api_kubeconfig ? d->o.api_kubeconfig
						       : d->o.kubeconfig);
	d->m.caches_on = true;
	return d->api_kubeconfig ? 0
				 : cni_errf(err, CNI_ERR_IO, "out of memory");
}

static int setup(struct pd *d, struct cni_err *err)
{
	int r = resolve_defaults(d, err);

	if (r == 0)
		r = check_opts(&d->o, err);
	if (r == 0)
		r = load_extra(d, err);
	if (r == 0 && strcmp(d->o.socket, "none") && !d->o.uninstall &&
	    !d->o.once)
		r = setup_caches(d, err);
	if (r == 0 && strcmp(d->o.store_socket, "none") &&
	    need_abs("store-socket", d->o.store_socket, err))
		r = -EINVAL;
	if (r < 0 || d->o.no_kubeconfig || d->o.uninstall)
		return r;
	d->server_url = d->o.api_server ? strdup(d->o.api_server)
					: pd_kubeconfig_server_from_env();
	if (!d->server_url)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"no API server: set --api-server or "
				"KUBERNETES_SERVICE_HOST/PORT, or pass "
				"--no-kubeconfig");
	return 0;
}

static int open_fds(struct pd *d, struct cni_err *err)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (d->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (d->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return cni_errf(err, CNI_ERR_IO, "signalfd/inotify: %s",
				strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(d->o.listen, "none") || d->o.once)
		return 0;
	return pd_server_open(d->o.listen, (int)d->o.max_connections,
			      http_handle, http_count, d, &d->srv, err);
}

static void pd_free(struct pd *d)
{
	for (int i = 0; i < 2; i++) {
		pd_watch_stop(d->watch[i]); /* before its cache goes */
		pd_cache_free(d->cache[i]);
	}
	pd_claims_free(d->claims);
	pd_status_stop(d->status);
	pd_status_stop(d->fetch);
	pd_store_close(d->store); /* its threads, before libcurl goes */
	if (d->curl_inited)
		d->curl->global_cleanup();
	pd_sock_close(d->sock);
	pd_verbs_free(d->verbs);
	if (d->efd >= 0)
		close(d->efd);
	free(d->api_kubeconfig);
	pd_server_close(d->srv);
	if (d->ifd >= 0)
		close(d->ifd);
	if (d->sfd >= 0)
		close(d->sfd);
	json_object_put(d->extra);
	free(d->server_url);
	free(d->own_path);
	pd_opts_free(&d->o);
}

static int run(struct pd *d, struct cni_err *err)
{
	int r = open_fds(d, err);

	if (r < 0)
		return 1;
	if (d->srv)
		cni_log(CNI_LOG_VERBOSE, "listening on %s (port %d)",
			d->o.listen, pd_server_port(d->srv));
	watch_conf_dir(d);
	d->conf_dirty = false;
	sync_all(d);
	if (d->o.once)
		return pd_metrics_ready(&d->m) ? 0 : 1;
	if (d->m.caches_on && caches_start(d, err) < 0)
		return 1;
	if (strcmp(d->o.store_socket, "none") && store_start(d, err) < 0)
		return 1;
	d->retry_at = pd_now_ms() + RETRY_MS;
	d->resync_at = pd_now_ms() + TOKEN_RESYNC_MS;
	spool_drain_all(d, pd_now_ms());
	r = loop(d);
	if (r < 0) {
		cni_log(CNI_LOG_ERROR, "event loop: %s", strerror(-r));
		return 1;
	}
	return d->o.cleanup_on_exit ? remove_files(d) : 0;
}

int main(int argc, char **argv)
{
	struct pd d = {
		.ifd = -1, .wd_conf = -1, .wd_token = -1, .sfd = -1, .efd = -1
	};
	struct cni_err err = { 0 };
	enum cni_log_level lvl = CNI_LOG_ERROR;
	int rc;

	/* one malloc arena for every thread: the watch threads' arenas kept
	 * megabytes each of what a list or an event burst had freed */
	mallopt(M_ARENA_MAX, 1);
	if (pd_opts_parse(argc, argv, &d.o, &err) < 0) {
		fprintf(stderr, "plexusd: %s (see --help)\n", err.msg);
		pd_opts_free(&d.o);
		return 2;
	}
	if (d.o.help) {
		pd_opts_usage(stdout);
		pd_opts_free(&d.o);
		return 0;
	}
	if (cni_log_level_parse(d.o.log_level, &lvl) < 0 ||
	    cni_log_open(d.o.log_file, lvl, "plexusd") < 0) {
		fprintf(stderr, "plexusd: --log-level/--log-file: bad value\n");
		pd_opts_free(&d.o);
		return 2;
	}
	if (setup(&d, &err) < 0) {
		cni_log(CNI_LOG_ERROR, "%s", err.msg);
		rc = 2;
	} else if (d.o.uninstall) {
		rc = remove_files(&d);
	} else {
		rc = run(&d, &err);
		if (rc && err.code)
			cni_log(CNI_LOG_ERROR, "%s", err.msg);
	}
	pd_free(&d);
	cni_log_close();
	return rc;
}
