// SPDX-License-Identifier: Apache-2.0
/* plexusd's warm IPAM stores (pd_store.h): PD_STORE_THREADS threads
 * accept on one unix socket; each serves a connection's request lines one
 * by one with its own cache of open stores. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "pd_hcache.h"
#include "pd_store.h"
#include "pd_text.h"
#include "store.h"

#define N_OPS	    6 /* get put del list report malformed */
#define TIMEOUT_MAX 60000
#define IDLE_MS	    30000

static const char *const op_names[N_OPS] = { "get",  "put",    "del",
					     "list", "report", "malformed" };
#define OP_REPORT 4

/* a report's values (pd_store.h), counted from any worker */
static const char *const outcomes[PD_STORE_OUTCOMES] = {
	"allocated", "alloc_failed", "released", "release_failed"
};
static const char *const reasons[PD_STORE_REASONS] = { "timeout", "unreachable",
						       "malformed", "io",
						       "cannot_open" };
static atomic_ulong outcome_n[PD_STORE_OUTCOMES];
static atomic_ulong reason_n[PD_STORE_REASONS];

struct cached {
	char *conf; /* the store object's text: the cache key */
	struct ipam_store *st;
};

struct pd_store_cache {
	struct cached c[PD_STORE_CACHE];
	size_t n;
	const char *host_prefix; /* "" for none; borrowed */
	struct pd_hcache *hc;	 /* shared, borrowed; NULL: none */
};

struct pd_store {
	int lfd;
	char *path;
	char *host_prefix;
	pthread_t th[PD_STORE_THREADS];
	size_t n_th;
	atomic_bool stop;
	atomic_ulong req[N_OPS][2]; /* [op][ok] */
	atomic_ulong refused;	    /* peers that are not root */
	struct pd_hcache *hc;	    /* block headers, shared by the threads */
};

/* --- one request --- */

struct pd_store_cache *pd_store_cache_new(const char *host_prefix)
{
	struct pd_store_cache *c = calloc(1, sizeof(*c));

	if (c)
		c->host_prefix = host_prefix ? host_prefix : "";
	return c;
}

/* conf with the files it names seen through the host prefix: a copy
 * (the caller puts it), or conf itself with a reference taken */
static json_object *host_view(json_object *conf, const char *prefix)
{
	static const char *const files[] = { "kubeconfig", "cacert", "cert",
					     "key" };
	json_object *c, *v;
	char *p;

	if (!*prefix)
		return json_object_get(conf);
	c = cni_json_copy(conf);
	for (size_t i = 0; c && i < sizeof(files) / sizeof(files[0]); i++) {
		if (!json_object_object_get_ex(c, files[i], &v) ||
		    !json_object_is_type(v, json_type_string) ||
		    json_object_get_string(v)[0] != '/' ||
		    asprintf(&p, "%s%s", prefix, json_object_get_string(v)) < 0)
			continue;
		json_object_object_add(c, files[i], json_object_new_string(p));
		free(p);
	}
	return c;
}

void pd_store_cache_share(struct pd_store_cache *c, struct pd_hcache *h)
{
	c->hc = h;
}

void pd_store_cache_free(struct pd_store_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		ipam_store_close(c->c[i].st);
		free(c->c[i].conf);
	}
	free(c);
}

/* The open store for conf, opened (and the oldest closed) as needed. */
static int cache_get(struct pd_store_cache *c, json_object *conf,
		     struct ipam_store **ret, struct cni_err *err)
{
	const char *text = cni_json_str(conf);
	struct ipam_store *st;
	char *key;
	int r;

	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].conf, text)) {
			*ret = c->c[i].st;
			return 0;
		}
	conf = host_view(conf, c->host_prefix);
	if (!conf)
		return -ENOMEM;
	r = ipam_store_open(conf, &st, err);
	json_object_put(conf);
	if (r < 0)
		return r;
	if (!(key = strdup(text))) {
		ipam_store_close(st);
		return -ENOMEM;
	}
	if (c->n == PD_STORE_CACHE) {
		ipam_store_close(c->c[0].st);
		free(c->c[0].conf);
		memmove(c->c, c->c + 1, (PD_STORE_CACHE - 1) * sizeof(c->c[0]));
		c->n--;
	}
	c->c[c->n++] = (struct cached){ key, st };
	*ret = st;
	return 0;
}

