// SPDX-License-Identifier: Apache-2.0
/* plexusd's network-status writer (pd_status.h): a queue of patches, one
 * thread sending them over one API client it keeps between jobs. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "k8s.h"
#include "pd_metrics.h"
#include "pd_status.h"

#define TRIES	       3 /* a 409, 429 or 5xx is sent again, twice */
#define RETRY_DELAY_MS 300
#define TIMEOUT_MS     4000 /* a request; plexus waits 5 s in all */
#define FETCH_QUEUE    2 /* a fetch queued behind more is past plexus' wait */

struct job {
	unsigned long long id;
	char *ns, *name, *uid, *json; /* json NULL: a GET of the pod */
	json_object *pod;	      /* a GET's answer (2xx) */
	enum pd_status_rc rc;
	char msg[256];
};

struct pd_status {
	char *kubeconfig;
	int wake_fd;
	int timeout_ms;	   /* a request's */
	size_t max_queued; /* jobs waiting at most */
	bool warm;	   /* the fetcher: its connection opened ahead */
	bool cold;	   /* warm: a failed fetch dropped the client */
	pthread_t th;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;
	bool stop;
	struct job *queued[PD_STATUS_QUEUE], *done[PD_STATUS_QUEUE];
	size_t n_queued, n_done;
	/* the thread's own */
	struct k8s_config *cfg;
	struct k8s_client *cl;
	struct stat kc_st; /* the kubeconfig the client was made from */
};

static void job_free(struct job *j)
{
	if (!j)
		return;
	free(j->ns);
	free(j->name);
	free(j->uid);
	free(j->json);
	json_object_put(j->pod);
	free(j);
}

static void client_drop(struct pd_status *s)
{
	k8s_client_free(s->cl);
	k8s_config_free(s->cfg);
	s->cl = NULL;
	s->cfg = NULL;
}

/* the client, made again when the kubeconfig file changed (a rotated
 * token) or after a failure dropped it */
static int client(struct pd_status *s, struct cni_err *err)
{
	struct stat st = { 0 };
	int r;

	if (stat(s->kubeconfig, &st) == 0 && s->cl &&
	    (st.st_ino != s->kc_st.st_ino || st.st_size != s->kc_st.st_size ||
	     st.st_mtim.tv_sec != s->kc_st.st_mtim.tv_sec ||
	     st.st_mtim.tv_nsec != s->kc_st.st_mtim.tv_nsec))
		client_drop(s);
	if (s->cl)
		return 0;
	r = k8s_kubeconfig_load(s->kubeconfig, &s->cfg, err);
	if (r == 0) {
		s->cfg->timeout_ms = s->timeout_ms;
		if (s->cfg->connect_timeout_ms > s->timeout_ms)
			s->cfg->connect_timeout_ms = s->timeout_ms;
		r = k8s_client_new(s->cfg, &s->cl, err);
	}
	if (r < 0) {
		client_drop(s);
		return r;
	}
	s->kc_st = st;
	return 0;
}

static void outcome(struct job *j, long st, json_object *body)
{
	json_object *m = NULL;
	const char *msg = "";

	if (st >= 200 && st < 300) {
		j->rc = PD_STATUS_OK;
		return;
	}
	j->rc = st == 404 ? PD_STATUS_GONE : PD_STATUS_FAILED;
	if (body && json_object_object_get_ex(body, "message", &m) &&
	    json_object_is_type(m, json_type_string))
		msg = json_object_get_string(m);
	snprintf(j->msg, sizeof(j->msg), "%s pod %s/%s: HTTP %ld%s%.180s",
		 j->json ? "PATCH" : "GET", j->ns, j->name, st,
		 *msg ? ": " : "", msg);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void patch(struct pd_status *s, struct job *j)
{
	struct cni_err err = { 0 };
	json_object *p = k8s_status_patch(j->json, j->uid), *body = NULL;
	char path[512];
	long st = 0;
	int r = p ? client(s, &err) : cni_errf(&err, CNI_ERR_IO, "no memory");

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", j->ns,
		 j->name);
	for (int t = 0; r == 0 && t < TRIES; t++) {
		if (t)
			sleep_ms(RETRY_DELAY_MS);
		json_object_put(body);
		body = NULL;
		double t0 = now_ms();

		r = k8s_request(s->cl, "PATCH", path,
				"application/merge-patch+json", cni_json_str(p),
				&st, &body, &err);
		pd_api_observe(PD_API_PATCH, r < 0 ? 0 : st,
			       (now_ms() - t0) / 1e3);
		if (r == 0 && st != 409 && st != 429 && st < 500)
			break;
	}
	if (r < 0) {
		client_drop(s); /* a new connection and credentials next */
		j->rc = PD_STATUS_FAILED;
		snprintf(j->msg, sizeof(j->msg), "%.250s", err.msg);
	} else {
		outcome(j, st, body);
	}
	json_object_put(body);
	json_object_put(p);
}

