/* SPDX-License-Identifier: Apache-2.0 */
/* An IPAMClaim read from plexusd's warm cache (node setting
 * "plexusdSocket", plexusd's --socket; request "CLAIM <ns> <name>",
 * docs/plexusd.md "The socket"). Anything but a claim of that name
 * (no plexusd, no answer within IPAM_CLAIM_PLEXUSD_MS, UNKNOWN,
 * NOTREADY, an ERR, nonsense) means: GET it from the API as before.
 * A miss is never taken for "no such claim". */
#include <errno.h>
#include <poll.h>
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
#include "ipam_claim.h"

int ipam_claim_reply_parse(const char *line, size_t len, const char *ns,
			   const char *name, struct ipam_claim **ret)
{
	json_object *doc = NULL;
	int rc;

	if (len < 4 || memcmp(line, "OK ", 3))
		return 1;
	if (len > IPAM_CLAIM_REPLY_MAX)
		return -EPROTO;
	if (cni_json_parse_max(line + 3, len - 3, IPAM_CLAIM_REPLY_MAX,
			       "plexusd's claim", &doc, NULL) < 0)
		return -EPROTO;
	rc = ipam_claim_parse(doc, ns, name, ret, NULL);
	json_object_put(doc);
	return rc < 0 ? -EPROTO : 0;
}

static int claim_connect(const char *sock, int64_t until)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd p = { .events = POLLOUT };
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS && errno != EAGAIN) {
		int e = errno;

		close(fd);
		return -e;
	}
	p.fd = fd;
	if (poll(&p, 1, (int)cni_deadline_left(until, IPAM_CLAIM_PLEXUSD_MS)) !=
	    1) {
		close(fd);
		return -ETIMEDOUT;
	}
	return fd;
}

/* one line (without its '\n') into *ret, NUL-ended; its length */
static ssize_t claim_recv(int fd, int64_t until, char **ret)
{
	size_t have = 0, cap = 4096;
	char *buf = malloc(cap), *nl;
	ssize_t rc = -ENOMEM;

	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if ((nl = memchr(buf, '\n', have))) {
			*nl = '\0';
			*ret = buf;
			return nl - buf;
		}
		if (have + 1 >= cap) {
			char *nb = cap * 2 > IPAM_CLAIM_REPLY_MAX + 2
					   ? NULL
					   : realloc(buf, cap * 2);

			rc = -EMSGSIZE;
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		rc = -ETIMEDOUT;
		if (poll(&p, 1,
			 (int)cni_deadline_left(until,
						IPAM_CLAIM_PLEXUSD_MS)) != 1)
			break;
		n = recv(fd, buf + have, cap - have - 1, 0);
		rc = n < 0 ? -errno : -ECONNRESET;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	free(buf);
	return rc;
}

/* the answer line to "CLAIM ns name" */
static ssize_t claim_ask(const char *sock, int64_t until, const char *ns,
			 const char *name, char **ret)
{
	char req[400];
	int fd = claim_connect(sock, until);
	int n = snprintf(req, sizeof(req), "CLAIM %s %s\n", ns, name);
	ssize_t r = -EPIPE;

	if (fd < 0)
		return fd;
	if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n)
		r = claim_recv(fd, until, ret);
	close(fd);
	return r;
}

int ipam_claim_via_plexusd(const char *sock, int64_t deadline, const char *ns,
			   const char *name, struct ipam_claim **ret)
{
	int64_t until = cni_deadline_min(
		deadline, cni_deadline_after(IPAM_CLAIM_PLEXUSD_MS));
	char *line = NULL;
	ssize_t n = claim_ask(sock, until, ns, name, &line);
	int rc;

	if (n < 0) {
		cni_log(CNI_LOG_ERROR,
			"plexusd %s: IPAMClaim %s/%s: %s; asking the API", sock,
			ns, name,
			n == -ETIMEDOUT ? "no answer in time"
					: strerror((int)-n));
		return 1;
	}
	rc = ipam_claim_reply_parse(line, (size_t)n, ns, name, ret);
	if (rc != 0)
		cni_log(rc > 0 ? CNI_LOG_VERBOSE : CNI_LOG_ERROR,
			"plexusd %s: IPAMClaim %s/%s: %s; asking the API", sock,
			ns, name,
			rc > 0 ? "not served from its cache"
			       : "a malformed answer");
	free(line);
	return rc == 0 ? 0 : 1;
}
