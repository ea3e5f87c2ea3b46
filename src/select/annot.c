/* SPDX-License-Identifier: Apache-2.0 */
/* The k8s.v1.cni.cncf.io/networks annotation: comma form and JSON form
 * (Network Plumbing WG spec v1.3), checked element by element. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "k8s.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"

#define SEL CNI_ERR_SELECTION

void annot_list_free(struct annot_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->n; i++) {
		struct annot_elem *e = &list->elems[i];

		free(e->name);
		free(e->namespace);
		free(e->ifname);
		json_object_put(e->ips);
		free(e->mac);
		free(e->infiniband_guid);
		json_object_put(e->default_route);
		json_object_put(e->port_mappings);
		json_object_put(e->bandwidth);
		json_object_put(e->cni_args);
		free(e->ipam_claim);
	}
	free(list->elems);
	free(list);
}

/* "IP" or, when allow_prefix, "IP/len". */
static bool ip_valid(const char *s, bool allow_prefix)
{
	char buf[INET6_ADDRSTRLEN + 8];
	unsigned char addr[sizeof(struct in6_addr)];
	char *slash, *end;
	int fam;
	long plen;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	fam = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, buf, addr) != 1)
		return false;
	if (!slash)
		return true;
	if (!allow_prefix || !isdigit((unsigned char)slash[1]))
		return false;
	errno = 0;
	plen = strtol(slash + 1, &end, 10);
	return !errno && *end == '\0' && plen >= 0 &&
	       plen <= (fam == AF_INET ? 32 : 128);
}

