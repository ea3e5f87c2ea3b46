/* SPDX-License-Identifier: Apache-2.0 */
/* Network selection: which networks a pod gets, from the meta config,
 * the pod's annotations and its NetworkAttachmentDefinitions. Pure: reads
 * files and the NAD source, never writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "k8s.h"
#include "cni_conf.h"
#include "cni_env.h"
#include "cni_error.h"
#include "cni_json.h"
#include "devcheckpoint.h"
#include "nadsrc.h"
#include "plan.h"
#include "plexus_conf.h"
#include "policy.h"
#include "proutes.h"
#include "select.h"

#define SEL CNI_ERR_SELECTION

struct nad_entry {
	char *key; /* "ns/name" */
	json_object *nad;
};

/* One selection call. */
struct sel {
	const struct plexus_conf *conf;
	const struct cni_env *env;
	const struct nad_source *src;
	struct plexus_plan *plan;
	const char *pod_ns, *pod_name, *pod_uid;
	char who[400]; /* "pod ns/name", starts every message */
	json_object *pod;
	struct nad_entry *nads;
	size_t n_nads;
	struct dev_pool *devs;
};

static void sel_clear(struct sel *s)
{
	json_object_put(s->pod);
	for (size_t i = 0; i < s->n_nads; i++) {
		free(s->nads[i].key);
		json_object_put(s->nads[i].nad);
	}
	free(s->nads);
	dev_pool_free(s->devs);
}

static int oom(struct cni_err *err)
{
	return cni_errf(err, CNI_ERR_IO, "out of memory");
}

static const char *conf_dir(const struct sel *s)
{
	return s->conf->conf_dir ? s->conf->conf_dir : PLEXUS_CONF_DIR_DEFAULT;
}

/* --- the pod --- */