static int op_index(const char *op)
{
	for (int i = 0; i < N_OPS - 1; i++)
		if (!strcmp(op, op_names[i]))
			return i;
	return -1;
}

static json_object *reply_err(int rc, const struct cni_err *err)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "rc", json_object_new_int(rc));
	/* what plexusd cannot do, the client does itself */
	if (rc == -EMSGSIZE || rc == -ESRCH)
		json_object_object_add(o, "direct",
				       json_object_new_boolean(true));
	json_object_object_add(o, "code", json_object_new_int(err->code));
	json_object_object_add(o, "msg", json_object_new_string(err->msg));
	return o;
}

static json_object *kvs_json(const struct ipam_kv *kv, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "key",
				       json_object_new_string(kv[i].key));
		if (kv[i].val)
			json_object_object_add(
				e, "val",
				json_object_new_string_len(kv[i].val,
							   (int)kv[i].len));
		json_object_object_add(e, "ver",
				       json_object_new_uint64(kv[i].ver));
		json_object_array_add(a, e);
	}
	return a;
}

/* An optional member: absent is fine, a wrong type is not. */
static int opt(int r)
{
	return r == -ENOENT ? 0 : r;
}

/* member key of o: absent (-1), or the index of its value in names */
static int one_of(json_object *o, const char *key, const char *const *names,
		  int n, struct cni_err *err)
{
	json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v))
		return -1;
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
						     : "";
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	cni_errf(err, CNI_ERR_DECODE, "%s: not one of the known values", key);
	return -2;
}

/* {"op": "report", "outcome": O, "fallback": F}: at least one, no other
 * member */
static int report_parse(json_object *o, struct pd_store_req *q,
			struct cni_err *err)
{
	json_object_object_foreach (o, k, v) {
		(void)v;
		if (strcmp(k, "op") && strcmp(k, "outcome") &&
		    strcmp(k, "fallback"))
			return cni_errf(err, CNI_ERR_DECODE,
					"report: unknown member");
	}
	q->outcome = one_of(o, "outcome", outcomes, PD_STORE_OUTCOMES, err);
	if (q->outcome == -2)
		return -EINVAL;
	q->fallback = one_of(o, "fallback", reasons, PD_STORE_REASONS, err);
	if (q->fallback == -2)
		return -EINVAL;
	if (q->outcome < 0 && q->fallback < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"report: no outcome or fallback");
	return 0;
}

/* "with" (put only): an array of {"key": string, "val": string
 * (optional)}, at most IPAM_STORE_WITH_MAX. */
static int with_parse(json_object *o, struct pd_store_req *q,
		      struct cni_err *err)
{
	json_object *w, *e, *k, *v;
	size_t i, n;

	q->with = NULL;
	if (!json_object_object_get_ex(o, "with", &w))
		return 0;
	if (q->op != 1 || !json_object_is_type(w, json_type_array) ||
	    (n = json_object_array_length(w)) > IPAM_STORE_WITH_MAX)
		return cni_errf(err, CNI_ERR_DECODE,
				"with: not an array of at most %d writes of "
				"a put",
				IPAM_STORE_WITH_MAX);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(w, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !json_object_object_get_ex(e, "key", &k) ||
		    !json_object_is_type(k, json_type_string) ||
		    (json_object_object_get_ex(e, "val", &v) &&
		     !json_object_is_type(v, json_type_string)))
			return cni_errf(err, CNI_ERR_DECODE,
					"with[%zu]: not {\"key\", \"val\"}", i);
	}
	q->with = w;
	return 0;
}

