/* SPDX-License-Identifier: Apache-2.0 */
/* A store whose operations go to plexusd's warm stores (node setting
 * "storeSocket"; the protocol is in src/plexusd/pd_store.h): plexusd runs
 * each get, put_if, del_if and list (not list_pages, which goes to the
 * store directly) on its own open store of the same
 * definition, over a connection it keeps alive, so this process neither
 * loads libcurl nor makes a TLS handshake. The compare-and-swap is the
 * store's own, whoever sends it. When plexusd cannot be reached, does not
 * answer in time or answers nonsense, this process opens the store itself
 * and does the rest of the call directly (logged once). A put_if whose
 * answer was lost and which plexusd did apply fails again directly with
 * a version conflict, which the allocator already retries by reading the
 * record again (where it finds its own allocation). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "cni_spool.h"
#include "store.h"

#define VIA_REPLY_MAX (64 << 20)
#define VIA_WAIT_MS \
	5000 /* an answer takes at most this (capped by
			     * the call's deadline), else direct */
#define VIA_CONNECT_MS 200

struct via {
	struct ipam_store hdr;
	char sock[108];
	json_object *conf; /* the store's definition (owned copy) */
	struct ipam_store *direct;
	int fd;
	bool gave_up;
	const char *why; /* the fallback's reason (a report), NULL: none */
	char *buf;	 /* the reply being read */
	size_t cap, have;
};

static struct via *via_of(struct ipam_store *st)
{
	return (struct via *)st;
}

static void give_up(struct via *v, const char *why, const char *reason)
{
	v->why = reason;
	cni_log(CNI_LOG_ERROR,
		"plexusd store socket %s: %s; using the store directly",
		v->sock, why);
	v->gave_up = true;
	if (v->fd >= 0)
		close(v->fd);
	v->fd = -1;
}

static int wait_ms(const struct via *v)
{
	int64_t left = cni_deadline_left(v->hdr.deadline, VIA_WAIT_MS);

	return left > 0 ? (int)left : 1;
}

static int via_connect(struct via *v)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", v->sock);
	/* connect waits while plexusd's backlog is full, and a send while
	 * its buffer is: both end after VIA_CONNECT_MS (SO_SNDTIMEO) */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO,
		   &(struct timeval){ 0, VIA_CONNECT_MS * 1000 },
		   sizeof(struct timeval));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	v->fd = fd;
	return 0;
}