static const char *pod_annotation(const struct sel *s, const char *key)
{
	json_object *md, *an, *v;

	if (!s->pod || !json_object_object_get_ex(s->pod, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an) ||
	    !json_object_object_get_ex(an, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int pod_uid_check(struct sel *s, struct cni_err *err)
{
	json_object *md = NULL;
	const char *uid = NULL;

	if (cni_json_get_object(s->pod, "metadata", "metadata", &md, NULL) ||
	    cni_json_get_string(md, "uid", "metadata.uid", &uid, NULL))
		return 0;
	if (!s->pod_uid) {
		s->pod_uid = uid;
		return 0;
	}
	if (strcmp(uid, s->pod_uid))
		return cni_errf(err, SEL,
				"%s: K8S_POD_UID %s differs from "
				"the API's %s (the pod was replaced)",
				s->who, s->pod_uid, uid);
	return 0;
}

static int pod_load(struct sel *s, struct cni_err *err)
{
	int r;

	if (!s->pod_ns || !s->pod_name || !s->src)
		return 0;
	if (!k8s_name_is_label(s->pod_ns) ||
	    !k8s_name_is_subdomain(s->pod_name))
		return cni_errf(err, CNI_ERR_INVALID_ENV,
				"%s: not a valid "
				"namespace/name in CNI_ARGS",
				s->who);
	r = s->src->ops->get_pod(s->src->ctx, s->pod_ns, s->pod_name, &s->pod,
				 err);
	if (r) {
		cni_err_prefix(err, "%s", s->who);
		return r == -ENOENT ? -ESRCH : r; /* -ESRCH: the pod is gone */
	}
	return pod_uid_check(s, err);
}

/* --- NADs --- */

static int nad_get(struct sel *s, const char *ns, const char *name,
		   json_object **ret, struct cni_err *err)
{
	struct nad_entry *n;
	char *key;
	int r;

	if (asprintf(&key, "%s/%s", ns, name) < 0)
		return oom(err);
	for (size_t i = 0; i < s->n_nads; i++) {
		if (!strcmp(s->nads[i].key, key)) {
			free(key);
			*ret = s->nads[i].nad;
			return 0;
		}
	}
	n = realloc(s->nads, (s->n_nads + 1) * sizeof(*n));
	if (!n) {
		free(key);
		return oom(err);
	}
	s->nads = n;
	r = s->src->ops->get_nad(s->src->ctx, ns, name, &s->nads[s->n_nads].nad,
				 err);
	if (r) {
		free(key);
		cni_err_prefix(err, "%s", s->who);
		return r;
	}
	s->nads[s->n_nads].key = key;
	*ret = s->nads[s->n_nads++].nad;
	return 0;
}

static bool in_csv(const char *csv, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = csv; p && *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t'))
			p++, len--;
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == n && !strncmp(p, word, n))
			return true;
		p = end ? end + 1 : NULL;
	}
	return false;
}

static const char *multus_ns(const struct sel *s)
{
	return s->conf->multus_namespace ? s->conf->multus_namespace
					 : PLEXUS_MULTUS_NS_DEFAULT;
}

/* namespaceIsolation's verdict on a NAD in ns: a network the pod asks
 * for (requested) outside its namespace and the global ones is refused;
 * the node's own clusterNetwork/defaultNetworks are exempt, and so is
 * the default-network annotation's NAD in multusNamespace (def_over),
 * as Multus does: the operator keeps default networks there. */
static int isolation_judge(const struct sel *s, const char *ns,
			   const char *name, bool requested, bool def_over,
			   enum plan_isolation *ret, struct cni_err *err)
{
	const char *global = s->conf->global_namespaces
				     ? s->conf->global_namespaces
				     : "default";

	if (!s->conf->namespace_isolation)
		*ret = PLAN_ISOLATION_OFF;
	else if (s->pod_ns && !strcmp(ns, s->pod_ns))
		*ret = PLAN_ISOLATION_OWN;
	else if (in_csv(global, ns))
		*ret = PLAN_ISOLATION_GLOBAL;
	else if (def_over && !strcmp(ns, multus_ns(s)))
		*ret = PLAN_ISOLATION_DEFAULT_NET;
	else if (!requested)
		*ret = PLAN_ISOLATION_EXEMPT;
	else
		return cni_errf(err, SEL,
				"%s: namespaceIsolation: network %s/%s is "
				"outside the pod's namespace and the global "
				"namespaces (%s)",
				s->who, ns, name, global);
	return 0;
}

/* --- one attachment --- */

static bool conf_has_cap(const struct cni_conflist *cl, const char *cap)
{
	for (size_t i = 0; i < cl->n_plugins; i++)
		if (cni_plugin_has_capability(cl->plugins[i], cap))
			return true;
	return false;
}

static int rt_put(struct plexus_attachment *att, const char *cap,
		  json_object *val, bool must, const char *who,
		  struct cni_err *err)
{
	if (!val)
		return 0;
	if (must && !conf_has_cap(att->conf, cap)) {
		json_object_put(val);
		return cni_errf(err, SEL,
				"%s: network %s: the pod asks for "
				"\"%s\" but no plugin of the network declares "
				"the capability",
				who, att->network, cap);
	}
	if (!att->runtime_config)
		att->runtime_config = json_object_new_object();
	if (!att->runtime_config) {
		json_object_put(val);
		return oom(err);
	}
	json_object_object_add(att->runtime_config, cap, val);
	return 0;
}

static json_object *str_or_null(const char *v)
{
	return v ? json_object_new_string(v) : NULL;
}

/* The element's "mac" and "ips" for CNI_ARGS MAC= and IP= (Multus
 * appends them at ADD, besides runtimeConfig). They come from the pod
 * annotation: a value that could add or hide another key is refused. */
static int elem_args(const struct sel *s, struct plexus_attachment *att,
		     const struct annot_elem *e, struct cni_err *err)
{
	char field[1024];
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	int r;

	if (e->mac) {
		snprintf(field, sizeof(field), "%s: network %s: \"mac\"",
			 s->who, att->network);
		if (cni_args_value_check(e->mac, field, SEL, err) < 0)
			return -EINVAL;
		if (!(att->args_mac = strdup(e->mac)))
			return oom(err);
	}
	if (!e->ips || !json_object_array_length(e->ips))
		return 0;
	m = open_memstream(&out, &len);
	if (!m)
		return oom(err);
	for (size_t k = 0; k < json_object_array_length(e->ips); k++) {
		const char *ip = json_object_get_string(
			json_object_array_get_idx(e->ips, k));

		snprintf(field, sizeof(field), "%s: network %s: \"ips\"[%zu]",
			 s->who, att->network, k);
		r = strchr(ip, ',') ? cni_errf(err, SEL,
					       "%s: \"%.64s\" holds ',', "
					       "which would request another "
					       "address; refused",
					       field, ip)
				    : cni_args_value_check(ip, field, SEL, err);
		if (r < 0) {
			fclose(m);
			free(out);
			return r;
		}
		fprintf(m, "%s%s", k ? "," : "", ip);
	}
	if (fclose(m) != 0)
		return oom(err);
	att->args_ip = out;
	return 0;
}

/* The element's requests: runtimeConfig, args.cni, default-route. */
static int elem_apply(const struct sel *s, struct plexus_attachment *att,
		      const struct annot_elem *e, struct cni_err *err)
{
	if (rt_put(att, "ips", cni_json_copy(e->ips), true, s->who, err) ||
	    rt_put(att, "mac", str_or_null(e->mac), true, s->who, err) ||
	    rt_put(att, "portMappings", cni_json_copy(e->port_mappings), true,
		   s->who, err) ||
	    rt_put(att, "bandwidth", cni_json_copy(e->bandwidth), true, s->who,
		   err) ||
	    rt_put(att, "infinibandGUID", str_or_null(e->infiniband_guid), true,
		   s->who, err))
		return -EINVAL;
	if (elem_args(s, att, e, err) < 0)
		return -EINVAL;
	if (e->cni_args && !(att->cni_args = cni_json_copy(e->cni_args)))
		return oom(err);
	if (e->ipam_claim && !(att->ipam_claim = strdup(e->ipam_claim)))
		return oom(err);
	if (e->default_route &&
	    !(att->default_route = cni_json_copy(e->default_route)))
		return oom(err);
	return 0;
}

/* NAD annotation resourceName: the pod's next device of that resource
 * becomes att->device_id (attach puts it in the plugin config as
 * "deviceID") and runtimeConfig.deviceID. */
static int device_apply(struct sel *s, struct plexus_attachment *att,
			json_object *nad, struct cni_err *err)
{
	json_object *md, *an, *v;
	const char *res, *id;
	int r;

	if (!json_object_object_get_ex(nad, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an) ||
	    !json_object_object_get_ex(an, ANNOT_RESOURCE_NAME, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    !*(res = json_object_get_string(v)))
		return 0;
	if (!s->devs) {
		r = dev_checkpoint_load(
			s->conf->checkpoint_file ? s->conf->checkpoint_file
						 : PLEXUS_CHECKPOINT_DEFAULT,
			s->pod_uid ? s->pod_uid : "", &s->devs, err);
		if (r) {
			cni_err_prefix(err, "%s", s->who);
			return r;
		}
	}
	id = dev_pool_take(s->devs, res);
	if (!id)
		return cni_errf(err, SEL,
				"%s: network %s: no device of "
				"resource %s left for the pod in the kubelet "
				"checkpoint",
				s->who, att->network, res);
	att->device_id = strdup(id);
	if (!att->device_id)
		return oom(err);
	return rt_put(att, "deviceID", json_object_new_string(id), false,
		      s->who, err);
}

/* NAD annotation plexus.dev/policy-routing: "true" or "false" for this
 * network, over the node's policyRouting. */
static int policy_routing_apply(struct sel *s, struct plexus_attachment *att,
				json_object *nad, struct cni_err *err)
{
	json_object *md, *an, *v;
	const char *val;

	if (!json_object_object_get_ex(nad, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an) ||
	    !json_object_object_get_ex(an, ANNOT_POLICY_ROUTING, &v))
		return 0;
	val = json_object_is_type(v, json_type_string)
		      ? json_object_get_string(v)
		      : "";
	if (!strcmp(val, "true"))
		att->policy_routing = PLAN_PR_ON;
	else if (!strcmp(val, "false"))
		att->policy_routing = PLAN_PR_OFF;
	else
		return cni_errf(err, SEL,
				"%s: network %s: annotation %s: \"%.32s\" is "
				"not \"true\" or \"false\"",
				s->who, att->network, ANNOT_POLICY_ROUTING,
				val);
	return 0;
}

#define PR_DEFAULT "it is the pod's default network"
#define PR_OFF                                       \
	"policy routing is off for it (node config " \
	"policyRouting, annotation " ANNOT_POLICY_ROUTING ")"

/* NAD annotation plexus.dev/policy-routes: routes for this network's
 * own table; refused where the network has no table of its own (the
 * routes would be lost, or would land in the main table). */
static int policy_routes_apply(struct sel *s, struct plexus_attachment *att,
			       json_object *nad, struct cni_err *err)
{
	json_object *md, *an, *v, *routes = NULL;
	char what[512];
	bool on;
	int r;

	if (!json_object_object_get_ex(nad, "metadata", &md) ||
	    !json_object_object_get_ex(md, "annotations", &an) ||
	    !json_object_object_get_ex(an, ANNOT_POLICY_ROUTES, &v))
		return 0;
	snprintf(what, sizeof(what), "%s: network %s: annotation %s", s->who,
		 att->network, ANNOT_POLICY_ROUTES);
	if (!json_object_is_type(v, json_type_string))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s: not a string",
				what);
	r = proutes_parse(json_object_get_string(v),
			  (size_t)json_object_get_string_len(v), what, &routes,
			  err);
	if (r)
		return r;
	on = att->policy_routing == PLAN_PR_ON ||
	     (att->policy_routing == PLAN_PR_NODE &&
	      s->conf->policy_routing.on);
	if (json_object_array_length(routes) == 0) {
		json_object_put(routes);
		return 0;
	}
	if (!on || att->is_default) {
		json_object_put(routes);
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: %s, so the network has no routing "
				"table of its own for these routes",
				what, att->is_default ? PR_DEFAULT : PR_OFF);
	}
	att->policy_routes = routes;
	return 0;
}

