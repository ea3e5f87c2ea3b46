/* SPDX-License-Identifier: Apache-2.0 */
/* The Kubernetes API over libcurl: GET pod, GET NAD, PATCH the pod's
 * network-status, any request for other users (the IPAM store), and a
 * watch stream read line by line (plexusd's caches). TLS
 * is always verified; every call has a timeout; no message carries a
 * token, key or certificate. libcurl is loaded when the first client is
 * made (curl_lazy.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "curl_lazy.h"
#include "k8s.h"

#define KE CNI_ERR_KUBERNETES

struct k8s_client {
	struct k8s_config cfg; /* borrowed strings of the caller's config */
	char *auth;	       /* "Authorization: Bearer ..." or NULL */
	CURL *curl;
	unsigned requests;
	int64_t deadline; /* cni_deadline.h; 0: none */
};

/* libcurl's functions, set by the first k8s_client_new */
static const struct curl_fns *cu;

struct buf {
	char *data;
	size_t len;
	bool too_big;
};

static size_t buf_write(char *p, size_t sz, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = sz * n;
	char *nd;

	if (b->len + len > K8S_RESPONSE_MAX) {
		b->too_big = true;
		return 0;
	}
	nd = realloc(b->data, b->len + len + 1);
	if (!nd)
		return 0;
	memcpy(nd + b->len, p, len);
	b->data = nd;
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

static void secret_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

void k8s_client_free(struct k8s_client *c)
{
	if (!c)
		return;
	if (c->curl) {
		cu->easy_cleanup(c->curl);
		cu->global_cleanup();
	}
	secret_free(c->auth);
	free(c);
}

void k8s_client_set_deadline(struct k8s_client *c, int64_t deadline)
{
	c->deadline = deadline;
}

void k8s_client_set_timeouts(struct k8s_client *c, int connect_ms, int total_ms)
{
	c->cfg.connect_timeout_ms = connect_ms;
	c->cfg.timeout_ms = total_ms;
}

unsigned k8s_client_requests(const struct k8s_client *c)
{
	return c ? c->requests : 0;
}

/* The bearer token: the literal one, else the file read now (so a
 * rotated service-account token is picked up on every run). */
static int token_load(const struct k8s_config *cfg, char **ret,
		      struct cni_err *err)
{
	char *tok = NULL, *p;
	size_t len = 0;
	int r;

	*ret = NULL;
	if (cfg->token)
		return asprintf(ret, "Authorization: Bearer %s", cfg->token) < 0
			       ? cni_errf(err, CNI_ERR_IO, "out of memory")
			       : 0;
	if (!cfg->token_file)
		return 0;
	r = cni_read_file(cfg->token_file, &tok, &len, err);
	if (r) {
		if (err)
			err->code = KE;
		return r;
	}
	while (len && strchr(" \t\r\n", tok[len - 1]))
		tok[--len] = '\0';
	for (p = tok; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			break;
	if (!len || *p)
		r = cni_errf(err, KE, "token file %s: empty or not a token",
			     cfg->token_file);
	else if (asprintf(ret, "Authorization: Bearer %s", tok) < 0)
		r = cni_errf(err, CNI_ERR_IO, "out of memory");
	secret_free(tok);
	return r;
}

static void blob_set(CURL *h, CURLoption opt, char *data, size_t len)
{
	struct curl_blob blob = { .data = data,
				  .len = len,
				  .flags = CURL_BLOB_COPY };

	cu->easy_setopt(h, opt, &blob);
}

static void curl_tls_set(CURL *h, const struct k8s_config *cfg)
{
	cu->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	cu->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (cfg->ca_data)
		blob_set(h, CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_len);
	else if (cfg->ca_file)
		cu->easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->cert_data)
		blob_set(h, CURLOPT_SSLCERT_BLOB, cfg->cert_data,
			 cfg->cert_len);
	else if (cfg->cert_file)
		cu->easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
	if (cfg->key_data)
		blob_set(h, CURLOPT_SSLKEY_BLOB, cfg->key_data, cfg->key_len);
	else if (cfg->key_file)
		cu->easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
	cu->easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	cu->easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
}

int k8s_client_new(const struct k8s_config *cfg, struct k8s_client **ret,
		   struct cni_err *err)
{
	struct k8s_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	c->cfg = *cfg;
	r = curl_lazy(KE, "kubernetes client", &cu, err);
	if (r == 0)
		r = token_load(cfg, &c->auth, err);
	if (r) {
		free(c);
		return r;
	}
	if (cu->global_init(CURL_GLOBAL_DEFAULT) ||
	    !(c->curl = cu->easy_init())) {
		if (!c->curl)
			cu->global_cleanup();
		secret_free(c->auth);
		free(c);
		return cni_errf(err, KE, "cannot initialise libcurl");
	}
	curl_tls_set(c->curl, cfg);
	cu->easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
	cu->easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			(long)cfg->connect_timeout_ms);
	cu->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	cu->easy_setopt(c->curl, CURLOPT_USERAGENT, "plexus");
	cu->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, buf_write);
	*ret = c;
	return 0;
}

