/* SPDX-License-Identifier: Apache-2.0 */
/* IPAMClaims (NPWG v1.3 section 8) read and written through the
 * Kubernetes API: the object's checks (pure, fuzzed), one GET and one PUT
 * of the status subresource. The allocator never sees Kubernetes: it asks
 * ipam_claims_holds through ipam_ctx.claim_holds. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cni_error.h"
#include "cni_json.h"
#include "ipam_claim.h"
#include "k8s.h"
#include "kube_obj.h"

extern char **environ;

#define CLAIM_API     "/apis/k8s.cni.cncf.io/v1alpha1/namespaces"
#define CLAIM_VERSION "k8s.cni.cncf.io/v1alpha1"
#define CLAIM_ALL     "/apis/k8s.cni.cncf.io/v1alpha1/ipamclaims"

struct ipam_claims {
	struct k8s_config *cfg;
	struct k8s_client *c;
};

void ipam_claim_free(struct ipam_claim *c)
{
	if (!c)
		return;
	json_object_put(c->obj);
	free(c);
}

int ipam_claim_ref(const char *ns, const char *name, const char *field,
		   char *buf, size_t size, struct cni_err *err)
{
	if (!ns || !k8s_name_is_label(ns))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: the pod's namespace (CNI_ARGS "
				"K8S_POD_NAMESPACE \"%.64s\") is missing or "
				"not a DNS-1123 label",
				field, ns ? ns : "");
	if (!name || !k8s_name_is_subdomain(name))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"%s: \"%.64s\" is not an object name "
				"(DNS-1123 subdomain)",
				field, name ? name : "");
	snprintf(buf, size, "%s/%s", ns, name);
	return 0;
}

static int claim_str(json_object *o, const char *key, const char *field,
		     const char *ref, const char **ret, struct cni_err *err)
{
	int rc = cni_json_get_string(o, key, field, ret, err);

	if (rc == -ENOENT)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s missing", field);
	if (rc < 0)
		cni_err_prefix(err, "IPAMClaim %s", ref);
	return rc;
}

/* status.ips: each "addr/len" or "addr", at most IPAM_CLAIM_IPS_MAX. */
static int claim_ips(struct ipam_claim *c, const char *ref, struct cni_err *err)
{
	json_object *st, *ips;
	struct ipam_prefix p;
	size_t i, n;
	int rc;

	rc = cni_json_get_object(c->obj, "status", "status", &st, err);
	if (rc == 0)
		rc = cni_json_get_array(st, "ips", "status.ips", &ips, err);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		goto bad;
	n = json_object_array_length(ips);
	if (n > IPAM_CLAIM_IPS_MAX) {
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
			      "status.ips: %zu addresses, at most %d", n,
			      IPAM_CLAIM_IPS_MAX);
		goto bad;
	}
	for (i = 0; i < n; i++) {
		json_object *v = json_object_array_get_idx(ips, i);
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) ||
		    (ipam_prefix_parse(s, false, &p, &c->ips[i]) < 0 &&
		     ipam_addr_parse(s, &c->ips[i]) < 0)) {
			rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				      "status.ips[%zu]: \"%.64s\" is not an "
				      "address",
				      i, s ? s : "");
			goto bad;
		}
	}
	c->n_ips = n;
	return 0;
bad:
	cni_err_prefix(err, "IPAMClaim %s", ref);
	return rc;
}

static int claim_meta(struct ipam_claim *c, const char *ns, const char *name,
		      const char *ref, struct cni_err *err)
{
	json_object *meta;
	const char *kind = "", *av = "", *rv;
	int rc;

	cni_json_get_string(c->obj, "kind", "kind", &kind, NULL);
	cni_json_get_string(c->obj, "apiVersion", "apiVersion", &av, NULL);
	if (strcmp(kind, "IPAMClaim") || strcmp(av, CLAIM_VERSION))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"IPAMClaim %s: the API answered kind \"%.40s\" "
				"apiVersion \"%.40s\", not "
				"IPAMClaim " CLAIM_VERSION,
				ref, kind, av);
	rc = cni_json_get_object(c->obj, "metadata", "metadata", &meta, err);
	if (rc == -ENOENT)
		rc = cni_errf(err, CNI_ERR_INVALID_CONFIG, "metadata missing");
	rc = rc
		     ?: claim_str(meta, "namespace", "metadata.namespace", ref,
				  &c->ns, err);
	rc = rc ?: claim_str(meta, "name", "metadata.name", ref, &c->name, err);
	rc = rc
		     ?: claim_str(meta, "resourceVersion",
				  "metadata.resourceVersion", ref, &rv, err);
	if (rc < 0)
		return rc;
	if (strcmp(c->ns, ns) || strcmp(c->name, name))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"IPAMClaim %s: the API answered %.64s/%.64s",
				ref, c->ns, c->name);
	return 0;
}

