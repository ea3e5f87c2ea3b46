/* SPDX-License-Identifier: Apache-2.0 */
/* plexus-ipam configuration: ranges (Whereabouts keys), store, node. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_compat.h"
#include "ipam_conf.h"
#include "store.h"
#include "ipam_node.h"

/* "<field>.<key>" for messages. */
static const char *subfield(char *buf, size_t size, const char *field,
			    const char *key)
{
	snprintf(buf, size, "%s.%s", field, key);
	return buf;
}

/* "a.b.c.d/len" or Whereabouts' "start-end/len" form. */
static int range_cidr_parse(const char *s, const char *field,
			    struct ipam_range *r, struct ipam_addr *ret_lo,
			    struct ipam_addr *ret_hi, struct cni_err *err)
{
	char buf[2 * IPAM_PREFIX_STRLEN], buf2[2 * IPAM_PREFIX_STRLEN];
	const char *dash = strchr(s, '-'), *slash = strchr(s, '/');

	ret_lo->family = ret_hi->family = 0;
	if (!dash)
		return ipam_prefix_parse(s, false, &r->net, NULL) < 0
			       ? cni_errf(err, CNI_ERR_INVALID_CONFIG,
					  "%s: \"%s\" is not a CIDR", field, s)
			       : 0;
	if (!slash || slash < dash || strlen(s) >= sizeof(buf))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is not a CIDR or start-end/len",
				field, s);
	snprintf(buf, sizeof(buf), "%.*s", (int)(dash - s), s);
	if (ipam_addr_parse(buf, ret_lo) < 0)
		goto bad;
	snprintf(buf, sizeof(buf), "%.*s", (int)(slash - dash - 1), dash + 1);
	if (ipam_addr_parse(buf, ret_hi) < 0)
		goto bad;
	snprintf(buf2, sizeof(buf2), "%s%s", buf, slash);
	if (ipam_prefix_parse(buf2, false, &r->net, NULL) < 0)
		goto bad;
	return 0;
bad:
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"%s: \"%s\" is not a CIDR or start-end/len", field, s);
}

static int range_addr_get(json_object *obj, const char *key, const char *field,
			  const struct ipam_range *r, struct ipam_addr *ret,
			  struct cni_err *err)
{
	struct ipam_addr a;
	const char *s;
	char sub[96];
	int rc;

	rc = cni_json_get_string(
		obj, key, subfield(sub, sizeof(sub), field, key), &s, err);
	if (rc < 0)
		return rc;
	if (ipam_addr_parse(s, &a) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.%s: \"%s\" is not an IP address", field,
				key, s);
	if (!ipam_prefix_contains(&r->net, &a))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.%s: \"%s\" is outside the range", field,
				key, s);
	*ret = a;
	return 0;
}

/* An exclude entry: a CIDR, or a bare address (one address, as
 * Whereabouts accepts it). */
static int excl_parse(const char *s, struct ipam_prefix *ret)
{
	struct ipam_addr a;

	if (ipam_prefix_parse(s, false, ret, NULL) == 0)
		return 0;
	if (ipam_addr_parse(s, &a) < 0)
		return -EINVAL;
	ret->addr = a;
	ret->len = ipam_addr_bits(a.family);
	return 0;
}

static int range_excl_parse(json_object *obj, const char *field,
			    struct ipam_range *r, struct cni_err *err)
{
	json_object *arr;
	char sub[96];
	size_t i, n;
	int rc;

	rc = cni_json_get_array(obj, "exclude",
				subfield(sub, sizeof(sub), field, "exclude"),
				&arr, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	n = json_object_array_length(arr);
	r->excl = calloc(n ? n : 1, sizeof(*r->excl));
	if (!r->excl)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);
		const char *s = json_object_get_string(e);

		if (!json_object_is_type(e, json_type_string) ||
		    excl_parse(s, &r->excl[i]) < 0)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s.exclude[%zu]: \"%s\" is not a CIDR "
					"or an IP address",
					field, i, s ? s : "");
		r->n_excl++;
	}
	return 0;
}

