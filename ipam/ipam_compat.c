/* SPDX-License-Identifier: Apache-2.0 */
/* Other IPAMs' configuration forms: host-local's "ranges"/"subnet", and
 * Whereabouts' backend keys, refused rather than silently ignored. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_compat.h"
#include "store.h"
#include "ipam_conf.h"

bool ipam_hostlocal_form(json_object *ipam)
{
	return json_object_object_get_ex(ipam, "ranges", NULL) ||
	       json_object_object_get_ex(ipam, "subnet", NULL);
}

/* An address key of a host-local range: inside the subnet. */
static int hl_addr(json_object *obj, const char *key, const char *field,
		   const struct ipam_range *r, struct ipam_addr *ret,
		   struct cni_err *err)
{
	char sub[128], p[IPAM_PREFIX_STRLEN];
	struct ipam_addr a;
	const char *s;
	int rc;

	snprintf(sub, sizeof(sub), "%s.%s", field, key);
	rc = cni_json_get_string(obj, key, sub, &s, err);
	if (rc < 0)
		return rc;
	if (ipam_addr_parse(s, &a) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is not an IP address", sub, s);
	if (!ipam_prefix_contains(&r->net, &a))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is outside the subnet %s", sub, s,
				ipam_prefix_fmt(&r->net, p));
	*ret = a;
	return 0;
}

static int hl_subnet(json_object *obj, const char *field, struct ipam_range *r,
		     struct cni_err *err)
{
	int bits, rc;
	char sub[128], p[IPAM_PREFIX_STRLEN];
	const char *s;

	snprintf(sub, sizeof(sub), "%s.subnet", field);
	rc = cni_json_get_string(obj, "subnet", sub, &s, err);
	if (rc == -ENOENT)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s: missing",
				sub);
	if (rc < 0)
		return rc;
	if (ipam_prefix_parse(s, false, &r->net, NULL) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is not a CIDR", sub, s);
	if (ipam_prefix_parse(s, true, &r->net, NULL) < 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" has host bits set; the network is "
				"%s",
				sub, s, ipam_prefix_fmt(&r->net, p));
	bits = ipam_addr_bits(r->net.addr.family);
	if (r->net.len > bits - 2)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%s\" is too small to allocate from", sub,
				s);
	return 0;
}

/* start/end/gateway with host-local's defaults: the window starts at the
 * first host address and ends at the last (the IPv4 broadcast stays
 * reserved); the gateway is the first host address and never handed
 * out. */
static int hl_window(json_object *obj, const char *field, struct ipam_range *r,
		     struct cni_err *err)
{
	struct ipam_addr a;
	int rc;

	r->start = r->net.addr.v + 1;
	r->end = ipam_prefix_last(&r->net);
	r->gw.family = r->net.addr.family;
	r->gw.v = r->net.addr.v + 1;
	r->has_gw = true;
	rc = hl_addr(obj, "rangeStart", field, r, &a, err);
	if (rc == 0)
		r->start = a.v;
	else if (rc != -ENOENT)
		return rc;
	rc = hl_addr(obj, "rangeEnd", field, r, &a, err);
	if (rc == 0)
		r->end = a.v;
	else if (rc != -ENOENT)
		return rc;
	if (r->start > r->end)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.rangeStart: after %s.rangeEnd", field,
				field);
	rc = hl_addr(obj, "gateway", field, r, &r->gw, err);
	return rc == -ENOENT ? 0 : rc;
}

/* The pool of a host-local range is the network's: host-local keeps each
 * network's leases apart (dataDir/<name>/), and so do we. */
static int hl_pool_id(struct ipam_range *r, const char *name,
		      struct cni_err *err)
{
	char p[IPAM_PREFIX_STRLEN], *s;

	if (name && *name && !ipam_key_safe(name))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"name: \"%s\" has characters outside "
				"[A-Za-z0-9._:-] (it names the pool)",
				name);
	ipam_prefix_fmt(&r->net, p);
	s = strchr(p, '/');
	if (s)
		*s = '_';
	snprintf(r->pool_id, sizeof(r->pool_id), "%s%s%s",
		 name && *name ? name : "", name && *name ? "." : "", p);
	return 0;
}