/* a fetch: one GET of the pod, not sent again (plexus waits for it);
 * its time in j->msg, whatever the outcome (logged by the loop) */
static void get(struct pd_status *s, struct job *j)
{
	struct cni_err err = { 0 };
	json_object *body = NULL;
	char path[512];
	long st = 0;
	double t0 = now_ms();
	bool fresh = !s->cl;
	int r = client(s, &err);

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", j->ns,
		 j->name);
	if (r == 0) {
		double t1 = now_ms();

		r = k8s_request(s->cl, "GET", path, NULL, NULL, &st, &body,
				&err);
		pd_api_observe(PD_API_GET, r < 0 ? 0 : st,
			       (now_ms() - t1) / 1e3);
	}
	if (r < 0) {
		client_drop(s);
		s->cold = s->warm; /* this thread's own, as s->cl */
		j->rc = PD_STATUS_FAILED;
		snprintf(j->msg, sizeof(j->msg), "%.200s", err.msg);
	} else {
		outcome(j, st, body);
		if (j->rc == PD_STATUS_OK) {
			j->pod = body;
			body = NULL;
			snprintf(j->msg, sizeof(j->msg),
				 "GET pod %.60s/%.60s: "
				 "HTTP %ld",
				 j->ns, j->name, st);
		}
	}
	snprintf(j->msg + strlen(j->msg), sizeof(j->msg) - strlen(j->msg),
		 " in %.1f ms%s", now_ms() - t0,
		 fresh ? " (a new client)" : "");
	json_object_put(body);
}

static void wake(struct pd_status *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the loop is awake anyway */
	}
}

/* The fetcher's connection opened before the first late pod needs it:
 * the kubeconfig read, the client made, and one GET /version (public,
 * cheap) sent with the status writer's timeout, so that the TCP and TLS
 * handshakes are done; libcurl keeps the connection for the next GET.
 * At start, and again after a failed fetch dropped the client. */
static void warm(struct pd_status *s)
{
	struct cni_err err = { 0 };
	json_object *body = NULL;
	long st = 0;
	int r = client(s, &err);

	if (r == 0) {
		k8s_client_set_timeouts(s->cl, TIMEOUT_MS, TIMEOUT_MS);
		r = k8s_request(s->cl, "GET", "/version", NULL, NULL, &st,
				&body, &err);
		pd_api_count(PD_API_VERSION, r < 0 ? 0 : st);
	}
	if (r == 0)
		k8s_client_set_timeouts(s->cl, s->cfg->connect_timeout_ms,
					s->timeout_ms);
	else
		client_drop(s);
	json_object_put(body);
}

static void *run(void *arg)
{
	struct pd_status *s = arg;

	if (s->warm)
		warm(s);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct job *j;

		while (!s->stop && !s->n_queued) {
			if (s->cold) { /* once after each failed fetch */
				s->cold = false;
				pthread_mutex_unlock(&s->lock);
				warm(s);
				pthread_mutex_lock(&s->lock);
				continue;
			}
			pthread_cond_wait(&s->cond, &s->lock);
		}
		if (s->stop)
			break;
		j = s->queued[0];
		memmove(s->queued, s->queued + 1,
			--s->n_queued * sizeof(*s->queued));
		pthread_mutex_unlock(&s->lock);
		if (j->json)
			patch(s, j);
		else
			get(s, j);
		pthread_mutex_lock(&s->lock);
		s->done[s->n_done++] = j; /* room: submit counts done too */
		wake(s);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void status_free(struct pd_status *s)
{
	for (size_t i = 0; i < s->n_queued; i++)
		job_free(s->queued[i]);
	for (size_t i = 0; i < s->n_done; i++)
		job_free(s->done[i]);
	client_drop(s);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->kubeconfig);
	free(s);
}