/* put with q->with: the writes borrowed from the request's document. */
static int run_put_with(struct ipam_store *st, const struct pd_store_req *q,
			uint64_t *ret_ver, struct cni_err *err)
{
	size_t i, n = json_object_array_length(q->with);
	struct ipam_kv_op *ops = calloc(n ? n : 1, sizeof(*ops));
	json_object *e, *v;
	int r;

	if (!ops)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(q->with, i);
		json_object_object_get_ex(e, "key", &v);
		ops[i].key = json_object_get_string(v);
		if (json_object_object_get_ex(e, "val", &v)) {
			ops[i].val = json_object_get_string(v);
			ops[i].len = (size_t)json_object_get_string_len(v);
		}
	}
	r = ipam_store_put_if_with(st, q->key, q->val, q->val_len, q->ver,
				   ret_ver, ops, n, err);
	free(ops);
	return r;
}

/* Every member typed as the protocol says. */
static int req_parse(json_object *o, struct pd_store_req *q,
		     struct cni_err *err)
{
	json_object *v = NULL;
	const char *op;
	int r;

	if (cni_json_get_string(o, "op", "op", &op, err) < 0 ||
	    (q->op = op_index(op)) < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"op: not get, put, del, list or report");
	if (q->op == OP_REPORT)
		return report_parse(o, q, err);
	r = cni_json_get_object(o, "store", "store", &q->store, err);
	if (r == -ENOENT)
		r = cni_errf(err, CNI_ERR_DECODE, "store: missing");
	if (r == 0)
		r = cni_json_get_string(o, "key", "key", &q->key, err);
	if (r == -ENOENT)
		r = cni_errf(err, CNI_ERR_DECODE, "key: missing");
	if (r == 0 && json_object_object_get_ex(o, "val", &v)) {
		if (!json_object_is_type(v, json_type_string))
			return cni_errf(err, CNI_ERR_DECODE,
					"val: not a string");
		q->val = json_object_get_string(v);
		q->val_len = (size_t)json_object_get_string_len(v);
	}
	v = NULL;
	if (r == 0 && json_object_object_get_ex(o, "ver", &v) &&
	    !json_object_is_type(v, json_type_int))
		return cni_errf(err, CNI_ERR_DECODE, "ver: not an integer");
	q->ver = v ? json_object_get_uint64(v) : 0;
	if (r == 0)
		r = opt(cni_json_get_bool(o, "keysOnly", "keysOnly",
					  &q->keys_only, err));
	q->timeout_ms = 5000;
	if (r == 0)
		r = opt(cni_json_get_int(o, "timeoutMs", "timeoutMs",
					 &q->timeout_ms, err));
	if (r < 0)
		return r;
	if (q->timeout_ms < 1 || q->timeout_ms > TIMEOUT_MAX)
		return cni_errf(err, CNI_ERR_DECODE, "timeoutMs: outside 1..%d",
				TIMEOUT_MAX);
	if (q->op == 1 && !q->val)
		return cni_errf(err, CNI_ERR_DECODE, "put: no val");
	r = opt(cni_json_get_bool(o, "cache", "cache", &q->cache, err));
	if (r < 0)
		return r;
	if (q->cache && q->op != 0)
		return cni_errf(err, CNI_ERR_DECODE, "cache: only on a get");
	return with_parse(o, q, err);
}

/* The block headers in memory after op q on key (r its result; val,
 * len and ver what the store answered or took): a get or put confirmed
 * refreshes an entry (a get for update adds it), anything else, a
 * delete, a failure, drops it, and the writes that rode on a put too. */
static void hcache_after(struct pd_hcache *hc, const char *sk,
			 const struct pd_store_req *q, int r, const char *val,
			 size_t len, uint64_t ver)
{
	json_object *e, *k;
	size_t i, n = q->with ? json_object_array_length(q->with) : 0;

	if (!hc)
		return;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(q->with, i);
		if (json_object_object_get_ex(e, "key", &k))
			pd_hcache_drop(hc, sk, json_object_get_string(k),
				       false);
	}
	if (q->op == 3)
		return;
	if (r == 0 && q->op <= 1)
		pd_hcache_set(hc, sk, q->key, val, len, ver, q->cache);
	else
		pd_hcache_drop(hc, sk, q->key, r < 0 && r != -ENOENT);
}