static int send_line(struct via *v, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(v->fd, s, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -EIO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One reply line into v->buf (NUL in place of '\n'): its length. */
static ssize_t recv_line(struct via *v)
{
	int64_t until = cni_deadline_after(wait_ms(v));

	v->have = 0;
	for (;;) {
		char *nl = v->have ? memchr(v->buf, '\n', v->have) : NULL;
		struct pollfd p = { v->fd, POLLIN, 0 };
		int64_t left = cni_deadline_left(until, VIA_WAIT_MS);
		ssize_t n;

		if (nl) {
			*nl = '\0';
			return nl - v->buf;
		}
		if (v->have + 1 >= v->cap) {
			size_t nc = v->cap ? v->cap * 2 : 65536;
			char *b =
				nc > VIA_REPLY_MAX ? NULL : realloc(v->buf, nc);

			if (!b)
				return -EMSGSIZE;
			v->buf = b;
			v->cap = nc;
		}
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return -ETIMEDOUT;
		n = recv(v->fd, v->buf + v->have, v->cap - v->have - 1, 0);
		if (n <= 0)
			return -EIO;
		v->have += (size_t)n;
	}
}

/* a transport failure's reason in plexusd's report (pd_store.h): a
 * connect that failed is "unreachable" (via_connect: -errno of connect or
 * socket, before any byte sent) */
static const char *fallback_reason(int r)
{
	switch (r) {
	case -ETIMEDOUT:
		return "timeout";
	case -EPROTO:
	case -EMSGSIZE:
		return "malformed";
	case -ENOENT:
	case -ECONNREFUSED:
	case -EAGAIN:
	case -EACCES:
		return "unreachable";
	default:
		return "io";
	}
}

/* Send req, read the reply: 0 with *ret, or a transport failure (the
 * caller gives up on plexusd). */
static int ask(struct via *v, json_object *req, json_object **ret)
{
	const char *s = json_object_to_json_string_ext(
		req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	ssize_t n;
	int r = v->fd < 0 ? via_connect(v) : 0;

	if (r == 0)
		r = send_line(v, s, strlen(s));
	if (r == 0)
		r = send_line(v, "\n", 1);
	if (r < 0)
		return r;
	n = recv_line(v);
	if (n < 0)
		return (int)n;
	*ret = json_tokener_parse(v->buf);
	if (!*ret || !json_object_is_type(*ret, json_type_object)) {
		json_object_put(*ret);
		return -EPROTO;
	}
	return 0;
}

static json_object *request(struct via *v, const char *op, const char *key)
{
	json_object *o = json_object_new_object();
	int64_t left = cni_deadline_left(v->hdr.deadline, 60000);

	json_object_object_add(o, "op", json_object_new_string(op));
	json_object_object_add(o, "store", json_object_get(v->conf));
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "timeoutMs",
			       json_object_new_int64(left > 0 ? left : 1));
	return o;
}

/* The store itself, opened on first need with this call's deadline. */
static int direct(struct via *v, struct ipam_store **ret, struct cni_err *err)
{
	int r = 0;

	if (!v->direct)
		r = ipam_store_open(v->conf, &v->direct, err);
	if (r == 0) {
		v->direct->deadline = v->hdr.deadline;
		*ret = v->direct;
	}
	return r;
}

/* The reply's rc: 0; a store error as the store would report it (err
 * set from plexusd's code and message); 1: ask the store directly; 2:
 * plexusd cannot open this store: directly for the rest of the call. */
static int reply_rc(json_object *rep, struct cni_err *err)
{
	json_object *rc, *code, *msg = NULL, *dir;
	int r;

	if (!json_object_object_get_ex(rep, "rc", &rc) ||
	    !json_object_is_type(rc, json_type_int))
		return 1;
	if (json_object_object_get_ex(rep, "direct", &dir) &&
	    json_object_get_boolean(dir)) {
		json_object_object_get_ex(rep, "msg", &msg);
		cni_log(CNI_LOG_VERBOSE, "plexusd store: %s; asking the store",
			msg ? json_object_get_string(msg) : "");
		return json_object_get_int(rc) == -ESRCH ? 2 : 1;
	}
	r = json_object_get_int(rc);
	if (r == 0 || r == -ENOENT)
		return r;
	if (r == -EMSGSIZE || r > 0)
		return 1;
	if (json_object_object_get_ex(rep, "code", &code) &&
	    json_object_object_get_ex(rep, "msg", &msg))
		cni_errf(err, json_object_get_int(code), "%s",
			 json_object_get_string(msg));
	else
		cni_errf(err, CNI_ERR_IO, "plexusd store: error %d", r);
	return r;
}

/* Run req through plexusd: 0 with *ret_rep (rc 0), a store error, or 1
 * when the caller must do it directly. Takes req. */
static int via_run(struct via *v, json_object *req, json_object **ret_rep,
		   struct cni_err *err)
{
	json_object *rep = NULL;
	int r;

	if (v->gave_up) {
		json_object_put(req);
		return 1;
	}
	r = ask(v, req, &rep);
	json_object_put(req);
	if (r < 0) {
		give_up(v,
			r == -ETIMEDOUT ? "no answer in time"
			: r == -EPROTO	? "a malformed answer"
					: strerror(-r),
			fallback_reason(r));
		return 1;
	}
	r = reply_rc(rep, err);
	if (r == 2) {
		v->gave_up = true;
		v->why = "cannot_open";
		r = 1;
	}
	if (r == 0)
		*ret_rep = rep;
	else
		json_object_put(rep);
	return r;
}

static int str_of(json_object *o, const char *key, char **ret, size_t *ret_len)
{
	json_object *s;

	if (!json_object_object_get_ex(o, key, &s) ||
	    !json_object_is_type(s, json_type_string))
		return -EPROTO;
	*ret_len = (size_t)json_object_get_string_len(s);
	*ret = strndup(json_object_get_string(s), *ret_len);
	return *ret ? 0 : -ENOMEM;
}

static uint64_t ver_of(json_object *o)
{
	json_object *x;

	return json_object_object_get_ex(o, "ver", &x)
		       ? json_object_get_uint64(x)
		       : 0;
}

/* get, through plexusd's cache of block headers when cache (the reply's
 * "cached" tells whether it answered from there; a plexusd before the
 * cache ignores "cache" and always asks the store). */
static int get_via(struct ipam_store *st, const char *key, bool cache,
		   char **ret_val, size_t *ret_len, uint64_t *ret_ver,
		   bool *ret_cached, struct cni_err *err)
{
	struct via *v = via_of(st);
	json_object *req = request(v, "get", key), *rep, *c;
	struct ipam_store *d = NULL;
	char *val = NULL;
	size_t len = 0;
	int r;

	if (cache)
		json_object_object_add(req, "cache",
				       json_object_new_boolean(true));
	r = via_run(v, req, &rep, err);
	if (r == 0) {
		r = str_of(rep, "val", &val, &len);
		if (r == 0 && ret_ver)
			*ret_ver = ver_of(rep);
		if (ret_cached)
			*ret_cached =
				json_object_object_get_ex(rep, "cached", &c) &&
				json_object_get_boolean(c);
		json_object_put(rep);
		if (r < 0)
			return cni_errf(err, CNI_ERR_DECODE,
					"plexusd store: get %s: no value", key);
		if (ret_len)
			*ret_len = len;
		if (ret_val)
			*ret_val = val;
		else
			free(val);
		return 0;
	}
	if (r != 1)
		return r;
	r = direct(v, &d, err);
	return r < 0 ? r
		     : ipam_store_get(d, key, ret_val, ret_len, ret_ver, err);
}

static int via_get(struct ipam_store *st, const char *key, char **ret_val,
		   size_t *ret_len, uint64_t *ret_ver, struct cni_err *err)
{
	return get_via(st, key, false, ret_val, ret_len, ret_ver, NULL, err);
}

static int via_get_cached(struct ipam_store *st, const char *key,
			  char **ret_val, size_t *ret_len, uint64_t *ret_ver,
			  bool *ret_cached, struct cni_err *err)
{
	return get_via(st, key, true, ret_val, ret_len, ret_ver, ret_cached,
		       err);
}

/* [{"key", "val"}] of with[0..n) (no "val": a delete). */
static json_object *with_json(const struct ipam_kv_op *with, size_t n)
{
	json_object *a = json_object_new_array(), *e;

	for (size_t i = 0; i < n; i++) {
		e = json_object_new_object();
		json_object_object_add(e, "key",
				       json_object_new_string(with[i].key));
		if (with[i].val)
			json_object_object_add(
				e, "val",
				json_object_new_string_len(with[i].val,
							   (int)with[i].len));
		json_object_array_add(a, e);
	}
	return a;
}

/* The writes of with, one by one through st: after a put plexusd did
 * without them (a plexusd before "with" ignores it and does not say
 * "with" in its answer). A delete after the put, not before: a crash in
 * between leaves a record under a free slot, which readers ignore. */
static int with_each(struct ipam_store *st, const struct ipam_kv_op *with,
		     size_t n, struct cni_err *err)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (with[i].val)
			rc = ipam_store_put_any(st, with[i].key, with[i].val,
						with[i].len, err);
		else if ((rc = ipam_store_del_if(st, with[i].key, 0, err)) ==
			 -ENOENT)
			rc = 0;
	}
	return rc;
}

