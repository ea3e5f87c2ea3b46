// SPDX-License-Identifier: Apache-2.0
/* What plexusctl validate checks: NAD manifests, node configs, CNI
 * configs and pods' network annotations, and IPAM ranges across the
 * whole file set. Collects problems as "FILE: FIELD: message"; never
 * prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annot.h"
#include "k8s.h"
#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "ipam_conf.h"
#include "plexus_conf.h"
#include "policy.h"
#include "proutes.h"
#include "plexusctl.h"
#include "yamljson.h"

#define NAD_API_VERSION "k8s.cni.cncf.io/v1"

struct seen_range {
	char *where;   /* "FILE: FIELD" */
	char *network; /* the config's name, or NULL */
	char *pool;    /* Whereabouts/plexus-ipam network_name, or NULL */
	char *text;
	struct ctl_range r;
};

struct ctl_check {
	char *cni_path;
	char **problems;
	size_t n, docs;
	struct seen_range *ranges;
	size_t n_ranges;
	const struct plexus_conf *node; /* --config, borrowed; or NULL */
	bool oom;
};

/* One document being checked. */
struct doc {
	struct ctl_check *c;
	const char *file;
	char where[96]; /* "" or "documents[1]." or "items[0]." */
};

struct ctl_check *ctl_check_new(const char *cni_path)
{
	struct ctl_check *c = calloc(1, sizeof(*c));

	if (c && cni_path && !(c->cni_path = strdup(cni_path))) {
		free(c);
		return NULL;
	}
	return c;
}

void ctl_check_free(struct ctl_check *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->problems[i]);
	free(c->problems);
	for (size_t i = 0; i < c->n_ranges; i++) {
		free(c->ranges[i].where);
		free(c->ranges[i].network);
		free(c->ranges[i].pool);
		free(c->ranges[i].text);
	}
	free(c->ranges);
	free(c->cni_path);
	free(c);
}

void ctl_check_set_node(struct ctl_check *c, const struct plexus_conf *node)
{
	c->node = node;
}

size_t ctl_check_count(const struct ctl_check *c)
{
	return c->n;
}

const char *ctl_check_problem(const struct ctl_check *c, size_t i)
{
	return i < c->n ? c->problems[i] : NULL;
}

size_t ctl_check_docs(const struct ctl_check *c)
{
	return c->docs;
}

static void add_line(struct ctl_check *c, char *line)
{
	char **grown =
		line ? realloc(c->problems, (c->n + 1) * sizeof(*grown)) : NULL;

	if (!grown) {
		free(line);
		c->oom = true;
		return;
	}
	c->problems = grown;
	c->problems[c->n++] = line;
}

/* "FILE: <where>FIELD: message" */
static void __attribute__((format(printf, 3, 4)))
problem(const struct doc *d, const char *field, const char *fmt, ...)
{
	char *msg = NULL, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg &&
	    asprintf(&line, "%s: %s%s: %s", d->file, d->where, field, msg) < 0)
		line = NULL;
	free(msg);
	add_line(d->c, line);
}

/* A message that starts with a field relative to the document. */
static void problem_rel(const struct doc *d, const struct cni_err *err)
{
	char *line = NULL;

	if (asprintf(&line, "%s: %s%s", d->file, d->where, err->msg) < 0)
		line = NULL;
	add_line(d->c, line);
}

/* A message from the core that starts with its own field (the core was
 * given the field with d->where in front). */
static void problem_err(const struct doc *d, const struct cni_err *err)
{
	char *line = NULL;

	if (asprintf(&line, "%s: %s", d->file, err->msg) < 0)
		line = NULL;
	add_line(d->c, line);
}

