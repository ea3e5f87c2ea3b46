// SPDX-License-Identifier: Apache-2.0
/* The dry-run plan as one JSON tree: what every delegate would get.
 * Pure: reads the plan, never the node; every verdict shown is the one
 * select recorded on the attachment. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "delegate.h"
#include "plan.h"
#include "plexus_conf.h"
#include "plexusctl.h"
#include "select.h"

static json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static json_object *copy_or_empty(json_object *o)
{
	return o ? cni_json_copy(o) : json_object_new_object();
}

static json_object *pod_obj(const struct ctl_pod_info *pod)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "namespace", str_or_null(pod->ns));
	json_object_object_add(o, "name", str_or_null(pod->name));
	json_object_object_add(o, "uid", str_or_null(pod->uid));
	return o;
}

/* plugins (types) and delegates (each plugin's stdin, no prevResult,
 * and with pod->ipam what plexus-ipam would hand out) */
/* A native delegate's own config parser on the stdin plexus would give
 * it: its refusal is plexus' ADD refusal, worded as attach words it. */
static int native_check(const struct plexus_attachment *a, size_t i,
			json_object *stdin_conf, struct cni_err *err)
{
	const char *type = cni_conflist_type(a->conf, i);
	const struct delegate_ops *ops = delegate_find(type);
	int r;

	if (!ops || !ops->conf_check)
		return 0;
	r = ops->conf_check(stdin_conf, err);
	if (r < 0)
		cni_err_prefix(err, "network \"%s\" (%s): %s", a->network,
			       a->ifname, type);
	return r < 0 ? r : 0;
}

static int chain_objs(const struct plexus_attachment *a,
		      const struct ctl_pod_info *pod, json_object *o,
		      struct cni_err *err)
{
	json_object *types = json_object_new_array();
	json_object *dels = json_object_new_array();

	json_object_object_add(o, "plugins", types);
	json_object_object_add(o, "delegates", dels);
	if (!types || !dels)
		return -ENOMEM;
	for (size_t i = 0; i < a->conf->n_plugins; i++) {
		json_object *d, *stdin_conf = NULL;
		int r = plexus_attachment_plugin_conf(a, i, NULL, &stdin_conf,
						      err);

		if (r == 0)
			r = native_check(a, i, stdin_conf, err);
		if (r < 0) {
			json_object_put(stdin_conf);
			return r;
		}
		d = json_object_new_object();
		if (!d) {
			json_object_put(stdin_conf);
			return -ENOMEM;
		}
		json_object_object_add(
			d, "type",
			json_object_new_string(cni_conflist_type(a->conf, i)));
		json_object_object_add(d, "stdin", stdin_conf);
		if (pod->ipam) {
			json_object *pv = NULL;

			r = ctl_ipam_preview(pod->ipam, stdin_conf, a->ifname,
					     pod, &pv);
			if (r < 0) {
				json_object_put(d);
				return r;
			}
			if (pv)
				json_object_object_add(d, "ipamPreview", pv);
		}
		json_object_array_add(dels, d);
		json_object_array_add(
			types,
			json_object_new_string(cni_conflist_type(a->conf, i)));
	}
	return 0;
}

/* The attachment's own routing table and rule priority, if it has one. */
static void policy_obj(const struct plexus_plan *plan, size_t i,
		       const struct ctl_pod_info *pod, json_object *o)
{
	unsigned table =
		pod->policy_routing
			? plan_policy_table(pod->policy_routing, plan, i)
			: 0;
	json_object *pr;

	if (!table || !(pr = json_object_new_object()))
		return;
	json_object_object_add(pr, "table", json_object_new_int64(table));
	json_object_object_add(
		pr, "rulePriority",
		json_object_new_int64(pod->policy_routing->priority));
	if (pod->policy_routing->iif)
		json_object_object_add(
			pr, "iifPriority",
			json_object_new_int64(
				PLEXUS_PR_IIF_PRIORITY(pod->policy_routing)));
	if (plan->att[i].policy_routes)
		json_object_object_add(
			pr, "routes",
			cni_json_copy(plan->att[i].policy_routes));
	json_object_object_add(o, "policyRouting", pr);
}