/* put_if and, with n writes, put_if_with: "with" is sent only when there
 * are writes */
static int via_put_if_with(struct ipam_store *st, const char *key,
			   const char *val, size_t len, uint64_t ver,
			   uint64_t *ret_ver, const struct ipam_kv_op *with,
			   size_t n, struct cni_err *err)
{
	struct via *v = via_of(st);
	json_object *req = request(v, "put", key), *rep;
	struct ipam_store *d = NULL;
	int r;

	json_object_object_add(req, "val",
			       json_object_new_string_len(val, (int)len));
	json_object_object_add(req, "ver", json_object_new_uint64(ver));
	if (n)
		json_object_object_add(req, "with", with_json(with, n));
	r = via_run(v, req, &rep, err);
	if (r == 0) {
		bool done = !n || json_object_object_get_ex(rep, "with", NULL);

		if (ret_ver)
			*ret_ver = ver_of(rep);
		json_object_put(rep);
		return done ? 0 : with_each(st, with, n, err);
	}
	if (r != 1)
		return r;
	r = direct(v, &d, err);
	if (r < 0)
		return r;
	return n ? ipam_store_put_if_with(d, key, val, len, ver, ret_ver, with,
					  n, err)
		 : ipam_store_put_if(d, key, val, len, ver, ret_ver, err);
}