static int att_init(struct plexus_attachment *att, const char *network,
		    const char *ifname, bool is_default, struct cni_err *err)
{
	memset(att, 0, sizeof(*att));
	att->network = strdup(network);
	att->ifname = strdup(ifname);
	att->is_default = is_default;
	if (!att->network || !att->ifname)
		return oom(err);
	return 0;
}

/* Per runtimeConfig key, the plugin types of att's chain declaring it:
 * the capability verdict the dry run shows. */
static int caps_record(struct plexus_attachment *att)
{
	if (!att->runtime_config)
		return 0;
	att->capabilities = json_object_new_array();
	if (!att->capabilities)
		return -ENOMEM;
	json_object_object_foreach (att->runtime_config, key, val) {
		json_object *c = json_object_new_object();
		json_object *types = json_object_new_array();

		(void)val;
		if (!c || !types) {
			json_object_put(c);
			json_object_put(types);
			return -ENOMEM;
		}
		for (size_t i = 0; i < att->conf->n_plugins; i++)
			if (cni_plugin_has_capability(att->conf->plugins[i],
						      key))
				json_object_array_add(
					types, json_object_new_string(
						       cni_conflist_type(
							       att->conf, i)));
		json_object_object_add(c, "capability",
				       json_object_new_string(key));
		json_object_object_add(c, "plugins", types);
		json_object_array_add(att->capabilities, c);
	}
	return 0;
}

