// SPDX-License-Identifier: Apache-2.0
/* plexusd's unix socket (pd_sock.h): non-blocking, driven by the main
 * poll loop, root peers only (SO_PEERCRED), one request line at a time
 * per connection, bounded in connections, line size and idle time. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-c/json.h>

#include "cni_error.h"
#include "cni_fs.h"
#include "k8s.h"
#include "pd_cache.h"
#include "pd_sock.h"

struct conn {
	int fd; /* -1: free */
	long long idle_at;
	long long wait_until;	      /* a POD request parked: 0 when none */
	unsigned long long status_id; /* a STATUS or a fetch queued: 0 when
				       * none */
	struct pd_sock_req req;
	char *in; /* PD_SOCK_LINE_MAX, grown for a STATUS line */
	size_t in_len, in_cap;
	char *out;
	size_t out_len, out_off;
	bool closing; /* after out is written */
};

struct pd_sock {
	int lfd;
	char *path;
	pd_sock_lookup lookup;
	pd_sock_counter count;
	pd_sock_status_fn status;
	pd_sock_report_fn report;
	pd_sock_fetch_fn fetch;
	void *ctx;
	unsigned long long next_id;
	struct conn conns[PD_SOCK_MAX_CONNS];
};

/* --- the request parser --- */

static bool word(const char **p, const char *end, char *out, size_t size)
{
	const char *sp = memchr(*p, ' ', (size_t)(end - *p));
	const char *stop = sp ? sp : end;
	size_t n = (size_t)(stop - *p);

	if (n == 0 || n >= size)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p = sp ? sp + 1 : end;
	return !sp || sp + 1 < end; /* no trailing space */
}

