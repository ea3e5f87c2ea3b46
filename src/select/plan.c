// SPDX-License-Identifier: Apache-2.0
/* The attachment plan type: which networks a pod gets, in which order,
 * under which interface names (select.c builds it), and what each
 * delegate's stdin config becomes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "plan.h"
#include "plexus_conf.h"

struct plexus_plan *plexus_plan_new(void)
{
	return calloc(1, sizeof(struct plexus_plan));
}

void plexus_attachment_clear(struct plexus_attachment *a)
{
	if (!a)
		return;
	free(a->network);
	free(a->source);
	free(a->ifname);
	cni_conflist_free(a->conf);
	json_object_put(a->runtime_config);
	json_object_put(a->cni_args);
	free(a->device_id);
	free(a->args_mac);
	free(a->args_ip);
	free(a->ipam_claim);
	json_object_put(a->default_route);
	json_object_put(a->capabilities);
	json_object_put(a->policy_routes);
	memset(a, 0, sizeof(*a));
}

void plexus_plan_free(struct plexus_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++)
		plexus_attachment_clear(&plan->att[i]);
	free(plan->att);
	free(plan->pod_namespace);
	free(plan->pod_name);
	free(plan->pod_uid);
	free(plan);
}

int plexus_plan_add(struct plexus_plan *plan, struct plexus_attachment *att)
{
	struct plexus_attachment *grown;

	grown = realloc(plan->att, (plan->n + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	plan->att = grown;
	plan->att[plan->n++] = *att;
	memset(att, 0, sizeof(*att));
	return 0;
}

unsigned plan_policy_table(const struct plexus_policy_routing *pr,
			   const struct plexus_plan *p, size_t i)
{
	const struct plexus_attachment *a = &p->att[i];
	bool on = a->policy_routing == PLAN_PR_ON ||
		  (a->policy_routing == PLAN_PR_NODE && pr->on);

	return on && !a->is_default ? pr->table_base + (unsigned)i : 0;
}

/* A plugin config's "master" or "link" is ifname. */
static bool names_link(json_object *plugin, const char *ifname)
{
	static const char *const keys[] = { "master", "link" };
	json_object *v;

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
		if (json_object_object_get_ex(plugin, keys[k], &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), ifname) == 0)
			return true;
	return false;
}

bool plan_depends(const struct plexus_plan *p, size_t j, size_t i)
{
	const struct plexus_attachment *a = &p->att[j];

	if (i >= j || j >= p->n)
		return false;
	if (a->aux_chain)
		return true;
	for (size_t k = 0; k < a->conf->n_plugins; k++)
		if (names_link(a->conf->plugins[k], p->att[i].ifname))
			return true;
	return false;
}

size_t plan_waves(const struct plexus_plan *p, size_t *ret_wave)
{
	size_t n_waves = 0;

	for (size_t j = 0; j < p->n; j++) {
		size_t w = 0;

		for (size_t i = 0; i < j; i++)
			if (plan_depends(p, j, i) && ret_wave[i] + 1 > w)
				w = ret_wave[i] + 1;
		ret_wave[j] = w;
		if (w + 1 > n_waves)
			n_waves = w + 1;
	}
	return n_waves;
}

const char *plan_isolation_str(enum plan_isolation v)
{
	switch (v) {
	case PLAN_ISOLATION_OFF:
		return "off";
	case PLAN_ISOLATION_OWN:
		return "allowed: the pod's namespace";
	case PLAN_ISOLATION_GLOBAL:
		return "allowed: a global namespace";
	case PLAN_ISOLATION_EXEMPT:
		return "exempt: the node's clusterNetwork/defaultNetworks";
	case PLAN_ISOLATION_DEFAULT_NET:
		return "exempt: the default-network annotation's NAD in "
		       "multusNamespace";
	case PLAN_ISOLATION_NA:
		break;
	}
	return "n/a: not a NetworkAttachmentDefinition";
}

/* args.cni (selection's cni-args) and deviceID into one plugin's conf. */
static int add_selection(json_object *conf, const struct plexus_attachment *a)
{
	json_object *args, *cni;

	if (a->cni_args) {
		if (!json_object_object_get_ex(conf, "args", &args) ||
		    !json_object_is_type(args, json_type_object)) {
			args = json_object_new_object();
			if (!args)
				return -ENOMEM;
			json_object_object_add(conf, "args", args);
		}
		if (!json_object_object_get_ex(args, "cni", &cni) ||
		    !json_object_is_type(cni, json_type_object)) {
			cni = json_object_new_object();
			if (!cni)
				return -ENOMEM;
			json_object_object_add(args, "cni", cni);
		}
		json_object_object_foreach (a->cni_args, k, v)
			json_object_object_add(cni, k, cni_json_copy(v));
	}
	if (a->device_id)
		json_object_object_add(conf, "deviceID",
				       json_object_new_string(a->device_id));
	return 0;
}

int plexus_attachment_plugin_conf(const struct plexus_attachment *att, size_t i,
				  json_object *prev_result, json_object **ret,
				  struct cni_err *err)
{
	json_object *conf;
	int r = cni_conflist_plugin_conf(att->conf, i, prev_result,
					 att->runtime_config, &conf, err);

	if (r < 0)
		return r;
	r = add_selection(conf, att);
	if (r < 0) {
		json_object_put(conf);
		return r;
	}
	*ret = conf;
	return 0;
}