static int att_push(struct sel *s, struct plexus_attachment *att,
		    struct cni_err *err)
{
	if (caps_record(att) || plexus_plan_add(s->plan, att)) {
		plexus_attachment_clear(att);
		return oom(err);
	}
	return 0;
}

/* ifname for the next attachment: the element's or net<position>. */
static void next_ifname(const struct sel *s, const char *want, bool is_def,
			char *buf, size_t len)
{
	if (is_def)
		snprintf(buf, len, "%s", s->env->ifname ? s->env->ifname : "");
	else if (want)
		snprintf(buf, len, "%s", want);
	else
		snprintf(buf, len, "net%zu", s->plan->n);
}

/* One NAD-backed attachment; e (NULL for the node's own networks) is
 * the pod's request, judged by namespaceIsolation before the NAD is
 * read. */
static int add_nad(struct sel *s, const char *ns, const char *name,
		   const struct annot_elem *e, bool is_def, struct cni_err *err)
{
	struct plexus_attachment att;
	char network[400], ifname[32];
	enum plan_isolation iso = PLAN_ISOLATION_NA;
	json_object *nad = NULL;
	int r;

	snprintf(network, sizeof(network), "%s/%s", ns, name);
	next_ifname(s, e ? e->ifname : NULL, is_def, ifname, sizeof(ifname));
	r = isolation_judge(s, ns, name, e != NULL, e && is_def, &iso, err);
	if (r == 0)
		r = nad_get(s, ns, name, &nad, err);
	if (r)
		return r;
	r = att_init(&att, network, ifname, is_def, err);
	att.isolation = iso;
	if (r == 0) {
		r = select_nad_conf(nad, conf_dir(s), &att.conf, &att.source,
				    err);
		if (r)
			cni_err_prefix(err, "%s: network %s", s->who, network);
	}
	/* every network, as Multus' code does (its docs say the default
	 * network only); each plugin gets the keys it declares */
	if (r == 0 && s->conf->runtime_config &&
	    !(att.runtime_config = cni_json_copy(s->conf->runtime_config)))
		r = oom(err);
	if (r == 0 && e)
		r = elem_apply(s, &att, e, err);
	if (r == 0)
		r = policy_routing_apply(s, &att, nad, err);
	if (r == 0)
		r = policy_routes_apply(s, &att, nad, err);
	if (r == 0)
		r = device_apply(s, &att, nad, err);
	if (r == 0) {
		r = tenant_policy_check(s->conf->policy, ns, name, att.conf,
					att.device_id, e != NULL, err);
		if (r)
			cni_err_prefix(err, "%s", s->who);
	}
	if (r) {
		plexus_attachment_clear(&att);
		return r;
	}
	return att_push(s, &att, err);
}