static bool uid_ok(const char *s)
{
	for (; *s; s++)
		if (!(*s == '-' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static bool digits(const char **p, const char *end, unsigned long long max,
		   unsigned long long *ret)
{
	char buf[21];
	unsigned long long v = 0;

	if (!word(p, end, buf, sizeof(buf)) || (buf[0] == '0' && buf[1]))
		return false;
	for (const char *c = buf; *c; c++) {
		if (*c < '0' || *c > '9' ||
		    v > (max - (unsigned)(*c - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(*c - '0');
	}
	*ret = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* a percent-encoded label: printable ASCII once decoded, 1..max bytes */
static bool label(const char **p, const char *end, char *out, size_t size)
{
	char buf[3 * PD_SOCK_LABEL_MAX + 1];
	size_t n = 0;

	if (!word(p, end, buf, sizeof(buf)))
		return false;
	for (const char *c = buf; *c; c++) {
		int ch = (unsigned char)*c;

		if (ch == '%') {
			int hi = hexval(c[1]), lo = hi < 0 ? -1 : hexval(c[2]);

			if (lo < 0)
				return false;
			ch = hi * 16 + lo;
			c += 2;
		}
		if (ch < 0x20 || ch > 0x7e || n + 1 >= size)
			return false;
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return n > 0;
}

static bool cni_verb(const char **p, const char *end, enum pd_cni_verb *ret)
{
	static const char *const names[PD_VERBS] = { "ADD", "DEL", "CHECK" };
	char buf[6];

	if (!word(p, end, buf, sizeof(buf)))
		return false;
	for (int i = 0; i < PD_VERBS; i++)
		if (!strcmp(buf, names[i])) {
			*ret = (enum pd_cni_verb)i;
			return true;
		}
	return false;
}

/* RESULT <verb> <code> <us> <fallbacks> | CALL <verb> <code> <us> <net>
 * <type> */
static bool report_parse(const char *p, const char *end, struct pd_sock_req *r)
{
	unsigned long long code, fb = 0;

	if (!cni_verb(&p, end, &r->cni_verb) || p == end ||
	    !digits(&p, end, 999, &code) || p == end ||
	    !digits(&p, end, 3600ULL * 1000000, &r->us) || p == end)
		return false;
	r->code = (unsigned)code;
	if (r->verb == PD_SOCK_RESULT) {
		if (!digits(&p, end, 999, &fb))
			return false;
		r->fallbacks = (unsigned)fb;
	} else if (!label(&p, end, r->network, sizeof(r->network)) ||
		   p == end || !label(&p, end, r->type, sizeof(r->type))) {
		return false;
	}
	return p == end;
}

/* STATUS's JSON: a list of objects, from '[' to ']', nothing around */
static bool status_json_ok(const char *s, size_t len)
{
	struct json_tokener *tok = json_tokener_new_ex(16);
	json_object *doc;
	bool ok = false;

	if (!tok || len < 2 || len > INT_MAX || s[0] != '[' ||
	    s[len - 1] != ']')
		goto out;
	doc = json_tokener_parse_ex(tok, s, (int)len);
	if (doc && json_tokener_get_error(tok) == json_tokener_success &&
	    json_tokener_get_parse_end(tok) == len &&
	    json_object_is_type(doc, json_type_array)) {
		ok = true;
		for (size_t i = 0; ok && i < json_object_array_length(doc); i++)
			ok = json_object_is_type(
				json_object_array_get_idx(doc, i),
				json_type_object);
	}
	json_object_put(doc);
out:
	json_tokener_free(tok);
	return ok;
}

static bool verb_parse(const char *w, enum pd_sock_verb *ret)
{
	static const char *const names[] = { "POD",    "NAD",  "STATUS",
					     "RESULT", "CALL", "CLAIM" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(w, names[i])) {
			*ret = (enum pd_sock_verb)i;
			return true;
		}
	return false;
}

/* POD ns name uid | NAD ns name | CLAIM ns name | STATUS ns name uid
 * json */
static bool object_parse(const char *p, const char *end, struct pd_sock_req *r)
{
	bool with_uid = r->verb == PD_SOCK_POD || r->verb == PD_SOCK_STATUS;

	if (p == end || !word(&p, end, r->ns, sizeof(r->ns)) || p == end ||
	    !word(&p, end, r->name, sizeof(r->name)))
		return false;
	if (with_uid && (p == end || !word(&p, end, r->uid, sizeof(r->uid)) ||
			 !uid_ok(r->uid)))
		return false;
	if (r->verb == PD_SOCK_STATUS) {
		if (p == end || !status_json_ok(p, (size_t)(end - p)))
			return false;
		r->body = p;
		r->body_len = (size_t)(end - p);
		p = end;
	}
	return p == end && k8s_name_is_label(r->ns) &&
	       k8s_name_is_subdomain(r->name);
}

int pd_sock_parse(const char *line, size_t len, struct pd_sock_req *ret)
{
	struct pd_sock_req r = { 0 };
	const char *p = line, *end = line + len;
	char verb[7];
	bool ok;

	if (len >= PD_SOCK_STATUS_MAX || memchr(line, '\0', len) ||
	    !word(&p, end, verb, sizeof(verb)) || !verb_parse(verb, &r.verb))
		return -EINVAL;
	if (r.verb != PD_SOCK_STATUS && len >= PD_SOCK_LINE_MAX)
		return -EINVAL;
	if (r.verb == PD_SOCK_RESULT || r.verb == PD_SOCK_CALL)
		ok = p != end && report_parse(p, end, &r);
	else
		ok = object_parse(p, end, &r);
	if (!ok)
		return -EINVAL;
	*ret = r;
	return 0;
}

/* --- connections --- */

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	free(c->in);
	*c = (struct conn){ .fd = -1 };
}

static void flush_out(struct conn *c)
{
	while (c->out && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->closing)
		conn_close(c);
}

/* queue "head[ body]\n" (body may be NULL) and try to send it */
static void reply(struct conn *c, const char *head, const char *body)
{
	size_t hl = strlen(head), bl = body ? strlen(body) : 0;

	c->out = malloc(hl + bl + 2);
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, hl);
	if (body) {
		c->out[hl] = ' ';
		memcpy(c->out + hl + 1, body, bl);
		hl += bl + 1;
	}
	c->out[hl] = '\n';
	c->out_len = hl + 1;
	c->out_off = 0;
	flush_out(c);
}

static void refuse(struct pd_sock *s, struct conn *c, enum pd_sock_result res,
		   const char *why)
{
	s->count(s->ctx, res);
	c->closing = true;
	reply(c, why, NULL);
}

/* answer r (a lookup's or a fetch's) with json (taken) */
static void send_answer(struct pd_sock *s, struct conn *c, long long now, int r,
			char *json)
{
	c->idle_at = now + PD_SOCK_IDLE_MS;
	if (r == 0) {
		s->count(s->ctx, PD_SOCK_SERVED);
		reply(c, "OK", json);
	} else if (r == -ESTALE) {
		s->count(s->ctx, PD_SOCK_MISMATCH);
		reply(c, "MISMATCH", NULL);
	} else if (r == -EAGAIN) {
		s->count(s->ctx, PD_SOCK_NOTREADY);
		reply(c, "NOTREADY", NULL);
	} else {
		s->count(s->ctx, PD_SOCK_UNKNOWN);
		reply(c, "UNKNOWN", NULL);
	}
	free(json);
}

/* answer c->req now, or park it: a pod not cached yet is waited for,
 * then fetched */
static void answer(struct pd_sock *s, struct conn *c, long long now,
		   bool may_wait)
{
	char *json = NULL;
	int r = s->lookup(s->ctx, &c->req, &json);
	bool pod = r == -ENOENT && c->req.verb == PD_SOCK_POD;

	c->wait_until = 0;
	if (pod && may_wait) {
		c->wait_until = now + PD_SOCK_WAIT_MS;
		return;
	}
	if (pod && s->fetch) {
		c->status_id = ++s->next_id;
		if (s->fetch(s->ctx, c->status_id, &c->req) == 0)
			return;
		c->status_id = 0;
	}
	send_answer(s, c, now, r, json);
}

/* STATUS: the pod must be the cached one (namespace, name and uid);
 * then the patch is queued and the answer waits for it */
static void status_start(struct pd_sock *s, struct conn *c, long long now)
{
	struct pd_sock_req pod = { .verb = PD_SOCK_POD };
	char *json = NULL;
	int r;

	memcpy(pod.ns, c->req.ns, sizeof(pod.ns));
	memcpy(pod.name, c->req.name, sizeof(pod.name));
	memcpy(pod.uid, c->req.uid, sizeof(pod.uid));
	r = s->lookup(s->ctx, &pod, &json);
	free(json);
	c->idle_at = now + PD_SOCK_IDLE_MS;
	if (r == 0) {
		c->status_id = ++s->next_id;
		if (s->status && s->status(s->ctx, c->status_id, &c->req) == 0)
			return;
		c->status_id = 0;
	}
	s->count(s->ctx, PD_SOCK_STATUS_DIRECT);
	reply(c,
	      r == -ESTALE   ? "MISMATCH"
	      : r == -EAGAIN ? "NOTREADY"
	      : r < 0	     ? "UNKNOWN"
			     : "BUSY",
	      NULL);
}

static void dispatch(struct pd_sock *s, struct conn *c, long long now)
{
	switch (c->req.verb) {
	case PD_SOCK_POD:
	case PD_SOCK_NAD:
	case PD_SOCK_CLAIM:
		answer(s, c, now, true);
		break;
	case PD_SOCK_STATUS:
		status_start(s, c, now);
		break;
	case PD_SOCK_RESULT:
	case PD_SOCK_CALL:
		s->count(s->ctx, PD_SOCK_REPORTED);
		if (s->report)
			s->report(s->ctx, &c->req);
		c->idle_at = now + PD_SOCK_IDLE_MS;
		break;
	}
}

/* a full buffer: a STATUS line may grow it to PD_SOCK_STATUS_MAX */
static bool grow(struct conn *c)
{
	char *nb;

	if (c->in_cap >= PD_SOCK_STATUS_MAX || c->in_len < 7 ||
	    memcmp(c->in, "STATUS ", 7))
		return false;
	nb = realloc(c->in, PD_SOCK_STATUS_MAX);
	if (!nb)
		return false;
	c->in = nb;
	c->in_cap = PD_SOCK_STATUS_MAX;
	return true;
}

/* back to the small buffer once a big line is consumed */
static void shrink(struct conn *c)
{
	char *nb;

	if (c->in_cap == PD_SOCK_LINE_MAX || c->in_len >= PD_SOCK_LINE_MAX)
		return;
	nb = realloc(c->in, PD_SOCK_LINE_MAX);
	if (nb) {
		c->in = nb;
		c->in_cap = PD_SOCK_LINE_MAX;
	}
}

/* the complete lines in c->in, one at a time (a parked, queued or unsent
 * answer holds the rest back). The request (a STATUS' JSON) is used
 * before the line is dropped from the buffer. */
static void lines(struct pd_sock *s, struct conn *c, long long now)
{
	char *nl;

	while (c->fd >= 0 && !c->out && !c->wait_until && !c->status_id &&
	       (nl = memchr(c->in, '\n', c->in_len))) {
		size_t n = (size_t)(nl - c->in);
		int r = pd_sock_parse(c->in, n, &c->req);

		if (r == 0)
			dispatch(s, c, now);
		c->req.body = NULL;
		c->req.body_len = 0;
		if (c->fd < 0)
			return;
		c->in_len -= n + 1;
		memmove(c->in, nl + 1, c->in_len);
		shrink(c);
		if (r < 0) {
			refuse(s, c, PD_SOCK_MALFORMED,
			       "ERR malformed request");
			return;
		}
	}
	if (c->fd >= 0 && c->in_len == c->in_cap && !grow(c))
		refuse(s, c, PD_SOCK_MALFORMED, "ERR request too long");
}

static void conn_read(struct pd_sock *s, struct conn *c, long long now)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	lines(s, c, now);
}

static bool peer_is_root(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
	       len == sizeof(uc) && uc.uid == 0;
}

static void accept_all(struct pd_sock *s, long long now)
{
	int fd;

	while ((fd = accept4(s->lfd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		struct conn *c = NULL;

		for (size_t i = 0; i < PD_SOCK_MAX_CONNS && !c; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		char *in = c ? malloc(PD_SOCK_LINE_MAX) : NULL;

		if (c && !in) {
			close(fd);
			continue;
		}
		if (!c || !peer_is_root(fd)) {
			free(in);
			const char *why =
				c ? "ERR peer is not root\n" : "ERR busy\n";

			s->count(s->ctx, c ? PD_SOCK_NOT_ROOT : PD_SOCK_BUSY);
			if (send(fd, why, strlen(why), MSG_NOSIGNAL) < 0) {
				/* refused either way */
			}
			close(fd);
			continue;
		}
		*c = (struct conn){ .fd = fd,
				    .idle_at = now + PD_SOCK_IDLE_MS,
				    .in = in,
				    .in_cap = PD_SOCK_LINE_MAX };
	}
}

/* --- the loop's side --- */

size_t pd_sock_nfds(const struct pd_sock *s)
{
	(void)s;
	return 1 + PD_SOCK_MAX_CONNS;
}

size_t pd_sock_fill(struct pd_sock *s, struct pollfd *fds)
{
	size_t n = 0;

	fds[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		fds[n++] = (struct pollfd){
			.fd = c->fd,
			.events = c->out			  ? POLLOUT
				  : c->wait_until || c->status_id ? 0
								  : POLLIN,
		};
	}
	return n;
}

void pd_sock_handle(struct pd_sock *s, const struct pollfd *fds, size_t n,
		    long long now)
{
	for (size_t i = 1; i < n && i <= PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i - 1];

		if (c->fd < 0 || c->fd != fds[i].fd)
			continue;
		if (fds[i].revents & POLLOUT) {
			flush_out(c);
			lines(s, c, now);
		} else if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
			conn_read(s, c, now);
		}
	}
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd >= 0 && c->wait_until && now >= c->wait_until) {
			answer(s, c, now, false);
			lines(s, c, now);
		} else if (c->fd >= 0 && !c->wait_until && !c->status_id &&
			   now >= c->idle_at) {
			conn_close(c);
		}
	}
	if (n && fds[0].revents & POLLIN)
		accept_all(s, now);
}

void pd_sock_changed(struct pd_sock *s, long long now)
{
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];
		char *json = NULL;

		if (c->fd < 0 || !c->wait_until)
			continue;
		if (s->lookup(s->ctx, &c->req, &json) == -ENOENT)
			continue;
		free(json);
		answer(s, c, now, false);
		lines(s, c, now);
	}
}

int pd_sock_timeout(const struct pd_sock *s, long long now)
{
	long long t = -1;

	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		const struct conn *c = &s->conns[i];
		long long at = c->wait_until ? c->wait_until : c->idle_at;

		if (c->fd >= 0 && !c->status_id && (t < 0 || at < t))
			t = at;
	}
	if (t < 0)
		return -1;
	return t <= now ? 0 : (int)(t - now);
}

/* --- open, close --- */

static int sock_bind(struct pd_sock *s, const char *path, struct cni_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int r;

	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--socket \"%s\": exists and is not a socket",
				path);
	unlink(path);
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0)
		return cni_errf(err, CNI_ERR_IO, "socket: %s", strerror(errno));
	memcpy(sa.sun_path, path, strlen(path) + 1);
	old = umask(0177);
	r = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(path, 0600) < 0 || listen(s->lfd, 64) < 0)
		return cni_errf(err, CNI_ERR_IO, "--socket \"%s\": %s", path,
				strerror(errno));
	return 0;
}