int ipam_claim_parse(json_object *doc, const char *ns, const char *name,
		     struct ipam_claim **ret, struct cni_err *err)
{
	struct ipam_claim *c;
	json_object *spec;
	char ref[400];
	int rc;

	snprintf(ref, sizeof(ref), "%.63s/%.253s", ns, name);
	if (!json_object_is_type(doc, json_type_object))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"IPAMClaim %s: not a JSON object", ref);
	c = calloc(1, sizeof(*c));
	if (!c)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	c->obj = doc;
	rc = claim_meta(c, ns, name, ref, err);
	if (rc == 0) {
		rc = cni_json_get_object(doc, "spec", "spec", &spec, err);
		if (rc == -ENOENT)
			rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				      "IPAMClaim %s: spec missing", ref);
		else if (rc < 0)
			cni_err_prefix(err, "IPAMClaim %s", ref);
	}
	rc = rc
		     ?: claim_str(spec, "network", "spec.network", ref,
				  &c->network, err);
	rc = rc
		     ?: claim_str(spec, "interface", "spec.interface", ref,
				  &c->interface, err);
	rc = rc ?: claim_ips(c, ref, err);
	if (rc < 0) {
		c->obj = NULL;
		ipam_claim_free(c);
		return rc;
	}
	json_object_get(doc);
	*ret = c;
	return 0;
}

void ipam_claims_free(struct ipam_claims *cl)
{
	if (!cl)
		return;
	k8s_client_free(cl->c);
	k8s_config_free(cl->cfg);
	free(cl);
}

/* The kubeconfig: the node's "kubeconfig", else a kubernetes store's. */
static int claims_kubeconfig(json_object *node_root, json_object *store,
			     const char **ret, struct cni_err *err)
{
	const char *type = "";
	int rc = -ENOENT;

	if (node_root)
		rc = cni_json_get_string(node_root, "kubeconfig", "kubeconfig",
					 ret, err);
	if (rc != -ENOENT)
		return rc;
	if (store)
		cni_json_get_string(store, "type", "store.type", &type, NULL);
	if (strcmp(type, "kubernetes") == 0) {
		*ret = "";
		rc = cni_json_get_string(store, "kubeconfig",
					 "store.kubeconfig", ret, err);
		return rc == -ENOENT ? 0 : rc;
	}
	return cni_errf(err, CNI_ERR_INVALID_CONFIG,
			"IPAMClaims are read through the Kubernetes API: "
			"this node's plexus-ipam settings name none "
			"(\"kubeconfig\", or a kubernetes store)");
}

int ipam_claims_open(json_object *node_root, json_object *store,
		     struct ipam_claims **ret, struct cni_err *err)
{
	struct ipam_claims *cl;
	const char *kc;
	int rc = claims_kubeconfig(node_root, store, &kc, err);

	if (rc < 0)
		return rc;
	cl = calloc(1, sizeof(*cl));
	if (!cl)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	if (*kc)
		rc = k8s_kubeconfig_load(kc, &cl->cfg, err);
	else
		rc = k8s_config_in_cluster(environ, NULL, &cl->cfg, err);
	if (rc == 0)
		rc = k8s_client_new(cl->cfg, &cl->c, err);
	if (rc < 0) {
		cni_err_prefix(err, "IPAMClaims");
		ipam_claims_free(cl);
		return rc;
	}
	*ret = cl;
	return 0;
}

void ipam_claims_set_deadline(struct ipam_claims *cl, int64_t deadline)
{
	k8s_client_set_deadline(cl->c, deadline);
}

