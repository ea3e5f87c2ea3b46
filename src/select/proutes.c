// SPDX-License-Identifier: Apache-2.0
/* The NAD annotation plexus.dev/policy-routes: tenant input, checked
 * whole at planning so that plexusctl plan and validate give ADD's
 * verdict. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "cni_json.h"
#include "proutes.h"

#define BAD CNI_ERR_INVALID_CONFIG

struct pr_ip {
	int family;
	unsigned char a[16];
	unsigned len;
};

/* An address ("10.0.0.1", "fd00::1") without a prefix. */
static bool ip_parse(const char *s, struct pr_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, ret->a) == 1) {
		ret->family = AF_INET;
		ret->len = 32;
	} else if (inet_pton(AF_INET6, s, ret->a) == 1) {
		ret->family = AF_INET6;
		ret->len = 128;
	}
	return ret->family != 0;
}

/* "ADDR/LEN", LEN in decimal without sign or leading zero. */
static bool cidr_parse(const char *s, struct pr_ip *ret)
{
	const char *slash = strchr(s, '/');
	char addr[INET6_ADDRSTRLEN];
	unsigned len = 0;
	const char *p;

	if (!slash || (size_t)(slash - s) >= sizeof(addr) || !slash[1] ||
	    (slash[1] == '0' && slash[2]))
		return false;
	for (p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || len > 128)
			return false;
		len = len * 10 + (unsigned)(*p - '0');
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (!ip_parse(addr, ret) || len > ret->len)
		return false;
	ret->len = len;
	return true;
}

static bool host_bits(const struct pr_ip *p)
{
	unsigned bytes = p->family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = p->len >= (i + 1) * 8 ? 8
				: p->len > i * 8      ? p->len - i * 8
						      : 0;
		unsigned char mask = (unsigned char)(0xff >> keep);

		if (p->a[i] & mask)
			return true;
	}
	return false;
}

/* One member of route i that must be a string. */
static int str_member(json_object *rt, const char *key, const char *what,
		      size_t i, const char **ret, struct cni_err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(rt, key, &v))
		return cni_errf(err, BAD, "%s: route %zu: \"%s\" missing", what,
				i, key);
	if (!json_object_is_type(v, json_type_string))
		return cni_errf(err, BAD,
				"%s: route %zu: \"%s\" is not a string", what,
				i, key);
	*ret = json_object_get_string(v);
	return 0;
}

/* Route i checked, appended to out in canonical text. */
static int route_take(json_object *rt, const char *what, size_t i,
		      json_object *out, struct cni_err *err)
{
	char dst[INET6_ADDRSTRLEN + 4], gw[INET6_ADDRSTRLEN];
	const char *dst_s, *gw_s;
	struct pr_ip d, g;
	json_object *o;
	int r;

	if (!json_object_is_type(rt, json_type_object))
		return cni_errf(err, BAD,
				"%s: route %zu: not an object "
				"{\"dst\": CIDR, \"gw\": address}",
				what, i);
	json_object_object_foreach (rt, key, val) {
		(void)val;
		if (strcmp(key, "dst") && strcmp(key, "gw"))
			return cni_errf(err, BAD,
					"%s: route %zu: unknown member "
					"\"%.32s\" (only \"dst\" and \"gw\")",
					what, i, key);
	}
	r = str_member(rt, "dst", what, i, &dst_s, err);
	if (r == 0)
		r = str_member(rt, "gw", what, i, &gw_s, err);
	if (r)
		return r;
	if (!cidr_parse(dst_s, &d))
		return cni_errf(err, BAD,
				"%s: route %zu: dst \"%.64s\" is not a CIDR",
				what, i, dst_s);
	if (d.len == 0)
		return cni_errf(err, BAD,
				"%s: route %zu: dst \"%.64s\" is a default "
				"route: the table has the network's gateway "
				"as its default already",
				what, i, dst_s);
	if (host_bits(&d))
		return cni_errf(err, BAD,
				"%s: route %zu: dst \"%.64s\" has host bits "
				"set",
				what, i, dst_s);
	if (!ip_parse(gw_s, &g))
		return cni_errf(err, BAD,
				"%s: route %zu (dst %s): gw \"%.64s\" is not "
				"an IP address",
				what, i, dst_s, gw_s);
	if (g.family != d.family)
		return cni_errf(err, BAD,
				"%s: route %zu (dst %s): gw \"%.64s\" is not "
				"of dst's address family",
				what, i, dst_s, gw_s);
	inet_ntop(d.family, d.a, gw, sizeof(gw));
	snprintf(dst, sizeof(dst), "%s/%u", gw, d.len);
	inet_ntop(g.family, g.a, gw, sizeof(gw));
	for (size_t j = 0; j < json_object_array_length(out); j++) {
		json_object *prev = json_object_array_get_idx(out, j), *pd;

		if (json_object_object_get_ex(prev, "dst", &pd) &&
		    !strcmp(json_object_get_string(pd), dst))
			return cni_errf(err, BAD,
					"%s: route %zu: dst %s is route "
					"%zu's already",
					what, i, dst, j);
	}
	o = json_object_new_object();
	if (!o || json_object_array_add(out, o) < 0) {
		json_object_put(o);
		return -ENOMEM;
	}
	json_object_object_add(o, "dst", json_object_new_string(dst));
	json_object_object_add(o, "gw", json_object_new_string(gw));
	return 0;
}

int proutes_parse(const char *buf, size_t len, const char *what,
		  json_object **ret, struct cni_err *err)
{
	json_object *doc = NULL, *out;
	size_t n;
	int r = cni_json_parse_max(buf, len, PROUTES_MAX_BYTES, what, &doc,
				   err);

	if (r) {
		if (err)
			err->code = BAD;
		return r;
	}
	if (!json_object_is_type(doc, json_type_array)) {
		json_object_put(doc);
		return cni_errf(err, BAD,
				"%s: not a JSON list of "
				"{\"dst\": CIDR, \"gw\": address}",
				what);
	}
	n = json_object_array_length(doc);
	if (n > PROUTES_MAX) {
		json_object_put(doc);
		return cni_errf(err, BAD, "%s: %zu routes, at most %d", what, n,
				PROUTES_MAX);
	}
	out = json_object_new_array();
	r = out ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++)
		r = route_take(json_object_array_get_idx(doc, i), what, i, out,
			       err);
	json_object_put(doc);
	if (r) {
		json_object_put(out);
		return r;
	}
	*ret = out;
	return 0;
}
