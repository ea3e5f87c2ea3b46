/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PLEXUS_PD_HTTP_H
#define PLEXUS_PD_HTTP_H

#include <stddef.h>

/* plexusd's HTTP/1.1 request parser: the request line and headers of one
 * request, nothing else (plexusd serves GET and HEAD only, without a
 * body). Pure: no I/O, no allocation; fuzzed by tests/fuzz/fuzz_http.c. */

/* The largest request head (request line + headers + blank line). */
#define PD_HTTP_HEAD_MAX 4096
#define PD_HTTP_PATH_MAX 256

enum pd_http_method {
	PD_HTTP_GET,
	PD_HTTP_HEAD,
	PD_HTTP_OTHER,
};

struct pd_http_req {
	enum pd_http_method method;
	char path[PD_HTTP_PATH_MAX]; /* without the query string */
	int minor;		     /* HTTP/1.<minor> */
};

/* Parse buf[0..len). Returns 0 with *ret filled when a whole head is
 * there; -EAGAIN when more bytes are needed (and len < PD_HTTP_HEAD_MAX);
 * otherwise the HTTP status to answer, negated: -400 (malformed: bad
 * request line, control bytes, a header without a colon, a body
 * announced by Content-Length > 0 or Transfer-Encoding), -431 (no end of
 * head within PD_HTTP_HEAD_MAX bytes), -505 (not HTTP/1.0 or 1.1),
 * -414 (path longer than PD_HTTP_PATH_MAX - 1). */
int pd_http_parse(const char *buf, size_t len, struct pd_http_req *ret);

/* The reason phrase of a status plexusd sends ("OK", "Bad Request", ...). */
const char *pd_http_reason(int status);

#endif
