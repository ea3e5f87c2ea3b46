// SPDX-License-Identifier: Apache-2.0
/* plexus' reports to plexusd (pdreport.h); the lines are plexusd's
 * RESULT and CALL requests (docs/plexusd.md, "The socket"). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cni_spool.h"
#include "pdreport.h"

#define LABEL_MAX 128 /* plexusd's PD_SOCK_LABEL_MAX */
#define LINE_MAX_ 512 /* plexusd's PD_SOCK_LINE_MAX */

struct pdreport {
	char lines[PDREPORT_MAX_CALLS][LINE_MAX_];
	size_t n;
};

struct pdreport *pdreport_new(void)
{
	return calloc(1, sizeof(struct pdreport));
}

void pdreport_free(struct pdreport *r)
{
	free(r);
}

static const char *verb(enum cni_cmd cmd)
{
	switch (cmd) {
	case CNI_CMD_ADD:
		return "ADD";
	case CNI_CMD_DEL:
		return "DEL";
	case CNI_CMD_CHECK:
		return "CHECK";
	default:
		return NULL;
	}
}

/* percent-encode s (at most LABEL_MAX bytes of it, ENC_MAX encoded, so
 * that a CALL line stays under LINE_MAX_; a byte that is not printable
 * ASCII is sent as '?'): out holds ENC_MAX + 1 */
#define ENC_MAX 230
static void encode(const char *s, char *out)
{
	size_t n = 0;

	if (!s || !*s)
		s = "-";
	for (size_t i = 0; s[i] && i < LABEL_MAX && n + 3 <= ENC_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e)
			c = '?';
		if (c <= 0x20 || c == '%')
			n += (size_t)sprintf(out + n, "%%%02X", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
}

static unsigned long long us_of(double ms)
{
	return ms <= 0	      ? 0
	       : ms >= 3600e3 ? 3600000000ULL
			      : (unsigned long long)(ms * 1e3);
}

static unsigned code_of(int code)
{
	return code < 0 || code > 999 ? 999 : (unsigned)code;
}

void pdreport_call(void *ctx, enum cni_cmd cmd, const char *network,
		   const char *type, double ms, int code)
{
	struct pdreport *r = ctx;
	char net[ENC_MAX + 1], ty[ENC_MAX + 1];

	if (!r || !verb(cmd) || r->n == PDREPORT_MAX_CALLS)
		return;
	encode(network, net);
	encode(type, ty);
	snprintf(r->lines[r->n++], LINE_MAX_, "CALL %s %u %llu %.230s %.230s\n",
		 verb(cmd), code_of(code), us_of(ms), net, ty);
}

static int connect_now(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* the whole report in one send; false when plexusd did not take it */
static bool send_now(const char *socket, const char *buf, size_t len)
{
	int fd = connect_now(socket);
	ssize_t n = -1;

	if (fd >= 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
	}
	return n >= 0;
}

void pdreport_send(const struct pdreport *r, const char *socket,
		   enum cni_cmd cmd, int code, double ms, unsigned fallbacks)
{
	char *buf, *result;
	size_t len = 0;

	if (!r || !socket || !*socket || !verb(cmd))
		return;
	buf = malloc((r->n + 1) * LINE_MAX_);
	if (!buf)
		return;
	for (size_t i = 0; i < r->n; i++) {
		memcpy(buf + len, r->lines[i], strlen(r->lines[i]));
		len += strlen(r->lines[i]);
	}
	result = buf + len;
	len += (size_t)snprintf(buf + len, LINE_MAX_, "RESULT %s %u %llu %u\n",
				verb(cmd), code_of(code), us_of(ms),
				fallbacks > 999 ? 999 : fallbacks);
	/* one write: a short one leaves plexusd a cut line, which it drops;
	 * none at all (plexusd down, its socket full): the RESULT line is
	 * kept in the spool for plexusd to count when it runs again (the
	 * CALL lines are not: one line a verb, so a full spool holds many
	 * verbs) */
	if (!send_now(socket, buf, len) &&
	    cni_spool_append(socket, result) < 0) {
		/* a report is never worth waiting for */
	}
	free(buf);
}
