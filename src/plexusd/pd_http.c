// SPDX-License-Identifier: Apache-2.0
/* plexusd's HTTP/1.1 request-head parser (RFC 9112, the part a GET
 * without a body needs). Everything here reads bytes from the network:
 * every index is checked against len, nothing is copied past a bound. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "pd_http.h"

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* a byte no request head may hold: controls other than CR, LF, HTAB */
static bool bad_byte(unsigned char c)
{
	return (c < 0x20 && c != '\r' && c != '\n' && c != '\t') || c == 0x7f;
}

static const char *find_head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 3 < len; i++)
		if (!memcmp(buf + i, "\r\n\r\n", 4))
			return buf + i;
	return NULL;
}

/* the line starting at p and ending before the CRLF at or before end */
static const char *line_end(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != '\r')
		q++;
	return q;
}

static int parse_method(const char *p, size_t n, struct pd_http_req *r)
{
	if (n == 0 || n > 16)
		return -400;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar(p[i]))
			return -400;
	if (n == 3 && !memcmp(p, "GET", 3))
		r->method = PD_HTTP_GET;
	else if (n == 4 && !memcmp(p, "HEAD", 4))
		r->method = PD_HTTP_HEAD;
	else
		r->method = PD_HTTP_OTHER;
	return 0;
}

static int parse_target(const char *p, size_t n, struct pd_http_req *r)
{
	size_t path_len = 0;

	if (n == 0 || p[0] != '/')
		return -400;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return -400;
	while (path_len < n && p[path_len] != '?' && p[path_len] != '#')
		path_len++;
	if (path_len >= sizeof(r->path))
		return -414;
	memcpy(r->path, p, path_len);
	r->path[path_len] = '\0';
	return 0;
}

static int parse_version(const char *p, size_t n, struct pd_http_req *r)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) || p[6] != '.' || p[5] < '0' ||
	    p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -400;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return -505;
	r->minor = p[7] - '0';
	return 0;
}

static int parse_request_line(const char *p, const char *end,
			      struct pd_http_req *r)
{
	const char *sp1 = memchr(p, ' ', (size_t)(end - p));
	const char *sp2;
	int s;

	if (!sp1)
		return -400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2)
		return -400;
	s = parse_method(p, (size_t)(sp1 - p), r);
	if (!s)
		s = parse_target(sp1 + 1, (size_t)(sp2 - sp1 - 1), r);
	if (!s)
		s = parse_version(sp2 + 1, (size_t)(end - sp2 - 1), r);
	return s;
}

/* Content-Length: only 0 (any number of zeros) passes: plexusd takes no
 * body, and anything else (a number, a list, junk) is refused */
static int check_content_length(const char *v, size_t n)
{
	size_t i = 0;

	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	while (n > i && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (i == n)
		return -400;
	for (; i < n; i++)
		if (v[i] != '0')
			return -400;
	return 0;
}

static int parse_header(const char *p, const char *end, bool *host)
{
	const char *colon = memchr(p, ':', (size_t)(end - p));
	size_t n;

	if (!colon || colon == p)
		return -400; /* also an obs-fold line: it starts with a space */
	n = (size_t)(colon - p);
	for (size_t i = 0; i < n; i++)
		if (!is_tchar(p[i]))
			return -400;
	if (n == 4 && !strncasecmp(p, "host", 4))
		*host = true;
	if (n == 17 && !strncasecmp(p, "transfer-encoding", 17))
		return -400;
	if (n == 14 && !strncasecmp(p, "content-length", 14))
		return check_content_length(colon + 1,
					    (size_t)(end - colon - 1));
	return 0;
}

int pd_http_parse(const char *buf, size_t len, struct pd_http_req *ret)
{
	size_t scan = len < PD_HTTP_HEAD_MAX ? len : PD_HTTP_HEAD_MAX;
	struct pd_http_req r = { 0 };
	const char *head_end, *p, *e;
	bool host = false;
	int s;

	/* the head ends at the first blank line; what follows is not ours */
	head_end = find_head_end(buf, scan);
	if (head_end)
		scan = (size_t)(head_end - buf);
	for (size_t i = 0; i < scan; i++)
		if (bad_byte((unsigned char)buf[i]))
			return -400;
	if (!head_end)
		return len >= PD_HTTP_HEAD_MAX ? -431 : -EAGAIN;
	p = buf;
	e = line_end(p, head_end);
	if (memchr(p, '\n', (size_t)(e - p)))
		return -400;
	s = parse_request_line(p, e, &r);
	if (s)
		return s;
	while (e < head_end) {
		/* e points at "\r\n"; a lone CR or LF inside a line is bad */
		if (e[1] != '\n')
			return -400;
		p = e + 2;
		e = line_end(p, head_end);
		if (memchr(p, '\n', (size_t)(e - p)))
			return -400;
		s = parse_header(p, e, &host);
		if (s)
			return s;
	}
	if (r.minor == 1 && !host)
		return -400;
	*ret = r;
	return 0;
}

const char *pd_http_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 414:
		return "URI Too Long";
	case 431:
		return "Request Header Fields Too Large";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}
