/* SPDX-License-Identifier: Apache-2.0 */
/* The pod's k8s.v1.cni.cncf.io/network-status annotation, as Multus
 * writes it: one entry per attachment, exactly one "default": true. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "cni_result.h"
#include "nadsrc.h"
#include "netstatus.h"
#include "plan.h"

/* The pod-side interface of an attachment: the one named ifname with a
 * sandbox, else the one named ifname; -1 when the result has none. */
static int pod_iface(const struct cni_result *res, const char *ifname)
{
	int any = -1;

	for (size_t i = 0; i < res->n_ifaces; i++) {
		const struct cni_iface *f = &res->ifaces[i];

		if (!f->name || strcmp(f->name, ifname))
			continue;
		if (f->sandbox && *f->sandbox)
			return (int)i;
		if (any < 0)
			any = (int)i;
	}
	return any;
}

static json_object *strv(char *const *v, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

static json_object *dns_json(const struct cni_dns *d)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (d->n_nameservers)
		json_object_object_add(o, "nameservers",
				       strv(d->nameservers, d->n_nameservers));
	if (d->domain)
		json_object_object_add(o, "domain",
				       json_object_new_string(d->domain));
	if (d->n_search)
		json_object_object_add(o, "search",
				       strv(d->search, d->n_search));
	if (d->n_options)
		json_object_object_add(o, "options",
				       strv(d->options, d->n_options));
	return o;
}

/* ips (address without prefix) and gateways of interface k (every IP
 * when the result names no interfaces). */
static void ips_add(json_object *e, const struct cni_result *res, int k)
{
	json_object *ips = json_object_new_array();
	json_object *gws = json_object_new_array();

	for (size_t i = 0; i < res->n_ips; i++) {
		const struct cni_ipc *ip = &res->ips[i];
		const char *slash = strchr(ip->address, '/');

		if (k >= 0 && ip->interface != k)
			continue;
		json_object_array_add(
			ips,
			json_object_new_string_len(
				ip->address, slash ? (int)(slash - ip->address)
						   : (int)strlen(ip->address)));
		if (ip->gateway)
			json_object_array_add(
				gws, json_object_new_string(ip->gateway));
	}
	json_object_object_add(e, "ips", ips);
	if (json_object_array_length(gws))
		json_object_object_add(e, "gateway", gws);
	else
		json_object_put(gws);
}

static json_object *device_info(const char *pci)
{
	json_object *d = json_object_new_object(),
		    *p = json_object_new_object();

	json_object_object_add(p, "pci-address", json_object_new_string(pci));
	json_object_object_add(d, "type", json_object_new_string("pci"));
	json_object_object_add(d, "version", json_object_new_string("1.1.0"));
	json_object_object_add(d, "pci", p);
	return d;
}

static json_object *entry(const struct plexus_attachment *a,
			  const struct cni_result *res)
{
	json_object *e = json_object_new_object();
	int k = pod_iface(res, a->ifname);

	json_object_object_add(e, "name", json_object_new_string(a->network));
	json_object_object_add(e, "interface",
			       json_object_new_string(a->ifname));
	ips_add(e, res, res->n_ifaces ? k : -1);
	if (k >= 0 && res->ifaces[k].mac)
		json_object_object_add(
			e, "mac", json_object_new_string(res->ifaces[k].mac));
	json_object_object_add(e, "default",
			       json_object_new_boolean(a->is_default));
	json_object_object_add(e, "dns", dns_json(&res->dns));
	if (k >= 0 && res->ifaces[k].pci_id)
		json_object_object_add(e, "device-info",
				       device_info(res->ifaces[k].pci_id));
	return e;
}

int netstatus_build(const struct plexus_plan *plan, json_object *const *results,
		    json_object **ret, struct cni_err *err)
{
	json_object *list = json_object_new_array();

	if (!list)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	for (size_t i = 0; i < plan->n; i++) {
		struct cni_result *res = NULL;
		int r;

		if (!results || !results[i])
			continue;
		r = cni_result_parse(results[i], &res, err);
		if (r) {
			cni_err_prefix(err, "network-status: network %s",
				       plan->att[i].network);
			json_object_put(list);
			return r;
		}
		json_object_array_add(list, entry(&plan->att[i], res));
		cni_result_free(res);
	}
	*ret = list;
	return 0;
}

/* Write status_json (NULL: build it from plan and results) onto the pod
 * through src. */
static int status_put(const struct nad_source *src,
		      const struct plexus_plan *plan,
		      json_object *const *results, const char *status_json,
		      struct cni_err *err)
{
	json_object *status = NULL;
	int r = 0;

	if (!plan->pod_namespace || !plan->pod_name || !src ||
	    !src->ops->put_network_status)
		return 0;
	if (!status_json) {
		r = netstatus_build(plan, results, &status, err);
		status_json = r ? NULL : cni_json_str(status);
	}
	if (r == 0)
		r = src->ops->put_network_status(src->ctx, plan->pod_namespace,
						 plan->pod_name, plan->pod_uid,
						 status_json, err);
	json_object_put(status);
	return r;
}

int netstatus_publish(const struct nad_source *src,
		      const struct plexus_plan *plan,
		      json_object *const *results, struct cni_err *err)
{
	return status_put(src, plan, results, NULL, err);
}

int netstatus_clear(const struct nad_source *src,
		    const struct plexus_plan *plan, struct cni_err *err)
{
	return status_put(src, plan, NULL, NETSTATUS_CLEARED, err);
}