int pd_sock_open(const char *path, pd_sock_lookup lookup, pd_sock_counter count,
		 void *ctx, struct pd_sock **ret, struct cni_err *err)
{
	struct pd_sock *s;
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	int r;

	if (path[0] != '/' || strlen(path) >= sizeof(dir))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"--socket \"%s\": not an absolute path of at "
				"most %zu bytes",
				path, sizeof(dir) - 1);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	if (dir[0] && cni_fs_mkdir_p(dir, 0700) < 0)
		return cni_errf(err, CNI_ERR_IO, "--socket: mkdir %s: %s", dir,
				strerror(errno));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	s->lfd = -1;
	s->lookup = lookup;
	s->count = count;
	s->ctx = ctx;
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++)
		s->conns[i].fd = -1;
	r = sock_bind(s, path, err);
	if (r < 0) {
		if (s->lfd >= 0)
			close(s->lfd);
		free(s->path);
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

void pd_sock_set_hooks(struct pd_sock *s, pd_sock_status_fn status,
		       pd_sock_report_fn report)
{
	s->status = status;
	s->report = report;
}

void pd_sock_set_fetch(struct pd_sock *s, pd_sock_fetch_fn fetch)
{
	s->fetch = fetch;
}

int pd_sock_fetch_done(struct pd_sock *s, unsigned long long id,
		       json_object *pod, long long now)
{
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];
		char *json = NULL;
		int r = -ENOENT;

		if (c->fd < 0 || c->status_id != id)
			continue;
		c->status_id = 0;
		if (pod)
			r = pd_cache_pod_cut(pod, c->req.ns, c->req.name,
					     c->req.uid, &json);
		if (r != 0 && r != -ESTALE)
			r = -ENOENT;
		send_answer(s, c, now, r, json);
		lines(s, c, now);
		return r;
	}
	return -ECONNRESET;
}

void pd_sock_status_done(struct pd_sock *s, unsigned long long id,
			 const char *answer_line, long long now)
{
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0 || c->status_id != id)
			continue;
		c->status_id = 0;
		c->idle_at = now + PD_SOCK_IDLE_MS;
		s->count(s->ctx, strcmp(answer_line, "OK")
					 ? PD_SOCK_STATUS_DIRECT
					 : PD_SOCK_STATUS_PATCHED);
		reply(c, answer_line, NULL);
		lines(s, c, now);
		return;
	}
}

void pd_sock_close(struct pd_sock *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < PD_SOCK_MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	close(s->lfd);
	unlink(s->path);
	free(s->path);
	free(s);
}
