// SPDX-License-Identifier: Apache-2.0
/* The annotation's "default-route": which interface the pod's default
 * route leaves by; and policyRouting: replies leave by the interface
 * their request came in on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cni_error.h"
#include "dl.h"
#include "nl.h"
#include "plan.h"
#include "plexus_conf.h"
#include "podlinks.h"
#include "podroute.h"
#include "proutes.h"

/* The gateways of a (a JSON list of strings), as a NULL-terminated
 * array borrowed from it. */
static const char **gateways(const struct plexus_attachment *a, size_t *ret_n)
{
	size_t n = json_object_array_length(a->default_route);
	const char **gws = calloc(n + 1, sizeof(char *));

	for (size_t i = 0; gws && i < n; i++)
		gws[i] = json_object_get_string(
			json_object_array_get_idx(a->default_route, i));
	*ret_n = n;
	return gws;
}

int podroute_apply(const struct plexus_record *rec, const char *netns,
		   struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;

	for (size_t i = 0; i < p->n; i++) {
		const struct plexus_attachment *a = &p->att[i];
		const char **gws;
		size_t n;
		int r;

		if (!a->default_route ||
		    !json_object_is_type(a->default_route, json_type_array))
			continue;
		gws = gateways(a, &n);
		if (!gws)
			return -ENOMEM;
		r = podlinks_default_route(netns, a->ifname, gws, n, err);
		free(gws);
		if (r < 0) {
			cni_err_prefix(err, "network \"%s\" (%s)", a->network,
				       a->ifname);
			return r;
		}
	}
	return 0;
}

/* --- policyRouting --- */

/* The addresses and gateways of the result's ips on ifname (ips without
 * an interface index count as ifname's), borrowed from result. */
struct pr_addrs {
	const char **addrs, **gws;
	size_t n_addrs, n_gws;
	char buf[8][64];
	struct nl_prefix nets[8]; /* the addresses with their prefixes */
	size_t n_nets;
};

static bool ip_on(json_object *result, json_object *ip, const char *ifname)
{
	json_object *idx, *ifs, *itf, *name;

	if (!json_object_object_get_ex(ip, "interface", &idx))
		return true;
	if (!json_object_object_get_ex(result, "interfaces", &ifs) ||
	    !(itf = json_object_array_get_idx(
		      ifs, (size_t)json_object_get_int(idx))))
		return false;
	return json_object_object_get_ex(itf, "name", &name) &&
	       !strcmp(json_object_get_string(name), ifname);
}

static int pr_addrs_of(json_object *result, const char *ifname,
		       struct pr_addrs *ret)
{
	json_object *ips = NULL, *v;
	size_t n;

	memset(ret, 0, sizeof(*ret));
	if (result)
		json_object_object_get_ex(result, "ips", &ips);
	n = ips ? json_object_array_length(ips) : 0;
	ret->addrs = calloc(n + 1, sizeof(char *));
	ret->gws = calloc(n + 1, sizeof(char *));
	if (!ret->addrs || !ret->gws)
		return -ENOMEM;
	for (size_t i = 0; i < n && ret->n_addrs < 8; i++) {
		json_object *ip = json_object_array_get_idx(ips, i);
		char *slash;

		if (!ip_on(result, ip, ifname) ||
		    !json_object_object_get_ex(ip, "address", &v))
			continue;
		snprintf(ret->buf[ret->n_addrs], sizeof(ret->buf[0]), "%s",
			 json_object_get_string(v));
		if (dl_prefix_parse(ret->buf[ret->n_addrs],
				    &ret->nets[ret->n_nets]) == 0)
			ret->n_nets++;
		slash = strchr(ret->buf[ret->n_addrs], '/');
		if (slash)
			*slash = '\0';
		ret->addrs[ret->n_addrs] = ret->buf[ret->n_addrs];
		ret->n_addrs++;
		if (json_object_object_get_ex(ip, "gateway", &v))
			ret->gws[ret->n_gws++] = json_object_get_string(v);
	}
	return 0;
}

static void pr_addrs_free(struct pr_addrs *a)
{
	free(a->addrs);
	free(a->gws);
}

/* --- a NAD's plexus.dev/policy-routes --- */

static bool prefix_has(const struct nl_prefix *net, const struct nl_prefix *ip)
{
	if (net->family != ip->family)
		return false;
	for (int b = 0; b < net->len; b++) {
		unsigned char m = (unsigned char)(0x80 >> (b % 8));

		if ((net->addr[b / 8] & m) != (ip->addr[b / 8] & m))
			return false;
	}
	return true;
}

/* The gateway of each route lies in one of the attachment's own subnets
 * (from its result): else the route is the tenant's mistake, code 7. */