static int att_obj(const struct plexus_attachment *a,
		   const struct ctl_pod_info *pod, json_object **ret,
		   struct cni_err *err)
{
	json_object *o = json_object_new_object();
	int r;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "network", str_or_null(a->network));
	json_object_object_add(o, "source", str_or_null(a->source));
	json_object_object_add(o, "interface", str_or_null(a->ifname));
	json_object_object_add(o, "default",
			       json_object_new_boolean(a->is_default));
	json_object_object_add(o, "cniVersion",
			       str_or_null(a->conf->cni_version));
	json_object_object_add(o, "runtimeConfig",
			       copy_or_empty(a->runtime_config));
	json_object_object_add(o, "cniArgs", cni_json_copy(a->cni_args));
	json_object_object_add(o, "capabilities",
			       a->capabilities ? cni_json_copy(a->capabilities)
					       : json_object_new_array());
	json_object_object_add(o, "deviceID", str_or_null(a->device_id));
	json_object_object_add(o, "defaultRoute",
			       cni_json_copy(a->default_route));
	if (a->ipam_claim)
		json_object_object_add(o, "ipamClaim",
				       json_object_new_string(a->ipam_claim));
	json_object_object_add(
		o, "namespaceIsolation",
		json_object_new_string(plan_isolation_str(a->isolation)));
	r = chain_objs(a, pod, o, err);
	if (r < 0) {
		json_object_put(o);
		return r;
	}
	*ret = o;
	return 0;
}

/* {"parallel": bool, "groups": [[i, ...], ...]}: whether ADD would
 * attach in parallel, and then its groups of attachment indexes, in the
 * order they would run (plan_waves). */
static json_object *parallel_obj(const struct plexus_plan *plan)
{
	json_object *o = json_object_new_object(), *groups;
	size_t *wave = calloc(plan->n ? plan->n : 1, sizeof(*wave)), n;

	if (!o || !wave) {
		json_object_put(o);
		free(wave);
		return NULL;
	}
	json_object_object_add(o, "parallel",
			       json_object_new_boolean(plan->parallel));
	n = plan->parallel ? plan_waves(plan, wave) : 0;
	groups = n ? json_object_new_array() : NULL;
	for (size_t w = 0; groups && w < n; w++) {
		json_object *g = json_object_new_array();

		for (size_t i = 0; g && i < plan->n; i++)
			if (wave[i] == w)
				json_object_array_add(
					g, json_object_new_int64((int64_t)i));
		json_object_array_add(groups, g);
	}
	if (groups)
		json_object_object_add(o, "groups", groups);
	free(wave);
	return o;
}

static json_object *head_obj(const struct ctl_pod_info *pod)
{
	json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "pod", pod_obj(pod));
		json_object_object_add(o, "source", str_or_null(pod->source));
	}
	return o;
}

int ctl_plan_view(const struct plexus_plan *plan,
		  const struct ctl_pod_info *pod, json_object **ret,
		  struct cni_err *err)
{
	json_object *o = head_obj(pod), *list = json_object_new_array();

	if (!o || !list) {
		json_object_put(o);
		json_object_put(list);
		return -ENOMEM;
	}
	json_object_object_add(o, "parallelAttach", parallel_obj(plan));
	json_object_object_add(o, "attachments", list);
	for (size_t i = 0; i < plan->n; i++) {
		json_object *a;
		int r = att_obj(&plan->att[i], pod, &a, err);

		if (r < 0) {
			json_object_put(o);
			return r;
		}
		policy_obj(plan, i, pod, a);
		json_object_array_add(list, a);
	}
	*ret = o;
	return 0;
}

json_object *ctl_refusal_view(const struct ctl_pod_info *pod,
			      const struct cni_err *perr)
{
	json_object *o = head_obj(pod), *e = json_object_new_object();

	if (!o || !e) {
		json_object_put(o);
		json_object_put(e);
		return NULL;
	}
	json_object_object_add(e, "code", json_object_new_int(perr->code));
	json_object_object_add(e, "msg", json_object_new_string(perr->msg));
	if (perr->details[0])
		json_object_object_add(e, "details",
				       json_object_new_string(perr->details));
	json_object_object_add(o, "refused", e);
	return o;
}

int ctl_plan_run(const struct plexus_conf *conf, const struct cni_env *env,
		 const struct nad_source *src, struct ctl_pod_info *pod,
		 json_object **ret)
{
	struct plexus_plan *plan = NULL;
	struct cni_err err = { 0 };
	const char *uid = pod->uid;
	int r = select_plan(conf, env, src, &plan, &err);

	pod->policy_routing = &conf->policy_routing;
	if (r == 0) {
		pod->uid = plan->pod_uid;
		r = ctl_plan_view(plan, pod, ret, &err);
		pod->uid = uid;
	}
	plexus_plan_free(plan);
	if (r == 0)
		return CTL_EXIT_OK;
	if (!err.code)
		cni_errf(&err, CNI_ERR_IO, "%s", strerror(-r));
	*ret = ctl_refusal_view(pod, &err);
	return CTL_EXIT_REFUSED;
}
