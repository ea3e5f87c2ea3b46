// SPDX-License-Identifier: Apache-2.0
/* plexusd's HTTP/1.1 server: non-blocking, poll()-driven from the main
 * loop, one request per connection, bounded in connections, request size
 * and time. A peer can cost it at most PD_HTTP_HEAD_MAX bytes and
 * PD_SERVER_TIMEOUT_MS per slot. */
#include <errno.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cni_error.h"
#include "pd_server.h"

struct conn {
	int fd; /* -1: free */
	long long deadline;
	char in[PD_HTTP_HEAD_MAX];
	size_t in_len;
	char *out; /* the whole answer, once known */
	size_t out_len, out_off;
};

struct pd_server {
	int lfd;
	int port;
	int max;
	pd_server_handler handler;
	pd_server_counter count;
	void *ctx;
	struct conn conns[];
};

long long pd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int split_addr(const char *addr, char *host, size_t hsize,
		      const char **port)
{
	const char *colon;
	size_t n;

	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		n = (size_t)(end - addr - 1);
		addr++;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -EINVAL;
		n = (size_t)(colon - addr);
	}
	if (n == 0 || n >= hsize || !colon[1])
		return -EINVAL;
	memcpy(host, addr, n);
	host[n] = '\0';
	*port = colon + 1;
	return 0;
}

static int listen_on(const char *addr, int *ret_port, struct cni_err *err)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
					      AI_PASSIVE };
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	const char *port;
	char host[128];
	int fd, one = 1;

	if (split_addr(addr, host, sizeof(host), &port) < 0 ||
	    getaddrinfo(host, port, &hints, &ai) != 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"listen: \"%s\" is not host:port with a "
				"numeric host and port",
				addr);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd >= 0 &&
	    (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	     bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0 ||
	     getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return cni_errf(err, CNI_ERR_IO, "listen %s: %s", addr,
				strerror(errno));
	*ret_port = ntohs(ss.ss_family == AF_INET6
				  ? ((struct sockaddr_in6 *)&ss)->sin6_port
				  : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int pd_server_open(const char *addr, int max_conns, pd_server_handler h,
		   pd_server_counter count, void *ctx, struct pd_server **ret,
		   struct cni_err *err)
{
	struct pd_server *s;
	int port = 0, fd = listen_on(addr, &port, err);

	if (fd < 0)
		return fd;
	s = calloc(1, sizeof(*s) + (size_t)max_conns * sizeof(struct conn));
	if (!s) {
		close(fd);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	s->lfd = fd;
	s->port = port;
	s->max = max_conns;
	s->handler = h;
	s->count = count;
	s->ctx = ctx;
	for (int i = 0; i < max_conns; i++)
		s->conns[i].fd = -1;
	*ret = s;
	return 0;
}

/* what a peer sent beyond its request head: read and dropped before
 * close, so that the kernel does not answer it with a reset that could
 * overtake our answer (bounded: 64 KiB, never blocks) */
static void drain(int fd)
{
	char buf[4096];

	for (int i = 0; i < 16; i++)
		if (read(fd, buf, sizeof(buf)) <= 0)
			break;
}

static void conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	drain(c->fd);
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
}

void pd_server_close(struct pd_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->max; i++)
		conn_close(&s->conns[i]);
	close(s->lfd);
	free(s);
}

int pd_server_port(const struct pd_server *s)
{
	return s->port;
}

size_t pd_server_nfds(const struct pd_server *s)
{
	return (size_t)s->max + 1;
}

size_t pd_server_fill(struct pd_server *s, struct pollfd *fds)
{
	size_t n = 0;

	fds[n++] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (int i = 0; i < s->max; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd >= 0)
			fds[n++] = (struct pollfd){ .fd = c->fd,
						    .events = c->out ? POLLOUT
								     : POLLIN };
	}
	return n;
}

static char *answer_format(int status, const char *ctype, const char *body,
			   size_t len, bool head, size_t *ret_len)
{
	char *out = NULL;
	int n = asprintf(&out,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n"
			 "Cache-Control: no-store\r\n\r\n%.*s",
			 status, pd_http_reason(status), ctype, len,
			 head ? 0 : (int)len, body ? body : "");

	if (n < 0)
		return NULL;
	*ret_len = (size_t)n;
	return out;
}

static void conn_answer(struct pd_server *s, struct conn *c, int status,
			const struct pd_http_req *req)
{
	struct pd_reply r = { .status = status,
			      .content_type = "text/plain; charset=utf-8" };

	if (req && req->method == PD_HTTP_OTHER)
		r.status = 405;
	else if (req)
		s->handler(s->ctx, req, &r);
	if (!r.body) {
		if (asprintf(&r.body, "%s\n", pd_http_reason(r.status)) < 0)
			r.body = NULL;
		r.len = r.body ? strlen(r.body) : 0;
	}
	c->out = answer_format(r.status, r.content_type, r.body, r.len,
			       req && req->method == PD_HTTP_HEAD, &c->out_len);
	c->out_off = 0;
	free(r.body);
	if (s->count)
		s->count(s->ctx, r.status);
	if (!c->out)
		conn_close(c);
}

static void conn_read(struct pd_server *s, struct conn *c)
{
	struct pd_http_req req;
	ssize_t n;
	int st;

	n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	st = pd_http_parse(c->in, c->in_len, &req);
	if (st == -EAGAIN)
		return;
	conn_answer(s, c, st == 0 ? 200 : -st, st == 0 ? &req : NULL);
}

static void conn_write(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		conn_close(c);
}

static void refuse_busy(struct pd_server *s, int fd)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
				   "Content-Length: 5\r\nConnection: close\r\n"
				   "\r\nbusy\n";

	/* best effort: a fresh socket's send buffer takes these bytes */
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;
	close(fd);
	if (s->count)
		s->count(s->ctx, -503);
}

static void accept_all(struct pd_server *s, long long now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		int i;

		if (fd < 0)
			return;
		for (i = 0; i < s->max && s->conns[i].fd >= 0; i++)
			;
		if (i == s->max) {
			refuse_busy(s, fd);
			continue;
		}
		s->conns[i].fd = fd;
		s->conns[i].deadline = now + PD_SERVER_TIMEOUT_MS;
	}
}

static struct conn *by_fd(struct pd_server *s, int fd)
{
	for (int i = 0; i < s->max; i++)
		if (s->conns[i].fd == fd)
			return &s->conns[i];
	return NULL;
}

void pd_server_handle(struct pd_server *s, const struct pollfd *fds, size_t n,
		      long long now_ms)
{
	for (size_t i = 1; i < n; i++) {
		struct conn *c = by_fd(s, fds[i].fd);

		if (!c || !fds[i].revents)
			continue;
		if (c->out)
			conn_write(c);
		else if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
			conn_read(s, c);
	}
	for (int i = 0; i < s->max; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0 || now_ms < c->deadline)
			continue;
		if (!c->out) /* too slow to send its request: 408, once */
			conn_answer(s, c, 408, NULL);
		if (c->fd >= 0 && now_ms >= c->deadline + 1000)
			conn_close(c);
	}
	if (n > 0 && (fds[0].revents & POLLIN))
		accept_all(s, now_ms);
}

int pd_server_timeout(const struct pd_server *s, long long now_ms)
{
	long long best = -1;

	for (int i = 0; i < s->max; i++) {
		const struct conn *c = &s->conns[i];
		long long d;

		if (c->fd < 0)
			continue;
		d = c->deadline + (c->out ? 1000 : 0) - now_ms;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	return (int)best;
}