static int range_block_len(json_object *obj, const char *field,
			   struct ipam_range *r, int block4, int block6,
			   struct cni_err *err)
{
	int bits = ipam_addr_bits(r->net.addr.family);
	int64_t v = r->net.addr.family == AF_INET ? block4 : block6;
	char sub[96];
	int rc;

	rc = cni_json_get_int(obj, "blockSize",
			      subfield(sub, sizeof(sub), field, "blockSize"),
			      &v, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (v < bits - IPAM_BLOCK_HOST_BITS_MAX || v > bits)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.blockSize: %lld is not a prefix length in "
				"%d..%d",
				field, (long long)v,
				bits - IPAM_BLOCK_HOST_BITS_MAX, bits);
	r->block_len = v < r->net.len ? r->net.len : (int)v;
	return 0;
}

/* The gateway: `gateway`, else the first host address of the CIDR,
 * unless `noGateway` says the segment has none (docs/ipam.md). It is
 * never handed out and is returned as ips[].gateway. A point-to-point
 * prefix (/31, /32, /127, /128) has no implicit gateway. */
static int range_gateway(json_object *obj, const char *field,
			 struct ipam_range *r, struct cni_err *err)
{
	int bits = ipam_addr_bits(r->net.addr.family);
	bool none = false;
	char sub[96], p[IPAM_PREFIX_STRLEN];
	const char *s;
	int rc;

	rc = cni_json_get_bool(obj, "noGateway",
			       subfield(sub, sizeof(sub), field, "noGateway"),
			       &none, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_string(obj, "gateway",
				 subfield(sub, sizeof(sub), field, "gateway"),
				 &s, err);
	if (rc == -ENOENT) {
		if (!none && r->net.len < bits - 1) {
			r->gw.family = r->net.addr.family;
			r->gw.v = r->net.addr.v + 1;
			r->has_gw = true;
		}
		return 0;
	}
	if (rc < 0)
		return rc;
	if (none)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.gateway: \"%s\" given with \"noGateway\": "
				"true; keep one",
				field, s);
	if (ipam_addr_parse(s, &r->gw) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.gateway: \"%s\" is not an IP address",
				field, s);
	if (!ipam_prefix_contains(&r->net, &r->gw))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.gateway: \"%s\" is outside the range %s: "
				"the pod's prefix would not reach it; write "
				"the segment's prefix as the range and narrow "
				"it with range_start/range_end",
				field, s, ipam_prefix_fmt(&r->net, p));
	r->has_gw = true;
	return 0;
}

static int range_window(json_object *obj, const char *field,
			struct ipam_range *r, const struct ipam_addr *lo,
			const struct ipam_addr *hi, struct cni_err *err)
{
	struct ipam_addr a;
	int rc;

	r->start = r->net.addr.v;
	r->end = ipam_prefix_last(&r->net);
	if (lo->family) {
		if (!ipam_prefix_contains(&r->net, lo) ||
		    !ipam_prefix_contains(&r->net, hi))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s.range: start or end outside the "
					"CIDR",
					field);
		r->start = lo->v;
		r->end = hi->v;
	}
	rc = range_addr_get(obj, "range_start", field, r, &a, err);
	if (rc == 0)
		r->start = a.v;
	else if (rc != -ENOENT)
		return rc;
	rc = range_addr_get(obj, "range_end", field, r, &a, err);
	if (rc == 0)
		r->end = a.v;
	else if (rc != -ENOENT)
		return rc;
	if (r->start > r->end)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: range_start is after range_end", field);
	return range_gateway(obj, field, r, err);
}

static void range_pool_id(struct ipam_range *r, const char *network_name)
{
	char p[IPAM_PREFIX_STRLEN], *s;

	ipam_prefix_fmt(&r->net, p);
	s = strchr(p, '/');
	if (s)
		*s = '_';
	if (network_name && *network_name)
		snprintf(r->pool_id, sizeof(r->pool_id), "%s.%s", network_name,
			 p);
	else
		snprintf(r->pool_id, sizeof(r->pool_id), "%s", p);
}

