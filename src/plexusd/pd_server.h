/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_SERVER_H
#define PLEXUS_PD_SERVER_H

#include <poll.h>
#include <stddef.h>

#include "pd_http.h"

struct cni_err;
struct pd_server;

/* The answer to one request: status, content type, body (malloc'ed, the
 * server frees it). */
struct pd_reply {
	int status;
	const char *content_type;
	char *body;
	size_t len;
};

/* The handler: fill *reply for req (status 200/404/503...). */
typedef void (*pd_server_handler)(void *ctx, const struct pd_http_req *req,
				  struct pd_reply *reply);
/* called once per answer (its status; -503 for a connection refused
 * over the limit), for the metrics */
typedef void (*pd_server_counter)(void *ctx, int status);

#define PD_SERVER_TIMEOUT_MS 5000 /* a connection's whole life */

/* Listen on "host:port" (an IPv6 host in brackets), non-blocking, at
 * most max_conns connections at once (one request each, then closed);
 * one over the limit gets 503 at once. Code 5/7. */
int pd_server_open(const char *addr, int max_conns, pd_server_handler h,
		   pd_server_counter count, void *ctx, struct pd_server **ret,
		   struct cni_err *err);
void pd_server_close(struct pd_server *s);
/* The bound port (for ":0" in tests). */
int pd_server_port(const struct pd_server *s);

/* How many pollfd slots pd_server_fill may use. */
size_t pd_server_nfds(const struct pd_server *s);
/* Fill fds[0..) for poll; returns the number filled. */
size_t pd_server_fill(struct pd_server *s, struct pollfd *fds);
/* After poll: handle fds[0..n) as filled, close what timed out (now_ms,
 * CLOCK_MONOTONIC). */
void pd_server_handle(struct pd_server *s, const struct pollfd *fds, size_t n,
		      long long now_ms);
/* ms until the next connection deadline, -1 when none. */
int pd_server_timeout(const struct pd_server *s, long long now_ms);

long long pd_now_ms(void);

#endif