static int start(const char *kubeconfig, int wake_fd, int timeout_ms,
		 size_t max_queued, bool warm_up, struct pd_status **ret,
		 struct cni_err *err)
{
	struct pd_status *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	s->timeout_ms = timeout_ms;
	s->max_queued = max_queued;
	s->warm = warm_up;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->wake_fd = wake_fd;
	s->kubeconfig = strdup(kubeconfig);
	if (!s->kubeconfig) {
		status_free(s);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	r = pthread_create(&s->th, NULL, run, s);
	if (r) {
		status_free(s);
		return cni_errf(err, CNI_ERR_IO, "network-status thread: %s",
				strerror(r));
	}
	*ret = s;
	return 0;
}

int pd_status_start(const char *kubeconfig, int wake_fd, struct pd_status **ret,
		    struct cni_err *err)
{
	return start(kubeconfig, wake_fd, TIMEOUT_MS, PD_STATUS_QUEUE, false,
		     ret, err);
}

int pd_status_start_fetcher(const char *kubeconfig, int wake_fd,
			    struct pd_status **ret, struct cni_err *err)
{
	return start(kubeconfig, wake_fd, PD_FETCH_TIMEOUT_MS, FETCH_QUEUE,
		     true, ret, err);
}

void pd_status_stop(struct pd_status *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->th, NULL);
	status_free(s);
}

static struct job *job_new(unsigned long long id, const char *ns,
			   const char *name, const char *uid)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !(j->ns = strdup(ns)) || !(j->name = strdup(name)) ||
	    !(j->uid = strdup(uid))) {
		job_free(j);
		return NULL;
	}
	j->id = id;
	return j;
}

static int submit(struct pd_status *s, struct job *j)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	/* the thread always has room for a job it finishes */
	if (s->n_queued + s->n_done + 1 >= PD_STATUS_QUEUE ||
	    s->n_queued >= s->max_queued)
		r = -EBUSY;
	else
		s->queued[s->n_queued++] = j;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (r < 0)
		job_free(j);
	return r;
}

int pd_status_submit(struct pd_status *s, unsigned long long id, const char *ns,
		     const char *name, const char *uid, const char *json,
		     size_t len)
{
	struct job *j = job_new(id, ns, name, uid);

	if (!j || !(j->json = strndup(json, len))) {
		job_free(j);
		return -ENOMEM;
	}
	return submit(s, j);
}

int pd_status_fetch(struct pd_status *s, unsigned long long id, const char *ns,
		    const char *name, const char *uid)
{
	struct job *j = job_new(id, ns, name, uid);

	return j ? submit(s, j) : -ENOMEM;
}

static struct job *take(struct pd_status *s)
{
	struct job *j = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->n_done) {
		j = s->done[0];
		memmove(s->done, s->done + 1, --s->n_done * sizeof(*s->done));
	}
	pthread_mutex_unlock(&s->lock);
	return j;
}

int pd_status_take_pod(struct pd_status *s, unsigned long long *ret_id,
		       enum pd_status_rc *ret_rc, json_object **ret_pod,
		       char *msg, size_t msg_size)
{
	struct job *j = take(s);

	if (!j)
		return 0;
	*ret_id = j->id;
	*ret_rc = j->rc;
	*ret_pod = j->pod;
	j->pod = NULL;
	snprintf(msg, msg_size, "%s", j->msg);
	job_free(j);
	return 1;
}

int pd_status_take(struct pd_status *s, unsigned long long *ret_id,
		   enum pd_status_rc *ret_rc, char *msg, size_t msg_size)
{
	struct job *j = take(s);

	if (!j)
		return 0;
	*ret_id = j->id;
	*ret_rc = j->rc;
	snprintf(msg, msg_size, "%s", j->msg);
	job_free(j);
	return 1;
}