/* An answer other than 200: the Status' message with the reason. */
static int claims_fail(long st, json_object *doc, const char *what,
		       struct cni_err *err)
{
	const char *msg = "";
	int code = CNI_ERR_IO, rc = -EIO;

	if (doc)
		cni_json_get_string(doc, "message", "message", &msg, NULL);
	if (st == 401 || st == 403) {
		code = CNI_ERR_KUBERNETES;
		rc = -EACCES;
	} else if (st == 429 || st >= 500) {
		code = CNI_ERR_TRY_AGAIN;
		rc = -EHOSTUNREACH;
	}
	cni_errf(err, code, "%s: HTTP %ld%s%.300s", what, st, *msg ? ": " : "",
		 msg);
	return rc;
}

static int claims_call(struct ipam_claims *cl, const char *method,
		       const char *path, const char *body, long *ret_st,
		       json_object **ret_doc, const char *what,
		       struct cni_err *err)
{
	int rc = k8s_request(cl->c, method, path, NULL, body, ret_st, ret_doc,
			     err);

	if (rc == -EFBIG) /* an answer over the limit: code 123 */
		return rc;
	if (rc < 0) {
		cni_err_prefix(err, "%s: cannot reach the API server", what);
		if (err)
			err->code = CNI_ERR_TRY_AGAIN;
		return -EHOSTUNREACH;
	}
	return 0;
}

int ipam_claims_get(struct ipam_claims *cl, const char *ns, const char *name,
		    struct ipam_claim **ret, struct cni_err *err)
{
	json_object *doc = NULL;
	char path[512], what[400];
	long st;
	int rc;

	rc = ipam_claim_ref(ns, name, "IPAMClaim", what, sizeof(what), err);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "IPAMClaim %s/%s", ns, name);
	snprintf(path, sizeof(path), CLAIM_API "/%s/ipamclaims/%s", ns, name);
	rc = claims_call(cl, "GET", path, NULL, &st, &doc, what, err);
	if (rc == 0 && st == 404) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG,
			 "%s not found (ipam-claim-reference names a claim in "
			 "the pod's namespace)",
			 what);
		rc = -ENOENT;
	} else if (rc == 0 && st != 200)
		rc = claims_fail(st, doc, what, err);
	else if (rc == 0)
		rc = ipam_claim_parse(doc, ns, name, ret, err);
	json_object_put(doc);
	return rc;
}

int ipam_claims_set_ips(struct ipam_claims *cl, const struct ipam_claim *c,
			json_object *ips, struct cni_err *err)
{
	json_object *body = cni_json_copy(c->obj), *st_obj, *doc = NULL;
	char path[512], what[400];
	long st;
	int rc;

	if (!body)
		return cni_errf(err, CNI_ERR_IO, "out of memory");
	snprintf(what, sizeof(what), "IPAMClaim %s/%s: writing status.ips",
		 c->ns, c->name);
	if (!json_object_object_get_ex(body, "status", &st_obj) ||
	    !json_object_is_type(st_obj, json_type_object)) {
		st_obj = json_object_new_object();
		json_object_object_add(body, "status", st_obj);
	}
	json_object_object_add(st_obj, "ips", cni_json_copy(ips));
	snprintf(path, sizeof(path), CLAIM_API "/%s/ipamclaims/%s/status",
		 c->ns, c->name);
	rc = claims_call(cl, "PUT", path, cni_json_str(body), &st, &doc, what,
			 err);
	json_object_put(body);
	if (rc == 0 && st == 409) {
		cni_errf(err, CNI_ERR_ADDRESS_TAKEN,
			 "%s: the claim changed meanwhile (another pod's ADD "
			 "for it)",
			 what);
		rc = -ECANCELED;
	} else if (rc == 0 && st == 404) {
		cni_errf(err, CNI_ERR_INVALID_CONFIG, "%s: the claim is gone",
			 what);
		rc = -ENOENT;
	} else if (rc == 0 && st != 200 && st != 201)
		rc = claims_fail(st, doc, what, err);
	json_object_put(doc);
	return rc;
}

/* Give each item of one list page to each(); *cont becomes the next
 * page's token ("" after the last). */
static int list_items(json_object *doc, char *cont, size_t cont_size,
		      int (*each)(void *arg, json_object *item), void *arg,
		      struct cni_err *err)
{
	json_object *items, *it, *meta, *c;
	size_t i;
	int rc = 0;