static bool on_cni_path(const char *path, const char *type)
{
	const char *p = path;

	while (p && *p) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *f = NULL;
		bool ok;

		if (len && asprintf(&f, "%.*s/%s", (int)len, p, type) >= 0) {
			ok = access(f, X_OK) == 0;
			free(f);
			if (ok)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

static void check_type(const struct doc *d, const char *field, json_object *obj)
{
	json_object *t;

	if (!d->c->cni_path || !json_object_object_get_ex(obj, "type", &t) ||
	    !json_object_is_type(t, json_type_string))
		return;
	if (!on_cni_path(d->c->cni_path, json_object_get_string(t))) {
		char f[300];

		snprintf(f, sizeof(f), "%.200s.type", field);
		problem(d, f, "plugin \"%s\" not found on --cni-path %s",
			json_object_get_string(t), d->c->cni_path);
	}
}

/* --- IPAM ranges --- */

static const char *str_key(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static void range_record(const struct doc *d, const char *field,
			 const char *network, const char *text,
			 const struct ctl_range *r)
{
	struct ctl_check *c = d->c;
	struct seen_range *grown, *e;

	grown = realloc(c->ranges, (c->n_ranges + 1) * sizeof(*grown));
	if (!grown) {
		c->oom = true;
		return;
	}
	c->ranges = grown;
	e = &c->ranges[c->n_ranges];
	memset(e, 0, sizeof(*e));
	e->r = *r;
	if (asprintf(&e->where, "%s: %s%s", d->file, d->where, field) < 0 ||
	    !(e->text = strdup(text)) ||
	    (network && !(e->network = strdup(network)))) {
		c->oom = true;
		return;
	}
	c->n_ranges++;
}

/* An address key of a range object: well-formed and inside r (the
 * range written as text). */
static int addr_in(const struct doc *d, const char *field, json_object *o,
		   const char *key, const struct ctl_range *r, const char *text,
		   struct ipam_addr *ret)
{
	const char *s = str_key(o, key);
	char f[300];

	snprintf(f, sizeof(f), "%.200s.%s", field, key);
	if (!s) {
		if (json_object_object_get_ex(o, key, NULL))
			problem(d, f, "must be a string");
		return -ENOENT;
	}
	if (ipam_addr_parse(s, ret)) {
		problem(d, f, "\"%s\" is not an IP address", s);
		return -EINVAL;
	}
	if (!ctl_range_contains(r, ret)) {
		problem(d, f, "%s is outside %s", s, text);
		return -EINVAL;
	}
	return 0;
}

/* One range object: obj[cidr_key] with its start/end/gateway keys. */
static void range_obj(const struct doc *d, json_object *obj, const char *field,
		      const char *network, const char *const keys[4])
{
	const char *s = str_key(obj, keys[0]), *why;
	struct ctl_range r, whole;
	struct ipam_addr a;
	char f[300];

	snprintf(f, sizeof(f), "%.200s.%s", field, keys[0]);
	if (!s) {
		bool there = json_object_object_get_ex(obj, keys[0], NULL);

		problem(d, f, there ? "must be a string" : "missing");
		return;
	}
	if (ctl_range_parse(s, &r, &why)) {
		problem(d, f, "\"%s\" is not a valid range: %s", s, why);
		return;
	}
	whole = r;
	addr_in(d, field, obj, keys[3], &whole, s, &a); /* the gateway */
	if (addr_in(d, field, obj, keys[1], &whole, s, &a) == 0)
		r.lo = a.v;
	if (addr_in(d, field, obj, keys[2], &whole, s, &a) == 0)
		r.hi = a.v;
	if (r.lo > r.hi) {
		snprintf(f, sizeof(f), "%.200s.%s", field, keys[1]);
		problem(d, f, "after %s (in %s)", keys[2], s);
		snprintf(f, sizeof(f), "%.200s.%s", field, keys[0]);
	}
	range_record(d, f, network, s, &r);
}

static const char *const wb_keys[4] = { "range", "range_start", "range_end",
					"gateway" };
static const char *const hl_keys[4] = { "subnet", "rangeStart", "rangeEnd",
					"gateway" };

static void check_exclude(const struct doc *d, json_object *o,
			  const char *field)
{
	json_object *ex;
	char f[300];

	if (!json_object_object_get_ex(o, "exclude", &ex))
		return;
	for (size_t i = 0; json_object_is_type(ex, json_type_array) &&
			   i < json_object_array_length(ex);
	     i++) {
		json_object *e = json_object_array_get_idx(ex, i);
		const char *s = json_object_get_string(e);
		struct ctl_range r;
		struct ipam_addr a;
		const char *why;

		snprintf(f, sizeof(f), "%.200s.exclude[%zu]", field, i);
		if (!json_object_is_type(e, json_type_string))
			problem(d, f, "must be a string");
		else if (!strchr(s, '/') && ipam_addr_parse(s, &a) == 0)
			continue; /* a bare address: one address (Whereabouts) */
		else if (ctl_range_parse(s, &r, &why))
			problem(d, f, "\"%s\" is not a valid CIDR: %s", s, why);
	}
}

/* whereabouts/plexus-ipam "ipRanges" and host-local "ranges" */
static void check_range_lists(const struct doc *d, json_object *ipam,
			      const char *field, const char *network)
{
	json_object *l;
	char f[300];

	if (json_object_object_get_ex(ipam, "ipRanges", &l) &&
	    json_object_is_type(l, json_type_array))
		for (size_t i = 0; i < json_object_array_length(l); i++) {
			json_object *e = json_object_array_get_idx(l, i);

			snprintf(f, sizeof(f), "%.200s.ipRanges[%zu]", field,
				 i);
			range_obj(d, e, f, network, wb_keys);
			check_exclude(d, e, f);
		}
	if (!json_object_object_get_ex(ipam, "ranges", &l) ||
	    !json_object_is_type(l, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		json_object *set = json_object_array_get_idx(l, i);

		for (size_t j = 0; json_object_is_type(set, json_type_array) &&
				   j < json_object_array_length(set);
		     j++) {
			snprintf(f, sizeof(f), "%.200s.ranges[%zu][%zu]", field,
				 i, j);
			range_obj(d, json_object_array_get_idx(set, j), f,
				  network, hl_keys);
		}
	}
}

/* Whereabouts and plexus-ipam keep ranges of different network_name
 * apart (one pool each, even on one CIDR): mark the ranges recorded
 * since first with it. */
static void range_pool(struct ctl_check *c, size_t first, json_object *ipam)
{
	const char *t = str_key(ipam, "type"), *pool;

	pool = str_key(ipam, "network_name");
	if (!t || !pool || !*pool ||
	    (strcmp(t, "whereabouts") && strcmp(t, "plexus-ipam")))
		return;
	for (size_t i = first; i < c->n_ranges; i++)
		if (!(c->ranges[i].pool = strdup(pool)))
			c->oom = true;
}

static void check_ipam(const struct doc *d, json_object *plugin,
		       const char *field, const char *network)
{
	json_object *ipam;
	size_t first;
	char f[300];

	if (!json_object_object_get_ex(plugin, "ipam", &ipam) ||
	    !json_object_is_type(ipam, json_type_object))
		return;
	snprintf(f, sizeof(f), "%.200s.ipam", field);
	first = d->c->n_ranges;
	if (json_object_object_get_ex(ipam, "range", NULL)) {
		range_obj(d, ipam, f, network, wb_keys);
		check_exclude(d, ipam, f);
	}
	if (json_object_object_get_ex(ipam, "subnet", NULL))
		range_obj(d, ipam, f, network, hl_keys);
	check_range_lists(d, ipam, f, network);
	range_pool(d->c, first, ipam);
}

static bool is_plexus_ipam(json_object *plugin)
{
	json_object *ipam;
	const char *t;

	return json_object_object_get_ex(plugin, "ipam", &ipam) &&
	       (t = str_key(ipam, "type")) && !strcmp(t, "plexus-ipam");
}

/* plexus-ipam's own parser on the stdin it would get (after ours found
 * nothing: both would name the same bad range). */
static void check_plexus_ipam(const struct doc *d,
			      const struct cni_conflist *cl, size_t i,
			      const char *field)
{
	struct ipam_conf *ic = NULL;
	struct cni_err err = { 0 };
	json_object *conf = NULL;
	const char *text;

	if (cni_conflist_plugin_conf(cl, i, NULL, NULL, &conf, &err) < 0) {
		d->c->oom = true;
		return;
	}
	text = cni_json_str(conf);
	if (ipam_conf_parse(text, strlen(text), &ic, &err) < 0)
		problem(d, field, "%s", err.msg);
	ipam_conf_free(ic);
	json_object_put(conf);
}

/* A native delegate's (plexus-bridge, ...) own config parser on the
 * stdin it would get, as plexus runs it in-process or execs it. */
static void check_native(const struct doc *d, const struct cni_conflist *cl,
			 size_t i, const char *field)
{
	const struct delegate_ops *ops =
		delegate_find(cni_conflist_type(cl, i));
	struct cni_err err = { 0 };
	json_object *conf = NULL;

	if (!ops || !ops->conf_check)
		return;
	if (cni_conflist_plugin_conf(cl, i, NULL, NULL, &conf, &err) < 0) {
		d->c->oom = true;
		return;
	}
	if (ops->conf_check(conf, &err) < 0) {
		cni_err_prefix(&err, "%s", ops->name);
		problem(d, field, "%s", err.msg);
	}
	json_object_put(conf);
}

static void check_conflist(const struct doc *d, const struct cni_conflist *cl,
			   const char *field)
{
	for (size_t i = 0; i < cl->n_plugins; i++) {
		json_object *ipam;
		size_t before;
		char f[300];

		if (cl->is_list)
			snprintf(f, sizeof(f), "%.200s.plugins[%zu]", field, i);
		else
			snprintf(f, sizeof(f), "%.200s", field);
		check_type(d, f, cl->plugins[i]);
		if (json_object_object_get_ex(cl->plugins[i], "ipam", &ipam) &&
		    json_object_is_type(ipam, json_type_object)) {
			char fi[320];

			snprintf(fi, sizeof(fi), "%s.ipam", f);
			check_type(d, fi, ipam);
		}
		before = d->c->n;
		check_ipam(d, cl->plugins[i], f, cl->name);
		if (d->c->n == before && is_plexus_ipam(cl->plugins[i]))
			check_plexus_ipam(d, cl, i, f);
		check_native(d, cl, i, f);
	}
}

/* --- documents --- */

/* plexus.dev/policy-routing and plexus.dev/policy-routes as the planner
 * reads them (select.c): routes only where the network gets a table of
 * its own (the annotation "true", or else the node's policyRouting of
 * --config). */
static void check_nad_routing(const struct doc *d, json_object *an)
{
	const struct plexus_conf *node = d->c->node;
	json_object *v, *routes = NULL;
	struct cni_err err = { 0 };
	const char *pr = NULL;
	char what[300];
	bool on;

	if (json_object_object_get_ex(an, ANNOT_POLICY_ROUTING, &v)) {
		pr = json_object_is_type(v, json_type_string)
			     ? json_object_get_string(v)
			     : "";
		if (strcmp(pr, "true") && strcmp(pr, "false"))
			problem(d, "metadata.annotations." ANNOT_POLICY_ROUTING,
				"\"%.32s\" is not \"true\" or \"false\"", pr);
	}
	if (!json_object_object_get_ex(an, ANNOT_POLICY_ROUTES, &v))
		return;
	if (!json_object_is_type(v, json_type_string)) {
		problem(d, "metadata.annotations." ANNOT_POLICY_ROUTES,
			"not a string");
		return;
	}
	snprintf(what, sizeof(what), "%smetadata.annotations.%s", d->where,
		 ANNOT_POLICY_ROUTES);
	if (proutes_parse(json_object_get_string(v),
			  (size_t)json_object_get_string_len(v), what, &routes,
			  &err)) {
		problem_err(d, &err);
		return;
	}
	on = pr ? !strcmp(pr, "true") : node && node->policy_routing.on;
	if (json_object_array_length(routes) && !on)
		problem(d, "metadata.annotations." ANNOT_POLICY_ROUTES,
			"policy routing is off for it (node config "
			"policyRouting%s, annotation " ANNOT_POLICY_ROUTING
			"), so the network has no routing table of its own "
			"for these routes",
			node ? "" : ": none without --config");
	json_object_put(routes);
}

static void check_nad_meta(const struct doc *d, json_object *doc,
			   const char **ret_name)
{
	const char *api = str_key(doc, "apiVersion");
	const char *name = ctl_meta_str(doc, "name");
	const char *ns = ctl_meta_str(doc, "namespace");
	json_object *md, *an, *v;

	if (!api || strcmp(api, NAD_API_VERSION))
		problem(d, "apiVersion", "\"%s\" is not " NAD_API_VERSION,
			api ? api : "");
	if (!name)
		problem(d, "metadata.name", "missing");
	else if (!k8s_name_is_label(name))
		problem(d, "metadata.name",
			"\"%s\" is not a DNS-1123 label: "
			"no pod annotation can select it",
			name);
	if (ns && !k8s_name_is_label(ns))
		problem(d, "metadata.namespace",
			"\"%s\" is not a DNS-1123 "
			"label",
			ns);
	if (json_object_object_get_ex(doc, "metadata", &md) &&
	    json_object_object_get_ex(md, "annotations", &an) &&
	    json_object_object_get_ex(an, ANNOT_RESOURCE_NAME, &v) &&
	    (!json_object_is_type(v, json_type_string) ||
	     !*json_object_get_string(v)))
		problem(d, "metadata.annotations." ANNOT_RESOURCE_NAME,
			"must be a non-empty string");
	if (json_object_object_get_ex(doc, "metadata", &md) &&
	    json_object_object_get_ex(md, "annotations", &an) &&
	    json_object_is_type(an, json_type_object))
		check_nad_routing(d, an);
	*ret_name = name;
}

/* Does the node config name ns/name (clusterNetwork, defaultNetworks,
 * as NADs in multusNamespace)? Then tenantPolicy does not judge it. */
static bool node_names(const struct plexus_conf *node, const char *ns,
		       const char *name)
{
	const char *mns;

	if (!node)
		return false;
	mns = node->multus_namespace ? node->multus_namespace
				     : PLEXUS_MULTUS_NS_DEFAULT;
	if (strcmp(ns, mns))
		return false;
	if (node->cluster_network && !strcmp(node->cluster_network, name))
		return true;
	for (size_t i = 0; i < node->n_default_networks; i++)
		if (!strcmp(node->default_networks[i], name))
			return true;
	return false;
}

/* The planner's own verdict (metaPlugins, tenantPolicy of --config) on
 * the NAD as a pod would select it. A deviceID from resourceName is the
 * node's to know: only plan/ADD judge it. */
static void check_policy(const struct doc *d, json_object *doc,
			 const struct cni_conflist *cl)
{
	const struct plexus_conf *node = d->c->node;
	const char *ns = ctl_meta_str(doc, "namespace");
	const char *name = ctl_meta_str(doc, "name");
	struct cni_err err = { 0 };

	ns = ns ? ns : "default";
	if (!name)
		return;
	if (tenant_policy_check(node ? node->policy : NULL, ns, name, cl, NULL,
				!node_names(node, ns, name), &err))
		problem(d, "spec.config", "%s", err.msg);
}

static void check_nad(const struct doc *d, json_object *doc)
{
	const char *name = NULL, *config;
	struct cni_conflist *cl = NULL;
	struct cni_err err = { 0 };
	json_object *spec, *conf = NULL;
	char field[200];

	check_nad_meta(d, doc, &name);
	/* no spec, or no spec.config: the confDir file named like the NAD,
	 * on the node (Multus' form, as select reads it) */
	if (!json_object_object_get_ex(doc, "spec", &spec))
		return;
	if (!json_object_is_type(spec, json_type_object)) {
		problem(d, "spec", "must be an object");
		return;
	}
	if (json_object_object_get_ex(spec, "config", NULL) &&
	    !str_key(spec, "config")) {
		problem(d, "spec.config", "must be a string");
		return;
	}
	config = str_key(spec, "config");
	if (!config || !*config)
		return; /* the confDir file named like the NAD: on the node */
	snprintf(field, sizeof(field), "%sspec.config", d->where);
	if (cni_json_parse(config, strlen(config), field, &conf, &err) == 0) {
		if (name && json_object_is_type(conf, json_type_object) &&
		    !json_object_object_get_ex(conf, "name", NULL))
			json_object_object_add(conf, "name",
					       json_object_new_string(name));
		if (cni_conflist_parse(conf, field, &cl, &err) == 0) {
			check_conflist(d, cl, "spec.config");
			check_policy(d, doc, cl);
		}
	}
	if (err.code)
		problem_err(d, &err);
	cni_conflist_free(cl);
	json_object_put(conf);
}

/* A pod: its network annotations must parse as plexus parses them. */
static void check_pod(const struct doc *d, json_object *doc)
{
	static const char *const keys[] = { ANNOT_NETWORKS,
					    ANNOT_DEFAULT_NETWORK };
	json_object *md, *an, *v;

	if (!json_object_object_get_ex(doc, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an))
		return;
	for (size_t i = 0; i < 2; i++) {
		struct annot_list *l = NULL;
		struct cni_err err = { 0 };
		char what[200];

		if (!json_object_object_get_ex(an, keys[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_string)) {
			problem(d, "metadata.annotations",
				"%s: must be a "
				"string",
				keys[i]);
			continue;
		}
		snprintf(what, sizeof(what), "%smetadata.annotations.%s",
			 d->where, keys[i]);
		if (annot_networks_parse(json_object_get_string(v),
					 json_object_get_string_len(v), what,
					 &l, &err))
			problem_err(d, &err);
		else if (i == 1 && l->n != 1)
			problem(d, "metadata.annotations",
				"%s: must name "
				"exactly one network",
				keys[i]);
		annot_list_free(l);
	}
}

/* A plain CNI config (a confDir file, a delegate). */
static void check_cni(const struct doc *d, json_object *doc)
{
	struct cni_conflist *cl = NULL;
	struct cni_err err = { 0 };
	char field[120];

	snprintf(field, sizeof(field), "%sconfig", d->where);
	if (cni_conflist_parse(doc, field, &cl, &err))
		problem_err(d, &err);
	else
		check_conflist(d, cl, "config");
	cni_conflist_free(cl);
}

static void check_delegates(const struct doc *d, json_object *dels)
{
	for (size_t i = 0; i < json_object_array_length(dels); i++) {
		struct cni_conflist *cl = NULL;
		struct cni_err err = { 0 };
		char field[160];

		snprintf(field, sizeof(field), "%sdelegates[%zu]", d->where, i);
		if (cni_conflist_parse(json_object_array_get_idx(dels, i),
				       field, &cl, &err))
			problem_err(d, &err);
		else
			check_conflist(d, cl, field + strlen(d->where));
		cni_conflist_free(cl);
	}
}

/* A node config: the plugin's own parser, then each delegate. */
static void check_node(const struct doc *d, json_object *doc)
{
	json_object *node = ctl_node_conf_doc(doc);
	struct plexus_conf *conf = NULL;
	struct cni_err err = { 0 };

	if (!node) {
		d->c->oom = true;
		return;
	}
	/* its messages start with the key, relative to the document */
	if (plexus_conf_parse(node, &conf, &err) == 0 &&
	    conf->log_level_unknown)
		problem(d, "logLevel",
			"\"%s\" is not one of debug, verbose, error, panic "
			"(plexus warns and logs at error, as Multus)",
			conf->log_level_unknown);
	if (conf && conf->delegates)
		check_delegates(d, conf->delegates);
	else if (err.code)
		problem_rel(d, &err);
	plexus_conf_free(conf);
	json_object_put(node);
}

static void check_doc(struct doc *d, json_object *doc, int depth);

static bool is_node_conf(json_object *doc)
{
	json_object *node = ctl_node_conf_doc(doc);

	json_object_put(node);
	return node != NULL;
}

static void check_list(struct doc *d, json_object *doc, int depth)
{
	json_object *items;
	char saved[sizeof(d->where)];

	if (!json_object_object_get_ex(doc, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		problem(d, "items", "missing in a List");
		return;
	}
	memcpy(saved, d->where, sizeof(saved));
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		snprintf(d->where, sizeof(d->where), "%sitems[%zu].", saved, i);
		check_doc(d, json_object_array_get_idx(items, i), depth + 1);
	}
	memcpy(d->where, saved, sizeof(saved));
}

static void check_doc(struct doc *d, json_object *doc, int depth)
{
	const char *kind;

	if (!json_object_is_type(doc, json_type_object)) {
		problem(d, "(document)", "not an object");
		return;
	}
	kind = str_key(doc, "kind");
	if (kind && !strcmp(kind, "List") && depth == 0) {
		check_list(d, doc, depth);
		return;
	}
	if (kind && !strcmp(kind, "NetworkAttachmentDefinition"))
		check_nad(d, doc);
	else if (kind && !strcmp(kind, "Pod"))
		check_pod(d, doc);
	else if (kind)
		return; /* other Kubernetes objects: not ours to check */
	else if (is_node_conf(doc))
		check_node(d, doc);
	else if (json_object_object_get_ex(doc, "type", NULL) ||
		 json_object_object_get_ex(doc, "plugins", NULL))
		check_cni(d, doc);
	else {
		problem(d, "(document)",
			"neither a NetworkAttachmentDefinition, "
			"a Pod nor a CNI config");
		return;
	}
	d->c->docs++;
}

void ctl_check_buf(struct ctl_check *c, const char *file, const char *buf,
		   size_t len)
{
	struct doc d = { .c = c, .file = file };
	struct cni_err err = { 0 };
	json_object **docs = NULL;
	size_t n = 0;

	if (yamljson_parse(buf, len, file, &docs, &n, &err)) {
		/* the message starts with the file name already */
		add_line(c, strdup(err.msg));
		return;
	}
	if (n == 0)
		problem(&d, "(file)", "no document");
	for (size_t i = 0; i < n; i++) {
		if (n > 1)
			snprintf(d.where, sizeof(d.where), "documents[%zu].",
				 i);
		check_doc(&d, docs[i], 0);
	}
	yamljson_docs_free(docs, n);
}

/* One network's ranges, or ranges in pools kept apart by network_name:
 * an overlap between them is no conflict. */
static bool no_conflict(const struct seen_range *a, const struct seen_range *b)
{
	if (a->pool && b->pool && strcmp(a->pool, b->pool))
		return true;
	return a->network && b->network && !strcmp(a->network, b->network);
}

void ctl_check_finish(struct ctl_check *c)
{
	for (size_t i = 0; i < c->n_ranges; i++)
		for (size_t j = 0; j < i; j++) {
			const struct seen_range *a = &c->ranges[j];
			const struct seen_range *b = &c->ranges[i];
			char *line = NULL;

			if (no_conflict(a, b) ||
			    !ctl_range_overlap(&a->r, &b->r))
				continue;
			if (asprintf(&line,
				     "%s: %s overlaps %s of network "
				     "%s (%s)",
				     b->where, b->text, a->text,
				     a->network ? a->network : "-",
				     a->where) < 0)
				line = NULL;
			add_line(c, line);
		}
	if (c->oom)
		add_line(c, strdup("plexusctl: out of memory: the check is "
				   "incomplete"));
}
