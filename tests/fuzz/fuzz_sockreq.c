// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: plexusd's socket request parser (pd_sock_parse), what a
 * local peer sends. Checks what the server relies on: a parsed request
 * has a known verb, a DNS-1123 namespace and name within their buffers,
 * a uid of [0-9A-Za-z-] for POD and none for NAD; the parse of the same
 * bytes is the same; a line at or over the bound is refused. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "k8s.h"
#include "pd_sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct pd_sock_req *r)
{
	if (r->verb != PD_SOCK_POD && r->verb != PD_SOCK_NAD)
		abort();
	if (strnlen(r->ns, sizeof(r->ns)) >= sizeof(r->ns) ||
	    strnlen(r->name, sizeof(r->name)) >= sizeof(r->name) ||
	    strnlen(r->uid, sizeof(r->uid)) >= sizeof(r->uid))
		abort();
	if (!k8s_name_is_label(r->ns) || !k8s_name_is_subdomain(r->name))
		abort();
	if ((r->verb == PD_SOCK_POD) != (r->uid[0] != '\0'))
		abort();
	for (const char *p = r->uid; *p; p++)
		if (!(*p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_sock_req a, b;
	int r = pd_sock_parse((const char *)data, size, &a);

	if (r != 0 && r != -EINVAL)
		abort();
	if (r == 0) {
		if (size >= PD_SOCK_LINE_MAX)
			abort();
		check(&a);
		if (pd_sock_parse((const char *)data, size, &b) != 0 ||
		    memcmp(&a, &b, sizeof(a)))
			abort();
	}
	return 0;
}