static json_object *run(struct ipam_store *st, struct pd_hcache *hc,
			const struct pd_store_req *q, struct cni_err *err)
{
	const char *sk = cni_json_str(q->store);
	json_object *o = json_object_new_object();
	struct ipam_kv *kv = NULL;
	char *val = NULL;
	size_t len = 0, n = 0;
	uint64_t ver = 0;
	bool cached = false;
	int r;

	st->deadline = cni_deadline_after((int)q->timeout_ms);
	switch (q->op) {
	case 0:
		cached = q->cache && hc &&
			 pd_hcache_get(hc, sk, q->key, &val, &len, &ver) == 0;
		r = cached ? 0
			   : ipam_store_get(st, q->key, &val, &len, &ver, err);
		break;
	case 1:
		r = q->with ? run_put_with(st, q, &ver, err)
			    : ipam_store_put_if(st, q->key, q->val, q->val_len,
						q->ver, &ver, err);
		break;
	case 2:
		r = ipam_store_del_if(st, q->key, q->ver, err);
		break;
	default:
		r = ipam_store_list(st, q->key, q->keys_only, &kv, &n, err);
		break;
	}
	if (!cached)
		hcache_after(hc, sk, q, r, q->op == 1 ? q->val : val,
			     q->op == 1 ? q->val_len : len, ver);
	if (r < 0) {
		json_object_put(o);
		free(val);
		return reply_err(r, err);
	}
	json_object_object_add(o, "rc", json_object_new_int(0));
	if (val)
		json_object_object_add(
			o, "val", json_object_new_string_len(val, (int)len));
	if (q->op <= 1)
		json_object_object_add(o, "ver", json_object_new_uint64(ver));
	if (cached)
		json_object_object_add(o, "cached",
				       json_object_new_boolean(true));
	if (q->op == 3)
		json_object_object_add(o, "kvs", kvs_json(kv, n));
	/* says the writes of "with" were done (a plexusd before "with"
	 * ignored it: the client then does them itself) */
	if (q->with)
		json_object_object_add(
			o, "with",
			json_object_new_int(
				(int)json_object_array_length(q->with)));
	free(val);
	ipam_kv_free(kv, n);
	return o;
}

