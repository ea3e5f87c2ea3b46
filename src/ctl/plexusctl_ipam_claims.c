/* SPDX-License-Identifier: Apache-2.0 */
/* plexusctl ipam claims: the IPAMClaims (k8s.cni.cncf.io/v1alpha1) as
 * the Kubernetes API lists them, each address of their status.ips with
 * what holds it in the config's pool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "ipam_claim.h"
#include "ipam_conf.h"
#include "plexusctl_ipam_int.h"

#define CLAIMS_PAGE 500

/* One address of a claim and what the pool says of it. */
struct claim_ip {
	const char *text; /* as in status.ips */
	const char *state;
	char holder[700]; /* table text */
	json_object *holder_json, *reserved;
};

struct claims_run {
	struct ipam_cmd *c;
	size_t n;
	json_object *out; /* the JSON array */
	struct cni_err *err;
};

static void ip_held(const struct rec *x, const char *ref, struct claim_ip *p)
{
	char pod[600];

	snprintf(pod, sizeof(pod),
		 "pod %s/%s (container %s, interface %s, node %s)", x->ns,
		 x->pod, x->cid, x->ifname, x->node);
	p->holder_json = ipamctl_rec_json(x);
	if (*x->at)
		p->reserved = json_object_new_string(x->at);
	if (strcmp(x->claim, ref) != 0) {
		p->state = "held by another";
		snprintf(p->holder, sizeof(p->holder), "NOT THIS CLAIM: %s%s%s",
			 *x->cid ? pod : "IPAMClaim", *x->cid ? "" : " ",
			 *x->cid ? "" : x->claim);
	} else if (*x->cid) {
		p->state = "held by its pod";
		snprintf(p->holder, sizeof(p->holder), "%s", pod);
	} else {
		p->state = "kept for its claim";
		snprintf(p->holder, sizeof(p->holder),
			 "no pod (kept for the claim, last node %s)", x->node);
	}
}

/* What the pool holds at the claim's address p->text. */
static int ip_lookup(struct ipam_cmd *c, const char *ref, struct claim_ip *p,
		     struct cni_err *err)
{
	struct ipam_prefix pfx;
	struct ipam_addr a;
	const struct rec *x = NULL;
	struct recs rs = { 0 };
	const char *why = NULL;
	char node[256];
	int rc;

	if (ipam_prefix_parse(p->text, false, &pfx, &a) < 0 &&
	    ipam_addr_parse(p->text, &a) < 0)
		return p->state = "not an address", 0;
	if (!ipam_conf_range_of(c->conf, &a)) {
		p->state = "not in this pool";
		snprintf(p->holder, sizeof(p->holder), "- (in no range of %s)",
			 c->config);
		return 0;
	}
	rc = ipamctl_addr_holder(c, &a, &rs, &x, &why, node, sizeof(node), err);
	if (rc == 1) {
		p->state = why;
		snprintf(p->holder, sizeof(p->holder), "nobody: %s", why);
	} else if (rc == 0 && !x->held) {
		p->state = x->conflict ? "reserved as a conflict"
				       : "reserved by an operator";
		p->reserved = json_object_new_string(x->at);
		snprintf(p->holder, sizeof(p->holder),
			 "nobody: reserved %s since %s", ipamctl_resv_by(x),
			 x->at);
	} else if (rc == 0) {
		ip_held(x, ref, p);
	}
	ipamctl_recs_free(&rs);
	return rc < 0 ? rc : 0;
}

static json_object *ip_json(struct claim_ip *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "address", json_object_new_string(p->text));
	json_object_object_add(o, "state", json_object_new_string(p->state));
	json_object_object_add(o, "holder", p->holder_json);
	json_object_object_add(o, "reserved", p->reserved);
	p->holder_json = p->reserved = NULL;
	return o;
}

static void row_print(const char *ns, const char *name, const char *net,
		      const char *ifname, const char *addr, const char *holder)
{
	printf("%-15s %-24s %-12s %-9s %-18s %s\n", ns, name, net, ifname, addr,
	       holder);
}

/* The addresses of claim cl, looked up in the pool when the claim is of
 * the config's network. */
