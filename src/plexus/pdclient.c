// SPDX-License-Identifier: Apache-2.0
/* plexusd first, the API second (pdclient.h; the protocol is plexusd's,
 * docs/plexusd.md "The socket"). */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cni_deadline.h"
#include "cni_error.h"
#include "cni_json.h"
#include "cni_log.h"
#include "k8s.h"
#include "nadsrc.h"
#include "pdclient.h"
#include "plexus_conf.h"

struct pdc {
	const struct plexus_conf *conf;
	char *uid;
	unsigned flags;
	int fd;		  /* -1: not connected, or given up */
	bool gave_up;	  /* plexusd absent, slow or broken: API only */
	int64_t deadline; /* of the request in flight */
	int64_t spent_ms; /* waited on plexusd so far, of the budget */
	struct nad_source *direct; /* opened on first need */
	unsigned fallbacks;	   /* requests sent directly instead */
	bool lookups;		   /* PDCLIENT_ADD: pods and NADs asked too */
	int64_t status_ms;	   /* a STATUS' wait for its answer */
};

/* plexusd absent, slow or broken: logged as an error (plexusd is
 * configured and not working); a miss it answered is only verbose */
static void give_up(struct pdc *p, const char *what, const char *why)
{
	cni_log(CNI_LOG_ERROR, "plexusd %s: %s: %s; asking the API",
		p->conf->plexusd_socket, what, why);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->gave_up = true;
}