/* --- one request --- */

/* accept NULL: application/json */
static struct curl_slist *headers(const struct k8s_client *c,
				  const char *accept, const char *content_type)
{
	struct curl_slist *h = NULL, *t;
	char ct[128], ac[160];

	snprintf(ac, sizeof(ac), "Accept: %s",
		 accept ? accept : "application/json");
	h = cu->slist_append(h, ac);
	if (h && content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		t = cu->slist_append(h, ct);
		h = t ? t : (cu->slist_free_all(h), NULL);
	}
	if (h && c->auth) {
		t = cu->slist_append(h, c->auth);
		h = t ? t : (cu->slist_free_all(h), NULL);
	}
	return h;
}

/* One HTTP exchange: 0 with the status and the raw answer in b (any
 * status), or a transport failure (code CNI_ERR_KUBERNETES). */
static int exchange(struct k8s_client *c, const char *method, const char *path,
		    const char *accept, const char *content_type,
		    const char *body, const char *what, long *ret_status,
		    struct buf *b, struct cni_err *err)
{
	char ebuf[CURL_ERROR_SIZE] = "", *url = NULL;
	struct curl_slist *h = headers(c, accept, body ? content_type : NULL);
	bool get = strcmp(method, "GET") == 0;
	long status = 0;
	CURLcode cr;

	*ret_status = 0;
	if (cni_deadline_passed(c->deadline)) {
		cu->slist_free_all(h);
		return cni_errf(err, CNI_ERR_TRY_AGAIN,
				"%s: the call's deadline passed", what);
	}
	if (!h || asprintf(&url, "%s%s", c->cfg.server, path) < 0) {
		cu->slist_free_all(h);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	cu->easy_setopt(c->curl, CURLOPT_URL, url);
	cu->easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	cu->easy_setopt(c->curl, CURLOPT_WRITEDATA, b);
	cu->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, ebuf);
	cu->easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	if (!body)
		cu->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	cu->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, get ? NULL : method);
	/* 0 would mean "no timeout" to libcurl: at least 1 ms */
	cu->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS,
			(long)cni_deadline_left(c->deadline, c->cfg.timeout_ms)
				?: 1L);
	cu->easy_setopt(
		c->curl, CURLOPT_CONNECTTIMEOUT_MS,
		(long)cni_deadline_left(c->deadline, c->cfg.connect_timeout_ms)
			?: 1L);
	c->requests++;
	cr = cu->easy_perform(c->curl);
	cu->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	cu->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	cu->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	cu->slist_free_all(h);
	free(url);
	*ret_status = cr == CURLE_OK ? status : 0;
	if (b->too_big) /* cut at the limit: a list asks for smaller pages */
		return cni_err_too_large(err,
					 "the Kubernetes client's answer "
					 "limit",
					 K8S_RESPONSE_MAX, what, 0);
	if (cr != CURLE_OK)
		return cni_errf(err, KE, "%s: %s: %s%s%s", what, c->cfg.server,
				cu->easy_strerror(cr), *ebuf ? ": " : "", ebuf);
	return 0;
}

/* One request of the fixed calls; body NULL means GET, else PATCH. */
static int request(struct k8s_client *c, const char *path, const char *body,
		   const char *what, long *ret_status, json_object **ret,
		   struct cni_err *err)
{
	struct buf b = { 0 };
	int r;

	r = exchange(c, body ? "PATCH" : "GET", path, NULL,
		     "application/merge-patch+json", body, what, ret_status, &b,
		     err);
	if (r == 0)
		r = k8s_response_parse(*ret_status, b.data ? b.data : "", b.len,
				       what, ret, err);
	free(b.data);
	return r;
}

/* The body as an object; an unusable body of a 2xx answer is an error
 * with its cause (a list must never read as "no items"); of any other
 * status it is dropped (the status says what happened). */