/* An attachment from an already parsed conflist (owned by the callee). */
static int add_conf(struct sel *s, struct cni_conflist *cl, char *source,
		    bool is_def, struct cni_err *err)
{
	struct plexus_attachment att;
	char ifname[32];
	int r;

	next_ifname(s, NULL, is_def, ifname, sizeof(ifname));
	r = att_init(&att, cl->name ? cl->name : source, ifname, is_def, err);
	att.conf = cl;
	att.source = source;
	/* every network, as Multus' code does (its docs say the default
	 * network only); each plugin gets the keys it declares */
	if (r == 0 && s->conf->runtime_config &&
	    !(att.runtime_config = cni_json_copy(s->conf->runtime_config)))
		r = oom(err);
	if (r) {
		plexus_attachment_clear(&att);
		return r;
	}
	return att_push(s, &att, err);
}

/* clusterNetwork / defaultNetworks: a NAD in multusNamespace when the
 * source has it, else a network name in confDir, a directory or a file. */
static int add_configured(struct sel *s, const char *name, bool is_def,
			  struct cni_err *err)
{
	const char *mns = multus_ns(s);
	struct cni_conflist *cl = NULL;
	char *source = NULL;
	int r;

	if (s->src && k8s_name_is_label(name)) {
		struct cni_err sub = { 0 };

		r = add_nad(s, mns, name, NULL, is_def, &sub);
		if (r != -ENOENT) {
			if (r && err)
				*err = sub;
			return r;
		}
	}
	r = select_conf_local(conf_dir(s), name, &cl, &source, err);
	if (r) {
		cni_err_prefix(err, "%s: %s \"%s\"", s->who,
			       is_def ? "clusterNetwork" : "defaultNetworks",
			       name);
		return r;
	}
	return add_conf(s, cl, source, is_def, err);
}

/* delegates (Multus' older form): delegates[0] is the default. */
static int add_delegates(struct sel *s, struct cni_err *err)
{
	size_t n = json_object_array_length(s->conf->delegates);

	for (size_t i = 0; i < n; i++) {
		struct cni_conflist *cl = NULL;
		char field[32], *source;
		int r;

		snprintf(field, sizeof(field), "delegates[%zu]", i);
		r = cni_conflist_parse(
			json_object_array_get_idx(s->conf->delegates, i), field,
			&cl, err);
		if (r)
			return r;
		source = strdup(field);
		if (!source) {
			cni_conflist_free(cl);
			return oom(err);
		}
		r = add_conf(s, cl, source, i == 0, err);
		if (r)
			return r;
	}
	return 0;
}

/* The pod's v1.multus-cni.io/default-network: one NAD reference,
 * namespace defaulting to multusNamespace (Multus' rule). Under
 * namespaceIsolation a NAD in multusNamespace is exempt (Multus exempts
 * every namespace here; plexus still judges the others). */
