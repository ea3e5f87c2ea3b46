// SPDX-License-Identifier: Apache-2.0
/* CNI results: parse any supported version, render any version, merge. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"

struct cni_result *cni_result_new(void)
{
	return calloc(1, sizeof(struct cni_result));
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void cni_result_ifaces_clear(struct cni_result *res)
{
	for (size_t i = 0; i < res->n_ifaces; i++) {
		free(res->ifaces[i].name);
		free(res->ifaces[i].mac);
		free(res->ifaces[i].sandbox);
		free(res->ifaces[i].socket_path);
		free(res->ifaces[i].pci_id);
	}
	free(res->ifaces);
	res->ifaces = NULL;
	res->n_ifaces = 0;
}

void cni_result_free(struct cni_result *res)
{
	if (!res)
		return;
	cni_result_ifaces_clear(res);
	for (size_t i = 0; i < res->n_ips; i++) {
		free(res->ips[i].address);
		free(res->ips[i].gateway);
	}
	for (size_t i = 0; i < res->n_routes; i++) {
		free(res->routes[i].dst);
		free(res->routes[i].gw);
	}
	free(res->ips);
	free(res->routes);
	strv_free(res->dns.nameservers, res->dns.n_nameservers);
	strv_free(res->dns.search, res->dns.n_search);
	strv_free(res->dns.options, res->dns.n_options);
	free(res->dns.domain);
	free(res);
}

/* Optional string member: copied into *ret (NULL when absent). */
static int opt_str(json_object *o, const char *key, const char *field,
		   char **ret, struct cni_err *err)
{
	const char *s;
	int r = cni_json_get_string(o, key, field, &s, err);

	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static int opt_int(json_object *o, const char *key, const char *field, int dflt,
		   int *ret, struct cni_err *err)
{
	int64_t v;
	int r = cni_json_get_int(o, key, field, &v, err);

	if (r == -ENOENT) {
		*ret = dflt;
		return 0;
	}
	if (r < 0)
		return r;
	if (v < -1 || v > 0x7fffffff)
		return cni_errf(err, CNI_ERR_DECODE, "%s: %lld out of range",
				field, (long long)v);
	*ret = (int)v;
	return 0;
}

static int parse_iface(json_object *o, size_t i, struct cni_iface *f,
		       struct cni_err *err)
{
	char field[64];
	int r;

	if (!json_object_is_type(o, json_type_object))
		return cni_errf(err, CNI_ERR_DECODE,
				"result: interfaces[%zu] is not an object", i);
#define F(k) \
	(snprintf(field, sizeof(field), "result: interfaces[%zu]." k, i), field)
	r = opt_str(o, "name", F("name"), &f->name, err);
	if (!r && !f->name)
		r = cni_errf(err, CNI_ERR_DECODE, "%s missing", F("name"));
	if (!r)
		r = opt_str(o, "mac", F("mac"), &f->mac, err);
	if (!r)
		r = opt_str(o, "sandbox", F("sandbox"), &f->sandbox, err);
	if (!r)
		r = opt_str(o, "socketPath", F("socketPath"), &f->socket_path,
			    err);
	if (!r)
		r = opt_str(o, "pciID", F("pciID"), &f->pci_id, err);
	if (!r)
		r = opt_int(o, "mtu", F("mtu"), 0, &f->mtu, err);
#undef F
	return r;
}

static int parse_ip(json_object *o, size_t i, size_t n_ifaces,
		    struct cni_ipc *ip, struct cni_err *err)
{
	char field[64];
	int r;

	if (!json_object_is_type(o, json_type_object))
		return cni_errf(err, CNI_ERR_DECODE,
				"result: ips[%zu] is not an object", i);
#define F(k) (snprintf(field, sizeof(field), "result: ips[%zu]." k, i), field)
	r = opt_str(o, "address", F("address"), &ip->address, err);
	if (!r && (!ip->address || !strchr(ip->address, '/')))
		r = cni_errf(err, CNI_ERR_DECODE,
			     "%s: missing or not in CIDR form", F("address"));
	if (!r)
		r = opt_str(o, "gateway", F("gateway"), &ip->gateway, err);
	if (!r)
		r = opt_int(o, "interface", F("interface"), -1, &ip->interface,
			    err);
	if (!r && ip->interface >= (int)n_ifaces)
		r = cni_errf(err, CNI_ERR_DECODE,
			     "%s: %d but there are %zu interfaces",
			     F("interface"), ip->interface, n_ifaces);
#undef F
	return r;
}

static int parse_route(json_object *o, size_t i, struct cni_route *rt,
		       struct cni_err *err)
{
	char field[64];
	int r;

	if (!json_object_is_type(o, json_type_object))
		return cni_errf(err, CNI_ERR_DECODE,
				"result: routes[%zu] is not an object", i);
#define F(k) \
	(snprintf(field, sizeof(field), "result: routes[%zu]." k, i), field)
	r = opt_str(o, "dst", F("dst"), &rt->dst, err);
	if (!r && !rt->dst)
		r = cni_errf(err, CNI_ERR_DECODE, "%s missing", F("dst"));
	if (!r)
		r = opt_str(o, "gw", F("gw"), &rt->gw, err);
	if (!r)
		r = opt_int(o, "mtu", F("mtu"), -1, &rt->mtu, err);
	if (!r)
		r = opt_int(o, "advmss", F("advmss"), -1, &rt->advmss, err);
	if (!r)
		r = opt_int(o, "priority", F("priority"), -1, &rt->priority,
			    err);
	if (!r)
		r = opt_int(o, "table", F("table"), -1, &rt->table, err);
	if (!r)
		r = opt_int(o, "scope", F("scope"), -1, &rt->scope, err);
#undef F
	return r;
}

static int parse_strv(json_object *o, const char *key, const char *field,
		      char ***ret, size_t *ret_n, struct cni_err *err)
{
	json_object *arr;
	size_t n;
	char **v;
	int r = cni_json_get_array(o, key, field, &arr, err);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	n = json_object_array_length(arr);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(s, json_type_string)) {
			strv_free(v, i);
			return cni_errf(err, CNI_ERR_DECODE,
					"%s[%zu]: not a string", field, i);
		}
		v[i] = strdup(json_object_get_string(s));
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int parse_dns(json_object *o, struct cni_dns *d, struct cni_err *err)
{
	json_object *dns;
	int r = cni_json_get_object(o, "dns", "result: dns", &dns, err);

	if (r == -ENOENT)
		return 0;
	if (r == 0)
		r = parse_strv(dns, "nameservers", "result: dns.nameservers",
			       &d->nameservers, &d->n_nameservers, err);
	if (r == 0)
		r = opt_str(dns, "domain", "result: dns.domain", &d->domain,
			    err);
	if (r == 0)
		r = parse_strv(dns, "search", "result: dns.search", &d->search,
			       &d->n_search, err);
	if (r == 0)
		r = parse_strv(dns, "options", "result: dns.options",
			       &d->options, &d->n_options, err);
	return r;
}

/* Parse list `key` of o with fn into a calloc'ed array of `size` items. */
static int parse_list(json_object *o, const char *key, size_t size, void **ret,
		      size_t *ret_n, struct cni_err *err)
{
	char field[32];
	json_object *arr;
	int r;

	snprintf(field, sizeof(field), "result: %s", key);
	r = cni_json_get_array(o, key, field, &arr, err);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return cni_errf(err, CNI_ERR_DECODE, "%s: not a list", field);
	*ret_n = json_object_array_length(arr);
	*ret = calloc(*ret_n ? *ret_n : 1, size);
	return *ret ? 0 : -ENOMEM;
}

static int parse_members(json_object *o, struct cni_result *res,
			 struct cni_err *err)
{
	json_object *a;
	int r;

	r = parse_list(o, "interfaces", sizeof(*res->ifaces),
		       (void **)&res->ifaces, &res->n_ifaces, err);
	a = json_object_object_get(o, "interfaces");
	for (size_t i = 0; !r && i < res->n_ifaces; i++)
		r = parse_iface(json_object_array_get_idx(a, i), i,
				&res->ifaces[i], err);
	if (!r)
		r = parse_list(o, "ips", sizeof(*res->ips), (void **)&res->ips,
			       &res->n_ips, err);
	a = json_object_object_get(o, "ips");
	for (size_t i = 0; !r && i < res->n_ips; i++)
		r = parse_ip(json_object_array_get_idx(a, i), i, res->n_ifaces,
			     &res->ips[i], err);
	if (!r)
		r = parse_list(o, "routes", sizeof(*res->routes),
			       (void **)&res->routes, &res->n_routes, err);
	a = json_object_object_get(o, "routes");
	for (size_t i = 0; !r && i < res->n_routes; i++)
		r = parse_route(json_object_array_get_idx(a, i), i,
				&res->routes[i], err);
	if (!r)
		r = parse_dns(o, &res->dns, err);
	return r;
}

int cni_result_parse(json_object *obj, struct cni_result **ret,
		     struct cni_err *err)
{
	struct cni_result *res;
	const char *ver;
	int r;

	if (!json_object_is_type(obj, json_type_object))
		return cni_errf(err, CNI_ERR_DECODE,
				"result: not a JSON object");
	r = cni_json_get_string(obj, "cniVersion", "result: cniVersion", &ver,
				err);
	if (r == -ENOENT)
		return cni_errf(err, CNI_ERR_DECODE,
				"result: cniVersion missing");
	if (r < 0)
		return cni_errf(err, CNI_ERR_DECODE,
				"result: cniVersion is not a string");
	res = cni_result_new();
	if (!res)
		return -ENOMEM;
	r = cni_version_parse(ver, "result: cniVersion", &res->ver, err);
	if (r == 0)
		r = parse_members(obj, res, err);
	if (r < 0) {
		if (err && err->code == CNI_ERR_INVALID_CONFIG)
			err->code = CNI_ERR_DECODE;
		cni_result_free(res);
		return r;
	}
	*ret = res;
	return 0;
}

int cni_result_parse_str(const char *buf, size_t len, struct cni_result **ret,
			 struct cni_err *err)
{
	json_object *obj;
	int r = cni_json_parse(buf, len, "result", &obj, err);

	if (r < 0)
		return r;
	r = cni_result_parse(obj, ret, err);
	json_object_put(obj);
	return r;
}

static void add_str(json_object *o, const char *key, const char *val)
{
	if (val)
		json_object_object_add(o, key, json_object_new_string(val));
}

static void add_int(json_object *o, const char *key, int val, int unset)
{
	if (val != unset)
		json_object_object_add(o, key, json_object_new_int(val));
}

static json_object *strv_json(char **v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *iface_json(const struct cni_iface *f, enum cni_ver v)
{
	json_object *o = json_object_new_object();

	add_str(o, "name", f->name);
	add_str(o, "mac", f->mac);
	if (v >= CNI_V110)
		add_int(o, "mtu", f->mtu, 0);
	add_str(o, "sandbox", f->sandbox);
	if (v >= CNI_V110) {
		add_str(o, "socketPath", f->socket_path);
		add_str(o, "pciID", f->pci_id);
	}
	return o;
}

static json_object *ip_json(const struct cni_ipc *ip, enum cni_ver v)
{
	json_object *o = json_object_new_object();

	if (v < CNI_V100)
		add_str(o, "version", strchr(ip->address, ':') ? "6" : "4");
	add_str(o, "address", ip->address);
	add_str(o, "gateway", ip->gateway);
	add_int(o, "interface", ip->interface, -1);
	return o;
}

static json_object *route_json(const struct cni_route *rt, enum cni_ver v)
{
	json_object *o = json_object_new_object();

	add_str(o, "dst", rt->dst);
	add_str(o, "gw", rt->gw);
	if (v >= CNI_V110) {
		add_int(o, "mtu", rt->mtu, -1);
		add_int(o, "advmss", rt->advmss, -1);
		add_int(o, "priority", rt->priority, -1);
		add_int(o, "table", rt->table, -1);
		add_int(o, "scope", rt->scope, -1);
	}
	return o;
}

static json_object *dns_json(const struct cni_dns *d)
{
	json_object *o = json_object_new_object();

	if (d->n_nameservers)
		json_object_object_add(
			o, "nameservers",
			strv_json(d->nameservers, d->n_nameservers));
	add_str(o, "domain", d->domain);
	if (d->n_search)
		json_object_object_add(o, "search",
				       strv_json(d->search, d->n_search));
	if (d->n_options)
		json_object_object_add(o, "options",
				       strv_json(d->options, d->n_options));
	return o;
}

json_object *cni_result_to_json(const struct cni_result *res, enum cni_ver v)
{
	json_object *o = json_object_new_object(), *a;

	add_str(o, "cniVersion", cni_version_str(v));
	if (res->n_ifaces) {
		a = json_object_new_array();
		for (size_t i = 0; i < res->n_ifaces; i++)
			json_object_array_add(a,
					      iface_json(&res->ifaces[i], v));
		json_object_object_add(o, "interfaces", a);
	}
	if (res->n_ips) {
		a = json_object_new_array();
		for (size_t i = 0; i < res->n_ips; i++)
			json_object_array_add(a, ip_json(&res->ips[i], v));
		json_object_object_add(o, "ips", a);
	}
	if (res->n_routes) {
		a = json_object_new_array();
		for (size_t i = 0; i < res->n_routes; i++)
			json_object_array_add(a,
					      route_json(&res->routes[i], v));
		json_object_object_add(o, "routes", a);
	}
	json_object_object_add(o, "dns", dns_json(&res->dns));
	return o;
}