static int hl_range(struct ipam_conf *c, json_object *obj, const char *field,
		    size_t set, struct cni_err *err)
{
	struct ipam_range r = { 0 };
	int bits, rc;

	if (!json_object_is_type(obj, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not an object", field);
	rc = hl_subnet(obj, field, &r, err);
	if (rc == 0)
		rc = hl_window(obj, field, &r, err);
	if (rc == 0)
		rc = hl_pool_id(&r, c->name, err);
	if (rc < 0)
		return rc;
	bits = ipam_addr_bits(r.net.addr.family);
	r.block_len =
		bits == 32 ? IPAM_BLOCK_LEN4_DEFAULT : IPAM_BLOCK_LEN6_DEFAULT;
	if (r.block_len < r.net.len)
		r.block_len = r.net.len;
	if (c->n_ranges && c->ranges[c->n_ranges - 1].set == set &&
	    c->ranges[c->n_ranges - 1].net.addr.family != r.net.addr.family)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s.subnet: a range set mixes IPv4 and IPv6; "
				"put each family in a set of its own",
				field);
	r.set = set;
	return ipam_conf_range_add(c, &r, field, err);
}

static int hl_set(struct ipam_conf *c, json_object *arr, const char *field,
		  struct cni_err *err)
{
	size_t i, n, set = c->n_sets;
	char sub[128];
	int rc;

	if (!json_object_is_type(arr, json_type_array))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: not a list of ranges", field);
	n = json_object_array_length(arr);
	if (n == 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: an empty range set", field);
	for (i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "%s[%zu]", field, i);
		rc = hl_range(c, json_object_array_get_idx(arr, i), sub, set,
			      err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ipam_hostlocal_ranges(struct ipam_conf *c, json_object *ipam,
			  struct cni_err *err)
{
	static const char *const whereabouts[] = { "range", "ipRanges" };
	json_object *arr;
	char field[64];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(whereabouts) / sizeof(whereabouts[0]); i++)
		if (json_object_object_get_ex(ipam, whereabouts[i], NULL))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"ipam.%s: Whereabouts' key beside "
					"host-local's \"ranges\"/\"subnet\"; "
					"use one form",
					whereabouts[i]);
	if (json_object_object_get_ex(ipam, "resolvConf", NULL))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.resolvConf: plexus-ipam reads no file "
				"a network config names; write the servers "
				"as \"dns\": {\"nameservers\": [...], "
				"\"search\": [...]}");
	if (json_object_object_get_ex(ipam, "subnet", NULL)) {
		rc = hl_range(c, ipam, "ipam", 0, err);
		if (rc < 0)
			return rc;
	}
	rc = cni_json_get_array(ipam, "ranges", "ipam.ranges", &arr, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	n = json_object_array_length(arr);
	if (n == 0)
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"ipam.ranges: empty; give at least one range "
				"set ([[{\"subnet\": ...}]])");
	for (i = 0; i < n; i++) {
		snprintf(field, sizeof(field), "ipam.ranges[%zu]", i);
		rc = hl_set(c, json_object_array_get_idx(arr, i), field, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int ipam_compat_check(json_object *ipam, struct cni_err *err)
{
	static const char *const keys[] = {
		"kubernetes",	  "datastore",	       "etcd_host",
		"etcd_username",  "etcd_password",     "etcd_key_file",
		"etcd_cert_file", "etcd_ca_cert_file", "configuration_path",
	};
	size_t i;

	if (json_object_object_get_ex(ipam, "store", NULL))
		return 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(ipam, keys[i], NULL))
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"ipam.%s: a Whereabouts backend key, "
					"which "
					"plexus-ipam does not read; without "
					"\"store\" "
					"the pool would stay on this node "
					"alone. "
					"Remove it and name plexus-ipam's "
					"store, e.g. "
					"\"store\": {\"type\": \"kubernetes\", "
					"\"kubeconfig\": \"/etc/cni/net.d/"
					"plexus.kubeconfig\"} or {\"type\": "
					"\"etcd\", "
					"\"endpoints\": [...]} (docs/ipam.md, "
					"Stores)",
					keys[i]);
	return 0;
}