static int routes_gw_check(const struct plexus_attachment *att,
			   const struct podlinks_route *rts, size_t n,
			   const struct pr_addrs *a, struct cni_err *err)
{
	for (size_t i = 0; i < n; i++) {
		struct nl_prefix gw;
		char nets[256] = "";
		size_t off = 0;
		bool ok = false;

		if (dl_ip_parse(rts[i].gw, &gw) < 0)
			gw.family = 0;
		for (size_t j = 0; j < a->n_nets; j++) {
			ok = ok || prefix_has(&a->nets[j], &gw);
			if (off < sizeof(nets) - 64) {
				off += (size_t)snprintf(nets + off,
							sizeof(nets) - off,
							"%s", j ? ", " : "");
				dl_prefix_format(&a->nets[j], true, nets + off,
						 sizeof(nets) - off);
				off += strlen(nets + off);
			}
		}
		if (!ok)
			return cni_errf(err, CNI_ERR_INVALID_CONFIG,
					"annotation %s: route "
					"{\"dst\": \"%s\", \"gw\": \"%s\"}: gw "
					"is in none of the subnets of %s's "
					"addresses (%s)",
					ANNOT_POLICY_ROUTES, rts[i].dst,
					rts[i].gw, att->ifname,
					a->n_nets ? nets : "none");
	}
	return 0;
}

/* The attachment's routes, borrowed from att->policy_routes. */
static struct podlinks_route *routes_of(const struct plexus_attachment *att,
					size_t *ret_n)
{
	size_t n = att->policy_routes
			   ? json_object_array_length(att->policy_routes)
			   : 0;
	struct podlinks_route *rts = calloc(n + 1, sizeof(*rts));

	for (size_t i = 0; rts && i < n; i++) {
		json_object *o = json_object_array_get_idx(att->policy_routes,
							   i),
			    *v;

		rts[i].dst = json_object_object_get_ex(o, "dst", &v)
				     ? json_object_get_string(v)
				     : "";
		rts[i].gw = json_object_object_get_ex(o, "gw", &v)
				    ? json_object_get_string(v)
				    : "";
	}
	*ret_n = n;
	return rts;
}

/* One attachment's table, rules and routes. */
static int policy_apply_one(const struct plexus_policy_routing *pr,
			    const struct plexus_attachment *att,
			    json_object *result, unsigned table,
			    const char *netns, struct cni_err *err)
{
	struct podlinks_route *rts;
	struct pr_addrs a;
	size_t n_rts = 0;
	int r = pr_addrs_of(result, att->ifname, &a);

	rts = r == 0 ? routes_of(att, &n_rts) : NULL;
	if (r == 0 && !rts)
		r = -ENOMEM;
	if (r == 0)
		r = routes_gw_check(att, rts, n_rts, &a, err);
	if (r == 0)
		r = podlinks_policy_add(
			netns, att->ifname, table, pr->priority,
			pr->iif ? PLEXUS_PR_IIF_PRIORITY(pr) : 0, a.addrs,
			a.n_addrs, a.gws, a.n_gws, rts, n_rts, err);
	free(rts);
	pr_addrs_free(&a);
	return r;
}

int podroute_policy_apply(const struct plexus_policy_routing *pr,
			  const struct plexus_record *rec, const char *netns,
			  struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int r = 0;

	for (size_t i = 0; r == 0 && i < p->n; i++) {
		unsigned table = plan_policy_table(pr, p, i);

		if (!table)
			continue;
		r = policy_apply_one(pr, &p->att[i], rec->results[i], table,
				     netns, err);
		if (r < 0)
			cni_err_prefix(err,
				       "network \"%s\" (%s): policyRouting",
				       p->att[i].network, p->att[i].ifname);
	}
	return r;
}

int podroute_policy_del(const struct plexus_policy_routing *pr,
			const struct plexus_record *rec, const char *netns,
			struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	unsigned *tables;
	size_t n = 0;
	int r;

	if (!netns || !*netns)
		return 0;
	tables = calloc(p->n + 1, sizeof(*tables));
	if (!tables)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		if ((tables[n] = plan_policy_table(pr, p, i)))
			n++;
	r = podlinks_policy_del(netns, tables, n, err);
	free(tables);
	return r;
}

int podroute_policy_check(const struct plexus_policy_routing *pr,
			  const struct plexus_record *rec, const char *netns,
			  struct cni_err *err)
{
	const struct plexus_plan *p = rec->plan;
	int r = 0;

	for (size_t i = 0; r == 0 && i < p->n; i++) {
		unsigned table = plan_policy_table(pr, p, i);
		struct podlinks_route *rts = NULL;
		struct pr_addrs a;
		size_t n_rts = 0;

		if (!table)
			continue;
		r = pr_addrs_of(rec->results[i], p->att[i].ifname, &a);
		if (r == 0 && !(rts = routes_of(&p->att[i], &n_rts)))
			r = -ENOMEM;
		if (r == 0)
			r = podlinks_policy_check(netns, p->att[i].ifname,
						  table, pr->iif, a.addrs,
						  a.n_addrs, rts, n_rts, err);
		free(rts);
		pr_addrs_free(&a);
		if (r < 0)
			cni_err_prefix(err, "network \"%s\" (%s)",
				       p->att[i].network, p->att[i].ifname);
	}
	return r;
}
