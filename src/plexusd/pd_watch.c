// SPDX-License-Identifier: Apache-2.0
/* plexusd's watch threads (pd_watch.h): one per cache, each with its own
 * API client (blocking libcurl), writing the cache under its mutex and
 * waking the event loop through an eventfd. */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_log.h"
#include "k8s.h"
#include "pd_list.h"
#include "pd_metrics.h"
#include "pd_watch.h"

#define PAGE		"500"
#define WATCH_TIMEOUT_S 300 /* the server ends a stream after this */
#define WATCH_IDLE_S	(WATCH_TIMEOUT_S + 30)
#define LIST_TIMEOUT_MS 5000
#define BACKOFF_MIN_MS	200
#define BACKOFF_MAX_MS	30000
#define RELIST_PAUSE_MS 1000
#define PATH_MAX_LEN	1024
#define PODS_PATH	"/api/v1/pods"
#define NADS_PATH	"/apis/k8s.cni.cncf.io/v1/network-attachment-definitions"
#define CLAIMS_PATH	"/apis/k8s.cni.cncf.io/v1alpha1/ipamclaims"

struct pd_watch {
	enum pd_cache_kind kind;
	char *kubeconfig;
	char *selector; /* "fieldSelector=...&" or "" */
	int wake_fd;
	struct pd_cache *cache;
	pthread_t th;
	atomic_bool stop;
	pthread_mutex_t lock; /* st */
	struct pd_watch_stats st;
	bool need_list;
	bool bad_event; /* on_line refused an event: bad_msg says why */
	char bad_msg[CNI_ERR_MSG_MAX];
	unsigned long applied; /* events since the last list */
	char last_err[CNI_ERR_MSG_MAX];
};

#define STAT(w, expr)                             \
	do {                                      \
		pthread_mutex_lock(&(w)->lock);   \
		(w)->st.expr;                     \
		pthread_mutex_unlock(&(w)->lock); \
	} while (0)

static const char *kind_what(enum pd_cache_kind kind)
{
	return kind == PD_CACHE_PODS   ? "pods"
	       : kind == PD_CACHE_NADS ? "NADs"
				       : "IPAMClaims";
}

static const char *what(const struct pd_watch *w)
{
	return kind_what(w->kind);
}