static int body_parse(long st, const struct buf *b, const char *what,
		      json_object **ret, struct cni_err *err)
{
	struct cni_err perr = { 0 };
	json_object *doc = NULL;
	int r = cni_json_parse_max(b->data, b->len, K8S_RESPONSE_MAX, what,
				   &doc, &perr);

	if (r == 0 && !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		doc = NULL;
		r = cni_errf(&perr, CNI_ERR_DECODE, "%s: not an object", what);
	}
	if (r < 0 && st >= 200 && st < 300 && perr.code == CNI_ERR_TOO_LARGE) {
		if (err)
			*err = perr;
		return r;
	}
	if (r < 0 && st >= 200 && st < 300)
		return cni_errf(err, CNI_ERR_KUBERNETES,
				"HTTP %ld, the answer is not a JSON object: "
				"%s",
				st, perr.msg);
	*ret = doc;
	return 0;
}

int k8s_request(struct k8s_client *c, const char *method, const char *path,
		const char *content_type, const char *body, long *ret_status,
		json_object **ret_body, struct cni_err *err)
{
	return k8s_request_accept(c, method, path, NULL, content_type, body,
				  ret_status, ret_body, err);
}

int k8s_request_accept(struct k8s_client *c, const char *method,
		       const char *path, const char *accept,
		       const char *content_type, const char *body,
		       long *ret_status, json_object **ret_body,
		       struct cni_err *err)
{
	json_object *doc = NULL;
	struct buf b = { 0 };
	char what[300];
	long st;
	int r;

	snprintf(what, sizeof(what), "%s %.250s", method, path);
	r = exchange(c, method, path, accept,
		     content_type ? content_type : "application/json", body,
		     what, &st, &b, err);
	if (r == 0 && b.len)
		r = body_parse(st, &b, what, &doc, err);
	free(b.data);
	if (r < 0)
		return r;
	*ret_status = st;
	*ret_body = doc;
	return 0;
}

int k8s_get_text(struct k8s_client *c, const char *path, long *ret_status,
		 char **ret_text, size_t *ret_len, struct cni_err *err)
{
	struct buf b = { 0 };
	char what[300];
	long st;
	int r;

	snprintf(what, sizeof(what), "GET %.250s", path);
	r = exchange(c, "GET", path, NULL, NULL, NULL, what, &st, &b, err);
	if (r < 0) {
		free(b.data);
		return r;
	}
	*ret_status = st;
	*ret_text = b.data;
	*ret_len = b.len;
	return 0;
}

static bool retryable(long status)
{
	return status == 409 || status == 429 || status >= 500;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* A request retried on 5xx/409 twice, and on 404 `retries_404` times. */
static int request_retry(struct k8s_client *c, const char *path,
			 const char *body, const char *what, int retries_404,
			 json_object **ret, struct cni_err *err)
{
	int r, other = 2;
	long st;

	for (;;) {
		r = request(c, path, body, what, &st, ret, err);
		if (r == 0)
			return 0;
		if (st == 404 && retries_404-- > 0)
			;
		else if (retryable(st) && other-- > 0)
			;
		else
			return r;
		sleep_ms(c->cfg.retry_delay_ms);
	}
}

static int names_check(const char *ns, const char *name, const char *what,
		       struct cni_err *err)
{
	if (k8s_name_is_label(ns) && k8s_name_is_subdomain(name))
		return 0;
	return cni_errf(err, KE,
			"%s: \"%.64s/%.253s\" is not a valid "
			"namespace/name",
			what, ns, name);
}

int k8s_pod_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err)
{
	char path[512], what[400];

	snprintf(what, sizeof(what), "GET pod %s/%s", ns, name);
	if (names_check(ns, name, what, err))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, name);
	return request_retry(c, path, NULL, what, c->cfg.pod_retries, ret, err);
}

int k8s_nad_get(struct k8s_client *c, const char *ns, const char *name,
		json_object **ret, struct cni_err *err)
{
	char path[512], what[400];

	snprintf(what, sizeof(what), "GET NetworkAttachmentDefinition %s/%s",
		 ns, name);
	if (names_check(ns, name, what, err))
		return -EINVAL;
	snprintf(path, sizeof(path),
		 "/apis/k8s.cni.cncf.io/v1/namespaces/%s/"
		 "network-attachment-definitions/%s",
		 ns, name);
	return request_retry(c, path, NULL, what, 0, ret, err);
}

int k8s_pod_patch_network_status(struct k8s_client *c, const char *ns,
				 const char *name, const char *uid,
				 const char *status_json, struct cni_err *err)
{
	json_object *patch, *out = NULL;
	char path[512], what[400];
	int r;

	snprintf(what, sizeof(what), "PATCH pod %s/%s network-status", ns,
		 name);
	if (names_check(ns, name, what, err))
		return -EINVAL;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", ns, name);
	patch = k8s_status_patch(status_json, uid);
	if (!patch)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	r = request_retry(c, path, cni_json_str(patch), what, 0, &out, err);
	json_object_put(out);
	json_object_put(patch);
	return r;
}