static int claim_ips(struct claims_run *run, const struct ipam_claim *cl,
		     json_object *ips_out)
{
	struct ipam_cmd *c = run->c;
	json_object *st, *ips = NULL;
	char ref[400];
	bool mine = c->conf->name && !strcmp(cl->network, c->conf->name);
	int rc = 0;

	snprintf(ref, sizeof(ref), "%s/%s", cl->ns, cl->name);
	if (json_object_object_get_ex(cl->obj, "status", &st))
		json_object_object_get_ex(st, "ips", &ips);
	for (size_t i = 0; rc == 0 && i < cl->n_ips; i++) {
		struct claim_ip p = {
			.text = json_object_get_string(
				json_object_array_get_idx(ips, i)),
			.state = "another network",
		};

		if (mine)
			rc = ip_lookup(c, ref, &p, run->err);
		else
			snprintf(p.holder, sizeof(p.holder),
				 "- (network %s, not %s)", cl->network,
				 c->conf->name ? c->conf->name : "-");
		if (rc == 0 && !c->json)
			row_print(cl->ns, cl->name, cl->network, cl->interface,
				  p.text, p.holder);
		if (rc == 0 && c->json)
			json_object_array_add(ips_out, ip_json(&p));
		json_object_put(p.holder_json);
		json_object_put(p.reserved);
	}
	if (rc == 0 && !cl->n_ips && !c->json)
		row_print(cl->ns, cl->name, cl->network, cl->interface, "-",
			  "(no address yet: its first pod's ADD writes it)");
	return rc;
}

static const char *meta_str(json_object *item, const char *k)
{
	json_object *m, *v;

	if (json_object_object_get_ex(item, "metadata", &m) &&
	    json_object_object_get_ex(m, k, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return "";
}

static int claim_each(void *arg, json_object *item)
{
	struct claims_run *run = arg;
	const char *ns = meta_str(item, "namespace"), *name;
	struct ipam_claim *cl = NULL;
	struct cni_err perr = { 0 };
	json_object *o, *ips;
	int rc;

	name = meta_str(item, "name");
	run->n++;
	if (ipam_claim_parse(item, ns, name, &cl, &perr) < 0) {
		if (!run->c->json) {
			row_print(ns, name, "?", "?", "-", perr.msg);
			return 0;
		}
		o = json_object_new_object();
		json_object_object_add(o, "namespace",
				       json_object_new_string(ns));
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "error",
				       json_object_new_string(perr.msg));
		json_object_array_add(run->out, o);
		return 0;
	}
	o = json_object_new_object();
	ips = json_object_new_array();
	json_object_object_add(o, "namespace", json_object_new_string(cl->ns));
	json_object_object_add(o, "name", json_object_new_string(cl->name));
	json_object_object_add(o, "network",
			       json_object_new_string(cl->network));
	json_object_object_add(o, "interface",
			       json_object_new_string(cl->interface));
	json_object_object_add(o, "ips", ips);
	rc = claim_ips(run, cl, ips);
	if (run->c->json)
		json_object_array_add(run->out, o);
	else
		json_object_put(o);
	ipam_claim_free(cl);
	return rc;
}

/* The API: --kubeconfig, else the node settings' (ipam_claims_open). */
static int claims_api(struct ipam_cmd *c, struct ipam_claims **ret,
		      struct cni_err *err)
{
	json_object *node;
	int rc;

	if (!c->kubeconfig)
		return ipam_claims_open(c->conf->node_root, c->conf->store, ret,
					err);
	node = json_object_new_object();
	json_object_object_add(node, "kubeconfig",
			       json_object_new_string(c->kubeconfig));
	rc = ipam_claims_open(node, NULL, ret, err);
	json_object_put(node);
	return rc;
}

int ipamctl_claims(struct ipam_cmd *c, struct cni_err *err)
{
	struct claims_run run = { .c = c, .err = err };
	struct ipam_claims *cl = NULL;
	json_object *o;
	int rc = claims_api(c, &cl, err);

	if (rc < 0)
		return rc;
	run.out = json_object_new_array();
	if (!c->json)
		row_print("NAMESPACE", "NAME", "NETWORK", "INTERFACE",
			  "ADDRESS", "HOLDER");
	rc = ipam_claims_list(cl, c->ns, CLAIMS_PAGE, claim_each, &run, err);
	if (rc == 0 && c->json) {
		o = json_object_new_object();
		json_object_object_add(o, "claims", run.out);
		run.out = NULL;
		ipamctl_json_print(o);
	}
	json_object_put(run.out);
	ipam_claims_free(cl);
	return rc;
}