/* Hex octets joined by one separator ('-' allowed when dash_ok). */
static bool octets_valid(const char *s, size_t want_a, size_t want_b,
			 bool dash_ok)
{
	size_t n = strlen(s), octets = (n + 1) / 3;
	char sep = n > 2 ? s[2] : ':';

	if (n % 3 != 2 || (octets != want_a && octets != want_b))
		return false;
	if (sep != ':' && !(dash_ok && sep == '-'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 2 ? s[i] != sep : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool mac_valid(const char *s)
{
	/* 48-bit or 20-octet IPoIB hardware addresses, as Go's ParseMAC. */
	return octets_valid(s, 6, 20, true) || octets_valid(s, 8, 8, true);
}

static bool guid_valid(const char *s)
{
	return octets_valid(s, 8, 8, false);
}

static int elem_err(struct cni_err *err, const char *what, size_t i,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int elem_err(struct cni_err *err, const char *what, size_t i,
		    const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return cni_errf(err, SEL, "%s: element %zu: %s", what, i, reason);
}

static int name_check(const char *what, size_t i, const char *key,
		      const char *val, struct cni_err *err)
{
	if (k8s_name_is_label(val))
		return 0;
	return elem_err(err, what, i,
			"%s \"%s\" is not a DNS-1123 label "
			"([a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 bytes)",
			key, val);
}

static int ifname_check(const char *what, size_t i, const char *val,
			struct cni_err *err)
{
	struct cni_err sub = { 0 };

	if (cni_ifname_check(val, "interface", SEL, &sub) == 0)
		return 0;
	return elem_err(err, what, i, "%s", sub.msg);
}

/* The comma form: "name", "ns/name", "name@if", "ns/name@if". */
static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int comma_item_parse(char *item, const char *what, size_t i,
			    struct annot_elem *e, struct cni_err *err)
{
	char *ns = NULL, *name = item, *ifname = NULL, *p;

	if (*item == '\0')
		return elem_err(err, what, i, "empty");
	p = strchr(item, '/');
	if (p) {
		if (strchr(p + 1, '/'))
			return elem_err(err, what, i,
					"\"%s\" has more than "
					"one '/'",
					item);
		*p = '\0';
		ns = trim(item);
		name = p + 1;
	}
	p = strchr(name, '@');
	if (p) {
		if (strchr(p + 1, '@'))
			return elem_err(err, what, i,
					"\"%s\" has more than "
					"one '@'",
					name);
		*p = '\0';
		ifname = trim(p + 1);
	}
	name = trim(name);
	if (ns && name_check(what, i, "namespace", ns, err))
		return -EINVAL;
	if (name_check(what, i, "name", name, err))
		return -EINVAL;
	if (ifname && ifname_check(what, i, ifname, err))
		return -EINVAL;
	e->name = strdup(name);
	e->namespace = ns ? strdup(ns) : NULL;
	e->ifname = ifname ? strdup(ifname) : NULL;
	if (!e->name || (ns && !e->namespace) || (ifname && !e->ifname))
		return cni_errf(err, SEL, "%s: out of memory", what);
	return 0;
}

static int comma_parse(char *s, const char *what, struct annot_list *l,
		       struct cni_err *err)
{
	size_t cap = 1;
	char *save = NULL, *item;

	for (const char *p = s; *p; p++)
		cap += *p == ',';
	if (cap > ANNOT_ELEMS_MAX)
		return cni_errf(err, SEL, "%s: more than %d networks", what,
				ANNOT_ELEMS_MAX);
	l->elems = calloc(cap, sizeof(*l->elems));
	if (!l->elems)
		return cni_errf(err, SEL, "%s: out of memory", what);
	/* strsep keeps empty items, so "a,,b" is caught. */
	save = s;
	while ((item = strsep(&save, ",")) != NULL) {
		int r = comma_item_parse(trim(item), what, l->n,
					 &l->elems[l->n], err);

		l->n++;
		if (r)
			return r;
	}
	return 0;
}

/* --- the JSON form --- */

/* Fetch key from o: -ENOENT when missing or null, -EINVAL (err set) when
 * not of json type t. */
static int member(json_object *o, const char *key, enum json_type t,
		  const char *what, size_t i, json_object **ret,
		  struct cni_err *err)
{
	static const char *const names[] = {
		[json_type_null] = "null",
		[json_type_boolean] = "a bool",
		[json_type_double] = "a number",
		[json_type_int] = "a number",
		[json_type_object] = "an object",
		[json_type_array] = "a list",
		[json_type_string] = "a string",
	};
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (!json_object_is_type(v, t))
		return elem_err(err, what, i, "\"%s\" must be %s", key,
				names[t]);
	*ret = v;
	return 0;
}

static int str_member(json_object *o, const char *key, const char *what,
		      size_t i, char **ret, struct cni_err *err)
{
	json_object *v;
	int r = member(o, key, json_type_string, what, i, &v, err);

	if (r == -ENOENT || (r == 0 && json_object_get_string_len(v) == 0))
		return 0;
	if (r)
		return r;
	*ret = strdup(json_object_get_string(v));
	return *ret ? 0 : cni_errf(err, SEL, "%s: out of memory", what);
}

/* A list of strings, each passing check(); kept as a copy. */
static int strlist_member(json_object *o, const char *key, bool prefix_ok,
			  const char *what, size_t i, json_object **ret,
			  struct cni_err *err)
{
	json_object *v;
	int r = member(o, key, json_type_array, what, i, &v, err);

	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	for (size_t k = 0; k < json_object_array_length(v); k++) {
		json_object *s = json_object_array_get_idx(v, k);
		const char *str = json_object_get_string(s);

		if (!json_object_is_type(s, json_type_string))
			return elem_err(err, what, i,
					"\"%s\" must be a list "
					"of strings",
					key);
		if (!ip_valid(str, prefix_ok))
			return elem_err(err, what, i,
					"\"%s\": \"%s\" is not "
					"an IP address",
					key, str);
	}
	*ret = cni_json_copy(v);
	return *ret ? 0 : cni_errf(err, SEL, "%s: out of memory", what);
}

static int obj_member(json_object *o, const char *key, enum json_type t,
		      const char *what, size_t i, json_object **ret,
		      struct cni_err *err)
{
	json_object *v;
	int r = member(o, key, t, what, i, &v, err);

	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	*ret = cni_json_copy(v);
	return *ret ? 0 : cni_errf(err, SEL, "%s: out of memory", what);
}

static int port_mappings_check(json_object *pm, const char *what, size_t i,
			       struct cni_err *err)
{
	for (size_t k = 0; pm && k < json_object_array_length(pm); k++) {
		if (!json_object_is_type(json_object_array_get_idx(pm, k),
					 json_type_object))
			return elem_err(err, what, i,
					"\"portMappings\" must "
					"be a list of objects");
	}
	return 0;
}

/* Names and addresses of a parsed JSON element. */
static int json_elem_check(const struct annot_elem *e, const char *what,
			   size_t i, struct cni_err *err)
{
	if (!e->name)
		return elem_err(err, what, i, "\"name\" is missing");
	if (name_check(what, i, "name", e->name, err))
		return -EINVAL;
	if (e->namespace && name_check(what, i, "namespace", e->namespace, err))
		return -EINVAL;
	if (e->ifname && ifname_check(what, i, e->ifname, err))
		return -EINVAL;
	if (e->mac && !mac_valid(e->mac))
		return elem_err(err, what, i,
				"\"mac\": \"%s\" is not a MAC "
				"address",
				e->mac);
	if (e->infiniband_guid && !guid_valid(e->infiniband_guid))
		return elem_err(err, what, i,
				"\"infiniband-guid\": \"%s\" is "
				"not a GUID (8 octets, ':'-separated)",
				e->infiniband_guid);
	if (e->ipam_claim && !k8s_name_is_subdomain(e->ipam_claim))
		return elem_err(err, what, i,
				"\"ipam-claim-reference\": \"%.64s\" is not "
				"an object name (DNS-1123 subdomain)",
				e->ipam_claim);
	if (e->ipam_claim && e->ips)
		return elem_err(err, what, i,
				"\"ipam-claim-reference\" and "
				"\"ips\" exclude each other");
	return port_mappings_check(e->port_mappings, what, i, err);
}

static int json_elem_parse(json_object *o, const char *what, size_t i,
			   struct annot_elem *e, struct cni_err *err)
{
	if (!json_object_is_type(o, json_type_object))
		return elem_err(err, what, i, "not an object");
	if (str_member(o, "name", what, i, &e->name, err) ||
	    str_member(o, "namespace", what, i, &e->namespace, err) ||
	    str_member(o, "interface", what, i, &e->ifname, err) ||
	    str_member(o, "mac", what, i, &e->mac, err) ||
	    str_member(o, "infiniband-guid", what, i, &e->infiniband_guid,
		       err) ||
	    str_member(o, "ipam-claim-reference", what, i, &e->ipam_claim,
		       err) ||
	    strlist_member(o, "ips", true, what, i, &e->ips, err) ||
	    strlist_member(o, "default-route", false, what, i,
			   &e->default_route, err) ||
	    obj_member(o, "portMappings", json_type_array, what, i,
		       &e->port_mappings, err) ||
	    obj_member(o, "bandwidth", json_type_object, what, i, &e->bandwidth,
		       err) ||
	    obj_member(o, "cni-args", json_type_object, what, i, &e->cni_args,
		       err))
		return -EINVAL;
	return json_elem_check(e, what, i, err);
}

static int json_parse(const char *s, size_t len, const char *what,
		      struct annot_list *l, struct cni_err *err)
{
	json_object *doc = NULL;
	size_t n;
	int r;

	r = cni_json_parse(s, len, what, &doc, err);
	if (r) {
		if (err)
			err->code = SEL;
		return r;
	}
	if (!json_object_is_type(doc, json_type_array)) {
		json_object_put(doc);
		return cni_errf(err, SEL,
				"%s: the JSON form must be a list "
				"of selection elements",
				what);
	}
	n = json_object_array_length(doc);
	if (n > ANNOT_ELEMS_MAX) {
		json_object_put(doc);
		return cni_errf(err, SEL, "%s: more than %d networks", what,
				ANNOT_ELEMS_MAX);
	}
	l->elems = calloc(n ? n : 1, sizeof(*l->elems));
	if (!l->elems) {
		json_object_put(doc);
		return cni_errf(err, SEL, "%s: out of memory", what);
	}
	for (r = 0; r == 0 && l->n < n; l->n++)
		r = json_elem_parse(json_object_array_get_idx(doc, l->n), what,
				    l->n, &l->elems[l->n], err);
	json_object_put(doc);
	return r;
}

int annot_networks_parse(const char *buf, size_t len, const char *what,
			 struct annot_list **ret, struct cni_err *err)
{
	struct annot_list *l;
	char *s;
	int r;

	if (len > CNI_JSON_MAX)
		return cni_errf(err, SEL, "%s: value longer than %d bytes",
				what, CNI_JSON_MAX);
	if (memchr(buf, '\0', len))
		return cni_errf(err, SEL, "%s: value holds a NUL byte", what);
	l = calloc(1, sizeof(*l));
	s = strndup(buf, len);
	if (!l || !s) {
		free(l);
		free(s);
		return cni_errf(err, SEL, "%s: out of memory", what);
	}
	if (strpbrk(s, "[{\""))
		r = json_parse(s, len, what, l, err);
	else if (*trim(s) == '\0')
		r = 0;
	else
		r = comma_parse(trim(s), what, l, err);
	free(s);
	if (r) {
		annot_list_free(l);
		return r;
	}
	*ret = l;
	return 0;
}
