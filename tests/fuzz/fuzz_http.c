// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: plexusd's HTTP request-head parser (pd_http_parse), the one
 * parser of bytes a network peer sends it. Checks what the server relies
 * on: a parsed request has an origin-form path of visible ASCII within
 * its bound and HTTP/1.0 or 1.1; a refusal is one of the statuses the
 * server answers; "need more" only below the head limit; and the verdict
 * on a prefix never contradicts the verdict on the whole. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pd_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const char *buf, size_t len, int r,
		  const struct pd_http_req *req)
{
	size_t n;

	switch (r) {
	case 0:
		n = strnlen(req->path, sizeof(req->path));
		if (n == 0 || n >= sizeof(req->path) || req->path[0] != '/')
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)req->path[i] <= 0x20 ||
			    (unsigned char)req->path[i] >= 0x7f ||
			    req->path[i] == '?')
				abort();
		if (req->minor != 0 && req->minor != 1)
			abort();
		if (req->method != PD_HTTP_GET && req->method != PD_HTTP_HEAD &&
		    req->method != PD_HTTP_OTHER)
			abort();
		break;
	case -EAGAIN:
		if (len >= PD_HTTP_HEAD_MAX)
			abort();
		break;
	case -400:
	case -414:
	case -431:
	case -505:
		break;
	default:
		abort();
	}
	(void)buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct pd_http_req req, req2;
	int r = pd_http_parse(buf, size, &req);

	check(buf, size, r, &req);
	/* a refusal or a parsed head stays so when more bytes follow */
	if (size > 1) {
		int p = pd_http_parse(buf, size / 2, &req2);

		check(buf, size / 2, p, &req2);
		if (p == 0 && r != 0)
			abort();
		if (p == -400 && r != -400)
			abort();
	}
	return 0;
}