static const char *base(const struct pd_watch *w)
{
	return w->kind == PD_CACHE_PODS	  ? PODS_PATH
	       : w->kind == PD_CACHE_NADS ? NADS_PATH
					  : CLAIMS_PATH;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(struct pd_watch *w)
{
	uint64_t one = 1;

	if (write(w->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the loop is awake anyway */
	}
}

static void fail(struct pd_watch *w, const struct cni_err *e)
{
	STAT(w, errors++);
	if (strcmp(w->last_err, e->msg)) {
		cni_log(CNI_LOG_ERROR, "%s cache: %s", what(w), e->msg);
		snprintf(w->last_err, sizeof(w->last_err), "%s", e->msg);
	}
}

/* a query value: unreserved bytes as they are, the rest %XX */
static void query_escape(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < size; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || strchr("-._~", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

static int on_item(void *ctx, const char *item, size_t n, struct cni_err *err)
{
	return pd_cache_list_item(ctx, item, n, err);
}

/* the list's resourceVersion (the first page's) and continue token */
static void page_meta(json_object *md, char *rv, size_t rv_size,
		      char **ret_cont)
{
	json_object *v;

	if (!md)
		return;
	if (!*rv && json_object_object_get_ex(md, "resourceVersion", &v))
		snprintf(rv, rv_size, "%s", json_object_get_string(v));
	if (json_object_object_get_ex(md, "continue", &v) &&
	    *json_object_get_string(v))
		*ret_cont = strdup(json_object_get_string(v));
}

/* one page: its items cut into l one at a time, the next continue token */
static int list_page(struct pd_watch *w, struct k8s_client *cl,
		     const char *cont, struct pd_cache_list *l, char *rv,
		     size_t rv_size, char **ret_cont, struct cni_err *err)
{
	json_object *md = NULL;
	char path[PATH_MAX_LEN], esc[PATH_MAX_LEN / 2], *text = NULL;
	size_t len = 0;
	long st = 0;
	int r;

	*ret_cont = NULL;
	if (cont && strlen(cont) * 3 >= sizeof(esc))
		return cni_errf(err, CNI_ERR_KUBERNETES,
				"list %s: continue token of %zu bytes", what(w),
				strlen(cont));
	query_escape(cont ? cont : "", esc, sizeof(esc));
	snprintf(path, sizeof(path), "%s?%slimit=" PAGE "%s%s", base(w),
		 w->selector, cont ? "&continue=" : "", esc);
	STAT(w, lists++);
	r = k8s_get_text(cl, path, &st, &text, &len, err);
	pd_api_count(PD_API_LIST, r < 0 ? 0 : st);
	if (r == 0 && st == 404 && w->kind == PD_CACHE_CLAIMS)
		r = cni_errf(err, CNI_ERR_KUBERNETES,
			     "list IPAMClaims: HTTP 404: the IPAMClaim CRD is "
			     "not installed (crd/ipamclaims.yaml); claims "
			     "are left to plexus-ipam, listing again after "
			     "a backoff");
	if (r == 0 && st != 200)
		r = cni_errf(err, CNI_ERR_KUBERNETES,
			     "list %s: HTTP %ld, no items", what(w), st);
	if (r == 0)
		r = pd_list_scan(text, len, on_item, l, &md, err);
	free(text);
	if (r == 0)
		page_meta(md, rv, rv_size, ret_cont);
	json_object_put(md);
	return r;
}

static int list_all(struct pd_watch *w, struct k8s_client *cl,
		    struct cni_err *err)
{
	struct pd_cache_list *l = NULL;
	char rv[64] = "", *cont = NULL, *next = NULL;
	int r;

	if (pd_cache_list_new(w->cache, &l) < 0)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	do {
		r = list_page(w, cl, cont, l, rv, sizeof(rv), &next, err);
		free(cont);
		cont = next;
		next = NULL;
	} while (r == 0 && cont && !atomic_load(&w->stop));
	free(cont);
	if (r < 0) {
		pd_cache_list_free(l);
		return r;
	}
	pd_cache_list_commit(l, rv);
	malloc_trim(0); /* the pages' trees and the old table are freed */
	w->need_list = false;
	w->applied = 0;
	STAT(w, synced = true);
	STAT(w, heard_ms = now_ms());
	cni_log(CNI_LOG_VERBOSE, "%s cache: listed %zu at resourceVersion %s",
		what(w), pd_cache_size(w->cache), rv);
	wake(w);
	return 0;
}

static int on_line(void *ctx, char *line, size_t len)
{
	struct pd_watch *w = ctx;
	struct cni_err err = { 0 };
	int r = pd_cache_event(w->cache, line, len, &err);

	if (r == 0) {
		STAT(w, events++);
		STAT(w, heard_ms = now_ms());
		w->applied++;
		wake(w);
		return 0;
	}
	if (r == -ESTALE) {
		STAT(w, relists++);
	} else { /* an event we cannot apply: list again, after a backoff */
		w->bad_event = true;
		snprintf(w->bad_msg, sizeof(w->bad_msg), "%s", err.msg);
	}
	w->need_list = true;
	return 1;
}

static bool stopping(void *ctx)
{
	return atomic_load(&((struct pd_watch *)ctx)->stop);
}

static int watch_once(struct pd_watch *w, struct k8s_client *cl,
		      struct cni_err *err)
{
	char path[PATH_MAX_LEN], rv[64];
	long st = 0;
	int r;

	pd_cache_rv(w->cache, rv, sizeof(rv));
	snprintf(path, sizeof(path),
		 "%s?%swatch=1&allowWatchBookmarks=true&timeoutSeconds=%d"
		 "&resourceVersion=%s",
		 base(w), w->selector, WATCH_TIMEOUT_S, rv);
	STAT(w, watches++);
	r = k8s_watch(cl, path, WATCH_IDLE_S, on_line, stopping, w, &st, err);
	/* counted when it ends; a stream ended by us was answered 200 */
	pd_api_count(PD_API_WATCH, r == 0 ? st : r == -ECANCELED ? 200 : 0);
	if (r == -ECANCELED && w->bad_event) {
		w->bad_event = false;
		return cni_errf(err, CNI_ERR_KUBERNETES, "%s", w->bad_msg);
	}
	if (r == -ECANCELED)
		return 0; /* stopping, or a relist asked by on_line */
	if (r == 0 && st == 410) {
		STAT(w, relists++);
		w->need_list = true;
		return 0;
	}
	if (r == 0 && st != 200)
		r = cni_errf(err, CNI_ERR_KUBERNETES, "watch %s: HTTP %ld",
			     what(w), st);
	if (r < 0)
		STAT(w, restarts++);
	return r;
}

/* one connection: list if needed, then one watch stream */
static int round_once(struct pd_watch *w, struct cni_err *err)
{
	struct k8s_config *cfg = NULL;
	struct k8s_client *cl = NULL;
	int r = k8s_kubeconfig_load(w->kubeconfig, &cfg, err);

	if (r == 0) {
		cfg->timeout_ms = LIST_TIMEOUT_MS;
		r = k8s_client_new(cfg, &cl, err);
	}
	if (r == 0 && w->need_list)
		r = list_all(w, cl, err);
	if (r == 0 && !atomic_load(&w->stop))
		r = watch_once(w, cl, err);
	k8s_client_free(cl);
	k8s_config_free(cfg);
	return r;
}

static void nap(struct pd_watch *w, int ms)
{
	struct timespec ts = { 0, 100 * 1000000L };

	for (; ms > 0 && !atomic_load(&w->stop); ms -= 100)
		nanosleep(&ts, NULL);
}

static void *run(void *arg)
{
	struct pd_watch *w = arg;
	int backoff = 0;

	while (!atomic_load(&w->stop)) {
		struct cni_err err = { 0 };

		if (round_once(w, &err) == 0) {
			backoff = 0;
			/* a 410 at once after a list: do not list in a loop */
			if (w->need_list && !w->applied)
				nap(w, RELIST_PAUSE_MS);
			continue;
		}
		fail(w, &err);
		backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
		nap(w, backoff);
	}
	return NULL;
}

static void watch_free(struct pd_watch *w)
{
	free(w->kubeconfig);
	free(w->selector);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int pd_watch_start(const struct pd_watch_params *p, struct pd_cache *cache,
		   struct pd_watch **ret, struct cni_err *err)
{
	struct pd_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	pthread_mutex_init(&w->lock, NULL);
	w->kind = p->kind;
	w->cache = cache;
	w->wake_fd = p->wake_fd;
	w->need_list = true;
	w->kubeconfig = strdup(p->kubeconfig);
	if (p->kind == PD_CACHE_PODS)
		r = asprintf(&w->selector, "fieldSelector=spec.nodeName%%3D%s&",
			     p->node_name);
	else
		r = (w->selector = strdup("")) ? 0 : -1;
	if (r < 0 || !w->kubeconfig) {
		watch_free(w);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	r = pthread_create(&w->th, NULL, run, w);
	if (r) {
		watch_free(w);
		return cni_errf(err, CNI_ERR_IO, "%s cache thread: %s",
				kind_what(p->kind), strerror(r));
	}
	*ret = w;
	return 0;
}

void pd_watch_stop(struct pd_watch *w)
{
	if (!w)
		return;
	atomic_store(&w->stop, true);
	pthread_join(w->th, NULL);
	watch_free(w);
}

void pd_watch_stats(struct pd_watch *w, struct pd_watch_stats *ret)
{
	pthread_mutex_lock(&w->lock);
	*ret = w->st;
	pthread_mutex_unlock(&w->lock);
}
