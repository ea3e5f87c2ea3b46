// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: plexusd's socket request parser (pd_sock_parse), what a
 * local peer sends. Checks what the server relies on: a parsed request
 * has a known verb; POD, NAD, CLAIM and STATUS a DNS-1123 namespace and
 * name within their buffers, a uid of [0-9A-Za-z-] for POD and STATUS
 * and none for NAD and CLAIM; STATUS a body inside the line, '[' to ']', that parses
 * as a JSON list; RESULT and CALL a CNI verb, a code <= 999, at most an
 * hour, and (CALL) a network and type of printable ASCII only, never a
 * '\n'; the parse of the same bytes is the same; a line at or over its
 * bound is refused. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "k8s.h"
#include "pd_sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == 0 || n >= size)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_report(const struct pd_sock_req *r)
{
	if (r->cni_verb >= PD_VERBS || r->code > 999 ||
	    r->us > 3600ULL * 1000000 || r->fallbacks > 999)
		abort();
	if (r->verb == PD_SOCK_CALL) {
		printable(r->network, sizeof(r->network));
		printable(r->type, sizeof(r->type));
	}
}

static void check_status(const struct pd_sock_req *r, const uint8_t *data,
			 size_t size)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc;

	if (!r->body || r->body < (const char *)data ||
	    r->body + r->body_len != (const char *)data + size ||
	    r->body_len < 2 || r->body[0] != '[' ||
	    r->body[r->body_len - 1] != ']' || !tok)
		abort();
	doc = json_tokener_parse_ex(tok, r->body, (int)r->body_len);
	if (!doc || !json_object_is_type(doc, json_type_array))
		abort();
	json_object_put(doc);
	json_tokener_free(tok);
}

static void check(const struct pd_sock_req *r)
{
	if (r->verb == PD_SOCK_RESULT || r->verb == PD_SOCK_CALL) {
		check_report(r);
		return;
	}
	if (r->verb != PD_SOCK_POD && r->verb != PD_SOCK_NAD &&
	    r->verb != PD_SOCK_STATUS && r->verb != PD_SOCK_CLAIM)
		abort();
	if (strnlen(r->ns, sizeof(r->ns)) >= sizeof(r->ns) ||
	    strnlen(r->name, sizeof(r->name)) >= sizeof(r->name) ||
	    strnlen(r->uid, sizeof(r->uid)) >= sizeof(r->uid))
		abort();
	if (!k8s_name_is_label(r->ns) || !k8s_name_is_subdomain(r->name))
		abort();
	if ((r->verb == PD_SOCK_POD || r->verb == PD_SOCK_STATUS) !=
	    (r->uid[0] != '\0'))
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
		if (size >= (a.verb == PD_SOCK_STATUS ? PD_SOCK_STATUS_MAX
						      : PD_SOCK_LINE_MAX))
			abort();
		check(&a);
		if (a.verb == PD_SOCK_STATUS)
			check_status(&a, data, size);
		if (pd_sock_parse((const char *)data, size, &b) != 0 ||
		    memcmp(&a, &b, sizeof(a)))
			abort();
	}
	return 0;
}