static int pd_connect(struct pdc *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = p->conf->plexusd_socket;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	if (connect(p->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS && errno != EAGAIN)
		return -errno;
	return 0;
}

/* wait for fd to be ready for events before the deadline */
static int wait_fd(struct pdc *p, short events)
{
	struct pollfd pfd = { .fd = p->fd, .events = events };
	int64_t left = cni_deadline_left(p->deadline, PDCLIENT_STATUS_MS);
	int r;

	if (left <= 0)
		return -ETIMEDOUT;
	r = poll(&pfd, 1, (int)left);
	if (r < 0)
		return -errno;
	return r == 0 ? -ETIMEDOUT : 0;
}

static int send_all(struct pdc *p, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(p->fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			int r = wait_fd(p, POLLOUT);

			if (r < 0)
				return r;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* one reply line (without '\n'), malloc'ed */
static int recv_line(struct pdc *p, char **ret)
{
	char *buf = NULL, *nl = NULL;
	size_t len = 0, cap = 0;

	while (!nl) {
		ssize_t n;
		int r;

		if (len + 4096 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > K8S_RESPONSE_MAX + 4096 ||
			    !(nb = realloc(buf, cap))) {
				free(buf);
				return -EMSGSIZE;
			}
			buf = nb;
		}
		n = recv(p->fd, buf + len, cap - len - 1, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			r = wait_fd(p, POLLIN);
			if (r < 0) {
				free(buf);
				return r;
			}
			continue;
		}
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -ECONNRESET;
		}
		len += (size_t)n;
		buf[len] = '\0';
		nl = memchr(buf, '\n', len);
	}
	*nl = '\0';
	*ret = buf;
	return 0;
}

/* ask one request line; 0 with the object, -ENOENT for an answer that is
 * not OK (why in *ret_why), or a transport failure (why too) */
static int ask(struct pdc *p, const char *req, json_object **ret, char *why,
	       size_t why_size)
{
	int64_t t0 = cni_now_ms();
	char *line = NULL;
	int r = 0;

	/* what is left of the budget; the API's time does not count */
	p->deadline = cni_deadline_after(PDCLIENT_DEADLINE_MS - p->spent_ms);
	if (PDCLIENT_DEADLINE_MS - p->spent_ms <= 0)
		r = -ETIMEDOUT;
	if (r == 0 && p->fd < 0 && !p->gave_up)
		r = pd_connect(p);
	if (r == 0)
		r = send_all(p, req, strlen(req));
	if (r == 0)
		r = recv_line(p, &line);
	p->spent_ms += cni_now_ms() - t0;
	if (r < 0) {
		snprintf(why, why_size, "%s", strerror(-r));
		return r;
	}
	if (!strncmp(line, "OK ", 3)) {
		r = cni_json_parse(line + 3, strlen(line + 3), "plexusd answer",
				   ret, NULL);
		if (r == 0 && !json_object_is_type(*ret, json_type_object)) {
			json_object_put(*ret);
			r = -EINVAL;
		}
		if (r < 0)
			snprintf(why, why_size, "an answer that is not JSON");
		free(line);
		return r < 0 ? -EPROTO : 0;
	}
	snprintf(why, why_size, "answered %.60s", line);
	r = !strncmp(line, "ERR", 3) ? -EPROTO : -ENOENT;
	free(line);
	return r;
}

static int direct(struct pdc *p, struct cni_err *err)
{
	if (p->direct)
		return 0;
	return nad_source_open(p->conf, p->flags, &p->direct, err);
}

/* Ask plexusd with req (about `what`): 0 when it served *ret; else the
 * miss is logged (a miss plexusd answered keeps the connection for the
 * next question; anything else gives plexusd up for this call). */
static int served(struct pdc *p, const char *req, const char *what,
		  json_object **ret)
{
	char why[128];
	int r = ask(p, req, ret, why, sizeof(why));

	if (r == 0)
		return 0;
	if (r == -ENOENT)
		cni_log(CNI_LOG_VERBOSE, "plexusd %s: %s: %s; asking the API",
			p->conf->plexusd_socket, what, why);
	else
		give_up(p, what, why);
	return r;
}

/* The direct API source, opened on first use, for `what`. */
static int direct_for(struct pdc *p, const char *what, struct cni_err *err)
{
	int r = direct(p, err);

	if (r == 0 && !p->direct)
		r = cni_errf(err, CNI_ERR_SELECTION, "%s: no source", what);
	return r;
}

static int c_get_pod(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	struct pdc *p = ctx;
	char req[512], what[400];
	int r;

	snprintf(what, sizeof(what), "pod %s/%s", ns, name);
	if (!p->gave_up && p->lookups) {
		snprintf(req, sizeof(req), "POD %s %s %s\n", ns, name, p->uid);
		if (served(p, req, what, ret) == 0)
			return 0;
	}
	r = direct_for(p, what, err);
	p->fallbacks += p->lookups;
	return r ? r
		 : p->direct->ops->get_pod(p->direct->ctx, ns, name, ret, err);
}

static int c_get_nad(void *ctx, const char *ns, const char *name,
		     json_object **ret, struct cni_err *err)
{
	struct pdc *p = ctx;
	char req[512], what[400];
	int r;

	snprintf(what, sizeof(what), "NetworkAttachmentDefinition %s/%s", ns,
		 name);
	if (!p->gave_up && p->lookups && p->fd >= 0) {
		snprintf(req, sizeof(req), "NAD %s %s\n", ns, name);
		if (served(p, req, what, ret) == 0)
			return 0;
	}
	r = direct_for(p, what, err);
	p->fallbacks += p->lookups;
	return r ? r
		 : p->direct->ops->get_nad(p->direct->ctx, ns, name, ret, err);
}

/* one STATUS exchange on the open connection, or a new one: the answer
 * line in *ret */
static int status_ask(struct pdc *p, const char *req, size_t len, char **ret)
{
	int r = 0;

	p->deadline = cni_deadline_after(p->status_ms);
	if (p->fd < 0)
		r = pd_connect(p);
	if (r == 0)
		r = send_all(p, req, len);
	if (r == 0)
		r = recv_line(p, ret);
	return r;
}

/* STATUS through plexusd: 0 when it patched, -ENOENT (err set) when the
 * pod is gone, else -EAGAIN: write it directly */
static int status_via_plexusd(struct pdc *p, const char *ns, const char *name,
			      const char *uid, const char *status_json,
			      struct cni_err *err)
{
	char *req = NULL, *line = NULL, what[400];
	bool reused = p->fd >= 0;
	int n, r;

	snprintf(what, sizeof(what), "network-status of pod %s/%s", ns, name);
	n = asprintf(&req, "STATUS %s %s %s %s\n", ns, name, uid, status_json);
	if (n < 0 || (size_t)n > PDCLIENT_STATUS_MAX) {
		cni_log(CNI_LOG_VERBOSE,
			"plexusd %s: %s: over %d bytes; "
			"writing it directly",
			p->conf->plexusd_socket, what, PDCLIENT_STATUS_MAX);
		free(req);
		return -EAGAIN;
	}
	r = status_ask(p, req, (size_t)n, &line);
	if ((r == -EPIPE || r == -ECONNRESET) && reused) {
		close(p->fd); /* closed by plexusd while idle: once more */
		p->fd = -1;
		r = status_ask(p, req, (size_t)n, &line);
	}
	free(req);
	if (r < 0) {
		give_up(p, what, strerror(-r)); /* logged: asking the API */
		return -EAGAIN;
	}
	if (!strcmp(line, "OK")) {
		r = 0;
	} else if (!strncmp(line, "GONE", 4)) {
		cni_errf(err, CNI_ERR_SELECTION, "%s: plexusd: %.300s", what,
			 line);
		r = -ENOENT; /* as the API answers a direct write */
	} else {
		cni_log(!strncmp(line, "FAILED", 6) ? CNI_LOG_ERROR
						    : CNI_LOG_VERBOSE,
			"plexusd %s: %s: answered %.300s; writing it directly",
			p->conf->plexusd_socket, what, line);
		r = -EAGAIN;
	}
	free(line);
	return r;
}

static int c_put_status(void *ctx, const char *ns, const char *name,
			const char *uid, const char *status_json,
			struct cni_err *err)
{
	struct pdc *p = ctx;
	int r = -EAGAIN;

	if (!p->gave_up && uid && *uid)
		r = status_via_plexusd(p, ns, name, uid, status_json, err);
	if (r != -EAGAIN)
		return r;
	r = direct(p, err);
	if (r == 0 && (!p->direct || !p->direct->ops->put_network_status))
		return 0;
	p->fallbacks++;
	return r ? r
		 : p->direct->ops->put_network_status(p->direct->ctx, ns, name,
						      uid, status_json, err);
}

static unsigned c_requests(void *ctx)
{
	return nad_source_requests(((struct pdc *)ctx)->direct);
}

static void c_free(void *ctx)
{
	struct pdc *p = ctx;

	if (p->fd >= 0)
		close(p->fd);
	nad_source_free(p->direct);
	free(p->uid);
	free(p);
}

static const struct nad_source_ops pd_ops = {
	.kind = "kubernetes",
	.get_pod = c_get_pod,
	.get_nad = c_get_nad,
	.put_network_status = c_put_status,
	.requests = c_requests,
	.free = c_free,
};

unsigned pdclient_fallbacks(const struct nad_source *src)
{
	return src && src->ops == &pd_ops ? ((struct pdc *)src->ctx)->fallbacks
					  : 0;
}

int pdclient_open(const struct plexus_conf *conf, const char *uid,
		  unsigned flags, enum pdclient_mode mode,
		  struct nad_source **ret, struct cni_err *err)
{
	struct nad_source *src = calloc(1, sizeof(*src));
	struct pdc *p = calloc(1, sizeof(*p));

	if (!src || !p || !(p->uid = strdup(uid))) {
		free(src);
		free(p);
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	}
	p->conf = conf;
	p->flags = flags;
	p->fd = -1;
	p->lookups = mode == PDCLIENT_ADD;
	p->status_ms = mode == PDCLIENT_ADD ? PDCLIENT_STATUS_MS
					    : PDCLIENT_DEL_STATUS_MS;
	src->ops = &pd_ops;
	src->ctx = p;
	*ret = src;
	return 0;
}