static int via_put_if(struct ipam_store *st, const char *key, const char *val,
		      size_t len, uint64_t ver, uint64_t *ret_ver,
		      struct cni_err *err)
{
	return via_put_if_with(st, key, val, len, ver, ret_ver, NULL, 0, err);
}

static int via_del_if(struct ipam_store *st, const char *key, uint64_t ver,
		      struct cni_err *err)
{
	struct via *v = via_of(st);
	json_object *req = request(v, "del", key), *rep;
	struct ipam_store *d = NULL;
	int r;

	json_object_object_add(req, "ver", json_object_new_uint64(ver));
	r = via_run(v, req, &rep, err);
	if (r == 0) {
		json_object_put(rep);
		return 0;
	}
	if (r != 1)
		return r;
	r = direct(v, &d, err);
	return r < 0 ? r : ipam_store_del_if(d, key, ver, err);
}

static int kvs_of(json_object *rep, struct ipam_kv **ret, size_t *ret_n)
{
	json_object *a, *e, *k;
	struct ipam_kv *kv;
	size_t n;

	if (!json_object_object_get_ex(rep, "kvs", &a) ||
	    !json_object_is_type(a, json_type_array))
		return -EPROTO;
	n = json_object_array_length(a);
	kv = calloc(n ? n : 1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_object_get_ex(e, "key", &k) ||
		    !(kv[i].key = strdup(json_object_get_string(k))) ||
		    (json_object_object_get_ex(e, "val", NULL) &&
		     str_of(e, "val", &kv[i].val, &kv[i].len) < 0)) {
			ipam_kv_free(kv, n);
			return -EPROTO;
		}
		kv[i].ver = ver_of(e);
	}
	*ret = kv;
	*ret_n = n;
	return 0;
}

static int via_list(struct ipam_store *st, const char *prefix, bool keys_only,
		    struct ipam_kv **ret, size_t *ret_n, struct cni_err *err)
{
	struct via *v = via_of(st);
	json_object *req = request(v, "list", prefix), *rep;
	struct ipam_store *d = NULL;
	int r;

	json_object_object_add(req, "keysOnly",
			       json_object_new_boolean(keys_only));
	r = via_run(v, req, &rep, err);
	if (r == 0) {
		r = kvs_of(rep, ret, ret_n);
		json_object_put(rep);
		if (r == 0)
			return 0;
		return cni_errf(err, CNI_ERR_DECODE,
				"plexusd store: list %s: a malformed answer",
				prefix);
	}
	if (r != 1)
		return r;
	r = direct(v, &d, err);
	return r < 0 ? r
		     : ipam_store_list(d, prefix, keys_only, ret, ret_n, err);
}

/* A paged list goes to the store directly, never through plexusd: one
 * answer from plexusd is a whole list, and a paged list is there not to
 * hold one. */
static int via_list_pages(struct ipam_store *st, const char *prefix,
			  bool keys_only, size_t page, ipam_kv_page_fn fn,
			  void *arg, struct cni_err *err)
{
	struct ipam_store *d = NULL;
	int r = direct(via_of(st), &d, err);

	return r < 0 ? r
		     : ipam_store_list_pages(d, prefix, keys_only, page, fn,
					     arg, err);
}