/* --- a watch stream --- */

struct watch_io {
	struct k8s_client *c;
	int (*on_line)(void *ctx, char *line, size_t len);
	bool (*stop)(void *ctx);
	void *ctx;
	char *line;
	size_t len, cap;
	bool refused; /* on_line or stop ended it */
	bool too_big; /* a line over K8S_RESPONSE_MAX */
};

static int watch_lines(struct watch_io *w)
{
	char *nl;

	while ((nl = memchr(w->line, '\n', w->len))) {
		size_t n = (size_t)(nl - w->line);

		*nl = '\0';
		if (n && w->on_line(w->ctx, w->line, n)) {
			w->refused = true;
			return -1;
		}
		w->len -= n + 1;
		memmove(w->line, nl + 1, w->len);
	}
	return 0;
}

static size_t watch_write(char *p, size_t sz, size_t n, void *ctx)
{
	struct watch_io *w = ctx;
	size_t len = sz * n;
	long status = 0;

	cu->easy_getinfo(w->c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return len; /* another status: its body is dropped */
	if (w->len + len + 1 > w->cap) {
		size_t cap = w->len + len + 1 + 16384;
		char *nl;

		if (cap > K8S_RESPONSE_MAX + 16384 + 1) {
			w->too_big = true;
			return 0;
		}
		nl = realloc(w->line, cap);
		if (!nl)
			return 0;
		w->line = nl;
		w->cap = cap;
	}
	memcpy(w->line + w->len, p, len);
	w->len += len;
	return watch_lines(w) ? 0 : len;
}

static int watch_progress(void *ctx, curl_off_t dt, curl_off_t dn,
			  curl_off_t ut, curl_off_t un)
{
	struct watch_io *w = ctx;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (w->stop && w->stop(w->ctx)) {
		w->refused = true;
		return 1;
	}
	return 0;
}

static void watch_opts(struct k8s_client *c, struct watch_io *w, int idle_s)
{
	cu->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, watch_write);
	cu->easy_setopt(c->curl, CURLOPT_WRITEDATA, w);
	cu->easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	cu->easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, watch_progress);
	cu->easy_setopt(c->curl, CURLOPT_XFERINFODATA, w);
	cu->easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 0L);
	cu->easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu->easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, (long)idle_s);
	cu->easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L);
}

static void watch_opts_undo(struct k8s_client *c)
{
	cu->easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, buf_write);
	cu->easy_setopt(c->curl, CURLOPT_NOPROGRESS, 1L);
	cu->easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, NULL);
	cu->easy_setopt(c->curl, CURLOPT_LOW_SPEED_LIMIT, 0L);
	cu->easy_setopt(c->curl, CURLOPT_LOW_SPEED_TIME, 0L);
}

int k8s_watch(struct k8s_client *c, const char *path, int idle_s,
	      int (*on_line)(void *ctx, char *line, size_t len),
	      bool (*stop)(void *ctx), void *ctx, long *ret_status,
	      struct cni_err *err)
{
	struct watch_io w = {
		.c = c, .on_line = on_line, .stop = stop, .ctx = ctx
	};
	char ebuf[CURL_ERROR_SIZE] = "", *url = NULL;
	struct curl_slist *h = headers(c, NULL, NULL);
	long status = 0;
	CURLcode cr;

	if (!h || asprintf(&url, "%s%s", c->cfg.server, path) < 0) {
		cu->slist_free_all(h);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	cu->easy_setopt(c->curl, CURLOPT_URL, url);
	cu->easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
	cu->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, ebuf);
	cu->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	cu->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	cu->easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
			(long)c->cfg.connect_timeout_ms);
	watch_opts(c, &w, idle_s);
	c->requests++;
	cr = cu->easy_perform(c->curl);
	cu->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	watch_opts_undo(c);
	cu->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	cu->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, NULL);
	cu->slist_free_all(h);
	free(url);
	free(w.line);
	*ret_status = status;
	if (cr == CURLE_OK)
		return 0;
	if (w.too_big) {
		char what[220];

		snprintf(what, sizeof(what), "watch %.200s: an event", path);
		return cni_err_too_large(err,
					 "the Kubernetes client's answer "
					 "limit",
					 K8S_RESPONSE_MAX, what, 0);
	}
	if (w.refused) {
		cni_errf(err, KE, "watch %.200s: ended by the reader", path);
		return -ECANCELED;
	}
	return cni_errf(err, KE, "watch %.200s: %s: %s%s%s", path,
			c->cfg.server, cu->easy_strerror(cr), *ebuf ? ": " : "",
			ebuf);
}
