// SPDX-License-Identifier: Apache-2.0
/* libFuzzer: the tenant policy evaluator (src/select/policy.c). The input
 * is one JSON object: "node" holds the node side (metaPlugins,
 * tenantPolicy), "nad" a NAD's config (tenant input: conf or conflist),
 * "ns" its namespace, "deviceID" the device plugin's, "byPod" whether a
 * pod selected it. Absent "node": the evaluator's defaults and, in turn,
 * a fixed lock-in policy. Whatever the input, a verdict is 0 or code 7
 * with a message naming the NAD, and a meta plugin never passes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni_conf.h"
#include "cni_error.h"
#include "cni_json.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char lockin[] =
	"{\"metaPlugins\":[\"multus\"],\"tenantPolicy\":{\"namespaces\":"
	"{\"team\":{\"types\":[\"macvlan\",\"plexus-*\",\"sriov\"],"
	"\"interfaces\":[\"eth1\",\"br-team*\",\"pf0\"],\"vlans\":[100,"
	"\"200-299\"]}},\"default\":{\"types\":[]}}}";

static const char *str_or(json_object *doc, const char *key, const char *d)
{
	json_object *v;

	if (!json_object_object_get_ex(doc, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return d;
	return json_object_get_string(v);
}

static bool has_meta(const struct cni_conflist *cl)
{
	for (size_t i = 0; i < cl->n_plugins; i++) {
		json_object *ipam;
		const char *t = cni_conflist_type(cl, i);

		if (!strcmp(t, "plexus"))
			return true;
		if (json_object_object_get_ex(cl->plugins[i], "ipam", &ipam) &&
		    !strcmp(str_or(ipam, "type", ""), "plexus"))
			return true;
	}
	return false;
}

static void judge(const struct tenant_policy *p, json_object *doc,
		  const struct cni_conflist *cl)
{
	struct cni_err err = { 0 };
	json_object *by;
	const char *ns = str_or(doc, "ns", "team");
	bool by_pod = !json_object_object_get_ex(doc, "byPod", &by) ||
		      json_object_get_boolean(by);
	int r = tenant_policy_check(
		p, ns, "nad", cl, str_or(doc, "deviceID", NULL), by_pod, &err);

	if (r &&
	    (err.code != CNI_ERR_INVALID_CONFIG || strncmp(err.msg, "NAD ", 4)))
		abort(); /* refusals are code 7 naming the NAD */
	if (r == 0 && has_meta(cl))
		abort(); /* plexus never passes */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tenant_policy *p = NULL;
	struct cni_conflist *cl = NULL;
	struct cni_err err = { 0 };
	json_object *doc, *node, *nad;

	if (cni_json_parse((const char *)data, size, "fuzz", &doc, &err) < 0)
		return 0;
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "nad", &nad) ||
	    cni_conflist_parse(nad, "nad", &cl, &err) < 0) {
		/* the node side alone */
		if (tenant_policy_parse(doc, &p, &err) == 0)
			tenant_policy_free(p);
		json_object_put(doc);
		return 0;
	}
	if (json_object_object_get_ex(doc, "node", &node)) {
		if (tenant_policy_parse(node, &p, &err) == 0)
			judge(p, doc, cl);
	} else {
		json_object *l = json_tokener_parse(lockin);

		judge(NULL, doc, cl);
		if (l && tenant_policy_parse(l, &p, &err) == 0)
			judge(p, doc, cl);
		json_object_put(l);
	}
	tenant_policy_free(p);
	cni_conflist_free(cl);
	json_object_put(doc);
	return 0;
}