static int add_default_override(struct sel *s, const char *val,
				struct cni_err *err)
{
	const char *mns = multus_ns(s);
	struct annot_list *l = NULL;
	const struct annot_elem *e;
	char what[512];
	int r;

	snprintf(what, sizeof(what), "%s: annotation %s", s->who,
		 ANNOT_DEFAULT_NETWORK);
	r = annot_networks_parse(val, strlen(val), what, &l, err);
	if (r)
		return r;
	if (l->n != 1) {
		annot_list_free(l);
		return cni_errf(err, SEL, "%s: must name exactly one network",
				what);
	}
	e = &l->elems[0];
	if (e->ifname && s->env->ifname && strcmp(e->ifname, s->env->ifname))
		r = cni_errf(err, SEL,
			     "%s: the default network's interface "
			     "is CNI_IFNAME (%s), not \"%s\"",
			     what, s->env->ifname, e->ifname);
	if (r == 0)
		r = add_nad(s, e->namespace ? e->namespace : mns, e->name, e,
			    true, err);
	annot_list_free(l);
	return r;
}

static int add_default(struct sel *s, struct cni_err *err)
{
	const char *over = pod_annotation(s, ANNOT_DEFAULT_NETWORK);

	if (over && *over)
		return add_default_override(s, over, err);
	if (s->conf->cluster_network && *s->conf->cluster_network)
		return add_configured(s, s->conf->cluster_network, true, err);
	if (s->conf->delegates &&
	    json_object_array_length(s->conf->delegates) > 0)
		return add_delegates(s, err);
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"%s: no default network: "
			"set clusterNetwork or delegates",
			s->who);
}

static bool system_namespace(const struct sel *s)
{
	for (size_t i = 0; s->pod_ns && i < s->conf->n_system_namespaces; i++)
		if (!strcmp(s->conf->system_namespaces[i], s->pod_ns))
			return true;
	return false;
}

static int add_default_networks(struct sel *s, struct cni_err *err)
{
	if (system_namespace(s))
		return 0;
	for (size_t i = 0; i < s->conf->n_default_networks; i++) {
		int r = add_configured(s, s->conf->default_networks[i], false,
				       err);
		if (r)
			return r;
	}
	return 0;
}

static int add_selected(struct sel *s, struct cni_err *err)
{
	const char *val = pod_annotation(s, ANNOT_NETWORKS);
	struct annot_list *l = NULL;
	char what[512];
	int r;

	if (!val)
		return 0;
	snprintf(what, sizeof(what), "%s: annotation %s", s->who,
		 ANNOT_NETWORKS);
	r = annot_networks_parse(val, strlen(val), what, &l, err);
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		const struct annot_elem *e = &l->elems[i];
		const char *ns = e->namespace ? e->namespace : s->pod_ns;

		r = add_nad(s, ns, e->name, e, false, err);
	}
	annot_list_free(l);
	return r;
}

/* Across the whole plan: distinct interface names, one default-route. */
/* auxiliaryCNIChainName (Multus v4.2.4): after every other network, a
 * chain of the node's plugin files from the directory of that name beside
 * the clusterNetwork file, on its own interface name (net<position>).
 * Multus refuses an ADD whose clusterNetwork is not a path; the other
 * verbs go on without the chain. */
static int add_aux_chain(struct sel *s, struct cni_err *err)
{
	const char *name = s->conf->aux_chain_name;
	const char *cn = s->conf->cluster_network;
	const char *ver = s->conf->cni_version;
	struct cni_conflist *cl = NULL;
	char *source = NULL;
	size_t at = s->plan->n;
	int r;

	if (!name || !*name)
		return 0;
	if (!cn || !strchr(cn, '/'))
		return s->env->cmd != CNI_CMD_ADD
			       ? 0
			       : cni_errf(err, CNI_ERR_INVALID_CONFIG,
					  "auxiliaryCNIChainName: "
					  "clusterNetwork "
					  "must be a file path to find the "
					  "chain beside it, and \"%s\" is not",
					  cn ? cn : "");
	if (!ver && at > 0)
		ver = s->plan->att[0].conf->cni_version;
	r = select_aux_chain(cn, name, ver ? ver : "1.0.0", &cl, &source, err);
	if (r) {
		cni_err_prefix(err, "auxiliaryCNIChainName \"%s\"", name);
		return r;
	}
	if (!cl)
		return 0;
	r = add_conf(s, cl, source, false, err);
	if (r == 0)
		s->plan->att[at].aux_chain = true;
	return r;
}