	*cont = '\0';
	if (!doc || !json_object_object_get_ex(doc, "items", &items) ||
	    !json_object_is_type(items, json_type_array))
		return cni_errf(err, CNI_ERR_KUBERNETES,
				"list IPAMClaims: the answer has no "
				"\"items\" list");
	for (i = 0; rc == 0 && i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		if (!json_object_is_type(it, json_type_object))
			continue;
		if (!json_object_object_get_ex(it, "kind", NULL))
			json_object_object_add(it, "kind",
					       json_object_new_string("IPAMClai"
								      "m"));
		if (!json_object_object_get_ex(it, "apiVersion", NULL))
			json_object_object_add(
				it, "apiVersion",
				json_object_new_string(CLAIM_VERSION));
		rc = each(arg, it);
	}
	if (rc == 0 && json_object_object_get_ex(doc, "metadata", &meta) &&
	    json_object_object_get_ex(meta, "continue", &c) &&
	    json_object_is_type(c, json_type_string))
		snprintf(cont, cont_size, "%s", json_object_get_string(c));
	return rc;
}

int ipam_claims_list(struct ipam_claims *cl, const char *ns, int limit,
		     int (*each)(void *arg, json_object *item), void *arg,
		     struct cni_err *err)
{
	char cont[KUBE_CONT_MAX] = "", esc[KUBE_CONT_MAX * 3];
	char path[KUBE_CONT_MAX * 3 + 512];
	json_object *doc;
	long st;
	int rc;

	if (ns && !k8s_name_is_label(ns))
		return cni_errf(err, CNI_ERR_INVALID_CONFIG,
				"namespace \"%.64s\" is not a DNS-1123 label",
				ns);
	do {
		kube_query_escape(cont, esc, sizeof(esc));
		if (ns)
			snprintf(path, sizeof(path), CLAIM_API "/%s/ipamclaims",
				 ns);
		else
			snprintf(path, sizeof(path), CLAIM_ALL);
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 "?limit=%d%s%s", limit, *esc ? "&continue=" : "", esc);
		doc = NULL;
		rc = claims_call(cl, "GET", path, NULL, &st, &doc,
				 "list IPAMClaims", err);
		if (rc == 0 && st == 404)
			rc = cni_errf(err, CNI_ERR_INVALID_CONFIG,
				      "list IPAMClaims: HTTP 404: is the "
				      "IPAMClaim CRD installed "
				      "(crd/ipamclaims.yaml)?");
		else if (rc == 0 && st != 200)
			rc = claims_fail(st, doc, "list IPAMClaims", err);
		else if (rc == 0)
			rc = list_items(doc, cont, sizeof(cont), each, arg,
					err);
		json_object_put(doc);
	} while (rc == 0 && *cont);
	return rc;
}

static bool claim_lists(const struct ipam_claim *c, const struct ipam_addr *a)
{
	for (size_t i = 0; i < c->n_ips; i++)
		if (c->ips[i].family == a->family && c->ips[i].v == a->v)
			return true;
	return false;
}

int ipam_claims_holds(void *arg, const char *claim, const struct ipam_addr *a)
{
	struct ipam_claims_lazy *lz = arg;
	struct ipam_claim *c = NULL;
	char ns[64], name[256];
	const char *slash = strchr(claim, '/');
	int rc;

	if (!slash || (size_t)(slash - claim) >= sizeof(ns) ||
	    strlen(slash + 1) >= sizeof(name))
		return 0; /* not a claim any ADD wrote */
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - claim), claim);
	snprintf(name, sizeof(name), "%s", slash + 1);
	if (!lz->cl && !lz->open_rc)
		lz->open_rc = ipam_claims_open(lz->node_root, lz->store,
					       &lz->cl, NULL);
	if (!lz->cl)
		return -1;
	ipam_claims_set_deadline(lz->cl, lz->deadline);
	rc = ipam_claims_get(lz->cl, ns, name, &c, NULL);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return -1;
	rc = claim_lists(c, a);
	ipam_claim_free(c);
	return rc;
}

void ipam_claims_lazy_clear(struct ipam_claims_lazy *lz)
{
	ipam_claims_free(lz->cl);
	lz->cl = NULL;
}