static char *reply_text(json_object *o)
{
	const char *s = json_object_to_json_string_ext(
		o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	char *out = NULL;

	if (strlen(s) > PD_STORE_REPLY_MAX) {
		struct cni_err e = { 0 };

		cni_errf(&e, CNI_ERR_IO, "reply of %zu bytes over %d",
			 strlen(s), PD_STORE_REPLY_MAX);
		json_object_put(o);
		o = reply_err(-EMSGSIZE, &e);
		s = json_object_to_json_string(o);
	}
	out = strdup(s);
	json_object_put(o);
	return out;
}

int pd_store_parse(const char *line, size_t len, json_object **ret_doc,
		   struct pd_store_req *ret, struct cni_err *err)
{
	json_object *o = NULL;
	int r = cni_json_parse(line, len, "request", &o, err);

	*ret = (struct pd_store_req){ .op = N_OPS - 1 };
	if (r == 0 && !json_object_is_type(o, json_type_object))
		r = cni_errf(err, CNI_ERR_DECODE, "request: not an object");
	if (r == 0 && (r = req_parse(o, ret, err)) < 0)
		ret->op = N_OPS - 1;
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret_doc = o;
	return 0;
}

static void report_count(const struct pd_store_req *q)
{
	if (q->outcome >= 0)
		atomic_fetch_add(&outcome_n[q->outcome], 1);
	if (q->fallback >= 0)
		atomic_fetch_add(&reason_n[q->fallback], 1);
}

int pd_store_report_take(const char *line, size_t len)
{
	struct cni_err err = { 0 };
	struct pd_store_req q;
	json_object *o = NULL;
	int r = pd_store_parse(line, len, &o, &q, &err);

	if (r == 0 && q.op != OP_REPORT)
		r = -EINVAL;
	if (r == 0)
		report_count(&q);
	json_object_put(o);
	return r < 0 ? -EINVAL : 0;
}

char *pd_store_handle(struct pd_store_cache *c, const char *line, size_t len,
		      int *ret_op, int *ret_ok)
{
	struct cni_err err = { 0 };
	struct pd_store_req q;
	struct ipam_store *st = NULL;
	json_object *o = NULL, *rep, *rc;
	int r = pd_store_parse(line, len, &o, &q, &err);

	if (r == 0 && q.op == OP_REPORT) {
		report_count(&q);
		json_object_put(o);
		*ret_op = q.op;
		*ret_ok = 1;
		return strdup("{\"rc\":0}");
	}
	/* a store plexusd cannot open (its view of the node's files may
	 * differ from the plugin's): -ESRCH, the client opens it itself */
	if (r == 0 && cache_get(c, q.store, &st, &err) < 0)
		r = -ESRCH;
	rep = r < 0 ? reply_err(r, &err) : run(st, c->hc, &q, &err);
	*ret_op = q.op;
	*ret_ok = json_object_object_get_ex(rep, "rc", &rc) &&
		  json_object_get_int(rc) == 0;
	json_object_put(o);
	return reply_text(rep);
}

/* --- the threads --- */

static bool peer_root(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 &&
	       cr.uid == 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next line of fd into *buf (grown, at most PD_STORE_REQ_MAX): its
 * length, or -1 at EOF, error, idle timeout or an overlong line. */
static ssize_t read_line(struct pd_store *s, int fd, char **buf, size_t *cap,
			 size_t *have)
{
	for (;;) {
		char *nl = *have ? memchr(*buf, '\n', *have) : NULL;
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (nl)
			return nl - *buf;
		if (*have == PD_STORE_REQ_MAX || atomic_load(&s->stop))
			return -1;
		if (*have == *cap) {
			size_t nc = *cap * 2 > PD_STORE_REQ_MAX
					    ? PD_STORE_REQ_MAX
					    : *cap * 2;
			char *b = realloc(*buf, nc);

			if (!b)
				return -1;
			*buf = b;
			*cap = nc;
		}
		if (poll(&p, 1, IDLE_MS) <= 0)
			return -1;
		n = recv(fd, *buf + *have, *cap - *have, 0);
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

static void serve(struct pd_store *s, struct pd_store_cache *c, int fd)
{
	size_t cap = 65536, have = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while (buf && (n = read_line(s, fd, &buf, &cap, &have)) >= 0) {
		int op, ok;
		char *rep = pd_store_handle(c, buf, (size_t)n, &op, &ok);

		atomic_fetch_add(&s->req[op][ok], 1);
		if (!rep || write_all(fd, rep, strlen(rep)) < 0 ||
		    write_all(fd, "\n", 1) < 0) {
			free(rep);
			break;
		}
		free(rep);
		have -= (size_t)n + 1;
		memmove(buf, buf + n + 1, have);
	}
	free(buf);
}

static void *worker(void *arg)
{
	struct pd_store *s = arg;
	struct pd_store_cache *c = pd_store_cache_new(s->host_prefix);

	if (c)
		pd_store_cache_share(c, s->hc);
	while (c && !atomic_load(&s->stop)) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 200) <= 0)
			continue;
		fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (peer_root(fd))
			serve(s, c, fd);
		else
			atomic_fetch_add(&s->refused, 1);
		close(fd);
	}
	pd_store_cache_free(c);
	return NULL;
}

static int listen_unix(const char *path, struct cni_err *err)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, r;

	if (strlen(path) >= sizeof(a.sun_path))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"store-socket: path too long");
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "socket: %s", strerror(errno));
	unlink(path);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r == 0)
		r = chmod(path, 0600);
	if (r == 0)
		r = listen(fd, 64);
	if (r < 0) {
		r = errno;
		close(fd);
		return cni_errf(err, CNI_ERR_IO, "store-socket %s: %s", path,
				strerror(r));
	}
	return fd;
}