int ipam_range_parse(json_object *obj, const char *field,
		     const char *network_name, int block4, int block6,
		     struct ipam_range *ret, struct cni_err *err)
{
	struct ipam_range r = { 0 };
	struct ipam_addr lo, hi;
	const char *s;
	char sub[96];
	int rc;

	if (!json_object_is_type(obj, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not an object", field);
	rc = cni_json_get_string(obj, "range",
				 subfield(sub, sizeof(sub), field, "range"), &s,
				 err);
	if (rc == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.range: missing", field);
	if (rc < 0)
		return rc;
	rc = range_cidr_parse(s, field, &r, &lo, &hi, err);
	if (rc == 0)
		rc = range_window(obj, field, &r, &lo, &hi, err);
	if (rc == 0)
		rc = range_excl_parse(obj, field, &r, err);
	if (rc == 0)
		rc = range_block_len(obj, field, &r, block4, block6, err);
	if (rc < 0) {
		ipam_range_clear(&r);
		return rc;
	}
	range_pool_id(&r, network_name);
	*ret = r;
	return 0;
}

void ipam_range_clear(struct ipam_range *r)
{
	if (!r)
		return;
	free(r->excl);
	r->excl = NULL;
	r->n_excl = 0;
}

bool ipam_range_reserved(const struct ipam_range *r, ipam_u128 a)
{
	int bits = ipam_addr_bits(r->net.addr.family);
	struct ipam_addr x = { r->net.addr.family, a };
	size_t i;

	if (a < r->start || a > r->end)
		return true;
	if (r->net.len < bits - 1) {
		if (a == r->net.addr.v)
			return true;
		if (bits == 32 && a == ipam_prefix_last(&r->net))
			return true;
	}
	if (r->has_gw && a == r->gw.v)
		return true;
	for (i = 0; i < r->n_excl; i++)
		if (ipam_prefix_contains(&r->excl[i], &x))
			return true;
	return false;
}

int ipam_conf_range_add(struct ipam_conf *c, struct ipam_range *r,
			const char *field, struct cni_err *err)
{
	struct ipam_range *n;
	size_t i;

	for (i = 0; i < c->n_ranges; i++) {
		if (ipam_prefix_overlaps(&c->ranges[i].net, &r->net)) {
			char a[IPAM_PREFIX_STRLEN], b[IPAM_PREFIX_STRLEN];

			ipam_range_clear(r);
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: range %s overlaps range %s", field,
					ipam_prefix_fmt(&r->net, a),
					ipam_prefix_fmt(&c->ranges[i].net, b));
		}
	}
	n = realloc(c->ranges, (c->n_ranges + 1) * sizeof(*n));
	if (!n) {
		ipam_range_clear(r);
		return -ENOMEM;
	}
	c->ranges = n;
	c->ranges[c->n_ranges++] = *r;
	if (r->set >= c->n_sets)
		c->n_sets = r->set + 1;
	return 0;
}

/* A Whereabouts range: a set of its own. */
static int conf_ranges_add(struct ipam_conf *c, json_object *obj,
			   const char *field, const char *nn, int b4, int b6,
			   struct cni_err *err)
{
	struct ipam_range r;
	int rc;

	rc = ipam_range_parse(obj, field, nn, b4, b6, &r, err);
	if (rc < 0)
		return rc;
	r.set = c->n_sets;
	return ipam_conf_range_add(c, &r, field, err);
}

static int conf_block_defaults(json_object *ipam, int *b4, int *b6,
			       struct cni_err *err)
{
	int64_t v;
	int rc;

	*b4 = IPAM_BLOCK_LEN4_DEFAULT;
	*b6 = IPAM_BLOCK_LEN6_DEFAULT;
	rc = cni_json_get_int(ipam, "blockSize", "ipam.blockSize", &v, err);
	if (rc == 0)
		*b4 = (int)(v < 0 || v > 128 ? -1 : v);
	else if (rc != -ENOENT)
		return rc;
	rc = cni_json_get_int(ipam, "blockSize6", "ipam.blockSize6", &v, err);
	if (rc == 0)
		*b6 = (int)(v < 0 || v > 128 ? -1 : v);
	else if (rc != -ENOENT)
		return rc;
	return 0;
}

static int conf_ranges(struct ipam_conf *c, json_object *ipam,
		       struct cni_err *err)
{
	const char *nn = NULL;
	json_object *arr;
	char field[64];
	int rc, b4, b6;
	size_t i;

	rc = ipam_compat_check(ipam, err);
	if (rc < 0)
		return rc;
	if (ipam_hostlocal_form(ipam))
		return ipam_hostlocal_ranges(c, ipam, err);
	rc = cni_json_get_string(ipam, "network_name", "ipam.network_name", &nn,
				 err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	if (nn && *nn && !ipam_key_safe(nn))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.network_name: \"%s\" has characters "
				"outside [A-Za-z0-9._:-]",
				nn);
	rc = conf_block_defaults(ipam, &b4, &b6, err);
	if (rc < 0)
		return rc;
	if (json_object_object_get_ex(ipam, "range", NULL)) {
		rc = conf_ranges_add(c, ipam, "ipam", nn, b4, b6, err);
		if (rc < 0)
			return rc;
	}
	rc = cni_json_get_array(ipam, "ipRanges", "ipam.ipRanges", &arr, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	for (i = 0; rc == 0 && i < json_object_array_length(arr); i++) {
		snprintf(field, sizeof(field), "ipam.ipRanges[%zu]", i);
		rc = conf_ranges_add(c, json_object_array_get_idx(arr, i),
				     field, nn, b4, b6, err);
		if (rc < 0)
			return rc;
	}
	if (c->n_ranges == 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam: no \"range\" and no \"ipRanges\"");
	return 0;
}

/* One requested address (field names where it came from): in a range of
 * this network, at most one per range set; the same address asked for
 * twice (IP= and runtimeConfig.ips, say) counts once. */
int ipam_conf_request(struct ipam_conf *c, const char *s, const char *field,
		      struct cni_err *err)
{
	const struct ipam_range *r;
	struct ipam_prefix p;
	struct ipam_addr a, *grown;
	size_t j;

	if (!s || (ipam_addr_parse(s, &a) < 0 &&
		   ipam_prefix_parse(s, false, &p, &a) < 0))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is not an IP address", field,
				s ? s : "");
	r = ipam_conf_range_of(c, &a);
	if (!r)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: %s is in no range of this network", field,
				s);
	for (j = 0; j < c->n_static; j++) {
		if (c->static_ips[j].family == a.family &&
		    c->static_ips[j].v == a.v)
			return 0;
		if (ipam_conf_range_of(c, &c->static_ips[j])->set == r->set)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"%s: %s: a second address in the same "
					"range",
					field, s);
	}
	grown = realloc(c->static_ips, (c->n_static + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->static_ips = grown;
	c->static_ips[c->n_static++] = a;
	return 0;
}

/* The strings of root's path (two keys) "ips" array, each requested. */
static int request_array(struct ipam_conf *c, const char *k1, const char *k2,
			 const char *field, struct cni_err *err)
{
	json_object *o = c->root, *arr;
	char f[64];
	int rc;

	if (!json_object_object_get_ex(o, k1, &o) ||
	    (k2 && !json_object_object_get_ex(o, k2, &o)) ||
	    !json_object_is_type(o, json_type_object))
		return 0;
	rc = cni_json_get_array(o, "ips", field, &arr, err);
	if (rc == -ENOENT)
		return 0;
	for (size_t i = 0; rc == 0 && i < json_object_array_length(arr); i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		snprintf(f, sizeof(f), "%s[%zu]", field, i);
		rc = ipam_conf_request(c,
				       json_object_is_type(e, json_type_string)
					       ? json_object_get_string(e)
					       : NULL,
				       f, err);
	}
	return rc;
}

/* Requested addresses in host-local's order: args.cni.ips, then
 * runtimeConfig.ips (CNI_ARGS IP= comes first: ipam_conf_request_env). */
static int conf_static(struct ipam_conf *c, struct cni_err *err)
{
	int rc = request_array(c, "args", "cni", "args.cni.ips", err);

	if (rc == 0)
		rc = request_array(c, "runtimeConfig", NULL,
				   "runtimeConfig.ips", err);
	return rc;
}

int ipam_conf_request_env(struct ipam_conf *c, const char *ip,
			  struct cni_err *err)
{
	struct ipam_addr *had = c->static_ips;
	size_t n_had = c->n_static;
	char buf[256], *tok, *save = NULL;
	int rc = 0;

	if (!ip || !*ip)
		return 0;
	if (strlen(ip) >= sizeof(buf))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"CNI_ARGS IP: longer than %zu bytes",
				sizeof(buf) - 1);
	strcpy(buf, ip);
	/* first in the list, as host-local puts it first */
	c->static_ips = NULL;
	c->n_static = 0;
	for (tok = strtok_r(buf, ",", &save); rc == 0 && tok;
	     tok = strtok_r(NULL, ",", &save))
		rc = ipam_conf_request(c, tok, "CNI_ARGS IP", err);
	for (size_t i = 0; rc == 0 && i < n_had; i++) {
		char s[IPAM_ADDR_STRLEN];

		rc = ipam_conf_request(c, ipam_addr_fmt(&had[i], s),
				       "requested addresses", err);
	}
	free(had);
	return rc;
}

static int conf_fill(struct ipam_conf *c, struct cni_err *err)
{
	const char *store_name;
	json_object *ipam;
	int rc;

	if (!json_object_is_type(c->root, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"config: not a JSON object");
	rc = cni_json_get_string(c->root, "cniVersion", "cniVersion",
				 &c->cni_version, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_string(c->root, "name", "name", &c->name, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_object(c->root, "ipam", "ipam", &ipam, err);
	if (rc == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG, "ipam: missing");
	if (rc < 0)
		return rc;
	rc = conf_ranges(c, ipam, err);
	if (rc < 0)
		return rc;
	rc = cni_json_get_bool(ipam, "conflictDetection",
			       "ipam.conflictDetection", &c->conflict_detection,
			       err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_array(ipam, "routes", "ipam.routes", &c->routes, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = cni_json_get_object(ipam, "dns", "ipam.dns", &c->dns, err);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = ipam_node_only_check(ipam, &store_name, err);
	if (rc == 0)
		rc = conf_static(c, err);
	if (rc == 0)
		rc = ipam_node_resolve(store_name, &c->node_root, &c->store,
				       &c->node, err);
	return rc;
}

int ipam_conf_parse(const char *buf, size_t len, struct ipam_conf **ret,
		    struct cni_err *err)
{
	struct ipam_conf *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	rc = cni_json_parse(buf, len, "config", &c->root, err);
	if (rc == 0)
		rc = conf_fill(c, err);
	if (rc < 0) {
		ipam_conf_free(c);
		return rc;
	}
	*ret = c;
	return 0;
}

void ipam_conf_free(struct ipam_conf *conf)
{
	size_t i;

	if (!conf)
		return;
	for (i = 0; i < conf->n_ranges; i++)
		ipam_range_clear(&conf->ranges[i]);
	free(conf->ranges);
	free(conf->static_ips);
	json_object_put(conf->node_root);
	json_object_put(conf->root);
	free(conf);
}

const struct ipam_range *ipam_conf_range_of(const struct ipam_conf *conf,
					    const struct ipam_addr *a)
{
	size_t i;

	for (i = 0; i < conf->n_ranges; i++)
		if (ipam_prefix_contains(&conf->ranges[i].net, a))
			return &conf->ranges[i];
	return NULL;
}

int ipam_node_name(const struct ipam_conf *conf, char *buf, size_t size,
		   struct cni_err *err)
{
	const char *s = conf ? conf->node : NULL;
	char host[256];

	if (!s || !*s)
		s = getenv("NODE_NAME");
	if (!s || !*s) {
		if (gethostname(host, sizeof(host)) < 0)
			return cni_errf(err, CNI_ERR_IO,
					"node name: gethostname: %s",
					strerror(errno));
		host[sizeof(host) - 1] = '\0';
		s = host;
	}
	if (!ipam_key_safe(s) || strlen(s) >= size)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"node name \"%s\": not a valid name", s);
	snprintf(buf, size, "%s", s);
	return 0;
}