static void via_close(struct ipam_store *st)
{
	struct via *v = via_of(st);

	if (v->fd >= 0)
		close(v->fd);
	ipam_store_close(v->direct);
	json_object_put(v->conf);
	free(v->buf);
	free(v);
}

static const struct ipam_store_ops via_ops = {
	.name = "plexusd",
	.close = via_close,
	.get = via_get,
	.get_cached = via_get_cached,
	.put_if = via_put_if,
	.put_if_with = via_put_if_with,
	.del_if = via_del_if,
	.list = via_list,
	.list_pages = via_list_pages,
};

/* one line to plexusd, never waited for: a non-blocking connect and
 * send, the connection closed at once (plexusd answers {"rc":0} to a
 * peer gone; nothing is read); not taken (plexusd down, its socket
 * full): kept in the spool beside the socket, which plexusd reads when
 * it runs again (cni_spool.h) */
static void report_send(const char *sock, const char *line)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool sent = false;

	if (fd >= 0) {
		snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
		sent = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
		       send(fd, line, strlen(line),
			    MSG_NOSIGNAL | MSG_DONTWAIT) >= 0;
		close(fd);
	}
	if (!sent && cni_spool_append(sock, line) < 0) {
		/* a report is never worth waiting for */
	}
}

void ipam_store_report(struct ipam_store *st, const char *outcome)
{
	struct via *v;
	char line[160];

	if (st && st->ops != &via_ops && st->report_sock[0] && outcome) {
		snprintf(line, sizeof(line),
			 "{\"op\":\"report\",\"outcome\":\"%s\"}\n", outcome);
		report_send(st->report_sock, line);
	}
	if (!st || st->ops != &via_ops)
		return;
	v = via_of(st);
	if (!outcome && !v->why)
		return;
	snprintf(line, sizeof(line), "{\"op\":\"report\"%s%s%s%s%s%s}\n",
		 outcome ? ",\"outcome\":\"" : "", outcome ? outcome : "",
		 outcome ? "\"" : "", v->why ? ",\"fallback\":\"" : "",
		 v->why ? v->why : "", v->why ? "\"" : "");
	report_send(v->sock, line);
}

/* The lock directory the store itself would use (its "lockDir", else the
 * etcd and kubernetes stores' default). */
static void lock_dir(json_object *conf, char *buf, size_t size)
{
	json_object *l;

	snprintf(buf, size, "%s",
		 json_object_object_get_ex(conf, "lockDir", &l) &&
				 json_object_is_type(l, json_type_string)
			 ? json_object_get_string(l)
			 : "/run/plexus-ipam");
}

int ipam_store_open_node(json_object *node_root, json_object *conf,
			 struct ipam_store **ret, struct cni_err *err)
{
	json_object *sock, *type;
	struct via *v;
	int r;

	if (!node_root || !conf ||
	    !json_object_object_get_ex(node_root, "storeSocket", &sock))
		return ipam_store_open(conf, ret, err);
	if (!json_object_object_get_ex(conf, "type", &type) ||
	    (strcmp(json_object_get_string(type), "etcd") &&
	     strcmp(json_object_get_string(type), "kubernetes"))) {
		/* not sent (a file store is this node's own): run here,
		 * its outcomes still reported */
		r = ipam_store_open(conf, ret, err);
		if (r == 0)
			snprintf((*ret)->report_sock,
				 sizeof((*ret)->report_sock), "%s",
				 json_object_get_string(sock));
		return r;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->conf = cni_json_copy(conf))) {
		free(v);
		return -ENOMEM;
	}
	v->hdr.ops = &via_ops;
	v->fd = -1;
	snprintf(v->sock, sizeof(v->sock), "%s", json_object_get_string(sock));
	lock_dir(conf, v->hdr.lock_dir, sizeof(v->hdr.lock_dir));
	*ret = &v->hdr;
	return 0;
}