static int plan_check(const struct sel *s, struct cni_err *err)
{
	const struct plexus_plan *p = s->plan;
	size_t route = p->n;

	for (size_t i = 0; i < p->n; i++) {
		if (p->att[i].default_route) {
			if (route < p->n)
				return cni_errf(err, SEL,
						"%s: networks %s and "
						"%s both ask for the default "
						"route",
						s->who, p->att[route].network,
						p->att[i].network);
			route = i;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->att[i].ifname, p->att[j].ifname))
				return cni_errf(err, SEL,
						"%s: interface \"%s\" already "
						"used by network %s (asked for "
						"again by network %s)",
						s->who, p->att[i].ifname,
						p->att[j].network,
						p->att[i].network);
	}
	return 0;
}

/* The node's parallelAttach, and under "pod" the pod's annotation
 * plexus.dev/parallel-attach: "true" or "false", nothing else (checked
 * whatever the node allows: a typo is an error, not a silent "no"). */
static int parallel_set(struct sel *s, struct cni_err *err)
{
	const char *val = pod_annotation(s, ANNOT_PARALLEL_ATTACH);
	json_object *md, *an, *v;
	bool asked = false;

	if (!val && s->pod &&
	    json_object_object_get_ex(s->pod, "metadata", &md) &&
	    json_object_object_get_ex(md, "annotations", &an) &&
	    json_object_object_get_ex(an, ANNOT_PARALLEL_ATTACH, &v))
		val = ""; /* present but not a string */
	if (val && strcmp(val, "true") == 0)
		asked = true;
	else if (val && strcmp(val, "false") != 0)
		return cni_errf(err, SEL,
				"%s: annotation %s: \"%.32s\" is not "
				"\"true\" or \"false\"",
				s->who, ANNOT_PARALLEL_ATTACH, val);
	s->plan->parallel =
		s->conf->parallel_attach == PLEXUS_PARALLEL_ALL ||
		(s->conf->parallel_attach == PLEXUS_PARALLEL_POD && asked);
	return 0;
}

static int plan_pod_set(struct sel *s, struct cni_err *err)
{
	struct plexus_plan *p = s->plan;

	if (!p->pod_namespace && s->pod_ns &&
	    !(p->pod_namespace = strdup(s->pod_ns)))
		return oom(err);
	if (!p->pod_name && s->pod_name && !(p->pod_name = strdup(s->pod_name)))
		return oom(err);
	if (!p->pod_uid && s->pod_uid && !(p->pod_uid = strdup(s->pod_uid)))
		return oom(err);
	return 0;
}

int select_plan(const struct plexus_conf *conf, const struct cni_env *env,
		const struct nad_source *src, struct plexus_plan **ret,
		struct cni_err *err)
{
	struct sel s = {
		.conf = conf,
		.env = env,
		.src = src,
		.plan = plexus_plan_new(),
		.pod_ns = cni_env_arg(env, "K8S_POD_NAMESPACE"),
		.pod_name = cni_env_arg(env, "K8S_POD_NAME"),
		.pod_uid = cni_env_arg(env, "K8S_POD_UID"),
	};
	int r;

	if (!s.plan)
		return oom(err);
	snprintf(s.who, sizeof(s.who), "pod %s/%s", s.pod_ns ? s.pod_ns : "-",
		 s.pod_name ? s.pod_name : "-");
	r = pod_load(&s, err);
	if (r == 0)
		r = add_default(&s, err);
	if (r == 0)
		r = add_default_networks(&s, err);
	if (r == 0)
		r = add_selected(&s, err);
	if (r == 0)
		r = add_aux_chain(&s, err);
	if (r == 0)
		r = plan_check(&s, err);
	if (r == 0)
		r = plan_pod_set(&s, err);
	if (r == 0)
		r = parallel_set(&s, err);
	if (r == 0)
		*ret = s.plan;
	else
		plexus_plan_free(s.plan);
	sel_clear(&s);
	return r;
}