int pd_store_open(const char *path, const char *host_prefix,
		  struct pd_store **ret, struct cni_err *err)
{
	struct pd_store *s = calloc(1, sizeof(*s));

	if (!s || !(s->path = strdup(path)) ||
	    !(s->host_prefix = strdup(host_prefix ? host_prefix : "")) ||
	    !(s->hc = pd_hcache_new(PD_HCACHE_AGE_MS))) {
		if (s) {
			free(s->path);
			free(s->host_prefix);
		}
		free(s);
		return -ENOMEM;
	}
	s->lfd = listen_unix(path, err);
	if (s->lfd < 0) {
		int r = s->lfd;

		pd_hcache_free(s->hc);
		free(s->path);
		free(s->host_prefix);
		free(s);
		return r;
	}
	for (; s->n_th < PD_STORE_THREADS; s->n_th++)
		if (pthread_create(&s->th[s->n_th], NULL, worker, s) != 0)
			break;
	if (s->n_th == 0) {
		pd_store_close(s);
		return cni_errf(err, CNI_ERR_IO, "store-socket: no thread");
	}
	*ret = s;
	return 0;
}

void pd_store_close(struct pd_store *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	for (size_t i = 0; i < s->n_th; i++)
		pthread_join(s->th[i], NULL);
	close(s->lfd);
	unlink(s->path);
	pd_hcache_free(s->hc);
	free(s->path);
	free(s->host_prefix);
	free(s);
}

/* what plexus-ipam reported (report lines) */
static void reports_metrics(struct pd_text *o)
{
	pd_text_put(o, "# HELP plexusd_ipam_allocations_total plexus-ipam's "
		       "ADDs and DELs through the warm stores, as it reports "
		       "them.\n"
		       "# TYPE plexusd_ipam_allocations_total counter\n");
	for (int i = 0; i < PD_STORE_OUTCOMES; i++)
		pd_text_put(o,
			    "plexusd_ipam_allocations_total{result=\"%s\"} "
			    "%lu\n",
			    outcomes[i], atomic_load(&outcome_n[i]));
	pd_text_put(o, "# HELP plexus_ipam_fallbacks_total plexus-ipam calls "
		       "that used the store itself, plexusd not answering, "
		       "by reason, as it reports them.\n"
		       "# TYPE plexus_ipam_fallbacks_total counter\n");
	for (int i = 0; i < PD_STORE_REASONS; i++)
		pd_text_put(o,
			    "plexus_ipam_fallbacks_total{reason=\"%s\"} %lu\n",
			    reasons[i], atomic_load(&reason_n[i]));
}

int pd_store_metrics(const struct pd_store *s, char *buf, size_t size)
{
	struct pd_text o = { .buf = buf, .size = size };

	pd_text_put(&o, "# HELP plexusd_store_requests_total IPAM store "
			"operations served, by op and result.\n"
			"# TYPE plexusd_store_requests_total counter\n");
	for (int op = 0; op < N_OPS; op++)
		pd_text_put(&o,
			    "plexusd_store_requests_total{op=\"%s\","
			    "result=\"ok\"} %lu\n"
			    "plexusd_store_requests_total{op=\"%s\","
			    "result=\"error\"} %lu\n",
			    op_names[op], atomic_load(&s->req[op][1]),
			    op_names[op], atomic_load(&s->req[op][0]));
	pd_text_put(&o,
		    "# HELP plexusd_store_refused_total store socket peers "
		    "that were not root.\n"
		    "# TYPE plexusd_store_refused_total counter\n"
		    "plexusd_store_refused_total %lu\n",
		    atomic_load(&s->refused));
	pd_hcache_metrics(s->hc, &o);
	reports_metrics(&o);
	return o.err ? o.err : (int)o.len;
}
